//! Lays a validated document out on A4 pages with genpdf.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use genpdf::elements::{Break, FrameCellDecorator, LinearLayout, PaddedElement, Paragraph, StyledElement, TableLayout};
use genpdf::fonts::{FontCache, FontData, FontFamily};
use genpdf::style::{Color, Style};
use genpdf::{Alignment, Element as _, Margins, Mm, SimplePageDecorator};
use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Line, Party, TotalRow};

use crate::PdfError;
use crate::validate::validate;

/// Width of A4, genpdf's default paper size.
const PAGE_WIDTH_MM: f64 = 210.0;
const MARGIN_MM: f64 = 15.0;
const CONTENT_WIDTH_MM: f64 = PAGE_WIDTH_MM - 2.0 * MARGIN_MM;
const CELL_PADDING_MM: f64 = 1.0;
/// Gap between the seller and the buyer block.
const PARTY_GAP_MM: f64 = 6.0;
/// Share of a column a word may fill before it is split. The width estimate ignores kerning
/// and rounding, so a word measured at exactly the column width could still overflow it.
const FILL_RATIO: f64 = 0.95;

const TITLE_SIZE: u8 = 18;
const BODY_SIZE: u8 = 10;
const TABLE_SIZE: u8 = 8;
const CAPTION_SIZE: u8 = 8;

struct Column {
    header: &'static str,
    weight: usize,
    alignment: Alignment,
}

const fn column(header: &'static str, weight: usize, alignment: Alignment) -> Column {
    Column { header, weight, alignment }
}

const LINE_COLUMNS: [Column; 7] = [
    column("Description", 31, Alignment::Left),
    column("Qty", 8, Alignment::Right),
    column("Unit price", 13, Alignment::Right),
    column("Tax rate", 9, Alignment::Right),
    column("Net", 13, Alignment::Right),
    column("Tax", 12, Alignment::Right),
    column("Gross", 14, Alignment::Right),
];

/// Label column and value column of the totals block.
const TOTALS_WEIGHTS: [usize; 2] = [72, 28];

/// Renders `document` into the bytes of a PDF file.
///
/// The document is validated first; a malformed one yields [`PdfError::InvalidDocument`].
/// This is CPU-bound work that takes tens of milliseconds for a typical invoice: async callers
/// should run it on a blocking thread.
///
/// # Errors
///
/// [`PdfError::InvalidDocument`] or [`PdfError::DoesNotFit`] when the document is at fault,
/// [`PdfError::Render`] or [`PdfError::Panic`] when genpdf fails.
pub fn render(document: &Document) -> Result<Vec<u8>, PdfError> {
    let kind = validate(document)?;
    // genpdf indexes and unwraps internally; a panic there must fail this one document, not take
    // the worker down. Only the result leaves the closure, so a panic cannot leave any state
    // behind half-updated.
    panic::catch_unwind(AssertUnwindSafe(|| lay_out(document, kind)))
        .unwrap_or_else(|payload| Err(PdfError::Panic(panic_message(payload.as_ref()))))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_owned())
}

fn lay_out(document: &Document, kind: DocumentKind) -> Result<Vec<u8>, PdfError> {
    let mut pdf = genpdf::Document::new(font_family()?);
    pdf.set_title(plain(&format!("{} {}", document.title, document.number)));
    // Skips the ICC profile and XMP metadata that PDF/A would need: they only add size here.
    pdf.set_minimal_conformance();
    pdf.set_font_size(BODY_SIZE);

    let (body, running_header) = {
        let layout = Layout { fonts: pdf.font_cache() };
        let running_header =
            layout.fit(&format!("{} {}", number_label(kind), document.number), caption_style(), CONTENT_WIDTH_MM * 0.7);
        (layout.document(document, kind)?, running_header)
    };

    let mut decorator = SimplePageDecorator::new();
    decorator.set_margins(Margins::all(MARGIN_MM));
    // Repeats the document number on continuation pages so loose pages can be matched up.
    decorator.set_header(move |page| {
        let mut header = LinearLayout::vertical();
        if page > 1 {
            header.push(
                Paragraph::new(format!("{running_header} · page {page}"))
                    .aligned(Alignment::Right)
                    .styled(caption_style()),
            );
            header.push(Break::new(1));
        }
        header
    });
    pdf.set_page_decorator(decorator);
    pdf.push(body);

    let mut bytes = Vec::new();
    pdf.render(&mut bytes).map_err(PdfError::from_genpdf)?;
    Ok(bytes)
}

