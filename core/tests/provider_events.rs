//! Provider webhooks applied to transactions: an event that overtakes the
//! provider's own answer, out-of-order and replayed events, and events for
//! charges the gateway did not make.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_trait::async_trait;
use paygate_core::{
    Core, CoreConfig,
    domain::{
        api_keys::{KeyMode, scopes},
        auth::Principal,
        checkouts::NewCheckout,
        provider_accounts::ProviderInput,
        provider_events::{EventStatus, ProviderEventRecord},
        sites::SiteChange,
        transactions::{Transaction, TransactionStatus},
    },
    providers::{
        ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundOutcome,
        RefundRequest, sandbox,
    },
};
use serde_json::json;
use tokio::sync::Notify;

/// A provider whose charge answer waits until the test releases it, so a
/// webhook can arrive first.
struct HeldAnswer {
    called: Notify,
    release: Notify,
    answer: ChargeStatus,
}

#[async_trait]
impl Provider for HeldAnswer {
    fn name(&self) -> &'static str {
        "sandbox"
    }
    fn accepts(&self, _: &PaymentMethod) -> bool {
        true
    }
    async fn authorize(&self, _: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        self.called.notify_one();
        self.release.notified().await;
        Ok(ChargeOutcome::new("sbx_ch_held", self.answer.clone()))
    }
    async fn capture(&self, _: &str, _: &str, _: i64) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn refund(&self, _: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        Err(ProviderError::Transient("unused".into()))
    }
}

struct Fixture {
    core: Core,
    principal: Principal,
    site_id: String,
    provider_id: String,
    secret: String,
    _dir: tempfile::TempDir,
}

async fn fixture(provider: Option<Arc<dyn Provider>>) -> Fixture {
    fixture_with_clock(provider, None).await
}

