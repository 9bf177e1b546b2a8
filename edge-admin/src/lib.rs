//! Paygate Admin API edge: merchant servers call it over REST with an API
//! key; every route is one gRPC call to core. No rule, storage or secret
//! lives here. It also serves the admin panel (see [`panel`]), which calls
//! this same API.

mod identity;
pub mod openapi;
mod panel;

use std::{future::Future, sync::Arc};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use paygate_contract::client::CoreChannel;
use paygate_contract::{
    error::HttpError,
    http::{AppJson, AppJsonOrEmpty, AppQuery, core_request, idempotency_key, json_answer, with_replay_header},
    proto::v1::{
        self as pb, api_key_service_client::ApiKeyServiceClient, checkout_service_client::CheckoutServiceClient,
        customer_service_client::CustomerServiceClient, invoice_service_client::InvoiceServiceClient,
        ipn_service_client::IpnServiceClient, operations_service_client::OperationsServiceClient,
        organization_service_client::OrganizationServiceClient, plan_service_client::PlanServiceClient,
        portal_service_client::PortalServiceClient, provider_service_client::ProviderServiceClient,
        report_service_client::ReportServiceClient, site_service_client::SiteServiceClient,
        subscription_service_client::SubscriptionServiceClient, tax_service_client::TaxServiceClient,
        test_clock_service_client::TestClockServiceClient, transaction_service_client::TransactionServiceClient,
    },
    server::{HttpLimits, TrustedProxies},
    wire::{self, List, ListQuery},
};
use tokio::net::TcpListener;

/// What every handler shares, behind one reference count: a request clones
/// the one client it calls, not all of them.
type AppState = Arc<Clients>;

struct Clients {
    channel: CoreChannel,
    checkouts: CheckoutServiceClient<CoreChannel>,
    sites: SiteServiceClient<CoreChannel>,
    keys: ApiKeyServiceClient<CoreChannel>,
    organizations: OrganizationServiceClient<CoreChannel>,
    transactions: TransactionServiceClient<CoreChannel>,
    ipn: IpnServiceClient<CoreChannel>,
    operations: OperationsServiceClient<CoreChannel>,
    tax: TaxServiceClient<CoreChannel>,
    invoices: InvoiceServiceClient<CoreChannel>,
    providers: ProviderServiceClient<CoreChannel>,
    customers: CustomerServiceClient<CoreChannel>,
    plans: PlanServiceClient<CoreChannel>,
    portal: PortalServiceClient<CoreChannel>,
    subscriptions: SubscriptionServiceClient<CoreChannel>,
    clocks: TestClockServiceClient<CoreChannel>,
    reports: ReportServiceClient<CoreChannel>,
}

/// The largest export core sends: 10,000 rows of at most a few hundred
/// bytes each, with room to spare.
const MAX_EXPORT_BYTES: usize = 32 * 1024 * 1024;

