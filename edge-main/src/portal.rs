//! The customer portal: its API (`/api/v1/portal/…`) and its page
//! (`/portal`). Core decides everything; this module only carries the
//! customer's credential to it and renders what it answers.
//!
//! A credential is either `Authorization: Bearer pt_…` (the token the
//! merchant received) or the page's session cookie, which `GET
//! /portal?token=pt_…` sets in exchange for the token before redirecting to
//! `/portal`, so the token leaves the address bar and the history. The
//! cookie is `HttpOnly`, `Secure` and `SameSite=Strict` with `Path=/`: the
//! page calls the portal API with it. A browser that followed the
//! merchant's link (another site) does not send a `Strict` cookie on that
//! redirect, so `/portal` answers such an arrival with a page that reloads
//! itself from this origin. Nothing the portal answers may be cached
//! (`Cache-Control: no-store`).

use std::fmt::Write as _;

use axum::{
    Json,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use paygate_contract::{
    error::{ErrorType, HttpError},
    http::{AppJson, AppJsonOrEmpty, AppQuery, core_request, pdf_response},
    proto::v1::{self as pb},
    wire::{self, List, ListQuery},
};
use serde::Deserialize;

use crate::{
    AppState,
    page::{CSP_BASE, escape, format_money},
};

const PORTAL_SCRIPT: &str = include_str!("../assets/portal.js");
const PORTAL_STYLE: &str = include_str!("../assets/portal.css");

/// The page's session cookie. `__Host-` makes browsers refuse it unless it
/// is `Secure`, has `Path=/` and names no domain, so no other host can set
/// or shadow it.
pub(crate) const COOKIE_NAME: &str = "__Host-paygate_portal";
const COOKIE_ATTRIBUTES: &str = "Path=/; Secure; HttpOnly; SameSite=Strict";

/// The most documents of a kind the page lists; the API pages through
/// all of them.
const PAGE_DOCUMENTS: u32 = 100;

type ApiResult = Result<Response, HttpError>;

/// `Cache-Control: no-store` on every portal answer, errors included: what
/// the portal shows is one customer's and must not outlive the session in
/// any cache.
pub(crate) async fn no_store(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let portal = path == "/portal"
        || path.starts_with("/portal/")
        || path.starts_with("/assets/portal")
        || path == "/api/v1/portal"
        || path.starts_with("/api/v1/portal/");
    let mut response = next.run(request).await;
    if portal {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The session cookie's value, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(header) = HeaderValue::from_str(&format!("{COOKIE_NAME}={value}; {COOKIE_ATTRIBUTES}")) {
        response.headers_mut().append(header::SET_COOKIE, header);
    }
}

fn clear_cookie(response: &mut Response) {
    if let Ok(header) = HeaderValue::from_str(&format!("{COOKIE_NAME}=; Max-Age=0; {COOKIE_ATTRIBUTES}")) {
        response.headers_mut().append(header::SET_COOKIE, header);
    }
}

/// A core request carrying the customer's credential: the request's own
/// `Authorization`, else the session cookie. A request with neither
/// reaches core without one, which answers 401.
fn portal_request<T>(headers: &HeaderMap, message: T) -> tonic::Request<T> {
    match session_cookie(headers) {
        Some(secret) if !headers.contains_key(header::AUTHORIZATION) => with_secret(secret, message),
        _ => core_request(headers, message),
    }
}

/// A core request presenting a portal secret (`pt_…` or `pc_…`).
fn with_secret<T>(secret: &str, message: T) -> tonic::Request<T> {
    let mut request = core_request(&HeaderMap::new(), message);
    if let Ok(value) = tonic::metadata::MetadataValue::try_from(format!("Bearer {secret}")) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A change made with the session cookie must come from the portal page
/// itself: a browser names the page's origin in `Origin`. (`SameSite`
/// already keeps other sites' requests from carrying the cookie; this also
/// refuses other origins of the same site.)
fn check_origin(headers: &HeaderMap) -> Result<(), HttpError> {
    if headers.contains_key(header::AUTHORIZATION) || session_cookie(headers).is_none() {
        return Ok(());
    }
    match headers.get(header::ORIGIN).map(|origin| origin.to_str().unwrap_or_default()) {
        Some(origin) if !crate::cors::same_origin(headers, origin) => Err(HttpError::new(
            StatusCode::FORBIDDEN,
            ErrorType::Permission,
            "origin_forbidden",
            "portal changes made with the portal's session cookie must come from the portal page",
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn me(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let response =
        state.portal.clone().get_portal_session(portal_request(&headers, pb::GetPortalSessionRequest {})).await?;
    Ok(Json(wire::PortalView::from(response.get_ref())).into_response())
}

fn documents_request(query: &ListQuery) -> pb::ListPortalDocumentsRequest {
    pb::ListPortalDocumentsRequest { page: Some(query.page()) }
}

pub(crate) async fn invoices(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let request = portal_request(&headers, documents_request(&query));
    let response = state.portal.clone().list_portal_invoices(request).await?.into_inner();
    Ok(Json(List::<wire::TaxDocument>::of(&response.data, response.has_more)).into_response())
}

pub(crate) async fn credit_notes(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let request = portal_request(&headers, documents_request(&query));
    let response = state.portal.clone().list_portal_credit_notes(request).await?.into_inner();
    Ok(Json(List::<wire::TaxDocument>::of(&response.data, response.has_more)).into_response())
}

pub(crate) async fn invoice_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let request = portal_request(&headers, pb::GetDocumentRequest { id });
    Ok(pdf_response(state.portal.clone().get_portal_invoice_pdf(request).await?.into_inner()))
}

pub(crate) async fn credit_note_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let request = portal_request(&headers, pb::GetDocumentRequest { id });
    Ok(pdf_response(state.portal.clone().get_portal_credit_note_pdf(request).await?.into_inner()))
}

pub(crate) async fn subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let request = portal_request(&headers, pb::ListPortalSubscriptionsRequest { page: Some(query.page()) });
    let response = state.portal.clone().list_portal_subscriptions(request).await?.into_inner();
    Ok(Json(List::<wire::PortalSubscription>::of(&response.data, response.has_more)).into_response())
}

/// Cancels at the end of the current period, with the customer's reason.
pub(crate) async fn cancel_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::CancelPortalSubscriptionRequest>,
) -> ApiResult {
    check_origin(&headers)?;
    let request = portal_request(&headers, body.into_proto(id));
    let response = state.portal.clone().cancel_portal_subscription(request).await?;
    Ok(Json(wire::PortalSubscription::from(response.get_ref())).into_response())
}

/// Takes back a cancellation before the period ends.
pub(crate) async fn resume_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJsonOrEmpty(wire::ResumeSubscriptionRequest {}): AppJsonOrEmpty<wire::ResumeSubscriptionRequest>,
) -> ApiResult {
    check_origin(&headers)?;
    let request = portal_request(&headers, pb::ResumePortalSubscriptionRequest { id });
    let response = state.portal.clone().resume_portal_subscription(request).await?;
    Ok(Json(wire::PortalSubscription::from(response.get_ref())).into_response())
}

/// Ends the session (its token and every browser session made from it)
/// and clears this browser's cookie.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    check_origin(&headers)?;
    let request = portal_request(&headers, pb::EndPortalSessionRequest {});
    let response = state.portal.clone().end_portal_session(request).await?;
    let mut answer = Json(wire::PortalLoggedOut::from(response.get_ref())).into_response();
    clear_cookie(&mut answer);
    Ok(answer)
}

