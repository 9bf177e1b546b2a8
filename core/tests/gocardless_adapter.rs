//! `GoCardlessProvider` against the GoCardless stand-in: payments against
//! mandates, their settlement and the events it sends, idempotent retries
//! after failures and lost answers, refunds with `total_amount_confirmation`,
//! cancellation, and the error answers GoCardless documents.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use paygate_core::{
    crypto::SecretString,
    providers::{
        ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundDetails,
        RefundRequest,
        events::{ChargeEventStatus, EventKind, HookRequest, ProviderEvent, RefundEventStatus},
        gocardless::{self, GoCardlessProvider},
    },
};
use paygate_standins::gocardless::{
    self as standin, GoCardlessStandIn, MANDATE_CANCELLED, MANDATE_INSUFFICIENT_FUNDS, MANDATE_OK, MANDATE_PENDING,
};
use serde_json::{Value, json};

const WEBHOOK_SECRET: &str = "gc_webhook_secret_for_tests";

fn provider_with(standin: &GoCardlessStandIn, token: &str) -> GoCardlessProvider {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    GoCardlessProvider::new(http, &standin.base_url(), SecretString::new(token.to_owned()))
}

fn provider(standin: &GoCardlessStandIn) -> GoCardlessProvider {
    provider_with(standin, standin.access_token())
}

fn charge(key: &str, transaction: &str, mandate: &str, amount: i64) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        order_reference: format!("co_{transaction}"),
        amount,
        currency: "gbp".to_owned(),
        method: PaymentMethod::Mandate { id: mandate.to_owned() },
        capture: true,
        transaction_id: transaction.to_owned(),
        return_url: None,
        save_for_reuse: false,
        off_session: false,
    }
}

fn refund(key: &str, reference: &str, amount: i64) -> RefundRequest {
    RefundRequest {
        idempotency_key: key.to_owned(),
        reference: reference.to_owned(),
        amount,
        currency: "GBP".to_owned(),
        refund_id: key.to_owned(),
    }
}

fn refused(code: &str) -> impl Fn(&ProviderError) -> bool + '_ {
    move |err| matches!(err, ProviderError::Refused { code: c, .. } if c == code)
}

/// A payment of `amount` against the succeeding mandate, confirmed.
async fn confirmed_payment(standin: &GoCardlessStandIn, provider: &GoCardlessProvider, amount: i64) -> String {
    let outcome = provider.authorize(&charge("key_paid", "tx_paid", MANDATE_OK, amount)).await.unwrap();
    standin.settle_all();
    assert_eq!(standin.payment(&outcome.reference).unwrap()["status"], "confirmed");
    outcome.reference
}

/// The stand-in's recorded events, through the adapter's webhook parser.
fn parsed(events: &[Value]) -> Vec<ProviderEvent> {
    let (body, signature) = standin::signed_events(WEBHOOK_SECRET, events);
    let headers = vec![(gocardless::SIGNATURE_HEADER.to_owned(), signature)];
    gocardless::parse_webhook(WEBHOOK_SECRET, HookRequest { headers: &headers, body: &body }).unwrap()
}

fn posts(standin: &GoCardlessStandIn, path: &str) -> Vec<standin::RecordedRequest> {
    standin.requests().into_iter().filter(|r| r.method == "POST" && r.path == path).collect()
}

#[tokio::test]
async fn a_new_payment_is_processing_and_carries_paygates_ids() {
    let standin = GoCardlessStandIn::start().await;
    let outcome = provider(&standin).authorize(&charge("key_1", "tx_1", MANDATE_OK, 1250)).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    assert!(outcome.reference.starts_with("PM"), "{}", outcome.reference);

    let created = posts(&standin, "/payments");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].idempotency_key.as_deref(), Some("key_1"));
    let expected = json!({"payments": {
        "amount": 1250,
        "currency": "GBP",
        "description": "Order co_tx_1",
        "metadata": {"paygate_transaction_id": "tx_1", "paygate_checkout_id": "co_tx_1"},
        "links": {"mandate": MANDATE_OK},
    }});
    assert_eq!(created[0].body.as_ref().unwrap(), &expected);
    let payment = standin.payment(&outcome.reference).unwrap();
    assert_eq!(payment["status"], "pending_submission");
    assert_eq!(standin.successful_payments("tx_1"), 1);
}

