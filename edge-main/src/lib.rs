//! Paygate main edge: the checkout runtime API the payer's browser calls.
//! The checkout id is the capability; no API key, no secret here.

mod rate_limit;

use std::future::Future;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::get,
};
use paygate_contract::{
    error::HttpError,
    http::{AppJson, MAX_BODY_BYTES, core_request, rfc3339},
    proto::v1::{
        self as pb, checkout_service_client::CheckoutServiceClient,
        transaction_service_client::TransactionServiceClient, vat_service_client::VatServiceClient,
    },
    server::HttpLimits,
    wire::{checkout_status as status_str, empty_to_null, transaction_status as transaction_status_str},
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tonic::transport::Channel;

pub use rate_limit::PayRateLimit;

/// How the main edge is served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MainEdgeOptions {
    pub http: HttpLimits,
    pub pay_rate_limit: PayRateLimit,
}

#[derive(Clone)]
struct AppState {
    channel: Channel,
    checkouts: CheckoutServiceClient<Channel>,
    transactions: TransactionServiceClient<Channel>,
    vat: VatServiceClient<Channel>,
}

pub fn router(core: Channel, pay_rate_limit: PayRateLimit) -> Router {
    let state = AppState {
        checkouts: CheckoutServiceClient::new(core.clone()),
        transactions: TransactionServiceClient::new(core.clone()),
        vat: VatServiceClient::new(core.clone()),
        channel: core,
    };
    let api = Router::new()
        .route("/checkouts/{id}", get(get_checkout))
        .route(
            "/checkouts/{id}/pay",
            axum::routing::post(pay).route_layer(axum::middleware::from_fn_with_state(
                rate_limit::PayLimiter::new(pay_rate_limit),
                rate_limit::limit_pay,
            )),
        )
        .route("/checkouts/{id}/status", get(checkout_status))
        .route("/vat/validate", axum::routing::post(validate_vat))
        .route("/vat/eu-member/{country_code}", get(eu_member))
        .method_not_allowed_fallback(paygate_contract::http::method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .fallback(paygate_contract::http::route_not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(paygate_contract::http::close_after_oversized_body))
        .with_state(state)
}

/// Serves the main edge on `listener` until `shutdown`, then drains.
pub async fn serve(
    core: Channel,
    listener: TcpListener,
    options: MainEdgeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    paygate_contract::server::serve(listener, router(core, options.pay_rate_limit), options.http, shutdown).await
}

async fn healthz(State(state): State<AppState>) -> Response {
    paygate_contract::http::healthz(state.channel).await
}

/// What the checkout page shows: amounts, lines, merchant, status. Never a
/// secret, the merchant's metadata or the customer's details.
fn public_checkout(c: &pb::PublicCheckout) -> Value {
    json!({
        "id": c.id,
        "object": "checkout",
        "status": status_str(c.status),
        "amount": c.amount,
        "currency": c.currency,
        "currencyExponent": c.currency_exponent,
        "description": c.description,
        "lineItems": c.line_items.iter()
            .map(|i| json!({"name": i.name, "quantity": i.quantity, "amount": i.amount}))
            .collect::<Vec<_>>(),
        "merchantName": c.merchant_name,
        "captureMethod": paygate_contract::wire::capture_method(c.capture_method),
        "successUrl": empty_to_null(&c.success_url),
        "cancelUrl": empty_to_null(&c.cancel_url),
        "expiresAt": rfc3339(c.expires_at.as_ref()),
        "tax": c.tax.as_ref().map(|t| json!({
            "country": empty_to_null(&t.country),
            "rateBps": t.rate_bps,
            "taxAmount": t.tax_amount,
            "netAmount": t.net_amount,
            "reverseCharge": t.reverse_charge,
        })),
    })
}

async fn get_checkout(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let response = state.checkouts.get_public_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await?;
    Ok(Json(public_checkout(response.get_ref())).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PayBody {
    payment_method: Option<String>,
    vpa: Option<String>,
}

/// Starts the payment: 202, the charge runs asynchronously.
async fn pay(
    State(mut state): State<AppState>,
    Path(checkout_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<PayBody>,
) -> Result<Response, HttpError> {
    let message = pb::PayRequest {
        checkout_id,
        payment_method: body.payment_method.unwrap_or_default(),
        vpa: body.vpa.unwrap_or_default(),
    };
    let response = state.transactions.pay(core_request(&headers, message)).await?.into_inner();
    let body = json!({"transactionId": response.transaction_id, "status": "processing"});
    Ok((axum::http::StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn checkout_status(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let response = state
        .transactions
        .get_checkout_status(core_request(&headers, pb::GetCheckoutRequest { id }))
        .await?
        .into_inner();
    let transaction = (!response.transaction_id.is_empty()).then(|| {
        json!({
            "id": response.transaction_id,
            "status": transaction_status_str(response.transaction_status),
            "failureCode": empty_to_null(&response.failure_code),
            "failureMessage": empty_to_null(&response.failure_message),
        })
    });
    Ok(Json(json!({
        "checkoutId": response.checkout_id,
        "status": status_str(response.status),
        "transaction": transaction,
    }))
    .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ValidateVatBody {
    vat_id: Option<String>,
}

/// Offline format and check digits, then EU VIES: `valid`, `invalid`, or
/// `unverified` when VIES could not answer (never `invalid` for that).
async fn validate_vat(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<ValidateVatBody>,
) -> Result<Response, HttpError> {
    let message = pb::ValidateVatIdRequest { vat_id: body.vat_id.unwrap_or_default() };
    let v = state.vat.validate_vat_id(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json!({
        "valid": v.valid,
        "status": v.status,
        "countryCode": v.country_code,
        "vatNumber": v.vat_number,
        "name": empty_to_null(&v.name),
        "address": empty_to_null(&v.address),
        "checkedAt": rfc3339(v.checked_at.as_ref()),
        "source": v.source,
        "reason": empty_to_null(&v.reason),
    }))
    .into_response())
}

async fn eu_member(
    State(mut state): State<AppState>,
    Path(country_code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let message = pb::GetEuMemberRequest { country_code };
    let m = state.vat.get_eu_member(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json!({
        "countryCode": m.country_code,
        "euMember": m.eu_member,
        "vatPrefix": empty_to_null(&m.vat_prefix),
    }))
    .into_response())
}
