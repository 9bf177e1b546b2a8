use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn ipn_is_signed_retried_with_the_same_event_id_and_logged() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    // Fails twice, then accepts.
    let receiver = IpnReceiver::start(Arc::new(|n| if n < 2 { (500, vec![]) } else { (200, vec![]) })).await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url, "metadata": {"orderId": "42"}})).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let received = eventually(20, "three attempts", || async {
        let all = receiver.all();
        (all.len() >= 3).then_some(all)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.all().len(), 3, "no attempt after the success");

    let first = received[0].json();
    for ipn in &received {
        assert_signed(ipn, &org.webhook_secret);
        assert_eq!(ipn.json()["id"], first["id"], "the event id is stable across retries");
        assert_eq!(ipn.body, received[0].body, "every retry sends the same bytes");
        assert_eq!(ipn.headers["content-type"], "application/json");
    }
    assert!(
        received[2].at - received[1].at >= Duration::from_millis(900),
        "the second retry waited (fast schedule: 1 s)"
    );
    assert_eq!(first["type"], "transaction.succeeded");
    assert!(first["id"].as_str().unwrap().starts_with("evt_"));
    assert!(first["createdAt"].is_string());
    let txn = &first["data"]["transaction"];
    assert_eq!(txn["id"], accepted["transactionId"]);
    assert_eq!(txn["status"], "succeeded");
    assert_eq!(first["data"]["checkout"]["id"], id);
    assert_eq!(first["data"]["checkout"]["metadata"]["orderId"], "42");

    // The IPN's transaction has exactly the Admin API's fields.
    let admin: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/transactions/{}", txn["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(txn), keys(&admin));

    // The delivery log: three attempts, status codes, latency, excerpt.
    let log: Value = eventually(5, "succeeded delivery", || async {
        let log: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/ipn-deliveries?siteId={}&status=succeeded", org.site_id))
            .await
            .json()
            .await
            .ok()?;
        (log["data"].as_array()?.len() == 1).then_some(log)
    })
    .await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["id"], first["id"]);
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.iter().map(|a| a["statusCode"].as_u64().unwrap()).collect::<Vec<_>>(), [500, 500, 200]);
    assert!(attempts.iter().all(|a| a["latencyMs"].is_u64() && a["at"].is_string()));
    assert_eq!(attempts[2]["responseExcerpt"], "received");
    let failed: Value = app.admin_get(&org.api_key, "/api/v1/ipn-deliveries?status=failed").await.json().await.unwrap();
    assert_eq!(failed["data"].as_array().unwrap().len(), 0);
    let response = app.admin_get(&org.api_key, "/api/v1/ipn-deliveries?status=lost").await;
    assert_error(response, 400, "invalid_request_error", "status_invalid").await;

    // Manual resend: the same event again, logged as a fourth attempt.
    let response = app
        .admin_post(
            &org.api_key,
            &format!("/api/v1/ipn-deliveries/{}/resend", first["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202);
    eventually(10, "the resent IPN", || async { (receiver.all().len() == 4).then_some(()) }).await;
    assert_eq!(receiver.all()[3].json()["id"], first["id"]);

    // Another organization can neither see nor resend it.
    let other = app.bootstrap().await;
    let response = app
        .admin_post(
            &other.api_key,
            &format!("/api/v1/ipn-deliveries/{}/resend", first["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let theirs: Value = app.admin_get(&other.api_key, "/api/v1/ipn-deliveries").await.json().await.unwrap();
    assert_eq!(theirs["data"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_and_redirects_are_not_followed() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    // First answer: 503 with Retry-After: 3 (the immediate retry must wait).
    let receiver =
        IpnReceiver::start(Arc::new(
            |n| {
                if n == 0 { (503, vec![("retry-after", "3".to_owned())]) } else { (200, vec![]) }
            },
        ))
        .await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url})).await;
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    let received = eventually(20, "the retry", || async {
        let all = receiver.all();
        (all.len() >= 2).then_some(all)
    })
    .await;
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(2900), "Retry-After: 3 honoured, waited {waited:?}");

    // A redirect is an answer, not an instruction: never followed.
    let target = IpnReceiver::always_ok().await;
    let redirect_to = target.url.clone();
    let redirecting = IpnReceiver::start(Arc::new(move |_| (302, vec![("location", redirect_to.clone())]))).await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": redirecting.url})).await;
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    eventually(20, "two redirect answers", || async { (redirecting.all().len() >= 2).then_some(()) }).await;
    assert!(target.all().is_empty(), "the redirect target was never called");
    let pending: Value =
        app.admin_get(&org.api_key, "/api/v1/ipn-deliveries?status=pending").await.json().await.unwrap();
    let statuses: Vec<_> =
        pending["data"][0]["attempts"].as_array().unwrap().iter().map(|a| a["statusCode"].clone()).collect();
    assert!(statuses.iter().all(|s| s == 302), "{statuses:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ssrf_guard_refuses_private_and_plain_http_ipn_urls() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_IPN_ALLOW_PRIVATE".into(), "0".into());
    })
    .await;
    let org = app.bootstrap().await;
    for url in [
        "http://merchant.example/ipn",
        "https://127.0.0.1/ipn",
        "https://10.0.0.8/ipn",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/ipn",
        "https://localhost/ipn",
        "https://localhost./ipn",
        "https://0x7f000001/ipn",
        "https://does-not-resolve.invalid/ipn",
    ] {
        let response = app
            .create_checkout(&org.api_key, &org.site_id, &json!({"amount": 100, "currency": "EUR", "ipnUrl": url}))
            .await;
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{url}: {error}");
        assert!(
            ["url_not_allowed", "url_invalid"].contains(&error["error"]["code"].as_str().unwrap()),
            "{url}: {error}"
        );
        assert_eq!(error["error"]["param"], "ipnUrl");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guard_runs_again_at_delivery() {
    // The URL was accepted while private addresses were allowed; by the time
    // of delivery the operator no longer allows them (as if DNS had changed
    // to a private address): the attempt is refused without a request.
    let data = tempfile::tempdir().unwrap();
    let receiver = IpnReceiver::always_ok().await;
    let mut env = test_env(data.path());
    let config = paygate::StackConfig::from_env(&env).unwrap();
    let lenient = paygate_core::open(&config.core_config(config.main_addr)).await.unwrap();
    let org = paygate::bootstrap(&config, "Acme", "Shop").await.unwrap();
    let principal = lenient.authenticate(Some(&format!("Bearer {}", org.api_key)), "checkout:create").await.unwrap();
    let checkout = lenient
        .create_checkout(
            &principal,
            &org.site_id,
            "",
            paygate_core::domain::checkouts::NewCheckout {
                amount: Some(100),
                currency: "EUR".into(),
                ipn_url: receiver.url.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .value;
    env.insert("PAYGATE_IPN_ALLOW_PRIVATE".into(), "0".into());
    let strict_config = paygate::StackConfig::from_env(&env).unwrap();
    let strict = paygate_core::open(&strict_config.core_config(strict_config.main_addr)).await.unwrap();
    let txn = strict.pay(&checkout.id, paygate_core::providers::PaymentMethod::card("tok_visa")).await.unwrap();
    strict.process_payment(&txn.id).await.unwrap();
    let (deliveries, _) = strict
        .list_ipn_deliveries(&principal, "", None, "", &paygate_core::store::Page { limit: 10, starting_after: None })
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    strict.deliver_ipn(&deliveries[0].id).await.unwrap();
    let delivery = strict.get::<paygate_core::domain::ipn::IpnDelivery>(&deliveries[0].id).await.unwrap().unwrap();
    let attempt = &delivery.attempts[0];
    assert_eq!(attempt.status_code, None);
    assert!(attempt.error.as_deref().unwrap().contains("ipnUrl"), "{attempt:?}");
    assert!(receiver.all().is_empty(), "no request left the gateway");
}

/// An IPN carries the Admin API's objects byte for byte: `data.transaction`
/// is what `GET /api/v1/transactions/{id}` answers at the same state, and
/// `data.checkout` is the full checkout of `GET /api/v1/checkouts/{id}`
/// (line items, customer, URLs).
#[tokio::test(flavor = "multi_thread")]
async fn ipn_objects_are_the_admin_api_objects() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let mut body = checkout_body();
    body["ipnUrl"] = json!(receiver.url);
    body["captureMethod"] = json!("manual");
    let response = app.create_checkout(&org.api_key, &org.site_id, &body).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn_id = accepted["transactionId"].as_str().unwrap();

    // Authorized and waiting for a capture: nothing changes the
    // transaction until the merchant acts, so GET shows the IPN's state.
    let ipn = eventually(20, "requires_capture IPN", || async {
        receiver.of_type("transaction.requires_capture").first().map(ReceivedIpn::json)
    })
    .await;
    let get = |path: String| {
        let app = &app;
        let key = org.api_key.clone();
        async move {
            let response = app.admin_get(&key, &path).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let transaction = get(format!("/api/v1/transactions/{txn_id}")).await;
    assert_eq!(transaction["status"], "requires_capture");
    assert_eq!(ipn["data"]["transaction"], transaction);
    let admin_checkout = get(format!("/api/v1/checkouts/{id}")).await;
    assert_eq!(ipn["data"]["checkout"], admin_checkout);
    assert_eq!(ipn["data"]["checkout"]["lineItems"][0]["name"], "Pro plan");
    assert_eq!(ipn["data"]["checkout"]["customer"]["email"], "a@example.com");
    assert_eq!(ipn["data"]["checkout"]["successUrl"], "https://merchant.example/thanks");

    let response = app.admin_post(&org.api_key, &format!("/api/v1/transactions/{txn_id}/cancel"), &json!({})).await;
    assert_eq!(response.status(), 200);
    let canceled: Value = response.json().await.unwrap();
    let ipn = eventually(20, "canceled IPN", || async {
        receiver.of_type("transaction.canceled").first().map(ReceivedIpn::json)
    })
    .await;
    assert_eq!(ipn["data"]["transaction"], canceled, "the cancel answer and the IPN agree");
    assert_eq!(ipn["data"]["transaction"], get(format!("/api/v1/transactions/{txn_id}")).await);
}

/// A receiver that takes `delay` to answer 200 and counts the requests per
/// event id, in arrival order.
async fn slow_receiver(delay: Duration) -> (String, Arc<std::sync::Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let arrivals: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = arrivals.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let log = log.clone();
        async move {
            let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            log.lock().unwrap().push(id);
            tokio::time::sleep(delay).await;
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ipn", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, arrivals, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backlog_of_due_deliveries_to_a_slow_receiver_goes_out_oldest_first_each_once() {
    // SecantusDB takes minutes for thousands of writes; the MongoDB run
    // checks the same with a smaller backlog.
    let total: usize = if std::env::var("PAYGATE_TEST_BACKEND").as_deref() == Ok("mongodb") { 300 } else { 5_000 };
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let (url, arrivals, server) = slow_receiver(Duration::from_millis(20)).await;
    let core = app.operator_core().await;

    // A backlog whose jobs were lost (as after a restart of the in-process
    // queue): stored, pending, and all falling due at once, in a known
    // order. Written before they fall due, so the order is the store's.
    let due_from = paygate_core::domain::now_micros() + 8_000_000;
    let id_of = |n: usize| format!("evt_backlog{:08x}", (n as u32).wrapping_mul(2_654_435_761));
    let documents: Vec<Value> = (0..total)
        .map(|n| {
            let due = due_from + n as i64;
            json!({
                "id": id_of(n), "createdAt": due, "organizationId": org.organization_id, "siteId": org.site_id,
                "checkoutId": "chk_backlog", "eventType": "transaction.succeeded", "url": url,
                "payload": json!({"id": id_of(n), "type": "transaction.succeeded"}).to_string(),
                "status": "pending", "attempts": [], "nextAttemptAt": due, "leaseUntil": 0, "needsWork": true,
                "dueAt": due,
            })
        })
        .collect();
    for chunk in documents.chunks(250) {
        let inserts = chunk.iter().map(|body| core.store.insert("ipn_deliveries", body.clone()));
        for result in futures::future::join_all(inserts).await {
            result.unwrap();
        }
    }
    assert!(paygate_core::domain::now_micros() < due_from, "the backlog was written before it fell due");

    let received = eventually(180, "every delivery", || async {
        let received = arrivals.lock().unwrap().clone();
        (received.len() >= total).then_some(received)
    })
    .await;
    let elapsed = Duration::from_micros((paygate_core::domain::now_micros() - due_from).max(0) as u64);
    // Time for any duplicate job to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received_after = arrivals.lock().unwrap().clone();
    assert_eq!(received_after.len(), total, "no attempt was POSTed twice");
    let position: std::collections::HashMap<String, usize> = (0..total).map(|n| (id_of(n), n)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut worst = 0;
    for (arrival, id) in received.iter().enumerate() {
        assert!(seen.insert(id.clone()), "{id} twice");
        let due_rank = position[id];
        worst = worst.max(arrival.abs_diff(due_rank));
    }
    // Dispatchers work in parallel, so arrivals interleave a little; the
    // oldest never wait behind the newest.
    assert!(worst <= 256, "arrivals strayed {worst} places from due order");
    println!("{total} deliveries within {elapsed:?} of falling due, at most {worst} places from due order");

    // Each is recorded as delivered by exactly one attempt.
    for n in (0..total).step_by(97) {
        let delivery = core.get::<paygate_core::domain::ipn::IpnDelivery>(&id_of(n)).await.unwrap().unwrap();
        assert_eq!(delivery.status, paygate_core::domain::ipn::DeliveryStatus::Succeeded);
        assert_eq!(delivery.attempts.len(), 1, "{}", delivery.id);
    }
    server.abort();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sites_default_ipn_url_serves_checkouts_that_name_none() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let site = format!("/api/v1/sites/{}", org.site_id);
    let patch = |body: Value| {
        let request = app.client.patch(format!("{}{site}", app.admin)).bearer_auth(&org.api_key).json(&body);
        async move { request.send().await.unwrap() }
    };
    for bad in ["ftp://shop.example/ipn", "not a url"] {
        let response = patch(json!({"ipnUrl": bad})).await;
        assert_eq!(assert_error(response, 400, "invalid_request_error", "url_invalid").await["param"], "ipnUrl");
    }
    let response = patch(json!({"ipnUrl": receiver.url})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["ipnUrl"], receiver.url.as_str());

    // A checkout without its own ipnUrl is announced at the site's.
    let checkout = app.checkout_with(&org, json!({})).await;
    let id = checkout["id"].as_str().unwrap();
    assert_eq!(app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    let ipn =
        eventually(20, "the IPN at the site's URL", || async { receiver.of_type("transaction.succeeded").pop() }).await;
    assert_eq!(ipn.json()["data"]["checkout"]["id"], id);

    // Removed: the next checkout is announced nowhere.
    let response = patch(json!({"ipnUrl": ""})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["ipnUrl"], Value::Null);
    let quiet = app.checkout_with(&org, json!({})).await;
    let quiet_id = quiet["id"].as_str().unwrap();
    assert_eq!(app.pay(quiet_id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    app.settled_status(quiet_id).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(receiver.all().iter().all(|ipn| ipn.json()["data"]["checkout"]["id"] != quiet_id));
    app.stop().await;
}
