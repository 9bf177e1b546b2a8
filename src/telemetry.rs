//! Logging and tracing for every Paygate binary: `tracing` with an
//! `EnvFilter` (`RUST_LOG`, default `info`), JSON lines when
//! `PAYGATE_LOG_FORMAT=json` (each carrying the current `trace_id` and
//! `span_id`), and OpenTelemetry OTLP export when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set (gRPC, or HTTP/protobuf with
//! `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`). W3C trace context travels
//! in HTTP headers and gRPC metadata so that an edge request and the core
//! work it causes are one trace; queued work keeps the `traceparent` of the
//! request that caused it and links its spans to it.

use std::{collections::HashMap, fmt};

use opentelemetry::{
    global,
    propagation::{Extractor, Injector, TextMapPropagator as _},
    trace::{TraceContextExt as _, TraceId, TracerProvider as _},
};
use opentelemetry_sdk::{
    error::OTelSdkResult,
    propagation::TraceContextPropagator,
    trace::{IdGenerator as _, RandomIdGenerator, SpanData, SpanExporter},
};
use tracing::{Subscriber, field::Visit};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    EnvFilter, Layer as _,
    filter::filter_fn,
    fmt::{FmtContext, FormatEvent, FormatFields, format::Writer},
    layer::SubscriberExt,
    registry::LookupSpan,
    util::SubscriberInitExt,
};

/// `paygate all`: the four services share one process, and their spans
/// are exported under each service's own `service.name`.
pub const ALL_SERVICES: &str = "paygate";

/// Which service's spans come from which crate, for `paygate all`.
const SERVICE_CRATES: [(&str, &str); 4] = [
    ("paygate_core", "paygate-core"),
    ("paygate_edge_admin", "paygate-edge-admin"),
    ("paygate_edge_main", "paygate-edge-main"),
    ("paygate_pdf_worker", "paygate-pdf-worker"),
];

/// The span attribute naming the service that opened a span, for spans
/// opened by shared code (the edges' HTTP root span).
pub const SERVICE_ATTRIBUTE: &str = "paygate.service";

/// Flushes exported spans when dropped.
pub struct TelemetryGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("telemetry shutdown: {err}");
        }
    }
}

/// Installs the global subscriber. Safe to call more than once (tests):
/// later calls keep the first subscriber.
///
/// The OpenTelemetry layer is installed even without an exporter, so that
/// every request has a trace id (its `X-Request-Id`, and the `trace_id` of
/// its log lines) whether or not spans leave the process.
pub fn init(service_name: &'static str) -> TelemetryGuard {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("PAYGATE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let exporting = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.is_empty());
    let provider = if exporting {
        match otlp_provider(service_name) {
            Ok(provider) => provider,
            Err(err) => {
                eprintln!("OTLP export disabled: {err}");
                local_provider()
            }
        }
    } else {
        local_provider()
    };
    // Without an exporter, spans are only there to give requests and log
    // lines their trace ids: log events recorded into them (a state change
    // each, several per payment) would be built and thrown away.
    // For the same reason, the attributes only an exported span shows
    // (where it was opened, on which thread, how long it was busy and
    // idle) are not gathered for every span: each costs an allocation or
    // a clock read per span, or per poll.
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("paygate"))
        .with_location(exporting)
        .with_threads(exporting)
        .with_tracked_inactivity(exporting)
        .with_filter(filter_fn(move |metadata| exporting || metadata.is_span()));
    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let result = if json {
        // A JSON line names its span and trace, never the span's fields:
        // they are not formatted at all.
        let layer = tracing_subscriber::fmt::layer().fmt_fields(NoSpanFields).event_format(JsonLines);
        registry.with(layer.with_writer(std::io::stderr)).try_init()
    } else {
        // Colour codes only where a person reads a terminal, not in log files.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let layer = tracing_subscriber::fmt::layer().fmt_fields(TextFields).with_ansi(ansi);
        registry.with(layer.with_writer(std::io::stderr)).try_init()
    };
    // A subscriber already installed (several services in one process, or
    // tests) is fine: the first one keeps logging.
    let installed = result.is_ok();
    if installed {
        global::set_tracer_provider(provider.clone());
    }
    TelemetryGuard { provider: installed.then_some(provider) }
}