#[tokio::test]
async fn a_settled_payment_is_confirmed_by_its_events_and_names_its_transaction() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let outcome = provider.authorize(&charge("key_2", "tx_2", MANDATE_OK, 900)).await.unwrap();
    assert_eq!(standin.settle_all(), 1);
    assert_eq!(standin.payment(&outcome.reference).unwrap()["status"], "confirmed");

    let events = parsed(&standin.events());
    let statuses: Vec<(String, ChargeEventStatus)> = events
        .into_iter()
        .map(|event| match event.kind {
            EventKind::Charge { reference, transaction_id: None, status } if reference == outcome.reference => {
                (event.event_type, status)
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("payments.created".to_owned(), ChargeEventStatus::Processing),
            ("payments.submitted".to_owned(), ChargeEventStatus::Processing),
            ("payments.confirmed".to_owned(), ChargeEventStatus::Succeeded { amount_captured: None }),
        ]
    );
    assert_eq!(provider.charge_transaction_id(&outcome.reference).await.unwrap().as_deref(), Some("tx_2"));

    // A payment made elsewhere carries no Paygate id; an unknown one is refused.
    let unknown = provider.charge_transaction_id("PM000NOSUCH").await.unwrap_err();
    assert!(refused("resource_not_found")(&unknown), "{unknown:?}");
}

#[tokio::test]
async fn a_payment_on_a_mandate_without_funds_fails_with_the_banks_cause() {
    let standin = GoCardlessStandIn::start().await;
    let outcome =
        provider(&standin).authorize(&charge("key_3", "tx_3", MANDATE_INSUFFICIENT_FUNDS, 500)).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    standin.settle_all();
    assert_eq!(standin.payment(&outcome.reference).unwrap()["status"], "failed");
    assert_eq!(standin.successful_payments("tx_3"), 0);

    let last = parsed(&standin.events()).pop().unwrap();
    assert_eq!(last.event_type, "payments.failed");
    match last.kind {
        EventKind::Charge { status: ChargeEventStatus::Failed { code, message }, .. } => {
            assert_eq!(code, "insufficient_funds");
            assert!(message.contains("insufficient funds"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn an_inactive_mandate_and_an_unsupported_currency_are_refused() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let err = provider.authorize(&charge("key_4", "tx_4", MANDATE_CANCELLED, 500)).await.unwrap_err();
    assert!(refused("mandate_is_inactive")(&err), "{err:?}");

    let mut inr = charge("key_5", "tx_5", MANDATE_OK, 500);
    inr.currency = "inr".into();
    let err = provider.authorize(&inr).await.unwrap_err();
    assert!(refused("currency_unsupported")(&err), "{err:?}");
    assert!(standin.payments().is_empty());

    let mut card = charge("key_6", "tx_6", MANDATE_OK, 500);
    card.method = PaymentMethod::card("tok_visa");
    assert!(refused("payment_method_invalid")(&provider.authorize(&card).await.unwrap_err()));
    assert!(posts(&standin, "/payments").len() == 2, "the card never reached GoCardless");
}

#[tokio::test]
async fn creating_again_with_the_same_key_returns_the_first_payment() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let request = charge("key_7", "tx_7", MANDATE_OK, 700);
    let first = provider.authorize(&request).await.unwrap();
    standin.settle_all();
    let again = provider.authorize(&request).await.unwrap();
    assert_eq!(again, ChargeOutcome::new(first.reference.clone(), ChargeStatus::Succeeded));
    assert_eq!(standin.payments().len(), 1);
    let fetched = format!("/payments/{}", first.reference);
    assert!(standin.requests().iter().any(|r| r.method == "GET" && r.path == fetched));
}

#[tokio::test]
async fn a_key_reused_for_another_transaction_is_refused() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    provider.authorize(&charge("key_8", "tx_8a", MANDATE_OK, 700)).await.unwrap();
    let err = provider.authorize(&charge("key_8", "tx_8b", MANDATE_OK, 700)).await.unwrap_err();
    assert!(refused("idempotency_key_reused")(&err), "{err:?}");
    assert_eq!(standin.successful_payments("tx_8b"), 0);
}

#[tokio::test]
async fn two_server_errors_then_success_make_exactly_one_payment() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let request = charge("key_9", "tx_9", MANDATE_OK, 300);
    standin.fail_next(2, 500);
    for _ in 0..2 {
        let err = provider.authorize(&request).await.unwrap_err();
        assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
    }
    let outcome = provider.authorize(&request).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    assert_eq!(standin.successful_payments("tx_9"), 1);
    assert!(posts(&standin, "/payments").iter().all(|r| r.idempotency_key.as_deref() == Some("key_9")));
}

#[tokio::test]
async fn a_lost_answer_is_recovered_by_the_retry_without_a_second_payment() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let request = charge("key_10", "tx_10", MANDATE_OK, 300);
    standin.lose_next_answers(1);
    assert!(matches!(provider.authorize(&request).await.unwrap_err(), ProviderError::Transient(_)));
    assert_eq!(standin.payments().len(), 1, "the payment was made although its answer was lost");
    let outcome = provider.authorize(&request).await.unwrap();
    assert_eq!(outcome.reference, standin.payments()[0]["id"]);
    assert_eq!(standin.successful_payments("tx_10"), 1);
}

