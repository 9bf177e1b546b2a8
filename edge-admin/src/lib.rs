//! Paygate Admin API edge: merchant servers call it over REST with an API
//! key; every route is one gRPC call to core. No rule, storage or secret
//! lives here.

mod json;

use std::{collections::BTreeMap, future::Future};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use paygate_contract::{
    error::HttpError,
    http::{AppJson, AppJsonOrEmpty, AppQuery, MAX_BODY_BYTES, core_request, idempotency_key, with_replay_header},
    proto::v1::{
        self as pb, api_key_service_client::ApiKeyServiceClient, checkout_service_client::CheckoutServiceClient,
        invoice_service_client::InvoiceServiceClient, ipn_service_client::IpnServiceClient,
        operations_service_client::OperationsServiceClient, organization_service_client::OrganizationServiceClient,
        site_service_client::SiteServiceClient, tax_service_client::TaxServiceClient,
        transaction_service_client::TransactionServiceClient,
    },
    server::HttpLimits,
};
use serde::Deserialize;
use tokio::net::TcpListener;
use tonic::transport::Channel;

#[derive(Clone)]
struct AppState {
    channel: Channel,
    checkouts: CheckoutServiceClient<Channel>,
    sites: SiteServiceClient<Channel>,
    keys: ApiKeyServiceClient<Channel>,
    organizations: OrganizationServiceClient<Channel>,
    transactions: TransactionServiceClient<Channel>,
    ipn: IpnServiceClient<Channel>,
    operations: OperationsServiceClient<Channel>,
    tax: TaxServiceClient<Channel>,
    invoices: InvoiceServiceClient<Channel>,
}

/// The Admin API router over a channel to core.
pub fn router(core: Channel) -> Router {
    let state = AppState {
        checkouts: CheckoutServiceClient::new(core.clone()),
        sites: SiteServiceClient::new(core.clone()),
        keys: ApiKeyServiceClient::new(core.clone()),
        organizations: OrganizationServiceClient::new(core.clone()),
        transactions: TransactionServiceClient::new(core.clone()),
        ipn: IpnServiceClient::new(core.clone()),
        operations: OperationsServiceClient::new(core.clone()),
        tax: TaxServiceClient::new(core.clone()),
        invoices: InvoiceServiceClient::new(core.clone()),
        channel: core,
    };
    let api = Router::new()
        .route("/checkouts", get(list_checkouts))
        .route("/checkouts/{site_id}/create", post(create_checkout))
        .route("/checkouts/{id}", get(get_checkout))
        .route("/sites", post(create_site).get(list_sites))
        .route("/sites/{id}", get(get_site))
        .route("/sites/{id}/rotate-secret", post(rotate_secret))
        .route("/api-keys", post(create_api_key).get(list_api_keys))
        .route("/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/organization", get(get_organization).patch(update_organization))
        .route("/tax-rules", post(create_tax_rule).get(list_tax_rules))
        .route("/tax-rules/seed-eu", post(seed_eu_rates))
        .route("/tax-rules/{id}", get(get_tax_rule).put(update_tax_rule).delete(delete_tax_rule))
        .route("/invoices", get(list_invoices))
        .route("/invoices/{id}", get(get_invoice))
        .route("/invoices/{id}/pdf", get(get_invoice_pdf))
        .route("/credit-notes", get(list_credit_notes))
        .route("/credit-notes/{id}", get(get_credit_note))
        .route("/credit-notes/{id}/pdf", get(get_credit_note_pdf))
        .route("/domains/verify", get(verify_domain))
        .route("/transactions", get(list_transactions))
        .route("/transactions/{id}", get(get_transaction))
        .route("/transactions/{id}/capture", post(capture_transaction))
        .route("/transactions/{id}/cancel", post(cancel_transaction))
        .route("/transactions/{id}/refunds", post(create_refund))
        .route("/ipn-deliveries", get(list_ipn_deliveries))
        .route("/ipn-deliveries/{id}/resend", post(resend_ipn_delivery))
        .route("/jobs/status", get(jobs_status))
        .method_not_allowed_fallback(paygate_contract::http::method_not_allowed);
    Router::new()
        .nest("/api/v1", api.clone())
        .nest("/v1", api)
        .route("/healthz", get(healthz))
        .fallback(paygate_contract::http::route_not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(paygate_contract::http::close_after_oversized_body))
        .with_state(state)
}

/// Serves the Admin API on `listener` within `limits` until `shutdown`,
/// then drains.
pub async fn serve(
    core: Channel,
    listener: TcpListener,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    paygate_contract::server::serve(listener, router(core), limits, shutdown).await
}

