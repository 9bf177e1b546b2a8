mod common;

use std::io::Write as _;
use std::process::Command;

use common::sample_invoice;
use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Labels, Line, TotalRow};
use paygate_pdf_worker::{PdfError, limits, render};
use tonic::Code;

/// Extracts the text of `pdf` with poppler's pdftotext, keeping the physical layout so that a
/// table row reads as one line. The assertions on content are the point of these tests, so a
/// machine without pdftotext fails them instead of skipping.
fn pdf_text(pdf: &[u8]) -> String {
    pdftotext(pdf, &["-layout"])
}

/// Extracts the text of `pdf` in reading order: each table cell as one block.
fn pdf_text_by_block(pdf: &[u8]) -> String {
    pdftotext(pdf, &["-raw"])
}

fn pdftotext(pdf: &[u8], mode: &[&str]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("create a temporary file");
    file.write_all(pdf).expect("write the PDF");
    let output = Command::new("pdftotext")
        .args(mode)
        .args(["-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("run pdftotext (Debian package poppler-utils; scripts/test.sh installs it)");
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("pdftotext prints UTF-8")
}

/// pdftotext ends every page with a form feed.
fn page_count(text: &str) -> usize {
    text.matches('\u{c}').count()
}

fn assert_contains(text: &str, expected: &[&str]) {
    for needle in expected {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

fn line(description: &str) -> Line {
    Line {
        description: description.into(),
        quantity: "1".into(),
        unit_price: "€1.00".into(),
        tax_rate: "19%".into(),
        net: "€1.00".into(),
        tax: "€0.19".into(),
        gross: "€1.19".into(),
    }
}

#[test]
fn renders_an_invoice_with_every_part_readable() {
    let pdf = render(&sample_invoice()).expect("render the sample invoice");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    eprintln!("one-page invoice: {} bytes", pdf.len());

    let text = pdf_text(&pdf);
    assert_eq!(page_count(&text), 1, "{text}");
    assert_contains(
        &text,
        &[
            "Invoice",
            "Invoice number: INV-2025-000042",
            "Issue date: 2025-11-21",
            "Currency: EUR",
            "Zahlwerk Müller GmbH",
            "Hauptstraße 5",
            "VAT ID: DE123456789",
            "billing@zahlwerk.example",
            "Acme Fabrication SARL",
            "75002 Paris",
            "VAT ID: FR40303265045",
            "accounts@acme.example",
            // The description column is narrow: the rest of this one wraps to the next line.
            "Paygate Pro subscription,",
            "Unit price",
            "1250",
            "€312.50",
            "Net total",
            "Amount due",
            "€511.50",
            "Payable within 14 days.",
        ],
    );
}

#[test]
fn credit_notes_say_so() {
    let mut document = sample_invoice();
    document.kind = DocumentKind::CreditNote.into();
    document.title = "Credit note".into();
    document.number = "CN-2025-000007".into();
    let text = pdf_text(&render(&document).expect("render a credit note"));
    assert_contains(&text, &["Credit note", "Credit note number: CN-2025-000007"]);
}

#[test]
fn long_documents_flow_onto_numbered_pages() {
    let mut document = sample_invoice();
    document.lines = (1..=limits::MAX_LINES).map(|i| line(&format!("Item number {i}"))).collect();
    let text = pdf_text(&render(&document).expect("render the longest document allowed"));
    assert!(page_count(&text) > 5, "{} pages", page_count(&text));
    assert_contains(
        &text,
        &["Item number 1 ", "Item number 500", "Invoice number INV-2025-000042 · page 2", "Amount due"],
    );
}

#[test]
fn words_wider_than_their_column_are_split_not_lost() {
    let word = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(12);
    let mut document = sample_invoice();
    document.lines[0].description = format!("Licence key {word} issued");
    document.lines[0].gross = "9".repeat(limits::MAX_SHORT_CHARS);
    let mailbox = "abcdefghijklmnopqrstuvwxyz".repeat(6);
    document.seller.as_mut().expect("sample has a seller").email = format!("{mailbox}@example.com");

    let text: String =
        pdf_text_by_block(&render(&document).expect("render")).chars().filter(|c| !c.is_whitespace()).collect();
    assert_contains(
        &text,
        &[&format!("Licencekey{word}issued"), &"9".repeat(limits::MAX_SHORT_CHARS), &format!("{mailbox}@example.com")],
    );
}

#[test]
fn buyer_currency_and_notes_are_optional() {
    let mut document = sample_invoice();
    document.buyer = None;
    document.currency.clear();
    document.totals.clear();
    document.notes.clear();
    let text = pdf_text(&render(&document).expect("render a minimal document"));
    assert_contains(&text, &["INV-2025-000042", "Zahlwerk Müller GmbH", "Buyer"]);
    assert!(!text.contains("Currency"), "{text}");
}

/// Turns a valid document into a malformed one.
type Breakage<'a> = Box<dyn Fn(&mut Document) + 'a>;

#[test]
fn malformed_documents_are_rejected_with_the_offending_field() {
    let too_long = "x".repeat(limits::MAX_TEXT_CHARS + 1);
    let too_long_figure = "1".repeat(limits::MAX_SHORT_CHARS + 1);
    let cases: Vec<(&str, Breakage)> = vec![
        ("kind", Box::new(|d| d.kind = DocumentKind::Unspecified.into())),
        ("kind", Box::new(|d| d.kind = 42)),
        ("title", Box::new(|d| d.title.clear())),
        ("number", Box::new(|d| d.number = "   ".into())),
        ("issue_date", Box::new(|d| d.issue_date.clear())),
        ("seller", Box::new(|d| d.seller = None)),
        ("seller.name", Box::new(|d| d.seller.as_mut().expect("seller").name.clear())),
        ("lines", Box::new(|d| d.lines.clear())),
        ("lines", Box::new(|d| d.lines = vec![line("item"); limits::MAX_LINES + 1])),
        ("lines[1].description", Box::new(|d| d.lines[1].description.clear())),
        ("lines[0].description", Box::new(|d| d.lines[0].description = too_long.clone())),
        ("lines[1].net", Box::new(|d| d.lines[1].net = too_long_figure.clone())),
        ("buyer.address_lines[2]", Box::new(|d| d.buyer.as_mut().expect("buyer").address_lines[2] = too_long.clone())),
        (
            "buyer.address_lines",
            Box::new(|d| {
                d.buyer.as_mut().expect("buyer").address_lines = vec!["line".into(); limits::MAX_ADDRESS_LINES + 1];
            }),
        ),
        ("totals[0].value", Box::new(|d| d.totals[0].value.clear())),
        (
            "totals",
            Box::new(|d| {
                d.totals = vec![TotalRow { label: "Total".into(), value: "€1".into() }; limits::MAX_TOTALS + 1];
            }),
        ),
        ("notes[1]", Box::new(|d| d.notes[1] = too_long.clone())),
        ("details[0].value", Box::new(|d| d.details[0].value.clear())),
        (
            "details",
            Box::new(|d| {
                d.details = vec![TotalRow { label: "Date".into(), value: "today".into() }; limits::MAX_DETAILS + 1];
            }),
        ),
        (
            "labels.unit_price",
            Box::new(|d| d.labels = Some(Labels { unit_price: too_long_figure.clone(), ..Labels::default() })),
        ),
        ("stamp.detail", Box::new(|d| d.stamp.as_mut().expect("stamp").detail = too_long_figure.clone())),
        ("test_mark", Box::new(|d| d.test_mark = too_long.clone())),
        ("seller.details[1]", Box::new(|d| d.seller.as_mut().expect("seller").details[1] = too_long.clone())),
        (
            "seller.details",
            Box::new(|d| d.seller.as_mut().expect("seller").details = vec!["x".into(); limits::MAX_ADDRESS_LINES + 1]),
        ),
        (
            "document",
            Box::new(|d| {
                d.lines = vec![line(&"y".repeat(limits::MAX_TEXT_CHARS)); limits::MAX_LINES];
            }),
        ),
    ];

    for (expected_field, break_it) in cases {
        let mut document = sample_invoice();
        break_it(&mut document);
        let err = render(&document).expect_err(expected_field);
        match &err {
            PdfError::InvalidDocument { field, .. } => assert_eq!(field, expected_field, "{err}"),
            other => panic!("{expected_field}: expected InvalidDocument, got {other:?}"),
        }
        let status = tonic::Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(expected_field), "{status:?}");
    }
}

#[test]
fn render_failures_hide_their_detail_from_callers() {
    let status = tonic::Status::from(PdfError::Render("lopdf: object 7 missing".into()));
    assert_eq!(status.code(), Code::Internal);
    assert!(!status.message().contains("lopdf"), "{status:?}");
}

#[test]
fn hostile_text_renders_without_panicking() {
    let hostile = [
        String::new(),
        " ".repeat(limits::MAX_SHORT_CHARS),
        "line\nbreak\ttab\r\u{0}nul\u{1b}[31m escape".into(),
        "emoji 🧾💶 and CJK 請求書 and Arabic فاتورة".into(),
        "combining e\u{301}\u{301}\u{301} zero\u{200b}width \u{feff}bom \u{202e}rtl".into(),
        "(unbalanced) \\ backslash %PDF %%EOF endobj".into(),
        "W".repeat(limits::MAX_SHORT_CHARS),
        "\u{10ffff}\u{fffd}".repeat(limits::MAX_SHORT_CHARS / 2),
    ];
    for text in &hostile {
        let mut document = sample_invoice();
        let figure = |s: &String| s.chars().take(limits::MAX_SHORT_CHARS).collect::<String>();
        document.title = format!("Invoice {text}");
        document.number = format!("N{}", figure(text).chars().skip(1).collect::<String>());
        document.currency = figure(text);
        let seller = document.seller.as_mut().expect("seller");
        seller.name = format!("Seller {text}");
        seller.address_lines.push(text.clone());
        seller.vat_id = figure(text);
        let buyer = document.buyer.as_mut().expect("buyer");
        buyer.name = text.clone();
        buyer.email = figure(text);
        document.lines.push(Line {
            description: format!("D{text}"),
            quantity: figure(text),
            unit_price: figure(text),
            tax_rate: figure(text),
            net: figure(text),
            tax: figure(text),
            gross: figure(text),
        });
        document.notes.push(text.clone());

        let pdf = render(&document).unwrap_or_else(|err| panic!("{text:?}: {err}"));
        assert!(pdf.starts_with(b"%PDF"), "{text:?}");
    }
}

/// The fonts embedded in `pdf`, as poppler's pdffonts lists them (one line each).
fn embedded_fonts(pdf: &[u8]) -> Vec<String> {
    let mut file = tempfile::NamedTempFile::new().expect("create a temporary file");
    file.write_all(pdf).expect("write the PDF");
    let output = Command::new("pdffonts").arg(file.path()).output().expect("run pdffonts (poppler-utils)");
    assert!(output.status.success(), "pdffonts failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(2)
        .filter(|line| line.contains("CID TrueType"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_legally_required_details_the_paid_stamp_and_seller_details_are_printed() {
    let text = pdf_text(&render(&sample_invoice()).expect("render"));
    assert_contains(
        &text,
        &[
            "Date of supply: 2025-11-20",
            "PAID",
            "21 November 2025 · Card •••• 4242",
            "+49 30 1234567 · zahlwerk.example",
            "Amtsgericht Berlin-Charlottenburg HRB 123456",
            "Qty",
            "Tax rate",
        ],
    );
}

fn german(document: &mut Document) {
    document.title = "Rechnung".into();
    document.labels = Some(Labels {
        number: "Rechnungsnummer".into(),
        issue_date: "Rechnungsdatum".into(),
        currency: "Währung".into(),
        seller: "Verkäufer".into(),
        buyer: "Käufer".into(),
        vat_id: "USt-IdNr.".into(),
        description: "Beschreibung".into(),
        quantity: "Menge".into(),
        unit_price: "Einzelpreis".into(),
        tax_rate: "USt-Satz".into(),
        net: "Netto".into(),
        tax: "USt".into(),
        gross: "Brutto".into(),
        page: "Seite".into(),
    });
}

#[test]
fn every_word_of_the_layout_comes_from_the_document() {
    let mut document = sample_invoice();
    german(&mut document);
    document.lines = (1..=80).map(|i| line(&format!("Posten {i}"))).collect();
    let text = pdf_text(&render(&document).expect("render"));
    assert_contains(
        &text,
        &[
            "Rechnungsnummer: INV-2025-000042",
            "Rechnungsdatum: 2025-11-21",
            "Währung: EUR",
            "Verkäufer",
            "Käufer",
            "USt-IdNr.: DE123456789",
            "Beschreibung",
            "Einzelpreis",
            "Brutto",
            "Rechnungsnummer INV-2025-000042 · Seite 2",
        ],
    );
    for english in ["Invoice number", "Issue date", "Seller", "Buyer", "VAT ID", "Unit price", "page 2"] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }
}

#[test]
fn test_documents_are_marked_on_every_page() {
    let mut document = sample_invoice();
    document.test_mark = "TEST MODE · not a valid invoice".into();
    document.lines = (1..=80).map(|i| line(&format!("Item {i}"))).collect();
    let text = pdf_text(&render(&document).expect("render"));
    let pages = page_count(&text);
    assert!(pages >= 2, "{pages} pages");
    assert_eq!(text.matches("TEST MODE · not a valid invoice").count(), pages, "{text}");
    let unmarked = pdf_text(&render(&sample_invoice()).expect("render"));
    assert!(!unmarked.contains("TEST"), "{unmarked}");
}

const CJK_NAME: &str = "株式会社テスト商事";
const CJK_ADDRESS: &str = "東京都千代田区丸の内一丁目";
const KOREAN_NAME: &str = "주식회사 한국결제";
const CHINESE_LINE: &str = "软件订阅服务";
const ARABIC_NAME: &str = "شركة الاختبار";

fn multilingual() -> Document {
    let mut document = sample_invoice();
    let buyer = document.buyer.as_mut().expect("buyer");
    buyer.name = CJK_NAME.into();
    buyer.address_lines = vec![CJK_ADDRESS.into(), KOREAN_NAME.into(), ARABIC_NAME.into()];
    document.lines[0].description = CHINESE_LINE.into();
    document
}

#[test]
fn chinese_japanese_and_korean_text_comes_out_as_the_same_characters() {
    let pdf = render(&multilingual()).expect("render");
    let text = pdf_text(&pdf);
    assert_contains(&text, &[CJK_NAME, CJK_ADDRESS, KOREAN_NAME, CHINESE_LINE]);
    // Noto Sans regular and bold, plus the fallback faces the text needs (Droid Sans Fallback
    // has one weight; NanumSquare and Noto Sans Arabic two), each embedded as a subset: no
    // character is left to a font without its glyph.
    let fonts = embedded_fonts(&pdf);
    assert_eq!(fonts.len(), 2 + 1 + 2 + 2, "{fonts:#?}");
    assert!(fonts.iter().all(|font| font.contains("Identity-H       yes")), "embedded: {fonts:#?}");
    let latin_only = embedded_fonts(&render(&sample_invoice()).expect("render"));
    assert_eq!(latin_only.len(), 2, "{latin_only:#?}");
}

#[test]
fn arabic_is_printed_shaped_in_its_own_font() {
    let mut document = sample_invoice();
    document.buyer.as_mut().expect("buyer").name = ARABIC_NAME.into();
    let pdf = render(&document).expect("render");
    assert_eq!(embedded_fonts(&pdf).len(), 2 + 2, "Noto Sans Arabic regular and bold");
    // The PDF holds the letters in their joined forms (Arabic presentation forms), in visual
    // order; a reader puts them back in logical order.
    let shaped = ar_reshaper::reshape_line(ARABIC_NAME);
    assert_ne!(shaped, ARABIC_NAME);
    assert_contains(&pdf_text(&pdf), &[&shaped]);
}

#[test]
fn figures_stay_on_one_line_in_their_cells() {
    let big = "1.234.567,89 €";
    let biggest = "10.000.000.000,00 €";
    let mut document = sample_invoice();
    for line in &mut document.lines {
        line.quantity = "1.000.000".into();
        line.unit_price = biggest.into();
        line.tax_rate = "19,25 %".into();
        line.net = big.into();
        line.tax = big.into();
        line.gross = big.into();
    }
    document.totals[2].value = biggest.into();
    let text = pdf_text(&render(&document).expect("render"));
    let whole = |figure: &str| text.lines().map(|line| line.matches(figure).count()).sum::<usize>();
    assert_eq!(whole(biggest), 3, "{text}");
    assert_eq!(whole(big), 6, "{text}");
    assert_eq!(whole("1.000.000"), 2, "{text}");
    assert_eq!(whole("19,25 %"), 2, "{text}");
}

#[test]
fn a_one_page_invoice_embeds_only_the_glyphs_it_uses() {
    for (name, document) in [("Latin", sample_invoice()), ("with CJK, Korean and Arabic", multilingual())] {
        let pdf = render(&document).expect("render");
        eprintln!("one-page invoice, {name}: {} bytes", pdf.len());
        assert_eq!(page_count(&pdf_text(&pdf)), 1);
        assert!(pdf.len() < 100 * 1024, "{name}: {} bytes", pdf.len());
    }
}
