//! Provider records and provider webhooks, end to end through the sandbox
//! provider, whose "dashboard" emits webhooks signed like a real
//! provider's.

use serde_json::{Value, json};

use crate::helpers::*;

async fn patch(app: &TestApp, key: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client.patch(format!("{}{path}", app.admin)).bearer_auth(key).json(body).send().await.unwrap()
}

async fn delete(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client.delete(format!("{}{path}", app.admin)).bearer_auth(key).send().await.unwrap()
}

/// The gateway allowed to reach provider stand-ins on this machine.
async fn spawn_with_standins() -> TestApp {
    spawn_app_with(|env| {
        env.insert("PAYGATE_PROVIDER_ALLOW_PRIVATE".into(), "1".into());
    })
    .await
}

/// A live key with every scope, minted as an operator would.
async fn live_key(app: &TestApp, org: &paygate::Bootstrap) -> String {
    let all: Vec<String> = paygate_core::domain::api_keys::scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (_, key) = app
        .operator_core()
        .await
        .create_api_key(&org.organization_id, "live", paygate_core::domain::api_keys::KeyMode::Live, &all)
        .await
        .unwrap();
    key.expose().to_owned()
}

async fn transaction(app: &TestApp, key: &str, id: &str) -> Value {
    app.admin_get(key, &format!("/api/v1/transactions/{id}")).await.json().await.unwrap()
}

