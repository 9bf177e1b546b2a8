//! Invoices and credit notes. Core computes every figure; the PDF worker
//! only lays them out.
//!
//! Numbers are sequential and gap-free per organization, mode and document
//! kind, without multi-document transactions: a number is taken only by the
//! unique insert of the document that carries it (`numberKey` is unique),
//! always as "last issued + 1". The per-organization counter document only
//! remembers the last issued number; it is advanced after the insert, by
//! the issuer or by whoever finds the number taken first. It never runs
//! ahead of the documents, so a crash between the two steps leaves no gap,
//! and the unique index means no number is ever issued twice. A document's
//! own id derives from what it documents (the transaction, the refund), so
//! issuing twice issues once.
//!
//! Test and live documents are numbered in separate sequences, so a test
//! invoice never takes a live number, and test numbers start with `TEST-`,
//! so a test document is never mistaken for a real one. Documents issued
//! before modes existed are test documents: the test sequence carries on
//! where they left off (same counter, same `numberKey`s), and live numbering
//! starts at 1.

use serde::{Deserialize, Serialize};

use super::{
    Core, Entity, Owned,
    auth::Principal,
    checkouts::{Address, Checkout},
    locale::Language,
    now_micros,
    numbering::NumberFormat,
    organizations::Organization,
    transactions::{Refund, RefundStatus, Transaction, TransactionStatus},
};
use crate::{
    error::{CoreError, CoreResult},
    ids::derived_id,
    providers::PaymentMethod,
    store::Page,
    tax::{self, RateTotal, Split, TaxedLine},
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// What test documents' numbers start with.
pub const TEST_NUMBER_PREFIX: &str = "TEST-";

impl DocumentKind {
    /// The counter of one organization's documents of this kind in one
    /// mode. The test sequence keeps the id all documents used before modes
    /// existed.
    fn sequence(self, organization_id: &str, livemode: bool) -> String {
        let kind = match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        };
        if livemode { format!("seq_{kind}_live_{organization_id}") } else { format!("seq_{kind}_{organization_id}") }
    }

    /// Unique per organization, mode, kind and position, so a number is
    /// issued at most once; test keys keep the earlier shape.
    fn number_key(self, organization_id: &str, livemode: bool, sequence: i64) -> String {
        if livemode {
            format!("{organization_id}:live:{self:?}:{sequence}")
        } else {
            format!("{organization_id}:{self:?}:{sequence}")
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub vat_id: String,
    #[serde(default)]
    pub country: String,
    /// Seller only: contact and company register details.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub website: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registration_number: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub register_court: String,
}

/// How a document's money moved: the payment an invoice records, the
/// refund a credit note records.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Card,
    /// A Direct Debit mandate charged in euros.
    SepaDebit,
    /// A Direct Debit mandate in another currency (Bacs, Autogiro, …).
    DirectDebit,
    Upi,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::SepaDebit => "sepa_debit",
            Self::DirectDebit => "direct_debit",
            Self::Upi => "upi",
        }
    }

    pub fn of(method: &PaymentMethod, currency: &str) -> Self {
        match method {
            PaymentMethod::Card { .. } => Self::Card,
            PaymentMethod::Mandate { .. } if currency == "EUR" => Self::SepaDebit,
            PaymentMethod::Mandate { .. } => Self::DirectDebit,
            PaymentMethod::Upi { .. } => Self::Upi,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub method: PaymentKind,
    /// When the payment (or refund) succeeded.
    pub at: i64,
}

/// An invoice or a credit note, with every figure computed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaxDocument {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub kind: DocumentKind,
    pub organization_id: String,
    /// Its transaction's mode.
    #[serde(default)]
    pub livemode: bool,
    pub site_id: String,
    pub transaction_id: String,
    pub checkout_id: String,
    /// The checkout's customer record, if it named one. Indexed: the
    /// portal lists a customer's documents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// `INV-2026-000001` (live), `TEST-INV-2026-000001` (test).
    pub number: String,
    /// The position in the organization's sequence of this mode (1, 2, 3, …).
    pub sequence: i64,
    /// `{organizationId}:{kind}:{sequence}` (test) or
    /// `{organizationId}:live:{kind}:{sequence}`: unique, so a number is
    /// issued at most once.
    pub number_key: String,
    pub issued_at: i64,
    pub currency: String,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<TaxedLine>,
    pub by_rate: Vec<RateTotal>,
    pub total: Split,
    pub reverse_charge: bool,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Credit notes: the invoice and refund they correct.
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub refund_id: Option<String>,
    /// Invoices: what each credit note against it takes, per rate, in the
    /// order they were allocated. Written (compare-and-swap on the
    /// invoice) before the credit note is issued, so concurrent refunds
    /// never allocate from the same remainder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credit_allocations: Vec<CreditAllocation>,
    /// The language it is printed in: its customer's.
    #[serde(default)]
    pub language: Language,
    /// When the service was supplied (the payment; for a credit note, the
    /// refund). Documents issued before this was recorded print none.
    #[serde(default)]
    pub supplied_at: Option<i64>,
    /// The payment an invoice records, the refund a credit note records.
    #[serde(default)]
    pub payment: Option<Payment>,
    /// Credit notes: when the corrected invoice was issued.
    #[serde(default)]
    pub invoice_issued_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CreditAllocation {
    pub refund_id: String,
    pub by_rate: Vec<RateTotal>,
}

/// Invoices and credit notes live in separate collections with the same
/// shape; these wrappers give each its own `Entity`.
macro_rules! document_collection {
    ($name:ident, $collection:literal, $label:literal, $prefix:literal) => {
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
        #[serde(transparent)]
        pub struct $name(pub TaxDocument);

        impl Entity for $name {
            const COLLECTION: &'static str = $collection;
            const NAME: &'static str = $label;
            fn id(&self) -> &str {
                &self.0.id
            }
            fn version(&self) -> i64 {
                self.0.version
            }
            fn set_version(&mut self, version: i64) {
                self.0.version = version;
            }
        }

        impl Owned for $name {
            const ID_PREFIX: &'static str = $prefix;
            fn organization_id(&self) -> &str {
                &self.0.organization_id
            }
            fn livemode(&self) -> bool {
                self.0.livemode
            }
        }

        impl IssuedDocument for $name {
            fn document(&self) -> &TaxDocument {
                &self.0
            }
            fn into_document(self) -> TaxDocument {
                self.0
            }
        }
    };
}

/// Invoices and credit notes alike, for what reads either kind.
pub trait IssuedDocument: Owned {
    fn document(&self) -> &TaxDocument;
    fn into_document(self) -> TaxDocument;
}

document_collection!(Invoice, "invoices", "invoice", "inv");
document_collection!(CreditNote, "credit_notes", "credit note", "cn");

/// The wording a reverse-charged document must carry (Article 226(11a)).
pub fn reverse_charge_note(language: Language) -> &'static str {
    match language {
        Language::En => {
            "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
        }
        Language::De => {
            "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 der Richtlinie 2006/112/EG)."
        }
        Language::Fr => "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE).",
    }
}

