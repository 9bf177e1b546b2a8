//! Bringing the checkout and the IPN records in line with a transaction.

use super::model::*;
use crate::domain::{
    Core, Entity,
    checkouts::{Checkout, CheckoutStatus, MAX_FAILED_ATTEMPTS},
    now_micros,
};
use crate::{
    error::{CoreError, CoreResult},
    store::StoreError,
};

impl Core {
    /// Brings the checkout and the IPN records in line with the
    /// transaction, then clears the mark. Idempotent; if the transaction
    /// changed meanwhile, the newer state is followed up instead.
    pub async fn follow_up(&self, transaction: Transaction) -> CoreResult<()> {
        self.follow_up_from(transaction, None).await
    }

    /// [`Core::follow_up`] with a copy of the checkout read or written
    /// earlier (by the charge), to start from instead of reading it again.
    /// A stale copy costs a lost compare-and-swap and a read, never a
    /// wrong write.
    pub(super) async fn follow_up_from(
        &self,
        mut transaction: Transaction,
        mut known_checkout: Option<Checkout>,
    ) -> CoreResult<()> {
        for _ in 0..16 {
            if !transaction.follow_up {
                return Ok(());
            }
            let checkout = self.sync_checkout_from(&transaction, known_checkout.take()).await?;
            // Invoice first, so the IPN already carries its id.
            if let Some(invoice_id) = self.issue_documents(&transaction, &checkout).await? {
                transaction.invoice_id = Some(invoice_id);
            }
            // The subscription it pays (a renewal) or sells (a subscription
            // checkout) follows, with the invoice in hand.
            self.settle_subscription_charge(&transaction, transaction.invoice_id.clone()).await?;
            self.start_checkout_subscription(&checkout, &transaction, transaction.invoice_id.clone()).await?;
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
    pub(super) async fn sync_checkout(&self, transaction: &Transaction) -> CoreResult<Checkout> {
        self.sync_checkout_from(transaction, None).await
    }

    async fn sync_checkout_from(&self, transaction: &Transaction, known: Option<Checkout>) -> CoreResult<Checkout> {
        let Some(target) = checkout_target(transaction.status) else {
            return self.get::<Checkout>(&transaction.checkout_id).await?.ok_or(CoreError::NotFound(Checkout::NAME));
        };
        // A copy that does not show this transaction's outcome yet can
        // only lead to a compare-and-swap; one that shows it (or another
        // transaction) could be out of date, so that answer is read fresh.
        let checkout = match known.filter(|c| {
            c.id == transaction.checkout_id
                && c.transaction_id.as_deref() == Some(transaction.id.as_str())
                && c.status != target
                && c.counted_failure.as_deref() != Some(transaction.id.as_str())
        }) {
            Some(checkout) => checkout,
            None => self.get::<Checkout>(&transaction.checkout_id).await?.ok_or(CoreError::NotFound(Checkout::NAME))?,
        };
        let failed = transaction.status == TransactionStatus::Failed;
        // A canceled checkout is final. Whatever canceled it (this
        // transaction's cancel, or its last failed attempt) is terminal, so
        // a follow-up that would complete or re-open it works from a copy of
        // the transaction older than that: the follow-up of an
        // authorization still running when the merchant canceled it.
        let in_sync = |c: &Checkout| {
            c.transaction_id.as_deref() != Some(transaction.id.as_str())
                || c.status == CheckoutStatus::Canceled
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
                    // A renewal's retries are counted by its dunning.
                    if checkout.failed_attempts >= MAX_FAILED_ATTEMPTS && checkout.subscription_id.is_none() {
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
                    // scheduler does it if this fails.
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{COLLECTIONS, api_keys::KeyMode, auth::Principal, checkouts::NewCheckout};
    use crate::providers::PaymentMethod;

    async fn core(dir: &std::path::Path) -> Core {
        let store: Arc<dyn crate::store::Store> =
            Arc::new(crate::store::SqliteStore::open(&dir.join("db.sqlite3")).expect("store"));
        store.migrate(COLLECTIONS).await.expect("migrate");
        crate::domain::test_core(store, 30_000_000)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_stale_copy_of_the_checkout_never_overwrites_what_was_written_after_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path()).await;
        let org = core.create_organization("Acme").await.expect("org");
        let (site, _) = core.create_site(&org.id, "Shop", "").await.expect("site");
        let principal = Principal {
            organization_id: org.id.clone(),
            key_id: "key_1".into(),
            scopes: Arc::from([]),
            mode: KeyMode::Test,
            user: None,
            client_ip: String::new(),
        };
        let request = NewCheckout { amount: Some(1190), currency: "EUR".into(), ..Default::default() };
        let checkout = core.create_checkout(&principal, &site.id, "", request).await.expect("checkout").value;
        // Inline slots closed: the payment waits for whoever charges it.
        let pending = core.pay(&checkout.id, PaymentMethod::card("tok_visa")).await.expect("pay");
        let copy = core.get::<Checkout>(&checkout.id).await.expect("read").expect("stored");
        assert_eq!(copy.status, CheckoutStatus::Processing);

        // Written after the copy was taken: the copy is out of date.
        core.update::<Checkout, _>(&checkout.id, |checkout| {
            checkout.metadata.insert("note".into(), "written later".into());
            Ok(())
        })
        .await
        .expect("update");

        core.process_payment_of(pending.clone(), Some(copy)).await.expect("charge");
        let settled = core.get::<Transaction>(&pending.id).await.expect("read").expect("stored");
        assert_eq!(settled.status, TransactionStatus::Succeeded);
        assert!(!settled.follow_up, "followed up");
        let stored = core.get::<Checkout>(&checkout.id).await.expect("read").expect("stored");
        assert_eq!(stored.status, CheckoutStatus::Completed);
        assert_eq!(stored.metadata.get("note").map(String::as_str), Some("written later"), "not overwritten");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_follow_up_of_an_authorization_never_undoes_its_cancel() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path()).await;
        let org = core.create_organization("Acme").await.expect("org");
        let (site, _) = core.create_site(&org.id, "Shop", "").await.expect("site");
        let principal = Principal {
            organization_id: org.id.clone(),
            key_id: "key_1".into(),
            scopes: Arc::from([]),
            mode: KeyMode::Test,
            user: None,
            client_ip: String::new(),
        };
        let request = NewCheckout {
            amount: Some(1190),
            currency: "EUR".into(),
            capture_method: crate::domain::checkouts::CaptureMethod::Manual,
            ..Default::default()
        };
        let checkout = core.create_checkout(&principal, &site.id, "", request).await.expect("checkout").value;
        let pending = core.pay(&checkout.id, PaymentMethod::card("tok_visa")).await.expect("pay");
        core.process_payment_of(pending.clone(), None).await.expect("authorize");
        // The copy a follow-up of the authorization holds while it runs.
        let mut authorized = core.get::<Transaction>(&pending.id).await.expect("read").expect("stored");
        assert_eq!(authorized.status, TransactionStatus::RequiresCapture);
        authorized.follow_up = true;

        // The merchant cancels before that follow-up writes the checkout.
        let canceled = core.cancel(&principal, &pending.id, "").await.expect("cancel").value;
        assert_eq!(canceled.status, TransactionStatus::Canceled);
        assert_eq!(
            core.get::<Checkout>(&checkout.id).await.expect("read").expect("stored").status,
            CheckoutStatus::Canceled
        );

        core.follow_up(authorized).await.expect("stale follow-up");
        let stored = core.get::<Checkout>(&checkout.id).await.expect("read").expect("stored");
        assert_eq!(stored.status, CheckoutStatus::Canceled, "the cancel stands");
    }
}
