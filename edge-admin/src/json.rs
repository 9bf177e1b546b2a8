//! The Admin API's JSON shapes (camelCase, as API.md) and their proto
//! counterparts. Unknown enum strings become an out-of-range proto value,
//! which core rejects with the right `param`.

use paygate_contract::{
    http::rfc3339,
    proto::v1 as pb,
    wire::{
        capture_method as capture_method_str, checkout_status as checkout_status_str, empty_to_null,
        transaction_status as transaction_status_str,
    },
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Sent for enum strings core does not know, so core reports the field.
const UNKNOWN_ENUM: i32 = 999;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddressBody {
    country: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    postal_code: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerBody {
    email: Option<String>,
    name: Option<String>,
    vat_id: Option<String>,
    address: Option<AddressBody>,
}

impl AddressBody {
    pub fn into_proto(self) -> pb::Address {
        pb::Address {
            country: self.country.unwrap_or_default(),
            line1: self.line1.unwrap_or_default(),
            line2: self.line2.unwrap_or_default(),
            city: self.city.unwrap_or_default(),
            postal_code: self.postal_code.unwrap_or_default(),
            region: self.region.unwrap_or_default(),
        }
    }
}

impl CustomerBody {
    pub fn into_proto(self) -> pb::Customer {
        pb::Customer {
            email: self.email.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            vat_id: self.vat_id.unwrap_or_default(),
            address: self.address.map(AddressBody::into_proto),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LineItemBody {
    name: Option<String>,
    quantity: Option<i64>,
    amount: Option<i64>,
}

impl LineItemBody {
    pub fn into_proto(self) -> pb::LineItem {
        pb::LineItem {
            name: self.name.unwrap_or_default(),
            quantity: self.quantity.unwrap_or(1),
            amount: self.amount.unwrap_or(-1),
        }
    }
}

pub fn capture_method_from_str(value: Option<&str>) -> i32 {
    match value {
        None => pb::CaptureMethod::Unspecified as i32,
        Some("automatic") => pb::CaptureMethod::Automatic as i32,
        Some("manual") => pb::CaptureMethod::Manual as i32,
        Some(_) => UNKNOWN_ENUM,
    }
}

pub fn checkout_status_from_str(value: Option<&str>) -> i32 {
    match value {
        None | Some("") => pb::CheckoutStatus::Unspecified as i32,
        Some("open") => pb::CheckoutStatus::Open as i32,
        Some("processing") => pb::CheckoutStatus::Processing as i32,
        Some("completed") => pb::CheckoutStatus::Completed as i32,
        Some("expired") => pb::CheckoutStatus::Expired as i32,
        Some("canceled") => pb::CheckoutStatus::Canceled as i32,
        Some(_) => UNKNOWN_ENUM,
    }
}

pub fn key_mode_from_str(value: Option<&str>) -> i32 {
    match value {
        None | Some("test") => pb::KeyMode::Test as i32,
        Some("live") => pb::KeyMode::Live as i32,
        Some(_) => UNKNOWN_ENUM,
    }
}

fn line_items(items: &[pb::LineItem]) -> Value {
    items.iter().map(|i| json!({"name": i.name, "quantity": i.quantity, "amount": i.amount})).collect()
}

fn customer(customer: Option<&pb::Customer>) -> Value {
    let Some(c) = customer else { return Value::Null };
    json!({
        "email": empty_to_null(&c.email),
        "name": empty_to_null(&c.name),
        "vatId": empty_to_null(&c.vat_id),
        "address": c.address.as_ref().map(|a| json!({
            "country": a.country, "line1": a.line1, "line2": a.line2,
            "city": a.city, "postalCode": a.postal_code, "region": a.region,
        })),
    })
}

pub fn checkout(c: &pb::Checkout) -> Value {
    json!({
        "id": c.id,
        "object": "checkout",
        "organizationId": c.organization_id,
        "siteId": c.site_id,
        "status": checkout_status_str(c.status),
        "amount": c.amount,
        "currency": c.currency,
        "description": c.description,
        "customer": customer(c.customer.as_ref()),
        "lineItems": line_items(&c.line_items),
        "captureMethod": capture_method_str(c.capture_method),
        "ipnUrl": empty_to_null(&c.ipn_url),
        "successUrl": empty_to_null(&c.success_url),
        "cancelUrl": empty_to_null(&c.cancel_url),
        "metadata": c.metadata.iter().collect::<std::collections::BTreeMap<_, _>>(),
        "paymentUrl": c.payment_url,
        "transactionId": empty_to_null(&c.transaction_id),
        "createdAt": rfc3339(c.created_at.as_ref()),
        "expiresAt": rfc3339(c.expires_at.as_ref()),
    })
}

pub fn site(s: &pb::Site) -> Value {
    json!({
        "id": s.id,
        "object": "site",
        "organizationId": s.organization_id,
        "name": s.name,
        "checkoutDomain": empty_to_null(&s.checkout_domain),
        "createdAt": rfc3339(s.created_at.as_ref()),
    })
}

/// A site plus its signing secret: only on creation and rotation. A
/// replayed creation has no secret to show.
pub fn site_with_secret(response: &pb::CreateSiteResponse) -> Value {
    let mut value = response.site.as_ref().map(site).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("webhookSecret".into(), empty_to_null(&response.webhook_secret));
    }
    value
}

pub fn api_key(k: &pb::ApiKey) -> Value {
    json!({
        "id": k.id,
        "object": "api_key",
        "organizationId": k.organization_id,
        "name": k.name,
        "mode": if k.mode == pb::KeyMode::Live as i32 { "live" } else { "test" },
        "scopes": k.scopes,
        "redacted": k.redacted,
        "createdAt": rfc3339(k.created_at.as_ref()),
        "revokedAt": rfc3339(k.revoked_at.as_ref()),
    })
}

pub fn api_key_with_secret(response: &pb::CreateApiKeyResponse) -> Value {
    let mut value = response.key.as_ref().map(api_key).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("secret".into(), empty_to_null(&response.secret));
    }
    value
}

fn address(a: Option<&pb::Address>) -> Value {
    a.map_or(Value::Null, |a| {
        json!({
            "country": a.country, "line1": a.line1, "line2": a.line2,
            "city": a.city, "postalCode": a.postal_code, "region": a.region,
        })
    })
}

pub fn organization(o: &pb::Organization) -> Value {
    json!({
        "id": o.id,
        "object": "organization",
        "name": o.name,
        "legalName": empty_to_null(&o.legal_name),
        "address": address(o.address.as_ref()),
        "vatId": empty_to_null(&o.vat_id),
        "sellerCountry": empty_to_null(&o.seller_country),
        "invoicePrefix": if o.invoice_prefix.is_empty() { "INV" } else { o.invoice_prefix.as_str() },
        "creditNotePrefix": if o.credit_note_prefix.is_empty() { "CN" } else { o.credit_note_prefix.as_str() },
        "createdAt": rfc3339(o.created_at.as_ref()),
    })
}

pub fn tax_rule(r: &pb::TaxRule) -> Value {
    json!({
        "id": r.id,
        "object": "tax_rule",
        "siteId": empty_to_null(&r.site_id),
        "country": r.country,
        "region": empty_to_null(&r.region),
        "rateBps": r.rate_bps,
        "name": r.name,
        "validFrom": r.valid_from,
        "createdAt": rfc3339(r.created_at.as_ref()),
    })
}

fn split(s: Option<&pb::AmountSplit>) -> Value {
    let s = s.cloned().unwrap_or_default();
    json!({"gross": s.gross, "net": s.net, "tax": s.tax})
}

fn party(p: Option<&pb::DocumentParty>) -> Value {
    let Some(p) = p else { return Value::Null };
    json!({
        "name": p.name,
        "email": empty_to_null(&p.email),
        "address": address(p.address.as_ref()),
        "vatId": empty_to_null(&p.vat_id),
        "country": empty_to_null(&p.country),
    })
}

pub fn tax_document(d: &pb::TaxDocument) -> Value {
    json!({
        "id": d.id,
        "object": d.kind,
        "number": d.number,
        "sequence": d.sequence,
        "siteId": d.site_id,
        "transactionId": d.transaction_id,
        "checkoutId": d.checkout_id,
        "issuedAt": rfc3339(d.issued_at.as_ref()),
        "currency": d.currency,
        "seller": party(d.seller.as_ref()),
        "buyer": party(d.buyer.as_ref()),
        "lines": d.lines.iter().map(|l| json!({
            "description": l.description,
            "quantity": l.quantity,
            "unitAmount": l.unit_amount,
            "taxRateBps": l.rate_bps,
            "amounts": split(l.amounts.as_ref()),
        })).collect::<Vec<_>>(),
        "taxBreakdown": d.by_rate.iter().map(|r| json!({
            "taxRateBps": r.rate_bps,
            "amounts": split(r.amounts.as_ref()),
        })).collect::<Vec<_>>(),
        "totals": split(d.total.as_ref()),
        "reverseCharge": d.reverse_charge,
        "notes": d.notes,
        "invoiceId": empty_to_null(&d.invoice_id),
        "invoiceNumber": empty_to_null(&d.invoice_number),
        "refundId": empty_to_null(&d.refund_id),
    })
}

pub fn list(data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "data": data, "hasMore": has_more})
}

pub fn transaction_status_from_str(value: Option<&str>) -> i32 {
    match value {
        None | Some("") => pb::TransactionStatus::Unspecified as i32,
        Some("pending") => pb::TransactionStatus::Pending as i32,
        Some("processing") => pb::TransactionStatus::Processing as i32,
        Some("requires_capture") => pb::TransactionStatus::RequiresCapture as i32,
        Some("succeeded") => pb::TransactionStatus::Succeeded as i32,
        Some("failed") => pb::TransactionStatus::Failed as i32,
        Some("canceled") => pb::TransactionStatus::Canceled as i32,
        Some(_) => UNKNOWN_ENUM,
    }
}

fn refund_status_str(value: i32) -> &'static str {
    match pb::RefundStatus::try_from(value) {
        Ok(pb::RefundStatus::Pending) => "pending",
        Ok(pb::RefundStatus::Succeeded) => "succeeded",
        Ok(pb::RefundStatus::Failed) => "failed",
        _ => "unknown",
    }
}

