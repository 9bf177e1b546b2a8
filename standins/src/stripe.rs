//! A Stripe API stand-in: PaymentIntents, SetupIntents, Customers, saved PaymentMethods, refunds, idempotency keys,
//! error objects and signed webhooks.
//!
//! It answers the slice of Stripe's v1 API that Paygate uses, with Stripe's
//! object and error shapes, form-encoded parameters (unknown ones refused,
//! as Stripe does), Stripe's test PaymentMethods (`pm_card_visa`,
//! `pm_card_chargeDeclinedInsufficientFunds`, …) and its idempotency rules:
//! a repeated key replays the stored answer with `Idempotent-Replayed:
//! true`, a key reused with other parameters is an `idempotency_error`, and
//! a key whose first request is still running answers 409. Validation
//! failures are not stored; anything an endpoint began executing is, declines
//! included.
//!
//! Saving cards follows Stripe's rules: a test PaymentMethod (`pm_card_visa`)
//! saved to a Customer (by a SetupIntent, a PaymentIntent with
//! `setup_future_usage`, or `attach`) becomes a new `pm_…` attached to that
//! Customer, which is the id later charges name; the decline cards cannot be
//! attached; `pm_card_chargeCustomerFail` attaches but every charge of it
//! fails; an `off_session` charge needs the Customer the card is attached to
//! and declines with `authentication_required` where the payer would have
//! to authenticate. Retrieving a test PaymentMethod id answers its template,
//! attached to nobody.
//!
//! Things Stripe does not offer, for tests: state inspection, injected
//! failures, a delay before executing, a 3-D Secure page that completes or
//! fails the authentication, and signed event delivery. It also serves a
//! Stripe.js stand-in at `GET /v3/` (see `stripe.js`) whose card "Element"
//! is a text input for a test PaymentMethod id.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use hmac::{Hmac, KeyInit, Mac};
use rand::{Rng, distr::Alphanumeric};
use serde_json::{Value, json};
use sha2::Sha256;

/// The API version events are rendered with.
pub const EVENT_API_VERSION: &str = "2024-06-20";

/// API versions from this one on default `automatic_payment_methods` to
/// enabled when a PaymentIntent names no `payment_method_types`.
const AUTOMATIC_PAYMENT_METHODS_SINCE: &str = "2023-08-16";

const THREE_DS_PREFIX: &str = "/_standin/3ds";

/// The Stripe.js stand-in, at the path Stripe serves Stripe.js v3 from.
const STRIPE_JS: &str = include_str!("stripe.js");

/// What a test PaymentMethod does when charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behavior {
    Succeeds,
    Declines {
        code: &'static str,
        decline_code: &'static str,
        message: &'static str,
        param: Option<&'static str>,
    },
    RequiresThreeDs,
    /// Refunds start `pending`; [`StripeStandIn::finish_refund`] settles them.
    PendingRefund,
    /// Refunds start `succeeded`; [`StripeStandIn::finish_refund`] fails them.
    RefundFails,
    /// Succeeds, then the payer disputes the charge as fraudulent.
    Disputed,
    /// Attaches to a Customer, then every charge declines.
    ChargeCustomerFail,
}

impl Behavior {
    /// Stripe's decline cards cannot be attached to a Customer.
    fn attachable(self) -> bool {
        !matches!(self, Behavior::Declines { .. })
    }
}

#[derive(Debug)]
struct TestCard {
    id: &'static str,
    brand: &'static str,
    last4: &'static str,
    behavior: Behavior,
}

const fn decline(
    code: &'static str,
    decline_code: &'static str,
    message: &'static str,
    param: Option<&'static str>,
) -> Behavior {
    Behavior::Declines { code, decline_code, message, param }
}

/// Stripe's documented test PaymentMethods.
const TEST_CARDS: &[TestCard] = &[
    TestCard { id: "pm_card_visa", brand: "visa", last4: "4242", behavior: Behavior::Succeeds },
    TestCard { id: "pm_card_visa_debit", brand: "visa", last4: "5556", behavior: Behavior::Succeeds },
    TestCard { id: "pm_card_mastercard", brand: "mastercard", last4: "4444", behavior: Behavior::Succeeds },
    TestCard { id: "pm_card_amex", brand: "amex", last4: "8431", behavior: Behavior::Succeeds },
    TestCard {
        id: "pm_card_chargeDeclined",
        brand: "visa",
        last4: "0002",
        behavior: decline("card_declined", "generic_decline", "Your card was declined.", None),
    },
    TestCard {
        id: "pm_card_chargeDeclinedInsufficientFunds",
        brand: "visa",
        last4: "9995",
        behavior: decline("card_declined", "insufficient_funds", "Your card has insufficient funds.", None),
    },
    TestCard {
        id: "pm_card_chargeDeclinedLostCard",
        brand: "visa",
        last4: "9987",
        behavior: decline("card_declined", "lost_card", "Your card was declined.", None),
    },
    TestCard {
        id: "pm_card_chargeDeclinedStolenCard",
        brand: "visa",
        last4: "9979",
        behavior: decline("card_declined", "stolen_card", "Your card was declined.", None),
    },
    TestCard {
        id: "pm_card_chargeDeclinedFraudulent",
        brand: "visa",
        last4: "0019",
        behavior: decline("card_declined", "fraudulent", "Your card was declined.", None),
    },
    TestCard {
        id: "pm_card_chargeDeclinedExpiredCard",
        brand: "visa",
        last4: "0069",
        behavior: decline("expired_card", "expired_card", "Your card has expired.", Some("exp_month")),
    },
    TestCard {
        id: "pm_card_chargeDeclinedIncorrectCvc",
        brand: "visa",
        last4: "0127",
        behavior: decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", Some("cvc")),
    },
    TestCard {
        id: "pm_card_chargeDeclinedProcessingError",
        brand: "visa",
        last4: "0119",
        behavior: decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            None,
        ),
    },
    TestCard { id: "pm_card_threeDSecure2Required", brand: "visa", last4: "3220", behavior: Behavior::RequiresThreeDs },
    TestCard { id: "pm_card_pendingRefund", brand: "visa", last4: "7726", behavior: Behavior::PendingRefund },
    TestCard { id: "pm_card_refundFail", brand: "visa", last4: "5126", behavior: Behavior::RefundFails },
    TestCard { id: "pm_card_createDispute", brand: "visa", last4: "0259", behavior: Behavior::Disputed },
    TestCard { id: "pm_card_chargeCustomerFail", brand: "visa", last4: "0341", behavior: Behavior::ChargeCustomerFail },
];

/// What an attached card's charges answer: a generic decline.
const CUSTOMER_FAIL: Behavior = decline("card_declined", "generic_decline", "Your card was declined.", None);

fn test_card(id: &str) -> Option<&'static TestCard> {
    // Stripe names its decline cards both ways: pm_card_chargeDeclined and
    // pm_card_visa_chargeDeclined.
    let id = match id.strip_prefix("pm_card_visa_charge") {
        Some(rest) => format!("pm_card_charge{rest}"),
        None => id.to_owned(),
    };
    TEST_CARDS.iter().find(|card| card.id == id)
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

fn random_id(prefix: &str) -> String {
    let tail: String = rand::rng().sample_iter(Alphanumeric).take(24).map(char::from).collect();
    format!("{prefix}{tail}")
}

/// `Stripe-Signature` for `body` signed at `timestamp`: `t=…,v1=…`, the
/// HMAC-SHA256 of `"{t}.{body}"` keyed by the whole `whsec_…` string.
pub fn stripe_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A Stripe Event object around `object`.
pub fn event_json(event_type: &str, object: Value, created: i64, livemode: bool) -> Value {
    json!({
        "id": random_id("evt_"),
        "object": "event",
        "api_version": EVENT_API_VERSION,
        "created": created,
        "data": {"object": object},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

/// An event body and the `Stripe-Signature` header for it, ready to POST
/// (or to hold back, replay or reorder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEvent {
    pub id: String,
    pub event_type: String,
    pub body: String,
    pub signature: String,
}

impl SignedEvent {
    /// Signed now.
    pub fn new(secret: &str, event_type: &str, object: Value) -> Self {
        Self::at(secret, event_type, object, now_secs())
    }

    /// Created and signed at `timestamp` (Unix seconds), for expired or
    /// future signatures.
    pub fn at(secret: &str, event_type: &str, object: Value, timestamp: i64) -> Self {
        let livemode = object.get("livemode").and_then(Value::as_bool).unwrap_or(false);
        Self::from_event(secret, &event_json(event_type, object, timestamp, livemode), timestamp)
    }

    /// An event as built by [`event_json`] (or by hand), signed at
    /// `timestamp`.
    pub fn from_event(secret: &str, event: &Value, timestamp: i64) -> Self {
        let body = event.to_string();
        Self {
            id: event["id"].as_str().unwrap_or_default().to_owned(),
            event_type: event["type"].as_str().unwrap_or_default().to_owned(),
            signature: stripe_signature(secret, timestamp, &body),
            body,
        }
    }
}

/// POSTs `event` to `url` as Stripe delivers webhooks; the answer's status.
pub async fn deliver(http: &reqwest::Client, url: &str, event: &SignedEvent) -> Result<u16, reqwest::Error> {
    let response = http
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header("Stripe-Signature", &event.signature)
        .body(event.body.clone())
        .send()
        .await?;
    Ok(response.status().as_u16())
}

/// One API request as the stand-in saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub stripe_version: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    /// Decoded form parameters, in the order sent.
    pub params: Vec<(String, String)>,
    pub status: u16,
    /// Answered from the idempotency store.
    pub replayed: bool,
}

/// One automatic webhook delivery (see [`StripeStandIn::register_webhook`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// `None` when the endpoint could not be reached.
    pub status: Option<u16>,
}

#[derive(Debug, Clone)]
struct Intent {
    id: String,
    /// The test card behind `payment_method`.
    card: Option<&'static TestCard>,
    amount: i64,
    amount_capturable: i64,
    amount_received: i64,
    currency: String,
    status: &'static str,
    capture_method: String,
    payment_method: Option<String>,
    payment_method_types: Vec<String>,
    automatic_payment_methods: Option<Value>,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    next_action: Option<Value>,
    last_payment_error: Option<Value>,
    latest_charge: Option<String>,
    return_url: Option<String>,
    client_secret: String,
    canceled_at: Option<i64>,
    cancellation_reason: Option<String>,
    created: i64,
    livemode: bool,
    /// What the latest charge has had refunded (pending refunds included,
    /// as Stripe holds them against the charge).
    amount_refunded: i64,
    customer: Option<String>,
    setup_future_usage: Option<String>,
}