/// The Admin API router over a channel to core.
pub fn router(core: CoreChannel) -> Router {
    let state = Clients {
        checkouts: CheckoutServiceClient::new(core.clone()),
        sites: SiteServiceClient::new(core.clone()),
        keys: ApiKeyServiceClient::new(core.clone()),
        organizations: OrganizationServiceClient::new(core.clone()),
        transactions: TransactionServiceClient::new(core.clone()),
        ipn: IpnServiceClient::new(core.clone()),
        operations: OperationsServiceClient::new(core.clone()),
        tax: TaxServiceClient::new(core.clone()),
        invoices: InvoiceServiceClient::new(core.clone()),
        providers: ProviderServiceClient::new(core.clone()),
        customers: CustomerServiceClient::new(core.clone()),
        plans: PlanServiceClient::new(core.clone()),
        portal: PortalServiceClient::new(core.clone()),
        subscriptions: SubscriptionServiceClient::new(core.clone()),
        clocks: TestClockServiceClient::new(core.clone()),
        reports: ReportServiceClient::new(core.clone()).max_decoding_message_size(MAX_EXPORT_BYTES),
        channel: core,
    };
    // Both spellings of the API's prefix are routed directly rather than
    // nested: a nested route is wrapped in one more boxed service (and a
    // rewritten URI) on every request.
    let mut api = Router::new();
    for prefix in ["/api/v1", "/v1"] {
        let at = |path: &str| format!("{prefix}{path}");
        api = api
            .route(&at("/checkouts"), get(list_checkouts))
            .route(&at("/checkouts/{site_id}/create"), post(create_checkout))
            .route(&at("/checkouts/{id}"), get(get_checkout))
            .route(&at("/sites"), post(create_site).get(list_sites))
            .route(&at("/sites/{id}"), get(get_site).patch(update_site))
            .route(&at("/sites/{id}/rotate-secret"), post(rotate_secret))
            .route(&at("/sites/{id}/domains"), post(add_checkout_domain))
            .route(&at("/sites/{id}/domains/{domain}"), delete(remove_checkout_domain))
            .route(&at("/sites/{id}/domains/{domain}/verify"), post(verify_checkout_domain))
            .route(&at("/providers"), post(create_provider).get(list_providers))
            .route(&at("/providers/{id}"), get(get_provider).patch(update_provider).delete(delete_provider))
            .route(&at("/providers/{id}/sandbox-events"), post(emit_sandbox_event))
            .route(&at("/customers"), post(create_customer).get(list_customers))
            .route(&at("/customers/{id}"), get(get_customer).patch(update_customer))
            .route(&at("/plans"), post(create_plan).get(list_plans))
            .route(&at("/plans/{id}"), get(get_plan).patch(update_plan))
            .route(&at("/portal/sessions"), post(create_portal_session))
            .route(&at("/subscriptions"), post(create_subscription).get(list_subscriptions))
            .route(&at("/subscriptions/{id}"), get(get_subscription).patch(update_subscription))
            .route(&at("/subscriptions/{id}/cancel"), post(cancel_subscription))
            .route(&at("/subscriptions/{id}/resume"), post(resume_subscription))
            .route(&at("/test-clocks"), post(create_test_clock).get(list_test_clocks))
            .route(&at("/test-clocks/{id}"), get(get_test_clock))
            .route(&at("/test-clocks/{id}/advance"), post(advance_test_clock))
            .route(&at("/api-keys"), post(create_api_key).get(list_api_keys))
            .route(&at("/api-keys/{id}/revoke"), post(revoke_api_key))
            .route(&at("/organization"), get(get_organization).patch(update_organization))
            .route(&at("/tax-rules"), post(create_tax_rule).get(list_tax_rules))
            .route(&at("/tax-rules/seed-eu"), post(seed_eu_rates))
            .route(&at("/tax-rules/{id}"), get(get_tax_rule).put(update_tax_rule).delete(delete_tax_rule))
            .route(&at("/invoices"), get(list_invoices))
            .route(&at("/invoices/{id}"), get(get_invoice))
            .route(&at("/invoices/{id}/pdf"), get(get_invoice_pdf))
            .route(&at("/credit-notes"), get(list_credit_notes))
            .route(&at("/credit-notes/{id}"), get(get_credit_note))
            .route(&at("/credit-notes/{id}/pdf"), get(get_credit_note_pdf))
            .route(&at("/domains/verify"), get(verify_domain))
            .route(&at("/transactions"), get(list_transactions))
            .route(&at("/transactions/export.csv"), get(export_transactions))
            .route(&at("/transactions/{id}"), get(get_transaction))
            .route(&at("/transactions/{id}/timeline"), get(get_transaction_timeline))
            .route(&at("/reports/summary"), get(get_summary))
            .route(&at("/transactions/{id}/capture"), post(capture_transaction))
            .route(&at("/transactions/{id}/cancel"), post(cancel_transaction))
            .route(&at("/transactions/{id}/refunds"), post(create_refund))
            .route(&at("/ipn-deliveries"), get(list_ipn_deliveries))
            .route(&at("/ipn-deliveries/{id}/resend"), post(resend_ipn_delivery))
            .route(&at("/jobs/status"), get(jobs_status))
            .route(&at("/openapi.json"), get(openapi_document))
            .merge(identity::routes(state.channel.clone(), prefix));
    }
    let api = api.method_not_allowed_fallback(paygate_contract::http::method_not_allowed);
    Router::new()
        .merge(api)
        .route("/healthz", get(paygate_contract::metrics::healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(paygate_contract::metrics::metrics_endpoint))
        .fallback(panel::fallback)
        .with_state(Arc::new(state))
}

/// Serves the Admin API on `listener` within `limits` until `shutdown`,
/// then drains.
/// Requests from `trusted_proxies` are attributed to the client their
/// `X-Forwarded-For` names (in the audit log).
pub async fn serve(
    core: CoreChannel,
    listener: TcpListener,
    limits: HttpLimits,
    trusted_proxies: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    paygate_contract::server::serve("paygate-edge-admin", listener, router(core), limits, trusted_proxies, shutdown)
        .await
}

async fn readyz(State(state): State<AppState>) -> Response {
    paygate_contract::http::readyz(state.channel.clone()).await
}

type ApiResult = Result<Response, HttpError>;

/// This API's OpenAPI 3.1 document, generated from the wire types.
async fn openapi_document() -> Response {
    paygate_contract::openapi::response(openapi::DOCUMENT_JSON.as_str())
}

/// Room for a created checkout's JSON answer: the README's order answers
/// in 663 bytes; metadata or more line items grow the buffer as usual.
const CHECKOUT_ANSWER_CAPACITY: usize = 1024;

async fn create_checkout(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreateCheckoutRequest>,
) -> ApiResult {
    let message = body.into_proto(site_id, idempotency_key(&headers)?)?;
    let response = state.checkouts.clone().create_checkout(core_request(&headers, message)).await?;
    let (metadata, checkout, _) = response.into_parts();
    let created = json_answer(StatusCode::CREATED, &wire::Checkout::from(checkout), CHECKOUT_ANSWER_CAPACITY);
    Ok(with_replay_header(&metadata, created))
}

async fn get_checkout(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.checkouts.clone().get_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await?;
    Ok(Json(wire::Checkout::from(response.get_ref())).into_response())
}

async fn list_checkouts(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListCheckoutsRequest {
        site_id: query.site_id(),
        status: query.checkout_status()? as i32,
        page: Some(query.page()),
    };
    let response = state.checkouts.clone().list_checkouts(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Checkout>::of(&response.data, response.has_more)).into_response())
}

