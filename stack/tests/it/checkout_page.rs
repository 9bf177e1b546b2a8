//! The hosted checkout page and checkout.js as served by edge-main: status
//! codes, headers, states and escaping. The browser flow itself runs in
//! Chromium (scripts/browser.sh).
use serde_json::{Value, json};

use crate::helpers::{TestApp, checkout_body, spawn_app};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn open_checkout(app: &TestApp) -> (paygate::Bootstrap, String) {
    let boot = app.bootstrap().await;
    let response = app.create_checkout(&boot.api_key, &boot.site_id, &checkout_body()).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    (boot, checkout["id"].as_str().unwrap().to_owned())
}

async fn pay_and_settle(app: &TestApp, id: &str, token: &str) {
    let paid = app
        .client
        .post(format!("{}/api/v1/checkouts/{id}/pay", app.main))
        .json(&json!({"paymentMethod": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 202);
    for _ in 0..200 {
        let status: Value = app.main_get(&format!("/api/v1/checkouts/{id}/status")).await.json().await.unwrap();
        if !matches!(status["transaction"]["status"].as_str(), Some("pending" | "processing")) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("payment of {id} never settled");
}

#[tokio::test]
async fn the_page_shows_the_checkout_under_a_strict_policy() {
    let app = spawn_app().await;
    let (_, id) = open_checkout(&app).await;

    let response = app.main_get(&format!("/checkout/{id}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    let csp = header(&response, "content-security-policy").to_owned();
    for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "no inline code, no other origin: {csp}");
    assert_eq!(header(&response, "x-frame-options"), "DENY");
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "cache-control"), "no-store");

    let html = response.text().await.unwrap();
    assert!(html.contains("Acme Shop"), "merchant name");
    assert!(html.contains("€119.00"), "total formatted from minor units");
    assert!(html.contains("<strong class=\"test-badge\">Test mode</strong>"), "a test checkout says so");
    for token in ["tok_visa", "tok_mastercard", "tok_chargeDeclined", "tok_processingError", "value=\"upi\""] {
        assert!(html.contains(token), "{token} offered");
    }
    assert!(
        !html.contains("id=\"provider-element\"") && !html.contains("js.stripe.com"),
        "no Stripe on a sandbox page"
    );
    assert!(html.contains("<noscript>"));
    assert!(html.contains("aria-live"));
    assert!(!html.contains("<script>") && !html.contains(" style="), "no inline script or style");
    // What the payer must never see: metadata, the customer's details, the IPN URL.
    for secret in ["orderId", "a@example.com", "DE123456789", "ipn"] {
        assert!(!html.contains(secret), "{secret} leaked into the page");
    }
    app.stop().await;
}

#[tokio::test]
async fn only_checkout_js_embedding_for_a_named_origin_may_frame_the_page() {
    let app = spawn_app().await;
    let (_, id) = open_checkout(&app).await;

    let embedded = app.main_get(&format!("/checkout/{id}?embed=1&origin=https%3A%2F%2Fshop.example%3A8443")).await;
    assert_eq!(embedded.status(), 200);
    let csp = header(&embedded, "content-security-policy").to_owned();
    assert!(csp.ends_with("frame-ancestors https://shop.example:8443"), "{csp}");
    assert_eq!(header(&embedded, "x-frame-options"), "", "frame-ancestors alone decides");
    let html = embedded.text().await.unwrap();
    assert!(html.contains("data-embed-origin=\"https://shop.example:8443\""));
    assert!(html.contains("id=\"close-embed\""), "the frame closes through checkout.js, not cancelUrl");

    for origin in
        ["*", "https%3A%2F%2Fshop.example%2Fpath", "null", "https%3A%2F%2Fa.example%20https%3A%2F%2Fb.example", ""]
    {
        let refused = app.main_get(&format!("/checkout/{id}?embed=1&origin={origin}")).await;
        assert_eq!(refused.status(), 400, "origin {origin}");
        assert!(header(&refused, "content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header(&refused, "content-type"), "text/html; charset=utf-8");
    }
    let no_origin = app.main_get(&format!("/checkout/{id}?embed=1")).await;
    assert_eq!(no_origin.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn unknown_checkouts_get_an_html_404_page() {
    let app = spawn_app().await;
    for path in ["/checkout/chk_doesnotexist", "/checkout/not%20an%20id", "/checkout/chk_x/extra/segments"] {
        let response = app.main_get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8", "{path}");
        assert!(header(&response, "content-security-policy").contains("script-src 'self'"));
        let html = response.text().await.unwrap();
        assert!(html.contains("Checkout not found"), "{path}: {html}");
    }
    app.stop().await;
}

#[tokio::test]
async fn hostile_merchant_text_is_escaped() {
    let app = spawn_app().await;
    let boot = app.bootstrap().await;
    let site: Value = app
        .admin_post(&boot.api_key, "/api/v1/sites", &json!({"name": "<script>alert('site')</script> & Co"}))
        .await
        .json()
        .await
        .unwrap();
    let site_id = site["id"].as_str().unwrap();
    let mut body = checkout_body();
    body["description"] = json!("</title><img src=x onerror=alert(1)>");
    body["lineItems"] = json!([{"name": "\"><svg onload=alert(2)>", "quantity": 1, "amount": 11900}]);
    body["successUrl"] = json!("https://merchant.example/thanks?a=1&b=2");
    let created: Value = app.create_checkout(&boot.api_key, site_id, &body).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap();

    let html = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
    for raw in ["<script>alert", "<img src=x", "<svg onload", "a=1&b"] {
        assert!(!html.contains(raw), "{raw} unescaped in {html}");
    }
    for escaped in [
        "&lt;script&gt;alert(&#39;site&#39;)&lt;/script&gt; &amp; Co",
        "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&quot;&gt;&lt;svg onload=alert(2)&gt;",
        "data-success-url=\"https://merchant.example/thanks?a=1&amp;b=2\"",
    ] {
        assert!(html.contains(escaped), "{escaped} missing from {html}");
    }
    app.stop().await;
}

#[tokio::test]
async fn paid_and_canceled_checkouts_show_their_state_instead_of_a_form() {
    let app = spawn_app().await;
    let (boot, paid) = open_checkout(&app).await;
    pay_and_settle(&app, &paid, "tok_visa").await;
    let html = app.main_get(&format!("/checkout/{paid}")).await.text().await.unwrap();
    assert!(html.contains("Already paid") && !html.contains("id=\"pay-form\""), "{html}");
    assert!(html.contains("data-status=\"completed\""));

    let mut manual = checkout_body();
    manual["captureMethod"] = json!("manual");
    let created: Value = app.create_checkout(&boot.api_key, &boot.site_id, &manual).await.json().await.unwrap();
    let canceled = created["id"].as_str().unwrap();
    pay_and_settle(&app, canceled, "tok_visa").await;
    let status: Value = app.main_get(&format!("/api/v1/checkouts/{canceled}/status")).await.json().await.unwrap();
    let transaction = status["transaction"]["id"].as_str().unwrap();
    let cancel = app.admin_post(&boot.api_key, &format!("/api/v1/transactions/{transaction}/cancel"), &json!({})).await;
    assert_eq!(cancel.status(), 200);
    let html = app.main_get(&format!("/checkout/{canceled}")).await.text().await.unwrap();
    assert!(html.contains("This checkout was canceled") && !html.contains("id=\"pay-form\""), "{html}");

    let (_, open) = open_checkout(&app).await;
    let html = app.main_get(&format!("/checkout/{open}")).await.text().await.unwrap();
    assert!(html.contains("id=\"pay-form\""));
    assert!(html.contains("href=\"https://merchant.example/cart\""), "the cancel link");
    app.stop().await;
}

#[tokio::test]
async fn assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    for (path, content_type, marker) in [
        ("/checkout.js", "text/javascript; charset=utf-8", "Paygate.Checkout"),
        ("/assets/checkout-page.js", "text/javascript; charset=utf-8", "checkout_processing"),
        ("/assets/checkout.css", "text/css; charset=utf-8", ":focus-visible"),
        ("/assets/icon.svg", "image/svg+xml", "<svg"),
    ] {
        let response = app.main_get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), content_type, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{path}");
        assert!(!body.contains("https://") || path == "/checkout.js", "{path} fetches nothing from elsewhere");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_payment_in_progress_shows_progress_instead_of_a_second_form() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("PAYGATE_SANDBOX_LATENCY_MS".into(), "2000".into());
    })
    .await;
    let (_, id) = open_checkout(&app).await;
    let paid = app
        .client
        .post(format!("{}/api/v1/checkouts/{id}/pay", app.main))
        .json(&json!({"paymentMethod": "tok_visa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 202);

    let html = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
    assert!(html.contains("data-status=\"processing\""), "{html}");
    assert!(html.contains("Payment in progress") && !html.contains("id=\"pay-form\""), "{html}");
    app.stop().await;
}

/// The policy every page had before any provider's script: still the
/// sandbox's, to the byte.
const SANDBOX_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                           connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// A site of `key`'s organization charging through a new provider record
/// of `provider`; returns the site id.
async fn site_with_provider(app: &TestApp, key: &str, provider: Value) -> String {
    let response = app.admin_post(key, "/api/v1/providers", &provider).await;
    assert_eq!(response.status(), 201);
    let provider: Value = response.json().await.unwrap();
    let response =
        app.admin_post(key, "/api/v1/sites", &json!({"name": "Provider Shop", "providerId": provider["id"]})).await;
    assert_eq!(response.status(), 201);
    let site: Value = response.json().await.unwrap();
    site["id"].as_str().unwrap().to_owned()
}

async fn checkout_on(app: &TestApp, key: &str, site: &str) -> String {
    let response = app.create_checkout(key, site, &checkout_body()).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    checkout["id"].as_str().unwrap().to_owned()
}

const TEST_CARD_TOKENS: [&str; 7] = [
    "tok_visa",
    "tok_mastercard",
    "tok_chargeDeclined",
    "tok_processingError",
    "value=\"upi\"",
    "Declined card",
    "test card, ",
];

#[tokio::test]
async fn a_stripe_page_opens_its_policy_to_exactly_stripe_js_and_stripes_api() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("PAYGATE_STRIPE_JS_URL".into(), "https://js.stripe-mirror.example/v3/".into());
    })
    .await;
    let boot = app.bootstrap().await;
    let stripe_site = site_with_provider(
        &app,
        &boot.api_key,
        json!({"type": "stripe", "name": "Stripe",
               "credentials": {"secretKey": "sk_test_page_secret_4242", "publishableKey": "pk_test_page_public"},
               "webhookSecret": "whsec_page_signing_9876"}),
    )
    .await;
    let id = checkout_on(&app, &boot.api_key, &stripe_site).await;

    let response = app.main_get(&format!("/checkout/{id}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-security-policy"),
        "default-src 'none'; script-src 'self' https://js.stripe-mirror.example; style-src 'self'; img-src 'self'; \
         connect-src 'self' https://api.stripe-mirror.example; frame-src https://js.stripe-mirror.example; \
         form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<script src=\"https://js.stripe-mirror.example/v3/\" defer></script>"), "{html}");
    assert!(html.contains("data-provider=\"stripe\" data-publishable-key=\"pk_test_page_public\""), "{html}");
    assert!(html.contains("id=\"provider-element\""), "Stripe's card frame mounts here");
    for sandbox in TEST_CARD_TOKENS {
        assert!(!html.contains(sandbox), "{sandbox} offered on a Stripe page");
    }
    for secret in ["sk_test_page_secret_4242", "whsec_page_signing_9876", "4242\"", "9876"] {
        assert!(!html.contains(secret), "{secret} in the page");
    }

    // The public checkout carries the provider, and nothing secret.
    let public = app.main_get(&format!("/api/v1/checkouts/{id}")).await.text().await.unwrap();
    let json: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(json["paymentProvider"], json!({"type": "stripe", "publishableKey": "pk_test_page_public"}));
    for secret in ["sk_test", "whsec_", "secretKey", "webhookSecret", "credentials", "…4242", "…9876"] {
        assert!(!public.contains(secret), "{secret} in {public}");
    }

    // The embedded page keeps the same Stripe origins.
    let embedded = app.main_get(&format!("/checkout/{id}?embed=1&origin=https%3A%2F%2Fshop.example")).await;
    let csp = header(&embedded, "content-security-policy");
    assert!(csp.contains("script-src 'self' https://js.stripe-mirror.example;"), "{csp}");
    assert!(csp.ends_with("frame-ancestors https://shop.example"), "{csp}");

    // The bootstrap site still charges through the built-in sandbox: its page
    // is unchanged, with no Stripe origin, whatever Stripe.js URL is set.
    let sandbox = checkout_on(&app, &boot.api_key, &boot.site_id).await;
    let response = app.main_get(&format!("/checkout/{sandbox}")).await;
    assert_eq!(header(&response, "content-security-policy"), SANDBOX_CSP);
    let html = response.text().await.unwrap();
    assert!(html.contains("tok_visa") && !html.contains("stripe-mirror"), "{html}");
    let json: Value = app.main_get(&format!("/api/v1/checkouts/{sandbox}")).await.json().await.unwrap();
    assert_eq!(json["paymentProvider"], json!({"type": "sandbox", "publishableKey": null}));

    app.stop().await;
}

#[tokio::test]
async fn stripe_js_comes_from_stripe_by_default() {
    let app = spawn_app().await;
    let boot = app.bootstrap().await;
    let site = site_with_provider(
        &app,
        &boot.api_key,
        json!({"type": "stripe", "credentials": {"secretKey": "sk_test_x", "publishableKey": "pk_test_x"}}),
    )
    .await;
    let id = checkout_on(&app, &boot.api_key, &site).await;
    let response = app.main_get(&format!("/checkout/{id}")).await;
    let csp = header(&response, "content-security-policy").to_owned();
    assert!(csp.contains("script-src 'self' https://js.stripe.com;"), "{csp}");
    assert!(csp.contains("connect-src 'self' https://api.stripe.com;"), "{csp}");
    assert!(csp.contains("frame-src https://js.stripe.com;"), "{csp}");
    assert!(response.text().await.unwrap().contains("<script src=\"https://js.stripe.com/v3/\" defer>"));

    // Without a publishable key no card form can be shown: the page says so
    // and loads nothing from Stripe.
    let site =
        site_with_provider(&app, &boot.api_key, json!({"type": "stripe", "credentials": {"secretKey": "sk_test_y"}}))
            .await;
    let id = checkout_on(&app, &boot.api_key, &site).await;
    let response = app.main_get(&format!("/checkout/{id}")).await;
    assert_eq!(header(&response, "content-security-policy"), SANDBOX_CSP);
    let html = response.text().await.unwrap();
    assert!(html.contains("Card payments are not available yet") && !html.contains("id=\"pay-form\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_gocardless_page_asks_for_the_mandate_reference() {
    let app = spawn_app().await;
    let boot = app.bootstrap().await;
    let site = site_with_provider(
        &app,
        &boot.api_key,
        json!({"type": "gocardless", "credentials": {"accessToken": "sandbox_token_secret_1234"}}),
    )
    .await;
    let id = checkout_on(&app, &boot.api_key, &site).await;
    let response = app.main_get(&format!("/checkout/{id}")).await;
    assert_eq!(header(&response, "content-security-policy"), SANDBOX_CSP);
    let html = response.text().await.unwrap();
    assert!(html.contains("data-provider=\"gocardless\""), "{html}");
    assert!(html.contains("<label for=\"mandate\">Mandate reference</label>"), "{html}");
    assert!(html.contains("paid by Direct Debit"), "{html}");
    for sandbox in TEST_CARD_TOKENS {
        assert!(!html.contains(sandbox), "{sandbox} offered on a GoCardless page");
    }
    let public = app.main_get(&format!("/api/v1/checkouts/{id}")).await.text().await.unwrap();
    assert!(!public.contains("sandbox_token") && !public.contains("1234"), "{public}");
    let json: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(json["paymentProvider"], json!({"type": "gocardless", "publishableKey": null}));
    app.stop().await;
}

#[tokio::test]
async fn a_live_checkout_never_offers_test_cards() {
    let app = spawn_app().await;
    let boot = app.bootstrap().await;
    let all: Vec<String> = paygate_core::domain::api_keys::scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (_, live_key) = app
        .operator_core()
        .await
        .create_api_key(&boot.organization_id, "live", paygate_core::domain::api_keys::KeyMode::Live, &all)
        .await
        .unwrap();
    let live_key = live_key.expose().to_owned();
    let site = site_with_provider(
        &app,
        &live_key,
        json!({"type": "stripe", "credentials": {"secretKey": "sk_live_page", "publishableKey": "pk_live_page"}}),
    )
    .await;
    let id = checkout_on(&app, &live_key, &site).await;
    let html = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
    assert!(html.contains("data-livemode=\"true\"") && html.contains("id=\"pay-form\""), "{html}");
    assert!(html.contains("data-publishable-key=\"pk_live_page\""), "{html}");
    for sandbox in TEST_CARD_TOKENS.into_iter().chain(["tok_", "Test mode", "test-banner", "4242"]) {
        assert!(!html.contains(sandbox), "{sandbox} on a live page");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_subscription_checkout_offers_its_plan_trial_and_next_charge_on_the_customers_clock() {
    let app = spawn_app().await;
    let boot = app.bootstrap().await;
    let clock: Value = app
        .admin_post(&boot.api_key, "/api/v1/test-clocks", &json!({"frozenTime": "2026-12-01T09:00:00Z"}))
        .await
        .json()
        .await
        .unwrap();
    let customer: Value = app
        .admin_post(&boot.api_key, "/api/v1/customers", &json!({"name": "Ada", "testClockId": clock["id"]}))
        .await
        .json()
        .await
        .unwrap();
    let plan = |body: Value| {
        let app = &app;
        let key = boot.api_key.clone();
        async move {
            let plan: Value = app.admin_post(&key, "/api/v1/plans", &body).await.json().await.unwrap();
            plan["id"].as_str().unwrap().to_owned()
        }
    };
    let trial =
        plan(json!({"name": "Pro", "amount": 1190, "currency": "EUR", "interval": "month", "trialDays": 30})).await;
    let quarterly =
        plan(json!({"name": "Box", "amount": 2500, "currency": "EUR", "interval": "month", "intervalCount": 3})).await;
    let checkout = |plan: String| {
        let app = &app;
        let boot = &boot;
        let customer = customer["id"].clone();
        async move {
            let body = json!({"mode": "subscription", "planId": plan, "customerId": customer});
            let response = app.create_checkout(&boot.api_key, &boot.site_id, &body).await;
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };

    // The public view: the plan, the trial, nothing today, the first charge
    // 30 days after the customer's clock.
    let id = checkout(trial).await;
    let public: Value = app.main_get(&format!("/api/v1/checkouts/{id}")).await.json().await.unwrap();
    assert_eq!(
        public["subscription"],
        json!({"planName": "Pro", "amount": 1190, "interval": "month", "intervalCount": 1, "trialDays": 30,
            "amountToday": 0, "nextChargeAt": "2026-12-31T09:00:00Z"})
    );
    let html = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
    assert!(html.contains("<strong>30-day free trial</strong> — nothing is charged today; €11.90 on"), "{html}");
    assert!(html.contains(">31 Dec 2026</time>, then every month."), "{html}");
    assert!(html.contains(">Start trial</button>"), "{html}");

    // Without a trial: the first period today, the next in three months.
    let id = checkout(quarterly).await;
    let public: Value = app.main_get(&format!("/api/v1/checkouts/{id}")).await.json().await.unwrap();
    assert_eq!(public["subscription"]["amountToday"], 2500);
    assert_eq!(public["subscription"]["nextChargeAt"], "2027-03-01T09:00:00Z");
    let html = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
    assert!(html.contains("every 3 months") && html.contains(">Subscribe</button>"), "{html}");

    // A one-off checkout has no subscription at all.
    let response = app.create_checkout(&boot.api_key, &boot.site_id, &checkout_body()).await;
    let one_off: Value = response.json().await.unwrap();
    let public: Value =
        app.main_get(&format!("/api/v1/checkouts/{}", one_off["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(public.get("subscription").is_none(), "{public}");
    app.stop().await;
}