/// Spans get ids but go nowhere.
fn local_provider() -> opentelemetry_sdk::trace::SdkTracerProvider {
    opentelemetry_sdk::trace::SdkTracerProvider::builder().build()
}

fn otlp_provider(
    service_name: &'static str,
) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let services: Vec<&'static str> = if service_name == ALL_SERVICES {
        SERVICE_CRATES.iter().map(|(_, service)| *service).collect()
    } else {
        vec![service_name]
    };
    let mut exporters = Vec::with_capacity(services.len());
    for service in services {
        let mut exporter = otlp_exporter()?;
        exporter.set_resource(&opentelemetry_sdk::Resource::builder().with_service_name(service).build());
        exporters.push((service, exporter));
    }
    // The batch processor runs on its own thread with a bounded queue
    // (OTEL_BSP_MAX_QUEUE_SIZE, 2048 by default): a request only hands its
    // span over, and spans are dropped, never waited for, when the
    // collector is slow or down.
    let processor = opentelemetry_sdk::trace::BatchSpanProcessor::builder(ServiceExporter { exporters }).build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder().with_span_processor(processor).build())
}

fn otlp_exporter() -> Result<opentelemetry_otlp::SpanExporter, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig as _;
    let protocol = std::env::var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_default();
    match protocol.as_str() {
        "http/protobuf" => opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build(),
        _ => opentelemetry_otlp::SpanExporter::builder().with_tonic().build(),
    }
}

/// One OTLP exporter per service, each with its own `service.name`
/// resource. A span belongs to the service named by its `paygate.service`
/// attribute, else to the crate whose code opened it (`code.module.name`),
/// else to the first service.
#[derive(Debug)]
struct ServiceExporter {
    exporters: Vec<(&'static str, opentelemetry_otlp::SpanExporter)>,
}

impl ServiceExporter {
    fn route(&self, span: &SpanData) -> usize {
        if self.exporters.len() == 1 {
            return 0;
        }
        let attribute = |key: &str| {
            span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.as_str().into_owned())
        };
        let service = attribute(SERVICE_ATTRIBUTE).or_else(|| {
            let module = attribute("code.module.name")?;
            let krate = module.split("::").next().unwrap_or_default().to_owned();
            SERVICE_CRATES.iter().find(|(name, _)| *name == krate).map(|(_, service)| (*service).to_owned())
        });
        service.and_then(|service| self.exporters.iter().position(|(name, _)| *name == service)).unwrap_or(0)
    }
}

