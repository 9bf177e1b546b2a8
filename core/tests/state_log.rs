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
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Every captured line, parsed, then forgotten.
    fn take(&self) -> Vec<Value> {
        let text = self.text();
        self.0.lock().unwrap().clear();
        text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
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

#[tokio::test(flavor = "current_thread")]
async fn a_payment_s_life_is_logged_once_per_change_with_its_actor_and_no_secret() {
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
    let transaction = state_log::acting(Actor::System, core.pay(&checkout.id, PaymentMethod::card(card)))
        .await
        .expect("pay");
    state_log::acting(Actor::Scheduler, core.process_payment(&transaction.id)).await.expect("process");
    println!("{}", capture.text());
    let lines = capture.take();
    for line in &lines {
        println!("{:?} {}", steps(std::slice::from_ref(line)), field(line, "actor"));
    }
    panic!("explore");
}
