//! CORS on the checkout runtime API: only the origins a site allows, with
//! correct preflights; nothing for anybody else.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::*;

const SHOP: &str = "https://shop.example";

impl TestApp {
    async fn patch_site(&self, key: &str, site_id: &str, body: &Value) -> Response {
        let url = format!("{}/api/v1/sites/{site_id}", self.admin);
        self.client.patch(url).bearer_auth(key).json(body).send().await.expect("request")
    }

    async fn call_from(&self, method: Method, path: &str, origin: &str) -> Response {
        let request = self.client.request(method.clone(), format!("{}{path}", self.main)).header("Origin", origin);
        let request =
            if method == Method::POST { request.json(&json!({"paymentMethod": "tok_visa"})) } else { request };
        request.send().await.expect("request")
    }

    async fn preflight(&self, path: &str, origin: &str) -> Response {
        self.client
            .request(Method::OPTIONS, format!("{}{path}", self.main))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
            .await
            .expect("request")
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

fn varies_by_origin(response: &Response) -> bool {
    response.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("origin"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_api_answers_cross_origin_only_for_the_sites_allowed_origins() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let checkout: Value = app.create_checkout(&org.api_key, &org.site_id, &checkout_body()).await.json().await.unwrap();
    let id = checkout["id"].as_str().unwrap().to_owned();
    let read = format!("/api/v1/checkouts/{id}");

    // Nothing is allowed by default.
    let response = app.call_from(Method::GET, &read, SHOP).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert!(varies_by_origin(&response));
    let response = app.preflight(&format!("{read}/pay"), SHOP).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    let response =
        app.patch_site(&org.api_key, &org.site_id, &json!({"allowedOrigins": ["HTTPS://Shop.Example:443/"]})).await;
    assert_eq!(response.status(), 200);
    let site: Value = response.json().await.unwrap();
    assert_eq!(site["allowedOrigins"], json!([SHOP]));

    // The preflight of a JSON pay call.
    let response = app.preflight(&format!("{read}/pay"), SHOP).await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "access-control-allow-origin").as_deref(), Some(SHOP));
    let methods = header(&response, "access-control-allow-methods").unwrap();
    assert!(methods.contains("POST") && methods.contains("GET"), "{methods}");
    assert!(header(&response, "access-control-allow-headers").unwrap().to_ascii_lowercase().contains("content-type"));
    assert_eq!(header(&response, "access-control-max-age").as_deref(), Some("600"));
    assert_eq!(header(&response, "access-control-allow-credentials"), None, "no cookies are involved");
    assert!(varies_by_origin(&response));

    // The calls themselves.
    for (method, path) in [
        (Method::GET, read.clone()),
        (Method::POST, format!("{read}/pay")),
        (Method::GET, format!("{read}/status")),
        (Method::GET, format!("/api/v1/vat/eu-member/DE?checkoutId={id}")),
    ] {
        let response = app.call_from(method.clone(), &path, SHOP).await;
        assert!(response.status().is_success(), "{method} {path}: {}", response.status());
        assert_eq!(header(&response, "access-control-allow-origin").as_deref(), Some(SHOP), "{method} {path}");
        assert!(varies_by_origin(&response));
    }

    // A foreign origin gets no CORS headers, on calls and preflights alike.
    for origin in ["https://evil.example", "http://shop.example", "https://shop.example:8443", "null"] {
        let response = app.call_from(Method::GET, &read, origin).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "access-control-allow-origin"), None, "{origin}");
        let response = app.preflight(&format!("{read}/pay"), origin).await;
        assert_eq!(header(&response, "access-control-allow-origin"), None, "{origin}");
        assert_eq!(header(&response, "access-control-allow-methods"), None, "{origin}");
    }
    // VAT routes without a checkout, unknown checkouts: none either.
    let response = app.call_from(Method::GET, "/api/v1/vat/eu-member/DE", SHOP).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let unknown = "/api/v1/checkouts/chk_000000000000000000000000";
    let response = app.preflight(&format!("{unknown}/pay"), SHOP).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    // Another organization's checkout follows its own site's list.
    let rival = app.bootstrap().await;
    let other: Value =
        app.create_checkout(&rival.api_key, &rival.site_id, &checkout_body()).await.json().await.unwrap();
    let response =
        app.call_from(Method::GET, &format!("/api/v1/checkouts/{}", other["id"].as_str().unwrap()), SHOP).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    // Emptying the list withdraws the permission.
    assert_eq!(app.patch_site(&org.api_key, &org.site_id, &json!({"allowedOrigins": []})).await.status(), 200);
    let response = app.call_from(Method::GET, &read, SHOP).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_origins_are_validated_and_belong_to_the_sites_organization() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    for bad in [
        json!(["*"]),
        json!(["https://*.shop.example"]),
        json!(["shop.example"]),
        json!(["https://shop.example/pay"]),
        json!(["null"]),
    ] {
        let response = app.patch_site(&org.api_key, &org.site_id, &json!({"allowedOrigins": bad})).await;
        let error = assert_error(response, 400, "invalid_request_error", "origin_invalid").await;
        assert_eq!(error["param"], "allowedOrigins");
    }
    let response = app.patch_site(&org.api_key, &org.site_id, &json!({"allowedOrigins": "https://shop.example"})).await;
    assert_eq!(response.status(), 400);

    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/sites",
            &json!({"name": "Own page", "allowedOrigins": ["http://localhost:3000"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let site: Value = response.json().await.unwrap();
    assert_eq!(site["allowedOrigins"], json!(["http://localhost:3000"]));
    let site_id = site["id"].as_str().unwrap();

    // A rename keeps the origins; another organization cannot touch the site.
    let renamed: Value = app.patch_site(&org.api_key, site_id, &json!({"name": "Renamed"})).await.json().await.unwrap();
    assert_eq!(
        (renamed["name"].clone(), renamed["allowedOrigins"].clone()),
        (json!("Renamed"), json!(["http://localhost:3000"]))
    );
    let rival = app.bootstrap().await;
    let response = app.patch_site(&rival.api_key, site_id, &json!({"allowedOrigins": ["https://evil.example"]})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let read: Value = app.admin_get(&org.api_key, &format!("/api/v1/sites/{site_id}")).await.json().await.unwrap();
    assert_eq!(read["allowedOrigins"], json!(["http://localhost:3000"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn core_grants_browsers_no_cross_origin_access() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    assert_eq!(app.patch_site(&org.api_key, &org.site_id, &json!({"allowedOrigins": [SHOP]})).await.status(), 200);
    // gRPC-web is for internal clients holding API keys: even an origin a
    // site allows gets no preflight approval and no CORS headers from core.
    let path = format!("{}/paygate.v1.SiteService/ListSites", app.core);
    let preflight = app
        .client
        .request(Method::OPTIONS, &path)
        .header("Origin", SHOP)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type,x-grpc-web,authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&preflight, "access-control-allow-origin"), None);
    assert_eq!(header(&preflight, "access-control-allow-headers"), None);
    let call = app
        .client
        .post(&path)
        .header("Origin", SHOP)
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .bearer_auth(&org.api_key)
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 200, "gRPC-web itself answers");
    assert_eq!(header(&call, "access-control-allow-origin"), None);
    app.stop().await;
}