/// Why a sale from the EU to a buyer outside it carries no VAT.
pub fn outside_eu_note(language: Language) -> &'static str {
    match language {
        Language::En => "Not subject to EU VAT: the place of supply is outside the European Union.",
        Language::De => "Nicht der Umsatzsteuer der EU unterliegend: Leistungsort außerhalb der Europäischen Union.",
        Language::Fr => "TVA non applicable : lieu de la prestation hors de l'Union européenne.",
    }
}

/// The notes of a document's taxation: reverse charge, or a sale outside
/// the EU's VAT (no VAT charged, an EU seller, a buyer known to be outside
/// the EU).
fn tax_notes(language: Language, reverse_charge: bool, total: Split, seller: &Party, buyer: &Party) -> Vec<String> {
    let in_eu = |country: &str| crate::vat::eu_member(country).is_some();
    if reverse_charge {
        vec![reverse_charge_note(language).to_owned()]
    } else if total.tax == 0 && in_eu(&seller.country) && !buyer.country.is_empty() && !in_eu(&buyer.country) {
        vec![outside_eu_note(language).to_owned()]
    } else {
        Vec::new()
    }
}

/// When `transaction` succeeded (its last move to succeeded).
/// When the payment was made: a subscription's period is paid when it was
/// billed (on its test clock, when it lives on one).
fn paid_at(transaction: &Transaction) -> i64 {
    if let Some(billed_at) = transaction.billed_at {
        return billed_at;
    }
    transaction
        .history
        .iter()
        .rev()
        .find(|change| change.status == TransactionStatus::Succeeded)
        .map_or(transaction.updated_at, |change| change.at)
}

