//! The JSON the merchant sees in IPN payloads. Field names match the Admin
//! API's JSON for the same objects (a test holds them together).

use serde_json::{Value, json};

use super::{checkouts::Checkout, transactions::Transaction};
use crate::providers::PaymentMethod;

pub fn rfc3339(micros: i64) -> Value {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
        .unwrap_or(Value::Null)
}

fn optional_time(micros: i64) -> Value {
    if micros == 0 { Value::Null } else { rfc3339(micros) }
}

pub fn payment_method(method: &PaymentMethod) -> Value {
    match method {
        PaymentMethod::Card { token } => json!({"type": "card", "token": token}),
        PaymentMethod::Upi { vpa } => json!({"type": "upi", "vpa": vpa}),
    }
}

pub fn transaction(t: &Transaction) -> Value {
    json!({
        "id": t.id,
        "object": "transaction",
        "organizationId": t.organization_id,
        "siteId": t.site_id,
        "checkoutId": t.checkout_id,
        "status": t.status.as_str(),
        "amount": t.amount,
        "amountCaptured": t.amount_captured,
        "amountRefunded": t.amount_refunded,
        "currency": t.currency,
        "captureMethod": match t.capture_method {
            super::checkouts::CaptureMethod::Automatic => "automatic",
            super::checkouts::CaptureMethod::Manual => "manual",
        },
        "paymentMethod": payment_method(&t.payment_method),
        "provider": t.provider,
        "providerReference": t.provider_reference,
        "failureCode": t.failure_code,
        "failureMessage": t.failure_message,
        "invoiceId": t.invoice_id,
        "taxAmount": t.tax.document.total.tax,
        "netAmount": t.tax.document.total.net,
        "taxRateBps": t.tax.rate_bps,
        "taxCountry": t.tax.country,
        "reverseCharge": t.tax.reverse_charge,
        "refunds": t.refunds.iter().map(|r| json!({
            "id": r.id,
            "object": "refund",
            "transactionId": t.id,
            "amount": r.amount,
            "currency": t.currency,
            "status": match r.status {
                super::transactions::RefundStatus::Pending => "pending",
                super::transactions::RefundStatus::Succeeded => "succeeded",
                super::transactions::RefundStatus::Failed => "failed",
            },
            "reason": r.reason,
            "failureCode": r.failure_code,
            "createdAt": rfc3339(r.created_at),
        })).collect::<Vec<_>>(),
        "pendingAction": t.pending_action.map(|a| a.as_str()),
        "lastActionFailure": t.action_failures.last().map(|f| json!({
            "action": f.action.as_str(), "code": f.code, "message": f.message, "at": rfc3339(f.at),
        })),
        "createdAt": rfc3339(t.created_at),
        "updatedAt": optional_time(t.updated_at),
    })
}

pub fn checkout(c: &Checkout, payment_url: &str, now: i64) -> Value {
    json!({
        "id": c.id,
        "object": "checkout",
        "organizationId": c.organization_id,
        "siteId": c.site_id,
        "status": c.effective_status(now).as_str(),
        "amount": c.amount,
        "currency": c.currency,
        "description": c.description,
        "metadata": c.metadata,
        "paymentUrl": payment_url,
        "transactionId": c.transaction_id,
        "createdAt": rfc3339(c.created_at),
        "expiresAt": rfc3339(c.expires_at),
    })
}
