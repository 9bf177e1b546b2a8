//! Admin users: sign-in with refresh rotation and reuse detection, two-factor
//! sign-in, throttling, roles against routes, invitations and the audit log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::helpers::*;

const PASSWORD: &str = "correct horse battery";

async fn add_user(app: &TestApp, org: &paygate::Bootstrap, email: &str, role: &str) {
    paygate::create_user(&app.config, &org.organization_id, email, role, "", Some(PASSWORD)).await.expect("user");
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/api/v1{path}", app.admin)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(format!("{}/api/v1{path}", app.admin)).bearer_auth(token).send().await.unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    let response = post(app, "/auth/login", None, json!({"email": email, "password": password})).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn totp(secret: &str, at: u64) -> String {
    paygate_core::domain::identity::totp::code_at(secret, at).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_refresh_rotation_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "Ada@Example.com", "owner").await;

    // Wrong password and unknown email answer alike.
    let wrong =
        post(&app, "/auth/login", None, json!({"email": "ada@example.com", "password": "nope nope nope"})).await;
    let wrong = assert_error(wrong, 401, "authentication_error", "invalid_credentials").await;
    let unknown =
        post(&app, "/auth/login", None, json!({"email": "nobody@example.com", "password": "nope nope nope"})).await;
    let unknown = assert_error(unknown, 401, "authentication_error", "invalid_credentials").await;
    assert_eq!(wrong, unknown, "nothing tells a wrong password from an unknown email");

    let signed_in = login(&app, "ada@example.com", PASSWORD).await;
    let access = signed_in["accessToken"].as_str().unwrap().to_owned();
    let refresh = signed_in["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(signed_in["expiresIn"], 900);
    assert_eq!(signed_in["user"]["role"], "owner");
    assert_eq!(signed_in["user"]["email"], "ada@example.com");
    assert!(access.starts_with("eyJ") && refresh.starts_with("rt_"));

    // The JWT works wherever an sk_ key does.
    let me: Value = get(&app, "/auth/me", &access).await.json().await.unwrap();
    assert_eq!(me["organization"]["id"], org.organization_id.as_str());
    assert!(me["permissions"].as_array().unwrap().iter().any(|p| p == "audit:read"));
    assert_eq!(get(&app, "/transactions", &access).await.status(), 200);

    // Tampered tokens: another payload, alg none, another key.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("usr_0000000000000000000000");
    let changed_payload = format!("{}.{}.{}", parts[0], b64.encode(claims.to_string()), parts[2]);
    let alg_none = format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let other_key = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::from_slice::<Value>(&b64.decode(parts[1]).unwrap()).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(b"not the gateway's key at all").unwrap(),
    )
    .unwrap();
    for forged in [changed_payload, alg_none, other_key] {
        assert_error(get(&app, "/transactions", &forged).await, 401, "authentication_error", "token_invalid").await;
    }

    // Rotation: the new pair works, the old refresh token is dead...
    let rotated: Value =
        post(&app, "/auth/refresh", None, json!({"refreshToken": refresh})).await.json().await.unwrap();
    let access2 = rotated["accessToken"].as_str().unwrap().to_owned();
    let refresh2 = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh);
    assert_eq!(get(&app, "/auth/me", &access2).await.status(), 200);
    // ...and presenting it again revokes the whole family.
    let reused = post(&app, "/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_error(reused, 401, "authentication_error", "token_invalid").await;
    let after = post(&app, "/auth/refresh", None, json!({"refreshToken": refresh2})).await;
    assert_error(after, 401, "authentication_error", "token_invalid").await;
    assert_error(get(&app, "/auth/me", &access2).await, 401, "authentication_error", "token_invalid").await;

    // Logout ends the session at once.
    let fresh = login(&app, "ada@example.com", PASSWORD).await;
    let access3 = fresh["accessToken"].as_str().unwrap();
    assert_eq!(post(&app, "/auth/logout", Some(access3), json!({})).await.status(), 204);
    assert_error(get(&app, "/auth/me", access3).await, 401, "authentication_error", "token_invalid").await;
    let dead = post(&app, "/auth/refresh", None, json!({"refreshToken": fresh["refreshToken"]})).await;
    assert_error(dead, 401, "authentication_error", "token_invalid").await;

    // Bad input.
    let response = app
        .client
        .post(format!("{}/api/v1/auth/login", app.admin))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = post(&app, "/auth/login", None, json!({"email": 5, "password": "x"})).await;
    assert_eq!(response.status(), 400);
    let response = post(&app, "/auth/refresh", None, json!({"refreshToken": "rt_garbage"})).await;
    assert_error(response, 401, "authentication_error", "token_invalid").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_token_expires_after_fifteen_minutes() {
    let clock = paygate_core::clock::OffsetClock::new();
    let app = spawn_app_with_clock(clock.clone()).await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "ada@example.com", "viewer").await;
    let signed_in = login(&app, "ada@example.com", PASSWORD).await;
    let access = signed_in["accessToken"].as_str().unwrap();
    clock.advance(14 * 60 * 1_000_000);
    assert_eq!(get(&app, "/auth/me", access).await.status(), 200);
    clock.advance(2 * 60 * 1_000_000);
    assert_error(get(&app, "/auth/me", access).await, 401, "authentication_error", "token_invalid").await;
    // The refresh token still works and gives a fresh one.
    let rotated: Value = post(&app, "/auth/refresh", None, json!({"refreshToken": signed_in["refreshToken"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(get(&app, "/auth/me", rotated["accessToken"].as_str().unwrap()).await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_factor_enrolment_login_reuse_and_recovery_codes() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "ada@example.com", "owner").await;
    let access = login(&app, "ada@example.com", PASSWORD).await["accessToken"].as_str().unwrap().to_owned();

    let setup: Value = post(&app, "/auth/totp/setup", Some(&access), json!({})).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["otpauthUrl"].as_str().unwrap().starts_with("otpauth://totp/Paygate:ada%40example.com?"));
    assert!(setup["qrCodeSvg"].as_str().unwrap().contains("<svg"));
    let wrong = post(&app, "/auth/totp/enable", Some(&access), json!({"code": "000000"})).await;
    assert_eq!(wrong.status(), 400);
    let now = now_seconds();
    let enabled: Value =
        post(&app, "/auth/totp/enable", Some(&access), json!({"code": totp(&secret, now)})).await.json().await.unwrap();
    let recovery: Vec<String> =
        enabled["recoveryCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);

    // The secret is sealed at rest, the recovery codes hashed.
    let core = paygate_core::open(&app.config.core_config(app.config.main_addr)).await.unwrap();
    let user = core.store.find_one("users", "email", &json!("ada@example.com")).await.unwrap().unwrap();
    let stored = user.body.to_string();
    assert!(!stored.contains(&secret), "TOTP secret stored in the clear");
    assert!(recovery.iter().all(|code| !stored.contains(code.as_str())), "recovery code stored in the clear");

    // Password alone is not enough now.
    let first = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(first["mfaRequired"], true);
    assert!(first.get("accessToken").is_none());
    let mfa_token = first["mfaToken"].as_str().unwrap().to_owned();
    let bad = post(&app, "/auth/mfa", None, json!({"mfaToken": mfa_token, "code": "123456"})).await;
    assert_error(bad, 401, "authentication_error", "invalid_credentials").await;
    // The next step's code (within the ±1 step window) signs in once.
    let code = totp(&secret, now + 30);
    let tokens: Value =
        post(&app, "/auth/mfa", None, json!({"mfaToken": mfa_token, "code": code})).await.json().await.unwrap();
    assert!(tokens["accessToken"].as_str().is_some(), "{tokens}");
    let second = login(&app, "ada@example.com", PASSWORD).await;
    let replay = post(&app, "/auth/mfa", None, json!({"mfaToken": second["mfaToken"], "code": code})).await;
    assert_error(replay, 401, "authentication_error", "invalid_credentials").await;
    // A recovery code works once.
    let with_recovery =
        post(&app, "/auth/mfa", None, json!({"mfaToken": second["mfaToken"], "code": recovery[0].to_uppercase()}))
            .await;
    assert_eq!(with_recovery.status(), 200);
    let third = login(&app, "ada@example.com", PASSWORD).await;
    let again = post(&app, "/auth/mfa", None, json!({"mfaToken": third["mfaToken"], "code": recovery[0]})).await;
    assert_error(again, 401, "authentication_error", "invalid_credentials").await;
    let tampered =
        post(&app, "/auth/mfa", None, json!({"mfaToken": "eyJhbGciOiJub25lIn0.e30.", "code": recovery[1]})).await;
    assert_error(tampered, 401, "authentication_error", "invalid_credentials").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_are_throttled_alike_for_known_and_unknown_emails() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "ada@example.com", "owner").await;
    for email in ["ada@example.com", "ghost@example.com"] {
        for _ in 0..5 {
            let response =
                post(&app, "/auth/login", None, json!({"email": email, "password": "wrong password!"})).await;
            assert_error(response, 401, "authentication_error", "invalid_credentials").await;
        }
        // The fifth failure locks the email for a second; an attempt
        // inside it is refused even with the right password.
        let locked = post(&app, "/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
        assert_error(locked, 429, "rate_limit_error", "login_throttled").await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await["user"]["role"], "owner");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_against_a_table_of_routes() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let checkout = app.checkout_with(&org, json!({"amount": 10000})).await;
    let checkout_id = checkout["id"].as_str().unwrap();
    assert_eq!(app.pay(checkout_id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    let txn = app.settled_status(checkout_id).await["transaction"]["id"].as_str().unwrap().to_owned();

    let roles = ["owner", "admin", "developer", "support", "viewer"];
    let mut tokens = Vec::new();
    for role in roles {
        let email = format!("{role}@example.com");
        add_user(&app, &org, &email, role).await;
        tokens.push(login(&app, &email, PASSWORD).await["accessToken"].as_str().unwrap().to_owned());
    }
    // (method, path, body, roles allowed)
    let table: Vec<(&str, String, Value, &[&str])> = vec![
        ("GET", "/transactions".into(), Value::Null, &roles),
        ("GET", "/users".into(), Value::Null, &roles),
        ("POST", format!("/transactions/{txn}/refunds"), json!({"amount": 100}), &["owner", "admin", "support"]),
        (
            "POST",
            "/api-keys".into(),
            json!({"name": "ci", "scopes": ["checkout:read"]}),
            &["owner", "admin", "developer"],
        ),
        ("POST", "/sites".into(), json!({"name": "Second shop"}), &["owner", "admin", "developer"]),
        (
            "POST",
            "/plans".into(),
            json!({"name": "Pro", "amount": 990, "currency": "EUR", "interval": "month"}),
            &["owner", "admin"],
        ),
        ("GET", "/audit-log".into(), Value::Null, &["owner", "admin"]),
    ];
    for (method, path, body, allowed) in &table {
        for (role, token) in roles.iter().zip(&tokens) {
            let url = format!("{}/api/v1{path}", app.admin);
            let request = match *method {
                "GET" => app.client.get(url),
                _ => app.client.post(url).json(body),
            };
            let response = request.bearer_auth(token).send().await.unwrap();
            let status = response.status();
            if allowed.contains(role) {
                assert!(status.is_success(), "{role} {method} {path}: {status} {}", response.text().await.unwrap());
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {path}");
                let error: Value = response.json().await.unwrap();
                assert_eq!(error["error"]["type"], "permission_error");
            }
        }
    }
    // A viewer refunding is refused and changes nothing.
    let transaction: Value = get(&app, &format!("/transactions/{txn}"), &tokens[4]).await.json().await.unwrap();
    assert_eq!(transaction["amountRefunded"], 300, "three refunds of 100: owner, admin, support");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invitations_team_changes_and_the_audit_log() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "owner@example.com", "owner").await;
    let owner = login(&app, "owner@example.com", PASSWORD).await["accessToken"].as_str().unwrap().to_owned();

    let invited = post(&app, "/users", Some(&owner), json!({"email": "grace@example.com", "role": "support"})).await;
    assert_eq!(invited.status(), 201);
    let invited: Value = invited.json().await.unwrap();
    assert_eq!(invited["status"], "invited");
    let url = invited["inviteUrl"].as_str().unwrap();
    let token = url.split_once("#token=").unwrap().1.to_owned();
    assert!(url.contains("/accept-invite#token=inv_"));
    // A retried invitation with its Idempotency-Key answers the same user,
    // without the link, and invites nobody twice.
    let keyed = |body: Value| {
        app.client
            .post(format!("{}/api/v1/users", app.admin))
            .bearer_auth(&owner)
            .header("idempotency-key", "invite-hopper")
            .json(&body)
            .send()
    };
    let first = keyed(json!({"email": "hopper@example.com", "role": "viewer"})).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert!(first["inviteUrl"].as_str().unwrap().contains("#token=inv_"));
    let replay = keyed(json!({"email": "hopper@example.com", "role": "viewer"})).await.unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);
    assert!(replay["inviteUrl"].is_null(), "the link is never stored");
    let other_body = keyed(json!({"email": "hopper@example.com", "role": "admin"})).await.unwrap();
    assert_eq!(other_body.status(), 422);
    let duplicate = post(&app, "/users", Some(&owner), json!({"email": "GRACE@example.com", "role": "viewer"})).await;
    assert_error(duplicate, 409, "invalid_request_error", "email_taken").await;
    let bad_role = post(&app, "/users", Some(&owner), json!({"email": "x@example.com", "role": "root"})).await;
    assert_error(bad_role, 400, "invalid_request_error", "role_invalid").await;

    // Not signed in before the password is set.
    let early = post(&app, "/auth/login", None, json!({"email": "grace@example.com", "password": PASSWORD})).await;
    assert_eq!(early.status(), 401);
    let short = post(&app, "/auth/invitations/accept", None, json!({"token": token, "password": "short"})).await;
    assert_error(short, 400, "invalid_request_error", "password_too_short").await;
    let accepted = post(&app, "/auth/invitations/accept", None, json!({"token": token, "password": PASSWORD})).await;
    assert_eq!(accepted.status(), 200);
    let again = post(&app, "/auth/invitations/accept", None, json!({"token": token, "password": PASSWORD})).await;
    assert_error(again, 401, "authentication_error", "invitation_invalid").await;
    let grace = login(&app, "grace@example.com", PASSWORD).await["accessToken"].as_str().unwrap().to_owned();
    // Support cannot manage the team, and an admin cannot touch owners.
    let refused = post(&app, "/users", Some(&grace), json!({"email": "y@example.com", "role": "viewer"})).await;
    assert_eq!(refused.status(), 403);
    let grace_id = invited["id"].as_str().unwrap();
    let promoted = app
        .client
        .patch(format!("{}/api/v1/users/{grace_id}", app.admin))
        .bearer_auth(&owner)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), 200);
    let users: Value = get(&app, "/users", &grace).await.json().await.unwrap();
    let owner_id = users["data"].as_array().unwrap().iter().find(|u| u["role"] == "owner").unwrap()["id"].clone();
    let demote = app
        .client
        .patch(format!("{}/api/v1/users/{}", app.admin, owner_id.as_str().unwrap()))
        .bearer_auth(&grace)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_error(demote, 403, "permission_error", "owner_required").await;
    let last_owner = app
        .client
        .delete(format!("{}/api/v1/users/{}", app.admin, owner_id.as_str().unwrap()))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_error(last_owner, 409, "invalid_request_error", "last_owner").await;

    // A change by an API key is recorded too.
    let site = app
        .client
        .post(format!("{}/api/v1/sites", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"name": "Key-made shop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(site.status(), 201);
    let site: Value = site.json().await.unwrap();

    // Removing a user ends their sessions.
    let removed =
        app.client.delete(format!("{}/api/v1/users/{grace_id}", app.admin)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_error(get(&app, "/auth/me", &grace).await, 401, "authentication_error", "token_invalid").await;

    let log: Value = get(&app, "/audit-log?limit=100", &owner).await.json().await.unwrap();
    let entries = log["data"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        &actions[..4],
        ["user.remove", "site.create", "user.role_change", "session.login"],
        "newest first: {actions:?}"
    );
    assert!(actions.contains(&"user.invite"));
    let by_key = &entries[1];
    assert_eq!(by_key["actor"]["type"], "api_key");
    assert_eq!(by_key["objectId"], site["id"]);
    assert_eq!(by_key["ip"], "127.0.0.1");
    let removal = &entries[0];
    assert_eq!(removal["actor"]["type"], "user");
    assert_eq!(removal["actor"]["email"], "owner@example.com");
    assert_eq!(removal["objectId"], grace_id);
    assert!(removal["createdAt"].as_str().is_some());
    // Pages.
    let first: Value = get(&app, "/audit-log?limit=2", &owner).await.json().await.unwrap();
    assert_eq!(first["hasMore"], true);
    let next: Value =
        get(&app, &format!("/audit-log?limit=2&startingAfter={}", first["data"][1]["id"].as_str().unwrap()), &owner)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(next["data"][0]["id"], entries[2]["id"]);
    // Another organization sees none of it.
    let other = app.bootstrap().await;
    let theirs: Value = get(&app, "/audit-log", &other.api_key).await.json().await.unwrap();
    assert!(theirs["data"].as_array().unwrap().iter().all(|e| e["objectId"] != site["id"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_can_require_two_factor_and_browsers_keep_the_refresh_token_in_a_cookie() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    add_user(&app, &org, "owner@example.com", "owner").await;
    add_user(&app, &org, "admin@example.com", "admin").await;
    let owner = login(&app, "owner@example.com", PASSWORD).await["accessToken"].as_str().unwrap().to_owned();
    let admin = login(&app, "admin@example.com", PASSWORD).await["accessToken"].as_str().unwrap().to_owned();
    let patch = |token: &str| {
        app.client
            .patch(format!("{}/api/v1/organization", app.admin))
            .bearer_auth(token)
            .json(&json!({"requireTwoFactor": true}))
            .send()
    };
    assert_error(patch(&admin).await.unwrap(), 403, "permission_error", "owner_required").await;
    assert_eq!(patch(&owner).await.unwrap().status(), 200);

    // The admin's next session can only set up two-factor.
    let response = post(
        &app,
        "/auth/login",
        None,
        json!({"email": "admin@example.com", "password": PASSWORD, "refreshCookie": true}),
    )
    .await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    for attribute in ["paygate_refresh=rt_", "HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refreshToken").is_none(), "the cookie carries it");
    let enrolling = body["accessToken"].as_str().unwrap().to_owned();
    let me: Value = get(&app, "/auth/me", &enrolling).await.json().await.unwrap();
    assert_eq!(me["twoFactorEnrollmentRequired"], true);
    assert_error(
        get(&app, "/transactions", &enrolling).await,
        403,
        "permission_error",
        "two_factor_enrollment_required",
    )
    .await;
    let setup: Value = post(&app, "/auth/totp/setup", Some(&enrolling), json!({})).await.json().await.unwrap();
    let code = totp(setup["secret"].as_str().unwrap(), now_seconds());
    assert_eq!(post(&app, "/auth/totp/enable", Some(&enrolling), json!({"code": code})).await.status(), 200);
    assert_eq!(get(&app, "/transactions", &enrolling).await.status(), 200, "set up: the session is a full one");
    // Turning it off is refused while the organization requires it.
    let off = post(&app, "/auth/totp/disable", Some(&enrolling), json!({"code": code})).await;
    assert_error(off, 403, "permission_error", "two_factor_required").await;

    // The cookie refreshes (and rotates) without the token in any body.
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();
    let refreshed = app
        .client
        .post(format!("{}/api/v1/auth/refresh", app.admin))
        .header("cookie", &cookie_pair)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let rotated = refreshed.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(rotated.starts_with("paygate_refresh=rt_") && !rotated.starts_with(&cookie_pair));

    // Paygate-Mode picks the mode of a user's calls.
    let live = app
        .client
        .get(format!("{}/api/v1/auth/me", app.admin))
        .bearer_auth(&owner)
        .header("paygate-mode", "live")
        .send()
        .await
        .unwrap();
    assert_eq!(live.json::<Value>().await.unwrap()["livemode"], true);
    let bad = app
        .client
        .get(format!("{}/api/v1/transactions", app.admin))
        .bearer_auth(&owner)
        .header("paygate-mode", "staging")
        .send()
        .await
        .unwrap();
    assert_error(bad, 400, "invalid_request_error", "mode_invalid").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_command_creates_a_user_with_a_set_password_link() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let created =
        paygate::create_user(&app.config, &org.organization_id, "ops@example.com", "admin", "Ops", None).await.unwrap();
    let url = created.set_password_url.unwrap();
    let token = url.split_once("#token=").unwrap().1;
    let accepted = post(&app, "/auth/invitations/accept", None, json!({"token": token, "password": PASSWORD})).await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(login(&app, "ops@example.com", PASSWORD).await["user"]["role"], "admin");
    assert!(
        paygate::create_user(&app.config, "org_0000000000000000000000", "x@example.com", "owner", "", None)
            .await
            .is_err()
    );
    assert!(paygate::create_user(&app.config, &org.organization_id, "y@example.com", "root", "", None).await.is_err());
    app.stop().await;
}

#[tokio::test]
async fn a_created_checkout_is_audited_once_and_a_replay_again() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let create = |key: &'static str, body: Value| {
        app.client
            .post(format!("{}/api/v1/checkouts/{}/create", app.admin, org.site_id))
            .bearer_auth(&org.api_key)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({"amount": 1999, "currency": "EUR", "description": "Audited order"});
    let created = create("audit-once", body.clone()).await.unwrap();
    assert_eq!(created.status(), 201);
    let checkout: Value = created.json().await.unwrap();
    let refused = create("audit-refused", json!({"amount": -1, "currency": "EUR"})).await.unwrap();
    assert_eq!(refused.status(), 400);

    let entries_for = |log: &Value| -> Vec<Value> {
        log["data"].as_array().unwrap().iter().filter(|e| e["objectId"] == checkout["id"]).cloned().collect()
    };
    let log: Value = get(&app, "/audit-log?limit=100", &org.api_key).await.json().await.unwrap();
    let entries = entries_for(&log);
    assert_eq!(entries.len(), 1, "one entry, written with the checkout: {log}");
    assert_eq!(entries[0]["action"], "checkout.create");
    assert_eq!(entries[0]["actor"]["type"], "api_key");
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    let creates = log["data"].as_array().unwrap().iter().filter(|e| e["action"] == "checkout.create").count();
    assert_eq!(creates, 1, "the refused request left no entry");

    let replay = create("audit-once", body).await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let log: Value = get(&app, "/audit-log?limit=100", &org.api_key).await.json().await.unwrap();
    assert_eq!(entries_for(&log).len(), 2, "the replay is audited too: {log}");
    app.stop().await;
}

/// The audit log's `ip` of a checkout created with the given headers.
async fn audited_ip(app: &TestApp, org: &paygate::Bootstrap, headers: &[(&str, &str)]) -> Value {
    let mut request = app
        .client
        .post(format!("{}/api/v1/checkouts/{}/create", app.admin, org.site_id))
        .bearer_auth(&org.api_key)
        .json(&json!({"amount": 500, "currency": "EUR", "description": "Attributed"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let created = request.send().await.unwrap();
    assert_eq!(created.status(), 201);
    let checkout: Value = created.json().await.unwrap();
    let log: Value = get(app, "/audit-log?limit=100", &org.api_key).await.json().await.unwrap();
    let entry = log["data"].as_array().unwrap().iter().find(|e| e["objectId"] == checkout["id"]).cloned();
    entry.expect("the create is audited")["ip"].clone()
}

#[tokio::test]
async fn the_audit_log_names_the_client_behind_a_trusted_proxy_only() {
    let forged = [("x-paygate-client-ip", "203.0.113.9"), ("x-forwarded-for", "198.51.100.7")];

    // Nobody trusted: the peer, whatever the request claims.
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    assert_eq!(audited_ip(&app, &org, &forged).await, "127.0.0.1");
    app.stop().await;

    // Loopback trusted as a proxy: the right-most forwarded address that is
    // not a trusted proxy; a client's own claim further left is ignored.
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_TRUSTED_PROXIES".into(), "127.0.0.0/8, ::1".into());
    })
    .await;
    let org = app.bootstrap().await;
    assert_eq!(audited_ip(&app, &org, &forged).await, "198.51.100.7");
    let chained = [("x-forwarded-for", "203.0.113.9, 198.51.100.8, 127.0.0.5")];
    assert_eq!(audited_ip(&app, &org, &chained).await, "198.51.100.8");
    assert_eq!(audited_ip(&app, &org, &[]).await, "127.0.0.1", "no forwarded address: the proxy itself");
    app.stop().await;
}
