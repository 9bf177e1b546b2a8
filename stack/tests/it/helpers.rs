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
    _data_dir: tempfile::TempDir,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub fn test_env(data_dir: &std::path::Path) -> HashMap<String, String> {
    let mut env = HashMap::new();
    env.insert("PAYGATE_DATA_DIR".into(), data_dir.display().to_string());
    for var in ["PAYGATE_CORE_ADDR", "PAYGATE_ADMIN_ADDR", "PAYGATE_MAIN_ADDR", "PAYGATE_PDF_ADDR"] {
        env.insert(var.into(), "127.0.0.1:0".into());
    }
    env.insert("PAYGATE_IPN_ALLOW_PRIVATE".into(), "1".into());
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
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut env = test_env(data_dir.path());
    adjust(&mut env);
    let config = StackConfig::from_env(&env).expect("test config");
    let running = paygate::start(&config, Services::All).await.expect("services start");
    let addr = |a: Option<std::net::SocketAddr>| format!("http://{}", a.expect("listening"));
    TestApp {
        admin: addr(running.admin_addr),
        main: addr(running.main_addr),
        core: addr(running.core_addr),
        config,
        client: reqwest::Client::builder().build().expect("client"),
        running: Some(running),
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
