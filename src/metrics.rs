//! Prometheus metrics and the health endpoints every Paygate service serves.
//!
//! One recorder per process: every service in the process records into it
//! and every `/metrics` endpoint of the process renders all of it. Metrics
//! that more than one service records carry a `service` label. `paygate
//! all` therefore exposes the same series on each of its endpoints; scrape
//! one of them (docs/metrics.md).

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock},
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
use metrics::{Counter, Histogram, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
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
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let response = next(request).await;
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let status = response.status().as_u16();
    let (requests, duration) = HTTP_HANDLES.get(route, (service, method, status), |route| {
        (
            counter!("paygate_http_requests_total", "service" => service, "route" => route.to_owned(), "method" => method, "status" => status.to_string()),
            histogram!("paygate_http_request_duration_seconds", "service" => service, "route" => route.to_owned(), "method" => method),
        )
    });
    requests.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    response
}

/// A request counter and a duration histogram, by a path (a route template
/// or a gRPC method) and a few static labels. Registering a labelled metric
/// builds its labels and finds them in the recorder's registry, which showed
/// in profiles of every request; the handles found once are kept here.
/// Paths are bounded (route templates, the methods a service serves), so
/// this holds a fixed set.
struct Handles<K> {
    by_path: RwLock<HashMap<String, Vec<Kept<K>>>>,
}

/// The handles of one path and key.
type Kept<K> = (K, Counter, Histogram);

static HTTP_HANDLES: LazyLock<Handles<(&'static str, &'static str, u16)>> = LazyLock::new(Handles::default);
static GRPC_HANDLES: LazyLock<Handles<(&'static str, tonic::Code)>> = LazyLock::new(Handles::default);

impl<K> Default for Handles<K> {
    fn default() -> Self {
        Self { by_path: RwLock::default() }
    }
}

impl<K: Copy + PartialEq> Handles<K> {
    /// The handles of `path` and `key`, registered by `register` the first
    /// time. Before the process's recorder is installed, handles are not
    /// kept: they would record nowhere for good.
    fn get(&self, path: &str, key: K, register: impl FnOnce(&str) -> (Counter, Histogram)) -> (Counter, Histogram) {
        if HANDLE.get().is_none_or(Option::is_none) {
            return register(path);
        }
        let find = |handles: &[Kept<K>]| {
            handles
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, counter, histogram)| (counter.clone(), histogram.clone()))
        };
        if let Some(found) = self.by_path.read().unwrap_or_else(PoisonError::into_inner).get(path).and_then(|h| find(h))
        {
            return found;
        }
        let mut by_path = self.by_path.write().unwrap_or_else(PoisonError::into_inner);
        let handles = by_path.entry(path.to_owned()).or_default();
        if let Some(found) = find(handles) {
            return found;
        }
        let (counter, histogram) = register(path);
        handles.push((key, counter.clone(), histogram.clone()));
        (counter, histogram)
    }
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
        let method = if code == tonic::Code::Unimplemented { UNMATCHED } else { self.method.as_str() };
        let service = self.service;
        let (requests, duration) = GRPC_HANDLES.get(method, (service, code), |method| {
            let code = match code {
                tonic::Code::Ok => "OK".to_owned(),
                other => format!("{other:?}"),
            };
            (
                counter!("paygate_grpc_requests_total", "service" => service, "method" => method.to_owned(), "code" => code),
                histogram!("paygate_grpc_request_duration_seconds", "service" => service, "method" => method.to_owned()),
            )
        });
        requests.increment(1);
        duration.record(self.started.elapsed().as_secs_f64());
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

    /// The value of the one series of `name` whose labels include all of
    /// `labels`, from the rendered exposition.
    fn series_value(name: &str, labels: &[&str]) -> Option<f64> {
        let rendered = render();
        let mut matching = rendered.lines().filter(|line| {
            line.strip_prefix(name).is_some_and(|rest| rest.starts_with('{'))
                && labels.iter().all(|label| line.contains(label))
        });
        let value = matching.next()?.rsplit(' ').next()?.parse().ok();
        assert!(matching.next().is_none(), "one series of {name} with {labels:?}");
        value
    }

    #[tokio::test]
    async fn kept_handles_count_each_status_apart_and_keep_counting() {
        install().expect("the recorder");
        for status in [StatusCode::CREATED, StatusCode::NOT_FOUND, StatusCode::CREATED, StatusCode::CREATED] {
            let request =
                Request::builder().method("POST").uri("/anything").body(axum::body::Body::empty()).expect("a request");
            track_http("metrics-test-http", request, |_| async move { status.into_response() }).await;
        }
        let series = |status: &str| {
            let status = format!(r#"status="{status}""#);
            series_value(
                "paygate_http_requests_total",
                &[r#"service="metrics-test-http""#, r#"route="unmatched""#, &status],
            )
        };
        assert_eq!(series("201"), Some(3.0));
        assert_eq!(series("404"), Some(1.0));
        let durations = series_value(
            "paygate_http_request_duration_seconds_count",
            &[r#"service="metrics-test-http""#, r#"method="POST""#],
        );
        assert_eq!(durations, Some(4.0));
    }

    #[test]
    fn kept_grpc_handles_count_each_method_and_code_apart() {
        install().expect("the recorder");
        let calls = [
            ("/paygate.v1.Test/One", tonic::Code::Ok),
            ("/paygate.v1.Test/One", tonic::Code::Ok),
            ("/paygate.v1.Test/One", tonic::Code::NotFound),
            ("/paygate.v1.Test/Two", tonic::Code::Ok),
            ("/paygate.v1.Test/Nope", tonic::Code::Unimplemented),
        ];
        for (method, code) in calls {
            let mut call = GrpcCall {
                service: "metrics-test-grpc",
                method: method.to_owned(),
                started: Instant::now(),
                recorded: false,
            };
            call.record(code);
        }
        let series = |method: &str, code: &str| {
            let (method, code) = (format!(r#"method="{method}""#), format!(r#"code="{code}""#));
            series_value("paygate_grpc_requests_total", &[r#"service="metrics-test-grpc""#, &method, &code])
        };
        assert_eq!(series("/paygate.v1.Test/One", "OK"), Some(2.0));
        assert_eq!(series("/paygate.v1.Test/One", "NotFound"), Some(1.0));
        assert_eq!(series("/paygate.v1.Test/Two", "OK"), Some(1.0));
        assert_eq!(series(UNMATCHED, "Unimplemented"), Some(1.0));
        assert_eq!(series("/paygate.v1.Test/Nope", "Unimplemented"), None, "unserved paths share one label");
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let custom = axum::http::Method::from_bytes(b"BREW").expect("method");
        assert_eq!(method_label(&custom), "other");
    }
}
