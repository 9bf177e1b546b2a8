//! Capture and cancel of an authorization, including partial capture.

use super::model::*;
use crate::domain::{Core, auth::Principal, idempotency::Idempotent, now_micros};
use crate::tax::{self, TaxedDocument};
use crate::{
    error::{CoreError, CoreResult},
    providers::ProviderError,
};

impl Core {
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
        let fingerprint = crate::domain::idempotency::fingerprint(&("capture", id, amount))?;
        self.idempotent(principal, "transaction.capture", idempotency_key, fingerprint, "act", |action_id| async move {
            let transaction = self.start_action(id, PendingAction::Capture, amount, &action_id).await?;
            self.finish_capture(transaction).await
        })
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
        let fingerprint = crate::domain::idempotency::fingerprint(&("cancel", id))?;
        self.idempotent(principal, "transaction.cancel", idempotency_key, fingerprint, "act", |action_id| async move {
            let transaction = self.start_action(id, PendingAction::Cancel, None, &action_id).await?;
            self.finish_cancel(transaction).await
        })
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
    pub(super) async fn finish_capture(&self, transaction: Transaction) -> CoreResult<Transaction> {
        if transaction.pending_action != Some(PendingAction::Capture) {
            return Ok(transaction);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        let amount = transaction.capture_amount.unwrap_or(transaction.amount);
        let outcome = self
            .provider_client(transaction.provider_id.as_deref())
            .await?
            .capture(&format!("{}:capture", transaction.id), &reference, amount)
            .await;
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

    pub(super) async fn finish_cancel(&self, transaction: Transaction) -> CoreResult<Transaction> {
        if transaction.pending_action != Some(PendingAction::Cancel) {
            return Ok(transaction);
        }
        let reference = transaction.provider_reference.clone().unwrap_or_default();
        if let Err(err) = self
            .provider_client(transaction.provider_id.as_deref())
            .await?
            .cancel(&format!("{}:cancel", transaction.id), &reference)
            .await
        {
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
    use super::*;

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
}
