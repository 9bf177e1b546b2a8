//! What an admin panel reads: a transaction's timeline and a period's
//! summary, plus the query strings of the routes that take filters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{TransactionStatus, non_empty, requests::enum_error, time};
use crate::{error::HttpError, proto::v1 as pb};

/// One thing that happened to a transaction. `at`, `type` and `title` are
/// always there; the other fields only where they apply to the type.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    #[schema(format = DateTime)]
    pub at: Option<String>,
    /// `transaction.created`, `transaction.status_changed`,
    /// `transaction.captured`, `transaction.canceled`,
    /// `transaction.capture_failed`, `transaction.cancel_failed`,
    /// `refund.requested`, `refund.succeeded`, `refund.failed`,
    /// `dispute.opened`, `dispute.closed` or `ipn.attempt`.
    #[serde(rename = "type")]
    #[schema(example = "transaction.status_changed")]
    pub kind: String,
    /// A line for people, in English.
    #[schema(example = "Payment succeeded")]
    pub title: String,
    /// The transaction's status from here on (status changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "succeeded")]
    pub status: Option<String>,
    /// Minor units: the payment, capture, refund or dispute amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<String>,
    /// IPN attempts: the delivery (event id) and its event type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// IPN attempts: the merchant server's HTTP status, absent when it
    /// never answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u32>,
    /// IPN attempts that got no HTTP answer: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failures: the failure code and message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Present (`true`) when the moment was not recorded and `at` is the
    /// best known bound (events of transactions older than their history).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

impl From<&pb::TimelineEntry> for TimelineEntry {
    fn from(e: &pb::TimelineEntry) -> Self {
        Self {
            at: time(e.at.as_ref()),
            kind: e.r#type.clone(),
            title: e.title.clone(),
            status: non_empty(&e.status),
            amount: e.amount,
            refund_id: non_empty(&e.refund_id),
            dispute_id: non_empty(&e.dispute_id),
            delivery_id: non_empty(&e.delivery_id),
            event_type: non_empty(&e.event_type),
            status_code: e.status_code,
            error: non_empty(&e.error),
            code: non_empty(&e.code),
            message: non_empty(&e.message),
            approximate: e.approximate,
        }
    }
}

/// A transaction's timeline, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionTimeline {
    #[schema(example = "txn_6f7a8b9c0d1e2f3a4b5c6d7e")]
    pub transaction_id: String,
    pub data: Vec<TimelineEntry>,
}

impl From<&pb::TransactionTimeline> for TransactionTimeline {
    fn from(t: &pb::TransactionTimeline) -> Self {
        Self { transaction_id: t.transaction_id.clone(), data: t.data.iter().map(TimelineEntry::from).collect() }
    }
}

/// One currency's figures over the summary's window.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrencySummary {
    #[schema(example = "EUR")]
    pub currency: String,
    /// What succeeded payments captured, minor units.
    pub gross_volume: i64,
    pub succeeded_count: u64,
    pub failed_count: u64,
    /// Succeeded / (succeeded + failed) in basis points (10000 = 100%),
    /// rounded down; 0 when none finished.
    #[schema(minimum = 0, maximum = 10000)]
    pub success_rate_bps: u32,
    /// What has been refunded of the window's transactions, minor units.
    pub refunded_amount: i64,
}

/// A failed transaction as a summary lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedTransaction {
    #[schema(example = "txn_6f7a8b9c0d1e2f3a4b5c6d7e")]
    pub id: String,
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(example = "card_declined")]
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub customer_email: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

/// Figures of the transactions created in `[from, to]`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    #[schema(format = DateTime)]
    pub from: Option<String>,
    #[schema(format = DateTime)]
    pub to: Option<String>,
    /// One entry per currency that had transactions, by currency code.
    pub currencies: Vec<CurrencySummary>,
    /// The window's last 10 failed transactions, newest first.
    pub recent_failures: Vec<FailedTransaction>,
    /// Transactions read for the figures.
    pub transactions_counted: u64,
    /// The window held more transactions than one summary reads (50,000):
    /// the figures cover its newest 50,000 only.
    pub truncated: bool,
}

impl From<&pb::Summary> for Summary {
    fn from(s: &pb::Summary) -> Self {
        Self {
            from: time(s.from.as_ref()),
            to: time(s.to.as_ref()),
            currencies: s
                .currencies
                .iter()
                .map(|c| CurrencySummary {
                    currency: c.currency.clone(),
                    gross_volume: c.gross_volume,
                    succeeded_count: c.succeeded_count,
                    failed_count: c.failed_count,
                    success_rate_bps: c.success_rate_bps,
                    refunded_amount: c.refunded_amount,
                })
                .collect(),
            recent_failures: s
                .recent_failures
                .iter()
                .map(|f| FailedTransaction {
                    id: f.id.clone(),
                    amount: f.amount,
                    currency: f.currency.clone(),
                    failure_code: non_empty(&f.failure_code),
                    failure_message: non_empty(&f.failure_message),
                    customer_email: non_empty(&f.customer_email),
                    created_at: time(f.created_at.as_ref()),
                })
                .collect(),
            transactions_counted: s.transactions_counted,
            truncated: s.truncated,
        }
    }
}

/// `GET /api/v1/transactions/export.csv`: the list's filters, no paging.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub site_id: Option<String>,
    pub status: Option<String>,
    pub created_gte: Option<String>,
    pub created_lte: Option<String>,
    pub amount_gte: Option<String>,
    pub amount_lte: Option<String>,
    pub customer_email: Option<String>,
    pub currency: Option<String>,
}

impl ExportQuery {
    pub fn into_proto(self) -> Result<pb::ExportTransactionsRequest, HttpError> {
        let status = match self.status.as_deref() {
            None | Some("") => pb::TransactionStatus::Unspecified,
            Some(text) => TransactionStatus::parse_pb(text)
                .ok_or_else(|| enum_error("status", "status_invalid", TransactionStatus::NAMES))?,
        };
        Ok(pb::ExportTransactionsRequest {
            site_id: self.site_id.unwrap_or_default(),
            status: status as i32,
            filters: Some(pb::TransactionFilters {
                created_gte: self.created_gte.unwrap_or_default(),
                created_lte: self.created_lte.unwrap_or_default(),
                amount_gte: self.amount_gte.unwrap_or_default(),
                amount_lte: self.amount_lte.unwrap_or_default(),
                customer_email: self.customer_email.unwrap_or_default(),
                currency: self.currency.unwrap_or_default(),
            }),
        })
    }
}

/// `GET /api/v1/reports/summary`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl From<SummaryQuery> for pb::GetSummaryRequest {
    fn from(q: SummaryQuery) -> Self {
        Self { from: q.from.unwrap_or_default(), to: q.to.unwrap_or_default() }
    }
}
