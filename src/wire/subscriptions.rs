//! Subscriptions and test clocks on the wire.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{non_empty, requests::string_enum, time};
use crate::proto::v1 as pb;

/// Every status a subscription can have.
pub const SUBSCRIPTION_STATUSES: &[&str] =
    &["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled"];
/// The reasons a cancellation may give.
pub const CANCELLATION_REASONS: &[&str] = &["too_expensive", "missing_features", "switched_service", "unused", "other"];

fn status_schema() -> utoipa::openapi::schema::Object {
    string_enum(SUBSCRIPTION_STATUSES)
}

fn reason_schema() -> utoipa::openapi::schema::Object {
    string_enum(CANCELLATION_REASONS)
}

/// The reason on a subscription: one of the reasons, or `null` when none
/// was given.
fn reason_or_null_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            CANCELLATION_REASONS.iter().map(|reason| serde_json::Value::from(*reason)).chain([serde_json::Value::Null]),
        ))
        .build()
}

/// The next charge of an active or trialing subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpcomingCharge {
    /// Gross, in minor units.
    #[schema(example = 1900)]
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(format = DateTime)]
    pub date: Option<String>,
}

/// Why a subscription was canceled.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancellationDetails {
    #[schema(schema_with = reason_or_null_schema)]
    pub reason: Option<String>,
    pub comment: Option<String>,
    /// `merchant` (Admin API) or `customer` (portal).
    #[schema(example = "customer")]
    pub requested_by: String,
    #[schema(format = DateTime)]
    pub requested_at: Option<String>,
}

/// A customer paying a plan every period (`sub_…`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[schema(example = "sub_6f7a8b9c0d1e2f3a4b5c6d7e")]
    pub id: String,
    /// Always `subscription`.
    #[schema(value_type = String, example = "subscription")]
    pub object: &'static str,
    #[schema(schema_with = status_schema, example = "active")]
    pub status: String,
    pub customer_id: String,
    pub plan_id: String,
    pub site_id: String,
    #[schema(example = "Pro monthly")]
    pub plan_name: String,
    /// Gross per period, in minor units (the plan's).
    #[schema(example = 1900)]
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(example = "month")]
    pub interval: String,
    #[schema(example = 1)]
    pub interval_count: u32,
    #[schema(format = DateTime)]
    pub current_period_start: Option<String>,
    #[schema(format = DateTime)]
    pub current_period_end: Option<String>,
    #[schema(format = DateTime)]
    pub trial_start: Option<String>,
    #[schema(format = DateTime)]
    pub trial_end: Option<String>,
    /// Ends (becomes `canceled`) at `currentPeriodEnd`; `resume` undoes it.
    pub cancel_at_period_end: bool,
    /// When the cancellation was asked for.
    #[schema(format = DateTime)]
    pub canceled_at: Option<String>,
    /// When it ended for good.
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    pub cancellation_details: Option<CancellationDetails>,
    pub latest_invoice_id: Option<String>,
    /// The next charge or dunning retry, if one is planned.
    #[schema(format = DateTime)]
    pub next_charge_at: Option<String>,
    /// What will be charged next and when (active or trialing, and not
    /// ending at period end).
    pub upcoming: Option<UpcomingCharge>,
    /// The saved payment method renewals charge (a provider reference).
    #[schema(example = "tok_visa")]
    pub payment_method: String,
    /// Failed attempts on the period in dunning (0 otherwise).
    pub failed_attempts: u32,
    /// The last failed attempt's code, while in dunning.
    pub last_failure_code: Option<String>,
    /// Periods paid so far.
    pub periods_paid: u32,
    pub ipn_url: Option<String>,
    /// The checkout that sold it, if one did.
    pub checkout_id: Option<String>,
    pub test_clock_id: Option<String>,
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::Subscription> for Subscription {
    fn from(s: &pb::Subscription) -> Self {
        Self {
            id: s.id.clone(),
            object: "subscription",
            status: s.status.clone(),
            customer_id: s.customer_id.clone(),
            plan_id: s.plan_id.clone(),
            site_id: s.site_id.clone(),
            plan_name: s.plan_name.clone(),
            amount: s.amount,
            currency: s.currency.clone(),
            interval: s.interval.clone(),
            interval_count: s.interval_count,
            current_period_start: time(s.current_period_start.as_ref()),
            current_period_end: time(s.current_period_end.as_ref()),
            trial_start: time(s.trial_start.as_ref()),
            trial_end: time(s.trial_end.as_ref()),
            cancel_at_period_end: s.cancel_at_period_end,
            canceled_at: time(s.canceled_at.as_ref()),
            ended_at: time(s.ended_at.as_ref()),
            cancellation_details: s.cancellation_details.as_ref().map(|d| CancellationDetails {
                reason: non_empty(&d.reason),
                comment: non_empty(&d.comment),
                requested_by: d.requested_by.clone(),
                requested_at: time(d.requested_at.as_ref()),
            }),
            latest_invoice_id: non_empty(&s.latest_invoice_id),
            next_charge_at: time(s.next_charge_at.as_ref()),
            upcoming: s.upcoming.as_ref().map(|u| UpcomingCharge {
                amount: u.amount,
                currency: u.currency.clone(),
                date: time(u.date.as_ref()),
            }),
            payment_method: s.payment_method.clone(),
            failed_attempts: s.failed_attempts,
            last_failure_code: non_empty(&s.last_failure_code),
            periods_paid: s.periods_paid,
            ipn_url: non_empty(&s.ipn_url),
            checkout_id: non_empty(&s.checkout_id),
            test_clock_id: non_empty(&s.test_clock_id),
            livemode: s.livemode,
            created_at: time(s.created_at.as_ref()),
        }
    }
}

