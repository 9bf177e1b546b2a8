use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_shown_once_and_cannot_grant_more_than_they_hold() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/api-keys",
            &json!({"name": "ci", "scopes": ["checkout:create", "checkout:read", "keys:write"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let key: Value = response.json().await.unwrap();
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sk_test_") && secret.len() > 40);
    assert!(key["redacted"].as_str().unwrap().ends_with(&secret[secret.len() - 4..]));

    let list: Value = app.admin_get(&org.api_key, "/api/v1/api-keys").await.json().await.unwrap();
    let text = list.to_string();
    assert!(!text.contains(&secret), "a listed key never shows its secret");
    assert!(!text.contains(&org.api_key));
    assert_eq!(list["data"].as_array().unwrap().len(), 2);

    let response =
        app.admin_post(&secret, "/api/v1/api-keys", &json!({"name": "wider", "scopes": ["transactions:write"]})).await;
    let error = assert_error(response, 400, "invalid_request_error", "scope_not_held").await;
    assert_eq!(error["param"], "scopes");
    let response = app.admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "x", "scopes": ["root"]})).await;
    assert_error(response, 400, "invalid_request_error", "scope_invalid").await;
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/api-keys",
            &json!({"name": "x", "mode": "prod", "scopes": ["checkout:read"]}),
        )
        .await;
    assert_error(response, 400, "invalid_request_error", "mode_invalid").await;
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/api-keys",
            &json!({"name": "live", "mode": "live", "scopes": ["checkout:read"]}),
        )
        .await;
    let live: Value = response.json().await.unwrap();
    assert!(live["secret"].as_str().unwrap().starts_with("sk_live_"));

    // Another organization's key cannot be revoked from here.
    let other = app.bootstrap().await;
    let response = app
        .admin_post(&other.api_key, &format!("/api/v1/api-keys/{}/revoke", key["id"].as_str().unwrap()), &json!({}))
        .await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_get(&secret, "/api/v1/checkouts").await;
    assert_eq!(response.status(), 200, "still valid");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sites_have_a_signing_secret_shown_once_and_custom_domains() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    assert!(org.webhook_secret.starts_with("whsec_"));
    let response = app
        .admin_post(&org.api_key, "/api/v1/sites", &json!({"name": "Second", "checkoutDomain": "Pay.Acme.Example"}))
        .await;
    assert_eq!(response.status(), 201);
    let site: Value = response.json().await.unwrap();
    let secret = site["webhookSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(site["checkoutDomain"], "pay.acme.example");
    let id = site["id"].as_str().unwrap();
    let read: Value = app.admin_get(&org.api_key, &format!("/api/v1/sites/{id}")).await.json().await.unwrap();
    assert!(read.get("webhookSecret").is_none() && !read.to_string().contains(&secret));

    let rotated: Value = app
        .admin_post(&org.api_key, &format!("/api/v1/sites/{id}/rotate-secret"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["webhookSecret"].as_str().unwrap(), secret);

    let response = app
        .admin_post(&org.api_key, "/api/v1/sites", &json!({"name": "Clash", "checkoutDomain": "pay.acme.example"}))
        .await;
    let error = assert_error(response, 400, "invalid_request_error", "domain_taken").await;
    assert_eq!(error["param"], "checkoutDomain");
    let response = app.admin_post(&org.api_key, "/api/v1/sites", &json!({"name": ""})).await;
    assert_error(response, 400, "invalid_request_error", "parameter_missing").await;

    let response =
        app.client.get(format!("{}/api/v1/domains/verify?domain=pay.acme.example", app.admin)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response =
        app.client.get(format!("{}/api/v1/domains/verify?domain=evil.example", app.admin)).send().await.unwrap();
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;

    let org_view: Value = app.admin_get(&org.api_key, "/api/v1/organization").await.json().await.unwrap();
    assert_eq!(org_view["id"], org.organization_id.as_str());

    // Secrets are sealed at rest: the raw store never holds them.
    if std::env::var("PAYGATE_TEST_BACKEND").as_deref() != Ok("mongodb") {
        let dump = std::fs::read(app.config.data_dir.join("paygate.sqlite3")).unwrap();
        let wal = std::fs::read(app.config.data_dir.join("paygate.sqlite3-wal")).unwrap_or_default();
        for needle in [secret.as_str(), org.webhook_secret.as_str(), org.api_key.as_str()] {
            let found = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found(&dump) && !found(&wal), "{needle} stored in clear");
        }
    }
    app.stop().await;
}
