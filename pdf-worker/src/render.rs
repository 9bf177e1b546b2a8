//! Lays a validated document out on A4 pages with genpdf.

use std::any::Any;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};

use genpdf::elements::{Break, FrameCellDecorator, LinearLayout, PaddedElement, Paragraph, StyledElement, TableLayout};
use genpdf::fonts::{Font, FontCache, FontFamily};
use genpdf::style::{Color, Style, StyledString};
use genpdf::{Alignment, Element as _, Margins, Mm, SimplePageDecorator};
use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Labels, Line, Party, Stamp, TotalRow};

use crate::PdfError;
use crate::fonts::{FontPlan, Script, script_of};
use crate::text::visual;
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
const STAMP_SIZE: u8 = 16;
const BODY_SIZE: u8 = 10;
const TABLE_SIZE: u8 = 8;
const CAPTION_SIZE: u8 = 8;
/// Figures shrink down to this size rather than wrap inside their cell.
const MIN_FIGURE_SIZE: u8 = 5;

const STAMP_COLOR: Color = Color::Rgb(0, 128, 64);
const TEST_MARK_COLOR: Color = Color::Rgb(200, 30, 30);

struct Column {
    weight: usize,
    alignment: Alignment,
    /// Holds a figure, which must stay on one line.
    figure: bool,
}

const fn column(weight: usize, alignment: Alignment, figure: bool) -> Column {
    Column { weight, alignment, figure }
}

const LINE_COLUMNS: [Column; 7] = [
    column(28, Alignment::Left, false),
    column(8, Alignment::Right, true),
    column(14, Alignment::Right, true),
    column(8, Alignment::Right, true),
    column(14, Alignment::Right, true),
    column(13, Alignment::Right, true),
    column(15, Alignment::Right, true),
];

/// Label column and value column of the totals block.
const TOTALS_WEIGHTS: [usize; 2] = [68, 32];

/// The words of the layout itself; core sends them in the document's language, and an empty
/// one falls back to English.
struct Words<'a> {
    number: &'a str,
    issue_date: &'a str,
    currency: &'a str,
    seller: &'a str,
    buyer: &'a str,
    vat_id: &'a str,
    headers: [&'a str; 7],
    page: &'a str,
}

impl<'a> Words<'a> {
    fn new(labels: Option<&'a Labels>, kind: DocumentKind) -> Self {
        static NONE: Labels = Labels {
            number: String::new(),
            issue_date: String::new(),
            currency: String::new(),
            seller: String::new(),
            buyer: String::new(),
            vat_id: String::new(),
            description: String::new(),
            quantity: String::new(),
            unit_price: String::new(),
            tax_rate: String::new(),
            net: String::new(),
            tax: String::new(),
            gross: String::new(),
            page: String::new(),
        };
        let labels = labels.unwrap_or(&NONE);
        let or = |value: &'a str, fallback: &'static str| -> &'a str {
            if value.trim().is_empty() { fallback } else { value }
        };
        let number = match kind {
            DocumentKind::CreditNote => "Credit note number",
            DocumentKind::Invoice | DocumentKind::Unspecified => "Invoice number",
        };
        Words {
            number: or(&labels.number, number),
            issue_date: or(&labels.issue_date, "Issue date"),
            currency: or(&labels.currency, "Currency"),
            seller: or(&labels.seller, "Seller"),
            buyer: or(&labels.buyer, "Buyer"),
            vat_id: or(&labels.vat_id, "VAT ID"),
            headers: [
                or(&labels.description, "Description"),
                or(&labels.quantity, "Qty"),
                or(&labels.unit_price, "Unit price"),
                or(&labels.tax_rate, "Tax rate"),
                or(&labels.net, "Net"),
                or(&labels.tax, "Tax"),
                or(&labels.gross, "Gross"),
            ],
            page: or(&labels.page, "page"),
        }
    }
}

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

