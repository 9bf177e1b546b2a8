//! The checks a document must pass before it reaches genpdf.
//!
//! Besides rejecting documents that make no sense, the limits bound the work one request can
//! cause: the worker renders whatever it is given, so an unbounded document would be an
//! unbounded amount of CPU time and memory.

use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Labels, Party};

use crate::PdfError;

/// Upper bounds on what one document may contain.
pub mod limits {
    /// Line items in one document.
    pub const MAX_LINES: usize = 500;
    /// Rows of the totals block.
    pub const MAX_TOTALS: usize = 20;
    /// Notes printed under the totals.
    pub const MAX_NOTES: usize = 20;
    /// Rows under the number and issue date.
    pub const MAX_DETAILS: usize = 10;
    /// Address lines of one party, and likewise further detail lines of one party.
    pub const MAX_ADDRESS_LINES: usize = 10;
    /// Characters in any free-text field (descriptions, names, notes, ...).
    pub const MAX_TEXT_CHARS: usize = 2_000;
    /// Characters in a short field: figures, identifiers, dates, labels. These sit in narrow
    /// columns, where a long value would become a very tall row.
    pub const MAX_SHORT_CHARS: usize = 100;
    /// Characters in the whole document, which caps the number of pages one request produces.
    pub const MAX_TOTAL_CHARS: usize = 100_000;
}

use limits::*;

/// Checks `document` against the contract and returns its kind.
pub(crate) fn validate(document: &Document) -> Result<DocumentKind, PdfError> {
    let kind = match DocumentKind::try_from(document.kind) {
        Ok(kind @ (DocumentKind::Invoice | DocumentKind::CreditNote)) => kind,
        Ok(DocumentKind::Unspecified) => {
            return Err(PdfError::invalid("kind", "is required"));
        }
        Err(_) => {
            return Err(PdfError::invalid("kind", format!("has an unknown value {}", document.kind)));
        }
    };

    let mut checker = Checker::default();
    checker.required("title", &document.title, MAX_TEXT_CHARS)?;
    checker.required("number", &document.number, MAX_SHORT_CHARS)?;
    checker.required("issue_date", &document.issue_date, MAX_SHORT_CHARS)?;
    checker.optional("currency", &document.currency, MAX_SHORT_CHARS)?;
    checker.optional("test_mark", &document.test_mark, MAX_TEXT_CHARS)?;
    if let Some(labels) = &document.labels {
        checker.labels(labels)?;
    }
    checker.count("details", document.details.len(), MAX_DETAILS)?;
    for (i, row) in document.details.iter().enumerate() {
        checker.required(&format!("details[{i}].label"), &row.label, MAX_SHORT_CHARS)?;
        checker.required(&format!("details[{i}].value"), &row.value, MAX_SHORT_CHARS)?;
    }
    if let Some(stamp) = &document.stamp {
        checker.optional("stamp.text", &stamp.text, MAX_SHORT_CHARS)?;
        checker.optional("stamp.detail", &stamp.detail, MAX_SHORT_CHARS)?;
    }

    let seller = document.seller.as_ref().ok_or_else(|| PdfError::invalid("seller", "is required"))?;
    checker.party("seller", seller, true)?;
    // A missing buyer is allowed: core decides whether a document needs one.
    if let Some(buyer) = &document.buyer {
        checker.party("buyer", buyer, false)?;
    }

    checker.count("lines", document.lines.len(), MAX_LINES)?;
    if document.lines.is_empty() {
        return Err(PdfError::invalid("lines", "must contain at least one line"));
    }
    for (i, line) in document.lines.iter().enumerate() {
        checker.required(&format!("lines[{i}].description"), &line.description, MAX_TEXT_CHARS)?;
        for (name, value) in [
            ("quantity", &line.quantity),
            ("unit_price", &line.unit_price),
            ("tax_rate", &line.tax_rate),
            ("net", &line.net),
            ("tax", &line.tax),
            ("gross", &line.gross),
        ] {
            checker.optional(&format!("lines[{i}].{name}"), value, MAX_SHORT_CHARS)?;
        }
    }

    checker.count("totals", document.totals.len(), MAX_TOTALS)?;
    for (i, row) in document.totals.iter().enumerate() {
        checker.required(&format!("totals[{i}].label"), &row.label, MAX_SHORT_CHARS)?;
        checker.required(&format!("totals[{i}].value"), &row.value, MAX_SHORT_CHARS)?;
    }

    checker.count("notes", document.notes.len(), MAX_NOTES)?;
    for (i, note) in document.notes.iter().enumerate() {
        checker.optional(&format!("notes[{i}]"), note, MAX_TEXT_CHARS)?;
    }

    Ok(kind)
}

