//! A GoCardless API stand-in: mandates, payments against them, refunds, idempotency keys, error objects and signed
//! webhooks.
//!
//! It answers as GoCardless's API reference documents: JSON envelopes named
//! after the resource (`{"payments": {...}}`), `201` on creation, errors as
//! `{"error": {"message", "documentation_url", "type", "request_id", "code",
//! "errors": [...]}}`, a bearer token and `GoCardless-Version` on every
//! request, and `409 idempotent_creation_conflict` naming the existing
//! resource when a creation's `Idempotency-Key` was used before (the key is
//! checked before the body, so a retry gets the conflict whatever it sends).
//!
//! Payments start `pending_submission`; the test moves them on
//! ([`GoCardlessStandIn::advance`], [`GoCardlessStandIn::settle_all`]) and
//! each move records the event GoCardless would send, ready for
//! [`GoCardlessStandIn::send_events`].

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path, Query, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::Sha256;

/// The access token the stand-in accepts.
pub const ACCESS_TOKEN: &str = "sandbox_paygate_standin_token";
/// The only `GoCardless-Version` it knows.
pub const API_VERSION: &str = "2015-07-06";
/// A mandate whose payments are collected.
pub const MANDATE_OK: &str = "MD000TESTOK";
/// A mandate whose payments fail at the bank with `insufficient_funds`.
pub const MANDATE_INSUFFICIENT_FUNDS: &str = "MD000TESTNOFUNDS";
/// A cancelled mandate: new payments get `422 mandate_is_inactive`.
pub const MANDATE_CANCELLED: &str = "MD000TESTCANCELLED";
/// A mandate still being set up (`pending_submission`): payments are taken
/// and confirmed.
pub const MANDATE_PENDING: &str = "MD000TESTPENDING";
/// The currencies GoCardless collects in.
pub const CURRENCIES: &[&str] = &["AUD", "CAD", "DKK", "EUR", "GBP", "NZD", "SEK", "USD"];

const IDEMPOTENCY_KEY_MAX: usize = 128;
const BODY_LIMIT: usize = 1 << 20;

/// What a mandate does with the payments taken against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MandateBehaviour {
    /// Payments are confirmed.
    Succeeds,
    /// Payments fail once submitted, with this `details.cause`.
    Fails { cause: String, description: String },
    /// The mandate is not active (`cancelled`, `failed`, `expired`, …):
    /// payments are refused.
    Inactive { status: String },
}

/// One request as it reached the stand-in.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
struct Payment {
    id: String,
    created_at: String,
    charge_date: String,
    amount: i64,
    description: Option<String>,
    currency: String,
    status: String,
    reference: Option<String>,
    metadata: Map<String, Value>,
    amount_refunded: i64,
    links: PaymentLinks,
    retry_if_possible: bool,
}

#[derive(Debug, Clone, Serialize)]
struct PaymentLinks {
    mandate: String,
    creditor: String,
}

#[derive(Debug, Clone, Serialize)]
struct Refund {
    id: String,
    created_at: String,
    amount: i64,
    currency: String,
    status: String,
    reference: Option<String>,
    metadata: Map<String, Value>,
    links: RefundLinks,
}

#[derive(Debug, Clone, Serialize)]
struct RefundLinks {
    payment: String,
    mandate: String,
}

