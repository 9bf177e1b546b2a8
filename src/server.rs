//! How both edges serve HTTP: HTTP/1.1 through hyper with TCP_NODELAY,
//! bounded header sizes, header/body/request timeouts, a connection limit
//! and a limit on requests in flight. Every refusal that can still be
//! answered is an API error body.

use std::{
    error::Error as StdError,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body::{Frame, SizeHint};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore, time::Sleep};

use crate::error::{ErrorType, HttpError};

/// Largest single request header (name and value) the edges accept.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Largest sum of all request headers (names and values).
pub const MAX_HEADER_SECTION_BYTES: usize = 32 * 1024;
/// hyper's own bound on a request head. Heads between the limits above and
/// this one get an API error body; beyond it hyper answers a bare 431 and
/// closes, without buffering more.
const MAX_READ_BUFFER_BYTES: usize = 256 * 1024;
/// How long shutdown waits for connections to finish their requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Transport limits of an edge. See the README's configuration table for
/// the variables that set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time for a request's headers to arrive, counted from the moment the
    /// connection is ready for a request (when it opens, or when the
    /// previous response was sent). So it also closes idle keep-alive
    /// connections.
    pub header_timeout: Duration,
    /// Time for a request's body to arrive, counted from the end of its
    /// headers. A late body gets 408.
    pub body_timeout: Duration,
    /// Time for a whole request, body and core call included. A late
    /// answer is 503 `request_timeout`.
    pub request_timeout: Duration,
    /// Open connections; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Requests being handled at once; further ones get 503 `overloaded`.
    pub max_concurrent_requests: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_concurrent_requests: 256,
        }
    }
}

/// The client's address as an edge forwards it to core.
pub const CLIENT_IP_HEADER: &str = "x-paygate-client-ip";

/// Serves `router` on `listener` until `shutdown`, then lets in-flight
/// requests finish (up to 30 s). Handlers see the peer's address as
/// `ConnectInfo<SocketAddr>`. `service` is the service's `service.name`
/// (`paygate-edge-admin`): its root spans carry it, and its requests and
/// connections are counted under it without the `paygate-` prefix (see
/// [`crate::metrics`]). Core hears of each request's client in
/// [`CLIENT_IP_HEADER`]: the peer, or, for a peer among
/// `trusted_proxies`, the client its `X-Forwarded-For` names.
pub async fn serve(
    service: &'static str,
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    trusted_proxies: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let guard = Guard { limits, in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))) };
    let metrics_service = service.strip_prefix("paygate-").unwrap_or(service);
    // Runs after routing (Router::layer wraps each route), so it sees the
    // route template.
    let edge = EdgeRequest { service, metrics_service, guard };
    // The body limit wraps the router once, outside it: as a router layer
    // it would wrap every route in one more boxed service per request.
    let app = tower::Layer::layer(
        &axum::extract::DefaultBodyLimit::max(crate::http::MAX_BODY_BYTES),
        router.layer(axum::middleware::from_fn_with_state(edge, edge_request)),
    );
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let trusted_proxies = Arc::new(trusted_proxies);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_READ_BUFFER_BYTES)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first, then accept: connections over the limit wait in
        // the kernel's backlog instead of costing memory here.
        let slot = tokio::select! {
            slot = Arc::clone(&connections).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_error(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small answers must not wait for an ACK (Nagle + delayed ACK
        // costs ~40 ms per response).
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "TCP_NODELAY not set");
        }
        // Written once per connection, not per request, unless the peer is
        // a proxy that names each request's client.
        let peer_address = HeaderValue::from_str(&peer.ip().to_canonical().to_string()).ok();
        let proxy = trusted_proxies.contains(peer.ip()).then(|| Arc::clone(&trusted_proxies));
        let service = tower::ServiceExt::map_request(app.clone(), move |mut request: Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let client = match &proxy {
                Some(proxy) => HeaderValue::from_str(&proxy.client_address(peer, request.headers()).to_string()).ok(),
                None => peer_address.clone(),
            };
            // Whatever a client sent under this name is replaced: core
            // believes it (the audit log's client address).
            match client {
                Some(client) => request.headers_mut().insert(CLIENT_IP_HEADER, client),
                None => request.headers_mut().remove(CLIENT_IP_HEADER),
            };
            request
        });
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        let open = crate::metrics::ConnectionGauge::open(metrics_service);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, %peer, "connection ended with an error");
            }
            drop(slot);
            drop(open);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
    Ok(())
}

