//! Customers and plans on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Address, AddressInput, language_or_default, language_schema, non_empty, requests::string_enum, time};
use crate::proto::v1 as pb;

/// The billing intervals a plan can have.
pub const INTERVALS: &[&str] = &["day", "week", "month", "year"];

fn interval_schema() -> utoipa::openapi::schema::Object {
    string_enum(INTERVALS)
}

/// A customer the merchant bills again and again (`cus_…`). Not the
/// `customer` details a checkout carries inline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    #[schema(example = "cus_4d5e6f7a8b9c0d1e2f3a4b5c")]
    pub id: String,
    /// Always `customer`.
    #[schema(value_type = String, example = "customer")]
    pub object: &'static str,
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
    pub name: Option<String>,
    pub address: Option<Address>,
    #[schema(example = "DE123456789")]
    pub vat_id: Option<String>,
    /// The language of the customer's invoices and credit notes.
    #[schema(schema_with = language_schema, example = "de")]
    pub language: String,
    pub metadata: BTreeMap<String, String>,
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
    /// Test mode: the clock it lives on.
    pub test_clock_id: Option<String>,
}

impl From<&pb::CustomerRecord> for CustomerRecord {
    fn from(c: &pb::CustomerRecord) -> Self {
        Self {
            id: c.id.clone(),
            object: "customer",
            email: non_empty(&c.email),
            name: non_empty(&c.name),
            address: c.address.as_ref().map(Address::from),
            vat_id: non_empty(&c.vat_id),
            language: language_or_default(&c.language),
            metadata: c.metadata.clone().into_iter().collect(),
            livemode: c.livemode,
            created_at: time(c.created_at.as_ref()),
            updated_at: time(c.updated_at.as_ref()),
            test_clock_id: non_empty(&c.test_clock_id),
        }
    }
}

/// `POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}` (absent
/// fields stay as they are; `metadata` replaces the whole map).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"email": "ada@example.com", "name": "Ada Lovelace",
    "address": {"country": "DE", "city": "Berlin"}, "metadata": {"crmId": "42"}}))]
pub struct CustomerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub address: Option<AddressInput>,
    /// Printed on invoices; checked when a payment is taxed.
    pub vat_id: Option<String>,
    /// The language of the customer's invoices and credit notes: `en`
    /// (default), `de` or `fr`; anything else is a 400 with `param`
    /// `language`.
    #[schema(schema_with = language_schema, example = "de")]
    pub language: Option<String>,
    /// Up to 50 keys of 1–40 characters, values up to 500 characters.
    pub metadata: Option<BTreeMap<String, String>>,
    /// On create, test mode: the test clock (`clock_…`) the customer and
    /// its subscriptions live on.
    pub test_clock_id: Option<String>,
}

impl From<CustomerRequest> for pb::CustomerFields {
    fn from(c: CustomerRequest) -> Self {
        Self {
            email: c.email,
            name: c.name,
            address: c.address.map(Into::into),
            vat_id: c.vat_id,
            language: c.language,
            replace_metadata: c.metadata.is_some(),
            metadata: c.metadata.unwrap_or_default().into_iter().collect(),
            test_clock_id: c.test_clock_id,
        }
    }
}

/// What a subscription charges, and how often. Price fields never change:
/// a new price is a new plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    #[schema(example = "plan_5e6f7a8b9c0d1e2f3a4b5c6d")]
    pub id: String,
    /// Always `plan`.
    #[schema(value_type = String, example = "plan")]
    pub object: &'static str,
    #[schema(example = "Pro monthly")]
    pub name: String,
    /// Gross, in minor units.
    #[schema(example = 1900)]
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(schema_with = interval_schema, example = "month")]
    pub interval: String,
    #[schema(example = 1)]
    pub interval_count: u32,
    #[schema(example = 14)]
    pub trial_days: u32,
    /// Inactive plans take no new subscriptions; existing ones go on.
    pub active: bool,
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<&pb::Plan> for Plan {
    fn from(p: &pb::Plan) -> Self {
        Self {
            id: p.id.clone(),
            object: "plan",
            name: p.name.clone(),
            amount: p.amount,
            currency: p.currency.clone(),
            interval: p.interval.clone(),
            interval_count: p.interval_count,
            trial_days: p.trial_days,
            active: p.active,
            livemode: p.livemode,
            created_at: time(p.created_at.as_ref()),
            updated_at: time(p.updated_at.as_ref()),
        }
    }
}

/// `POST /api/v1/plans`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Pro monthly", "amount": 1900, "currency": "EUR", "interval": "month",
    "intervalCount": 1, "trialDays": 14}))]
pub struct CreatePlanRequest {
    pub name: Option<String>,
    /// Gross, in minor units; 1 or more.
    pub amount: Option<i64>,
    /// ISO 4217.
    pub currency: Option<String>,
    #[schema(schema_with = interval_schema)]
    pub interval: Option<String>,
    /// 1–365 intervals per period; default 1.
    pub interval_count: Option<i64>,
    /// 0–730; default 0.
    pub trial_days: Option<i64>,
}

impl CreatePlanRequest {
    pub fn into_proto(self, idempotency_key: String) -> pb::CreatePlanRequest {
        pb::CreatePlanRequest {
            name: self.name.unwrap_or_default(),
            amount: self.amount,
            currency: self.currency.unwrap_or_default(),
            interval: self.interval.unwrap_or_default(),
            interval_count: self.interval_count,
            trial_days: self.trial_days,
            idempotency_key,
        }
    }
}

/// `PATCH /api/v1/plans/{id}`: only the name and whether it takes new
/// subscriptions; price fields are refused (`parameter_unknown`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"active": false}))]
pub struct UpdatePlanRequest {
    pub name: Option<String>,
    pub active: Option<bool>,
}

impl UpdatePlanRequest {
    pub fn into_proto(self, id: String) -> pb::UpdatePlanRequest {
        pb::UpdatePlanRequest { id, name: self.name, active: self.active }
    }
}