struct Account {
    mandates: HashMap<String, MandateBehaviour>,
    /// A mandate's status when it is not what its behaviour implies
    /// (`active`, or the inactive status).
    mandate_statuses: HashMap<String, String>,
    payments: Vec<Payment>,
    refunds: Vec<Refund>,
    /// (resource type, idempotency key) → the resource it created.
    keys: HashMap<(&'static str, String), String>,
    events: Vec<Value>,
    requests: Vec<RecordedRequest>,
    /// Statuses the next requests are answered with, before anything else.
    faults: VecDeque<u16>,
    /// Successful POST answers still to be replaced by a 500 after the work
    /// is done.
    lost_answers: u32,
    refund_events_link_payment: bool,
    /// Last timestamp handed out, in milliseconds: strictly increasing, so
    /// events order the way they happened.
    last_ms: i64,
}

impl Account {
    fn new() -> Self {
        let mandates = [
            (MANDATE_OK, MandateBehaviour::Succeeds),
            (
                MANDATE_INSUFFICIENT_FUNDS,
                MandateBehaviour::Fails {
                    cause: "insufficient_funds".into(),
                    description: "The customer's account had insufficient funds to make this payment.".into(),
                },
            ),
            (MANDATE_CANCELLED, MandateBehaviour::Inactive { status: "cancelled".into() }),
            (MANDATE_PENDING, MandateBehaviour::Succeeds),
        ]
        .into_iter()
        .map(|(id, behaviour)| (id.to_owned(), behaviour))
        .collect();
        let statuses = [(MANDATE_PENDING.to_owned(), "pending_submission".to_owned())].into_iter().collect();
        Self {
            mandates,
            mandate_statuses: statuses,
            payments: Vec::new(),
            refunds: Vec::new(),
            keys: HashMap::new(),
            events: Vec::new(),
            requests: Vec::new(),
            faults: VecDeque::new(),
            lost_answers: 0,
            refund_events_link_payment: false,
            last_ms: 0,
        }
    }

