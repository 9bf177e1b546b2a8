//! Provider webhooks: verified, stored once per provider event id, then
//! applied through the queue.
//!
//! The signature is checked over the exact bytes before anything is read.
//! Each event is stored under an id derived from the provider record and the
//! provider's event id, so a replayed delivery finds its event already there
//! and changes nothing. Applying an event only ever moves a transaction
//! forward: a late `processing` after `succeeded` is recorded and ignored.
//! An event may overtake the API answer that caused it (the worker still
//! waiting on the provider): the transaction is found by the gateway id the
//! provider keeps in its metadata, and the worker, finding it settled,
//! writes nothing.

use serde::{Deserialize, Serialize};

use super::{
    Core, Entity,
    provider_accounts::{ProviderAccount, ProviderKind},
    transactions::{Dispute, Refund, RefundOrigin, RefundStatus, Transaction, TransactionStatus},
};
use crate::{
    error::{CoreError, CoreResult},
    ids::{derived_id, is_id},
    providers::{
        ProviderError,
        events::{ChargeEventStatus, EventKind, HookError, HookRequest, ProviderEvent, RefundEventStatus},
        gocardless, sandbox, stripe,
    },
};

/// The queue that wakes event appliers.
pub const PROVIDER_EVENT_QUEUE: &str = "provider.event";
/// An event whose transaction cannot be found yet (or whose provider did
/// not answer a look-up) is retried this many times, with back-off, then
/// kept as `unmatched`.
pub const MAX_APPLY_ATTEMPTS: u32 = 12;
/// How long a finished event is kept to recognise the provider's retries
/// and replays: well beyond Stripe's three days and GoCardless's retry
/// window. After that a replay is applied again, which the forward-only
/// rules make harmless.
pub const RETENTION_MICROS: i64 = 30 * 24 * 3600 * 1_000_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Stored, not applied yet.
    Received,
    Applied,
    /// Nothing to do: an event type the gateway does not act on, a state
    /// the transaction has already passed, or a charge made elsewhere.
    Ignored,
    /// No transaction found after every retry.
    Unmatched,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderEventRecord {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub provider_id: String,
    pub organization_id: String,
    pub event: ProviderEvent,
    pub status: EventStatus,
    #[serde(default)]
    pub attempts: u32,
    /// When an unapplied event is next tried.
    #[serde(default)]
    pub retry_at: i64,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl Entity for ProviderEventRecord {
    const COLLECTION: &'static str = "provider_events";
    const NAME: &'static str = "provider event";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    /// Unapplied: its next try. Finished: when it may be purged.
    fn due_at(&self) -> Option<i64> {
        Some(if self.status == EventStatus::Received { self.retry_at } else { self.created_at + RETENTION_MICROS })
    }
}

/// How one delivery went: events in the body and how many were new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookReceipt {
    pub received: u32,
    pub new_events: u32,
}

