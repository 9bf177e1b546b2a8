//! The `paygate::state` log lines: one per stored change of a checkout,
//! transaction, refund, subscription or IPN delivery, in order, naming who
//! caused it, and never carrying a secret.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use paygate_core::{
    Core, CoreConfig,
    clock::OffsetClock,
    domain::{
        api_keys::{KeyMode, scopes},
        checkouts::NewCheckout,
        customers::CustomerInput,
        ipn::{DeliveryStatus, IpnDelivery},
        plans::NewPlan,
        state_log::{self, Actor},
        subscriptions::NewSubscription,
    },
    providers::PaymentMethod,
    store::Page,
    workers::Scheduler,
};
use serde_json::Value;

const DAY: i64 = 86_400_000_000;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("capture").clone()).expect("utf-8")
    }

    /// Every captured line, parsed, then forgotten.
    fn take(&self) -> Vec<Value> {
        let text = self.text();
        self.0.lock().expect("capture").clear();
        text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
    }
}

fn field<'a>(line: &'a Value, name: &str) -> &'a Value {
    &line["fields"][name]
}

/// (object, from, to) of each line.
fn steps(lines: &[Value]) -> Vec<(String, String, String)> {
    lines
        .iter()
        .map(|l| {
            let text = |name| field(l, name).as_str().unwrap_or_default().to_owned();
            (text("object"), text("from"), text("to"))
        })
        .collect()
}

fn step(object: &str, from: &str, to: &str) -> (String, String, String) {
    (object.into(), from.into(), to.into())
}

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

/// A receiver that answers 500 to its first request and 200 after.
async fn flaky_receiver() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            } else {
                axum::http::StatusCode::OK
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/ipn", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, seen)
}

/// One thread runs the whole story on a current-thread runtime, so the
/// thread-local capturing subscriber sees every line (the spawned IPN
/// receiver included); the stack is large enough for the debug build's
/// futures.
#[test]
fn a_payment_s_life_is_logged_once_per_change_with_its_actor_and_no_secret() {
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(payment_story());
        })
        .expect("thread")
        .join()
        .expect("the story ran");
}

