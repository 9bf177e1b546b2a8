//! The edges' HTTP transport: header limits, timeouts against slow
//! clients, connection and concurrency limits, the pay rate limit, and
//! core's gRPC transport. Slow clients are real sockets (tokio
//! `TcpStream`) that trickle bytes.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

/// How long a misbehaving connection may live before the test calls it
/// "never closed". The configured limits are 1 s; this only has to be
/// finite.
const NEVER: Duration = Duration::from_secs(15);

fn host_port(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `NEVER` passes, which
/// fails the test); returns what arrived.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(NEVER, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "the server kept the connection open; got {:?}", String::from_utf8_lossy(&received));
    String::from_utf8_lossy(&received).into_owned()
}

fn with_short_timeouts(env: &mut std::collections::HashMap<String, String>) {
    env.insert("PAYGATE_HTTP_HEADER_TIMEOUT_SECS".into(), "1".into());
    env.insert("PAYGATE_HTTP_BODY_TIMEOUT_SECS".into(), "1".into());
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_are_431_and_never_disturb_other_clients() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({})).await;
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();

    // A flood of oversized headers while other clients work: every normal
    // request succeeds (the edges share one HTTP/2 connection to core).
    let flood = (0..40).map(|n| {
        let client = reqwest::Client::new();
        let base = if n % 2 == 0 { app.admin.clone() } else { app.main.clone() };
        let path = format!("/api/v1/checkouts/{checkout_id}");
        async move {
            let size = if n % 4 < 2 { 100 * 1024 } else { 40 * 1024 };
            let response = client
                .get(format!("{base}{path}"))
                .header("authorization", format!("Bearer sk_test_{}", "x".repeat(size)))
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        }
    });
    let normal = (0..60).map(|n| {
        let client = app.client.clone();
        let key = org.api_key.clone();
        let admin = format!("{}/api/v1/checkouts/{checkout_id}", app.admin);
        let main = format!("{}/api/v1/checkouts/{checkout_id}", app.main);
        async move {
            let response = if n % 2 == 0 {
                client.get(admin).bearer_auth(key).send().await.unwrap()
            } else {
                client.get(main).send().await.unwrap()
            };
            response.status().as_u16()
        }
    });
    let (flooded, served) = tokio::join!(futures::future::join_all(flood), futures::future::join_all(normal));
    assert!(served.iter().all(|s| *s == 200), "normal answers: {served:?}");
    assert!(flooded.iter().all(|s| *s == 431), "flood answers: {flooded:?}");

    // Exact answers, on both edges, before any key is looked at.
    for base in [&app.admin, &app.main] {
        for size in [9 * 1024, 20 * 1024, 100 * 1024] {
            let response = app
                .client
                .get(format!("{base}/api/v1/checkouts/{checkout_id}"))
                .header("authorization", format!("Bearer sk_test_{}", "a".repeat(size)))
                .send()
                .await
                .unwrap();
            let error = assert_error(response, 431, "invalid_request_error", "request_header_fields_too_large").await;
            assert_eq!(error["param"], "Authorization");
        }
        // Many headers, each under the per-header limit, over the total.
        let mut request = app.client.get(format!("{base}/healthz"));
        for n in 0..6 {
            request = request.header(format!("x-filler-{n}"), "f".repeat(7 * 1024));
        }
        let response = request.send().await.unwrap();
        let error = assert_error(response, 431, "invalid_request_error", "request_header_fields_too_large").await;
        assert!(error.get("param").is_none(), "{error}");

        // Two Authorization headers: ambiguous, refused.
        let response = app
            .client
            .get(format!("{base}/api/v1/checkouts/{checkout_id}"))
            .header("authorization", format!("Bearer {}", org.api_key))
            .header("authorization", "Bearer sk_test_other")
            .send()
            .await
            .unwrap();
        let error = assert_error(response, 400, "invalid_request_error", "header_duplicated").await;
        assert_eq!(error["param"], "Authorization");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_are_cut_off() {
    let app = spawn_app_with(with_short_timeouts).await;
    for base in [&app.admin, &app.main] {
        let mut stream = TcpStream::connect(host_port(base)).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: paygate\r\n").await.unwrap();
        // One header byte every 200 ms, forever: a slowloris client.
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            loop {
                if writer.write_all(b"X").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let closed = tokio::time::timeout(NEVER, async {
            let mut buf = [0u8; 1024];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        trickle.abort();
        assert!(closed.is_ok(), "a connection trickling its headers stayed open on {base}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_bodies_get_408() {
    let app = spawn_app_with(with_short_timeouts).await;
    for (base, path) in [(&app.main, "/api/v1/checkouts/chk_missing/pay"), (&app.admin, "/api/v1/sites")] {
        let mut stream = TcpStream::connect(host_port(base)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: paygate\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            loop {
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let mut received = Vec::new();
        let closed = tokio::time::timeout(NEVER, reader.read_to_end(&mut received)).await;
        trickle.abort();
        let received = String::from_utf8_lossy(&received).into_owned();
        assert!(closed.is_ok(), "a trickling body kept the connection open on {base}: {received:?}");
        assert!(received.starts_with("HTTP/1.1 408"), "{received}");
        assert!(received.to_ascii_lowercase().contains("connection: close"), "{received}");
        let body: Value = serde_json::from_str(received.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["code"], "request_timeout");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_keep_alive_connections_are_closed() {
    let app = spawn_app_with(with_short_timeouts).await;
    for base in [&app.admin, &app.main] {
        let mut stream = TcpStream::connect(host_port(base)).await.unwrap();
        stream.write_all(b"GET /api/v1/nowhere HTTP/1.1\r\nHost: paygate\r\n\r\n").await.unwrap();
        // The answer arrives and the connection stays open for reuse...
        let received = read_until_closed(&mut stream).await;
        // ...until it has been idle for the configured time.
        assert!(received.starts_with("HTTP/1.1 404"), "{received}");
        assert!(!received.to_ascii_lowercase().contains("connection: close"), "{received}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_HTTP_MAX_CONNECTIONS".into(), "2".into());
    })
    .await;
    // Two idle connections take every slot of edge-main.
    let first = TcpStream::connect(host_port(&app.main)).await.unwrap();
    let second = TcpStream::connect(host_port(&app.main)).await.unwrap();
    let url = format!("{}/api/v1/nowhere", app.main);
    let client = app.client.clone();
    let waiting = tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a third connection was served while two held every slot");
    drop(first);
    let status = tokio::time::timeout(NEVER, waiting).await.expect("served once a slot was free").unwrap();
    assert_eq!(status, 404);
    drop(second);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_concurrency_limit_are_503_overloaded() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_HTTP_MAX_CONCURRENT_REQUESTS".into(), "1".into());
        env.insert("PAYGATE_HTTP_BODY_TIMEOUT_SECS".into(), "30".into());
    })
    .await;
    // A request whose body never finishes holds the only slot.
    async fn hold_the_slot(base: &str, path: &str) -> TcpStream {
        let mut holder = TcpStream::connect(host_port(base)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: paygate\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        );
        holder.write_all(head.as_bytes()).await.unwrap();
        holder
    }
    for (base, path) in [(&app.admin, "/api/v1/sites"), (&app.main, "/api/v1/vat/validate")] {
        let mut holder = hold_the_slot(base, path).await;
        let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
        let response = loop {
            let response = app.client.get(format!("{base}/api/v1/nowhere")).send().await.unwrap();
            if response.status() == 503 {
                break response;
            }
            assert!(tokio::time::Instant::now() < give_up, "timed out waiting for an overloaded answer");
            // On a busy machine a probe can take the slot just as the
            // holder's request comes in, which is then refused itself and
            // holds nothing: hold the slot again.
            let mut answer = [0u8; 64];
            if holder.try_read(&mut answer).is_ok() {
                holder = hold_the_slot(base, path).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(response.headers()["retry-after"], "1");
        assert_error(response, 503, "api_error", "overloaded").await;
        drop(holder);
        // The slot is free again.
        eventually(10, "the slot freed", || async {
            let response = app.client.get(format!("{base}/api/v1/nowhere")).send().await.unwrap();
            (response.status() == 404).then_some(())
        })
        .await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_over_the_time_limit_are_503_timeout() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_HTTP_REQUEST_TIMEOUT_SECS".into(), "1".into());
        env.insert("PAYGATE_HTTP_BODY_TIMEOUT_SECS".into(), "30".into());
    })
    .await;
    for (base, path) in [(&app.admin, "/api/v1/sites"), (&app.main, "/api/v1/vat/validate")] {
        let mut stream = TcpStream::connect(host_port(base)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: paygate\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let received = read_until_closed(&mut stream).await;
        assert!(received.starts_with("HTTP/1.1 503"), "{received}");
        let body: Value = serde_json::from_str(received.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["type"], "api_error");
        assert_eq!(body["error"]["code"], "request_timeout");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pay_is_rate_limited_per_client_address() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE".into(), "3".into());
    })
    .await;
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    let pay = |forwarded: &'static str| {
        app.client
            .post(format!("{}/api/v1/checkouts/{id}/pay", app.main))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"paymentMethod": "tok_chargeDeclined"}))
            .send()
    };
    // X-Forwarded-For from a peer that is not a trusted proxy changes
    // nothing: the socket's address is the client.
    for forwarded in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let response = pay(forwarded).await.unwrap();
        assert_ne!(response.status(), 429);
    }
    let response = pay("203.0.113.4").await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_error(response, 429, "rate_limit_error", "rate_limited").await;
    // Other routes are not limited.
    assert_eq!(app.main_get(&format!("/api/v1/checkouts/{id}")).await.status(), 200);
    app.stop().await;

    // Behind a trusted proxy, each forwarded client has its own allowance.
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE".into(), "1".into());
        env.insert("PAYGATE_TRUSTED_PROXIES".into(), "127.0.0.0/8, ::1".into());
    })
    .await;
    let url = format!("{}/api/v1/checkouts/chk_missing/pay", app.main);
    let pay = |forwarded: &'static str| {
        app.client.post(&url).header("x-forwarded-for", forwarded).json(&json!({"paymentMethod": "tok_visa"})).send()
    };
    assert_eq!(pay("198.51.100.7").await.unwrap().status(), 404);
    assert_eq!(pay("198.51.100.8").await.unwrap().status(), 404);
    // A client cannot escape its limit by prepending a forged address: the
    // right-most address the proxy appended is the one that counts.
    assert_eq!(pay("10.9.9.9, 198.51.100.7").await.unwrap().status(), 429);
    assert_eq!(pay("198.51.100.8").await.unwrap().status(), 429);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_protobuf_is_invalid_argument() {
    let app = spawn_app().await;
    // Field 1 (the checkout id) announces 127 bytes and carries one.
    let message = [0x0a_u8, 0x7f, b'c'];
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let response = app
        .client
        .post(format!("{}/paygate.v1.CheckoutService/GetPublicCheckout", app.core))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "3", "{:?}", response.headers());

    // The same over native gRPC (HTTP/2).
    let channel = paygate_contract::client::lazy_channel(&app.core).unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/paygate.v1.CheckoutService/GetPublicCheckout");
    let status =
        grpc.unary::<Vec<u8>, Vec<u8>, _>(tonic::Request::new(message.to_vec()), path, RawCodec).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    app.stop().await;
}

