//! Subscriptions over the Admin API, driven by test clocks: trials,
//! renewals with invoices, dunning, cancellation, calendar anchors,
//! concurrent advances, subscription checkouts and bad input.

use serde_json::{Value, json};

use crate::helpers::*;

const DAY: i64 = 86_400;

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn seconds(value: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("not a time: {value}")))
        .unwrap()
        .timestamp()
}

fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

/// A merchant with a clock, a customer on it and a plan.
struct Billing {
    org: paygate::Bootstrap,
    clock: String,
    customer: String,
}

impl Billing {
    async fn new(app: &TestApp, start: &str) -> Self {
        let org = app.bootstrap().await;
        let clock = app.admin_post(&org.api_key, "/api/v1/test-clocks", &json!({"frozenTime": start})).await;
        assert_eq!(clock.status(), 201);
        let clock: Value = clock.json().await.unwrap();
        assert_eq!(clock["status"], "ready");
        let clock = clock["id"].as_str().unwrap().to_owned();
        let customer = app
            .admin_post(
                &org.api_key,
                "/api/v1/customers",
                &json!({"email": "ada@example.com", "name": "Ada", "testClockId": clock,
                    "address": {"country": "DE", "city": "Berlin"}}),
            )
            .await;
        assert_eq!(customer.status(), 201);
        let customer: Value = customer.json().await.unwrap();
        assert_eq!(customer["testClockId"], clock.as_str());
        Self { customer: customer["id"].as_str().unwrap().to_owned(), org, clock }
    }

