//! The JSON spelling of proto enums and optional strings, shared by both
//! edges so the same value is never written two ways.

use serde_json::Value;

use crate::proto::v1 as pb;

pub fn checkout_status(value: i32) -> &'static str {
    match pb::CheckoutStatus::try_from(value) {
        Ok(pb::CheckoutStatus::Open) => "open",
        Ok(pb::CheckoutStatus::Processing) => "processing",
        Ok(pb::CheckoutStatus::Completed) => "completed",
        Ok(pb::CheckoutStatus::Expired) => "expired",
        Ok(pb::CheckoutStatus::Canceled) => "canceled",
        _ => "unknown",
    }
}

pub fn transaction_status(value: i32) -> &'static str {
    match pb::TransactionStatus::try_from(value) {
        Ok(pb::TransactionStatus::Pending) => "pending",
        Ok(pb::TransactionStatus::Processing) => "processing",
        Ok(pb::TransactionStatus::RequiresCapture) => "requires_capture",
        Ok(pb::TransactionStatus::Succeeded) => "succeeded",
        Ok(pb::TransactionStatus::Failed) => "failed",
        Ok(pb::TransactionStatus::Canceled) => "canceled",
        _ => "unknown",
    }
}

pub fn capture_method(value: i32) -> &'static str {
    match pb::CaptureMethod::try_from(value) {
        Ok(pb::CaptureMethod::Manual) => "manual",
        _ => "automatic",
    }
}

/// Proto has no null string; the API shows an absent value as `null`.
pub fn empty_to_null(value: &str) -> Value {
    if value.is_empty() { Value::Null } else { Value::String(value.to_owned()) }
}
