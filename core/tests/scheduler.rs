//! The scheduler against the embedded store and the in-process queue: due
//! work is taken oldest first with a cursor, a job is published again only
//! once it is stale, one unreadable document costs only itself,
//! idempotency records go after 24 h on the core's clock, and the due
//! times of older documents are filled in once per store.

use std::{sync::Arc, time::Duration};

use paygate_core::{
    Core, CoreConfig,
    clock::OffsetClock,
    domain::{
        api_keys::KeyMode,
        auth::Principal,
        ipn::{DeliveryStatus, IPN_QUEUE, IpnDelivery, REQUEUE_AFTER_MICROS},
    },
    workers::{PASS_BUDGET, Scheduler},
};
use serde_json::json;

async fn core(dir: &std::path::Path) -> (Core, OffsetClock) {
    let mut config = CoreConfig::embedded(dir.to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    config.ipn_allow_private = true;
    config.ipn_fast_retries = true;
    let mut core = paygate_core::open(&config).await.expect("core");
    let clock = OffsetClock::new();
    core.clock = Arc::new(clock.clone());
    (core, clock)
}

/// A pending delivery due at `due`, with an id that sorts unlike its due
/// time (so order by id would be caught).
fn delivery(n: usize, due: i64) -> IpnDelivery {
    IpnDelivery {
        id: format!("evt_{:08x}", (n as u32).wrapping_mul(2_654_435_761)),
        trace_context: None,
        version: 0,
        created_at: due,
        organization_id: "org_test".into(),
        livemode: false,
        site_id: "site_test".into(),
        checkout_id: "chk_test".into(),
        transaction_id: None,
        event_type: "transaction.succeeded".into(),
        url: "http://127.0.0.1:9/ipn".into(),
        payload: json!({ "n": n }).to_string(),
        status: DeliveryStatus::Pending,
        attempts: Vec::new(),
        next_attempt_at: due,
        lease_until: 0,
        queued_until: 0,
        needs_work: true,
    }
}

async fn insert_all(core: &Core, deliveries: &[IpnDelivery]) {
    for chunk in deliveries.chunks(200) {
        let inserts = chunk.iter().map(|d| core.insert(d));
        for result in futures::future::join_all(inserts).await {
            result.expect("insert");
        }
    }
}

/// Every job waiting in the IPN queue, in the order it would be consumed.
async fn drain_jobs(core: &Core) -> Vec<String> {
    let mut jobs = Vec::new();
    while let Some(job) =
        core.queue.consume(IPN_QUEUE, Duration::from_secs(60), Duration::from_millis(1)).await.expect("consume")
    {
        jobs.push(String::from_utf8(job.payload.clone()).expect("utf-8"));
        core.queue.ack(&job).await.expect("ack");
    }
    jobs
}

#[tokio::test(flavor = "multi_thread")]
async fn due_deliveries_are_published_oldest_first_across_passes_and_only_once_while_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let total = 2 * PASS_BUDGET + 500;
    let now = core.now();
    // Inserted newest first, so neither insertion nor creation order is
    // due order by accident.
    let deliveries: Vec<_> = (0..total).rev().map(|n| delivery(n, now - 1_000_000 + n as i64)).collect();
    insert_all(&core, &deliveries).await;
    let in_due_order: Vec<String> = (0..total).map(|n| delivery(n, 0).id).collect();

    let mut scheduler = Scheduler::default();
    let mut published = Vec::new();
    for pass in 0..3 {
        let report = scheduler.pass(&core).await;
        let jobs = drain_jobs(&core).await;
        assert_eq!(report.deliveries, jobs.len(), "pass {pass}");
        assert!(jobs.len() <= PASS_BUDGET, "a pass stays within its budget");
        published.extend(jobs);
    }
    assert_eq!(published, in_due_order, "every due delivery, oldest first, once");

    // Nothing was attempted, but every job is still trusted to be on its
    // way: passes publish nothing more.
    for _ in 0..3 {
        assert_eq!(scheduler.pass(&core).await.deliveries, 0);
    }
    assert!(drain_jobs(&core).await.is_empty(), "no duplicate jobs while the first ones are fresh");

    // Once stale, each is published again, once.
    clock.advance(REQUEUE_AFTER_MICROS + 1);
    let mut again = Vec::new();
    for _ in 0..4 {
        scheduler.pass(&core).await;
        again.extend(drain_jobs(&core).await);
    }
    again.sort();
    let mut expected = in_due_order;
    expected.sort();
    assert_eq!(again, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_document_is_skipped_and_the_pass_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _clock) = core(dir.path()).await;
    let now = core.now();
    // Due before everything else, and not an IPN delivery at all.
    core.store
        .insert("ipn_deliveries", json!({"id": "evt_corrupt", "createdAt": 1, "dueAt": 1, "status": 42}))
        .await
        .expect("insert corrupt");
    let deliveries: Vec<_> = (0..5).map(|n| delivery(n, now - 1_000 + n as i64)).collect();
    insert_all(&core, &deliveries).await;

    let mut scheduler = Scheduler::default();
    let report = scheduler.pass(&core).await;
    assert_eq!(report.skipped, 1);
    assert_eq!(report.deliveries, 5);
    let jobs = drain_jobs(&core).await;
    assert_eq!(jobs, deliveries.iter().map(|d| d.id.clone()).collect::<Vec<_>>());
    // The next pass meets it again and still goes past it.
    let report = scheduler.pass(&core).await;
    assert_eq!((report.skipped, report.deliveries), (1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_records_are_purged_after_24_hours_on_the_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let run = |key: &'static str| {
        let core = core.clone();
        async move {
            let principal = Principal {
                organization_id: "org_1".into(),
                key_id: "key_1".into(),
                scopes: std::sync::Arc::from([]),
                mode: KeyMode::Test,
                user: None,
                client_ip: String::new(),
            };
            core.idempotent(&principal, "test", key, "fp".into(), "res", |id| async move { Ok(id) }).await.expect("run")
        }
    };
    let old = run("old").await.value;
    let mut scheduler = Scheduler::default();
    assert_eq!(scheduler.pass(&core).await.idempotency_records, 0, "a fresh key binds");
    assert_eq!(run("old").await.value, old, "replayed within 24 h");

    clock.advance(23 * 3600 * 1_000_000);
    let young = run("young").await.value;
    assert_eq!(scheduler.pass(&core).await.idempotency_records, 0);
    clock.advance(3600 * 1_000_000 + 1);
    assert_eq!(scheduler.pass(&core).await.idempotency_records, 1, "only the record past 24 h goes");
    assert_ne!(run("old").await.value, old, "the purged key runs afresh");
    assert_eq!(run("young").await.value, young, "the younger key still replays");
}

/// A test-mode organization with a site, a monthly plan and a customer.
async fn subscriber(core: &Core) -> (Principal, String, String, String) {
    use paygate_core::domain::{customers::CustomerInput, plans::NewPlan};
    let org = core.create_organization("Acme").await.expect("org");
    let (site, _) = core.create_site(&org.id, "Shop", "").await.expect("site");
    let principal = Principal {
        organization_id: org.id.clone(),
        key_id: "key_1".into(),
        scopes: std::sync::Arc::from([]),
        mode: KeyMode::Test,
        user: None,
        client_ip: String::new(),
    };
    let plan = NewPlan {
        name: "Pro".into(),
        amount: Some(990),
        currency: "EUR".into(),
        interval: "month".into(),
        interval_count: None,
        trial_days: None,
    };
    let plan = core.create_plan(&principal, "", &plan).await.expect("plan").value;
    let input = CustomerInput { email: Some("ada@example.com".into()), ..Default::default() };
    let customer = core.create_customer(&principal, "", &input).await.expect("customer").value;
    (principal, site.id, plan.id, customer.id)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_renews_a_subscription_when_its_period_ends_and_only_then() {
    use paygate_core::domain::subscriptions::{NewSubscription, SubscriptionStatus};
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let (principal, site_id, plan_id, customer_id) = subscriber(&core).await;
    let request =
        NewSubscription { customer_id, plan_id, site_id, payment_method: "tok_visa".into(), ..Default::default() };
    let created = core.create_subscription(&principal, "", &request).await.expect("subscription").value;
    assert_eq!(created.status, SubscriptionStatus::Active);
    assert_eq!(created.periods_paid, 1);

    let mut scheduler = Scheduler::default();
    let report = scheduler.pass(&core).await;
    assert_eq!(report.subscriptions, 0, "nothing is due yet");
    // 24 days on: the renewal's invoice.upcoming notice only.
    clock.advance(24 * 86_400_000_000);
    assert_eq!(scheduler.pass(&core).await.subscriptions, 1);
    let noticed = core.owned_subscription(&principal, &created.id).await.expect("get");
    assert_eq!((noticed.periods_paid, noticed.upcoming_notice_period), (1, Some(1)));
    // Past the period's end: one renewal, charged and invoiced once.
    clock.advance(8 * 86_400_000_000);
    assert_eq!(scheduler.pass(&core).await.subscriptions, 1);
    assert_eq!(scheduler.pass(&core).await.subscriptions, 0, "a renewed subscription is not due again");
    let renewed = core.owned_subscription(&principal, &created.id).await.expect("get");
    assert_eq!(renewed.status, SubscriptionStatus::Active);
    assert_eq!(renewed.periods_paid, 2);
    assert_eq!(renewed.current_period_start, created.current_period_end);
    assert!(renewed.latest_invoice_id.is_some() && renewed.latest_invoice_id != created.latest_invoice_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_clocks_subscriptions_are_never_due_to_the_scheduler() {
    use paygate_core::domain::{customers::CustomerInput, subscriptions::NewSubscription};
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let (principal, site_id, plan_id, _) = subscriber(&core).await;
    let frozen = core.now();
    let test_clock = core.create_test_clock(&principal, "", frozen, "").await.expect("clock").value;
    let input = CustomerInput { test_clock_id: Some(test_clock.id.clone()), ..Default::default() };
    let customer = core.create_customer(&principal, "", &input).await.expect("customer").value;
    let request = NewSubscription {
        customer_id: customer.id,
        plan_id,
        site_id,
        payment_method: "tok_visa".into(),
        ..Default::default()
    };
    let created = core.create_subscription(&principal, "", &request).await.expect("subscription").value;
    clock.advance(400 * 86_400_000_000);
    let mut scheduler = Scheduler::default();
    assert_eq!(scheduler.pass(&core).await.subscriptions, 0, "only the clock's advance moves it");
    let same = core.owned_subscription(&principal, &created.id).await.expect("get");
    assert_eq!(same.periods_paid, 1);
    let advanced =
        core.advance_test_clock(&principal, &test_clock.id, frozen + 62 * 86_400_000_000).await.expect("advance");
    assert_eq!(advanced.frozen_time, frozen + 62 * 86_400_000_000);
    let renewed = core.owned_subscription(&principal, &created.id).await.expect("get");
    assert_eq!(renewed.periods_paid, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn due_times_of_older_documents_are_filled_in_at_the_first_start_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _clock) = core(dir.path()).await;
    let now = core.now();
    // As a release before the due index stored them: no `dueAt`.
    let legacy = |n: usize| {
        let mut body = serde_json::to_value(delivery(n, now - 1_000)).expect("json");
        body.as_object_mut().expect("object").remove("dueAt");
        body
    };
    let first = legacy(1);
    core.store.insert("ipn_deliveries", first.clone()).await.expect("insert");
    let due_at = |id: String| {
        let core = core.clone();
        async move { core.store.get("ipn_deliveries", &id).await.expect("get").expect("stored").due_at() }
    };
    let first_id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(due_at(first_id.clone()).await, None);

    let filled = paygate_core::workers::backfill_due_times(&core).await.expect("backfill");
    assert_eq!(filled, Some(1));
    assert!(due_at(first_id).await.is_some(), "the scheduler can see it now");

    // Recorded as done: a later start reads nothing, even were there a
    // document without a due time (no release since writes one).
    let second = legacy(2);
    core.store.insert("ipn_deliveries", second.clone()).await.expect("insert");
    assert_eq!(paygate_core::workers::backfill_due_times(&core).await.expect("backfill"), None);
    assert_eq!(due_at(second["id"].as_str().expect("id").to_owned()).await, None);
}
