//! `spawn_app()`: the whole gateway in-process on port 0 with an isolated
//! store (fresh SQLite directory, or a fresh MongoDB database) and queue
//! (in-process, or a fresh Redis key prefix). The backend comes from
//! `PAYGATE_TEST_BACKEND` (`embedded` | `mongodb`) and `PAYGATE_TEST_QUEUE`
//! (`memory` | `redis`); the test script runs the suite with each.

use std::collections::HashMap;

use paygate::{Bootstrap, Running, Services, StackConfig};
use serde_json::Value;

pub struct TestApp {
    pub admin: String,
    pub main: String,
    pub core: String,
    pub config: StackConfig,
    pub client: reqwest::Client,
    pub running: Option<Running>,
    /// The DNS every custom domain's challenge is looked up in.
    pub dns: Arc<paygate_core::dns::PublishedTxtRecords>,
    _data_dir: tempfile::TempDir,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// In CI (`CI` set) or with `PAYGATE_REQUIRE_BACKENDS=1`, a backend whose
/// variable is missing fails the test: a green run must mean it ran.
pub fn backends_required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("PAYGATE_REQUIRE_BACKENDS")
}

pub fn test_env(data_dir: &std::path::Path) -> HashMap<String, String> {
    let mut env = HashMap::new();
    env.insert("PAYGATE_DATA_DIR".into(), data_dir.display().to_string());
    for var in ["PAYGATE_CORE_ADDR", "PAYGATE_ADMIN_ADDR", "PAYGATE_MAIN_ADDR", "PAYGATE_PDF_ADDR"] {
        env.insert(var.into(), "127.0.0.1:0".into());
    }
    env.insert("PAYGATE_IPN_ALLOW_PRIVATE".into(), "1".into());
    env.insert("PAYGATE_IPN_FAST_RETRIES".into(), "1".into());
    // No test reaches the real VIES; the VAT tests point this at a local one.
    env.insert("PAYGATE_VIES_URL".into(), "off".into());
    // Every test pays from 127.0.0.1; the pay limit has its own tests.
    env.insert("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE".into(), "100000".into());
    match std::env::var("PAYGATE_TEST_BACKEND").as_deref() {
        Ok("mongodb") => {
            let uri =
                std::env::var("PAYGATE_MONGODB_URI").expect("PAYGATE_TEST_BACKEND=mongodb needs PAYGATE_MONGODB_URI");
            env.insert("PAYGATE_MONGODB_URI".into(), uri);
            env.insert("PAYGATE_MONGODB_DATABASE".into(), unique("paygate_it"));
        }
        Ok("embedded") | Err(_) => {}
        Ok(other) => panic!("unknown PAYGATE_TEST_BACKEND {other:?}"),
    }
    match std::env::var("PAYGATE_TEST_QUEUE").as_deref() {
        Ok("redis") => {
            let url = std::env::var("PAYGATE_REDIS_URL").expect("PAYGATE_TEST_QUEUE=redis needs PAYGATE_REDIS_URL");
            env.insert("PAYGATE_REDIS_URL".into(), url);
            env.insert("PAYGATE_REDIS_PREFIX".into(), unique("paygate_it"));
        }
        Ok("memory") | Err(_) => {}
        Ok(other) => panic!("unknown PAYGATE_TEST_QUEUE {other:?}"),
    }
    env
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    spawn_app_configured(adjust, |_| {}).await
}

/// The gateway with `plan`'s provider failures in front of the sandbox.
pub async fn spawn_app_with_faults(plan: Arc<paygate_core::providers::faults::FaultPlan>) -> TestApp {
    spawn_app_configured(|_| {}, |config| config.provider_faults = Some(plan)).await
}

/// The gateway on `clock`, which the test moves forward.
pub async fn spawn_app_with_clock(clock: paygate_core::clock::OffsetClock) -> TestApp {
    spawn_app_configured(|_| {}, |config| config.clock = Some(clock)).await
}

async fn spawn_app_configured(
    adjust: impl FnOnce(&mut HashMap<String, String>),
    configure: impl FnOnce(&mut StackConfig),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut env = test_env(data_dir.path());
    adjust(&mut env);
    let mut config = StackConfig::from_env(&env).expect("test config");
    configure(&mut config);
    let dns = Arc::new(paygate_core::dns::PublishedTxtRecords::default());
    config.dns_resolver = Some(dns.clone());
    let running = paygate::start(&config, Services::All).await.expect("services start");
    let addr = |a: Option<std::net::SocketAddr>| format!("http://{}", a.expect("listening"));
    TestApp {
        admin: addr(running.admin_addr),
        main: addr(running.main_addr),
        core: addr(running.core_addr),
        config,
        client: reqwest::Client::builder().build().expect("client"),
        running: Some(running),
        dns,
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// A fresh organization with a site and an all-scopes key.
    pub async fn bootstrap(&self) -> Bootstrap {
        paygate::bootstrap(&self.config, "Acme GmbH", "Acme Shop").await.expect("bootstrap")
    }

    pub async fn create_checkout(&self, key: &str, site: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/checkouts/{site}/create", self.admin))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn admin_get(&self, key: &str, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.admin)).bearer_auth(key).send().await.expect("request")
    }

    pub async fn admin_post(&self, key: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.admin)).bearer_auth(key).json(body).send().await.expect("request")
    }

    pub async fn admin_post_keyed(
        &self,
        key: &str,
        path: &str,
        idempotency_key: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.admin))
            .bearer_auth(key)
            .header("idempotency-key", idempotency_key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn main_get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.main)).send().await.expect("request")
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Asserts the status and API.md's error shape; returns the error object.
pub async fn assert_error(response: reqwest::Response, status: u16, kind: &str, code: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(actual, status, "status of {body}");
    assert_eq!(body["error"]["type"], kind, "type of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message of {body}");
    body["error"].clone()
}

