//! GoCardless: Direct Debit payments against mandates over the JSON API, and `Webhook-Signature` webhooks.
//!
//! Every call carries `GoCardless-Version: 2015-07-06` and the access token
//! as a bearer token; creations carry the gateway's idempotency key. A
//! payment is never settled by its creation answer: GoCardless submits it to
//! the bank days later, so a new payment is `Processing` and a webhook ends
//! it. The same holds for refunds (`settled: false`).
//!
//! Choices where GoCardless leaves room:
//!
//! - A retried creation answered with `409 idempotent_creation_conflict`
//!   fetches the resource the conflict names, as GoCardless's own client
//!   libraries do, and checks it carries this call's Paygate id (a key
//!   reused for another transaction or refund is refused, not returned).
//! - `total_amount_confirmation` is the payment's `amount_refunded`, read
//!   just before the creation, plus the new amount: GoCardless compares it
//!   with that same figure. The payment's refunds are listed first, so a
//!   refund whose first answer was lost is found by its `paygate_refund_id`
//!   instead of being counted twice; a `total_amount_confirmation_invalid`
//!   answer means another refund landed in between and is worth a retry.
//! - No `reference` is sent with a payment: its length and characters are
//!   limited per scheme, and the payment carries Paygate's ids in metadata.
//!
//! Webhooks (`parse_webhook`) carry only ids, so:
//!
//! - Charge events have `transaction_id: None`
//!   ([`super::Provider::charge_transaction_id`] reads it from the payment).
//! - Refund events have `amount: None` and `refund_id: None` whoever made the
//!   refund, and `charge_reference` is empty when the event does not link the
//!   payment: [`super::Provider::refund_details`] answers all three.
//! - A chargeback is a dispute whose `dispute_reference` is the payment id
//!   (GoCardless has no chargeback object, and the later
//!   `chargeback_cancelled` / `chargeback_settled` events name only the
//!   payment) and whose `amount` is 0: the event names none, and a Direct
//!   Debit chargeback takes back the whole payment. Its status is
//!   `under_review` when charged back, `won` when the chargeback is
//!   cancelled and `lost` once it is settled.
//! - Events of one delivery come back ordered by `created_at`.

use std::collections::HashMap;

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundDetails, RefundOutcome,
    RefundRequest,
    events::{ChargeEventStatus, EventKind, HookError, HookRequest, ProviderEvent, RefundEventStatus},
};
use crate::crypto::SecretString;

/// The API version every request names.
pub const API_VERSION: &str = "2015-07-06";

/// The header GoCardless signs webhooks in (lowercase, as `HookRequest`
/// holds header names).
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// Metadata keys Paygate stores on GoCardless resources.
const TRANSACTION_KEY: &str = "paygate_transaction_id";
const CHECKOUT_KEY: &str = "paygate_checkout_id";
const REFUND_KEY: &str = "paygate_refund_id";

/// Pages of a payment's refunds read at most (GoCardless caps refunds per
/// payment far below this).
const REFUND_PAGES: usize = 10;

type HmacSha256 = Hmac<Sha256>;

pub struct GoCardlessProvider {
    http: reqwest::Client,
    api_base: String,
    access_token: SecretString,
}

impl GoCardlessProvider {
    /// `api_base` is `https://api.gocardless.com` (live) or
    /// `https://api-sandbox.gocardless.com`; timeouts are the client's.
    pub fn new(http: reqwest::Client, api_base: &str, access_token: SecretString) -> Self {
        Self { http, api_base: api_base.trim_end_matches('/').to_owned(), access_token }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<&Value>,
    ) -> Result<T, Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .bearer_auth(self.access_token.expose())
            .header("GoCardless-Version", API_VERSION)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport_failure)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport_failure)?;
        if status.is_success() {
            // The resource may exist even though its answer is unreadable:
            // a retry with the same key finds it.
            return serde_json::from_slice(&bytes)
                .map_err(|err| Failure::Transient(format!("unreadable GoCardless answer ({status}): {err}")));
        }
        Err(Failure::Api(ApiError::parse(status, &bytes)))
    }

    async fn get_payment(&self, id: &str) -> Result<Payment, ProviderError> {
        let path = format!("/payments/{}", resource_id(id)?);
        Ok(self.call::<PaymentEnvelope>(Method::GET, &path, None, None).await?.payments)
    }

    async fn get_refund(&self, id: &str) -> Result<Refund, ProviderError> {
        let path = format!("/refunds/{}", resource_id(id)?);
        Ok(self.call::<RefundEnvelope>(Method::GET, &path, None, None).await?.refunds)
    }

    /// The refund of `payment_id` that carries `refund_id` in its metadata.
    async fn find_refund(&self, payment_id: &str, refund_id: &str) -> Result<Option<Refund>, ProviderError> {
        let mut after: Option<String> = None;
        for _ in 0..REFUND_PAGES {
            let mut path = format!("/refunds?payment={payment_id}&limit=500");
            if let Some(cursor) = &after {
                path.push_str("&after=");
                path.push_str(resource_id(cursor)?);
            }
            let page = self.call::<RefundList>(Method::GET, &path, None, None).await?;
            if let Some(found) =
                page.refunds.into_iter().find(|r| r.metadata.get(REFUND_KEY).and_then(Value::as_str) == Some(refund_id))
            {
                return Ok(Some(found));
            }
            match page.meta.and_then(|meta| meta.cursors.after) {
                Some(cursor) => after = Some(cursor),
                None => return Ok(None),
            }
        }
        Err(ProviderError::Transient(format!("payment {payment_id} lists more refunds than expected")))
    }
}

