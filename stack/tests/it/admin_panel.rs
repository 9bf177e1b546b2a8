//! The admin panel as a browser gets it from edge-admin: the shell and its
//! assets with a strict policy and security headers, the shell for any
//! page path (client-side routing), and the API's JSON 404s untouched.

use serde_json::Value;

use crate::helpers::*;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn assert_secure(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    assert_eq!(headers["content-security-policy"], CSP, "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.admin)).send().await.unwrap()
}

#[tokio::test]
async fn the_shell_and_its_assets_carry_the_policy_and_security_headers() {
    let app = spawn_app().await;
    let response = get(&app, "/").await;
    assert_eq!(response.status(), 200);
    assert_secure(&response, "/");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let shell = response.text().await.unwrap();
    assert!(shell.contains("<script src=\"/assets/panel/panel.js\" defer></script>"), "{shell}");
    assert!(!shell.contains("<script>") && !shell.contains(" style="), "no inline code or style");
    assert!(!shell.contains("http://") && !shell.contains("https://"), "no other origin");

    for (path, kind, marker) in [
        ("/assets/panel/panel.js", "text/javascript; charset=utf-8", "Paygate-Mode"),
        ("/assets/panel/pages.js", "text/javascript; charset=utf-8", "/auth/login"),
        ("/assets/panel/panel.css", "text/css; charset=utf-8", ".mode-switch"),
        ("/assets/panel/icon.svg", "image/svg+xml", "<svg"),
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_secure(&response, path);
        assert_eq!(response.headers()["content-type"], kind, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{path}");
        // Revalidation answers 304 until the binary changes.
        let again = app.client.get(format!("{}{path}", app.admin)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_secure(&again, path);
        assert!(again.text().await.unwrap().is_empty());
        let stale =
            app.client.get(format!("{}{path}", app.admin)).header("if-none-match", "\"0\"").send().await.unwrap();
        assert_eq!(stale.status(), 200, "{path}");
    }

    // The scripts never render API data as markup.
    for path in ["/assets/panel/panel.js", "/assets/panel/pages.js"] {
        let script = get(&app, path).await.text().await.unwrap();
        assert!(!script.contains("innerHTML") && !script.contains("outerHTML"), "{path}");
        assert!(!script.contains("insertAdjacentHTML") && !script.contains("document.write"), "{path}");
        assert!(!script.contains("eval("), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_panel_paths_get_the_shell() {
    let app = spawn_app().await;
    let shell = get(&app, "/").await.text().await.unwrap();
    for path in [
        "/login",
        "/accept-invite",
        "/transactions",
        "/transactions/txn_123?status=failed",
        "/api-keys",
        "/team",
        "/some/page/that/does/not/exist",
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_secure(&response, path);
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(response.text().await.unwrap(), shell, "{path}");
    }
    // HEAD as well (link checkers, monitors).
    let head = app.client.head(format!("{}/transactions", app.admin)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_secure(&head, "HEAD /transactions");
    app.stop().await;
}

#[tokio::test]
async fn api_paths_keep_their_json_404s() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    for path in
        ["/api", "/api/", "/api/v1/nope", "/api/v2/transactions", "/v1/nope", "/assets/panel/missing.js", "/assets"]
    {
        let response = get(&app, path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "route_not_found", "{path}");
    }
    // Other methods on panel paths are not pages.
    let response = app.client.post(format!("{}/transactions", app.admin)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route_not_found");
    // A real API route still answers as before, on both spellings.
    let response = app.admin_get(&org.api_key, "/api/v1/transactions").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-security-policy").is_none(), "the API is not a page");
    let response = app.admin_get(&org.api_key, "/v1/organization").await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}