/// A sandbox provider record, a site charging through it, and the
/// record's signing secret.
async fn sandbox_site(app: &TestApp, org: &paygate::Bootstrap) -> (Value, String) {
    let response =
        app.admin_post(&org.api_key, "/api/v1/providers", &json!({"type": "sandbox", "name": "Sandbox"})).await;
    assert_eq!(response.status(), 201);
    let provider: Value = response.json().await.unwrap();
    let secret = provider["webhookSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let site =
        patch(app, &org.api_key, &format!("/api/v1/sites/{}", org.site_id), &json!({"providerId": provider["id"]}))
            .await;
    assert_eq!(site.status(), 200);
    let site: Value = site.json().await.unwrap();
    assert_eq!(site["providerId"], provider["id"]);
    (provider, secret)
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_records_keep_their_secrets_and_their_mode() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;

    let stripe = json!({"type": "stripe", "name": "Stripe test",
        "credentials": {"secretKey": "sk_test_51Habcdef4242", "publishableKey": "pk_test_51Habc"},
        "webhookSecret": "whsec_abcdefgh9876"});
    let response = app.admin_post(&org.api_key, "/api/v1/providers", &stripe).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["type"], "stripe");
    assert_eq!(created["livemode"], false);
    assert_eq!(created["credentialsHint"], "…4242");
    assert_eq!(created["webhookSecretHint"], "…9876");
    assert_eq!(created["publishableKey"], "pk_test_51Habc");
    assert_eq!(created["webhookSecret"], Value::Null, "a merchant's own secret is never echoed");
    assert_eq!(created["webhookUrl"], format!("{}/hooks/stripe/{id}", app.main));
    let fetched = app.admin_get(&org.api_key, &format!("/api/v1/providers/{id}")).await.text().await.unwrap();
    for secret in ["sk_test_51Habcdef4242", "whsec_abcdefgh9876"] {
        assert!(!fetched.contains(secret), "GET leaks {secret}");
    }
    // Sealed at rest: the store holds neither secret in clear.
    let stored = app.operator_core().await.store.get("providers", &id).await.unwrap().unwrap();
    let stored = stored.body.to_string();
    assert!(!stored.contains("sk_test_51Habcdef4242") && !stored.contains("whsec_abcdefgh9876"), "{stored}");

    // A test key connects test credentials only, and never the sandbox in
    // live mode.
    let live_credentials = json!({"type": "stripe", "credentials": {"secretKey": "sk_live_abc"}});
    let response = app.admin_post(&org.api_key, "/api/v1/providers", &live_credentials).await;
    assert_error(response, 400, "invalid_request_error", "credentials_mode_mismatch").await;
    let live_key = live_key(&app, &org).await;
    let response = app.admin_post(&live_key, "/api/v1/providers", &json!({"type": "sandbox"})).await;
    assert_error(response, 400, "invalid_request_error", "sandbox_live_mode").await;
    let response = app.admin_post(&live_key, "/api/v1/providers", &stripe).await;
    assert_error(response, 400, "invalid_request_error", "credentials_mode_mismatch").await;
    // The other mode's records are not there at all.
    let response = app.admin_get(&live_key, &format!("/api/v1/providers/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let listed: Value = app.admin_get(&live_key, "/api/v1/providers").await.json().await.unwrap();
    assert_eq!(listed["data"], json!([]));
    // A live key cannot point a (live) site at a test provider.
    let live_site: Value =
        app.admin_post(&live_key, "/api/v1/sites", &json!({"name": "Live"})).await.json().await.unwrap();
    let live_site = format!("/api/v1/sites/{}", live_site["id"].as_str().unwrap());
    let response = patch(&app, &live_key, &live_site, &json!({"providerId": id})).await;
    assert_error(response, 400, "invalid_request_error", "provider_invalid").await;

    // Bad input is a clear 4xx and changes nothing.
    for (body, code) in [
        (json!({"type": "paypal"}), "provider_type_invalid"),
        (json!({"type": "stripe", "credentials": {"secretKey": "pk_test_x"}}), "credentials_invalid"),
        (json!({"type": "gocardless", "credentials": {"accessToken": "nope"}}), "credentials_invalid"),
        (json!({"type": "sandbox", "credentials": {"secretKey": "sk_test_x"}}), "credentials_invalid"),
        (
            json!({"type": "stripe", "credentials": {"secretKey": "sk_test_x"}, "webhookSecret": "abc"}),
            "webhook_secret_invalid",
        ),
        (
            json!({"type": "stripe", "credentials": {"secretKey": "sk_test_x"}, "apiBase": "ftp://x"}),
            "api_base_invalid",
        ),
        // Not into the gateway's own network unless the operator allows it.
        (
            json!({"type": "stripe", "credentials": {"secretKey": "sk_test_x"}, "apiBase": "https://127.0.0.1:9"}),
            "url_not_allowed",
        ),
        (
            json!({"type": "stripe", "credentials": {"secretKey": "sk_test_x"}, "apiBase": "http://api.stripe.com"}),
            "url_not_allowed",
        ),
    ] {
        let response = app.admin_post(&org.api_key, "/api/v1/providers", &body).await;
        assert_error(response, 400, "invalid_request_error", code).await;
    }
    let response = app
        .admin_post(&org.api_key, "/api/v1/providers", &json!({"type": "stripe", "credentials": {"token": 1}}))
        .await;
    assert_eq!(response.status(), 400);
    let listed: Value = app.admin_get(&org.api_key, "/api/v1/providers").await.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    // PATCH replaces the secret; DELETE is refused while a site uses it.
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/providers/{id}"), &json!({"webhookSecret": "whsec_new0000"})).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["webhookSecretHint"], "…0000");
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/sites/{}", org.site_id), &json!({"providerId": id})).await;
    assert_eq!(response.status(), 200);
    let response = delete(&app, &org.api_key, &format!("/api/v1/providers/{id}")).await;
    assert_error(response, 409, "invalid_request_error", "provider_in_use").await;
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/sites/{}", org.site_id), &json!({"providerId": ""})).await;
    assert_eq!(response.status(), 200);
    let response = delete(&app, &org.api_key, &format!("/api/v1/providers/{id}")).await;
    assert_eq!(response.status(), 200);
    let response = app.admin_get(&org.api_key, &format!("/api/v1/providers/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_webhooks_settle_refund_and_dispute_through_the_hooks_route() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let (provider, secret) = sandbox_site(&app, &org).await;
    let provider_id = provider["id"].as_str().unwrap().to_owned();

    // A delayed charge stays processing until the provider's webhook.
    let merchant = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"amount": 1000, "ipnUrl": merchant.url})).await;
    let checkout_id = checkout["id"].as_str().unwrap();
    let paid = app.pay(checkout_id, &json!({"paymentMethod": "tok_delayedSettlement"})).await;
    assert_eq!(paid.status(), 202);
    let paid: Value = paid.json().await.unwrap();
    let txn_id = paid["transactionId"].as_str().unwrap().to_owned();
    let waiting = eventually(20, "the provider's reference", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        txn["providerReference"].is_string().then_some(txn)
    })
    .await;
    assert_eq!(waiting["status"], "processing");
    assert_eq!(waiting["providerId"], provider["id"]);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(transaction(&app, &org.api_key, &txn_id).await["status"], "processing", "only the webhook settles it");

    let emit = |body: Value| {
        let app = &app;
        let path = format!("/api/v1/providers/{provider_id}/sandbox-events");
        let key = org.api_key.clone();
        async move {
            let response = app.admin_post(&key, &path, &body).await;
            assert_eq!(response.status(), 200);
            let event: Value = response.json().await.unwrap();
            assert_eq!(event["deliveryStatus"], 200, "{event}");
            event
        }
    };
    emit(json!({"type": "charge.succeeded", "transactionId": txn_id})).await;
    let settled = eventually(20, "settlement by webhook", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["status"] == "succeeded" && txn["invoiceId"].is_string()).then_some(txn)
    })
    .await;
    assert_eq!(settled["amountCaptured"], 1000);

    // A refund made in the provider's dashboard shows up as a refund with
    // its credit note; a second one can take only the rest.
    emit(json!({"type": "refund.succeeded", "transactionId": txn_id, "amount": 300})).await;
    let refunded = eventually(20, "the dashboard refund", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["amountRefunded"] == 300).then_some(txn)
    })
    .await;
    let refund = &refunded["refunds"][0];
    assert_eq!(refund["origin"], "provider");
    assert_eq!(refund["status"], "succeeded");
    eventually(20, "the credit note", || async {
        let notes: Value = app.admin_get(&org.api_key, "/api/v1/credit-notes").await.json().await.ok()?;
        notes["data"].as_array()?.iter().any(|n| n["transactionId"] == txn_id.as_str()).then_some(())
    })
    .await;
    let refunded_ipn =
        eventually(20, "the refund's IPN", || async { merchant.of_type("transaction.refunded").pop() }).await;
    assert_eq!(refunded_ipn.json()["data"]["transaction"]["amountRefunded"], 300);
    let response =
        app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/refunds"), &json!({"amount": 800})).await;
    assert_error(response, 400, "invalid_request_error", "refund_exceeds_captured").await;

    emit(json!({"type": "dispute.created", "transactionId": txn_id, "reason": "fraudulent"})).await;
    let disputed = eventually(20, "the dispute", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["disputes"].as_array()?.len() == 1).then_some(txn)
    })
    .await;
    assert_eq!(disputed["disputes"][0]["reason"], "fraudulent");
    assert_eq!(disputed["disputes"][0]["amount"], 1000);
    let disputed_ipn =
        eventually(20, "the dispute's IPN", || async { merchant.of_type("transaction.disputed").pop() }).await;
    assert_eq!(disputed_ipn.json()["data"]["transaction"]["disputes"][0]["reason"], "fraudulent");

    // Replays and forgeries against the route itself.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let reference = settled["providerReference"].as_str().unwrap();
    let body = serde_json::to_vec(&json!({"id": "sbxevt_replayed", "type": "charge.succeeded", "created": now,
        "data": {"charge": reference, "transactionId": txn_id, "amount": 1000}}))
    .unwrap();
    let post = |path: String, headers: Vec<(String, String)>, body: Vec<u8>, content_type: &'static str| {
        let client = app.client.clone();
        async move {
            let mut request = client.post(path).header("content-type", content_type).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send().await.unwrap()
        }
    };
    let hook = format!("{}/hooks/sandbox/{provider_id}", app.main);
    let headers = paygate_core::providers::sandbox::signed_event(&secret, "sbxevt_replayed", now, &body);
    for expected_new in [1, 0, 0] {
        let response = post(hook.clone(), headers.clone(), body.clone(), "application/json").await;
        assert_eq!(response.status(), 200);
        let receipt: Value = response.json().await.unwrap();
        assert_eq!(receipt["newEvents"], expected_new, "applied once");
    }
    let mut forged = headers.clone();
    forged[2].1 = paygate_core::providers::sandbox::signed_event(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sbxevt_replayed",
        now,
        &body,
    )[2]
    .1
    .clone();
    let response = post(hook.clone(), forged, body.clone(), "application/json").await;
    assert_error(response, 400, "invalid_request_error", "webhook_signature_invalid").await;
    let response =
        post(format!("{}/hooks/stripe/{provider_id}", app.main), headers.clone(), body.clone(), "application/json")
            .await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response =
        post(format!("{}/hooks/sandbox/prov_unknown", app.main), headers.clone(), body.clone(), "application/json")
            .await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = post(hook.clone(), headers.clone(), body.clone(), "text/plain").await;
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    let response = post(hook.clone(), headers.clone(), vec![b'x'; 2 * 1024 * 1024], "application/json").await;
    assert_eq!(response.status(), 413);
    // A late `charge.failed` never moves the succeeded transaction back.
    let late = serde_json::to_vec(&json!({"id": "sbxevt_late", "type": "charge.failed", "created": now,
        "data": {"charge": reference, "transactionId": txn_id}}))
    .unwrap();
    let headers = paygate_core::providers::sandbox::signed_event(&secret, "sbxevt_late", now, &late);
    assert_eq!(post(hook.clone(), headers, late, "application/json").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = transaction(&app, &org.api_key, &txn_id).await;
    assert_eq!(after["status"], "succeeded");
    assert_eq!(after["amountRefunded"], 300);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gocardless_direct_debits_settle_and_refund_by_webhook_and_survive_provider_errors() {
    use paygate_standins::gocardless::{self as gc, GoCardlessStandIn};
    let app = spawn_with_standins().await;
    let org = app.bootstrap().await;
    let standin = GoCardlessStandIn::start().await;
    let secret = "gc-endpoint-secret-0123";
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/providers",
            &json!({"type": "gocardless", "credentials": {"accessToken": gc::ACCESS_TOKEN},
                    "webhookSecret": secret, "apiBase": standin.base_url()}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let provider: Value = response.json().await.unwrap();
    let webhook_url = provider["webhookUrl"].as_str().unwrap().to_owned();
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/sites/{}", org.site_id), &json!({"providerId": provider["id"]}))
            .await;
    assert_eq!(response.status(), 200);

    // Direct Debit has no manual capture.
    let manual = app.checkout_with(&org, json!({"captureMethod": "manual"})).await;
    let response = app.pay(manual["id"].as_str().unwrap(), &json!({"paymentMethod": gc::MANDATE_OK})).await;
    assert_error(response, 400, "invalid_request_error", "capture_method_unsupported").await;

    // Two 500s, then the payment: one payment at GoCardless.
    standin.fail_next(2, 500);
    let checkout = app.checkout_with(&org, json!({"amount": 2500})).await;
    let paid = app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": gc::MANDATE_OK})).await;
    assert_eq!(paid.status(), 202);
    let txn_id = paid.json::<Value>().await.unwrap()["transactionId"].as_str().unwrap().to_owned();
    eventually(30, "the payment at GoCardless", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        txn["providerReference"].is_string().then_some(())
    })
    .await;
    assert_eq!(standin.successful_payments(&txn_id), 1);
    assert_eq!(transaction(&app, &org.api_key, &txn_id).await["status"], "processing");

    // Settlement arrives as a webhook; the events come newest first here,
    // and a forged delivery is refused with GoCardless's 498.
    standin.settle_all();
    let mut events = standin.take_events();
    events.reverse();
    let (body, _) = gc::signed_events(secret, &events);
    let forged = gc::send_signed(&app.client, &webhook_url, body.clone(), &gc::webhook_signature("wrong", &body)).await;
    assert_eq!(forged.unwrap(), 498);
    assert_eq!(standin.send_events(&webhook_url, secret, &events).await.unwrap(), 200);
    let settled = eventually(30, "confirmation by webhook", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["status"] == "succeeded").then_some(txn)
    })
    .await;
    assert_eq!(settled["amountCaptured"], 2500);
    // The same delivery again changes nothing.
    assert_eq!(standin.send_events(&webhook_url, secret, &events).await.unwrap(), 200);

    // A refund GoCardless pays later: pending, then succeeded by webhook;
    // the merchant's retries with the same key make one refund.
    let refund_path = format!("/api/v1/transactions/{txn_id}/refunds");
    for _ in 0..3 {
        let response = app.admin_post_keyed(&org.api_key, &refund_path, "refund-1", &json!({"amount": 1000})).await;
        assert!(matches!(response.status().as_u16(), 201 | 202), "{}", response.status());
    }
    assert_eq!(standin.refunds().len(), 1, "one refund at GoCardless");
    let pending = transaction(&app, &org.api_key, &txn_id).await;
    assert_eq!(pending["refunds"][0]["status"], "pending");
    standin.settle_refunds();
    let events = standin.take_events();
    assert_eq!(standin.send_events(&webhook_url, secret, &events).await.unwrap(), 200);
    let refunded = eventually(30, "the refund paid", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["amountRefunded"] == 1000).then_some(txn)
    })
    .await;
    assert_eq!(refunded["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(refunded["refunds"][0]["status"], "succeeded");
    assert_eq!(refunded["refunds"][0]["origin"], "gateway");
    app.stop().await;
}

/// A Stripe provider record against the local Stripe stand-in, on the
/// bootstrap site; returns the stand-in, the record and its signing secret.
async fn stripe_site(
    app: &TestApp,
    org: &paygate::Bootstrap,
) -> (paygate_standins::stripe::StripeStandIn, Value, String) {
    let standin = paygate_standins::stripe::StripeStandIn::start().await;
    let secret = "whsec_paygate_e2e_endpoint_secret".to_owned();
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/providers",
            &json!({"type": "stripe", "name": "Stripe",
                    "credentials": {"secretKey": standin.secret_key(), "publishableKey": "pk_test_e2e"},
                    "webhookSecret": secret, "apiBase": standin.base_url()}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let provider: Value = response.json().await.unwrap();
    let response =
        patch(app, &org.api_key, &format!("/api/v1/sites/{}", org.site_id), &json!({"providerId": provider["id"]}))
            .await;
    assert_eq!(response.status(), 200);
    (standin, provider, secret)
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_three_d_secure_is_settled_by_the_signed_webhook_and_announced_by_ipn() {
    let app = spawn_with_standins().await;
    let org = app.bootstrap().await;
    let (standin, provider, secret) = stripe_site(&app, &org).await;
    let webhook_url = provider["webhookUrl"].as_str().unwrap().to_owned();
    let merchant = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"amount": 2000, "ipnUrl": merchant.url})).await;
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();

    let paid = app.pay(&checkout_id, &json!({"paymentMethod": "pm_card_threeDSecure2Required"})).await;
    assert_eq!(paid.status(), 202);
    let txn_id = paid.json::<Value>().await.unwrap()["transactionId"].as_str().unwrap().to_owned();
    // The page learns what the payer must do; the payment waits for it.
    let status = eventually(20, "the 3-D Secure step", || async {
        let status: Value = app.main_get(&format!("/api/v1/checkouts/{checkout_id}/status")).await.json().await.ok()?;
        status["transaction"]["nextAction"].is_object().then_some(status)
    })
    .await;
    assert_eq!(status["transaction"]["status"], "processing");
    let next = &status["transaction"]["nextAction"];
    assert_eq!(next["type"], "redirect_to_url");
    let return_url = next["redirect_to_url"]["return_url"].as_str().unwrap_or_default();
    assert!(return_url.ends_with(&format!("/checkout/{checkout_id}")), "{next}");
    let intents = standin.payment_intents_for(&txn_id);
    assert_eq!(intents.len(), 1);
    let intent_id = intents[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(intents[0]["metadata"]["paygate_transaction_id"], txn_id.as_str());

    // The payer authenticates; Stripe's webhook, freshly signed, settles it.
    assert!(standin.authenticate(&intent_id, true));
    let intent = standin.payment_intent(&intent_id).unwrap();
    assert_eq!(intent["status"], "succeeded");
    let forged =
        paygate_standins::stripe::SignedEvent::new("whsec_not_the_secret", "payment_intent.succeeded", intent.clone());
    assert_eq!(standin.deliver(&webhook_url, &forged).await, 400);
    let stale =
        paygate_standins::stripe::SignedEvent::at(&secret, "payment_intent.succeeded", intent.clone(), 1_533_204_620);
    assert_eq!(standin.deliver(&webhook_url, &stale).await, 400);
    assert_eq!(
        transaction(&app, &org.api_key, &txn_id).await["status"],
        "processing",
        "refused webhooks change nothing"
    );
    // An event type Paygate does not act on is acknowledged and ignored.
    let customer = json!({"id": "cus_e2e", "object": "customer"});
    assert_eq!(standin.send_event(&webhook_url, &secret, "customer.created", customer).await, 200);
    assert_eq!(standin.send_event(&webhook_url, &secret, "payment_intent.succeeded", intent).await, 200);
    let settled = eventually(20, "settlement by webhook", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["status"] == "succeeded").then_some(txn)
    })
    .await;
    assert_eq!(settled["providerReference"], intent_id.as_str());
    assert_eq!(settled["nextAction"], Value::Null);
    let ipn = eventually(20, "the merchant's IPN", || async { merchant.of_type("transaction.succeeded").pop() }).await;
    assert_eq!(ipn.json()["data"]["transaction"]["id"], txn_id.as_str());
    assert_eq!(standin.successful_charges(&txn_id), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_answering_500_twice_still_makes_one_charge_and_one_refund_whatever_the_merchant_retries() {
    let app = spawn_with_standins().await;
    let org = app.bootstrap().await;
    let (standin, _, _) = stripe_site(&app, &org).await;

    standin.fail_next(2, 500);
    let checkout = app.checkout_with(&org, json!({"amount": 4200})).await;
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();
    let paid = app.pay(&checkout_id, &json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(paid.status(), 202);
    // The payer double-clicks: the second pay is refused, not charged.
    let again = app.pay(&checkout_id, &json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(again.status(), 409);
    let txn_id = paid.json::<Value>().await.unwrap()["transactionId"].as_str().unwrap().to_owned();
    let status = app.settled_status(&checkout_id).await;
    assert_eq!(status["transaction"]["status"], "succeeded");
    assert_eq!(standin.successful_charges(&txn_id), 1);
    assert_eq!(standin.payment_intents_for(&txn_id).len(), 1);

    // Refund while Stripe fails twice: the merchant sees pending and
    // retries with its key; the re-drive finishes the one refund.
    standin.fail_next(2, 500);
    let path = format!("/api/v1/transactions/{txn_id}/refunds");
    let first = app.admin_post_keyed(&org.api_key, &path, "refund-once", &json!({"amount": 1500})).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "pending");
    for _ in 0..3 {
        let retry = app.admin_post_keyed(&org.api_key, &path, "refund-once", &json!({"amount": 1500})).await;
        assert!(matches!(retry.status().as_u16(), 201 | 202), "{}", retry.status());
        assert_eq!(retry.json::<Value>().await.unwrap()["id"], first["id"]);
    }
    let refunded = eventually(30, "the refund finished by the re-drive", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["amountRefunded"] == 1500).then_some(txn)
    })
    .await;
    assert_eq!(refunded["refunds"].as_array().unwrap().len(), 1);
    let intent_id = refunded["providerReference"].as_str().unwrap();
    assert_eq!(standin.refunds_for(intent_id).len(), 1, "one refund at Stripe");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_charges_only_through_a_live_provider() {
    let app = spawn_with_standins().await;
    let org = app.bootstrap().await;
    let live_key = live_key(&app, &org).await;
    let site: Value =
        app.admin_post(&live_key, "/api/v1/sites", &json!({"name": "Live shop"})).await.json().await.unwrap();
    let site_id = site["id"].as_str().unwrap().to_owned();
    assert_eq!(site["livemode"], true);
    let body = json!({"amount": 5000, "currency": "EUR"});
    let response = app.create_checkout(&live_key, &site_id, &body).await;
    assert_error(response, 400, "invalid_request_error", "provider_required").await;

    let standin = paygate_standins::stripe::StripeStandIn::start_with_key("sk_live_paygate_e2e_live_key").await;
    let response = app
        .admin_post(
            &live_key,
            "/api/v1/providers",
            &json!({"type": "stripe", "credentials": {"secretKey": standin.secret_key()}, "apiBase": standin.base_url()}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let provider: Value = response.json().await.unwrap();
    assert_eq!(provider["livemode"], true);
    // The test key sees neither the live provider nor the live site.
    let response =
        app.admin_get(&org.api_key, &format!("/api/v1/providers/{}", provider["id"].as_str().unwrap())).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response =
        patch(&app, &org.api_key, &format!("/api/v1/sites/{site_id}"), &json!({"providerId": provider["id"]})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;

    let response =
        patch(&app, &live_key, &format!("/api/v1/sites/{site_id}"), &json!({"providerId": provider["id"]})).await;
    assert_eq!(response.status(), 200);
    let response = app.create_checkout(&live_key, &site_id, &body).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    assert_eq!(checkout["livemode"], true);
    let checkout_id = checkout["id"].as_str().unwrap();
    // Sandbox tokens mean nothing to a live Stripe account.
    let response = app.pay(checkout_id, &json!({"paymentMethod": "tok_visa"})).await;
    assert_error(response, 400, "invalid_request_error", "payment_method_invalid").await;
    let response = app.pay(checkout_id, &json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(response.status(), 202);
    let status = app.settled_status(checkout_id).await;
    assert_eq!(status["transaction"]["status"], "succeeded");
    let txn_id = status["transaction"]["id"].as_str().unwrap();
    assert_eq!(standin.successful_charges(txn_id), 1);
    let txn: Value = app.admin_get(&live_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
    assert_eq!(txn["livemode"], true);
    assert_eq!(txn["provider"], "stripe");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payer_who_leaves_three_d_secure_unfinished_can_pay_another_way_and_is_charged_once() {
    let app = spawn_with_standins().await;
    let org = app.bootstrap().await;
    let (standin, _, _) = stripe_site(&app, &org).await;
    let checkout = app.checkout_with(&org, json!({"amount": 3000})).await;
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();
    let first = app.pay(&checkout_id, &json!({"paymentMethod": "pm_card_threeDSecure2Required"})).await;
    let first_txn = first.json::<Value>().await.unwrap()["transactionId"].as_str().unwrap().to_owned();
    eventually(20, "the 3-D Secure step", || async {
        let status: Value = app.main_get(&format!("/api/v1/checkouts/{checkout_id}/status")).await.json().await.ok()?;
        status["transaction"]["nextAction"].is_object().then_some(())
    })
    .await;
    // An invalid method does not touch the unfinished attempt.
    let response = app.pay(&checkout_id, &json!({"paymentMethod": "tok_visa"})).await;
    assert_error(response, 409, "invalid_request_error", "checkout_processing").await;
    assert_eq!(standin.payment_intents_for(&first_txn)[0]["status"], "requires_action");

    let second = app.pay(&checkout_id, &json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(second.status(), 202);
    let status = app.settled_status(&checkout_id).await;
    assert_eq!(status["transaction"]["status"], "succeeded");
    let abandoned = transaction(&app, &org.api_key, &first_txn).await;
    assert_eq!(abandoned["status"], "failed");
    assert_eq!(abandoned["failureCode"], "authentication_abandoned");
    let first_intent = standin.payment_intents_for(&first_txn).pop().unwrap();
    assert_eq!(first_intent["status"], "canceled");
    // The canceled attempt can no longer be completed.
    assert!(!standin.authenticate(first_intent["id"].as_str().unwrap(), true));
    let second_txn = status["transaction"]["id"].as_str().unwrap();
    assert_eq!(standin.successful_charges(second_txn) + standin.successful_charges(&first_txn), 1);
    app.stop().await;
}