// ---- the page ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct PortalQuery {
    token: Option<String>,
}

fn page_headers(headers: &mut HeaderMap) {
    if let Ok(value) = HeaderValue::from_str(&format!("{CSP_BASE}; frame-ancestors 'none'")) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    page_headers(response.headers_mut());
    response
}

/// `GET /portal`: with `?token=pt_…`, trades the token for the session
/// cookie and redirects to `/portal` (303), so the token leaves the
/// address bar and the history; without, the customer's portal, or a page
/// saying the session has ended.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<PortalQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = query.token {
        let exchange = pb::ExchangePortalTokenRequest { token };
        return match state.portal.clone().exchange_portal_token(core_request(&headers, exchange)).await {
            Ok(session) => {
                let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/portal")]).into_response();
                page_headers(response.headers_mut());
                set_cookie(&mut response, &session.get_ref().secret);
                response
            }
            Err(status) => ended_or_unavailable(&status),
        };
    }
    let Some(cookie) = session_cookie(&headers).map(str::to_owned) else {
        // A `SameSite=Strict` cookie does not travel with a navigation that
        // started on another site, even through this origin's redirect: the
        // customer who followed the merchant's link arrives here without it.
        // One same-origin step (a refresh the page itself makes) brings it.
        if headers.get("sec-fetch-site").is_some_and(|site| site == "cross-site") {
            return html(StatusCode::OK, continue_page());
        }
        return html(StatusCode::UNAUTHORIZED, ended_page(None));
    };
    let view = match state.portal.clone().get_portal_session(with_secret(&cookie, pb::GetPortalSessionRequest {})).await
    {
        Ok(view) => view.into_inner(),
        Err(status) => {
            let mut response = ended_or_unavailable(&status);
            if status.code() == tonic::Code::Unauthenticated {
                clear_cookie(&mut response);
            }
            return response;
        }
    };
    let page = pb::PageRequest { limit: Some(PAGE_DOCUMENTS), starting_after: String::new() };
    let (mut subscriptions_client, mut invoices_client, mut notes_client) =
        (state.portal.clone(), state.portal.clone(), state.portal.clone());
    let (subscriptions, invoices, credit_notes) = tokio::join!(
        subscriptions_client.list_portal_subscriptions(with_secret(
            &cookie,
            pb::ListPortalSubscriptionsRequest { page: Some(page.clone()) }
        )),
        invoices_client
            .list_portal_invoices(with_secret(&cookie, pb::ListPortalDocumentsRequest { page: Some(page.clone()) })),
        notes_client
            .list_portal_credit_notes(with_secret(&cookie, pb::ListPortalDocumentsRequest { page: Some(page) })),
    );
    match (subscriptions, invoices, credit_notes) {
        (Ok(subscriptions), Ok(invoices), Ok(credit_notes)) => html(
            StatusCode::OK,
            render_portal(&view, &subscriptions.into_inner(), &invoices.into_inner(), &credit_notes.into_inner()),
        ),
        (Err(status), _, _) | (_, Err(status), _) | (_, _, Err(status)) => ended_or_unavailable(&status),
    }
}