    fn now(&mut self) -> chrono::DateTime<chrono::Utc> {
        let ms = chrono::Utc::now().timestamp_millis().max(self.last_ms + 1);
        self.last_ms = ms;
        chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    fn timestamp(&mut self) -> String {
        self.now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// A mandate as `GET /mandates/{id}` shows it.
    fn mandate_json(&self, id: &str) -> Option<Value> {
        let behaviour = self.mandates.get(id)?;
        let status = match (self.mandate_statuses.get(id), behaviour) {
            (Some(status), _) => status.clone(),
            (None, MandateBehaviour::Inactive { status }) => status.clone(),
            (None, _) => "active".to_owned(),
        };
        let tail = id.trim_start_matches("MD");
        Some(json!({
            "id": id,
            "created_at": "2025-01-06T09:00:00.000Z",
            "reference": format!("PAYGATE-{}", &tail[..tail.len().min(8)]),
            "status": status,
            "scheme": "bacs",
            "next_possible_charge_date": (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string(),
            "payments_require_approval": false,
            "metadata": {},
            "links": {
                "customer_bank_account": format!("BA{tail}"),
                "creditor": "CR000STANDIN",
                "customer": format!("CU{tail}"),
            },
        }))
    }

    fn payment_mut(&mut self, id: &str) -> Option<&mut Payment> {
        self.payments.iter_mut().find(|p| p.id == id)
    }

    fn record_event(&mut self, resource_type: &str, action: &str, links: Value, details: Value) {
        let event = json!({
            "id": new_id("EV"),
            "created_at": self.timestamp(),
            "resource_type": resource_type,
            "action": action,
            "links": links,
            "details": details,
            "metadata": {},
        });
        self.events.push(event);
    }

    fn payment_event(&mut self, payment_id: &str, action: &str, origin: &str, cause: &str, description: &str) {
        let details = json!({"origin": origin, "cause": cause, "description": description});
        self.record_event("payments", action, json!({"payment": payment_id}), details);
    }

    fn refund_event(&mut self, refund: &Refund, action: &str, origin: &str, cause: &str, description: &str) {
        let mut links = json!({"refund": refund.id, "mandate": refund.links.mandate});
        if self.refund_events_link_payment {
            links["payment"] = json!(refund.links.payment);
        }
        let details = json!({"origin": origin, "cause": cause, "description": description});
        self.record_event("refunds", action, links, details);
    }

    /// Moves one payment a step; the new status, if it moved.
    fn advance(&mut self, payment_id: &str) -> Option<String> {
        let behaviour = {
            let payment = self.payments.iter().find(|p| p.id == payment_id)?;
            self.mandates.get(&payment.links.mandate).cloned().unwrap_or(MandateBehaviour::Succeeds)
        };
        let status = self.payments.iter().find(|p| p.id == payment_id)?.status.clone();
        let (next, origin, cause, description) = match (status.as_str(), &behaviour) {
            ("pending_customer_approval" | "pending_submission", _) => (
                "submitted",
                "gocardless",
                "payment_submitted".to_owned(),
                "Payment submitted to the banks.".to_owned(),
            ),
            ("submitted", MandateBehaviour::Fails { cause, description }) => {
                ("failed", "bank", cause.clone(), description.clone())
            }
            ("submitted", _) => (
                "confirmed",
                "gocardless",
                "payment_confirmed".to_owned(),
                "Payment was confirmed as collected".to_owned(),
            ),
            ("confirmed", _) => (
                "paid_out",
                "gocardless",
                "payment_paid_out".to_owned(),
                "The payment has been paid out by GoCardless.".to_owned(),
            ),
            _ => return None,
        };
        self.payment_mut(payment_id)?.status = next.to_owned();
        self.payment_event(payment_id, next, origin, &cause, &description);
        Some(next.to_owned())
    }
}

struct Shared {
    account: Mutex<Account>,
    token: String,
}

impl Shared {
    fn account(&self) -> MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running stand-in; the server stops when it is dropped.
pub struct GoCardlessStandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
}

impl Drop for GoCardlessStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl GoCardlessStandIn {
    /// Binds 127.0.0.1 on a free port and serves until dropped. Knows the
    /// three built-in mandates and accepts [`ACCESS_TOKEN`].
    pub async fn start() -> Self {
        let shared = Arc::new(Shared { account: Mutex::new(Account::new()), token: ACCESS_TOKEN.to_owned() });
        let app = Router::new()
            .route("/payments", post(create_payment))
            .route("/payments/{id}", get(get_payment))
            .route("/payments/{id}/actions/cancel", post(cancel_payment))
            .route("/refunds", post(create_refund).get(list_refunds))
            .route("/refunds/{id}", get(get_refund))
            .route("/mandates/{id}", get(get_mandate))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the GoCardless stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, server, http: reqwest::Client::new() }
    }

    /// `http://127.0.0.1:<port>`, the adapter's API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token requests must carry.
    pub fn access_token(&self) -> &str {
        &self.shared.token
    }

    /// An active mandate whose payments are confirmed.
    pub fn add_mandate(&self, id: &str) {
        self.add_mandate_with(id, MandateBehaviour::Succeeds);
    }

    /// Sets the status `GET /mandates/{id}` shows (`suspended_by_payer`,
    /// `submitted`, …) without changing what payments on it do.
    pub fn set_mandate_status(&self, id: &str, status: &str) {
        self.shared.account().mandate_statuses.insert(id.to_owned(), status.to_owned());
    }

    pub fn add_mandate_with(&self, id: &str, behaviour: MandateBehaviour) {
        self.shared.account().mandates.insert(id.to_owned(), behaviour);
    }

    /// Every payment, as `GET /payments/{id}` would show it, oldest first.
    pub fn payments(&self) -> Vec<Value> {
        self.shared.account().payments.iter().map(to_json).collect()
    }

    pub fn payment(&self, id: &str) -> Option<Value> {
        self.shared.account().payments.iter().find(|p| p.id == id).map(to_json)
    }

    /// Every refund, oldest first.
    pub fn refunds(&self) -> Vec<Value> {
        self.shared.account().refunds.iter().map(to_json).collect()
    }

    pub fn refund(&self, id: &str) -> Option<Value> {
        self.shared.account().refunds.iter().find(|r| r.id == id).map(to_json)
    }

    /// Payments carrying `metadata.paygate_transaction_id ==
    /// transaction_id` that are not failed, cancelled or denied: what
    /// "charged at most once" is checked against.
    pub fn successful_payments(&self, transaction_id: &str) -> usize {
        self.shared
            .account()
            .payments
            .iter()
            .filter(|p| p.metadata.get("paygate_transaction_id").and_then(Value::as_str) == Some(transaction_id))
            .filter(|p| !matches!(p.status.as_str(), "failed" | "cancelled" | "customer_approval_denied"))
            .count()
    }

    /// Moves a payment one step: `pending_submission` → `submitted` →
    /// `confirmed` (or `failed` for a failing mandate) → `paid_out`,
    /// recording the event. The new status, or `None` when it cannot move.
    pub fn advance(&self, payment_id: &str) -> Option<String> {
        self.shared.account().advance(payment_id)
    }

    /// Advances every payment until it is `confirmed` or `failed`. Returns
    /// how many moved.
    pub fn settle_all(&self) -> usize {
        let mut account = self.shared.account();
        let open: Vec<String> = account
            .payments
            .iter()
            .filter(|p| matches!(p.status.as_str(), "pending_customer_approval" | "pending_submission" | "submitted"))
            .map(|p| p.id.clone())
            .collect();
        for id in &open {
            while matches!(account.advance(id).as_deref(), Some("submitted")) {}
        }
        open.len()
    }

    /// Pays a refund that is not finished yet (`paid`, event `paid`).
    pub fn pay_refund(&self, refund_id: &str) -> bool {
        let mut account = self.shared.account();
        let Some(refund) = account.refunds.iter_mut().find(|r| r.id == refund_id) else {
            return false;
        };
        if !matches!(refund.status.as_str(), "created" | "pending_submission" | "submitted") {
            return false;
        }
        refund.status = "paid".into();
        let refund = refund.clone();
        account.refund_event(&refund, "paid", "gocardless", "refund_paid", "The refund has been paid to the customer.");
        true
    }

    /// Pays every unfinished refund. Returns how many.
    pub fn settle_refunds(&self) -> usize {
        let open: Vec<String> = self
            .shared
            .account()
            .refunds
            .iter()
            .filter(|r| matches!(r.status.as_str(), "created" | "pending_submission" | "submitted"))
            .map(|r| r.id.clone())
            .collect();
        open.iter().filter(|id| self.pay_refund(id)).count()
    }

    /// The payer's bank sent a refund back (`funds_returned`): the amount is
    /// no longer refunded on the payment.
    pub fn return_refund_funds(&self, refund_id: &str) -> bool {
        let mut account = self.shared.account();
        let Some(refund) = account.refunds.iter_mut().find(|r| r.id == refund_id) else {
            return false;
        };
        if refund.status == "funds_returned" {
            return false;
        }
        refund.status = "funds_returned".into();
        let refund = refund.clone();
        if let Some(payment) = account.payment_mut(&refund.links.payment) {
            payment.amount_refunded -= refund.amount;
        }
        let description = "The refund could not be paid and the funds were returned to you.";
        account.refund_event(&refund, "funds_returned", "bank", "refund_funds_returned", description);
        true
    }

    /// The payer disputes a collected payment (`charged_back`, cause
    /// `authorisation_disputed`).
    pub fn charge_back(&self, payment_id: &str) -> bool {
        let mut account = self.shared.account();
        let Some(payment) = account.payment_mut(payment_id) else {
            return false;
        };
        if !matches!(payment.status.as_str(), "confirmed" | "paid_out") {
            return false;
        }
        payment.status = "charged_back".into();
        let description =
            "The customer has disputed that the amount taken differs from the amount they were notified of.";
        account.payment_event(payment_id, "charged_back", "bank", "authorisation_disputed", description);
        true
    }

    /// Whether refund events name the payment in `links` (off by default:
    /// they name the refund and the mandate, so a receiver must look the
    /// refund up).
    pub fn set_refund_events_link_payment(&self, link: bool) {
        self.shared.account().refund_events_link_payment = link;
    }

    /// Every event recorded so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.shared.account().events.clone()
    }

    /// The events recorded since the last take, oldest first.
    pub fn take_events(&self) -> Vec<Value> {
        std::mem::take(&mut self.shared.account().events)
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.account().requests.clone()
    }

    /// Answers the next `n` requests with `status` (500 → `gocardless`
    /// `internal_server_error`, 429 → `rate_limit_exceeded`, …) without
    /// doing anything.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared.account().faults.extend(std::iter::repeat_n(status, n));
    }

