//! The Stripe adapter against a local server that answers as Stripe's API
//! reference documents: charges, captures, refunds, declines, 3-D Secure,
//! idempotent retries through failures, and signed events read back by the
//! adapter's own webhook parser.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use paygate_core::{
    crypto::SecretString,
    providers::{
        ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundDetails,
        RefundOutcome, RefundRequest,
        events::{ChargeEventStatus, EventKind, HookRequest, ProviderEvent},
        stripe::{self, STRIPE_API_VERSION, StripeProvider},
    },
};
use paygate_standins::stripe::{SignedEvent, StripeStandIn};
use serde_json::{Value, json};

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

fn provider_for(standin: &StripeStandIn) -> StripeProvider {
    StripeProvider::new(client(Duration::from_secs(5)), &standin.base_url(), SecretString::new(standin.secret_key()))
}

async fn setup() -> (StripeStandIn, StripeProvider) {
    let standin = StripeStandIn::start().await;
    let provider = provider_for(&standin);
    (standin, provider)
}

fn charge(key: &str, payment_method: &str, amount: i64, capture: bool) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.into(),
        order_reference: format!("chk_{key}"),
        amount,
        currency: "EUR".into(),
        method: PaymentMethod::card(payment_method),
        capture,
        transaction_id: format!("txn_{key}"),
        return_url: None,
        save_for_reuse: false,
        off_session: false,
    }
}

fn refund(key: &str, reference: &str, amount: i64) -> RefundRequest {
    RefundRequest {
        idempotency_key: key.into(),
        reference: reference.into(),
        amount,
        currency: "EUR".into(),
        refund_id: format!("rf_{key}"),
    }
}

async fn charged(provider: &StripeProvider, key: &str, amount: i64, capture: bool) -> String {
    let outcome = provider.authorize(&charge(key, "pm_card_visa", amount, capture)).await.expect("authorize");
    let expected = if capture { ChargeStatus::Succeeded } else { ChargeStatus::RequiresCapture };
    assert_eq!(outcome.status, expected);
    outcome.reference
}

