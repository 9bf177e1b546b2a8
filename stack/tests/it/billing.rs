//! Tax rules, tax on transactions, reverse charge, VAT checks, invoices,
//! credit notes and their PDFs.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::helpers::*;

/// A local VIES answering as its REST API documents: FR40303265045 is
/// registered, anything else is not; `MS_UNAVAILABLE` for Germany.
async fn fake_vies() -> (String, Arc<Mutex<usize>>, tokio::task::JoinHandle<()>) {
    let calls = Arc::new(Mutex::new(0usize));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/check-vat-number",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                let country = body["countryCode"].as_str().unwrap_or_default().to_owned();
                let number = body["vatNumber"].as_str().unwrap_or_default().to_owned();
                if country == "DE" {
                    return axum::Json(json!({
                        "actionSucceed": false,
                        "errorWrappers": [{"error": "MS_UNAVAILABLE", "message": "member state unavailable"}]
                    }));
                }
                axum::Json(json!({
                    "countryCode": country,
                    "vatNumber": number,
                    "requestDate": "2026-11-21T10:00:00.000Z",
                    "valid": country == "FR" && number == "40303265045",
                    "requestIdentifier": "",
                    "name": "ACME SARL",
                    "address": "1 RUE DE LA PAIX\n75002 PARIS",
                    "traderName": "---",
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, calls, server)
}

async fn seller_setup(app: &TestApp, org: &paygate::Bootstrap) {
    let response = app
        .client
        .patch(format!("{}/api/v1/organization", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({
            "legalName": "Acme Software GmbH",
            "sellerCountry": "DE",
            "vatId": "DE 136 695 976",
            "address": {"country": "DE", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["vatId"], "DE136695976", "normalised");
    let seeded: Value =
        app.admin_post(&org.api_key, "/api/v1/tax-rules/seed-eu", &json!({})).await.json().await.unwrap();
    assert_eq!(seeded["data"].as_array().unwrap().len(), 27);
}

async fn pay_and_settle(app: &TestApp, org: &paygate::Bootstrap, body: Value) -> (Value, Value) {
    let response = app.create_checkout(&org.api_key, &org.site_id, &body).await;
    assert_eq!(response.status(), 201);
    let checkout: Value = response.json().await.unwrap();
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    assert_eq!(app.settled_status(id).await["transaction"]["status"], "succeeded");
    let txn_id = accepted["transactionId"].as_str().unwrap();
    let txn = eventually(10, "the invoice", || async {
        let txn: Value =
            app.admin_get(&org.api_key, &format!("/api/v1/transactions/{txn_id}")).await.json().await.ok()?;
        txn["invoiceId"].is_string().then_some(txn)
    })
    .await;
    (checkout, txn)
}

pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn tax_rules_crud_validation_and_seed() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/tax-rules",
            &json!({"country": "de", "rateBps": 700, "name": "DE reduced", "validFrom": "2026-01-01"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let rule: Value = response.json().await.unwrap();
    assert_eq!(rule["country"], "DE");
    assert_eq!(rule["validFrom"], "2026-01-01");
    let id = rule["id"].as_str().unwrap();

    for (body, code, param) in [
        (json!({"country": "XX", "rateBps": 100, "name": "x"}), "country_invalid", "country"),
        (json!({"country": "DE", "rateBps": 10001, "name": "x"}), "rate_invalid", "rateBps"),
        (json!({"country": "DE", "rateBps": -1, "name": "x"}), "rate_invalid", "rateBps"),
        (json!({"country": "DE", "name": "x"}), "rate_invalid", "rateBps"),
        (json!({"country": "DE", "rateBps": 100}), "parameter_missing", "name"),
        (json!({"country": "DE", "rateBps": 100, "name": "x", "validFrom": "01/02/2026"}), "date_invalid", "validFrom"),
        (json!({"country": "DE", "rateBps": 19.5, "name": "x"}), "parameter_invalid", "rateBps"),
        (
            json!({"country": "DE", "rateBps": 100, "name": "x", "siteId": "site_0000000000000000000000"}),
            "resource_missing",
            "",
        ),
    ] {
        let response = app.admin_post(&org.api_key, "/api/v1/tax-rules", &body).await;
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{body}");
        if param.is_empty() {
            assert_eq!(status, 404);
        } else {
            assert_eq!(status, 400);
            assert_eq!(error["error"]["param"], param, "{body}");
        }
    }

    let updated: Value = app
        .client
        .put(format!("{}/api/v1/tax-rules/{id}", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"country": "DE", "rateBps": 1900, "name": "DE standard", "validFrom": "2026-01-01"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["rateBps"], 1900);

    // Seeding is idempotent and carries the 27 standard rates.
    app.admin_post(&org.api_key, "/api/v1/tax-rules/seed-eu", &json!({})).await;
    let seeded: Value =
        app.admin_post(&org.api_key, "/api/v1/tax-rules/seed-eu", &json!({})).await.json().await.unwrap();
    let rates: std::collections::BTreeMap<String, u64> = seeded["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["country"].as_str().unwrap().to_owned(), r["rateBps"].as_u64().unwrap()))
        .collect();
    assert_eq!(rates.len(), 27);
    assert_eq!(rates["FI"], 2550);
    assert_eq!(rates["HU"], 2700);
    assert_eq!(rates["LU"], 1700);
    assert_eq!(rates["GR"], 2400);
    let all: Value = app.admin_get(&org.api_key, "/api/v1/tax-rules?limit=100").await.json().await.unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 28, "27 seeded once + 1 own");
    let german: Value = app.admin_get(&org.api_key, "/api/v1/tax-rules?country=DE").await.json().await.unwrap();
    assert_eq!(german["data"].as_array().unwrap().len(), 2);

    // Another organization cannot see, change or delete it.
    let other = app.bootstrap().await;
    let response = app.admin_get(&other.api_key, &format!("/api/v1/tax-rules/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app
        .client
        .delete(format!("{}/api/v1/tax-rules/{id}", app.admin))
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;

    let response = app
        .client
        .delete(format!("{}/api/v1/tax-rules/{id}", app.admin))
        .bearer_auth(&org.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app.admin_get(&org.api_key, &format!("/api/v1/tax-rules/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_carry_tax_per_line_and_the_payer_sees_a_preview() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    seller_setup(&app, &org).await;
    // A site-specific rule beats the organization-wide one.
    let response = app
        .admin_post(
            &org.api_key,
            "/api/v1/tax-rules",
            &json!({"siteId": org.site_id, "country": "AT", "rateBps": 1300, "name": "AT for this site"}),
        )
        .await;
    assert_eq!(response.status(), 201);

    let body = json!({
        "amount": 10001, "currency": "EUR",
        "customer": {"email": "b@example.com", "name": "Bea", "address": {"country": "FR", "city": "Paris"}},
        "lineItems": [{"name": "Widget", "quantity": 3, "amount": 3333}, {"name": "Sticker", "quantity": 2, "amount": 1}]
    });
    let checkout: Value = app.create_checkout(&org.api_key, &org.site_id, &body).await.json().await.unwrap();
    let preview: Value =
        app.main_get(&format!("/api/v1/checkouts/{}", checkout["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(preview["tax"]["country"], "FR");
    assert_eq!(preview["tax"]["rateBps"], 2000);
    // Per line: 9999 → 8333 + 1666; 2 → 2 + 0 (2/1.2 = 1.67 → 2). Sum 8335 + 1666.
    assert_eq!(preview["tax"]["netAmount"], 8335);
    assert_eq!(preview["tax"]["taxAmount"], 1666);
    assert_eq!(preview["tax"]["reverseCharge"], false);

    let (_, txn) = pay_and_settle(&app, &org, body).await;
    assert_eq!(txn["taxRateBps"], 2000);
    assert_eq!(txn["taxCountry"], "FR");
    assert_eq!(txn["netAmount"], 8335);
    assert_eq!(txn["taxAmount"], 1666);
    assert_eq!(txn["netAmount"].as_i64().unwrap() + txn["taxAmount"].as_i64().unwrap(), 10001);

    let invoice: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/invoices/{}", txn["invoiceId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    let lines = invoice["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let sum = |field: &str| lines.iter().map(|l| l["amounts"][field].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("gross"), invoice["totals"]["gross"].as_i64().unwrap());
    assert_eq!(sum("net"), invoice["totals"]["net"].as_i64().unwrap());
    assert_eq!(sum("tax"), invoice["totals"]["tax"].as_i64().unwrap());
    assert_eq!(invoice["totals"]["gross"], 10001);

    // The site rule for Austria applies to this site; JPY has no minor unit.
    let (_, txn) = pay_and_settle(
        &app,
        &org,
        json!({"amount": 1130, "currency": "JPY", "customer": {"address": {"country": "AT"}}}),
    )
    .await;
    assert_eq!(txn["taxRateBps"], 1300);
    assert_eq!(txn["netAmount"], 1000);
    assert_eq!(txn["taxAmount"], 130);

    // No billing country: domestic (the seller's country, DE 19 %).
    let (_, txn) = pay_and_settle(&app, &org, json!({"amount": 11900, "currency": "EUR"})).await;
    assert_eq!((txn["taxCountry"].as_str(), txn["taxRateBps"].as_u64()), (Some("DE"), Some(1900)));
    assert_eq!(txn["taxAmount"], 1900);

    // A country without a rule: 0 %.
    let (_, txn) = pay_and_settle(
        &app,
        &org,
        json!({"amount": 500, "currency": "USD", "customer": {"address": {"country": "US"}}}),
    )
    .await;
    assert_eq!((txn["taxRateBps"].as_u64(), txn["taxAmount"].as_i64()), (Some(0), Some(0)));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reverse_charge_for_a_confirmed_business_in_another_member_state() {
    let (vies, _, server) = fake_vies().await;
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_VIES_URL".into(), vies.clone());
    })
    .await;
    let org = app.bootstrap().await;
    seller_setup(&app, &org).await;
    let business = json!({
        "amount": 12000, "currency": "EUR",
        "customer": {"name": "ACME SARL", "vatId": "FR 40 303 265 045", "address": {"country": "FR", "line1": "1 rue de la Paix", "city": "Paris", "postalCode": "75002"}},
        "lineItems": [{"name": "Consulting", "quantity": 1, "amount": 12000}]
    });
    let checkout: Value = app.create_checkout(&org.api_key, &org.site_id, &business).await.json().await.unwrap();
    let preview: Value =
        app.main_get(&format!("/api/v1/checkouts/{}", checkout["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(preview["tax"]["reverseCharge"], true);
    assert_eq!(preview["tax"]["taxAmount"], 0);

    let (_, txn) = pay_and_settle(&app, &org, business.clone()).await;
    assert_eq!(txn["reverseCharge"], true);
    assert_eq!(
        (txn["taxRateBps"].as_u64(), txn["taxAmount"].as_i64(), txn["netAmount"].as_i64()),
        (Some(0), Some(0), Some(12000))
    );
    let invoice_id = txn["invoiceId"].as_str().unwrap();
    let invoice: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}")).await.json().await.unwrap();
    assert_eq!(invoice["reverseCharge"], true);
    assert!(invoice["notes"][0].as_str().unwrap().contains("Reverse charge"));
    assert_eq!(invoice["buyer"]["vatId"], "FR40303265045");
    assert_eq!(invoice["seller"]["vatId"], "DE136695976");

    // An ID VIES cannot confirm (member state down) is charged VAT.
    let mut unverified = business.clone();
    unverified["customer"]["vatId"] = json!("DE136695976");
    unverified["customer"]["address"]["country"] = json!("FR");
    let (_, txn) = pay_and_settle(&app, &org, unverified).await;
    assert_eq!((txn["reverseCharge"].as_bool(), txn["taxRateBps"].as_u64()), (Some(false), Some(2000)));
    // A domestic business is charged VAT too.
    let mut domestic = business;
    domestic["customer"]["address"]["country"] = json!("DE");
    domestic["customer"]["vatId"] = json!("DE136695976");
    let (_, txn) = pay_and_settle(&app, &org, domestic).await;
    assert_eq!((txn["reverseCharge"].as_bool(), txn["taxRateBps"].as_u64()), (Some(false), Some(1900)));
    app.stop().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn vat_routes_on_the_main_edge() {
    let (vies, calls, server) = fake_vies().await;
    let app = spawn_app_with(|env| {
        env.insert("PAYGATE_VIES_URL".into(), vies.clone());
    })
    .await;
    let validate = |vat_id: Value| {
        app.client.post(format!("{}/api/v1/vat/validate", app.main)).json(&json!({"vatId": vat_id})).send()
    };
    let valid: Value = validate(json!("fr40.303.265.045")).await.unwrap().json().await.unwrap();
    assert_eq!(
        (valid["valid"].as_bool(), valid["status"].as_str(), valid["source"].as_str()),
        (Some(true), Some("valid"), Some("vies"))
    );
    assert_eq!((valid["countryCode"].as_str(), valid["vatNumber"].as_str()), (Some("FR"), Some("40303265045")));
    assert_eq!(valid["name"], "ACME SARL");
    assert!(valid["checkedAt"].is_string());
    let cached: Value = validate(json!("FR40303265045")).await.unwrap().json().await.unwrap();
    assert_eq!(cached["status"], "valid");
    assert_eq!(*calls.lock().unwrap(), 1, "valid answers are cached");

    let typo: Value = validate(json!("FR40303265046")).await.unwrap().json().await.unwrap();
    assert_eq!((typo["status"].as_str(), typo["source"].as_str()), (Some("invalid"), Some("format")));
    assert_eq!(*calls.lock().unwrap(), 1, "a checksum failure never reaches VIES");
    let greek: Value = validate(json!("GR094259216")).await.unwrap().json().await.unwrap();
    assert_eq!(greek["countryCode"], "EL");
    let down: Value = validate(json!("DE136695976")).await.unwrap().json().await.unwrap();
    assert_eq!((down["status"].as_str(), down["valid"].as_bool()), (Some("unverified"), Some(false)));
    assert_eq!(down["reason"], "MS_UNAVAILABLE");

    let response = validate(json!(12)).await.unwrap();
    assert_error(response, 400, "invalid_request_error", "parameter_invalid").await;
    let response = validate(json!("")).await.unwrap();
    assert_error(response, 400, "invalid_request_error", "vat_id_invalid").await;
    let response = app.client.post(format!("{}/api/v1/vat/validate", app.main)).body("DE1").send().await.unwrap();
    assert_error(response, 415, "invalid_request_error", "unsupported_media_type").await;

    for (code, member, iso, prefix) in [
        ("DE", true, "DE", json!("DE")),
        ("gr", true, "GR", json!("EL")),
        ("EL", true, "GR", json!("EL")),
        ("XI", true, "XI", json!("XI")),
        ("US", false, "US", Value::Null),
    ] {
        let body: Value = app.main_get(&format!("/api/v1/vat/eu-member/{code}")).await.json().await.unwrap();
        assert_eq!(body["euMember"], member, "{code}");
        assert_eq!(body["countryCode"], iso, "{code}");
        assert_eq!(body["vatPrefix"], prefix, "{code}");
    }
    for code in ["XX", "D1", "DEU"] {
        let response = app.main_get(&format!("/api/v1/vat/eu-member/{code}")).await;
        assert_error(response, 400, "invalid_request_error", "country_invalid").await;
    }
    app.stop().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_and_credit_notes_are_numbered_rendered_and_isolated() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    seller_setup(&app, &org).await;
    let year = chrono_year();
    let body = json!({
        "amount": 11900, "currency": "EUR",
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace", "vatId": "FR40303265045",
                     "address": {"country": "DE", "line1": "Gartenweg 2", "city": "Hamburg", "postalCode": "20095"}},
        "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}]
    });
    let (_, txn) = pay_and_settle(&app, &org, body.clone()).await;
    let invoice_id = txn["invoiceId"].as_str().unwrap().to_owned();
    let invoice: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}")).await.json().await.unwrap();
    assert_eq!(invoice["number"], format!("TEST-INV-{year}-000001"));
    assert_eq!(invoice["object"], "invoice");
    assert_eq!(invoice["transactionId"], txn["id"]);
    assert_eq!(invoice["seller"]["name"], "Acme Software GmbH");
    assert_eq!(invoice["buyer"]["name"], "Ada Lovelace");
    assert_eq!(invoice["totals"], json!({"gross": 11900, "net": 10000, "tax": 1900}));
    assert_eq!(invoice["taxBreakdown"][0]["taxRateBps"], 1900);

    // PDF: streamed as a named attachment, and the text is all there.
    let response = app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}/pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"TEST-INV-{year}-000001.pdf\"")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_text(&bytes);
    for needle in [
        &format!("TEST-INV-{year}-000001") as &str,
        "Acme Software GmbH",
        "Ada Lovelace",
        "DE136695976",
        "FR40303265045",
        "€119.00",
        "€100.00",
        "€19.00",
        "19%",
        "Date of supply:",
        "PAID",
        "Card",
        "Germany",
        "TEST MODE",
    ] {
        assert!(text.contains(needle), "{needle} missing from the invoice PDF:\n{text}");
    }

    // A custom prefix applies to the next invoice; the sequence goes on.
    let response = app
        .client
        .patch(format!("{}/api/v1/organization", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"invoicePrefix": "acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, second) = pay_and_settle(&app, &org, body).await;
    let second: Value = app
        .admin_get(&org.api_key, &format!("/api/v1/invoices/{}", second["invoiceId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["number"], format!("TEST-ACME-{year}-000002"));
    let response = app
        .client
        .patch(format!("{}/api/v1/organization", app.admin))
        .bearer_auth(&org.api_key)
        .json(&json!({"invoicePrefix": "no spaces!"}))
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_request_error", "prefix_invalid").await;

    // Refunds issue credit notes referencing the invoice, in their own sequence.
    for amount in [1190, 2380] {
        let response = app
            .admin_post(
                &org.api_key,
                &format!("/api/v1/transactions/{}/refunds", txn["id"].as_str().unwrap()),
                &json!({"amount": amount, "reason": "goodwill"}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let notes: Value = eventually(10, "two credit notes", || async {
        let notes: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/credit-notes?transactionId={}", txn["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .ok()?;
        (notes["data"].as_array()?.len() == 2).then_some(notes)
    })
    .await;
    let mut numbers: Vec<String> =
        notes["data"].as_array().unwrap().iter().map(|n| n["number"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    assert_eq!(numbers, [format!("TEST-CN-{year}-000001"), format!("TEST-CN-{year}-000002")]);
    let note = notes["data"].as_array().unwrap().iter().find(|n| n["totals"]["gross"] == 1190).unwrap().clone();
    assert_eq!(note["object"], "credit_note");
    assert_eq!(note["invoiceId"], invoice_id.as_str());
    assert_eq!(note["invoiceNumber"], format!("TEST-INV-{year}-000001"));
    assert_eq!(note["totals"], json!({"gross": 1190, "net": 1000, "tax": 190}));
    let pdf = app.admin_get(&org.api_key, &format!("/api/v1/credit-notes/{}/pdf", note["id"].as_str().unwrap())).await;
    assert_eq!(pdf.status(), 200);
    let text = pdf_text(&pdf.bytes().await.unwrap());
    for needle in [
        note["number"].as_str().unwrap(),
        &format!("Corrected invoice: TEST-INV-{year}-000001"),
        "€11.90",
        "Credit note",
        "REFUNDED",
    ] {
        assert!(text.contains(needle), "{needle} missing from the credit note PDF:\n{text}");
    }

    // Lists, and isolation.
    let list: Value = app.admin_get(&org.api_key, "/api/v1/invoices").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let other = app.bootstrap().await;
    for path in [
        format!("/api/v1/invoices/{invoice_id}"),
        format!("/api/v1/invoices/{invoice_id}/pdf"),
        format!("/api/v1/credit-notes/{}", note["id"].as_str().unwrap()),
    ] {
        let response = app.admin_get(&other.api_key, &path).await;
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    }
    let theirs: Value = app.admin_get(&other.api_key, "/api/v1/invoices").await.json().await.unwrap();
    assert_eq!(theirs["data"].as_array().unwrap().len(), 0);
    let response = app.admin_get(&org.api_key, "/api/v1/invoices/inv_0000000000000000000000").await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    app.stop().await;
}

const GERMAN_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

#[tokio::test(flavor = "multi_thread")]
async fn invoices_follow_the_customers_language_and_carry_the_sellers_details() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    seller_setup(&app, &org).await;
    let patch = |body: Value| {
        app.client.patch(format!("{}/api/v1/organization", app.admin)).bearer_auth(&org.api_key).json(&body).send()
    };
    for (body, param, code) in [
        (json!({"phone": "call me"}), "phone", "phone_invalid"),
        (json!({"website": "not a site"}), "website", "website_invalid"),
        (json!({"email": "billing@"}), "email", "email_invalid"),
        (json!({"registerCourt": "x".repeat(101)}), "registerCourt", "parameter_too_long"),
    ] {
        let response = patch(body).await.unwrap();
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["param"], param, "{error}");
        assert_eq!(error["error"]["code"], code, "{error}");
    }
    let response = patch(json!({
        "email": "billing@acme.example", "phone": "+49 30 1234567", "website": "acme.example",
        "registrationNumber": "HRB 123456", "registerCourt": "Amtsgericht Berlin-Charlottenburg"
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let organization: Value = response.json().await.unwrap();
    assert_eq!(organization["registrationNumber"], "HRB 123456");
    assert_eq!(organization["website"], "acme.example");

    // Customers choose their language; anything but en, de and fr is refused.
    let response = app.admin_post(&org.api_key, "/api/v1/customers", &json!({"name": "Kim", "language": "es"})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["param"], "language");
    let customer: Value =
        app.admin_post(&org.api_key, "/api/v1/customers", &json!({"name": "Kim"})).await.json().await.unwrap();
    assert_eq!(customer["language"], "en", "the default");
    let response = app
        .client
        .patch(format!("{}/api/v1/customers/{}", app.admin, customer["id"].as_str().unwrap()))
        .bearer_auth(&org.api_key)
        .json(&json!({"language": "FR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["language"], "fr");
    let refused = json!({"amount": 100, "currency": "EUR", "customer": {"name": "Kim", "language": "klingon"}});
    let response = app.create_checkout(&org.api_key, &org.site_id, &refused).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["param"], "customer.language");

    // A German customer's invoice is German: words, dates, numbers, countries.
    let body = json!({
        "amount": 146913, "currency": "EUR", "description": "Jahreslizenz Buchhaltung",
        "customer": {"name": "Jürgen Weiß", "email": "j@example.de", "language": "de",
                     "address": {"country": "DE", "line1": "Gartenweg 2", "city": "Hamburg", "postalCode": "20095"}}
    });
    let (checkout, txn) = pay_and_settle(&app, &org, body).await;
    assert_eq!(checkout["customer"]["language"], "de");
    let invoice_id = txn["invoiceId"].as_str().unwrap();
    let invoice: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}")).await.json().await.unwrap();
    assert_eq!((invoice["language"].as_str(), invoice["paymentMethod"].as_str()), (Some("de"), Some("card")));
    assert!(invoice["suppliedAt"].is_string() && invoice["paidAt"].is_string(), "{invoice}");
    let response = app.admin_get(&org.api_key, &format!("/api/v1/invoices/{invoice_id}/pdf")).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    eprintln!("German one-page invoice: {} bytes", bytes.len());
    assert!(bytes.len() < 100 * 1024, "{} bytes", bytes.len());
    let text = pdf_text(&bytes);
    for needle in [
        "Rechnung",
        &format!("Rechnungsnummer: {}", invoice["number"].as_str().unwrap()) as &str,
        "Rechnungsdatum: ",
        "Leistungsdatum: ",
        "BEZAHLT",
        "Karte",
        "Rechnungssteller",
        "Rechnungsempfänger",
        "Acme Software GmbH",
        "Jürgen Weiß",
        "20095 Hamburg",
        "Deutschland",
        "USt-IdNr.: DE136695976",
        "+49 30 1234567 · acme.example",
        "billing@acme.example",
        "Handelsregister: HRB 123456",
        "Amtsgericht Berlin-Charlottenburg",
        "USt-Satz",
        "Jahreslizenz Buchhaltung",
        "Einzelpreis",
        "1.234,56 €",
        "234,57 €",
        "1.469,13 €",
        "19 %",
        "Nettobetrag zu 19 %",
        "Gesamtbetrag",
        "TESTMODUS",
    ] {
        assert!(text.contains(needle), "{needle} missing from the German invoice:\n{text}");
    }
    assert!(GERMAN_MONTHS.iter().any(|month| text.contains(&format!(" {month} 20"))), "{text}");
    for english in ["Invoice", "Issue date", "PAID", "Germany", "€1", "Total"] {
        assert!(!text.contains(english), "{english} in the German invoice:\n{text}");
    }
    app.stop().await;
}

fn chrono_year() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Civil year from days since the epoch (Howard Hinnant's algorithm).
    let days = seconds.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_numbers_stay_gap_free_under_concurrency_and_crashes() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let total = 50;
    let mut checkouts = Vec::new();
    for n in 0..total {
        let created: Value = app
            .create_checkout(&org.api_key, &org.site_id, &json!({"amount": 100 + n, "currency": "EUR"}))
            .await
            .json()
            .await
            .unwrap();
        checkouts.push(created["id"].as_str().unwrap().to_owned());
    }
    let body = json!({"paymentMethod": "tok_visa"});
    let responses = futures::future::join_all(checkouts.iter().map(|id| app.pay(id, &body))).await;
    assert!(responses.iter().all(|r| r.status() == 202));
    for id in &checkouts {
        app.settled_status(id).await;
    }
    let sequences = |list: &Value| {
        let mut seqs: Vec<i64> =
            list["data"].as_array().unwrap().iter().map(|i| i["sequence"].as_i64().unwrap()).collect();
        seqs.sort();
        seqs
    };
    let list = eventually(60, "50 invoices", || async {
        let list: Value = app.admin_get(&org.api_key, "/api/v1/invoices?limit=100").await.json().await.ok()?;
        (list["data"].as_array()?.len() == total as usize).then_some(list)
    })
    .await;
    assert_eq!(sequences(&list), (1..=total).collect::<Vec<_>>(), "no gap, no duplicate");
    let numbers: std::collections::BTreeSet<_> =
        list["data"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers.len(), total as usize);

    // An issuer that died after taking number 51 but before advancing the
    // counter: the next invoice must take 52, not 51 again, and not skip.
    let core = app.operator_core().await;
    let first = core.store.get("invoices", list["data"][0]["id"].as_str().unwrap()).await.unwrap().unwrap();
    let mut orphan = first.body.clone();
    orphan["id"] = json!("inv_crashedissuer00000000");
    orphan["transactionId"] = json!("txn_crashedissuer00000000");
    orphan["sequence"] = json!(total + 1);
    orphan["number"] = json!(format!("INV-X-{:06}", total + 1));
    orphan["numberKey"] = json!(format!("{}:Invoice:{}", org.organization_id, total + 1));
    orphan.as_object_mut().unwrap().remove("version");
    core.store.insert("invoices", orphan).await.unwrap();
    let created: Value = app
        .create_checkout(&org.api_key, &org.site_id, &json!({"amount": 999, "currency": "EUR"}))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    app.pay(id, &body).await;
    app.settled_status(id).await;
    let list = eventually(20, "the next invoice", || async {
        let list: Value = app.admin_get(&org.api_key, "/api/v1/invoices?limit=100").await.json().await.ok()?;
        (list["data"].as_array()?.len() == total as usize + 2).then_some(list)
    })
    .await;
    assert_eq!(sequences(&list), (1..=total + 2).collect::<Vec<_>>());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_pdf_worker_is_a_503_and_the_invoice_is_unaffected() {
    // Core and the edges run apart; PAYGATE_PDF_URL names a port where
    // nothing listens.
    let data = tempfile::tempdir().unwrap();
    // Port 1 (tcpmux) is never served here: connections are refused. A
    // freed ephemeral port could be handed to one of this test's own
    // listeners.
    let mut env = test_env(data.path());
    env.insert("PAYGATE_PDF_URL".into(), "http://127.0.0.1:1".into());
    let config = paygate::StackConfig::from_env(&env).unwrap();
    let core = paygate::start(&config, paygate::Services::Core).await.unwrap();
    env.insert("PAYGATE_CORE_URL".into(), format!("http://{}", core.core_addr.unwrap()));
    let edges_config = paygate::StackConfig::from_env(&env).unwrap();
    let admin = paygate::start(&edges_config, paygate::Services::EdgeAdmin).await.unwrap();
    let main = paygate::start(&edges_config, paygate::Services::EdgeMain).await.unwrap();
    let admin_url = format!("http://{}", admin.admin_addr.unwrap());
    let main_url = format!("http://{}", main.main_addr.unwrap());
    let org = paygate::bootstrap(&config, "Acme", "Shop").await.unwrap();
    let client = reqwest::Client::new();
    let checkout: Value = client
        .post(format!("{admin_url}/api/v1/checkouts/{}/create", org.site_id))
        .bearer_auth(&org.api_key)
        .json(&json!({"amount": 500, "currency": "EUR"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = checkout["id"].as_str().unwrap();
    client
        .post(format!("{main_url}/api/v1/checkouts/{id}/pay"))
        .json(&json!({"paymentMethod": "tok_visa"}))
        .send()
        .await
        .unwrap();
    let invoices: Value = eventually(20, "the invoice", || async {
        let list: Value = client
            .get(format!("{admin_url}/api/v1/invoices"))
            .bearer_auth(&org.api_key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (list["data"].as_array()?.len() == 1).then_some(list)
    })
    .await;
    let invoice_id = invoices["data"][0]["id"].as_str().unwrap();
    let response = client
        .get(format!("{admin_url}/api/v1/invoices/{invoice_id}/pdf"))
        .bearer_auth(&org.api_key)
        .send()
        .await
        .unwrap();
    assert_error(response, 503, "api_error", "pdf_unavailable").await;
    let response =
        client.get(format!("{admin_url}/api/v1/invoices/{invoice_id}")).bearer_auth(&org.api_key).send().await.unwrap();
    assert_eq!(response.status(), 200, "the invoice itself is unaffected");
    for running in [admin, main, core] {
        running.shutdown().await.unwrap();
    }
}

/// Every credit note of a transaction, across pages.
async fn credit_notes_of(app: &TestApp, key: &str, txn_id: &str) -> Vec<Value> {
    let mut notes = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut path = format!("/api/v1/credit-notes?transactionId={txn_id}&limit=100");
        if !cursor.is_empty() {
            path.push_str(&format!("&startingAfter={cursor}"));
        }
        let page: Value = app.admin_get(key, &path).await.json().await.unwrap();
        let data = page["data"].as_array().unwrap().clone();
        cursor = data.last().map(|n| n["id"].as_str().unwrap().to_owned()).unwrap_or_default();
        notes.extend(data);
        if page["hasMore"] != true {
            return notes;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credit_notes_of_a_fully_refunded_invoice_add_up_to_it_exactly() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    seller_setup(&app, &org).await;
    // 1-cent refunds across a whole EUR invoice; uneven cuts of a JPY
    // (exponent 0) and a BHD (exponent 3) invoice, the last being the rest.
    let cases: [(&str, i64, Vec<i64>); 3] =
        [("EUR", 36, vec![1; 35]), ("JPY", 1070, vec![1, 1, 1, 7, 333]), ("BHD", 11_275, vec![1, 999, 1, 3])];
    for (currency, amount, cuts) in cases {
        let mut body = checkout_body();
        body["amount"] = json!(amount);
        body["currency"] = json!(currency);
        body["lineItems"] = json!([{"name": "Sticker", "quantity": 1, "amount": amount}]);
        body["customer"]["vatId"] = Value::Null;
        let (_, txn) = pay_and_settle(&app, &org, body).await;
        let txn_id = txn["id"].as_str().unwrap();
        assert_eq!(txn["taxRateBps"], 1900);
        let refunds = format!("/api/v1/transactions/{txn_id}/refunds");
        for cut in &cuts {
            let response = app.admin_post(&org.api_key, &refunds, &json!({"amount": cut})).await;
            assert_eq!(response.status(), 201, "{currency} {cut}");
        }
        let response = app.admin_post(&org.api_key, &refunds, &json!({})).await;
        assert_eq!(response.status(), 201, "{currency}: the rest");

        let invoice: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/invoices/{}", txn["invoiceId"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        let notes = credit_notes_of(&app, &org.api_key, txn_id).await;
        assert_eq!(notes.len(), cuts.len() + 1, "{currency}: one credit note per refund");
        for field in ["gross", "net", "tax"] {
            let sum: i64 = notes.iter().map(|n| n["totals"][field].as_i64().unwrap()).sum();
            assert_eq!(sum, invoice["totals"][field].as_i64().unwrap(), "{currency} {field}");
            for rate in invoice["taxBreakdown"].as_array().unwrap() {
                let sum: i64 = notes
                    .iter()
                    .flat_map(|n| n["taxBreakdown"].as_array().unwrap().iter())
                    .filter(|r| r["taxRateBps"] == rate["taxRateBps"])
                    .map(|r| r["amounts"][field].as_i64().unwrap())
                    .sum();
                assert_eq!(
                    sum,
                    rate["amounts"][field].as_i64().unwrap(),
                    "{currency} {field} at {}",
                    rate["taxRateBps"]
                );
            }
        }
        for note in &notes {
            let totals = &note["totals"];
            assert!(totals["tax"].as_i64().unwrap() >= 0 && totals["net"].as_i64().unwrap() >= 0, "{note}");
        }
    }
    app.stop().await;
}