/// `POST /api/v1/subscriptions`: a subscription charged with a saved
/// payment method.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"customerId": "cus_4d5e6f7a8b9c0d1e2f3a4b5c", "planId": "plan_5e6f7a8b9c0d1e2f3a4b5c6d",
    "siteId": "site_1a2b3c4d5e6f7a8b9c0d1e2f", "paymentMethod": "tok_visa"}))]
pub struct CreateSubscriptionRequest {
    pub customer_id: Option<String>,
    pub plan_id: Option<String>,
    pub site_id: Option<String>,
    /// A saved method the site's provider charges again: a sandbox token,
    /// a Stripe PaymentMethod (`pm_…`) or a GoCardless mandate (`MD…`).
    pub payment_method: Option<String>,
    /// 0–730; default: the plan's trial.
    pub trial_days: Option<i64>,
    /// Where its IPNs go; default: the site's `ipnUrl`.
    pub ipn_url: Option<String>,
    /// Test mode: the clock it lives on (default: its customer's).
    pub test_clock_id: Option<String>,
}

impl CreateSubscriptionRequest {
    pub fn into_proto(self, idempotency_key: String) -> pb::CreateSubscriptionRequest {
        pb::CreateSubscriptionRequest {
            customer_id: self.customer_id.unwrap_or_default(),
            plan_id: self.plan_id.unwrap_or_default(),
            site_id: self.site_id.unwrap_or_default(),
            payment_method: self.payment_method.unwrap_or_default(),
            trial_days: self.trial_days,
            ipn_url: self.ipn_url.unwrap_or_default(),
            test_clock_id: self.test_clock_id.unwrap_or_default(),
            idempotency_key,
        }
    }
}

/// `PATCH /api/v1/subscriptions/{id}`: the saved payment method later
/// charges (and dunning retries) use.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"paymentMethod": "tok_mastercard"}))]
pub struct UpdateSubscriptionRequest {
    pub payment_method: Option<String>,
}

