//! Turns an issued invoice or credit note into the PDF worker's document:
//! every figure formatted and every word chosen here, in the document's
//! language, so the worker only lays out text.
//!
//! What Article 226 of Council Directive 2006/112/EC asks of an invoice, and
//! where it is printed: the issue date and sequential number (heading), the
//! date of supply (heading), the seller's and buyer's full names and
//! addresses (parties), the seller's VAT ID and the buyer's where it
//! reverse-charges (parties), quantity and nature of the service (lines), the
//! unit price exclusive of VAT and the rate (lines), the taxable amount and
//! VAT per rate (totals), and the reverse-charge or exemption wording
//! (notes, written when the document is issued). A credit note names the
//! invoice it corrects (heading and notes).

use paygate_contract::proto::pdf::v1 as pdf;

use super::{
    Core,
    checkouts::Address,
    invoices::{DocumentKind, Party, PaymentKind, TaxDocument},
    locale::Language,
};
use crate::error::{CoreError, CoreResult};

/// PDFs of long documents exceed tonic's 4 MiB default.
const MAX_PDF_BYTES: usize = 32 * 1024 * 1024;

/// The words of a document in one language.
struct Words {
    invoice: &'static str,
    credit_note: &'static str,
    invoice_number: &'static str,
    credit_note_number: &'static str,
    issue_date: &'static str,
    date_of_supply: &'static str,
    corrected_invoice: &'static str,
    currency: &'static str,
    seller: &'static str,
    buyer: &'static str,
    vat_id: &'static str,
    description: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
    tax_rate: &'static str,
    net: &'static str,
    tax: &'static str,
    gross: &'static str,
    page: &'static str,
    net_at: &'static str,
    tax_at: &'static str,
    total_net: &'static str,
    total_tax: &'static str,
    total: &'static str,
    paid: &'static str,
    refunded: &'static str,
    card: &'static str,
    sepa_debit: &'static str,
    direct_debit: &'static str,
    upi: &'static str,
    payment: &'static str,
    transaction: &'static str,
    register: &'static str,
    test_mark: &'static str,
}

const EN: Words = Words {
    invoice: "Invoice",
    credit_note: "Credit note",
    invoice_number: "Invoice number",
    credit_note_number: "Credit note number",
    issue_date: "Issue date",
    date_of_supply: "Date of supply",
    corrected_invoice: "Corrected invoice",
    currency: "Currency",
    seller: "Seller",
    buyer: "Buyer",
    vat_id: "VAT ID",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price (net)",
    tax_rate: "VAT rate",
    net: "Net",
    tax: "VAT",
    gross: "Gross",
    page: "page",
    net_at: "Net at",
    tax_at: "VAT at",
    total_net: "Total net",
    total_tax: "Total VAT",
    total: "Total",
    paid: "PAID",
    refunded: "REFUNDED",
    card: "Card",
    sepa_debit: "SEPA Direct Debit",
    direct_debit: "Direct Debit",
    upi: "UPI",
    payment: "Payment",
    transaction: "Transaction",
    register: "Company register",
    test_mark: "TEST MODE · not a valid tax document",
};

const DE: Words = Words {
    invoice: "Rechnung",
    credit_note: "Rechnungskorrektur",
    invoice_number: "Rechnungsnummer",
    credit_note_number: "Korrekturnummer",
    issue_date: "Rechnungsdatum",
    date_of_supply: "Leistungsdatum",
    corrected_invoice: "Berichtigte Rechnung",
    currency: "Währung",
    seller: "Rechnungssteller",
    buyer: "Rechnungsempfänger",
    vat_id: "USt-IdNr.",
    description: "Beschreibung",
    quantity: "Menge",
    unit_price: "Einzelpreis netto",
    tax_rate: "USt-Satz",
    net: "Netto",
    tax: "USt",
    gross: "Brutto",
    page: "Seite",
    net_at: "Nettobetrag zu",
    tax_at: "Umsatzsteuer zu",
    total_net: "Summe netto",
    total_tax: "Summe Umsatzsteuer",
    total: "Gesamtbetrag",
    paid: "BEZAHLT",
    refunded: "ERSTATTET",
    card: "Karte",
    sepa_debit: "SEPA-Lastschrift",
    direct_debit: "Lastschrift",
    upi: "UPI",
    payment: "Zahlung",
    transaction: "Transaktion",
    register: "Handelsregister",
    test_mark: "TESTMODUS · kein gültiger Steuerbeleg",
};