async fn create_site(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreateSiteRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?);
    let response = state.sites.clone().create_site(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::SiteWithSecret::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn create_provider(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreateProviderRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?);
    let response = state.providers.clone().create_provider(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::ProviderWithSecret::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_providers(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListProvidersRequest { page: Some(query.page()) };
    let response = state.providers.clone().list_providers(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Provider>::of(&response.data, response.has_more)).into_response())
}

async fn get_provider(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.providers.clone().get_provider(core_request(&headers, pb::GetProviderRequest { id })).await?;
    Ok(Json(wire::Provider::from(response.get_ref())).into_response())
}

async fn update_provider(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdateProviderRequest>,
) -> ApiResult {
    let response = state.providers.clone().update_provider(core_request(&headers, body.into_proto(id))).await?;
    Ok(Json(wire::Provider::from(response.get_ref())).into_response())
}

async fn delete_provider(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.providers.clone().delete_provider(core_request(&headers, pb::GetProviderRequest { id })).await?;
    Ok(Json(wire::DeletedProvider::from(response.get_ref())).into_response())
}

async fn emit_sandbox_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::SandboxEventRequest>,
) -> ApiResult {
    let response = state.providers.clone().emit_sandbox_event(core_request(&headers, body.into_proto(id))).await?;
    Ok(Json(wire::SandboxEvent::from(response.get_ref())).into_response())
}

