use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn merchant_creates_a_checkout_and_the_payer_reads_it() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let response = app.create_checkout(&org.api_key, &org.site_id, &checkout_body()).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("idempotent-replayed").is_none());
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("chk_") && id.len() == 26, "{id}");
    assert_eq!(created["status"], "open");
    assert_eq!(created["amount"], 11900);
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["siteId"], org.site_id.as_str());
    assert_eq!(created["metadata"]["orderId"], "1234");
    assert_eq!(created["paymentUrl"], format!("{}/checkout/{id}", app.main));
    assert!(created["expiresAt"].as_str().unwrap() > created["createdAt"].as_str().unwrap());

    // The merchant reads it back on the Admin API...
    let admin: Value = app.admin_get(&org.api_key, &format!("/api/v1/checkouts/{id}")).await.json().await.unwrap();
    assert_eq!(admin, created);

    // ...and the payer on the main edge: what the page needs, nothing else.
    let response = app.main_get(&format!("/api/v1/checkouts/{id}")).await;
    assert_eq!(response.status(), 200);
    let public: Value = response.json().await.unwrap();
    assert_eq!(public["id"], id);
    assert_eq!(public["status"], "open");
    assert_eq!(public["amount"], 11900);
    assert_eq!(public["currencyExponent"], 2);
    assert_eq!(public["merchantName"], "Acme Shop");
    assert_eq!(public["lineItems"][0]["name"], "Pro plan");
    let text = public.to_string();
    for private in
        ["orderId", "a@example.com", "DE123456789", "organizationId", "siteId", "metadata", "ipnUrl", "sk_", "whsec_"]
    {
        assert!(!text.contains(private), "public view leaks {private}: {text}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_v1_alias_creates_too_and_defaults_apply() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let response = app
        .client
        .post(format!("{}/v1/checkouts/{}/create", app.admin, org.site_id))
        .bearer_auth(&org.api_key)
        .json(&json!({"amount": 500, "currency": "jpy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["currency"], "JPY");
    assert_eq!(created["captureMethod"], "automatic");
    assert_eq!(created["lineItems"].as_array().unwrap().len(), 1);
    let public: Value =
        app.main_get(&format!("/api/v1/checkouts/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(public["currencyExponent"], 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let mut ids = Vec::new();
    for amount in 1..=5 {
        let created: Value = app
            .create_checkout(&org.api_key, &org.site_id, &json!({"amount": amount, "currency": "EUR"}))
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    let page: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/checkouts?siteId={}&limit=2", org.site_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["hasMore"], true);
    let first: Vec<_> = page["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(first, ids[..2]);
    let page: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/checkouts?limit=10&startingAfter={}", ids[1]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["hasMore"], false);
    let rest: Vec<_> = page["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(rest, ids[2..]);
    let open: Value =
        app.admin_get(&org.api_key, "/api/v1/checkouts?status=open&limit=100").await.json().await.unwrap();
    assert_eq!(open["data"].as_array().unwrap().len(), 5);

    // Another organization sees none of them.
    let other = app.bootstrap().await;
    let theirs: Value = app.admin_get(&other.api_key, "/api/v1/checkouts").await.json().await.unwrap();
    assert_eq!(theirs["data"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_core() {
    let app = spawn_app().await;
    for base in [&app.admin, &app.main] {
        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{base}{path}");
        }
    }
    app.stop().await;

    // An edge whose core is gone is alive but not ready, and its API
    // answers 503.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Nothing serves port 1: the core is unreachable.
    let channel =
        paygate_contract::client::remote(paygate_contract::client::lazy_channel("http://127.0.0.1:1").unwrap());
    let server = tokio::spawn(paygate_edge_admin::serve(
        channel,
        listener,
        Default::default(),
        Default::default(),
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let response = client.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let response = client.get(format!("http://{addr}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200, "alive whatever core says");
    let response = client.get(format!("http://{addr}/api/v1/checkouts")).bearer_auth("sk_test_x").send().await.unwrap();
    assert_error(response, 503, "api_error", "service_unavailable").await;
    server.abort();
}