#[tokio::test]
async fn rate_limits_and_unreachable_servers_are_transient() {
    let standin = GoCardlessStandIn::start().await;
    standin.fail_next(1, 429);
    let err = provider(&standin).authorize(&charge("key_11", "tx_11", MANDATE_OK, 300)).await.unwrap_err();
    assert!(matches!(&err, ProviderError::Transient(m) if m.contains("Rate limit")), "{err:?}");
    assert!(standin.payments().is_empty());

    // Nothing listens on a port just released.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let http = reqwest::Client::new();
    let nowhere = GoCardlessProvider::new(http, &format!("http://{closed}"), SecretString::new("t".into()));
    let err = nowhere.authorize(&charge("key_12", "tx_12", MANDATE_OK, 300)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");

    // A server that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let http = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let hanging = GoCardlessProvider::new(http, &format!("http://{silent_addr}"), SecretString::new("t".into()));
    let err = hanging.refund(&refund("key_13", "PM0001", 100)).await.unwrap_err();
    assert!(matches!(&err, ProviderError::Transient(m) if m.contains("in time")), "{err:?}");
    holder.abort();
}

#[tokio::test]
async fn a_wrong_token_is_an_authentication_refusal_that_never_shows_the_token() {
    let standin = GoCardlessStandIn::start().await;
    let token = "live_wrong_token_that_must_not_leak";
    let err = provider_with(&standin, token).authorize(&charge("key_14", "tx_14", MANDATE_OK, 300)).await.unwrap_err();
    assert!(refused("provider_authentication")(&err), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(token));
    assert!(standin.payments().is_empty());
}

#[tokio::test]
async fn partial_refunds_confirm_the_running_total() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;

    let first = provider.refund(&refund("re_1", &payment, 300)).await.unwrap();
    assert!(!first.settled);
    assert!(first.reference.starts_with("RF"));
    let second = provider.refund(&refund("re_2", &payment, 200)).await.unwrap();
    let last = provider.refund(&refund("re_3", &payment, 500)).await.unwrap();
    assert_ne!(first.reference, second.reference);

    let bodies: Vec<Value> = posts(&standin, "/refunds").into_iter().map(|r| r.body.unwrap()).collect();
    let totals: Vec<&Value> = bodies.iter().map(|b| &b["refunds"]["total_amount_confirmation"]).collect();
    assert_eq!(totals, [&json!(300), &json!(500), &json!(1000)]);
    assert_eq!(
        bodies[0],
        json!({"refunds": {"amount": 300, "total_amount_confirmation": 300, "links": {"payment": payment},
                           "metadata": {"paygate_refund_id": "re_1"}}})
    );
    assert_eq!(standin.payment(&payment).unwrap()["amount_refunded"], 1000);
    assert_eq!(standin.refund(&last.reference).unwrap()["status"], "created");
}