async fn create_customer(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CustomerRequest>,
) -> ApiResult {
    let message =
        pb::CreateCustomerRequest { customer: Some(body.into()), idempotency_key: idempotency_key(&headers)? };
    let response = state.customers.clone().create_customer(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::CustomerRecord::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_customers(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListCustomersRequest { email: query.email.clone().unwrap_or_default(), page: Some(query.page()) };
    let response = state.customers.clone().list_customers(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::CustomerRecord>::of(&response.data, response.has_more)).into_response())
}

async fn get_customer(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.customers.clone().get_customer(core_request(&headers, pb::GetCustomerRequest { id })).await?;
    Ok(Json(wire::CustomerRecord::from(response.get_ref())).into_response())
}

async fn update_customer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CustomerRequest>,
) -> ApiResult {
    let message = pb::UpdateCustomerRequest { id, customer: Some(body.into()) };
    let response = state.customers.clone().update_customer(core_request(&headers, message)).await?;
    Ok(Json(wire::CustomerRecord::from(response.get_ref())).into_response())
}

async fn create_plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreatePlanRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?);
    let response = state.plans.clone().create_plan(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::Plan::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_plans(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListPlansRequest { active: query.active()?, page: Some(query.page()) };
    let response = state.plans.clone().list_plans(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Plan>::of(&response.data, response.has_more)).into_response())
}

async fn get_plan(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.plans.clone().get_plan(core_request(&headers, pb::GetPlanRequest { id })).await?;
    Ok(Json(wire::Plan::from(response.get_ref())).into_response())
}

async fn update_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdatePlanRequest>,
) -> ApiResult {
    let response = state.plans.clone().update_plan(core_request(&headers, body.into_proto(id))).await?;
    Ok(Json(wire::Plan::from(response.get_ref())).into_response())
}

async fn create_portal_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreatePortalSessionRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?);
    let response = state.portal.clone().create_portal_session(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::PortalSessionCreated::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn create_subscription(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreateSubscriptionRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?);
    let response = state.subscriptions.clone().create_subscription(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::Subscription::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListSubscriptionsRequest {
        customer_id: query.customer_id.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        page: Some(query.page()),
    };
    let response = state.subscriptions.clone().list_subscriptions(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Subscription>::of(&response.data, response.has_more)).into_response())
}

async fn get_subscription(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let message = pb::GetSubscriptionRequest { id };
    let response = state.subscriptions.clone().get_subscription(core_request(&headers, message)).await?;
    Ok(Json(wire::Subscription::from(response.get_ref())).into_response())
}

async fn update_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdateSubscriptionRequest>,
) -> ApiResult {
    let message = pb::UpdateSubscriptionRequest { id, payment_method: body.payment_method.unwrap_or_default() };
    let response = state.subscriptions.clone().update_subscription(core_request(&headers, message)).await?;
    Ok(Json(wire::Subscription::from(response.get_ref())).into_response())
}

async fn cancel_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<wire::CancelSubscriptionRequest>,
) -> ApiResult {
    let message = body.into_proto(id, idempotency_key(&headers)?);
    let response = state.subscriptions.clone().cancel_subscription(core_request(&headers, message)).await?;
    let answer = Json(wire::Subscription::from(response.get_ref())).into_response();
    Ok(with_replay_header(response.metadata(), answer))
}

async fn resume_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(wire::ResumeSubscriptionRequest {}): AppJsonOrEmpty<wire::ResumeSubscriptionRequest>,
) -> ApiResult {
    let message = pb::ResumeSubscriptionRequest { id, idempotency_key: idempotency_key(&headers)? };
    let response = state.subscriptions.clone().resume_subscription(core_request(&headers, message)).await?;
    let answer = Json(wire::Subscription::from(response.get_ref())).into_response();
    Ok(with_replay_header(response.metadata(), answer))
}

