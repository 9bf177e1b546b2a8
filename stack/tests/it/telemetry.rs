//! Traces and logs of the real `paygate` binary (the subscriber is global
//! to a process, so each test runs its own): spans arrive at a real OTLP
//! receiver (gRPC and HTTP/protobuf), one trace runs from an edge through
//! core to the PDF worker, queued work links back to the request that
//! caused it, and neither spans nor JSON log lines carry secrets.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::{AnyValue, any_value},
};
use serde_json::{Value, json};

use crate::{binary::paygate, helpers::*};

/// What an OTLP receiver was sent.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[derive(Debug, Clone)]
struct Span {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    attributes: HashMap<String, String>,
    links: Vec<(String, String)>,
}

impl Received {
    fn spans(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        for request in self.0.lock().unwrap().iter() {
            for resource in &request.resource_spans {
                let service = resource
                    .resource
                    .as_ref()
                    .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                    .map(|kv| text(kv.value.as_ref()))
                    .unwrap_or_default();
                for scope in &resource.scope_spans {
                    for span in &scope.spans {
                        spans.push(Span {
                            service: service.clone(),
                            name: span.name.clone(),
                            trace_id: hex::encode(&span.trace_id),
                            span_id: hex::encode(&span.span_id),
                            parent: hex::encode(&span.parent_span_id),
                            attributes: span
                                .attributes
                                .iter()
                                .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                                .collect(),
                            links: span
                                .links
                                .iter()
                                .map(|link| (hex::encode(&link.trace_id), hex::encode(&link.span_id)))
                                .collect(),
                        });
                    }
                }
            }
        }
        spans
    }

    /// Every exported byte a person could read: names, attributes, events,
    /// links, resources.
    fn everything(&self) -> String {
        format!("{:?}", self.0.lock().unwrap())
    }
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// An OTLP/gRPC collector on port 0; returns its endpoint.
async fn grpc_receiver(received: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(received))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    endpoint
}

/// An OTLP/HTTP collector (`POST /v1/traces`, protobuf) on port 0.
async fn http_receiver(received: Received) -> String {
    use prost::Message as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: bytes::Bytes| {
            let received = received.clone();
            async move {
                assert_eq!(headers["content-type"], "application/x-protobuf");
                received.0.lock().unwrap().push(ExportTraceServiceRequest::decode(body).unwrap());
                (
                    [("content-type", "application/x-protobuf")],
                    ExportTraceServiceResponse { partial_success: None }.encode_to_vec(),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    endpoint
}

struct Gateway {
    child: std::process::Child,
    admin: String,
    main: String,
    /// Every stderr line, as read so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `paygate all`; the addresses come from its start-up lines (text or JSON).
async fn start(env: &HashMap<String, String>) -> Gateway {
    let mut child = paygate().arg("all").envs(env).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let lines = log.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        let mut found = HashMap::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            for service in ["edge-admin", "edge-main"] {
                if line.contains(&format!("{service} listening")) {
                    let addr = match serde_json::from_str::<Value>(&line) {
                        Ok(json) => json["fields"]["addr"].as_str().unwrap().to_owned(),
                        Err(_) => line.split("addr=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned(),
                    };
                    found.insert(service, addr);
                }
            }
            lines.lock().unwrap().push(line);
            if found.len() == 2
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(found.clone());
            }
        }
    });
    let addresses = tokio::time::timeout(Duration::from_secs(60), rx).await.unwrap().unwrap();
    Gateway {
        child,
        admin: format!("http://{}", addresses["edge-admin"]),
        main: format!("http://{}", addresses["edge-main"]),
        log,
    }
}

struct Secrets {
    organization_id: String,
    api_key: String,
    webhook_secret: String,
    site_id: String,
}

fn bootstrap(env: &HashMap<String, String>) -> Secrets {
    let output = paygate().args(["bootstrap", "--org", "Acme", "--site", "Shop"]).envs(env).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    let field = |name: &str| created[name].as_str().unwrap().to_owned();
    Secrets {
        organization_id: field("organizationId"),
        api_key: field("apiKey"),
        webhook_secret: field("webhookSecret"),
        site_id: field("siteId"),
    }
}

const EMAIL: &str = "ada.lovelace@example.com";
const CARD: &str = "tok_visa";
/// A caller's W3C trace context, continued by the edge.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn request_id(response: &reqwest::Response) -> String {
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "X-Request-Id {id} is a trace id");
    id
}