    /// Does the work of the next `n` successful POSTs (creations, cancels)
    /// but answers each with a 500, as when the answer is lost on the way
    /// back. Reads are answered as usual.
    pub fn lose_next_answers(&self, n: u32) {
        self.shared.account().lost_answers += n;
    }

    /// POSTs `{"events": events}` to `url` signed with `secret` as
    /// GoCardless does; the receiver's status code.
    pub async fn send_events(&self, url: &str, secret: &str, events: &[Value]) -> Result<u16, reqwest::Error> {
        let (body, signature) = signed_events(secret, events);
        send_signed(&self.http, url, body, &signature).await
    }
}

/// The lowercase hex HMAC-SHA256 of `body` keyed with `secret`: the
/// `Webhook-Signature` header.
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A webhook body holding `events` and its signature, for sending by hand
/// (replays, reordering, tampering).
pub fn signed_events(secret: &str, events: &[Value]) -> (Vec<u8>, String) {
    let body = json!({"events": events}).to_string().into_bytes();
    let signature = webhook_signature(secret, &body);
    (body, signature)
}

/// POSTs a webhook body with the headers GoCardless sends.
pub async fn send_signed(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    signature: &str,
) -> Result<u16, reqwest::Error> {
    let response = http
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "gocardless-webhook-service/1.1")
        .header("Webhook-Signature", signature)
        .body(body)
        .send()
        .await?;
    Ok(response.status().as_u16())
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `prefix` + 12 of GoCardless's upper-case alphanumerics, random so ids
/// stay unique across stand-ins sharing one gateway.
fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let tail: String = (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}{tail}")
}