impl Intent {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": self.automatic_payment_methods,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": self.livemode,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "on_behalf_of": null,
            "payment_method": self.payment_method,
            "payment_method_options": {},
            "payment_method_types": self.payment_method_types,
            "processing": null,
            "receipt_email": null,
            "review": null,
            "setup_future_usage": self.setup_future_usage,
            "shipping": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status,
            "transfer_data": null,
            "transfer_group": null,
        })
    }

    fn card(&self) -> Option<&'static TestCard> {
        self.card
    }
}

/// A SetupIntent: a card saved for later without a charge.
#[derive(Debug, Clone)]
struct SetupIntent {
    id: String,
    status: &'static str,
    customer: Option<String>,
    payment_method: Option<String>,
    card: Option<&'static TestCard>,
    usage: String,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    next_action: Option<Value>,
    last_setup_error: Option<Value>,
    return_url: Option<String>,
    client_secret: String,
    cancellation_reason: Option<String>,
    created: i64,
    livemode: bool,
}

impl SetupIntent {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "setup_intent",
            "application": null,
            "automatic_payment_methods": null,
            "cancellation_reason": self.cancellation_reason,
            "client_secret": self.client_secret,
            "created": self.created,
            "customer": self.customer,
            "description": self.description,
            "flow_directions": null,
            "last_setup_error": self.last_setup_error,
            "latest_attempt": null,
            "livemode": self.livemode,
            "mandate": null,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "on_behalf_of": null,
            "payment_method": self.payment_method,
            "payment_method_options": {"card": {"mandate_options": null, "network": null, "request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"],
            "single_use_mandate": null,
            "status": self.status,
            "usage": self.usage,
        })
    }
}

#[derive(Debug, Clone)]
struct Customer {
    id: String,
    description: Option<String>,
    email: Option<String>,
    name: Option<String>,
    metadata: BTreeMap<String, String>,
    created: i64,
    livemode: bool,
}

impl Customer {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "customer",
            "address": null,
            "balance": 0,
            "created": self.created,
            "currency": null,
            "default_source": null,
            "delinquent": false,
            "description": self.description,
            "email": self.email,
            "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null},
            "livemode": self.livemode,
            "metadata": self.metadata,
            "name": self.name,
            "phone": null,
            "shipping": null,
        })
    }
}

/// A PaymentMethod made from a test card when it was saved.
#[derive(Debug, Clone)]
struct SavedMethod {
    id: String,
    card: &'static TestCard,
    customer: Option<String>,
    created: i64,
}

#[derive(Debug, Clone)]
struct Refund {
    id: String,
    amount: i64,
    charge: String,
    payment_intent: String,
    currency: String,
    status: &'static str,
    reason: Option<String>,
    failure_reason: Option<String>,
    metadata: BTreeMap<String, String>,
    created: i64,
    /// What [`StripeStandIn::finish_refund`] turns it into.
    finishes_as: Option<&'static str>,
}

impl Refund {
    fn to_json(&self) -> Value {
        let mut refund = json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": format!("txn_{}", &self.id[3..]),
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": self.status,
            "transfer_reversal": null,
        });
        if let Some(reason) = &self.failure_reason {
            refund["failure_reason"] = json!(reason);
        }
        refund
    }
}

#[derive(Debug, Clone)]
struct Dispute {
    id: String,
    amount: i64,
    charge: String,
    payment_intent: String,
    currency: String,
    reason: String,
    status: String,
    created: i64,
    livemode: bool,
}

impl Dispute {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "balance_transactions": [],
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "evidence": {},
            "is_charge_refundable": false,
            "livemode": self.livemode,
            "metadata": {},
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        })
    }
}

enum Idempotent {
    InFlight,
    Done { path: String, params: Vec<(String, String)>, status: StatusCode, body: Value },
}

struct Webhook {
    url: String,
    secret: String,
}

#[derive(Default)]
struct Faults {
    fail: u32,
    fail_status: u16,
    conflict: u32,
    lose: u32,
    latency: Duration,
}

#[derive(Default)]
struct StateInner {
    intents: Vec<Intent>,
    setup_intents: Vec<SetupIntent>,
    customers: Vec<Customer>,
    payment_methods: Vec<SavedMethod>,
    refunds: Vec<Refund>,
    disputes: Vec<Dispute>,
    idempotency: HashMap<String, Idempotent>,
    faults: Faults,
    requests: Vec<RecordedRequest>,
    events: Vec<Value>,
    outbox: Vec<Value>,
    webhook: Option<Webhook>,
    deliveries: Vec<Delivery>,
}

impl StateInner {
    fn intent_mut(&mut self, id: &str) -> Option<&mut Intent> {
        self.intents.iter_mut().find(|intent| intent.id == id)
    }

    /// A PaymentMethod id as Stripe resolves it: a saved one, or one of
    /// the test cards (attached to nobody).
    fn resolve_method(&self, id: &str) -> Option<(&'static TestCard, Option<String>)> {
        if let Some(saved) = self.payment_methods.iter().find(|m| m.id == id) {
            return Some((saved.card, saved.customer.clone()));
        }
        test_card(id).map(|card| (card, None))
    }

    /// The PaymentMethod that will be saved from `id`: a test card becomes a
    /// new, unattached PaymentMethod; a saved one stays itself.
    fn method_to_save(&mut self, id: &str, card: &'static TestCard) -> String {
        if self.payment_methods.iter().any(|m| m.id == id) {
            return id.to_owned();
        }
        let saved = SavedMethod { id: random_id("pm_1"), card, customer: None, created: now_secs() };
        let id = saved.id.clone();
        self.payment_methods.push(saved);
        id
    }

    fn attach(&mut self, payment_method: &str, customer: &str, livemode: bool) {
        if let Some(saved) = self.payment_methods.iter_mut().find(|m| m.id == payment_method) {
            saved.customer = Some(customer.to_owned());
            let object = saved_method_json(saved, livemode);
            self.event("payment_method.attached", object, livemode);
        }
    }

    fn has_customer(&self, id: &str) -> bool {
        self.customers.iter().any(|c| c.id == id)
    }

    fn event(&mut self, event_type: &str, object: Value, livemode: bool) {
        let event = event_json(event_type, object, now_secs(), livemode);
        self.events.push(event.clone());
        if self.webhook.is_some() {
            self.outbox.push(event);
        }
    }
}

struct Shared {
    base_url: String,
    secret_key: String,
    http: reqwest::Client,
    state: Mutex<StateInner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, StateInner> {
        // A test that panicked while holding the lock already failed; the
        // state is still worth reading.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn livemode(&self) -> bool {
        self.secret_key.starts_with("sk_live_")
    }

    /// Sends what the last operation queued to the registered endpoint.
    fn flush_outbox(self: &Arc<Self>) {
        let (events, webhook) = {
            let mut state = self.lock();
            let events = std::mem::take(&mut state.outbox);
            let webhook = state.webhook.as_ref().map(|w| (w.url.clone(), w.secret.clone()));
            (events, webhook)
        };
        let Some((url, secret)) = webhook else { return };
        for event in events {
            let shared = self.clone();
            let (url, secret) = (url.clone(), secret.clone());
            tokio::spawn(async move {
                let signed = SignedEvent::from_event(&secret, &event, now_secs());
                let status = deliver(&shared.http, &url, &signed).await.ok();
                shared.lock().deliveries.push(Delivery { event_id: signed.id, event_type: signed.event_type, status });
            });
        }
    }
}

/// A running Stripe stand-in on `127.0.0.1`. Dropping it stops the server.
pub struct StripeStandIn {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for StripeStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl StripeStandIn {
    /// Binds `127.0.0.1:0` and serves with a fresh random `sk_test_…` key.
    pub async fn start() -> Self {
        Self::start_with_key(&random_id("sk_test_")).await
    }

    /// Serves accepting only `secret_key` (an `sk_live_…` key makes every
    /// object `livemode: true`).
    pub async fn start_with_key(secret_key: &str) -> Self {
        Self::start_at("127.0.0.1:0", secret_key).await.expect("bind the Stripe stand-in")
    }

