//! Request bodies and query strings, each converted to its proto message
//! here. Unknown fields are refused (`parameter_unknown`); values are
//! checked by core, except enum spellings, which have no proto value to
//! carry a wrong one.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{
    IntoParams, ToSchema,
    openapi::schema::{Object, ObjectBuilder, Type},
};

use super::{CaptureMethod, CheckoutStatus, IPN_DELIVERY_STATUSES, KeyMode, TransactionStatus};
use crate::{
    error::{ErrorType, HttpError},
    proto::v1 as pb,
};

/// A string schema listing the accepted spellings.
pub fn string_enum(names: &[&str]) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names.iter().copied())).build()
}

/// The languages documents are issued in.
pub const LANGUAGES: &[&str] = &["en", "de", "fr"];

pub fn language_schema() -> Object {
    string_enum(LANGUAGES)
}

/// Proto's empty language is the default, English.
pub(crate) fn language_or_default(language: &str) -> String {
    if language.is_empty() { "en".to_owned() } else { language.to_owned() }
}

fn capture_method_schema() -> Object {
    string_enum(CaptureMethod::NAMES)
}

fn key_mode_schema() -> Object {
    string_enum(KeyMode::NAMES)
}

/// The 400 core would give for a value it cannot represent in proto.
pub(super) fn enum_error(param: &str, code: &str, names: &[&str]) -> HttpError {
    HttpError::new(
        StatusCode::BAD_REQUEST,
        ErrorType::InvalidRequest,
        code,
        format!("{param} must be one of: {}", names.join(", ")),
    )
    .with_param(param)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddressInput {
    /// ISO 3166-1 alpha-2.
    #[schema(example = "DE")]
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
}

impl From<AddressInput> for pb::Address {
    fn from(a: AddressInput) -> Self {
        Self {
            country: a.country.unwrap_or_default(),
            line1: a.line1.unwrap_or_default(),
            line2: a.line2.unwrap_or_default(),
            city: a.city.unwrap_or_default(),
            postal_code: a.postal_code.unwrap_or_default(),
            region: a.region.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerInput {
    #[schema(example = "a@example.com")]
    pub email: Option<String>,
    pub name: Option<String>,
    /// Checked against EU VIES: a valid B2B VAT id may reverse-charge.
    pub vat_id: Option<String>,
    pub address: Option<AddressInput>,
    /// The language of the invoice and credit notes: `en` (default), `de`
    /// or `fr`. Anything else is a 400 with `param` `customer.language`.
    #[schema(schema_with = language_schema, example = "de")]
    pub language: Option<String>,
}

impl From<CustomerInput> for pb::Customer {
    fn from(c: CustomerInput) -> Self {
        Self {
            email: c.email.unwrap_or_default(),
            name: c.name.unwrap_or_default(),
            vat_id: c.vat_id.unwrap_or_default(),
            address: c.address.map(pb::Address::from),
            language: c.language.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LineItemInput {
    pub name: Option<String>,
    /// Default 1.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: Option<i64>,
    /// Gross unit price in minor units. Required.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub amount: Option<i64>,
}

impl From<LineItemInput> for pb::LineItemInput {
    fn from(i: LineItemInput) -> Self {
        Self { name: i.name.unwrap_or_default(), quantity: i.quantity, amount: i.amount }
    }
}

/// `POST /api/v1/checkouts/{siteId}/create`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({
    "amount": 11900, "currency": "EUR", "description": "Pro plan",
    "customer": {"email": "a@example.com", "name": "Ada", "vatId": "DE123456789",
                 "address": {"country": "DE", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115"}},
    "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}],
    "captureMethod": "automatic",
    "ipnUrl": "https://merchant.example/ipn",
    "successUrl": "https://merchant.example/thanks", "cancelUrl": "https://merchant.example/cart",
    "metadata": {"orderId": "1234"}, "expiresInSeconds": 3600
}))]
pub struct CreateCheckoutRequest {
    /// Gross amount in minor units; line items must add up to it. Required.
    #[schema(example = 11900, minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount: Option<i64>,
    /// ISO 4217. Required.
    #[schema(example = "EUR", pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    pub description: Option<String>,
    /// Details printed on the invoice. With `customerId`, each detail left
    /// out here comes from that customer record.
    pub customer: Option<CustomerInput>,
    #[schema(max_items = 100)]
    pub line_items: Option<Vec<LineItemInput>>,
    /// `automatic` (default) or `manual`.
    #[schema(schema_with = capture_method_schema)]
    pub capture_method: Option<String>,
    /// Where IPNs are POSTed (https).
    pub ipn_url: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// Up to 50 keys of 1–40 characters, values up to 500.
    pub metadata: Option<BTreeMap<String, String>>,
    /// 60–604800; default 3600.
    #[schema(minimum = 60, maximum = 604_800)]
    pub expires_in_seconds: Option<i64>,
    /// `payment` (default) or `subscription`: sells `planId` to the
    /// customer (amount, currency and the one line come from the plan).
    #[schema(example = "payment")]
    pub mode: Option<String>,
    /// The plan a subscription checkout sells.
    pub plan_id: Option<String>,
    /// An existing customer (`cus_…`, of the key's organization and mode)
    /// the checkout bills: each detail the inline `customer` leaves out
    /// comes from it, and the transaction, invoice and credit notes carry
    /// it, so the customer finds them in the portal.
    #[schema(example = "cus_4d5e6f7a8b9c0d1e2f3a4b5c")]
    pub customer_id: Option<String>,
}

impl CreateCheckoutRequest {
    pub fn into_proto(self, site_id: String, idempotency_key: String) -> Result<pb::CreateCheckoutRequest, HttpError> {
        let capture_method = match self.capture_method.as_deref() {
            None => pb::CaptureMethod::Unspecified,
            Some(text) => CaptureMethod::parse_pb(text)
                .ok_or_else(|| enum_error("captureMethod", "capture_method_invalid", CaptureMethod::NAMES))?,
        };
        Ok(pb::CreateCheckoutRequest {
            site_id,
            idempotency_key,
            amount: self.amount,
            currency: self.currency.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            customer: self.customer.map(pb::Customer::from),
            line_items: self.line_items.unwrap_or_default().into_iter().map(pb::LineItemInput::from).collect(),
            capture_method: capture_method as i32,
            ipn_url: self.ipn_url.unwrap_or_default(),
            success_url: self.success_url.unwrap_or_default(),
            cancel_url: self.cancel_url.unwrap_or_default(),
            metadata: self.metadata.unwrap_or_default().into_iter().collect(),
            expires_in_seconds: self.expires_in_seconds,
            mode: self.mode.unwrap_or_default(),
            plan_id: self.plan_id.unwrap_or_default(),
            customer_id: self.customer_id.unwrap_or_default(),
        })
    }
}

/// `POST /api/v1/sites`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Shop", "checkoutDomain": "pay.shop.example"}))]
pub struct CreateSiteRequest {
    pub name: Option<String>,
    /// A custom checkout domain (optional). It is attached `pending`, like
    /// `POST /api/v1/sites/{id}/domains`, and serves only once verified.
    pub checkout_domain: Option<String>,
    /// Browser origins (`https://shop.example`) allowed to call the checkout
    /// runtime API cross-origin; at most 20, no wildcards.
    pub allowed_origins: Option<Vec<String>>,
    /// The provider account to charge through (`prov_…`, same mode as the
    /// key); absent: the built-in sandbox, test mode only.
    pub provider_id: Option<String>,
}

/// `PATCH /api/v1/sites/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"allowedOrigins": ["https://shop.example"]}))]
pub struct UpdateSiteRequest {
    pub name: Option<String>,
    /// Replaces the list; `[]` allows no other origin.
    pub allowed_origins: Option<Vec<String>>,
    /// Switches the provider for payments started from now on; `""`
    /// returns to the built-in sandbox (test mode only).
    pub provider_id: Option<String>,
    /// Where IPNs go for this site's checkouts (and, later, other objects)
    /// that name no `ipnUrl`; `""` removes it.
    pub ipn_url: Option<String>,
}

impl UpdateSiteRequest {
    pub fn into_proto(self, id: String) -> pb::UpdateSiteRequest {
        pb::UpdateSiteRequest {
            id,
            name: self.name,
            allowed_origins: self.allowed_origins.map(|origins| pb::AllowedOrigins { origins }),
            provider_id: self.provider_id,
            ipn_url: self.ipn_url,
        }
    }
}

/// `POST /api/v1/sites/{id}/domains`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"domain": "pay.shop.example"}))]
pub struct AddCheckoutDomainRequest {
    /// A host name the merchant controls (Unicode names are stored in their
    /// `xn--` form).
    pub domain: Option<String>,
}

impl AddCheckoutDomainRequest {
    pub fn into_proto(self, site_id: String) -> pb::CheckoutDomainRequest {
        pb::CheckoutDomainRequest { site_id, domain: self.domain.unwrap_or_default() }
    }
}

impl CreateSiteRequest {
    pub fn into_proto(self, idempotency_key: String) -> pb::CreateSiteRequest {
        pb::CreateSiteRequest {
            name: self.name.unwrap_or_default(),
            checkout_domain: self.checkout_domain.unwrap_or_default(),
            idempotency_key,
            allowed_origins: self.allowed_origins.unwrap_or_default(),
            provider_id: self.provider_id.unwrap_or_default(),
        }
    }
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "shop backend", "mode": "test", "scopes": ["checkout:create", "transactions:read"]}))]
pub struct CreateApiKeyRequest {
    pub name: Option<String>,
    /// `test` (default) or `live`.
    #[schema(schema_with = key_mode_schema)]
    pub mode: Option<String>,
    /// At most the calling key's own scopes.
    pub scopes: Option<Vec<String>>,
}

impl CreateApiKeyRequest {
    pub fn into_proto(self, idempotency_key: String) -> Result<pb::CreateApiKeyRequest, HttpError> {
        let mode = match self.mode.as_deref() {
            None => pb::KeyMode::Test,
            Some(text) => KeyMode::parse_pb(text).ok_or_else(|| enum_error("mode", "mode_invalid", KeyMode::NAMES))?,
        };
        Ok(pb::CreateApiKeyRequest {
            name: self.name.unwrap_or_default(),
            mode: mode as i32,
            scopes: self.scopes.unwrap_or_default(),
            idempotency_key,
        })
    }
}

/// `PATCH /api/v1/organization`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({
    "legalName": "Shop GmbH", "vatId": "DE123456789", "sellerCountry": "DE",
    "address": {"country": "DE", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115"},
    "invoicePrefix": "INV", "creditNotePrefix": "CN",
    "email": "billing@shop.example", "phone": "+49 30 1234567", "website": "shop.example",
    "registrationNumber": "HRB 123456", "registerCourt": "Amtsgericht Berlin-Charlottenburg"
}))]
pub struct UpdateOrganizationRequest {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub address: Option<AddressInput>,
    pub vat_id: Option<String>,
    pub seller_country: Option<String>,
    pub invoice_prefix: Option<String>,
    pub credit_note_prefix: Option<String>,
    /// Days after a failed renewal on which it is retried: up to 10
    /// strictly increasing days, 1–60; `[]` restores 1, 3, 5, 7.
    #[schema(example = json!([1, 3, 5, 7]))]
    pub dunning_retry_days: Option<Vec<u32>>,
    /// Printed with the seller on invoices; `""` clears it (likewise the
    /// fields below). A malformed address is a 400 `email_invalid`.
    pub email: Option<String>,
    /// Digits with spaces, `+`, `-`, `(`, `)`, `/` or `.`; 4–20 digits
    /// (`phone_invalid`).
    pub phone: Option<String>,
    /// A web address such as `shop.example` or `https://shop.example/about`
    /// (`website_invalid`).
    pub website: Option<String>,
    /// The company's number in its register, e.g. `HRB 123456` or
    /// `RCS Paris 123 456 789`; up to 100 characters.
    pub registration_number: Option<String>,
    /// The court or registry keeping the register, e.g.
    /// `Amtsgericht Berlin-Charlottenburg`; up to 100 characters.
    pub register_court: Option<String>,
    /// Every user of the organization must sign in with a second factor;
    /// those without one can only set it up until they do. Owners only
    /// (403 `owner_required` otherwise).
    pub require_two_factor: Option<bool>,
}