/// Sends and receives raw bytes, so a test can put a malformed message on
/// the wire.
#[derive(Clone, Copy)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        *self
    }

    fn decoder(&mut self) -> Self::Decoder {
        *self
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn data_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    // A write, so SQLite has its WAL and shared-memory files open.
    app.bootstrap().await;
    let dir = app.config.data_dir.clone();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "data dir");
    let mut files = vec![dir.join("secret.key")];
    if app.config.mongodb_uri.is_none() {
        for name in ["paygate.sqlite3", "paygate.sqlite3-wal", "paygate.sqlite3-shm"] {
            files.push(dir.join(name));
        }
    }
    for file in files {
        assert!(file.exists(), "{} exists", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pdf_worker_requires_its_token_when_set() {
    use paygate_contract::proto::pdf::v1::{RenderRequest, pdf_renderer_client::PdfRendererClient};
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_PDF_TOKEN".into(), "pdf-shared-secret-for-tests".into());
    })
    .await;
    let pdf = format!("http://{}", app.running.as_ref().unwrap().pdf_addr.unwrap());
    let mut client = PdfRendererClient::new(paygate_contract::client::lazy_channel(&pdf).unwrap());
    let status = client.render(RenderRequest { document: None }).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    let mut request = tonic::Request::new(RenderRequest { document: None });
    request.metadata_mut().insert("authorization", "Bearer wrong".parse().unwrap());
    let status = client.render(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    // With the token the worker gets as far as the request itself.
    let mut request = tonic::Request::new(RenderRequest { document: None });
    request.metadata_mut().insert("authorization", "Bearer pdf-shared-secret-for-tests".parse().unwrap());
    let status = client.render(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");

    // Core sends the token: an invoice PDF renders end to end.
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    assert_eq!(app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    let status = app.settled_status(id).await;
    let transaction: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/transactions/{}", status["transaction"]["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    let invoice_id = eventually(20, "the invoice", || async {
        let transaction: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/transactions/{}", transaction["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .ok()?;
        transaction["invoiceId"].as_str().map(str::to_owned)
    })
    .await;
    let response = app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}/pdf")).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pdf_worker_without_a_token_serves_any_caller() {
    use paygate_contract::proto::pdf::v1::{RenderRequest, pdf_renderer_client::PdfRendererClient};
    let app = spawn_app().await;
    let pdf = format!("http://{}", app.running.as_ref().unwrap().pdf_addr.unwrap());
    let mut client = PdfRendererClient::new(paygate_contract::client::lazy_channel(&pdf).unwrap());
    let status = client.render(RenderRequest { document: None }).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_metadata_to_core_fails_alone() {
    use paygate_contract::proto::v1::{
        GetCurrentOrganizationRequest, organization_service_client::OrganizationServiceClient,
    };
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    // One HTTP/2 connection carries every call below.
    let channel = paygate_contract::client::lazy_channel(&app.core).unwrap();
    let call = |authorization: String| {
        let mut client = OrganizationServiceClient::new(channel.clone());
        async move {
            let mut request = tonic::Request::new(GetCurrentOrganizationRequest {});
            request.metadata_mut().insert("authorization", authorization.parse().unwrap());
            client.get_current_organization(request).await.map(|_| ()).map_err(|status| status.code())
        }
    };
    let oversized =
        (0..20).map(|n| call(format!("Bearer sk_test_{}", "x".repeat(if n % 2 == 0 { 100 } else { 40 } * 1024))));
    let normal = (0..40).map(|_| call(format!("Bearer {}", org.api_key)));
    let (refused, served) = tokio::join!(futures::future::join_all(oversized), futures::future::join_all(normal));
    assert!(served.iter().all(Result::is_ok), "normal calls: {served:?}");
    assert!(refused.iter().all(|r| *r == Err(tonic::Code::Unauthenticated)), "oversized calls: {refused:?}");
    app.stop().await;
}