#[tokio::test]
async fn refunding_more_than_was_paid_is_refused() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;
    provider.refund(&refund("re_4", &payment, 700)).await.unwrap();
    let err = provider.refund(&refund("re_5", &payment, 301)).await.unwrap_err();
    assert!(refused("amount_too_large")(&err), "{err:?}");
    assert_eq!(standin.refunds().len(), 1);
    provider.refund(&refund("re_6", &payment, 300)).await.unwrap();
    assert_eq!(standin.payment(&payment).unwrap()["amount_refunded"], 1000);
}

#[tokio::test]
async fn an_uncollected_payment_cannot_be_refunded() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let pending = provider.authorize(&charge("key_15", "tx_15", MANDATE_OK, 1000)).await.unwrap();
    let err = provider.refund(&refund("re_7", &pending.reference, 100)).await.unwrap_err();
    assert!(refused("refund_payment_invalid_state")(&err), "{err:?}");
}

#[tokio::test]
async fn a_refund_retried_after_its_answer_was_lost_is_found_not_repeated() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;
    standin.lose_next_answers(1);
    let request = refund("re_8", &payment, 1000);
    assert!(matches!(provider.refund(&request).await.unwrap_err(), ProviderError::Transient(_)));
    assert_eq!(standin.payment(&payment).unwrap()["amount_refunded"], 1000, "the refund was made");
    let outcome = provider.refund(&request).await.unwrap();
    assert_eq!(standin.refunds().len(), 1);
    assert_eq!(outcome.reference, standin.refunds()[0]["id"]);
    assert_eq!(standin.payment(&payment).unwrap()["amount_refunded"], 1000);

    // Once paid, asking again reports it settled.
    standin.settle_refunds();
    assert!(provider.refund(&request).await.unwrap().settled);
    assert_eq!(posts(&standin, "/refunds").len(), 1);
}

#[tokio::test]
async fn a_refund_key_reused_for_another_refund_is_refused() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;
    provider.refund(&refund("re_9", &payment, 100)).await.unwrap();
    let mut other = refund("re_9", &payment, 100);
    other.refund_id = "re_10".into();
    let err = provider.refund(&other).await.unwrap_err();
    assert!(refused("idempotency_key_reused")(&err), "{err:?}");
    assert_eq!(standin.refunds().len(), 1);
}

