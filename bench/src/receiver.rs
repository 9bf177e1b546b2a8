//! The merchant's IPN endpoint: an axum server on 127.0.0.1:0 that checks
//! both signature schemes of API.md with code of its own (not the
//! gateway's `signing` module, so a bug there cannot verify itself), and
//! hands each verified `transaction.succeeded` to the merchant loop waiting
//! for that checkout.

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::oneshot;

type HmacSha256 = Hmac<Sha256>;

/// Standard Webhooks' recommended tolerance; a replayed or badly clocked
/// delivery outside it is rejected like a forged one.
const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

/// What a waiting merchant loop learns about its checkout's IPN: when it
/// arrived, or the error kind that disqualified it.
pub type Arrival = Result<Instant, String>;

/// Where a checkout's IPN stands, so each payment's outcome is counted
/// exactly once however often the gateway delivers.
enum Outcome {
    /// A merchant loop waits for the first delivery.
    Waiting(oneshot::Sender<Arrival>),
    /// The first delivery was accepted (200); another one is a duplicate.
    Accepted,
    /// The first delivery was rejected and counted; the gateway's retries
    /// of it are expected and not counted again.
    Rejected,
    /// The loop stopped waiting (pay failed or timed out) and counted that.
    Abandoned,
}

pub struct Receiver {
    /// Site id → webhook signing secret (`whsec_…`), fixed at start.
    secrets: HashMap<String, String>,
    /// Checkout id → outcome.
    outcomes: Mutex<HashMap<String, Outcome>>,
    /// Errors no loop was waiting for (duplicates, deliveries for unknown
    /// checkouts or without one), by kind.
    strays: Mutex<BTreeMap<String, u64>>,
}

/// Poisoning is ignored: the maps are only ever changed entry by entry, so
/// a panic elsewhere cannot leave one half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Receiver {
    pub fn new(secrets: HashMap<String, String>) -> Arc<Self> {
        Arc::new(Self { secrets, outcomes: Mutex::default(), strays: Mutex::default() })
    }

    /// Registers interest in a checkout's IPN. Called after the checkout is
    /// created and before it is paid, so the IPN cannot arrive unobserved.
    pub fn expect(&self, checkout_id: &str) -> oneshot::Receiver<Arrival> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.outcomes).insert(checkout_id.to_owned(), Outcome::Waiting(sender));
        receiver
    }

    /// Stops waiting (pay failed or the wait timed out; the loop counts
    /// that); a later IPN for the checkout is then not counted again.
    pub fn forget(&self, checkout_id: &str) {
        lock(&self.outcomes).insert(checkout_id.to_owned(), Outcome::Abandoned);
    }

    pub fn stray_errors(&self) -> BTreeMap<String, u64> {
        lock(&self.strays).clone()
    }

    fn stray(&self, kind: String) {
        *lock(&self.strays).entry(kind).or_default() += 1;
    }

    /// Hands a delivery's verdict to the loop waiting for it, or books it.
    fn settle(&self, checkout_id: Option<&str>, arrival: Arrival) {
        let Some(checkout_id) = checkout_id else {
            return self.stray(arrival.err().unwrap_or_else(|| "ipn_payload_invalid".into()));
        };
        let next = if arrival.is_ok() { Outcome::Accepted } else { Outcome::Rejected };
        let mut outcomes = lock(&self.outcomes);
        let stray = match outcomes.get_mut(checkout_id) {
            Some(slot @ Outcome::Waiting(_)) => {
                if let Outcome::Waiting(waiter) = std::mem::replace(slot, next) {
                    // The loop may have timed out a moment ago; it counted that.
                    let _ = waiter.send(arrival);
                }
                None
            }
            Some(Outcome::Accepted) => Some("ipn_duplicate".to_owned()),
            // Retries after a rejection, or after the loop gave up: already
            // counted once.
            Some(Outcome::Rejected | Outcome::Abandoned) => None,
            None => Some(arrival.err().unwrap_or_else(|| "ipn_unknown_checkout".into())),
        };
        drop(outcomes);
        if let Some(kind) = stray {
            self.stray(kind);
        }
    }

    /// Serves on 127.0.0.1:0 until `stop` fires; returns the address.
    pub async fn serve(
        self: &Arc<Self>,
        stop: oneshot::Receiver<()>,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().route("/ipn", post(handle)).with_state(Arc::clone(self));
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stop.await;
        });
        Ok((addr, tokio::spawn(async move { server.await })))
    }
}

async fn handle(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    // Taken before verification so the figure is when the gateway's
    // request arrived, not when this side finished checking it.
    let arrived = Instant::now();
    let payload: Option<Value> = serde_json::from_slice(&body).ok();
    let checkout_id = payload.as_ref().and_then(|p| p.pointer("/data/checkout/id")).and_then(Value::as_str);
    let verdict = payload
        .as_ref()
        .ok_or_else(|| "ipn_payload_invalid".to_owned())
        .and_then(|payload| receiver.check(&headers, &body, payload));
    let status = match &verdict {
        Ok(()) => StatusCode::OK,
        // A wrong event type is still an authentic delivery: accept it so
        // the gateway does not retry, but the loop counts it as an error.
        Err(kind) if kind.starts_with("ipn_event_") => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    receiver.settle(checkout_id, verdict.map(|()| arrived));
    status
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| format!("ipn_header_missing_{name}"))
}

