//! Custom checkout domains: attached pending, proven by a TXT record, and
//! only then certified (Caddy's `ask`) and used in `paymentUrl`.

use serde_json::{Value, json};

use paygate::Bootstrap;

use crate::helpers::*;

impl TestApp {
    async fn admin_delete(&self, key: &str, path: &str) -> reqwest::Response {
        self.client.delete(format!("{}{path}", self.admin)).bearer_auth(key).send().await.expect("request")
    }

    /// Caddy's `ask` answer for `domain`.
    async fn ask(&self, domain: &str) -> u16 {
        let url = format!("{}/api/v1/domains/verify?domain={domain}", self.admin);
        self.client.get(url).send().await.expect("request").status().as_u16()
    }

    async fn payment_url(&self, org: &Bootstrap) -> String {
        let response =
            self.create_checkout(&org.api_key, &org.site_id, &json!({"amount": 1500, "currency": "EUR"})).await;
        assert_eq!(response.status(), 201);
        let checkout: Value = response.json().await.unwrap();
        checkout["paymentUrl"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_domain_serves_only_once_its_txt_record_proves_ownership() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let domains = format!("/api/v1/sites/{}/domains", org.site_id);
    let default_url = app.payment_url(&org).await;

    let response = app.admin_post(&org.api_key, &domains, &json!({"domain": "Pay.Shop.Example."})).await;
    assert_eq!(response.status(), 201);
    let pending: Value = response.json().await.unwrap();
    assert_eq!(pending["domain"], "pay.shop.example");
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["verification"]["type"], "TXT");
    assert_eq!(pending["verification"]["name"], "_paygate-challenge.pay.shop.example");
    let challenge = pending["verification"]["value"].as_str().unwrap().to_owned();
    assert!(challenge.starts_with("pgv_"), "{challenge}");

    // Pending: no certificate, no use in paymentUrl.
    assert_eq!(app.ask("pay.shop.example").await, 404);
    let url = app.payment_url(&org).await;
    assert!(!url.contains("pay.shop.example") && url.starts_with(default_url.rsplit_once('/').unwrap().0), "{url}");

    let verify = format!("{domains}/pay.shop.example/verify");
    let response = app.admin_post(&org.api_key, &verify, &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "domain_unverified").await;
    app.dns.publish("_paygate-challenge.pay.shop.example", "pgv_somebody_else");
    let response = app.admin_post(&org.api_key, &verify, &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "domain_unverified").await;
    assert_eq!(app.ask("pay.shop.example").await, 404);

    app.dns.publish("_paygate-challenge.pay.shop.example", &challenge);
    let response = app.admin_post(&org.api_key, &verify, &json!({})).await;
    assert_eq!(response.status(), 200);
    let verified: Value = response.json().await.unwrap();
    assert_eq!(verified["status"], "verified");
    assert!(verified["verifiedAt"].is_string());
    // Verifying again is harmless.
    assert_eq!(app.admin_post(&org.api_key, &verify, &json!({})).await.status(), 200);

    assert_eq!(app.ask("pay.shop.example").await, 200);
    assert_eq!(app.ask("PAY.shop.example.").await, 200);
    let url = app.payment_url(&org).await;
    assert!(url.starts_with("https://pay.shop.example/checkout/chk_"), "{url}");
    let site: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/sites/{}", org.site_id)).await.json().await.unwrap();
    assert_eq!(site["checkoutDomain"], "pay.shop.example");
    assert_eq!(site["domains"][0]["status"], "verified");
    let listed: Value = app.admin_get(&org.api_key, "/api/v1/sites").await.json().await.unwrap();
    assert!(listed["data"].as_array().unwrap().iter().any(|s| s["checkoutDomain"] == "pay.shop.example"));

    let response = app.admin_delete(&org.api_key, &format!("{domains}/pay.shop.example")).await;
    assert_eq!(response.status(), 200);
    let deleted: Value = response.json().await.unwrap();
    assert_eq!((deleted["deleted"].clone(), deleted["domain"].clone()), (json!(true), json!("pay.shop.example")));
    assert_eq!(app.ask("pay.shop.example").await, 404);
    assert!(!app.payment_url(&org).await.contains("pay.shop.example"));
    let response = app.admin_delete(&org.api_key, &format!("{domains}/pay.shop.example")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domain_belongs_to_one_site_and_other_organizations_see_nothing() {
    let app = spawn_app().await;
    let acme = app.bootstrap().await;
    let rival = app.bootstrap().await;
    let acme_domains = format!("/api/v1/sites/{}/domains", acme.site_id);
    let rival_domains = format!("/api/v1/sites/{}/domains", rival.site_id);
    let response = app.admin_post(&acme.api_key, &acme_domains, &json!({"domain": "pay.acme.example"})).await;
    assert_eq!(response.status(), 201);
    let challenge = response.json::<Value>().await.unwrap()["verification"]["value"].as_str().unwrap().to_owned();

    // Another organization's site is not found, whatever the route.
    let response = app.admin_post(&rival.api_key, &acme_domains, &json!({"domain": "pay.rival.example"})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_post(&rival.api_key, &format!("{acme_domains}/pay.acme.example/verify"), &json!({})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_delete(&rival.api_key, &format!("{acme_domains}/pay.acme.example")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;

    // The domain is taken, pending or not, and the rival cannot verify it
    // through its own site even with the record published.
    let response = app.admin_post(&rival.api_key, &rival_domains, &json!({"domain": "PAY.acme.example"})).await;
    assert_error(response, 409, "invalid_request_error", "domain_taken").await;
    let response = app.admin_post(&acme.api_key, &acme_domains, &json!({"domain": "pay.acme.example"})).await;
    assert_error(response, 409, "invalid_request_error", "domain_taken").await;
    let response = app
        .admin_post(&rival.api_key, "/api/v1/sites", &json!({"name": "Clash", "checkoutDomain": "pay.acme.example"}))
        .await;
    let error = assert_error(response, 400, "invalid_request_error", "domain_taken").await;
    assert_eq!(error["param"], "checkoutDomain");
    app.dns.publish("_paygate-challenge.pay.acme.example", &challenge);
    let response =
        app.admin_post(&rival.api_key, &format!("{rival_domains}/pay.acme.example/verify"), &json!({})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    assert_eq!(app.ask("pay.acme.example").await, 404);

    // A site created with a checkoutDomain gets it pending, like any claim.
    let response = app
        .admin_post(&rival.api_key, "/api/v1/sites", &json!({"name": "Second", "checkoutDomain": "shop.rival.example"}))
        .await;
    assert_eq!(response.status(), 201);
    let site: Value = response.json().await.unwrap();
    assert_eq!(site["checkoutDomain"], Value::Null);
    assert_eq!(site["domains"][0]["status"], "pending");
    assert_eq!(site["domains"][0]["verification"]["name"], "_paygate-challenge.shop.rival.example");
    assert_eq!(app.ask("shop.rival.example").await, 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_reserved_domains_are_refused() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_PLATFORM_DOMAINS".into(), "pay.gateway.example".into());
        env.insert("PAYGATE_CHECKOUT_BASE_URL".into(), "https://checkout.gateway.example".into());
    })
    .await;
    let org = app.bootstrap().await;
    let domains = format!("/api/v1/sites/{}/domains", org.site_id);
    for bad in [
        "",
        "localhost",
        "bad domain.example",
        "*.shop.example",
        "_x.shop.example",
        "-pay.shop.example",
        "203.0.113.7",
        "[2001:db8::1]",
        "shop.example/checkout",
        "pay.gateway.example",
        "a.pay.gateway.example",
        "checkout.gateway.example",
    ] {
        let response = app.admin_post(&org.api_key, &domains, &json!({"domain": bad})).await;
        let error = assert_error(response, 400, "invalid_request_error", "domain_invalid").await;
        assert_eq!(error["param"], "domain", "{bad:?}");
        let response =
            app.admin_post(&org.api_key, "/api/v1/sites", &json!({"name": "S", "checkoutDomain": bad})).await;
        if !bad.is_empty() {
            let error = assert_error(response, 400, "invalid_request_error", "domain_invalid").await;
            assert_eq!(error["param"], "checkoutDomain", "{bad:?}");
        }
    }
    let response = app.admin_post(&org.api_key, &domains, &json!({"domain": 7})).await;
    assert_eq!(response.status(), 400);
    // A Unicode name is stored in its ASCII form.
    let response = app.admin_post(&org.api_key, &domains, &json!({"domain": "bücher.example"})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["domain"], "xn--bcher-kva.example");
    let site: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/sites/{}", org.site_id)).await.json().await.unwrap();
    assert_eq!(site["domains"].as_array().unwrap().len(), 1, "nothing refused was stored: {site}");
    // The platform's own names still pass the ask.
    assert_eq!(app.ask("pay.gateway.example").await, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn domains_granted_without_proof_before_are_pending_after_start_up() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let core = app.operator_core().await;
    // A site as earlier versions stored it: the domain granted on the spot.
    let mut legacy = core.get::<paygate_core::domain::sites::Site>(&org.site_id).await.unwrap().unwrap();
    legacy.legacy_checkout_domain = Some("pay.legacy.example".into());
    core.replace(&legacy).await.unwrap();

    // Start-up migrates it: a pending claim of the same site, not served.
    let restarted = app.operator_core().await;
    let site: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/sites/{}", org.site_id)).await.json().await.unwrap();
    assert_eq!(site["checkoutDomain"], Value::Null);
    assert_eq!(site["domains"][0]["domain"], "pay.legacy.example");
    assert_eq!(site["domains"][0]["status"], "pending");
    assert_eq!(app.ask("pay.legacy.example").await, 404);
    assert!(!app.payment_url(&org).await.contains("pay.legacy.example"));
    let stored = restarted.get::<paygate_core::domain::sites::Site>(&org.site_id).await.unwrap().unwrap();
    assert_eq!(stored.legacy_checkout_domain, None);
    // Running it again changes nothing.
    assert_eq!(restarted.migrate_unproven_checkout_domains().await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_claims_of_one_domain_leave_exactly_one_owner() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let mut sites = vec![org.site_id.clone()];
    for n in 0..7 {
        let response = app.admin_post(&org.api_key, "/api/v1/sites", &json!({"name": format!("Shop {n}")})).await;
        sites.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let claims = sites.iter().map(|site| {
        let (app, key) = (&app, &org.api_key);
        async move {
            let path = format!("/api/v1/sites/{site}/domains");
            app.admin_post(key, &path, &json!({"domain": "pay.contested.example"})).await.status().as_u16()
        }
    });
    let mut statuses = futures::future::join_all(claims).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    let mut owners = 0;
    for site in &sites {
        let read: Value = app.admin_get(&org.api_key, &format!("/api/v1/sites/{site}")).await.json().await.unwrap();
        owners += read["domains"].as_array().unwrap().len();
    }
    assert_eq!(owners, 1);
    app.stop().await;
}
