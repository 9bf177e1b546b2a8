//! Stripe: PaymentIntents over the form-encoded HTTP API, and `Stripe-Signature` webhooks.
//!
//! Every call pins [`STRIPE_API_VERSION`] so the shapes read here do not move
//! when the account's default version is upgraded, and every write carries
//! the gateway's idempotency key as `Idempotency-Key`: Stripe replays the
//! first answer for a repeated key, which is what lets a charge be retried
//! after a timeout without charging twice.
//!
//! Saved cards (subscriptions): a charge that is to be reused later makes a
//! Customer (key `{charge key}-customer`) and confirms its PaymentIntent
//! with `customer` and `setup_future_usage=off_session`; a trial saves the
//! card with a SetupIntent (`usage=off_session`) instead, whose `seti_…`
//! id is then the charge's reference (retrieved, canceled and settled by
//! `setup_intent.*` webhooks like a PaymentIntent). What is saved is the
//! PaymentMethod Stripe answers with plus the Customer; renewals confirm a
//! PaymentIntent with both and `off_session=true`.

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::Sha256;

use super::{
    ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundDetails, RefundOutcome,
    RefundRequest,
    events::{ChargeEventStatus, EventKind, HookError, HookRequest, ProviderEvent, RefundEventStatus},
};
use crate::crypto::SecretString;

/// The API version every request is made with (`Stripe-Version`).
pub const STRIPE_API_VERSION: &str = "2024-06-20";

/// Where Stripe's API lives; a provider record may point elsewhere.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// Stripe refuses signatures whose timestamp is further than this from now
/// (its libraries' default tolerance), which bounds replays of a captured
/// webhook.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// The header Stripe signs webhooks with, lowercase as [`HookRequest`] holds
/// headers.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Decline reasons precise enough to tell the payer; any other decline
/// (`generic_decline`, `do_not_honor`, and `fraudulent`, which Stripe asks
/// never to reveal) is reported by its error code, usually `card_declined`.
const SPECIFIC_DECLINES: &[&str] = &[
    "insufficient_funds",
    "expired_card",
    "incorrect_cvc",
    "invalid_cvc",
    "incorrect_number",
    "invalid_number",
    "incorrect_zip",
    "invalid_expiry_month",
    "invalid_expiry_year",
    "lost_card",
    "stolen_card",
    "processing_error",
    "card_velocity_exceeded",
    "withdrawal_count_limit_exceeded",
    "card_not_supported",
    "currency_not_supported",
    "authentication_required",
];

type HmacSha256 = Hmac<Sha256>;

pub struct StripeProvider {
    http: reqwest::Client,
    api_base: String,
    secret_key: SecretString,
}

/// Stripe's error object (`{"error": {…}}`), the parts the mapping reads.
#[derive(Debug, Default)]
struct ApiError {
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
    /// The PaymentIntent or SetupIntent a card error happened on.
    intent: Option<String>,
}

impl ApiError {
    fn parse(body: &str) -> Self {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return Self::default();
        };
        let error = &value["error"];
        let text = |field: &str| error.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        Self {
            kind: text("type"),
            code: text("code"),
            decline_code: text("decline_code"),
            message: text("message"),
            intent: ["payment_intent", "setup_intent"]
                .iter()
                .find_map(|name| error.get(*name).and_then(|intent| intent.get("id")).and_then(Value::as_str))
                .map(str::to_owned),
        }
    }
}

/// Why a call did not come back with a 2xx.
enum Failure {
    /// No answer: connection refused or reset, timeout, unreadable body.
    Transport(String),
    Status {
        status: StatusCode,
        error: ApiError,
    },
}

fn refused(code: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::Refused { code: code.to_owned(), message: message.into() }
}

/// The code the gateway reports for a failed payment.
fn failure_code(code: Option<&str>, decline_code: Option<&str>) -> String {
    match decline_code {
        Some(reason) if SPECIFIC_DECLINES.contains(&reason) => reason.to_owned(),
        _ => code.unwrap_or("card_declined").to_owned(),
    }
}

/// Stripe ids are `prefix_` plus letters and digits. Anything else is not
/// put into a URL path, where `/` or `?` would reach another endpoint.
fn is_stripe_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

fn str_field<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

fn metadata<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata").and_then(|m| m.get(key)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether a Stripe object is a SetupIntent (a card saved without a
/// charge) rather than a PaymentIntent.
fn is_setup_intent(intent: &Value) -> bool {
    str_field(intent, "object") == Some("setup_intent")
}

/// A PaymentIntent's (or SetupIntent's) state, in the gateway's terms.
fn charge_status(intent: &Value) -> Result<ChargeStatus, ProviderError> {
    let status = str_field(intent, "status").unwrap_or_default();
    let setup = is_setup_intent(intent);
    Ok(match status {
        "succeeded" => ChargeStatus::Succeeded,
        "requires_capture" if !setup => ChargeStatus::RequiresCapture,
        "processing" => ChargeStatus::Processing,
        "requires_action" => {
            ChargeStatus::RequiresAction { next_action: intent.get("next_action").cloned().unwrap_or(Value::Null) }
        }
        // Back to requires_payment_method means the attempt failed (a
        // decline, a failed authentication); last_payment_error (a
        // SetupIntent's last_setup_error) says why.
        "requires_payment_method" | "canceled" => {
            let field = if setup { "last_setup_error" } else { "last_payment_error" };
            let error = intent.get(field).filter(|e| e.is_object());
            let field = |name: &str| error.and_then(|e| str_field(e, name));
            let code = match (error, status) {
                (None, "canceled") => "canceled".to_owned(),
                _ => failure_code(field("code"), field("decline_code")),
            };
            let message = field("message").map(str::to_owned).unwrap_or_else(|| match (status, setup) {
                ("canceled", false) => "The payment was canceled.".to_owned(),
                ("canceled", true) => "Saving the card was canceled.".to_owned(),
                (_, false) => "The payment was declined.".to_owned(),
                (_, true) => "The card could not be saved.".to_owned(),
            });
            ChargeStatus::Failed { code, message }
        }
        other => {
            let object = if setup { "SetupIntent" } else { "PaymentIntent" };
            return Err(refused(
                "unexpected_status",
                format!("Stripe answered a confirmed {object} with status {other:?}"),
            ));
        }
    })
}

