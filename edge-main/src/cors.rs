//! CORS for the checkout runtime API, so a merchant can build its own
//! payment page on its own origin. The edge keeps no rules: for a request
//! from another origin it asks core which origins the checkout's site allows
//! (`allowedOrigins`, empty by default), and answers with CORS headers only
//! for those. The gateway's own pages are same-origin and need none.
//!
//! VAT routes name no checkout: they answer cross-origin only when the
//! request names one in `?checkoutId=`, whose site then decides.

use axum::{
    extract::{Request, State},
    http::{
        HeaderMap, HeaderValue, Method, StatusCode,
        header::{
            ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
            ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, HOST, ORIGIN, VARY,
        },
    },
    middleware::Next,
    response::{IntoResponse, Response},
};
use paygate_contract::client::CoreChannel;
use paygate_contract::{
    http::core_request,
    proto::v1::{self as pb, checkout_service_client::CheckoutServiceClient},
};

/// Every method of the runtime API.
const ALLOWED_METHODS: &str = "GET, POST";
/// `Content-Type: application/json` is what makes a `pay` call preflighted.
const ALLOWED_HEADERS: &str = "Content-Type";
/// How long a browser may reuse a preflight answer (seconds).
const MAX_AGE_SECONDS: &str = "600";

pub(crate) async fn cors(
    State(checkouts): State<CheckoutServiceClient<CoreChannel>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(origin) = request.headers().get(ORIGIN).cloned() else {
        return next.run(request).await;
    };
    let preflight =
        request.method() == Method::OPTIONS && request.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = match (origin.to_str(), checkout_id(&request)) {
        (Ok(text), Some(checkout_id)) if !same_origin(request.headers(), text) => {
            let lookup = core_request(request.headers(), pb::GetCheckoutRequest { id: checkout_id });
            origin_allowed(checkouts, lookup, text).await
        }
        _ => false,
    };
    let mut response = if preflight { StatusCode::NO_CONTENT.into_response() } else { next.run(request).await };
    let headers = response.headers_mut();
    // Answers differ by Origin: a shared cache must not hand one origin's
    // answer to another.
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if allowed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if preflight {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOWED_HEADERS));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_SECONDS));
        } else {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
        }
    }
    response
}

/// The checkout a runtime request is about: the path's `/checkouts/{id}`,
/// else the `checkoutId` query parameter (VAT routes).
fn checkout_id(request: &Request) -> Option<String> {
    let mut segments = request.uri().path().trim_start_matches('/').split('/');
    if segments.next() == Some("checkouts") {
        return segments.next().filter(|id| !id.is_empty()).map(str::to_owned);
    }
    request.uri().query()?.split('&').find_map(|pair| pair.strip_prefix("checkoutId=")).map(str::to_owned)
}

/// An `Origin` naming the host the request was sent to is the gateway's own
/// page: browsers apply no CORS there.
pub(crate) fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, host)| host);
    matches!((host, origin_host), (Some(host), Some(origin_host)) if host.eq_ignore_ascii_case(origin_host))
}

async fn origin_allowed(
    mut checkouts: CheckoutServiceClient<CoreChannel>,
    lookup: tonic::Request<pb::GetCheckoutRequest>,
    origin: &str,
) -> bool {
    match checkouts.get_checkout_origins(lookup).await {
        Ok(response) => response.get_ref().allowed_origins.iter().any(|allowed| allowed == origin),
        // Unknown checkout or core unavailable: no cross-origin access; the
        // request itself still gets its own answer.
        Err(_) => false,
    }
}