    /// Serves on `address` (`127.0.0.1:0` for any free port), accepting
    /// only `secret_key`.
    pub async fn start_at(address: &str, secret_key: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{address}"),
            secret_key: secret_key.to_owned(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client"),
            state: Mutex::new(StateInner::default()),
        });
        let app = Router::new()
            .route("/v3/", get(stripe_js))
            // Browsers ask every page's origin for an icon; the API's 401 would be noise.
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .route(&format!("{THREE_DS_PREFIX}/{{id}}"), get(three_ds_page))
            .route(&format!("{THREE_DS_PREFIX}/{{id}}/{{outcome}}"), post(three_ds_finish))
            .fallback(api)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { shared, server })
    }

    /// `http://127.0.0.1:<port>`, the adapter's `api_base`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The only API key the stand-in accepts.
    pub fn secret_key(&self) -> String {
        self.shared.secret_key.clone()
    }

    // --- state ---------------------------------------------------------------

    pub fn payment_intents(&self) -> Vec<Value> {
        self.shared.lock().intents.iter().map(Intent::to_json).collect()
    }

    pub fn payment_intent(&self, id: &str) -> Option<Value> {
        self.shared.lock().intents.iter().find(|intent| intent.id == id).map(Intent::to_json)
    }

    /// Every PaymentIntent whose `metadata[paygate_transaction_id]` is
    /// `transaction_id`, whatever its status.
    pub fn payment_intents_for(&self, transaction_id: &str) -> Vec<Value> {
        self.shared
            .lock()
            .intents
            .iter()
            .filter(|intent| intent.metadata.get("paygate_transaction_id").map(String::as_str) == Some(transaction_id))
            .map(Intent::to_json)
            .collect()
    }

    /// PaymentIntents for `transaction_id` that took or hold the payer's
    /// money (`succeeded` or `requires_capture`): "charged once" means 1.
    pub fn successful_charges(&self, transaction_id: &str) -> usize {
        self.payment_intents_for(transaction_id)
            .iter()
            .filter(|intent| matches!(intent["status"].as_str(), Some("succeeded" | "requires_capture")))
            .count()
    }

    pub fn setup_intents(&self) -> Vec<Value> {
        self.shared.lock().setup_intents.iter().map(SetupIntent::to_json).collect()
    }

    /// The SetupIntents whose metadata names `transaction_id`.
    pub fn setup_intents_for(&self, transaction_id: &str) -> Vec<Value> {
        let state = self.shared.lock();
        state
            .setup_intents
            .iter()
            .filter(|intent| intent.metadata.get("paygate_transaction_id").map(String::as_str) == Some(transaction_id))
            .map(SetupIntent::to_json)
            .collect()
    }

    pub fn customers(&self) -> Vec<Value> {
        self.shared.lock().customers.iter().map(Customer::to_json).collect()
    }

    /// A saved PaymentMethod (not a test card's template).
    pub fn payment_method(&self, id: &str) -> Option<Value> {
        let state = self.shared.lock();
        let livemode = self.shared.livemode();
        state.payment_methods.iter().find(|m| m.id == id).map(|m| saved_method_json(m, livemode))
    }

    pub fn refunds(&self) -> Vec<Value> {
        self.shared.lock().refunds.iter().map(Refund::to_json).collect()
    }

    pub fn refund(&self, id: &str) -> Option<Value> {
        self.shared.lock().refunds.iter().find(|refund| refund.id == id).map(Refund::to_json)
    }

    /// Refunds of one PaymentIntent, oldest first.
    pub fn refunds_for(&self, payment_intent: &str) -> Vec<Value> {
        self.shared
            .lock()
            .refunds
            .iter()
            .filter(|refund| refund.payment_intent == payment_intent)
            .map(Refund::to_json)
            .collect()
    }

    pub fn disputes(&self) -> Vec<Value> {
        self.shared.lock().disputes.iter().map(Dispute::to_json).collect()
    }

    /// Every Event the account produced, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.shared.lock().events.clone()
    }

    /// Every API request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    // --- faults --------------------------------------------------------------

    /// The next `n` API requests answer `status` (500, 502, 503, 429, …)
    /// without executing, as when Stripe or the way to it is down; nothing
    /// is stored under their idempotency keys.
    pub fn fail_next(&self, n: u32, status: u16) {
        let mut state = self.shared.lock();
        state.faults.fail = n;
        state.faults.fail_status = status;
    }

    /// The next `n` API requests answer 409 `idempotency_error`, as when
    /// another request with the same key is still running.
    pub fn conflict_next(&self, n: u32) {
        self.shared.lock().faults.conflict = n;
    }

    /// The next `n` POSTs execute and store their answer under their key,
    /// but the client gets a 500: the answer was lost on the way back. A
    /// retry with the same key gets the stored answer.
    pub fn lose_next_responses(&self, n: u32) {
        self.shared.lock().faults.lose = n;
    }

    /// Each POST holds its idempotency key this long before executing (a
    /// slow Stripe): a client timeout still leaves the request to complete,
    /// and the same key meanwhile answers 409.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().faults.latency = latency;
    }

    // --- what happens outside the API ------------------------------------------

    /// Completes (`succeed`) or fails a pending 3-D Secure authentication,
    /// as the payer would on the page `next_action` points to, for a
    /// PaymentIntent or a SetupIntent. `false` when the intent is not
    /// awaiting one.
    pub fn authenticate(&self, intent: &str, succeed: bool) -> bool {
        let done = authenticate(&self.shared, intent, succeed).is_some();
        self.shared.flush_outbox();
        done
    }

    /// Ends a refund of a `pm_card_pendingRefund` charge (→ `succeeded`) or
    /// a `pm_card_refundFail` charge (→ `failed`), with Stripe's events.
    /// `false` when the refund has nothing left to happen.
    pub fn finish_refund(&self, refund_id: &str) -> bool {
        let done = {
            let mut state = self.shared.lock();
            let livemode = self.shared.livemode();
            let Some(refund) = state.refunds.iter_mut().find(|r| r.id == refund_id) else { return false };
            let Some(status) = refund.finishes_as.take() else { return false };
            refund.status = status;
            if status == "failed" {
                refund.failure_reason = Some("expired_or_canceled_card".into());
            }
            let (amount, intent_id, object) = (refund.amount, refund.payment_intent.clone(), refund.to_json());
            if status == "failed"
                && let Some(intent) = state.intent_mut(&intent_id)
            {
                intent.amount_refunded -= amount;
            }
            state.event("refund.updated", object.clone(), livemode);
            state.event("charge.refund.updated", object.clone(), livemode);
            if status == "failed" {
                state.event("refund.failed", object, livemode);
            }
            true
        };
        self.shared.flush_outbox();
        done
    }

    // --- webhooks ------------------------------------------------------------

    /// From now on every Event the account produces is POSTed, signed with
    /// `secret`, to `url` (in the background, no retries; see
    /// [`Self::deliveries`]).
    pub fn register_webhook(&self, url: &str, secret: &str) {
        self.shared.lock().webhook = Some(Webhook { url: url.to_owned(), secret: secret.to_owned() });
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// POSTs a signed Event of `event_type` around `object` to `url`; the
    /// answer's HTTP status. Panics when `url` cannot be reached.
    pub async fn send_event(&self, url: &str, secret: &str, event_type: &str, object: Value) -> u16 {
        self.deliver(url, &SignedEvent::new(secret, event_type, object)).await
    }

    /// POSTs an already signed event (a replay, or one held back to arrive
    /// out of order). Panics when `url` cannot be reached.
    pub async fn deliver(&self, url: &str, event: &SignedEvent) -> u16 {
        deliver(&self.shared.http, url, event).await.unwrap_or_else(|err| panic!("POST {url}: {err}"))
    }
}

// --- errors ----------------------------------------------------------------------

fn error_body(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    let mut error = json!({"type": kind, "message": message});
    if let Some(code) = code {
        error["code"] = json!(code);
        error["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")));
    }
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    json!({"error": error})
}

fn invalid(code: Option<&str>, message: &str, param: Option<&str>) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, error_body("invalid_request_error", code, message, param))
}

fn unexpected_state(intent: &Intent, message: String) -> Answer {
    let mut body = error_body("invalid_request_error", Some("payment_intent_unexpected_state"), &message, None);
    body["error"]["payment_intent"] = intent.to_json();
    Answer::Done(StatusCode::BAD_REQUEST, body)
}

fn mask_key(key: &str) -> String {
    let prefix: String = key.chars().take(8).collect();
    let last4: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{prefix}{}{last4}", "*".repeat(key.chars().count().saturating_sub(12)))
}

// --- parameters --------------------------------------------------------------------

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Values of `name[0]`, `name[1]`, … or `name[]`.
    fn list(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}[");
        self.0
            .iter()
            .filter(|(key, _)| key.starts_with(&prefix) && key.ends_with(']'))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn metadata(&self) -> Result<BTreeMap<String, String>, (StatusCode, Value)> {
        let mut metadata = BTreeMap::new();
        for (key, value) in &self.0 {
            let Some(name) = key.strip_prefix("metadata[").and_then(|k| k.strip_suffix(']')) else { continue };
            if name.is_empty() || name.chars().count() > 40 {
                return Err(invalid(
                    Some("parameter_invalid_string"),
                    "Metadata keys must be between 1 and 40 characters long.",
                    Some(key),
                ));
            }
            if value.chars().count() > 500 {
                return Err(invalid(
                    Some("parameter_invalid_string"),
                    "Metadata values can have up to 500 characters.",
                    Some(key),
                ));
            }
            // An empty value unsets a key in Stripe.
            if !value.is_empty() {
                metadata.insert(name.to_owned(), value.clone());
            }
        }
        Ok(metadata)
    }

    /// Refuses parameters the endpoint does not take. `allowed` entries
    /// ending in `[` admit any nested key under that name.
    fn only(&self, allowed: &[&str]) -> Result<(), (StatusCode, Value)> {
        for (key, _) in &self.0 {
            let known = allowed.iter().any(|name| match name.strip_suffix('[') {
                Some(base) => key.strip_prefix(base).is_some_and(|rest| rest.starts_with('[') && rest.ends_with(']')),
                None => key == name,
            });
            if !known {
                let top = key.split('[').next().unwrap_or(key);
                return Err(invalid(
                    Some("parameter_unknown"),
                    &format!("Received unknown parameter: {key}"),
                    Some(if allowed.iter().any(|a| a.split('[').next() == Some(top)) { key } else { top }),
                ));
            }
        }
        Ok(())
    }

    fn amount(&self, name: &str) -> Result<Option<i64>, (StatusCode, Value)> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        let amount = raw
            .parse::<i64>()
            .map_err(|_| invalid(Some("parameter_invalid_integer"), &format!("Invalid integer: {raw}"), Some(name)))?;
        if amount < 1 {
            return Err(invalid(
                Some("parameter_invalid_integer"),
                "This value must be greater than or equal to 1.",
                Some(name),
            ));
        }
        Ok(Some(amount))
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, (StatusCode, Value)> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => {
                Err(invalid(Some("parameter_invalid_boolean"), &format!("Invalid boolean: {other}"), Some(name)))
            }
        }
    }

    fn one_of(&self, name: &str, values: &[&str]) -> Result<Option<String>, (StatusCode, Value)> {
        match self.get(name) {
            None => Ok(None),
            Some(value) if values.contains(&value) => Ok(Some(value.to_owned())),
            Some(value) => Err(invalid(
                None,
                &format!("Invalid {name} '{value}': must be one of {}", values.join(", ")),
                Some(name),
            )),
        }
    }
}

fn money(amount: i64, currency: &str) -> String {
    let symbol = match currency {
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        _ => "",
    };
    format!("{symbol}{}.{:02}", amount / 100, amount % 100)
}

/// Stripe's minimum charge amounts for the currencies tests use.
fn minimum_amount(currency: &str) -> Option<i64> {
    match currency {
        "usd" | "eur" => Some(50),
        "gbp" => Some(30),
        _ => None,
    }
}

// --- the API ---------------------------------------------------------------------------

/// How an endpoint answered: validation failures are not stored under the
/// idempotency key, executed requests are.
enum Answer {
    Invalid(StatusCode, Value),
    Done(StatusCode, Value),
}

