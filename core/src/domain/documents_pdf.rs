//! Turns an issued invoice or credit note into the PDF worker's document:
//! every figure formatted here, so the worker only lays out text.

use paygate_contract::proto::pdf::v1 as pdf;

use super::{
    Core,
    checkouts::Address,
    invoices::{DocumentKind, Party, TaxDocument},
};
use crate::{
    error::{CoreError, CoreResult},
    money::{Currency, Money, format_minor, format_rate},
};

/// PDFs of long documents exceed tonic's 4 MiB default.
const MAX_PDF_BYTES: usize = 32 * 1024 * 1024;

fn address_lines(address: Option<&Address>) -> Vec<String> {
    let Some(a) = address else { return Vec::new() };
    let city = [a.postal_code.as_str(), a.city.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    [a.line1.clone(), a.line2.clone(), city, a.region.clone(), a.country.clone()]
        .into_iter()
        .filter(|line| !line.is_empty())
        .collect()
}

fn party(p: &Party) -> pdf::Party {
    pdf::Party {
        name: p.name.clone(),
        address_lines: address_lines(p.address.as_ref()),
        vat_id: p.vat_id.clone(),
        email: p.email.clone(),
        details: Vec::new(),
    }
}

/// The worker's view of a document: titles, parties, lines and totals as
/// text.
pub fn render_request(document: &TaxDocument) -> pdf::Document {
    let currency = Currency::parse(&document.currency);
    let amount = |minor: i64| match currency {
        Some(currency) => Money::new(minor, currency).format(),
        // Stored documents only carry payable currencies; keep the figure
        // legible regardless.
        None => format!("{} {}", format_minor(minor, 2), document.currency),
    };
    let (kind, title) = match document.kind {
        DocumentKind::Invoice => (pdf::DocumentKind::Invoice, "Invoice"),
        DocumentKind::CreditNote => (pdf::DocumentKind::CreditNote, "Credit note"),
    };
    let mut totals = Vec::new();
    for rate in &document.by_rate {
        totals.push(pdf::TotalRow {
            label: format!("Net at {}", format_rate(rate.rate_bps)),
            value: amount(rate.split.net),
        });
        totals.push(pdf::TotalRow {
            label: format!("VAT {}", format_rate(rate.rate_bps)),
            value: amount(rate.split.tax),
        });
    }
    totals.push(pdf::TotalRow { label: "Total net".into(), value: amount(document.total.net) });
    totals.push(pdf::TotalRow { label: "Total VAT".into(), value: amount(document.total.tax) });
    totals.push(pdf::TotalRow { label: "Total".into(), value: amount(document.total.gross) });
    let mut notes = document.notes.clone();
    notes.push(format!("Transaction {}", document.transaction_id));
    pdf::Document {
        kind: kind as i32,
        title: title.into(),
        number: document.number.clone(),
        issue_date: chrono::DateTime::from_timestamp_micros(document.issued_at)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        seller: Some(party(&document.seller)),
        buyer: Some(party(&document.buyer)),
        lines: document
            .lines
            .iter()
            .map(|line| pdf::Line {
                description: line.description.clone(),
                quantity: line.quantity.to_string(),
                unit_price: amount(line.unit_amount),
                tax_rate: format_rate(line.rate_bps),
                net: amount(line.split.net),
                tax: amount(line.split.tax),
                gross: amount(line.split.gross),
            })
            .collect(),
        totals,
        notes,
        currency: document.currency.clone(),
        ..pdf::Document::default()
    }
}

impl Core {
    /// Asks the PDF worker for the document. The worker being down is a
    /// 503; the document itself is untouched either way.
    pub async fn render_pdf(&self, document: &TaxDocument) -> CoreResult<Vec<u8>> {
        let channel = self.pdf.clone().ok_or(CoreError::PdfUnavailable)?;
        let mut client =
            pdf::pdf_renderer_client::PdfRendererClient::new(channel).max_decoding_message_size(MAX_PDF_BYTES);
        let mut request = tonic::Request::new(pdf::RenderRequest { document: Some(render_request(document)) });
        paygate_contract::telemetry::inject_context(request.metadata_mut());
        if let Some(token) = &self.settings.pdf_token {
            let value = format!("Bearer {}", token.expose())
                .parse()
                .map_err(|_| CoreError::Config("PAYGATE_PDF_TOKEN must be printable ASCII".into()))?;
            request.metadata_mut().insert("authorization", value);
        }
        match client.render(request).await {
            Ok(response) => Ok(response.into_inner().pdf),
            Err(status) if matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded) => {
                tracing::warn!(error = %status.message(), "pdf worker unavailable");
                Err(CoreError::PdfUnavailable)
            }
            Err(status) => Err(CoreError::Internal(format!("pdf worker: {}", status.message()))),
        }
    }
}
