use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn authentication_and_scopes() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let url = format!("{}/api/v1/checkouts/{}/create", app.admin, org.site_id);

    let response = app.client.post(&url).json(&checkout_body()).send().await.unwrap();
    assert_error(response, 401, "authentication_error", "api_key_missing").await;
    let response =
        app.client.post(&url).header("authorization", "Basic abc").json(&checkout_body()).send().await.unwrap();
    assert_error(response, 401, "authentication_error", "api_key_missing").await;
    let response = app.create_checkout("sk_test_notakey", &org.site_id, &checkout_body()).await;
    assert_error(response, 401, "authentication_error", "api_key_invalid").await;
    let response = app.create_checkout("pk_test_wrongkind", &org.site_id, &checkout_body()).await;
    assert_error(response, 401, "authentication_error", "api_key_invalid").await;

    // A key without checkout:create → 403 and nothing created.
    let reader: Value = app
        .admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "reader", "scopes": ["checkout:read"]}))
        .await
        .json()
        .await
        .unwrap();
    let reader_key = reader["secret"].as_str().unwrap();
    let response = app.create_checkout(reader_key, &org.site_id, &checkout_body()).await;
    let error = assert_error(response, 403, "permission_error", "scope_missing").await;
    assert!(error["message"].as_str().unwrap().contains("checkout:create"));
    let list: Value = app.admin_get(reader_key, "/api/v1/checkouts").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    // Revoked → 401.
    let response = app
        .admin_post(&org.api_key, &format!("/api/v1/api-keys/{}/revoke", reader["id"].as_str().unwrap()), &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let response = app.admin_get(reader_key, "/api/v1/checkouts").await;
    assert_error(response, 401, "authentication_error", "api_key_invalid").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_names_the_param() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let cases = [
        (json!({"amount": 0, "currency": "EUR"}), "amount_invalid", "amount"),
        (json!({"amount": -5, "currency": "EUR"}), "amount_invalid", "amount"),
        (json!({"currency": "EUR"}), "amount_invalid", "amount"),
        (json!({"amount": 100, "currency": "EURO"}), "currency_invalid", "currency"),
        (json!({"amount": 100, "currency": "ABC"}), "currency_invalid", "currency"),
        (json!({"amount": 100}), "currency_invalid", "currency"),
        (json!({"amount": 100, "currency": "XTS"}), "currency_invalid", "currency"),
        (json!({"amount": "100", "currency": "EUR"}), "parameter_invalid", "amount"),
        (json!({"amount": 1.5, "currency": "EUR"}), "parameter_invalid", "amount"),
        (json!({"amount": 100, "currency": 978}), "parameter_invalid", "currency"),
        (
            json!({"amount": 100, "currency": "EUR", "captureMethod": "later"}),
            "capture_method_invalid",
            "captureMethod",
        ),
        (json!({"amount": 100, "currency": "EUR", "expiresInSeconds": 10}), "expires_in_invalid", "expiresInSeconds"),
        (json!({"amount": 100, "currency": "EUR", "successUrl": "javascript:alert(1)"}), "url_invalid", "successUrl"),
        (json!({"amount": 100, "currency": "EUR", "customer": {"email": "nope"}}), "email_invalid", "customer.email"),
        (
            json!({"amount": 100, "currency": "EUR", "customer": {"address": {"country": "XX"}}}),
            "country_invalid",
            "customer.address.country",
        ),
        (
            json!({"amount": 100, "currency": "EUR", "lineItems": [{"name": "a", "quantity": 1, "amount": 99}]}),
            "line_items_mismatch",
            "lineItems",
        ),
        (
            json!({"amount": 100, "currency": "EUR", "lineItems": [{"name": "a", "quantity": 0, "amount": 100}]}),
            "quantity_invalid",
            "lineItems[0].quantity",
        ),
        (
            json!({"amount": 100, "currency": "EUR", "lineItems": [{"name": "", "quantity": 1, "amount": 100}]}),
            "parameter_missing",
            "lineItems[0].name",
        ),
        (json!({"amount": 100, "currency": "EUR", "ammount": 5}), "parameter_unknown", "ammount"),
        (json!({"amount": 100, "currency": "EUR", "metadata": {"k": 5}}), "parameter_invalid", "metadata.k"),
        (json!([1, 2]), "body_invalid", ""),
        (json!("text"), "body_invalid", ""),
    ];
    for (body, code, param) in cases {
        let response = app.create_checkout(&org.api_key, &org.site_id, &body).await;
        let error = assert_error(response, 400, "invalid_request_error", code).await;
        if param.is_empty() {
            assert!(error.get("param").is_none() || error["param"].is_null(), "{body} → {error}");
        } else {
            assert_eq!(error["param"], param, "{body} → {error}");
        }
    }
    let list: Value = app.admin_get(&org.api_key, "/api/v1/checkouts").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "bad input changed nothing");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_oversized_and_wrong_content_types() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let url = format!("{}/api/v1/checkouts/{}/create", app.admin, org.site_id);
    let send = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut request = app.client.post(&url).bearer_auth(&org.api_key).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    let response = send(b"{\"amount\": 1".to_vec(), Some("application/json")).await.unwrap();
    assert_error(response, 400, "invalid_request_error", "invalid_json").await;
    let response = send(b"".to_vec(), Some("application/json")).await.unwrap();
    assert_error(response, 400, "invalid_request_error", "invalid_json").await;
    let response = send(vec![0xff, 0xfe, 0x00], Some("application/json")).await.unwrap();
    assert_error(response, 400, "invalid_request_error", "invalid_json").await;
    let response = send(b"amount=1".to_vec(), Some("application/x-www-form-urlencoded")).await.unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    let response = send(b"{}".to_vec(), None).await.unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    let mut big = b"{\"description\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    big.extend(b"\"}");
    let response = send(big, Some("application/json")).await.unwrap();
    assert_eq!(response.headers().get("connection").unwrap(), "close", "the client must not reuse the connection");
    assert_error(response, 413, "invalid_request_error", "body_too_large").await;
    let response = send(b"{\"amount\": 100, \"currency\": \"EUR\"}".to_vec(), Some("application/json; charset=utf-8"))
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "charset parameter is fine");

    let long_key = "k".repeat(256);
    let response = app
        .client
        .post(&url)
        .bearer_auth(&org.api_key)
        .header("idempotency-key", long_key)
        .json(&json!({"amount": 100, "currency": "EUR"}))
        .send()
        .await
        .unwrap();
    let error = assert_error(response, 400, "invalid_request_error", "idempotency_key_invalid").await;
    assert_eq!(error["param"], "Idempotency-Key");

    let response = app.client.get(format!("{}/api/v1/nope", app.admin)).send().await.unwrap();
    assert_error(response, 404, "invalid_request_error", "route_not_found").await;
    let response = app.client.delete(format!("{}/api/v1/checkouts/x/create", app.admin)).send().await.unwrap();
    assert_error(response, 405, "invalid_request_error", "method_not_allowed").await;
    // The short spelling of the prefix routes alike, identity routes too.
    let response = app.client.get(format!("{}/v1/nope", app.admin)).send().await.unwrap();
    assert_error(response, 404, "invalid_request_error", "route_not_found").await;
    let response = app.client.delete(format!("{}/v1/checkouts/x/create", app.admin)).send().await.unwrap();
    assert_error(response, 405, "invalid_request_error", "method_not_allowed").await;
    for prefix in ["/api/v1", "/v1"] {
        let response = app.client.get(format!("{}{prefix}/auth/me", app.admin)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{prefix}/auth/me asks who is calling");
    }
    let response = app.client.post(format!("{}/v1/checkouts/{}/create", app.admin, org.site_id));
    let response = response.bearer_auth(&org.api_key).json(&json!({"description": "a".repeat(2 << 20)}));
    assert_error(response.send().await.unwrap(), 413, "invalid_request_error", "body_too_large").await;
    let response = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=1000").await;
    let error = assert_error(response, 400, "invalid_request_error", "limit_invalid").await;
    assert_eq!(error["param"], "limit");
    let response = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=abc").await;
    assert_error(response, 400, "invalid_request_error", "parameter_invalid").await;
    let response = app.admin_get(&org.api_key, "/api/v1/checkouts?startingAfter=chk_unknown").await;
    let error = assert_error(response, 400, "invalid_request_error", "cursor_invalid").await;
    assert_eq!(error["param"], "startingAfter");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_foreign_sites_and_checkouts_are_404() {
    let app = spawn_app().await;
    let ours = app.bootstrap().await;
    let theirs = app.bootstrap().await;
    assert_ne!(ours.organization_id, theirs.organization_id, "bootstrap creates a new organization each time");

    for site in ["site_0000000000000000000000", "not-an-id", theirs.site_id.as_str()] {
        let response = app.create_checkout(&ours.api_key, site, &checkout_body()).await;
        let error = assert_error(response, 404, "invalid_request_error", "resource_missing").await;
        assert_eq!(error["message"], "no such site", "same answer whether or not it exists");
    }
    let response = app.admin_get(&ours.api_key, &format!("/api/v1/sites/{}", theirs.site_id)).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_get(&ours.api_key, &format!("/api/v1/checkouts?siteId={}", theirs.site_id)).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;

    let created: Value =
        app.create_checkout(&theirs.api_key, &theirs.site_id, &checkout_body()).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let response = app.admin_get(&ours.api_key, &format!("/api/v1/checkouts/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.main_get("/api/v1/checkouts/chk_0000000000000000000000").await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.main_get("/api/v1/checkouts/..%2F..%2Fetc").await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

/// An absent value is not zero: zero is checked like any other value, and
/// enum spellings the API does not know are refused by name.
#[tokio::test(flavor = "multi_thread")]
async fn absent_values_are_not_zero() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let cases = [
        (json!({"amount": 100, "currency": "EUR", "expiresInSeconds": 0}), "expires_in_invalid", "expiresInSeconds"),
        (
            json!({"amount": 100, "currency": "EUR", "lineItems": [{"name": "a", "quantity": 1}]}),
            "amount_invalid",
            "lineItems[0].amount",
        ),
        (
            json!({"amount": 100, "currency": "EUR", "captureMethod": "later"}),
            "capture_method_invalid",
            "captureMethod",
        ),
    ];
    for (body, code, param) in cases {
        let response = app.create_checkout(&org.api_key, &org.site_id, &body).await;
        let error = assert_error(response, 400, "invalid_request_error", code).await;
        assert_eq!(error["param"], param, "{body} → {error}");
    }
    // Absent: the defaults.
    let checkout = app.checkout_with(&org, json!({"lineItems": [{"name": "a", "amount": 10000}]})).await;
    assert_eq!(checkout["lineItems"][0]["quantity"], 1);
    let response = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=0").await;
    let error = assert_error(response, 400, "invalid_request_error", "limit_invalid").await;
    assert_eq!(error["param"], "limit");
    let page: Value = app.admin_get(&org.api_key, "/api/v1/checkouts").await.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    for path in ["/api/v1/checkouts?status=paid", "/api/v1/transactions?status=done", "/api/v1/ipn-deliveries?status=x"]
    {
        let error =
            assert_error(app.admin_get(&org.api_key, path).await, 400, "invalid_request_error", "status_invalid").await;
        assert_eq!(error["param"], "status", "{path}");
    }
    let response = app.admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "k", "mode": "prod"})).await;
    let error = assert_error(response, 400, "invalid_request_error", "mode_invalid").await;
    assert_eq!(error["param"], "mode");
    app.stop().await;
}