impl From<UpdateOrganizationRequest> for pb::UpdateOrganizationRequest {
    fn from(b: UpdateOrganizationRequest) -> Self {
        Self {
            name: b.name,
            legal_name: b.legal_name,
            address: b.address.map(pb::Address::from),
            vat_id: b.vat_id,
            seller_country: b.seller_country,
            invoice_prefix: b.invoice_prefix,
            credit_note_prefix: b.credit_note_prefix,
            dunning_retry_days: b.dunning_retry_days.map(|days| pb::DunningSchedule { days }),
            email: b.email,
            phone: b.phone,
            website: b.website,
            registration_number: b.registration_number,
            register_court: b.register_court,
            require_two_factor: b.require_two_factor,
        }
    }
}

/// `POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"country": "DE", "rateBps": 1900, "name": "DE standard", "validFrom": "2026-01-01"}))]
pub struct TaxRuleRequest {
    /// Only this site; absent: every site of the organization.
    pub site_id: Option<String>,
    #[schema(example = "DE")]
    pub country: Option<String>,
    pub region: Option<String>,
    /// 0–10000 basis points (1900 is 19 %). Required.
    #[schema(example = 1900, minimum = 0, maximum = 10_000)]
    pub rate_bps: Option<i64>,
    pub name: Option<String>,
    /// `YYYY-MM-DD`; default today.
    #[schema(example = "2026-01-01")]
    pub valid_from: Option<String>,
}