impl StripeProvider {
    /// `http` carries the timeouts; `api_base` is `https://api.stripe.com`
    /// or a stand-in's address.
    pub fn new(http: reqwest::Client, api_base: &str, secret_key: SecretString) -> Self {
        Self { http, api_base: api_base.trim_end_matches('/').to_owned(), secret_key }
    }

    /// Stripe's own messages may quote what was sent; the key never leaves
    /// in an error.
    fn scrub(&self, message: &str) -> String {
        let key = self.secret_key.expose();
        if key.is_empty() { message.to_owned() } else { message.replace(key, "sk_***") }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        idempotency_key: Option<&str>,
        form: &[(&str, String)],
    ) -> Result<Value, Failure> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.api_base))
            .bearer_auth(self.secret_key.expose())
            .header("Stripe-Version", STRIPE_API_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if method == Method::POST {
            request = request.form(form);
        }
        // reqwest's errors name the URL, never the headers, so the key
        // cannot leak through them; scrub anyway in case a base URL held it.
        let response = request.send().await.map_err(|err| Failure::Transport(self.scrub(&err.to_string())))?;
        let status = response.status();
        let body = response.text().await.map_err(|err| Failure::Transport(self.scrub(&err.to_string())))?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|err| {
                Failure::Transport(format!("Stripe answered {status} with a body that is not JSON: {err}"))
            });
        }
        Err(Failure::Status { status, error: ApiError::parse(&body) })
    }

    fn error(&self, failure: Failure) -> ProviderError {
        let (status, error) = match failure {
            Failure::Transport(message) => return ProviderError::Transient(message),
            Failure::Status { status, error } => (status, error),
        };
        let message = self.scrub(error.message.as_deref().unwrap_or_default());
        // 409 is another request with the same key still running: the same
        // key later gets that request's answer.
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::CONFLICT {
            return ProviderError::Transient(format!("Stripe answered {status}: {message}"));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            // Stripe's message quotes part of the key; ours does not.
            return refused("provider_authentication", format!("Stripe refused the API key ({status})"));
        }
        let code = error.code.or(error.kind).unwrap_or_else(|| format!("http_{}", status.as_u16()));
        let message = if message.is_empty() { format!("Stripe answered {status}") } else { message };
        ProviderError::Refused { code, message }
    }

    /// The path of a charge's intent: a PaymentIntent (`pi_…`), or the
    /// SetupIntent (`seti_…`) that saved a trial's card.
    fn intent_path(reference: &str, action: &str) -> Result<String, ProviderError> {
        if is_stripe_id(reference, "pi_") {
            return Ok(format!("/v1/payment_intents/{reference}{action}"));
        }
        if is_stripe_id(reference, "seti_") {
            return Ok(format!("/v1/setup_intents/{reference}{action}"));
        }
        Err(refused("resource_missing", format!("{reference:?} is not a Stripe PaymentIntent or SetupIntent id")))
    }

    /// A Stripe Customer to save a card to, made once per charge: its
    /// idempotency key derives from the charge's, so a retried charge finds
    /// the same Customer rather than making another.
    async fn create_customer(&self, request: &ChargeRequest) -> Result<String, ProviderError> {
        let form = [
            ("description", format!("Paygate checkout {}", request.order_reference)),
            ("metadata[paygate_checkout_id]", request.order_reference.clone()),
            ("metadata[paygate_transaction_id]", request.transaction_id.clone()),
        ];
        let key = format!("{}-customer", request.idempotency_key);
        let customer = self.call(Method::POST, "/v1/customers", Some(&key), &form).await.map_err(|f| self.error(f))?;
        str_field(&customer, "id")
            .filter(|id| is_stripe_id(id, "cus_"))
            .map(str::to_owned)
            .ok_or_else(|| ProviderError::Transient("Stripe answered a Customer without an id".into()))
    }

    /// A card error on a confirmation (402 `card_error` naming the intent)
    /// is the attempt's outcome: the intent exists and failed for the
    /// card's reason.
    fn declined(&self, error: ApiError) -> ChargeOutcome {
        let code = failure_code(error.code.as_deref(), error.decline_code.as_deref());
        let message = error.message.map(|m| self.scrub(&m)).unwrap_or_else(|| "Your card was declined.".into());
        ChargeOutcome::new(error.intent.unwrap_or_default(), ChargeStatus::Failed { code, message })
    }
}

/// The card as an intent saved it to `customer`: Stripe may answer with a
/// PaymentMethod id of its own (a test card such as `pm_card_visa` becomes a
/// new `pm_…` once attached), which is the one later charges must name.
fn saved_card(intent: &Value, sent: &str, customer: &str) -> PaymentMethod {
    let token = match intent.get("payment_method") {
        Some(Value::String(id)) => id.as_str(),
        Some(object @ Value::Object(_)) => str_field(object, "id").unwrap_or(sent),
        _ => sent,
    };
    PaymentMethod::Card { token: token.to_owned(), customer: Some(customer.to_owned()) }
}

