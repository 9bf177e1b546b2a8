//! Paygate main edge: the checkout runtime API the payer's browser calls.
//! The checkout id is the capability; no API key, no secret here.

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
    http::{MAX_BODY_BYTES, core_request, rfc3339},
    proto::v1::{self as pb, checkout_service_client::CheckoutServiceClient},
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tonic::transport::Channel;

#[derive(Clone)]
struct AppState {
    channel: Channel,
    checkouts: CheckoutServiceClient<Channel>,
}

pub fn router(core: Channel) -> Router {
    let state = AppState { checkouts: CheckoutServiceClient::new(core.clone()), channel: core };
    let api = Router::new()
        .route("/checkouts/{id}", get(get_checkout))
        .method_not_allowed_fallback(paygate_contract::http::method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .fallback(paygate_contract::http::route_not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the main edge on `listener` until `shutdown`, then drains.
pub async fn serve(
    core: Channel,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(core)).with_graceful_shutdown(shutdown).await
}

async fn healthz(State(state): State<AppState>) -> Response {
    paygate_contract::http::healthz(state.channel).await
}

fn status_str(value: i32) -> &'static str {
    match pb::CheckoutStatus::try_from(value) {
        Ok(pb::CheckoutStatus::Open) => "open",
        Ok(pb::CheckoutStatus::Processing) => "processing",
        Ok(pb::CheckoutStatus::Completed) => "completed",
        Ok(pb::CheckoutStatus::Expired) => "expired",
        Ok(pb::CheckoutStatus::Canceled) => "canceled",
        _ => "unknown",
    }
}

fn empty_to_null(value: &str) -> Value {
    if value.is_empty() { Value::Null } else { Value::String(value.to_owned()) }
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
        "captureMethod": if c.capture_method == pb::CaptureMethod::Manual as i32 { "manual" } else { "automatic" },
        "successUrl": empty_to_null(&c.success_url),
        "cancelUrl": empty_to_null(&c.cancel_url),
        "expiresAt": rfc3339(c.expires_at.as_ref()),
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