impl SpanExporter for ServiceExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut groups: Vec<Vec<SpanData>> = (0..self.exporters.len()).map(|_| Vec::new()).collect();
        for mut span in batch {
            redact_span(&mut span);
            let index = self.route(&span);
            groups[index].push(span);
        }
        let mut result = Ok(());
        for ((_, exporter), group) in self.exporters.iter().zip(groups) {
            if !group.is_empty()
                && let Err(err) = exporter.export(group).await
            {
                result = Err(err);
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        let mut result = Ok(());
        for (_, exporter) in &self.exporters {
            if let Err(err) = exporter.shutdown_with_timeout(timeout) {
                result = Err(err);
            }
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut result = Ok(());
        for (_, exporter) in &self.exporters {
            if let Err(err) = exporter.force_flush() {
                result = Err(err);
            }
        }
        result
    }

    // Each inner exporter keeps its own service's resource.
    fn set_resource(&mut self, _resource: &opentelemetry_sdk::Resource) {}
}

/// One JSON object per line: `timestamp`, `level`, `target`, `fields`
/// (the message and the event's fields), `span` (the current span's
/// name) and, inside a span, its OpenTelemetry `trace_id` and `span_id`.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let mut fields = JsonFields(serde_json::Map::new());
        event.record(&mut fields);
        let mut line = serde_json::Map::new();
        line.insert("timestamp".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("target".into(), metadata.target().into());
        line.insert("fields".into(), serde_json::Value::Object(fields.0));
        if let Some(span) = ctx.parent_span() {
            line.insert("span".into(), span.name().into());
            let context = tracing::dispatcher::get_default(|dispatch| {
                tracing_opentelemetry::get_otel_context(&span.id(), dispatch)
            });
            if let Some(context) = context {
                let span_context = context.span().span_context().clone();
                if span_context.is_valid() {
                    line.insert("trace_id".into(), span_context.trace_id().to_string().into());
                    line.insert("span_id".into(), span_context.span_id().to_string().into());
                }
            }
        }
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Formats no fields. The JSON format records an event's fields itself
/// ([`JsonFields`]), so this only decides what is formatted for each span
/// when it opens: nothing, since no JSON line prints it.
struct NoSpanFields;

impl<'writer> FormatFields<'writer> for NoSpanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        _writer: Writer<'writer>,
        _fields: R,
    ) -> fmt::Result {
        Ok(())
    }
}

/// A text line's fields as `name=value`, masked like a JSON line's, and
/// without the attributes that are only there for an exported span (`otel.name` repeats the method and
/// route, `otel.kind` and `rpc.system` never change). Every request's span
/// context leads its log lines, so they would be about a third of each line,
/// and formatted for every span whether or not a line is written in it.
struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = TextVisitor { writer, first: true, result: Ok(()) };
        fields.record(&mut visitor);
        visitor.result
    }

    /// A value recorded later (a response status) joins the span's text;
    /// one that is not shown adds nothing, not even a separator.
    fn add_fields(
        &self,
        current: &'writer mut tracing_subscriber::fmt::FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut added = String::new();
        self.format_fields(Writer::new(&mut added), fields)?;
        if !added.is_empty() {
            if !current.fields.is_empty() {
                current.fields.push(' ');
            }
            current.fields.push_str(&added);
        }
        Ok(())
    }
}

struct TextVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl Visit for TextVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("otel.") || name == "rpc.system" {
            return;
        }
        let separator = if std::mem::take(&mut self.first) { "" } else { " " };
        // Masked as JSON lines and exported spans are.
        let text = format!("{value:?}");
        let value = redact(&text);
        self.result = if name == "message" {
            write!(self.writer, "{separator}{value}")
        } else {
            write!(self.writer, "{separator}{name}={value}")
        };
    }
}

struct JsonFields(serde_json::Map<String, serde_json::Value>);

impl Visit for JsonFields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), redact(value).into_owned().into());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), redact(&format!("{value:?}")).into_owned().into());
    }
}

/// W3C trace context (`traceparent`) is the only format Paygate speaks;
/// a fixed propagator keeps that true in processes that never called
/// [`init`] (an embedding, the in-process tests).
fn w3c<T>(f: impl FnOnce(&TraceContextPropagator) -> T) -> T {
    f(&TraceContextPropagator::new())
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct MetadataExtractor<'a>(&'a tonic::metadata::MetadataMap);