/// A credit note's line: what it refunds, against which invoice.
fn refund_description(language: Language, invoice_number: &str, reason: &str) -> String {
    let refund = match language {
        Language::En => format!("Refund against invoice {invoice_number}"),
        Language::De => format!("Erstattung zur Rechnung {invoice_number}"),
        Language::Fr => format!("Remboursement sur la facture {invoice_number}"),
    };
    if reason.is_empty() { refund } else { format!("{refund}: {reason}") }
}

/// A credit note's reference to the invoice it corrects (Article 219).
fn corrects_note(language: Language, invoice_number: &str, invoice_issued_at: i64) -> String {
    let date = language.date(invoice_issued_at);
    match language {
        Language::En => format!("Corrects invoice {invoice_number} of {date}."),
        Language::De => format!("Berichtigt die Rechnung {invoice_number} vom {date}."),
        Language::Fr => format!("Rectifie la facture {invoice_number} du {date}."),
    }
}

fn format_number(prefix: &str, livemode: bool, issued_at: i64, sequence: i64) -> String {
    let year =
        chrono::DateTime::from_timestamp_micros(issued_at).map(|t| t.format("%Y").to_string()).unwrap_or_default();
    let mode = if livemode { "" } else { TEST_NUMBER_PREFIX };
    format!("{mode}{prefix}-{year}-{sequence:06}")
}

fn seller(org: &Organization) -> Party {
    Party {
        name: org.seller_name().to_owned(),
        email: org.email.clone(),
        address: org.address.clone(),
        vat_id: org.vat_id.clone(),
        country: org.seller_country.clone(),
        phone: org.phone.clone(),
        website: org.website.clone(),
        registration_number: org.registration_number.clone(),
        register_court: org.register_court.clone(),
    }
}

fn buyer(checkout: &Checkout, transaction: &Transaction) -> Party {
    let customer = checkout.customer.clone().unwrap_or_default();
    Party {
        name: customer.name,
        email: customer.email,
        country: customer.address.as_ref().map(|a| a.country.clone()).unwrap_or_default(),
        address: customer.address,
        vat_id: transaction.tax.buyer_vat_id.clone().unwrap_or_default(),
        ..Party::default()
    }
}

impl Core {
    /// Inserts `document` under the next number of its sequence (the
    /// organization's, in `livemode`'s mode), numbered together with
    /// whatever else this process is issuing in that sequence
    /// (see [`numbering`](super::numbering)).
    async fn issue<T, F>(
        &self,
        organization_id: &str,
        livemode: bool,
        kind: DocumentKind,
        prefix: &str,
        issued_at: i64,
        build: F,
    ) -> CoreResult<T>
    where
        T: Entity,
        F: Fn(i64, String, String) -> T + Send,
    {
        let sequence_id = kind.sequence(organization_id, livemode);
        let body = super::stored_body(&build(0, String::new(), String::new()))?;
        let (organization_id, prefix) = (organization_id.to_owned(), prefix.to_owned());
        let format = NumberFormat {
            render: Box::new(move |sequence| {
                (
                    format_number(&prefix, livemode, issued_at, sequence),
                    kind.number_key(&organization_id, livemode, sequence),
                )
            }),
        };
        let document = self.issue_numbered(T::COLLECTION, &sequence_id, body, format).await?;
        super::from_document(document)
    }

