//! The one error vocabulary shared by core and the edges.
//!
//! Core raises errors as `tonic::Status` carrying an `ErrorInfo` detail
//! (reason = the API error `code`, metadata `type` and optionally
//! `httpStatus`) and, for field errors, a `BadRequest` violation whose
//! field is the API's `param`. [`HttpError::from_status`] is the single
//! mapping from a status to the HTTP status and JSON body of API.md.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

const DOMAIN: &str = "paygate";

/// The `type` field of the error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    Permission,
    Idempotency,
    RateLimit,
    Provider,
    Api,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication => "authentication_error",
            Self::Permission => "permission_error",
            Self::Idempotency => "idempotency_error",
            Self::RateLimit => "rate_limit_error",
            Self::Provider => "provider_error",
            Self::Api => "api_error",
        }
    }

    pub const ALL: [Self; 7] = [
        Self::InvalidRequest,
        Self::Authentication,
        Self::Permission,
        Self::Idempotency,
        Self::RateLimit,
        Self::Provider,
        Self::Api,
    ];

    fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// An API error as core describes it, before it becomes a `tonic::Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFault {
    pub grpc: Code,
    pub kind: ErrorType,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    /// Overrides the HTTP status the gRPC code would map to (422 for an
    /// idempotency key reused with another body, 402 for a declined card).
    pub http_status: Option<u16>,
    /// When the caller may try again: a gRPC `RetryInfo` detail, and the
    /// HTTP `Retry-After` header (whole seconds, at least 1).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiFault {
    pub fn new(grpc: Code, kind: ErrorType, code: &str, message: impl Into<String>) -> Self {
        Self {
            grpc,
            kind,
            code: code.to_owned(),
            message: message.into(),
            param: None,
            http_status: None,
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, delay: std::time::Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    pub fn param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    pub fn http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn into_status(self) -> tonic::Status {
        let mut metadata = std::collections::HashMap::new();
        metadata.insert("type".to_owned(), self.kind.as_str().to_owned());
        if let Some(status) = self.http_status {
            metadata.insert("httpStatus".to_owned(), status.to_string());
        }
        let mut details = ErrorDetails::with_error_info(self.code, DOMAIN, metadata);
        if let Some(param) = &self.param {
            details.add_bad_request_violation(param.clone(), self.message.clone());
        }
        if let Some(delay) = self.retry_after {
            details.set_retry_info(Some(delay));
        }
        tonic::Status::with_error_details(self.grpc, self.message, details)
    }
}

/// The JSON error body every error status carries.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"error": {"type": "invalid_request_error", "code": "amount_invalid",
    "message": "amount must be a positive integer", "param": "amount"}}))]
pub struct ErrorBody {
    pub error: ErrorObject,
}

