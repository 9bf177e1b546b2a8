//! What a merchant's support team reads in an admin panel: transactions
//! found by time, amount, customer and currency; the same as CSV; one
//! transaction's timeline; a period's figures per currency.
//!
//! Every filter is part of the store query (equality on indexed fields,
//! ranges on `createdAt` and `amount`), so pages stay full and cursors exact.

use std::collections::{BTreeMap, HashSet};

use super::{
    Core, Entity,
    auth::Principal,
    from_document,
    ipn::IpnDelivery,
    transactions::{
        PendingAction, RefundOrigin, RefundStatus, StatusChange, Transaction, TransactionStatus, email_key,
    },
};
use crate::{
    api::convert,
    error::{CoreError, CoreResult},
    money::{Currency, format_minor},
    store::{CREATED_AT, Filter, Page, Range, StoreError},
};

/// Rows an export holds at most; past it the newest are kept and the
/// export says it was cut.
pub const EXPORT_LIMIT: usize = 10_000;
/// Transactions one summary reads at most. A window holding more is summed
/// over its newest this many and marked `truncated`: reading is what a
/// summary costs, and this keeps one request to a few seconds.
pub const SUMMARY_SCAN_LIMIT: usize = 50_000;
/// The longest summary window.
pub const SUMMARY_MAX_DAYS: i64 = 366;
/// Failed transactions a summary lists.
pub const RECENT_FAILURES: usize = 10;
/// IPN deliveries a timeline reads at most (a transaction has a handful:
/// one per event, each with its attempts).
pub const TIMELINE_DELIVERIES: usize = 100;
/// What the store is read in while walking many documents.
const SCAN_PAGE: usize = 500;
/// Longest email an exact-match filter takes (RFC 5321's path limit).
const MAX_EMAIL: usize = 320;
const DAY_MICROS: i64 = 86_400_000_000;

/// The list filters as the request carried them; empty: no such filter.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilters {
    pub created_gte: String,
    pub created_lte: String,
    pub amount_gte: String,
    pub amount_lte: String,
    pub customer_email: String,
    pub currency: String,
}

/// Which of the caller's transactions a list or export covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionCriteria {
    pub site_id: String,
    pub status: Option<TransactionStatus>,
    pub created_gte: Option<i64>,
    pub created_lte: Option<i64>,
    pub amount_gte: Option<i64>,
    pub amount_lte: Option<i64>,
    /// Lowercased, as stored in `customerEmailKey`.
    pub customer_email: Option<String>,
    /// Upper-case ISO 4217, as stored.
    pub currency: Option<String>,
}

impl TransactionCriteria {
    /// Judges the filters; a bad one is a 400 naming its query parameter.
    pub fn parse(site_id: &str, status: Option<TransactionStatus>, filters: &TransactionFilters) -> CoreResult<Self> {
        let created_gte = parse_time("createdGte", &filters.created_gte)?;
        let created_lte = parse_time("createdLte", &filters.created_lte)?;
        if let (Some(gte), Some(lte)) = (created_gte, created_lte)
            && gte > lte
        {
            return Err(CoreError::field("createdLte", "range_invalid", "createdLte must not be before createdGte"));
        }
        let amount_gte = parse_amount("amountGte", &filters.amount_gte)?;
        let amount_lte = parse_amount("amountLte", &filters.amount_lte)?;
        if let (Some(gte), Some(lte)) = (amount_gte, amount_lte)
            && gte > lte
        {
            return Err(CoreError::field("amountLte", "range_invalid", "amountLte must not be below amountGte"));
        }
        let email = filters.customer_email.trim();
        let customer_email = match email {
            "" => None,
            e if e.len() > MAX_EMAIL || !e.contains('@') => {
                return Err(CoreError::field(
                    "customerEmail",
                    "email_invalid",
                    "customerEmail must be an email address",
                ));
            }
            e => Some(email_key(e)),
        };
        let currency = match filters.currency.trim() {
            "" => None,
            code => Some(
                Currency::parse(code)
                    .ok_or_else(|| {
                        CoreError::field("currency", "currency_invalid", "currency must be an ISO 4217 code")
                    })?
                    .code()
                    .to_owned(),
            ),
        };
        Ok(Self {
            site_id: site_id.to_owned(),
            status,
            created_gte,
            created_lte,
            amount_gte,
            amount_lte,
            customer_email,
            currency,
        })
    }
}