async fn payment_story() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("paygate::state=info")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let org = core.create_organization("Acme").await.expect("organization");
    let (site, webhook_secret) = core.create_site(&org.id, "Shop", "").await.expect("site");
    let all: Vec<String> = scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (key, api_key) = core.create_api_key(&org.id, "server", KeyMode::Test, &all).await.expect("key");
    let authorization = format!("Bearer {}", api_key.expose());
    let (url, _seen) = flaky_receiver().await;

    // The merchant's server creates the checkout.
    let checkout = state_log::acting(Actor::System, async {
        let principal = core.authenticate(Some(&authorization), scopes::CHECKOUT_CREATE).await.expect("auth");
        let request =
            NewCheckout { amount: Some(5_000), currency: "EUR".into(), ipn_url: url.clone(), ..Default::default() };
        core.create_checkout(&principal, &site.id, "", request).await.expect("checkout").value
    })
    .await;
    // The customer pays; the payment worker charges.
    let card = "tok_visa";
    let transaction =
        state_log::acting(Actor::System, core.pay(&checkout.id, PaymentMethod::card(card))).await.expect("pay");
    state_log::acting(Actor::Scheduler, core.process_payment(&transaction.id)).await.expect("process");
    let payment = capture.take();

    // The merchant refunds it.
    let refund = state_log::acting(Actor::System, async {
        let principal = core.authenticate(Some(&authorization), scopes::TRANSACTIONS_WRITE).await.expect("auth");
        core.refund(&principal, &transaction.id, None, "", "refund-1").await.expect("refund").value
    })
    .await;
    let refunding = capture.take();

    // The IPN receiver fails the first attempt and takes the second.
    let principal = core.authenticate(Some(&authorization), scopes::TRANSACTIONS_READ).await.expect("auth");
    let page = Page { limit: 100, starting_after: None };
    let (mut pending, _) = core
        .list_ipn_deliveries(&principal, &site.id, Some(DeliveryStatus::Pending), "", &page)
        .await
        .expect("deliveries");
    pending.sort_by_key(|d| d.created_at);
    let first = pending.first().expect("a delivery").id.clone();
    state_log::acting(Actor::Scheduler, core.deliver_ipn(&first)).await.expect("deliver");
    clock.advance(DAY);
    state_log::acting(Actor::Scheduler, core.deliver_ipn(&first)).await.expect("deliver");
    // Nothing is due any more: no line.
    state_log::acting(Actor::Scheduler, core.deliver_ipn(&first)).await.expect("deliver");
    let delivered: IpnDelivery = core.get(&first).await.expect("get").expect("stored");
    assert_eq!(delivered.status, DeliveryStatus::Succeeded);
    let ipn = capture.take();

    // A subscription, then its renewal a period later.
    let created = state_log::acting(Actor::System, async {
        let principal = core.authenticate(Some(&authorization), scopes::SUBSCRIPTIONS_WRITE).await.expect("auth");
        let plan = NewPlan {
            name: "Pro".into(),
            amount: Some(990),
            currency: "EUR".into(),
            interval: "month".into(),
            interval_count: None,
            trial_days: None,
        };
        let plan = core.create_plan(&principal, "", &plan).await.expect("plan").value;
        let input = CustomerInput { email: Some("ada.lovelace@example.com".into()), ..Default::default() };
        let customer = core.create_customer(&principal, "", &input).await.expect("customer").value;
        let request = NewSubscription {
            customer_id: customer.id,
            plan_id: plan.id,
            site_id: site.id.clone(),
            payment_method: card.into(),
            ..Default::default()
        };
        core.create_subscription(&principal, "", &request).await.expect("subscription").value
    })
    .await;
    let subscribing = capture.take();
    clock.advance(32 * DAY);
    let mut scheduler = Scheduler::default();
    scheduler.pass(&core).await;
    scheduler.pass(&core).await;
    let renewal = capture.take();

    let api = format!("api_key:{}", key.id);
    let actors = |lines: &[Value]| -> Vec<String> {
        lines.iter().map(|l| field(l, "actor").as_str().unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(
        steps(&payment),
        [
            step("checkout", "none", "open"),
            step("transaction", "none", "pending"),
            step("checkout", "open", "processing"),
            step("transaction", "pending", "processing"),
            step("transaction", "processing", "succeeded"),
            step("checkout", "processing", "completed"),
            step("ipn_delivery", "none", "pending"),
        ]
    );
    assert_eq!(actors(&payment), [&api, "customer", "customer", "scheduler", "scheduler", "scheduler", "scheduler"]);
    assert_eq!(field(&payment[4], "id"), transaction.id.as_str());
    assert_eq!(field(&payment[4], "parent_id"), checkout.id.as_str());
    assert_eq!(
        (field(&payment[4], "amount"), field(&payment[4], "currency")),
        (&Value::from(5_000), &Value::from("EUR"))
    );

    assert_eq!(
        steps(&refunding),
        [
            step("refund", "none", "pending"),
            step("refund", "pending", "succeeded"),
            step("ipn_delivery", "none", "pending")
        ]
    );
    assert_eq!(actors(&refunding), [api.as_str(); 3]);
    assert_eq!(field(&refunding[1], "id"), refund.id.as_str());
    assert_eq!(field(&refunding[1], "parent_id"), transaction.id.as_str());
    assert_eq!(field(&refunding[1], "amount"), 5_000);

    assert_eq!(steps(&ipn), [step("ipn_delivery", "pending", "pending"), step("ipn_delivery", "pending", "succeeded")]);
    assert_eq!((ipn[0]["level"].as_str(), ipn[1]["level"].as_str()), (Some("WARN"), Some("INFO")));
    assert_eq!((field(&ipn[0], "attempt"), field(&ipn[0], "http_status")), (&Value::from(1), &Value::from(500)));
    assert_eq!(field(&ipn[0], "error_class"), "http_status");
    assert_eq!((field(&ipn[1], "attempt"), field(&ipn[1], "http_status")), (&Value::from(2), &Value::from(200)));
    assert_eq!(field(&ipn[1], "id"), first.as_str());
    assert_eq!(field(&ipn[1], "event_type"), "transaction.succeeded");

    assert_eq!(
        steps(&subscribing),
        [
            step("subscription", "none", "incomplete"),
            step("checkout", "none", "processing"),
            step("transaction", "none", "pending"),
            step("transaction", "pending", "processing"),
            step("transaction", "processing", "succeeded"),
            step("checkout", "processing", "completed"),
            step("subscription", "incomplete", "active"),
        ]
    );
    assert!(actors(&subscribing).iter().all(|a| *a == api));
    assert_eq!(field(&subscribing[6], "id"), created.id.as_str());
    // The renewal is the scheduler's: a new checkout charged once.
    assert_eq!(
        steps(&renewal),
        [
            step("checkout", "none", "processing"),
            step("transaction", "none", "pending"),
            step("transaction", "pending", "processing"),
            step("transaction", "processing", "succeeded"),
            step("checkout", "processing", "completed"),
        ]
    );
    assert!(actors(&renewal).iter().all(|a| a == "scheduler"));
    assert_eq!(field(&renewal[3], "amount"), 990);

    let all: Vec<&Value> = [&payment, &refunding, &ipn, &subscribing, &renewal].into_iter().flatten().collect();
    let mut seen = std::collections::HashSet::new();
    for line in &all {
        assert_eq!(line["target"], "paygate::state");
        assert_eq!(field(line, "event"), "state_change");
        assert_eq!(field(line, "organization_id"), org.id.as_str());
        assert_eq!(field(line, "livemode"), false);
        let change =
            [field(line, "id"), field(line, "from"), field(line, "to"), field(line, "attempt")].map(Value::clone);
        assert!(seen.insert(change), "logged twice: {line}");
        let text = line.to_string();
        for secret in [api_key.expose(), webhook_secret.expose(), card, "ada.lovelace@example.com", "example.com"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