#[async_trait]
impl Provider for GoCardlessProvider {
    fn name(&self) -> &'static str {
        "gocardless"
    }

    /// The currencies GoCardless collects in.
    fn accepts_currency(&self, currency: &str) -> bool {
        ["GBP", "EUR", "SEK", "DKK", "AUD", "NZD", "CAD", "USD"].contains(&currency)
    }

    fn accepts(&self, method: &PaymentMethod) -> bool {
        matches!(method, PaymentMethod::Mandate { id } if is_mandate_id(id))
    }

    fn supports_manual_capture(&self) -> bool {
        false
    }

    async fn authorize(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let mandate = match &request.method {
            PaymentMethod::Mandate { id } if is_mandate_id(id) => id,
            _ => return Err(refused("payment_method_invalid", "GoCardless takes a Direct Debit mandate id (MD…)")),
        };
        if !request.capture {
            return Err(capture_unsupported());
        }
        let body = json!({
            "payments": {
                "amount": request.amount,
                "currency": request.currency.to_ascii_uppercase(),
                "description": format!("Order {}", request.order_reference),
                "metadata": {
                    TRANSACTION_KEY: request.transaction_id,
                    CHECKOUT_KEY: request.order_reference,
                },
                "links": {"mandate": mandate},
            }
        });
        let payment = match self
            .call::<PaymentEnvelope>(Method::POST, "/payments", Some(&request.idempotency_key), Some(&body))
            .await
        {
            Ok(envelope) => envelope.payments,
            Err(Failure::Api(err)) => match err.conflicting_resource_id() {
                Some(existing) => {
                    let payment = self.get_payment(existing).await?;
                    if payment.metadata_str(TRANSACTION_KEY) != Some(request.transaction_id.as_str()) {
                        return Err(key_reused(&request.idempotency_key));
                    }
                    payment
                }
                None => return Err(err.into_provider_error()),
            },
            Err(failure) => return Err(failure.into()),
        };
        Ok(ChargeOutcome { status: charge_status(&payment.status), reference: payment.id })
    }

    async fn capture(&self, _idempotency_key: &str, _reference: &str, _amount: i64) -> Result<(), ProviderError> {
        Err(capture_unsupported())
    }

    async fn cancel(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError> {
        let path = format!("/payments/{}/actions/cancel", resource_id(reference)?);
        let body = json!({"data": {}});
        match self.call::<PaymentEnvelope>(Method::POST, &path, Some(idempotency_key), Some(&body)).await {
            Ok(_) => Ok(()),
            // Cancelling twice is refused; an earlier attempt whose answer
            // was lost is still a success.
            Err(Failure::Api(err)) if err.has_reason("cancellation_failed") => {
                if self.get_payment(reference).await?.status == "cancelled" {
                    Ok(())
                } else {
                    Err(err.into_provider_error())
                }
            }
            Err(failure) => Err(failure.into()),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        let payment_id = resource_id(&request.reference)?;
        if request.amount <= 0 {
            return Err(refused("amount_invalid", "a refund amount must be a positive integer"));
        }
        if let Some(existing) = self.find_refund(payment_id, &request.refund_id).await? {
            return refund_outcome(existing);
        }
        let payment = self.get_payment(payment_id).await?;
        if !payment.currency.eq_ignore_ascii_case(&request.currency) {
            return Err(refused("currency_mismatch", "the refund's currency is not the payment's"));
        }
        let total = payment.amount_refunded + request.amount;
        if total > payment.amount {
            return Err(refused("amount_too_large", "refunds may not exceed the amount paid"));
        }
        let body = json!({
            "refunds": {
                "amount": request.amount,
                "total_amount_confirmation": total,
                "links": {"payment": payment_id},
                "metadata": {REFUND_KEY: request.refund_id},
            }
        });
        match self.call::<RefundEnvelope>(Method::POST, "/refunds", Some(&request.idempotency_key), Some(&body)).await {
            Ok(envelope) => refund_outcome(envelope.refunds),
            Err(Failure::Api(err)) => {
                if let Some(existing) = err.conflicting_resource_id() {
                    let refund = self.get_refund(existing).await?;
                    if refund.metadata.get(REFUND_KEY).and_then(Value::as_str) != Some(request.refund_id.as_str()) {
                        return Err(key_reused(&request.idempotency_key));
                    }
                    return refund_outcome(refund);
                }
                if err.has_reason("total_amount_confirmation_invalid") {
                    return Err(ProviderError::Transient(
                        "another refund of the payment landed meanwhile; its total is read again".into(),
                    ));
                }
                Err(err.into_provider_error())
            }
            Err(failure) => Err(failure.into()),
        }
    }

    async fn refund_details(&self, refund_reference: &str) -> Result<RefundDetails, ProviderError> {
        let refund = self.get_refund(refund_reference).await?;
        let charge_reference =
            refund.links.payment.ok_or_else(|| refused("refund_without_payment", "the refund links no payment"))?;
        Ok(RefundDetails {
            charge_reference,
            amount: refund.amount,
            refund_id: refund.metadata.get(REFUND_KEY).and_then(Value::as_str).map(str::to_owned),
        })
    }

    async fn charge_transaction_id(&self, reference: &str) -> Result<Option<String>, ProviderError> {
        Ok(self.get_payment(reference).await?.metadata_str(TRANSACTION_KEY).map(str::to_owned))
    }

    async fn retrieve_charge(&self, reference: &str) -> Result<Option<ChargeStatus>, ProviderError> {
        Ok(Some(charge_status(&self.get_payment(reference).await?.status)))
    }
}

/// `MD` and GoCardless's upper-case alphanumerics.
fn is_mandate_id(id: &str) -> bool {
    id.len() > 2
        && id.len() <= 64
        && id.starts_with("MD")
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An id that goes into a URL path: GoCardless ids are alphanumeric, so
/// anything else is refused before it can reach another path.
fn resource_id(id: &str) -> Result<&str, ProviderError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(refused("resource_missing", "not a GoCardless id"))
    }
}

