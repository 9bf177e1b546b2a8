//! The customer portal: checkouts that name a customer record, portal
//! sessions on the Admin API, the portal API and page on the main edge.

use serde_json::{Value, json};

use crate::{billing::pdf_text, helpers::*};

async fn create_customer(app: &TestApp, key: &str, body: Value) -> String {
    let response = app.admin_post(key, "/api/v1/customers", &body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Pays a checkout for `customer_id`; returns the settled transaction
/// once its invoice is issued.
async fn paid_for(app: &TestApp, org: &paygate::Bootstrap, customer_id: &str, amount: i64) -> Value {
    let checkout = app.checkout_with(org, json!({"customerId": customer_id, "amount": amount})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "succeeded");
    let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
    eventually(10, "the invoice", || async {
        let txn: Value =
            app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.ok()?;
        txn["invoiceId"].is_string().then_some(txn)
    })
    .await
}

/// Refunds `amount` of a transaction; returns its credit note.
async fn refunded(app: &TestApp, org: &paygate::Bootstrap, txn: &Value, amount: i64) -> Value {
    let txn_id = txn["id"].as_str().unwrap();
    let response = app
        .admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/refunds"), &json!({"amount": amount}))
        .await;
    assert_eq!(response.status(), 201);
    eventually(10, "the credit note", || async {
        let notes: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/credit-notes?transactionId={txn_id}"))
            .await
            .json()
            .await
            .ok()?;
        notes["data"].as_array()?.first().cloned()
    })
    .await
}

async fn open_session(app: &TestApp, key: &str, customer_id: &str) -> Value {
    let body = json!({"customerId": customer_id, "returnUrl": "https://merchant.example/account"});
    let response = app.admin_post(key, "/api/v1/portal/sessions", &body).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

impl TestApp {
    async fn portal_get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.main)).bearer_auth(token).send().await.unwrap()
    }

    async fn portal_post(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.main)).bearer_auth(token).send().await.unwrap()
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_names_a_customer_record_that_its_transaction_invoice_and_credit_notes_carry() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let customer = create_customer(
        &app,
        &org.api_key,
        json!({"email": "ada@example.com", "name": "Ada Lovelace",
               "address": {"country": "DE", "city": "Berlin", "postalCode": "10115"}}),
    )
    .await;
    let theirs = create_customer(&app, &other.api_key, json!({"email": "eve@example.com"})).await;

    // Inline details win; what they leave out comes from the record.
    let checkout = app.checkout_with(&org, json!({"customerId": customer, "customer": {"name": "Ada King"}})).await;
    assert_eq!(checkout["customerId"], customer.as_str());
    assert_eq!(checkout["customer"]["name"], "Ada King");
    assert_eq!(checkout["customer"]["email"], "ada@example.com");
    assert_eq!(checkout["customer"]["address"]["city"], "Berlin");
    let plain = app.checkout_with(&org, json!({})).await;
    assert_eq!(plain["customerId"], Value::Null);

    // Another organization's customer, an unknown one and garbage are all
    // not there; nothing is created.
    for id in [theirs.as_str(), "cus_0000000000000000000000", "nope"] {
        let body = json!({"amount": 1000, "currency": "EUR", "customerId": id});
        let response = app.create_checkout(&org.api_key, &org.site_id, &body).await;
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    }
    let response = app
        .create_checkout(&org.api_key, &org.site_id, &json!({"amount": 1000, "currency": "EUR", "customerId": 7}))
        .await;
    assert_eq!(assert_error(response, 400, "invalid_request_error", "parameter_invalid").await["param"], "customerId");
    let listed: Value = app.admin_get(&org.api_key, "/api/v1/checkouts").await.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);

    let txn = paid_for(&app, &org, &customer, 5000).await;
    assert_eq!(txn["customerId"], customer.as_str());
    let invoice_id = txn["invoiceId"].as_str().unwrap();
    let invoice: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}")).await.json().await.unwrap();
    assert_eq!(invoice["customerId"], customer.as_str());
    assert_eq!(invoice["buyer"]["email"], "ada@example.com");
    assert_eq!(invoice["currencyExponent"], 2);
    let note = refunded(&app, &org, &txn, 1000).await;
    assert_eq!(note["customerId"], customer.as_str());

    // The Admin API lists a customer's documents too.
    let found: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices?customerId={customer}")).await.json().await.unwrap();
    assert_eq!(ids(&found), [invoice_id]);
    let none: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices?customerId={theirs}")).await.json().await.unwrap();
    assert_eq!(none["data"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_sessions_are_opened_for_the_callers_customers_with_checked_input() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let customer = create_customer(&app, &org.api_key, json!({"name": "Ada"})).await;
    let theirs = create_customer(&app, &other.api_key, json!({"name": "Eve"})).await;

    let body = json!({"customerId": customer, "returnUrl": "https://merchant.example/account"});
    let first = app.admin_post_keyed(&org.api_key, "/api/v1/portal/sessions", "portal-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let session: Value = first.json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("pt_") && token.len() >= 3 + 22, "{token}");
    assert_eq!(session["object"], "portal_session");
    assert_eq!(session["url"], format!("{}/portal?token={token}", app.main));
    assert_eq!(session["customerId"], customer.as_str());
    assert_eq!(session["returnUrl"], "https://merchant.example/account");
    assert_eq!(session["livemode"], false);
    let created = chrono::DateTime::parse_from_rfc3339(session["createdAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(session["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_seconds(), 3600, "valid for one hour");

    // A retry with the same key gets the same session and token; another
    // body under that key is refused.
    let again = app.admin_post_keyed(&org.api_key, "/api/v1/portal/sessions", "portal-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed: Value = again.json().await.unwrap();
    assert_eq!((&replayed["id"], &replayed["token"]), (&session["id"], &session["token"]));
    let changed = json!({"customerId": customer});
    let response = app.admin_post_keyed(&org.api_key, "/api/v1/portal/sessions", "portal-1", &changed).await;
    assert_error(response, 422, "idempotency_error", "idempotency_key_reused").await;
    let fresh = open_session(&app, &org.api_key, &customer).await;
    assert_ne!(fresh["token"], session["token"], "every session its own token");

    // The token is stored only as its hash.
    let core = app.operator_core().await;
    let stored = core.get::<paygate_core::domain::portal::PortalSession>(session["id"].as_str().unwrap()).await;
    let stored = serde_json::to_string(&stored.unwrap().unwrap()).unwrap();
    assert!(!stored.contains(token.trim_start_matches("pt_")), "{stored}");

    for (body, param, code) in [
        (json!({"returnUrl": "https://merchant.example/"}), "customerId", "parameter_missing"),
        (json!({"customerId": customer, "returnUrl": "ftp://merchant.example/"}), "returnUrl", "url_invalid"),
        (json!({"customerId": customer, "returnUrl": "/account"}), "returnUrl", "url_invalid"),
        (json!({"customerId": customer, "returnUrl": "javascript:alert(1)"}), "returnUrl", "url_invalid"),
        (json!({"customerId": customer, "returnUrl": 5}), "returnUrl", "parameter_invalid"),
        (json!({"customerId": customer, "extra": true}), "extra", "parameter_unknown"),
    ] {
        let response = app.admin_post(&org.api_key, "/api/v1/portal/sessions", &body).await;
        let error = assert_error(response, 400, "invalid_request_error", code).await;
        if code != "parameter_unknown" {
            assert_eq!(error["param"], param, "{body}");
        }
    }
    let response = app
        .client
        .post(format!("{}/api/v1/portal/sessions", app.admin))
        .bearer_auth(&org.api_key)
        .body("customerId=cus_1")
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    let response = app
        .client
        .post(format!("{}/api/v1/portal/sessions", app.admin))
        .bearer_auth(&org.api_key)
        .header("content-type", "application/json")
        .body("{\"customerId\": ")
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_request_error", "invalid_json").await;

    // Another organization's customer is not there; a key without the
    // scope is refused.
    let response = app.admin_post(&org.api_key, "/api/v1/portal/sessions", &json!({"customerId": theirs})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let narrow: Value = app
        .admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "narrow", "scopes": ["customers:read"]}))
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .admin_post(narrow["secret"].as_str().unwrap(), "/api/v1/portal/sessions", &json!({"customerId": customer}))
        .await;
    assert_error(response, 403, "permission_error", "scope_missing").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_portal_token_reads_its_customers_documents_and_nobody_elses() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let ada = create_customer(&app, &org.api_key, json!({"name": "Ada Lovelace", "email": "ada@example.com"})).await;
    let bob = create_customer(&app, &org.api_key, json!({"name": "Bob"})).await;
    let ada_txn = paid_for(&app, &org, &ada, 11900).await;
    let ada_note = refunded(&app, &org, &ada_txn, 1900).await;
    let bob_txn = paid_for(&app, &org, &bob, 2500).await;
    let bob_note = refunded(&app, &org, &bob_txn, 500).await;
    // A payment without a customer record is nobody's in the portal.
    let anonymous = app.checkout_with(&org, json!({})).await;
    app.pay(anonymous["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    app.settled_status(anonymous["id"].as_str().unwrap()).await;

    let session = open_session(&app, &org.api_key, &ada).await;
    let token = session["token"].as_str().unwrap();

    let me = app.portal_get(token, "/api/v1/portal/me").await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "no-store");
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["customer"], json!({"id": ada, "name": "Ada Lovelace", "email": "ada@example.com"}));
    assert_eq!(me["merchantName"], "Acme GmbH");
    assert_eq!(me["returnUrl"], "https://merchant.example/account");

    let invoices = app.portal_get(token, "/api/v1/portal/invoices").await;
    assert_eq!(invoices.headers()["cache-control"], "no-store");
    let invoices: Value = invoices.json().await.unwrap();
    assert_eq!(ids(&invoices), [ada_txn["invoiceId"].as_str().unwrap()]);
    assert_eq!(invoices["data"][0]["totals"]["gross"], 11900);
    let notes: Value = app.portal_get(token, "/api/v1/portal/credit-notes").await.json().await.unwrap();
    assert_eq!(ids(&notes), [ada_note["id"].as_str().unwrap()]);

    // The PDFs are the documents', through core from the PDF worker.
    let invoice_id = ada_txn["invoiceId"].as_str().unwrap();
    let pdf = app.portal_get(token, &format!("/api/v1/portal/invoices/{invoice_id}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(pdf.headers()["cache-control"], "no-store");
    assert!(pdf.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"TEST-INV-"));
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert!(pdf_text(&bytes).contains(invoices["data"][0]["number"].as_str().unwrap()));
    let note_pdf =
        app.portal_get(token, &format!("/api/v1/portal/credit-notes/{}/pdf", ada_note["id"].as_str().unwrap())).await;
    assert_eq!(note_pdf.status(), 200);
    assert!(note_pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    // Bob's documents do not exist for Ada's token, whatever the route.
    let bob_invoice = bob_txn["invoiceId"].as_str().unwrap();
    for path in [
        format!("/api/v1/portal/invoices/{bob_invoice}/pdf"),
        format!("/api/v1/portal/credit-notes/{}/pdf", bob_note["id"].as_str().unwrap()),
        format!("/api/v1/portal/credit-notes/{invoice_id}/pdf"),
        format!("/api/v1/portal/invoices/{}/pdf", anonymous["id"].as_str().unwrap()),
        "/api/v1/portal/invoices/inv_0000000000000000000000/pdf".to_owned(),
    ] {
        let response = app.portal_get(token, &path).await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    }
    let response = app.portal_get(token, &format!("/api/v1/portal/invoices?startingAfter={bob_invoice}")).await;
    assert_error(response, 400, "invalid_request_error", "cursor_invalid").await;
    let response = app.portal_get(token, "/api/v1/portal/invoices?limit=0").await;
    assert_error(response, 400, "invalid_request_error", "limit_invalid").await;

    // No credential, a made-up one, an API key: 401. A portal token on
    // the Admin API: 401.
    let response = app.main_get("/api/v1/portal/invoices").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_error(response, 401, "authentication_error", "portal_token_missing").await;
    for credential in ["pt_madeup", "pc_madeup", "garbage", org.api_key.as_str()] {
        let response = app.portal_get(credential, "/api/v1/portal/me").await;
        assert_error(response, 401, "authentication_error", "portal_token_invalid").await;
    }
    for path in ["/api/v1/customers", &format!("/api/v1/invoices/{invoice_id}")] {
        let response = app.admin_get(token, path).await;
        assert_error(response, 401, "authentication_error", "api_key_invalid").await;
    }
    let response = app.admin_post(token, "/api/v1/portal/sessions", &json!({"customerId": ada})).await;
    assert_error(response, 401, "authentication_error", "api_key_invalid").await;

    // Logging out ends the token.
    let response = app.portal_post(token, "/api/v1/portal/logout").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ended");
    for path in ["/api/v1/portal/me", "/api/v1/portal/invoices", &format!("/api/v1/portal/invoices/{invoice_id}/pdf")] {
        let response = app.portal_get(token, path).await;
        assert_error(response, 401, "authentication_error", "portal_session_ended").await;
    }
    let response = app.portal_post(token, "/api/v1/portal/logout").await;
    assert_error(response, 401, "authentication_error", "portal_session_ended").await;
    app.stop().await;
}

/// `Set-Cookie`'s `name=value`, and its attributes.
fn cookie_of(response: &reqwest::Response) -> (String, String) {
    let header = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let (pair, attributes) = header.split_once(';').unwrap();
    (pair.trim().to_owned(), attributes.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portal_page_trades_the_token_for_a_cookie_and_logging_out_ends_both() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let ada = create_customer(&app, &org.api_key, json!({"name": "Ada <Lovelace>", "email": "ada@example.com"})).await;
    let txn = paid_for(&app, &org, &ada, 11900).await;
    let session = open_session(&app, &org.api_key, &ada).await;
    let token = session["token"].as_str().unwrap();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The token buys a cookie and leaves the address bar.
    let response = browser.get(session["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/portal");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (cookie, attributes) = cookie_of(&response);
    assert!(cookie.starts_with("__Host-paygate_portal=pc_"), "{cookie}");
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(attributes.split("; ").any(|a| a == attribute), "{attribute} in {attributes}");
    }
    let page = |cookie: Option<&str>| {
        let mut request = browser.get(format!("{}/portal", app.main));
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("theme=dark; {cookie}"));
        }
        request.send()
    };

    // Arriving from the merchant's site, the browser leaves the
    // SameSite=Strict cookie behind: the page sends it back from its own
    // origin, showing nothing private meanwhile.
    let arrival =
        browser.get(format!("{}/portal", app.main)).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(arrival.status(), 200);
    assert_eq!(arrival.headers()["cache-control"], "no-store");
    let html = arrival.text().await.unwrap();
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"0; url=/portal\">"), "{html}");
    assert!(!html.contains("Lovelace"), "{html}");

    let response = page(Some(&cookie)).await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    let invoice: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/invoices/{}", txn["invoiceId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert!(html.contains("Ada &lt;Lovelace&gt;"), "{html}");
    assert!(html.contains(invoice["number"].as_str().unwrap()), "{html}");
    assert!(html.contains(&format!("/api/v1/portal/invoices/{}/pdf", invoice["id"].as_str().unwrap())), "{html}");
    assert!(html.contains("href=\"https://merchant.example/account\">Return to Acme GmbH"), "{html}");
    let secret = cookie.split_once('=').unwrap().1;
    assert!(!html.contains(token) && !html.contains(secret), "no credential in the page");
    assert!(!html.contains("<script>"), "no inline script");

    // The page's own API calls carry the cookie; a change needs the page's
    // origin.
    let cookie_get = |path: &str| browser.get(format!("{}{path}", app.main)).header("cookie", &cookie).send();
    let pdf = cookie_get(&format!("/api/v1/portal/invoices/{}/pdf", invoice["id"].as_str().unwrap())).await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let logout = |origin: &str| {
        browser
            .post(format!("{}/api/v1/portal/logout", app.main))
            .header("cookie", &cookie)
            .header("origin", origin)
            .send()
    };
    let response = logout("https://evil.example").await.unwrap();
    assert_error(response, 403, "permission_error", "origin_forbidden").await;
    assert_eq!(cookie_get("/api/v1/portal/me").await.unwrap().status(), 200, "still logged in");

    // A second browser, same token: its own cookie.
    let other = browser.get(session["url"].as_str().unwrap()).send().await.unwrap();
    let (other_cookie, _) = cookie_of(&other);
    assert_ne!(other_cookie, cookie);

    let response = logout(&app.main).await.unwrap();
    assert_eq!(response.status(), 200);
    let (cleared, attributes) = cookie_of(&response);
    assert_eq!(cleared, "__Host-paygate_portal=");
    assert!(attributes.contains("Max-Age=0"), "{attributes}");

    // Afterwards: the cookie, the other browser's cookie, the old link and
    // the token all show nothing private.
    for cookie in [Some(cookie.as_str()), Some(other_cookie.as_str()), None] {
        let response = page(cookie).await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let html = response.text().await.unwrap();
        assert!(html.contains("Your portal session has ended"), "{html}");
        assert!(!html.contains("Lovelace") && !html.contains(invoice["number"].as_str().unwrap()), "{html}");
    }
    let response = browser.get(session["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("Your portal session has ended") && !html.contains("Lovelace"), "{html}");
    let response = app.portal_get(token, "/api/v1/portal/me").await;
    assert_error(response, 401, "authentication_error", "portal_session_ended").await;
    let response = browser.get(format!("{}/portal?token=pt_madeup", app.main)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("This portal link is not valid"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_sessions_expire_after_an_hour_on_cores_clock() {
    let clock = paygate_core::clock::OffsetClock::new();
    let app = spawn_app_with_clock(clock.clone()).await;
    let org = app.bootstrap().await;
    let ada = create_customer(&app, &org.api_key, json!({"name": "Ada"})).await;
    let session = open_session(&app, &org.api_key, &ada).await;
    let token = session["token"].as_str().unwrap();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let exchanged = browser.get(session["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(exchanged.status(), 303);
    let (cookie, _) = cookie_of(&exchanged);
    assert_eq!(app.portal_get(token, "/api/v1/portal/me").await.status(), 200);

    clock.advance(3599 * 1_000_000);
    assert_eq!(app.portal_get(token, "/api/v1/portal/me").await.status(), 200, "still within the hour");
    clock.advance(2 * 1_000_000);
    let response = app.portal_get(token, "/api/v1/portal/invoices").await;
    assert_error(response, 401, "authentication_error", "portal_session_expired").await;
    let response = browser.get(format!("{}/portal", app.main)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("This portal link has expired"));
    let response = browser.get(session["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none(), "no cookie for an expired token");
    app.stop().await;
}

/// A monthly plan and an active subscription to it for `customer_id`.
async fn subscribed(app: &TestApp, org: &paygate::Bootstrap, customer_id: &str, plan_name: &str, ipn: &str) -> Value {
    let plan = app
        .admin_post(
            &org.api_key,
            "/api/v1/plans",
            &json!({"name": plan_name, "amount": 1900, "currency": "EUR", "interval": "month"}),
        )
        .await;
    assert_eq!(plan.status(), 201);
    let plan: Value = plan.json().await.unwrap();
    let body = json!({"customerId": customer_id, "planId": plan["id"], "siteId": org.site_id,
        "paymentMethod": "tok_visa", "ipnUrl": ipn});
    let response = app.admin_post(&org.api_key, "/api/v1/subscriptions", &body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let subscription: Value = response.json().await.unwrap();
    assert_eq!(subscription["status"], "active");
    subscription
}

impl TestApp {
    async fn portal_post_json(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.main)).bearer_auth(token).json(body).send().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customer_cancels_at_period_end_with_a_reason_and_resumes_their_own_subscription_only() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let ada = create_customer(&app, &org.api_key, json!({"name": "Ada", "email": "ada@example.com"})).await;
    let bob = create_customer(&app, &org.api_key, json!({"name": "Bob"})).await;
    let receiver = IpnReceiver::always_ok().await;
    let mine = subscribed(&app, &org, &ada, "Pro monthly", &receiver.url).await;
    let id = mine["id"].as_str().unwrap();
    let theirs = subscribed(&app, &org, &bob, "Team monthly", &receiver.url).await;
    let session = open_session(&app, &org.api_key, &ada).await;
    let token = session["token"].as_str().unwrap();

    let response = app.portal_get(token, "/api/v1/portal/subscriptions").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let listed: Value = response.json().await.unwrap();
    assert_eq!(ids(&listed), [id]);
    let shown = &listed["data"][0];
    assert_eq!((&shown["planName"], &shown["status"]), (&json!("Pro monthly"), &json!("active")));
    assert_eq!(shown["upcoming"]["amount"], 1900);
    assert_eq!(shown["upcoming"]["currency"], "EUR");
    assert_eq!(shown["upcoming"]["date"], mine["currentPeriodEnd"]);
    assert_eq!(shown["currencyExponent"], 2);
    for private in ["ipnUrl", "paymentMethod", "siteId", "checkoutId", "testClockId"] {
        assert!(shown.get(private).is_none(), "{private} in {shown}");
    }
    assert!(!listed.to_string().contains(&receiver.url));
    // The first period's invoice is the customer's too.
    let invoices: Value = app.portal_get(token, "/api/v1/portal/invoices").await.json().await.unwrap();
    assert_eq!(ids(&invoices), [mine["latestInvoiceId"].as_str().unwrap()]);

    let cancel = format!("/api/v1/portal/subscriptions/{id}/cancel");
    for (body, param, code) in [
        (json!({}), "reason", "parameter_missing"),
        (json!({"reason": "bored"}), "reason", "reason_invalid"),
        (json!({"reason": "other", "comment": "x".repeat(1001)}), "comment", "parameter_too_long"),
        (json!({"reason": 3}), "reason", "parameter_invalid"),
        (json!({"reason": "other", "atPeriodEnd": false}), "atPeriodEnd", "parameter_unknown"),
    ] {
        let response = app.portal_post_json(token, &cancel, &body).await;
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
        if code != "parameter_unknown" {
            assert_eq!(error["error"]["param"], param, "{body}: {error}");
        }
    }
    let response = app
        .client
        .post(format!("{}{cancel}", app.main))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body("reason=other")
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    let response = app.portal_post(token, &cancel).await;
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;

    // Bob's subscription does not exist for Ada.
    let bobs = theirs["id"].as_str().unwrap();
    let response = app
        .portal_post_json(token, &format!("/api/v1/portal/subscriptions/{bobs}/cancel"), &json!({"reason": "other"}))
        .await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.portal_post(token, &format!("/api/v1/portal/subscriptions/{bobs}/resume")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.portal_get(token, &format!("/api/v1/portal/subscriptions?startingAfter={bobs}")).await;
    assert_error(response, 400, "invalid_request_error", "cursor_invalid").await;

    // Canceling is always at the period's end, with the customer's reason.
    let body = json!({"reason": "too_expensive", "comment": "Too much for what I use"});
    let response = app.portal_post_json(token, &cancel, &body).await;
    assert_eq!(response.status(), 200);
    let canceling: Value = response.json().await.unwrap();
    assert_eq!((&canceling["status"], &canceling["cancelAtPeriodEnd"]), (&json!("active"), &json!(true)));
    assert_eq!(canceling["upcoming"], Value::Null, "nothing more will be charged");
    assert_eq!(canceling["cancellationDetails"]["reason"], "too_expensive");
    assert_eq!(canceling["cancellationDetails"]["requestedBy"], "customer");
    let merchant: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/subscriptions/{id}")).await.json().await.unwrap();
    assert_eq!(merchant["cancelAtPeriodEnd"], true);
    assert_eq!(merchant["cancellationDetails"]["comment"], "Too much for what I use");
    assert_eq!(merchant["cancellationDetails"]["requestedBy"], "customer");
    let response = app.portal_post_json(token, &cancel, &body).await;
    assert_error(response, 409, "invalid_request_error", "subscription_cancel_pending").await;
    let untouched: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/subscriptions/{bobs}")).await.json().await.unwrap();
    assert_eq!(untouched["cancelAtPeriodEnd"], false);

    // The page shows the pending end and offers to resume; the cookie's
    // changes must come from the page's origin.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookie, _) = cookie_of(&browser.get(session["url"].as_str().unwrap()).send().await.unwrap());
    let html = browser
        .get(format!("{}/portal", app.main))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Pro monthly") && html.contains("Resume subscription"), "{html}");
    assert!(!html.contains("Team monthly") && !html.contains(&receiver.url), "{html}");
    let resume = format!("/api/v1/portal/subscriptions/{id}/resume");
    let response = browser
        .post(format!("{}{resume}", app.main))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "permission_error", "origin_forbidden").await;

    let response = browser
        .post(format!("{}{resume}", app.main))
        .header("cookie", &cookie)
        .header("origin", &app.main)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let resumed: Value = response.json().await.unwrap();
    assert_eq!(resumed["cancelAtPeriodEnd"], false);
    assert_eq!(resumed["upcoming"]["amount"], 1900);
    assert_eq!(resumed["cancellationDetails"], Value::Null);
    let response = app.portal_post_json(token, &resume, &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "subscription_not_canceling").await;
    let response = app.portal_post_json(token, &resume, &json!({"now": true})).await;
    assert_error(response, 400, "invalid_request_error", "parameter_unknown").await;
    let html = browser
        .get(format!("{}/portal", app.main))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in ["Cancel subscription", "<label for=\"reason-", "<label for=\"comment-", "Next charge", "€19.00"] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    app.stop().await;
}
