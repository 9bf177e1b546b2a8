//! `ViesClient` against a local server that answers as the VIES REST API
//! does (`POST /check-vat-number`): check results, its error reports (with
//! the HTTP statuses VIES documents, and with 200 as it also sends), plain
//! HTTP failures, garbage, and silence.

#![allow(clippy::unwrap_used)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::{DateTime, Utc};
use paygate_core::vat::{self, VatId, VatSource, VatStatus, ViesClient, ViesOutcome};
use serde_json::{Value, json};

/// Short, so the hanging case fails fast; long enough for a loaded machine
/// to answer every other case well inside it.
const TIMEOUT: Duration = Duration::from_millis(300);
const REQUEST_DATE: &str = "2024-05-02T10:15:30.123Z";

/// Numbers the fake knows, by `vatNumber`. The first four are format-valid
/// for their country, so `validate` passes them on to VIES.
const VALID_DE: &str = "136695976";
const HIDDEN_DE: &str = "118619592";
const INVALID_DE: &str = "125014955";
const UNAVAILABLE_FR: &str = "40303265045";

/// The VIES error codes under test and the HTTP status each is sent with.
const ERROR_CODES: &[(&str, u16)] = &[
    ("MS_UNAVAILABLE", 200),
    ("TIMEOUT", 500),
    ("SERVICE_UNAVAILABLE", 500),
    ("MS_MAX_CONCURRENT_REQ", 200),
    ("GLOBAL_MAX_CONCURRENT_REQ", 500),
    ("INVALID_REQUESTER_INFO", 400),
    ("INVALID_INPUT", 400),
];

#[derive(Default)]
struct FakeVies {
    /// Requests per `countryCode` + `vatNumber`.
    requests: Mutex<HashMap<String, usize>>,
    bodies: Mutex<Vec<Value>>,
}

impl FakeVies {
    fn requests(&self, full: &str) -> usize {
        self.requests.lock().unwrap().get(full).copied().unwrap_or(0)
    }

    fn total_requests(&self) -> usize {
        self.requests.lock().unwrap().values().sum()
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), Json(body.clone())).into_response()
}

fn check_result(request: &Value, valid: bool, name: &str, address: &str) -> Value {
    json!({
        "countryCode": request["countryCode"],
        "vatNumber": request["vatNumber"],
        "requestDate": REQUEST_DATE,
        "valid": valid,
        "requestIdentifier": "",
        "name": name,
        "address": address,
        "traderName": "",
        "traderStreet": "",
        "traderPostalCode": "",
        "traderCity": "",
        "traderCompanyType": "",
        "traderNameMatch": "NOT_PROCESSED",
        "traderStreetMatch": "NOT_PROCESSED",
        "traderPostalCodeMatch": "NOT_PROCESSED",
        "traderCityMatch": "NOT_PROCESSED",
        "traderCompanyTypeMatch": "NOT_PROCESSED",
    })
}

fn error_report(code: &str) -> Value {
    json!({
        "actionSucceed": false,
        "errorWrappers": [{ "error": code, "message": format!("{code} (test)") }],
    })
}

/// `Json` makes axum refuse a request without a JSON content type, as a
/// strict server would.
async fn check_vat_number(State(vies): State<Arc<FakeVies>>, Json(request): Json<Value>) -> Response {
    let country = request["countryCode"].as_str().unwrap_or_default().to_owned();
    let number = request["vatNumber"].as_str().unwrap_or_default().to_owned();
    *vies.requests.lock().unwrap().entry(format!("{country}{number}")).or_default() += 1;
    vies.bodies.lock().unwrap().push(request.clone());
    match number.as_str() {
        VALID_DE | "094259216" => {
            json_response(200, &check_result(&request, true, "ACME GMBH", "MUSTERSTRASSE 1\n10115 BERLIN"))
        }
        HIDDEN_DE => json_response(200, &check_result(&request, true, "---", "---")),
        INVALID_DE => json_response(200, &check_result(&request, false, "---", "---")),
        UNAVAILABLE_FR => json_response(200, &error_report("MS_UNAVAILABLE")),
        "HTTP_500" => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
        "HTTP_503" => (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html")], "<html>down</html>")
            .into_response(),
        "MALFORMED" => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"valid\": tru").into_response()
        }
        "HTML" => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "<html>maintenance</html>").into_response(),
        "EMPTY_OBJECT" => json_response(200, &json!({})),
        "WRONG_TYPE" => json_response(200, &json!({ "valid": "yes" })),
        "HANG" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json_response(200, &check_result(&request, true, "TOO LATE", "---"))
        }
        code => match ERROR_CODES.iter().find(|(known, _)| *known == code) {
            Some((code, status)) => json_response(*status, &error_report(code)),
            None => json_response(400, &error_report("INVALID_INPUT")),
        },
    }
}