#[tokio::test]
async fn refund_events_name_only_ids_and_refund_details_fills_them_in() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;
    standin.take_events();
    let paid = provider.refund(&refund("re_11", &payment, 400)).await.unwrap();
    let returned = provider.refund(&refund("re_12", &payment, 100)).await.unwrap();
    assert!(standin.pay_refund(&paid.reference));
    assert!(standin.return_refund_funds(&returned.reference));

    let events = parsed(&standin.take_events());
    let seen: Vec<(String, String, RefundEventStatus)> = events
        .into_iter()
        .map(|event| match event.kind {
            EventKind::Refund { charge_reference, refund_reference, refund_id: None, amount: None, status } => {
                assert_eq!(charge_reference, "", "the stand-in's refund events do not link the payment");
                (event.event_type, refund_reference, status)
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("refunds.created".to_owned(), paid.reference.clone(), RefundEventStatus::Pending),
            ("refunds.created".to_owned(), returned.reference.clone(), RefundEventStatus::Pending),
            ("refunds.paid".to_owned(), paid.reference.clone(), RefundEventStatus::Succeeded),
            ("refunds.funds_returned".to_owned(), returned.reference.clone(), RefundEventStatus::Failed),
        ]
    );
    let details = provider.refund_details(&paid.reference).await.unwrap();
    assert_eq!(
        details,
        RefundDetails { charge_reference: payment.clone(), amount: 400, refund_id: Some("re_11".into()) }
    );
    assert_eq!(standin.payment(&payment).unwrap()["amount_refunded"], 400, "returned funds are no longer refunded");

    standin.set_refund_events_link_payment(true);
    let third = provider.refund(&refund("re_13", &payment, 50)).await.unwrap();
    match &parsed(&standin.take_events())[0].kind {
        EventKind::Refund { charge_reference, refund_reference, .. } => {
            assert_eq!(charge_reference, &payment);
            assert_eq!(refund_reference, &third.reference);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_chargeback_arrives_as_a_dispute() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let payment = confirmed_payment(&standin, &provider, 1000).await;
    standin.take_events();
    assert!(standin.charge_back(&payment));
    let events = parsed(&standin.take_events());
    let expected = EventKind::Dispute {
        charge_reference: payment.clone(),
        dispute_reference: payment.clone(),
        amount: 0,
        reason: "authorisation_disputed".into(),
        status: "under_review".into(),
    };
    assert_eq!(events[0].kind, expected);
}

#[tokio::test]
async fn a_pending_payment_is_cancelled_once_and_a_submitted_one_is_not() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let pending = provider.authorize(&charge("key_16", "tx_16", MANDATE_OK, 1000)).await.unwrap();
    provider.cancel("cancel_16", &pending.reference).await.unwrap();
    assert_eq!(standin.payment(&pending.reference).unwrap()["status"], "cancelled");
    assert_eq!(standin.successful_payments("tx_16"), 0);
    // A retry whose first answer was lost: GoCardless refuses, the payment is cancelled.
    provider.cancel("cancel_16", &pending.reference).await.unwrap();
    let cancels = format!("/payments/{}/actions/cancel", pending.reference);
    assert_eq!(posts(&standin, &cancels).len(), 2);
    let event = parsed(&standin.events()).pop().unwrap();
    assert_eq!(
        event.kind,
        EventKind::Charge {
            reference: pending.reference.clone(),
            transaction_id: None,
            status: ChargeEventStatus::Canceled
        }
    );

    let submitted = provider.authorize(&charge("key_17", "tx_17", MANDATE_OK, 1000)).await.unwrap();
    assert_eq!(standin.advance(&submitted.reference).as_deref(), Some("submitted"));
    let err = provider.cancel("cancel_17", &submitted.reference).await.unwrap_err();
    assert!(refused("cancellation_failed")(&err), "{err:?}");
}

#[tokio::test]
async fn capture_is_refused_and_manual_capture_never_reaches_gocardless() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let err = provider.capture("cap_1", "PM0001", 100).await.unwrap_err();
    assert!(refused("capture_unsupported")(&err), "{err:?}");
    let mut manual = charge("key_18", "tx_18", MANDATE_OK, 1000);
    manual.capture = false;
    assert!(refused("capture_unsupported")(&provider.authorize(&manual).await.unwrap_err()));
    assert!(standin.requests().is_empty());
}

#[tokio::test]
async fn ids_that_are_not_gocardless_ids_never_reach_a_url() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    assert!(provider.cancel("k", "../refunds").await.is_err());
    assert!(provider.refund_details("RF1?x=1").await.is_err());
    assert!(provider.charge_transaction_id("").await.is_err());
    assert!(standin.requests().is_empty());
}

