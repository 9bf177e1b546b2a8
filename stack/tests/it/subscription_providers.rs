//! Subscriptions at the real providers' stand-ins: a Stripe subscription
//! checkout saves the card to a Customer and renews off session on a test
//! clock; a trial saves it with a SetupIntent and a card that attaches but
//! declines later fails its first charge; a GoCardless mandate subscription
//! renews with a payment its webhook settles.

use serde_json::{Value, json};

use crate::helpers::*;

const DAY: i64 = 86_400;

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

/// The gateway allowed to reach provider stand-ins on this machine.
async fn spawn_with_standins() -> TestApp {
    spawn_app_with(|env| {
        env.insert("PAYGATE_PROVIDER_ALLOW_PRIVATE".into(), "1".into());
    })
    .await
}

/// A merchant whose site charges through `provider` (a provider record
/// body), with a test clock and a customer on it.
struct Merchant {
    org: paygate::Bootstrap,
    provider: Value,
    clock: String,
    customer: String,
}

impl Merchant {
    async fn new(app: &TestApp, provider: Value, start: &str) -> Self {
        let org = app.bootstrap().await;
        let response = app.admin_post(&org.api_key, "/api/v1/providers", &provider).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let provider: Value = response.json().await.unwrap();
        let site = app
            .client
            .patch(format!("{}/api/v1/sites/{}", app.admin, org.site_id))
            .bearer_auth(&org.api_key)
            .json(&json!({"providerId": provider["id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(site.status(), 200);
        let clock: Value = app
            .admin_post(&org.api_key, "/api/v1/test-clocks", &json!({"frozenTime": start}))
            .await
            .json()
            .await
            .unwrap();
        let clock = clock["id"].as_str().unwrap().to_owned();
        let customer: Value = app
            .admin_post(
                &org.api_key,
                "/api/v1/customers",
                &json!({"email": "ada@example.com", "name": "Ada", "testClockId": clock,
                    "address": {"country": "DE", "city": "Berlin"}}),
            )
            .await
            .json()
            .await
            .unwrap();
        Self { customer: customer["id"].as_str().unwrap().to_owned(), org, provider, clock }
    }

    async fn plan(&self, app: &TestApp, trial_days: i64) -> String {
        let body = json!({"name": "Pro", "amount": 1190, "currency": "EUR", "interval": "month",
            "trialDays": trial_days});
        let plan = app.admin_post(&self.org.api_key, "/api/v1/plans", &body).await;
        assert_eq!(plan.status(), 201);
        plan.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Sells `plan` through a subscription checkout paid with `method`;
    /// returns the checkout's transaction once it is settled.
    async fn sell(&self, app: &TestApp, plan: &str, method: &str) -> Value {
        let checkout = app
            .checkout_with(
                &self.org,
                json!({"mode": "subscription", "planId": plan, "customerId": self.customer,
                    "amount": 1190, "currency": "EUR"}),
            )
            .await;
        let paid = app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": method})).await;
        assert_eq!(paid.status(), 202, "{}", paid.text().await.unwrap_or_default());
        let status = app.settled_status(checkout["id"].as_str().unwrap()).await;
        self.transaction(app, status["transaction"]["id"].as_str().unwrap()).await
    }

    async fn transaction(&self, app: &TestApp, id: &str) -> Value {
        app.admin_get(&self.org.api_key, &format!("/api/v1/transactions/{id}")).await.json().await.unwrap()
    }

    /// The customer's only subscription, once it exists.
    async fn subscription(&self, app: &TestApp) -> Value {
        eventually(20, "the subscription", || async {
            let path = format!("/api/v1/subscriptions?customerId={}", self.customer);
            let list: Value = app.admin_get(&self.org.api_key, &path).await.json().await.ok()?;
            list["data"].as_array()?.first().cloned()
        })
        .await
    }

    async fn advance(&self, app: &TestApp, to: i64) {
        let path = format!("/api/v1/test-clocks/{}/advance", self.clock);
        let response = app.admin_post(&self.org.api_key, &path, &json!({"frozenTime": rfc3339(to)})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stripe_subscription_saves_the_card_to_a_customer_and_renews_off_session() {
    use paygate_standins::stripe::StripeStandIn;
    let app = spawn_with_standins().await;
    let standin = StripeStandIn::start().await;
    let provider = json!({"type": "stripe", "name": "Stripe",
        "credentials": {"secretKey": standin.secret_key(), "publishableKey": "pk_test_e2e"},
        "webhookSecret": "whsec_paygate_e2e_subscriptions", "apiBase": standin.base_url()});
    let merchant = Merchant::new(&app, provider, "2026-03-01T10:00:00Z").await;
    let plan = merchant.plan(&app, 0).await;

    // The checkout pays the first period and saves the card for later.
    let first = merchant.sell(&app, &plan, "pm_card_visa").await;
    assert_eq!(first["status"], "succeeded");
    let intents = standin.payment_intents_for(first["id"].as_str().unwrap());
    assert_eq!(intents.len(), 1);
    let customer = intents[0]["customer"].as_str().expect("a Stripe Customer").to_owned();
    assert!(customer.starts_with("cus_"));
    assert_eq!(intents[0]["setup_future_usage"], "off_session");
    let saved = intents[0]["payment_method"].as_str().unwrap().to_owned();
    assert_ne!(saved, "pm_card_visa", "Stripe saves the card as a PaymentMethod of its own");
    assert_eq!(standin.payment_method(&saved).unwrap()["customer"], customer.as_str());

    let subscription = merchant.subscription(&app).await;
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["paymentMethod"], saved.as_str(), "the saved card, not the test token");

    // A month later the renewal charges it without the payer.
    merchant.advance(&app, at("2026-04-01T10:00:00Z") + 3600).await;
    let renewed = eventually(20, "the renewal", || async {
        let path = format!("/api/v1/subscriptions/{}", subscription["id"].as_str().unwrap());
        let s: Value = app.admin_get(&merchant.org.api_key, &path).await.json().await.ok()?;
        (s["periodsPaid"] == 2).then_some(s)
    })
    .await;
    assert_eq!(renewed["status"], "active");
    let renewals: Vec<Value> = standin
        .payment_intents()
        .into_iter()
        .filter(|i| i["metadata"]["paygate_transaction_id"] != first["id"])
        .collect();
    assert_eq!(renewals.len(), 1, "one renewal charge");
    let renewal_txn = renewals[0]["metadata"]["paygate_transaction_id"].as_str().unwrap();
    let renewal = merchant.transaction(&app, renewal_txn).await;
    assert_eq!(renewal["status"], "succeeded");
    assert_eq!(renewal["amount"], 1190);
    let request = standin
        .requests()
        .into_iter()
        .find(|r| {
            r.path == "/v1/payment_intents"
                && r.params.iter().any(|(k, v)| k == "metadata[paygate_transaction_id]" && v == renewal_txn)
        })
        .expect("the renewal's PaymentIntent");
    let param = |name: &str| request.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(param("off_session").as_deref(), Some("true"));
    assert_eq!(param("confirm").as_deref(), Some("true"));
    assert_eq!(param("customer"), Some(customer.clone()));
    assert_eq!(param("payment_method"), Some(saved.clone()));
    assert_eq!(param("return_url"), None, "nobody comes back from a renewal");
    assert_eq!(param("setup_future_usage"), None);
    assert_eq!(request.idempotency_key.as_deref(), Some(renewal_txn), "the transaction id is the key");
    assert_eq!(standin.successful_charges(renewal_txn), 1);
    assert_eq!(standin.customers().len(), 1, "one Customer for the subscription");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stripe_trial_saves_the_card_with_a_setup_intent_and_a_card_declining_off_session_goes_past_due() {
    use paygate_standins::stripe::StripeStandIn;
    let app = spawn_with_standins().await;
    let standin = StripeStandIn::start().await;
    let provider = json!({"type": "stripe", "name": "Stripe",
        "credentials": {"secretKey": standin.secret_key(), "publishableKey": "pk_test_e2e"},
        "apiBase": standin.base_url()});
    let merchant = Merchant::new(&app, provider, "2026-03-01T10:00:00Z").await;
    let plan = merchant.plan(&app, 14).await;

    // Stripe's card that attaches fine and declines every charge.
    let setup = merchant.sell(&app, &plan, "pm_card_chargeCustomerFail").await;
    assert_eq!(setup["status"], "succeeded");
    assert_eq!(setup["amount"], 0);
    assert!(setup["providerReference"].as_str().unwrap().starts_with("seti_"));
    assert!(standin.payment_intents().is_empty(), "a trial charges nothing");
    let setup_intent = &standin.setup_intents_for(setup["id"].as_str().unwrap())[0];
    assert_eq!(setup_intent["usage"], "off_session");
    assert_eq!(setup_intent["status"], "succeeded");
    let subscription = merchant.subscription(&app).await;
    assert_eq!(subscription["status"], "trialing");
    assert_eq!(subscription["paymentMethod"], setup_intent["payment_method"]);

    // The trial ends: the first charge runs off session and declines.
    merchant.advance(&app, at("2026-03-15T10:00:00Z") + 3600).await;
    let past_due = eventually(20, "the declined first charge", || async {
        let path = format!("/api/v1/subscriptions/{}", subscription["id"].as_str().unwrap());
        let s: Value = app.admin_get(&merchant.org.api_key, &path).await.json().await.ok()?;
        (s["status"] == "past_due").then_some(s)
    })
    .await;
    assert_eq!(past_due["lastFailureCode"], "card_declined");
    let intents = standin.payment_intents();
    assert_eq!(intents.len(), 1, "one charge, at the trial's end");
    let intent = &intents[0];
    let failed = merchant.transaction(&app, intent["metadata"]["paygate_transaction_id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failureCode"], "card_declined");
    assert_eq!(intent["customer"], setup_intent["customer"]);
    assert_eq!(intent["status"], "requires_payment_method");

    // A merchant cannot hand a subscription a card Stripe never saved.
    let path = format!("/api/v1/subscriptions/{}", subscription["id"].as_str().unwrap());
    let response = app
        .client
        .patch(format!("{}{path}", app.admin))
        .bearer_auth(&merchant.org.api_key)
        .json(&json!({"paymentMethod": "pm_card_visa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 402);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "payment_method_not_reusable");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gocardless_mandate_subscription_renews_with_a_payment_its_webhook_settles() {
    use paygate_standins::gocardless::{self as gc, GoCardlessStandIn};
    let app = spawn_with_standins().await;
    let standin = GoCardlessStandIn::start().await;
    let secret = "gc-subscription-secret-42";
    let provider = json!({"type": "gocardless", "credentials": {"accessToken": gc::ACCESS_TOKEN},
        "webhookSecret": secret, "apiBase": standin.base_url()});
    let merchant = Merchant::new(&app, provider, "2026-03-01T10:00:00Z").await;
    let webhook_url = merchant.provider["webhookUrl"].as_str().unwrap().to_owned();
    let plan = merchant.plan(&app, 0).await;

    // A mandate GoCardless no longer collects on is refused up front.
    let body = json!({"customerId": merchant.customer, "planId": plan, "siteId": merchant.org.site_id,
        "paymentMethod": gc::MANDATE_CANCELLED});
    let response = app.admin_post(&merchant.org.api_key, "/api/v1/subscriptions", &body).await;
    assert_eq!(response.status(), 402);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "mandate_cancelled");
    assert!(standin.payments().is_empty());
    assert!(standin.requests().iter().any(|r| r.path == format!("/mandates/{}", gc::MANDATE_CANCELLED)));

    // Sold on a mandate: its first payment waits for the bank.
    let body = json!({"customerId": merchant.customer, "planId": plan, "siteId": merchant.org.site_id,
        "paymentMethod": gc::MANDATE_OK});
    let response = app.admin_post(&merchant.org.api_key, "/api/v1/subscriptions", &body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let subscription: Value = response.json().await.unwrap();
    let id = subscription["id"].as_str().unwrap().to_owned();
    assert_eq!(subscription["status"], "incomplete");
    let get = |app: &TestApp| {
        let path = format!("/api/v1/subscriptions/{id}");
        let key = merchant.org.api_key.clone();
        let request = app.client.get(format!("{}{path}", app.admin)).bearer_auth(key);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // The bank collects every open payment; GoCardless's events say so.
    let settle = |expected_payments: usize| {
        let standin = &standin;
        let webhook_url = webhook_url.clone();
        async move {
            eventually(20, "the payment at GoCardless", || async {
                (standin.payments().len() == expected_payments).then_some(())
            })
            .await;
            standin.settle_all();
            let events = standin.take_events();
            assert_eq!(standin.send_events(&webhook_url, secret, &events).await.unwrap(), 200);
        }
    };
    settle(1).await;
    let active = eventually(20, "the first payment confirmed", || async {
        let s = get(&app).await;
        (s["status"] == "active").then_some(s)
    })
    .await;
    assert_eq!(active["periodsPaid"], 1);

    // A month later: the renewal is a payment on the mandate, processing
    // until GoCardless's webhook confirms it.
    merchant.advance(&app, at("2026-04-01T10:00:00Z") + DAY).await;
    eventually(20, "the renewal's payment", || async { (standin.payments().len() == 2).then_some(()) }).await;
    let renewal = standin.payments().into_iter().last().unwrap();
    assert_eq!(renewal["links"]["mandate"], gc::MANDATE_OK);
    assert_eq!(renewal["amount"], 1190);
    assert_eq!(renewal["status"], "pending_submission");
    let waiting = get(&app).await;
    assert_eq!(waiting["periodsPaid"], 1, "not paid before the bank confirms");
    let renewal_txn = renewal["metadata"]["paygate_transaction_id"].as_str().unwrap().to_owned();
    assert_eq!(merchant.transaction(&app, &renewal_txn).await["status"], "processing");

    settle(2).await;
    let renewed = eventually(20, "the renewal confirmed by webhook", || async {
        let s = get(&app).await;
        (s["periodsPaid"] == 2).then_some(s)
    })
    .await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(merchant.transaction(&app, &renewal_txn).await["status"], "succeeded");
    assert_eq!(standin.successful_payments(&renewal_txn), 1);
    app.stop().await;
}