/// Starts the fake on a free loopback port; it lives as long as the test's
/// runtime.
async fn fake_vies() -> (Arc<FakeVies>, SocketAddr) {
    let vies = Arc::new(FakeVies::default());
    let app = Router::new().route("/check-vat-number", post(check_vat_number)).with_state(vies.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (vies, addr)
}

async fn client() -> (Arc<FakeVies>, ViesClient) {
    let (vies, addr) = fake_vies().await;
    (vies, ViesClient::new(&format!("http://{addr}"), TIMEOUT).unwrap())
}

fn id(country_code: &str, number: &str) -> VatId {
    VatId { country_code: country_code.into(), number: number.into() }
}

fn request_date() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(REQUEST_DATE).unwrap().with_timezone(&Utc)
}

fn reason(outcome: ViesOutcome) -> String {
    match outcome {
        ViesOutcome::Unverified { reason } => reason,
        other => panic!("expected unverified, got {other:?}"),
    }
}

#[tokio::test]
async fn vies_valid_answer_carries_name_and_address() {
    let (_, client) = client().await;
    assert_eq!(
        client.check(&id("DE", VALID_DE)).await,
        ViesOutcome::Valid {
            name: Some("ACME GMBH".into()),
            address: Some("MUSTERSTRASSE 1\n10115 BERLIN".into()),
            checked_at: request_date(),
        }
    );
}

#[tokio::test]
async fn vies_hidden_name_and_address_are_none() {
    let (_, client) = client().await;
    assert_eq!(
        client.check(&id("DE", HIDDEN_DE)).await,
        ViesOutcome::Valid { name: None, address: None, checked_at: request_date() }
    );
}

#[tokio::test]
async fn vies_invalid_answer_is_invalid() {
    let (_, client) = client().await;
    assert_eq!(client.check(&id("DE", INVALID_DE)).await, ViesOutcome::Invalid { checked_at: request_date() });
}

#[tokio::test]
async fn vies_error_codes_are_unverified_with_that_code() {
    let (vies, client) = client().await;
    for (code, status) in ERROR_CODES {
        assert_eq!(reason(client.check(&id("DE", code)).await), *code, "sent with HTTP {status}");
    }
    assert_eq!(vies.total_requests(), ERROR_CODES.len());
}

#[tokio::test]
async fn vies_http_errors_are_unverified() {
    let (_, client) = client().await;
    assert_eq!(reason(client.check(&id("DE", "HTTP_500")).await), "HTTP_500");
    assert_eq!(reason(client.check(&id("DE", "HTTP_503")).await), "HTTP_503");
}

#[tokio::test]
async fn vies_unparseable_bodies_are_unverified() {
    let (_, client) = client().await;
    for number in ["MALFORMED", "HTML", "EMPTY_OBJECT", "WRONG_TYPE"] {
        assert_eq!(reason(client.check(&id("DE", number)).await), "UNPARSEABLE_RESPONSE", "{number}");
    }
}

#[tokio::test]
async fn vies_hang_past_the_timeout_is_unverified_timeout() {
    let (vies, client) = client().await;
    let started = Instant::now();
    assert_eq!(reason(client.check(&id("DE", "HANG")).await), "TIMEOUT");
    let waited = started.elapsed();
    assert!(waited >= TIMEOUT && waited < Duration::from_secs(3), "gave up after {waited:?}");
    assert_eq!(vies.requests("DEHANG"), 1);
}