/// A GoCardless error object with its status.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    errors: Vec<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let anchor = self.errors.first().and_then(|e| e.get("reason")).and_then(Value::as_str).unwrap_or(self.kind);
        let body = json!({
            "error": {
                "message": self.message,
                "documentation_url": format!("https://developer.gocardless.com/api-reference#{anchor}"),
                "type": self.kind,
                "request_id": new_id("").to_lowercase(),
                "code": self.status.as_u16(),
                "errors": self.errors,
            }
        });
        (self.status, Json(body)).into_response()
    }
}

type Answer<T = Response> = Result<T, ApiError>;

fn reason_error(status: StatusCode, kind: &'static str, reason: &str, message: &str) -> ApiError {
    let errors = vec![json!({"reason": reason, "message": message})];
    ApiError { status, kind, message: message.to_owned(), errors }
}

fn validation_error(resource: &str, field: &str, message: &str) -> ApiError {
    let pointer = format!("/{resource}/{}", field.replace('.', "/"));
    let errors = vec![json!({"field": field, "message": message, "request_pointer": pointer})];
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        kind: "validation_failed",
        message: "Validation failed".to_owned(),
        errors,
    }
}

fn not_found_error(resource: &str) -> ApiError {
    let message = format!("Resource not found ({resource})");
    reason_error(StatusCode::NOT_FOUND, "invalid_api_usage", "resource_not_found", &message)
}

fn fault_response(status: u16) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            reason_error(status, "invalid_api_usage", "rate_limit_exceeded", "Rate limit exceeded")
        }
        _ if status.is_server_error() => reason_error(
            status,
            "gocardless",
            "internal_server_error",
            "Uh-oh! Something went wrong on our end. Please try again.",
        ),
        _ => reason_error(status, "invalid_api_usage", "bad_request", "Bad request"),
    }
}

