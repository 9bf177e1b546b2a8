//! What a support team's admin panel reads over the Admin API: filtered
//! transaction lists, CSV exports, a transaction's timeline, IPN deliveries
//! of one object and a period's summary.

use std::sync::Arc;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use paygate::Bootstrap;

use crate::helpers::*;

/// The query-string form of an RFC 3339 time (`+` would read as a space).
fn at(time: chrono::DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

struct Seeded {
    /// Newest last: EUR 1000 succeeded (Ada), EUR 5000 failed (Bob),
    /// USD 2500 succeeded (Ada, other case), EUR 3000 succeeded (no customer).
    ids: Vec<String>,
    /// A time between the first transaction and the second.
    between: chrono::DateTime<Utc>,
}

async fn paid(app: &TestApp, org: &Bootstrap, extra: Value, token: &str) -> String {
    let checkout = app.checkout_with(org, extra).await;
    let id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(id, &json!({"paymentMethod": token})).await.json().await.unwrap();
    app.settled_status(id).await;
    accepted["transactionId"].as_str().unwrap().to_owned()
}

async fn seed(app: &TestApp, org: &Bootstrap) -> Seeded {
    let t1 = paid(app, org, json!({"amount": 1000, "customer": {"email": "Ada@Example.com"}}), "tok_visa").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t2 =
        paid(app, org, json!({"amount": 5000, "customer": {"email": "bob@example.com"}}), "tok_chargeDeclined").await;
    let t3 = paid(
        app,
        org,
        json!({"amount": 2500, "currency": "USD", "customer": {"email": "ada@example.com"}}),
        "tok_visa",
    )
    .await;
    let t4 = paid(app, org, json!({"amount": 3000}), "tok_visa").await;
    Seeded { ids: vec![t1, t2, t3, t4], between }
}

async fn listed(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let response = app.admin_get(key, &format!("/api/v1/transactions?limit=100&{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["hasMore"], false);
    page["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn transaction_lists_filter_by_time_amount_email_and_currency() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let Seeded { ids, between } = seed(&app, &org).await;
    let [t1, t2, t3, t4] = [ids[0].as_str(), ids[1].as_str(), ids[2].as_str(), ids[3].as_str()];
    let key = &org.api_key;
    let between = at(between);

    assert_eq!(listed(&app, key, "").await, [t4, t3, t2, t1]);
    assert_eq!(listed(&app, key, "currency=usd").await, [t3]);
    assert_eq!(listed(&app, key, "currency=EUR").await, [t4, t2, t1]);
    assert_eq!(listed(&app, key, "amountGte=2500").await, [t4, t3, t2]);
    assert_eq!(listed(&app, key, "amountLte=2500").await, [t3, t1]);
    assert_eq!(listed(&app, key, "amountGte=2500&amountLte=3000").await, [t4, t3]);
    assert_eq!(listed(&app, key, "amountGte=3001&amountLte=4999").await, Vec::<String>::new());
    assert_eq!(listed(&app, key, "customerEmail=ADA@example.COM").await, [t3, t1]);
    assert_eq!(listed(&app, key, "customerEmail=bob@example.com").await, [t2]);
    assert_eq!(listed(&app, key, "customerEmail=nobody@example.com").await, Vec::<String>::new());
    assert_eq!(listed(&app, key, &format!("createdGte={between}")).await, [t4, t3, t2]);
    assert_eq!(listed(&app, key, &format!("createdLte={between}")).await, [t1]);
    let soon = at(Utc::now() + Duration::hours(1));
    assert_eq!(listed(&app, key, &format!("createdGte={between}&createdLte={soon}&currency=EUR")).await, [t4, t2]);
    assert_eq!(listed(&app, key, "status=failed&currency=EUR").await, [t2]);
    assert_eq!(
        listed(&app, key, &format!("siteId={}&amountGte=1000&status=succeeded", org.site_id)).await,
        [t4, t3, t1]
    );

    // Filters are part of the query: every page but the last is full and
    // the cursor walks exactly the matches.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .admin_get(key, &format!("/api/v1/transactions?limit=1&amountGte=2000{cursor}"))
            .await
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{page}");
        walked.push(data[0]["id"].as_str().unwrap().to_owned());
        if page["hasMore"] == false {
            break;
        }
        cursor = format!("&startingAfter={}", walked.last().unwrap());
    }
    assert_eq!(walked, [t4, t3, t2]);

    // Another organization sees none of it, whatever it filters on.
    assert_eq!(listed(&app, &other.api_key, "").await, Vec::<String>::new());
    assert_eq!(listed(&app, &other.api_key, "customerEmail=ada@example.com&currency=EUR").await, Vec::<String>::new());

    for (query, param, code) in [
        ("createdGte=yesterday", "createdGte", "timestamp_invalid"),
        ("createdLte=2025-02-30T00:00:00Z", "createdLte", "timestamp_invalid"),
        ("createdGte=2025-02-01T00:00:00Z&createdLte=2025-01-01T00:00:00Z", "createdLte", "range_invalid"),
        ("amountGte=ten", "amountGte", "amount_invalid"),
        ("amountLte=-1", "amountLte", "amount_invalid"),
        ("amountGte=1.5", "amountGte", "amount_invalid"),
        ("amountGte=99999999999999999999", "amountGte", "amount_invalid"),
        ("amountGte=10&amountLte=5", "amountLte", "range_invalid"),
        ("customerEmail=ada", "customerEmail", "email_invalid"),
        ("currency=EURO", "currency", "currency_invalid"),
        ("currency=XXX", "currency", "currency_invalid"),
    ] {
        let error = assert_error(
            app.admin_get(key, &format!("/api/v1/transactions?{query}")).await,
            400,
            "invalid_request_error",
            code,
        )
        .await;
        assert_eq!(error["param"], param, "{query}");
    }
    app.stop().await;
}

/// The CSV file's lines, without the trailing empty one.
async fn export(app: &TestApp, key: &str, query: &str) -> (reqwest::header::HeaderMap, Vec<String>) {
    let response = app.admin_get(key, &format!("/api/v1/transactions/export.csv?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'), "{text}");
    (headers, text.lines().map(str::to_owned).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_export_as_escaped_csv_with_the_list_filters() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let Seeded { ids, .. } = seed(&app, &org).await;
    let key = &org.api_key;
    // Commas, quotes and a leading `=` in a cell a customer controls.
    let formula = r#"=1+2,"x"@evil.example"#;
    let t5 =
        paid(&app, &org, json!({"amount": 1234, "currency": "JPY", "customer": {"email": formula}}), "tok_visa").await;

    let (headers, lines) = export(&app, key, "").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"].to_str().unwrap().contains("transactions.csv"));
    assert_eq!(headers["export-rows"], "5");
    assert!(headers.get("export-truncated").is_none());
    assert_eq!(
        lines[0],
        "id,created,status,amount,currency,amount_decimal,customer_email,site_id,checkout_id,amount_refunded,provider"
    );
    assert_eq!(lines.len(), 6);
    let rows: Vec<&str> = lines[1..].iter().map(String::as_str).collect();
    assert!(rows[0].starts_with(&format!("{t5},")), "newest first: {rows:?}");
    assert!(rows[0].contains(r#",succeeded,1234,JPY,1234,"'=1+2,""x""@evil.example","#), "{}", rows[0]);

    let t1: Value = app.admin_get(key, &format!("/api/v1/transactions/{}", ids[0])).await.json().await.unwrap();
    let created = t1["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z'));
    assert_eq!(
        rows[4],
        format!(
            "{},{created},succeeded,1000,EUR,10.00,Ada@Example.com,{},{},0,sandbox",
            ids[0],
            org.site_id,
            t1["checkoutId"].as_str().unwrap()
        )
    );
    assert!(
        rows[3].starts_with(&format!("{},", ids[1])) && rows[3].contains(",failed,5000,EUR,50.00,bob@example.com,")
    );
    assert!(rows[2].contains(",succeeded,2500,USD,25.00,ada@example.com,"), "{}", rows[2]);
    assert!(rows[1].contains(",succeeded,3000,EUR,30.00,,"), "no customer, empty cell: {}", rows[1]);

    // The list's filters apply.
    let (headers, lines) = export(&app, key, "currency=eur&amountGte=2000&customerEmail=BOB@example.com").await;
    assert_eq!(headers["export-rows"], "1");
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&format!("{},", ids[1])));
    let (_, lines) = export(&app, key, "status=succeeded&currency=EUR").await;
    assert_eq!(lines.len(), 3);

    // Another organization exports only its own (nothing), and bad
    // filters are refused as on the list.
    let (headers, lines) = export(&app, &other.api_key, "").await;
    assert_eq!((headers["export-rows"].to_str().unwrap(), lines.len()), ("0", 1));
    let error = assert_error(
        app.admin_get(key, "/api/v1/transactions/export.csv?createdGte=soon").await,
        400,
        "invalid_request_error",
        "timestamp_invalid",
    )
    .await;
    assert_eq!(error["param"], "createdGte");
    assert_error(
        app.admin_get(key, "/api/v1/transactions/export.csv?limit=5").await,
        400,
        "invalid_request_error",
        "parameter_invalid",
    )
    .await;

    // Same permission as the list.
    let writer: Value = app
        .admin_post(key, "/api/v1/api-keys", &json!({"name": "w", "scopes": ["checkout:create"]}))
        .await
        .json()
        .await
        .unwrap();
    let writer = writer["secret"].as_str().unwrap();
    for path in ["/api/v1/transactions/export.csv", "/api/v1/transactions"] {
        assert_error(app.admin_get(writer, path).await, 403, "permission_error", "scope_missing").await;
    }
    app.stop().await;
}

fn types(timeline: &Value) -> Vec<String> {
    timeline["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_timeline_tells_its_story_and_its_deliveries_are_listed() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    // The merchant's server fails the first IPN, then accepts.
    let receiver = IpnReceiver::start(Arc::new(|n| if n == 0 { (500, vec![]) } else { (200, vec![]) })).await;
    let key = &org.api_key;

    let checkout =
        app.checkout_with(&org, json!({"captureMethod": "manual", "ipnUrl": receiver.url, "amount": 8000})).await;
    let checkout_id = checkout["id"].as_str().unwrap();
    let accepted: Value = app.pay(checkout_id, &json!({"paymentMethod": "tok_visa"})).await.json().await.unwrap();
    let txn = accepted["transactionId"].as_str().unwrap().to_owned();
    assert_eq!(app.settled_status(checkout_id).await["transaction"]["status"], "requires_capture");
    let response = app.admin_post(key, &format!("/api/v1/transactions/{txn}/capture"), &json!({"amount": 6000})).await;
    assert_eq!(response.status(), 200);
    let response = app.admin_post(key, &format!("/api/v1/transactions/{txn}/refunds"), &json!({"amount": 1500})).await;
    assert!(matches!(response.status().as_u16(), 201 | 202), "{}", response.status());

    let path = format!("/api/v1/transactions/{txn}/timeline");
    let timeline: Value = eventually(20, "the refund and the IPN retry", || async {
        let timeline: Value = app.admin_get(key, &path).await.json().await.ok()?;
        let kinds = types(&timeline);
        let attempts = timeline["data"].as_array()?.iter().filter(|e| e["type"] == "ipn.attempt").count();
        (kinds.contains(&"refund.succeeded".to_owned()) && attempts >= 4).then_some(timeline)
    })
    .await;
    assert_eq!(timeline["transactionId"], txn.as_str());
    let story: Vec<String> = types(&timeline).into_iter().filter(|t| t != "ipn.attempt").collect();
    assert_eq!(
        story,
        [
            "transaction.created",
            "transaction.status_changed",
            "transaction.status_changed",
            "transaction.captured",
            "refund.requested",
            "refund.succeeded"
        ]
    );
    let data = timeline["data"].as_array().unwrap();
    let times: Vec<&str> = data.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let parsed: Vec<_> = times.iter().map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
    let entry = |kind: &str| data.iter().find(|e| e["type"] == kind).unwrap().clone();
    assert_eq!(entry("transaction.created")["amount"], 8000);
    let statuses: Vec<&Value> =
        data.iter().filter(|e| e["type"] == "transaction.status_changed").map(|e| &e["status"]).collect();
    assert_eq!(statuses, [&json!("processing"), &json!("requires_capture")]);
    assert_eq!(entry("transaction.captured")["status"], "succeeded");
    assert_eq!(entry("transaction.captured")["amount"], 6000);
    assert_eq!(entry("refund.succeeded")["amount"], 1500);
    assert!(entry("refund.succeeded")["refundId"].as_str().unwrap().starts_with("re_"));
    assert!(entry("refund.succeeded").get("approximate").is_none());
    for e in data {
        assert!(e["title"].as_str().is_some_and(|t| !t.is_empty()), "{e}");
    }
    let attempts: Vec<&Value> = data.iter().filter(|e| e["type"] == "ipn.attempt").collect();
    assert_eq!(attempts[0]["statusCode"], 500, "{attempts:?}");
    assert!(attempts[1..].iter().any(|a| a["statusCode"] == 200));
    assert!(attempts.iter().all(|a| a["deliveryId"].as_str().unwrap().starts_with("evt_")));
    assert!(attempts.iter().any(|a| a["eventType"] == "transaction.requires_capture"));

    // The deliveries of this transaction, each with its attempts.
    let page: Value =
        app.admin_get(key, &format!("/api/v1/ipn-deliveries?objectId={txn}&limit=100")).await.json().await.unwrap();
    let deliveries = page["data"].as_array().unwrap();
    assert!(deliveries.len() >= 3, "{page}");
    assert!(deliveries.iter().all(|d| d["transactionId"] == txn.as_str()));
    let first_failed =
        deliveries.iter().flat_map(|d| d["attempts"].as_array().unwrap()).find(|a| a["statusCode"] == 500);
    let first_failed = first_failed.expect("the refused attempt is listed");
    assert_eq!(first_failed["responseExcerpt"], "received");
    let by_checkout: Value = app
        .admin_get(key, &format!("/api/v1/ipn-deliveries?objectId={checkout_id}&limit=100"))
        .await
        .json()
        .await
        .unwrap();
    assert!(by_checkout["data"].as_array().unwrap().len() >= deliveries.len());
    assert!(by_checkout["data"].as_array().unwrap().iter().all(|d| d["checkoutId"] == checkout_id));
    let foreign: Value =
        app.admin_get(&other.api_key, &format!("/api/v1/ipn-deliveries?objectId={txn}")).await.json().await.unwrap();
    assert_eq!(foreign["data"], json!([]));
    let error = assert_error(
        app.admin_get(key, "/api/v1/ipn-deliveries?objectId=site_123").await,
        400,
        "invalid_request_error",
        "object_id_invalid",
    )
    .await;
    assert_eq!(error["param"], "objectId");

    // A failed payment ends with its failure.
    let failed = paid(&app, &org, json!({}), "tok_chargeDeclined").await;
    let timeline: Value =
        app.admin_get(key, &format!("/api/v1/transactions/{failed}/timeline")).await.json().await.unwrap();
    assert_eq!(types(&timeline), ["transaction.created", "transaction.status_changed", "transaction.status_changed"]);
    let last = timeline["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["status"].as_str(), last["code"].as_str()), (Some("failed"), Some("card_declined")));

    // Another organization's transaction is as unknown as a made-up one.
    for (who, id) in [(&other.api_key, txn.as_str()), (key, "txn_000000000000000000000000")] {
        let response = app.admin_get(who, &format!("/api/v1/transactions/{id}/timeline")).await;
        assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_summary_sums_each_currency_of_the_window() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let other = app.bootstrap().await;
    let from = at(Utc::now() - Duration::minutes(5));
    let Seeded { ids, .. } = seed(&app, &org).await;
    let key = &org.api_key;
    let response =
        app.admin_post(key, &format!("/api/v1/transactions/{}/refunds", ids[0]), &json!({"amount": 400})).await;
    assert!(matches!(response.status().as_u16(), 201 | 202));
    let to = at(Utc::now() + Duration::minutes(5));
    let path = format!("/api/v1/reports/summary?from={from}&to={to}");

    let summary: Value = eventually(20, "the refund", || async {
        let summary: Value = app.admin_get(key, &path).await.json().await.ok()?;
        (summary["currencies"][0]["refundedAmount"] == 400).then_some(summary)
    })
    .await;
    assert_eq!(
        summary["currencies"],
        json!([
            {"currency": "EUR", "grossVolume": 4000, "succeededCount": 2, "failedCount": 1,
             "successRateBps": 6666, "refundedAmount": 400},
            {"currency": "USD", "grossVolume": 2500, "succeededCount": 1, "failedCount": 0,
             "successRateBps": 10000, "refundedAmount": 0},
        ])
    );
    assert_eq!(summary["transactionsCounted"], 4);
    assert_eq!(summary["truncated"], false);
    let failures = summary["recentFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["id"], ids[1].as_str());
    assert_eq!(failures[0]["amount"], 5000);
    assert_eq!(failures[0]["currency"], "EUR");
    assert_eq!(failures[0]["failureCode"], "card_declined");
    assert!(failures[0]["failureMessage"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(failures[0]["customerEmail"], "bob@example.com");
    assert!(failures[0]["createdAt"].as_str().is_some());

    // Tenant-scoped, and only the window counts.
    let theirs: Value = app.admin_get(&other.api_key, &path).await.json().await.unwrap();
    assert_eq!((theirs["currencies"].clone(), theirs["recentFailures"].clone()), (json!([]), json!([])));
    let later = format!(
        "/api/v1/reports/summary?from={}&to={}",
        at(Utc::now() + Duration::hours(1)),
        at(Utc::now() + Duration::hours(2))
    );
    let empty: Value = app.admin_get(key, &later).await.json().await.unwrap();
    assert_eq!((empty["currencies"].clone(), empty["transactionsCounted"].clone()), (json!([]), json!(0)));

    let year_and_two_days = at(Utc::now() + Duration::days(367));
    for (query, param, code) in [
        (format!("to={to}"), "from", "parameter_missing"),
        (format!("from={from}"), "to", "parameter_missing"),
        (format!("from=last-week&to={to}"), "from", "timestamp_invalid"),
        (format!("from={to}&to={from}"), "to", "range_invalid"),
        (format!("from={from}&to={year_and_two_days}"), "to", "range_too_long"),
    ] {
        let response = app.admin_get(key, &format!("/api/v1/reports/summary?{query}")).await;
        let error = assert_error(response, 400, "invalid_request_error", code).await;
        assert_eq!(error["param"], param, "{query}");
    }
    let writer: Value = app
        .admin_post(key, "/api/v1/api-keys", &json!({"name": "w", "scopes": ["checkout:create"]}))
        .await
        .json()
        .await
        .unwrap();
    let response = app.admin_get(writer["secret"].as_str().unwrap(), &path).await;
    assert_error(response, 403, "permission_error", "scope_missing").await;
    app.stop().await;
}