impl Receiver {
    /// Both signatures, the timestamps, then the event type.
    fn check(&self, headers: &HeaderMap, body: &[u8], payload: &Value) -> Result<(), String> {
        let site_id = payload.pointer("/data/checkout/siteId").and_then(Value::as_str);
        let secret = site_id.and_then(|site| self.secrets.get(site)).ok_or_else(|| "ipn_unknown_site".to_owned())?;

        let timestamp = header(headers, "x-signature-timestamp")?;
        let signature = header(headers, "x-signature-hmac-sha256")?;
        if !verify_hex_signature(secret, timestamp, body, signature) {
            return Err("ipn_signature_invalid".into());
        }

        let id = header(headers, "webhook-id")?;
        let webhook_timestamp = header(headers, "webhook-timestamp")?;
        let webhook_signature = header(headers, "webhook-signature")?;
        if !verify_standard_webhooks(secret, id, webhook_timestamp, body, webhook_signature) {
            return Err("ipn_webhook_signature_invalid".into());
        }
        if payload.get("id").and_then(Value::as_str) != Some(id) {
            return Err("ipn_webhook_id_mismatch".into());
        }

        if timestamp != webhook_timestamp || !timestamp_is_fresh(timestamp) {
            return Err("ipn_timestamp_invalid".into());
        }
        match payload.get("type").and_then(Value::as_str) {
            Some("transaction.succeeded") => Ok(()),
            Some(other) => Err(format!("ipn_event_{other}")),
            None => Err("ipn_payload_invalid".into()),
        }
    }
}

fn timestamp_is_fresh(timestamp: &str) -> bool {
    let Ok(seconds) = timestamp.parse::<i64>() else { return false };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    (now - seconds).abs() <= TIMESTAMP_TOLERANCE_SECONDS
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    // HMAC takes keys of any length, so this only fails in theory.
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// `X-Signature-HMAC-SHA256`: lowercase hex of HMAC-SHA256 keyed with the
/// `whsec_…` string's UTF-8 bytes over `{timestamp}.{body}`. Compared in
/// constant time by `verify_slice`.
pub fn verify_hex_signature(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    if signature.bytes().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let Ok(expected) = hex::decode(signature) else { return false };
    mac(secret.as_bytes(), &[timestamp.as_bytes(), b".", body]).is_some_and(|m| m.verify_slice(&expected).is_ok())
}

/// `webhook-signature`: space-separated `v1,<base64>` entries (several
/// during a secret rotation); one must be HMAC-SHA256 keyed with the
/// base64-decoded part after `whsec_`, over `{id}.{timestamp}.{body}`.
pub fn verify_standard_webhooks(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(key) = secret.strip_prefix("whsec_").and_then(|encoded| STANDARD.decode(encoded).ok()) else {
        return false;
    };
    header.split(' ').filter_map(|entry| entry.strip_prefix("v1,")).any(|encoded| {
        let Ok(expected) = STANDARD.decode(encoded) else { return false };
        mac(&key, &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body])
            .is_some_and(|m| m.verify_slice(&expected).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vector published with the Standard Webhooks spec.
    #[test]
    fn standard_webhooks_reference_vector() {
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let good = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
        assert!(verify_standard_webhooks(secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", body, good));
        let rotated = format!("v1,AAAA {good}");
        assert!(verify_standard_webhooks(secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", body, &rotated));
        assert!(!verify_standard_webhooks(secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367554", body, good));
    }

    /// A vector computed independently (Python's `hmac` module) for a
    /// `whsec_` key and `{timestamp}.{body}`.
    #[test]
    fn hex_signature_independent_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"id":"evt_1"}"#;
        let expected = "211d3e17c85047207929a88be720ec275a19e8522b050ad76d8f99d78305a21c";
        assert!(verify_hex_signature(secret, "1700000000", body, expected));
        assert!(!verify_hex_signature(secret, "1700000001", body, expected));
        assert!(!verify_hex_signature(secret, "1700000000", body, &expected.to_uppercase()));
        assert!(!verify_hex_signature(secret, "1700000000", body, "not hex"));
    }

    /// However often the gateway delivers, each payment counts once: a
    /// rejected delivery's retries are not errors again, a second accepted
    /// delivery is a duplicate.
    #[test]
    fn each_payment_is_counted_once() {
        let receiver = Receiver::new(HashMap::new());
        let mut rejected = receiver.expect("chk_a");
        receiver.settle(Some("chk_a"), Err("ipn_signature_invalid".into()));
        assert_eq!(rejected.try_recv().ok(), Some(Err("ipn_signature_invalid".to_owned())));
        receiver.settle(Some("chk_a"), Err("ipn_signature_invalid".into()));

        let mut accepted = receiver.expect("chk_b");
        receiver.settle(Some("chk_b"), Ok(Instant::now()));
        assert!(matches!(accepted.try_recv(), Ok(Ok(_))));
        receiver.settle(Some("chk_b"), Ok(Instant::now()));

        let _abandoned = receiver.expect("chk_c");
        receiver.forget("chk_c");
        receiver.settle(Some("chk_c"), Ok(Instant::now()));
        receiver.settle(Some("chk_unknown"), Ok(Instant::now()));

        let expected = BTreeMap::from([("ipn_duplicate".to_owned(), 1), ("ipn_unknown_checkout".to_owned(), 1)]);
        assert_eq!(receiver.stray_errors(), expected);
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_stale() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        assert!(timestamp_is_fresh(&now.to_string()));
        assert!(!timestamp_is_fresh(&(now - 600).to_string()));
        assert!(!timestamp_is_fresh("soon"));
    }
}