pub fn checkout_body() -> Value {
    serde_json::json!({
        "amount": 11900, "currency": "EUR", "description": "Pro plan",
        "customer": {"email": "a@example.com", "name": "Ada", "vatId": "DE123456789",
                     "address": {"country": "DE", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115"}},
        "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}],
        "captureMethod": "automatic",
        "successUrl": "https://merchant.example/thanks", "cancelUrl": "https://merchant.example/cart",
        "metadata": {"orderId": "1234"}, "expiresInSeconds": 3600
    })
}

/// How the test IPN receiver answers the n-th request (0-based).
pub type Plan = Arc<dyn Fn(usize) -> (u16, Vec<(&'static str, String)>) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct ReceivedIpn {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
    pub at: std::time::Instant,
}

impl ReceivedIpn {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("IPN body is JSON")
    }
}

/// A merchant's IPN endpoint on port 0 that records every request.
pub struct IpnReceiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<ReceivedIpn>>>,
    server: tokio::task::JoinHandle<()>,
}

use std::sync::{Arc, Mutex};

impl IpnReceiver {
    pub async fn start(plan: Plan) -> Self {
        let received: Arc<Mutex<Vec<ReceivedIpn>>> = Arc::default();
        let log = received.clone();
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            let plan = plan.clone();
            async move {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(ReceivedIpn {
                        headers: headers
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                            .collect(),
                        body,
                        at: std::time::Instant::now(),
                    });
                    log.len() - 1
                };
                let (status, extra) = plan(n);
                let mut response = axum::response::Response::new(axum::body::Body::from("received"));
                *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                for (name, value) in extra {
                    response.headers_mut().insert(name, value.parse().unwrap());
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/ipn", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, received, server }
    }

    pub async fn always_ok() -> Self {
        Self::start(Arc::new(|_| (200, vec![]))).await
    }

    pub fn all(&self) -> Vec<ReceivedIpn> {
        self.received.lock().unwrap().clone()
    }

    pub fn of_type(&self, kind: &str) -> Vec<ReceivedIpn> {
        self.all().into_iter().filter(|r| r.json()["type"] == kind).collect()
    }
}

impl Drop for IpnReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Checks both signature header sets with code independent of Paygate's.
pub fn assert_signed(ipn: &ReceivedIpn, secret: &str) {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    type HmacSha256 = hmac::Hmac<sha2::Sha256>;
    let b64 = base64::engine::general_purpose::STANDARD;

    let timestamp = &ipn.headers["x-signature-timestamp"];
    let age = chrono_now_seconds() - timestamp.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "fresh timestamp");
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", ipn.body).as_bytes());
    assert_eq!(
        ipn.headers["x-signature-hmac-sha256"],
        hex::encode(mac.finalize().into_bytes()),
        "X-Signature-HMAC-SHA256"
    );

    let id = &ipn.headers["webhook-id"];
    let ts = &ipn.headers["webhook-timestamp"];
    assert_eq!(id, ipn.json()["id"].as_str().unwrap(), "webhook-id is the event id");
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = HmacSha256::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", ipn.body).as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    let signatures = &ipn.headers["webhook-signature"];
    assert!(signatures.split(' ').any(|s| s == expected), "webhook-signature {signatures} != {expected}");
}

fn chrono_now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after
/// `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

impl TestApp {
    pub async fn pay(&self, checkout_id: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/checkouts/{checkout_id}/pay", self.main))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Waits until the checkout's transaction leaves pending/processing;
    /// returns the status body.
    pub async fn settled_status(&self, checkout_id: &str) -> Value {
        eventually(20, "settlement", || async {
            let status: Value =
                self.main_get(&format!("/api/v1/checkouts/{checkout_id}/status")).await.json().await.ok()?;
            let txn = status["transaction"]["status"].as_str()?;
            (!matches!(txn, "pending" | "processing")).then_some(status)
        })
        .await
    }

    /// A checkout created with `extra` fields merged into a minimal body.
    pub async fn checkout_with(&self, org: &Bootstrap, extra: Value) -> Value {
        let mut body = serde_json::json!({"amount": 10000, "currency": "EUR"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        let response = self.create_checkout(&org.api_key, &org.site_id, &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        response.json().await.expect("json")
    }

    /// A core handle on the same store, for what only an operator or the
    /// clock can do (backdating an expiry, counting provider charges).
    pub async fn operator_core(&self) -> paygate_core::Core {
        paygate_core::open(&self.config.core_config(self.config.main_addr)).await.expect("core")
    }

    /// A live key with every scope for `org`, minted as an operator would.
    pub async fn operator_live_key(&self, org: &Bootstrap) -> String {
        use paygate_core::domain::api_keys::{KeyMode, scopes};
        let all: Vec<String> = scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
        let core = self.operator_core().await;
        let (_, secret) = core.create_api_key(&org.organization_id, "all scopes", KeyMode::Live, &all).await.unwrap();
        secret.expose().to_owned()
    }
}