/// An RFC 3339 time as microseconds since the Unix epoch; empty: none.
pub fn parse_time(param: &str, text: &str) -> CoreResult<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(text).map(|t| Some(t.timestamp_micros())).map_err(|_| {
        CoreError::field(
            param,
            "timestamp_invalid",
            format!("{param} must be an RFC 3339 time, like 2025-01-31T00:00:00Z"),
        )
    })
}

fn parse_amount(param: &str, text: &str) -> CoreResult<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(amount) if amount >= 0 => Ok(Some(amount)),
        _ => Err(CoreError::field(
            param,
            "amount_invalid",
            format!("{param} must be a non-negative integer in minor units"),
        )),
    }
}

/// RFC 3339 in UTC, as the JSON objects show times.
fn rfc3339(micros: i64) -> String {
    paygate_contract::http::rfc3339(Some(&convert::timestamp(micros))).unwrap_or_default()
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return ahead of one) gets a leading apostrophe, so it is
/// shown as text.
pub fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

const EXPORT_HEADER: [&str; 11] = [
    "id",
    "created",
    "status",
    "amount",
    "currency",
    "amount_decimal",
    "customer_email",
    "site_id",
    "checkout_id",
    "amount_refunded",
    "provider",
];

fn export_row(t: &Transaction) -> [String; 11] {
    let exponent = Currency::parse(&t.currency).map_or(2, Currency::exponent);
    [
        neutralise_formula(&t.id),
        rfc3339(t.created_at),
        t.status.as_str().to_owned(),
        t.amount.to_string(),
        neutralise_formula(&t.currency),
        format_minor(t.amount, exponent),
        neutralise_formula(t.customer_email.as_deref().unwrap_or_default()),
        neutralise_formula(&t.site_id),
        neutralise_formula(&t.checkout_id),
        t.amount_refunded.to_string(),
        neutralise_formula(&t.provider),
    ]
}

/// An export: CSV text and how much of the match it holds.
#[derive(Debug, Clone)]
pub struct Export {
    pub csv: Vec<u8>,
    pub rows: usize,
    pub truncated: bool,
}

/// One entry of a transaction's timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: i64,
    pub kind: &'static str,
    pub title: String,
    pub status: Option<&'static str>,
    pub amount: Option<i64>,
    pub refund_id: Option<String>,
    pub delivery_id: Option<String>,
    pub event_type: Option<String>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub approximate: bool,
    pub dispute_id: Option<String>,
}

/// One currency's figures in a summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencySummary {
    pub currency: String,
    pub gross_volume: i64,
    pub succeeded_count: u64,
    pub failed_count: u64,
    pub success_rate_bps: u32,
    pub refunded_amount: i64,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub from: i64,
    pub to: i64,
    pub currencies: Vec<CurrencySummary>,
    pub recent_failures: Vec<Transaction>,
    pub transactions_counted: u64,
    pub truncated: bool,
}

/// succeeded / (succeeded + failed) in basis points, rounded down; 0 when
/// nothing finished.
pub fn success_rate_bps(succeeded: u64, failed: u64) -> u32 {
    let finished = u128::from(succeeded) + u128::from(failed);
    if finished == 0 {
        return 0;
    }
    u32::try_from(u128::from(succeeded) * 10_000 / finished).unwrap_or(10_000)
}

impl Core {
    /// The store query of `criteria` within the caller's organization and
    /// mode.
    async fn transaction_query(
        &self,
        principal: &Principal,
        criteria: &TransactionCriteria,
    ) -> CoreResult<(Filter, Vec<Range>)> {
        let mut filter = self.scoped_filter(principal, &criteria.site_id).await?;
        if let Some(status) = criteria.status {
            filter.push(("status", status.as_str().into()));
        }
        if let Some(currency) = &criteria.currency {
            filter.push(("currency", currency.as_str().into()));
        }
        if let Some(email) = &criteria.customer_email {
            filter.push(("customerEmailKey", email.as_str().into()));
        }
        let mut ranges = Vec::new();
        if criteria.created_gte.is_some() || criteria.created_lte.is_some() {
            ranges.push(Range::new(CREATED_AT, criteria.created_gte, criteria.created_lte));
        }
        if criteria.amount_gte.is_some() || criteria.amount_lte.is_some() {
            ranges.push(Range::new("amount", criteria.amount_gte, criteria.amount_lte));
        }
        Ok((filter, ranges))
    }