impl From<TaxRuleRequest> for pb::TaxRuleInput {
    fn from(b: TaxRuleRequest) -> Self {
        Self {
            site_id: b.site_id.unwrap_or_default(),
            country: b.country.unwrap_or_default(),
            region: b.region.unwrap_or_default(),
            rate_bps: b.rate_bps,
            name: b.name.unwrap_or_default(),
            valid_from: b.valid_from.unwrap_or_default(),
        }
    }
}

/// Reads a field that may be absent (the outer `None`, by `#[serde(default)]`)
/// or present, including as `null` (`Some(None)`), so the two can be told
/// apart: an absent amount means "the whole remaining amount", while `null`
/// is a mistake that must not move money.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

fn optional_amount(amount: Option<Option<i64>>) -> Result<Option<i64>, HttpError> {
    match amount {
        Some(None) => Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            "amount_invalid",
            "amount must be a positive integer; leave it out to take the whole remaining amount",
        )
        .with_param("amount")),
        Some(Some(amount)) => Ok(Some(amount)),
        None => Ok(None),
    }
}

/// `POST /api/v1/transactions/{id}/refunds`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"amount": 1000, "reason": "requested_by_customer"}))]
pub struct CreateRefundRequest {
    /// Minor units; absent: everything still refundable. `null` is refused.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, example = 1000, minimum = 1)]
    pub amount: Option<Option<i64>>,
    pub reason: Option<String>,
}