fn charge_status(status: &str) -> ChargeStatus {
    match status {
        // A chargeback comes later as a dispute; the payment itself was
        // collected.
        "confirmed" | "paid_out" | "charged_back" => ChargeStatus::Succeeded,
        "failed" => failed_charge("payment_failed", "the payment failed at the payer's bank"),
        "cancelled" => failed_charge("payment_cancelled", "the payment was cancelled"),
        "customer_approval_denied" => {
            failed_charge("customer_approval_denied", "the payer did not approve the payment")
        }
        // pending_customer_approval, pending_submission, submitted, and any
        // status GoCardless adds later: a webhook settles it.
        _ => ChargeStatus::Processing,
    }
}

fn failed_charge(code: &str, message: &str) -> ChargeStatus {
    ChargeStatus::Failed { code: code.to_owned(), message: message.to_owned() }
}

fn refund_outcome(refund: Refund) -> Result<RefundOutcome, ProviderError> {
    match refund.status.as_str() {
        "paid" => Ok(RefundOutcome { reference: refund.id, settled: true }),
        "cancelled" | "bounced" | "funds_returned" | "failed" => {
            Err(refused(&format!("refund_{}", refund.status), "GoCardless did not pay the refund"))
        }
        _ => Ok(RefundOutcome { reference: refund.id, settled: false }),
    }
}

fn refused(code: &str, message: &str) -> ProviderError {
    ProviderError::Refused { code: code.to_owned(), message: message.to_owned() }
}

fn capture_unsupported() -> ProviderError {
    refused("capture_unsupported", "GoCardless collects Direct Debit payments itself: there is nothing to capture")
}

fn key_reused(key: &str) -> ProviderError {
    refused("idempotency_key_reused", &format!("idempotency key {key} already created another GoCardless resource"))
}

/// Why a call did not give the resource.
enum Failure {
    /// No usable answer: worth retrying with the same key.
    Transient(String),
    /// GoCardless answered with an error object.
    Api(ApiError),
}

impl From<Failure> for ProviderError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Transient(message) => ProviderError::Transient(message),
            Failure::Api(err) => err.into_provider_error(),
        }
    }
}