/// Each edge serves its OpenAPI document without a key; it is the one
/// `paygate openapi` prints, and the enum values it documents are the ones
/// the API writes.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_documents_are_served() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let admin: Value =
        app.client.get(format!("{}/api/v1/openapi.json", app.admin)).send().await.unwrap().json().await.unwrap();
    assert_eq!(admin["openapi"], "3.1.0");
    assert_eq!(admin, paygate_contract::openapi::to_value(&paygate_edge_admin::openapi::document()));
    assert!(admin["paths"]["/api/v1/transactions/{id}/refunds"]["post"]["responses"]["202"].is_object());
    let documented = |schema: &str, value: &Value| {
        let values = admin["components"]["schemas"][schema]["enum"].as_array().cloned().unwrap_or_default();
        assert!(values.contains(value), "{schema} documents {values:?}, the API wrote {value}");
    };
    let checkout = app.checkout_with(&org, json!({})).await;
    documented("CheckoutStatus", &checkout["status"]);
    documented("CaptureMethod", &checkout["captureMethod"]);
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    let status = app.settled_status(checkout["id"].as_str().unwrap()).await;
    documented("TransactionStatus", &status["transaction"]["status"]);
    let keys: Value = app.admin_get(&org.api_key, "/api/v1/api-keys").await.json().await.unwrap();
    documented("KeyMode", &keys["data"][0]["mode"]);
    let main = app.main_get("/api/v1/openapi.json").await;
    assert_eq!(main.status(), 200);
    let main: Value = main.json().await.unwrap();
    assert_eq!(main, paygate_contract::openapi::to_value(&paygate_edge_main::openapi::document()));
    app.stop().await;
}