    /// A page of the caller's transactions matching `criteria`, newest
    /// first.
    pub async fn find_transactions(
        &self,
        principal: &Principal,
        criteria: &TransactionCriteria,
        page: &Page,
    ) -> CoreResult<(Vec<Transaction>, bool)> {
        let (filter, ranges) = self.transaction_query(principal, criteria).await?;
        self.list_in(&filter, &ranges, page).await
    }

    /// Walks every match newest first, up to `limit`, calling `each` on
    /// every transaction; true when more matched than `limit`. A cursor
    /// deleted meanwhile (an abandoned payment) steps back to the one
    /// before it, skipping what was already seen.
    async fn walk_transactions(
        &self,
        filter: &Filter,
        ranges: &[Range],
        limit: usize,
        mut each: impl FnMut(Transaction),
    ) -> CoreResult<bool> {
        let mut seen = 0;
        let mut last_page: Vec<String> = Vec::new();
        let mut cursor: Vec<String> = Vec::new();
        loop {
            let page = Page { limit: SCAN_PAGE.min(limit - seen).max(1), starting_after: cursor.last().cloned() };
            let result = match self.store.find_in(Transaction::COLLECTION, filter, ranges, &page).await {
                Err(StoreError::UnknownCursor) if cursor.len() > 1 => {
                    cursor.pop();
                    continue;
                }
                other => other?,
            };
            let already: HashSet<&String> = last_page.iter().collect();
            let mut ids = Vec::with_capacity(result.data.len());
            let mut beyond_limit = false;
            for document in result.data {
                ids.push(document.id.clone());
                if already.contains(&document.id) {
                    continue;
                }
                if seen == limit {
                    beyond_limit = true;
                    continue;
                }
                seen += 1;
                each(from_document(document)?);
            }
            if seen == limit {
                return Ok(beyond_limit || result.has_more);
            }
            if !result.has_more {
                return Ok(false);
            }
            last_page.clone_from(&ids);
            cursor = ids;
        }
    }

    /// Every matching transaction as CSV, newest first, at most
    /// [`EXPORT_LIMIT`] rows.
    pub async fn export_transactions(
        &self,
        principal: &Principal,
        criteria: &TransactionCriteria,
    ) -> CoreResult<Export> {
        let (filter, ranges) = self.transaction_query(principal, criteria).await?;
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut failure = None;
        let mut rows = 0;
        writer.write_record(EXPORT_HEADER).map_err(csv_error)?;
        let truncated = self
            .walk_transactions(&filter, &ranges, EXPORT_LIMIT, |transaction| {
                if failure.is_none() {
                    match writer.write_record(export_row(&transaction)) {
                        Ok(()) => rows += 1,
                        Err(err) => failure = Some(err),
                    }
                }
            })
            .await?;
        if let Some(err) = failure {
            return Err(csv_error(err));
        }
        let csv = writer.into_inner().map_err(|err| CoreError::Internal(format!("CSV export: {err}")))?;
        Ok(Export { csv, rows, truncated })
    }

    /// What happened to one of the caller's transactions, oldest first.
    pub async fn transaction_timeline(&self, principal: &Principal, id: &str) -> CoreResult<Vec<TimelineEntry>> {
        let transaction: Transaction = self.owned(principal, id).await?;
        let mut filter = principal.tenant_filter();
        filter.push(("transactionId", transaction.id.as_str().into()));
        let page = Page { limit: TIMELINE_DELIVERIES, starting_after: None };
        let (deliveries, _) = self.list::<IpnDelivery>(&filter, &page).await?;
        Ok(timeline(&transaction, &deliveries))
    }