impl From<(StatusCode, Value)> for Answer {
    fn from((status, body): (StatusCode, Value)) -> Self {
        Self::Invalid(status, body)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    CreateIntent,
    GetIntent(String),
    CaptureIntent(String),
    CancelIntent(String),
    CreateRefund,
    GetRefund(String),
    ListRefunds,
    GetDispute(String),
    CreateCustomer,
    GetCustomer(String),
    GetPaymentMethod(String),
    AttachPaymentMethod(String),
    CreateSetupIntent,
    GetSetupIntent(String),
    CancelSetupIntent(String),
}

impl Route {
    fn parse(method: &Method, path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let route = match (method.as_str(), segments.as_slice()) {
            ("POST", ["v1", "payment_intents"]) => Self::CreateIntent,
            ("GET", ["v1", "payment_intents", id]) => Self::GetIntent((*id).to_owned()),
            ("POST", ["v1", "payment_intents", id, "capture"]) => Self::CaptureIntent((*id).to_owned()),
            ("POST", ["v1", "payment_intents", id, "cancel"]) => Self::CancelIntent((*id).to_owned()),
            ("POST", ["v1", "refunds"]) => Self::CreateRefund,
            ("GET", ["v1", "refunds"]) => Self::ListRefunds,
            ("GET", ["v1", "refunds", id]) => Self::GetRefund((*id).to_owned()),
            ("GET", ["v1", "disputes", id]) => Self::GetDispute((*id).to_owned()),
            ("POST", ["v1", "customers"]) => Self::CreateCustomer,
            ("GET", ["v1", "customers", id]) => Self::GetCustomer((*id).to_owned()),
            ("GET", ["v1", "payment_methods", id]) => Self::GetPaymentMethod((*id).to_owned()),
            ("POST", ["v1", "payment_methods", id, "attach"]) => Self::AttachPaymentMethod((*id).to_owned()),
            ("POST", ["v1", "setup_intents"]) => Self::CreateSetupIntent,
            ("GET", ["v1", "setup_intents", id]) => Self::GetSetupIntent((*id).to_owned()),
            ("POST", ["v1", "setup_intents", id, "cancel"]) => Self::CancelSetupIntent((*id).to_owned()),
            _ => return None,
        };
        Some(route)
    }
}

struct Context<'a> {
    base_url: &'a str,
    livemode: bool,
    stripe_version: Option<&'a str>,
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn json_response(status: StatusCode, body: &Value, extra: &[(&'static str, String)]) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}

/// `YYYY-MM-DD`, optionally followed by a release name (`2025-03-31.basil`).
fn valid_api_version(version: &str) -> bool {
    let date = version.split('.').next().unwrap_or_default();
    let bytes = date.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() })
}

async fn api(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut record = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: header_text(&headers, "authorization"),
        stripe_version: header_text(&headers, "stripe-version"),
        idempotency_key: header_text(&headers, "idempotency-key"),
        content_type: header_text(&headers, "content-type"),
        params: Vec::new(),
        status: 0,
        replayed: false,
    };
    let request_id = random_id("req_");
    let (status, body, replayed) = answer(&shared, &method, &uri, &body, &mut record).await;
    record.status = status.as_u16();
    record.replayed = replayed;
    let mut extra = vec![("request-id", request_id)];
    if let Some(version) = record.stripe_version.clone().filter(|_| status.is_success()) {
        extra.push(("stripe-version", version));
    }
    if let Some(key) = record.idempotency_key.clone().filter(|_| method == Method::POST) {
        extra.push(("idempotency-key", key));
    }
    if replayed {
        extra.push(("idempotent-replayed", "true".into()));
    }
    shared.lock().requests.push(record);
    shared.flush_outbox();
    json_response(status, &body, &extra)
}

/// Status, body, and whether the body was replayed from the idempotency store.
type Reply = (StatusCode, Value, bool);

fn reply((status, body): (StatusCode, Value)) -> Reply {
    (status, body, false)
}

const UNKNOWN_ERROR: &str =
    "An unknown error occurred. Please try again later or contact support at https://support.stripe.com/.";

/// Authentication comes first: nothing about a request is looked at, or
/// stored, for a caller without the key.
fn authentication_failure(shared: &Shared, record: &RecordedRequest) -> Option<(StatusCode, Value)> {
    let Some(bearer) = record.authorization.as_deref().and_then(|v| v.strip_prefix("Bearer ")) else {
        let message = "You did not provide an API key. You need to provide your API key in the Authorization \
                       header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See \
                       https://stripe.com/docs/api#authentication for details, or we can help at \
                       https://support.stripe.com/.";
        return Some((StatusCode::UNAUTHORIZED, error_body("invalid_request_error", None, message, None)));
    };
    if bearer != shared.secret_key {
        let message = format!("Invalid API Key provided: {}", mask_key(bearer));
        return Some((StatusCode::UNAUTHORIZED, error_body("invalid_request_error", None, &message, None)));
    }
    None
}

/// A failure planned by [`StripeStandIn::fail_next`] or
/// [`StripeStandIn::conflict_next`], used up by this request.
fn injected_failure(state: &mut StateInner, key: Option<&str>) -> Option<(StatusCode, Value)> {
    if state.faults.fail > 0 {
        state.faults.fail -= 1;
        let status = StatusCode::from_u16(state.faults.fail_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = if status == StatusCode::TOO_MANY_REQUESTS {
            error_body(
                "invalid_request_error",
                Some("rate_limit"),
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                None,
            )
        } else {
            error_body("api_error", None, UNKNOWN_ERROR, None)
        };
        return Some((status, body));
    }
    if state.faults.conflict > 0 {
        state.faults.conflict -= 1;
        return Some((StatusCode::CONFLICT, conflict_body(key.unwrap_or_default())));
    }
    None
}

/// Marks `key` in flight for this request, or answers for it: the stored
/// reply, a conflict while the first request runs, or an
/// `idempotency_error` when the key was first used for something else.
fn claim_key(state: &mut StateInner, key: &str, path: &str, params: &Params) -> Result<(), Reply> {
    if key.chars().count() > 255 {
        return Err(reply(invalid(None, "Idempotency-Key must be at most 255 characters long.", None)));
    }
    match state.idempotency.get(key) {
        None => {
            state.idempotency.insert(key.to_owned(), Idempotent::InFlight);
            Ok(())
        }
        Some(Idempotent::InFlight) => Err((StatusCode::CONFLICT, conflict_body(key), false)),
        Some(Idempotent::Done { path: first_path, .. }) if first_path != path => {
            let message = format!(
                "Keys for idempotent requests can only be used for the same endpoint they were first used for \
                 ('{first_path}' vs '{path}'). Try using a key other than '{key}' if you meant to execute a \
                 different request."
            );
            Err((StatusCode::BAD_REQUEST, error_body("idempotency_error", None, &message, None), false))
        }
        Some(Idempotent::Done { params: first_params, .. }) if sorted(first_params) != sorted(&params.0) => {
            let message = format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used \
                 with. Try using a key other than '{key}' if you meant to execute a different request."
            );
            Err((StatusCode::BAD_REQUEST, error_body("idempotency_error", None, &message, None), false))
        }
        Some(Idempotent::Done { status, body, .. }) => Err((*status, body.clone(), true)),
    }
}

async fn answer(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    raw_body: &Bytes,
    record: &mut RecordedRequest,
) -> Reply {
    if let Some(failure) = authentication_failure(shared, record) {
        return reply(failure);
    }
    if let Some(version) = record.stripe_version.as_deref().filter(|v| !valid_api_version(v)) {
        return reply(invalid(None, &format!("Invalid Stripe API version: {version}"), None));
    }
    let Some(route) = Route::parse(method, uri.path()) else {
        let message = format!(
            "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at \
             https://support.stripe.com/.",
            uri.path()
        );
        return reply((StatusCode::NOT_FOUND, error_body("invalid_request_error", None, &message, None)));
    };
    if let Some(failure) = injected_failure(&mut shared.lock(), record.idempotency_key.as_deref()) {
        return reply(failure);
    }

    let form_encoded = record
        .content_type
        .as_deref()
        .is_none_or(|ct| ct.split(';').next().is_some_and(|m| m.trim() == "application/x-www-form-urlencoded"));
    if !raw_body.is_empty() && !form_encoded {
        let message = format!(
            "Invalid request: unsupported Content-Type {}. If error persists and you need assistance, please \
             contact support@stripe.com.",
            record.content_type.as_deref().unwrap_or_default()
        );
        return reply(invalid(None, &message, None));
    }
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_body).into_owned().collect();
    if method == Method::GET {
        pairs.extend(url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned());
    }
    record.params = pairs.clone();
    let params = Params(pairs);
    if *method == Method::GET {
        return reply(read(&shared.lock(), &route, &params));
    }

    let path = uri.path().to_owned();
    let key = record.idempotency_key.clone();
    let (latency, lose) = {
        let mut state = shared.lock();
        if let Some(key) = &key
            && let Err(reply) = claim_key(&mut state, key, &path, &params)
        {
            return reply;
        }
        let lose = state.faults.lose > 0;
        if lose {
            state.faults.lose -= 1;
        }
        (state.faults.latency, lose)
    };

    // Stripe finishes a request whose client went away; so does this, by
    // executing apart from the connection's task.
    let worker = {
        let shared = shared.clone();
        let version = record.stripe_version.clone();
        tokio::spawn(async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let context =
                Context { base_url: &shared.base_url, livemode: shared.livemode(), stripe_version: version.as_deref() };
            let mut state = shared.lock();
            let (status, body) = match write(&mut state, &context, &route, &params) {
                Answer::Done(status, body) => {
                    if let Some(key) = &key {
                        let done = Idempotent::Done { path, params: params.0, status, body: body.clone() };
                        state.idempotency.insert(key.clone(), done);
                    }
                    (status, body)
                }
                Answer::Invalid(status, body) => {
                    if let Some(key) = &key {
                        state.idempotency.remove(key);
                    }
                    (status, body)
                }
            };
            drop(state);
            shared.flush_outbox();
            (status, body)
        })
    };
    let answer = worker.await.unwrap_or_else(|err| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_body("api_error", None, &format!("stand-in worker failed: {err}"), None),
        )
    });
    if lose {
        return reply((StatusCode::INTERNAL_SERVER_ERROR, error_body("api_error", None, UNKNOWN_ERROR, None)));
    }
    reply(answer)
}

fn sorted(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut params = params.to_vec();
    params.sort();
    params
}

fn conflict_body(key: &str) -> Value {
    let message = format!(
        "There is currently another in-progress request using this Idempotent Key (that probably means you \
         submitted twice, and the other request is still going through): {key}. Please try again later."
    );
    error_body("idempotency_error", None, &message, None)
}

