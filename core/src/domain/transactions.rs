//! Transactions: one attempt to pay a checkout, and everything that
//! happens to the money afterwards (capture, cancel, refunds).
//!
//! State lives in one document per transaction and every change is a
//! compare-and-swap on it, so a rule checked while deciding still holds when
//! the change is written. Work that must follow a change (provider calls,
//! checkout status, IPN records) is marked on the document (`needsWork`,
//! `leaseUntil`) before it starts, so a core that dies mid-way leaves a
//! trail the sweeper picks up; each step is idempotent.

use serde::{Deserialize, Serialize};

use super::{
    Core, Entity,
    auth::Principal,
    checkouts::{CaptureMethod, Checkout, CheckoutStatus, MAX_FAILED_ATTEMPTS},
    idempotency::Idempotent,
    now_micros,
    taxation::SaleTax,
};
use crate::tax::{self, TaxedDocument};
use crate::{
    error::{CoreError, CoreResult},
    ids::{is_id, new_id},
    providers::{ChargeRequest, ChargeStatus, PaymentMethod, ProviderError},
    store::{Page, StoreError},
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
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    pub site_id: String,
    pub checkout_id: String,
    pub status: TransactionStatus,
    pub amount: i64,
    pub currency: String,
    pub capture_method: CaptureMethod,
    pub payment_method: PaymentMethod,
    pub provider: String,
    #[serde(default)]
    pub provider_reference: Option<String>,
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
}

impl Entity for Transaction {
    const COLLECTION: &'static str = "transactions";
    const NAME: &'static str = "transaction";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    /// Unfinished work is due once its lease has run out and nobody has
    /// touched it for a while.
    fn due_at(&self) -> Option<i64> {
        self.needs_work.then(|| {
            let idle = self.updated_at.max(self.created_at) + ABANDONED_AFTER_MICROS;
            self.lease_until.max(idle).max(self.swept_until)
        })
    }
}

impl Transaction {
    fn transition(&mut self, next: TransactionStatus, now: i64) -> CoreResult<()> {
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

    /// Recomputes the sweeper flag; called before every write.
    pub fn refresh_needs_work(&mut self) {
        self.needs_work = matches!(self.status, TransactionStatus::Pending | TransactionStatus::Processing)
            || self.pending_action.is_some()
            || self.refunds.iter().any(|r| r.status == RefundStatus::Pending)
            || self.follow_up;
    }

    pub fn refundable(&self) -> i64 {
        let reserved: i64 = self.refunds.iter().filter(|r| r.status == RefundStatus::Pending).map(|r| r.amount).sum();
        self.amount_captured - self.amount_refunded - reserved
    }

    fn lease_expired(&self, now: i64) -> bool {
        self.lease_until <= now
    }
}

/// Checks the body of a pay request.
pub fn parse_payment_method(kind: &str, vpa: &str) -> CoreResult<PaymentMethod> {
    let kind = kind.trim();
    if kind.is_empty() {
        return Err(CoreError::field("paymentMethod", "parameter_missing", "paymentMethod is required"));
    }
    if kind == "upi" {
        let vpa = vpa.trim();
        if vpa.is_empty() || vpa.len() > 100 || !vpa.contains('@') {
            return Err(CoreError::field("vpa", "vpa_invalid", "vpa must be a UPI address such as name@bank"));
        }
        return Ok(PaymentMethod::Upi { vpa: vpa.to_owned() });
    }
    if kind.len() > 200 || !kind.starts_with("tok_") {
        return Err(CoreError::field(
            "paymentMethod",
            "payment_method_invalid",
            "paymentMethod must be a provider token (tok_…) or \"upi\"",
        ));
    }
    Ok(PaymentMethod::Card { token: kind.to_owned() })
}

impl Core {
    /// Starts paying a checkout: stores the transaction, marks the checkout
    /// processing (only one pay can win), then wakes a worker. The charge
    /// itself runs asynchronously.
    pub async fn pay(&self, checkout_id: &str, method: PaymentMethod) -> CoreResult<Transaction> {
        let checkout = self.public_checkout(checkout_id).await?;
        ensure_payable(&checkout, now_micros())?;
        if !self.provider.accepts(&method) {
            return Err(CoreError::field(
                "paymentMethod",
                "payment_method_invalid",
                "this payment method is not accepted by the provider",
            ));
        }
        let now = now_micros();
        let tax = self.assess_tax(&checkout, now).await?;
        let mut transaction = Transaction {
            id: new_id("txn"),
            version: 0,
            created_at: now,
            updated_at: now,
            organization_id: checkout.organization_id.clone(),
            site_id: checkout.site_id.clone(),
            checkout_id: checkout.id.clone(),
            status: TransactionStatus::Pending,
            amount: checkout.amount,
            currency: checkout.currency.clone(),
            capture_method: checkout.capture_method,
            payment_method: method,
            provider: self.provider.name().to_owned(),
            provider_reference: None,
            failure_code: None,
            failure_message: None,
            amount_captured: 0,
            amount_refunded: 0,
            refunds: Vec::new(),
            history: vec![StatusChange { status: TransactionStatus::Pending, at: now }],
            pending_action: None,
            capture_amount: None,
            action_id: None,
            action_failures: Vec::new(),
            // Leased to nobody yet: the sweeper re-drives it after this.
            lease_until: now + WORK_LEASE_MICROS,
            attempts: 0,
            follow_up: false,
            needs_work: true,
            swept_until: 0,
            invoice_id: None,
            tax,
        };
        transaction.refresh_needs_work();
        // Stored first: from here on a crash leaves a record to recover.
        let transaction = self.insert(&transaction).await?;
        let transaction_id = transaction.id.clone();
        let claimed = self
            .modify(checkout, |checkout| {
                ensure_payable(checkout, now_micros())?;
                checkout.status = CheckoutStatus::Processing;
                checkout.transaction_id = Some(transaction_id.clone());
                Ok(())
            })
            .await;
        if let Err(err) = claimed {
            // Another pay won the checkout: this transaction never existed
            // for anyone. If the delete fails, the worker discards it.
            if let Err(delete_err) = self.store.delete(Transaction::COLLECTION, &transaction.id).await {
                tracing::warn!(error = %delete_err, transaction = %transaction.id, "abandoned transaction not deleted");
            }
            return Err(err);
        }
        if let Err(err) = self.queue.publish(PAYMENT_QUEUE, transaction.id.as_bytes()).await {
            // The sweeper publishes it again once the lease runs out.
            tracing::warn!(error = %err, transaction = %transaction.id, "payment job not published");
        }
        Ok(transaction)
    }

