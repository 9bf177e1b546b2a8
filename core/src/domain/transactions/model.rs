//! The transaction document, its states and the rules that move it
//! between them.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Entity, Owned,
    checkouts::CaptureMethod,
    state_log::{self, StateChange},
    taxation::SaleTax,
};
use crate::{
    error::{CoreError, CoreResult},
    providers::PaymentMethod,
};

/// The queue that wakes payment workers.
pub const PAYMENT_QUEUE: &str = "payment.initiated";
/// How long a worker owns a transaction before another may take over.
pub const WORK_LEASE_MICROS: i64 = 30_000_000;
/// Unfinished work untouched for this long is presumed abandoned by its
/// worker, and the scheduler takes it up.
pub const ABANDONED_AFTER_MICROS: i64 = 2_000_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    Pending,
    Processing,
    RequiresCapture,
    Succeeded,
    Failed,
    Canceled,
}

impl TransactionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::RequiresCapture => "requires_capture",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Processing, Self::RequiresCapture, Self::Succeeded, Self::Failed, Self::Canceled]
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    /// The state machine of API.md. Anything else is a 409, never a silent
    /// overwrite.
    pub fn can_become(self, next: Self) -> bool {
        use TransactionStatus::*;
        matches!(
            (self, next),
            (Pending, Processing)
                | (Processing, RequiresCapture | Succeeded | Failed)
                | (RequiresCapture, Succeeded | Canceled)
        )
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub status: RefundStatus,
    #[serde(default)]
    pub reason: String,
    pub created_at: i64,
    #[serde(default)]
    pub provider_reference: Option<String>,
    #[serde(default)]
    pub failure_code: Option<String>,
    /// `provider`: made in the provider's dashboard and learned from its
    /// webhook, not asked for through the gateway.
    #[serde(default)]
    pub origin: RefundOrigin,
    /// When it succeeded or failed; `None` while pending, and on refunds
    /// settled before this was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<i64>,
}

impl Refund {
    /// Accepted by the provider, which reports the outcome by webhook:
    /// asking again would only repeat the question.
    pub fn awaits_provider(&self) -> bool {
        self.status == RefundStatus::Pending && self.provider_reference.is_some()
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefundOrigin {
    #[default]
    Gateway,
    Provider,
}

/// A payer's dispute (card chargeback, Direct Debit indemnity claim), as
/// the provider reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dispute {
    /// The provider's dispute id (`dp_…`).
    pub id: String,
    pub amount: i64,
    pub reason: String,
    /// The provider's status word (`needs_response`, `won`, `lost`, …).
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Dispute {
    /// Whether the provider has decided it.
    pub fn closed(&self) -> bool {
        matches!(self.status.as_str(), "won" | "lost" | "warning_closed" | "charge_refunded" | "closed")
    }
}

/// A provider call in flight for capture or cancel.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PendingAction {
    Capture,
    Cancel,
}

impl PendingAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Cancel => "cancel",
        }
    }

    /// The IPN event of a refusal of this action.
    pub fn failed_event(self) -> &'static str {
        match self {
            Self::Capture => "transaction.capture_failed",
            Self::Cancel => "transaction.cancel_failed",
        }
    }
}