pub fn refund(r: &pb::Refund) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "transactionId": r.transaction_id,
        "amount": r.amount,
        "currency": r.currency,
        "status": refund_status_str(r.status),
        "reason": r.reason,
        "failureCode": empty_to_null(&r.failure_code),
        "createdAt": rfc3339(r.created_at.as_ref()),
    })
}

/// The same keys as the transaction in IPN payloads.
pub fn transaction(t: &pb::Transaction) -> Value {
    let payment_method = t.payment_method.as_ref().map(|m| {
        if m.r#type == "upi" { json!({"type": "upi", "vpa": m.vpa}) } else { json!({"type": "card", "token": m.token}) }
    });
    json!({
        "id": t.id,
        "object": "transaction",
        "organizationId": t.organization_id,
        "siteId": t.site_id,
        "checkoutId": t.checkout_id,
        "status": transaction_status_str(t.status),
        "amount": t.amount,
        "amountCaptured": t.amount_captured,
        "amountRefunded": t.amount_refunded,
        "currency": t.currency,
        "captureMethod": capture_method_str(t.capture_method),
        "paymentMethod": payment_method,
        "provider": t.provider,
        "providerReference": empty_to_null(&t.provider_reference),
        "failureCode": empty_to_null(&t.failure_code),
        "failureMessage": empty_to_null(&t.failure_message),
        "invoiceId": empty_to_null(&t.invoice_id),
        "taxAmount": t.tax_amount,
        "netAmount": t.net_amount,
        "taxRateBps": t.tax_rate_bps,
        "taxCountry": empty_to_null(&t.tax_country),
        "reverseCharge": t.reverse_charge,
        "refunds": t.refunds.iter().map(refund).collect::<Vec<_>>(),
        "pendingAction": empty_to_null(&t.pending_action),
        "lastActionFailure": t.last_action_failure.as_ref().map(|f| json!({
            "action": f.action, "code": f.code, "message": f.message, "at": rfc3339(f.at.as_ref()),
        })),
        "createdAt": rfc3339(t.created_at.as_ref()),
        "updatedAt": rfc3339(t.updated_at.as_ref()),
    })
}

pub fn ipn_delivery(d: &pb::IpnDelivery) -> Value {
    json!({
        "id": d.id,
        "object": "ipn_delivery",
        "siteId": d.site_id,
        "checkoutId": d.checkout_id,
        "transactionId": empty_to_null(&d.transaction_id),
        "eventType": d.event_type,
        "url": d.url,
        "status": d.status,
        "nextAttemptAt": rfc3339(d.next_attempt_at.as_ref()),
        "createdAt": rfc3339(d.created_at.as_ref()),
        "attempts": d.attempts.iter().map(|a| json!({
            "at": rfc3339(a.at.as_ref()),
            "statusCode": if a.status_code == 0 { Value::Null } else { json!(a.status_code) },
            "latencyMs": a.latency_ms,
            "error": empty_to_null(&a.error),
            "responseExcerpt": a.response_excerpt,
        })).collect::<Vec<_>>(),
    })
}