impl CreateRefundRequest {
    pub fn into_proto(
        self,
        transaction_id: String,
        idempotency_key: String,
    ) -> Result<pb::CreateRefundRequest, HttpError> {
        Ok(pb::CreateRefundRequest {
            transaction_id,
            amount: optional_amount(self.amount)?,
            reason: self.reason.unwrap_or_default(),
            idempotency_key,
        })
    }
}

/// `POST /api/v1/transactions/{id}/capture`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"amount": 5000}))]
pub struct CaptureRequest {
    /// Minor units, at most the authorized amount; the rest of the
    /// authorization is released. Absent: the whole authorization. `null`
    /// is refused.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, example = 5000, minimum = 1)]
    pub amount: Option<Option<i64>>,
}

impl CaptureRequest {
    pub fn into_proto(self, id: String, idempotency_key: String) -> Result<pb::TransactionActionRequest, HttpError> {
        Ok(pb::TransactionActionRequest { id, amount: optional_amount(self.amount)?, idempotency_key })
    }
}

/// `POST /api/v1/transactions/{id}/cancel` takes no fields; a body sent
/// anyway must still be a JSON object, and `amount` is refused as unknown.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {}

/// `POST /api/v1/checkouts/{id}/pay` (main backend).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"paymentMethod": "tok_visa"}))]
pub struct PayRequest {
    /// A provider token (`tok_visa`, …) or `upi`.
    #[schema(example = "tok_visa")]
    pub payment_method: Option<String>,
    /// The payer's UPI address when `paymentMethod` is `upi`.
    pub vpa: Option<String>,
}