fn transport_failure(err: reqwest::Error) -> Failure {
    let what = if err.is_timeout() {
        "GoCardless did not answer in time"
    } else if err.is_connect() {
        "could not connect to GoCardless"
    } else {
        "the request to GoCardless failed"
    };
    Failure::Transient(format!("{what}: {}", err.without_url()))
}

/// `{"error": {...}}` as GoCardless documents it.
#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorDetail>,
}

/// One entry of `errors`: a `reason` for most types, a `field` for
/// `validation_failed`.
#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    links: HashMap<String, Value>,
}

#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn parse(status: StatusCode, bytes: &[u8]) -> Self {
        let body = serde_json::from_slice::<ErrorEnvelope>(bytes).map(|envelope| envelope.error).unwrap_or_default();
        Self { status, body }
    }

    fn has_reason(&self, reason: &str) -> bool {
        self.body.errors.iter().any(|e| e.reason.as_deref() == Some(reason))
    }

    fn conflicting_resource_id(&self) -> Option<&str> {
        self.body
            .errors
            .iter()
            .find(|e| e.reason.as_deref() == Some("idempotent_creation_conflict"))
            .and_then(|e| e.links.get("conflicting_resource_id"))
            .and_then(Value::as_str)
    }

    /// The error's words for a person: GoCardless's message, each entry's
    /// field and message, and the request id its support asks for.
    fn describe(&self) -> String {
        let mut text = if self.body.message.is_empty() {
            format!("GoCardless answered {}", self.status)
        } else {
            self.body.message.clone()
        };
        let details: Vec<String> = self
            .body
            .errors
            .iter()
            .filter_map(|e| match (&e.field, &e.message) {
                (Some(field), Some(message)) => Some(format!("{field} {message}")),
                (None, Some(message)) if *message != self.body.message => Some(message.clone()),
                _ => None,
            })
            .collect();
        if !details.is_empty() {
            text = format!("{text}: {}", details.join("; "));
        }
        if let Some(id) = &self.body.request_id {
            text = format!("{text} (request {id})");
        }
        text
    }

    fn into_provider_error(self) -> ProviderError {
        let message = self.describe();
        if self.status == StatusCode::TOO_MANY_REQUESTS || self.status.is_server_error() {
            return ProviderError::Transient(message);
        }
        if self.status == StatusCode::UNAUTHORIZED || self.status == StatusCode::FORBIDDEN {
            return ProviderError::Refused { code: "provider_authentication".into(), message };
        }
        let code = if self.body.kind == "validation_failed" {
            let currency = self.body.errors.iter().any(|e| e.field.as_deref() == Some("currency"));
            if currency { "currency_unsupported".to_owned() } else { "validation_failed".to_owned() }
        } else {
            self.body
                .errors
                .iter()
                .find_map(|e| e.reason.as_deref().and_then(clean_code))
                .or_else(|| clean_code(&self.body.kind))
                .unwrap_or_else(|| format!("http_{}", self.status.as_u16()))
        };
        ProviderError::Refused { code, message }
    }
}

/// A provider code as it may be stored and shown: short snake case.
fn clean_code(code: &str) -> Option<String> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| code.to_owned())
}

#[derive(Debug, Deserialize)]
struct PaymentEnvelope {
    payments: Payment,
}

#[derive(Debug, Deserialize)]
struct Payment {
    id: String,
    amount: i64,
    currency: String,
    status: String,
    #[serde(default)]
    amount_refunded: i64,
    #[serde(default)]
    metadata: HashMap<String, Value>,
}

impl Payment {
    fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

#[derive(Debug, Deserialize)]
struct RefundEnvelope {
    refunds: Refund,
}

#[derive(Debug, Deserialize)]
struct RefundList {
    refunds: Vec<Refund>,
    #[serde(default)]
    meta: Option<ListMeta>,
}

#[derive(Debug, Deserialize)]
struct ListMeta {
    cursors: Cursors,
}

#[derive(Debug, Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
    amount: i64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    metadata: HashMap<String, Value>,
    #[serde(default)]
    links: RefundLinks,
}

#[derive(Debug, Default, Deserialize)]
struct RefundLinks {
    #[serde(default)]
    payment: Option<String>,
}

/// Checks `Webhook-Signature`: the lowercase hex HMAC-SHA256 of the raw
/// body, keyed with the webhook endpoint's secret. Compared in constant
/// time.
pub fn verify_signature(secret: &str, header: &str, body: &[u8]) -> Result<(), HookError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(HookError::Signature("empty Webhook-Signature"));
    }
    // An empty key would let anyone sign.
    if secret.is_empty() {
        return Err(HookError::Signature("no webhook secret configured"));
    }
    let signature = hex::decode(header).map_err(|_| HookError::Signature("Webhook-Signature is not hex"))?;
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| HookError::Signature("Webhook-Signature does not match"))
}

