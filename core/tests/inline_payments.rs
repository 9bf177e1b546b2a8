//! A pay request charges its payment itself while the core's workers run,
//! without a trip through the payment queue; a core whose workers do not
//! run (its inline slots closed) queues the payment, as before.

use std::time::Duration;

use paygate_core::{
    Core, CoreConfig,
    domain::{
        api_keys::KeyMode,
        auth::Principal,
        checkouts::{Checkout, CheckoutStatus, NewCheckout},
        transactions::{PAYMENT_QUEUE, Transaction, TransactionStatus},
    },
    providers::PaymentMethod,
};

async fn core(dir: &std::path::Path) -> Core {
    let mut config = CoreConfig::embedded(dir.to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    paygate_core::open(&config).await.expect("core")
}

/// A merchant's open checkout of 11.90 EUR.
async fn open_checkout(core: &Core) -> String {
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
    let request = NewCheckout { amount: Some(1190), currency: "EUR".into(), ..Default::default() };
    core.create_checkout(&principal, &site.id, "", request).await.expect("checkout").value.id
}

async fn transaction(core: &Core, id: &str) -> Transaction {
    core.get::<Transaction>(id).await.expect("read").expect("stored")
}

/// The jobs waiting in the payment queue.
async fn queued_payments(core: &Core) -> Vec<String> {
    let mut jobs = Vec::new();
    while let Some(job) =
        core.queue.consume(PAYMENT_QUEUE, Duration::from_secs(60), Duration::from_millis(1)).await.expect("consume")
    {
        jobs.push(String::from_utf8(job.payload.clone()).expect("utf-8"));
        core.queue.ack(&job).await.expect("ack");
    }
    jobs
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pay_request_charges_its_payment_itself_without_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path()).await;
    // As `serve` does once the workers run; none consumes the queue here,
    // so only the pay request's own work can settle the payment.
    core.inline_payments.open();
    let checkout_id = open_checkout(&core).await;
    let pending = core.pay(&checkout_id, PaymentMethod::card("tok_visa")).await.expect("pay");

    let mut settled = None;
    for _ in 0..200 {
        let current = transaction(&core, &pending.id).await;
        if current.status == TransactionStatus::Succeeded && !current.follow_up {
            settled = Some(current);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let settled = settled.expect("the payment settled without a worker");
    assert_eq!(settled.amount_captured, 1190);
    assert_eq!(settled.attempts, 1, "charged once");
    assert!(settled.invoice_id.is_some(), "invoiced");
    let checkout = core.get::<Checkout>(&checkout_id).await.expect("read").expect("stored");
    assert_eq!(checkout.status, CheckoutStatus::Completed);
    assert!(queued_payments(&core).await.is_empty(), "nothing went through the payment queue");

    // Shutdown waits for inline payments, then closes the slots: a later
    // pay (say, while a core drains) is queued for the workers instead.
    assert!(core.inline_payments.finish(Duration::from_secs(5)).await);
    let second = open_checkout(&core).await;
    let queued = core.pay(&second, PaymentMethod::card("tok_visa")).await.expect("pay");
    assert_eq!(queued_payments(&core).await, vec![queued.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_running_workers_a_payment_waits_in_the_queue_for_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path()).await;
    let checkout_id = open_checkout(&core).await;
    let pending = core.pay(&checkout_id, PaymentMethod::card("tok_visa")).await.expect("pay");

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(transaction(&core, &pending.id).await.status, TransactionStatus::Pending, "nobody charged it");
    assert_eq!(queued_payments(&core).await, vec![pending.id.clone()]);
    // What a worker does with the job settles it.
    core.process_payment(&pending.id).await.expect("process");
    assert_eq!(transaction(&core, &pending.id).await.status, TransactionStatus::Succeeded);
}