fn refused_code(result: Result<impl std::fmt::Debug, ProviderError>) -> String {
    match result {
        Err(ProviderError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn assert_transient<T: std::fmt::Debug>(result: Result<T, ProviderError>) {
    assert!(matches!(result, Err(ProviderError::Transient(_))), "expected a transient error, got {result:?}");
}

#[tokio::test]
async fn a_charge_is_one_succeeded_payment_intent_with_the_gateway_ids() {
    let (standin, provider) = setup().await;
    let outcome = provider.authorize(&charge("k1", "pm_card_visa", 2500, true)).await.expect("authorize");
    assert!(outcome.reference.starts_with("pi_"), "{}", outcome.reference);
    assert_eq!(outcome.status, ChargeStatus::Succeeded);

    let intent = standin.payment_intent(&outcome.reference).expect("stored at Stripe");
    assert_eq!(intent["object"], "payment_intent");
    assert_eq!(intent["amount"], 2500);
    assert_eq!(intent["amount_received"], 2500);
    assert_eq!(intent["currency"], "eur");
    assert_eq!(intent["capture_method"], "automatic");
    assert_eq!(intent["payment_method"], "pm_card_visa");
    assert_eq!(intent["metadata"], json!({"paygate_transaction_id": "txn_k1", "paygate_checkout_id": "chk_k1"}));
    assert_eq!(intent["description"], "Paygate checkout chk_k1");
    assert!(intent["latest_charge"].as_str().is_some_and(|ch| ch.starts_with("ch_")));
    assert_eq!(standin.successful_charges("txn_k1"), 1);

    let requests = standin.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str(), request.status), ("POST", "/v1/payment_intents", 200));
    assert_eq!(request.stripe_version.as_deref(), Some(STRIPE_API_VERSION));
    assert_eq!(request.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(request.authorization, Some(format!("Bearer {}", standin.secret_key())));
    assert_eq!(request.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    let param = |name: &str| request.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(param("confirm"), Some("true"));
    assert_eq!(param("metadata[paygate_transaction_id]"), Some("txn_k1"));
    assert_eq!(param("return_url"), None);
}

#[tokio::test]
async fn manual_capture_authorizes_then_captures_part_of_the_amount() {
    let (standin, provider) = setup().await;
    let reference = charged(&provider, "auth1", 5000, false).await;
    let intent = standin.payment_intent(&reference).expect("intent");
    assert_eq!(
        (intent["status"].as_str(), intent["amount_capturable"].as_i64()),
        (Some("requires_capture"), Some(5000))
    );
    assert_eq!(intent["capture_method"], "manual");
    assert_eq!(standin.successful_charges("txn_auth1"), 1, "an authorization holds the money");

    provider.capture("cap1", &reference, 3000).await.expect("partial capture");
    let intent = standin.payment_intent(&reference).expect("intent");
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], 3000);
    assert_eq!(intent["amount_capturable"], 0);

    // The same key again is the same capture, not a second one.
    provider.capture("cap1", &reference, 3000).await.expect("replayed capture");
    assert_eq!(refused_code(provider.capture("cap2", &reference, 1000).await), "payment_intent_unexpected_state");
    // The uncaptured rest was released: refunds stop at what was captured.
    assert_eq!(refused_code(provider.refund(&refund("r1", &reference, 3001)).await), "amount_too_large");
}

#[tokio::test]
async fn capturing_more_than_authorized_is_refused() {
    let (_standin, provider) = setup().await;
    let reference = charged(&provider, "auth2", 1000, false).await;
    assert_eq!(refused_code(provider.capture("cap", &reference, 1001).await), "amount_too_large");
    provider.capture("cap-ok", &reference, 1000).await.expect("full capture");
}

#[tokio::test]
async fn cancel_releases_an_authorization() {
    let (standin, provider) = setup().await;
    let reference = charged(&provider, "auth3", 1000, false).await;
    provider.cancel("cancel1", &reference).await.expect("cancel");
    let intent = standin.payment_intent(&reference).expect("intent");
    assert_eq!(intent["status"], "canceled");
    assert_eq!(standin.successful_charges("txn_auth3"), 0);
    provider.cancel("cancel1", &reference).await.expect("same key, same answer");
    assert_eq!(refused_code(provider.cancel("cancel2", &reference).await), "payment_intent_unexpected_state");
    assert_eq!(refused_code(provider.capture("cap", &reference, 1000).await), "payment_intent_unexpected_state");
}

#[tokio::test]
async fn refunds_split_a_charge_and_never_exceed_it() {
    let (standin, provider) = setup().await;
    let reference = charged(&provider, "paid", 2500, true).await;

    let first = provider.refund(&refund("r1", &reference, 1000)).await.expect("first refund");
    assert!(first.reference.starts_with("re_"), "{}", first.reference);
    assert!(first.settled);
    assert_eq!(
        provider.refund(&refund("r1", &reference, 1000)).await,
        Ok(first.clone()),
        "the same key is the same refund"
    );
    assert_eq!(refused_code(provider.refund(&refund("r2", &reference, 1501)).await), "amount_too_large");
    let second = provider.refund(&refund("r3", &reference, 1500)).await.expect("the rest");
    assert_ne!(second.reference, first.reference);
    assert_eq!(refused_code(provider.refund(&refund("r4", &reference, 1)).await), "charge_already_refunded");

    let refunds = standin.refunds_for(&reference);
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0]["amount"], 1000);
    assert_eq!(refunds[0]["metadata"], json!({"paygate_refund_id": "rf_r1"}));
    assert_eq!(refunds[1]["amount"], 1500);
    assert!(refunds.iter().all(|r| r["status"] == "succeeded" && r["payment_intent"] == reference.as_str()));
}

#[tokio::test]
async fn an_uncaptured_charge_cannot_be_refunded() {
    let (_standin, provider) = setup().await;
    let reference = charged(&provider, "auth4", 1000, false).await;
    assert_eq!(refused_code(provider.refund(&refund("r", &reference, 500)).await), "payment_intent_unexpected_state");
}

#[tokio::test]
async fn a_pending_refund_is_not_settled_and_a_failed_one_is_reported_by_its_events() {
    let (standin, provider) = setup().await;
    let pending = provider.authorize(&charge("pend", "pm_card_pendingRefund", 1000, true)).await.expect("charge");
    let outcome = provider.refund(&refund("rp", &pending.reference, 400)).await.expect("refund");
    assert!(!outcome.settled);
    assert_eq!(standin.refund(&outcome.reference).expect("refund")["status"], "pending");
    assert!(standin.finish_refund(&outcome.reference));
    assert_eq!(standin.refund(&outcome.reference).expect("refund")["status"], "succeeded");

    let failing = provider.authorize(&charge("fail", "pm_card_refundFail", 1000, true)).await.expect("charge");
    let outcome = provider.refund(&refund("rf", &failing.reference, 1000)).await.expect("refund");
    assert!(outcome.settled, "Stripe first reports these refunds as succeeded");
    assert!(standin.finish_refund(&outcome.reference));
    let failed = standin.refund(&outcome.reference).expect("refund");
    assert_eq!(failed["status"], "failed");
    assert!(standin.events().iter().any(|e| e["type"] == "refund.failed" && e["data"]["object"]["id"] == failed["id"]));
    // The failed refund gave the amount back to the charge.
    provider.refund(&refund("rf2", &failing.reference, 1000)).await.expect("refund again");
}