fn error_type_schema() -> utoipa::openapi::schema::Object {
    crate::wire::string_enum(&ErrorType::ALL.map(ErrorType::as_str))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorObject {
    /// The class of error; `code` says which one exactly.
    #[serde(rename = "type")]
    #[schema(schema_with = error_type_schema)]
    pub kind: &'static str,
    /// Stable and machine-readable, e.g. `amount_invalid`.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// An HTTP error response: status + API.md's body.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

impl HttpError {
    pub fn new(status: StatusCode, kind: ErrorType, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: ErrorObject { kind: kind.as_str(), code: code.to_owned(), message: message.into(), param: None },
            },
            retry_after: None,
        }
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.body.error.param = Some(param.into());
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorType::InvalidRequest, "resource_missing", format!("no such {what}"))
    }

    /// The one mapping from a core status to HTTP. Statuses without Paygate
    /// details (transport failures, core down) never leak their message.
    pub fn from_status(status: &tonic::Status) -> Self {
        let (default_http, default_kind, default_code) = match status.code() {
            Code::InvalidArgument | Code::OutOfRange => {
                (StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, "invalid_request")
            }
            Code::NotFound => (StatusCode::NOT_FOUND, ErrorType::InvalidRequest, "resource_missing"),
            Code::AlreadyExists | Code::FailedPrecondition => {
                (StatusCode::CONFLICT, ErrorType::InvalidRequest, "conflict")
            }
            Code::Aborted => (StatusCode::CONFLICT, ErrorType::Idempotency, "conflict"),
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorType::Authentication, "unauthenticated"),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, ErrorType::Permission, "permission_denied"),
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, ErrorType::RateLimit, "rate_limited"),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorType::Api, "service_unavailable")
            }
            Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, ErrorType::Api, "not_implemented"),
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorType::Api, "internal_error")
            }
        };
        let details = status.get_error_details();
        let Some(info) = details.error_info().filter(|info| info.domain == DOMAIN) else {
            tracing::warn!(code = ?status.code(), message = %crate::telemetry::redact(status.message()), "core call failed");
            let message = match default_http {
                StatusCode::SERVICE_UNAVAILABLE => "the gateway core is unavailable; retry later",
                _ => "an internal error occurred",
            };
            let http = if default_http.is_client_error() { StatusCode::INTERNAL_SERVER_ERROR } else { default_http };
            let code = if http == StatusCode::SERVICE_UNAVAILABLE { "service_unavailable" } else { "internal_error" };
            return Self::new(http, ErrorType::Api, code, message);
        };
        let http = info
            .metadata
            .get("httpStatus")
            .and_then(|s| s.parse::<u16>().ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(default_http);
        let kind = info.metadata.get("type").and_then(|t| ErrorType::parse(t)).unwrap_or(default_kind);
        let code = if info.reason.is_empty() { default_code } else { info.reason.as_str() };
        let mut error = Self::new(http, kind, code, status.message());
        if let Some(violation) = details.bad_request().and_then(|b| b.field_violations.first()) {
            error = error.with_param(violation.field.clone());
        }
        // Rounded up: a client must not come back before the delay is over.
        error.retry_after = details
            .retry_info()
            .and_then(|info| info.retry_delay)
            .map(|delay| delay.as_secs() + u64::from(delay.subsec_nanos() > 0))
            .map(|seconds| seconds.max(1));
        error
    }
}

impl From<tonic::Status> for HttpError {
    fn from(status: tonic::Status) -> Self {
        Self::from_status(&status)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_round_trips_to_param() {
        let status = ApiFault::new(
            Code::InvalidArgument,
            ErrorType::InvalidRequest,
            "amount_invalid",
            "amount must be a positive integer",
        )
        .param("amount")
        .into_status();
        let http = HttpError::from_status(&status);
        assert_eq!(http.status, StatusCode::BAD_REQUEST);
        assert_eq!(http.body.error.kind, "invalid_request_error");
        assert_eq!(http.body.error.code, "amount_invalid");
        assert_eq!(http.body.error.param.as_deref(), Some("amount"));
    }

    #[test]
    fn http_status_override_wins() {
        let status = ApiFault::new(Code::FailedPrecondition, ErrorType::Idempotency, "idempotency_key_reused", "x")
            .http_status(422)
            .into_status();
        let http = HttpError::from_status(&status);
        assert_eq!(http.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(http.body.error.kind, "idempotency_error");
    }

    #[test]
    fn retry_after_travels_from_core_to_the_header() {
        let status = ApiFault::new(Code::Unavailable, ErrorType::Api, "overloaded", "busy")
            .retry_after(std::time::Duration::from_millis(1500))
            .into_status();
        let http = HttpError::from_status(&status);
        assert_eq!(http.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(http.retry_after, Some(2), "rounded up to whole seconds");
        let response = http.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let plain = HttpError::from_status(&ApiFault::new(Code::Unavailable, ErrorType::Api, "x", "y").into_status());
        assert!(plain.into_response().headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn foreign_status_does_not_leak_its_message() {
        let http = HttpError::from_status(&tonic::Status::unavailable("tcp connect error 127.0.0.1:1"));
        assert_eq!(http.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!http.body.error.message.contains("127.0.0.1"));
        let http = HttpError::from_status(&tonic::Status::invalid_argument("secret detail"));
        assert_eq!(http.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!http.body.error.message.contains("secret"));
    }
}
