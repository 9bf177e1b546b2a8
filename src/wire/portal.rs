//! The customer portal on the wire: the session a merchant opens (Admin
//! API) and what the customer reads with it (main backend).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    CANCELLATION_REASONS, CancellationDetails, SUBSCRIPTION_STATUSES, UpcomingCharge, non_empty, requests::string_enum,
    time,
};
use crate::proto::v1 as pb;

fn status_schema() -> utoipa::openapi::schema::Object {
    string_enum(SUBSCRIPTION_STATUSES)
}

fn reason_schema() -> utoipa::openapi::schema::Object {
    string_enum(CANCELLATION_REASONS)
}

/// `POST /api/v1/portal/sessions`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"customerId": "cus_4d5e6f7a8b9c0d1e2f3a4b5c",
    "returnUrl": "https://merchant.example/account"}))]
pub struct CreatePortalSessionRequest {
    /// The customer (`cus_…`, of the key's organization and mode) whose
    /// portal this is. Required.
    pub customer_id: Option<String>,
    /// Where the portal's "Return to …" link goes: https (http too when the
    /// gateway runs with `PAYGATE_IPN_ALLOW_PRIVATE=1`, for development).
    /// Absent: no such link.
    pub return_url: Option<String>,
}

impl CreatePortalSessionRequest {
    pub fn into_proto(self, idempotency_key: String) -> pb::CreatePortalSessionRequest {
        pb::CreatePortalSessionRequest {
            customer_id: self.customer_id.unwrap_or_default(),
            return_url: self.return_url.unwrap_or_default(),
            idempotency_key,
        }
    }
}

/// A portal session just opened: send the customer to `url`. The token is
/// shown in this answer only (and in its idempotent replays).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalSessionCreated {
    #[schema(example = "ps_2b3c4d5e6f7a8b9c0d1e2f3a")]
    pub id: String,
    /// Always `portal_session`.
    #[schema(value_type = String, example = "portal_session")]
    pub object: &'static str,
    /// The portal access token: `Authorization: Bearer pt_…` on the portal
    /// API. Random, stored only as its SHA-256, valid for one hour, for
    /// this one customer.
    #[schema(example = "pt_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7zX5")]
    pub token: String,
    /// The portal page with the token: `https://<checkout host>/portal?token=pt_…`.
    pub url: String,
    pub customer_id: String,
    pub return_url: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    pub livemode: bool,
}

impl From<&pb::CreatePortalSessionResponse> for PortalSessionCreated {
    fn from(r: &pb::CreatePortalSessionResponse) -> Self {
        let session = r.session.clone().unwrap_or_default();
        Self {
            id: session.id,
            object: "portal_session",
            token: r.token.clone(),
            url: r.url.clone(),
            customer_id: session.customer_id,
            return_url: non_empty(&session.return_url),
            expires_at: time(session.expires_at.as_ref()),
            created_at: time(session.created_at.as_ref()),
            livemode: session.livemode,
        }
    }
}

/// The customer a portal session is for: what the portal shows of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalCustomer {
    #[schema(example = "cus_4d5e6f7a8b9c0d1e2f3a4b5c")]
    pub id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
}

/// `GET /api/v1/portal/me`: whose portal this is, for which merchant, and
/// until when.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalView {
    /// Always `portal_session`.
    #[schema(value_type = String, example = "portal_session")]
    pub object: &'static str,
    pub customer: PortalCustomer,
    #[schema(example = "Acme GmbH")]
    pub merchant_name: String,
    /// Where the merchant asked the customer be sent back to.
    pub return_url: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub livemode: bool,
}

impl From<&pb::PortalView> for PortalView {
    fn from(v: &pb::PortalView) -> Self {
        let customer = v.customer.clone().unwrap_or_default();
        Self {
            object: "portal_session",
            customer: PortalCustomer {
                id: customer.id,
                name: non_empty(&customer.name),
                email: non_empty(&customer.email),
            },
            merchant_name: v.merchant_name.clone(),
            return_url: non_empty(&v.return_url),
            expires_at: time(v.expires_at.as_ref()),
            livemode: v.livemode,
        }
    }
}

