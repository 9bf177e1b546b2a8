//! Capture, cancel and refund when the provider fails after Paygate has
//! reserved the work: an outage leaves the work pending under the same
//! idempotency key until `Core::resume_transaction` (the re-drive) finishes
//! it; a refusal is an outcome, recorded and cleared.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use paygate_core::{
    Core, CoreConfig, CoreError,
    domain::{
        api_keys::{KeyMode, scopes},
        auth::Principal,
        checkouts::{CaptureMethod, Checkout, CheckoutStatus, NewCheckout},
        ipn::IpnDelivery,
        transactions::{PendingAction, RefundStatus, Transaction, TransactionStatus},
    },
    providers::{
        PaymentMethod,
        faults::{FaultPlan, Operation},
    },
};

struct Fixture {
    core: Core,
    plan: Arc<FaultPlan>,
    principal: Principal,
    site_id: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plan = FaultPlan::new();
    let mut config = CoreConfig::embedded(dir.path().to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    config.ipn_allow_private = true;
    config.provider_faults = Some(plan.clone());
    let core = paygate_core::open(&config).await.unwrap();
    let org = core.create_organization("Acme").await.unwrap();
    let (site, _) = core.create_site(&org.id, "Shop", "").await.unwrap();
    let principal = Principal {
        organization_id: org.id,
        key_id: "key_test".into(),
        scopes: scopes::ALL.iter().map(|s| (*s).to_owned()).collect(),
        mode: KeyMode::Test,
        user: None,
        client_ip: String::new(),
    };
    Fixture { core, plan, principal, site_id: site.id, _dir: dir }
}

impl Fixture {
    /// A paid transaction: settled by running the payment worker inline.
    async fn paid(&self, capture_method: CaptureMethod) -> Transaction {
        let request = NewCheckout {
            amount: Some(10_000),
            currency: "EUR".into(),
            capture_method,
            ipn_url: "http://127.0.0.1:9/ipn".into(),
            ..NewCheckout::default()
        };
        let checkout = self.core.create_checkout(&self.principal, &self.site_id, "", request).await.unwrap().value;
        let transaction = self.core.pay(&checkout.id, PaymentMethod::card("tok_visa")).await.unwrap();
        self.core.process_payment(&transaction.id).await.unwrap();
        self.transaction(&transaction.id).await
    }

    async fn transaction(&self, id: &str) -> Transaction {
        self.core.get::<Transaction>(id).await.unwrap().unwrap()
    }

    /// Sleeps until the transaction's retry back-off has passed.
    async fn after_back_off(&self, id: &str) {
        let wait = self.transaction(id).await.lease_until - paygate_core::domain::now_micros();
        if wait > 0 {
            tokio::time::sleep(std::time::Duration::from_micros(wait as u64 + 10_000)).await;
        }
    }

    async fn redrive(&self, id: &str) {
        let transaction = self.transaction(id).await;
        self.core.resume_transaction(transaction).await.unwrap();
    }

