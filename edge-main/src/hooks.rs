//! `POST /hooks/{type}/{providerId}`: a payment provider's webhook. The
//! raw bytes and the signature headers go to core untouched (the signature
//! covers the exact bytes); core verifies before it reads anything.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use paygate_contract::{
    error::{ErrorType, HttpError},
    http::{body_rejection, core_request, is_json_content_type},
    proto::v1 as pb,
    wire,
};

use super::AppState;

/// The headers providers sign with or describe the body by; nothing else
/// is passed on.
const FORWARDED_HEADERS: &[&str] =
    &["stripe-signature", "webhook-signature", "webhook-id", "webhook-timestamp", "content-type", "origin"];

/// GoCardless documents 498 ("invalid token") for a signature that does
/// not verify; its retries treat it as final.
const GOCARDLESS_INVALID_SIGNATURE: u16 = 498;

pub async fn receive(
    State(state): State<AppState>,
    Path((provider_type, provider_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, HttpError> {
    if !is_json_content_type(&headers) {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::InvalidRequest,
            "unsupported_media_type",
            "a webhook body must be JSON sent with Content-Type: application/json",
        ));
    }
    let body = body.map_err(body_rejection)?;
    let forwarded = FORWARDED_HEADERS
        .iter()
        .flat_map(|name| {
            headers.get_all(*name).iter().filter_map(|value| {
                value.to_str().ok().map(|value| pb::HookHeader { name: (*name).to_owned(), value: value.to_owned() })
            })
        })
        .collect();
    let message = pb::ReceiveHookRequest {
        provider_type: provider_type.clone(),
        provider_id,
        headers: forwarded,
        body: body.to_vec(),
    };
    match state.hooks.clone().receive_hook(core_request(&headers, message)).await {
        Ok(response) => Ok(Json(wire::HookReceipt::from(response.get_ref())).into_response()),
        Err(status) => {
            let mut error = HttpError::from_status(&status);
            if provider_type == "gocardless" && error.body.error.code == "webhook_signature_invalid" {
                error.status = StatusCode::from_u16(GOCARDLESS_INVALID_SIGNATURE).unwrap_or(StatusCode::BAD_REQUEST);
            }
            Err(error)
        }
    }
}