impl Extractor for MetadataExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|k| match k {
                tonic::metadata::KeyRef::Ascii(k) => Some(k.as_str()),
                tonic::metadata::KeyRef::Binary(_) => None,
            })
            .collect()
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the current span's trace context (`traceparent`) into outgoing
/// gRPC metadata.
pub fn inject_context(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    w3c(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}

/// Makes `span` a child of the trace context found in incoming metadata.
pub fn adopt_context(metadata: &tonic::metadata::MetadataMap, span: &tracing::Span) {
    let parent = w3c(|propagator| propagator.extract(&MetadataExtractor(metadata)));
    if let Err(err) = span.set_parent(parent) {
        tracing::debug!(%err, "trace context not adopted");
    }
}

tokio::task_local! {
    static ORIGIN: Option<String>;
}

/// The `traceparent` to store with queued work: the request that caused
/// it. Inside [`with_origin`] (a worker acting on stored work) that is the
/// stored one, so work queued by a worker still points at the request;
/// otherwise the current span's.
pub fn origin_traceparent() -> Option<String> {
    if let Ok(Some(origin)) = ORIGIN.try_with(Clone::clone) {
        return Some(origin);
    }
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    w3c(|propagator| propagator.inject_context(&context, &mut carrier));
    carrier.remove("traceparent")
}

/// Runs `work` with `origin` as the request behind it (see
/// [`origin_traceparent`]).
pub async fn with_origin<F: Future>(origin: Option<String>, work: F) -> F::Output {
    ORIGIN.scope(origin, work).await
}

/// Links `span` to the stored `traceparent` of the request that queued
/// its work (an OpenTelemetry span link: the work runs later, in its own
/// trace).
pub fn link_to_origin(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent else { return };
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = w3c(|propagator| propagator.extract(&carrier));
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.add_link(span_context);
    }
}

/// The header every edge response carries: the request's trace id (32 hex
/// digits, the `trace-id` part of its W3C `traceparent`).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// For an edge (`service`: its service name), runs `next` in the
/// request's root span, or one that continues the caller's
/// `traceparent`, named `METHOD /route/template`, with OpenTelemetry HTTP
/// attributes, and answers with `X-Request-Id`.
pub async fn http_span<F, Fut>(
    service: &'static str,
    request: axum::extract::Request,
    next: F,
) -> axum::response::Response
where
    F: FnOnce(axum::extract::Request) -> Fut,
    Fut: Future<Output = axum::response::Response>,
{
    use tracing::Instrument as _;
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|path| path.as_str().to_owned());
    // Without a matched route (404) the name is the method alone: a raw
    // path would carry ids and make every unknown URL its own span name.
    let name = match &route {
        Some(route) => format!("{method} {route}"),
        None => method.clone(),
    };
    let span = tracing::info_span!(
        "http.request",
        otel.name = %name,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        paygate.service = service,
        paygate.organization_id = tracing::field::Empty,
    );
    if let Some(route) = &route {
        span.record("http.route", route.as_str());
    }
    let parent = w3c(|propagator| propagator.extract(&HeaderExtractor(request.headers())));
    let incoming = parent.span().span_context().trace_id();
    if let Err(err) = span.set_parent(parent) {
        tracing::debug!(%err, "trace context not adopted");
    }
    let mut trace_id = span.context().span().span_context().trace_id();
    if trace_id == TraceId::INVALID {
        // No OpenTelemetry layer (an embedding that installed its own
        // subscriber): still answer with an id, the caller's if it sent one.
        trace_id = if incoming == TraceId::INVALID { RandomIdGenerator::default().new_trace_id() } else { incoming };
    }
    let mut response = next(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    span.in_scope(|| tracing::debug!(status = status.as_u16(), "request served"));
    if let Ok(value) = http::HeaderValue::from_str(&trace_id.to_string()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Credential prefixes masked wherever they appear in a log line or an
/// exported span: API keys, webhook secrets, card and payment-method
/// tokens, portal and refresh tokens.
const SECRET_PREFIXES: [&str; 8] = ["sk_", "rk_", "whsec_", "tok_", "pm_", "pt_", "rt_", "Bearer "];

/// `text` with credentials, JWTs and email addresses masked
/// (`sk_***`, `[jwt]`, `j***@example.com`). The last line of defence for
/// what reaches a log or a collector; code never logs these on purpose.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@');
    let suspicious = text.contains('@') || text.contains("eyJ") || SECRET_PREFIXES.iter().any(|p| text.contains(p));
    if !suspicious {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("Bearer ") {
            out.push_str("Bearer ***");
            rest = after.trim_start_matches(|c: char| !c.is_whitespace() && c != '"' && c != '\'');
            continue;
        }
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some(prefix) = SECRET_PREFIXES.iter().find(|p| rest.starts_with(**p) && end > p.len()) {
            // Base64 secrets run on through `+`, `/` and `=`.
            let secret_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=')))
                .unwrap_or(rest.len());
            out.push_str(prefix);
            out.push_str("***");
            rest = &rest[secret_end..];
            continue;
        }
        let (word, tail) = rest.split_at(end);
        out.push_str(&mask_word(word));
        rest = tail;
    }
    std::borrow::Cow::Owned(out)
}

fn mask_word(word: &str) -> std::borrow::Cow<'_, str> {
    if word.starts_with("eyJ") && word.matches('.').count() == 2 {
        return "[jwt]".into();
    }
    if let Some((local, domain)) = word.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
    {
        let first = local.chars().next().unwrap_or('*');
        return format!("{first}***@{domain}").into();
    }
    word.into()
}

