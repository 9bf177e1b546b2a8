//! Prometheus metrics and the health endpoints every Paygate service serves.
//!
//! One recorder per process: every service in the process records into it
//! and every `/metrics` endpoint of the process renders all of it. Metrics
//! that more than one service records carry a `service` label. `paygate
//! all` therefore exposes the same series on each of its endpoints; scrape
//! one of them (docs/metrics.md).

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use http_body::Frame;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Latency buckets (seconds) of every `_seconds` histogram: 100 µs to 30 s,
/// the range between a write waiting for the embedded store's writer and
/// the request deadline. The embedded store answers most operations in
/// well under a millisecond, which a first bucket of 1 ms would not show.
const LATENCY_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Buckets of `paygate_store_commit_writes`: powers of two up to the
/// writer's largest group.
const COMMIT_WRITE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The route label of a request no route matched: raw paths would make
/// the label unbounded.
pub const UNMATCHED: &str = "unmatched";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls are no-ops). Call it
/// before starting services so nothing they record is lost. `None` when
/// another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
                .ok()?
                .set_buckets_for_metric(Matcher::Full("paygate_store_commit_writes".to_owned()), COMMIT_WRITE_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    describe_counter!("paygate_http_requests_total", "HTTP requests answered, by route template and status.");
    describe_histogram!(
        "paygate_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route template."
    );
    describe_gauge!("paygate_open_connections", "HTTP connections open on the service's listener.");
    describe_counter!("paygate_grpc_requests_total", "gRPC calls served, by method and status code.");
    describe_histogram!(
        "paygate_grpc_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to serve a gRPC call, by method."
    );
    describe_counter!("paygate_payments_total", "Payment transactions that reached a final state, by outcome.");
    describe_counter!("paygate_refunds_total", "Refunds that reached a final state, by outcome.");
    describe_counter!("paygate_ipn_deliveries_total", "IPN delivery attempts, by outcome and attempt number.");
    describe_gauge!("paygate_queue_depth", "Jobs waiting in a queue.");
    describe_gauge!("paygate_queue_in_flight", "Jobs taken from a queue and not yet acknowledged.");
    describe_gauge!("paygate_queue_dead", "Jobs that exhausted their attempts.");
    describe_gauge!("paygate_scheduler_lag_seconds", "Age of the oldest due item not yet taken; 0 when none is due.");
    describe_histogram!(
        "paygate_store_operation_duration_seconds",
        metrics::Unit::Seconds,
        "Time a store operation took, by operation."
    );
    describe_counter!("paygate_store_commits_total", "Transactions the embedded store's writer committed.");
    describe_histogram!(
        "paygate_store_commit_writes",
        metrics::Unit::Count,
        "Write requests each committed transaction of the embedded store's writer held."
    );
    describe_histogram!(
        "paygate_store_write_wait_seconds",
        metrics::Unit::Seconds,
        "Time a write waited for the embedded store's writer before its transaction began, by lane."
    );
    describe_histogram!(
        "paygate_store_commit_duration_seconds",
        metrics::Unit::Seconds,
        "Time the embedded store's writer spent on one transaction, from its first write to its commit."
    );
    describe_histogram!(
        "paygate_store_wal_restart_duration_seconds",
        metrics::Unit::Seconds,
        "Time every write of the embedded store waited while its writer restarted the WAL."
    );
    describe_histogram!(
        "paygate_store_checkpoint_sync_duration_seconds",
        metrics::Unit::Seconds,
        "Time the embedded store's checkpointer spent syncing the database file after a checkpoint."
    );
    describe_gauge!("process_resident_memory_bytes", "Resident memory size in bytes.");
    describe_gauge!("process_open_fds", "Open file descriptors.");
}

/// The Prometheus text exposition of everything recorded in this process,
/// process figures refreshed first.
pub fn render() -> String {
    let Some(handle) = install() else { return String::new() };
    refresh_process_metrics();
    handle.render()
}

/// Resident memory and open descriptors, from `/proc` (Linux); elsewhere
/// the gauges are not set.
fn refresh_process_metrics() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(kib) = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
    {
        gauge!("process_resident_memory_bytes").set(kib * 1024.0);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        gauge!("process_open_fds").set(entries.count() as f64);
    }
}