fn read(state: &StateInner, route: &Route, params: &Params) -> (StatusCode, Value) {
    let missing = |kind: &str, id: &str, param: &str| {
        (
            StatusCode::NOT_FOUND,
            error_body(
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such {kind}: '{id}'"),
                Some(param),
            ),
        )
    };
    match route {
        Route::GetIntent(id) => match state.intents.iter().find(|intent| &intent.id == id) {
            Some(intent) => (StatusCode::OK, intent.to_json()),
            None => missing("payment_intent", id, "intent"),
        },
        Route::GetRefund(id) => match state.refunds.iter().find(|refund| &refund.id == id) {
            Some(refund) => (StatusCode::OK, refund.to_json()),
            None => missing("refund", id, "id"),
        },
        Route::GetDispute(id) => match state.disputes.iter().find(|dispute| &dispute.id == id) {
            Some(dispute) => (StatusCode::OK, dispute.to_json()),
            None => missing("dispute", id, "dispute"),
        },
        Route::GetCustomer(id) => match state.customers.iter().find(|customer| &customer.id == id) {
            Some(customer) => (StatusCode::OK, customer.to_json()),
            None => missing("customer", id, "id"),
        },
        Route::GetSetupIntent(id) => match state.setup_intents.iter().find(|intent| &intent.id == id) {
            Some(intent) => (StatusCode::OK, intent.to_json()),
            None => missing("setup_intent", id, "intent"),
        },
        Route::GetPaymentMethod(id) => {
            let livemode = state.customers.first().is_some_and(|c| c.livemode)
                || state.intents.first().is_some_and(|i| i.livemode);
            if let Some(saved) = state.payment_methods.iter().find(|m| &m.id == id) {
                return (StatusCode::OK, saved_method_json(saved, livemode));
            }
            match test_card(id) {
                Some(card) => {
                    let mut template = payment_method_json(card, livemode);
                    template["id"] = json!(id);
                    (StatusCode::OK, template)
                }
                None => (
                    StatusCode::NOT_FOUND,
                    error_body(
                        "invalid_request_error",
                        Some("resource_missing"),
                        &format!("No such PaymentMethod: '{id}'"),
                        Some("payment_method"),
                    ),
                ),
            }
        }
        Route::ListRefunds => {
            if let Err(error) = params.only(&["payment_intent", "charge", "limit", "expand["]) {
                return error;
            }
            let limit = params.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(10).clamp(1, 100);
            let mut data: Vec<Value> = state
                .refunds
                .iter()
                .rev()
                .filter(|r| params.get("payment_intent").is_none_or(|pi| r.payment_intent == pi))
                .filter(|r| params.get("charge").is_none_or(|ch| r.charge == ch))
                .map(Refund::to_json)
                .collect();
            let has_more = data.len() > limit;
            data.truncate(limit);
            (StatusCode::OK, json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds"}))
        }
        _ => (StatusCode::METHOD_NOT_ALLOWED, error_body("invalid_request_error", None, "Not a read.", None)),
    }
}

fn write(state: &mut StateInner, context: &Context<'_>, route: &Route, params: &Params) -> Answer {
    let result = match route {
        Route::CreateIntent => create_intent(state, context, params),
        Route::CaptureIntent(id) => capture_intent(state, context, id, params),
        Route::CancelIntent(id) => cancel_intent(state, context, id, params),
        Route::CreateRefund => create_refund(state, context, params),
        Route::CreateCustomer => create_customer(state, context, params),
        Route::AttachPaymentMethod(id) => attach_payment_method(state, context, id, params),
        Route::CreateSetupIntent => create_setup_intent(state, context, params),
        Route::CancelSetupIntent(id) => cancel_setup_intent(state, context, id, params),
        _ => Ok(Answer::Invalid(
            StatusCode::METHOD_NOT_ALLOWED,
            error_body("invalid_request_error", None, "Not a write.", None),
        )),
    };
    result.unwrap_or_else(Answer::from)
}

fn no_such_intent(id: &str) -> Answer {
    Answer::Done(
        StatusCode::NOT_FOUND,
        error_body(
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such payment_intent: '{id}'"),
            Some("intent"),
        ),
    )
}

fn payment_method_json(card: &TestCard, livemode: bool) -> Value {
    json!({
        "id": card.id,
        "object": "payment_method",
        "type": "card",
        "billing_details": {"address": null, "email": null, "name": null, "phone": null},
        "card": {"brand": card.brand, "last4": card.last4, "exp_month": 12, "exp_year": 2034, "funding": "credit"},
        "created": now_secs(),
        "customer": null,
        "livemode": livemode,
        "metadata": {},
    })
}

fn saved_method_json(saved: &SavedMethod, livemode: bool) -> Value {
    let mut object = payment_method_json(saved.card, livemode);
    object["id"] = json!(saved.id);
    object["created"] = json!(saved.created);
    object["customer"] = json!(saved.customer);
    object
}

fn no_such_customer(id: &str) -> (StatusCode, Value) {
    invalid(Some("resource_missing"), &format!("No such customer: '{id}'"), Some("customer"))
}

/// A card error on confirming an intent: the error object Stripe answers
/// with, without the intent (the caller adds it under its name).
fn card_error(card: &TestCard, behavior: Behavior, livemode: bool) -> Value {
    let Behavior::Declines { code, decline_code, message, param } = behavior else { return Value::Null };
    let mut error = json!({
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "doc_url": format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")),
        "payment_method": payment_method_json(card, livemode),
        "payment_method_type": "card",
    });
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    error
}

fn create_customer(
    state: &mut StateInner,
    context: &Context<'_>,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["description", "email", "name", "phone", "metadata[", "expand["])?;
    let customer = Customer {
        id: random_id("cus_"),
        description: params.get("description").map(str::to_owned),
        email: params.get("email").map(str::to_owned),
        name: params.get("name").map(str::to_owned),
        metadata: params.metadata()?,
        created: now_secs(),
        livemode: context.livemode,
    };
    let body = customer.to_json();
    state.event("customer.created", body.clone(), context.livemode);
    state.customers.push(customer);
    Ok(Answer::Done(StatusCode::OK, body))
}

fn attach_payment_method(
    state: &mut StateInner,
    context: &Context<'_>,
    id: &str,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["customer", "expand["])?;
    let customer = params
        .get("customer")
        .ok_or_else(|| invalid(Some("parameter_missing"), "Missing required param: customer.", Some("customer")))?
        .to_owned();
    if !state.has_customer(&customer) {
        return Err(no_such_customer(&customer));
    }
    let Some((card, attached)) = state.resolve_method(id) else {
        return Err(invalid(
            Some("resource_missing"),
            &format!("No such PaymentMethod: '{id}'"),
            Some("payment_method"),
        ));
    };
    if let Some(other) = attached.filter(|other| *other != customer) {
        return Ok(Answer::Done(
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                None,
                &format!("The payment method you provided is already attached to a customer ({other})."),
                Some("payment_method"),
            ),
        ));
    }
    if !card.behavior.attachable() {
        let mut error = card_error(card, card.behavior, context.livemode);
        error["payment_method"] = Value::Null;
        return Ok(Answer::Done(StatusCode::PAYMENT_REQUIRED, json!({"error": error})));
    }
    let saved = state.method_to_save(id, card);
    state.attach(&saved, &customer, context.livemode);
    let object = state.payment_methods.iter().find(|m| m.id == saved).map(|m| saved_method_json(m, context.livemode));
    Ok(Answer::Done(StatusCode::OK, object.unwrap_or(Value::Null)))
}

/// Checks that `payment_method` may be used with `customer`: a card saved to
/// a Customer is used with that Customer only.
fn check_owner(
    payment_method: &str,
    attached: Option<&str>,
    customer: Option<&str>,
) -> Result<(), (StatusCode, Value)> {
    match (attached, customer) {
        (Some(attached), Some(customer)) if attached != customer => Err(invalid(
            Some("resource_missing"),
            &format!(
                "The customer does not have a payment method with the ID {payment_method}. The payment method must \
                 be attached to the customer."
            ),
            Some("payment_method"),
        )),
        (Some(_), None) => Err(invalid(
            None,
            &format!(
                "The provided PaymentMethod {payment_method} is attached to a Customer: pass that Customer's ID in \
                 `customer` to use it."
            ),
            Some("customer"),
        )),
        _ => Ok(()),
    }
}

fn three_ds_action(base_url: &str, id: &str, return_url: Option<&String>) -> Value {
    let page = format!("{base_url}{THREE_DS_PREFIX}/{id}");
    match return_url {
        Some(return_url) => json!({
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": page},
        }),
        None => json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": page, "source": random_id("src_")},
        }),
    }
}

fn create_setup_intent(
    state: &mut StateInner,
    context: &Context<'_>,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&[
        "customer",
        "payment_method",
        "confirm",
        "usage",
        "description",
        "return_url",
        "metadata[",
        "payment_method_types[",
        "expand[",
    ])?;
    let confirm = params.boolean("confirm")?.unwrap_or(false);
    let usage = params.one_of("usage", &["on_session", "off_session"])?.unwrap_or_else(|| "off_session".into());
    let metadata = params.metadata()?;
    let return_url = params.get("return_url").map(str::to_owned);
    if return_url.is_some() && !confirm {
        return Err(invalid(None, "The parameter return_url can only be used with confirm=true.", Some("return_url")));
    }
    if let Some(kind) = params.list("payment_method_types").iter().find(|kind| kind.as_str() != "card") {
        return Err(invalid(
            Some("payment_method_type_invalid"),
            &format!("The payment method type \"{kind}\" is invalid or not activated on this stand-in."),
            Some("payment_method_types"),
        ));
    }
    let customer = params.get("customer").map(str::to_owned);
    if let Some(customer) = customer.as_deref().filter(|c| !state.has_customer(c)) {
        return Err(no_such_customer(customer));
    }
    let method = match params.get("payment_method") {
        Some(id) => {
            let (card, attached) = state.resolve_method(id).ok_or_else(|| {
                invalid(Some("resource_missing"), &format!("No such PaymentMethod: '{id}'"), Some("payment_method"))
            })?;
            check_owner(id, attached.as_deref(), customer.as_deref())?;
            Some((id.to_owned(), card))
        }
        None if confirm => {
            return Err(invalid(
                Some("parameter_missing"),
                "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent \
                 with a payment method and then confirm it again.",
                Some("payment_method"),
            ));
        }
        None => None,
    };
    let livemode = context.livemode;
    let id = random_id("seti_");
    let mut intent = SetupIntent {
        client_secret: format!("{id}_secret_{}", random_id("")),
        id,
        status: if method.is_some() { "requires_confirmation" } else { "requires_payment_method" },
        customer: customer.clone(),
        payment_method: None,
        card: method.as_ref().map(|(_, card)| *card),
        usage,
        description: params.get("description").map(str::to_owned),
        metadata,
        next_action: None,
        last_setup_error: None,
        return_url,
        cancellation_reason: None,
        created: now_secs(),
        livemode,
    };
    // The card becomes a PaymentMethod of its own, attached once the
    // setup succeeds.
    intent.payment_method = match &method {
        Some((id, card)) if card.behavior.attachable() => Some(state.method_to_save(id, card)),
        Some((id, _)) => Some(id.clone()),
        None => None,
    };
    state.event("setup_intent.created", intent.to_json(), livemode);
    let Some((_, card)) = method.filter(|_| confirm) else {
        let body = intent.to_json();
        state.setup_intents.push(intent);
        return Ok(Answer::Done(StatusCode::OK, body));
    };
    let answer = match card.behavior {
        Behavior::Declines { .. } => {
            let error = card_error(card, card.behavior, livemode);
            intent.status = "requires_payment_method";
            intent.last_setup_error = Some(error.clone());
            state.event("setup_intent.setup_failed", intent.to_json(), livemode);
            let mut error = error;
            error["setup_intent"] = intent.to_json();
            Answer::Done(StatusCode::PAYMENT_REQUIRED, json!({"error": error}))
        }
        Behavior::RequiresThreeDs => {
            intent.status = "requires_action";
            intent.next_action = Some(three_ds_action(context.base_url, &intent.id, intent.return_url.as_ref()));
            state.event("setup_intent.requires_action", intent.to_json(), livemode);
            Answer::Done(StatusCode::OK, intent.to_json())
        }
        _ => {
            set_up(state, &mut intent, livemode);
            Answer::Done(StatusCode::OK, intent.to_json())
        }
    };
    state.setup_intents.push(intent);
    Ok(answer)
}