/// Request ids of the flow's requests.
struct Flow {
    create: String,
    pay: String,
    pdf: String,
    continued: String,
    checkout_id: String,
    invoice_id: String,
}

/// Checkout (with an IPN URL) → pay with a test card → settlement → IPN
/// delivered → invoice PDF, all over HTTP.
async fn drive_flow(gateway: &Gateway, secrets: &Secrets) -> Flow {
    let client = reqwest::Client::new();
    let receiver = IpnReceiver::always_ok().await;
    let response = client
        .patch(format!("{}/api/v1/organization", gateway.admin))
        .bearer_auth(&secrets.api_key)
        .json(&json!({
            "legalName": "Acme Software GmbH", "sellerCountry": "DE", "vatId": "DE 136 695 976",
            "address": {"country": "DE", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .post(format!("{}/api/v1/tax-rules/seed-eu", gateway.admin))
        .bearer_auth(&secrets.api_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = client
        .post(format!("{}/api/v1/checkouts/{}/create", gateway.admin, secrets.site_id))
        .bearer_auth(&secrets.api_key)
        .json(&json!({
            "amount": 11900, "currency": "EUR", "ipnUrl": receiver.url,
            "customer": {"email": EMAIL, "name": "Ada Lovelace",
                         "address": {"country": "DE", "line1": "Gartenweg 2", "city": "Hamburg", "postalCode": "20095"}},
            "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let create = request_id(&response);
    let checkout: Value = response.json().await.unwrap();
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();

    let response = client
        .post(format!("{}/api/v1/checkouts/{checkout_id}/pay", gateway.main))
        .json(&json!({"paymentMethod": CARD}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let pay = request_id(&response);
    let accepted: Value = response.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();

    eventually(30, "the IPN", || async { (!receiver.of_type("transaction.succeeded").is_empty()).then_some(()) }).await;
    let invoice_id = eventually(30, "the invoice", || async {
        let txn: Value = client
            .get(format!("{}/api/v1/transactions/{txn_id}", gateway.admin))
            .bearer_auth(&secrets.api_key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        txn["invoiceId"].as_str().map(str::to_owned)
    })
    .await;
    let response = client
        .get(format!("{}/api/v1/invoices/{invoice_id}/pdf", gateway.admin))
        .bearer_auth(&secrets.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = request_id(&response);

    // A caller that sends its own trace context keeps its trace id.
    let response = client
        .get(format!("{}/api/v1/checkouts/{checkout_id}", gateway.main))
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let continued = request_id(&response);
    assert_eq!(continued, CALLER_TRACE);
    Flow { create, pay, pdf, continued, checkout_id, invoice_id }
}

fn gateway_env(data: &std::path::Path) -> HashMap<String, String> {
    let mut env = test_env(data);
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("RUST_LOG".into(), "info".into());
    env
}

/// Waits until spans matching every name in `names` have arrived.
async fn spans_named(received: &Received, names: &[&str]) -> Vec<Span> {
    eventually(30, "exported spans", || async {
        let spans = received.spans();
        names.iter().all(|name| spans.iter().any(|s| s.name == *name)).then_some(spans)
    })
    .await
}

fn assert_exported_flow(received: &Received, secrets: &Secrets, flow: &Flow) {
    let spans = received.spans();
    let by_id: HashMap<&str, &Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let find = |trace: &str, name: &str| {
        spans
            .iter()
            .find(|s| s.trace_id == trace && s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in trace {trace}: {spans:#?}"))
    };

    // The PDF download: edge root → core RPC → core's call → the worker.
    let root = find(&flow.pdf, "GET /api/v1/invoices/{id}/pdf");
    assert_eq!(root.service, "paygate-edge-admin");
    assert_eq!(root.parent, "", "the edge opens the root span");
    assert_eq!(root.attributes["http.request.method"], "GET");
    assert_eq!(root.attributes["http.route"], "/api/v1/invoices/{id}/pdf");
    assert_eq!(root.attributes["http.response.status_code"], "200");
    let worker = find(&flow.pdf, "PdfRenderer/Render");
    let worker = spans
        .iter()
        .find(|s| s.trace_id == flow.pdf && s.service == "paygate-pdf-worker")
        .unwrap_or_else(|| panic!("no pdf-worker span in {worker:?}"));
    let mut chain = vec![worker.service.clone()];
    let mut at = worker;
    while !at.parent.is_empty() {
        at = by_id.get(at.parent.as_str()).unwrap_or_else(|| panic!("parent of {at:?} was exported"));
        assert_eq!(at.trace_id, flow.pdf, "one trace");
        chain.push(at.service.clone());
    }
    assert_eq!(at.span_id, root.span_id, "the chain ends at the edge's root span");
    assert_eq!(chain, ["paygate-pdf-worker", "paygate-core", "paygate-core", "paygate-edge-admin"]);
    let rpc = by_id[by_id[worker.parent.as_str()].parent.as_str()];
    assert_eq!(rpc.parent, root.span_id);
    assert_eq!(rpc.attributes["paygate.organization_id"], secrets.organization_id);

    // The create request: its core span knows the organization.
    let create = find(&flow.create, "POST /api/v1/checkouts/{site_id}/create");
    assert_eq!(create.attributes["http.response.status_code"], "201");
    assert!(
        spans.iter().any(|s| s.trace_id == flow.create
            && s.service == "paygate-core"
            && s.parent == create.span_id
            && s.attributes.get("paygate.organization_id") == Some(&secrets.organization_id)),
        "core's span under the create request carries the organization"
    );

    // Pay: the worker and each IPN attempt run in their own traces,
    // linked to the pay request.
    let pay = find(&flow.pay, "POST /api/v1/checkouts/{id}/pay");
    assert_eq!(pay.service, "paygate-edge-main");
    let pay_trace: Vec<&str> = spans.iter().filter(|s| s.trace_id == flow.pay).map(|s| s.span_id.as_str()).collect();
    for name in ["payment.process", "ipn.deliver"] {
        let linked = spans
            .iter()
            .filter(|s| s.name == name)
            .find(|s| s.links.iter().any(|(trace, span)| *trace == flow.pay && pay_trace.contains(&span.as_str())))
            .unwrap_or_else(|| panic!("no {name} span linked to the pay request: {spans:#?}"));
        assert_eq!(linked.service, "paygate-core");
    }

    // The caller's trace context was continued.
    let continued = find(&flow.continued, "GET /api/v1/checkouts/{id}");
    assert_eq!(continued.parent, CALLER_SPAN);

    // Route templates, never raw paths.
    for span in &spans {
        for id in [&flow.checkout_id, &flow.invoice_id, &secrets.site_id] {
            assert!(!span.name.contains(id.as_str()), "span name {} carries an id", span.name);
        }
    }
    let services: std::collections::BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        ["paygate-core", "paygate-edge-admin", "paygate-edge-main", "paygate-pdf-worker"].into_iter().collect()
    );

    let everything = received.everything();
    for secret in [&secrets.api_key, &secrets.webhook_secret, CARD, EMAIL] {
        assert!(!everything.contains(secret), "{secret} was exported");
    }
}

async fn exported_flow(protocol: Option<&str>) {
    let received = Received::default();
    let endpoint = match protocol {
        Some(_) => http_receiver(received.clone()).await,
        None => grpc_receiver(received.clone()).await,
    };
    let data = tempfile::tempdir().unwrap();
    let mut env = gateway_env(data.path());
    let secrets = bootstrap(&env);
    env.insert("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint);
    env.insert("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into());
    if let Some(protocol) = protocol {
        env.insert("OTEL_EXPORTER_OTLP_PROTOCOL".into(), protocol.into());
    }
    let gateway = start(&env).await;
    let flow = drive_flow(&gateway, &secrets).await;
    spans_named(&received, &["PdfRenderer/Render", "payment.process", "ipn.deliver", "GET /api/v1/checkouts/{id}"])
        .await;
    // Whatever was still queued goes out on SIGTERM's shutdown.
    assert!(std::process::Command::new("kill").arg(gateway.child.id().to_string()).status().unwrap().success());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_exported_flow(&received, &secrets, &flow);
}

#[tokio::test(flavor = "multi_thread")]
async fn otlp_grpc_export_carries_one_trace_from_edge_to_pdf_worker_and_links_queued_work() {
    exported_flow(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn otlp_http_protobuf_export_carries_the_same_traces() {
    exported_flow(Some("http/protobuf")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_log_lines_carry_the_request_trace_id_and_no_secrets() {
    let data = tempfile::tempdir().unwrap();
    let mut env = gateway_env(data.path());
    let secrets = bootstrap(&env);
    env.insert("PAYGATE_LOG_FORMAT".into(), "json".into());
    // Debug everywhere: the most a log can say must still say no secret.
    env.insert("RUST_LOG".into(), "debug".into());
    let gateway = start(&env).await;
    let flow = drive_flow(&gateway, &secrets).await;
    let client = reqwest::Client::new();
    // A refused key is logged about, never logged.
    let wrong_key = format!("{}x", secrets.api_key);
    let response =
        client.get(format!("{}/api/v1/transactions", gateway.admin)).bearer_auth(&wrong_key).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let refused = request_id(&response);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let lines = gateway.log.lock().unwrap().clone();
    assert!(lines.len() > 10);
    let mut traced = HashMap::<String, usize>::new();
    for line in &lines {
        let json: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: not JSON: {line}"));
        assert!(json["level"].is_string() && json["timestamp"].is_string(), "{line}");
        if let Some(trace) = json["trace_id"].as_str() {
            assert!(json["span_id"].as_str().is_some_and(|s| s.len() == 16), "{line}");
            *traced.entry(trace.to_owned()).or_default() += 1;
        }
        for secret in [secrets.api_key.as_str(), &wrong_key, &secrets.webhook_secret, CARD, EMAIL] {
            assert!(!line.contains(secret), "a log line carries {secret}: {line}");
        }
    }
    for id in [&flow.create, &flow.pay, &flow.pdf, &flow.continued, &refused] {
        assert!(traced.get(id.as_str()).is_some_and(|n| *n > 0), "no log line carries trace id {id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_edge_response_has_a_request_id_and_a_callers_trace_is_continued() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let ok = app.admin_get(&org.api_key, "/api/v1/organization").await;
    assert_eq!(ok.status(), 200);
    let first = request_id(&ok);
    let again = request_id(&app.admin_get(&org.api_key, "/api/v1/organization").await);
    assert_ne!(first, again, "each request its own id");
    let refused = app.admin_get("sk_test_nope", "/api/v1/organization").await;
    assert_eq!(refused.status(), 401);
    request_id(&refused);
    let invalid = app.create_checkout(&org.api_key, &org.site_id, &json!({"amount": -1})).await;
    assert_eq!(invalid.status(), 400);
    request_id(&invalid);
    for response in [app.main_get("/no/such/route").await, app.admin_get(&org.api_key, "/api/v1/nope").await] {
        assert_eq!(response.status(), 404);
        request_id(&response);
    }
    let missing = app.main_get("/api/v1/checkouts/chk_missing").await;
    assert_eq!(missing.status(), 404);
    request_id(&missing);
    let continued = app
        .client
        .get(format!("{}/api/v1/checkouts/chk_missing", app.main))
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(continued.status(), 404);
    assert_eq!(request_id(&continued), CALLER_TRACE);
    app.stop().await;
}
