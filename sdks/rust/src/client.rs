//! The REST client.

use std::time::Duration;

use futures::{Stream, TryStreamExt, stream};
use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::models::{Checkout, NewCheckout, NewRefund, Page, Refund, Transaction};

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gateway answered with its error body.
    #[error("{status} {kind}/{code}: {message}")]
    Api {
        status: u16,
        /// `invalid_request_error`, `authentication_error`, …
        kind: String,
        /// `amount_invalid`, `checkout_completed`, …
        code: String,
        /// The request field at fault, when one is.
        param: Option<String>,
        message: String,
    },
    /// No answer (connection refused, timed out), or an answer that was not
    /// the gateway's JSON.
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl Error {
    /// The API's error code, for an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// How often and how patiently a call is retried. Only calls that cannot
/// act twice are retried: reads, and changes with an `Idempotency-Key`
/// (every change this client sends has one).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 3, base_delay: Duration::from_millis(250), max_delay: Duration::from_secs(8) }
    }
}

/// Paging of a list: how many per page (1–100), and filters as
/// `(name, value)` query pairs (`("status", "succeeded")`).
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub limit: Option<u32>,
    pub filters: Vec<(String, String)>,
}

/// The Admin API with one credential.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    credential: String,
    mode: Option<&'static str>,
    retry: RetryPolicy,
}

impl Client {
    /// `credential`: an `sk_test_…`/`sk_live_…` key or a user's access
    /// token; `base_url`: the Admin API (`https://admin-api.example`).
    pub fn new(credential: &str, base_url: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(40))
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            base_url: base_url.trim_end_matches('/').to_owned(),
            credential: credential.to_owned(),
            mode: None,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// For a user's access token: work in live mode (`Paygate-Mode: live`).
    pub fn live(mut self) -> Self {
        self.mode = Some("live");
        self
    }

    /// A GET of any Admin API path (`/api/v1/…`), read as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(String, String)]) -> Result<T, Error> {
        self.send(Method::GET, path, query, None, None).await
    }

    /// A change at any Admin API path with a JSON body. Without
    /// `idempotency_key` a random one is used, so retries cannot act twice;
    /// pass your own to make the call safe to repeat across restarts.
    pub async fn post<T: DeserializeOwned, B: Serialize>(
        &self,
        path: &str,
        body: &B,
        idempotency_key: Option<&str>,
    ) -> Result<T, Error> {
        let body = serde_json::to_value(body).map_err(|e| Error::Decode(e.to_string()))?;
        let key = idempotency_key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        self.send(Method::POST, path, &[], Some(body), Some(key)).await
    }

    pub async fn create_checkout(
        &self,
        site_id: &str,
        checkout: &NewCheckout,
        idempotency_key: Option<&str>,
    ) -> Result<Checkout, Error> {
        self.post(&format!("/api/v1/checkouts/{site_id}/create"), checkout, idempotency_key).await
    }

    pub async fn checkout(&self, id: &str) -> Result<Checkout, Error> {
        self.get(&format!("/api/v1/checkouts/{id}"), &[]).await
    }

    pub async fn transaction(&self, id: &str) -> Result<Transaction, Error> {
        self.get(&format!("/api/v1/transactions/{id}"), &[]).await
    }

    pub async fn refund(
        &self,
        transaction_id: &str,
        refund: &NewRefund,
        idempotency_key: Option<&str>,
    ) -> Result<Refund, Error> {
        self.post(&format!("/api/v1/transactions/{transaction_id}/refunds"), refund, idempotency_key).await
    }

    /// Every transaction matching `params`, newest first, fetched a page at
    /// a time as the stream is read.
    pub fn transactions(&self, params: ListParams) -> impl Stream<Item = Result<Transaction, Error>> + '_ {
        self.list("/api/v1/transactions", params)
    }

    /// Every item of any list route, a page at a time.
    pub fn list<T: DeserializeOwned + HasId + 'static>(
        &self,
        path: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        let path = path.to_owned();
        let pages = stream::try_unfold(Some(None::<String>), move |cursor| {
            let path = path.clone();
            let params = params.clone();
            async move {
                let Some(after) = cursor else { return Ok(None) };
                let mut query = params.filters.clone();
                if let Some(limit) = params.limit {
                    query.push(("limit".into(), limit.to_string()));
                }
                if let Some(after) = &after {
                    query.push(("startingAfter".into(), after.clone()));
                }
                let page: Page<T> = self.get(&path, &query).await?;
                let next = if page.has_more { page.data.last().map(|item| Some(item.id().to_owned())) } else { None };
                Ok::<_, Error>(Some((stream::iter(page.data.into_iter().map(Ok)), next)))
            }
        });
        pages.try_flatten()
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Value>,
        idempotency_key: Option<String>,
    ) -> Result<T, Error> {
        let retryable = method == Method::GET || idempotency_key.is_some();
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base_url))
                .bearer_auth(&self.credential)
                .query(query);
            if let Some(mode) = self.mode {
                request = request.header("Paygate-Mode", mode);
            }
            if let Some(key) = &idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let outcome = request.send().await;
            let (wait, error) = match outcome {
                Ok(response) if response.status().is_success() => {
                    let text = response.text().await?;
                    return serde_json::from_str(&text).map_err(|e| Error::Decode(format!("{e}: {text}")));
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let error = api_error(status, &response.text().await.unwrap_or_default());
                    let again = match status {
                        StatusCode::CONFLICT => {
                            matches!(&error, Error::Api { kind, .. } if kind == "idempotency_error")
                        }
                        StatusCode::TOO_MANY_REQUESTS => true,
                        s => s.is_server_error(),
                    };
                    (again.then_some(retry_after), error)
                }
                Err(err) => (Some(None), Error::Transport(err)),
            };
            match wait {
                Some(retry_after) if retryable && attempt < self.retry.max_retries => {
                    tokio::time::sleep(retry_after.unwrap_or_else(|| self.backoff(attempt))).await;
                    attempt += 1;
                }
                _ => return Err(error),
            }
        }
    }

    /// Exponential back-off with full jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.retry.base_delay.saturating_mul(1 << attempt.min(16)).min(self.retry.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::random_range(0..millis))
    }
}