/// The setup succeeded: the card is attached to the SetupIntent's Customer.
fn set_up(state: &mut StateInner, intent: &mut SetupIntent, livemode: bool) {
    intent.status = "succeeded";
    intent.next_action = None;
    intent.last_setup_error = None;
    if let (Some(customer), Some(method)) = (intent.customer.clone(), intent.payment_method.clone()) {
        state.attach(&method, &customer, livemode);
    }
    state.event("setup_intent.succeeded", intent.to_json(), livemode);
}

fn cancel_setup_intent(
    state: &mut StateInner,
    context: &Context<'_>,
    id: &str,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["cancellation_reason", "expand["])?;
    let reason = params.one_of("cancellation_reason", &["abandoned", "requested_by_customer", "duplicate"])?;
    let Some(intent) = state.setup_intents.iter_mut().find(|intent| intent.id == id) else {
        return Ok(Answer::Done(
            StatusCode::NOT_FOUND,
            error_body(
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such setup_intent: '{id}'"),
                Some("intent"),
            ),
        ));
    };
    if matches!(intent.status, "succeeded" | "canceled" | "processing") {
        let mut body = error_body(
            "invalid_request_error",
            Some("setup_intent_unexpected_state"),
            &format!(
                "You cannot cancel this SetupIntent because it has a status of {}. Only a SetupIntent with one of \
                 the following statuses may be canceled: requires_payment_method, requires_confirmation, \
                 requires_action.",
                intent.status
            ),
            None,
        );
        body["error"]["setup_intent"] = intent.to_json();
        return Ok(Answer::Done(StatusCode::BAD_REQUEST, body));
    }
    intent.status = "canceled";
    intent.next_action = None;
    intent.cancellation_reason = reason;
    let body = intent.to_json();
    state.event("setup_intent.canceled", body.clone(), context.livemode);
    Ok(Answer::Done(StatusCode::OK, body))
}

fn create_intent(
    state: &mut StateInner,
    context: &Context<'_>,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&[
        "amount",
        "currency",
        "payment_method",
        "confirm",
        "capture_method",
        "description",
        "return_url",
        "metadata[",
        "payment_method_types[",
        "automatic_payment_methods[",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "customer",
        "setup_future_usage",
        "off_session",
        "expand[",
    ])?;
    let amount = params
        .amount("amount")?
        .ok_or_else(|| invalid(Some("parameter_missing"), "Missing required param: amount.", Some("amount")))?;
    let currency = params
        .get("currency")
        .ok_or_else(|| invalid(Some("parameter_missing"), "Missing required param: currency.", Some("currency")))?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(Some("parameter_invalid"), &format!("Invalid currency: {currency}"), Some("currency")));
    }
    let currency = currency.to_ascii_lowercase();
    if let Some(minimum) = minimum_amount(&currency).filter(|minimum| amount < *minimum) {
        return Err(invalid(
            Some("amount_too_small"),
            &format!("Amount must be at least {} {currency}", money(minimum, &currency)),
            Some("amount"),
        ));
    }
    let capture_method = params
        .one_of("capture_method", &["automatic", "automatic_async", "manual"])?
        .unwrap_or_else(|| "automatic_async".into());
    let confirm = params.boolean("confirm")?.unwrap_or(false);
    let metadata = params.metadata()?;
    let return_url = params.get("return_url").map(str::to_owned);
    if return_url.is_some() && !confirm {
        return Err(invalid(None, "The parameter return_url can only be used with confirm=true.", Some("return_url")));
    }
    let payment_method_types = params.list("payment_method_types");
    let apm_enabled = params.boolean("automatic_payment_methods[enabled]")?;
    let allow_redirects = params.one_of("automatic_payment_methods[allow_redirects]", &["always", "never"])?;
    if !payment_method_types.is_empty() && apm_enabled.is_some() {
        return Err(invalid(
            None,
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
            Some("automatic_payment_methods"),
        ));
    }
    if let Some(kind) = payment_method_types.iter().find(|kind| kind.as_str() != "card") {
        return Err(invalid(
            Some("payment_method_type_invalid"),
            &format!("The payment method type \"{kind}\" is invalid or not activated on this stand-in."),
            Some("payment_method_types"),
        ));
    }
    let defaults_to_automatic = context.stripe_version.is_none_or(|version| version >= AUTOMATIC_PAYMENT_METHODS_SINCE);
    let automatic = apm_enabled.unwrap_or(payment_method_types.is_empty() && defaults_to_automatic);
    if confirm && automatic && allow_redirects.as_deref() != Some("never") && return_url.is_none() {
        return Err(invalid(
            None,
            "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of \
             these payment methods might redirect your customer off of your page, you must provide a `return_url`. \
             If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` \
             to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and \
             Payment Intents.",
            None,
        ));
    }
    let setup_future_usage = params.one_of("setup_future_usage", &["on_session", "off_session"])?;
    // `off_session` takes a boolean, or Stripe's older "one_off" /
    // "recurring".
    let off_session = match params.get("off_session") {
        None | Some("false") => false,
        Some("true" | "one_off" | "recurring") => true,
        Some(other) => {
            return Err(invalid(
                Some("parameter_invalid_boolean"),
                &format!("Invalid boolean: {other}"),
                Some("off_session"),
            ));
        }
    };
    if off_session && !confirm {
        return Err(invalid(None, "You may only specify `off_session` when `confirm=true`.", Some("off_session")));
    }
    let customer = params.get("customer").map(str::to_owned);
    if let Some(customer) = customer.as_deref().filter(|c| !state.has_customer(c)) {
        return Err(no_such_customer(customer));
    }
    let card = match params.get("payment_method") {
        Some(id) => {
            let (card, attached) = state.resolve_method(id).ok_or_else(|| {
                invalid(Some("resource_missing"), &format!("No such PaymentMethod: '{id}'"), Some("payment_method"))
            })?;
            check_owner(id, attached.as_deref(), customer.as_deref())?;
            if off_session && attached.is_none() && setup_future_usage.is_none() {
                // A card never saved cannot be charged without the payer.
                return Err(invalid(
                    Some("resource_missing"),
                    &format!(
                        "The customer does not have a payment method with the ID {id}. The payment method must be \
                         attached to the customer."
                    ),
                    Some("payment_method"),
                ));
            }
            Some(card)
        }
        None if confirm => {
            return Err(invalid(
                Some("parameter_missing"),
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the \
                 PaymentIntent with a payment method, pass its id in `payment_method`.",
                Some("payment_method"),
            ));
        }
        None => None,
    };

    // Saved for later with a Customer: the card becomes a PaymentMethod of
    // its own, attached once the payment succeeds.
    let saving = setup_future_usage.is_some() && customer.is_some();
    let payment_method = match (params.get("payment_method"), card) {
        (Some(id), Some(card)) if saving && card.behavior.attachable() => Some(state.method_to_save(id, card)),
        (Some(id), _) => Some(id.to_owned()),
        _ => None,
    };
    let id = random_id("pi_");
    let mut intent = Intent {
        client_secret: format!("{id}_secret_{}", random_id("")),
        card,
        customer: customer.clone(),
        setup_future_usage: setup_future_usage.clone(),
        id,
        amount,
        amount_capturable: 0,
        amount_received: 0,
        currency,
        status: if card.is_some() { "requires_confirmation" } else { "requires_payment_method" },
        capture_method,
        payment_method,
        payment_method_types: if payment_method_types.is_empty() { vec!["card".into()] } else { payment_method_types },
        automatic_payment_methods: automatic.then(|| match &allow_redirects {
            Some(allow) => json!({"enabled": true, "allow_redirects": allow}),
            None => json!({"enabled": true}),
        }),
        description: params.get("description").map(str::to_owned),
        metadata,
        next_action: None,
        last_payment_error: None,
        latest_charge: None,
        return_url,
        canceled_at: None,
        cancellation_reason: None,
        created: now_secs(),
        livemode: context.livemode,
        amount_refunded: 0,
    };
    let livemode = context.livemode;
    let card = match (card, confirm) {
        (Some(card), true) => card,
        _ => {
            state.event("payment_intent.created", intent.to_json(), livemode);
            let body = intent.to_json();
            state.intents.push(intent);
            return Ok(Answer::Done(StatusCode::OK, body));
        }
    };

    // Off session, a card that needs the payer to authenticate declines
    // instead of asking.
    let behavior = match card.behavior {
        Behavior::RequiresThreeDs if off_session => decline(
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
            None,
        ),
        Behavior::ChargeCustomerFail => CUSTOMER_FAIL,
        other => other,
    };
    let answer = match behavior {
        Behavior::Declines { .. } => {
            let charge = random_id("ch_");
            let mut error = card_error(card, behavior, livemode);
            error["charge"] = json!(charge);
            intent.status = "requires_payment_method";
            intent.latest_charge = Some(charge);
            intent.last_payment_error = Some(error.clone());
            state.event("payment_intent.created", intent.to_json(), livemode);
            state.event("payment_intent.payment_failed", intent.to_json(), livemode);
            error["payment_intent"] = intent.to_json();
            Answer::Done(StatusCode::PAYMENT_REQUIRED, json!({"error": error}))
        }
        Behavior::RequiresThreeDs => {
            intent.status = "requires_action";
            intent.next_action = Some(three_ds_action(context.base_url, &intent.id, intent.return_url.as_ref()));
            state.event("payment_intent.created", intent.to_json(), livemode);
            state.event("payment_intent.requires_action", intent.to_json(), livemode);
            Answer::Done(StatusCode::OK, intent.to_json())
        }
        Behavior::Succeeds
        | Behavior::PendingRefund
        | Behavior::RefundFails
        | Behavior::Disputed
        | Behavior::ChargeCustomerFail => {
            state.event("payment_intent.created", intent.to_json(), livemode);
            authorized(state, &mut intent, livemode);
            Answer::Done(StatusCode::OK, intent.to_json())
        }
    };
    state.intents.push(intent);
    Ok(answer)
}