async fn accept_error(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(err.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    // Out of file descriptors and the like: accepting again at once would
    // spin.
    tracing::warn!(%err, "accept failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[derive(Clone)]
struct Guard {
    limits: HttpLimits,
    in_flight: Arc<Semaphore>,
}

/// What [`edge_request`] needs: the service's names and its limits.
#[derive(Clone)]
struct EdgeRequest {
    service: &'static str,
    metrics_service: &'static str,
    guard: Guard,
}

/// The one middleware around every route, three steps nested in one
/// future rather than three layers (each of which boxed the rest of the
/// request and cloned the route's service): the root span outermost, so
/// that the guard's own answers (431, 503) carry an X-Request-Id too; then
/// the request metrics, outside the guard so that its refusals and
/// timeouts are counted; then the guard.
async fn edge_request(State(edge): State<EdgeRequest>, request: Request, next: Next) -> Response {
    let EdgeRequest { service, metrics_service, guard } = edge;
    crate::telemetry::http_span(service, request, |request| {
        crate::metrics::track_http(metrics_service, request, |request| guard_request(guard, request, next))
    })
    .await
}

/// Runs before every route: header limits, the concurrency limit, the body
/// deadline and the request deadline.
async fn guard_request(guard: Guard, request: Request, next: Next) -> Response {
    if let Err(error) = check_headers(request.headers()) {
        return closing(error.into_response());
    }
    let Ok(_permit) = Arc::clone(&guard.in_flight).try_acquire_owned() else {
        let mut response = HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Api,
            "overloaded",
            "the gateway is handling too many requests; retry shortly",
        )
        .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let body_deadline = Box::pin(tokio::time::sleep(guard.limits.body_timeout));
    let request = request.map(|body| Body::new(DeadlineBody { inner: body, deadline: body_deadline }));
    match tokio::time::timeout(guard.limits.request_timeout, next.run(request)).await {
        Ok(response) if matches!(response.status(), StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE) => {
            closing(response)
        }
        Ok(response) => response,
        Err(_) => closing(
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorType::Api,
                "request_timeout",
                "the request took too long and was abandoned; it may or may not have taken effect, so retry \
                 with the same Idempotency-Key",
            )
            .into_response(),
        ),
    }
}

/// Marks an answer given before the request was fully read: the server
/// closes the connection after it, and says so.
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 431 for a header over [`MAX_HEADER_BYTES`] or headers over
/// [`MAX_HEADER_SECTION_BYTES`] in total; 400 for two `Authorization`
/// headers (which one counts would be a guess).
pub fn check_headers(headers: &HeaderMap) -> Result<(), HttpError> {
    let mut total = 0usize;
    for (name, value) in headers {
        let size = name.as_str().len() + value.len();
        if size > MAX_HEADER_BYTES {
            return Err(HttpError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorType::InvalidRequest,
                "request_header_fields_too_large",
                format!("the {} header exceeds {MAX_HEADER_BYTES} bytes", display_name(name)),
            )
            .with_param(display_name(name)));
        }
        total += size;
    }
    if total > MAX_HEADER_SECTION_BYTES {
        return Err(HttpError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorType::InvalidRequest,
            "request_header_fields_too_large",
            format!("the request headers exceed {MAX_HEADER_SECTION_BYTES} bytes in total"),
        ));
    }
    if headers.get_all(header::AUTHORIZATION).iter().nth(1).is_some() {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "header_duplicated",
            "send exactly one Authorization header",
        )
        .with_param("Authorization"));
    }
    Ok(())
}

/// `x-forwarded-for` → `X-Forwarded-For`, as people write header names.
fn display_name(name: &HeaderName) -> String {
    name.as_str()
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The error a request body yields once its deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyReadTimeout;

/// Whether `error` (or anything it wraps) is a [`BodyReadTimeout`].
pub fn is_body_read_timeout(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<BodyReadTimeout>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// A request body that fails with [`BodyReadTimeout`] once `deadline`
/// passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyReadTimeout)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Addresses whose `X-Forwarded-For` is believed: the reverse proxies in
/// front of an edge. Single addresses or CIDR blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list such as `10.0.0.0/8, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut blocks = Vec::new();
        for item in list.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (address, prefix) = match item.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (item, None),
            };
            let address: IpAddr =
                address.parse().map_err(|_| format!("{item:?} is not an IP address or CIDR block"))?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(prefix) => prefix
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("{item:?} has an invalid prefix length"))?,
            };
            blocks.push((address.to_canonical(), prefix));
        }
        Ok(Self(blocks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|(block, prefix)| match (block, address) {
            (IpAddr::V4(block), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*block) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(block), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*block) & mask == u128::from(address) & mask
            }
            _ => false,
        })
    }

    /// The client's address: the peer itself, unless the peer is a trusted
    /// proxy; then the right-most `X-Forwarded-For` entry that is not a
    /// trusted proxy (entries further left are whatever the client sent,
    /// so they are never believed).
    pub fn client_address(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.ip().to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Ok(address) = hop.parse::<IpAddr>() else { break };
            client = address.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_limits() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer x".parse().expect("header"));
        assert!(check_headers(&headers).is_ok());
        headers.insert("x-big", "a".repeat(MAX_HEADER_BYTES).parse().expect("header"));
        let error = check_headers(&headers).expect_err("too large");
        assert_eq!(error.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(error.body.error.param.as_deref(), Some("X-Big"));
        headers.remove("x-big");
        headers.append(header::AUTHORIZATION, "Bearer y".parse().expect("header"));
        assert_eq!(check_headers(&headers).expect_err("two").status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, ::1").expect("valid");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2".parse().expect("header"));
        let proxy: SocketAddr = "10.1.2.3:5000".parse().expect("addr");
        let stranger: SocketAddr = "198.51.100.1:5000".parse().expect("addr");
        assert_eq!(trusted.client_address(proxy, &headers), "203.0.113.9".parse::<IpAddr>().expect("ip"));
        assert_eq!(trusted.client_address(stranger, &headers), stranger.ip());
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:80".parse().expect("addr");
        assert!(trusted.contains(mapped.ip()));
        assert!(trusted.contains("::1".parse().expect("ip")));
        assert!(!trusted.contains("::2".parse().expect("ip")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("nope").is_err());
        assert!(TrustedProxies::parse("0.0.0.0/0").expect("valid").contains("8.8.8.8".parse().expect("ip")));
    }
}
