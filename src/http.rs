//! Axum pieces both edges share: the JSON extractor whose rejections are
//! API errors, the request limits, and turning an HTTP request into a core
//! gRPC request.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::{ErrorType, HttpError};

/// Largest request body any edge accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// `value` as a JSON answer with `status`, written into one buffer of
/// `capacity` bytes. axum's `Json` starts at 128 bytes and grows as it
/// writes, which for a created checkout (663 bytes for the README's order) meant three
/// reallocations and copies on the busiest route. Serializing a wire type
/// cannot fail (string keys, no custom errors); if it ever did, the answer
/// is the API's 500.
pub fn json_answer<T: Serialize>(status: StatusCode, value: &T, capacity: usize) -> Response {
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Api,
            "internal_error",
            format!("the answer could not be written as JSON: {err}"),
        )
        .into_response(),
    }
}

/// `Json` whose every rejection is an API.md error body: 415 for another
/// content type, 413 over the body limit, 400 for malformed JSON or a field
/// of the wrong type (with `param` naming the field).
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorType::InvalidRequest,
                "unsupported_media_type",
                "the request body must be JSON sent with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(AppJson)
    }
}

/// A request body that could not be read, as API.md's error: 408 when it
/// did not arrive in time, 413 over the limit, 400 otherwise.
pub fn body_rejection(rejection: axum::extract::rejection::BytesRejection) -> HttpError {
    if crate::server::is_body_read_timeout(&rejection) {
        HttpError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorType::InvalidRequest,
            "request_timeout",
            "the request body did not arrive in time",
        )
    } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::InvalidRequest,
            "body_too_large",
            format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
        )
    } else {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "body_unreadable",
            "the request body could not be read",
        )
    }
}

/// Like [`AppJson`], but an empty body (no body at all) is the default
/// value: for routes whose every field is optional.
pub struct AppJsonOrEmpty<T>(pub T);

impl<S, T> FromRequest<S> for AppJsonOrEmpty<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_empty =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() == "0");
        let no_body = declared_empty
            || (!req.headers().contains_key(header::CONTENT_TYPE)
                && !req.headers().contains_key(header::TRANSFER_ENCODING)
                && !req.headers().contains_key(header::CONTENT_LENGTH));
        if no_body {
            return Ok(Self(T::default()));
        }
        AppJson::<T>::from_request(req, state).await.map(|AppJson(value)| Self(value))
    }
}

/// Parses a JSON body, naming the offending field on a type error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    // serde would accept a JSON array for a struct (fields by position);
    // the API only takes objects.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "body_invalid",
            "the request body must be a JSON object",
        ));
    }
    // A body that parses needs no path: tracking one costs every field.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return HttpError::new(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                "invalid_json",
                format!("the request body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        let code = if message.starts_with("unknown field") { "parameter_unknown" } else { "parameter_invalid" };
        let error = HttpError::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, code, message);
        if path.is_empty() || path == "." { error } else { error.with_param(path) }
    })
}

/// `application/json` or an `application/…+json` type, parameters aside.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let (kind, subtype) = essence.split_at_checked("application/".len()).unwrap_or_default();
    kind.eq_ignore_ascii_case("application/")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.get(subtype.len().saturating_sub(5)..).is_some_and(|end| end.eq_ignore_ascii_case("+json")))
}

/// The `Idempotency-Key` header, validated.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, HttpError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(String::new());
    };
    let key = value.to_str().map_err(|_| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "idempotency_key_invalid",
            "Idempotency-Key must be printable ASCII",
        )
        .with_param("Idempotency-Key")
    })?;
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "idempotency_key_invalid",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"),
        )
        .with_param("Idempotency-Key"));
    }
    Ok(key.to_owned())
}

/// Wraps a message for core, carrying the caller's credentials and the
/// current trace context. Credentials over the edge's header limit are not
/// forwarded (the edge answers 431 before a handler runs; this keeps any
/// path that skipped that check from sending core an oversized header on
/// the connection every request shares).
pub fn core_request<T>(headers: &HeaderMap, message: T) -> tonic::Request<T> {
    // The edge's own header values, shared rather than copied: a header
    // value is already what gRPC metadata may carry.
    let mut forwarded = HeaderMap::with_capacity(4);
    let passed = [
        (header::AUTHORIZATION, crate::server::MAX_HEADER_BYTES),
        // The mode a signed-in user works in, and the client's address (set
        // by the edge's server, never taken from the client).
        (header::HeaderName::from_static("paygate-mode"), 64),
        (header::HeaderName::from_static(crate::server::CLIENT_IP_HEADER), 64),
    ];
    for (name, most) in passed {
        if let Some(value) = headers.get(&name).filter(|v| v.len() <= most) {
            forwarded.insert(name, value.clone());
        }
    }
    let mut request = tonic::Request::new(message);
    *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(forwarded);
    crate::telemetry::inject_context(request.metadata_mut());
    request
}

