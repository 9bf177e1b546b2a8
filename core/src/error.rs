//! Core's one error type and its one mapping to `tonic::Status`.

use paygate_contract::error::{ApiFault, ErrorType};
use tonic::Code;

use crate::{queue::QueueError, store::StoreError};

/// What an overloaded core asks callers to wait before trying again.
pub const OVERLOADED_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A request field is wrong: 400 with `param`.
    #[error("{message}")]
    InvalidField { param: String, code: &'static str, message: String },
    /// The request is wrong as a whole: 400.
    #[error("{message}")]
    InvalidRequest { code: &'static str, message: String },
    /// Also what another organization's resources look like.
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    #[error("this API key lacks the scope {0}")]
    MissingScope(&'static str),
    /// The caller is known but may not do this: 403.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Too many tries of something that is limited per object: 429.
    #[error("{message}")]
    TooManyAttempts { code: &'static str, message: String },
    /// The resource is in a state that forbids the change: 409.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyMismatch,
    /// The provider declined or refused: 402.
    #[error("{message}")]
    Provider { code: String, message: String },
    /// The provider could not be reached: 502.
    #[error("provider unavailable: {0}")]
    ProviderUnavailable(String),
    #[error("the PDF worker is unavailable")]
    PdfUnavailable,
    #[error("configuration: {0}")]
    Config(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error("internal: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn field(param: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField { param: param.to_owned(), code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    fn fault(&self) -> ApiFault {
        use ErrorType as T;
        match self {
            Self::InvalidField { param, code, message } => {
                ApiFault::new(Code::InvalidArgument, T::InvalidRequest, code, message).param(param)
            }
            Self::InvalidRequest { code, message } => {
                ApiFault::new(Code::InvalidArgument, T::InvalidRequest, code, message)
            }
            Self::NotFound(what) => {
                ApiFault::new(Code::NotFound, T::InvalidRequest, "resource_missing", format!("no such {what}"))
            }
            Self::Unauthenticated { code, message } => {
                ApiFault::new(Code::Unauthenticated, T::Authentication, code, message)
            }
            Self::MissingScope(_) => {
                ApiFault::new(Code::PermissionDenied, T::Permission, "scope_missing", self.to_string())
            }
            Self::Forbidden { code, message } => ApiFault::new(Code::PermissionDenied, T::Permission, code, message),
            Self::TooManyAttempts { code, message } => {
                ApiFault::new(Code::ResourceExhausted, T::RateLimit, code, message)
            }
            Self::Conflict { code, message } => {
                ApiFault::new(Code::FailedPrecondition, T::InvalidRequest, code, message)
            }
            Self::IdempotencyInProgress => {
                ApiFault::new(Code::Aborted, T::Idempotency, "idempotency_request_in_progress", self.to_string())
            }
            Self::IdempotencyMismatch => {
                ApiFault::new(Code::InvalidArgument, T::Idempotency, "idempotency_key_reused", self.to_string())
                    .http_status(422)
            }
            Self::Provider { code, message } => {
                ApiFault::new(Code::FailedPrecondition, T::Provider, code, message).http_status(402)
            }
            Self::ProviderUnavailable(_) => ApiFault::new(
                Code::Unavailable,
                T::Provider,
                "provider_unavailable",
                "the payment provider could not be reached; retry later",
            )
            .http_status(502),
            Self::PdfUnavailable => ApiFault::new(
                Code::Unavailable,
                T::Api,
                "pdf_unavailable",
                "the PDF renderer is unavailable; the document is unaffected, retry later",
            ),
            Self::Store(StoreError::UnknownCursor) => ApiFault::new(
                Code::InvalidArgument,
                T::InvalidRequest,
                "cursor_invalid",
                "startingAfter names no item of this list",
            )
            .param("startingAfter"),
            Self::Store(StoreError::Overloaded) => ApiFault::new(
                Code::Unavailable,
                T::Api,
                "overloaded",
                "the gateway has more requests waiting than it takes; retry shortly",
            )
            .retry_after(OVERLOADED_RETRY_AFTER),
            Self::Store(_) | Self::Queue(_) => ApiFault::new(
                Code::Unavailable,
                T::Api,
                "storage_unavailable",
                "the gateway could not reach its storage; retry later",
            ),
            Self::Config(_) | Self::Internal(_) => {
                ApiFault::new(Code::Internal, T::Api, "internal_error", "an internal error occurred")
            }
        }
    }
}

impl From<CoreError> for tonic::Status {
    fn from(err: CoreError) -> Self {
        let fault = err.fault();
        if matches!(err, CoreError::Store(StoreError::Overloaded)) {
            tracing::warn!("request refused: the store is overloaded");
        } else if fault.grpc == Code::Internal || fault.grpc == Code::Unavailable {
            tracing::error!(error = %paygate_contract::telemetry::redact(&err.to_string()), "request failed");
        }
        fault.into_status()
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;
    use paygate_contract::error::HttpError;

    #[test]
    fn an_overloaded_store_is_a_503_with_retry_after() {
        let status = tonic::Status::from(CoreError::Store(StoreError::Overloaded));
        assert_eq!(status.code(), Code::Unavailable);
        let http = HttpError::from_status(&status);
        assert_eq!(http.status.as_u16(), 503);
        assert_eq!(http.body.error.kind, "api_error");
        assert_eq!(http.body.error.code, "overloaded");
        assert_eq!(http.retry_after, Some(1));
    }
}
