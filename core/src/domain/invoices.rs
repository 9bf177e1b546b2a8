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
    now_micros,
    organizations::Organization,
    transactions::{Refund, RefundStatus, Transaction, TransactionStatus},
};
use crate::{
    error::{CoreError, CoreResult},
    ids::derived_id,
    store::{Page, StoreError},
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

/// The last number issued in one sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sequence {
    id: String,
    #[serde(default)]
    version: i64,
    created_at: i64,
    last: i64,
}

impl Entity for Sequence {
    const COLLECTION: &'static str = "sequences";
    const NAME: &'static str = "sequence";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

pub const REVERSE_CHARGE_NOTE: &str =
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).";

/// `19 %`, `25.5 %`, `7.25 %`: a rate in basis points as people write it.
fn rate_label(rate_bps: u32) -> String {
    let whole = rate_bps / 100;
    match rate_bps % 100 {
        0 => format!("{whole} %"),
        cents if cents % 10 == 0 => format!("{whole}.{} %", cents / 10),
        cents => format!("{whole}.{cents:02} %"),
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
        email: String::new(),
        address: org.address.clone(),
        vat_id: org.vat_id.clone(),
        country: org.seller_country.clone(),
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
    }
}

impl Core {
    /// Inserts `document` under the next number of its sequence (the
    /// organization's, in `livemode`'s mode). Retries when another issuer
    /// took the number first.
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
        for _ in 0..1000 {
            let counter = self.get::<Sequence>(&sequence_id).await?;
            let last = counter.as_ref().map_or(0, |sequence| sequence.last);
            let sequence = last + 1;
            let number_key = kind.number_key(organization_id, livemode, sequence);
            let document = build(sequence, format_number(prefix, livemode, issued_at, sequence), number_key);
            let id = document.id().to_owned();
            match self.insert(&document).await {
                Ok(document) => {
                    self.advance_sequence(&sequence_id, counter, sequence).await?;
                    return Ok(document);
                }
                Err(CoreError::Store(StoreError::Duplicate { field })) if field == "id" => {
                    // Issued already (a retry, or another worker).
                    return self.get::<T>(&id).await?.ok_or(CoreError::NotFound(T::NAME));
                }
                Err(CoreError::Store(StoreError::Duplicate { .. })) => {
                    // The number is taken; its issuer may have died before
                    // advancing the counter, so advance it for them.
                    self.advance_sequence(&sequence_id, counter, sequence).await?;
                }
                Err(err) => return Err(err),
            }
        }
        Err(CoreError::Internal(format!("{sequence_id}: too much contention")))
    }

    /// Moves the counter up to `to` (never down), starting from the copy
    /// read before the insert and re-reading only on a lost race.
    async fn advance_sequence(&self, id: &str, mut known: Option<Sequence>, to: i64) -> CoreResult<()> {
        let mut first = true;
        loop {
            let current = if std::mem::take(&mut first) { known.take() } else { self.get::<Sequence>(id).await? };
            match current {
                None => {
                    let sequence = Sequence { id: id.to_owned(), version: 0, created_at: now_micros(), last: to };
                    match self.insert(&sequence).await {
                        Ok(_) => return Ok(()),
                        Err(CoreError::Store(StoreError::Duplicate { .. })) => continue,
                        Err(err) => return Err(err),
                    }
                }
                Some(sequence) if sequence.last >= to => return Ok(()),
                Some(mut sequence) => {
                    sequence.last = to;
                    match self.replace(&sequence).await {
                        Ok(_) => return Ok(()),
                        Err(CoreError::Store(StoreError::VersionConflict)) => continue,
                        Err(err) => return Err(err),
                    }
                }
            }
        }
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
            .get::<Organization>(&transaction.organization_id)
            .await?
            .ok_or(CoreError::NotFound(Organization::NAME))?;
        let invoice_id = derived_id("inv", &transaction.id);
        let invoice = match self.get::<Invoice>(&invoice_id).await? {
            Some(invoice) => invoice,
            None => {
                let seller = seller(&org);
                let buyer = buyer(checkout, transaction);
                let notes: Vec<String> =
                    if transaction.tax.reverse_charge { vec![REVERSE_CHARGE_NOTE.to_owned()] } else { Vec::new() };
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
        let description = if refund.reason.is_empty() {
            format!("Refund against invoice {}", invoice.number)
        } else {
            format!("Refund against invoice {}: {}", invoice.number, refund.reason)
        };
        let several_rates = allocation.len() > 1;
        let lines = allocation
            .iter()
            .filter(|part| part.split.gross != 0)
            .map(|part| TaxedLine {
                description: if several_rates {
                    format!("{description} ({})", rate_label(part.rate_bps))
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
        let mut notes = vec![format!("Corrects invoice {}.", invoice.number)];
        if invoice.reverse_charge {
            notes.push(REVERSE_CHARGE_NOTE.to_owned());
        }
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
    use super::{DocumentKind, TaxDocument, format_number, rate_label};

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
    fn rates_are_labelled_as_people_write_them() {
        assert_eq!(rate_label(1900), "19 %");
        assert_eq!(rate_label(2550), "25.5 %");
        assert_eq!(rate_label(725), "7.25 %");
        assert_eq!(rate_label(5), "0.05 %");
        assert_eq!(rate_label(0), "0 %");
    }
}