/// `POST /api/v1/portal/logout`: the session has ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalLoggedOut {
    /// Always `portal_session`.
    #[schema(value_type = String, example = "portal_session")]
    pub object: &'static str,
    /// Always `ended`.
    #[schema(value_type = String, example = "ended")]
    pub status: &'static str,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
}

impl From<&pb::EndPortalSessionResponse> for PortalLoggedOut {
    fn from(r: &pb::EndPortalSessionResponse) -> Self {
        Self { object: "portal_session", status: "ended", ended_at: time(r.ended_at.as_ref()) }
    }
}

/// One of the customer's subscriptions, as the portal shows it: the plan,
/// the period, the next charge, and whether it ends at the period's end.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalSubscription {
    #[schema(example = "sub_6f7a8b9c0d1e2f3a4b5c6d7e")]
    pub id: String,
    /// Always `subscription`.
    #[schema(value_type = String, example = "subscription")]
    pub object: &'static str,
    #[schema(schema_with = status_schema, example = "active")]
    pub status: String,
    #[schema(example = "Pro monthly")]
    pub plan_name: String,
    /// Gross per period, in minor units.
    #[schema(example = 1900)]
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    /// Decimals of the currency's minor unit (EUR 2, JPY 0).
    #[schema(example = 2)]
    pub currency_exponent: u32,
    #[schema(example = "month")]
    pub interval: String,
    #[schema(example = 1)]
    pub interval_count: u32,
    #[schema(format = DateTime)]
    pub current_period_start: Option<String>,
    #[schema(format = DateTime)]
    pub current_period_end: Option<String>,
    #[schema(format = DateTime)]
    pub trial_end: Option<String>,
    /// Ends at `currentPeriodEnd`; `resume` undoes it until then.
    pub cancel_at_period_end: bool,
    #[schema(format = DateTime)]
    pub canceled_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    pub cancellation_details: Option<CancellationDetails>,
    /// The next charge or payment retry, if one is planned.
    #[schema(format = DateTime)]
    pub next_charge_at: Option<String>,
    /// What will be charged next and when (active or trialing, and not
    /// ending at the period's end).
    pub upcoming: Option<UpcomingCharge>,
    pub livemode: bool,
}

impl From<&pb::PortalSubscription> for PortalSubscription {
    fn from(p: &pb::PortalSubscription) -> Self {
        let s = p.subscription.clone().unwrap_or_default();
        Self {
            id: s.id,
            object: "subscription",
            status: s.status,
            plan_name: s.plan_name,
            amount: s.amount,
            currency: s.currency,
            currency_exponent: p.currency_exponent,
            interval: s.interval,
            interval_count: s.interval_count,
            current_period_start: time(s.current_period_start.as_ref()),
            current_period_end: time(s.current_period_end.as_ref()),
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
            next_charge_at: time(s.next_charge_at.as_ref()),
            upcoming: s.upcoming.as_ref().map(|u| UpcomingCharge {
                amount: u.amount,
                currency: u.currency.clone(),
                date: time(u.date.as_ref()),
            }),
            livemode: s.livemode,
        }
    }
}

/// `POST /api/v1/portal/subscriptions/{id}/cancel`: always at the end of
/// the current period.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"reason": "too_expensive", "comment": "Too much for what I use"}))]
pub struct CancelPortalSubscriptionRequest {
    /// Required.
    #[schema(schema_with = reason_schema)]
    pub reason: Option<String>,
    /// Up to 1000 characters.
    pub comment: Option<String>,
}

impl CancelPortalSubscriptionRequest {
    pub fn into_proto(self, id: String) -> pb::CancelPortalSubscriptionRequest {
        pb::CancelPortalSubscriptionRequest {
            id,
            reason: self.reason.unwrap_or_default(),
            comment: self.comment.unwrap_or_default(),
        }
    }
}