/// Runs the per-field checks and keeps the running character count of the document.
#[derive(Default)]
struct Checker {
    total_chars: usize,
}

impl Checker {
    fn required(&mut self, field: &str, value: &str, max_chars: usize) -> Result<(), PdfError> {
        if value.trim().is_empty() {
            return Err(PdfError::invalid(field, "must not be empty"));
        }
        self.optional(field, value, max_chars)
    }

    fn optional(&mut self, field: &str, value: &str, max_chars: usize) -> Result<(), PdfError> {
        let chars = value.chars().count();
        if chars > max_chars {
            return Err(PdfError::invalid(
                field,
                format!("is {chars} characters long, more than the {max_chars} allowed"),
            ));
        }
        self.total_chars += chars;
        if self.total_chars > MAX_TOTAL_CHARS {
            return Err(PdfError::invalid(
                "document",
                format!("holds more than the {MAX_TOTAL_CHARS} characters of text allowed"),
            ));
        }
        Ok(())
    }

    fn count(&self, field: &str, count: usize, max: usize) -> Result<(), PdfError> {
        if count > max {
            return Err(PdfError::invalid(field, format!("has {count} entries, more than the {max} allowed")));
        }
        Ok(())
    }

    fn party(&mut self, field: &str, party: &Party, name_required: bool) -> Result<(), PdfError> {
        let name_field = format!("{field}.name");
        if name_required {
            self.required(&name_field, &party.name, MAX_TEXT_CHARS)?;
        } else {
            self.optional(&name_field, &party.name, MAX_TEXT_CHARS)?;
        }
        self.count(&format!("{field}.address_lines"), party.address_lines.len(), MAX_ADDRESS_LINES)?;
        for (i, line) in party.address_lines.iter().enumerate() {
            self.optional(&format!("{field}.address_lines[{i}]"), line, MAX_TEXT_CHARS)?;
        }
        self.optional(&format!("{field}.vat_id"), &party.vat_id, MAX_SHORT_CHARS)?;
        // 254 is the longest address SMTP can carry.
        self.optional(&format!("{field}.email"), &party.email, 254)?;
        self.count(&format!("{field}.details"), party.details.len(), MAX_ADDRESS_LINES)?;
        for (i, line) in party.details.iter().enumerate() {
            self.optional(&format!("{field}.details[{i}]"), line, MAX_TEXT_CHARS)?;
        }
        Ok(())
    }

    fn labels(&mut self, labels: &Labels) -> Result<(), PdfError> {
        for (name, value) in [
            ("number", &labels.number),
            ("issue_date", &labels.issue_date),
            ("currency", &labels.currency),
            ("seller", &labels.seller),
            ("buyer", &labels.buyer),
            ("vat_id", &labels.vat_id),
            ("description", &labels.description),
            ("quantity", &labels.quantity),
            ("unit_price", &labels.unit_price),
            ("tax_rate", &labels.tax_rate),
            ("net", &labels.net),
            ("tax", &labels.tax),
            ("gross", &labels.gross),
            ("page", &labels.page),
        ] {
            self.optional(&format!("labels.{name}"), value, MAX_SHORT_CHARS)?;
        }
        Ok(())
    }
}