impl PayRequest {
    pub fn into_proto(self, checkout_id: String) -> pb::PayRequest {
        pb::PayRequest {
            checkout_id,
            payment_method: self.payment_method.unwrap_or_default(),
            vpa: self.vpa.unwrap_or_default(),
        }
    }
}

/// `POST /api/v1/vat/validate` (main backend).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"vatId": "DE123456789"}))]
pub struct ValidateVatRequest {
    #[schema(example = "DE123456789")]
    pub vat_id: Option<String>,
}

impl From<ValidateVatRequest> for pb::ValidateVatIdRequest {
    fn from(b: ValidateVatRequest) -> Self {
        Self { vat_id: b.vat_id.unwrap_or_default() }
    }
}

/// The query string of every list route: paging plus the filters each
/// list documents.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–100, default 10.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The last id of the previous page.
    pub starting_after: Option<String>,
    pub site_id: Option<String>,
    pub status: Option<String>,
    pub transaction_id: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    /// `true` or `false`.
    pub active: Option<String>,
    pub customer_id: Option<String>,
    pub created_gte: Option<String>,
    pub created_lte: Option<String>,
    pub amount_gte: Option<String>,
    pub amount_lte: Option<String>,
    pub customer_email: Option<String>,
    pub currency: Option<String>,
    pub object_id: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> pb::PageRequest {
        pb::PageRequest { limit: self.limit, starting_after: self.starting_after.clone().unwrap_or_default() }
    }

    pub fn site_id(&self) -> String {
        self.site_id.clone().unwrap_or_default()
    }

    pub fn checkout_status(&self) -> Result<pb::CheckoutStatus, HttpError> {
        match self.status.as_deref() {
            None | Some("") => Ok(pb::CheckoutStatus::Unspecified),
            Some(text) => CheckoutStatus::parse_pb(text)
                .ok_or_else(|| enum_error("status", "status_invalid", CheckoutStatus::NAMES)),
        }
    }

    pub fn transaction_status(&self) -> Result<pb::TransactionStatus, HttpError> {
        match self.status.as_deref() {
            None | Some("") => Ok(pb::TransactionStatus::Unspecified),
            Some(text) => TransactionStatus::parse_pb(text)
                .ok_or_else(|| enum_error("status", "status_invalid", TransactionStatus::NAMES)),
        }
    }

    pub fn ipn_delivery_status(&self) -> Result<String, HttpError> {
        match self.status.as_deref() {
            None | Some("") => Ok(String::new()),
            Some(text) if IPN_DELIVERY_STATUSES.contains(&text) => Ok(text.to_owned()),
            Some(_) => Err(enum_error("status", "status_invalid", IPN_DELIVERY_STATUSES)),
        }
    }

    /// `active=true|false`; absent: both.
    pub fn active(&self) -> Result<Option<bool>, HttpError> {
        match self.active.as_deref() {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(enum_error("active", "active_invalid", &["true", "false"])),
        }
    }

    /// The transaction list's filters, passed on as written: core judges
    /// them.
    pub fn transaction_filters(&self) -> pb::TransactionFilters {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        pb::TransactionFilters {
            created_gte: text(&self.created_gte),
            created_lte: text(&self.created_lte),
            amount_gte: text(&self.amount_gte),
            amount_lte: text(&self.amount_lte),
            customer_email: text(&self.customer_email),
            currency: text(&self.currency),
        }
    }

    pub fn documents(&self) -> pb::ListDocumentsRequest {
        pb::ListDocumentsRequest {
            site_id: self.site_id(),
            transaction_id: self.transaction_id.clone().unwrap_or_default(),
            customer_id: self.customer_id.clone().unwrap_or_default(),
            page: Some(self.page()),
        }
    }
}

/// `GET /api/v1/domains/verify`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DomainQuery {
    /// The custom checkout domain to look up.
    #[param(example = "pay.shop.example")]
    pub domain: String,
}
