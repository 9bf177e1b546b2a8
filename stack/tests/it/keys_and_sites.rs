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
    assert_error(response, 403, "permission_error", "scope_not_held").await;
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
    // A test key never mints a live key; a live key may.
    let live_request = json!({"name": "live", "mode": "live", "scopes": ["checkout:read"]});
    let response = app.admin_post(&org.api_key, "/api/v1/api-keys", &live_request).await;
    assert_error(response, 403, "permission_error", "live_mode_forbidden").await;
    let all: Vec<String> = paygate_core::domain::api_keys::scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (_, live_admin) = app
        .operator_core()
        .await
        .create_api_key(&org.organization_id, "live admin", paygate_core::domain::api_keys::KeyMode::Live, &all)
        .await
        .unwrap();
    let response = app.admin_post(live_admin.expose(), "/api/v1/api-keys", &live_request).await;
    assert_eq!(response.status(), 201);
    let live: Value = response.json().await.unwrap();
    assert!(live["secret"].as_str().unwrap().starts_with("sk_live_"));
    // Each key lists the keys of its own mode.
    let live_keys: Value = app.admin_get(live_admin.expose(), "/api/v1/api-keys?limit=100").await.json().await.unwrap();
    assert_eq!(live_keys["data"].as_array().unwrap().iter().filter(|k| k["mode"] == "live").count(), 2);
    let keys: Value = app.admin_get(&org.api_key, "/api/v1/api-keys?limit=100").await.json().await.unwrap();
    assert!(keys["data"].as_array().unwrap().iter().all(|k| k["mode"] == "test"), "{keys}");

    // Revoking follows the rule of granting: the narrow key cannot revoke
    // the broader bootstrap key; a live key is not even there for a test key.
    let bootstrap_key = keys["data"].as_array().unwrap().iter().find(|k| k["name"] == "bootstrap").unwrap().clone();
    let revoke = |id: &Value| format!("/api/v1/api-keys/{}/revoke", id.as_str().unwrap());
    let response = app.admin_post(&secret, &revoke(&bootstrap_key["id"]), &json!({})).await;
    assert_error(response, 403, "permission_error", "scope_not_held").await;
    let response = app.admin_post(&org.api_key, &revoke(&live["id"]), &json!({})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    assert_eq!(app.admin_get(&org.api_key, "/api/v1/checkouts").await.status(), 200, "bootstrap key still valid");
    assert_eq!(app.admin_get(live["secret"].as_str().unwrap(), "/api/v1/checkouts").await.status(), 200);
    // Within its own scopes it may revoke.
    let narrower: Value = app
        .admin_post(&secret, "/api/v1/api-keys", &json!({"name": "narrower", "scopes": ["checkout:read"]}))
        .await
        .json()
        .await
        .unwrap();
    let response = app.admin_post(&secret, &revoke(&narrower["id"]), &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.admin_get(narrower["secret"].as_str().unwrap(), "/api/v1/checkouts").await.status(), 401);

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
    // Attached, but not in use before its ownership is proven.
    assert_eq!(site["checkoutDomain"], Value::Null);
    assert_eq!(site["domains"][0]["domain"], "pay.acme.example");
    assert_eq!(site["domains"][0]["status"], "pending");
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
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
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

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_from_another_organization_is_as_unknown_as_a_made_up_one() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;

    // One item of every listed kind, in each organization.
    let mut ids: Vec<std::collections::HashMap<&str, String>> = Vec::new();
    for owner in [&org, &other] {
        let mut of = std::collections::HashMap::new();
        let checkout = app.checkout_with(owner, json!({"ipnUrl": receiver.url})).await;
        let checkout_id = checkout["id"].as_str().unwrap().to_owned();
        let accepted: Value = app.pay(&checkout_id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
        app.settled_status(&checkout_id).await;
        let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
        app.admin_post(&owner.api_key, &format!("/api/v1/transactions/{txn_id}/refunds"), &json!({"amount": 100}))
            .await;
        let rule: Value = app
            .admin_post(&owner.api_key, "/api/v1/tax-rules", &json!({"country": "DE", "rateBps": 1900, "name": "VAT"}))
            .await
            .json()
            .await
            .unwrap();
        of.insert("tax-rules", rule["id"].as_str().unwrap().to_owned());
        let first = |path: String| {
            let key = owner.api_key.clone();
            let app = &app;
            async move {
                let list: Value = app.admin_get(&key, &path).await.json().await.unwrap();
                list["data"][0]["id"].as_str().unwrap_or_else(|| panic!("{path}: {list}")).to_owned()
            }
        };
        of.insert("invoices", first("/api/v1/invoices".into()).await);
        of.insert("credit-notes", first("/api/v1/credit-notes".into()).await);
        of.insert(
            "ipn-deliveries",
            eventually(10, "an IPN delivery", || async {
                let list: Value = app.admin_get(&owner.api_key, "/api/v1/ipn-deliveries").await.json().await.ok()?;
                list["data"][0]["id"].as_str().map(str::to_owned)
            })
            .await,
        );
        of.insert("api-keys", first("/api/v1/api-keys".into()).await);
        of.insert("checkouts", checkout_id);
        of.insert("sites", owner.site_id.clone());
        of.insert("transactions", txn_id);
        ids.push(of);
    }
    for route in
        ["checkouts", "sites", "api-keys", "tax-rules", "invoices", "credit-notes", "transactions", "ipn-deliveries"]
    {
        let list = |cursor: &str| {
            let path = format!("/api/v1/{route}?startingAfter={cursor}");
            let key = org.api_key.clone();
            let app = &app;
            async move { app.admin_get(&key, &path).await }
        };
        assert_eq!(list(&ids[0][route]).await.status(), 200, "{route}: own cursor");
        let foreign = assert_error(list(&ids[1][route]).await, 400, "invalid_request_error", "cursor_invalid").await;
        let unknown = assert_error(list("xyz_unknown").await, 400, "invalid_request_error", "cursor_invalid").await;
        assert_eq!(foreign, unknown, "{route}: a foreign id answers exactly like an unknown one");
    }
    app.stop().await;
}