async fn healthz(State(state): State<AppState>) -> Response {
    paygate_contract::http::healthz(state.channel).await
}

type ApiResult = Result<Response, HttpError>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListQuery {
    limit: Option<u32>,
    starting_after: Option<String>,
    site_id: Option<String>,
    status: Option<String>,
    transaction_id: Option<String>,
    country: Option<String>,
}

impl ListQuery {
    fn page(&self) -> pb::PageRequest {
        pb::PageRequest {
            limit: self.limit.unwrap_or(0),
            starting_after: self.starting_after.clone().unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateCheckoutBody {
    amount: Option<i64>,
    currency: Option<String>,
    description: Option<String>,
    customer: Option<json::CustomerBody>,
    line_items: Option<Vec<json::LineItemBody>>,
    capture_method: Option<String>,
    ipn_url: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    expires_in_seconds: Option<i64>,
}

async fn create_checkout(
    State(mut state): State<AppState>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateCheckoutBody>,
) -> ApiResult {
    let message = pb::CreateCheckoutRequest {
        site_id,
        idempotency_key: idempotency_key(&headers)?,
        amount: body.amount.unwrap_or(0),
        currency: body.currency.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        customer: body.customer.map(json::CustomerBody::into_proto),
        line_items: body.line_items.unwrap_or_default().into_iter().map(json::LineItemBody::into_proto).collect(),
        capture_method: json::capture_method_from_str(body.capture_method.as_deref()),
        ipn_url: body.ipn_url.unwrap_or_default(),
        success_url: body.success_url.unwrap_or_default(),
        cancel_url: body.cancel_url.unwrap_or_default(),
        metadata: body.metadata.unwrap_or_default().into_iter().collect(),
        expires_in_seconds: body.expires_in_seconds.unwrap_or(0),
    };
    let response = state.checkouts.create_checkout(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(json::checkout(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn get_checkout(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.checkouts.get_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await?;
    Ok(Json(json::checkout(response.get_ref())).into_response())
}

async fn list_checkouts(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListCheckoutsRequest {
        site_id: query.site_id.clone().unwrap_or_default(),
        status: json::checkout_status_from_str(query.status.as_deref()),
        page: Some(query.page()),
    };
    let response = state.checkouts.list_checkouts(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::checkout).collect(), response.has_more)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateSiteBody {
    name: Option<String>,
    checkout_domain: Option<String>,
}

async fn create_site(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateSiteBody>,
) -> ApiResult {
    let message = pb::CreateSiteRequest {
        name: body.name.unwrap_or_default(),
        checkout_domain: body.checkout_domain.unwrap_or_default(),
        idempotency_key: idempotency_key(&headers)?,
    };
    let response = state.sites.create_site(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(json::site_with_secret(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn get_site(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.sites.get_site(core_request(&headers, pb::GetSiteRequest { id })).await?;
    Ok(Json(json::site(response.get_ref())).into_response())
}

async fn list_sites(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListSitesRequest { page: Some(query.page()) };
    let response = state.sites.list_sites(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::site).collect(), response.has_more)).into_response())
}

async fn rotate_secret(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let message = pb::RotateWebhookSecretRequest { id };
    let response = state.sites.rotate_webhook_secret(core_request(&headers, message)).await?;
    Ok(Json(json::site_with_secret(response.get_ref())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateApiKeyBody {
    name: Option<String>,
    mode: Option<String>,
    scopes: Option<Vec<String>>,
}

async fn create_api_key(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateApiKeyBody>,
) -> ApiResult {
    let message = pb::CreateApiKeyRequest {
        name: body.name.unwrap_or_default(),
        mode: json::key_mode_from_str(body.mode.as_deref()),
        scopes: body.scopes.unwrap_or_default(),
        idempotency_key: idempotency_key(&headers)?,
    };
    let response = state.keys.create_api_key(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(json::api_key_with_secret(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_api_keys(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListApiKeysRequest { page: Some(query.page()) };
    let response = state.keys.list_api_keys(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::api_key).collect(), response.has_more)).into_response())
}

async fn revoke_api_key(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.keys.revoke_api_key(core_request(&headers, pb::RevokeApiKeyRequest { id })).await?;
    Ok(Json(json::api_key(response.get_ref())).into_response())
}

async fn get_organization(State(mut state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let message = pb::GetCurrentOrganizationRequest {};
    let response = state.organizations.get_current_organization(core_request(&headers, message)).await?;
    Ok(Json(json::organization(response.get_ref())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainQuery {
    domain: String,
}

/// Caddy's on-demand TLS `ask`: 200 when a site owns the domain, else 404.
async fn verify_domain(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<DomainQuery>,
) -> ApiResult {
    let message = pb::VerifyDomainRequest { domain: query.domain.clone() };
    let response = state.sites.verify_domain(core_request(&headers, message)).await?.into_inner();
    if response.owned {
        Ok(Json(serde_json::json!({"domain": query.domain, "owned": true})).into_response())
    } else {
        Err(HttpError::not_found("domain"))
    }
}

async fn get_transaction(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.transactions.get_transaction(core_request(&headers, pb::GetTransactionRequest { id })).await?;
    Ok(Json(json::transaction(response.get_ref())).into_response())
}

async fn list_transactions(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListTransactionsRequest {
        site_id: query.site_id.clone().unwrap_or_default(),
        status: json::transaction_status_from_str(query.status.as_deref()),
        page: Some(query.page()),
    };
    let response = state.transactions.list_transactions(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::transaction).collect(), response.has_more)).into_response())
}

/// `amount` that tells a JSON `null` (`Some(None)`) from an absent field
/// (`None`): absent means "all of it", `null` is a mistake worth a 400.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

fn optional_amount(amount: Option<Option<i64>>) -> Result<Option<i64>, HttpError> {
    match amount {
        Some(None) => Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            paygate_contract::error::ErrorType::InvalidRequest,
            "amount_invalid",
            "amount must be a positive integer; leave it out to take the whole remaining amount",
        )
        .with_param("amount")),
        Some(Some(amount)) => Ok(Some(amount)),
        None => Ok(None),
    }
}

/// 202 while the provider has not confirmed the action (the gateway
/// finishes it), 200 once it is done.
fn action_response(response: tonic::Response<pb::Transaction>) -> Response {
    let status = if response.get_ref().pending_action.is_empty() { StatusCode::OK } else { StatusCode::ACCEPTED };
    let body = (status, Json(json::transaction(response.get_ref()))).into_response();
    with_replay_header(response.metadata(), body)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CaptureBody {
    #[serde(default, deserialize_with = "present")]
    amount: Option<Option<i64>>,
}

async fn capture_transaction(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<CaptureBody>,
) -> ApiResult {
    let message = pb::TransactionActionRequest {
        id,
        amount: optional_amount(body.amount)?,
        idempotency_key: idempotency_key(&headers)?,
    };
    let response = state.transactions.capture_transaction(core_request(&headers, message)).await?;
    Ok(action_response(response))
}

/// Cancel takes no fields; a body sent anyway must still be a JSON object.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {}

async fn cancel_transaction(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(CancelBody {}): AppJsonOrEmpty<CancelBody>,
) -> ApiResult {
    let message = pb::TransactionActionRequest { id, amount: None, idempotency_key: idempotency_key(&headers)? };
    let response = state.transactions.cancel_transaction(core_request(&headers, message)).await?;
    Ok(action_response(response))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateRefundBody {
    #[serde(default, deserialize_with = "present")]
    amount: Option<Option<i64>>,
    reason: Option<String>,
}

async fn create_refund(
    State(mut state): State<AppState>,
    Path(transaction_id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<CreateRefundBody>,
) -> ApiResult {
    let message = pb::CreateRefundRequest {
        transaction_id,
        amount: optional_amount(body.amount)?,
        reason: body.reason.unwrap_or_default(),
        idempotency_key: idempotency_key(&headers)?,
    };
    let response = state.transactions.create_refund(core_request(&headers, message)).await?;
    // 202 while the provider has not confirmed the reserved refund.
    let status = if response.get_ref().status == pb::RefundStatus::Pending as i32 {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    let created = (status, Json(json::refund(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_ipn_deliveries(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListIpnDeliveriesRequest {
        site_id: query.site_id.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        page: Some(query.page()),
    };
    let response = state.ipn.list_ipn_deliveries(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::ipn_delivery).collect(), response.has_more)).into_response())
}

async fn resend_ipn_delivery(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let response = state.ipn.resend_ipn_delivery(core_request(&headers, pb::ResendIpnDeliveryRequest { id })).await?;
    Ok((StatusCode::ACCEPTED, Json(json::ipn_delivery(response.get_ref()))).into_response())
}

async fn jobs_status(State(mut state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let response =
        state.operations.get_queue_status(core_request(&headers, pb::GetQueueStatusRequest {})).await?.into_inner();
    let queues: Vec<_> = response
        .queues
        .iter()
        .map(|q| {
            serde_json::json!({
                "queue": q.queue, "depth": q.depth, "inFlight": q.in_flight, "retried": q.retried, "dead": q.dead,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({"object": "list", "data": queues, "hasMore": false})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateOrganizationBody {
    name: Option<String>,
    legal_name: Option<String>,
    address: Option<json::AddressBody>,
    vat_id: Option<String>,
    seller_country: Option<String>,
    invoice_prefix: Option<String>,
    credit_note_prefix: Option<String>,
}

async fn update_organization(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<UpdateOrganizationBody>,
) -> ApiResult {
    let message = pb::UpdateOrganizationRequest {
        name: body.name,
        legal_name: body.legal_name,
        address: body.address.map(json::AddressBody::into_proto),
        vat_id: body.vat_id,
        seller_country: body.seller_country,
        invoice_prefix: body.invoice_prefix,
        credit_note_prefix: body.credit_note_prefix,
    };
    let response = state.organizations.update_organization(core_request(&headers, message)).await?;
    Ok(Json(json::organization(response.get_ref())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TaxRuleBody {
    site_id: Option<String>,
    country: Option<String>,
    region: Option<String>,
    rate_bps: Option<i64>,
    name: Option<String>,
    valid_from: Option<String>,
}

impl TaxRuleBody {
    fn into_proto(self) -> pb::TaxRuleInput {
        pb::TaxRuleInput {
            site_id: self.site_id.unwrap_or_default(),
            country: self.country.unwrap_or_default(),
            region: self.region.unwrap_or_default(),
            // Absent is not 0 %: core rejects -1 as a missing rate.
            rate_bps: self.rate_bps.unwrap_or(-1),
            name: self.name.unwrap_or_default(),
            valid_from: self.valid_from.unwrap_or_default(),
        }
    }
}

async fn create_tax_rule(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<TaxRuleBody>,
) -> ApiResult {
    let response = state.tax.create_tax_rule(core_request(&headers, body.into_proto())).await?;
    Ok((StatusCode::CREATED, Json(json::tax_rule(response.get_ref()))).into_response())
}

async fn list_tax_rules(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message =
        pb::ListTaxRulesRequest { country: query.country.clone().unwrap_or_default(), page: Some(query.page()) };
    let response = state.tax.list_tax_rules(core_request(&headers, message)).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::tax_rule).collect(), response.has_more)).into_response())
}

async fn get_tax_rule(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.tax.get_tax_rule(core_request(&headers, pb::GetTaxRuleRequest { id })).await?;
    Ok(Json(json::tax_rule(response.get_ref())).into_response())
}

async fn update_tax_rule(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<TaxRuleBody>,
) -> ApiResult {
    let message = pb::UpdateTaxRuleRequest { id, rule: Some(body.into_proto()) };
    let response = state.tax.update_tax_rule(core_request(&headers, message)).await?;
    Ok(Json(json::tax_rule(response.get_ref())).into_response())
}

async fn delete_tax_rule(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.tax.delete_tax_rule(core_request(&headers, pb::GetTaxRuleRequest { id })).await?;
    let mut body = json::tax_rule(response.get_ref());
    body["deleted"] = serde_json::Value::Bool(true);
    Ok(Json(body).into_response())
}

async fn seed_eu_rates(State(mut state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let response = state.tax.seed_eu_rates(core_request(&headers, pb::SeedEuRatesRequest {})).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::tax_rule).collect(), false)).into_response())
}

fn documents_request(query: &ListQuery) -> pb::ListDocumentsRequest {
    pb::ListDocumentsRequest {
        site_id: query.site_id.clone().unwrap_or_default(),
        transaction_id: query.transaction_id.clone().unwrap_or_default(),
        page: Some(query.page()),
    }
}

async fn list_invoices(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let response = state.invoices.list_invoices(core_request(&headers, documents_request(&query))).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::tax_document).collect(), response.has_more)).into_response())
}

async fn get_invoice(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.invoices.get_invoice(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(Json(json::tax_document(response.get_ref())).into_response())
}

async fn list_credit_notes(
    State(mut state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let response =
        state.invoices.list_credit_notes(core_request(&headers, documents_request(&query))).await?.into_inner();
    Ok(Json(json::list(response.data.iter().map(json::tax_document).collect(), response.has_more)).into_response())
}

async fn get_credit_note(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.invoices.get_credit_note(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(Json(json::tax_document(response.get_ref())).into_response())
}

/// The PDF as an attachment named after the document number.
fn pdf_response(document: pb::DocumentPdf) -> Response {
    let filename: String =
        document.number.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    let disposition = format!("attachment; filename=\"{filename}.pdf\"");
    let mut response = document.pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/pdf"));
    if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn get_invoice_pdf(State(mut state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.invoices.get_invoice_pdf(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(pdf_response(response.into_inner()))
}

async fn get_credit_note_pdf(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let response = state.invoices.get_credit_note_pdf(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(pdf_response(response.into_inner()))
}
