//! The worker's half of a payment and the re-drive of unfinished work.

use tracing::Instrument as _;

use super::model::*;
use crate::domain::{
    Core, Entity,
    checkouts::{CaptureMethod, Checkout, CheckoutMode},
    now_micros,
};
use crate::{
    error::{CoreError, CoreResult},
    providers::{ChargeRequest, ChargeStatus, ProviderError, events::ChargeEventStatus},
    store::StoreError,
};

impl Core {
    /// The worker's half of a payment: claim the transaction, charge the
    /// provider with the transaction id as idempotency key, record the
    /// outcome, then bring the checkout and IPNs in line. Safe to run any
    /// number of times, concurrently, for the same transaction.
    pub async fn process_payment(&self, transaction_id: &str) -> CoreResult<()> {
        let Some(transaction) = self.get::<Transaction>(transaction_id).await? else {
            return Ok(());
        };
        self.process_payment_of(transaction, None).await
    }

    /// [`Core::process_payment`] for a transaction in hand, with its
    /// checkout when the caller has just read or written it (the pay
    /// request that starts the charge itself).
    pub(super) async fn process_payment_of(
        &self,
        transaction: Transaction,
        checkout: Option<Checkout>,
    ) -> CoreResult<()> {
        // Its own trace, linked to the request that created the
        // transaction; what it queues (IPNs) points at that request too.
        let span = tracing::info_span!(
            "payment.process",
            otel.kind = "consumer",
            paygate.transaction_id = %transaction.id,
            paygate.organization_id = %transaction.organization_id,
        );
        paygate_contract::telemetry::link_to_origin(&span, transaction.trace_context.as_deref());
        let origin = transaction.trace_context.clone();
        // Boxed: a payment's future is large, and the callers that run it
        // inline (a pay request, a subscription's charge) are deep already.
        let processing = Box::pin(self.process_loaded_payment(transaction, checkout));
        paygate_contract::telemetry::with_origin(origin, processing).instrument(span).await
    }

