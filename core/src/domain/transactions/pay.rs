//! Paying a checkout: the request half (store the transaction, claim the
//! checkout, wake a worker).

use super::model::*;
use crate::domain::{
    Core, Entity,
    checkouts::{CaptureMethod, Checkout, CheckoutMode, CheckoutStatus, MAX_FAILED_ATTEMPTS},
    now_micros,
    sites::Site,
};
use crate::{
    error::{CoreError, CoreResult},
    ids::new_id,
    providers::PaymentMethod,
};

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
    let well_formed = kind.len() <= 200 && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if well_formed && kind.starts_with("MD") {
        return Ok(PaymentMethod::Mandate { id: kind.to_owned() });
    }
    if !well_formed || !(kind.starts_with("tok_") || kind.starts_with("pm_")) {
        return Err(CoreError::field(
            "paymentMethod",
            "payment_method_invalid",
            "paymentMethod must be a provider token (tok_…, pm_…), a Direct Debit mandate (MD…) or \"upi\"",
        ));
    }
    Ok(PaymentMethod::card(kind))
}

impl Core {
    /// Starts paying a checkout: stores the transaction, marks the checkout
    /// processing (only one pay can win), then wakes a worker. The charge
    /// itself runs asynchronously.
    pub async fn pay(&self, checkout_id: &str, method: PaymentMethod) -> CoreResult<Transaction> {
        // Only the payer on the checkout page calls this.
        crate::domain::state_log::set_actor(crate::domain::state_log::Actor::Customer);
        let mut checkout = self.public_checkout(checkout_id).await?;
        let site = self.get_cached::<Site>(&checkout.site_id).await?.ok_or(CoreError::NotFound(Checkout::NAME))?;
        let provider = self.provider_client(site.provider_id.as_deref()).await?;
        if checkout.status == CheckoutStatus::Processing
            && let Some(previous) = &checkout.transaction_id
            && let Some(previous) = self.get::<Transaction>(previous).await?
        {
            if !matches!(previous.status, TransactionStatus::Pending | TransactionStatus::Processing) {
                // The payer already sees the outcome (the status route reads
                // the transaction), but the follow-up has not brought the
                // checkout along yet: do it now, so a failed attempt can be
                // retried at once and a paid checkout answers
                // `checkout_completed` rather than "in progress".
                checkout = self.sync_checkout(&previous).await?;
            } else if previous.awaits_charge() && previous.next_action.is_some() && provider.accepts(&method) {
                // The payer left a 3-D Secure step unfinished and pays
                // another way: the unfinished attempt is canceled at the
                // provider first, so it can never be completed as well.
                checkout = self.abandon_authentication(previous).await?;
            }
        }
        ensure_payable(&checkout, now_micros())?;
        if checkout.livemode && provider.name() == "sandbox" {
            // The site's provider changed after the checkout was made.
            return Err(CoreError::InvalidRequest {
                code: "provider_required",
                message: "this live checkout's site no longer has a live provider".into(),
            });
        }
        if !provider.accepts(&method) {
            return Err(CoreError::field(
                "paymentMethod",
                "payment_method_invalid",
                "this payment method is not accepted by the provider",
            ));
        }
        if checkout.capture_method == CaptureMethod::Manual && !provider.supports_manual_capture() {
            return Err(CoreError::InvalidRequest {
                code: "capture_method_unsupported",
                message: format!(
                    "{} settles payments itself: this checkout's manual capture cannot work",
                    provider.name()
                ),
            });
        }
        let now = now_micros();
        let tax = self.assess_tax(&checkout, now).await?;
        let mut transaction = Transaction::new_pending(
            new_id("txn"),
            &checkout,
            method,
            provider.name(),
            site.provider_id.clone(),
            tax,
            now,
        );
        if checkout.mode == CheckoutMode::Subscription && checkout.trial_days > 0 {
            // A trial charges nothing now: the payment only proves the
            // method can be charged later, and saves it.
            transaction.amount = 0;
            transaction.setup_only = true;
            transaction.tax = Default::default();
        }
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
        let checkout = match claimed {
            Ok(checkout) => checkout,
            Err(err) => {
                // Another pay won the checkout: this transaction never
                // existed for anyone. If the delete fails, the worker
                // discards it.
                if let Err(delete_err) = self.store.delete(Transaction::COLLECTION, &transaction.id).await {
                    tracing::warn!(error = %delete_err, transaction = %transaction.id, "abandoned transaction not deleted");
                }
                return Err(err);
            }
        };
        if let Some(slot) = self.inline_payments.try_start() {
            // Charged at once, by this core, without a trip through the
            // queue. A crash before it settles leaves a pending transaction
            // that the scheduler queues once it has been idle long enough;
            // a worker that then finds it claimed or settled does nothing.
            let core = self.clone();
            let pending = transaction.clone();
            self.background.spawn(async move {
                // As a queue worker would run it: background work for the
                // store, changes made by the scheduler.
                let processing = core.process_payment_of(pending, Some(checkout));
                let actor = crate::domain::state_log::Actor::Scheduler;
                let outcome = crate::store::background(crate::domain::state_log::acting(actor, processing)).await;
                if let Err(err) = outcome {
                    tracing::warn!(error = %err, "payment not processed; the scheduler retries it");
                }
                drop(slot);
            });
            return Ok(transaction);
        }
        if let Err(err) = self.queue.publish(PAYMENT_QUEUE, transaction.id.as_bytes()).await {
            // The scheduler publishes it again once the lease runs out.
            tracing::warn!(error = %err, transaction = %transaction.id, "payment job not published");
        }
        Ok(transaction)
    }
}