#[tokio::test]
async fn vies_unreachable_is_unverified() {
    // A port that was just free: nothing listens there any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = ViesClient::new(&format!("http://{addr}"), TIMEOUT).unwrap();
    assert_eq!(reason(client.check(&id("DE", VALID_DE)).await), "CONNECTION_FAILED");
}

#[tokio::test]
async fn vies_request_is_the_documented_json() {
    let (vies, addr) = fake_vies().await;
    // A trailing slash on the base URL must not double up in the path.
    let client = ViesClient::new(&format!("http://{addr}/"), TIMEOUT).unwrap();
    // Built with Greece's ISO code; VIES must still be asked with EL.
    client.check(&id("GR", "094259216")).await;
    let bodies = vies.bodies.lock().unwrap().clone();
    assert_eq!(bodies, [json!({ "countryCode": "EL", "vatNumber": "094259216" })]);
}

#[tokio::test]
async fn vies_valid_answers_are_cached() {
    let (vies, client) = client().await;
    let first = client.check(&id("DE", VALID_DE)).await;
    let second = client.check(&id("DE", VALID_DE)).await;
    assert!(matches!(first, ViesOutcome::Valid { .. }));
    assert_eq!(second, first, "the cached answer keeps its original time");
    assert_eq!(vies.requests("DE136695976"), 1);
    // Another client has its own cache.
    let (_, addr) = fake_vies().await;
    let other = ViesClient::new(&format!("http://{addr}"), TIMEOUT).unwrap();
    assert!(matches!(other.check(&id("DE", VALID_DE)).await, ViesOutcome::Valid { .. }));
    assert_eq!(vies.requests("DE136695976"), 1);
}

#[tokio::test]
async fn vies_invalid_and_unverified_answers_are_not_cached() {
    let (vies, client) = client().await;
    for _ in 0..2 {
        assert!(matches!(client.check(&id("DE", INVALID_DE)).await, ViesOutcome::Invalid { .. }));
        assert_eq!(reason(client.check(&id("DE", "MS_UNAVAILABLE")).await), "MS_UNAVAILABLE");
        assert_eq!(reason(client.check(&id("DE", "HTTP_500")).await), "HTTP_500");
    }
    assert_eq!(vies.requests("DE125014955"), 2);
    assert_eq!(vies.requests("DEMS_UNAVAILABLE"), 2);
    assert_eq!(vies.requests("DEHTTP_500"), 2);
}

#[tokio::test]
async fn validate_lets_vies_decide_format_valid_numbers() {
    let (vies, client) = client().await;

    let valid = vat::validate(Some(&client), "de 136.695.976").await;
    assert!(valid.valid);
    assert_eq!((valid.status, valid.source, valid.reason), (VatStatus::Valid, VatSource::Vies, None));
    assert_eq!((valid.country_code.as_str(), valid.vat_number.as_str()), ("DE", VALID_DE));
    assert_eq!(valid.name.as_deref(), Some("ACME GMBH"));
    assert_eq!(valid.checked_at, request_date());

    let invalid = vat::validate(Some(&client), "DE 125 014 955").await;
    assert!(!invalid.valid);
    assert_eq!((invalid.status, invalid.source), (VatStatus::Invalid, VatSource::Vies));

    let unverified = vat::validate(Some(&client), "FR 40 303 265 045").await;
    assert!(!unverified.valid);
    assert_eq!((unverified.status, unverified.source), (VatStatus::Unverified, VatSource::Vies));
    assert_eq!(unverified.reason.as_deref(), Some("MS_UNAVAILABLE"));

    assert_eq!(vies.total_requests(), 3);
}

#[tokio::test]
async fn validate_rejects_bad_check_digits_without_asking_vies() {
    let (vies, client) = client().await;
    let result = vat::validate(Some(&client), "DE 136695977").await;
    assert!(!result.valid);
    assert_eq!((result.status, result.source), (VatStatus::Invalid, VatSource::Format));
    assert_eq!(result.reason.as_deref(), Some("invalid_checksum"));
    let result = vat::validate(Some(&client), "US 136695976").await;
    assert_eq!((result.status, result.reason.as_deref()), (VatStatus::Invalid, Some("unknown_country")));
    assert_eq!(vies.total_requests(), 0);
}