    /// Issues the invoice of a succeeded transaction (once) and the credit
    /// notes of its succeeded refunds (once each). Returns the invoice id.
    pub(crate) async fn issue_documents(
        &self,
        transaction: &Transaction,
        checkout: &Checkout,
    ) -> CoreResult<Option<String>> {
        if transaction.status != TransactionStatus::Succeeded || transaction.amount == 0 {
            // Nothing was sold (a trial's checkout only saved the method).
            return Ok(None);
        }
        // A subscription's period is invoiced on the date it was billed
        // (its test clock's time, when it lives on one).
        let issued_at = transaction.billed_at.unwrap_or_else(now_micros);
        let org = self
            .get_cached::<Organization>(&transaction.organization_id)
            .await?
            .ok_or(CoreError::NotFound(Organization::NAME))?;
        let invoice_id = derived_id("inv", &transaction.id);
        let invoice = match self.get::<Invoice>(&invoice_id).await? {
            Some(invoice) => invoice,
            None => {
                let seller = seller(&org);
                let buyer = buyer(checkout, transaction);
                let language = checkout.customer.as_ref().map(|c| c.language).unwrap_or_default();
                let total = transaction.tax.document.total;
                let notes = tax_notes(language, transaction.tax.reverse_charge, total, &seller, &buyer);
                let paid_at = paid_at(transaction);
                let payment = Payment {
                    method: PaymentKind::of(&transaction.payment_method, &transaction.currency),
                    at: paid_at,
                };
                let (livemode, prefix) = (transaction.livemode, org.invoice_prefix());
                self.issue(
                    &org.id,
                    livemode,
                    DocumentKind::Invoice,
                    prefix,
                    issued_at,
                    |sequence, number, number_key| {
                        Invoice(TaxDocument {
                            id: invoice_id.clone(),
                            version: 0,
                            created_at: now_micros(),
                            kind: DocumentKind::Invoice,
                            organization_id: transaction.organization_id.clone(),
                            livemode,
                            site_id: transaction.site_id.clone(),
                            transaction_id: transaction.id.clone(),
                            checkout_id: transaction.checkout_id.clone(),
                            customer_id: transaction.customer_id.clone(),
                            number,
                            sequence,
                            number_key,
                            issued_at,
                            currency: transaction.currency.clone(),
                            seller: seller.clone(),
                            buyer: buyer.clone(),
                            lines: transaction.tax.document.lines.clone(),
                            by_rate: transaction.tax.document.by_rate.clone(),
                            total: transaction.tax.document.total,
                            reverse_charge: transaction.tax.reverse_charge,
                            notes: notes.clone(),
                            invoice_id: None,
                            invoice_number: None,
                            refund_id: None,
                            credit_allocations: Vec::new(),
                            language,
                            supplied_at: Some(paid_at),
                            payment: Some(payment.clone()),
                            invoice_issued_at: None,
                        })
                    },
                )
                .await?
            }
        };
        for refund in transaction.refunds.iter().filter(|r| r.status == RefundStatus::Succeeded) {
            self.issue_credit_note(&org, transaction, &invoice.0, refund).await?;
        }
        Ok(Some(invoice.0.id))
    }

    async fn issue_credit_note(
        &self,
        org: &Organization,
        transaction: &Transaction,
        invoice: &TaxDocument,
        refund: &Refund,
    ) -> CoreResult<()> {
        let id = derived_id("cn", &refund.id);
        if self.store.get(CreditNote::COLLECTION, &id).await?.is_some() {
            return Ok(());
        }
        let allocation = self.allocate_credit(&invoice.id, refund).await?;
        let language = invoice.language;
        let description = refund_description(language, &invoice.number, &refund.reason);
        let several_rates = allocation.len() > 1;
        let lines = allocation
            .iter()
            .filter(|part| part.split.gross != 0)
            .map(|part| TaxedLine {
                description: if several_rates {
                    format!("{description} ({})", language.rate(part.rate_bps))
                } else {
                    description.clone()
                },
                quantity: 1,
                unit_amount: part.split.gross,
                rate_bps: part.rate_bps,
                split: part.split,
            })
            .collect();
        let document = tax::summarise(lines);
        let mut notes = vec![corrects_note(language, &invoice.number, invoice.issued_at)];
        notes.extend(tax_notes(language, invoice.reverse_charge, document.total, &invoice.seller, &invoice.buyer));
        // Refunds record when they were made, not when the provider settled
        // them; the two are the same day but for bank refunds.
        let refunded_at = refund.created_at;
        let payment =
            Payment { method: PaymentKind::of(&transaction.payment_method, &transaction.currency), at: refunded_at };
        let (livemode, prefix) = (transaction.livemode, org.credit_note_prefix());
        let issued_at = now_micros();
        self.issue(&org.id, livemode, DocumentKind::CreditNote, prefix, issued_at, |sequence, number, number_key| {
            CreditNote(TaxDocument {
                id: id.clone(),
                version: 0,
                created_at: now_micros(),
                kind: DocumentKind::CreditNote,
                organization_id: transaction.organization_id.clone(),
                livemode,
                site_id: transaction.site_id.clone(),
                transaction_id: transaction.id.clone(),
                checkout_id: transaction.checkout_id.clone(),
                customer_id: transaction.customer_id.clone(),
                number,
                sequence,
                number_key,
                issued_at,
                currency: transaction.currency.clone(),
                seller: invoice.seller.clone(),
                buyer: invoice.buyer.clone(),
                lines: document.lines.clone(),
                by_rate: document.by_rate.clone(),
                total: document.total,
                reverse_charge: invoice.reverse_charge,
                notes: notes.clone(),
                invoice_id: Some(invoice.id.clone()),
                invoice_number: Some(invoice.number.clone()),
                refund_id: Some(refund.id.clone()),
                credit_allocations: Vec::new(),
                language,
                supplied_at: Some(refunded_at),
                payment: Some(payment.clone()),
                invoice_issued_at: Some(invoice.issued_at),
            })
        })
        .await?;
        Ok(())
    }