/// What the page shows when core refuses the credential (the session is
/// over: nothing private), or cannot be reached.
fn ended_or_unavailable(status: &tonic::Status) -> Response {
    match status.code() {
        tonic::Code::Unauthenticated => {
            let code = HttpError::from_status(status).body.error.code;
            html(StatusCode::UNAUTHORIZED, ended_page(Some(&code)))
        }
        _ => {
            tracing::warn!(code = ?status.code(), "portal page could not reach core");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                shell(
                    "Portal temporarily unavailable",
                    "<main class=\"card state\" id=\"portal-unavailable\">\n<h1>Portal temporarily \
                     unavailable</h1>\n<p>Your account could not be loaded. Please reload this page in a \
                     moment.</p>\n</main>",
                ),
            )
        }
    }
}

/// Shown for an instant to a browser that arrived from another site: it
/// reloads `/portal` from this origin, which sends the session cookie.
/// Nothing private is in it.
fn continue_page() -> String {
    shell_with_head(
        "Opening your account",
        "<meta http-equiv=\"refresh\" content=\"0; url=/portal\">\n",
        "<main class=\"card state\" id=\"portal-continue\">\n<h1>Opening your account…</h1>\n\
         <p><a href=\"/portal\">Continue to your account</a></p>\n</main>",
    )
}

/// The page a browser gets without a working session: after logging out,
/// once the hour is over, or with a link that was used to log out.
fn ended_page(code: Option<&str>) -> String {
    let (title, text) = match code {
        Some("portal_session_expired") => (
            "This portal link has expired",
            "For your security, portal links work for one hour. Please open your account again from the \
             merchant's website.",
        ),
        Some("portal_token_invalid") => {
            ("This portal link is not valid", "Please open your account again from the merchant's website.")
        }
        _ => (
            "Your portal session has ended",
            "You are logged out. To see your invoices and subscriptions again, open your account from the \
             merchant's website.",
        ),
    };
    shell(
        title,
        &format!(
            "<main class=\"card state\" id=\"session-ended\">\n<h1>{}</h1>\n<p>{}</p>\n</main>",
            escape(title),
            escape(text)
        ),
    )
}

fn shell(title: &str, main: &str) -> String {
    shell_with_head(title, "", main)
}