/// The card was charged (or authorized, for manual capture), and saved to
/// the Customer when the PaymentIntent asked for it.
fn authorized(state: &mut StateInner, intent: &mut Intent, livemode: bool) {
    intent.latest_charge = Some(random_id("ch_"));
    intent.next_action = None;
    intent.last_payment_error = None;
    if intent.setup_future_usage.is_some()
        && let (Some(customer), Some(method)) = (intent.customer.clone(), intent.payment_method.clone())
    {
        state.attach(&method, &customer, livemode);
    }
    if intent.capture_method == "manual" {
        intent.status = "requires_capture";
        intent.amount_capturable = intent.amount;
        state.event("payment_intent.amount_capturable_updated", intent.to_json(), livemode);
    } else {
        captured(state, intent, intent.amount, livemode);
    }
}

fn captured(state: &mut StateInner, intent: &mut Intent, amount: i64, livemode: bool) {
    intent.status = "succeeded";
    intent.amount_capturable = 0;
    intent.amount_received = amount;
    state.event("payment_intent.succeeded", intent.to_json(), livemode);
    if intent.card().is_some_and(|card| card.behavior == Behavior::Disputed) {
        let dispute = Dispute {
            id: random_id("dp_"),
            amount,
            charge: intent.latest_charge.clone().unwrap_or_default(),
            payment_intent: intent.id.clone(),
            currency: intent.currency.clone(),
            reason: "fraudulent".into(),
            status: "needs_response".into(),
            created: now_secs(),
            livemode,
        };
        state.event("charge.dispute.created", dispute.to_json(), livemode);
        state.disputes.push(dispute);
    }
}

fn capture_intent(
    state: &mut StateInner,
    context: &Context<'_>,
    id: &str,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["amount_to_capture", "metadata[", "expand["])?;
    let amount = params.amount("amount_to_capture")?;
    let metadata = params.metadata()?;
    let Some(index) = state.intents.iter().position(|intent| intent.id == id) else { return Ok(no_such_intent(id)) };
    let mut intent = state.intents[index].clone();
    if intent.status != "requires_capture" {
        return Ok(unexpected_state(
            &intent,
            format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with \
                 one of the following statuses may be captured: requires_capture.",
                intent.status
            ),
        ));
    }
    let amount = amount.unwrap_or(intent.amount_capturable);
    if amount > intent.amount_capturable {
        return Ok(Answer::Done(
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("amount_too_large"),
                &format!(
                    "The amount_to_capture ({}) must be less than or equal to the amount_capturable ({}).",
                    money(amount, &intent.currency),
                    money(intent.amount_capturable, &intent.currency)
                ),
                Some("amount_to_capture"),
            ),
        ));
    }
    intent.metadata.extend(metadata);
    captured(state, &mut intent, amount, context.livemode);
    let body = intent.to_json();
    state.intents[index] = intent;
    Ok(Answer::Done(StatusCode::OK, body))
}

fn cancel_intent(
    state: &mut StateInner,
    context: &Context<'_>,
    id: &str,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["cancellation_reason", "expand["])?;
    let reason =
        params.one_of("cancellation_reason", &["duplicate", "fraudulent", "requested_by_customer", "abandoned"])?;
    let Some(intent) = state.intent_mut(id) else { return Ok(no_such_intent(id)) };
    const CANCELABLE: &[&str] =
        &["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"];
    if !CANCELABLE.contains(&intent.status) {
        let message = format!(
            "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of \
             the following statuses may be canceled: {}.",
            intent.status,
            CANCELABLE.join(", ")
        );
        let intent = intent.clone();
        return Ok(unexpected_state(&intent, message));
    }
    intent.status = "canceled";
    intent.amount_capturable = 0;
    intent.next_action = None;
    intent.canceled_at = Some(now_secs());
    intent.cancellation_reason = reason;
    let body = intent.to_json();
    state.event("payment_intent.canceled", body.clone(), context.livemode);
    Ok(Answer::Done(StatusCode::OK, body))
}

fn create_refund(
    state: &mut StateInner,
    context: &Context<'_>,
    params: &Params,
) -> Result<Answer, (StatusCode, Value)> {
    params.only(&["payment_intent", "charge", "amount", "metadata[", "reason", "expand["])?;
    let amount = params.amount("amount")?;
    let metadata = params.metadata()?;
    let reason = params.one_of("reason", &["duplicate", "fraudulent", "requested_by_customer"])?;
    let index = match (params.get("payment_intent"), params.get("charge")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                None,
                "You cannot specify both `charge` and `payment_intent`. Please specify only one of them.",
                None,
            ));
        }
        (Some(id), None) => state.intents.iter().position(|intent| intent.id == id).ok_or_else(|| {
            invalid(Some("resource_missing"), &format!("No such payment_intent: '{id}'"), Some("payment_intent"))
        })?,
        (None, Some(id)) => state
            .intents
            .iter()
            .position(|intent| intent.latest_charge.as_deref() == Some(id))
            .ok_or_else(|| invalid(Some("resource_missing"), &format!("No such charge: '{id}'"), Some("charge")))?,
        (None, None) => {
            return Err(invalid(
                Some("parameter_missing"),
                "One of the following params should be provided for this request: payment_intent or charge.",
                None,
            ));
        }
    };
    let intent = &state.intents[index];
    if intent.status != "succeeded" {
        return Ok(unexpected_state(intent, "This PaymentIntent does not have a successful charge to refund.".into()));
    }
    let charge = intent.latest_charge.clone().unwrap_or_default();
    let remaining = intent.amount_received - intent.amount_refunded;
    if remaining <= 0 {
        return Ok(Answer::Done(
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("charge_already_refunded"),
                &format!("Charge {charge} has already been refunded."),
                None,
            ),
        ));
    }
    let amount = amount.unwrap_or(remaining);
    if amount > remaining {
        return Ok(Answer::Done(
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request_error",
                Some("amount_too_large"),
                &format!(
                    "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                    money(amount, &intent.currency),
                    money(remaining, &intent.currency)
                ),
                Some("amount"),
            ),
        ));
    }
    let behavior = intent.card().map(|card| card.behavior);
    let (status, finishes_as) = match behavior {
        Some(Behavior::PendingRefund) => ("pending", Some("succeeded")),
        Some(Behavior::RefundFails) => ("succeeded", Some("failed")),
        _ => ("succeeded", None),
    };
    let refund = Refund {
        id: random_id("re_"),
        amount,
        charge,
        payment_intent: intent.id.clone(),
        currency: intent.currency.clone(),
        status,
        reason,
        failure_reason: None,
        metadata,
        created: now_secs(),
        finishes_as,
    };
    state.intents[index].amount_refunded += amount;
    let body = refund.to_json();
    state.event("refund.created", body.clone(), context.livemode);
    state.refunds.push(refund);
    Ok(Answer::Done(StatusCode::OK, body))
}

// --- Stripe.js -------------------------------------------------------------------------

async fn stripe_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], STRIPE_JS).into_response()
}

// --- 3-D Secure -------------------------------------------------------------------------

/// An intent that was waiting for 3-D Secure, once the payer answered.
struct Authenticated {
    id: String,
    client_secret: String,
    return_url: Option<String>,
    /// `payment_intent` or `setup_intent`: the names of the return URL's
    /// query parameters.
    kind: &'static str,
}

/// Applies the payer's answer to a 3-D Secure challenge of a PaymentIntent
/// or SetupIntent; `None` when it awaited none.
fn authenticate(shared: &Shared, id: &str, succeed: bool) -> Option<Authenticated> {
    let livemode = shared.livemode();
    let mut state = shared.lock();
    let failure = |card: Option<&TestCard>, code: &str, message: &str| {
        json!({
            "type": "invalid_request_error",
            "code": code,
            "doc_url": format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")),
            "message": message,
            "payment_method": card.map(|card| payment_method_json(card, livemode)),
        })
    };
    if let Some(index) = state.setup_intents.iter().position(|i| i.id == id && i.status == "requires_action") {
        let mut intent = state.setup_intents[index].clone();
        if succeed {
            set_up(&mut state, &mut intent, livemode);
        } else {
            intent.status = "requires_payment_method";
            intent.next_action = None;
            intent.last_setup_error = Some(failure(
                intent.card,
                "setup_intent_authentication_failure",
                "The latest attempt to set up the payment method has failed because authentication failed.",
            ));
            state.event("setup_intent.setup_failed", intent.to_json(), livemode);
        }
        state.setup_intents[index] = intent.clone();
        return Some(Authenticated {
            id: intent.id,
            client_secret: intent.client_secret,
            return_url: intent.return_url,
            kind: "setup_intent",
        });
    }
    let index = state.intents.iter().position(|intent| intent.id == id && intent.status == "requires_action")?;
    let mut intent = state.intents[index].clone();
    if succeed {
        authorized(&mut state, &mut intent, livemode);
    } else {
        intent.status = "requires_payment_method";
        intent.next_action = None;
        intent.last_payment_error = Some(failure(
            intent.card(),
            "payment_intent_authentication_failure",
            "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new \
             PaymentMethod to attempt to fulfill this PaymentIntent again.",
        ));
        state.event("payment_intent.payment_failed", intent.to_json(), livemode);
    }
    state.intents[index] = intent.clone();
    Some(Authenticated {
        id: intent.id,
        client_secret: intent.client_secret,
        return_url: intent.return_url,
        kind: "payment_intent",
    })
}

async fn three_ds_page(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let what = {
        let state = shared.lock();
        if let Some(intent) = state.intents.iter().find(|intent| intent.id == id) {
            (intent.status == "requires_action").then(|| {
                format!("Amount: {} {}", money(intent.amount, &intent.currency), intent.currency.to_ascii_uppercase())
            })
        } else if let Some(intent) = state.setup_intents.iter().find(|intent| intent.id == id) {
            (intent.status == "requires_action").then(|| "Saving the card for later payments.".to_owned())
        } else {
            return (StatusCode::NOT_FOUND, "No such PaymentIntent or SetupIntent.").into_response();
        }
    };
    let Some(what) = what else {
        return (StatusCode::CONFLICT, "This intent is not awaiting authentication.").into_response();
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>3D Secure 2 test \
         authentication</title></head>\n<body>\n<h1>3D Secure 2 test payment</h1>\n<p>{what}</p>\n<form \
         method=\"post\" action=\"{THREE_DS_PREFIX}/{id}/complete\"><button id=\"complete\" \
         type=\"submit\">Complete authentication</button></form>\n<form method=\"post\" \
         action=\"{THREE_DS_PREFIX}/{id}/fail\"><button id=\"fail\" type=\"submit\">Fail \
         authentication</button></form>\n</body></html>\n"
    ))
    .into_response()
}