fn redact_value(value: &mut opentelemetry::Value) {
    if let opentelemetry::Value::String(text) = value
        && let std::borrow::Cow::Owned(clean) = redact(text.as_str())
    {
        *value = opentelemetry::Value::String(clean.into());
    }
}

/// Masks what a span carries before it leaves the process: attribute
/// values, event names and event attributes (log lines inside a span
/// become its events).
fn redact_span(span: &mut SpanData) {
    for attribute in &mut span.attributes {
        redact_value(&mut attribute.value);
    }
    for event in span.events.events.iter_mut() {
        if let std::borrow::Cow::Owned(clean) = redact(&event.name) {
            event.name = clean.into();
        }
        for attribute in &mut event.attributes {
            redact_value(&mut attribute.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TextFields, redact};

    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn text_lines_are_masked_and_leave_out_what_only_an_exported_span_needs() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(TextFields)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "rpc",
                otel.name = "CreateCheckout",
                otel.kind = "server",
                otel.status_code = tracing::field::Empty,
                rpc.system = "grpc",
                rpc.method = "CreateCheckout",
                paygate.organization_id = tracing::field::Empty,
            );
            span.record("otel.status_code", "ERROR");
            span.record("paygate.organization_id", "org_1");
            span.in_scope(|| tracing::info!(id = "chk_1", amount = 11900, "checkout {} none -> open", "chk_1"));
            tracing::warn!(key = "sk_test_abc123", "mail to jane.doe@example.com bounced");
        });
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        assert!(text.contains(r#"rpc{rpc.method="CreateCheckout" paygate.organization_id="org_1"}: "#), "{text}");
        assert!(text.contains(r#"checkout chk_1 none -> open id="chk_1" amount=11900"#), "{text}");
        assert!(!text.contains("otel.") && !text.contains("grpc\""), "{text}");
        assert!(text.contains(r#"mail to j***@example.com bounced key="sk_***""#), "{text}");
        assert!(!text.contains("sk_test_abc123") && !text.contains("jane.doe"), "{text}");
    }

    #[test]
    fn credentials_jwts_and_emails_are_masked() {
        assert_eq!(
            redact("key sk_test_abc123 secret whsec_Zm9v/+w== card tok_visa pm_card_1"),
            "key sk_*** secret whsec_*** card tok_*** pm_***"
        );
        assert_eq!(redact("mail to jane.doe+x@example.com, please"), "mail to j***@example.com, please");
        assert_eq!(redact("Authorization: Bearer abc.def"), "Authorization: Bearer ***");
        assert_eq!(redact("token eyJhbGciOi.eyJzdWIi.c2ln end"), "token [jwt] end");
        assert_eq!(redact("transaction txn_123 settled"), "transaction txn_123 settled");
    }
}