async fn create_test_clock(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TestClockRequest>,
) -> ApiResult {
    let message = body.into_create(idempotency_key(&headers)?)?;
    let response = state.clocks.clone().create_test_clock(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::TestClock::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_test_clocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListTestClocksRequest { page: Some(query.page()) };
    let response = state.clocks.clone().list_test_clocks(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::TestClock>::of(&response.data, response.has_more)).into_response())
}

async fn get_test_clock(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.clocks.clone().get_test_clock(core_request(&headers, pb::GetTestClockRequest { id })).await?;
    Ok(Json(wire::TestClock::from(response.get_ref())).into_response())
}

async fn advance_test_clock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TestClockRequest>,
) -> ApiResult {
    let message = body.into_advance(id)?;
    let response = state.clocks.clone().advance_test_clock(core_request(&headers, message)).await?;
    Ok(Json(wire::TestClock::from(response.get_ref())).into_response())
}

async fn get_site(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.sites.clone().get_site(core_request(&headers, pb::GetSiteRequest { id })).await?;
    Ok(Json(wire::Site::from(response.get_ref())).into_response())
}

async fn update_site(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdateSiteRequest>,
) -> ApiResult {
    let response = state.sites.clone().update_site(core_request(&headers, body.into_proto(id))).await?;
    Ok(Json(wire::Site::from(response.get_ref())).into_response())
}

async fn list_sites(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListSitesRequest { page: Some(query.page()) };
    let response = state.sites.clone().list_sites(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Site>::of(&response.data, response.has_more)).into_response())
}

async fn rotate_secret(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let message = pb::RotateWebhookSecretRequest { id };
    let response = state.sites.clone().rotate_webhook_secret(core_request(&headers, message)).await?;
    Ok(Json(wire::SiteWithSecret::from(response.get_ref())).into_response())
}

async fn add_checkout_domain(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::AddCheckoutDomainRequest>,
) -> ApiResult {
    let response = state.sites.clone().add_checkout_domain(core_request(&headers, body.into_proto(site_id))).await?;
    Ok((StatusCode::CREATED, Json(wire::CheckoutDomain::from(response.get_ref()))).into_response())
}

async fn verify_checkout_domain(
    State(state): State<AppState>,
    Path((site_id, domain)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let message = pb::CheckoutDomainRequest { site_id, domain };
    let response = state.sites.clone().verify_checkout_domain(core_request(&headers, message)).await?;
    Ok(Json(wire::CheckoutDomain::from(response.get_ref())).into_response())
}

async fn remove_checkout_domain(
    State(state): State<AppState>,
    Path((site_id, domain)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let message = pb::CheckoutDomainRequest { site_id, domain };
    let response = state.sites.clone().remove_checkout_domain(core_request(&headers, message)).await?;
    Ok(Json(wire::DeletedCheckoutDomain::from(response.get_ref())).into_response())
}

async fn create_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CreateApiKeyRequest>,
) -> ApiResult {
    let message = body.into_proto(idempotency_key(&headers)?)?;
    let response = state.keys.clone().create_api_key(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::ApiKeyWithSecret::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_api_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListApiKeysRequest { page: Some(query.page()) };
    let response = state.keys.clone().list_api_keys(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::ApiKey>::of(&response.data, response.has_more)).into_response())
}

async fn revoke_api_key(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.keys.clone().revoke_api_key(core_request(&headers, pb::RevokeApiKeyRequest { id })).await?;
    Ok(Json(wire::ApiKey::from(response.get_ref())).into_response())
}

async fn get_organization(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let message = pb::GetCurrentOrganizationRequest {};
    let response = state.organizations.clone().get_current_organization(core_request(&headers, message)).await?;
    Ok(Json(wire::Organization::from(response.get_ref())).into_response())
}

/// Caddy's on-demand TLS `ask`: 200 for the gateway's own host names and
/// custom checkout domains whose ownership was proven, else 404.
async fn verify_domain(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<wire::DomainQuery>,
) -> ApiResult {
    let message = pb::VerifyDomainRequest { domain: query.domain.clone() };
    let response = state.sites.clone().verify_domain(core_request(&headers, message)).await?.into_inner();
    if response.owned {
        Ok(Json(wire::DomainVerification { domain: query.domain, owned: true }).into_response())
    } else {
        Err(HttpError::not_found("domain"))
    }
}

async fn get_transaction(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.transactions.clone().get_transaction(core_request(&headers, pb::GetTransactionRequest { id })).await?;
    Ok(Json(wire::Transaction::from(response.get_ref())).into_response())
}

async fn list_transactions(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListTransactionsRequest {
        site_id: query.site_id(),
        status: query.transaction_status()? as i32,
        page: Some(query.page()),
        filters: Some(query.transaction_filters()),
    };
    let response = state.transactions.clone().list_transactions(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::Transaction>::of(&response.data, response.has_more)).into_response())
}

