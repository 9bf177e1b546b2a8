use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn open_checkouts_past_expiry_expire_and_notify() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url, "expiresInSeconds": 60})).await;
    let id = checkout["id"].as_str().unwrap().to_owned();
    // Wind the clock: the checkout's expiry is now in the past.
    let core = app.operator_core().await;
    core.update::<paygate_core::domain::checkouts::Checkout, _>(&id, |c| {
        c.expires_at = paygate_core::domain::now_micros() - 1;
        Ok(())
    })
    .await
    .unwrap();
    let response = app.pay(&id, &json!({"paymentMethod": "tok_visa"})).await;
    assert_error(response, 409, "invalid_request_error", "checkout_expired").await;
    let ipn = eventually(10, "checkout.expired", || async { receiver.of_type("checkout.expired").pop() }).await;
    assert_signed(&ipn, &org.webhook_secret);
    assert_eq!(ipn.json()["data"]["checkout"]["id"], id.as_str());
    assert_eq!(ipn.json()["data"]["checkout"]["status"], "expired");
    let stored = core.get::<paygate_core::domain::checkouts::Checkout>(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, paygate_core::domain::checkouts::CheckoutStatus::Expired, "the scheduler wrote it down");
    let expired: Value = app.admin_get(&org.api_key, "/api/v1/checkouts?status=expired").await.json().await.unwrap();
    assert_eq!(expired["data"].as_array().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(receiver.of_type("checkout.expired").len(), 1, "once");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_status_shows_every_queue() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({})).await;
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    app.settled_status(checkout["id"].as_str().unwrap()).await;
    let response = app.admin_get(&org.api_key, "/api/v1/jobs/status").await;
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.unwrap();
    let queues: Vec<_> =
        status["data"].as_array().unwrap().iter().map(|q| q["queue"].as_str().unwrap().to_owned()).collect();
    assert_eq!(queues, ["payment.initiated", "ipn.deliver"]);
    for queue in status["data"].as_array().unwrap() {
        for field in ["depth", "inFlight", "retried", "dead"] {
            assert!(queue[field].is_u64(), "{field} in {queue}");
        }
    }
    let response = app.client.get(format!("{}/api/v1/jobs/status", app.admin)).send().await.unwrap();
    assert_error(response, 401, "authentication_error", "api_key_missing").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_document_does_not_stop_the_scheduler() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let core = app.operator_core().await;
    // A transaction document that no longer parses, marked as unfinished
    // work and due before anything else.
    core.store
        .insert("transactions", json!({"id": "txn_unreadable", "createdAt": 1, "needsWork": true, "dueAt": 1}))
        .await
        .unwrap();
    let receiver = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url, "expiresInSeconds": 60})).await;
    let id = checkout["id"].as_str().unwrap().to_owned();
    core.update::<paygate_core::domain::checkouts::Checkout, _>(&id, |c| {
        c.expires_at = paygate_core::domain::now_micros() - 1;
        Ok(())
    })
    .await
    .unwrap();
    // The pass goes on past the bad document and expires the checkout.
    let ipn = eventually(10, "checkout.expired", || async { receiver.of_type("checkout.expired").pop() }).await;
    assert_eq!(ipn.json()["data"]["checkout"]["id"], id.as_str());
    app.stop().await;
}

/// The figures of one queue in a `/jobs/status` answer.
fn figures(status: &Value, queue: &str) -> [u64; 4] {
    let entry = status["data"].as_array().unwrap().iter().find(|q| q["queue"] == queue).unwrap();
    ["depth", "inFlight", "retried", "dead"].map(|field| entry[field].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn job_status_shows_each_organization_only_its_own_work() {
    let app = spawn_app().await;
    let busy = app.bootstrap().await;
    let idle = app.bootstrap().await;
    // Busy's receiver holds the first attempt for a while: its IPN job is in
    // flight in the shared queue while idle looks.
    let (hold_tx, hold_rx) = tokio::sync::watch::channel(false);
    let arrived = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = arrived.clone();
    let receiver = axum::Router::new().fallback(move || {
        let mut hold = hold_rx.clone();
        let seen = seen.clone();
        async move {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = hold.wait_for(|released| *released).await;
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "busy")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ipn", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let checkout = app.checkout_with(&busy, json!({"ipnUrl": url})).await;
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    app.settled_status(checkout["id"].as_str().unwrap()).await;
    eventually(20, "the IPN attempt", || async { arrived.load(std::sync::atomic::Ordering::SeqCst).then_some(()) })
        .await;

    let status: Value = app.admin_get(&idle.api_key, "/api/v1/jobs/status").await.json().await.unwrap();
    assert_eq!(figures(&status, "payment.initiated"), [0; 4], "{status}");
    assert_eq!(figures(&status, "ipn.deliver"), [0; 4], "another organization's IPN shows nowhere: {status}");
    let status: Value = app.admin_get(&busy.api_key, "/api/v1/jobs/status").await.json().await.unwrap();
    assert_eq!(figures(&status, "ipn.deliver")[0], 1, "its own pending delivery: {status}");
    assert_eq!(figures(&status, "payment.initiated"), [0; 4], "its payment is settled: {status}");
    let _ = hold_tx.send(true);
    server.abort();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_core_replicas_on_one_store_charge_each_checkout_once() {
    let first = spawn_app().await;
    // A second full stack on the same store (and, under PAYGATE_TEST_QUEUE=redis,
    // the same queue): its workers and scheduler compete with the first's.
    let shared = first.config.clone();
    let second = paygate::start(&shared, paygate::Services::All).await.unwrap();
    let second_admin = format!("http://{}", second.admin_addr.unwrap());
    let second_main = format!("http://{}", second.main_addr.unwrap());
    let org = first.bootstrap().await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let (admin, main) = if n % 2 == 0 { (&first.admin, &first.main) } else { (&second_admin, &second_main) };
        let created: Value = first
            .client
            .post(format!("{admin}/api/v1/checkouts/{}/create", org.site_id))
            .bearer_auth(&org.api_key)
            .json(&json!({"amount": 1000 + n, "currency": "EUR"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let response = first
            .client
            .post(format!("{main}/api/v1/checkouts/{id}/pay"))
            .json(&json!({"paymentMethod": "tok_visa"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        ids.push(id);
    }
    let core = first.operator_core().await;
    for id in &ids {
        assert_eq!(first.settled_status(id).await["transaction"]["status"], "succeeded");
        // Both replicas' schedulers and workers may touch it: still one charge.
        paygate_core::workers::Scheduler::default().pass(&core).await;
        assert_eq!(
            paygate_core::providers::sandbox::SandboxProvider::successful_charges_for(core.store.as_ref(), id)
                .await
                .unwrap(),
            1
        );
    }
    second.shutdown().await.unwrap();
    first.stop().await;
}