/// Every string of `document` the layout may print.
fn all_text(document: &Document) -> Vec<&str> {
    let mut texts =
        vec![document.title.as_str(), &document.number, &document.issue_date, &document.currency, &document.test_mark];
    for party in [&document.seller, &document.buyer].into_iter().flatten() {
        texts.extend([party.name.as_str(), &party.vat_id, &party.email]);
        texts.extend(party.address_lines.iter().chain(&party.details).map(String::as_str));
    }
    for line in &document.lines {
        texts.extend([
            line.description.as_str(),
            &line.quantity,
            &line.unit_price,
            &line.tax_rate,
            &line.net,
            &line.tax,
            &line.gross,
        ]);
    }
    for row in document.totals.iter().chain(&document.details) {
        texts.extend([row.label.as_str(), &row.value]);
    }
    texts.extend(document.notes.iter().map(String::as_str));
    if let Some(stamp) = &document.stamp {
        texts.extend([stamp.text.as_str(), &stamp.detail]);
    }
    if let Some(labels) = &document.labels {
        texts.extend([
            labels.number.as_str(),
            &labels.issue_date,
            &labels.currency,
            &labels.seller,
            &labels.buyer,
            &labels.vat_id,
            &labels.description,
            &labels.quantity,
            &labels.unit_price,
            &labels.tax_rate,
            &labels.net,
            &labels.tax,
            &labels.gross,
            &labels.page,
        ]);
    }
    texts
}