#[tokio::test]
async fn declines_are_failed_charges_with_the_card_reason() {
    let (standin, provider) = setup().await;
    let cases = [
        ("pm_card_chargeDeclined", "card_declined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "Your card has expired."),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "Your card's security code is incorrect."),
        (
            "pm_card_chargeDeclinedProcessingError",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
        ("pm_card_chargeDeclinedLostCard", "lost_card", "Your card was declined."),
        ("pm_card_chargeDeclinedFraudulent", "card_declined", "Your card was declined."),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
    ];
    for (i, (payment_method, code, message)) in cases.into_iter().enumerate() {
        let key = format!("decline{i}");
        let outcome = provider.authorize(&charge(&key, payment_method, 1200, true)).await.expect(payment_method);
        assert_eq!(
            outcome.status,
            ChargeStatus::Failed { code: code.into(), message: message.into() },
            "{payment_method}"
        );
        let intent = standin.payment_intent(&outcome.reference).expect("the declined PaymentIntent exists");
        assert_eq!(intent["status"], "requires_payment_method");
        assert_eq!(intent["last_payment_error"]["type"], "card_error");
        assert_eq!(standin.successful_charges(&format!("txn_{key}")), 0);
        // A repeated decline is the stored 402, not a second attempt.
        let again = provider.authorize(&charge(&key, payment_method, 1200, true)).await.expect("replay");
        assert_eq!(again, outcome);
        assert!(standin.requests().last().is_some_and(|r| r.replayed && r.status == 402));
    }
    assert_eq!(standin.payment_intents().len(), cases.len());
}

#[tokio::test]
async fn three_d_secure_is_surfaced_with_stripes_next_action_and_completes_on_the_stand_in() {
    let (standin, provider) = setup().await;
    let mut request = charge("3ds", "pm_card_threeDSecure2Required", 4200, true);
    request.return_url = Some("https://pay.example.com/c/chk_3ds?from=3ds".into());
    let outcome = provider.authorize(&request).await.expect("authorize");
    let ChargeStatus::RequiresAction { next_action } = &outcome.status else {
        panic!("expected requires_action, got {:?}", outcome.status);
    };
    assert_eq!(next_action["type"], "redirect_to_url");
    assert_eq!(next_action["redirect_to_url"]["return_url"], "https://pay.example.com/c/chk_3ds?from=3ds");
    let url = next_action["redirect_to_url"]["url"].as_str().expect("redirect url");
    assert!(url.starts_with(&standin.base_url()), "{url}");
    assert_eq!(standin.successful_charges("txn_3ds"), 0);

    // What a browser does: open the page, press "Complete".
    let browser = client(Duration::from_secs(5));
    let page = browser.get(url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("id=\"complete\""));
    let back = browser.post(format!("{url}/complete")).send().await.expect("complete");
    assert_eq!(back.status(), 303);
    let location = back.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.starts_with("https://pay.example.com/c/chk_3ds?from=3ds&payment_intent="), "{location}");
    assert!(location.ends_with("&redirect_status=succeeded"), "{location}");
    assert_eq!(standin.payment_intent(&outcome.reference).expect("intent")["status"], "succeeded");
    assert_eq!(standin.successful_charges("txn_3ds"), 1);
    assert_eq!(browser.post(format!("{url}/complete")).send().await.expect("again").status(), 409);
}

#[tokio::test]
async fn three_d_secure_without_a_return_url_is_for_stripe_js_and_can_fail() {
    let (standin, provider) = setup().await;
    let outcome =
        provider.authorize(&charge("3ds-sdk", "pm_card_threeDSecure2Required", 4200, false)).await.expect("authorize");
    let ChargeStatus::RequiresAction { next_action } = &outcome.status else {
        panic!("expected requires_action, got {:?}", outcome.status);
    };
    assert_eq!(next_action["type"], "use_stripe_sdk");
    assert!(standin.authenticate(&outcome.reference, false));
    let intent = standin.payment_intent(&outcome.reference).expect("intent");
    assert_eq!(intent["status"], "requires_payment_method");
    assert_eq!(intent["last_payment_error"]["code"], "payment_intent_authentication_failure");
    assert!(!standin.authenticate(&outcome.reference, true), "nothing left to authenticate");
}

#[tokio::test]
async fn the_same_key_twice_is_one_payment_intent_and_other_parameters_are_refused() {
    let (standin, provider) = setup().await;
    let first = provider.authorize(&charge("same", "pm_card_visa", 900, true)).await.expect("first");
    let second = provider.authorize(&charge("same", "pm_card_visa", 900, true)).await.expect("second");
    assert_eq!(first, second);
    assert_eq!(standin.payment_intents_for("txn_same").len(), 1);
    let requests = standin.requests();
    assert_eq!(requests.iter().map(|r| r.replayed).collect::<Vec<_>>(), [false, true]);

    let changed = charge("same", "pm_card_visa", 901, true);
    assert_eq!(refused_code(provider.authorize(&changed).await), "idempotency_error");
    assert_eq!(standin.payment_intents_for("txn_same").len(), 1);
}

#[tokio::test]
async fn a_concurrent_request_with_the_same_key_is_transient() {
    let (standin, provider) = setup().await;
    standin.conflict_next(1);
    assert_transient(provider.authorize(&charge("busy", "pm_card_visa", 1000, true)).await);
    assert_eq!(standin.requests()[0].status, 409);
    assert_eq!(standin.payment_intents().len(), 0);
    charged(&provider, "busy", 1000, true).await;
    assert_eq!(standin.successful_charges("txn_busy"), 1);
}

#[tokio::test]
async fn rate_limits_are_transient() {
    let (standin, provider) = setup().await;
    standin.fail_next(1, 429);
    assert_transient(provider.authorize(&charge("rl", "pm_card_visa", 1000, true)).await);
    assert_eq!(standin.requests()[0].status, 429);
    let reference = charged(&provider, "rl", 1000, true).await;
    standin.fail_next(1, 429);
    assert_transient(provider.refund(&refund("rl-r", &reference, 100)).await);
}

#[tokio::test]
async fn two_server_errors_then_success_with_the_same_key_charge_once() {
    let (standin, provider) = setup().await;
    standin.fail_next(2, 500);
    let request = charge("flaky", "pm_card_visa", 3100, true);
    assert_transient(provider.authorize(&request).await);
    assert_transient(provider.authorize(&request).await);
    let outcome = provider.authorize(&request).await.expect("third try");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);
    assert_eq!(standin.successful_charges("txn_flaky"), 1);
    let requests = standin.requests();
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 500, 200]);
    assert!(requests.iter().all(|r| r.idempotency_key.as_deref() == Some("flaky")));
}

