use paygate_core::providers::faults::{FaultPlan, Operation};
use serde_json::{Value, json};

use crate::helpers::*;

async fn successful_charges(app: &TestApp, checkout_id: &str) -> usize {
    let core = app.operator_core().await;
    paygate_core::providers::sandbox::SandboxProvider::successful_charges_for(core.store.as_ref(), checkout_id)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sandbox_token_ends_as_documented() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let cases = [
        (json!({"paymentMethod": "tok_visa"}), "succeeded", None, "completed"),
        (json!({"paymentMethod": "tok_mastercard"}), "succeeded", None, "completed"),
        (json!({"paymentMethod": "tok_chargeDeclined"}), "failed", Some("card_declined"), "open"),
        (json!({"paymentMethod": "tok_chargeDeclinedInsufficientFunds"}), "failed", Some("insufficient_funds"), "open"),
        (json!({"paymentMethod": "tok_chargeDeclinedExpiredCard"}), "failed", Some("expired_card"), "open"),
        (json!({"paymentMethod": "tok_processingError"}), "failed", Some("processing_error"), "open"),
        (json!({"paymentMethod": "upi", "vpa": "success@upi"}), "succeeded", None, "completed"),
        (json!({"paymentMethod": "upi", "vpa": "failure@upi"}), "failed", Some("upi_declined"), "open"),
    ];
    for (method, expected, failure_code, checkout_status) in cases {
        let checkout = app.checkout_with(&org, json!({})).await;
        let id = checkout["id"].as_str().unwrap();
        let response = app.pay(id, &method).await;
        assert_eq!(response.status(), 202, "{method}");
        let accepted: Value = response.json().await.unwrap();
        assert_eq!(accepted["status"], "processing");
        let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
        assert!(txn_id.starts_with("txn_"));

        let status = app.settled_status(id).await;
        assert_eq!(status["transaction"]["status"], expected, "{method}");
        assert_eq!(status["transaction"]["failureCode"], failure_code.map_or(Value::Null, Value::from));
        assert_eq!(status["status"], checkout_status, "{method}");

        let txn: Value =
            app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
        assert_eq!(txn["status"], expected);
        assert_eq!(txn["amount"], 10000);
        assert_eq!(txn["currency"], "EUR");
        assert_eq!(txn["provider"], "sandbox");
        assert_eq!(txn["checkoutId"], id);
        assert!(txn["providerReference"].as_str().is_some());
        assert_eq!(txn["amountCaptured"], if expected == "succeeded" { 10000 } else { 0 });
        assert_eq!(successful_charges(&app, id).await, usize::from(expected == "succeeded"));
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pay_rules_and_bad_input() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();

    for (body, status, code) in [
        (json!({}), 400, "parameter_missing"),
        (json!({"paymentMethod": "4242424242424242"}), 400, "payment_method_invalid"),
        (json!({"paymentMethod": "tok_unknown"}), 400, "payment_method_invalid"),
        (json!({"paymentMethod": "upi"}), 400, "vpa_invalid"),
        (json!({"paymentMethod": 5}), 400, "parameter_invalid"),
        (json!({"paymentMethod": "tok_visa", "card": "4242"}), 400, "parameter_unknown"),
    ] {
        assert_error(app.pay(id, &body).await, status, "invalid_request_error", code).await;
    }
    let response =
        app.client.post(format!("{}/api/v1/checkouts/{id}/pay", app.main)).body("tok_visa").send().await.unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;
    assert_error(
        app.pay("chk_0000000000000000000000", &json!({"paymentMethod": "tok_visa"})).await,
        404,
        "invalid_request_error",
        "resource_missing",
    )
    .await;
    let untouched: Value = app.main_get(&format!("/api/v1/checkouts/{id}/status")).await.json().await.unwrap();
    assert_eq!(untouched["status"], "open");
    assert!(untouched["transaction"].is_null(), "bad input created nothing");

    // A failed attempt re-opens the checkout; the payer retries and pays.
    assert_eq!(app.pay(id, &json!({"paymentMethod": "tok_chargeDeclined"})).await.status(), 202);
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "failed");
    assert_eq!(app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "succeeded");
    let response = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await;
    assert_error(response, 409, "invalid_request_error", "checkout_completed").await;
    assert_eq!(successful_charges(&app, id).await, 1);
    let list: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/transactions?siteId={}", org.site_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "the failed attempt and the successful one");
    let failed: Value = app.admin_get(&org.api_key, "/api/v1/transactions?status=failed").await.json().await.unwrap();
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    let response = app.admin_get(&org.api_key, "/api/v1/transactions?status=weird").await;
    assert_error(response, 400, "invalid_request_error", "status_invalid").await;

    // Another organization sees none of it.
    let other = app.bootstrap().await;
    let txn_id = list["data"][0]["id"].as_str().unwrap();
    let response = app.admin_get(&other.api_key, &format!("/api/v1/transactions/{txn_id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let theirs: Value = app.admin_get(&other.api_key, "/api/v1/transactions").await.json().await.unwrap();
    assert_eq!(theirs["data"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_pays_charge_once() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    for _ in 0..3 {
        let checkout = app.checkout_with(&org, json!({})).await;
        let id = checkout["id"].as_str().unwrap();
        let body = json!({"paymentMethod": "tok_visa"});
        let responses = futures::future::join_all((0..12).map(|_| app.pay(id, &body))).await;
        let mut accepted = 0;
        for response in responses {
            match response.status().as_u16() {
                202 => accepted += 1,
                409 => {
                    let error: Value = response.json().await.unwrap();
                    assert!(
                        ["checkout_processing", "checkout_completed"]
                            .contains(&error["error"]["code"].as_str().unwrap()),
                        "{error}"
                    );
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(accepted, 1, "exactly one pay wins");
        assert_eq!(app.settled_status(id).await["transaction"]["status"], "succeeded");
        assert_eq!(successful_charges(&app, id).await, 1);
        let txns: Value =
            app.admin_get(&org.api_key, "/api/v1/transactions?status=succeeded&limit=100").await.json().await.unwrap();
        let for_checkout = txns["data"].as_array().unwrap().iter().filter(|t| t["checkoutId"] == id).count();
        assert_eq!(for_checkout, 1);
    }

    // A job delivered twice (and a worker run twice) still charges once.
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap();
    let core = app.operator_core().await;
    let replays = futures::future::join_all((0..8).map(|_| core.process_payment(txn_id))).await;
    assert!(replays.iter().all(Result::is_ok));
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "succeeded");
    assert_eq!(successful_charges(&app, id).await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_capture_and_cancel() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;

    let checkout = app.checkout_with(&org, json!({"captureMethod": "manual", "ipnUrl": receiver.url})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
    let status = app.settled_status(id).await;
    assert_eq!(status["transaction"]["status"], "requires_capture");
    assert_eq!(status["status"], "completed");

    // Refunding an uncaptured authorization is refused.
    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/refunds"), &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "transaction_not_refundable").await;

    // A key without transactions:write cannot capture.
    let reader: Value = app
        .admin_post(&org.api_key, "/api/v1/api-keys", &json!({"name": "r", "scopes": ["transactions:read"]}))
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .admin_post(reader["secret"].as_str().unwrap(), &format!("/api/v1/transactions/{txn_id}/capture"), &json!({}))
        .await;
    assert_error(response, 403, "permission_error", "scope_missing").await;

    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/capture"), &json!({})).await;
    assert_eq!(response.status(), 200);
    let captured: Value = response.json().await.unwrap();
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amountCaptured"], 10000);
    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/capture"), &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "transaction_state_invalid").await;
    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/cancel"), &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "transaction_state_invalid").await;

    let kinds = eventually(10, "two IPNs", || async {
        let kinds: Vec<String> = receiver.all().iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        (kinds.len() >= 2).then_some(kinds)
    })
    .await;
    assert!(
        kinds.contains(&"transaction.requires_capture".to_owned())
            && kinds.contains(&"transaction.succeeded".to_owned()),
        "{kinds:?}"
    );

    // Cancel path, with capture and cancel racing: exactly one wins.
    let checkout = app.checkout_with(&org, json!({"captureMethod": "manual", "ipnUrl": receiver.url})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "requires_capture");
    let capture_path = format!("/api/v1/transactions/{txn_id}/capture");
    let cancel_path = format!("/api/v1/transactions/{txn_id}/cancel");
    let empty = json!({});
    let (capture, cancel) = tokio::join!(
        app.admin_post(&org.api_key, &capture_path, &empty),
        app.admin_post(&org.api_key, &cancel_path, &empty)
    );
    let statuses = [capture.status().as_u16(), cancel.status().as_u16()];
    assert!(statuses.contains(&200) && statuses.contains(&409), "{statuses:?}");
    let txn: Value = app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
    let expected_checkout = if statuses[0] == 200 { ("succeeded", "completed") } else { ("canceled", "canceled") };
    assert_eq!(txn["status"], expected_checkout.0);
    let status: Value = app.main_get(&format!("/api/v1/checkouts/{id}/status")).await.json().await.unwrap();
    assert_eq!(status["status"], expected_checkout.1);

    // Capture of an automatic payment is a state error.
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    app.settled_status(id).await;
    let response = app
        .admin_post(
            &org.api_key,
            &format!("/api/v1/transactions/{}/capture", accepted["transactionId"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_error(response, 409, "invalid_request_error", "transaction_state_invalid").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refunds_partial_full_and_never_beyond_captured() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap().to_owned();
    app.settled_status(id).await;
    let refunds = format!("/api/v1/transactions/{txn_id}/refunds");

    let response = app.admin_post(&org.api_key, &refunds, &json!({"amount": 2500, "reason": "damaged"})).await;
    assert_eq!(response.status(), 201);
    let refund: Value = response.json().await.unwrap();
    assert_eq!(refund["status"], "succeeded");
    assert_eq!(refund["amount"], 2500);
    assert!(refund["id"].as_str().unwrap().starts_with("re_"));

    for (body, status, code) in [
        (json!({"amount": 7501}), 400, "refund_exceeds_captured"),
        (json!({"amount": 0}), 400, "amount_invalid"),
        (json!({"amount": -1}), 400, "amount_invalid"),
        (json!({"amount": "10"}), 400, "parameter_invalid"),
        // null is not "the rest": leaving the field out is.
        (json!({"amount": null}), 400, "amount_invalid"),
        (json!({"amount": null, "reason": "x"}), 400, "amount_invalid"),
    ] {
        assert_error(app.admin_post(&org.api_key, &refunds, &body).await, status, "invalid_request_error", code).await;
    }
    let txn: Value = app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
    assert_eq!(txn["amountRefunded"], 2500, "refused requests refund nothing");

    // Idempotent retries of one refund.
    let send = |key: &'static str, amount: i64| {
        app.client
            .post(format!("{}{refunds}", app.admin))
            .bearer_auth(&org.api_key)
            .header("idempotency-key", key)
            .json(&json!({"amount": amount}))
            .send()
    };
    let first = send("refund-1", 1000).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("refund-1", 1000).await.unwrap();
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_error(send("refund-1", 999).await.unwrap(), 422, "idempotency_error", "idempotency_key_reused").await;

    // 6,500 left; ten concurrent refunds of 1,000: six fit, four do not.
    let body = json!({"amount": 1000});
    let results = futures::future::join_all((0..10).map(|_| app.admin_post(&org.api_key, &refunds, &body))).await;
    let created = results.iter().filter(|r| r.status() == 201).count();
    assert_eq!(created, 6, "{:?}", results.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert!(results.iter().all(|r| r.status() == 201 || r.status() == 400));

    // The rest (no amount) — then nothing is left.
    let rest: Value = app.admin_post(&org.api_key, &refunds, &json!({})).await.json().await.unwrap();
    assert_eq!(rest["amount"], 500);
    let response = app.admin_post(&org.api_key, &refunds, &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "transaction_fully_refunded").await;

    let txn: Value = app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
    assert_eq!(txn["amountRefunded"], 10000);
    assert_eq!(txn["refunds"].as_array().unwrap().len(), 9);
    let refunded = eventually(10, "refund IPNs", || async {
        let n = receiver.of_type("transaction.refunded").len();
        (n == 9).then_some(n)
    })
    .await;
    assert_eq!(refunded, 9, "one IPN per refund");

    // A failed transaction cannot be refunded.
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_chargeDeclined"})).await.json().await.unwrap();
    app.settled_status(id).await;
    let response = app
        .admin_post(
            &org.api_key,
            &format!("/api/v1/transactions/{}/refunds", accepted["transactionId"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_error(response, 409, "invalid_request_error", "transaction_not_refundable").await;
    let response =
        app.admin_post(&org.api_key, "/api/v1/transactions/txn_0000000000000000000000/refunds", &json!({})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

async fn transaction(app: &TestApp, key: &str, id: &str) -> Value {
    app.admin_get(key, &format!("/api/v1/transactions/{id}")).await.json().await.unwrap()
}

/// Pays a checkout with `tok_visa` and waits for the outcome; returns the
/// transaction id.
async fn paid(app: &TestApp, org: &paygate::Bootstrap, extra: Value) -> String {
    let checkout = app.checkout_with(org, extra).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    app.settled_status(id).await;
    accepted["transactionId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_during_a_provider_outage_is_pending_and_paid_once() {
    let plan = FaultPlan::new();
    let app = spawn_app_with_faults(plan.clone()).await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let txn_id = paid(&app, &org, json!({"ipnUrl": receiver.url})).await;
    let refunds = format!("/api/v1/transactions/{txn_id}/refunds");

    plan.fail_transiently(Operation::Refund, 1);
    let body = json!({"amount": 4000, "reason": "damaged"});
    let first = app.admin_post_keyed(&org.api_key, &refunds, "refund-outage", &body).await;
    assert_eq!(first.status(), 202, "accepted, not failed: the refund exists");
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "pending");
    let refund_id = first["id"].as_str().unwrap().to_owned();

    // The merchant retries at once: the same refund.
    let again = app.admin_post_keyed(&org.api_key, &refunds, "refund-outage", &body).await;
    assert!(again.status() == 202 || again.status() == 201, "{}", again.status());
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], refund_id.as_str());

    // The background re-drive finishes it.
    let txn = eventually(20, "the refund to succeed", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["refunds"][0]["status"] == "succeeded").then_some(txn)
    })
    .await;
    assert_eq!(txn["refunds"].as_array().unwrap().len(), 1, "{txn}");
    assert_eq!(txn["refunds"][0]["id"], refund_id.as_str());
    assert_eq!(txn["amountRefunded"], 4000);

    let later = app.admin_post_keyed(&org.api_key, &refunds, "refund-outage", &body).await;
    assert_eq!(later.status(), 201);
    assert_eq!(later.headers().get("idempotent-replayed").unwrap(), "true");
    let later: Value = later.json().await.unwrap();
    assert_eq!((later["id"].as_str(), later["status"].as_str()), (Some(refund_id.as_str()), Some("succeeded")));

    eventually(10, "the refund IPN", || async { (!receiver.of_type("transaction.refunded").is_empty()).then_some(()) })
        .await;
    // Long enough for further sweeps to send a duplicate, if one were due.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(receiver.of_type("transaction.refunded").len(), 1);
    assert_eq!(plan.succeeded(Operation::Refund), 1, "one provider refund in total");
    assert_eq!(transaction(&app, &org.api_key, &txn_id).await["amountRefunded"], 4000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capture_or_cancel_during_a_provider_outage_is_pending_then_finished() {
    let plan = FaultPlan::new();
    let app = spawn_app_with_faults(plan.clone()).await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let manual = json!({"captureMethod": "manual", "ipnUrl": receiver.url});

    let txn_id = paid(&app, &org, manual.clone()).await;
    let capture = format!("/api/v1/transactions/{txn_id}/capture");
    plan.fail_transiently(Operation::Capture, 1);
    let first = app.admin_post_keyed(&org.api_key, &capture, "capture-outage", &json!({})).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(
        (first["status"].as_str(), first["pendingAction"].as_str()),
        (Some("requires_capture"), Some("capture"))
    );
    let again = app.admin_post_keyed(&org.api_key, &capture, "capture-outage", &json!({})).await;
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], txn_id.as_str());
    let txn = eventually(20, "the capture to finish", || async {
        let txn = transaction(&app, &org.api_key, &txn_id).await;
        (txn["status"] == "succeeded").then_some(txn)
    })
    .await;
    assert_eq!((txn["pendingAction"].clone(), txn["amountCaptured"].clone()), (Value::Null, json!(10000)));
    assert_eq!(plan.succeeded(Operation::Capture), 1);

    let txn_id = paid(&app, &org, manual).await;
    let cancel = format!("/api/v1/transactions/{txn_id}/cancel");
    plan.fail_transiently(Operation::Cancel, 1);
    let first = app.admin_post_keyed(&org.api_key, &cancel, "cancel-outage", &json!({})).await;
    assert_eq!(first.status(), 202);
    assert_eq!(first.json::<Value>().await.unwrap()["pendingAction"], "cancel");
    eventually(20, "the cancel to finish", || async {
        (transaction(&app, &org.api_key, &txn_id).await["status"] == "canceled").then_some(())
    })
    .await;
    eventually(10, "the IPNs", || async {
        (receiver.of_type("transaction.succeeded").len() == 1 && receiver.of_type("transaction.canceled").len() == 1)
            .then_some(())
    })
    .await;
    assert_eq!(plan.succeeded(Operation::Cancel), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_capture_is_an_outcome_and_the_authorization_can_still_be_canceled() {
    let plan = FaultPlan::new();
    let app = spawn_app_with_faults(plan.clone()).await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let txn_id = paid(&app, &org, json!({"captureMethod": "manual", "ipnUrl": receiver.url})).await;
    let capture = format!("/api/v1/transactions/{txn_id}/capture");

    plan.refuse(Operation::Capture, 1);
    let response = app.admin_post(&org.api_key, &capture, &json!({})).await;
    assert_error(response, 402, "provider_error", "test_refusal").await;
    let txn = transaction(&app, &org.api_key, &txn_id).await;
    assert_eq!((txn["status"].as_str(), txn["pendingAction"].clone()), (Some("requires_capture"), Value::Null));
    assert_eq!(txn["lastActionFailure"]["action"], "capture");
    assert_eq!(txn["lastActionFailure"]["code"], "test_refusal");
    let ipn = eventually(10, "the capture_failed IPN", || async {
        receiver.of_type("transaction.capture_failed").first().cloned()
    })
    .await;
    assert_eq!(ipn.json()["data"]["transaction"]["lastActionFailure"]["code"], "test_refusal");
    assert_signed(&ipn, &org.webhook_secret);

    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/cancel"), &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "canceled");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_capture_releases_the_rest_and_caps_refunds_and_the_invoice() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let txn_id = paid(&app, &org, json!({"captureMethod": "manual"})).await;
    let capture = format!("/api/v1/transactions/{txn_id}/capture");
    for (body, code) in [
        (json!({"amount": 0}), "amount_invalid"),
        (json!({"amount": -5}), "amount_invalid"),
        (json!({"amount": null}), "amount_invalid"),
        (json!({"amount": 10001}), "amount_exceeds_authorized"),
        (json!({"amount": "60"}), "parameter_invalid"),
        (json!({"amont": 60}), "parameter_unknown"),
    ] {
        let response = app.admin_post(&org.api_key, &capture, &body).await;
        assert_error(response, 400, "invalid_request_error", code).await;
    }
    assert_eq!(transaction(&app, &org.api_key, &txn_id).await["status"], "requires_capture");

    let response = app.admin_post(&org.api_key, &capture, &json!({"amount": 6000})).await;
    assert_eq!(response.status(), 200);
    let captured: Value = response.json().await.unwrap();
    assert_eq!((captured["status"].as_str(), captured["amountCaptured"].as_i64()), (Some("succeeded"), Some(6000)));

    let refunds = format!("/api/v1/transactions/{txn_id}/refunds");
    let response = app.admin_post(&org.api_key, &refunds, &json!({"amount": 6001})).await;
    assert_error(response, 400, "invalid_request_error", "refund_exceeds_captured").await;
    let rest: Value = app.admin_post(&org.api_key, &refunds, &json!({})).await.json().await.unwrap();
    assert_eq!(rest["amount"], 6000);

    let invoices: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices?transactionId={txn_id}")).await.json().await.unwrap();
    assert_eq!(invoices["data"][0]["totals"]["gross"], 6000, "{invoices}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_closes_after_five_failed_attempts() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url})).await;
    let id = checkout["id"].as_str().unwrap();
    // Pays once the previous attempt has been booked on the checkout.
    let shared = &app;
    let pay = |method: &'static str| async move {
        eventually(10, "the checkout to take a payment", || async {
            let response = shared.pay(id, &json!({"paymentMethod": method})).await;
            (response.status() != 409).then_some(response)
        })
        .await
    };
    for attempt in 1..=5 {
        assert_eq!(pay("tok_chargeDeclined").await.status(), 202, "attempt {attempt}");
        assert_eq!(app.settled_status(id).await["transaction"]["status"], "failed");
    }
    let status: Value = app.main_get(&format!("/api/v1/checkouts/{id}/status")).await.json().await.unwrap();
    assert_eq!(status["status"], "canceled", "{status}");
    let response = pay("tok_visa").await;
    assert_error(response, 429, "rate_limit_error", "too_many_attempts").await;
    assert_eq!(successful_charges(&app, id).await, 0);
    let stored: Value = app.admin_get(&org.api_key, &format!("/api/v1/checkouts/{id}")).await.json().await.unwrap();
    assert_eq!(stored["status"], "canceled");

    eventually(10, "the IPNs", || async {
        (receiver.of_type("transaction.failed").len() == 5 && receiver.of_type("checkout.canceled").len() == 1)
            .then_some(())
    })
    .await;
    let closed = receiver.of_type("checkout.canceled")[0].json();
    assert_eq!(closed["data"]["checkout"]["id"], id);
    assert_eq!(closed["data"]["checkout"]["status"], "canceled");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_is_charged_on_the_background_threads() {
    let plan = FaultPlan::new();
    let app = spawn_app_with_faults(plan.clone()).await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    paid(&app, &org, json!({"ipnUrl": receiver.url})).await;
    eventually(10, "the payment IPN", || async { (!receiver.all().is_empty()).then_some(()) }).await;
    // Requests run on the process's runtime; the charge the pay request
    // started runs behind them, on core's background threads.
    let threads = plan.threads(Operation::Authorize);
    assert!(!threads.is_empty(), "the provider was called");
    assert!(threads.iter().all(|name| name == "paygate-background"), "{threads:?}");
    app.stop().await;
}
