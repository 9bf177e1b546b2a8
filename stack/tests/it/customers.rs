//! Customers and plans over the Admin API.

use serde_json::{Value, json};

use crate::helpers::*;

async fn patch(app: &TestApp, key: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client.patch(format!("{}{path}", app.admin)).bearer_auth(key).json(body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_are_created_found_by_email_changed_and_kept_to_their_organization() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let body = json!({"email": "ada@example.com", "name": "Ada Lovelace", "vatId": "DE123456789",
        "address": {"country": "de", "city": "Berlin"}, "metadata": {"crmId": "42"}});
    let first = app.admin_post_keyed(&org.api_key, "/api/v1/customers", "cus-1", &body).await;
    assert_eq!(first.status(), 201);
    let created: Value = first.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cus_"));
    assert_eq!(created["object"], "customer");
    assert_eq!(created["address"]["country"], "DE");
    assert_eq!(created["livemode"], false);
    // The same key and body: the same customer, replayed.
    let again = app.admin_post_keyed(&org.api_key, "/api/v1/customers", "cus-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id.as_str());
    let other_customer = app.admin_post(&org.api_key, "/api/v1/customers", &json!({"email": "bob@example.com"})).await;
    assert_eq!(other_customer.status(), 201);

    let found: Value =
        app.admin_get(&org.api_key, "/api/v1/customers?email=ada@example.com").await.json().await.unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], id.as_str());
    let all: Value = app.admin_get(&org.api_key, "/api/v1/customers").await.json().await.unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);

    let changed = patch(&app, &org.api_key, &format!("/api/v1/customers/{id}"), &json!({"name": "Ada King"})).await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["name"], "Ada King");
    assert_eq!(changed["email"], "ada@example.com", "absent fields stay");
    assert_eq!(changed["metadata"]["crmId"], "42");

    // Bad input names its field and changes nothing.
    let response = patch(&app, &org.api_key, &format!("/api/v1/customers/{id}"), &json!({"email": "nope"})).await;
    let error = assert_error(response, 400, "invalid_request_error", "email_invalid").await;
    assert_eq!(error["param"], "email");
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/customers/{id}"), &json!({"address": {"country": "Germany"}}))
            .await;
    assert_eq!(
        assert_error(response, 400, "invalid_request_error", "country_invalid").await["param"],
        "address.country"
    );
    let many: serde_json::Map<String, Value> = (0..51).map(|n| (format!("k{n}"), json!("v"))).collect();
    let response = app.admin_post(&org.api_key, "/api/v1/customers", &json!({"metadata": many})).await;
    assert_error(response, 400, "invalid_request_error", "metadata_invalid").await;
    let response = app.admin_post(&org.api_key, "/api/v1/customers", &json!({"email": 7})).await;
    assert_eq!(response.status(), 400);
    let unchanged: Value = app.admin_get(&org.api_key, &format!("/api/v1/customers/{id}")).await.json().await.unwrap();
    assert_eq!(unchanged["name"], "Ada King");

    // Another organization's customer is not there at all.
    let response = app.admin_get(&other.api_key, &format!("/api/v1/customers/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = patch(&app, &other.api_key, &format!("/api/v1/customers/{id}"), &json!({"name": "X"})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let theirs: Value = app.admin_get(&other.api_key, "/api/v1/customers").await.json().await.unwrap();
    assert_eq!(theirs["data"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_keep_their_price_and_are_checked_field_by_field() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let body = json!({"name": "Pro monthly", "amount": 1900, "currency": "eur", "interval": "month", "trialDays": 14});
    let response = app.admin_post(&org.api_key, "/api/v1/plans", &body).await;
    assert_eq!(response.status(), 201);
    let plan: Value = response.json().await.unwrap();
    let id = plan["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&plan["currency"], &plan["intervalCount"], &plan["trialDays"], &plan["active"]),
        (&json!("EUR"), &json!(1), &json!(14), &json!(true))
    );

    // Price fields are immutable: a new price is a new plan.
    for field in [json!({"amount": 2900}), json!({"currency": "USD"}), json!({"interval": "year"})] {
        let response = patch(&app, &org.api_key, &format!("/api/v1/plans/{id}"), &field).await;
        assert_error(response, 400, "invalid_request_error", "parameter_unknown").await;
    }
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/plans/{id}"), &json!({"name": "Pro", "active": false})).await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(
        (&changed["name"], &changed["active"], &changed["amount"]),
        (&json!("Pro"), &json!(false), &json!(1900))
    );
    let inactive: Value = app.admin_get(&org.api_key, "/api/v1/plans?active=false").await.json().await.unwrap();
    assert_eq!(inactive["data"].as_array().unwrap().len(), 1);
    let active: Value = app.admin_get(&org.api_key, "/api/v1/plans?active=true").await.json().await.unwrap();
    assert_eq!(active["data"], json!([]));
    let response = app.admin_get(&org.api_key, "/api/v1/plans?active=maybe").await;
    assert_error(response, 400, "invalid_request_error", "active_invalid").await;

    for (change, param, code) in [
        (json!({"amount": 0}), "amount", "amount_invalid"),
        (json!({"amount": -100}), "amount", "amount_invalid"),
        (json!({"currency": "EURO"}), "currency", "currency_invalid"),
        (json!({"interval": "fortnight"}), "interval", "interval_invalid"),
        (json!({"intervalCount": 0}), "intervalCount", "interval_count_invalid"),
        (json!({"intervalCount": 366}), "intervalCount", "interval_count_invalid"),
        (json!({"trialDays": 731}), "trialDays", "trial_days_invalid"),
        (json!({"name": ""}), "name", "parameter_missing"),
    ] {
        let mut request = body.clone();
        for (key, value) in change.as_object().unwrap() {
            request[key] = value.clone();
        }
        let response = app.admin_post(&org.api_key, "/api/v1/plans", &request).await;
        let error = assert_error(response, 400, "invalid_request_error", code).await;
        assert_eq!(error["param"], param, "{change}");
    }
    let response = app.admin_post(&org.api_key, "/api/v1/plans", &json!({"name": "X", "amount": "19.00"})).await;
    assert_eq!(response.status(), 400);
    let listed: Value = app.admin_get(&org.api_key, "/api/v1/plans").await.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "nothing else was created");

    // A key without the plan scopes is refused.
    let response =
        app.admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "narrow", "scopes": ["checkout:read"]})).await;
    let narrow = response.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    let response = app.admin_get(&narrow, "/api/v1/plans").await;
    assert_error(response, 403, "permission_error", "scope_missing").await;
    app.stop().await;
}