async fn three_ds_finish(State(shared): State<Arc<Shared>>, Path((id, outcome)): Path<(String, String)>) -> Response {
    let succeed = match outcome.as_str() {
        "complete" => true,
        "fail" => false,
        _ => return (StatusCode::NOT_FOUND, "Unknown outcome.").into_response(),
    };
    let intent = authenticate(&shared, &id, succeed);
    shared.flush_outbox();
    let Some(intent) = intent else {
        return (StatusCode::CONFLICT, "This intent is not awaiting authentication.").into_response();
    };
    let Some(return_url) = &intent.return_url else {
        return Html("<!doctype html>\n<p>Authentication finished. You can close this window.</p>\n").into_response();
    };
    // Stripe sends the payer back with these three query parameters
    // (`setup_intent…` for a SetupIntent).
    let Ok(mut target) = url::Url::parse(return_url) else {
        return (StatusCode::BAD_REQUEST, "The return_url is not a URL.").into_response();
    };
    target
        .query_pairs_mut()
        .append_pair(intent.kind, &intent.id)
        .append_pair(&format!("{}_client_secret", intent.kind), &intent.client_secret)
        .append_pair("redirect_status", if succeed { "succeeded" } else { "failed" });
    Redirect::to(target.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Answer {
        status: u16,
        replayed: bool,
        body: Value,
    }

    async fn call(
        standin: &StripeStandIn,
        method: Method,
        path: &str,
        key: Option<&str>,
        params: &[(&str, &str)],
    ) -> Answer {
        let mut request = standin
            .shared
            .http
            .request(method.clone(), format!("{}{path}", standin.base_url()))
            .bearer_auth(standin.secret_key())
            .header("Stripe-Version", EVENT_API_VERSION);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if method == Method::POST {
            request = request.form(params);
        }
        let response = request.send().await.expect("stand-in answers");
        let status = response.status().as_u16();
        let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
        assert!(response.headers().get("request-id").is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("req_"))));
        Answer { status, replayed, body: response.json().await.expect("JSON") }
    }

    const VISA: &[(&str, &str)] = &[
        ("amount", "2000"),
        ("currency", "usd"),
        ("payment_method", "pm_card_visa"),
        ("payment_method_types[0]", "card"),
        ("confirm", "true"),
    ];

    #[tokio::test]
    async fn refuses_callers_without_the_key_as_stripe_does() {
        let standin = StripeStandIn::start().await;
        let url = format!("{}/v1/payment_intents", standin.base_url());
        let response = standin.shared.http.post(&url).form(VISA).send().await.expect("answer");
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.starts_with("You did not provide an API key")));

        let wrong = "sk_test_0123456789abcdefWXYZ";
        let response = standin.shared.http.post(&url).bearer_auth(wrong).form(VISA).send().await.expect("answer");
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["message"], "Invalid API Key provided: sk_test_****************WXYZ");
        assert!(standin.payment_intents().is_empty());
    }

    #[tokio::test]
    async fn replays_a_key_and_refuses_it_with_other_parameters_or_another_endpoint() {
        let standin = StripeStandIn::start().await;
        let first = call(&standin, Method::POST, "/v1/payment_intents", Some("k"), VISA).await;
        assert_eq!((first.status, first.replayed), (200, false));
        assert_eq!(first.body["status"], "succeeded");
        let again = call(&standin, Method::POST, "/v1/payment_intents", Some("k"), VISA).await;
        assert_eq!((again.status, again.replayed), (200, true));
        assert_eq!(again.body, first.body);

        let mut other = VISA.to_vec();
        other[0] = ("amount", "2001");
        let mismatch = call(&standin, Method::POST, "/v1/payment_intents", Some("k"), &other).await;
        assert_eq!(mismatch.status, 400);
        assert_eq!(mismatch.body["error"]["type"], "idempotency_error");
        assert!(mismatch.body["error"]["message"].as_str().is_some_and(|m| m.contains("same parameters")));

        let pi = first.body["id"].as_str().expect("id").to_owned();
        let elsewhere = call(&standin, Method::POST, "/v1/refunds", Some("k"), &[("payment_intent", &pi)]).await;
        assert_eq!(elsewhere.status, 400);
        assert_eq!(elsewhere.body["error"]["type"], "idempotency_error");
        assert!(elsewhere.body["error"]["message"].as_str().is_some_and(|m| m.contains("same endpoint")));
        assert_eq!(standin.payment_intents().len(), 1);
        assert!(standin.refunds().is_empty());
    }

    #[tokio::test]
    async fn validation_failures_are_not_stored_under_the_key() {
        let standin = StripeStandIn::start().await;
        let mut unknown = VISA.to_vec();
        unknown.push(("metadata_paygate", "x"));
        let refused = call(&standin, Method::POST, "/v1/payment_intents", Some("v"), &unknown).await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.body["error"]["code"], "parameter_unknown");
        assert_eq!(refused.body["error"]["param"], "metadata_paygate");
        assert_eq!(refused.body["error"]["message"], "Received unknown parameter: metadata_paygate");
        let missing = call(&standin, Method::POST, "/v1/payment_intents", Some("v"), &VISA[1..]).await;
        assert_eq!((missing.status, missing.body["error"]["code"].as_str()), (400, Some("parameter_missing")));
        let accepted = call(&standin, Method::POST, "/v1/payment_intents", Some("v"), VISA).await;
        assert_eq!((accepted.status, accepted.replayed), (200, false));
    }

    #[tokio::test]
    async fn declines_answer_402_with_the_payment_intent_in_the_error() {
        let standin = StripeStandIn::start().await;
        let mut params = VISA.to_vec();
        params[2] = ("payment_method", "pm_card_chargeDeclinedInsufficientFunds");
        let declined = call(&standin, Method::POST, "/v1/payment_intents", Some("d"), &params).await;
        assert_eq!(declined.status, 402);
        let error = &declined.body["error"];
        assert_eq!(error["type"], "card_error");
        assert_eq!(error["code"], "card_declined");
        assert_eq!(error["decline_code"], "insufficient_funds");
        assert_eq!(error["message"], "Your card has insufficient funds.");
        assert!(error["charge"].as_str().is_some_and(|ch| ch.starts_with("ch_")));
        assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
        assert_eq!(error["payment_intent"]["last_payment_error"]["decline_code"], "insufficient_funds");
        assert_eq!(error["payment_method"]["id"], "pm_card_chargeDeclinedInsufficientFunds");
        let pi = error["payment_intent"]["id"].as_str().expect("id");
        let stored = call(&standin, Method::GET, &format!("/v1/payment_intents/{pi}"), None, &[]).await;
        assert_eq!(stored.body, error["payment_intent"]);
        assert_eq!(
            standin.events().iter().map(|e| e["type"].as_str()).collect::<Vec<_>>(),
            [Some("payment_intent.created"), Some("payment_intent.payment_failed")]
        );
    }

    #[tokio::test]
    async fn automatic_payment_methods_need_a_return_url_or_no_redirects() {
        let standin = StripeStandIn::start().await;
        let base = [("amount", "2000"), ("currency", "eur"), ("payment_method", "pm_card_visa"), ("confirm", "true")];
        let refused = call(&standin, Method::POST, "/v1/payment_intents", None, &base).await;
        assert_eq!(refused.status, 400);
        assert!(refused.body["error"]["message"].as_str().is_some_and(|m| m.contains("return_url")));
        let mut never = base.to_vec();
        never.extend([
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
        ]);
        let accepted = call(&standin, Method::POST, "/v1/payment_intents", None, &never).await;
        assert_eq!(accepted.status, 200);
        assert_eq!(accepted.body["automatic_payment_methods"], json!({"enabled": true, "allow_redirects": "never"}));
        let mut both = never.clone();
        both.push(("payment_method_types[]", "card"));
        assert_eq!(call(&standin, Method::POST, "/v1/payment_intents", None, &both).await.status, 400);
        let mut listed = base.to_vec();
        listed.push(("payment_method_types[]", "card"));
        assert_eq!(call(&standin, Method::POST, "/v1/payment_intents", None, &listed).await.status, 200);
    }

    #[tokio::test]
    async fn unknown_urls_ids_and_json_bodies_answer_as_stripe_does() {
        let standin = StripeStandIn::start().await;
        let unknown = call(&standin, Method::GET, "/v1/charges", None, &[]).await;
        assert_eq!(unknown.status, 404);
        assert!(
            unknown.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Unrecognized request URL (GET: /v1/charges)"))
        );
        let missing = call(&standin, Method::GET, "/v1/refunds/re_nope", None, &[]).await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body["error"]["code"], "resource_missing");
        assert_eq!(missing.body["error"]["message"], "No such refund: 're_nope'");

        let response = standin
            .shared
            .http
            .post(format!("{}/v1/payment_intents", standin.base_url()))
            .bearer_auth(standin.secret_key())
            .json(&json!({"amount": 2000, "currency": "usd"}))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("JSON");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Invalid request: unsupported Content-Type application/json")),
            "{body}"
        );
        assert!(standin.payment_intents().is_empty());
    }

    #[tokio::test]
    async fn lists_refunds_of_a_payment_intent_newest_first() {
        let standin = StripeStandIn::start().await;
        let pi = call(&standin, Method::POST, "/v1/payment_intents", None, VISA).await.body["id"]
            .as_str()
            .expect("id")
            .to_owned();
        for amount in ["500", "700"] {
            let refund =
                call(&standin, Method::POST, "/v1/refunds", None, &[("payment_intent", &pi), ("amount", amount)]).await;
            assert_eq!(refund.status, 200);
        }
        let list = call(&standin, Method::GET, &format!("/v1/refunds?payment_intent={pi}"), None, &[]).await;
        assert_eq!(list.body["object"], "list");
        let amounts: Vec<i64> =
            list.body["data"].as_array().expect("data").iter().filter_map(|r| r["amount"].as_i64()).collect();
        assert_eq!(amounts, [700, 500]);
        let over =
            call(&standin, Method::POST, "/v1/refunds", None, &[("payment_intent", &pi), ("amount", "801")]).await;
        assert_eq!(
            over.body["error"]["message"],
            "Refund amount ($8.01) is greater than unrefunded amount on charge ($8.00)"
        );
    }

    #[test]
    fn signatures_follow_stripes_scheme() {
        // An HMAC computed apart from the stand-in pins the header format;
        // the adapter's tests check these signatures with the real verifier.
        let header = stripe_signature("whsec_x", 1_700_000_000, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_x").expect("key");
        mac.update(b"1700000000.{}");
        assert_eq!(header, format!("t=1700000000,v1={}", hex::encode(mac.finalize().into_bytes())));
        let signed = SignedEvent::at("whsec_x", "refund.created", json!({"object": "refund"}), 1_700_000_000);
        let event: Value = serde_json::from_str(&signed.body).expect("JSON");
        assert_eq!(event["object"], "event");
        assert_eq!(event["created"], 1_700_000_000);
        assert_eq!(event["id"], signed.id.as_str());
        assert_eq!(signed.signature, stripe_signature("whsec_x", 1_700_000_000, &signed.body));
    }
}