const FR: Words = Words {
    invoice: "Facture",
    credit_note: "Avoir",
    invoice_number: "Numéro de facture",
    credit_note_number: "Numéro d'avoir",
    issue_date: "Date d'émission",
    date_of_supply: "Date de la prestation",
    corrected_invoice: "Facture rectifiée",
    currency: "Devise",
    seller: "Vendeur",
    buyer: "Client",
    vat_id: "N° TVA",
    description: "Désignation",
    quantity: "Qté",
    unit_price: "Prix unitaire HT",
    tax_rate: "Taux TVA",
    net: "Montant HT",
    tax: "TVA",
    gross: "Montant TTC",
    page: "page",
    net_at: "Total HT à",
    tax_at: "TVA à",
    total_net: "Total HT",
    total_tax: "Total TVA",
    total: "Total TTC",
    paid: "PAYÉE",
    refunded: "REMBOURSÉ",
    card: "Carte bancaire",
    sepa_debit: "Prélèvement SEPA",
    direct_debit: "Prélèvement",
    upi: "UPI",
    payment: "Paiement",
    transaction: "Transaction",
    register: "Immatriculation",
    test_mark: "MODE TEST · document sans valeur fiscale",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
    }
}

fn address_lines(address: Option<&Address>, language: Language) -> Vec<String> {
    let Some(a) = address else { return Vec::new() };
    let city = [a.postal_code.as_str(), a.city.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let country = if a.country.is_empty() { String::new() } else { language.country_name(&a.country) };
    [a.line1.clone(), a.line2.clone(), city, a.region.clone(), country]
        .into_iter()
        .filter(|line| !line.is_empty())
        .collect()
}

fn party(p: &Party, language: Language) -> pdf::Party {
    let words = words(language);
    let contact = [p.phone.as_str(), p.website.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
    let mut details = Vec::new();
    if !contact.is_empty() {
        details.push(contact.join(" · "));
    }
    if !p.registration_number.is_empty() {
        details.push(format!("{}: {}", words.register, p.registration_number));
    }
    if !p.register_court.is_empty() {
        details.push(p.register_court.clone());
    }
    pdf::Party {
        name: p.name.clone(),
        address_lines: address_lines(p.address.as_ref(), language),
        vat_id: p.vat_id.clone(),
        email: p.email.clone(),
        details,
    }
}

fn payment_method(kind: PaymentKind, words: &Words) -> &'static str {
    match kind {
        PaymentKind::Card => words.card,
        PaymentKind::SepaDebit => words.sepa_debit,
        PaymentKind::DirectDebit => words.direct_debit,
        PaymentKind::Upi => words.upi,
    }
}

/// `a / b` rounded half away from zero; `b` > 0.
fn divide_rounded(a: i64, b: i64) -> i64 {
    let (quotient, remainder) = (a / b, a % b);
    if 2 * remainder.abs() >= b { quotient + a.signum() } else { quotient }
}

/// The worker's view of a document: titles, parties, lines and totals as
/// text, in the document's language.
pub fn render_request(document: &TaxDocument) -> pdf::Document {
    let language = document.language;
    let words = words(language);
    let amount = |minor: i64| language.amount(minor, &document.currency);
    let (kind, title, number_label) = match document.kind {
        DocumentKind::Invoice => (pdf::DocumentKind::Invoice, words.invoice, words.invoice_number),
        DocumentKind::CreditNote => (pdf::DocumentKind::CreditNote, words.credit_note, words.credit_note_number),
    };
    let mut totals = Vec::new();
    for rate in &document.by_rate {
        let rate_text = language.rate(rate.rate_bps);
        totals.push(pdf::TotalRow { label: format!("{} {rate_text}", words.net_at), value: amount(rate.split.net) });
        totals.push(pdf::TotalRow { label: format!("{} {rate_text}", words.tax_at), value: amount(rate.split.tax) });
    }
    totals.push(pdf::TotalRow { label: words.total_net.into(), value: amount(document.total.net) });
    totals.push(pdf::TotalRow { label: words.total_tax.into(), value: amount(document.total.tax) });
    totals.push(pdf::TotalRow { label: words.total.into(), value: amount(document.total.gross) });

    let mut details = Vec::new();
    if let Some(supplied_at) = document.supplied_at {
        details.push(pdf::TotalRow { label: words.date_of_supply.into(), value: language.date(supplied_at) });
    }
    if let Some(number) = &document.invoice_number {
        let value = match document.invoice_issued_at {
            Some(at) => format!("{number} ({})", language.date(at)),
            None => number.clone(),
        };
        details.push(pdf::TotalRow { label: words.corrected_invoice.into(), value });
    }

    let stamp = document.payment.as_ref().map(|payment| pdf::Stamp {
        text: match document.kind {
            DocumentKind::Invoice => words.paid,
            DocumentKind::CreditNote => words.refunded,
        }
        .into(),
        detail: format!("{} · {}", language.date(payment.at), payment_method(payment.method, words)),
    });

    let mut notes = document.notes.clone();
    notes.push(format!("{} {}", words.transaction, document.transaction_id));
    pdf::Document {
        kind: kind as i32,
        title: title.into(),
        number: document.number.clone(),
        issue_date: language.date(document.issued_at),
        seller: Some(party(&document.seller, language)),
        buyer: Some(party(&document.buyer, language)),
        lines: document
            .lines
            .iter()
            .map(|line| pdf::Line {
                // A checkout without a description or line items is paid
                // as one line whose stored name is the English word.
                description: if line.description == "Payment" {
                    words.payment.into()
                } else {
                    line.description.clone()
                },
                quantity: language.count(line.quantity),
                unit_price: amount(divide_rounded(line.split.net, line.quantity.max(1))),
                tax_rate: language.rate(line.rate_bps),
                net: amount(line.split.net),
                tax: amount(line.split.tax),
                gross: amount(line.split.gross),
            })
            .collect(),
        totals,
        notes,
        currency: document.currency.clone(),
        labels: Some(pdf::Labels {
            number: number_label.into(),
            issue_date: words.issue_date.into(),
            currency: words.currency.into(),
            seller: words.seller.into(),
            buyer: words.buyer.into(),
            vat_id: words.vat_id.into(),
            description: words.description.into(),
            quantity: words.quantity.into(),
            unit_price: words.unit_price.into(),
            tax_rate: words.tax_rate.into(),
            net: words.net.into(),
            tax: words.tax.into(),
            gross: words.gross.into(),
            page: words.page.into(),
        }),
        details,
        stamp,
        test_mark: if document.livemode { String::new() } else { words.test_mark.into() },
    }
}

impl Core {
    /// Asks the PDF worker for the document. The worker being down is a
    /// 503; the document itself is untouched either way.
    pub async fn render_pdf(&self, document: &TaxDocument) -> CoreResult<Vec<u8>> {
        let channel = self.pdf.clone().ok_or(CoreError::PdfUnavailable)?;
        let mut client =
            pdf::pdf_renderer_client::PdfRendererClient::new(channel).max_decoding_message_size(MAX_PDF_BYTES);
        let span = tracing::info_span!(
            "PdfRenderer/Render",
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = "paygate.pdf.v1.PdfRenderer",
            rpc.method = "Render",
        );
        let mut request = tonic::Request::new(pdf::RenderRequest { document: Some(render_request(document)) });
        span.in_scope(|| paygate_contract::telemetry::inject_context(request.metadata_mut()));
        if let Some(token) = &self.settings.pdf_token {
            let value = format!("Bearer {}", token.expose())
                .parse()
                .map_err(|_| CoreError::Config("PAYGATE_PDF_TOKEN must be printable ASCII".into()))?;
            request.metadata_mut().insert("authorization", value);
        }
        match tracing::Instrument::instrument(client.render(request), span).await {
            Ok(response) => Ok(response.into_inner().pdf),
            Err(status) if matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded) => {
                tracing::warn!(error = %status.message(), "pdf worker unavailable");
                Err(CoreError::PdfUnavailable)
            }
            Err(status) => Err(CoreError::Internal(format!("pdf worker: {}", status.message()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::invoices::Payment,
        tax::{RateTotal, Split, TaxedLine},
    };

    // 2026-12-01 12:00 UTC.
    const DEC_1: i64 = 1_796_126_400_000_000;

    fn document(language: Language) -> TaxDocument {
        let split = Split { gross: 146_913, net: 123_456, tax: 23_457 };
        TaxDocument {
            id: "inv_1".into(),
            version: 0,
            created_at: DEC_1,
            kind: DocumentKind::Invoice,
            organization_id: "org_1".into(),
            livemode: true,
            site_id: "site_1".into(),
            transaction_id: "txn_1".into(),
            checkout_id: "chk_1".into(),
            customer_id: None,
            number: "INV-2026-000001".into(),
            sequence: 1,
            number_key: "org_1:live:Invoice:1".into(),
            issued_at: DEC_1,
            currency: "EUR".into(),
            seller: Party {
                name: "Zahlwerk GmbH".into(),
                address: Some(Address { country: "DE".into(), city: "Berlin".into(), ..Address::default() }),
                vat_id: "DE123456789".into(),
                country: "DE".into(),
                phone: "+49 30 1234567".into(),
                website: "zahlwerk.example".into(),
                registration_number: "HRB 123456".into(),
                register_court: "Amtsgericht Berlin-Charlottenburg".into(),
                ..Party::default()
            },
            buyer: Party {
                name: "Acme SARL".into(),
                address: Some(Address { country: "FR".into(), city: "Paris".into(), ..Address::default() }),
                country: "FR".into(),
                ..Party::default()
            },
            lines: vec![TaxedLine {
                description: "Pro plan, December".into(),
                quantity: 2,
                unit_amount: 73_457,
                rate_bps: 1900,
                split,
            }],
            by_rate: vec![RateTotal { rate_bps: 1900, split }],
            total: split,
            reverse_charge: false,
            notes: Vec::new(),
            invoice_id: None,
            invoice_number: None,
            refund_id: None,
            credit_allocations: Vec::new(),
            language,
            supplied_at: Some(DEC_1),
            payment: Some(Payment { method: PaymentKind::SepaDebit, at: DEC_1 }),
            invoice_issued_at: None,
        }
    }

    fn labels(request: &pdf::Document) -> pdf::Labels {
        request.labels.clone().unwrap_or_default()
    }

    #[test]
    fn german_documents_speak_german() {
        let request = render_request(&document(Language::De));
        assert_eq!(request.title, "Rechnung");
        assert_eq!(request.issue_date, "1. Dezember 2026");
        let labels = labels(&request);
        assert_eq!((labels.number.as_str(), labels.vat_id.as_str()), ("Rechnungsnummer", "USt-IdNr."));
        assert_eq!(request.details[0].label, "Leistungsdatum");
        assert_eq!(request.details[0].value, "1. Dezember 2026");
        let line = &request.lines[0];
        assert_eq!(line.quantity, "2");
        assert_eq!(line.unit_price, "617,28 €", "net unit price");
        assert_eq!(line.tax_rate, "19 %");
        assert_eq!(line.net, "1.234,56 €");
        assert_eq!(line.gross, "1.469,13 €");
        let total = request.totals.last().expect("a total");
        assert_eq!((total.label.as_str(), total.value.as_str()), ("Gesamtbetrag", "1.469,13 €"));
        assert_eq!(request.totals[0].label, "Nettobetrag zu 19 %");
        let stamp = request.stamp.clone().unwrap_or_default();
        assert_eq!((stamp.text.as_str(), stamp.detail.as_str()), ("BEZAHLT", "1. Dezember 2026 · SEPA-Lastschrift"));
        let seller = request.seller.clone().unwrap_or_default();
        assert_eq!(seller.address_lines, ["Berlin", "Deutschland"]);
        assert_eq!(
            seller.details,
            ["+49 30 1234567 · zahlwerk.example", "Handelsregister: HRB 123456", "Amtsgericht Berlin-Charlottenburg"]
        );
        assert_eq!(request.buyer.clone().unwrap_or_default().address_lines, ["Paris", "Frankreich"]);
        assert_eq!(request.test_mark, "", "a live document");
        assert_eq!(request.notes.last().map(String::as_str), Some("Transaktion txn_1"));
    }

    #[test]
    fn french_and_english_documents_follow_their_language() {
        let request = render_request(&document(Language::Fr));
        assert_eq!((request.title.as_str(), request.issue_date.as_str()), ("Facture", "1 décembre 2026"));
        assert_eq!(request.lines[0].net, "1\u{202F}234,56 €");
        assert_eq!(request.buyer.clone().unwrap_or_default().address_lines, ["Paris", "France"]);
        assert_eq!(request.seller.clone().unwrap_or_default().address_lines, ["Berlin", "Allemagne"]);
        assert_eq!(request.stamp.clone().unwrap_or_default().text, "PAYÉE");

        let request = render_request(&document(Language::En));
        assert_eq!((request.title.as_str(), request.issue_date.as_str()), ("Invoice", "1 December 2026"));
        assert_eq!(request.lines[0].net, "€1,234.56");
        assert_eq!(labels(&request).unit_price, "Unit price (net)");
        assert_eq!(request.seller.clone().unwrap_or_default().address_lines, ["Berlin", "Germany"]);
        assert_eq!(request.stamp.clone().unwrap_or_default().detail, "1 December 2026 · SEPA Direct Debit");
    }

    #[test]
    fn test_documents_are_marked_and_credit_notes_name_their_invoice() {
        let mut credit_note = document(Language::De);
        credit_note.livemode = false;
        credit_note.kind = DocumentKind::CreditNote;
        credit_note.number = "TEST-CN-2026-000001".into();
        credit_note.invoice_number = Some("TEST-INV-2026-000001".into());
        credit_note.invoice_issued_at = Some(DEC_1);
        credit_note.payment = Some(Payment { method: PaymentKind::Card, at: DEC_1 });
        let request = render_request(&credit_note);
        assert_eq!(request.title, "Rechnungskorrektur");
        assert_eq!(request.test_mark, "TESTMODUS · kein gültiger Steuerbeleg");
        assert!(
            request.details.iter().any(
                |row| row.label == "Berichtigte Rechnung" && row.value == "TEST-INV-2026-000001 (1. Dezember 2026)"
            )
        );
        assert_eq!(request.stamp.unwrap_or_default().detail, "1. Dezember 2026 · Karte");
    }

    #[test]
    fn a_checkout_without_description_is_paid_as_a_payment_in_the_language() {
        let mut invoice = document(Language::Fr);
        invoice.lines[0].description = "Payment".into();
        assert_eq!(render_request(&invoice).lines[0].description, "Paiement");
    }
}