    /// The refund's share of each of the invoice's rates (see
    /// [`tax::allocate_credit`] for the rounding rule), recorded on the
    /// invoice once and read back on every later call.
    async fn allocate_credit(&self, invoice_id: &str, refund: &Refund) -> CoreResult<Vec<RateTotal>> {
        let invoice = self
            .update::<Invoice, _>(invoice_id, |invoice| {
                let invoice = &mut invoice.0;
                if invoice.credit_allocations.iter().any(|a| a.refund_id == refund.id) {
                    return Ok(());
                }
                let mut credited = vec![Split::default(); invoice.by_rate.len()];
                for earlier in &invoice.credit_allocations {
                    for (sum, part) in credited.iter_mut().zip(&earlier.by_rate) {
                        *sum = sum.plus(part.split);
                    }
                }
                let by_rate = tax::allocate_credit(&invoice.by_rate, &credited, refund.amount).ok_or_else(|| {
                    CoreError::Internal(format!("refund {} exceeds what invoice {} has left", refund.id, invoice.id))
                })?;
                invoice.credit_allocations.push(CreditAllocation { refund_id: refund.id.clone(), by_rate });
                Ok(())
            })
            .await?;
        invoice
            .0
            .credit_allocations
            .into_iter()
            .find(|a| a.refund_id == refund.id)
            .map(|a| a.by_rate)
            .ok_or_else(|| CoreError::Internal("credit allocation vanished".into()))
    }

    /// Newest first, narrowed to one site, transaction or customer record
    /// when given.
    pub async fn list_documents<T: Entity>(
        &self,
        principal: &Principal,
        filters: &DocumentFilters<'_>,
        page: &Page,
    ) -> CoreResult<(Vec<T>, bool)> {
        let mut filter = self.scoped_filter(principal, filters.site_id).await?;
        if !filters.transaction_id.is_empty() {
            filter.push(("transactionId", filters.transaction_id.into()));
        }
        if !filters.customer_id.is_empty() {
            filter.push(("customerId", filters.customer_id.into()));
        }
        self.list(&filter, page).await
    }
}