    /// The worker's half of a payment: claim the transaction, charge the
    /// provider with the transaction id as idempotency key, record the
    /// outcome, then bring the checkout and IPNs in line. Safe to run any
    /// number of times, concurrently, for the same transaction.
    pub async fn process_payment(&self, transaction_id: &str) -> CoreResult<()> {
        let Some(transaction) = self.get::<Transaction>(transaction_id).await? else {
            return Ok(());
        };
        if !matches!(transaction.status, TransactionStatus::Pending | TransactionStatus::Processing) {
            return self.resume_transaction(transaction).await;
        }
        let now = now_micros();
        if transaction.status == TransactionStatus::Processing && !transaction.lease_expired(now) {
            // Another worker holds it; if it dies, the lease runs out and
            // the sweeper hands it on.
            return Ok(());
        }
        let checkout = self.get::<Checkout>(&transaction.checkout_id).await?;
        if checkout.as_ref().and_then(|c| c.transaction_id.as_deref()) != Some(transaction.id.as_str()) {
            // Lost the race for its checkout before the worker ran.
            if transaction.status == TransactionStatus::Pending {
                self.store.delete(Transaction::COLLECTION, &transaction.id).await?;
            }
            return Ok(());
        }
        let mut claimed = transaction;
        if claimed.status == TransactionStatus::Pending {
            claimed.transition(TransactionStatus::Processing, now)?;
            claimed.follow_up = false;
        }
        claimed.lease_until = now + WORK_LEASE_MICROS;
        claimed.attempts += 1;
        claimed.updated_at = now;
        claimed.refresh_needs_work();
        let claimed = match self.replace(&claimed).await {
            Ok(claimed) => claimed,
            // Someone else claimed it first.
            Err(CoreError::Store(StoreError::VersionConflict)) => return Ok(()),
            Err(err) => return Err(err),
        };

        let request = ChargeRequest {
            idempotency_key: claimed.id.clone(),
            order_reference: claimed.checkout_id.clone(),
            amount: claimed.amount,
            currency: claimed.currency.clone(),
            method: claimed.payment_method.clone(),
            capture: claimed.capture_method == CaptureMethod::Automatic,
        };
        let outcome = self.provider.authorize(&request).await;
        let (next, reference, failure) = match outcome {
            Ok(outcome) => match outcome.status {
                ChargeStatus::Succeeded => (TransactionStatus::Succeeded, Some(outcome.reference), None),
                ChargeStatus::RequiresCapture => (TransactionStatus::RequiresCapture, Some(outcome.reference), None),
                ChargeStatus::Failed { code, message } => {
                    (TransactionStatus::Failed, Some(outcome.reference), Some((code, message)))
                }
            },
            Err(ProviderError::Refused { code, message }) => (TransactionStatus::Failed, None, Some((code, message))),
            Err(ProviderError::Transient(message)) => {
                // Leave the lease to run out; the sweeper retries with the
                // same idempotency key.
                tracing::warn!(transaction = %claimed.id, %message, "provider unavailable; will retry");
                return Ok(());
            }
        };
        let settled = self
            .modify(claimed, |transaction| {
                if transaction.status != TransactionStatus::Processing {
                    // Another worker settled it with the same provider
                    // answer (same key): nothing to write.
                    return Err(CoreError::conflict("already_settled", "settled elsewhere"));
                }
                let now = now_micros();
                transaction.transition(next, now)?;
                transaction.provider_reference = reference.clone();
                if next == TransactionStatus::Succeeded {
                    transaction.amount_captured = transaction.amount;
                }
                if let Some((code, message)) = &failure {
                    transaction.failure_code = Some(code.clone());
                    transaction.failure_message = Some(message.clone());
                }
                transaction.lease_until = 0;
                transaction.updated_at = now;
                transaction.refresh_needs_work();
                Ok(())
            })
            .await;
        match settled {
            Ok(transaction) => self.follow_up(transaction).await,
            Err(CoreError::Conflict { code: "already_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Finishes whatever a transaction still owes: an unfinished capture,
    /// cancel or refund (same idempotency keys, so never twice), then the
    /// follow-up. Used by the sweeper and by workers that find a settled
    /// transaction.
    pub async fn resume_transaction(&self, transaction: Transaction) -> CoreResult<()> {
        let now = now_micros();
        if matches!(transaction.status, TransactionStatus::Pending | TransactionStatus::Processing) {
            if transaction.lease_expired(now) {
                self.queue.publish(PAYMENT_QUEUE, transaction.id.as_bytes()).await?;
            }
            return Ok(());
        }
        if let Some(action) = transaction.pending_action
            && transaction.lease_expired(now)
        {
            let transaction = self.lease(&transaction.id).await?;
            let finished = match action {
                PendingAction::Capture => self.finish_capture(transaction).await,
                PendingAction::Cancel => self.finish_cancel(transaction).await,
            };
            return match finished {
                // A refusal is an outcome, recorded and announced already.
                Ok(_) | Err(CoreError::Provider { .. }) => Ok(()),
                Err(err) => Err(err),
            };
        }
        let stalled: Vec<String> =
            transaction.refunds.iter().filter(|r| r.status == RefundStatus::Pending).map(|r| r.id.clone()).collect();
        if !stalled.is_empty() && transaction.lease_expired(now) {
            let transaction = self.lease(&transaction.id).await?;
            let mut finished = Ok(());
            for refund_id in stalled {
                if let Err(err) = self.finish_refund(&transaction.id, &refund_id).await {
                    finished = Err(err);
                    break;
                }
            }
            // Released at once: a refund the provider could not take yet is
            // retried on the next pass, not after a whole lease.
            self.update::<Transaction, _>(&transaction.id, |transaction| {
                transaction.lease_until = 0;
                Ok(())
            })
            .await?;
            return finished;
        }
        if transaction.follow_up {
            self.follow_up(transaction).await?;
        }
        Ok(())
    }

    /// Takes the work lease on a transaction for this worker.
    async fn lease(&self, id: &str) -> CoreResult<Transaction> {
        self.update::<Transaction, _>(id, |transaction| {
            let now = now_micros();
            if !transaction.lease_expired(now) {
                return Err(CoreError::conflict("transaction_busy", "another request is working on this transaction"));
            }
            transaction.lease_until = now + WORK_LEASE_MICROS;
            Ok(())
        })
        .await
    }

    /// Brings the checkout and the IPN records in line with the
    /// transaction, then clears the mark. Idempotent; if the transaction
    /// changed meanwhile, the newer state is followed up instead.
    pub async fn follow_up(&self, mut transaction: Transaction) -> CoreResult<()> {
        for _ in 0..16 {
            if !transaction.follow_up {
                return Ok(());
            }
            let checkout = self.sync_checkout(&transaction).await?;
            // Invoice first, so the IPN already carries its id.
            if let Some(invoice_id) = self.issue_documents(&transaction, &checkout).await? {
                transaction.invoice_id = Some(invoice_id);
            }
            self.record_transaction_events(&transaction, &checkout).await?;
            let mut done = transaction.clone();
            done.follow_up = false;
            done.refresh_needs_work();
            match self.replace(&done).await {
                Ok(_) => return Ok(()),
                Err(CoreError::Store(StoreError::VersionConflict)) => {
                    transaction =
                        self.get::<Transaction>(&transaction.id).await?.ok_or(CoreError::NotFound("transaction"))?;
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// The checkout and its latest transaction as the payer should see
    /// them: a settled transaction whose checkout the follow-up has not
    /// updated yet already counts.
    pub async fn checkout_status(
        &self,
        checkout_id: &str,
    ) -> CoreResult<(Checkout, Option<Transaction>, CheckoutStatus)> {
        let checkout = self.public_checkout(checkout_id).await?;
        let transaction = match &checkout.transaction_id {
            Some(id) => self.get::<Transaction>(id).await?,
            None => None,
        };
        let mut status = checkout.effective_status(now_micros());
        if status == CheckoutStatus::Processing
            && let Some(transaction) = &transaction
            && let Some(settled) = checkout_target(transaction.status)
        {
            status = settled;
            if transaction.status == TransactionStatus::Failed && checkout.failed_attempts + 1 >= MAX_FAILED_ATTEMPTS {
                status = CheckoutStatus::Canceled;
            }
        }
        Ok((checkout, transaction, status))
    }

    /// Moves the checkout to what the transaction implies; returns the
    /// checkout as stored afterwards. A failed attempt re-opens it, unless
    /// it was the last one allowed: then the checkout is canceled.
    async fn sync_checkout(&self, transaction: &Transaction) -> CoreResult<Checkout> {
        let checkout =
            self.get::<Checkout>(&transaction.checkout_id).await?.ok_or(CoreError::NotFound(Checkout::NAME))?;
        let Some(target) = checkout_target(transaction.status) else {
            return Ok(checkout);
        };
        let failed = transaction.status == TransactionStatus::Failed;
        let in_sync = |c: &Checkout| {
            c.transaction_id.as_deref() != Some(transaction.id.as_str())
                || if failed {
                    c.counted_failure.as_deref() == Some(transaction.id.as_str())
                } else {
                    c.status == target
                }
        };
        if in_sync(&checkout) {
            return Ok(checkout);
        }
        let result = self
            .modify(checkout, |checkout| {
                if in_sync(checkout) {
                    return Err(CoreError::conflict("checkout_in_sync", "nothing to change"));
                }
                checkout.status = target;
                if failed {
                    checkout.failed_attempts += 1;
                    checkout.counted_failure = Some(transaction.id.clone());
                    if checkout.failed_attempts >= MAX_FAILED_ATTEMPTS {
                        checkout.status = CheckoutStatus::Canceled;
                        checkout.follow_up = true;
                    }
                }
                Ok(())
            })
            .await;
        match result {
            Ok(checkout) => {
                if checkout.follow_up {
                    // Announces the closing (`checkout.canceled`); the
                    // sweeper does it if this fails.
                    self.follow_up_checkout(checkout.clone()).await?;
                }
                Ok(checkout)
            }
            Err(CoreError::Conflict { code: "checkout_in_sync", .. }) => {
                self.get::<Checkout>(&transaction.checkout_id).await?.ok_or(CoreError::NotFound(Checkout::NAME))
            }
            Err(err) => Err(err),
        }
    }

    /// A transaction of the caller's organization.
    pub async fn owned_transaction(&self, principal: &Principal, id: &str) -> CoreResult<Transaction> {
        if !is_id("txn", id) {
            return Err(CoreError::NotFound(Transaction::NAME));
        }
        match self.get::<Transaction>(id).await? {
            Some(transaction) if transaction.organization_id == principal.organization_id => Ok(transaction),
            _ => Err(CoreError::NotFound(Transaction::NAME)),
        }
    }

    pub async fn list_transactions(
        &self,
        principal: &Principal,
        site_id: &str,
        status: Option<TransactionStatus>,
        page: &Page,
    ) -> CoreResult<(Vec<Transaction>, bool)> {
        let mut filter = self.scoped_filter(principal, site_id).await?;
        if let Some(status) = status {
            filter.push(("status", status.as_str().into()));
        }
        self.list(&filter, page).await
    }

    /// Captures an authorization (`captureMethod: "manual"`): all of it, or
    /// `amount` of it with the rest released. A provider that cannot be
    /// reached leaves the capture pending (the answer says so) and the
    /// re-drive finishes it; the same `Idempotency-Key` then answers with
    /// the same transaction, never a second capture.
    pub async fn capture(
        &self,
        principal: &Principal,
        id: &str,
        amount: Option<i64>,
        idempotency_key: &str,
    ) -> CoreResult<Idempotent<Transaction>> {
        let transaction = self.owned_transaction(principal, id).await?;
        if let Some(amount) = amount {
            if amount <= 0 {
                return Err(CoreError::field("amount", "amount_invalid", "amount must be a positive integer"));
            }
            if amount > transaction.amount {
                return Err(CoreError::field(
                    "amount",
                    "amount_exceeds_authorized",
                    format!("at most {} can be captured", transaction.amount),
                ));
            }
        }
        let fingerprint = super::idempotency::fingerprint(&("capture", id, amount))?;
        self.idempotent(
            &principal.organization_id,
            "transaction.capture",
            idempotency_key,
            fingerprint,
            "act",
            |action_id| async move {
                let transaction = self.start_action(id, PendingAction::Capture, amount, &action_id).await?;
                self.finish_capture(transaction).await
            },
        )
        .await
    }

    /// Releases an authorization without charging; pending on a provider
    /// outage exactly like [`Core::capture`].
    pub async fn cancel(
        &self,
        principal: &Principal,
        id: &str,
        idempotency_key: &str,
    ) -> CoreResult<Idempotent<Transaction>> {
        self.owned_transaction(principal, id).await?;
        let fingerprint = super::idempotency::fingerprint(&("cancel", id))?;
        self.idempotent(
            &principal.organization_id,
            "transaction.cancel",
            idempotency_key,
            fingerprint,
            "act",
            |action_id| async move {
                let transaction = self.start_action(id, PendingAction::Cancel, None, &action_id).await?;
                self.finish_cancel(transaction).await
            },
        )
        .await
    }

    /// Claims the transaction for a capture or cancel; the first of two
    /// racing requests wins, the other gets 409. A resumed request whose
    /// first attempt already claimed (or finished) the action gets the
    /// transaction as it is.
    async fn start_action(
        &self,
        id: &str,
        action: PendingAction,
        capture_amount: Option<i64>,
        action_id: &str,
    ) -> CoreResult<Transaction> {
        let mut resumed = false;
        let transaction = self
            .update::<Transaction, _>(id, |transaction| {
                if transaction.action_id.as_deref() == Some(action_id) {
                    resumed = true;
                    return Ok(());
                }
                if transaction.status != TransactionStatus::RequiresCapture {
                    let verb = if action == PendingAction::Capture { "captured" } else { "canceled" };
                    return Err(CoreError::conflict(
                        "transaction_state_invalid",
                        format!("a {} transaction cannot be {verb}", transaction.status.as_str()),
                    ));
                }
                if transaction.pending_action.is_some() {
                    return Err(CoreError::conflict(
                        "transaction_busy",
                        "a capture or cancel of this transaction is already in progress",
                    ));
                }
                let now = now_micros();
                transaction.pending_action = Some(action);
                transaction.capture_amount = capture_amount;
                transaction.action_id = Some(action_id.to_owned());
                transaction.lease_until = now + WORK_LEASE_MICROS;
                transaction.updated_at = now;
                transaction.refresh_needs_work();
                Ok(())
            })
            .await?;
        if resumed && transaction.pending_action.is_some() && !transaction.lease_expired(now_micros()) {
            // The first attempt still works on it (or the re-drive does).
            return Err(CoreError::IdempotencyInProgress);
        }
        Ok(transaction)
    }

    /// Asks the provider to capture and books the answer: success settles
    /// the transaction, a refusal is recorded and announced, an outage
    /// leaves the capture pending for the re-drive. Idempotent.
    async fn finish_capture(&self, transaction: Transaction) -> CoreResult<Transaction> {
        if transaction.pending_action != Some(PendingAction::Capture) {
            return Ok(transaction);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        let amount = transaction.capture_amount.unwrap_or(transaction.amount);
        let outcome = self.provider.capture(&format!("{}:capture", transaction.id), &reference, amount).await;
        if let Err(err) = outcome {
            return self.action_not_done(transaction, PendingAction::Capture, err).await;
        }
        let settled = self
            .update::<Transaction, _>(&transaction.id, |transaction| {
                if transaction.pending_action != Some(PendingAction::Capture) {
                    return Ok(());
                }
                let now = now_micros();
                transaction.transition(TransactionStatus::Succeeded, now)?;
                transaction.amount_captured = amount;
                if amount < transaction.amount {
                    transaction.tax.document = partially_captured(&transaction.tax.document, amount)?;
                }
                transaction.pending_action = None;
                transaction.capture_amount = None;
                transaction.lease_until = 0;
                transaction.updated_at = now;
                transaction.refresh_needs_work();
                Ok(())
            })
            .await?;
        self.follow_up(settled.clone()).await?;
        Ok(settled)
    }

    async fn finish_cancel(&self, transaction: Transaction) -> CoreResult<Transaction> {
        if transaction.pending_action != Some(PendingAction::Cancel) {
            return Ok(transaction);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        if let Err(err) = self.provider.cancel(&format!("{}:cancel", transaction.id), &reference).await {
            return self.action_not_done(transaction, PendingAction::Cancel, err).await;
        }
        let settled = self
            .update::<Transaction, _>(&transaction.id, |transaction| {
                if transaction.pending_action != Some(PendingAction::Cancel) {
                    return Ok(());
                }
                let now = now_micros();
                transaction.transition(TransactionStatus::Canceled, now)?;
                transaction.pending_action = None;
                transaction.capture_amount = None;
                transaction.lease_until = 0;
                transaction.updated_at = now;
                transaction.refresh_needs_work();
                Ok(())
            })
            .await?;
        self.follow_up(settled.clone()).await?;
        Ok(settled)
    }

    /// A capture or cancel the provider did not carry out. Refused: the
    /// refusal is recorded, the action cleared (a later capture or cancel
    /// may follow) and announced by IPN; the caller gets the provider's
    /// code. Unreachable: the action stays pending, the lease is released
    /// so the re-drive retries with the same provider key, and the caller
    /// gets the pending transaction.
    async fn action_not_done(
        &self,
        transaction: Transaction,
        action: PendingAction,
        err: ProviderError,
    ) -> CoreResult<Transaction> {
        match err {
            ProviderError::Refused { code, message } => {
                let refused = self
                    .update::<Transaction, _>(&transaction.id, |transaction| {
                        if transaction.pending_action != Some(action) {
                            return Ok(());
                        }
                        let now = now_micros();
                        transaction.pending_action = None;
                        transaction.capture_amount = None;
                        transaction.action_failures.push(ActionFailure {
                            action,
                            code: code.clone(),
                            message: message.clone(),
                            at: now,
                        });
                        transaction.follow_up = true;
                        transaction.lease_until = 0;
                        transaction.updated_at = now;
                        transaction.refresh_needs_work();
                        Ok(())
                    })
                    .await?;
                self.follow_up(refused).await?;
                Err(CoreError::Provider { code, message })
            }
            ProviderError::Transient(message) => {
                tracing::warn!(transaction = %transaction.id, action = action.as_str(), %message, "provider unavailable; the re-drive retries");
                self.update::<Transaction, _>(&transaction.id, |transaction| {
                    if transaction.pending_action == Some(action) {
                        transaction.lease_until = 0;
                        transaction.updated_at = now_micros();
                    }
                    Ok(())
                })
                .await
            }
        }
    }

    /// Refunds part or all of a captured transaction. The amount is reserved
    /// on the transaction (compare-and-swap) before the provider is asked,
    /// so concurrent refunds can never exceed what was captured. Once
    /// reserved, the refund is the answer: if the provider cannot be reached
    /// it stays `pending`, the re-drive finishes it, and the same
    /// `Idempotency-Key` keeps answering with this refund.
    pub async fn refund(
        &self,
        principal: &Principal,
        id: &str,
        amount: Option<i64>,
        reason: &str,
        idempotency_key: &str,
    ) -> CoreResult<Idempotent<Refund>> {
        self.owned_transaction(principal, id).await?;
        let reason = super::validate::text("reason", reason.trim(), 500)?.to_owned();
        if let Some(amount) = amount
            && amount <= 0
        {
            return Err(CoreError::field("amount", "amount_invalid", "amount must be a positive integer"));
        }
        let fingerprint = super::idempotency::fingerprint(&(id, amount, &reason))?;
        self.idempotent(&principal.organization_id, "refund.create", idempotency_key, fingerprint, "re", |refund_id| {
            let reason = reason.clone();
            async move {
                let reserved = self
                    .update::<Transaction, _>(id, |transaction| {
                        if transaction.refunds.iter().any(|r| r.id == refund_id) {
                            return Ok(());
                        }
                        if transaction.status != TransactionStatus::Succeeded {
                            return Err(CoreError::conflict(
                                "transaction_not_refundable",
                                format!("a {} transaction cannot be refunded", transaction.status.as_str()),
                            ));
                        }
                        let available = transaction.refundable();
                        let amount = amount.unwrap_or(available);
                        if available <= 0 {
                            return Err(CoreError::conflict(
                                "transaction_fully_refunded",
                                "nothing is left to refund on this transaction",
                            ));
                        }
                        if amount > available {
                            return Err(CoreError::field(
                                "amount",
                                "refund_exceeds_captured",
                                format!("at most {available} can still be refunded"),
                            ));
                        }
                        let now = now_micros();
                        transaction.refunds.push(Refund {
                            id: refund_id.clone(),
                            amount,
                            status: RefundStatus::Pending,
                            reason: reason.clone(),
                            created_at: now,
                            provider_reference: None,
                            failure_code: None,
                        });
                        // Keeps the re-drive away while this request asks
                        // the provider itself.
                        transaction.updated_at = now;
                        transaction.refresh_needs_work();
                        Ok(())
                    })
                    .await?;
                match self.finish_refund(&reserved.id, &refund_id).await {
                    Ok(refund) => Ok(refund),
                    Err(err) => {
                        // The refund exists: answering an error would free the
                        // key for a second refund while the re-drive finishes
                        // this one.
                        tracing::warn!(transaction = %reserved.id, refund = %refund_id, error = %err, "refund left pending for the re-drive");
                        reserved
                            .refunds
                            .iter()
                            .find(|r| r.id == refund_id)
                            .cloned()
                            .ok_or_else(|| CoreError::Internal(format!("refund {refund_id} not on {}", reserved.id)))
                    }
                }
            }
        })
        .await
    }

    /// Asks the provider for a reserved refund (key = refund id) and books
    /// the answer; an unreachable provider leaves it pending. Idempotent.
    async fn finish_refund(&self, transaction_id: &str, refund_id: &str) -> CoreResult<Refund> {
        let transaction =
            self.get::<Transaction>(transaction_id).await?.ok_or(CoreError::NotFound(Transaction::NAME))?;
        let refund = transaction
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .cloned()
            .ok_or_else(|| CoreError::Internal(format!("refund {refund_id} not on {transaction_id}")))?;
        if refund.status != RefundStatus::Pending {
            return Ok(refund);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        let outcome = self.provider.refund(refund_id, &reference, refund.amount).await;
        let (status, provider_reference, failure_code) = match outcome {
            Ok(outcome) => (RefundStatus::Succeeded, Some(outcome.reference), None),
            Err(ProviderError::Refused { code, .. }) => (RefundStatus::Failed, None, Some(code)),
            Err(ProviderError::Transient(message)) => {
                tracing::warn!(transaction = %transaction_id, refund = %refund_id, %message, "provider unavailable; the re-drive retries");
                self.update::<Transaction, _>(transaction_id, |transaction| {
                    transaction.updated_at = now_micros();
                    Ok(())
                })
                .await?;
                return Ok(refund);
            }
        };
        let updated = self
            .update::<Transaction, _>(transaction_id, |transaction| {
                let Some(refund) = transaction.refunds.iter_mut().find(|r| r.id == refund_id) else {
                    return Ok(());
                };
                if refund.status != RefundStatus::Pending {
                    return Ok(());
                }
                refund.status = status;
                refund.provider_reference = provider_reference.clone();
                refund.failure_code = failure_code.clone();
                if status == RefundStatus::Succeeded {
                    let amount = refund.amount;
                    transaction.amount_refunded += amount;
                    transaction.follow_up = true;
                }
                transaction.updated_at = now_micros();
                transaction.refresh_needs_work();
                Ok(())
            })
            .await?;
        let refund = updated
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .cloned()
            .ok_or_else(|| CoreError::Internal("refund vanished".into()))?;
        self.follow_up(updated).await?;
        Ok(refund)
    }
}

/// What a checkout becomes when its transaction reaches `status`.
fn checkout_target(status: TransactionStatus) -> Option<CheckoutStatus> {
    match status {
        TransactionStatus::Succeeded | TransactionStatus::RequiresCapture => Some(CheckoutStatus::Completed),
        // A failed attempt re-opens the checkout so the payer can try
        // another card.
        TransactionStatus::Failed => Some(CheckoutStatus::Open),
        TransactionStatus::Canceled => Some(CheckoutStatus::Canceled),
        TransactionStatus::Pending | TransactionStatus::Processing => None,
    }
}

fn ensure_payable(checkout: &Checkout, now: i64) -> CoreResult<()> {
    if checkout.failed_attempts >= MAX_FAILED_ATTEMPTS {
        return Err(CoreError::TooManyAttempts {
            code: "too_many_attempts",
            message: format!(
                "this checkout was closed after {MAX_FAILED_ATTEMPTS} failed payment attempts; create a new checkout"
            ),
        });
    }
    match checkout.effective_status(now) {
        CheckoutStatus::Open => Ok(()),
        CheckoutStatus::Processing => {
            Err(CoreError::conflict("checkout_processing", "a payment for this checkout is already in progress"))
        }
        CheckoutStatus::Completed => Err(CoreError::conflict("checkout_completed", "this checkout is already paid")),
        CheckoutStatus::Expired => Err(CoreError::conflict("checkout_expired", "this checkout has expired")),
        CheckoutStatus::Canceled => Err(CoreError::conflict("checkout_canceled", "this checkout was canceled")),
    }
}

/// The sale's tax document for a capture of `captured` out of a larger
/// authorization: one line per rate of the original document, each rate's
/// share of `captured` in proportion to its gross (the last rate takes the
/// rounding remainder), taxed at that rate. The invoice is issued from it,
/// so it shows what was charged.
fn partially_captured(document: &TaxedDocument, captured: i64) -> CoreResult<TaxedDocument> {
    let authorized = document.total.gross;
    if authorized <= 0 || document.by_rate.is_empty() {
        return tax::tax_lines(&[("Partial capture".to_owned(), 1, captured)], 0)
            .ok_or_else(|| CoreError::Internal("capture amount overflows".into()));
    }
    let description = match document.lines.as_slice() {
        [only] => only.description.clone(),
        _ => "Partial capture".to_owned(),
    };
    let mut lines = Vec::with_capacity(document.by_rate.len());
    let mut left = captured;
    for (i, rate) in document.by_rate.iter().enumerate() {
        let share = if i + 1 == document.by_rate.len() {
            left
        } else {
            i64::try_from(i128::from(captured) * i128::from(rate.split.gross) / i128::from(authorized))
                .map_err(|_| CoreError::Internal("capture amount overflows".into()))?
        };
        left -= share;
        let split = tax::extract(share, rate.rate_bps);
        lines.push(tax::TaxedLine {
            description: description.clone(),
            quantity: 1,
            unit_amount: share,
            rate_bps: rate.rate_bps,
            split,
        });
    }
    Ok(tax::summarise(lines))
}

#[cfg(test)]
mod tests {
    use super::TransactionStatus::*;
    use super::*;

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

    #[test]
    fn a_partial_capture_is_taxed_per_rate_in_proportion() {
        let sale = tax::summarise(vec![
            tax::TaxedLine {
                description: "Book".into(),
                quantity: 1,
                unit_amount: 10_700,
                rate_bps: 700,
                split: tax::extract(10_700, 700),
            },
            tax::TaxedLine {
                description: "Pen".into(),
                quantity: 1,
                unit_amount: 11_900,
                rate_bps: 1900,
                split: tax::extract(11_900, 1900),
            },
        ]);
        for captured in [1, 2, 9_999, 11_300, 22_599, 22_600] {
            let document = partially_captured(&sale, captured).expect("taxed");
            assert_eq!(document.total.gross, captured);
            assert_eq!(document.total.net + document.total.tax, captured);
            assert_eq!(document.by_rate.iter().map(|r| r.split.gross).sum::<i64>(), captured);
            assert!(document.by_rate.iter().all(|r| r.split.gross >= 0 && r.split.tax >= 0));
        }
        let half = partially_captured(&sale, 11_300).expect("taxed");
        assert_eq!(half.by_rate[0].split, tax::extract(5_350, 700));
        assert_eq!(half.by_rate[1].split, tax::extract(5_950, 1900));
        assert_eq!(partially_captured(&sale, 22_600).expect("taxed").total, sale.total);
    }

    #[test]
    fn payment_methods_parse() {
        assert!(matches!(parse_payment_method("tok_visa", ""), Ok(PaymentMethod::Card { .. })));
        assert!(matches!(parse_payment_method("upi", "success@upi"), Ok(PaymentMethod::Upi { .. })));
        assert!(parse_payment_method("upi", "").is_err());
        assert!(parse_payment_method("4242424242424242", "").is_err());
        assert!(parse_payment_method("", "").is_err());
    }
}