async fn export_transactions(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<wire::ExportQuery>,
) -> ApiResult {
    let message = query.into_proto()?;
    let export = state.reports.clone().export_transactions(core_request(&headers, message)).await?.into_inner();
    let mut response = export.csv.into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    out.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"transactions.csv\""));
    out.insert("export-rows", HeaderValue::from(export.rows));
    if export.truncated {
        out.insert("export-truncated", HeaderValue::from(export.limit));
    }
    Ok(response)
}

async fn get_transaction_timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let message = pb::GetTransactionRequest { id };
    let response = state.reports.clone().get_transaction_timeline(core_request(&headers, message)).await?;
    Ok(Json(wire::TransactionTimeline::from(response.get_ref())).into_response())
}

async fn get_summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<wire::SummaryQuery>,
) -> ApiResult {
    let response =
        state.reports.clone().get_summary(core_request(&headers, pb::GetSummaryRequest::from(query))).await?;
    Ok(Json(wire::Summary::from(response.get_ref())).into_response())
}

/// `amount` that tells a JSON `null` (`Some(None)`) from an absent field
/// (`None`): absent means "all of it", `null` is a mistake worth a 400.
/// 202 while the provider has not confirmed the action (the gateway
/// finishes it), 200 once it is done.
fn action_response(response: tonic::Response<pb::Transaction>) -> Response {
    let status = if response.get_ref().pending_action.is_empty() { StatusCode::OK } else { StatusCode::ACCEPTED };
    let body = (status, Json(wire::Transaction::from(response.get_ref()))).into_response();
    with_replay_header(response.metadata(), body)
}

async fn capture_transaction(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<wire::CaptureRequest>,
) -> ApiResult {
    let message = body.into_proto(id, idempotency_key(&headers)?)?;
    let response = state.transactions.clone().capture_transaction(core_request(&headers, message)).await?;
    Ok(action_response(response))
}

async fn cancel_transaction(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(wire::CancelRequest {}): AppJsonOrEmpty<wire::CancelRequest>,
) -> ApiResult {
    let message = pb::TransactionActionRequest { id, amount: None, idempotency_key: idempotency_key(&headers)? };
    let response = state.transactions.clone().cancel_transaction(core_request(&headers, message)).await?;
    Ok(action_response(response))
}

