//! The real `paygate` binary: start-up, bootstrap beside a running server,
//! SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::Value;

/// The binary with a clean environment: only what a test passes in, so a
/// variable exported around the test run (a MongoDB URI, say) cannot leak
/// into the gateway under test.
pub fn paygate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygate"));
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
}

/// Reads start-up log lines until every service has reported its address.
pub fn listening_addresses(stderr: impl std::io::Read) -> std::collections::HashMap<String, String> {
    let mut found = std::collections::HashMap::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        for service in ["core", "pdf-worker", "edge-admin", "edge-main"] {
            if line.contains(&format!("{service} listening")) {
                let addr = line.split("addr=").nth(1).unwrap().split_whitespace().next().unwrap();
                found.insert(service.to_owned(), addr.to_owned());
            }
        }
        if found.len() == 4 {
            break;
        }
    }
    found
}

/// A failed assertion must not leave a gateway running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_serves_bootstraps_alongside_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut env = crate::helpers::test_env(data.path());
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("RUST_LOG".into(), "info".into());

    // Bootstrap before the server exists...
    let output = paygate().args(["bootstrap", "--org", "Acme", "--site", "Shop"]).envs(&env).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let before: Value = serde_json::from_slice(&output.stdout).unwrap();

    let mut child =
        KillOnDrop(paygate().arg("all").envs(&env).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap());
    let stderr = child.0.stderr.take().unwrap();
    let addresses = tokio::task::spawn_blocking(move || listening_addresses(stderr)).await.unwrap();
    let admin = format!("http://{}", addresses["edge-admin"]);
    let main = format!("http://{}", addresses["edge-main"]);

    // ...and while it runs: each call is a new organization.
    let output = paygate().args(["bootstrap", "--org", "Acme", "--site", "Shop"]).envs(&env).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON object on stdout");
    let during: Value = serde_json::from_str(stdout.trim()).unwrap();
    for field in ["organizationId", "siteId", "apiKey", "webhookSecret"] {
        assert!(during[field].as_str().is_some_and(|v| !v.is_empty()), "{field}");
    }
    assert_ne!(before["organizationId"], during["organizationId"]);

    // The operator's way into live mode: a live key for an existing
    // organization; an unknown organization is refused.
    let org = before["organizationId"].as_str().unwrap();
    let output = paygate().args(["live-key", "--org", org]).envs(&env).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let live: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(live["apiKey"].as_str().unwrap().starts_with("sk_live_"));
    assert_eq!(live["organizationId"], org);
    let output = paygate().args(["live-key", "--org", "org_0000000000000000000000"]).envs(&env).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no organization"));

    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..50 {
        if client.get(format!("{admin}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "edge-admin healthy");
    for org in [&before, &during] {
        let response = client
            .post(format!("{admin}/api/v1/checkouts/{}/create", org["siteId"].as_str().unwrap()))
            .bearer_auth(org["apiKey"].as_str().unwrap())
            .json(&serde_json::json!({"amount": 2500, "currency": "EUR"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        assert!(created["paymentUrl"].as_str().unwrap().starts_with(&main));
        let public =
            client.get(format!("{main}/api/v1/checkouts/{}", created["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(public.status(), 200);
    }
    let live_sites =
        client.get(format!("{admin}/api/v1/sites")).bearer_auth(live["apiKey"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(live_sites.status(), 200, "the live key works against the running server");
    let live_sites: Value = live_sites.json().await.unwrap();
    assert_eq!(live_sites["data"], serde_json::json!([]), "the test site is not a live object");

    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.0.wait()).await.unwrap().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM drains and exits 0");
}

#[test]
fn invalid_configuration_is_a_clear_start_up_error() {
    let output = paygate().arg("all").env("PAYGATE_ADMIN_ADDR", "not-an-address").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PAYGATE_ADMIN_ADDR"), "{stderr}");
}
