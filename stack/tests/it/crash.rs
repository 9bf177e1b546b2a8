//! kill -9 of the whole gateway while payments are in flight, on the Redis
//! queue: after a restart every paid checkout ends in one terminal state,
//! charged once, with its IPN delivered.

use std::{
    collections::{BTreeMap, BTreeSet},
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

use crate::{
    binary::{listening_addresses, paygate},
    helpers::*,
};

struct Gateway {
    child: std::process::Child,
    admin: String,
    main: String,
}

/// A failed assertion must not leave a gateway running.
impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_gateway(env: &std::collections::HashMap<String, String>) -> Gateway {
    let mut child = paygate().arg("all").envs(env).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    // Keep draining the log after start-up so the child never blocks on it.
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stderr);
        let addresses = listening_addresses(&mut reader);
        let _ = tx.send(addresses);
        std::io::copy(&mut reader, &mut std::io::sink()).ok();
    });
    let addresses = rx.await.unwrap();
    Gateway {
        child,
        admin: format!("http://{}", addresses["edge-admin"]),
        main: format!("http://{}", addresses["edge-main"]),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_payment_loses_nothing_and_charges_once() {
    let Ok(redis_url) = std::env::var("PAYGATE_REDIS_URL") else {
        assert!(!backends_required(), "PAYGATE_REDIS_URL is not set, and this run requires every backend");
        eprintln!("skipped: PAYGATE_REDIS_URL not set (scripts/test.sh sets it)");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut env = test_env(data.path());
    env.insert("PAYGATE_REDIS_URL".into(), redis_url);
    env.insert("PAYGATE_REDIS_PREFIX".into(), format!("paygate_crash_{}", uuid::Uuid::new_v4().simple()));
    env.insert("PAYGATE_SANDBOX_LATENCY_MS".into(), "600".into());
    env.insert("PAYGATE_WORKERS".into(), "4".into());
    env.insert("NO_COLOR".into(), "1".into());
    let config = paygate::StackConfig::from_env(&env).unwrap();
    let org = paygate::bootstrap(&config, "Acme", "Shop").await.unwrap();
    let receiver = IpnReceiver::always_ok().await;
    let client = reqwest::Client::new();

    let mut gateway = start_gateway(&env).await;
    eventually(10, "health", || async {
        client.get(format!("{}/readyz", gateway.admin)).send().await.ok().filter(|r| r.status() == 200)
    })
    .await;
    let mut checkouts = Vec::new();
    for n in 0..24 {
        let created: Value = client
            .post(format!("{}/api/v1/checkouts/{}/create", gateway.admin, org.site_id))
            .bearer_auth(&org.api_key)
            .json(&json!({"amount": 1000 + n, "currency": "EUR", "ipnUrl": receiver.url}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap_or_else(|| panic!("checkout not created: {created}"));
        checkouts.push(id.to_owned());
    }
    let pay_all = |ids: &[String]| {
        futures::future::join_all(ids.iter().map(|id| {
            client
                .post(format!("{}/api/v1/checkouts/{id}/pay", gateway.main))
                .json(&json!({"paymentMethod": "tok_visa"}))
                .send()
        }))
    };
    // A first third is paid and announced before the kill; the rest is
    // killed mid-flight: each pay request starts its charge at once, and
    // the sandbox takes 600 ms to answer.
    let (finished, in_flight) = checkouts.split_at(8);
    let pays = pay_all(finished).await;
    assert!(pays.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 202)));
    eventually(30, "the first payments", || async {
        (receiver.of_type("transaction.succeeded").len() >= finished.len()).then_some(())
    })
    .await;
    let pays = pay_all(in_flight).await;
    assert!(pays.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 202)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = Command::new("kill").args(["-KILL", &gateway.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    gateway.child.wait().unwrap();
    let delivered_before = receiver.of_type("transaction.succeeded").len();
    assert!(delivered_before < checkouts.len(), "the kill landed mid-flight ({delivered_before} already done)");

    let mut restarted = start_gateway(&env).await;
    let core = paygate_core::open(&config.core_config(config.main_addr)).await.unwrap();
    for id in &checkouts {
        let status = eventually(90, "recovery", || async {
            let status: Value = client
                .get(format!("{}/api/v1/checkouts/{id}/status", restarted.main))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (status["status"] == "completed").then_some(status)
        })
        .await;
        assert_eq!(status["transaction"]["status"], "succeeded");
        let charges =
            paygate_core::providers::sandbox::SandboxProvider::successful_charges_for(core.store.as_ref(), id)
                .await
                .unwrap();
        assert_eq!(charges, 1, "{id} charged once");
    }
    let events: BTreeMap<String, BTreeSet<String>> = eventually(60, "every IPN", || async {
        let mut by_checkout: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for ipn in receiver.of_type("transaction.succeeded") {
            let body = ipn.json();
            by_checkout
                .entry(body["data"]["checkout"]["id"].as_str()?.to_owned())
                .or_default()
                .insert(body["id"].as_str()?.to_owned());
        }
        (by_checkout.len() == checkouts.len()).then_some(by_checkout)
    })
    .await;
    for (checkout, ids) in &events {
        assert_eq!(ids.len(), 1, "{checkout}: one event id (a redelivery repeats it)");
    }
    eprintln!(
        "crash test: {} payments, {delivered_before} IPNs before kill -9, all {} settled once after restart",
        checkouts.len(),
        events.len()
    );
    Command::new("kill").args(["-TERM", &restarted.child.id().to_string()]).status().unwrap();
    assert_eq!(restarted.child.wait().unwrap().code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_clock_advance_then_another_advance_charges_each_period_once() {
    let Ok(redis_url) = std::env::var("PAYGATE_REDIS_URL") else {
        assert!(!backends_required(), "PAYGATE_REDIS_URL is not set, and this run requires every backend");
        eprintln!("skipped: PAYGATE_REDIS_URL not set (scripts/test.sh sets it)");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut env = test_env(data.path());
    env.insert("PAYGATE_REDIS_URL".into(), redis_url);
    env.insert("PAYGATE_REDIS_PREFIX".into(), format!("paygate_crash_{}", uuid::Uuid::new_v4().simple()));
    env.insert("PAYGATE_SANDBOX_LATENCY_MS".into(), "25".into());
    env.insert("NO_COLOR".into(), "1".into());
    let config = paygate::StackConfig::from_env(&env).unwrap();
    let org = paygate::bootstrap(&config, "Acme", "Shop").await.unwrap();
    let client = reqwest::Client::new();
    let post = |base: &str, path: &str, body: Value| {
        client.post(format!("{base}{path}")).bearer_auth(&org.api_key).json(&body).send()
    };

    let mut gateway = start_gateway(&env).await;
    eventually(10, "health", || async {
        client.get(format!("{}/readyz", gateway.admin)).send().await.ok().filter(|r| r.status() == 200)
    })
    .await;
    let admin = gateway.admin.clone();
    let clock: Value = post(&admin, "/api/v1/test-clocks", json!({"frozenTime": "2026-01-01T00:00:00Z"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let clock = clock["id"].as_str().unwrap().to_owned();
    let plan: Value =
        post(&admin, "/api/v1/plans", json!({"name": "Pro", "amount": 990, "currency": "EUR", "interval": "month"}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let mut subscriptions = Vec::new();
    for n in 0..10 {
        let customer: Value =
            post(&admin, "/api/v1/customers", json!({"email": format!("c{n}@example.com"), "testClockId": clock}))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        let body = json!({"customerId": customer["id"], "planId": plan["id"], "siteId": org.site_id,
            "paymentMethod": "tok_visa"});
        let subscription: Value = post(&admin, "/api/v1/subscriptions", body).await.unwrap().json().await.unwrap();
        assert_eq!(subscription["status"], "active");
        subscriptions.push(subscription["id"].as_str().unwrap().to_owned());
    }
    let invoices = |base: String| {
        let client = client.clone();
        let key = org.api_key.clone();
        async move {
            let page: Value = client
                .get(format!("{base}/api/v1/invoices?limit=100"))
                .bearer_auth(&key)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            Some(page["data"].as_array()?.len())
        }
    };

    // Six months for ten subscriptions, 25 ms a charge: killed part-way.
    let target = json!({"frozenTime": "2026-07-01T00:00:00Z"});
    let advancing = tokio::spawn(post(&admin, &format!("/api/v1/test-clocks/{clock}/advance"), target.clone()));
    eventually(30, "renewals under way", || async {
        let count = invoices(admin.clone()).await?;
        (count >= 10 + 12).then_some(())
    })
    .await;
    let status = Command::new("kill").args(["-KILL", &gateway.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    gateway.child.wait().unwrap();
    assert!(advancing.await.unwrap().is_err(), "the advance died with the gateway");
    let before = invoices(admin.clone()).await;
    assert!(before.is_none(), "the gateway is down");

    let mut restarted = start_gateway(&env).await;
    let admin = restarted.admin.clone();
    eventually(10, "health", || async {
        client.get(format!("{admin}/readyz")).send().await.ok().filter(|r| r.status() == 200)
    })
    .await;
    // A charge the killed gateway held is finished only once its lease
    // runs out, so this advance may answer `advancing` and go on in the
    // background: poll the clock until it is ready.
    let response = post(&admin, &format!("/api/v1/test-clocks/{clock}/advance"), target).await.unwrap();
    let status = response.status();
    let advanced: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{advanced}");
    assert!(["ready", "advancing"].contains(&advanced["status"].as_str().unwrap()), "{advanced}");
    eventually(120, "the clock ready again", || async {
        let clock: Value = client
            .get(format!("{admin}/api/v1/test-clocks/{clock}"))
            .bearer_auth(&org.api_key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (clock["status"] == "ready" && clock["frozenTime"] == "2026-07-01T00:00:00Z").then_some(())
    })
    .await;
    for id in &subscriptions {
        let subscription: Value = client
            .get(format!("{admin}/api/v1/subscriptions/{id}"))
            .bearer_auth(&org.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(subscription["status"], "active");
        assert_eq!(subscription["periodsPaid"], 7, "{id}: the first period and six renewals, once each");
    }
    // Every period's checkout was charged once at the provider.
    let core = paygate_core::open(&config.core_config(config.main_addr)).await.unwrap();
    let mut checkouts = Vec::new();
    let mut after = String::new();
    loop {
        let page: Value = client
            .get(format!("{admin}/api/v1/checkouts?limit=100{after}"))
            .bearer_auth(&org.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().unwrap().clone();
        if let Some(last) = data.last() {
            after = format!("&startingAfter={}", last["id"].as_str().unwrap());
        }
        checkouts.extend(data);
        if page["hasMore"] != true {
            break;
        }
    }
    let renewals: Vec<&Value> = checkouts.iter().filter(|c| c["mode"] == "renewal").collect();
    assert_eq!(renewals.len(), 70);
    for checkout in renewals {
        let id = checkout["id"].as_str().unwrap();
        let charges =
            paygate_core::providers::sandbox::SandboxProvider::successful_charges_for(core.store.as_ref(), id)
                .await
                .unwrap();
        assert_eq!(charges, 1, "{id} charged once");
    }
    let mut numbers = Vec::new();
    let mut after = String::new();
    loop {
        let page: Value = client
            .get(format!("{admin}/api/v1/invoices?limit=100{after}"))
            .bearer_auth(&org.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().unwrap().clone();
        if let Some(last) = data.last() {
            after = format!("&startingAfter={}", last["id"].as_str().unwrap());
        }
        numbers.extend(data.iter().map(|i| i["sequence"].as_i64().unwrap()));
        if page["hasMore"] != true {
            break;
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=70).collect::<Vec<i64>>(), "one invoice per period, gap-free");
    eprintln!("clock crash test: killed after {} invoices; 70 periods charged once each", 10 + 12);
    Command::new("kill").args(["-TERM", &restarted.child.id().to_string()]).status().unwrap();
    assert_eq!(restarted.child.wait().unwrap().code(), Some(0));
}