impl Core {
    /// Cancels an attempt that waits for the payer's authentication and
    /// fails it (`authentication_abandoned`), re-opening its checkout. If
    /// the provider will not cancel (the payer finished after all), the
    /// checkout stays with that attempt: 409.
    pub(super) async fn abandon_authentication(&self, previous: Transaction) -> CoreResult<Checkout> {
        let reference = previous.provider_reference.clone().unwrap_or_default();
        let client = self.provider_client(previous.provider_id.as_deref()).await?;
        if let Err(err) = client.cancel(&format!("{}:abandon", previous.id), &reference).await {
            tracing::info!(transaction = %previous.id, error = %err, "unfinished authentication not canceled");
            return Err(CoreError::conflict(
                "checkout_processing",
                "a payment for this checkout is already in progress",
            ));
        }
        let failure = crate::providers::events::ChargeEventStatus::Failed {
            code: "authentication_abandoned".into(),
            message: "The card's authentication was not completed.".into(),
        };
        let id = previous.id.clone();
        self.apply_charge_event(previous, &reference, &failure).await?;
        let failed = self.get::<Transaction>(&id).await?.ok_or(CoreError::NotFound(Transaction::NAME))?;
        self.sync_checkout(&failed).await
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
    if checkout.mode == super::super::checkouts::CheckoutMode::Renewal {
        return Err(CoreError::conflict(
            "checkout_not_payable",
            "this checkout is a subscription's renewal, charged with the saved payment method",
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_methods_parse() {
        assert!(matches!(parse_payment_method("tok_visa", ""), Ok(PaymentMethod::Card { .. })));
        assert!(matches!(parse_payment_method("upi", "success@upi"), Ok(PaymentMethod::Upi { .. })));
        assert!(parse_payment_method("upi", "").is_err());
        assert!(parse_payment_method("4242424242424242", "").is_err());
        assert!(parse_payment_method("", "").is_err());
        assert!(matches!(parse_payment_method("pm_card_visa", ""), Ok(PaymentMethod::Card { .. })));
        assert!(matches!(parse_payment_method("MD000TESTOK", ""), Ok(PaymentMethod::Mandate { .. })));
        assert!(parse_payment_method("pm_<script>", "").is_err());
    }
}