/// `GET /metrics`.
pub async fn metrics_endpoint() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render()).into_response()
}

/// `GET /healthz`: the process serves. Never looks at a dependency, so an
/// orchestrator does not restart a healthy process for a sick neighbour.
pub async fn healthz() -> Response {
    (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))).into_response()
}

/// Records `paygate_http_requests_total` and
/// `paygate_http_request_duration_seconds` under `service` for what `next`
/// answers. Runs after routing, so it sees the route template.
pub async fn track_http<F, Fut>(service: &'static str, request: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let method = method_label(request.method());
    let response = next(request).await;
    let status = response.status().as_u16().to_string();
    counter!("paygate_http_requests_total", "service" => service, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!("paygate_http_request_duration_seconds", "service" => service, "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Standard methods by name; anything else one label, so a client cannot
/// mint label values.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts an open HTTP connection of `service` until dropped.
pub struct ConnectionGauge(&'static str);

impl ConnectionGauge {
    pub fn open(service: &'static str) -> Self {
        gauge!("paygate_open_connections", "service" => service).increment(1.0);
        Self(service)
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        gauge!("paygate_open_connections", "service" => self.0).decrement(1.0);
    }
}

/// Whether a service can do its work now (`/readyz`).
pub type ReadyCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// `/metrics`, `/healthz` and `/readyz` for a service whose API is gRPC.
pub fn ops_router(ready: ReadyCheck) -> Router {
    Router::new()
        .route("/metrics", get(metrics_endpoint))
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(move || {
                let ready = Arc::clone(&ready);
                async move {
                    if ready().await {
                        (StatusCode::OK, axum::Json(serde_json::json!({"status": "ready"}))).into_response()
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable"})))
                            .into_response()
                    }
                }
            }),
        )
        .fallback(crate::http::route_not_found)
}

/// Serves [`ops_router`] on `listener` until `shutdown`.
pub async fn serve_ops(
    listener: TcpListener,
    ready: ReadyCheck,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, ops_router(ready)).with_graceful_shutdown(shutdown).await
}

/// Tower layer recording `paygate_grpc_requests_total` and
/// `paygate_grpc_request_duration_seconds` for a tonic server. Add it
/// after (inside) the gRPC-web layer, so it sees gRPC trailers.
#[derive(Debug, Clone, Copy)]
pub struct GrpcMetricsLayer(pub &'static str);

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner, service: self.0 }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    service: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower::Service<axum::http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<axum::http::Request<B>, Response = axum::http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = axum::http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let call = GrpcCall {
            service: self.service,
            method: request.uri().path().to_owned(),
            started: Instant::now(),
            recorded: false,
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let mut call = call;
            // Errors are usually "trailers-only": the status is a header.
            if let Some(code) = grpc_status(response.headers()) {
                call.record(code);
            }
            Ok(response.map(|body| tonic::body::Body::new(MeteredBody { inner: body, call })))
        })
    }
}

/// One call, recorded once: when its status is known, or when its
/// response is dropped without one (the client went away).
struct GrpcCall {
    service: &'static str,
    method: String,
    started: Instant,
    recorded: bool,
}

impl GrpcCall {
    fn record(&mut self, code: tonic::Code) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        // Paths no service answers would let any caller mint label values.
        let method = if code == tonic::Code::Unimplemented { UNMATCHED.to_owned() } else { self.method.clone() };
        let code = match code {
            tonic::Code::Ok => "OK".to_owned(),
            other => format!("{other:?}"),
        };
        counter!("paygate_grpc_requests_total", "service" => self.service, "method" => method.clone(), "code" => code)
            .increment(1);
        histogram!("paygate_grpc_request_duration_seconds", "service" => self.service, "method" => method)
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for GrpcCall {
    fn drop(&mut self) {
        self.record(tonic::Code::Cancelled);
    }
}

fn grpc_status(headers: &axum::http::HeaderMap) -> Option<tonic::Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(tonic::Code::from_i32(value))
}

struct MeteredBody {
    inner: tonic::body::Body,
    call: GrpcCall,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    self.call.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.call.record(tonic::Code::Internal),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let custom = axum::http::Method::from_bytes(b"BREW").expect("method");
        assert_eq!(method_label(&custom), "other");
    }
}