#[async_trait]
impl Provider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn accepts(&self, method: &PaymentMethod) -> bool {
        matches!(method, PaymentMethod::Card { token, .. } if is_stripe_id(token, "pm_"))
    }

    async fn authorize(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let PaymentMethod::Card { token, customer: saved_to } = &request.method else {
            return Err(refused("payment_method_invalid", "Stripe takes card PaymentMethods (pm_…) only"));
        };
        let mut form: Vec<(&str, String)> = vec![
            ("amount", request.amount.to_string()),
            ("currency", request.currency.to_ascii_lowercase()),
            ("payment_method", token.clone()),
            // Cards only: then a 3-D Secure challenge is the only redirect,
            // and confirming without a return_url stays allowed.
            ("payment_method_types[0]", "card".into()),
            ("confirm", "true".into()),
            ("capture_method", if request.capture { "automatic" } else { "manual" }.into()),
            ("description", format!("Paygate checkout {}", request.order_reference)),
            ("metadata[paygate_transaction_id]", request.transaction_id.clone()),
            ("metadata[paygate_checkout_id]", request.order_reference.clone()),
        ];
        // Saved for later: the card goes to a new Customer and Stripe
        // attaches it there once the payment succeeds. Charged later: the
        // saved card with its Customer, the payer absent (Stripe declines
        // with `authentication_required` rather than ask them).
        let mut saving_to = None;
        if request.off_session {
            let Some(customer) = saved_to else {
                return Err(refused(
                    "payment_method_not_reusable",
                    "this card was never saved to a Stripe Customer, so it cannot be charged without the payer",
                ));
            };
            form.push(("customer", customer.clone()));
            form.push(("off_session", "true".into()));
        } else if request.save_for_reuse {
            let customer = match saved_to {
                Some(customer) => customer.clone(),
                None => self.create_customer(request).await?,
            };
            form.push(("customer", customer.clone()));
            form.push(("setup_future_usage", "off_session".into()));
            saving_to = Some(customer);
        }
        if let Some(url) = request.return_url.as_ref().filter(|_| !request.off_session) {
            form.push(("return_url", url.clone()));
        }
        match self.call(Method::POST, "/v1/payment_intents", Some(&request.idempotency_key), &form).await {
            Ok(intent) => {
                let reference = str_field(&intent, "id")
                    .ok_or_else(|| ProviderError::Transient("Stripe answered a PaymentIntent without an id".into()))?;
                let mut outcome = ChargeOutcome::new(reference, charge_status(&intent)?);
                outcome.saved_method = saving_to.map(|customer| saved_card(&intent, token, &customer));
                Ok(outcome)
            }
            // A decline is an answer, not an error: the PaymentIntent exists
            // and the transaction fails with the card's reason.
            Err(Failure::Status { status: StatusCode::PAYMENT_REQUIRED, error })
                if error.kind.as_deref() == Some("card_error") && error.intent.is_some() =>
            {
                Ok(self.declined(error))
            }
            Err(failure) => Err(self.error(failure)),
        }
    }

    /// A trial's checkout: a SetupIntent saves the card to a new Customer
    /// for charges without the payer (`usage=off_session`), confirmed at
    /// once. A card that asks for 3-D Secure first answers
    /// `RequiresAction` with the SetupIntent's `next_action`, exactly as a
    /// payment does, and its `setup_intent.*` webhook settles it.
    async fn save_payment_method(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let PaymentMethod::Card { token, customer } = &request.method else {
            return Err(refused("payment_method_invalid", "Stripe takes card PaymentMethods (pm_…) only"));
        };
        let customer = match customer {
            Some(customer) => customer.clone(),
            None => self.create_customer(request).await?,
        };
        let mut form: Vec<(&str, String)> = vec![
            ("customer", customer.clone()),
            ("payment_method", token.clone()),
            ("payment_method_types[0]", "card".into()),
            ("confirm", "true".into()),
            ("usage", "off_session".into()),
            ("description", format!("Paygate checkout {}", request.order_reference)),
            ("metadata[paygate_transaction_id]", request.transaction_id.clone()),
            ("metadata[paygate_checkout_id]", request.order_reference.clone()),
        ];
        if let Some(url) = &request.return_url {
            form.push(("return_url", url.clone()));
        }
        match self.call(Method::POST, "/v1/setup_intents", Some(&request.idempotency_key), &form).await {
            Ok(intent) => {
                let reference = str_field(&intent, "id")
                    .ok_or_else(|| ProviderError::Transient("Stripe answered a SetupIntent without an id".into()))?;
                let mut outcome = ChargeOutcome::new(reference, charge_status(&intent)?);
                outcome.saved_method = Some(saved_card(&intent, token, &customer));
                Ok(outcome)
            }
            Err(Failure::Status { status: StatusCode::PAYMENT_REQUIRED, error })
                if error.kind.as_deref() == Some("card_error") && error.intent.is_some() =>
            {
                Ok(self.declined(error))
            }
            Err(failure) => Err(self.error(failure)),
        }
    }

    /// The PaymentMethod must exist and be saved to a Customer (Stripe
    /// charges a card without the payer only with its Customer): the one
    /// the method names, or else the one Stripe has it attached to.
    async fn verify_reusable(&self, method: &PaymentMethod) -> Result<PaymentMethod, ProviderError> {
        let PaymentMethod::Card { token, customer } = method else {
            return Err(refused("payment_method_invalid", "Stripe takes card PaymentMethods (pm_…) only"));
        };
        if !is_stripe_id(token, "pm_") {
            return Err(refused("resource_missing", format!("{token:?} is not a Stripe PaymentMethod id")));
        }
        let found = self
            .call(Method::GET, &format!("/v1/payment_methods/{token}"), None, &[])
            .await
            .map_err(|f| self.error(f))?;
        let attached = match found.get("customer") {
            Some(Value::String(id)) => Some(id.as_str()),
            Some(object @ Value::Object(_)) => str_field(object, "id"),
            _ => None,
        };
        match (attached, customer) {
            (Some(attached), Some(named)) if attached != named => Err(refused(
                "payment_method_not_reusable",
                format!("PaymentMethod {token} belongs to another Stripe Customer than {named}"),
            )),
            (Some(attached), _) => {
                Ok(PaymentMethod::Card { token: token.clone(), customer: Some(attached.to_owned()) })
            }
            (None, _) => Err(refused(
                "payment_method_not_reusable",
                format!(
                    "PaymentMethod {token} is not saved to a Stripe Customer: save it with a SetupIntent (or a \
                     payment with setup_future_usage) first"
                ),
            )),
        }
    }

    async fn capture(&self, idempotency_key: &str, reference: &str, amount: i64) -> Result<(), ProviderError> {
        if !is_stripe_id(reference, "pi_") {
            return Err(refused("resource_missing", format!("{reference:?} is not a Stripe PaymentIntent id")));
        }
        let path = Self::intent_path(reference, "/capture")?;
        let form = [("amount_to_capture", amount.to_string())];
        self.call(Method::POST, &path, Some(idempotency_key), &form).await.map_err(|f| self.error(f))?;
        Ok(())
    }

    async fn cancel(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError> {
        let path = Self::intent_path(reference, "/cancel")?;
        self.call(Method::POST, &path, Some(idempotency_key), &[]).await.map_err(|f| self.error(f))?;
        Ok(())
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        if !is_stripe_id(&request.reference, "pi_") {
            return Err(refused(
                "resource_missing",
                format!("{:?} is not a Stripe PaymentIntent id", request.reference),
            ));
        }
        let form = [
            ("payment_intent", request.reference.clone()),
            ("amount", request.amount.to_string()),
            ("metadata[paygate_refund_id]", request.refund_id.clone()),
        ];
        let refund = self
            .call(Method::POST, "/v1/refunds", Some(&request.idempotency_key), &form)
            .await
            .map_err(|f| self.error(f))?;
        let reference = str_field(&refund, "id")
            .ok_or_else(|| ProviderError::Transient("Stripe answered a refund without an id".into()))?
            .to_owned();
        match str_field(&refund, "status") {
            Some("succeeded") => Ok(RefundOutcome { reference, settled: true }),
            // Card refunds can wait on the balance; a webhook ends them.
            Some("pending" | "requires_action") => Ok(RefundOutcome { reference, settled: false }),
            Some(status @ ("failed" | "canceled")) => Err(refused(
                str_field(&refund, "failure_reason").unwrap_or("refund_failed"),
                format!("Stripe refund {reference} is {status}"),
            )),
            other => Err(refused("unexpected_status", format!("Stripe refund {reference} has status {other:?}"))),
        }
    }

    async fn refund_details(&self, refund_reference: &str) -> Result<RefundDetails, ProviderError> {
        if !is_stripe_id(refund_reference, "re_") && !is_stripe_id(refund_reference, "pyr_") {
            return Err(refused("resource_missing", format!("{refund_reference:?} is not a Stripe refund id")));
        }
        let refund = self
            .call(Method::GET, &format!("/v1/refunds/{refund_reference}"), None, &[])
            .await
            .map_err(|f| self.error(f))?;
        let charge_reference = str_field(&refund, "payment_intent")
            .ok_or_else(|| refused("resource_missing", format!("refund {refund_reference} names no PaymentIntent")))?;
        Ok(RefundDetails {
            charge_reference: charge_reference.to_owned(),
            amount: refund.get("amount").and_then(Value::as_i64).unwrap_or_default(),
            refund_id: metadata(&refund, "paygate_refund_id").map(str::to_owned),
        })
    }

    async fn retrieve_charge(&self, reference: &str) -> Result<Option<ChargeStatus>, ProviderError> {
        let path = Self::intent_path(reference, "")?;
        let intent = self.call(Method::GET, &path, None, &[]).await.map_err(|f| self.error(f))?;
        charge_status(&intent).map(Some)
    }

    async fn charge_transaction_id(&self, reference: &str) -> Result<Option<String>, ProviderError> {
        let path = Self::intent_path(reference, "")?;
        match self.call(Method::GET, &path, None, &[]).await {
            Ok(intent) => Ok(metadata(&intent, "paygate_transaction_id").map(str::to_owned)),
            // Not this account's PaymentIntent: no transaction of ours.
            Err(Failure::Status { status: StatusCode::NOT_FOUND, .. }) => Ok(None),
            Err(failure) => Err(self.error(failure)),
        }
    }
}

