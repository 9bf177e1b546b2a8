//! Core keeps recently read API keys, sites and organizations in memory.
//! A change made here applies to the very next request; a change made by
//! another core replica on the same store (here: a second core opened on
//! it) applies within a second.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{IpnReceiver, assert_signed, eventually, spawn_app};

async fn new_key(app: &crate::helpers::TestApp, api_key: &str, name: &str) -> (String, String) {
    let response =
        app.admin_post(api_key, "/api/v1/api-keys", &json!({"name": name, "scopes": ["checkout:read"]})).await;
    assert_eq!(response.status(), 201);
    let key: Value = response.json().await.unwrap();
    (key["id"].as_str().unwrap().to_owned(), key["secret"].as_str().unwrap().to_owned())
}

async fn status_with(app: &crate::helpers::TestApp, secret: &str) -> u16 {
    app.admin_get(secret, "/api/v1/checkouts").await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_is_refused_at_once_here_and_within_a_second_on_another_replica() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;

    // Revoked through this gateway: the next request already fails.
    let (id, secret) = new_key(&app, &org.api_key, "revoked here").await;
    for _ in 0..3 {
        assert_eq!(status_with(&app, &secret).await, 200, "the key works (and is cached)");
    }
    let response = app.admin_post(&org.api_key, &format!("/api/v1/api-keys/{id}/revoke"), &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(status_with(&app, &secret).await, 401, "refused on the very next request");

    // Revoked by another replica: this gateway's cache does not hear of
    // it, so the entry's age is what bounds the delay.
    let (id, secret) = new_key(&app, &org.api_key, "revoked elsewhere").await;
    for _ in 0..3 {
        assert_eq!(status_with(&app, &secret).await, 200);
    }
    let other_replica = app.operator_core().await;
    let principal = other_replica.authenticate(Some(&format!("Bearer {}", org.api_key)), "keys:write").await.unwrap();
    other_replica.revoke_api_key(&principal, &id).await.unwrap();
    let revoked_at = Instant::now();
    let mut last_accepted = None;
    loop {
        let status = status_with(&app, &secret).await;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        last_accepted = Some(revoked_at.elapsed());
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "still accepted {:?} after the revoke",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(revoked_at.elapsed() < Duration::from_secs(1), "refused only after {:?}", revoked_at.elapsed());
    // And it stays refused.
    for _ in 0..5 {
        assert_eq!(status_with(&app, &secret).await, 401);
    }
    eprintln!("accepted at most {last_accepted:?} after another replica revoked it");
    app.stop().await;
}

/// Pays a fresh checkout and returns its first IPN.
async fn paid_ipn(
    app: &crate::helpers::TestApp,
    org: &paygate::Bootstrap,
    receiver: &IpnReceiver,
) -> crate::helpers::ReceivedIpn {
    let checkout = app.checkout_with(org, json!({})).await;
    let id = checkout["id"].as_str().unwrap().to_owned();
    assert_eq!(app.pay(&id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    eventually(20, "the IPN of the payment", || async { receiver.all().into_iter().find(|ipn| ipn.body.contains(&id)) })
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sites_new_webhook_secret_and_ipn_url_apply_to_the_next_ipn() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let first = IpnReceiver::always_ok().await;
    let site_path = format!("/api/v1/sites/{}", org.site_id);
    let response = app
        .client
        .patch(format!("{}{site_path}", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"ipnUrl": first.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The site is read (and cached) by every step of a payment.
    let ipn = paid_ipn(&app, &org, &first).await;
    assert_signed(&ipn, &org.webhook_secret);

    let rotated: Value =
        app.admin_post(&org.api_key, &format!("{site_path}/rotate-secret"), &json!({})).await.json().await.unwrap();
    let new_secret = rotated["webhookSecret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, org.webhook_secret);
    let ipn = paid_ipn(&app, &org, &first).await;
    assert_signed(&ipn, &new_secret);

    // A new default IPN URL receives the next payment's IPN.
    let second = IpnReceiver::always_ok().await;
    let response = app
        .client
        .patch(format!("{}{site_path}", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"ipnUrl": second.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let before = first.all().len();
    let ipn = paid_ipn(&app, &org, &second).await;
    assert_signed(&ipn, &new_secret);
    assert_eq!(first.all().len(), before, "nothing more went to the old URL");
    app.stop().await;
}