/// `head`: trusted markup added to the head.
fn shell_with_head(title: &str, head: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n{head}<title>{title}</title>\n\
         <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/assets/checkout.css\">\n\
         <link rel=\"stylesheet\" href=\"/assets/portal.css\">\n\
         <script src=\"/assets/portal.js\" defer></script>\n</head>\n\
         <body class=\"portal-body\">\n{main}\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// `2026-03-01T10:00:00Z` → `2026-03-01`: the page's script shows it in
/// the customer's own format.
fn date_text(rfc3339: Option<&str>) -> String {
    rfc3339.and_then(|t| t.get(..10)).unwrap_or_default().to_owned()
}

fn time_element(rfc3339: Option<&str>) -> String {
    match rfc3339 {
        Some(value) => format!("<time datetime=\"{}\">{}</time>", escape(value), escape(&date_text(Some(value)))),
        None => String::new(),
    }
}

/// One kind of document as a table; on a phone each row reads as a card.
fn documents_section(
    id: &str,
    title: &str,
    kind: &str,
    api_path: &str,
    documents: &pb::ListDocumentsResponse,
    empty: &str,
) -> String {
    let mut out = format!(
        "<section class=\"panel\" aria-labelledby=\"{id}-title\" id=\"{id}\">\n<h2 id=\"{id}-title\">{title}</h2>\n"
    );
    if documents.data.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>\n</section>", escape(empty));
        return out;
    }
    let _ = writeln!(
        out,
        "<table class=\"documents\">\n<thead><tr><th scope=\"col\">Number</th><th scope=\"col\">Date</th>\
         <th scope=\"col\" class=\"amount\">Amount</th><th scope=\"col\"><span class=\"visually-hidden\">\
         Download</span></th></tr></thead>\n<tbody>"
    );
    for document in &documents.data {
        let view = wire::TaxDocument::from(document);
        let amount = format_money(view.totals.gross, &view.currency, view.currency_exponent);
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\" data-label=\"Number\">{number}</th><td data-label=\"Date\">{date}</td>\
             <td data-label=\"Amount\" class=\"amount\">{amount}</td><td class=\"download\"><a \
             href=\"/api/v1/portal/{api_path}/{id}/pdf\" download>Download PDF<span class=\"visually-hidden\"> \
             of {kind} {number}</span></a></td></tr>",
            number = escape(&view.number),
            date = time_element(view.issued_at.as_deref()),
            amount = escape(&amount),
            id = escape(&view.id),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if documents.has_more {
        let _ = writeln!(
            out,
            "<p class=\"hint\">Showing the latest {PAGE_DOCUMENTS}. Ask the merchant for older documents.</p>"
        );
    }
    out.push_str("</section>\n");
    out
}

/// `month`, 1 → `every month`; `week`, 2 → `every 2 weeks`.
fn interval_text(interval: &str, count: u32) -> String {
    match count {
        0 | 1 => format!("every {interval}"),
        n => format!("every {n} {interval}s"),
    }
}

/// What a status means to the customer, and how it is coloured.
fn status_label(subscription: &wire::PortalSubscription) -> (&'static str, &'static str) {
    match subscription.status.as_str() {
        "active" if subscription.cancel_at_period_end => ("Ends at period end", "warn"),
        "trialing" if subscription.cancel_at_period_end => ("Trial, ends at period end", "warn"),
        "active" => ("Active", "good"),
        "trialing" => ("Trial", "good"),
        "past_due" => ("Payment overdue", "bad"),
        "unpaid" => ("Unpaid", "bad"),
        "incomplete" => ("Awaiting first payment", "warn"),
        "incomplete_expired" => ("Not started", "neutral"),
        "canceled" => ("Canceled", "neutral"),
        _ => ("Unknown", "neutral"),
    }
}

/// The reasons the cancel form offers, as the customer reads them.
const CANCEL_REASONS: [(&str, &str); 5] = [
    ("too_expensive", "It is too expensive"),
    ("missing_features", "Features I need are missing"),
    ("switched_service", "I switched to another service"),
    ("unused", "I do not use it enough"),
    ("other", "Another reason"),
];

fn subscriptions_section(subscriptions: &pb::ListPortalSubscriptionsResponse) -> String {
    let mut out = String::from(
        "<section class=\"panel\" aria-labelledby=\"subscriptions-title\" id=\"subscriptions\">\n\
         <h2 id=\"subscriptions-title\">Subscriptions</h2>\n",
    );
    if subscriptions.data.is_empty() {
        out.push_str("<p class=\"empty\">No subscriptions.</p>\n</section>\n");
        return out;
    }
    out.push_str("<ul class=\"subscriptions\">\n");
    for subscription in &subscriptions.data {
        out.push_str(&subscription_item(&wire::PortalSubscription::from(subscription)));
    }
    out.push_str("</ul>\n</section>\n");
    out
}

fn subscription_item(s: &wire::PortalSubscription) -> String {
    let money = |minor: i64, currency: &str| escape(&format_money(minor, currency, s.currency_exponent));
    let id = escape(&s.id);
    let (label, tone) = status_label(s);
    let mut out = format!(
        "<li class=\"subscription\" data-subscription=\"{id}\" data-status=\"{status}\">\n\
         <h3><span class=\"plan-name\">{plan}</span> <span class=\"status-badge {tone}\">{label}</span></h3>\n\
         <dl class=\"facts\">\n<dt>Price</dt><dd>{price} {every}</dd>\n",
        status = escape(&s.status),
        plan = escape(&s.plan_name),
        price = money(s.amount, &s.currency),
        every = escape(&interval_text(&s.interval, s.interval_count)),
    );
    if let Some(upcoming) = &s.upcoming {
        let _ = writeln!(
            out,
            "<dt>Next charge</dt><dd class=\"next-charge\">{} on {}</dd>",
            money(upcoming.amount, &upcoming.currency),
            time_element(upcoming.date.as_deref())
        );
    } else if s.status == "past_due"
        && let Some(retry) = s.next_charge_at.as_deref()
    {
        let _ = writeln!(out, "<dt>Next payment attempt</dt><dd>{}</dd>", time_element(Some(retry)));
    }
    if s.status == "trialing" {
        let _ = writeln!(out, "<dt>Trial ends</dt><dd>{}</dd>", time_element(s.trial_end.as_deref()));
    }
    let live = matches!(s.status.as_str(), "active" | "trialing" | "past_due" | "unpaid");
    if live {
        let _ = writeln!(
            out,
            "<dt>Current period</dt><dd>{} – {}</dd>",
            time_element(s.current_period_start.as_deref()),
            time_element(s.current_period_end.as_deref())
        );
    } else if let Some(ended) = s.ended_at.as_deref() {
        let _ = writeln!(out, "<dt>Ended</dt><dd>{}</dd>", time_element(Some(ended)));
    }
    out.push_str("</dl>\n");
    if live && s.cancel_at_period_end {
        let _ = write!(
            out,
            "<p class=\"notice\" id=\"ends-{id}\">This subscription ends on {end}. It will not be charged \
             again.</p>\n<div class=\"actions\"><button type=\"button\" class=\"primary\" \
             data-action=\"resume\" aria-describedby=\"ends-{id}\">Resume subscription</button></div>\n",
            end = time_element(s.current_period_end.as_deref()),
        );
    } else if live {
        let _ = write!(
            out,
            "<div class=\"actions\"><button type=\"button\" class=\"secondary\" data-action=\"show-cancel\" \
             aria-expanded=\"false\" aria-controls=\"cancel-{id}\">Cancel subscription</button></div>\n\
             <form class=\"cancel-form\" id=\"cancel-{id}\" hidden novalidate>\n<fieldset>\n\
             <legend>Cancel {plan}</legend>\n\
             <p class=\"hint\" id=\"cancel-hint-{id}\">It stays active until the end of the current period \
             ({end}) and is not charged again. You can resume it until then.</p>\n\
             <label for=\"reason-{id}\">Why are you canceling?</label>\n\
             <select id=\"reason-{id}\" name=\"reason\" required aria-describedby=\"cancel-hint-{id}\">\n\
             <option value=\"\">Choose a reason</option>\n",
            plan = escape(&s.plan_name),
            end = time_element(s.current_period_end.as_deref()),
        );
        for (value, text) in CANCEL_REASONS {
            let _ = writeln!(out, "<option value=\"{value}\">{text}</option>");
        }
        let _ = write!(
            out,
            "</select>\n<label for=\"comment-{id}\">Anything else you want to tell us? (optional)</label>\n\
             <textarea id=\"comment-{id}\" name=\"comment\" maxlength=\"1000\" rows=\"3\"></textarea>\n\
             </fieldset>\n<div class=\"actions\"><button type=\"submit\" class=\"danger\">Cancel at period \
             end</button><button type=\"button\" class=\"secondary\" data-action=\"keep\">Keep \
             subscription</button></div>\n</form>\n"
        );
    }
    out.push_str("</li>\n");
    out
}

fn render_portal(
    view: &pb::PortalView,
    subscriptions: &pb::ListPortalSubscriptionsResponse,
    invoices: &pb::ListDocumentsResponse,
    credit_notes: &pb::ListDocumentsResponse,
) -> String {
    let view = wire::PortalView::from(view);
    let merchant = if view.merchant_name.is_empty() { "the merchant" } else { view.merchant_name.as_str() };
    let mut body = String::new();
    if !view.livemode {
        body.push_str(
            "<div class=\"test-banner\" role=\"note\"><strong class=\"test-badge\">Test mode</strong> These \
             are test documents: no real money moved.</div>\n",
        );
    }
    let return_link = view
        .return_url
        .as_deref()
        .map(|url| {
            format!(
                "<a id=\"return-link\" class=\"return\" href=\"{}\">Return to {}</a>",
                escape(url),
                escape(merchant)
            )
        })
        .unwrap_or_default();
    let _ = write!(
        body,
        "<header class=\"portal-header\">\n<div class=\"portal-bar\">\n<p class=\"merchant-name\">{merchant}</p>\n\
         <nav aria-label=\"Account\">{return_link}<button type=\"button\" id=\"logout\" class=\"secondary\">Log \
         out</button></nav>\n</div>\n</header>\n",
        merchant = escape(merchant),
    );
    let who = view.customer.name.as_deref().or(view.customer.email.as_deref()).unwrap_or("Your account");
    let _ = write!(body, "<main id=\"portal\" class=\"portal\">\n<h1>{who}</h1>\n", who = escape(who),);
    if let (Some(_), Some(email)) = (&view.customer.name, &view.customer.email) {
        let _ = writeln!(body, "<p class=\"customer-email\">{}</p>", escape(email));
    }
    body.push_str(
        "<noscript><p class=\"error\">Logging out and managing subscriptions need JavaScript. Your documents \
         can be downloaded without it.</p></noscript>\n\
         <p id=\"progress\" class=\"progress\" role=\"status\" aria-live=\"polite\"></p>\n\
         <div id=\"error\" class=\"error\" role=\"alert\" aria-live=\"assertive\" tabindex=\"-1\"></div>\n",
    );
    body.push_str(&subscriptions_section(subscriptions));
    body.push_str(&documents_section("invoices", "Invoices", "invoice", "invoices", invoices, "No invoices yet."));
    body.push_str(&documents_section(
        "credit-notes",
        "Credit notes",
        "credit note",
        "credit-notes",
        credit_notes,
        "No credit notes.",
    ));
    body.push_str("</main>\n");
    let ends = match view.expires_at.as_deref() {
        Some(at) => {
            format!("<time datetime=\"{}\" data-time>{}</time>", escape(at), escape(&session_end_text(Some(at))))
        }
        None => escape(&session_end_text(None)),
    };
    let _ = write!(
        body,
        "<footer class=\"footer\">For your security, this session ends at {ends}. Secured by Paygate.</footer>"
    );
    let title = format!("Your account with {merchant}");
    shell(&title, &body)
}

/// `2026-12-01T11:52:00Z` → `11:52 UTC`, before the script localises it.
fn session_end_text(rfc3339: Option<&str>) -> String {
    match rfc3339.and_then(|t| t.get(11..16)) {
        Some(time) => format!("{time} UTC"),
        None => "in an hour".to_owned(),
    }
}

pub(crate) async fn script() -> Response {
    crate::page::asset("text/javascript; charset=utf-8", PORTAL_SCRIPT)
}

pub(crate) async fn style() -> Response {
    crate::page::asset("text/css; charset=utf-8", PORTAL_STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(id: &str, number: &str, gross: i64) -> pb::TaxDocument {
        pb::TaxDocument {
            id: id.into(),
            kind: "invoice".into(),
            number: number.into(),
            currency: "EUR".into(),
            currency_exponent: 2,
            total: Some(pb::AmountSplit { gross, net: gross, tax: 0 }),
            ..Default::default()
        }
    }

    fn view(livemode: bool) -> pb::PortalView {
        pb::PortalView {
            customer: Some(pb::PortalCustomer {
                id: "cus_1".into(),
                name: "Ada <Lovelace>".into(),
                email: "ada@example.com".into(),
            }),
            merchant_name: "Acme & Co".into(),
            return_url: "https://merchant.example/account?a=1&b=2".into(),
            livemode,
            ..Default::default()
        }
    }

    #[test]
    fn the_page_lists_documents_with_their_pdf_links_and_escapes_everything() {
        let invoices =
            pb::ListDocumentsResponse { data: vec![document("inv_1", "TEST-INV-2026-000001", 11900)], has_more: false };
        let none = pb::ListPortalSubscriptionsResponse::default();
        let html = render_portal(&view(false), &none, &invoices, &pb::ListDocumentsResponse::default());
        assert!(html.contains("<h1>Ada &lt;Lovelace&gt;</h1>"), "{html}");
        assert!(html.contains("href=\"/api/v1/portal/invoices/inv_1/pdf\" download"), "{html}");
        assert!(html.contains("€119.00"), "{html}");
        assert!(html.contains("Return to Acme &amp; Co"), "{html}");
        assert!(html.contains("href=\"https://merchant.example/account?a=1&amp;b=2\""), "{html}");
        assert!(html.contains("No credit notes."), "{html}");
        assert!(html.contains("test-badge"), "{html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
        let live = render_portal(&view(true), &none, &invoices, &pb::ListDocumentsResponse::default());
        assert!(!live.contains("test-badge"), "{live}");
    }

    fn subscription(status: &str, cancel_at_period_end: bool) -> pb::PortalSubscription {
        let at = |seconds| Some(prost_types_timestamp(seconds));
        pb::PortalSubscription {
            subscription: Some(pb::Subscription {
                id: "sub_1".into(),
                status: status.into(),
                plan_name: "Pro <monthly>".into(),
                amount: 1900,
                currency: "EUR".into(),
                interval: "month".into(),
                interval_count: 3,
                current_period_start: at(1_767_225_600),
                current_period_end: at(1_769_904_000),
                cancel_at_period_end,
                upcoming: (!cancel_at_period_end && status == "active").then(|| pb::UpcomingCharge {
                    amount: 1900,
                    currency: "EUR".into(),
                    date: at(1_769_904_000),
                }),
                ended_at: (status == "canceled").then(|| prost_types_timestamp(1_769_904_000)),
                ..Default::default()
            }),
            currency_exponent: 2,
        }
    }

    fn prost_types_timestamp(seconds: i64) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos: 0 }
    }

    #[test]
    fn each_subscription_offers_what_its_state_allows() {
        let active = subscription_item(&wire::PortalSubscription::from(&subscription("active", false)));
        assert!(active.contains("Pro &lt;monthly&gt;") && active.contains("€19.00 every 3 months"), "{active}");
        assert!(active.contains("<dt>Next charge</dt><dd class=\"next-charge\">€19.00 on <time"), "{active}");
        assert!(active.contains("<label for=\"reason-sub_1\">") && active.contains("<label for=\"comment-sub_1\">"));
        for (value, _) in CANCEL_REASONS {
            assert!(active.contains(&format!("<option value=\"{value}\">")), "{value}: {active}");
        }
        assert!(!active.contains("Resume subscription"), "{active}");

        let ending = subscription_item(&wire::PortalSubscription::from(&subscription("active", true)));
        assert!(ending.contains("Resume subscription") && ending.contains("Ends at period end"), "{ending}");
        assert!(!ending.contains("Cancel subscription") && !ending.contains("Next charge"), "{ending}");

        let canceled = subscription_item(&wire::PortalSubscription::from(&subscription("canceled", false)));
        assert!(canceled.contains("<dt>Ended</dt>") && canceled.contains(">Canceled<"), "{canceled}");
        assert!(!canceled.contains("<button"), "{canceled}");
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; __Host-paygate_portal=pc_abc; b=2"));
        assert_eq!(session_cookie(&headers), Some("pc_abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("__Host-paygate_portal="));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn changes_with_the_cookie_must_come_from_the_page() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("pay.example"));
        headers.insert(header::COOKIE, HeaderValue::from_static("__Host-paygate_portal=pc_abc"));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://pay.example"));
        assert!(check_origin(&headers).is_ok());
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert_eq!(check_origin(&headers).map_err(|e| e.status), Err(StatusCode::FORBIDDEN));
        // A bearer token is not sent by browsers on their own.
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer pt_abc"));
        assert!(check_origin(&headers).is_ok());
    }
}
