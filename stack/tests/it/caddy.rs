//! The repository's Caddyfile, run by a real Caddy in front of the real
//! edges: four hostnames, each routed to its edge, with TLS from Caddy's
//! own CA for *.localhost.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Caddy(std::process::Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn caddy_routes_the_four_hostnames_to_the_edges() {
    let app = spawn_app_with(|env| {
        env.insert(
            "PAYGATE_PLATFORM_DOMAINS".into(),
            "admin-api.localhost, api.localhost, pay.localhost, admin.localhost".into(),
        );
    })
    .await;
    let org = app.bootstrap().await;
    // A merchant's own checkout domain, certified on demand.
    let response = app
        .admin_post(&org.api_key, "/api/v1/sites", &json!({"name": "Custom", "checkoutDomain": "pay.acme-shop.test"}))
        .await;
    assert_eq!(response.status(), 201);
    let site: Value = response.json().await.unwrap();
    let challenge = &site["domains"][0]["verification"];
    app.dns.publish(challenge["name"].as_str().unwrap(), challenge["value"].as_str().unwrap());
    let verify = format!("/api/v1/sites/{}/domains/pay.acme-shop.test/verify", site["id"].as_str().unwrap());
    assert_eq!(app.admin_post(&org.api_key, &verify, &json!({})).await.status(), 200);
    let home = tempfile::tempdir().unwrap();
    let https_port = free_port();
    let caddyfile = concat!(env!("CARGO_MANIFEST_DIR"), "/../Caddyfile");
    let caddy = Command::new("caddy")
        .args(["run", "--config", caddyfile, "--adapter", "caddyfile"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("CADDY_ADMIN", "off")
        // Offline: every certificate from Caddy's own CA, on-demand ones too.
        .env("CADDY_LOCAL_CERTS", "local_certs")
        .env("CADDY_HTTP_PORT", free_port().to_string())
        .env("CADDY_HTTPS_PORT", https_port.to_string())
        .env("EDGE_ADMIN", app.admin.trim_start_matches("http://"))
        .env("EDGE_MAIN", app.main.trim_start_matches("http://"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("caddy (Debian package caddy; scripts/test.sh installs it)");
    let _caddy = Caddy(caddy);
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], https_port));
    let client = reqwest::Client::builder()
        // Caddy's internal CA is not in any trust store.
        .danger_accept_invalid_certs(true)
        .resolve("admin-api.localhost", local)
        .resolve("api.localhost", local)
        .resolve("pay.localhost", local)
        .resolve("admin.localhost", local)
        .resolve("pay.acme-shop.test", local)
        .resolve("pay.stranger.test", local)
        .build()
        .unwrap();
    let url = |host: &str, path: &str| format!("https://{host}:{https_port}{path}");

    // The Admin API host, with /v1 rewritten to /api/v1.
    let created = eventually(20, "caddy up", || async {
        let response = client
            .post(url("admin-api.localhost", &format!("/v1/checkouts/{}/create", org.site_id)))
            .bearer_auth(&org.api_key)
            .json(&json!({"amount": 1500, "currency": "EUR"}))
            .send()
            .await
            .ok()?;
        (response.status() == 201).then_some(response)
    })
    .await;
    let checkout: Value = created.json().await.unwrap();
    let id = checkout["id"].as_str().unwrap();
    let response =
        client.get(url("admin-api.localhost", "/v1/organization")).bearer_auth(&org.api_key).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // The main backend host reaches edge-main only.
    let response = client.get(url("api.localhost", &format!("/api/v1/checkouts/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let public: Value = response.json().await.unwrap();
    assert_eq!(public["amount"], 1500);
    let response =
        client.get(url("api.localhost", "/api/v1/organization")).bearer_auth(&org.api_key).send().await.unwrap();
    assert_eq!(response.status(), 404, "admin routes are not on the main backend host");
    for path in ["/healthz", "/readyz"] {
        let response = client.get(url("api.localhost", path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    // Metrics stay private on every public host.
    for host in ["api.localhost", "pay.localhost", "admin.localhost", "admin-api.localhost"] {
        let response = client.get(url(host, "/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{host}/metrics");
    }

    // The checkout frontend host serves edge-main.
    let response = client.get(url("pay.localhost", &format!("/api/v1/checkouts/{id}/status"))).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // The admin panel host serves the panel and proxies /api/* to
    // edge-admin; the short /v1/* form and the health check are not there.
    let response =
        client.get(url("admin.localhost", "/api/v1/organization")).bearer_auth(&org.api_key).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = client.get(url("admin.localhost", "/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response =
        client.get(url("admin.localhost", "/v1/organization")).bearer_auth(&org.api_key).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = client.get(url("admin.localhost", "/transactions")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert!(response.text().await.unwrap().contains("/assets/panel/panel.js"));
    let response = client.get(url("admin.localhost", "/assets/panel/panel.css")).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // On-demand TLS: Caddy asks edge-admin; a site's domain gets a
    // certificate and reaches the checkout edge, an unknown one does not.
    let response = client.get(url("pay.acme-shop.test", &format!("/api/v1/checkouts/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let refused = client.get(url("pay.stranger.test", "/healthz")).send().await;
    assert!(refused.is_err(), "no certificate for a domain no site owns");
    app.stop().await;
}