/// Verifies a GoCardless webhook and turns its `events` into the gateway's
/// terms. Nothing is read from an unverified body.
pub fn parse_webhook(secret: &str, request: HookRequest<'_>) -> Result<Vec<ProviderEvent>, HookError> {
    let header = request.header(SIGNATURE_HEADER).ok_or(HookError::Signature("no Webhook-Signature header"))?;
    verify_signature(secret, header, request.body)?;
    let body: WebhookBody = serde_json::from_slice(request.body).map_err(|err| HookError::Body(err.to_string()))?;
    let mut events = body.events.into_iter().map(provider_event).collect::<Result<Vec<_>, _>>()?;
    // GoCardless batches without ordering guarantees; applying in the order
    // things happened keeps a late "submitted" from following "confirmed"
    // within one delivery.
    events.sort_by_key(|event| event.occurred_at);
    Ok(events)
}

#[derive(Debug, Deserialize)]
struct WebhookBody {
    events: Vec<RawEvent>,
}

#[derive(Debug, Deserialize)]
struct RawEvent {
    id: String,
    created_at: String,
    resource_type: String,
    action: String,
    #[serde(default)]
    links: HashMap<String, Value>,
    #[serde(default)]
    details: Option<EventDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct EventDetails {
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    reason_code: Option<String>,
}

impl RawEvent {
    fn link(&self, name: &str) -> Option<&str> {
        self.links.get(name).and_then(Value::as_str).filter(|id| !id.is_empty())
    }

    fn required_link(&self, name: &str) -> Result<String, HookError> {
        self.link(name)
            .map(str::to_owned)
            .ok_or_else(|| HookError::Body(format!("event {} ({}) links no {name}", self.id, self.event_type())))
    }

    fn event_type(&self) -> String {
        format!("{}.{}", self.resource_type, self.action)
    }

    fn cause(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.cause.as_deref())
    }

    /// The bank's words: the description, with the scheme's reason code.
    fn description(&self) -> String {
        let details = self.details.as_ref();
        let description = details.and_then(|d| d.description.clone()).unwrap_or_default();
        match details.and_then(|d| d.reason_code.as_deref()) {
            Some(code) if !code.is_empty() => format!("{description} (reason code {code})").trim().to_owned(),
            _ => description,
        }
    }
}

fn provider_event(raw: RawEvent) -> Result<ProviderEvent, HookError> {
    if raw.id.len() <= 2 || !raw.id.starts_with("EV") {
        return Err(HookError::Body(format!("event id {:?} is not a GoCardless event id", raw.id)));
    }
    let occurred_at = chrono::DateTime::parse_from_rfc3339(&raw.created_at)
        .map_err(|_| HookError::Body(format!("event {} has no RFC 3339 created_at", raw.id)))?
        .timestamp_micros();
    let kind = match raw.resource_type.as_str() {
        "payments" => payment_event(&raw)?,
        "refunds" => refund_event(&raw)?,
        _ => EventKind::Ignored,
    };
    Ok(ProviderEvent { event_type: raw.event_type(), id: raw.id, occurred_at, kind })
}

fn payment_event(raw: &RawEvent) -> Result<EventKind, HookError> {
    let status = match raw.action.as_str() {
        "created" | "customer_approval_granted" | "submitted" | "resubmission_requested" => {
            ChargeEventStatus::Processing
        }
        "confirmed" | "paid_out" => ChargeEventStatus::Succeeded { amount_captured: None },
        "failed" | "customer_approval_denied" => ChargeEventStatus::Failed {
            code: raw.cause().and_then(clean_code).unwrap_or_else(|| format!("payment_{}", raw.action)),
            message: raw.description(),
        },
        "cancelled" => ChargeEventStatus::Canceled,
        "charged_back" | "chargeback_cancelled" | "chargeback_settled" => {
            let payment = raw.required_link("payment")?;
            let status = match raw.action.as_str() {
                "charged_back" => "under_review",
                "chargeback_cancelled" => "won",
                _ => "lost",
            };
            return Ok(EventKind::Dispute {
                charge_reference: payment.clone(),
                dispute_reference: payment,
                amount: 0,
                reason: raw.cause().unwrap_or("chargeback").to_owned(),
                status: status.to_owned(),
            });
        }
        // late_failure_settled and chargeback-style bookkeeping follow an
        // event that already moved the payment; the rest is not Paygate's.
        _ => return Ok(EventKind::Ignored),
    };
    Ok(EventKind::Charge { reference: raw.required_link("payment")?, transaction_id: None, status })
}