#[tokio::test]
async fn an_answer_lost_after_stripe_charged_is_replayed_on_retry() {
    let (standin, provider) = setup().await;
    standin.lose_next_responses(1);
    let request = charge("lost", "pm_card_visa", 3100, true);
    assert_transient(provider.authorize(&request).await);
    assert_eq!(standin.successful_charges("txn_lost"), 1, "Stripe charged although the answer was lost");
    let outcome = provider.authorize(&request).await.expect("retry");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);
    assert_eq!(standin.payment_intents_for("txn_lost").len(), 1);
    assert_eq!(outcome.reference, standin.payment_intents_for("txn_lost")[0]["id"]);
    assert!(standin.requests()[1].replayed);
}

#[tokio::test]
async fn a_timeout_is_transient_and_the_retry_gets_the_first_requests_charge() {
    let standin = StripeStandIn::start().await;
    let provider = StripeProvider::new(
        client(Duration::from_millis(300)),
        &standin.base_url(),
        SecretString::new(standin.secret_key()),
    );
    standin.set_latency(Duration::from_millis(1500));
    let request = charge("slow", "pm_card_visa", 1000, true);
    assert_transient(provider.authorize(&request).await);
    // Still running at Stripe: the same key is busy.
    assert_transient(provider.authorize(&request).await);
    assert_eq!(standin.requests().last().map(|r| r.status), Some(409));
    standin.set_latency(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let outcome = provider.authorize(&request).await.expect("after the first finished");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);
    assert_eq!(standin.payment_intents_for("txn_slow").len(), 1);
    assert!(standin.requests().last().is_some_and(|r| r.replayed));
}

#[tokio::test]
async fn an_unreachable_stripe_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let provider = StripeProvider::new(
        client(Duration::from_secs(2)),
        &format!("http://{address}"),
        SecretString::new("sk_test_unreachable".into()),
    );
    assert_transient(provider.authorize(&charge("down", "pm_card_visa", 1000, true)).await);
    assert_transient(provider.capture("c", "pi_123", 1).await);
}

#[tokio::test]
async fn a_wrong_key_is_refused_without_repeating_it() {
    let standin = StripeStandIn::start().await;
    let wrong = "sk_test_51WrongKeyThatMustNeverBeEchoed";
    let provider =
        StripeProvider::new(client(Duration::from_secs(5)), &standin.base_url(), SecretString::new(wrong.into()));
    let result = provider.authorize(&charge("auth", "pm_card_visa", 1000, true)).await;
    let Err(ProviderError::Refused { code, message }) = &result else { panic!("expected a refusal, got {result:?}") };
    assert_eq!(code, "provider_authentication");
    assert!(!message.contains(wrong) && !message.contains("Echoed"), "{message}");
    assert_eq!(standin.requests()[0].status, 401);
    assert_eq!(standin.payment_intents().len(), 0);
    assert_eq!(refused_code(provider.refund(&refund("r", "pi_123", 1)).await), "provider_authentication");
}