/// The stand-in itself, over plain HTTP: the answers GoCardless documents.
#[tokio::test]
async fn the_stand_in_answers_as_gocardless_documents() {
    let standin = GoCardlessStandIn::start().await;
    let http = reqwest::Client::new();
    let base = standin.base_url();
    let post = |path: &str, key: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(standin.access_token())
            .header("GoCardless-Version", standin::API_VERSION)
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let error_of = |body: Value| body["error"].clone();

    let unauthenticated = http.get(format!("{base}/payments/PM1")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let error = error_of(unauthenticated.json().await.unwrap());
    assert_eq!(error["type"], "invalid_api_usage");
    assert_eq!(error["code"], 401);
    assert_eq!(error["errors"][0]["reason"], "missing_authorization_header");
    assert!(error["request_id"].is_string() && error["documentation_url"].is_string());

    let no_version = http.get(format!("{base}/payments/PM1")).bearer_auth(standin.access_token()).send().await.unwrap();
    assert_eq!(no_version.status(), 400);
    assert_eq!(error_of(no_version.json().await.unwrap())["errors"][0]["reason"], "missing_version_header");

    let payment = json!({"payments": {"amount": 1000, "currency": "EUR", "links": {"mandate": MANDATE_OK}}});
    let created = post("/payments", "k1", payment.clone()).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["payments"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["payments"]["status"], "pending_submission");

    let conflict = post("/payments", "k1", payment).send().await.unwrap();
    assert_eq!(conflict.status(), 409);
    let error = error_of(conflict.json().await.unwrap());
    assert_eq!(error["type"], "invalid_state");
    assert_eq!(error["errors"][0]["reason"], "idempotent_creation_conflict");
    assert_eq!(error["errors"][0]["links"]["conflicting_resource_id"], id.as_str());

    let bad_currency = json!({"payments": {"amount": 1000, "currency": "INR", "links": {"mandate": MANDATE_OK}}});
    let invalid = post("/payments", "k2", bad_currency).send().await.unwrap();
    assert_eq!(invalid.status(), 422);
    let error = error_of(invalid.json().await.unwrap());
    assert_eq!(error["type"], "validation_failed");
    assert_eq!(error["errors"][0]["field"], "currency");
    assert_eq!(error["errors"][0]["request_pointer"], "/payments/currency");

    standin.settle_all();
    let refund = |key: &str, amount: i64, total: i64| {
        post(
            "/refunds",
            key,
            json!({"refunds": {"amount": amount, "total_amount_confirmation": total,
                                                 "links": {"payment": id}}}),
        )
    };
    let wrong_total = refund("r1", 100, 200).send().await.unwrap();
    assert_eq!(wrong_total.status(), 422);
    assert_eq!(error_of(wrong_total.json().await.unwrap())["errors"][0]["reason"], "total_amount_confirmation_invalid");
    let too_much = refund("r2", 1001, 1001).send().await.unwrap();
    assert_eq!(too_much.status(), 422);
    assert_eq!(error_of(too_much.json().await.unwrap())["errors"][0]["field"], "amount");
    assert_eq!(refund("r3", 100, 100).send().await.unwrap().status(), 201);
    assert_eq!(refund("r4", 100, 200).send().await.unwrap().status(), 201);
    let listed: Value = http
        .get(format!("{base}/refunds?payment={id}&limit=1"))
        .bearer_auth(standin.access_token())
        .header("GoCardless-Version", standin::API_VERSION)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(listed["meta"]["cursors"]["after"], listed["refunds"][0]["id"]);

    let cancel = post(&format!("/payments/{id}/actions/cancel"), "c1", json!({"data": {}})).send().await.unwrap();
    assert_eq!(cancel.status(), 422);
    assert_eq!(error_of(cancel.json().await.unwrap())["errors"][0]["reason"], "cancellation_failed");
}

/// A receiver that checks signatures as the gateway will: 200 for a
/// genuine delivery, 498 (GoCardless's "invalid token") otherwise.
async fn receiver() -> String {
    async fn hook(State(secret): State<&'static str>, headers: HeaderMap, body: Bytes) -> axum::http::StatusCode {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
            .collect();
        match gocardless::parse_webhook(secret, HookRequest { headers: &headers, body: &body }) {
            Ok(_) => axum::http::StatusCode::OK,
            Err(_) => axum::http::StatusCode::from_u16(498).unwrap(),
        }
    }
    let app = Router::new().route("/hooks/gocardless", post(hook)).with_state(WEBHOOK_SECRET);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hooks/gocardless")
}

#[tokio::test]
async fn sent_events_are_signed_as_gocardless_signs_them() {
    let standin = GoCardlessStandIn::start().await;
    provider(&standin).authorize(&charge("key_19", "tx_19", MANDATE_OK, 1000)).await.unwrap();
    standin.settle_all();
    let url = receiver().await;
    let events = standin.events();
    assert_eq!(standin.send_events(&url, WEBHOOK_SECRET, &events).await.unwrap(), 200);
    assert_eq!(standin.send_events(&url, "another secret", &events).await.unwrap(), 498);

    let (mut body, signature) = standin::signed_events(WEBHOOK_SECRET, &events);
    let http = reqwest::Client::new();
    assert_eq!(standin::send_signed(&http, &url, body.clone(), &signature).await.unwrap(), 200);
    body.push(b' ');
    assert_eq!(standin::send_signed(&http, &url, body, &signature).await.unwrap(), 498);
    assert_eq!(
        signature,
        standin::webhook_signature(WEBHOOK_SECRET, &standin::signed_events(WEBHOOK_SECRET, &events).0)
    );
}

#[tokio::test]
async fn a_mandate_is_reusable_while_set_up_or_active_and_refused_otherwise() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let mandate = |id: &str| PaymentMethod::Mandate { id: id.to_owned() };
    assert_eq!(provider.verify_reusable(&mandate(MANDATE_OK)).await, Ok(mandate(MANDATE_OK)));
    assert_eq!(provider.verify_reusable(&mandate(MANDATE_PENDING)).await, Ok(mandate(MANDATE_PENDING)));
    for status in ["pending_customer_approval", "submitted"] {
        standin.set_mandate_status(MANDATE_PENDING, status);
        assert!(provider.verify_reusable(&mandate(MANDATE_PENDING)).await.is_ok(), "{status}");
    }
    let err = provider.verify_reusable(&mandate(MANDATE_CANCELLED)).await.unwrap_err();
    assert!(refused("mandate_cancelled")(&err), "{err:?}");
    for status in ["suspended_by_payer", "expired", "failed", "consumed", "blocked"] {
        standin.set_mandate_status(MANDATE_OK, status);
        let err = provider.verify_reusable(&mandate(MANDATE_OK)).await.unwrap_err();
        assert!(refused(&format!("mandate_{status}"))(&err), "{status}: {err:?}");
    }
    let err = provider.verify_reusable(&mandate("MD000NOSUCHONE")).await.unwrap_err();
    assert!(refused("resource_not_found")(&err), "{err:?}");
    assert!(refused("payment_method_invalid")(
        &provider.verify_reusable(&PaymentMethod::card("pm_card_visa")).await.unwrap_err()
    ));

    // Each check is one GET of the mandate, with the documented headers'
    // requests and no body.
    let requests = standin.requests();
    assert!(requests.iter().all(|r| r.method == "GET" && r.path.starts_with("/mandates/MD") && r.body.is_none()));
    assert_eq!(requests[0].path, format!("/mandates/{MANDATE_OK}"));
    assert!(standin.payments().is_empty(), "checking a mandate never takes a payment");
}

#[tokio::test]
async fn saving_a_mandate_for_a_trial_checks_it_and_takes_nothing() {
    let standin = GoCardlessStandIn::start().await;
    let provider = provider(&standin);
    let request = charge("trial-1", "txn_trial", MANDATE_OK, 0);
    let outcome = provider.save_payment_method(&request).await.unwrap();
    assert_eq!(outcome, ChargeOutcome::new(MANDATE_OK, ChargeStatus::Succeeded));
    assert!(standin.payments().is_empty());
    let cancelled = charge("trial-2", "txn_trial2", MANDATE_CANCELLED, 0);
    assert!(refused("mandate_cancelled")(&provider.save_payment_method(&cancelled).await.unwrap_err()));

    // The renewal later is a payment on the mandate, settled by webhook.
    let mut renewal = charge("txn_renewal", "txn_renewal", MANDATE_OK, 1190);
    renewal.off_session = true;
    let outcome = provider.authorize(&renewal).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    let payment = standin.payment(&outcome.reference).unwrap();
    assert_eq!(payment["links"]["mandate"], MANDATE_OK);
    assert_eq!(payment["metadata"]["paygate_transaction_id"], "txn_renewal");
}
