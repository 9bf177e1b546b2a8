//! Paygate main edge: the checkout runtime API the payer's browser calls,
//! and the customer portal's. The checkout id is the checkout's
//! capability, the portal token (or the portal page's cookie) the
//! portal's; no API key, no secret here.

mod cors;
mod hooks;
pub mod openapi;
mod page;
mod portal;
mod rate_limit;

use std::future::Future;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::get,
};
use paygate_contract::client::CoreChannel;
use paygate_contract::{
    error::HttpError,
    http::{AppJson, core_request},
    proto::v1::{
        self as pb, checkout_service_client::CheckoutServiceClient, portal_service_client::PortalServiceClient,
        provider_hook_service_client::ProviderHookServiceClient, transaction_service_client::TransactionServiceClient,
        vat_service_client::VatServiceClient,
    },
    server::HttpLimits,
    wire,
};
use tokio::net::TcpListener;

pub use page::StripeJs;
pub use rate_limit::PayRateLimit;

/// How the main edge is served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MainEdgeOptions {
    pub http: HttpLimits,
    pub pay_rate_limit: PayRateLimit,
    /// Where a Stripe site's checkout page loads Stripe.js from.
    pub stripe_js: StripeJs,
}

/// What every handler shares, behind one reference count: a request clones
/// the one client it calls, not all of them.
type AppState = std::sync::Arc<Clients>;

struct Clients {
    channel: CoreChannel,
    checkouts: CheckoutServiceClient<CoreChannel>,
    transactions: TransactionServiceClient<CoreChannel>,
    vat: VatServiceClient<CoreChannel>,
    hooks: ProviderHookServiceClient<CoreChannel>,
    portal: PortalServiceClient<CoreChannel>,
    stripe_js: std::sync::Arc<StripeJs>,
}

pub fn router(core: CoreChannel, pay_rate_limit: PayRateLimit, stripe_js: StripeJs) -> Router {
    let state = Clients {
        stripe_js: std::sync::Arc::new(stripe_js),
        checkouts: CheckoutServiceClient::new(core.clone()),
        transactions: TransactionServiceClient::new(core.clone()),
        vat: VatServiceClient::new(core.clone()),
        hooks: ProviderHookServiceClient::new(core.clone()),
        portal: PortalServiceClient::new(core.clone()),
        channel: core,
    };
    let pay_limit =
        axum::middleware::from_fn_with_state(rate_limit::PayLimiter::new(pay_rate_limit), rate_limit::limit_pay);
    let api = Router::new()
        .route("/checkouts/{id}", get(get_checkout))
        .route("/checkouts/{id}/pay", axum::routing::post(pay).route_layer(pay_limit))
        .route("/checkouts/{id}/status", get(checkout_status))
        .route("/vat/validate", axum::routing::post(validate_vat))
        .route("/vat/eu-member/{country_code}", get(eu_member))
        .route("/portal/me", get(portal::me))
        .route("/portal/invoices", get(portal::invoices))
        .route("/portal/invoices/{id}/pdf", get(portal::invoice_pdf))
        .route("/portal/credit-notes", get(portal::credit_notes))
        .route("/portal/credit-notes/{id}/pdf", get(portal::credit_note_pdf))
        .route("/portal/subscriptions", get(portal::subscriptions))
        .route("/portal/subscriptions/{id}/cancel", axum::routing::post(portal::cancel_subscription))
        .route("/portal/subscriptions/{id}/resume", axum::routing::post(portal::resume_subscription))
        .route("/portal/logout", axum::routing::post(portal::logout))
        .route("/openapi.json", get(openapi_document))
        .method_not_allowed_fallback(paygate_contract::http::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.checkouts.clone(), cors::cors));
    Router::new()
        .nest("/api/v1", api)
        .route("/hooks/{provider_type}/{provider_id}", axum::routing::post(hooks::receive))
        .route("/checkout/{id}", get(page::checkout_page))
        .route("/checkout/{id}/{*rest}", get(page::page_not_found))
        .route("/checkout.js", get(page::embed_script))
        .route("/assets/checkout-page.js", get(page::page_script))
        .route("/assets/checkout.css", get(page::page_style))
        .route("/assets/icon.svg", get(page::icon))
        .route("/portal", get(portal::page))
        .route("/assets/portal.js", get(portal::script))
        .route("/assets/portal.css", get(portal::style))
        .route("/healthz", get(paygate_contract::metrics::healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(paygate_contract::metrics::metrics_endpoint))
        .fallback(paygate_contract::http::route_not_found)
        .layer(axum::middleware::from_fn(portal::no_store))
        .with_state(std::sync::Arc::new(state))
}

/// Serves the main edge on `listener` until `shutdown`, then drains.
pub async fn serve(
    core: CoreChannel,
    listener: TcpListener,
    options: MainEdgeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let trusted_proxies = options.pay_rate_limit.trusted_proxies.clone();
    paygate_contract::server::serve(
        "paygate-edge-main",
        listener,
        router(core, options.pay_rate_limit, options.stripe_js),
        options.http,
        trusted_proxies,
        shutdown,
    )
    .await
}

/// This API's OpenAPI 3.1 document, generated from the wire types.
async fn openapi_document() -> Response {
    paygate_contract::openapi::response(openapi::DOCUMENT_JSON.as_str())
}

async fn readyz(State(state): State<AppState>) -> Response {
    paygate_contract::http::readyz(state.channel.clone()).await
}

/// What the checkout page shows: amounts, lines, merchant, status. Never a
/// secret, the merchant's metadata or the customer's details.
async fn get_checkout(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let response =
        state.checkouts.clone().get_public_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await?;
    Ok(Json(wire::PublicCheckout::from(response.get_ref())).into_response())
}

/// Starts the payment: 202, the charge runs asynchronously.
async fn pay(
    State(state): State<AppState>,
    Path(checkout_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::PayRequest>,
) -> Result<Response, HttpError> {
    let message = body.into_proto(checkout_id);
    let response = state.transactions.clone().pay(core_request(&headers, message)).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(wire::PaymentStarted::from(response.get_ref()))).into_response())
}

async fn checkout_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let response =
        state.transactions.clone().get_checkout_status(core_request(&headers, pb::GetCheckoutRequest { id })).await?;
    Ok(Json(wire::CheckoutStatusView::from(response.get_ref())).into_response())
}

/// Offline format and check digits, then EU VIES: `valid`, `invalid`, or
/// `unverified` when VIES could not answer (never `invalid` for that).
async fn validate_vat(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::ValidateVatRequest>,
) -> Result<Response, HttpError> {
    let message = pb::ValidateVatIdRequest::from(body);
    let response = state.vat.clone().validate_vat_id(core_request(&headers, message)).await?;
    Ok(Json(wire::VatValidation::from(response.get_ref())).into_response())
}

async fn eu_member(
    State(state): State<AppState>,
    Path(country_code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let message = pb::GetEuMemberRequest { country_code };
    let response = state.vat.clone().get_eu_member(core_request(&headers, message)).await?;
    Ok(Json(wire::EuMember::from(response.get_ref())).into_response())
}