fn api_error(status: StatusCode, body: &str) -> Error {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |field: &str| error.and_then(|e| e.get(field)).and_then(Value::as_str).map(str::to_owned);
    match text("code") {
        Some(code) => Error::Api {
            status: status.as_u16(),
            kind: text("type").unwrap_or_default(),
            code,
            param: text("param"),
            message: text("message").unwrap_or_default(),
        },
        None => Error::Decode(format!("{status}: {}", body.chars().take(200).collect::<String>())),
    }
}

/// Objects a list pages through by id.
pub trait HasId {
    fn id(&self) -> &str;
}

impl HasId for Transaction {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Checkout {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Value {
    fn id(&self) -> &str {
        self.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server answering each request with the next of `answers` (status,
    /// body), counting requests and remembering their Idempotency-Keys.
    async fn scripted(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let count = Arc::new(AtomicUsize::new(0));
        let keys = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counter, seen) = (count.clone(), keys.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let mut buffer = vec![0u8; 8192];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..read]).to_lowercase();
                if let Some(line) = request.lines().find(|l| l.starts_with("idempotency-key:")) {
                    seen.lock().expect("lock").push(line.trim_start_matches("idempotency-key:").trim().to_owned());
                }
                let (status, body) = answers.get(n).copied().unwrap_or((500, "{}"));
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        (url, count, keys)
    }

    fn quick() -> RetryPolicy {
        RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(20) }
    }

    const BUSY: &str = r#"{"error":{"type":"api_error","code":"overloaded","message":"busy"}}"#;
    const BAD: &str =
        r#"{"error":{"type":"invalid_request_error","code":"amount_invalid","message":"no","param":"amount"}}"#;

    #[tokio::test]
    async fn reads_and_keyed_changes_are_retried_with_the_same_key() {
        let (url, count, _) = scripted(vec![(503, BUSY), (429, BUSY), (200, r#"{"ok":true}"#)]).await;
        let client = Client::new("sk_test_x", &url).with_retry(quick());
        let answer: Value = client.get("/api/v1/organization", &[]).await.expect("retried until it worked");
        assert_eq!(answer["ok"], true);
        assert_eq!(count.load(Ordering::SeqCst), 3);

        let (url, count, keys) = scripted(vec![(502, BUSY), (200, r#"{"ok":true}"#)]).await;
        let client = Client::new("sk_test_x", &url).with_retry(quick());
        let _: Value = client.post("/api/v1/sites", &serde_json::json!({"name": "x"}), None).await.expect("posted");
        assert_eq!(count.load(Ordering::SeqCst), 2);
        let keys = keys.lock().expect("lock").clone();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], keys[1], "a retry repeats the first attempt's key");
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_come_back_typed() {
        let (url, count, _) = scripted(vec![(400, BAD), (200, "{}")]).await;
        let client = Client::new("sk_test_x", &url).with_retry(quick());
        let error = client.get::<Value>("/api/v1/checkouts/x", &[]).await.expect_err("400");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        match error {
            Error::Api { status, code, param, .. } => {
                assert_eq!((status, code.as_str(), param.as_deref()), (400, "amount_invalid", Some("amount")));
            }
            other => panic!("{other:?}"),
        }
        let (url, count, _) = scripted(vec![(503, BUSY); 10]).await;
        let client = Client::new("sk_test_x", &url).with_retry(quick());
        assert!(client.get::<Value>("/api/v1/organization", &[]).await.is_err());
        assert_eq!(count.load(Ordering::SeqCst), 4, "the first try and three retries");
    }
}