/// JSON 404 for any route an edge does not serve.
pub async fn route_not_found() -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, ErrorType::InvalidRequest, "route_not_found", "no such route")
}

/// JSON 405 when the path exists with another method.
pub async fn method_not_allowed() -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorType::InvalidRequest,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// Answers `GET /readyz`: 200 only when core reports SERVING. (`/healthz`
/// is [`crate::metrics::healthz`]: alive, whatever core says.)
pub async fn readyz(channel: crate::client::CoreChannel) -> Response {
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let check = client.check(tonic_health::pb::HealthCheckRequest { service: String::new() });
    match tokio::time::timeout(std::time::Duration::from_secs(2), check).await {
        Ok(Ok(reply))
            if reply.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 =>
        {
            (StatusCode::OK, axum::Json(serde_json::json!({"status": "ready", "core": "serving"}))).into_response()
        }
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "core": "not serving"})),
        )
            .into_response(),
    }
}

/// Query-string extractor whose rejection is an API error naming the
/// offending parameter.
pub struct AppQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri).map(|q| AppQuery(q.0)).map_err(|rejection| {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                "parameter_invalid",
                rejection.body_text(),
            )
        })
    }
}

/// RFC 3339 (UTC, seconds precision unless finer is present) for JSON.
/// A time past the year 9999 (a "never" kept as a far-off instant) has no
/// RFC 3339 form: absent.
pub fn rfc3339(timestamp: Option<&prost_types::Timestamp>) -> Option<String> {
    use chrono::Datelike;
    let timestamp = timestamp?;
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    chrono::DateTime::from_timestamp(timestamp.seconds, nanos)
        .filter(|t| (0..=9999).contains(&t.year()))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// A PDF as an attachment named after the document number.
pub fn pdf_response(document: crate::proto::v1::DocumentPdf) -> Response {
    let filename: String =
        document.number.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    let disposition = format!("attachment; filename=\"{filename}.pdf\"");
    let mut response = document.pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/pdf"));
    if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Adds `Idempotent-Replayed: true` when core answered from its record.
pub fn with_replay_header(metadata: &tonic::metadata::MetadataMap, mut response: Response) -> Response {
    if metadata.get("idempotent-replayed").is_some_and(|v| v == "true") {
        response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        amount: i64,
        nested: Option<Nested>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Nested {
        country: String,
    }

    #[test]
    fn wrong_type_names_the_param() {
        let err = parse_json::<Sample>(br#"{"amount":"12"}"#).expect_err("must fail");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.body.error.param.as_deref(), Some("amount"));
        let err = parse_json::<Sample>(br#"{"amount":1,"nested":{"country":5}}"#).expect_err("must fail");
        assert_eq!(err.body.error.param.as_deref(), Some("nested.country"));
    }

    #[test]
    fn malformed_json_is_invalid_json() {
        let err = parse_json::<Sample>(br#"{"amount": 1"#).expect_err("must fail");
        assert_eq!(err.body.error.code, "invalid_json");
    }

    #[test]
    fn oversized_credentials_stay_at_the_edge() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer sk_test_small".parse().expect("header"));
        assert!(core_request(&headers, ()).metadata().contains_key("authorization"));
        let huge = format!("Bearer {}", "a".repeat(crate::server::MAX_HEADER_BYTES));
        headers.insert(header::AUTHORIZATION, huge.parse().expect("header"));
        assert!(!core_request(&headers, ()).metadata().contains_key("authorization"));
    }

    #[test]
    fn times_beyond_rfc_3339_are_absent() {
        let at = |seconds| rfc3339(Some(&prost_types::Timestamp { seconds, nanos: 0 }));
        assert_eq!(at(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(at(253_402_300_799).as_deref(), Some("9999-12-31T23:59:59Z"));
        assert_eq!(at(253_402_300_800), None);
        assert_eq!(at(2_305_843_009_213), None);
    }

    #[test]
    fn json_content_types() {
        let mut headers = HeaderMap::new();
        assert!(!is_json_content_type(&headers));
        headers.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().expect("header"));
        assert!(is_json_content_type(&headers));
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().expect("header"));
        assert!(!is_json_content_type(&headers));
        for (value, json) in [
            ("Application/JSON", true),
            (" application/vnd.api+JSON ;v=1", true),
            ("application/jsonx", false),
            ("application/", false),
            ("application", false),
            ("text/json", false),
            ("application/x+jsonp", false),
        ] {
            headers.insert(header::CONTENT_TYPE, value.parse().expect("header"));
            assert_eq!(is_json_content_type(&headers), json, "{value}");
        }
    }
}
