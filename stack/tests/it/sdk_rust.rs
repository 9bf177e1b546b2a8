//! The Rust SDK against a running gateway, as a plugin author uses it.

use futures::TryStreamExt;
use paygate_sdk::{
    Client, Error, IpnError, ListParams,
    grpc::{self, v1},
    models::{NewCheckout, NewRefund},
    verify_ipn,
};
use serde_json::json;

use super::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_rust_sdk_sells_refunds_pages_verifies_ipns_and_types_errors() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let client = Client::new(&org.api_key, &app.admin);

    // The same idempotency key twice: one checkout.
    let order = NewCheckout::new(2500, "EUR").description("Order 1001").ipn_url(&receiver.url);
    let first = client.create_checkout(&org.site_id, &order, Some("order-1001")).await.unwrap();
    let again = client.create_checkout(&org.site_id, &order, Some("order-1001")).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first.status, "open");
    assert!(first.payment_url.contains(&first.id));

    assert_eq!(app.pay(&first.id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
    let transaction_id = app.settled_status(&first.id).await["transaction"]["id"].as_str().unwrap().to_owned();
    let paid = client.transaction(&transaction_id).await.unwrap();
    assert_eq!((paid.status.as_str(), paid.amount), ("succeeded", 2500));

    let refund = client.refund(&transaction_id, &NewRefund { amount: Some(700), reason: None }, None).await.unwrap();
    assert_eq!(refund.amount, 700);
    assert_eq!(client.transaction(&transaction_id).await.unwrap().amount_refunded, 700);

    // Two more payments; the stream reads all three, two per page.
    for n in 0..2 {
        let checkout = client.create_checkout(&org.site_id, &NewCheckout::new(1000 + n, "EUR"), None).await.unwrap();
        assert_eq!(app.pay(&checkout.id, &json!({"paymentMethod": "tok_visa"})).await.status(), 202);
        app.settled_status(&checkout.id).await;
    }
    let all: Vec<_> =
        client.transactions(ListParams { limit: Some(2), ..Default::default() }).try_collect().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].id, transaction_id, "newest first");

    // The IPN verifies with the SDK; anything else does not.
    let ipn =
        eventually(20, "the IPN", || async { receiver.of_type("transaction.succeeded").into_iter().next() }).await;
    let headers: Vec<(&str, &str)> = ipn.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(verify_ipn(ipn.body.as_bytes(), headers.clone(), &org.webhook_secret, 300), Ok(()));
    let tampered = ipn.body.replace("2500", "1");
    assert_eq!(verify_ipn(tampered.as_bytes(), headers.clone(), &org.webhook_secret, 300), Err(IpnError::BadSignature));
    assert_eq!(verify_ipn(ipn.body.as_bytes(), headers, "whsec_wrong", 300), Err(IpnError::BadSignature));

    // API errors are typed.
    match client.create_checkout(&org.site_id, &NewCheckout::new(-5, "EUR"), None).await {
        Err(Error::Api { status, kind, code, param, .. }) => {
            assert_eq!((status, kind.as_str(), code.as_str()), (400, "invalid_request_error", "amount_invalid"));
            assert_eq!(param.as_deref(), Some("amount"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    let unknown = Client::new("sk_test_not_a_real_key", &app.admin).checkout(&first.id).await.unwrap_err();
    assert_eq!(unknown.code(), Some("api_key_invalid"));

    // gRPC with the key in metadata.
    let channel = tonic::transport::Endpoint::from_shared(app.core.clone()).unwrap().connect().await.unwrap();
    let mut organizations = v1::organization_service_client::OrganizationServiceClient::with_interceptor(
        channel,
        grpc::ApiKey::new(&org.api_key).unwrap(),
    );
    let organization = organizations.get_current_organization(v1::GetCurrentOrganizationRequest {}).await.unwrap();
    assert_eq!(organization.get_ref().id, org.organization_id);
    app.stop().await;
}

#[path = "../../../sdks/rust/examples/quickstart.rs"]
mod quickstart;

/// The quick start in docs/sdks.md is this example's code, and it runs.
#[tokio::test(flavor = "multi_thread")]
async fn the_documented_rust_quick_start_runs() {
    let example = include_str!("../../../sdks/rust/examples/quickstart.rs");
    let code = example.split("// quickstart:start\n").nth(1).unwrap().split("// quickstart:end").next().unwrap();
    let docs = include_str!("../../../docs/sdks.md");
    assert!(docs.contains(code.trim()), "docs/sdks.md shows the quick start of sdks/rust/examples/quickstart.rs");

    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let first = quickstart::sell(&org.api_key, &app.admin, &org.site_id).await.unwrap();
    let again = quickstart::sell(&org.api_key, &app.admin, &org.site_id).await.unwrap();
    assert_eq!(first, again, "the same order number sells once");
    app.stop().await;
}