/// What every request goes through: recording, planned faults, the token,
/// the version header and the content type; then lost answers.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        let message = "The request body is too large";
        return reason_error(StatusCode::PAYLOAD_TOO_LARGE, "invalid_api_usage", "request_entity_too_large", message)
            .into_response();
    };
    let fault = {
        let mut account = shared.account();
        account.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path_and_query().map(ToString::to_string).unwrap_or_default(),
            idempotency_key: header_str(&parts.headers, "idempotency-key").map(str::to_owned),
            body: serde_json::from_slice(&bytes).ok(),
        });
        account.faults.pop_front()
    };
    if let Some(status) = fault {
        return fault_response(status).into_response();
    }
    if let Err(err) = check_headers(&shared, &parts.method, &parts.headers) {
        return err.into_response();
    }
    let is_post = parts.method == Method::POST;
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if is_post && response.status().is_success() {
        let mut account = shared.account();
        if account.lost_answers > 0 {
            account.lost_answers -= 1;
            return fault_response(500).into_response();
        }
    }
    response
}

fn check_headers(shared: &Shared, method: &Method, headers: &HeaderMap) -> Answer<()> {
    let unauthorized =
        |reason: &str, message: &str| Err(reason_error(StatusCode::UNAUTHORIZED, "invalid_api_usage", reason, message));
    let Some(value) = header_str(headers, "authorization") else {
        return unauthorized("missing_authorization_header", "Authorization header is required");
    };
    let Some(token) = value.strip_prefix("Bearer ") else {
        return unauthorized("invalid_authorization_header", "Authorization header must be a Bearer token");
    };
    if token != shared.token {
        return unauthorized("access_token_not_found", "Access token not found");
    }
    match header_str(headers, "gocardless-version") {
        None => {
            let message = "GoCardless-Version header is required";
            return Err(reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "missing_version_header", message));
        }
        Some(API_VERSION) => {}
        Some(_) => {
            let message = "The version specified in the GoCardless-Version header was not found";
            return Err(reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "version_not_found", message));
        }
    }
    if *method == Method::POST
        && !header_str(headers, "content-type").is_some_and(|value| value.starts_with("application/json"))
    {
        let message = "'Content-Type' header must be application/json";
        return Err(reason_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_api_usage",
            "invalid_content_type",
            message,
        ));
    }
    Ok(())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The resource object inside `{"<envelope>": {...}}`.
fn envelope(bytes: &[u8], name: &str) -> Answer<Map<String, Value>> {
    let invalid = |message: &str| {
        reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "invalid_document_structure", message)
    };
    let Ok(Value::Object(mut document)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(invalid("Invalid document structure"));
    };
    match document.remove(name) {
        Some(Value::Object(resource)) => Ok(resource),
        _ => Err(invalid(&format!("Invalid document structure: expected a '{name}' object"))),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Answer<Option<String>> {
    match header_str(headers, "idempotency-key") {
        Some(key) if key.len() > IDEMPOTENCY_KEY_MAX => {
            let message = format!("Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} characters");
            Err(reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "idempotency_key_too_long", &message))
        }
        Some(key) => Ok(Some(key.to_owned())),
        None => Ok(None),
    }
}

/// `409 idempotent_creation_conflict` when `key` already created a
/// `resource`.
fn check_key(account: &Account, resource: &'static str, key: Option<&String>) -> Answer<()> {
    let Some(existing) = key.and_then(|key| account.keys.get(&(resource, key.clone()))) else {
        return Ok(());
    };
    let message = "A resource has already been created with this idempotency key";
    let errors = vec![json!({
        "reason": "idempotent_creation_conflict",
        "message": message,
        "links": {"conflicting_resource_id": existing},
    })];
    Err(ApiError { status: StatusCode::CONFLICT, kind: "invalid_state", message: message.to_owned(), errors })
}

fn metadata(resource: &str, params: &Map<String, Value>) -> Answer<Map<String, Value>> {
    let metadata = match params.get("metadata") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(metadata)) => metadata.clone(),
        Some(_) => return Err(validation_error(resource, "metadata", "must be an object")),
    };
    if metadata.len() > 3 {
        return Err(validation_error(resource, "metadata", "must have at most 3 keys"));
    }
    for (key, value) in &metadata {
        if key.chars().count() > 50 {
            return Err(validation_error(resource, "metadata", "keys must be at most 50 characters"));
        }
        match value.as_str() {
            Some(text) if text.chars().count() <= 500 => {}
            _ => {
                return Err(validation_error(resource, "metadata", "values must be strings of at most 500 characters"));
            }
        }
    }
    Ok(metadata)
}