/// Noto Sans regular and bold, compiled into the binary so the worker needs no font files.
fn font_family() -> Result<FontFamily<FontData>, PdfError> {
    let embedded = |bytes: &[u8]| FontData::new(bytes.to_vec(), None).map_err(PdfError::from_genpdf);
    // genpdf embeds every face of the family in each PDF, whole and uncompressed (~200 KB a
    // face). The layout never uses italics, so the italic slots name PDF built-in fonts, which
    // take no space, instead of embedding two more copies of Noto Sans.
    let unused = |builtin| FontData::new(notosans::REGULAR_TTF.to_vec(), Some(builtin)).map_err(PdfError::from_genpdf);
    Ok(FontFamily {
        regular: embedded(notosans::REGULAR_TTF)?,
        bold: embedded(notosans::BOLD_TTF)?,
        italic: unused(printpdf::BuiltinFont::HelveticaOblique)?,
        bold_italic: unused(printpdf::BuiltinFont::HelveticaBoldOblique)?,
    })
}

fn number_label(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CreditNote => "Credit note number",
        DocumentKind::Invoice | DocumentKind::Unspecified => "Invoice number",
    }
}

fn caption_style() -> Style {
    Style::new().with_font_size(CAPTION_SIZE).with_color(Color::Greyscale(90))
}

/// Replaces control characters, which the font has no glyphs for, with spaces.
fn plain(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

type Text = StyledElement<Paragraph>;
type Cell = PaddedElement<Text>;

/// Builds the element tree; holds the document's font cache to measure text with.
struct Layout<'a> {
    fonts: &'a FontCache,
}

