use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use serde_json::{Value, json};

use crate::helpers::*;

async fn create_with_key(
    app: &TestApp,
    key: &str,
    site: &str,
    idempotency_key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/checkouts/{site}/create", app.admin))
        .bearer_auth(key)
        .header("idempotency-key", idempotency_key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn same_key_same_body_replays_and_another_body_is_422() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let first = create_with_key(&app, &org.api_key, &org.site_id, "order-1234", &checkout_body()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = create_with_key(&app, &org.api_key, &org.site_id, "order-1234", &checkout_body()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);

    let mut other = checkout_body();
    other["amount"] = json!(5000);
    other["lineItems"] = json!([]);
    let response = create_with_key(&app, &org.api_key, &org.site_id, "order-1234", &other).await;
    assert_error(response, 422, "idempotency_error", "idempotency_key_reused").await;

    // Keys are per organization: another merchant may use the same key.
    let stranger = app.bootstrap().await;
    let response = create_with_key(&app, &stranger.api_key, &stranger.site_id, "order-1234", &checkout_body()).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("idempotent-replayed").is_none());

    // A failed request is not recorded: the fixed request may reuse the key.
    let response =
        create_with_key(&app, &org.api_key, &org.site_id, "order-9", &json!({"amount": 0, "currency": "EUR"})).await;
    assert_eq!(response.status(), 400);
    let response =
        create_with_key(&app, &org.api_key, &org.site_id, "order-9", &json!({"amount": 10, "currency": "EUR"})).await;
    assert_eq!(response.status(), 201);

    let list: Value = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=100").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_duplicates_execute_once() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let attempts = 24;
    let body = checkout_body();
    let responses = futures::future::join_all(
        (0..attempts).map(|_| create_with_key(&app, &org.api_key, &org.site_id, "race-1", &body)),
    )
    .await;
    let mut created_ids = std::collections::BTreeSet::new();
    let mut fresh = 0;
    let mut in_progress = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => {
                if response.headers().get("idempotent-replayed").is_none() {
                    fresh += 1;
                }
                let body: Value = response.json().await.unwrap();
                created_ids.insert(body["id"].as_str().unwrap().to_owned());
            }
            409 => {
                in_progress += 1;
                assert_error(response, 409, "idempotency_error", "idempotency_request_in_progress").await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(fresh, 1, "exactly one request executed");
    assert_eq!(created_ids.len(), 1, "every success names the same checkout");
    eprintln!(
        "{attempts} concurrent duplicates: 1 executed, {} replayed, {in_progress} answered 409",
        attempts - 1 - in_progress
    );
    let list: Value = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=100").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "one checkout in the store");
    app.stop().await;
}

/// A VIES that answers "member state unavailable" (never cached) until
/// `hang` is set, then never answers at all.
async fn vies_that_can_hang() -> (String, Arc<AtomicBool>, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let hang = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let (hanging, counter) = (hang.clone(), calls.clone());
    let app = axum::Router::new().route(
        "/check-vat-number",
        axum::routing::post(move || {
            let (hanging, counter) = (hanging.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                if hanging.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                axum::Json(json!({
                    "actionSucceed": false,
                    "errorWrappers": [{"error": "MS_UNAVAILABLE", "message": "member state unavailable"}]
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, hang, calls, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_checkout_does_not_wait_for_vies_or_dns() {
    let (vies, hang, calls, server) = vies_that_can_hang().await;
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_VIES_URL".into(), vies.clone());
    })
    .await;
    let org = app.bootstrap().await;
    let mut body = checkout_body();
    body["customer"]["vatId"] = json!("DE136695976");
    body["ipnUrl"] = json!("http://localhost:9/ipn");

    let first = create_with_key(&app, &org.api_key, &org.site_id, "order-vies", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // VIES now hangs: the original request would wait out its timeout.
    hang.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let again = create_with_key(&app, &org.api_key, &org.site_id, "order-vies", &body).await;
    let took = started.elapsed();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a replay never asks VIES");
    assert!(took < std::time::Duration::from_secs(2), "replay took {took:?}");
    app.stop().await;
    server.abort();
}