fn positive_amount(resource: &str, field: &str, params: &Map<String, Value>) -> Answer<i64> {
    match params.get(field).map(Value::as_i64) {
        None => Err(validation_error(resource, field, "is required")),
        Some(Some(amount)) if amount >= 1 => Ok(amount),
        Some(_) => Err(validation_error(resource, field, "must be an integer greater than or equal to 1")),
    }
}

fn link<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    params.get("links").and_then(|links| links.get(name)).and_then(Value::as_str)
}

async fn create_payment(State(shared): State<Arc<Shared>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let key = idempotency_key(&headers)?;
    let params = envelope(&bytes, "payments")?;
    let mut account = shared.account();
    check_key(&account, "payments", key.as_ref())?;
    let amount = positive_amount("payments", "amount", &params)?;
    let currency = match params.get("currency").and_then(Value::as_str) {
        Some(currency) if CURRENCIES.contains(&currency) => currency.to_owned(),
        Some(_) => {
            let message = format!("must be one of {}", CURRENCIES.join(", "));
            return Err(validation_error("payments", "currency", &message));
        }
        None => return Err(validation_error("payments", "currency", "is required")),
    };
    let metadata = metadata("payments", &params)?;
    let Some(mandate) = link(&params, "mandate").map(str::to_owned) else {
        return Err(validation_error("payments", "links.mandate", "is required"));
    };
    match account.mandates.get(&mandate) {
        None => {
            let message = format!("The linked mandate {mandate} could not be found");
            return Err(reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "link_not_found", &message));
        }
        Some(MandateBehaviour::Inactive { status }) => {
            let message = format!("The mandate is not active (its status is {status})");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Err(reason_error(status, "invalid_state", "mandate_is_inactive", &message));
        }
        Some(_) => {}
    }
    let now = account.now();
    let payment = Payment {
        id: new_id("PM"),
        created_at: now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        charge_date: (now + chrono::Duration::days(3)).format("%Y-%m-%d").to_string(),
        amount,
        description: params.get("description").and_then(Value::as_str).map(str::to_owned),
        currency,
        status: "pending_submission".into(),
        reference: params.get("reference").and_then(Value::as_str).map(str::to_owned),
        metadata,
        amount_refunded: 0,
        links: PaymentLinks { mandate, creditor: "CR000STANDIN".into() },
        retry_if_possible: false,
    };
    if let Some(key) = key {
        account.keys.insert(("payments", key), payment.id.clone());
    }
    account.payment_event(&payment.id, "created", "api", "payment_created", "Payment created via the API.");
    account.payments.push(payment.clone());
    Ok((StatusCode::CREATED, Json(json!({"payments": payment}))).into_response())
}

async fn get_payment(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let account = shared.account();
    let payment = account.payments.iter().find(|p| p.id == id).ok_or_else(|| not_found_error("payments"))?;
    Ok(Json(json!({"payments": payment})).into_response())
}

async fn cancel_payment(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let mut account = shared.account();
    let payment = account.payment_mut(&id).ok_or_else(|| not_found_error("payments"))?;
    if !matches!(payment.status.as_str(), "pending_customer_approval" | "pending_submission") {
        let message = format!("This payment could not be cancelled (its status is {})", payment.status);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Err(reason_error(status, "invalid_state", "cancellation_failed", &message));
    }
    payment.status = "cancelled".into();
    let payment = payment.clone();
    account.payment_event(&id, "cancelled", "api", "payment_cancelled", "Payment cancelled via the API.");
    Ok(Json(json!({"payments": payment})).into_response())
}