/// Where a charge event leaves a transaction, or why it leaves it alone.
pub(crate) enum ChargeChange {
    Moved,
    Unchanged(&'static str),
}

fn signature_error(err: HookError) -> CoreError {
    match err {
        HookError::Signature(reason) => CoreError::InvalidRequest {
            code: "webhook_signature_invalid",
            message: format!("the webhook signature does not verify: {reason}"),
        },
        HookError::Body(reason) => CoreError::InvalidRequest {
            code: "webhook_body_invalid",
            message: format!("the webhook body is not an event of this provider: {reason}"),
        },
    }
}

impl Core {
    /// Verifies and stores a provider's webhook delivery. Unknown provider
    /// ids and ids of another provider type are 404; a bad signature is
    /// 400 before the body is read. Each new event is queued for applying.
    pub async fn receive_hook(
        &self,
        provider_type: &str,
        provider_id: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> CoreResult<HookReceipt> {
        let kind = ProviderKind::parse(provider_type).ok_or(CoreError::NotFound(ProviderAccount::NAME))?;
        if !is_id("prov", provider_id) {
            return Err(CoreError::NotFound(ProviderAccount::NAME));
        }
        let account = match self.get::<ProviderAccount>(provider_id).await? {
            Some(account) if account.kind == kind => account,
            _ => return Err(CoreError::NotFound(ProviderAccount::NAME)),
        };
        let secret = self.provider_webhook_secret(&account)?.ok_or_else(|| CoreError::InvalidRequest {
            code: "webhook_secret_missing",
            message: "this provider has no webhook signing secret yet: set webhookSecret on it".into(),
        })?;
        let request = HookRequest { headers, body };
        let now_secs = self.now() / 1_000_000;
        let events = match kind {
            ProviderKind::Stripe => stripe::parse_webhook(secret.expose(), request, now_secs),
            ProviderKind::GoCardless => gocardless::parse_webhook(secret.expose(), request),
            ProviderKind::Sandbox => sandbox::parse_webhook(secret.expose(), request, now_secs),
        }
        .map_err(signature_error)?;
        let mut receipt = HookReceipt { received: u32::try_from(events.len()).unwrap_or(u32::MAX), new_events: 0 };
        for event in events {
            let record = ProviderEventRecord {
                id: derived_id("pevt", &format!("{}:{}", account.id, event.id)),
                version: 0,
                created_at: self.now(),
                provider_id: account.id.clone(),
                organization_id: account.organization_id.clone(),
                status: if event.kind == EventKind::Ignored { EventStatus::Ignored } else { EventStatus::Received },
                event,
                attempts: 0,
                retry_at: self.now(),
                transaction_id: None,
                note: None,
            };
            match self.insert(&record).await {
                Ok(record) => {
                    receipt.new_events += 1;
                    tracing::info!(
                        provider = %account.id,
                        event = %record.event.id,
                        event_type = %record.event.event_type,
                        "provider event received"
                    );
                    if record.status == EventStatus::Received
                        && let Err(err) = self.queue.publish(PROVIDER_EVENT_QUEUE, record.id.as_bytes()).await
                    {
                        // Stored: the scheduler applies it anyway.
                        tracing::warn!(error = %err, event = %record.id, "provider event job not published");
                    }
                }
                // Seen before: a provider's retry or a replay.
                Err(CoreError::Store(crate::store::StoreError::Duplicate { .. })) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(receipt)
    }

    /// Applies one stored event. Idempotent: an applied event is left
    /// alone, and every change it makes is a forward-only transition.
    pub async fn apply_provider_event(&self, id: &str) -> CoreResult<()> {
        // Whoever hands the event on (a worker, the scheduler), the
        // changes it makes are the provider's.
        super::state_log::acting(super::state_log::Actor::ProviderWebhook, self.apply_stored_event(id)).await
    }

    async fn apply_stored_event(&self, id: &str) -> CoreResult<()> {
        let Some(record) = self.get::<ProviderEventRecord>(id).await? else { return Ok(()) };
        if record.status != EventStatus::Received {
            return Ok(());
        }
        let outcome = match self.get::<ProviderAccount>(&record.provider_id).await? {
            Some(account) => self.apply_event(&account, &record.event).await,
            None => Ok(Applied::Ignored("provider deleted".into(), None)),
        };
        let (status, note, transaction_id) = match outcome {
            Ok(Applied::Done(transaction_id)) => (EventStatus::Applied, None, Some(transaction_id)),
            Ok(Applied::Ignored(note, transaction_id)) => (EventStatus::Ignored, Some(note), transaction_id),
            Err(err @ (CoreError::ProviderUnavailable(_) | CoreError::Store(_) | CoreError::Queue(_))) => {
                return self.retry_event(record, err.to_string()).await;
            }
            Err(err) if matches!(&err, CoreError::Conflict { code: "transaction_not_found_yet", .. }) => {
                return self.retry_event(record, err.to_string()).await;
            }
            Err(err) => return Err(err),
        };
        self.modify(record, |record| {
            record.status = status;
            record.note = note.clone();
            record.transaction_id = transaction_id.clone();
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn retry_event(&self, record: ProviderEventRecord, reason: String) -> CoreResult<()> {
        let now = self.now();
        let event_id = record.event.id.clone();
        let updated = self
            .modify(record, |record| {
                record.attempts += 1;
                record.note = Some(reason.clone());
                if record.attempts >= MAX_APPLY_ATTEMPTS {
                    record.status = EventStatus::Unmatched;
                } else {
                    record.retry_at = now + Transaction::retry_delay_micros(record.attempts + 2);
                }
                Ok(())
            })
            .await?;
        if updated.status == EventStatus::Unmatched {
            tracing::warn!(event = %event_id, reason = %reason, "provider event given up: no transaction matches it");
        } else {
            tracing::info!(event = %event_id, reason = %reason, "provider event not applied yet; retrying later");
        }
        Ok(())
    }

    async fn apply_event(&self, account: &ProviderAccount, event: &ProviderEvent) -> CoreResult<Applied> {
        match &event.kind {
            EventKind::Ignored => Ok(Applied::Ignored("event type not acted on".into(), None)),
            EventKind::Charge { reference, transaction_id, status } => {
                let Some(transaction) = self.charged_transaction(account, reference, transaction_id.as_deref()).await?
                else {
                    return Ok(Applied::Ignored("no gateway transaction for this charge".into(), None));
                };
                let id = transaction.id.clone();
                match self.apply_charge_event(transaction, reference, status).await? {
                    ChargeChange::Moved => Ok(Applied::Done(id)),
                    ChargeChange::Unchanged(why) => Ok(Applied::Ignored(why.into(), Some(id))),
                }
            }
            EventKind::Refund { charge_reference, refund_reference, refund_id, amount, status } => {
                let client = self.client_for(account)?;
                let (charge_reference, amount, refund_id) = if charge_reference.is_empty() || amount.is_none() {
                    let details = client.refund_details(refund_reference).await.map_err(provider_failure)?;
                    (details.charge_reference, Some(details.amount), refund_id.clone().or(details.refund_id))
                } else {
                    (charge_reference.clone(), *amount, refund_id.clone())
                };
                let Some(transaction) = self.charged_transaction(account, &charge_reference, None).await? else {
                    return Ok(Applied::Ignored("no gateway transaction for this refund".into(), None));
                };
                let id = transaction.id.clone();
                let refund = ProviderRefund {
                    reference: refund_reference.clone(),
                    refund_id,
                    amount: amount.unwrap_or(0),
                    status: *status,
                    at: event.occurred_at,
                };
                if self.apply_refund_event(&id, &refund).await? {
                    Ok(Applied::Done(id))
                } else {
                    Ok(Applied::Ignored("refund already in this state".into(), Some(id)))
                }
            }
            EventKind::Dispute { charge_reference, dispute_reference, amount, reason, status } => {
                let Some(transaction) = self.charged_transaction(account, charge_reference, None).await? else {
                    return Ok(Applied::Ignored("no gateway transaction for this dispute".into(), None));
                };
                let id = transaction.id.clone();
                let dispute = Dispute {
                    id: dispute_reference.clone(),
                    amount: *amount,
                    reason: reason.clone(),
                    status: status.clone(),
                    created_at: event.occurred_at,
                    updated_at: event.occurred_at,
                };
                if self.apply_dispute_event(&id, dispute).await? {
                    Ok(Applied::Done(id))
                } else {
                    Ok(Applied::Ignored("dispute already in this state".into(), Some(id)))
                }
            }
        }
    }

    /// The gateway transaction a provider charge belongs to, only ever
    /// among the transactions this provider record charged: a provider
    /// account can never reach another organization's transactions.
    async fn charged_transaction(
        &self,
        account: &ProviderAccount,
        reference: &str,
        transaction_id: Option<&str>,
    ) -> CoreResult<Option<Transaction>> {
        let ours = |transaction: &Transaction| {
            transaction.organization_id == account.organization_id
                && transaction.provider_id.as_deref() == Some(account.id.as_str())
        };
        if let Some(id) = transaction_id {
            return Ok(self.get::<Transaction>(id).await?.filter(ours));
        }
        if reference.is_empty() {
            return Ok(None);
        }
        if let Some(document) =
            self.store.find_one(Transaction::COLLECTION, "providerReference", &reference.into()).await?
        {
            let transaction: Transaction = super::from_document(document)?;
            return Ok(Some(transaction).filter(ours));
        }
        // The event overtook the charge's own answer: the provider knows
        // the gateway id from the charge's metadata.
        let client = self.client_for(account)?;
        match client.charge_transaction_id(reference).await.map_err(provider_failure)? {
            Some(id) => Ok(self.get::<Transaction>(&id).await?.filter(ours)),
            None => Ok(None),
        }
    }

    pub(crate) async fn apply_charge_event(
        &self,
        transaction: Transaction,
        reference: &str,
        status: &ChargeEventStatus,
    ) -> CoreResult<ChargeChange> {
        let mut why = "the transaction is already past this state";
        let moved = self
            .apply_forward(&transaction.id, |transaction| {
                match charge_change(transaction, reference, status, self.now())? {
                    ChargeChange::Moved => Ok(true),
                    ChargeChange::Unchanged(reason) => {
                        why = reason;
                        Ok(false)
                    }
                }
            })
            .await?;
        Ok(if moved { ChargeChange::Moved } else { ChargeChange::Unchanged(why) })
    }

    /// Books a provider's word on a refund: finishes a refund the gateway
    /// asked for, or records one made in the provider's dashboard (which
    /// then gets its credit note and IPN like any other). Returns whether
    /// anything changed.
    async fn apply_refund_event(&self, transaction_id: &str, event: &ProviderRefund) -> CoreResult<bool> {
        self.apply_forward(transaction_id, |transaction| Ok(refund_change(transaction, event, self.now()))).await
    }

    async fn apply_dispute_event(&self, transaction_id: &str, dispute: Dispute) -> CoreResult<bool> {
        self.apply_forward(transaction_id, |transaction| {
            match transaction.disputes.iter_mut().find(|d| d.id == dispute.id) {
                // Nothing new, a decided dispute, or an older word on it
                // delivered late.
                Some(known)
                    if known.status == dispute.status || known.closed() || dispute.updated_at < known.updated_at =>
                {
                    return Ok(false);
                }
                Some(known) => {
                    known.status = dispute.status.clone();
                    known.updated_at = dispute.updated_at;
                    if dispute.amount > 0 {
                        known.amount = dispute.amount;
                    }
                }
                None => {
                    let mut dispute = dispute.clone();
                    if dispute.amount <= 0 {
                        // Direct Debit chargebacks name no amount: they
                        // take back the whole payment.
                        dispute.amount = transaction.amount_captured;
                    }
                    transaction.disputes.push(dispute);
                }
            }
            transaction.follow_up = true;
            transaction.updated_at = self.now();
            transaction.refresh_needs_work();
            Ok(true)
        })
        .await
    }

    /// Applies `change` to the transaction as stored now (retrying lost
    /// races); writes and follows up only when `change` says it changed
    /// something. Returns whether it did.
    async fn apply_forward<F>(&self, transaction_id: &str, mut change: F) -> CoreResult<bool>
    where
        F: FnMut(&mut Transaction) -> CoreResult<bool> + Send,
    {
        let updated = self
            .update::<Transaction, _>(transaction_id, |transaction| {
                if change(transaction)? {
                    Ok(())
                } else {
                    Err(CoreError::conflict("event_changes_nothing", "nothing to write"))
                }
            })
            .await;
        match updated {
            Ok(transaction) => {
                self.follow_up(transaction).await?;
                Ok(true)
            }
            Err(CoreError::Conflict { code: "event_changes_nothing", .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl Core {
    /// Test mode only: does what a sandbox provider's dashboard would (a
    /// delayed charge settles, a refund, a dispute) and announces it with
    /// a signed webhook to the provider's webhook URL, so the asynchronous
    /// path runs without an outside service. Returns the event id, its
    /// type and the HTTP status the webhook URL answered (0: unreachable).
    pub async fn emit_sandbox_event(
        &self,
        principal: &super::auth::Principal,
        provider_id: &str,
        event_type: &str,
        transaction_id: &str,
        amount: Option<i64>,
        reason: &str,
    ) -> CoreResult<(String, String, u16)> {
        let account = self.owned_provider(principal, provider_id).await?;
        if account.kind != ProviderKind::Sandbox {
            return Err(CoreError::InvalidRequest {
                code: "provider_not_sandbox",
                message: "only a sandbox provider emits test events; real providers send their own".into(),
            });
        }
        let transaction = self.owned_transaction(principal, transaction_id).await.map_err(|_| {
            CoreError::field("transactionId", "transaction_invalid", "transactionId must name one of your transactions")
        })?;
        let reference = match (&transaction.provider_id, &transaction.provider_reference) {
            (Some(id), Some(reference)) if *id == account.id => reference.clone(),
            _ => {
                return Err(CoreError::field(
                    "transactionId",
                    "transaction_invalid",
                    "the transaction was not charged through this provider",
                ));
            }
        };
        if let Some(amount) = amount
            && amount <= 0
        {
            return Err(CoreError::field("amount", "amount_invalid", "amount must be a positive integer"));
        }
        let reason = super::validate::text("reason", reason.trim(), 200)?;
        let action = match event_type {
            "charge.succeeded" => sandbox::DashboardAction::Settle { succeeded: true },
            "charge.failed" => sandbox::DashboardAction::Settle { succeeded: false },
            "refund.succeeded" => sandbox::DashboardAction::Refund { amount: amount.unwrap_or(0) },
            "dispute.created" => sandbox::DashboardAction::Dispute {
                amount: amount.unwrap_or(0),
                reason: if reason.is_empty() { "fraudulent".into() } else { reason.to_owned() },
            },
            _ => {
                return Err(CoreError::field(
                    "type",
                    "event_type_invalid",
                    "type must be charge.succeeded, charge.failed, refund.succeeded or dispute.created",
                ));
            }
        };
        let event_id = crate::ids::new_id("sbxevt");
        let now_secs = self.now() / 1_000_000;
        let body = sandbox::SandboxProvider::new(self.store.clone(), std::time::Duration::ZERO)
            .dashboard(&reference, &transaction.id, &action, &event_id, now_secs)
            .await
            .map_err(provider_failure)?;
        let body = serde_json::to_vec(&body).map_err(|err| CoreError::Internal(format!("sandbox event: {err}")))?;
        let secret = self
            .provider_webhook_secret(&account)?
            .ok_or_else(|| CoreError::Internal(format!("sandbox provider {} has no secret", account.id)))?;
        let mut request =
            self.http.post(self.provider_webhook_url(&account)).header("content-type", "application/json");
        for (name, value) in sandbox::signed_event(secret.expose(), &event_id, now_secs, &body) {
            request = request.header(name, value);
        }
        let request = request.body(body);
        let status = match request.send().await {
            Ok(response) => response.status().as_u16(),
            Err(err) => {
                tracing::warn!(error = %err, provider = %account.id, "sandbox event not delivered");
                0
            }
        };
        Ok((event_id, event_type.to_owned(), status))
    }
}

enum Applied {
    Done(String),
    Ignored(String, Option<String>),
}

struct ProviderRefund {
    reference: String,
    refund_id: Option<String>,
    amount: i64,
    status: RefundEventStatus,
    at: i64,
}

fn provider_failure(err: ProviderError) -> CoreError {
    match err {
        ProviderError::Transient(message) => CoreError::ProviderUnavailable(message),
        ProviderError::Refused { code, message } => CoreError::Provider { code, message },
    }
}

/// The forward-only rule for charge events, applied to the fresh state.
fn charge_change(
    transaction: &mut Transaction,
    reference: &str,
    status: &ChargeEventStatus,
    now: i64,
) -> CoreResult<ChargeChange> {
    use TransactionStatus::*;
    let open = matches!(transaction.status, Pending | Processing);
    let settle = |transaction: &mut Transaction, next: TransactionStatus| -> CoreResult<()> {
        if transaction.status == Pending {
            transaction.transition(Processing, now)?;
        }
        transaction.transition(next, now)?;
        transaction.provider_reference.get_or_insert_with(|| reference.to_owned());
        transaction.awaiting_provider = false;
        transaction.provider_check_at = 0;
        transaction.next_action = None;
        transaction.lease_until = 0;
        Ok(())
    };
    match status {
        ChargeEventStatus::Processing | ChargeEventStatus::RequiresAction => {
            if !open || transaction.awaiting_provider {
                return Ok(ChargeChange::Unchanged("the provider's progress is already known"));
            }
            transaction.provider_reference.get_or_insert_with(|| reference.to_owned());
            transaction.awaiting_provider = true;
            transaction.provider_check_at = now + Transaction::provider_check_delay_micros(0);
        }
        ChargeEventStatus::RequiresCapture if open => settle(transaction, RequiresCapture)?,
        ChargeEventStatus::Succeeded { amount_captured } if open || transaction.status == RequiresCapture => {
            let captured = amount_captured.or(transaction.capture_amount).unwrap_or(transaction.amount);
            settle(transaction, Succeeded)?;
            transaction.amount_captured = captured.clamp(0, transaction.amount);
            if transaction.pending_action.is_some() {
                // The provider reports the capture this action asked for.
                transaction.pending_action = None;
            }
        }
        ChargeEventStatus::Failed { code, message } if open => {
            settle(transaction, Failed)?;
            transaction.failure_code = Some(code.clone());
            transaction.failure_message = Some(message.clone());
        }
        // A charge the payer abandoned (3-D Secure never finished) and
        // that was then canceled never took money: the attempt failed.
        ChargeEventStatus::Canceled if open => {
            settle(transaction, Failed)?;
            transaction.failure_code = Some("payment_canceled".into());
            transaction.failure_message = Some("The payment was canceled before it completed.".into());
        }
        ChargeEventStatus::Canceled if transaction.status == RequiresCapture => {
            settle(transaction, Canceled)?;
            transaction.pending_action = None;
        }
        _ => return Ok(ChargeChange::Unchanged("the transaction is already past this state")),
    }
    transaction.updated_at = now;
    transaction.refresh_needs_work();
    Ok(ChargeChange::Moved)
}

/// The forward-only rule for refund events: a refund the gateway knows
/// moves from pending to its outcome once; one it does not know is
/// recorded (dashboard refunds), within what was captured.
fn refund_change(transaction: &mut Transaction, event: &ProviderRefund, now: i64) -> bool {
    let known = transaction.refunds.iter().position(|refund| {
        refund.provider_reference.as_deref() == Some(event.reference.as_str())
            || event.refund_id.as_deref() == Some(refund.id.as_str())
    });
    match known {
        Some(index) => {
            let refund = &mut transaction.refunds[index];
            if refund.status != RefundStatus::Pending {
                return false;
            }
            refund.provider_reference.get_or_insert_with(|| event.reference.clone());
            match event.status {
                RefundEventStatus::Pending => return false,
                RefundEventStatus::Succeeded => {
                    refund.status = RefundStatus::Succeeded;
                    refund.settled_at = Some(event.at.min(now));
                    let amount = refund.amount;
                    transaction.amount_refunded += amount;
                }
                RefundEventStatus::Failed => {
                    refund.status = RefundStatus::Failed;
                    refund.settled_at = Some(event.at.min(now));
                    refund.failure_code = Some("refund_failed".into());
                }
            }
        }
        None => {
            if event.status == RefundEventStatus::Failed || event.amount <= 0 {
                return false;
            }
            let amount = event.amount.min(transaction.amount_captured - transaction.amount_refunded);
            if amount <= 0 {
                tracing::warn!(
                    transaction = %transaction.id,
                    refund = %event.reference,
                    "provider reports a refund beyond what was captured; not booked"
                );
                return false;
            }
            let status = match event.status {
                RefundEventStatus::Succeeded => RefundStatus::Succeeded,
                _ => RefundStatus::Pending,
            };
            if status == RefundStatus::Succeeded {
                transaction.amount_refunded += amount;
            }
            transaction.refunds.push(Refund {
                id: derived_id("re", &format!("{}:{}", transaction.id, event.reference)),
                amount,
                status,
                reason: "refunded in the provider's dashboard".into(),
                created_at: event.at.min(now),
                provider_reference: Some(event.reference.clone()),
                failure_code: None,
                origin: RefundOrigin::Provider,
                settled_at: (status == RefundStatus::Succeeded).then_some(event.at.min(now)),
            });
        }
    }
    transaction.follow_up = true;
    transaction.updated_at = now;
    transaction.refresh_needs_work();
    true
}