fn lay_out(document: &Document, kind: DocumentKind) -> Result<Vec<u8>, PdfError> {
    let words = Words::new(document.labels.as_ref(), kind);
    let prepared: Vec<String> = all_text(document).into_iter().map(plain).collect();
    let plan = FontPlan::for_text(prepared.iter().map(String::as_str));

    let mut pdf = genpdf::Document::new(plan.family(Script::Latin)?);
    let mut families = HashMap::new();
    for script in plan.fallbacks() {
        families.insert(script, plan.add_family(&mut pdf, script)?);
    }
    pdf.set_title(plain(&format!("{} {}", document.title, document.number)));
    // Skips the ICC profile and XMP metadata that PDF/A would need: they only add size here.
    pdf.set_minimal_conformance();
    pdf.set_font_size(BODY_SIZE);

    let (body, running_header) = {
        let layout = Layout { fonts: pdf.font_cache(), families: &families, words: &words };
        let running_header =
            layout.fit(&format!("{} {}", words.number, document.number), caption_style(), CONTENT_WIDTH_MM * 0.7);
        (layout.document(document)?, running_header)
    };

    let mut decorator = SimplePageDecorator::new();
    decorator.set_margins(Margins::all(MARGIN_MM));
    let test_mark = plain(&document.test_mark);
    let page_word = plain(words.page);
    let header_families = families.clone();
    // Marks every page of a test document, and repeats the document number on continuation
    // pages so loose pages can be matched up.
    decorator.set_header(move |page| {
        let mut header = LinearLayout::vertical();
        if !test_mark.trim().is_empty() {
            let style = Style::new().with_font_size(BODY_SIZE).bold().with_color(TEST_MARK_COLOR);
            header.push(paragraph(&test_mark, style, &header_families).aligned(Alignment::Center).styled(style));
            header.push(Break::new(0.5));
        }
        if page > 1 {
            let text = format!("{running_header} · {page_word} {page}");
            header.push(
                paragraph(&text, caption_style(), &header_families).aligned(Alignment::Right).styled(caption_style()),
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

fn caption_style() -> Style {
    Style::new().with_font_size(CAPTION_SIZE).with_color(Color::Greyscale(90))
}

/// Prepares text for printing: control characters, which no font has glyphs for, become
/// spaces, and right-to-left text is shaped and put in visual order.
fn plain(text: &str) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    visual(&text)
}

/// `text` (already prepared) as runs of one script each, each run in its script's font.
fn runs(text: &str, style: Style, families: &HashMap<Script, FontFamily<Font>>) -> Vec<StyledString> {
    let styled = |script: Script| match families.get(&script) {
        Some(family) => style.with_font_family(*family),
        None => style,
    };
    let mut runs: Vec<(Script, String)> = Vec::new();
    for c in text.chars() {
        // Spaces join the run they are in, so a line of one script stays one run.
        let script = if c == ' ' { runs.last().map_or(Script::Latin, |run| run.0) } else { script_of(c) };
        match runs.last_mut() {
            Some((current, run)) if *current == script => run.push(c),
            _ => runs.push((script, c.to_string())),
        }
    }
    runs.into_iter().map(|(script, run)| StyledString::new(run, styled(script))).collect()
}

fn paragraph(text: &str, style: Style, families: &HashMap<Script, FontFamily<Font>>) -> Paragraph {
    let mut paragraph = Paragraph::default();
    for run in runs(text, style, families) {
        paragraph.push(run);
    }
    paragraph
}

type Text = StyledElement<Paragraph>;
type Cell = PaddedElement<Text>;

/// Builds the element tree; holds the document's font cache to measure text with.
struct Layout<'a> {
    fonts: &'a FontCache,
    families: &'a HashMap<Script, FontFamily<Font>>,
    words: &'a Words<'a>,
}

impl Layout<'_> {
    fn document(&self, document: &Document) -> Result<LinearLayout, PdfError> {
        let body_style = Style::new().with_font_size(BODY_SIZE);
        let mut page = LinearLayout::vertical();

        page.push(self.heading(document, body_style)?);
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

    /// The title and the document's identifying rows on the left, the stamp (if any) on the
    /// right.
    fn heading(&self, document: &Document, body_style: Style) -> Result<TableLayout, PdfError> {
        let stamp = document.stamp.as_ref().filter(|stamp| !stamp.text.trim().is_empty());
        let weights = if stamp.is_some() { vec![62, 38] } else { vec![1] };
        let total: usize = weights.iter().sum();
        let left_width = CONTENT_WIDTH_MM * weights[0] as f64 / total as f64;

        let mut left = LinearLayout::vertical();
        left.push(self.text(
            &document.title,
            Style::new().with_font_size(TITLE_SIZE).bold(),
            left_width,
            Alignment::Left,
        ));
        left.push(Break::new(0.5));
        left.push(self.labelled(self.words.number, &document.number, body_style, left_width));
        left.push(self.labelled(self.words.issue_date, &document.issue_date, body_style, left_width));
        for row in &document.details {
            left.push(self.labelled(&row.label, &row.value, body_style, left_width));
        }
        if !document.currency.trim().is_empty() {
            left.push(self.labelled(self.words.currency, &document.currency, body_style, left_width));
        }

        let mut table = TableLayout::new(weights);
        let mut row = table.row().element(left);
        if let Some(stamp) = stamp {
            row = row.element(self.stamp(stamp, CONTENT_WIDTH_MM - left_width));
        }
        row.push().map_err(PdfError::from_genpdf)?;
        Ok(table)
    }

    fn stamp(&self, stamp: &Stamp, width: f64) -> LinearLayout {
        let mut block = LinearLayout::vertical();
        let style = Style::new().with_font_size(STAMP_SIZE).bold().with_color(STAMP_COLOR);
        block.push(self.text(&stamp.text, style, width, Alignment::Right));
        if !stamp.detail.trim().is_empty() {
            let detail = Style::new().with_font_size(BODY_SIZE).with_color(STAMP_COLOR);
            block.push(self.text(&stamp.detail, detail, width, Alignment::Right));
        }
        block
    }

    /// A bold label followed by its value on one line, wrapped if it must be.
    fn labelled(&self, label: &str, value: &str, style: Style, width: f64) -> Text {
        let label = plain(&format!("{label}: "));
        let label_style = style.bold();
        let value_width = width - mm(self.str_width(&label, label_style));
        let mut paragraph = paragraph(&label, label_style, self.families);
        for run in runs(&self.fit(value, style, value_width), style, self.families) {
            paragraph.push(run);
        }
        paragraph.styled(style)
    }

    fn parties(&self, seller: Option<&Party>, buyer: Option<&Party>) -> Result<TableLayout, PdfError> {
        let width = CONTENT_WIDTH_MM / 2.0 - PARTY_GAP_MM;
        let block = |heading: &str, party: Option<&Party>| {
            PaddedElement::new(self.party(heading, party, width), Margins::trbl(0, PARTY_GAP_MM, 0, 0))
        };
        let mut table = TableLayout::new(vec![1, 1]);
        table
            .row()
            .element(block(self.words.seller, seller))
            .element(block(self.words.buyer, buyer))
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
            push(&format!("{}: {}", self.words.vat_id, party.vat_id), style);
        }
        push(&party.email, style);
        for line in &party.details {
            push(line, caption_style());
        }
        block
    }

    fn lines(&self, lines: &[Line]) -> Result<TableLayout, PdfError> {
        let total_weight: usize = LINE_COLUMNS.iter().map(|column| column.weight).sum();
        let widths = LINE_COLUMNS
            .map(|column| CONTENT_WIDTH_MM * column.weight as f64 / total_weight as f64 - 2.0 * CELL_PADDING_MM);
        let style = Style::new().with_font_size(TABLE_SIZE);

        let mut table = TableLayout::new(LINE_COLUMNS.iter().map(|column| column.weight).collect());
        table.set_cell_decorator(FrameCellDecorator::new(true, true, true));
        self.row(&mut table, &self.words.headers, &widths, style.bold(), false)?;
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
            self.row(&mut table, &cells, &widths, style, true)?;
        }
        Ok(table)
    }

    fn row(
        &self,
        table: &mut TableLayout,
        cells: &[&str; 7],
        widths: &[f64; 7],
        style: Style,
        figures: bool,
    ) -> Result<(), PdfError> {
        let mut row = table.row();
        for ((text, width), column) in cells.iter().zip(widths).zip(&LINE_COLUMNS) {
            let cell = if !figures {
                self.header_cell(text, style, *width, column.alignment)
            } else if column.figure {
                self.figure_cell(text, style, *width, column.alignment)
            } else {
                self.cell(text, style, *width, column.alignment)
            };
            row.push_element(cell);
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
            if i + 1 == totals.len() {
                style.set_bold();
            }
            table
                .row()
                .element(self.cell(&total.label, style, label_width, Alignment::Right))
                .element(self.figure_cell(&total.value, style, value_width, Alignment::Right))
                .push()
                .map_err(PdfError::from_genpdf)?;
        }
        Ok(table)
    }

    fn cell(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Cell {
        self.text(text, style, width, alignment).padded(Margins::all(CELL_PADDING_MM))
    }

    /// A cell holding a figure, which never wraps: a figure too wide for its column is set
    /// smaller until it fits on one line. Only one that does not fit even at the smallest size
    /// (no real amount is that long) is split.
    fn figure_cell(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Cell {
        let prepared = plain(text);
        self.cell(text, self.shrunk(&[prepared.as_str()], style, width), width, alignment)
    }

    /// A column header, whose words may wrap but are never split: a word too wide for its
    /// column makes the header smaller.
    fn header_cell(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Cell {
        let prepared = plain(text);
        let words: Vec<&str> = prepared.split(' ').collect();
        self.cell(text, self.shrunk(&words, style, width), width, alignment)
    }

    /// `style`, made smaller (down to [`MIN_FIGURE_SIZE`]) until each of `pieces` fits in
    /// `width` on its own.
    fn shrunk(&self, pieces: &[&str], style: Style, width: f64) -> Style {
        let max = Mm::from(width * FILL_RATIO);
        // `fit` splits what is wider than this: genpdf measures a word with its trailing space.
        let too_wide = |style: Style| {
            let space = style.char_width(self.fonts, ' ');
            pieces.iter().any(|piece| self.str_width(piece, style) + space > max)
        };
        let mut style = style;
        while style.font_size() > MIN_FIGURE_SIZE && too_wide(style) {
            style = style.with_font_size(style.font_size() - 1);
        }
        style
    }

    fn text(&self, text: &str, style: Style, width: f64, alignment: Alignment) -> Text {
        // The paragraph's own style sets its line height; the string styles alone would not.
        paragraph(&self.fit(text, style, width), style, self.families).aligned(alignment).styled(style)
    }

    /// `c`'s width in `style`, set in the font of its script.
    fn char_width(&self, c: char, style: Style) -> Mm {
        let style = match self.families.get(&script_of(c)) {
            Some(family) if c != ' ' => style.with_font_family(*family),
            _ => style,
        };
        style.char_width(self.fonts, c)
    }

    fn str_width(&self, text: &str, style: Style) -> Mm {
        text.chars().fold(Mm::default(), |width, c| width + self.char_width(c, style))
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
            if self.str_width(word, style) + space <= max {
                fitted.push_str(word);
                continue;
            }
            let mut piece = Mm::default();
            for c in word.chars() {
                let width = self.char_width(c, style);
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
        let plan = FontPlan::for_text(["X"]);
        let mut pdf = genpdf::Document::new(plan.family(Script::Latin).expect("embedded fonts load"));
        pdf.set_font_size(BODY_SIZE);
        let families = HashMap::new();
        let words = Words::new(None, DocumentKind::Invoice);
        let layout = Layout { fonts: pdf.font_cache(), families: &families, words: &words };
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

    #[test]
    fn runs_change_font_where_the_script_changes() {
        let families = HashMap::new();
        let style = Style::new();
        let texts: Vec<String> = runs("Acme 株式会社 Tokyo", style, &families).into_iter().map(|run| run.s).collect();
        assert_eq!(texts, ["Acme ", "株式会社 ", "Tokyo"]);
    }
}