    async fn plan(&self, app: &TestApp, interval: &str, trial_days: i64) -> String {
        let body = json!({"name": "Pro", "amount": 1190, "currency": "EUR", "interval": interval,
            "trialDays": trial_days});
        let plan = app.admin_post(&self.org.api_key, "/api/v1/plans", &body).await;
        assert_eq!(plan.status(), 201);
        plan.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    async fn subscribe(&self, app: &TestApp, plan: &str, method: &str, ipn: Option<&str>) -> Value {
        let mut body = json!({"customerId": self.customer, "planId": plan, "siteId": self.org.site_id,
            "paymentMethod": method});
        if let Some(url) = ipn {
            body["ipnUrl"] = json!(url);
        }
        let response = app.admin_post(&self.org.api_key, "/api/v1/subscriptions", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        response.json().await.unwrap()
    }

    async fn advance(&self, app: &TestApp, to: i64) -> Value {
        let path = format!("/api/v1/test-clocks/{}/advance", self.clock);
        let response = app.admin_post(&self.org.api_key, &path, &json!({"frozenTime": rfc3339(to)})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let clock: Value = response.json().await.unwrap();
        assert_eq!(clock["status"], "ready");
        assert_eq!(seconds(&clock["frozenTime"]), to);
        clock
    }

    async fn get(&self, app: &TestApp, id: &str) -> Value {
        app.admin_get(&self.org.api_key, &format!("/api/v1/subscriptions/{id}")).await.json().await.unwrap()
    }

    async fn patch(&self, app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
        app.client
            .patch(format!("{}/api/v1/subscriptions/{id}", app.admin))
            .bearer_auth(&self.org.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Every invoice of the organization, oldest first.
    async fn invoices(&self, app: &TestApp) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = String::new();
        loop {
            let path = format!("/api/v1/invoices?limit=100{after}");
            let page: Value = app.admin_get(&self.org.api_key, &path).await.json().await.unwrap();
            let data = page["data"].as_array().unwrap().clone();
            if let Some(last) = data.last() {
                after = format!("&startingAfter={}", last["id"].as_str().unwrap());
            }
            all.extend(data);
            if page["hasMore"] != true {
                break;
            }
        }
        all.reverse();
        all
    }

    /// Every transaction of the organization's site, oldest first.
    async fn transactions(&self, app: &TestApp) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = String::new();
        loop {
            let path = format!("/api/v1/transactions?limit=100{after}");
            let page: Value = app.admin_get(&self.org.api_key, &path).await.json().await.unwrap();
            let data = page["data"].as_array().unwrap().clone();
            if let Some(last) = data.last() {
                after = format!("&startingAfter={}", last["id"].as_str().unwrap());
            }
            all.extend(data);
            if page["hasMore"] != true {
                break;
            }
        }
        all.reverse();
        all
    }
}

/// The IPN event types a receiver got for one subscription, in the order
/// they were recorded (their `createdAt`, then arrival).
async fn subscription_events(ipn: &IpnReceiver, subscription: &str, expected: usize) -> Vec<String> {
    subscription_events_counting(ipn, subscription, expected, |_| true).await
}

/// As [`subscription_events`], waiting until `expected` of them are ones
/// `counted` accepts (reminders such as `invoice.upcoming` come on their
/// own schedule, and must not end the wait for the events under test).
async fn subscription_events_counting(
    ipn: &IpnReceiver,
    subscription: &str,
    expected: usize,
    counted: impl Fn(&str) -> bool,
) -> Vec<String> {
    let events = eventually(20, "subscription IPNs", || async {
        let events: Vec<Value> = ipn
            .all()
            .iter()
            .map(ReceivedIpn::json)
            .filter(|event| event["data"]["subscription"]["id"] == subscription)
            .collect();
        let count = events.iter().filter(|event| counted(event["type"].as_str().unwrap_or_default())).count();
        (count >= expected).then_some(events)
    })
    .await;
    let mut events: Vec<(i64, String, String)> = events
        .into_iter()
        .map(|e| {
            (seconds(&e["createdAt"]), e["id"].as_str().unwrap().to_owned(), e["type"].as_str().unwrap().to_owned())
        })
        .collect();
    let unique: std::collections::HashSet<&String> = events.iter().map(|(_, id, _)| id).collect();
    assert_eq!(unique.len(), events.len(), "each event delivered once");
    // Events one change implies share its time; within it, order by name
    // (the receiver may get them in any order).
    events.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    events.into_iter().map(|(_, _, kind)| kind).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trial_then_a_year_of_renewals_invoices_every_period_in_order() {
    let app = spawn_app().await;
    let start = at("2026-01-15T09:30:00Z");
    let billing = Billing::new(&app, "2026-01-15T09:30:00Z").await;
    let plan = billing.plan(&app, "month", 14).await;
    let ipn = IpnReceiver::always_ok().await;
    let subscription = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let id = subscription["id"].as_str().unwrap();
    assert_eq!(subscription["status"], "trialing");
    let trial_end = start + 14 * DAY;
    assert_eq!(seconds(&subscription["trialEnd"]), trial_end);
    assert_eq!(subscription["upcoming"]["amount"], 1190);
    assert_eq!(seconds(&subscription["upcoming"]["date"]), trial_end);
    assert!(billing.invoices(&app).await.is_empty(), "a trial charges nothing");

    // The trial ends: the first charge.
    billing.advance(&app, trial_end + 60).await;
    let active = billing.get(&app, id).await;
    assert_eq!(active["status"], "active");
    assert_eq!(seconds(&active["currentPeriodStart"]), trial_end);
    assert_eq!(seconds(&active["currentPeriodEnd"]), at("2026-02-28T09:30:00Z"), "Jan 29 + 1 month");
    assert_eq!(billing.invoices(&app).await.len(), 1);

    // Twelve renewals in one advance, each invoiced on its own date.
    billing.advance(&app, at("2027-01-29T12:00:00Z") + DAY).await;
    let after = billing.get(&app, id).await;
    assert_eq!(after["status"], "active");
    assert_eq!(after["periodsPaid"], 13);
    assert_eq!(seconds(&after["currentPeriodStart"]), at("2027-01-29T09:30:00Z"));
    let invoices = billing.invoices(&app).await;
    assert_eq!(invoices.len(), 13);
    let mut previous = 0;
    for (n, invoice) in invoices.iter().enumerate() {
        let number = invoice["number"].as_str().unwrap();
        assert!(number.starts_with("TEST-"), "test mode keeps off the legal sequence: {number}");
        assert!(number.ends_with(&format!("{:06}", n + 1)), "gap-free and in order: {number}");
        let issued = seconds(&invoice["issuedAt"]);
        assert!(issued > previous, "each period invoiced after the one before");
        previous = issued;
        assert_eq!(invoice["totals"]["gross"], 1190);
    }
    assert_eq!(after["latestInvoiceId"], invoices[12]["id"]);
    assert_eq!(billing.transactions(&app).await.len(), 13, "one charge per period");

    // created, trial_will_end, activated; 13 invoices, 12 renewals, and
    // an invoice.upcoming a week before each renewal.
    let events = subscription_events(&ipn, id, 3 + 13 + 12 + 12).await;
    assert_eq!(events[0], "subscription.created");
    assert_eq!(events[1], "subscription.trial_will_end");
    for (kind, expected) in [("subscription.renewed", 12), ("invoice.created", 13), ("invoice.upcoming", 12)] {
        let count = events.iter().filter(|e| *e == kind).count();
        assert_eq!(count, expected, "{kind} in {events:?}");
    }
    assert_eq!(events.iter().filter(|e| *e == "subscription.activated").count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn thirteen_months_in_one_advance_are_thirteen_renewals_and_invoices() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-03-10T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let subscription = billing.subscribe(&app, &plan, "tok_visa", None).await;
    assert_eq!(subscription["status"], "active", "the first period is charged at once");
    let id = subscription["id"].as_str().unwrap();
    billing.advance(&app, at("2027-04-10T00:00:00Z")).await;
    let after = billing.get(&app, id).await;
    assert_eq!(after["periodsPaid"], 14, "the first period and 13 renewals");
    let invoices = billing.invoices(&app).await;
    assert_eq!(invoices.len(), 14);
    let dates: Vec<i64> = invoices.iter().map(|i| seconds(&i["issuedAt"])).collect();
    assert!(dates.windows(2).all(|pair| pair[0] < pair[1]), "in order: {dates:?}");
    assert_eq!(dates[1], at("2026-04-10T00:00:00Z"));
    assert_eq!(dates[13], at("2027-04-10T00:00:00Z"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_month_anchored_on_the_31st_keeps_its_day_and_a_leap_day_year_falls_back_to_the_28th() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2028-01-31T10:00:00Z").await;
    let monthly = billing.plan(&app, "month", 0).await;
    let yearly = billing.plan(&app, "year", 0).await;
    let month = billing.subscribe(&app, &monthly, "tok_visa", None).await;
    let month_id = month["id"].as_str().unwrap();
    assert_eq!(seconds(&month["currentPeriodEnd"]), at("2028-02-29T10:00:00Z"));
    billing.advance(&app, at("2028-02-29T10:00:00Z")).await;
    assert_eq!(seconds(&billing.get(&app, month_id).await["currentPeriodEnd"]), at("2028-03-31T10:00:00Z"));
    billing.advance(&app, at("2028-03-31T10:00:00Z")).await;
    assert_eq!(seconds(&billing.get(&app, month_id).await["currentPeriodEnd"]), at("2028-04-30T10:00:00Z"));

    let other = Billing::new(&app, "2028-02-29T00:00:00Z").await;
    let yearly_other = other.plan(&app, "year", 0).await;
    let year = other.subscribe(&app, &yearly_other, "tok_visa", None).await;
    let year_id = year["id"].as_str().unwrap();
    assert_eq!(seconds(&year["currentPeriodEnd"]), at("2029-02-28T00:00:00Z"));
    other.advance(&app, at("2029-03-01T00:00:00Z")).await;
    assert_eq!(seconds(&other.get(&app, year_id).await["currentPeriodEnd"]), at("2030-02-28T00:00:00Z"));
    other.advance(&app, at("2031-03-01T00:00:00Z")).await;
    assert_eq!(seconds(&other.get(&app, year_id).await["currentPeriodEnd"]), at("2032-02-29T00:00:00Z"));
    let _ = yearly;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_renewal_goes_past_due_and_a_successful_retry_brings_it_back() {
    let app = spawn_app().await;
    let start = at("2026-05-01T00:00:00Z");
    let billing = Billing::new(&app, "2026-05-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let ipn = IpnReceiver::always_ok().await;
    let subscription = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let id = subscription["id"].as_str().unwrap();
    let renewal = at("2026-06-01T00:00:00Z");
    let changed = billing.patch(&app, id, &json!({"paymentMethod": "tok_chargeDeclinedInsufficientFunds"})).await;
    assert_eq!(changed.status(), 200);

    billing.advance(&app, renewal + 3600).await;
    let past_due = billing.get(&app, id).await;
    assert_eq!(past_due["status"], "past_due");
    assert_eq!(past_due["failedAttempts"], 1);
    assert_eq!(past_due["lastFailureCode"], "insufficient_funds");
    assert_eq!(seconds(&past_due["nextChargeAt"]), renewal + DAY, "the first retry a day later");
    assert_eq!(past_due["upcoming"], Value::Null);

    // The customer fixes the card; the retry pays the period.
    billing.patch(&app, id, &json!({"paymentMethod": "tok_visa"})).await;
    billing.advance(&app, renewal + DAY + 60).await;
    let recovered = billing.get(&app, id).await;
    assert_eq!(recovered["status"], "active");
    assert_eq!(recovered["failedAttempts"], 0);
    assert_eq!(seconds(&recovered["currentPeriodEnd"]), at("2026-07-01T00:00:00Z"), "the period is not moved");
    assert_eq!(billing.invoices(&app).await.len(), 2, "an invoice for the paid retry only");
    let events = subscription_events_counting(&ipn, id, 8, |kind| kind != "invoice.upcoming").await;
    let tail: Vec<&str> = events.iter().map(String::as_str).filter(|e| *e != "invoice.upcoming").collect();
    assert_eq!(
        tail,
        [
            "invoice.created",
            "subscription.activated",
            "subscription.created",
            "subscription.past_due",
            "subscription.payment_failed",
            "invoice.created",
            "subscription.activated",
            "subscription.renewed",
        ]
    );
    let _ = start;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_retry_failing_ends_unpaid_and_a_hard_decline_skips_the_retries() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-05-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let ipn = IpnReceiver::always_ok().await;
    let soft = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let soft_id = soft["id"].as_str().unwrap();
    let hard = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let hard_id = hard["id"].as_str().unwrap();
    billing.patch(&app, soft_id, &json!({"paymentMethod": "tok_chargeDeclined"})).await;
    billing.patch(&app, hard_id, &json!({"paymentMethod": "tok_chargeDeclinedExpiredCard"})).await;
    let renewal = at("2026-06-01T00:00:00Z");

    billing.advance(&app, renewal + 60).await;
    assert_eq!(billing.get(&app, hard_id).await["status"], "unpaid", "an expired card is not retried");
    for (day, attempts) in [(1, 2), (3, 3), (5, 4)] {
        billing.advance(&app, renewal + day * DAY + 60).await;
        let state = billing.get(&app, soft_id).await;
        assert_eq!(state["status"], "past_due");
        assert_eq!(state["failedAttempts"], attempts);
    }
    billing.advance(&app, renewal + 7 * DAY + 60).await;
    let unpaid = billing.get(&app, soft_id).await;
    assert_eq!(unpaid["status"], "unpaid");
    assert_eq!(unpaid["failedAttempts"], 5);
    assert_eq!(unpaid["nextChargeAt"], Value::Null);
    // Nothing more is ever charged.
    billing.advance(&app, renewal + 40 * DAY).await;
    let charges = billing.transactions(&app).await;
    assert_eq!(charges.len(), 2 + 5 + 1, "two first periods, five soft attempts, one hard");
    assert_eq!(charges.iter().filter(|t| t["status"] == "failed").count(), 6);

    let soft_events = subscription_events(&ipn, soft_id, 11).await;
    let dunning: Vec<&str> =
        soft_events.iter().map(String::as_str).skip_while(|e| *e != "subscription.past_due").collect();
    assert_eq!(
        dunning,
        [
            "subscription.past_due",
            "subscription.payment_failed",
            "subscription.payment_failed",
            "subscription.payment_failed",
            "subscription.payment_failed",
            "subscription.payment_failed",
            "subscription.unpaid",
        ]
    );
    let hard_events = subscription_events(&ipn, hard_id, 6).await;
    assert!(
        hard_events.ends_with(&[
            "subscription.past_due".to_owned(),
            "subscription.payment_failed".to_owned(),
            "subscription.unpaid".to_owned()
        ]),
        "{hard_events:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_at_period_end_can_be_resumed_and_otherwise_ends_exactly_at_the_period_end() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let ipn = IpnReceiver::always_ok().await;
    let kept = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let kept_id = kept["id"].as_str().unwrap();
    let ending = billing.subscribe(&app, &plan, "tok_visa", Some(&ipn.url)).await;
    let ending_id = ending["id"].as_str().unwrap();
    let period_end = at("2026-02-01T00:00:00Z");

    let cancel = |id: &str| format!("/api/v1/subscriptions/{id}/cancel");
    let body = json!({"reason": "too_expensive", "comment": "Budget cuts"});
    for id in [kept_id, ending_id] {
        let response = app.admin_post(&billing.org.api_key, &cancel(id), &body).await;
        assert_eq!(response.status(), 200);
        let canceling: Value = response.json().await.unwrap();
        assert_eq!(canceling["status"], "active");
        assert_eq!(canceling["cancelAtPeriodEnd"], true);
        assert_eq!(canceling["cancellationDetails"]["reason"], "too_expensive");
        assert_eq!(canceling["cancellationDetails"]["comment"], "Budget cuts");
        assert_eq!(canceling["upcoming"], Value::Null, "nothing more will be charged");
    }
    let again = app.admin_post(&billing.org.api_key, &cancel(kept_id), &body).await;
    assert_error(again, 409, "invalid_request_error", "subscription_cancel_pending").await;
    let resumed =
        app.admin_post(&billing.org.api_key, &format!("/api/v1/subscriptions/{kept_id}/resume"), &json!({})).await;
    assert_eq!(resumed.status(), 200);
    let resumed: Value = resumed.json().await.unwrap();
    assert_eq!(resumed["cancelAtPeriodEnd"], false);
    assert_eq!(resumed["cancellationDetails"], Value::Null);

    billing.advance(&app, period_end - 1).await;
    assert_eq!(billing.get(&app, ending_id).await["status"], "active", "not a second early");
    billing.advance(&app, period_end).await;
    let ended = billing.get(&app, ending_id).await;
    assert_eq!(ended["status"], "canceled");
    assert_eq!(seconds(&ended["endedAt"]), period_end);
    let kept_now = billing.get(&app, kept_id).await;
    assert_eq!(kept_now["status"], "active");
    assert_eq!(kept_now["periodsPaid"], 2, "the resumed one renewed");
    assert_eq!(billing.invoices(&app).await.len(), 3, "the canceled one was not charged again");

    // An ended subscription cannot be canceled or resumed again.
    let response = app.admin_post(&billing.org.api_key, &cancel(ending_id), &json!({"atPeriodEnd": false})).await;
    assert_error(response, 409, "invalid_request_error", "subscription_ended").await;
    let response =
        app.admin_post(&billing.org.api_key, &format!("/api/v1/subscriptions/{ending_id}/resume"), &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "subscription_ended").await;
    // Canceling now.
    let now = app.admin_post(&billing.org.api_key, &cancel(kept_id), &json!({"atPeriodEnd": false})).await;
    assert_eq!(now.status(), 200);
    assert_eq!(now.json::<Value>().await.unwrap()["status"], "canceled");
    let events = subscription_events(&ipn, ending_id, 4).await;
    assert_eq!(events.last().map(String::as_str), Some("subscription.canceled"));
    assert_eq!(events.iter().filter(|e| *e == "subscription.canceled").count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_advances_of_one_clock_charge_each_period_once() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let plan = billing.plan(&app, "week", 0).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(billing.subscribe(&app, &plan, "tok_visa", None).await["id"].as_str().unwrap().to_owned());
    }
    let target = at("2026-03-01T00:00:00Z");
    let path = format!("/api/v1/test-clocks/{}/advance", billing.clock);
    let body = json!({"frozenTime": rfc3339(target)});
    let earlier = json!({"frozenTime": rfc3339(target - 10 * DAY)});
    let (a, b, c) = tokio::join!(
        app.admin_post(&billing.org.api_key, &path, &body),
        app.admin_post(&billing.org.api_key, &path, &body),
        app.admin_post(&billing.org.api_key, &path, &earlier),
    );
    for response in [a, b, c] {
        assert!(matches!(response.status().as_u16(), 200 | 400), "{}", response.status());
    }
    billing.advance(&app, target).await;
    // Jan 1 + 8 weeks = Feb 26: 9 periods each (the first and 8 renewals).
    for id in &ids {
        assert_eq!(billing.get(&app, id).await["periodsPaid"], 9);
    }
    assert_eq!(billing.transactions(&app).await.len(), 45, "one charge per period, never two");
    // The five renew at the same instants, side by side: their invoices
    // still take the numbers 1..=45, each once.
    let mut numbers: Vec<String> =
        billing.invoices(&app).await.iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=45).map(|n| format!("TEST-INV-2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_checkout_sells_the_plan_and_a_trial_checkout_only_saves_the_card() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let paid_plan = billing.plan(&app, "month", 0).await;
    let trial_plan = billing.plan(&app, "month", 30).await;
    let ipn = IpnReceiver::always_ok().await;
    let org = &billing.org;

    let checkout = app
        .checkout_with(
            org,
            json!({"mode": "subscription", "planId": paid_plan, "customerId": billing.customer, "ipnUrl": ipn.url,
                "amount": 1190, "currency": "EUR"}),
        )
        .await;
    assert_eq!(checkout["mode"], "subscription");
    assert_eq!(checkout["lineItems"][0]["name"], "Pro");
    assert_eq!(checkout["customer"]["email"], "ada@example.com", "details from the customer");
    let paid = app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    assert!(paid.status().is_success());
    let status = app.settled_status(checkout["id"].as_str().unwrap()).await;
    assert_eq!(status["transaction"]["status"], "succeeded");
    let subscriptions = eventually(10, "the subscription", || async {
        let list: Value = app
            .admin_get(&org.api_key, &format!("/api/v1/subscriptions?customerId={}", billing.customer))
            .await
            .json()
            .await
            .ok()?;
        (list["data"].as_array()?.len() == 1).then_some(list)
    })
    .await;
    let sold = &subscriptions["data"][0];
    assert_eq!(sold["status"], "active");
    assert_eq!(sold["checkoutId"], checkout["id"]);
    assert_eq!(sold["periodsPaid"], 1);
    assert_eq!(sold["ipnUrl"], ipn.url.as_str(), "inherits the checkout's ipnUrl");
    assert!(sold["latestInvoiceId"].as_str().is_some());

    let trial = app
        .checkout_with(
            org,
            json!({"mode": "subscription", "planId": trial_plan, "amount": 1190,
                "customer": {"email": "bob@example.com", "name": "Bob"}}),
        )
        .await;
    assert_eq!(trial["trialDays"], 30);
    app.pay(trial["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    let status = app.settled_status(trial["id"].as_str().unwrap()).await;
    let setup = status["transaction"]["id"].as_str().unwrap();
    let setup: Value =
        app.admin_get(&org.api_key, &format!("/api/v1/transactions/{setup}")).await.json().await.unwrap();
    assert_eq!(setup["amount"], 0, "a trial charges nothing now");
    let trialing = eventually(10, "the trial subscription", || async {
        let list: Value =
            app.admin_get(&org.api_key, "/api/v1/subscriptions?status=trialing").await.json().await.ok()?;
        list["data"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(trialing["upcoming"]["amount"], 1190);
    assert_eq!(billing.invoices(&app).await.len(), 1, "no invoice for the trial");

    // A renewal checkout is never paid through the checkout page.
    billing.advance(&app, at("2026-02-01T00:00:00Z")).await;
    let renewals: Value = app.admin_get(&org.api_key, "/api/v1/checkouts?limit=100").await.json().await.unwrap();
    let renewal = renewals["data"].as_array().unwrap().iter().find(|c| c["mode"] == "renewal").cloned().unwrap();
    let response = app.pay(renewal["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    assert_error(response, 409, "invalid_request_error", "checkout_not_payable").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_subscription_input_is_refused_field_by_field_and_changes_nothing() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let other = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let foreign_plan = other.plan(&app, "month", 0).await;
    let key = &billing.org.api_key;
    let base = json!({"customerId": billing.customer, "planId": plan, "siteId": billing.org.site_id,
        "paymentMethod": "tok_visa"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("planId", json!(foreign_plan))).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("customerId", json!(other.customer))).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("planId", json!("plan_nope"))).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("trialDays", json!(731))).await;
    assert_eq!(assert_error(response, 400, "invalid_request_error", "trial_days_invalid").await["param"], "trialDays");
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("paymentMethod", json!("4242"))).await;
    assert_eq!(
        assert_error(response, 400, "invalid_request_error", "payment_method_invalid").await["param"],
        "paymentMethod"
    );
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("trialDays", json!("ten"))).await;
    assert_eq!(response.status(), 400);
    let response = app.admin_post(key, "/api/v1/subscriptions", &with("testClockId", json!(other.clock))).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let inactive = app
        .client
        .patch(format!("{}/api/v1/plans/{plan}", app.admin))
        .bearer_auth(key)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(inactive.status(), 200);
    let response = app.admin_post(key, "/api/v1/subscriptions", &base).await;
    assert_eq!(assert_error(response, 400, "invalid_request_error", "plan_inactive").await["param"], "planId");
    let listed: Value = app.admin_get(key, "/api/v1/subscriptions").await.json().await.unwrap();
    assert_eq!(listed["data"], json!([]), "nothing was created");

    // Clocks: forward only, RFC 3339, test mode only, another's is not there.
    let path = format!("/api/v1/test-clocks/{}/advance", billing.clock);
    let response = app.admin_post(key, &path, &json!({"frozenTime": "2025-12-31T00:00:00Z"})).await;
    assert_eq!(
        assert_error(response, 400, "invalid_request_error", "frozen_time_invalid").await["param"],
        "frozenTime"
    );
    let response = app.admin_post(key, &path, &json!({"frozenTime": "tomorrow"})).await;
    assert_error(response, 400, "invalid_request_error", "timestamp_invalid").await;
    let response = app.admin_post(key, &path, &json!({"frozenTime": "2040-01-01T00:00:00Z"})).await;
    assert_error(response, 400, "invalid_request_error", "frozen_time_invalid").await;
    let response = app.admin_get(&other.org.api_key, &format!("/api/v1/test-clocks/{}", billing.clock)).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let live_key = app.operator_live_key(&billing.org).await;
    let response =
        app.admin_post(&live_key, "/api/v1/test-clocks", &json!({"frozenTime": "2026-01-01T00:00:00Z"})).await;
    assert_error(response, 403, "permission_error", "live_mode_forbidden").await;

    // Unknown subscription ids, and another organization's, are 404.
    let active = {
        let plan = billing.plan(&app, "month", 0).await;
        billing.subscribe(&app, &plan, "tok_visa", None).await
    };
    let id = active["id"].as_str().unwrap();
    let response = app.admin_get(&other.org.api_key, &format!("/api/v1/subscriptions/{id}")).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response = app.admin_post(&other.org.api_key, &format!("/api/v1/subscriptions/{id}/cancel"), &json!({})).await;
    assert_error(response, 404, "invalid_request_error", "resource_missing").await;
    let response =
        app.admin_post(key, &format!("/api/v1/subscriptions/{id}/cancel"), &json!({"reason": "bored"})).await;
    assert_eq!(assert_error(response, 400, "invalid_request_error", "reason_invalid").await["param"], "reason");
    let response = app.admin_post(key, &format!("/api/v1/subscriptions/{id}/resume"), &json!({})).await;
    assert_error(response, 409, "invalid_request_error", "subscription_not_canceling").await;
    assert_eq!(billing.get(&app, id).await["status"], "active");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_first_payment_stays_incomplete_then_expires_and_a_failed_trial_end_goes_past_due() {
    let app = spawn_app().await;
    let start = at("2026-04-01T00:00:00Z");
    let billing = Billing::new(&app, "2026-04-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let trial_plan = billing.plan(&app, "month", 7).await;
    let ipn = IpnReceiver::always_ok().await;

    let incomplete = billing.subscribe(&app, &plan, "tok_chargeDeclined", Some(&ipn.url)).await;
    let incomplete_id = incomplete["id"].as_str().unwrap();
    assert_eq!(incomplete["status"], "incomplete");
    assert_eq!(incomplete["latestInvoiceId"], Value::Null);
    let trial = billing.subscribe(&app, &trial_plan, "tok_chargeDeclined", Some(&ipn.url)).await;
    let trial_id = trial["id"].as_str().unwrap();
    assert_eq!(trial["status"], "trialing");

    billing.advance(&app, start + 23 * 3600 - 1).await;
    assert_eq!(billing.get(&app, incomplete_id).await["status"], "incomplete");
    billing.advance(&app, start + 23 * 3600).await;
    let expired = billing.get(&app, incomplete_id).await;
    assert_eq!(expired["status"], "incomplete_expired");
    assert_eq!(seconds(&expired["endedAt"]), start + 23 * 3600);

    billing.advance(&app, start + 7 * DAY).await;
    let past_due = billing.get(&app, trial_id).await;
    assert_eq!(past_due["status"], "past_due", "the trial's first charge failed");
    assert_eq!(seconds(&past_due["nextChargeAt"]), start + 8 * DAY);
    billing.advance(&app, start + 60 * DAY).await;
    assert_eq!(billing.get(&app, incomplete_id).await["status"], "incomplete_expired", "never charged again");
    let charges = billing.transactions(&app).await;
    assert_eq!(charges.len(), 1 + 5, "one first payment, the trial's charge and four retries");
    assert!(charges.iter().all(|t| t["status"] == "failed"));
    assert!(billing.invoices(&app).await.is_empty());
    let events = subscription_events(&ipn, incomplete_id, 3).await;
    assert_eq!(events, ["subscription.created", "subscription.payment_failed", "subscription.incomplete_expired"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_create_or_cancel_with_the_same_key_is_one_subscription_charged_once() {
    let app = spawn_app().await;
    let billing = Billing::new(&app, "2026-01-01T00:00:00Z").await;
    let plan = billing.plan(&app, "month", 0).await;
    let key = &billing.org.api_key;
    let body = json!({"customerId": billing.customer, "planId": plan, "siteId": billing.org.site_id,
        "paymentMethod": "tok_visa"});
    let (first, second) = tokio::join!(
        app.admin_post_keyed(key, "/api/v1/subscriptions", "sub-1", &body),
        app.admin_post_keyed(key, "/api/v1/subscriptions", "sub-1", &body),
    );
    let statuses = [first.status().as_u16(), second.status().as_u16()];
    assert!(statuses.contains(&201), "{statuses:?}");
    let again = app.admin_post_keyed(key, "/api/v1/subscriptions", "sub-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed: Value = again.json().await.unwrap();
    assert_eq!(replayed["status"], "active", "a replay shows the subscription as it is now");
    let list: Value = app.admin_get(key, "/api/v1/subscriptions").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(billing.transactions(&app).await.len(), 1, "charged once");
    let mut other = body.clone();
    other["trialDays"] = json!(3);
    let other = app.admin_post_keyed(key, "/api/v1/subscriptions", "sub-1", &other).await;
    assert_error(other, 422, "idempotency_error", "idempotency_key_reused").await;

    let id = replayed["id"].as_str().unwrap();
    let path = format!("/api/v1/subscriptions/{id}/cancel");
    let cancel = json!({"atPeriodEnd": false, "reason": "unused"});
    let first = app.admin_post_keyed(key, &path, "cancel-1", &cancel).await;
    assert_eq!(first.status(), 200);
    let second = app.admin_post_keyed(key, &path, "cancel-1", &cancel).await;
    assert_eq!(second.status(), 200, "a retried cancel replays instead of 409");
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.unwrap()["status"], "canceled");
    app.stop().await;
}