#[tokio::test]
async fn stripes_own_refusals_keep_stripes_code() {
    let (_standin, provider) = setup().await;
    assert_eq!(
        refused_code(provider.authorize(&charge("nopm", "pm_card_doesNotExist", 1000, true)).await),
        "resource_missing"
    );
    assert_eq!(refused_code(provider.authorize(&charge("small", "pm_card_visa", 10, true)).await), "amount_too_small");
    assert_eq!(refused_code(provider.capture("c", "pi_doesNotExist", 100).await), "resource_missing");
    assert_eq!(refused_code(provider.capture("c", "../v1/refunds", 100).await), "resource_missing");
}

#[tokio::test]
async fn refund_details_and_the_charges_transaction_come_from_stripe() {
    let (_standin, provider) = setup().await;
    let reference = charged(&provider, "look", 2000, true).await;
    let RefundOutcome { reference: refund_reference, .. } =
        provider.refund(&refund("look-r", &reference, 750)).await.expect("refund");
    assert_eq!(
        provider.refund_details(&refund_reference).await,
        Ok(RefundDetails { charge_reference: reference.clone(), amount: 750, refund_id: Some("rf_look-r".into()) })
    );
    assert_eq!(refused_code(provider.refund_details("re_doesNotExist").await), "resource_missing");
    assert_eq!(provider.charge_transaction_id(&reference).await, Ok(Some("txn_look".into())));
    assert_eq!(provider.charge_transaction_id("pi_doesNotExist").await, Ok(None));
}