/// Checks a `Stripe-Signature` header against the raw body: HMAC-SHA256 of
/// `"{t}.{body}"` keyed by the endpoint secret, any `v1` may match (Stripe
/// sends one per active secret while a secret is rolled), `v0` and unknown
/// schemes are ignored, and `t` must be within five minutes of `now_secs`.
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now_secs: i64) -> Result<(), HookError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) if timestamp.is_none() => {
                timestamp = Some(value.parse::<i64>().map_err(|_| HookError::Signature("timestamp is not a number"))?);
            }
            Some(("v1", value)) => candidates.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(HookError::Signature("no timestamp in the signature header"))?;
    if candidates.is_empty() {
        return Err(HookError::Signature("no v1 signature in the signature header"));
    }
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // verify_slice compares in constant time and refuses a tag of the wrong
    // length, so an empty or truncated v1 never matches.
    let matched = candidates
        .iter()
        .filter_map(|candidate| hex::decode(candidate).ok())
        .any(|tag| mac.clone().verify_slice(&tag).is_ok());
    if !matched {
        return Err(HookError::Signature("no v1 signature matches"));
    }
    if (now_secs - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(HookError::Signature("signature timestamp outside the tolerance"));
    }
    Ok(())
}

/// Verifies a Stripe webhook and reads its Event. Stripe sends one event a
/// request; unknown event types come back as [`EventKind::Ignored`] so they
/// are acknowledged rather than retried by Stripe for days.
pub fn parse_webhook(secret: &str, request: HookRequest<'_>, now_secs: i64) -> Result<Vec<ProviderEvent>, HookError> {
    let header = request.header(SIGNATURE_HEADER).ok_or(HookError::Signature("no Stripe-Signature header"))?;
    verify_signature(secret, header, request.body, now_secs)?;
    let event: Value =
        serde_json::from_slice(request.body).map_err(|err| HookError::Body(format!("not JSON: {err}")))?;
    if event.get("object").and_then(Value::as_str).is_some_and(|object| object != "event") {
        return Err(HookError::Body("not a Stripe event object".into()));
    }
    let id = str_field(&event, "id").ok_or_else(|| HookError::Body("event without an id".into()))?;
    let event_type = str_field(&event, "type").ok_or_else(|| HookError::Body("event without a type".into()))?;
    let created = event
        .get("created")
        .and_then(Value::as_i64)
        .ok_or_else(|| HookError::Body("event without a created time".into()))?;
    let object = event.get("data").and_then(|d| d.get("object"));
    let kind = event_kind(event_type, object)?;
    Ok(vec![ProviderEvent {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        occurred_at: created.saturating_mul(1_000_000),
        kind,
    }])
}