    async fn events(&self, transaction_id: &str, kind: &str) -> usize {
        let page = paygate_core::store::Page { limit: 100, starting_after: None };
        let filter = vec![("organizationId", self.principal.organization_id.clone().into())];
        let (deliveries, _) = self.core.list::<IpnDelivery>(&filter, &page).await.unwrap();
        deliveries
            .iter()
            .filter(|d| d.transaction_id.as_deref() == Some(transaction_id) && d.event_type == kind)
            .count()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_reserved_before_an_outage_is_answered_pending_replayed_and_finished_once() {
    let f = fixture().await;
    let paid = f.paid(CaptureMethod::Automatic).await;
    assert_eq!(paid.status, TransactionStatus::Succeeded);

    f.plan.fail_transiently(Operation::Refund, 2);
    let first = f.core.refund(&f.principal, &paid.id, Some(4000), "", "refund-key").await.unwrap();
    assert!(!first.replayed);
    assert_eq!(first.value.status, RefundStatus::Pending);

    // The merchant retries: the same refund, not a second one.
    let again = f.core.refund(&f.principal, &paid.id, Some(4000), "", "refund-key").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.value.id, first.value.id);
    assert_eq!(f.transaction(&paid.id).await.refunds.len(), 1);

    // The re-drive waits out the back-off (1 s after the first failure,
    // 2 s after the second), meets the outage once more, then finishes.
    f.redrive(&paid.id).await;
    assert_eq!(f.plan.attempts(Operation::Refund), 1, "no retry before the back-off has passed");
    f.after_back_off(&paid.id).await;
    f.redrive(&paid.id).await;
    assert_eq!(f.plan.attempts(Operation::Refund), 2);
    assert_eq!(f.transaction(&paid.id).await.refunds[0].status, RefundStatus::Pending);
    let backed_off = f.transaction(&paid.id).await;
    assert!(backed_off.lease_until - backed_off.updated_at >= 1_900_000, "the second back-off is longer");
    f.after_back_off(&paid.id).await;
    f.redrive(&paid.id).await;
    let done = f.transaction(&paid.id).await;
    assert_eq!(done.refunds.len(), 1);
    assert_eq!(
        (done.refunds[0].id.as_str(), done.refunds[0].status),
        (first.value.id.as_str(), RefundStatus::Succeeded)
    );
    assert_eq!(done.amount_refunded, 4000);
    assert!(!done.needs_work, "nothing left to re-drive");
    assert_eq!(f.plan.succeeded(Operation::Refund), 1);
    assert_eq!(f.plan.attempts(Operation::Refund), 3);
    assert_eq!(f.events(&paid.id, "transaction.refunded").await, 1);

    // More re-drives and replays change nothing.
    f.redrive(&paid.id).await;
    let replay = f.core.refund(&f.principal, &paid.id, Some(4000), "", "refund-key").await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.value.id, first.value.id);
    assert_eq!(f.plan.succeeded(Operation::Refund), 1);
    assert_eq!(f.transaction(&paid.id).await.amount_refunded, 4000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capture_and_a_cancel_during_an_outage_stay_pending_until_the_redrive() {
    let f = fixture().await;
    let authorized = f.paid(CaptureMethod::Manual).await;
    assert_eq!(authorized.status, TransactionStatus::RequiresCapture);

    f.plan.fail_transiently(Operation::Capture, 1);
    let first = f.core.capture(&f.principal, &authorized.id, None, "capture-key").await.unwrap();
    assert_eq!(first.value.pending_action, Some(PendingAction::Capture));
    assert_eq!(first.value.status, TransactionStatus::RequiresCapture);
    let again = f.core.capture(&f.principal, &authorized.id, None, "capture-key").await.unwrap();
    assert!(again.replayed);
    // Another request while it is pending is told so.
    let other = f.core.cancel(&f.principal, &authorized.id, "").await;
    assert!(matches!(other, Err(CoreError::Conflict { code: "transaction_busy", .. })), "{other:?}");

    f.redrive(&authorized.id).await;
    let captured = f.transaction(&authorized.id).await;
    assert_eq!((captured.status, captured.pending_action), (TransactionStatus::Succeeded, None));
    assert_eq!(captured.amount_captured, 10_000);
    assert_eq!(f.plan.succeeded(Operation::Capture), 1);
    assert_eq!(f.events(&authorized.id, "transaction.succeeded").await, 1);

    let authorized = f.paid(CaptureMethod::Manual).await;
    f.plan.fail_transiently(Operation::Cancel, 1);
    let first = f.core.cancel(&f.principal, &authorized.id, "cancel-key").await.unwrap();
    assert_eq!(first.value.pending_action, Some(PendingAction::Cancel));
    f.redrive(&authorized.id).await;
    let canceled = f.transaction(&authorized.id).await;
    assert_eq!((canceled.status, canceled.pending_action), (TransactionStatus::Canceled, None));
    assert_eq!(f.plan.succeeded(Operation::Cancel), 1);
    assert_eq!(f.events(&authorized.id, "transaction.canceled").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_capture_is_recorded_cleared_and_announced() {
    let f = fixture().await;
    let authorized = f.paid(CaptureMethod::Manual).await;

    // Refused on the spot: the caller hears the provider's code.
    f.plan.refuse(Operation::Capture, 1);
    let refused = f.core.capture(&f.principal, &authorized.id, None, "").await;
    assert!(matches!(&refused, Err(CoreError::Provider { code, .. }) if code == "test_refusal"), "{refused:?}");
    let after = f.transaction(&authorized.id).await;
    assert_eq!((after.status, after.pending_action), (TransactionStatus::RequiresCapture, None));
    assert_eq!(after.action_failures.len(), 1);
    assert_eq!(after.action_failures[0].action, PendingAction::Capture);
    assert!(!after.needs_work, "the re-drive has nothing to retry");
    assert_eq!(f.events(&authorized.id, "transaction.capture_failed").await, 1);

    // Refused in the re-drive, after an outage answered 202.
    f.plan.fail_transiently(Operation::Capture, 1);
    f.plan.refuse(Operation::Capture, 1);
    let pending = f.core.capture(&f.principal, &authorized.id, None, "").await.unwrap();
    assert_eq!(pending.value.pending_action, Some(PendingAction::Capture));
    f.redrive(&authorized.id).await;
    let after = f.transaction(&authorized.id).await;
    assert_eq!((after.status, after.pending_action), (TransactionStatus::RequiresCapture, None));
    assert_eq!(after.action_failures.len(), 2);
    assert_eq!(f.events(&authorized.id, "transaction.capture_failed").await, 2);

    // The state machine goes on: a cancel now works.
    let canceled = f.core.cancel(&f.principal, &authorized.id, "").await.unwrap();
    assert_eq!(canceled.value.status, TransactionStatus::Canceled);
    assert_eq!(f.events(&authorized.id, "transaction.canceled").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_capture_takes_part_and_caps_refunds() {
    let f = fixture().await;
    let authorized = f.paid(CaptureMethod::Manual).await;
    for (amount, code) in [(0, "amount_invalid"), (-1, "amount_invalid"), (10_001, "amount_exceeds_authorized")] {
        let err = f.core.capture(&f.principal, &authorized.id, Some(amount), "").await.unwrap_err();
        assert!(matches!(err, CoreError::InvalidField { code: c, .. } if c == code), "{amount}: {err:?}");
    }
    let captured = f.core.capture(&f.principal, &authorized.id, Some(6000), "").await.unwrap().value;
    assert_eq!((captured.status, captured.amount_captured), (TransactionStatus::Succeeded, 6000));
    assert_eq!(captured.tax.document.total.gross, 6000, "the invoice covers what was captured");
    let err = f.core.refund(&f.principal, &authorized.id, Some(6001), "", "").await.unwrap_err();
    assert!(matches!(err, CoreError::InvalidField { code: "refund_exceeds_captured", .. }), "{err:?}");
    let rest = f.core.refund(&f.principal, &authorized.id, None, "", "").await.unwrap().value;
    assert_eq!((rest.amount, rest.status), (6000, RefundStatus::Succeeded));
}

/// Between a declined charge being written and the follow-up re-opening
/// the checkout, the payer already sees the failure; a retry in that
/// window pays instead of being told a payment is in progress.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_right_after_a_decline_pays_before_the_follow_up_reopens_the_checkout() {
    let fx = fixture().await;
    let request = NewCheckout { amount: Some(10_000), currency: "EUR".into(), ..NewCheckout::default() };
    let checkout = fx.core.create_checkout(&fx.principal, &fx.site_id, "", request).await.unwrap().value;
    let declined = fx.core.pay(&checkout.id, PaymentMethod::card("tok_chargeDeclined")).await.unwrap();
    fx.core.process_payment(&declined.id).await.unwrap();
    assert_eq!(fx.transaction(&declined.id).await.status, TransactionStatus::Failed);
    // The state the follow-up leaves behind when it has not run yet.
    fx.core
        .update::<Checkout, _>(&checkout.id, |checkout| {
            checkout.status = CheckoutStatus::Processing;
            checkout.counted_failure = None;
            checkout.failed_attempts = 0;
            Ok(())
        })
        .await
        .unwrap();
    let (_, _, shown) = fx.core.checkout_status(&checkout.id).await.unwrap();
    assert_eq!(shown, CheckoutStatus::Open, "the payer is shown an open checkout");

    let retry = fx.core.pay(&checkout.id, PaymentMethod::card("tok_visa")).await.unwrap();
    fx.core.process_payment(&retry.id).await.unwrap();
    assert_eq!(fx.transaction(&retry.id).await.status, TransactionStatus::Succeeded);
    let again = fx.core.pay(&checkout.id, PaymentMethod::card("tok_visa")).await;
    assert!(matches!(again, Err(CoreError::Conflict { code: "checkout_completed", .. })), "{again:?}");
}
