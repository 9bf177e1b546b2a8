//! Test mode and live mode: a `sk_test_` key sees and touches only test
//! objects, a `sk_live_` key only live ones; the other mode's ids answer
//! exactly like unknown ones.

use paygate_core::domain::api_keys::{KeyMode, scopes};
use serde_json::{Value, json};

use crate::helpers::*;

/// A key of `mode` with every scope, minted by the operator.
async fn key(app: &TestApp, organization_id: &str, mode: KeyMode) -> String {
    let all: Vec<String> = scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (_, secret) =
        app.operator_core().await.create_api_key(organization_id, "all scopes", mode, &all).await.unwrap();
    secret.expose().to_owned()
}

/// One object of every kind in one mode: a site, a paid checkout (with its
/// transaction, invoice, refund, credit note and IPN deliveries) and a tax
/// rule.
struct Objects {
    key: String,
    livemode: bool,
    ids: Vec<(&'static str, String)>,
}

impl Objects {
    fn id(&self, kind: &str) -> &str {
        &self.ids.iter().find(|(k, _)| *k == kind).unwrap().1
    }
}

async fn objects(app: &TestApp, key: &str, site_id: &str, livemode: bool, receiver: &IpnReceiver) -> Objects {
    let response =
        app.admin_post(key, "/api/v1/tax-rules", &json!({"country": "DE", "rateBps": 1900, "name": "VAT"})).await;
    assert_eq!(response.status(), 201);
    let rule: Value = response.json().await.unwrap();
    let body = json!({"amount": 11900, "currency": "EUR", "ipnUrl": receiver.url,
                      "customer": {"address": {"country": "DE"}}});
    let response = app.create_checkout(key, site_id, &body).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();
    // Live mode charges through a live Stripe account (the stand-in).
    let card = if livemode { "pm_card_visa" } else { "tok_visa" };
    let paid: Value = app.pay(&checkout_id, &json!({"paymentMethod": card})).await.json().await.unwrap();
    let txn_id = paid["transactionId"].as_str().unwrap().to_owned();
    app.settled_status(&checkout_id).await;
    let response =
        app.admin_post(key, &format!("/api/v1/transactions/{txn_id}/refunds"), &json!({"amount": 100})).await;
    assert_eq!(response.status(), 201);
    let note_id = eventually(20, "a credit note", || async {
        let list: Value =
            app.admin_get(key, &format!("/api/v1/credit-notes?transactionId={txn_id}")).await.json().await.ok()?;
        list["data"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let txn: Value = app.admin_get(key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.unwrap();
    let event_id = eventually(20, "an IPN delivery", || async {
        let list: Value = app.admin_get(key, "/api/v1/ipn-deliveries").await.json().await.ok()?;
        list["data"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    Objects {
        key: key.to_owned(),
        livemode,
        ids: vec![
            ("sites", site_id.to_owned()),
            ("checkouts", checkout_id),
            ("transactions", txn_id),
            ("invoices", txn["invoiceId"].as_str().unwrap().to_owned()),
            ("credit-notes", note_id),
            ("tax-rules", rule["id"].as_str().unwrap().to_owned()),
            ("ipn-deliveries", event_id),
        ],
    }
}

/// `id` with its last character changed: well formed, but nobody's.
fn unknown(id: &str) -> String {
    let last = if id.ends_with('x') { 'y' } else { 'x' };
    format!("{}{last}", &id[..id.len() - 1])
}

/// Every item of a list, walking its pages.
async fn list_all(app: &TestApp, key: &str, route: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/{route}?limit=100{cursor}");
        let page: Value = app.admin_get(key, &path).await.json().await.unwrap();
        let data = page["data"].as_array().unwrap_or_else(|| panic!("{route}: {page}")).clone();
        cursor = data.last().map(|item| format!("&startingAfter={}", item["id"].as_str().unwrap())).unwrap_or_default();
        items.extend(data);
        if page["hasMore"] != true {
            return items;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_sees_and_touches_only_objects_of_its_own_mode() {
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_PROVIDER_ALLOW_PRIVATE".into(), "1".into());
    })
    .await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let live_key = key(&app, &org.organization_id, KeyMode::Live).await;
    let stripe = paygate_standins::stripe::StripeStandIn::start_with_key("sk_live_paygate_livemode_test").await;
    let provider: Value = app
        .admin_post(
            &live_key,
            "/api/v1/providers",
            &json!({"type": "stripe", "credentials": {"secretKey": stripe.secret_key()}, "apiBase": stripe.base_url()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response =
        app.admin_post(&live_key, "/api/v1/sites", &json!({"name": "Live shop", "providerId": provider["id"]})).await;
    assert_eq!(response.status(), 201);
    let live_site: Value = response.json().await.unwrap();
    assert_eq!(live_site["livemode"], true);
    let test_site: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/sites/{}", org.site_id)).await.json().await.unwrap();
    assert_eq!(test_site["livemode"], false);

    let test = objects(&app, &org.api_key, &org.site_id, false, &receiver).await;
    let live = objects(&app, &live_key, live_site["id"].as_str().unwrap(), true, &receiver).await;

    for (mine, theirs) in [(&test, &live), (&live, &test)] {
        // Every object of the key's own mode says so.
        for (kind, id) in &mine.ids {
            if *kind == "ipn-deliveries" {
                continue;
            }
            let response = app.admin_get(&mine.key, &format!("/api/v1/{kind}/{id}")).await;
            assert_eq!(response.status(), 200, "{kind} {id}");
            let object: Value = response.json().await.unwrap();
            assert_eq!(object["livemode"], mine.livemode, "{kind}: {object}");
            if *kind == "transactions" {
                assert!(object["refunds"].as_array().unwrap().iter().all(|r| r["livemode"] == mine.livemode));
            }
        }
        // The other mode's objects are exactly as unknown as made-up ids.
        for (kind, id) in &theirs.ids {
            if *kind == "ipn-deliveries" {
                continue;
            }
            let foreign = assert_error(
                app.admin_get(&mine.key, &format!("/api/v1/{kind}/{id}")).await,
                404,
                "invalid_request_error",
                "resource_missing",
            )
            .await;
            let made_up = assert_error(
                app.admin_get(&mine.key, &format!("/api/v1/{kind}/{}", unknown(id))).await,
                404,
                "invalid_request_error",
                "resource_missing",
            )
            .await;
            assert_eq!(foreign, made_up, "{kind}: the other mode's id answers like an unknown one");
        }
        // Nor can they be touched.
        for (path, body) in [
            (format!("/api/v1/transactions/{}/refunds", theirs.id("transactions")), json!({"amount": 100})),
            (format!("/api/v1/transactions/{}/capture", theirs.id("transactions")), json!({})),
            (format!("/api/v1/sites/{}/rotate-secret", theirs.id("sites")), json!({})),
            (format!("/api/v1/sites/{}/domains", theirs.id("sites")), json!({"domain": "pay.other.example"})),
            (format!("/api/v1/ipn-deliveries/{}/resend", theirs.id("ipn-deliveries")), json!({})),
        ] {
            let response = app.admin_post(&mine.key, &path, &body).await;
            assert_error(response, 404, "invalid_request_error", "resource_missing").await;
        }
        let response = app
            .client
            .delete(format!("{}/api/v1/tax-rules/{}", app.admin, theirs.id("tax-rules")))
            .bearer_auth(&mine.key)
            .send()
            .await
            .unwrap();
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
        // A checkout for a site of the other mode is a 404, like one for an
        // unknown site.
        let body = json!({"amount": 100, "currency": "EUR"});
        let foreign = assert_error(
            app.create_checkout(&mine.key, theirs.id("sites"), &body).await,
            404,
            "invalid_request_error",
            "resource_missing",
        )
        .await;
        let made_up = assert_error(
            app.create_checkout(&mine.key, &unknown(theirs.id("sites")), &body).await,
            404,
            "invalid_request_error",
            "resource_missing",
        )
        .await;
        assert_eq!(foreign, made_up);
        // Lists hold the key's own mode only, and a filter naming a site of
        // the other mode is a 404.
        for (kind, id) in &mine.ids {
            let items = list_all(&app, &mine.key, kind).await;
            assert!(items.iter().any(|item| item["id"] == id.as_str()), "{kind}: own {id} listed");
            assert!(items.iter().all(|item| item["livemode"] == mine.livemode), "{kind}: {items:?}");
            let their_id = theirs.id(kind);
            assert!(items.iter().all(|item| item["id"] != their_id), "{kind}: {their_id} listed");
        }
        for route in ["checkouts", "transactions", "invoices", "credit-notes", "ipn-deliveries"] {
            let path = format!("/api/v1/{route}?siteId={}", theirs.id("sites"));
            assert_error(app.admin_get(&mine.key, &path).await, 404, "invalid_request_error", "resource_missing").await;
        }
        // A cursor naming the other mode's object is as invalid as a made-up one.
        for (kind, id) in &theirs.ids {
            let list = |cursor: String| {
                let path = format!("/api/v1/{kind}?startingAfter={cursor}");
                let key = mine.key.clone();
                let app = &app;
                async move { app.admin_get(&key, &path).await }
            };
            let foreign = assert_error(list(id.clone()).await, 400, "invalid_request_error", "cursor_invalid").await;
            let made_up = assert_error(list(unknown(id)).await, 400, "invalid_request_error", "cursor_invalid").await;
            assert_eq!(foreign, made_up, "{kind}: a cursor of the other mode answers like an unknown one");
            assert_eq!(list(mine.id(kind).to_owned()).await.status(), 200, "{kind}: own cursor");
        }
    }

    // A sale is taxed by the rules of its own mode only.
    let response = app
        .admin_post(&org.api_key, "/api/v1/tax-rules", &json!({"country": "FR", "rateBps": 2000, "name": "TVA"}))
        .await;
    assert_eq!(response.status(), 201);
    let french = json!({"amount": 12000, "currency": "EUR", "customer": {"address": {"country": "FR"}}});
    for (key, site, rate) in [(&org.api_key, org.site_id.as_str(), 2000), (&live_key, live.id("sites"), 0)] {
        let checkout: Value = app.create_checkout(key, site, &french).await.json().await.unwrap();
        let public: Value = app
            .main_get(&format!("/api/v1/checkouts/{}", checkout["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(public["tax"]["rateBps"], rate, "{public}");
    }

    // Each mode numbers its own invoices and credit notes from 1.
    let year = chrono_like_year(&app, &test).await;
    for (objects, prefix) in [(&test, "TEST-"), (&live, "")] {
        let invoice: Value = app
            .admin_get(&objects.key, &format!("/api/v1/invoices/{}", objects.id("invoices")))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(invoice["sequence"], 1);
        assert_eq!(invoice["number"], format!("{prefix}INV-{year}-000001"));
        let note: Value = app
            .admin_get(&objects.key, &format!("/api/v1/credit-notes/{}", objects.id("credit-notes")))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(note["number"], format!("{prefix}CN-{year}-000001"));
        // Only a test document's PDF says it is one, on its face.
        for route in ["invoices", "credit-notes"] {
            let path = format!("/api/v1/{route}/{}/pdf", objects.id(route));
            let response = app.admin_get(&objects.key, &path).await;
            assert_eq!(response.status(), 200);
            let text = super::billing::pdf_text(&response.bytes().await.unwrap());
            assert_eq!(text.contains("TEST MODE · not a valid tax document"), !objects.livemode, "{text}");
            assert!(text.contains(&format!("{prefix}INV-{year}-000001")), "{text}");
        }
    }

    // IPNs carry the mode, on the event and on each object.
    for objects in [&test, &live] {
        let checkout_id = objects.id("checkouts");
        let events: Vec<Value> = eventually(20, "the refund IPN", || async {
            let events: Vec<Value> = receiver
                .all()
                .iter()
                .map(ReceivedIpn::json)
                .filter(|event| event["data"]["checkout"]["id"] == checkout_id)
                .collect();
            events.iter().any(|e| e["type"] == "transaction.refunded").then_some(events)
        })
        .await;
        for event in events {
            assert_eq!(event["livemode"], objects.livemode, "{event}");
            assert_eq!(event["data"]["checkout"]["livemode"], objects.livemode, "{event}");
            assert_eq!(event["data"]["transaction"]["livemode"], objects.livemode, "{event}");
        }
    }

    // The public checkout says its mode; only a test checkout's page says
    // "Test mode".
    for objects in [&test, &live] {
        let id = objects.id("checkouts");
        let public: Value = app.main_get(&format!("/api/v1/checkouts/{id}")).await.json().await.unwrap();
        assert_eq!(public["livemode"], objects.livemode, "{public}");
        let page = app.main_get(&format!("/checkout/{id}")).await.text().await.unwrap();
        assert_eq!(page.contains("<strong class=\"test-badge\">Test mode</strong>"), !objects.livemode);
    }
    app.stop().await;
}

/// The year invoice numbers carry, read from the test invoice's issue date.
async fn chrono_like_year(app: &TestApp, test: &Objects) -> String {
    let invoice: Value =
        app.admin_get(&test.key, &format!("/api/v1/invoices/{}", test.id("invoices"))).await.json().await.unwrap();
    invoice["issuedAt"].as_str().unwrap()[..4].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_kept_apart_by_mode_and_a_test_key_never_mints_a_live_one() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let live_key = key(&app, &org.organization_id, KeyMode::Live).await;

    let live_request = json!({"name": "live", "mode": "live", "scopes": ["checkout:read"]});
    let response = app.admin_post(&org.api_key, "/api/v1/api-keys", &live_request).await;
    assert_error(response, 403, "permission_error", "live_mode_forbidden").await;
    // Nor through an idempotency key a live key used first.
    let response = app.admin_post_keyed(&live_key, "/api/v1/api-keys", "same-key", &live_request).await;
    assert_eq!(response.status(), 201);
    let minted: Value = response.json().await.unwrap();
    assert_eq!((minted["mode"].as_str(), minted["livemode"].as_bool()), (Some("live"), Some(true)));
    let response = app.admin_post_keyed(&org.api_key, "/api/v1/api-keys", "same-key", &live_request).await;
    assert_error(response, 403, "permission_error", "live_mode_forbidden").await;

    let test_request = json!({"name": "test", "scopes": ["checkout:read"]});
    let test_minted: Value =
        app.admin_post(&org.api_key, "/api/v1/api-keys", &test_request).await.json().await.unwrap();
    assert_eq!(test_minted["livemode"], false);

    let test_keys = list_all(&app, &org.api_key, "api-keys").await;
    let live_keys = list_all(&app, &live_key, "api-keys").await;
    assert!(test_keys.iter().all(|k| k["mode"] == "test" && k["livemode"] == false), "{test_keys:?}");
    assert!(live_keys.iter().all(|k| k["mode"] == "live" && k["livemode"] == true), "{live_keys:?}");
    assert_eq!(test_keys.len(), 2, "the bootstrap key and the one it minted");
    assert_eq!(live_keys.len(), 2, "the operator's live key and the one it minted");

    // Revoking a key of the other mode answers like an unknown key.
    for (key, other) in [(&org.api_key, &minted), (&live_key, &test_minted)] {
        let id = other["id"].as_str().unwrap();
        let revoke = |id: String| {
            let key = key.clone();
            let app = &app;
            async move { app.admin_post(&key, &format!("/api/v1/api-keys/{id}/revoke"), &json!({})).await }
        };
        let foreign = assert_error(revoke(id.to_owned()).await, 404, "invalid_request_error", "resource_missing").await;
        let made_up = assert_error(revoke(unknown(id)).await, 404, "invalid_request_error", "resource_missing").await;
        assert_eq!(foreign, made_up);
    }
    assert_eq!(app.admin_get(minted["secret"].as_str().unwrap(), "/api/v1/checkouts").await.status(), 200);
    assert_eq!(app.admin_get(test_minted["secret"].as_str().unwrap(), "/api/v1/checkouts").await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_stored_before_modes_existed_are_test_objects() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let test = objects(&app, &org.api_key, &org.site_id, false, &receiver).await;
    let live_key = key(&app, &org.organization_id, KeyMode::Live).await;

    // Every stored object as versions before modes wrote it: no `livemode`.
    let core = app.operator_core().await;
    let collections = [
        ("sites", "sites"),
        ("checkouts", "checkouts"),
        ("transactions", "transactions"),
        ("invoices", "invoices"),
        ("credit-notes", "credit_notes"),
        ("tax-rules", "tax_rules"),
        ("ipn-deliveries", "ipn_deliveries"),
    ];
    let strip = |collection: &'static str, id: String| {
        let core = core.clone();
        async move {
            let document = core.store.get(collection, &id).await.unwrap().unwrap();
            let mut body = document.body.clone();
            assert!(body.as_object_mut().unwrap().remove("livemode").is_some(), "{collection} {id}");
            core.store.compare_and_swap(collection, &id, document.version, body).await.unwrap();
        }
    };
    for (kind, collection) in collections {
        strip(collection, test.id(kind).to_owned()).await;
    }
    let first_page = paygate_core::store::Page { limit: 10, starting_after: None };
    let keys = core.store.find("api_keys", &Vec::new(), &first_page).await.unwrap().data;
    assert_eq!(keys.len(), 2);
    for document in keys {
        strip("api_keys", document.id).await;
    }
    assert!(core.store.delete("migrations", "mig_livemode").await.unwrap(), "the migration ran at start-up");

    // Read by id they are test objects already…
    for (kind, id) in &test.ids {
        if *kind == "ipn-deliveries" {
            continue;
        }
        let object: Value = app.admin_get(&org.api_key, &format!("/api/v1/{kind}/{id}")).await.json().await.unwrap();
        assert_eq!(object["livemode"], false, "{kind}: {object}");
        let response = app.admin_get(&live_key, &format!("/api/v1/{kind}/{id}")).await;
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    }

    // …and after start-up's migration every list finds them where they belong.
    let _restarted = app.operator_core().await;
    for (kind, id) in &test.ids {
        let items = list_all(&app, &org.api_key, kind).await;
        assert!(items.iter().any(|item| item["id"] == id.as_str()), "{kind}: {id} listed for test");
        let items = list_all(&app, &live_key, kind).await;
        assert!(items.iter().all(|item| item["id"] != id.as_str()), "{kind}: {id} listed for live");
    }
    let test_keys = list_all(&app, &org.api_key, "api-keys").await;
    let live_keys = list_all(&app, &live_key, "api-keys").await;
    assert_eq!((test_keys.len(), live_keys.len()), (1, 1), "keys keep the mode they always had");
    assert_eq!(live_keys[0]["mode"], "live");
    app.stop().await;
}
