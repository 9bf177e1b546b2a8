//! The worker's half of a payment and the re-drive of unfinished work.

use super::model::*;
use crate::domain::{
    Core, Entity,
    checkouts::{CaptureMethod, Checkout},
    now_micros,
};
use crate::{
    error::{CoreError, CoreResult},
    providers::{ChargeRequest, ChargeStatus, ProviderError},
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
        if !matches!(transaction.status, TransactionStatus::Pending | TransactionStatus::Processing) {
            return self.resume_transaction(transaction).await;
        }
        let now = now_micros();
        if transaction.status == TransactionStatus::Processing && !transaction.lease_expired(now) {
            // Another worker holds it; if it dies, the lease runs out and
            // the scheduler hands it on.
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
            transaction_id: claimed.id.clone(),
            return_url: None,
        };
        let outcome = self.provider.authorize(&request).await;
        let (next, reference, failure) = match outcome {
            Ok(outcome) => match outcome.status {
                ChargeStatus::Succeeded => (TransactionStatus::Succeeded, Some(outcome.reference), None),
                ChargeStatus::RequiresCapture => (TransactionStatus::RequiresCapture, Some(outcome.reference), None),
                ChargeStatus::Failed { code, message } => {
                    (TransactionStatus::Failed, Some(outcome.reference), Some((code, message)))
                }
                ChargeStatus::Processing | ChargeStatus::RequiresAction { .. } => {
                    return self.await_provider(claimed, outcome.reference, outcome.status).await;
                }
            },
            Err(ProviderError::Refused { code, message }) => (TransactionStatus::Failed, None, Some((code, message))),
            Err(ProviderError::Transient(message)) => {
                // Leave the lease to run out; the scheduler retries with the
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
    /// follow-up. Used by the scheduler and by workers that find a settled
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

    /// The provider took the charge but decides later (or after the payer
    /// acts): remember its reference and wait for its webhook.
    async fn await_provider(&self, claimed: Transaction, reference: String, _status: ChargeStatus) -> CoreResult<()> {
        self.modify(claimed, |transaction| {
            transaction.provider_reference = Some(reference.clone());
            transaction.updated_at = now_micros();
            Ok(())
        })
        .await?;
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
}