    /// Figures of the caller's transactions created in `[from, to]`.
    pub async fn summary(&self, principal: &Principal, from: &str, to: &str) -> CoreResult<Summary> {
        let from = parse_time("from", from)?
            .ok_or_else(|| CoreError::field("from", "parameter_missing", "from is required (RFC 3339)"))?;
        let to = parse_time("to", to)?
            .ok_or_else(|| CoreError::field("to", "parameter_missing", "to is required (RFC 3339)"))?;
        if to < from {
            return Err(CoreError::field("to", "range_invalid", "to must not be before from"));
        }
        if to - from > SUMMARY_MAX_DAYS * DAY_MICROS {
            return Err(CoreError::field(
                "to",
                "range_too_long",
                format!("a summary covers at most {SUMMARY_MAX_DAYS} days"),
            ));
        }
        let filter = principal.tenant_filter();
        let ranges = [Range::new(CREATED_AT, Some(from), Some(to))];
        let mut per_currency: BTreeMap<String, CurrencySummary> = BTreeMap::new();
        let mut counted = 0;
        let truncated = self
            .walk_transactions(&filter, &ranges, SUMMARY_SCAN_LIMIT, |t| {
                counted += 1;
                let entry = per_currency
                    .entry(t.currency.clone())
                    .or_insert_with(|| CurrencySummary { currency: t.currency.clone(), ..Default::default() });
                match t.status {
                    TransactionStatus::Succeeded => {
                        entry.succeeded_count += 1;
                        entry.gross_volume = entry.gross_volume.saturating_add(t.amount_captured);
                    }
                    TransactionStatus::Failed => entry.failed_count += 1,
                    _ => {}
                }
                entry.refunded_amount = entry.refunded_amount.saturating_add(t.amount_refunded);
            })
            .await?;
        let mut currencies: Vec<CurrencySummary> = per_currency.into_values().collect();
        for entry in &mut currencies {
            entry.success_rate_bps = success_rate_bps(entry.succeeded_count, entry.failed_count);
        }
        let mut failed = filter.clone();
        failed.push(("status", TransactionStatus::Failed.as_str().into()));
        let page = Page { limit: RECENT_FAILURES, starting_after: None };
        let (recent_failures, _) = self.list_in::<Transaction>(&failed, &ranges, &page).await?;
        Ok(Summary { from, to, currencies, recent_failures, transactions_counted: counted, truncated })
    }
}

fn csv_error(err: csv::Error) -> CoreError {
    CoreError::Internal(format!("CSV export: {err}"))
}

fn status_title(status: TransactionStatus) -> &'static str {
    match status {
        TransactionStatus::Pending => "Payment pending",
        TransactionStatus::Processing => "Payment sent to the provider",
        TransactionStatus::RequiresCapture => "Payment authorized, awaiting capture",
        TransactionStatus::Succeeded => "Payment succeeded",
        TransactionStatus::Failed => "Payment failed",
        TransactionStatus::Canceled => "Authorization canceled",
    }
}