/// `POST /api/v1/subscriptions/{id}/cancel`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"atPeriodEnd": true, "reason": "too_expensive", "comment": "Budget cuts"}))]
pub struct CancelSubscriptionRequest {
    /// Default true: ends at `currentPeriodEnd`; false ends it now.
    pub at_period_end: Option<bool>,
    #[schema(schema_with = reason_schema)]
    pub reason: Option<String>,
    /// Up to 1000 characters.
    pub comment: Option<String>,
}

impl CancelSubscriptionRequest {
    pub fn into_proto(self, id: String, idempotency_key: String) -> pb::CancelSubscriptionRequest {
        pb::CancelSubscriptionRequest {
            id,
            at_period_end: self.at_period_end,
            reason: self.reason.unwrap_or_default(),
            comment: self.comment.unwrap_or_default(),
            idempotency_key,
        }
    }
}

/// `POST /api/v1/subscriptions/{id}/resume`: no fields (an empty body or
/// `{}`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct ResumeSubscriptionRequest {}

/// A frozen time for trying subscriptions out (`clock_…`, test mode only).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestClock {
    #[schema(example = "clock_7a8b9c0d1e2f3a4b5c6d7e8f")]
    pub id: String,
    /// Always `test_clock`.
    #[schema(value_type = String, example = "test_clock")]
    pub object: &'static str,
    pub name: Option<String>,
    #[schema(format = DateTime)]
    pub frozen_time: Option<String>,
    /// `ready`, or `advancing` while an advance runs.
    #[schema(example = "ready")]
    pub status: String,
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::TestClock> for TestClock {
    fn from(c: &pb::TestClock) -> Self {
        Self {
            id: c.id.clone(),
            object: "test_clock",
            name: non_empty(&c.name),
            frozen_time: time(c.frozen_time.as_ref()),
            status: c.status.clone(),
            livemode: c.livemode,
            created_at: time(c.created_at.as_ref()),
        }
    }
}

fn field_error(param: &str, code: &str, message: impl Into<String>) -> crate::error::HttpError {
    crate::error::HttpError::new(
        axum::http::StatusCode::BAD_REQUEST,
        crate::error::ErrorType::InvalidRequest,
        code,
        message,
    )
    .with_param(param)
}

/// An RFC 3339 time of a request, as proto carries it.
fn parse_time(param: &str, value: Option<&str>) -> Result<prost_types::Timestamp, crate::error::HttpError> {
    let value = value.unwrap_or_default().trim();
    if value.is_empty() {
        return Err(field_error(param, "parameter_missing", format!("{param} is required")));
    }
    let time = chrono::DateTime::parse_from_rfc3339(value).map_err(|_| {
        field_error(
            param,
            "timestamp_invalid",
            format!("{param} must be an RFC 3339 time such as 2026-01-01T00:00:00Z"),
        )
    })?;
    Ok(prost_types::Timestamp { seconds: time.timestamp(), nanos: time.timestamp_subsec_nanos() as i32 })
}

/// `POST /api/v1/test-clocks` and `POST /api/v1/test-clocks/{id}/advance`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"frozenTime": "2026-01-01T00:00:00Z"}))]
pub struct TestClockRequest {
    /// RFC 3339; an advance only moves forward.
    #[schema(format = DateTime)]
    pub frozen_time: Option<String>,
    /// On create only.
    pub name: Option<String>,
}

impl TestClockRequest {
    pub fn into_create(self, idempotency_key: String) -> Result<pb::CreateTestClockRequest, crate::error::HttpError> {
        Ok(pb::CreateTestClockRequest {
            frozen_time: Some(parse_time("frozenTime", self.frozen_time.as_deref())?),
            name: self.name.unwrap_or_default(),
            idempotency_key,
        })
    }

    pub fn into_advance(self, id: String) -> Result<pb::AdvanceTestClockRequest, crate::error::HttpError> {
        if self.name.is_some() {
            return Err(field_error("name", "parameter_unknown", "an advance takes frozenTime only"));
        }
        Ok(pb::AdvanceTestClockRequest {
            id,
            frozen_time: Some(parse_time("frozenTime", self.frozen_time.as_deref())?),
        })
    }
}