async fn create_refund(State(shared): State<Arc<Shared>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let key = idempotency_key(&headers)?;
    let params = envelope(&bytes, "refunds")?;
    let mut account = shared.account();
    check_key(&account, "refunds", key.as_ref())?;
    let amount = positive_amount("refunds", "amount", &params)?;
    let confirmation = positive_amount("refunds", "total_amount_confirmation", &params)?;
    let metadata = metadata("refunds", &params)?;
    let Some(payment_id) = link(&params, "payment").map(str::to_owned) else {
        return Err(validation_error("refunds", "links.payment", "is required"));
    };
    let Some(payment) = account.payments.iter().find(|p| p.id == payment_id).cloned() else {
        let message = format!("The linked payment {payment_id} could not be found");
        return Err(reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "link_not_found", &message));
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !matches!(payment.status.as_str(), "confirmed" | "paid_out") {
        let message =
            format!("The payment must be confirmed or paid out to be refunded (its status is {})", payment.status);
        return Err(reason_error(unprocessable, "invalid_state", "refund_payment_invalid_state", &message));
    }
    if payment.amount_refunded + amount > payment.amount {
        let available = payment.amount - payment.amount_refunded;
        let message = format!("must not exceed the amount left to refund on the payment ({available})");
        return Err(validation_error("refunds", "amount", &message));
    }
    if confirmation != payment.amount_refunded + amount {
        let message = "The total_amount_confirmation does not match the total amount refunded for the payment";
        return Err(reason_error(unprocessable, "invalid_state", "total_amount_confirmation_invalid", message));
    }
    let refund = Refund {
        id: new_id("RF"),
        created_at: account.timestamp(),
        amount,
        currency: payment.currency.clone(),
        status: "created".into(),
        reference: params.get("reference").and_then(Value::as_str).map(str::to_owned),
        metadata,
        links: RefundLinks { payment: payment.id.clone(), mandate: payment.links.mandate.clone() },
    };
    if let Some(payment) = account.payment_mut(&payment_id) {
        payment.amount_refunded += amount;
    }
    if let Some(key) = key {
        account.keys.insert(("refunds", key), refund.id.clone());
    }
    account.refund_event(&refund, "created", "api", "refund_created", "The refund has been created.");
    account.refunds.push(refund.clone());
    Ok((StatusCode::CREATED, Json(json!({"refunds": refund}))).into_response())
}

async fn get_mandate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let account = shared.account();
    let mandate = account.mandate_json(&id).ok_or_else(|| not_found_error("mandates"))?;
    Ok(Json(json!({"mandates": mandate})).into_response())
}

async fn get_refund(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let account = shared.account();
    let refund = account.refunds.iter().find(|r| r.id == id).ok_or_else(|| not_found_error("refunds"))?;
    Ok(Json(json!({"refunds": refund})).into_response())
}

/// `GET /refunds?payment=&limit=&after=`: oldest first, cursor = the last
/// refund id of the page.
async fn list_refunds(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Answer {
    let invalid =
        |message: &str| reason_error(StatusCode::BAD_REQUEST, "invalid_api_usage", "invalid_filters", message);
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(limit)) if (1..=500).contains(&limit) => limit,
        Some(_) => return Err(invalid("limit must be between 1 and 500")),
    };
    let account = shared.account();
    let matching: Vec<&Refund> = account
        .refunds
        .iter()
        .filter(|r| query.get("payment").is_none_or(|payment| r.links.payment == *payment))
        .collect();
    let start = match query.get("after") {
        Some(after) => match matching.iter().position(|r| r.id == *after) {
            Some(index) => index + 1,
            None => return Err(invalid("The cursor is not a refund of this list")),
        },
        None => 0,
    };
    let page: Vec<&Refund> = matching.iter().skip(start).take(limit).copied().collect();
    let after = if start + page.len() < matching.len() { page.last().map(|r| r.id.clone()) } else { None };
    let before = if start > 0 { page.first().map(|r| r.id.clone()) } else { None };
    let body = json!({"refunds": page, "meta": {"cursors": {"before": before, "after": after}, "limit": limit}});
    Ok(Json(body).into_response())
}

async fn not_found() -> ApiError {
    reason_error(StatusCode::NOT_FOUND, "invalid_api_usage", "path_not_found", "Path not found")
}