/// The timeline of `transaction` and the IPN deliveries about it.
pub fn timeline(transaction: &Transaction, deliveries: &[IpnDelivery]) -> Vec<TimelineEntry> {
    let t = transaction;
    let money = |amount: i64| {
        let exponent = Currency::parse(&t.currency).map_or(2, Currency::exponent);
        format!("{} {}", format_minor(amount, exponent), t.currency)
    };
    let mut entries = vec![TimelineEntry {
        at: t.created_at,
        kind: "transaction.created",
        title: format!("Payment of {} created", money(t.amount)),
        status: Some(TransactionStatus::Pending.as_str()),
        amount: Some(t.amount),
        ..Default::default()
    }];
    // Transactions stored before their history was kept show where they
    // ended, at their last change.
    let derived;
    let history: &[StatusChange] = if t.history.is_empty() && t.status != TransactionStatus::Pending {
        derived = [StatusChange { status: t.status, at: t.updated_at }];
        &derived
    } else {
        &t.history
    };
    let mut previous = None;
    for change in history {
        let after_creation = previous.is_none() && change.status == TransactionStatus::Pending;
        let from = previous.replace(change.status);
        if after_creation {
            continue;
        }
        let (kind, title, amount) = match (from, change.status) {
            (Some(TransactionStatus::RequiresCapture), TransactionStatus::Succeeded) => {
                ("transaction.captured", format!("Captured {}", money(t.amount_captured)), Some(t.amount_captured))
            }
            (_, TransactionStatus::Canceled) => ("transaction.canceled", "Authorization canceled".to_owned(), None),
            (_, status) => ("transaction.status_changed", status_title(status).to_owned(), None),
        };
        entries.push(TimelineEntry {
            at: change.at,
            kind,
            title,
            status: Some(change.status.as_str()),
            amount,
            approximate: t.history.is_empty(),
            ..Default::default()
        });
    }
    if t.status == TransactionStatus::Failed
        && let Some(entry) = entries.iter_mut().rev().find(|e| e.status == Some("failed"))
    {
        entry.code.clone_from(&t.failure_code);
        entry.message.clone_from(&t.failure_message);
    }
    for failure in &t.action_failures {
        let (kind, title) = match failure.action {
            PendingAction::Capture => ("transaction.capture_failed", "Capture refused by the provider"),
            PendingAction::Cancel => ("transaction.cancel_failed", "Cancel refused by the provider"),
        };
        entries.push(TimelineEntry {
            at: failure.at,
            kind,
            title: title.to_owned(),
            code: Some(failure.code.clone()),
            message: Some(failure.message.clone()),
            ..Default::default()
        });
    }
    for refund in &t.refunds {
        let requested = match refund.origin {
            RefundOrigin::Gateway => format!("Refund of {} requested", money(refund.amount)),
            RefundOrigin::Provider => format!("Refund of {} made in the provider's dashboard", money(refund.amount)),
        };
        entries.push(TimelineEntry {
            at: refund.created_at,
            kind: "refund.requested",
            title: requested,
            amount: Some(refund.amount),
            refund_id: Some(refund.id.clone()),
            ..Default::default()
        });
        let (kind, title) = match refund.status {
            RefundStatus::Pending => continue,
            RefundStatus::Succeeded => ("refund.succeeded", format!("Refund of {} succeeded", money(refund.amount))),
            RefundStatus::Failed => ("refund.failed", format!("Refund of {} failed", money(refund.amount))),
        };
        entries.push(TimelineEntry {
            at: refund.settled_at.unwrap_or(refund.created_at),
            kind,
            title,
            amount: Some(refund.amount),
            refund_id: Some(refund.id.clone()),
            code: refund.failure_code.clone(),
            approximate: refund.settled_at.is_none(),
            ..Default::default()
        });
    }
    for dispute in &t.disputes {
        entries.push(TimelineEntry {
            at: dispute.created_at,
            kind: "dispute.opened",
            title: format!("Dispute of {} opened: {}", money(dispute.amount), dispute.reason),
            amount: Some(dispute.amount),
            dispute_id: Some(dispute.id.clone()),
            ..Default::default()
        });
        if dispute.closed() {
            entries.push(TimelineEntry {
                at: dispute.updated_at,
                kind: "dispute.closed",
                title: format!("Dispute closed: {}", dispute.status),
                amount: Some(dispute.amount),
                dispute_id: Some(dispute.id.clone()),
                ..Default::default()
            });
        }
    }
    for delivery in deliveries.iter().filter(|d| d.transaction_id.as_deref() == Some(t.id.as_str())) {
        for attempt in &delivery.attempts {
            let outcome = match (attempt.status_code, &attempt.error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(error)) => error.clone(),
                (None, None) => "no answer".to_owned(),
            };
            entries.push(TimelineEntry {
                at: attempt.at,
                kind: "ipn.attempt",
                title: format!("IPN {} sent: {outcome}", delivery.event_type),
                delivery_id: Some(delivery.id.clone()),
                event_type: Some(delivery.event_type.clone()),
                status_code: attempt.status_code,
                error: attempt.error.clone(),
                ..Default::default()
            });
        }
    }
    // Stable: what happened at the same instant keeps its causal order.
    entries.sort_by_key(|entry| entry.at);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transaction as versions before status history and refund
    /// settlement times stored it.
    fn legacy_transaction() -> Transaction {
        serde_json::from_value(serde_json::json!({
            "id": "txn_old", "createdAt": 1_000, "updatedAt": 9_000, "organizationId": "org_a",
            "siteId": "site_a", "checkoutId": "chk_a", "status": "succeeded", "amount": 1050,
            "currency": "BHD", "captureMethod": "automatic",
            "paymentMethod": {"type": "card", "token": "tok_visa"}, "provider": "sandbox",
            "amountCaptured": 1050, "amountRefunded": 50,
            "refunds": [{"id": "re_old", "amount": 50, "status": "succeeded", "createdAt": 5_000}]
        }))
        .expect("an old document still reads")
    }

    #[test]
    fn an_old_transaction_gets_a_derived_timeline_marked_approximate() {
        let entries = timeline(&legacy_transaction(), &[]);
        let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.at, e.approximate)).collect();
        assert_eq!(
            kinds,
            [
                ("transaction.created", 1_000, false),
                ("refund.requested", 5_000, false),
                ("refund.succeeded", 5_000, true),
                ("transaction.status_changed", 9_000, true),
            ]
        );
        assert_eq!(entries[0].title, "Payment of 1.050 BHD created");
        assert_eq!(entries[3].status, Some("succeeded"));
    }

    #[test]
    fn a_recorded_history_is_told_change_by_change() {
        let mut t = legacy_transaction();
        t.status = TransactionStatus::Canceled;
        t.refunds.clear();
        t.history = [
            (TransactionStatus::Pending, 1_000),
            (TransactionStatus::Processing, 2_000),
            (TransactionStatus::RequiresCapture, 3_000),
            (TransactionStatus::Canceled, 4_000),
        ]
        .map(|(status, at)| StatusChange { status, at })
        .to_vec();
        t.action_failures.push(crate::domain::transactions::ActionFailure {
            action: PendingAction::Capture,
            code: "expired".into(),
            message: "too late".into(),
            at: 3_500,
        });
        let kinds: Vec<_> = timeline(&t, &[]).into_iter().map(|e| (e.kind, e.at, e.approximate)).collect();
        assert_eq!(
            kinds,
            [
                ("transaction.created", 1_000, false),
                ("transaction.status_changed", 2_000, false),
                ("transaction.status_changed", 3_000, false),
                ("transaction.capture_failed", 3_500, false),
                ("transaction.canceled", 4_000, false),
            ]
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise_formula("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("-1"), "'-1");
        assert_eq!(neutralise_formula("@cmd"), "'@cmd");
        assert_eq!(neutralise_formula("\t=1"), "'\t=1");
        assert_eq!(neutralise_formula("a=b@c.example"), "a=b@c.example");
        assert_eq!(neutralise_formula(""), "");
    }

    #[test]
    fn success_rate_is_integer_basis_points() {
        assert_eq!(success_rate_bps(0, 0), 0);
        assert_eq!(success_rate_bps(1, 0), 10_000);
        assert_eq!(success_rate_bps(2, 1), 6_666);
        assert_eq!(success_rate_bps(1, 3), 2_500);
        assert_eq!(success_rate_bps(u64::MAX, u64::MAX), 5_000);
    }

    #[test]
    fn filters_are_judged_with_their_parameter_names() {
        let param = |filters: TransactionFilters| match TransactionCriteria::parse("", None, &filters) {
            Err(CoreError::InvalidField { param, .. }) => param,
            other => panic!("expected a field error, got {other:?}"),
        };
        let f = TransactionFilters::default;
        assert_eq!(param(TransactionFilters { created_gte: "yesterday".into(), ..f() }), "createdGte");
        assert_eq!(param(TransactionFilters { created_lte: "2025-13-01T00:00:00Z".into(), ..f() }), "createdLte");
        assert_eq!(param(TransactionFilters { amount_gte: "1.5".into(), ..f() }), "amountGte");
        assert_eq!(param(TransactionFilters { amount_lte: "-1".into(), ..f() }), "amountLte");
        assert_eq!(param(TransactionFilters { amount_gte: "9".into(), amount_lte: "3".into(), ..f() }), "amountLte");
        assert_eq!(param(TransactionFilters { customer_email: "nobody".into(), ..f() }), "customerEmail");
        assert_eq!(param(TransactionFilters { currency: "EURO".into(), ..f() }), "currency");
        let parsed = TransactionCriteria::parse(
            "",
            None,
            &TransactionFilters {
                created_gte: "2025-01-01T00:00:00+01:00".into(),
                amount_lte: "500".into(),
                customer_email: " Ada@Example.COM ".into(),
                currency: "eur".into(),
                ..f()
            },
        )
        .expect("valid");
        assert_eq!(parsed.created_gte, Some(1_735_686_000_000_000));
        assert_eq!(parsed.amount_lte, Some(500));
        assert_eq!(parsed.customer_email.as_deref(), Some("ada@example.com"));
        assert_eq!(parsed.currency.as_deref(), Some("EUR"));
    }
}