    async fn process_loaded_payment(&self, transaction: Transaction, checkout: Option<Checkout>) -> CoreResult<()> {
        if !matches!(transaction.status, TransactionStatus::Pending | TransactionStatus::Processing) {
            return self.resume_transaction(transaction).await;
        }
        let now = now_micros();
        if transaction.awaiting_provider {
            // The provider has the charge; only its webhook settles it.
            return Ok(());
        }
        if transaction.status == TransactionStatus::Processing && !transaction.lease_expired(now) {
            // Another worker holds it; if it dies, the lease runs out and
            // the scheduler hands it on.
            return Ok(());
        }
        let checkout = match checkout.filter(|checkout| checkout.id == transaction.checkout_id) {
            Some(checkout) => Some(checkout),
            None => self.get::<Checkout>(&transaction.checkout_id).await?,
        };
        if checkout.as_ref().and_then(|c| c.transaction_id.as_deref()) != Some(transaction.id.as_str()) {
            // Lost the race for its checkout before the worker ran.
            if transaction.status == TransactionStatus::Pending {
                self.store.delete(Transaction::COLLECTION, &transaction.id).await?;
            }
            return Ok(());
        }
        let mut claimed = transaction.clone();
        if claimed.status == TransactionStatus::Pending {
            claimed.transition(TransactionStatus::Processing, now)?;
            claimed.follow_up = false;
        }
        claimed.lease_until = now + WORK_LEASE_MICROS;
        claimed.attempts += 1;
        claimed.updated_at = now;
        claimed.refresh_needs_work();
        let claimed = match self.replace_from(&transaction, &claimed).await {
            Ok(claimed) => claimed,
            // Someone else claimed it first.
            Err(CoreError::Store(StoreError::VersionConflict)) => return Ok(()),
            Err(err) => return Err(err),
        };

        // A subscription's own charges (renewals, retries, the first
        // charge of one made through the API) run without the payer, on
        // the method its checkout saved; a subscription checkout's payment
        // saves the method it pays with for them.
        let off_session = claimed.subscription_id.is_some();
        let sells_subscription = checkout.as_ref().is_some_and(|c| c.mode == CheckoutMode::Subscription);
        let request = ChargeRequest {
            idempotency_key: claimed.id.clone(),
            order_reference: claimed.checkout_id.clone(),
            amount: claimed.amount,
            currency: claimed.currency.clone(),
            method: claimed.payment_method.clone(),
            capture: claimed.capture_method == CaptureMethod::Automatic,
            transaction_id: claimed.id.clone(),
            return_url: if off_session {
                None
            } else {
                Some(format!("{}/checkout/{}", self.checkout_base_url(&claimed.site_id).await?, claimed.checkout_id))
            },
            save_for_reuse: sells_subscription && !off_session,
            off_session,
        };
        let provider = self.provider_client(claimed.provider_id.as_deref()).await?;
        let outcome = if claimed.setup_only {
            provider.save_payment_method(&request).await
        } else {
            provider.authorize(&request).await
        };
        let saved_method = outcome.as_ref().ok().and_then(|outcome| outcome.saved_method.clone());
        let (next, reference, failure) = match outcome {
            Ok(outcome) => match outcome.status {
                ChargeStatus::Succeeded => (TransactionStatus::Succeeded, Some(outcome.reference), None),
                ChargeStatus::RequiresCapture => (TransactionStatus::RequiresCapture, Some(outcome.reference), None),
                ChargeStatus::Failed { code, message } => {
                    (TransactionStatus::Failed, Some(outcome.reference), Some((code, message)))
                }
                ChargeStatus::Processing | ChargeStatus::RequiresAction { .. } => {
                    return self.await_provider(claimed, outcome.reference, outcome.status, saved_method).await;
                }
            },
            Err(ProviderError::Refused { code, message }) => (TransactionStatus::Failed, None, Some((code, message))),
            Err(ProviderError::Transient(message)) => {
                // The scheduler retries with the same idempotency key once
                // the back-off has passed.
                let delay = Transaction::retry_delay_micros(claimed.attempts);
                tracing::warn!(transaction = %claimed.id, %message, retry_in_ms = delay / 1000, "provider unavailable; will retry");
                let backed_off = self
                    .modify(claimed, |transaction| {
                        if transaction.status != TransactionStatus::Processing {
                            return Err(CoreError::conflict("already_settled", "settled elsewhere"));
                        }
                        transaction.lease_until = now_micros() + delay;
                        // The back-off, not the scheduler's last wake-up,
                        // decides when it is due again.
                        transaction.swept_until = 0;
                        Ok(())
                    })
                    .await;
                return match backed_off {
                    Ok(_) | Err(CoreError::Conflict { code: "already_settled", .. }) => Ok(()),
                    Err(err) => Err(err),
                };
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
                if let Some(method) = &saved_method {
                    transaction.payment_method = method.clone();
                }
                if next == TransactionStatus::Succeeded {
                    transaction.amount_captured = transaction.amount;
                }
                if let Some((code, message)) = &failure {
                    transaction.failure_code = Some(code.clone());
                    transaction.failure_message = Some(message.clone());
                }
                transaction.lease_until = 0;
                transaction.awaiting_provider = false;
                transaction.next_action = None;
                transaction.updated_at = now;
                transaction.refresh_needs_work();
                Ok(())
            })
            .await;
        match settled {
            Ok(transaction) => self.follow_up_from(transaction, checkout).await,
            Err(CoreError::Conflict { code: "already_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Finishes whatever a transaction still owes: an unfinished capture,
    /// cancel or refund (same idempotency keys, so never twice), then the
    /// follow-up. Used by the scheduler and by workers that find a settled
    /// transaction.
    pub async fn resume_transaction(&self, transaction: Transaction) -> CoreResult<()> {
        let now = now_micros();
        if transaction.awaits_charge() {
            return self.check_awaited_charge(transaction).await;
        }
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
        let stalled: Vec<String> = transaction
            .refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Pending && !r.awaits_provider())
            .map(|r| r.id.clone())
            .collect();
        if !stalled.is_empty() && transaction.lease_expired(now) {
            let transaction = self.lease(&transaction.id).await?;
            let mut finished = Ok(());
            for refund_id in stalled {
                if let Err(err) = self.finish_refund(&transaction.id, &refund_id).await {
                    finished = Err(err);
                    break;
                }
            }
            // A refund the provider could not take yet keeps the back-off
            // its failure set; once none is left, the lease goes at once.
            self.update::<Transaction, _>(&transaction.id, |transaction| {
                let unfinished =
                    transaction.refunds.iter().any(|r| r.status == RefundStatus::Pending && !r.awaits_provider());
                if !unfinished {
                    transaction.refund_retries = 0;
                    transaction.lease_until = 0;
                }
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

    /// The provider took the charge but decides later (or after the payer
    /// acts): remember its reference, hand the payer's next step to the
    /// checkout page and wait for the provider's webhook. The charge is
    /// never sent again, so an idempotency key the provider forgets after
    /// a day cannot turn into a second charge.
    async fn await_provider(
        &self,
        claimed: Transaction,
        reference: String,
        status: ChargeStatus,
        saved_method: Option<crate::providers::PaymentMethod>,
    ) -> CoreResult<()> {
        let next_action = match status {
            ChargeStatus::RequiresAction { next_action } => Some(next_action),
            _ => None,
        };
        let awaiting = self
            .modify(claimed, |transaction| {
                if transaction.status != TransactionStatus::Processing {
                    // Its webhook overtook the answer and settled it.
                    return Err(CoreError::conflict("already_settled", "settled elsewhere"));
                }
                transaction.provider_reference.get_or_insert_with(|| reference.clone());
                // Saved once the provider settles it: the subscription its
                // webhook completes takes the method from here.
                if let Some(method) = &saved_method {
                    transaction.payment_method = method.clone();
                }
                transaction.awaiting_provider = true;
                transaction.provider_check_at = now_micros() + Transaction::provider_check_delay_micros(0);
                transaction.provider_checks = 0;
                transaction.swept_until = 0;
                transaction.next_action = next_action.clone();
                transaction.lease_until = 0;
                transaction.updated_at = now_micros();
                transaction.refresh_needs_work();
                Ok(())
            })
            .await;
        match awaiting {
            Ok(_) | Err(CoreError::Conflict { code: "already_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Asks the provider about a charge whose webhook has not come: a final
    /// answer is applied exactly as the webhook would have been; otherwise
    /// the next check backs off. Never sends the charge again.
    async fn check_awaited_charge(&self, transaction: Transaction) -> CoreResult<()> {
        let now = now_micros();
        let Some(reference) = transaction.provider_reference.clone() else { return Ok(()) };
        if transaction.provider_check_at > now {
            return Ok(());
        }
        if transaction.next_action.is_some()
            && let Some(checkout) = self.get::<Checkout>(&transaction.checkout_id).await?
            && checkout.expires_at <= self.now()
        {
            // The payer never finished authenticating and the checkout's
            // time is up: cancel at the provider so the attempt can never
            // be completed, and let the checkout expire.
            match self.abandon_authentication(transaction.clone()).await {
                Ok(_) => return Ok(()),
                Err(err) => {
                    tracing::info!(transaction = %transaction.id, error = %err, "expired authentication not canceled; asking the provider");
                }
            }
        }
        let answer = self.provider_client(transaction.provider_id.as_deref()).await?.retrieve_charge(&reference).await;
        let event = match &answer {
            Ok(Some(ChargeStatus::Succeeded)) => Some(ChargeEventStatus::Succeeded { amount_captured: None }),
            Ok(Some(ChargeStatus::RequiresCapture)) => Some(ChargeEventStatus::RequiresCapture),
            Ok(Some(ChargeStatus::Failed { code, message })) => {
                Some(ChargeEventStatus::Failed { code: code.clone(), message: message.clone() })
            }
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(transaction = %transaction.id, error = %err, "provider check failed; checking again later");
                None
            }
        };
        if let Some(event) = event {
            tracing::info!(transaction = %transaction.id, "provider settled a charge its webhook did not report");
            self.apply_charge_event(transaction, &reference, &event).await?;
            return Ok(());
        }
        let checked = self
            .modify(transaction, |transaction| {
                if !transaction.awaits_charge() {
                    return Err(CoreError::conflict("already_settled", "settled elsewhere"));
                }
                transaction.provider_checks += 1;
                transaction.provider_check_at =
                    now_micros() + Transaction::provider_check_delay_micros(transaction.provider_checks);
                transaction.swept_until = 0;
                Ok(())
            })
            .await;
        match checked {
            Ok(_) | Err(CoreError::Conflict { code: "already_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
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
}