async fn create_refund(
    State(state): State<AppState>,
    Path(transaction_id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<wire::CreateRefundRequest>,
) -> ApiResult {
    let message = body.into_proto(transaction_id, idempotency_key(&headers)?)?;
    let response = state.transactions.clone().create_refund(core_request(&headers, message)).await?;
    // 202 while the provider has not confirmed the reserved refund.
    let status = if response.get_ref().status == pb::RefundStatus::Pending as i32 {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    let created = (status, Json(wire::Refund::from(response.get_ref()))).into_response();
    Ok(with_replay_header(response.metadata(), created))
}

async fn list_ipn_deliveries(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListIpnDeliveriesRequest {
        site_id: query.site_id(),
        status: query.ipn_delivery_status()?,
        page: Some(query.page()),
        object_id: query.object_id.clone().unwrap_or_default(),
    };
    let response = state.ipn.clone().list_ipn_deliveries(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::IpnDelivery>::of(&response.data, response.has_more)).into_response())
}

async fn resend_ipn_delivery(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.ipn.clone().resend_ipn_delivery(core_request(&headers, pb::ResendIpnDeliveryRequest { id })).await?;
    Ok((StatusCode::ACCEPTED, Json(wire::IpnDelivery::from(response.get_ref()))).into_response())
}

async fn jobs_status(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let response = state
        .operations
        .clone()
        .get_queue_status(core_request(&headers, pb::GetQueueStatusRequest {}))
        .await?
        .into_inner();
    Ok(Json(List::<wire::QueueStatus>::of(&response.queues, false)).into_response())
}

async fn update_organization(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdateOrganizationRequest>,
) -> ApiResult {
    let message = pb::UpdateOrganizationRequest::from(body);
    let response = state.organizations.clone().update_organization(core_request(&headers, message)).await?;
    Ok(Json(wire::Organization::from(response.get_ref())).into_response())
}

async fn create_tax_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TaxRuleRequest>,
) -> ApiResult {
    let response = state.tax.clone().create_tax_rule(core_request(&headers, pb::TaxRuleInput::from(body))).await?;
    Ok((StatusCode::CREATED, Json(wire::TaxRule::from(response.get_ref()))).into_response())
}

async fn list_tax_rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message =
        pb::ListTaxRulesRequest { country: query.country.clone().unwrap_or_default(), page: Some(query.page()) };
    let response = state.tax.clone().list_tax_rules(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::TaxRule>::of(&response.data, response.has_more)).into_response())
}

async fn get_tax_rule(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.tax.clone().get_tax_rule(core_request(&headers, pb::GetTaxRuleRequest { id })).await?;
    Ok(Json(wire::TaxRule::from(response.get_ref())).into_response())
}

async fn update_tax_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TaxRuleRequest>,
) -> ApiResult {
    let message = pb::UpdateTaxRuleRequest { id, rule: Some(pb::TaxRuleInput::from(body)) };
    let response = state.tax.clone().update_tax_rule(core_request(&headers, message)).await?;
    Ok(Json(wire::TaxRule::from(response.get_ref())).into_response())
}

async fn delete_tax_rule(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.tax.clone().delete_tax_rule(core_request(&headers, pb::GetTaxRuleRequest { id })).await?;
    Ok(Json(wire::DeletedTaxRule::from(response.get_ref())).into_response())
}

async fn seed_eu_rates(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let response =
        state.tax.clone().seed_eu_rates(core_request(&headers, pb::SeedEuRatesRequest {})).await?.into_inner();
    Ok(Json(List::<wire::TaxRule>::of(&response.data, false)).into_response())
}

async fn list_invoices(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let response = state.invoices.clone().list_invoices(core_request(&headers, query.documents())).await?.into_inner();
    Ok(Json(List::<wire::TaxDocument>::of(&response.data, response.has_more)).into_response())
}

async fn get_invoice(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response = state.invoices.clone().get_invoice(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(Json(wire::TaxDocument::from(response.get_ref())).into_response())
}

async fn list_credit_notes(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let response =
        state.invoices.clone().list_credit_notes(core_request(&headers, query.documents())).await?.into_inner();
    Ok(Json(List::<wire::TaxDocument>::of(&response.data, response.has_more)).into_response())
}

async fn get_credit_note(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.invoices.clone().get_credit_note(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(Json(wire::TaxDocument::from(response.get_ref())).into_response())
}

async fn get_invoice_pdf(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.invoices.clone().get_invoice_pdf(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(paygate_contract::http::pdf_response(response.into_inner()))
}

async fn get_credit_note_pdf(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    let response =
        state.invoices.clone().get_credit_note_pdf(core_request(&headers, pb::GetDocumentRequest { id })).await?;
    Ok(paygate_contract::http::pdf_response(response.into_inner()))
}
