mod common;

use std::io::Write as _;
use std::process::Command;

use common::sample_invoice;
use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Line, TotalRow};
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
            "Paygate Pro subscription, November",
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
