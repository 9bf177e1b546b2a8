//! One IPN attempt against local receivers: the answer is read only up to a
//! cap, and a rotated-out signing secret keeps verifying for 24 h on the
//! core's clock, then stops.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{KeyInit, Mac};
use paygate_core::{
    Core, CoreConfig,
    clock::OffsetClock,
    domain::{
        auth::Principal,
        ipn::{DeliveryStatus, IpnDelivery, MAX_RESPONSE_BYTES},
        sites::WEBHOOK_SECRET_OVERLAP_MICROS,
    },
};
use serde_json::json;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

async fn core(dir: &std::path::Path) -> (Core, OffsetClock) {
    let mut config = CoreConfig::embedded(dir.to_path_buf(), "http://localhost".into());
    config.vies_url = None;
    config.ipn_allow_private = true;
    let mut core = paygate_core::open(&config).await.expect("core");
    let clock = OffsetClock::new();
    core.clock = Arc::new(clock.clone());
    (core, clock)
}

/// An organization, its site and the site's signing secret.
async fn site(core: &Core) -> (Principal, String, String) {
    let org = core.create_organization("Acme").await.expect("organization");
    let (site, secret) = core.create_site(&org.id, "Shop", "").await.expect("site");
    let principal = Principal {
        organization_id: org.id,
        key_id: "key_test".into(),
        scopes: std::sync::Arc::from(["sites:write".to_owned()]),
        mode: paygate_core::domain::api_keys::KeyMode::Test,
        user: None,
        client_ip: String::new(),
    };
    (principal, site.id, secret.expose().to_owned())
}

/// Records a pending delivery to `url` and makes one attempt; returns the
/// stored delivery afterwards.
async fn deliver(core: &Core, site_id: &str, url: &str, n: usize) -> IpnDelivery {
    let now = core.now();
    let id = format!("evt_dispatch{n}");
    let delivery = IpnDelivery {
        id: id.clone(),
        trace_context: None,
        version: 0,
        created_at: now,
        organization_id: "org_unused".into(),
        livemode: false,
        site_id: site_id.into(),
        checkout_id: "chk_unused".into(),
        transaction_id: None,
        event_type: "transaction.succeeded".into(),
        url: url.into(),
        payload: json!({"id": id}).to_string(),
        status: DeliveryStatus::Pending,
        attempts: Vec::new(),
        next_attempt_at: now,
        lease_until: 0,
        queued_until: 0,
        needs_work: true,
    };
    core.insert(&delivery).await.expect("insert");
    core.deliver_ipn(&id).await.expect("deliver");
    core.get::<IpnDelivery>(&id).await.expect("get").expect("stored")
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/ipn", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_streaming_an_endless_body_costs_one_capped_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _clock) = core(dir.path()).await;
    let (_, site_id, _) = site(&core).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let url = serve(axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            // 64 KiB chunks of 'x', without end.
            let chunks = futures::stream::repeat_with(move || {
                counter.fetch_add(64 * 1024, Ordering::SeqCst);
                Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024])
            });
            axum::body::Body::from_stream(chunks)
        }
    }))
    .await;

    let started = Instant::now();
    let delivery = deliver(&core, &site_id, &url, 0).await;
    let took = started.elapsed();
    let attempt = &delivery.attempts[0];
    assert_eq!(attempt.status_code, Some(200), "{attempt:?}");
    assert_eq!(delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(attempt.response_excerpt, "x".repeat(512));
    assert!(took < Duration::from_secs(5), "the attempt took {took:?}: the body was not cut off");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let streamed = sent.load(Ordering::SeqCst);
    // What the receiver got to write before the connection closed sits in
    // the two sockets' buffers, which the kernel grows on loopback up to its
    // limits (tens of MiB here); a gateway that kept reading would have
    // taken far more in the same time.
    let buffered = socket_buffer_limit("tcp_wmem") + socket_buffer_limit("tcp_rmem");
    assert!(
        streamed < 64 * MAX_RESPONSE_BYTES + buffered,
        "the receiver got to stream {streamed} bytes (socket buffers hold up to {buffered})"
    );
}

/// The most the kernel lets a TCP socket buffer hold in one direction
/// (`net.ipv4.tcp_wmem` or `tcp_rmem`, third field); 4 MiB where unreadable.
fn socket_buffer_limit(name: &str) -> usize {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
        .ok()
        .and_then(|limits| limits.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 << 20)
}

/// What a merchant's receiver checks, written independently of Paygate:
/// whether any `webhook-signature` entry, or the given Paygate header,
/// verifies with `secret`.
fn verifies(headers: &HeaderMap, body: &str, secret: &str, paygate_header: &str) -> (bool, bool) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("whsec_")).expect("base64");
    let mut mac = HmacSha256::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{body}", get("webhook-id"), get("webhook-timestamp")).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let standard = get("webhook-signature").split(' ').any(|entry| entry == expected);
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{}.{body}", get("x-signature-timestamp")).as_bytes());
    let paygate = get(paygate_header) == hex::encode(mac.finalize().into_bytes());
    (standard, paygate)
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_rotation_both_secrets_verify_for_24_hours_then_only_the_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, clock) = core(dir.path()).await;
    let (principal, site_id, old) = site(&core).await;
    let received: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let log = received.clone();
    let url = serve(axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let log = log.clone();
        async move {
            log.lock().expect("lock").push((headers, body));
            "ok"
        }
    }))
    .await;
    let last = || received.lock().expect("lock").last().cloned().expect("a request");

    deliver(&core, &site_id, &url, 0).await;
    let (headers, body) = last();
    assert_eq!(verifies(&headers, &body, &old, "x-signature-hmac-sha256"), (true, true));
    assert!(headers.get("x-signature-hmac-sha256-previous").is_none(), "nothing overlaps before a rotation");

    let (_, new) = core.rotate_webhook_secret(&principal, &site_id).await.expect("rotate");
    let new = new.expose().to_owned();
    let stored = core.store.get("sites", &site_id).await.expect("get").expect("site");
    let at_rest = stored.body.to_string();
    assert!(!at_rest.contains(&old) && !at_rest.contains(&new), "both secrets are sealed at rest");

    // During the overlap: a receiver still on the old secret and one
    // already on the new one both accept.
    clock.advance(WEBHOOK_SECRET_OVERLAP_MICROS - 60_000_000);
    deliver(&core, &site_id, &url, 1).await;
    let (headers, body) = last();
    assert_eq!(verifies(&headers, &body, &new, "x-signature-hmac-sha256"), (true, true));
    assert_eq!(verifies(&headers, &body, &old, "x-signature-hmac-sha256-previous"), (true, true));
    assert_eq!(
        verifies(&headers, &body, &old, "x-signature-hmac-sha256"),
        (true, false),
        "the main header is the new secret's"
    );

    // After 24 h only the new secret signs.
    clock.advance(120_000_000);
    deliver(&core, &site_id, &url, 2).await;
    let (headers, body) = last();
    assert_eq!(verifies(&headers, &body, &new, "x-signature-hmac-sha256"), (true, true));
    assert_eq!(verifies(&headers, &body, &old, "x-signature-hmac-sha256"), (false, false));
    assert!(headers.get("x-signature-hmac-sha256-previous").is_none());
    assert_eq!(headers.get("webhook-signature").expect("header").to_str().expect("ascii").split(' ').count(), 1);
}