fn refund_event(raw: &RawEvent) -> Result<EventKind, HookError> {
    let status = match raw.action.as_str() {
        "created" => RefundEventStatus::Pending,
        "paid" | "refund_settled" => RefundEventStatus::Succeeded,
        // funds_returned and bounced: the money came back to the merchant.
        "failed" | "funds_returned" | "bounced" => RefundEventStatus::Failed,
        _ => return Ok(EventKind::Ignored),
    };
    Ok(EventKind::Refund {
        charge_reference: raw.link("payment").unwrap_or_default().to_owned(),
        refund_reference: raw.required_link("refund")?,
        refund_id: None,
        amount: None,
        status,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// gocardless-pro-ruby's `spec/webhook_spec.rb`: its request body, its
    /// endpoint secret and the signature it expects.
    const VECTOR_SECRET: &str = "ED7D658C-D8EB-4941-948B-3973214F2D49";
    const VECTOR_SIGNATURE: &str = "2693754819d3e32d7e8fcb13c729631f316c6de8dc1cf634d6527f1c07276e7e";
    const VECTOR_BODY: &str = concat!(
        r#"{"events":[{"id":"EV00BD05S5VM2T","created_at":"2018-07-05T09:13:51.404Z","resou"#,
        r#"rce_type":"subscriptions","action":"created","links":{"subscription":"SB0003JJQ2"#,
        r#"MR06"},"details":{"origin":"api","cause":"subscription_created","description":"S"#,
        r#"ubscription created via the API."},"metadata":{}},{"id":"EV00BD05TB8K63","create"#,
        r#"d_at":"2018-07-05T09:13:56.893Z","resource_type":"mandates","action":"created",""#,
        r#"links":{"mandate":"MD000AMA19XGEC"},"details":{"origin":"api","cause":"mandate_c"#,
        r#"reated","description":"Mandate created via the API."},"metadata":{}}]}"#,
    );
    const SECRET: &str = "whsec_paygate_test";

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn parse_signed(body: &str) -> Result<Vec<ProviderEvent>, HookError> {
        let headers = vec![(SIGNATURE_HEADER.to_owned(), sign(SECRET, body.as_bytes()))];
        parse_webhook(SECRET, HookRequest { headers: &headers, body: body.as_bytes() })
    }

    fn event(id: &str, at: &str, resource_type: &str, action: &str, links: Value, details: Value) -> Value {
        json!({"id": id, "created_at": at, "resource_type": resource_type, "action": action,
               "links": links, "details": details, "metadata": {}})
    }

    /// The single event of a body holding `event`.
    fn kind_of(event: Value) -> EventKind {
        let body = json!({"events": [event]}).to_string();
        let mut events = parse_signed(&body).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0).kind
    }

    fn payment_event(action: &str, details: Value) -> EventKind {
        kind_of(event("EV0001", "2026-03-01T10:00:00.000Z", "payments", action, json!({"payment": "PM0001"}), details))
    }

    fn refund_event(action: &str, links: Value) -> EventKind {
        kind_of(event("EV0002", "2026-03-01T10:00:00.000Z", "refunds", action, links, json!({"cause": "x"})))
    }

    fn charge(status: ChargeEventStatus) -> EventKind {
        EventKind::Charge { reference: "PM0001".into(), transaction_id: None, status }
    }

    #[test]
    fn the_published_vector_verifies_and_parses() {
        assert_eq!(VECTOR_BODY.len(), 550);
        assert_eq!(sign(VECTOR_SECRET, VECTOR_BODY.as_bytes()), VECTOR_SIGNATURE);
        verify_signature(VECTOR_SECRET, VECTOR_SIGNATURE, VECTOR_BODY.as_bytes()).unwrap();
        let headers = vec![(SIGNATURE_HEADER.to_owned(), VECTOR_SIGNATURE.to_owned())];
        let events =
            parse_webhook(VECTOR_SECRET, HookRequest { headers: &headers, body: VECTOR_BODY.as_bytes() }).unwrap();
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["EV00BD05S5VM2T", "EV00BD05TB8K63"]);
        assert_eq!(events[0].event_type, "subscriptions.created");
        assert_eq!(events[0].occurred_at, 1_530_782_031_404_000);
        assert!(events.iter().all(|e| e.kind == EventKind::Ignored));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let err = verify_signature("foo", VECTOR_SIGNATURE, VECTOR_BODY.as_bytes()).unwrap_err();
        assert!(matches!(err, HookError::Signature(_)));
        let headers = vec![(SIGNATURE_HEADER.to_owned(), VECTOR_SIGNATURE.to_owned())];
        let err = parse_webhook("foo", HookRequest { headers: &headers, body: VECTOR_BODY.as_bytes() }).unwrap_err();
        assert!(matches!(err, HookError::Signature(_)));
    }

    #[test]
    fn a_changed_body_is_refused() {
        let mut body = VECTOR_BODY.as_bytes().to_vec();
        body[20] ^= 1;
        assert!(matches!(verify_signature(VECTOR_SECRET, VECTOR_SIGNATURE, &body), Err(HookError::Signature(_))));
    }

    #[test]
    fn empty_odd_truncated_and_missing_signatures_are_refused() {
        let body = VECTOR_BODY.as_bytes();
        for header in ["", "   ", &VECTOR_SIGNATURE[..63], &VECTOR_SIGNATURE[..62], &VECTOR_SIGNATURE[..2], "zz"] {
            let err = verify_signature(VECTOR_SECRET, header, body).unwrap_err();
            assert!(matches!(err, HookError::Signature(_)), "{header:?} gave {err:?}");
        }
        let longer = format!("{VECTOR_SIGNATURE}00");
        assert!(verify_signature(VECTOR_SECRET, &longer, body).is_err());
        assert!(verify_signature("", &sign("", body), body).is_err());
        let err = parse_webhook(VECTOR_SECRET, HookRequest { headers: &[], body }).unwrap_err();
        assert!(matches!(err, HookError::Signature(_)));
    }

    #[test]
    fn the_signature_header_may_be_upper_case_hex() {
        verify_signature(VECTOR_SECRET, &VECTOR_SIGNATURE.to_ascii_uppercase(), VECTOR_BODY.as_bytes()).unwrap();
    }

    #[test]
    fn several_events_come_back_in_the_order_they_happened() {
        let body = json!({"events": [
            event("EV003", "2026-03-01T10:00:03.000Z", "payments", "confirmed", json!({"payment": "PM0001"}), json!({})),
            event("EV001", "2026-03-01T10:00:01.000Z", "payments", "created", json!({"payment": "PM0001"}), json!({})),
            event("EV002", "2026-03-01T10:00:02.000+00:00", "payments", "submitted", json!({"payment": "PM0001"}), json!({})),
            event("EV004", "2026-03-01T10:00:00.500Z", "mandates", "active", json!({"mandate": "MD0001"}), json!({})),
        ]})
        .to_string();
        let events = parse_signed(&body).unwrap();
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["EV004", "EV001", "EV002", "EV003"]);
        assert_eq!(events[3].event_type, "payments.confirmed");
        assert_eq!(events[3].kind, charge(ChargeEventStatus::Succeeded { amount_captured: None }));
        assert_eq!(events[1].kind, charge(ChargeEventStatus::Processing));
        assert_eq!(events[0].kind, EventKind::Ignored);
    }

    #[test]
    fn payment_actions_map_to_charge_states() {
        for action in ["created", "customer_approval_granted", "submitted", "resubmission_requested"] {
            assert_eq!(payment_event(action, json!({})), charge(ChargeEventStatus::Processing), "{action}");
        }
        for action in ["confirmed", "paid_out"] {
            let succeeded = charge(ChargeEventStatus::Succeeded { amount_captured: None });
            assert_eq!(payment_event(action, json!({})), succeeded, "{action}");
        }
        assert_eq!(
            payment_event("cancelled", json!({"cause": "payment_cancelled"})),
            charge(ChargeEventStatus::Canceled)
        );
        for action in ["late_failure_settled", "surcharge_fee_debited"] {
            assert_eq!(payment_event(action, json!({})), EventKind::Ignored, "{action}");
        }
    }

    #[test]
    fn a_failed_payment_carries_the_cause_and_the_bank_reason() {
        let details = json!({"origin": "bank", "cause": "insufficient_funds",
                             "description": "The customer's account had insufficient funds.", "reason_code": "ARUDD-0"});
        let expected = charge(ChargeEventStatus::Failed {
            code: "insufficient_funds".into(),
            message: "The customer's account had insufficient funds. (reason code ARUDD-0)".into(),
        });
        assert_eq!(payment_event("failed", details), expected);
        let denied = payment_event("customer_approval_denied", json!({"description": "Denied."}));
        let expected = charge(ChargeEventStatus::Failed {
            code: "payment_customer_approval_denied".into(),
            message: "Denied.".into(),
        });
        assert_eq!(denied, expected);
    }

    #[test]
    fn chargebacks_are_disputes_keyed_by_the_payment() {
        let dispute = |status: &str, reason: &str| EventKind::Dispute {
            charge_reference: "PM0001".into(),
            dispute_reference: "PM0001".into(),
            amount: 0,
            reason: reason.into(),
            status: status.into(),
        };
        let details = json!({"cause": "authorisation_disputed", "description": "The customer disputed."});
        assert_eq!(payment_event("charged_back", details), dispute("under_review", "authorisation_disputed"));
        assert_eq!(payment_event("chargeback_cancelled", json!({})), dispute("won", "chargeback"));
        assert_eq!(
            payment_event("chargeback_settled", json!({"cause": "chargeback_settled"})),
            dispute("lost", "chargeback_settled")
        );
    }

    #[test]
    fn refund_actions_map_to_refund_states() {
        let cases = [
            ("created", RefundEventStatus::Pending),
            ("paid", RefundEventStatus::Succeeded),
            ("refund_settled", RefundEventStatus::Succeeded),
            ("failed", RefundEventStatus::Failed),
            ("funds_returned", RefundEventStatus::Failed),
            ("bounced", RefundEventStatus::Failed),
        ];
        for (action, status) in cases {
            let expected = EventKind::Refund {
                charge_reference: "PM0001".into(),
                refund_reference: "RF0001".into(),
                refund_id: None,
                amount: None,
                status,
            };
            assert_eq!(refund_event(action, json!({"refund": "RF0001", "payment": "PM0001"})), expected, "{action}");
        }
        assert_eq!(refund_event("something_new", json!({"refund": "RF0001"})), EventKind::Ignored);
    }

    #[test]
    fn a_refund_event_without_its_payment_has_an_empty_charge_reference() {
        let expected = EventKind::Refund {
            charge_reference: String::new(),
            refund_reference: "RF0001".into(),
            refund_id: None,
            amount: None,
            status: RefundEventStatus::Succeeded,
        };
        assert_eq!(refund_event("paid", json!({"refund": "RF0001", "mandate": "MD0001"})), expected);
    }

    #[test]
    fn other_resources_are_ignored() {
        for (resource, links) in [
            ("mandates", json!({"mandate": "MD0001"})),
            ("payouts", json!({"payout": "PO0001"})),
            ("subscriptions", json!({"subscription": "SB0001"})),
            ("billing_requests", json!({})),
        ] {
            let kind = kind_of(event("EV0009", "2026-03-01T10:00:00Z", resource, "created", links, json!({})));
            assert_eq!(kind, EventKind::Ignored, "{resource}");
        }
    }

    #[test]
    fn signed_but_malformed_bodies_are_body_errors() {
        let ok_event =
            event("EV0001", "2026-03-01T10:00:00Z", "payments", "confirmed", json!({"payment": "PM1"}), json!({}));
        let mut no_payment = ok_event.clone();
        no_payment["links"] = json!({});
        let mut refund_without_refund = ok_event.clone();
        refund_without_refund["resource_type"] = json!("refunds");
        refund_without_refund["action"] = json!("paid");
        let mut bad_time = ok_event.clone();
        bad_time["created_at"] = json!("yesterday");
        let mut bad_id = ok_event.clone();
        bad_id["id"] = json!("evt_1");
        let mut no_action = ok_event.clone();
        no_action.as_object_mut().unwrap().remove("action");
        let bodies = [
            "not json".to_owned(),
            "{}".to_owned(),
            json!({"events": {}}).to_string(),
            json!({"events": [no_payment]}).to_string(),
            json!({"events": [ok_event, refund_without_refund]}).to_string(),
            json!({"events": [bad_time]}).to_string(),
            json!({"events": [bad_id]}).to_string(),
            json!({"events": [no_action]}).to_string(),
        ];
        for body in bodies {
            let err = parse_signed(&body).unwrap_err();
            assert!(matches!(err, HookError::Body(_)), "{body} gave {err:?}");
        }
        assert_eq!(parse_signed(&json!({"events": []}).to_string()).unwrap(), vec![]);
    }

    #[test]
    fn mandate_ids_are_recognised() {
        let provider =
            GoCardlessProvider::new(reqwest::Client::new(), "http://127.0.0.1:9", SecretString::new("t".into()));
        let mandate = |id: &str| PaymentMethod::Mandate { id: id.into() };
        assert!(provider.accepts(&mandate("MD000AMA19XGEC")));
        assert!(provider.accepts(&mandate("MD0001")));
        for id in ["", "MD", "md000AMA19XGEC", "PM000AMA19XGEC", "MD000/../x", "MD 1", "MD000ama"] {
            assert!(!provider.accepts(&mandate(id)), "{id:?}");
        }
        assert!(!provider.accepts(&PaymentMethod::Card { token: "MD0001".into() }));
        assert!(!provider.supports_manual_capture());
        assert_eq!(provider.name(), "gocardless");
    }
}