/// A webhook endpoint that runs the adapter's parser, as the gateway's
/// hooks route will.
async fn receiver(secret: &'static str) -> (String, Arc<Mutex<Vec<ProviderEvent>>>) {
    use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
    type Received = Arc<Mutex<Vec<ProviderEvent>>>;
    async fn hook(
        State((secret, received)): State<(&'static str, Received)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let headers: Vec<(String, String)> =
            headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
        match stripe::parse_webhook(secret, HookRequest { headers: &headers, body: &body }, now) {
            Ok(events) => {
                received.lock().expect("lock").extend(events);
                StatusCode::OK
            }
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    let received: Received = Arc::default();
    let app = axum::Router::new().route("/hooks/stripe", post(hook)).with_state((secret, received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hooks/stripe", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, received)
}

#[tokio::test]
async fn the_stand_ins_events_verify_and_parse_with_the_adapter() {
    const SECRET: &str = "whsec_standin_e2e";
    let (url, received) = receiver(SECRET).await;
    let (standin, provider) = setup().await;
    let reference = charged(&provider, "hook", 1800, false).await;
    let intent = standin.payment_intent(&reference).expect("intent");

    let status = standin.send_event(&url, SECRET, "payment_intent.amount_capturable_updated", intent.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(standin.send_event(&url, "whsec_someone_else", "payment_intent.succeeded", intent.clone()).await, 400);
    let stale = SignedEvent::at(SECRET, "payment_intent.succeeded", intent.clone(), 1_600_000_000);
    assert_eq!(standin.deliver(&url, &stale).await, 400);

    // Registered: the account's own events arrive as Stripe sends them.
    standin.register_webhook(&url, SECRET);
    provider.capture("hook-cap", &reference, 1500).await.expect("capture");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while standin.deliveries().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(standin.deliveries().len(), 1);
    assert_eq!(standin.deliveries()[0].status, Some(200));

    let received = received.lock().expect("lock").clone();
    let kinds: Vec<EventKind> = received.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Charge {
                reference: reference.clone(),
                transaction_id: Some("txn_hook".into()),
                status: ChargeEventStatus::RequiresCapture,
            },
            EventKind::Charge {
                reference: reference.clone(),
                transaction_id: Some("txn_hook".into()),
                status: ChargeEventStatus::Succeeded { amount_captured: Some(1500) },
            },
        ]
    );
    assert!(received.iter().all(|e| e.id.starts_with("evt_")));
    assert_ne!(received[0].id, received[1].id);
}

#[tokio::test]
async fn a_replayed_event_keeps_its_id_and_events_can_arrive_out_of_order() {
    const SECRET: &str = "whsec_standin_order";
    let (url, received) = receiver(SECRET).await;
    let (standin, provider) = setup().await;
    let reference = charged(&provider, "order", 1000, true).await;
    let refunded = provider.refund(&refund("order-r", &reference, 1000)).await.expect("refund");
    let refund_object: Value = standin.refund(&refunded.reference).expect("refund");
    let intent = standin.payment_intent(&reference).expect("intent");

    let refund_event = SignedEvent::new(SECRET, "refund.created", refund_object);
    let charge_event = SignedEvent::new(SECRET, "payment_intent.succeeded", intent);
    assert_eq!(standin.deliver(&url, &refund_event).await, 200);
    assert_eq!(standin.deliver(&url, &charge_event).await, 200);
    assert_eq!(standin.deliver(&url, &refund_event).await, 200);

    let received = received.lock().expect("lock").clone();
    let ids: Vec<&str> = received.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [refund_event.id.as_str(), charge_event.id.as_str(), refund_event.id.as_str()]);
    assert!(matches!(
        &received[0].kind,
        EventKind::Refund { charge_reference, refund_id: Some(id), amount: Some(1000), .. }
            if *charge_reference == reference && id == "rf_order-r"
    ));
}

#[tokio::test]
async fn a_disputed_charge_sends_a_dispute_event() {
    let (standin, provider) = setup().await;
    let outcome: ChargeOutcome =
        provider.authorize(&charge("dispute", "pm_card_createDispute", 5000, true)).await.expect("charge");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);
    let disputes = standin.disputes();
    assert_eq!(disputes.len(), 1);
    assert_eq!(disputes[0]["payment_intent"], outcome.reference.as_str());
    assert!(standin.events().iter().any(|e| e["type"] == "charge.dispute.created"));
}

// --- saved cards ----------------------------------------------------------------------

/// The form parameters of the last request to `path`.
fn last_params(standin: &StripeStandIn, method: &str, path: &str) -> Vec<(String, String)> {
    standin
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no {method} {path}"))
        .params
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

fn renewal(key: &str, saved: &PaymentMethod, amount: i64) -> ChargeRequest {
    let mut request = charge(key, "unused", amount, true);
    request.method = saved.clone();
    request.off_session = true;
    // A renewal has no page to come back to; the adapter sends none.
    request.return_url = Some("https://pay.example.com/checkout/chk_renewal".into());
    request
}

#[tokio::test]
async fn a_subscriptions_first_charge_saves_the_card_to_a_new_customer_and_renewals_charge_it_off_session() {
    let (standin, provider) = setup().await;
    let mut first = charge("sub-first", "pm_card_visa", 1190, true);
    first.save_for_reuse = true;
    first.return_url = Some("https://pay.example.com/checkout/chk_sub-first".into());
    let outcome = provider.authorize(&first).await.expect("authorize");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);

    // A Customer made for it, keyed from the charge's own key.
    let customers = standin.customers();
    assert_eq!(customers.len(), 1);
    let customer = customers[0]["id"].as_str().expect("customer id").to_owned();
    assert_eq!(customers[0]["metadata"]["paygate_transaction_id"], "txn_sub-first");
    let created = standin.requests().into_iter().find(|r| r.path == "/v1/customers").expect("customer request");
    assert_eq!(created.idempotency_key.as_deref(), Some("sub-first-customer"));
    assert_eq!(created.stripe_version.as_deref(), Some(STRIPE_API_VERSION));

    // The PaymentIntent names it and asks to save the card off session.
    let params = last_params(&standin, "POST", "/v1/payment_intents");
    assert_eq!(param(&params, "customer"), Some(customer.as_str()));
    assert_eq!(param(&params, "setup_future_usage"), Some("off_session"));
    assert_eq!(param(&params, "confirm"), Some("true"));
    assert_eq!(param(&params, "off_session"), None);
    let intent = standin.payment_intent(&outcome.reference).expect("intent");
    assert_eq!(intent["customer"], customer.as_str());
    assert_eq!(intent["setup_future_usage"], "off_session");

    // What is saved: the new PaymentMethod Stripe made of the test card,
    // attached to the Customer.
    let Some(PaymentMethod::Card { token, customer: Some(saved_to) }) = outcome.saved_method.clone() else {
        panic!("no saved card: {:?}", outcome.saved_method);
    };
    assert_eq!(saved_to, customer);
    assert_ne!(token, "pm_card_visa");
    assert_eq!(intent["payment_method"], token.as_str());
    assert_eq!(standin.payment_method(&token).expect("saved")["customer"], customer.as_str());

    // The same charge again (a retried job): the same Customer, the same
    // PaymentIntent.
    let again = provider.authorize(&first).await.expect("retry");
    assert_eq!(again, outcome);
    assert_eq!(standin.customers().len(), 1);

    // A renewal: off session, with the Customer and the saved card, no
    // return_url and nothing saved again.
    let saved = outcome.saved_method.clone().expect("saved");
    let renewed = provider.authorize(&renewal("txn_renew1", &saved, 1190)).await.expect("renew");
    assert_eq!(renewed.status, ChargeStatus::Succeeded);
    assert_eq!(renewed.saved_method, None);
    let params = last_params(&standin, "POST", "/v1/payment_intents");
    assert_eq!(param(&params, "off_session"), Some("true"));
    assert_eq!(param(&params, "confirm"), Some("true"));
    assert_eq!(param(&params, "customer"), Some(customer.as_str()));
    assert_eq!(param(&params, "payment_method"), Some(token.as_str()));
    assert_eq!(param(&params, "return_url"), None);
    assert_eq!(param(&params, "setup_future_usage"), None);
    assert_eq!(param(&params, "metadata[paygate_transaction_id]"), Some("txn_txn_renew1"));
    assert_eq!(standin.successful_charges("txn_txn_renew1"), 1);

    // A card never saved cannot be charged off session: refused before
    // anything is sent.
    let before = standin.requests().len();
    let unsaved = renewal("txn_unsaved", &PaymentMethod::card("pm_card_visa"), 1190);
    assert_eq!(refused_code(provider.authorize(&unsaved).await), "payment_method_not_reusable");
    assert_eq!(standin.requests().len(), before);
    // Nor with a Customer it is not attached to (Stripe refuses it).
    let wrong = PaymentMethod::Card { token: token.clone(), customer: Some("cus_someoneelse".into()) };
    assert_eq!(refused_code(provider.authorize(&renewal("txn_wrong", &wrong, 1190)).await), "resource_missing");
}

#[tokio::test]
async fn a_decline_card_is_not_saved_and_a_first_charge_needing_3ds_saves_once_authenticated() {
    let (standin, provider) = setup().await;
    let mut declined = charge("sub-declined", "pm_card_chargeDeclined", 1190, true);
    declined.save_for_reuse = true;
    let outcome = provider.authorize(&declined).await.expect("answer");
    assert!(matches!(outcome.status, ChargeStatus::Failed { ref code, .. } if code == "card_declined"));

    let mut secure = charge("sub-3ds", "pm_card_threeDSecure2Required", 1190, true);
    secure.save_for_reuse = true;
    secure.return_url = Some("https://pay.example.com/checkout/chk_sub-3ds".into());
    let outcome = provider.authorize(&secure).await.expect("answer");
    assert!(matches!(outcome.status, ChargeStatus::RequiresAction { .. }), "{:?}", outcome.status);
    let Some(PaymentMethod::Card { token, customer: Some(customer) }) = outcome.saved_method.clone() else {
        panic!("the card to be saved is known at once: {:?}", outcome.saved_method);
    };
    assert_eq!(standin.payment_method(&token).expect("made")["customer"], Value::Null, "attached only on success");
    assert!(standin.authenticate(&outcome.reference, true));
    assert_eq!(standin.payment_method(&token).expect("saved")["customer"], customer.as_str());
    // Authenticated once for off-session use, a 3-D Secure card renewing
    // without the payer declines with authentication_required.
    let renewed = provider.authorize(&renewal("txn_3ds_renew", &outcome.saved_method.expect("saved"), 1190)).await;
    let renewed = renewed.expect("answer");
    assert!(
        matches!(renewed.status, ChargeStatus::Failed { ref code, .. } if code == "authentication_required"),
        "{:?}",
        renewed.status
    );
}

#[tokio::test]
async fn a_trial_saves_the_card_with_an_off_session_setup_intent_and_a_failing_card_fails_its_renewal() {
    let (standin, provider) = setup().await;
    let mut trial = charge("trial-1", "pm_card_chargeCustomerFail", 0, true);
    trial.return_url = Some("https://pay.example.com/checkout/chk_trial-1".into());
    let outcome = provider.save_payment_method(&trial).await.expect("saved");
    assert_eq!(outcome.status, ChargeStatus::Succeeded);
    assert!(outcome.reference.starts_with("seti_"), "{}", outcome.reference);
    let customer = standin.customers()[0]["id"].as_str().expect("customer").to_owned();
    let params = last_params(&standin, "POST", "/v1/setup_intents");
    for (name, value) in [
        ("customer", customer.as_str()),
        ("payment_method", "pm_card_chargeCustomerFail"),
        ("confirm", "true"),
        ("usage", "off_session"),
        ("payment_method_types[0]", "card"),
        ("return_url", "https://pay.example.com/checkout/chk_trial-1"),
        ("metadata[paygate_transaction_id]", "txn_trial-1"),
    ] {
        assert_eq!(param(&params, name), Some(value), "{name}");
    }
    assert_eq!(param(&params, "amount"), None, "a SetupIntent charges nothing");
    let setup = &standin.setup_intents_for("txn_trial-1")[0];
    assert_eq!(setup["status"], "succeeded");
    assert_eq!(setup["usage"], "off_session");
    let saved = outcome.saved_method.clone().expect("saved");
    let PaymentMethod::Card { token, customer: Some(saved_to) } = &saved else { panic!("{saved:?}") };
    assert_eq!(saved_to, &customer);
    assert_eq!(setup["payment_method"], token.as_str());
    assert_eq!(provider.retrieve_charge(&outcome.reference).await, Ok(Some(ChargeStatus::Succeeded)));
    assert_eq!(provider.charge_transaction_id(&outcome.reference).await, Ok(Some("txn_trial-1".into())));
    assert_eq!(standin.payment_intents().len(), 0);

    // The card attaches, but charging it later fails: a declined renewal.
    let renewed = provider.authorize(&renewal("txn_trial_renew", &saved, 1190)).await.expect("answer");
    assert!(matches!(renewed.status, ChargeStatus::Failed { ref code, .. } if code == "card_declined"));

    // A decline card cannot be saved: the SetupIntent fails with its reason.
    let declined = provider
        .save_payment_method(&charge("trial-2", "pm_card_chargeDeclinedInsufficientFunds", 0, true))
        .await
        .expect("answer");
    assert!(declined.reference.starts_with("seti_"));
    assert!(matches!(declined.status, ChargeStatus::Failed { ref code, .. } if code == "insufficient_funds"));
}

#[tokio::test]
async fn a_trial_card_needing_3ds_waits_for_the_payer_and_its_setup_intent_events_settle_it() {
    const SECRET: &str = "whsec_standin_setup";
    let (url, received) = receiver(SECRET).await;
    let (standin, provider) = setup().await;
    standin.register_webhook(&url, SECRET);
    let mut trial = charge("trial-3ds", "pm_card_threeDSecure2Required", 0, true);
    trial.return_url = Some("https://pay.example.com/checkout/chk_trial-3ds".into());
    let outcome = provider.save_payment_method(&trial).await.expect("answer");
    let ChargeStatus::RequiresAction { next_action } = &outcome.status else { panic!("{:?}", outcome.status) };
    assert_eq!(next_action["type"], "redirect_to_url");
    assert_eq!(provider.retrieve_charge(&outcome.reference).await, Ok(Some(outcome.status.clone())));

    // The payer completes it on the page next_action names.
    let page = next_action["redirect_to_url"]["url"].as_str().expect("url").to_owned();
    let browser = client(Duration::from_secs(5));
    assert!(browser.get(&page).send().await.expect("page").text().await.expect("html").contains("Saving the card"));
    let back = browser.post(format!("{page}/complete")).send().await.expect("complete");
    let location = back.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.contains("setup_intent=seti_") && location.ends_with("redirect_status=succeeded"), "{location}");
    assert_eq!(provider.retrieve_charge(&outcome.reference).await, Ok(Some(ChargeStatus::Succeeded)));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let done = received.lock().expect("lock").iter().any(|e| e.event_type == "setup_intent.succeeded");
        if done || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = received.lock().expect("lock").clone();
    let charge_events: Vec<EventKind> =
        received.iter().filter(|e| e.event_type.starts_with("setup_intent.")).map(|e| e.kind.clone()).collect();
    let expected = |status| EventKind::Charge {
        reference: outcome.reference.clone(),
        transaction_id: Some("txn_trial-3ds".into()),
        status,
    };
    assert!(charge_events.contains(&expected(ChargeEventStatus::RequiresAction)), "{charge_events:?}");
    assert!(charge_events.contains(&expected(ChargeEventStatus::Succeeded { amount_captured: Some(0) })));

    // An abandoned one is canceled like a payment.
    let other = provider
        .save_payment_method(&charge("trial-abandon", "pm_card_threeDSecure2Required", 0, true))
        .await
        .expect("answer");
    provider.cancel("trial-abandon:abandon", &other.reference).await.expect("cancel");
    assert!(matches!(
        provider.retrieve_charge(&other.reference).await,
        Ok(Some(ChargeStatus::Failed { ref code, .. })) if code == "canceled"
    ));
    assert_eq!(refused_code(provider.capture("c", &other.reference, 1).await), "resource_missing");
}

#[tokio::test]
async fn only_a_card_saved_to_a_customer_is_reusable() {
    let (standin, provider) = setup().await;
    let outcome = provider.save_payment_method(&charge("verify", "pm_card_visa", 0, true)).await.expect("saved");
    let PaymentMethod::Card { token, customer } = outcome.saved_method.expect("saved") else { panic!() };
    let customer = customer.expect("customer");
    // Named alone (as a merchant's API request does), it comes back with
    // the Customer Stripe has it attached to.
    let verified = provider.verify_reusable(&PaymentMethod::card(token.clone())).await.expect("reusable");
    assert_eq!(verified, PaymentMethod::Card { token: token.clone(), customer: Some(customer.clone()) });
    let get = standin.requests().into_iter().rev().find(|r| r.method == "GET").expect("a GET");
    assert_eq!(get.path, format!("/v1/payment_methods/{token}"));
    assert_eq!(get.idempotency_key, None);

    let elsewhere = PaymentMethod::Card { token: token.clone(), customer: Some("cus_other".into()) };
    assert_eq!(refused_code(provider.verify_reusable(&elsewhere).await), "payment_method_not_reusable");
    assert_eq!(
        refused_code(provider.verify_reusable(&PaymentMethod::card("pm_card_visa")).await),
        "payment_method_not_reusable",
        "a card never saved is charged with the payer only"
    );
    assert_eq!(
        refused_code(provider.verify_reusable(&PaymentMethod::card("pm_nosuchmethod")).await),
        "resource_missing"
    );
    assert_eq!(
        refused_code(provider.verify_reusable(&PaymentMethod::card("pm_../v1/refunds")).await),
        "resource_missing"
    );
}