/// A capture or cancel the provider refused: an outcome, kept on the
/// transaction (which stays `requires_capture`) and announced by IPN.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActionFailure {
    pub action: PendingAction,
    pub code: String,
    pub message: String,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub status: TransactionStatus,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    /// The W3C `traceparent` of the request that created it: its worker
    /// spans link there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_context: Option<String>,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    /// Its checkout's mode; its refunds, invoice and credit notes share it.
    #[serde(default)]
    pub livemode: bool,
    pub site_id: String,
    pub checkout_id: String,
    pub status: TransactionStatus,
    pub amount: i64,
    pub currency: String,
    pub capture_method: CaptureMethod,
    pub payment_method: PaymentMethod,
    pub provider: String,
    /// The provider account that charged; `None` = the built-in sandbox.
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub provider_reference: Option<String>,
    /// The provider accepted the charge and reports its outcome by webhook
    /// (bank debits, 3-D Secure): the charge is never sent again.
    #[serde(default)]
    pub awaiting_provider: bool,
    /// While awaiting the provider: when to ask it directly, in case its
    /// webhook is late or lost. Backs off with each unanswered check.
    #[serde(default)]
    pub provider_check_at: i64,
    #[serde(default)]
    pub provider_checks: u32,
    /// What the payer must do first (the provider's own instruction, e.g.
    /// Stripe's `next_action`), shown to the checkout page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes: Vec<Dispute>,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
    #[serde(default)]
    pub amount_captured: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    #[serde(default)]
    pub history: Vec<StatusChange>,
    #[serde(default)]
    pub pending_action: Option<PendingAction>,
    /// What the pending capture takes (at most `amount`); the rest of the
    /// authorization is released.
    #[serde(default)]
    pub capture_amount: Option<i64>,
    /// The request that started the pending (or last) capture or cancel,
    /// so a resumed idempotent request recognises its own action.
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub action_failures: Vec<ActionFailure>,
    /// Until when the current worker owns the pending work.
    #[serde(default)]
    pub lease_until: i64,
    #[serde(default)]
    pub attempts: u32,
    /// Transient provider failures of the refunds being retried, for
    /// their back-off.
    #[serde(default)]
    pub refund_retries: u32,
    /// Checkout status and IPN records still to be brought in line with
    /// this transaction's state.
    #[serde(default)]
    pub follow_up: bool,
    /// Indexed: transactions with unfinished work.
    #[serde(default)]
    pub needs_work: bool,
    /// Until when the scheduler's last wake-up is trusted to be handled;
    /// it wakes the transaction again only after that.
    #[serde(default)]
    pub swept_until: i64,
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// Fixed at creation from the gross amount and the billing country.
    #[serde(default)]
    pub tax: SaleTax,
    /// The subscription whose period this charge pays.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// On the subscription's clock: when the period was billed (the
    /// invoice's date).
    #[serde(default)]
    pub billed_at: Option<i64>,
    /// The customer object it bills, if its checkout names one.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Saves a payment method without charging (a trial's checkout).
    #[serde(default)]
    pub setup_only: bool,
    /// The checkout's customer email as the merchant gave it, for lists
    /// and exports; `None` when the checkout had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    /// Indexed: `customer_email` lowercased, so the filter on it is
    /// case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email_key: Option<String>,
}

impl Entity for Transaction {
    const COLLECTION: &'static str = "transactions";
    const NAME: &'static str = "transaction";
    const LOGS_STATE: bool = true;

    /// Every status the history gained (a write may pass through more than
    /// one), then every refund that appeared or changed status.
    fn state_changes(before: Option<&Self>, after: &Self) -> Vec<StateChange> {
        let mut changes = Vec::new();
        let known = before.map_or(0, |b| b.history.len());
        let mut from = match before {
            Some(before) => before.status.as_str(),
            None => state_log::NONE,
        };
        for step in after.history.iter().skip(known) {
            let to = step.status.as_str();
            let mut change =
                StateChange::new("transaction", &after.id, &after.organization_id, after.livemode, from, to);
            change.parent_id = Some(after.checkout_id.clone());
            change.amount = Some(after.amount);
            change.currency = Some(after.currency.clone());
            if step.status == TransactionStatus::Failed {
                change.failed = true;
                change.failure_code = after.failure_code.clone();
            }
            changes.push(change);
            from = to;
        }
        for refund in &after.refunds {
            let previous = before.and_then(|b| b.refunds.iter().find(|r| r.id == refund.id)).map(|r| r.status);
            if previous == Some(refund.status) {
                continue;
            }
            let mut change = StateChange::new(
                "refund",
                &refund.id,
                &after.organization_id,
                after.livemode,
                previous.map_or(state_log::NONE, RefundStatus::as_str),
                refund.status.as_str(),
            );
            change.parent_id = Some(after.id.clone());
            change.amount = Some(refund.amount);
            change.currency = Some(after.currency.clone());
            if refund.status == RefundStatus::Failed {
                change.failed = true;
                change.failure_code = refund.failure_code.clone();
            }
            changes.push(change);
        }
        changes
    }

    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    /// Unfinished work is due once its lease has run out and nobody has
    /// touched it for a while.
    fn due_at(&self) -> Option<i64> {
        self.needs_work.then(|| {
            let idle = self.updated_at.max(self.created_at) + ABANDONED_AFTER_MICROS;
            let due = self.lease_until.max(idle).max(self.swept_until);
            if self.awaits_charge() { due.max(self.provider_check_at) } else { due }
        })
    }

    const OBSERVED: bool = true;