impl Layout<'_> {
    fn document(&self, document: &Document, kind: DocumentKind) -> Result<LinearLayout, PdfError> {
        let body_style = Style::new().with_font_size(BODY_SIZE);
        let mut page = LinearLayout::vertical();

        page.push(self.text(
            &document.title,
            Style::new().with_font_size(TITLE_SIZE).bold(),
            CONTENT_WIDTH_MM,
            Alignment::Left,
        ));
        page.push(Break::new(0.5));
        page.push(self.labelled(number_label(kind), &document.number, body_style));
        page.push(self.labelled("Issue date", &document.issue_date, body_style));
        if !document.currency.trim().is_empty() {
            page.push(self.labelled("Currency", &document.currency, body_style));
        }
        page.push(Break::new(1.5));

        page.push(self.parties(document.seller.as_ref(), document.buyer.as_ref())?);
        page.push(Break::new(1.5));

        page.push(self.lines(&document.lines)?);
        if !document.totals.is_empty() {
            page.push(Break::new(0.5));
            page.push(self.totals(&document.totals)?);
        }

        if !document.notes.is_empty() {
            page.push(Break::new(1.5));
            for note in &document.notes {
                page.push(self.text(note, body_style, CONTENT_WIDTH_MM, Alignment::Left));
                page.push(Break::new(0.3));
            }
        }
        Ok(page)
    }

    /// A bold label followed by its value on one line, wrapped if it must be.
    fn labelled(&self, label: &str, value: &str, style: Style) -> Text {
        let label = format!("{label}: ");
        let label_style = style.bold();
        let value_width = CONTENT_WIDTH_MM - mm(label_style.str_width(self.fonts, &label));
        Paragraph::default()
            .styled_string(label, label_style)
            .styled_string(self.fit(value, style, value_width), style)
            .styled(style)
    }

    fn parties(&self, seller: Option<&Party>, buyer: Option<&Party>) -> Result<TableLayout, PdfError> {
        let width = CONTENT_WIDTH_MM / 2.0 - PARTY_GAP_MM;
        let block = |heading: &str, party: Option<&Party>| {
            PaddedElement::new(self.party(heading, party, width), Margins::trbl(0, PARTY_GAP_MM, 0, 0))
        };
        let mut table = TableLayout::new(vec![1, 1]);
        table
            .row()
            .element(block("Seller", seller))
            .element(block("Buyer", buyer))
            .push()
            .map_err(PdfError::from_genpdf)?;
        Ok(table)
    }

    fn party(&self, heading: &str, party: Option<&Party>, width: f64) -> LinearLayout {
        let style = Style::new().with_font_size(BODY_SIZE);
        let mut block = LinearLayout::vertical();
        block.push(self.text(heading, caption_style().bold(), width, Alignment::Left));
        let Some(party) = party else {
            return block;
        };
        let mut push = |text: &str, style: Style| {
            if !text.trim().is_empty() {
                block.push(self.text(text, style, width, Alignment::Left));
            }
        };
        push(&party.name, style.bold());
        for line in &party.address_lines {
            push(line, style);
        }
        if !party.vat_id.trim().is_empty() {
            push(&format!("VAT ID: {}", party.vat_id), style);
        }
        push(&party.email, style);
        block
    }

    fn lines(&self, lines: &[Line]) -> Result<TableLayout, PdfError> {
        let total_weight: usize = LINE_COLUMNS.iter().map(|column| column.weight).sum();
        let widths = LINE_COLUMNS
            .map(|column| CONTENT_WIDTH_MM * column.weight as f64 / total_weight as f64 - 2.0 * CELL_PADDING_MM);
        let style = Style::new().with_font_size(TABLE_SIZE);

        let mut table = TableLayout::new(LINE_COLUMNS.iter().map(|column| column.weight).collect());
        table.set_cell_decorator(FrameCellDecorator::new(true, true, true));
        let headers = LINE_COLUMNS.map(|column| column.header);
        self.row(&mut table, &headers, &widths, style.bold())?;
        for line in lines {
            let cells = [
                line.description.as_str(),
                &line.quantity,
                &line.unit_price,
                &line.tax_rate,
                &line.net,
                &line.tax,
                &line.gross,
            ];
            self.row(&mut table, &cells, &widths, style)?;
        }
        Ok(table)
    }

    fn row(&self, table: &mut TableLayout, cells: &[&str; 7], widths: &[f64; 7], style: Style) -> Result<(), PdfError> {
        let mut row = table.row();
        for ((text, width), column) in cells.iter().zip(widths).zip(&LINE_COLUMNS) {
            row.push_element(self.cell(text, style, *width, column.alignment));
        }
        row.push().map_err(PdfError::from_genpdf)
    }

    fn totals(&self, totals: &[TotalRow]) -> Result<TableLayout, PdfError> {
        let total_weight: usize = TOTALS_WEIGHTS.iter().sum();
        let [label_width, value_width] =
            TOTALS_WEIGHTS.map(|weight| CONTENT_WIDTH_MM * weight as f64 / total_weight as f64 - 2.0 * CELL_PADDING_MM);
        let mut table = TableLayout::new(TOTALS_WEIGHTS.to_vec());
        for (i, total) in totals.iter().enumerate() {
            let mut style = Style::new().with_font_size(BODY_SIZE);
            // The last row is the amount due (or credited): the one a reader looks for.
            if i + 1 == totals.len() {
                style.set_bold();
            }
            table
                .row()
                .element(self.cell(&total.label, style, label_width, Alignment::Right))
                .element(self.cell(&total.value, style, value_width, Alignment::Right))
                .push()
                .map_err(PdfError::from_genpdf)?;
        }
        Ok(table)
    }

    fn cell(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Cell {
        self.text(text, style, width, alignment).padded(Margins::all(CELL_PADDING_MM))
    }

    fn text(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Text {
        // The paragraph's own style sets its line height; the string style alone would not.
        Paragraph::new(self.fit(text, style, width)).aligned(alignment).styled(style)
    }

    /// Prepares `text` for a column `width_mm` wide. genpdf wraps lines only at spaces and
    /// silently drops a word wider than its column, so such words are split here into pieces
    /// that fit.
    fn fit(&self, text: &str, style: Style, width_mm: f64) -> String {
        let text = plain(text);
        let max = Mm::from(width_mm * FILL_RATIO);
        // genpdf measures a word together with the space after it.
        let space = style.char_width(self.fonts, ' ');
        let mut fitted = String::with_capacity(text.len());
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                fitted.push(' ');
            }
            if style.str_width(self.fonts, word) + space <= max {
                fitted.push_str(word);
                continue;
            }
            let mut piece = Mm::default();
            for c in word.chars() {
                let width = style.char_width(self.fonts, c);
                // Every piece keeps at least one character, so this always makes progress.
                if piece > Mm::default() && piece + width + space > max {
                    fitted.push(' ');
                    piece = Mm::default();
                }
                fitted.push(c);
                piece += width;
            }
        }
        fitted
    }
}

fn mm(length: Mm) -> f64 {
    length.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_splits_only_words_wider_than_the_column() {
        let mut pdf = genpdf::Document::new(font_family().expect("embedded fonts load"));
        pdf.set_font_size(BODY_SIZE);
        let layout = Layout { fonts: pdf.font_cache() };
        let style = Style::new().with_font_size(TABLE_SIZE);
        let width = 20.0;

        assert_eq!(layout.fit("short words stay", style, width), "short words stay");

        let long = "X".repeat(200);
        let fitted = layout.fit(&format!("a {long} b"), style, width);
        assert!(fitted.starts_with("a X") && fitted.ends_with("X b"), "{fitted}");
        assert_eq!(fitted.replace(' ', ""), format!("a{long}b"));
        let space = style.char_width(layout.fonts, ' ');
        for piece in fitted.split(' ') {
            assert!(
                style.str_width(layout.fonts, piece) + space <= Mm::from(width),
                "{piece:?} is wider than {width} mm"
            );
        }
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(plain("a\nb\tc\u{0}d"), "a b c d");
    }
}