async fn fixture_with_clock(
    provider: Option<Arc<dyn Provider>>,
    clock: Option<Arc<dyn paygate_core::clock::Clock>>,
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = CoreConfig::embedded(dir.path().to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    let mut core = paygate_core::open(&config).await.unwrap();
    if let Some(provider) = provider {
        core.provider = provider;
    }
    if let Some(clock) = clock {
        core.clock = clock;
    }
    let input = ProviderInput { kind: "sandbox".into(), ..Default::default() };
    let (principal, site, account, secret) = site_charging_through(&core, &input).await;
    Fixture {
        core,
        principal,
        site_id: site.id,
        provider_id: account.id,
        secret: secret.unwrap().expose().to_owned(),
        _dir: dir,
    }
}

/// An organization whose site charges through a new provider record made
/// from `input`.
async fn site_charging_through(
    core: &Core,
    input: &ProviderInput,
) -> (
    Principal,
    paygate_core::domain::sites::Site,
    paygate_core::domain::provider_accounts::ProviderAccount,
    Option<paygate_core::crypto::SecretString>,
) {
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
    let (account, secret) = core.create_provider(&principal, input).await.unwrap();
    let change = SiteChange { provider_id: Some(&account.id), ..Default::default() };
    core.update_site(&principal, &site.id, &change).await.unwrap();
    (principal, site, account, secret)
}

impl Fixture {
    async fn pay(&self, token: &str) -> Transaction {
        let request = NewCheckout { amount: Some(5_000), currency: "EUR".into(), ..NewCheckout::default() };
        let checkout = self.core.create_checkout(&self.principal, &self.site_id, "", request).await.unwrap().value;
        self.core.pay(&checkout.id, PaymentMethod::card(token)).await.unwrap()
    }

    /// Delivers one signed sandbox event and applies whatever it stored.
    async fn deliver(&self, event_id: &str, event_type: &str, data: serde_json::Value) -> u32 {
        let now = self.core.now() / 1_000_000;
        let body =
            serde_json::to_vec(&json!({"id": event_id, "type": event_type, "created": now, "data": data})).unwrap();
        let headers = sandbox::signed_event(&self.secret, event_id, now, &body);
        let receipt = self.core.receive_hook("sandbox", &self.provider_id, &headers, &body).await.unwrap();
        let record_id = paygate_core::ids::derived_id("pevt", &format!("{}:{event_id}", self.provider_id));
        self.core.apply_provider_event(&record_id).await.unwrap();
        receipt.new_events
    }

    /// Brings the next check with the provider forward to now.
    async fn due_for_check(&self, id: &str) -> Transaction {
        self.core
            .update::<Transaction, _>(id, |transaction| {
                transaction.provider_check_at = 0;
                Ok(())
            })
            .await
            .unwrap()
    }

    async fn transaction(&self, id: &str) -> Transaction {
        self.core.get::<Transaction>(id).await.unwrap().unwrap()
    }

    async fn event(&self, event_id: &str) -> ProviderEventRecord {
        let id = paygate_core::ids::derived_id("pevt", &format!("{}:{event_id}", self.provider_id));
        self.core.get::<ProviderEventRecord>(&id).await.unwrap().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_overtakes_the_charge_answer_settles_it_and_the_late_answer_writes_nothing() {
    let held = Arc::new(HeldAnswer { called: Notify::new(), release: Notify::new(), answer: ChargeStatus::Processing });
    let fixture = fixture(Some(held.clone())).await;
    let transaction = fixture.pay("tok_visa").await;
    let worker = {
        let core = fixture.core.clone();
        let id = transaction.id.clone();
        tokio::spawn(async move { core.process_payment(&id).await })
    };
    held.called.notified().await;
    // The provider already knows the outcome and says so by webhook,
    // naming the gateway's transaction from its metadata.
    let data = json!({"charge": "sbx_ch_held", "transactionId": transaction.id, "amount": 5000});
    assert_eq!(fixture.deliver("sbxevt_fast", "charge.succeeded", data).await, 1);
    let settled = fixture.transaction(&transaction.id).await;
    assert_eq!(settled.status, TransactionStatus::Succeeded);
    assert_eq!(settled.provider_reference.as_deref(), Some("sbx_ch_held"));
    // Now the API answer arrives ("processing"): nothing moves back.
    held.release.notify_one();
    worker.await.unwrap().unwrap();
    let after = fixture.transaction(&transaction.id).await;
    assert_eq!(after.status, TransactionStatus::Succeeded);
    assert!(!after.awaiting_provider);
    assert_eq!(after.version, settled.version, "the late answer wrote nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_apply_once_forward_only_whatever_their_order() {
    let fixture = fixture(None).await;
    let transaction = fixture.pay("tok_delayedSettlement").await;
    fixture.core.process_payment(&transaction.id).await.unwrap();
    let waiting = fixture.transaction(&transaction.id).await;
    assert_eq!(waiting.status, TransactionStatus::Processing);
    assert!(waiting.awaiting_provider);
    assert!(
        waiting.provider_check_at >= waiting.updated_at + 50_000_000,
        "due only for a check with the provider, a minute on"
    );
    let reference = waiting.provider_reference.clone().unwrap();
    // The re-drive never charges an awaiting transaction again.
    fixture.core.resume_transaction(waiting.clone()).await.unwrap();
    fixture.core.process_payment(&transaction.id).await.unwrap();
    assert_eq!(fixture.transaction(&transaction.id).await.version, waiting.version);

    let data = json!({"charge": reference, "transactionId": transaction.id, "amount": 5000});
    assert_eq!(fixture.deliver("sbxevt_ok", "charge.succeeded", data.clone()).await, 1);
    let succeeded = fixture.transaction(&transaction.id).await;
    assert_eq!(succeeded.status, TransactionStatus::Succeeded);
    // Replayed: stored once, applied once.
    assert_eq!(fixture.deliver("sbxevt_ok", "charge.succeeded", data.clone()).await, 0);
    // An older event delivered late never moves it back.
    let failed = json!({"charge": reference, "transactionId": transaction.id, "failureCode": "card_declined"});
    assert_eq!(fixture.deliver("sbxevt_old_failure", "charge.failed", failed).await, 1);
    let after = fixture.transaction(&transaction.id).await;
    assert_eq!(after.status, TransactionStatus::Succeeded);
    assert_eq!(after.history.len(), succeeded.history.len());
    assert_eq!(fixture.event("sbxevt_old_failure").await.status, EventStatus::Ignored);
    assert_eq!(fixture.event("sbxevt_ok").await.status, EventStatus::Applied);

    // A dashboard refund, then its replay: one refund.
    let refund = json!({"charge": reference, "refund": "sbx_re_dash", "amount": 1200});
    assert_eq!(fixture.deliver("sbxevt_refund", "refund.succeeded", refund.clone()).await, 1);
    assert_eq!(fixture.deliver("sbxevt_refund_again", "refund.succeeded", refund).await, 1);
    let refunded = fixture.transaction(&transaction.id).await;
    assert_eq!(refunded.refunds.len(), 1);
    assert_eq!(refunded.amount_refunded, 1200);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_providers_or_another_organizations_charge_is_never_touched() {
    let ours = fixture(None).await;
    let other = fixture(None).await;
    let theirs = other.pay("tok_delayedSettlement").await;
    other.core.process_payment(&theirs.id).await.unwrap();
    // The other fixture has its own store; ours never saw this id. A
    // transaction of our own made through the built-in sandbox (no record)
    // must not be reachable through the record either.
    let data = json!({"charge": "sbx_ch_unknown", "transactionId": theirs.id, "amount": 5000});
    assert_eq!(ours.deliver("sbxevt_foreign", "charge.succeeded", data).await, 1);
    assert_eq!(ours.event("sbxevt_foreign").await.status, EventStatus::Ignored);

    let change = SiteChange { provider_id: Some(""), ..Default::default() };
    ours.core.update_site(&ours.principal, &ours.site_id, &change).await.unwrap();
    let builtin = ours.pay("tok_delayedSettlement").await;
    ours.core.process_payment(&builtin.id).await.unwrap();
    assert_eq!(ours.transaction(&builtin.id).await.provider_id, None);
    let reference = ours.transaction(&builtin.id).await.provider_reference.unwrap();
    let data = json!({"charge": reference, "transactionId": builtin.id, "amount": 5000});
    assert_eq!(ours.deliver("sbxevt_builtin", "charge.succeeded", data).await, 1);
    assert_eq!(ours.transaction(&builtin.id).await.status, TransactionStatus::Processing);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_webhook_is_made_up_for_by_asking_the_provider_with_back_off() {
    let fixture = fixture(None).await;
    let transaction = fixture.pay("tok_delayedSettlement").await;
    fixture.core.process_payment(&transaction.id).await.unwrap();
    let waiting = fixture.transaction(&transaction.id).await;
    let reference = waiting.provider_reference.clone().unwrap();

    // Before its time, the re-drive asks nothing.
    fixture.core.resume_transaction(waiting.clone()).await.unwrap();
    assert_eq!(fixture.transaction(&transaction.id).await.version, waiting.version);

    // Due, the provider still says "processing": the next check backs off.
    let checked = fixture.due_for_check(&transaction.id).await;
    fixture.core.resume_transaction(checked).await.unwrap();
    let once = fixture.transaction(&transaction.id).await;
    assert_eq!(once.status, TransactionStatus::Processing);
    assert_eq!(once.provider_checks, 1);
    assert!(once.provider_check_at >= once.updated_at + 110_000_000, "two minutes after the first check");

    // The provider settles; its webhook never arrives. The next check
    // finds out and settles the transaction as the webhook would have.
    sandbox::SandboxProvider::new(fixture.core.store.clone(), std::time::Duration::ZERO)
        .dashboard(&reference, &transaction.id, &sandbox::DashboardAction::Settle { succeeded: true }, "sbxevt_lost", 0)
        .await
        .unwrap();
    let checked = fixture.due_for_check(&transaction.id).await;
    fixture.core.resume_transaction(checked).await.unwrap();
    let settled = fixture.transaction(&transaction.id).await;
    assert_eq!(settled.status, TransactionStatus::Succeeded);
    assert!(!settled.awaiting_provider);
    assert!(settled.invoice_id.is_some(), "followed up like any settlement");
}

#[tokio::test(flavor = "multi_thread")]
async fn finished_events_are_kept_thirty_days_for_replays_then_purged() {
    let clock = paygate_core::clock::OffsetClock::new();
    let fixture = fixture_with_clock(None, Some(Arc::new(clock.clone()))).await;
    let transaction = fixture.pay("tok_delayedSettlement").await;
    fixture.core.process_payment(&transaction.id).await.unwrap();
    let reference = fixture.transaction(&transaction.id).await.provider_reference.unwrap();
    let data = json!({"charge": reference, "transactionId": transaction.id, "amount": 5000});
    assert_eq!(fixture.deliver("sbxevt_kept", "charge.succeeded", data).await, 1);
    let record_id = fixture.event("sbxevt_kept").await.id;

    let mut scheduler = paygate_core::workers::Scheduler::default();
    clock.advance(29 * 24 * 3600 * 1_000_000);
    scheduler.pass(&fixture.core).await;
    assert!(fixture.core.get::<ProviderEventRecord>(&record_id).await.unwrap().is_some(), "kept within 30 days");
    clock.advance(2 * 24 * 3600 * 1_000_000);
    let report = scheduler.pass(&fixture.core).await;
    assert_eq!(report.provider_events, 1);
    assert!(fixture.core.get::<ProviderEventRecord>(&record_id).await.unwrap().is_none(), "purged after 30 days");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_three_d_secure_step_never_finished_is_canceled_at_the_provider_when_the_checkout_runs_out() {
    let standin = paygate_standins::stripe::StripeStandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = CoreConfig::embedded(dir.path().to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    config.provider_allow_private = true;
    let core = paygate_core::open(&config).await.unwrap();
    let input = ProviderInput {
        kind: "stripe".into(),
        secret_key: standin.secret_key(),
        api_base: Some(standin.base_url()),
        ..Default::default()
    };
    let (principal, site, _, _) = site_charging_through(&core, &input).await;
    let request = NewCheckout { amount: Some(5_000), currency: "EUR".into(), ..NewCheckout::default() };
    let checkout = core.create_checkout(&principal, &site.id, "", request).await.unwrap().value;
    let transaction = core.pay(&checkout.id, PaymentMethod::card("pm_card_threeDSecure2Required")).await.unwrap();
    core.process_payment(&transaction.id).await.unwrap();
    let waiting = core.get::<Transaction>(&transaction.id).await.unwrap().unwrap();
    assert!(waiting.next_action.is_some() && waiting.awaiting_provider);
    let intent = waiting.provider_reference.clone().unwrap();

    // Still within the checkout's time: a check only asks.
    let due = |core: Core, id: String| async move {
        core.update::<Transaction, _>(&id, |transaction| {
            transaction.provider_check_at = 0;
            Ok(())
        })
        .await
        .unwrap()
    };
    core.resume_transaction(due(core.clone(), transaction.id.clone()).await).await.unwrap();
    assert_eq!(standin.payment_intent(&intent).unwrap()["status"], "requires_action");

    // The checkout runs out with the step unfinished.
    core.update::<paygate_core::domain::checkouts::Checkout, _>(&checkout.id, |checkout| {
        checkout.expires_at = 0;
        Ok(())
    })
    .await
    .unwrap();
    core.resume_transaction(due(core.clone(), transaction.id.clone()).await).await.unwrap();
    assert_eq!(standin.payment_intent(&intent).unwrap()["status"], "canceled");
    assert!(!standin.authenticate(&intent, true), "the attempt can no longer be completed");
    let abandoned = core.get::<Transaction>(&transaction.id).await.unwrap().unwrap();
    assert_eq!(abandoned.status, TransactionStatus::Failed);
    assert_eq!(abandoned.failure_code.as_deref(), Some("authentication_abandoned"));
    core.expire_checkout(&checkout.id).await.unwrap();
    let expired = core.get::<paygate_core::domain::checkouts::Checkout>(&checkout.id).await.unwrap().unwrap();
    assert_eq!(expired.status, paygate_core::domain::checkouts::CheckoutStatus::Expired);
}
