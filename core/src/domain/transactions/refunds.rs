//! Refunds: reserved on the transaction first, then asked of the provider.

use super::model::*;
use crate::domain::{Core, Entity, auth::Principal, idempotency::Idempotent, now_micros};
use crate::{
    error::{CoreError, CoreResult},
    providers::{ProviderError, RefundRequest},
};

impl Core {
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
        let reason = crate::domain::validate::text("reason", reason.trim(), 500)?.to_owned();
        if let Some(amount) = amount
            && amount <= 0
        {
            return Err(CoreError::field("amount", "amount_invalid", "amount must be a positive integer"));
        }
        let fingerprint = crate::domain::idempotency::fingerprint(&(id, amount, &reason))?;
        self.idempotent(principal, "refund.create", idempotency_key, fingerprint, "re", |refund_id| {
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
                            origin: RefundOrigin::Gateway,
                            settled_at: None,
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
    pub(super) async fn finish_refund(&self, transaction_id: &str, refund_id: &str) -> CoreResult<Refund> {
        let transaction =
            self.get::<Transaction>(transaction_id).await?.ok_or(CoreError::NotFound(Transaction::NAME))?;
        let refund = transaction
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .cloned()
            .ok_or_else(|| CoreError::Internal(format!("refund {refund_id} not on {transaction_id}")))?;
        if refund.status != RefundStatus::Pending || refund.awaits_provider() {
            return Ok(refund);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        let request = RefundRequest {
            idempotency_key: refund_id.to_owned(),
            reference,
            amount: refund.amount,
            currency: transaction.currency.clone(),
            refund_id: refund_id.to_owned(),
        };
        let outcome = self.provider_client(transaction.provider_id.as_deref()).await?.refund(&request).await;
        let (status, provider_reference, failure_code) = match outcome {
            Ok(outcome) if outcome.settled => (RefundStatus::Succeeded, Some(outcome.reference), None),
            // Accepted; the provider's webhook reports the end.
            Ok(outcome) => (RefundStatus::Pending, Some(outcome.reference), None),
            Err(ProviderError::Refused { code, .. }) => (RefundStatus::Failed, None, Some(code)),
            Err(ProviderError::Transient(message)) => {
                tracing::warn!(transaction = %transaction_id, refund = %refund_id, %message, "provider unavailable; the re-drive retries");
                // Retried with the same key once a back-off that grows
                // with each failure has passed.
                self.update::<Transaction, _>(transaction_id, |transaction| {
                    let now = now_micros();
                    transaction.refund_retries += 1;
                    transaction.lease_until = now + Transaction::retry_delay_micros(transaction.refund_retries);
                    transaction.swept_until = 0;
                    transaction.updated_at = now;
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
                if refund.status != RefundStatus::Pending || refund.awaits_provider() {
                    return Ok(());
                }
                refund.status = status;
                refund.settled_at = Some(now_micros());
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