/// What a list of documents may be narrowed to; empty: no narrowing.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentFilters<'a> {
    pub site_id: &'a str,
    pub transaction_id: &'a str,
    pub customer_id: &'a str,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A test invoice with nothing in it.
    pub(crate) fn document() -> TaxDocument {
        TaxDocument {
            id: "inv_1".into(),
            version: 0,
            created_at: 0,
            kind: DocumentKind::Invoice,
            organization_id: "org_1".into(),
            livemode: false,
            site_id: "site_1".into(),
            transaction_id: "txn_1".into(),
            checkout_id: "chk_1".into(),
            customer_id: None,
            number: "TEST-INV-2026-000001".into(),
            sequence: 1,
            number_key: "org_1:Invoice:1".into(),
            issued_at: 0,
            currency: "EUR".into(),
            seller: Default::default(),
            buyer: Default::default(),
            lines: Vec::new(),
            by_rate: Vec::new(),
            total: Default::default(),
            reverse_charge: false,
            notes: Vec::new(),
            invoice_id: None,
            invoice_number: None,
            refund_id: None,
            credit_allocations: Vec::new(),
            language: Default::default(),
            supplied_at: None,
            payment: None,
            invoice_issued_at: None,
        }
    }

    #[test]
    fn test_and_live_documents_are_numbered_apart() {
        // 2026-03-01 in microseconds.
        let issued_at = 1_772_323_200_000_000;
        assert_eq!(format_number("INV", true, issued_at, 7), "INV-2026-000007");
        assert_eq!(format_number("INV", false, issued_at, 7), "TEST-INV-2026-000007");
        for kind in [DocumentKind::Invoice, DocumentKind::CreditNote] {
            assert_ne!(kind.sequence("org_1", true), kind.sequence("org_1", false));
            assert_ne!(kind.number_key("org_1", true, 1), kind.number_key("org_1", false, 1));
        }
        // Test documents go on in the sequence every document used before
        // modes existed.
        assert_eq!(DocumentKind::Invoice.sequence("org_1", false), "seq_invoice_org_1");
        assert_eq!(DocumentKind::CreditNote.sequence("org_1", false), "seq_credit_note_org_1");
        assert_eq!(DocumentKind::Invoice.number_key("org_1", false, 3), "org_1:Invoice:3");
    }

    #[test]
    fn credit_notes_name_the_invoice_they_correct_in_their_language() {
        // 2026-12-01.
        let at = 1_796_126_400_000_000;
        assert_eq!(
            corrects_note(Language::En, "INV-2026-000001", at),
            "Corrects invoice INV-2026-000001 of 1 December 2026."
        );
        assert_eq!(
            corrects_note(Language::De, "INV-2026-000001", at),
            "Berichtigt die Rechnung INV-2026-000001 vom 1. Dezember 2026."
        );
        assert_eq!(
            corrects_note(Language::Fr, "INV-2026-000001", at),
            "Rectifie la facture INV-2026-000001 du 1 décembre 2026."
        );
        assert_eq!(refund_description(Language::De, "INV-1", ""), "Erstattung zur Rechnung INV-1");
        assert_eq!(refund_description(Language::En, "INV-1", "damaged"), "Refund against invoice INV-1: damaged");
    }

    #[test]
    fn reverse_charge_and_sales_outside_the_eu_are_worded() {
        let party = |country: &str| Party { country: country.into(), ..Party::default() };
        let untaxed = Split { gross: 100, net: 100, tax: 0 };
        let taxed = Split { gross: 119, net: 100, tax: 19 };
        assert_eq!(
            tax_notes(Language::De, true, untaxed, &party("DE"), &party("FR")),
            [reverse_charge_note(Language::De)]
        );
        assert!(reverse_charge_note(Language::De).starts_with("Steuerschuldnerschaft des Leistungsempfängers"));
        assert!(reverse_charge_note(Language::Fr).starts_with("Autoliquidation"));
        assert!(reverse_charge_note(Language::En).starts_with("Reverse charge"));
        assert_eq!(
            tax_notes(Language::En, false, untaxed, &party("DE"), &party("US")),
            [outside_eu_note(Language::En)]
        );
        assert!(tax_notes(Language::En, false, taxed, &party("DE"), &party("US")).is_empty(), "VAT charged");
        assert!(tax_notes(Language::En, false, untaxed, &party("DE"), &party("FR")).is_empty(), "inside the EU");
        assert!(tax_notes(Language::En, false, untaxed, &party("DE"), &party("")).is_empty(), "buyer unknown");
        assert!(tax_notes(Language::En, false, untaxed, &party("US"), &party("CA")).is_empty(), "seller outside");
    }

    #[test]
    fn payments_are_told_apart_by_method_and_currency() {
        let card = PaymentMethod::Card { token: "tok_visa".into(), customer: None };
        let mandate = PaymentMethod::Mandate { id: "MD0001".into() };
        assert_eq!(PaymentKind::of(&card, "EUR"), PaymentKind::Card);
        assert_eq!(PaymentKind::of(&mandate, "EUR"), PaymentKind::SepaDebit);
        assert_eq!(PaymentKind::of(&mandate, "GBP"), PaymentKind::DirectDebit);
    }
}