    /// `paygate_payments_total` and `paygate_refunds_total`: each payment
    /// and refund is counted by the one write that made it final.
    fn observe_change(before: &serde_json::Value, after: &Self) {
        let provider = provider_label(&after.provider);
        let final_status = |status: &str| matches!(status, "succeeded" | "failed" | "canceled");
        let was = before.get("status").and_then(serde_json::Value::as_str).unwrap_or_default();
        if !final_status(was) && final_status(after.status.as_str()) {
            metrics::counter!("paygate_payments_total", "outcome" => after.status.as_str(), "provider" => provider)
                .increment(1);
        }
        let settled_before: Vec<&str> = before
            .get("refunds")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter(|refund| refund.get("status").and_then(serde_json::Value::as_str).is_some_and(final_status))
            .filter_map(|refund| refund.get("id").and_then(serde_json::Value::as_str))
            .collect();
        for refund in &after.refunds {
            let outcome = match refund.status {
                RefundStatus::Pending => continue,
                RefundStatus::Succeeded => "succeeded",
                RefundStatus::Failed => "failed",
            };
            if !settled_before.contains(&refund.id.as_str()) {
                metrics::counter!("paygate_refunds_total", "outcome" => outcome, "provider" => provider).increment(1);
            }
        }
    }
}

/// The provider kinds Paygate knows, as a metric label; anything else is
/// `other`, so a stored value can never widen the label.
fn provider_label(provider: &str) -> &'static str {
    match provider {
        "sandbox" => "sandbox",
        "stripe" => "stripe",
        "gocardless" => "gocardless",
        _ => "other",
    }
}

impl Owned for Transaction {
    const ID_PREFIX: &'static str = "txn";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// The form of an email the customer-email filter compares.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Transaction {
    /// Back-off before the next try after `attempts` transient provider
    /// failures: 1 s, 2 s, 4 s … capped at 10 minutes.
    pub fn retry_delay_micros(attempts: u32) -> i64 {
        let seconds = 1i64 << attempts.saturating_sub(1).min(10);
        seconds.min(600) * 1_000_000
    }

    pub(crate) fn transition(&mut self, next: TransactionStatus, now: i64) -> CoreResult<()> {
        if !self.status.can_become(next) {
            return Err(CoreError::conflict(
                "transaction_state_invalid",
                format!("a {} transaction cannot become {}", self.status.as_str(), next.as_str()),
            ));
        }
        self.status = next;
        self.history.push(StatusChange { status: next, at: now });
        self.follow_up = true;
        Ok(())
    }

    /// Recomputes the scheduler flag; called before every write.
    pub fn refresh_needs_work(&mut self) {
        // An awaited charge is due only for its next check with the
        // provider (see `due_at`); it is never sent again.
        let charging = matches!(self.status, TransactionStatus::Pending | TransactionStatus::Processing);
        self.needs_work = charging
            || self.pending_action.is_some()
            || self.refunds.iter().any(|r| r.status == RefundStatus::Pending && !r.awaits_provider())
            || self.follow_up;
    }

    /// The provider holds the charge and decides; only its webhook or a
    /// check with it settles the transaction.
    pub fn awaits_charge(&self) -> bool {
        self.awaiting_provider && matches!(self.status, TransactionStatus::Pending | TransactionStatus::Processing)
    }

    /// First check a minute after the provider took the charge, then 2, 4,
    /// … minutes apart, at most an hour.
    pub fn provider_check_delay_micros(checks: u32) -> i64 {
        let minutes = 1i64 << checks.min(6);
        minutes.min(60) * 60_000_000
    }

    pub fn refundable(&self) -> i64 {
        let reserved: i64 = self.refunds.iter().filter(|r| r.status == RefundStatus::Pending).map(|r| r.amount).sum();
        self.amount_captured - self.amount_refunded - reserved
    }

    pub(super) fn lease_expired(&self, now: i64) -> bool {
        self.lease_until <= now
    }
}

#[cfg(test)]
mod tests {
    use super::TransactionStatus::*;

    #[test]
    fn the_state_machine_allows_only_documented_transitions() {
        let all = [Pending, Processing, RequiresCapture, Succeeded, Failed, Canceled];
        let allowed = [
            (Pending, Processing),
            (Processing, RequiresCapture),
            (Processing, Succeeded),
            (Processing, Failed),
            (RequiresCapture, Succeeded),
            (RequiresCapture, Canceled),
        ];
        for from in all {
            for to in all {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
    }
}