fn event_kind(event_type: &str, object: Option<&Value>) -> Result<EventKind, HookError> {
    let object_of = |expected: &str| -> Result<&Value, HookError> {
        let object = object
            .filter(|o| o.is_object())
            .ok_or_else(|| HookError::Body(format!("{event_type} without data.object")))?;
        match str_field(object, "object") {
            Some(found) if found == expected => Ok(object),
            found => Err(HookError::Body(format!("{event_type} carries {found:?}, not a {expected}"))),
        }
    };
    let required = |object: &Value, field: &str| -> Result<String, HookError> {
        str_field(object, field)
            .map(str::to_owned)
            .ok_or_else(|| HookError::Body(format!("{event_type}: data.object.{field} missing")))
    };
    let amount = |object: &Value, field: &str| -> Result<i64, HookError> {
        object
            .get(field)
            .and_then(Value::as_i64)
            .ok_or_else(|| HookError::Body(format!("{event_type}: data.object.{field} missing")))
    };
    Ok(match event_type {
        "payment_intent.succeeded"
        | "payment_intent.processing"
        | "payment_intent.requires_action"
        | "payment_intent.amount_capturable_updated"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled" => {
            let intent = object_of("payment_intent")?;
            let status = match event_type {
                "payment_intent.succeeded" => {
                    ChargeEventStatus::Succeeded { amount_captured: Some(amount(intent, "amount_received")?) }
                }
                "payment_intent.processing" => ChargeEventStatus::Processing,
                "payment_intent.requires_action" => ChargeEventStatus::RequiresAction,
                "payment_intent.amount_capturable_updated" => ChargeEventStatus::RequiresCapture,
                "payment_intent.canceled" => ChargeEventStatus::Canceled,
                _ => {
                    let error = intent.get("last_payment_error").filter(|e| e.is_object());
                    let field = |name: &str| error.and_then(|e| str_field(e, name));
                    ChargeEventStatus::Failed {
                        code: failure_code(field("code").or(Some("payment_failed")), field("decline_code")),
                        message: field("message").unwrap_or("The payment failed.").to_owned(),
                    }
                }
            };
            EventKind::Charge {
                reference: required(intent, "id")?,
                transaction_id: metadata(intent, "paygate_transaction_id").map(str::to_owned),
                status,
            }
        }
        "setup_intent.succeeded"
        | "setup_intent.requires_action"
        | "setup_intent.setup_failed"
        | "setup_intent.canceled" => {
            let intent = object_of("setup_intent")?;
            let status = match event_type {
                "setup_intent.succeeded" => ChargeEventStatus::Succeeded { amount_captured: Some(0) },
                "setup_intent.requires_action" => ChargeEventStatus::RequiresAction,
                "setup_intent.canceled" => ChargeEventStatus::Canceled,
                _ => {
                    let error = intent.get("last_setup_error").filter(|e| e.is_object());
                    let field = |name: &str| error.and_then(|e| str_field(e, name));
                    ChargeEventStatus::Failed {
                        code: failure_code(field("code").or(Some("setup_failed")), field("decline_code")),
                        message: field("message").unwrap_or("The card could not be saved.").to_owned(),
                    }
                }
            };
            EventKind::Charge {
                reference: required(intent, "id")?,
                transaction_id: metadata(intent, "paygate_transaction_id").map(str::to_owned),
                status,
            }
        }
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            let refund = object_of("refund")?;
            // A refund of a bare Charge (no PaymentIntent) was not made
            // through Paygate, which charges with PaymentIntents only.
            let Some(charge_reference) = str_field(refund, "payment_intent") else {
                return Ok(EventKind::Ignored);
            };
            let status = match str_field(refund, "status") {
                Some("succeeded") => RefundEventStatus::Succeeded,
                Some("failed" | "canceled") => RefundEventStatus::Failed,
                Some("pending" | "requires_action") => RefundEventStatus::Pending,
                other => return Err(HookError::Body(format!("{event_type}: refund status {other:?}"))),
            };
            EventKind::Refund {
                charge_reference: charge_reference.to_owned(),
                refund_reference: required(refund, "id")?,
                refund_id: metadata(refund, "paygate_refund_id").map(str::to_owned),
                amount: Some(amount(refund, "amount")?),
                status,
            }
        }
        "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed" => {
            let dispute = object_of("dispute")?;
            let Some(charge_reference) = str_field(dispute, "payment_intent") else {
                return Ok(EventKind::Ignored);
            };
            EventKind::Dispute {
                charge_reference: charge_reference.to_owned(),
                dispute_reference: required(dispute, "id")?,
                amount: amount(dispute, "amount")?,
                reason: required(dispute, "reason")?,
                status: required(dispute, "status")?,
            }
        }
        _ => EventKind::Ignored,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// async-stripe's `test_webhook_construct_event` payload, byte for byte
    /// (807 bytes, trailing newline included).
    const VECTOR_BODY: &str = r#"{
  "id": "evt_123",
  "object": "event",
  "account": "acct_123",
  "api_version": "2017-05-25",
  "created": 1533204620,
  "data": {
    "object": {
      "id": "ii_123",
      "object": "invoiceitem",
      "amount": 1000,
      "currency": "usd",
      "customer": "cus_123",
      "date": 1533204620,
      "description": "Test Invoice Item",
      "discountable": false,
      "invoice": "in_123",
      "livemode": false,
      "metadata": {},
      "period": {
        "start": 1533204620,
        "end": 1533204620
      },
      "plan": null,
      "proration": false,
      "quantity": null,
      "subscription": null
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {
    "id": "req_123",
    "idempotency_key": "idempotency-key-123"
  },
  "type": "invoiceitem.created"
}
"#;
    const VECTOR_SECRET: &str = "webhook_secret";
    const VECTOR_T: i64 = 1533204620;
    const VECTOR_V1: &str = "f0bdba6d4eacbd8ad8a3bbadd7248e633ec1477f7899c124c51b39405fa36613";
    const VECTOR_V0: &str = "63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";

    const SECRET: &str = "whsec_test_7a0Kd9XbQ1";
    const NOW: i64 = 1_760_000_000;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn header_for(secret: &str, t: i64, body: &[u8]) -> String {
        format!("t={t},v1={}", sign(secret, t, body))
    }

    fn parse(body: &str) -> Result<Vec<ProviderEvent>, HookError> {
        let headers = vec![(SIGNATURE_HEADER.to_owned(), header_for(SECRET, NOW, body.as_bytes()))];
        parse_webhook(SECRET, HookRequest { headers: &headers, body: body.as_bytes() }, NOW)
    }

    fn event(event_type: &str, object: Value) -> String {
        json!({
            "id": "evt_1Q2w3E4r5T6y",
            "object": "event",
            "api_version": STRIPE_API_VERSION,
            "created": NOW - 5,
            "data": {"object": object},
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null},
            "type": event_type,
        })
        .to_string()
    }

    fn only_kind(body: &str) -> EventKind {
        let mut events = parse(body).expect("parses");
        assert_eq!(events.len(), 1);
        events.remove(0).kind
    }

    fn intent(status: &str) -> Value {
        json!({
            "id": "pi_3Abc",
            "object": "payment_intent",
            "amount": 2500,
            "amount_received": 0,
            "amount_capturable": 0,
            "currency": "eur",
            "status": status,
            "metadata": {"paygate_transaction_id": "txn_42", "paygate_checkout_id": "chk_7"},
            "last_payment_error": null,
        })
    }

    fn refund(status: &str) -> Value {
        json!({
            "id": "re_3Xyz",
            "object": "refund",
            "amount": 700,
            "currency": "eur",
            "payment_intent": "pi_3Abc",
            "charge": "ch_3Abc",
            "status": status,
            "metadata": {"paygate_refund_id": "rf_9"},
        })
    }

    #[test]
    fn async_stripe_vector_verifies() {
        assert_eq!(VECTOR_BODY.len(), 807);
        assert_eq!(sign(VECTOR_SECRET, VECTOR_T, VECTOR_BODY.as_bytes()), VECTOR_V1);
        let header = format!("t={VECTOR_T},v1={VECTOR_V1},v0={VECTOR_V0}");
        assert_eq!(verify_signature(VECTOR_SECRET, &header, VECTOR_BODY.as_bytes(), VECTOR_T), Ok(()));
        let headers = vec![(SIGNATURE_HEADER.to_owned(), header)];
        let request = HookRequest { headers: &headers, body: VECTOR_BODY.as_bytes() };
        let events = parse_webhook(VECTOR_SECRET, request, VECTOR_T + 100).expect("vector parses");
        assert_eq!(
            events,
            vec![ProviderEvent {
                id: "evt_123".into(),
                event_type: "invoiceitem.created".into(),
                occurred_at: VECTOR_T * 1_000_000,
                kind: EventKind::Ignored,
            }]
        );
    }

    #[test]
    fn vector_fails_on_any_changed_byte_or_secret() {
        let header = format!("t={VECTOR_T},v1={VECTOR_V1}");
        let trimmed = VECTOR_BODY.trim_end();
        assert!(verify_signature(VECTOR_SECRET, &header, trimmed.as_bytes(), VECTOR_T).is_err());
        assert!(verify_signature("webhook_secreT", &header, VECTOR_BODY.as_bytes(), VECTOR_T).is_err());
        let other_t = format!("t={},v1={VECTOR_V1}", VECTOR_T + 1);
        assert!(verify_signature(VECTOR_SECRET, &other_t, VECTOR_BODY.as_bytes(), VECTOR_T).is_err());
    }

    #[test]
    fn the_whole_whsec_string_is_the_key() {
        let body = b"{}";
        let header = header_for(SECRET, NOW, body);
        assert_eq!(verify_signature(SECRET, &header, body, NOW), Ok(()));
        let without_prefix = header_for(SECRET.trim_start_matches("whsec_"), NOW, body);
        assert!(verify_signature(SECRET, &without_prefix, body, NOW).is_err());
    }

    #[test]
    fn any_v1_may_match_while_a_secret_is_rolled() {
        let body = b"{\"id\":\"evt_1\"}";
        let old = sign("whsec_old", NOW, body);
        let new = sign(SECRET, NOW, body);
        let header = format!("t={NOW},v1={old},v1={new}");
        assert_eq!(verify_signature(SECRET, &header, body, NOW), Ok(()));
        assert_eq!(verify_signature("whsec_old", &header, body, NOW), Ok(()));
        assert!(verify_signature("whsec_third", &header, body, NOW).is_err());
    }

    #[test]
    fn timestamps_outside_five_minutes_fail_both_ways() {
        let body = b"{}";
        let header = header_for(SECRET, NOW, body);
        assert_eq!(verify_signature(SECRET, &header, body, NOW + 300), Ok(()));
        assert_eq!(verify_signature(SECRET, &header, body, NOW - 300), Ok(()));
        assert!(verify_signature(SECRET, &header, body, NOW + 301).is_err(), "expired");
        assert!(verify_signature(SECRET, &header, body, NOW - 301).is_err(), "from the future");
    }

    #[test]
    fn empty_truncated_and_malformed_signatures_fail() {
        let body = b"{}";
        let good = sign(SECRET, NOW, body);
        let cases = [
            format!("t={NOW},v1="),
            format!("t={NOW},v1={}", &good[..63]),
            format!("t={NOW},v1={}", &good[..62]),
            format!("t={NOW},v1={good}00"),
            format!("t={NOW},v1={}", good.replace(|c: char| c.is_ascii_digit(), "z")),
            format!("v1={good}"),
            format!("t=,v1={good}"),
            format!("t=yesterday,v1={good}"),
            format!("t={NOW}"),
            format!("t={NOW},v0={good}"),
            String::new(),
        ];
        for header in cases {
            assert!(verify_signature(SECRET, &header, body, NOW).is_err(), "{header:?} must fail");
        }
        // The same good signature passes, so the failures above are the
        // malformation's doing.
        assert_eq!(verify_signature(SECRET, &format!("t={NOW}, v1={good}"), body, NOW), Ok(()));
    }

    #[test]
    fn v0_only_fails_even_when_it_is_the_real_v0() {
        let header = format!("t={VECTOR_T},v0={VECTOR_V0}");
        assert!(verify_signature(VECTOR_SECRET, &header, VECTOR_BODY.as_bytes(), VECTOR_T).is_err());
    }

    #[test]
    fn a_webhook_without_the_header_or_with_a_bad_one_is_refused_before_reading_the_body() {
        let body = event("payment_intent.succeeded", intent("succeeded"));
        let request = HookRequest { headers: &[], body: body.as_bytes() };
        assert!(matches!(parse_webhook(SECRET, request, NOW), Err(HookError::Signature(_))));
        let headers = vec![(SIGNATURE_HEADER.to_owned(), header_for("whsec_other", NOW, body.as_bytes()))];
        let request = HookRequest { headers: &headers, body: body.as_bytes() };
        assert!(matches!(parse_webhook(SECRET, request, NOW), Err(HookError::Signature(_))));
        let not_json = "definitely not json";
        let headers = vec![(SIGNATURE_HEADER.to_owned(), header_for("whsec_other", NOW, not_json.as_bytes()))];
        let request = HookRequest { headers: &headers, body: not_json.as_bytes() };
        assert!(matches!(parse_webhook(SECRET, request, NOW), Err(HookError::Signature(_))));
    }

    #[test]
    fn signed_bodies_that_are_not_events_are_body_errors() {
        for body in [
            "definitely not json".to_owned(),
            "[]".to_owned(),
            json!({"hello": "world"}).to_string(),
            json!({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded"}).to_string(),
            json!({"id": "pi_1", "object": "payment_intent", "type": "x", "created": 1}).to_string(),
            json!({"id": "evt_1", "object": "event", "created": 1, "type": "payment_intent.succeeded", "data": {}})
                .to_string(),
            event("payment_intent.succeeded", refund("succeeded")),
            event("refund.updated", json!({"object": "refund", "payment_intent": "pi_1", "status": "succeeded"})),
            event("refund.updated", refund("who_knows")),
        ] {
            assert!(matches!(parse(&body), Err(HookError::Body(_))), "{body}");
        }
    }

    #[test]
    fn payment_intent_events_map_to_charge_events() {
        let charge =
            |status| EventKind::Charge { reference: "pi_3Abc".into(), transaction_id: Some("txn_42".into()), status };
        let mut succeeded = intent("succeeded");
        succeeded["amount_received"] = json!(1800);
        assert_eq!(
            only_kind(&event("payment_intent.succeeded", succeeded)),
            charge(ChargeEventStatus::Succeeded { amount_captured: Some(1800) })
        );
        assert_eq!(
            only_kind(&event("payment_intent.processing", intent("processing"))),
            charge(ChargeEventStatus::Processing)
        );
        assert_eq!(
            only_kind(&event("payment_intent.requires_action", intent("requires_action"))),
            charge(ChargeEventStatus::RequiresAction)
        );
        assert_eq!(
            only_kind(&event("payment_intent.amount_capturable_updated", intent("requires_capture"))),
            charge(ChargeEventStatus::RequiresCapture)
        );
        assert_eq!(
            only_kind(&event("payment_intent.canceled", intent("canceled"))),
            charge(ChargeEventStatus::Canceled)
        );

        let mut failed = intent("requires_payment_method");
        failed["last_payment_error"] = json!({
            "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        });
        assert_eq!(
            only_kind(&event("payment_intent.payment_failed", failed.clone())),
            charge(ChargeEventStatus::Failed {
                code: "insufficient_funds".into(),
                message: "Your card has insufficient funds.".into()
            })
        );
        failed["last_payment_error"]["decline_code"] = json!("generic_decline");
        failed["last_payment_error"]["message"] = json!("Your card was declined.");
        assert_eq!(
            only_kind(&event("payment_intent.payment_failed", failed)),
            charge(ChargeEventStatus::Failed {
                code: "card_declined".into(),
                message: "Your card was declined.".into()
            })
        );

        let mut foreign = intent("succeeded");
        foreign["metadata"] = json!({});
        assert!(matches!(
            only_kind(&event("payment_intent.succeeded", foreign)),
            EventKind::Charge { transaction_id: None, .. }
        ));
    }

    #[test]
    fn setup_intent_events_settle_a_trials_charge() {
        let setup = |status: &str| {
            json!({
                "id": "seti_1Abc", "object": "setup_intent", "status": status, "usage": "off_session",
                "customer": "cus_1", "payment_method": "pm_1Saved",
                "metadata": {"paygate_transaction_id": "txn_trial"}, "last_setup_error": null,
            })
        };
        let charge = |status| EventKind::Charge {
            reference: "seti_1Abc".into(),
            transaction_id: Some("txn_trial".into()),
            status,
        };
        assert_eq!(
            only_kind(&event("setup_intent.succeeded", setup("succeeded"))),
            charge(ChargeEventStatus::Succeeded { amount_captured: Some(0) })
        );
        assert_eq!(
            only_kind(&event("setup_intent.requires_action", setup("requires_action"))),
            charge(ChargeEventStatus::RequiresAction)
        );
        assert_eq!(only_kind(&event("setup_intent.canceled", setup("canceled"))), charge(ChargeEventStatus::Canceled));
        let mut failed = setup("requires_payment_method");
        failed["last_setup_error"] = json!({"type": "card_error", "code": "card_declined",
            "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."});
        assert_eq!(
            only_kind(&event("setup_intent.setup_failed", failed.clone())),
            charge(ChargeEventStatus::Failed {
                code: "insufficient_funds".into(),
                message: "Your card has insufficient funds.".into()
            })
        );
        // The same states read back from Stripe.
        assert_eq!(charge_status(&setup("succeeded")), Ok(ChargeStatus::Succeeded));
        assert!(
            matches!(charge_status(&failed), Ok(ChargeStatus::Failed { code, .. }) if code == "insufficient_funds")
        );
        assert!(
            matches!(charge_status(&setup("canceled")), Ok(ChargeStatus::Failed { message, .. }) if message.contains("Saving"))
        );
        assert!(charge_status(&setup("requires_capture")).is_err(), "a SetupIntent is never captured");
        // A setup_intent event carrying another object is a body error.
        assert!(matches!(parse(&event("setup_intent.succeeded", intent("succeeded"))), Err(HookError::Body(_))));
    }

    #[test]
    fn refund_events_map_to_refund_events() {
        let expected = |status| EventKind::Refund {
            charge_reference: "pi_3Abc".into(),
            refund_reference: "re_3Xyz".into(),
            refund_id: Some("rf_9".into()),
            amount: Some(700),
            status,
        };
        assert_eq!(only_kind(&event("refund.created", refund("pending"))), expected(RefundEventStatus::Pending));
        assert_eq!(only_kind(&event("refund.updated", refund("succeeded"))), expected(RefundEventStatus::Succeeded));
        assert_eq!(only_kind(&event("refund.failed", refund("failed"))), expected(RefundEventStatus::Failed));
        assert_eq!(only_kind(&event("charge.refund.updated", refund("canceled"))), expected(RefundEventStatus::Failed));
        let mut dashboard = refund("succeeded");
        dashboard["metadata"] = json!({});
        assert!(matches!(
            only_kind(&event("refund.created", dashboard)),
            EventKind::Refund { refund_id: None, status: RefundEventStatus::Succeeded, .. }
        ));
        let mut bare_charge = refund("succeeded");
        bare_charge["payment_intent"] = Value::Null;
        assert_eq!(only_kind(&event("refund.created", bare_charge)), EventKind::Ignored);
    }

    #[test]
    fn dispute_events_map_to_dispute_events() {
        let dispute = |status: &str| {
            json!({
                "id": "dp_1Qa", "object": "dispute", "amount": 2500, "currency": "eur",
                "charge": "ch_3Abc", "payment_intent": "pi_3Abc", "reason": "fraudulent", "status": status,
            })
        };
        for (event_type, status) in [
            ("charge.dispute.created", "needs_response"),
            ("charge.dispute.updated", "under_review"),
            ("charge.dispute.closed", "lost"),
        ] {
            assert_eq!(
                only_kind(&event(event_type, dispute(status))),
                EventKind::Dispute {
                    charge_reference: "pi_3Abc".into(),
                    dispute_reference: "dp_1Qa".into(),
                    amount: 2500,
                    reason: "fraudulent".into(),
                    status: status.into(),
                }
            );
        }
    }

    #[test]
    fn other_event_types_are_ignored_but_keep_their_id_and_time() {
        let body = event("customer.created", json!({"id": "cus_1", "object": "customer"}));
        let events = parse(&body).expect("parses");
        assert_eq!(
            events,
            vec![ProviderEvent {
                id: "evt_1Q2w3E4r5T6y".into(),
                event_type: "customer.created".into(),
                occurred_at: (NOW - 5) * 1_000_000,
                kind: EventKind::Ignored,
            }]
        );
        assert_eq!(
            only_kind(&event("charge.succeeded", json!({"id": "ch_1", "object": "charge"}))),
            EventKind::Ignored
        );
    }

    #[test]
    fn declines_report_the_specific_reason_or_the_error_code() {
        assert_eq!(failure_code(Some("card_declined"), Some("insufficient_funds")), "insufficient_funds");
        assert_eq!(failure_code(Some("card_declined"), Some("generic_decline")), "card_declined");
        assert_eq!(failure_code(Some("card_declined"), Some("fraudulent")), "card_declined");
        assert_eq!(failure_code(Some("expired_card"), Some("expired_card")), "expired_card");
        assert_eq!(failure_code(Some("processing_error"), None), "processing_error");
        assert_eq!(failure_code(None, None), "card_declined");
    }

    #[test]
    fn payment_intent_statuses_map_to_charge_statuses() {
        assert_eq!(charge_status(&intent("succeeded")), Ok(ChargeStatus::Succeeded));
        assert_eq!(charge_status(&intent("requires_capture")), Ok(ChargeStatus::RequiresCapture));
        assert_eq!(charge_status(&intent("processing")), Ok(ChargeStatus::Processing));
        let mut action = intent("requires_action");
        action["next_action"] = json!({"type": "use_stripe_sdk", "use_stripe_sdk": {}});
        assert_eq!(
            charge_status(&action),
            Ok(ChargeStatus::RequiresAction { next_action: json!({"type": "use_stripe_sdk", "use_stripe_sdk": {}}) })
        );
        let mut declined = intent("requires_payment_method");
        declined["last_payment_error"] =
            json!({"code": "card_declined", "decline_code": "lost_card", "message": "Your card was declined."});
        assert_eq!(
            charge_status(&declined),
            Ok(ChargeStatus::Failed { code: "lost_card".into(), message: "Your card was declined.".into() })
        );
        assert!(
            matches!(charge_status(&intent("canceled")), Ok(ChargeStatus::Failed { code, .. }) if code == "canceled")
        );
        assert!(matches!(charge_status(&intent("requires_confirmation")), Err(ProviderError::Refused { .. })));
    }

    #[test]
    fn accepts_only_stripe_payment_method_ids() {
        let provider =
            StripeProvider::new(reqwest::Client::new(), DEFAULT_API_BASE, SecretString::new("sk_test_x".into()));
        let card = |token: &str| PaymentMethod::card(token);
        assert!(provider.accepts(&card("pm_card_visa")));
        assert!(provider.accepts(&card("pm_1MqLiJLkdIwHu7ixUEgbFdYF")));
        for token in ["tok_visa", "pm_", "pm_../../v1/refunds", "pm_a?b", "card_123", ""] {
            assert!(!provider.accepts(&card(token)), "{token}");
        }
        assert!(!provider.accepts(&PaymentMethod::Upi { vpa: "success@upi".into() }));
        assert!(!provider.accepts(&PaymentMethod::Mandate { id: "MD0001".into() }));
    }
}
