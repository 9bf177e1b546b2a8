//! A realistic document shared by the test binaries.

use paygate_contract::proto::pdf::v1::{Document, DocumentKind, Line, Party, Stamp, TotalRow};

pub fn sample_invoice() -> Document {
    Document {
        kind: DocumentKind::Invoice.into(),
        title: "Invoice".into(),
        number: "INV-2025-000042".into(),
        issue_date: "2025-11-21".into(),
        currency: "EUR".into(),
        seller: Some(Party {
            name: "Zahlwerk Müller GmbH".into(),
            address_lines: vec!["Hauptstraße 5".into(), "10115 Berlin".into(), "Germany".into()],
            vat_id: "DE123456789".into(),
            email: "billing@zahlwerk.example".into(),
            details: vec![
                "+49 30 1234567 · zahlwerk.example".into(),
                "Amtsgericht Berlin-Charlottenburg HRB 123456".into(),
            ],
        }),
        buyer: Some(Party {
            name: "Acme Fabrication SARL".into(),
            address_lines: vec!["12 rue de la Paix".into(), "75002 Paris".into(), "France".into()],
            vat_id: "FR40303265045".into(),
            email: "accounts@acme.example".into(),
            details: Vec::new(),
        }),
        lines: vec![
            Line {
                description: "Paygate Pro subscription, November 2025".into(),
                quantity: "1".into(),
                unit_price: "€199.00".into(),
                tax_rate: "0%".into(),
                net: "€199.00".into(),
                tax: "€0.00".into(),
                gross: "€199.00".into(),
            },
            Line {
                description: "Card transaction fees (1,250 transactions at €0.25)".into(),
                quantity: "1250".into(),
                unit_price: "€0.25".into(),
                tax_rate: "0%".into(),
                net: "€312.50".into(),
                tax: "€0.00".into(),
                gross: "€312.50".into(),
            },
        ],
        totals: vec![
            TotalRow { label: "Net total".into(), value: "€511.50".into() },
            TotalRow { label: "VAT".into(), value: "€0.00".into() },
            TotalRow { label: "Amount due".into(), value: "€511.50".into() },
        ],
        notes: vec![
            "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC).".into(),
            "Payable within 14 days.".into(),
        ],
        details: vec![TotalRow { label: "Date of supply".into(), value: "2025-11-20".into() }],
        stamp: Some(Stamp { text: "PAID".into(), detail: "21 November 2025 · Card •••• 4242".into() }),
        ..Document::default()
    }
}
