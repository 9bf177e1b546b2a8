//! Provider accounts and provider webhooks on the wire.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{non_empty, requests::string_enum, time};
use crate::proto::v1 as pb;

/// The provider types a record can have.
pub const PROVIDER_TYPES: &[&str] = &["sandbox", "stripe", "gocardless"];

fn provider_type_schema() -> utoipa::openapi::schema::Object {
    string_enum(PROVIDER_TYPES)
}

/// A payment provider account the organization charges through. Secrets
/// are never returned: only a hint of their last characters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    #[schema(example = "prov_3c4d5e6f7a8b9c0d1e2f3a4b")]
    pub id: String,
    /// Always `provider`.
    #[schema(value_type = String, example = "provider")]
    pub object: &'static str,
    #[serde(rename = "type")]
    #[schema(schema_with = provider_type_schema, example = "stripe")]
    pub kind: String,
    pub name: String,
    pub livemode: bool,
    /// The last characters of the secret key or access token.
    #[schema(example = "…4242")]
    pub credentials_hint: Option<String>,
    /// Stripe's publishable key, for the checkout page (public by design).
    #[schema(example = "pk_test_51H…")]
    pub publishable_key: Option<String>,
    /// Register this URL as the webhook endpoint in the provider's
    /// dashboard.
    #[schema(example = "https://api.pay.example/hooks/stripe/prov_3c4d5e6f7a8b9c0d1e2f3a4b")]
    pub webhook_url: String,
    /// Whether a webhook signing secret is set: without one, the provider's
    /// webhooks are refused.
    pub has_webhook_secret: bool,
    #[schema(example = "…Xy9z")]
    pub webhook_secret_hint: Option<String>,
    /// The provider API base this record uses instead of the default.
    pub api_base: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<&pb::Provider> for Provider {
    fn from(p: &pb::Provider) -> Self {
        Self {
            id: p.id.clone(),
            object: "provider",
            kind: p.r#type.clone(),
            name: p.name.clone(),
            livemode: p.livemode,
            credentials_hint: non_empty(&p.credentials_hint),
            publishable_key: non_empty(&p.publishable_key),
            webhook_url: p.webhook_url.clone(),
            has_webhook_secret: p.has_webhook_secret,
            webhook_secret_hint: non_empty(&p.webhook_secret_hint),
            api_base: non_empty(&p.api_base),
            created_at: time(p.created_at.as_ref()),
            updated_at: time(p.updated_at.as_ref()),
        }
    }
}

/// A new provider; a sandbox provider's signing secret is in
/// `webhookSecret`, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderWithSecret {
    #[serde(flatten)]
    pub provider: Provider,
    /// Only for `sandbox` providers, whose secret the gateway makes.
    pub webhook_secret: Option<String>,
}

impl From<&pb::CreateProviderResponse> for ProviderWithSecret {
    fn from(r: &pb::CreateProviderResponse) -> Self {
        Self {
            provider: Provider::from(&r.provider.clone().unwrap_or_default()),
            webhook_secret: non_empty(&r.webhook_secret),
        }
    }
}

/// The record as it was, marked deleted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletedProvider {
    #[serde(flatten)]
    pub provider: Provider,
    /// Always `true`.
    pub deleted: bool,
}

impl From<&pb::Provider> for DeletedProvider {
    fn from(p: &pb::Provider) -> Self {
        Self { provider: Provider::from(p), deleted: true }
    }
}

/// The provider's secret credentials: `secretKey` (and optionally
/// `publishableKey`) for Stripe, `accessToken` for GoCardless, nothing for
/// the sandbox. Their prefix must match the key's mode (`sk_test_`,
/// `sandbox_` with a test key).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderCredentials {
    #[schema(example = "sk_test_51H…")]
    pub secret_key: Option<String>,
    #[schema(example = "pk_test_51H…")]
    pub publishable_key: Option<String>,
    #[schema(example = "sandbox_…")]
    pub access_token: Option<String>,
}

impl From<ProviderCredentials> for pb::ProviderCredentials {
    fn from(c: ProviderCredentials) -> Self {
        Self {
            secret_key: c.secret_key.unwrap_or_default(),
            publishable_key: c.publishable_key.unwrap_or_default(),
            access_token: c.access_token.unwrap_or_default(),
        }
    }
}

/// `POST /api/v1/providers`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"type": "stripe", "name": "Stripe (test)",
    "credentials": {"secretKey": "sk_test_…", "publishableKey": "pk_test_…"}, "webhookSecret": "whsec_…"}))]
pub struct CreateProviderRequest {
    #[serde(rename = "type")]
    #[schema(schema_with = provider_type_schema)]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<ProviderCredentials>,
    /// The endpoint's signing secret from the provider's dashboard (Stripe:
    /// `whsec_…`). It can be set later, once the endpoint exists.
    pub webhook_secret: Option<String>,
    /// Another API base (e.g. a regional endpoint); https only.
    pub api_base: Option<String>,
}

impl CreateProviderRequest {
    pub fn into_proto(self, idempotency_key: String) -> pb::CreateProviderRequest {
        pb::CreateProviderRequest {
            r#type: self.kind.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            credentials: self.credentials.map(Into::into),
            webhook_secret: self.webhook_secret.unwrap_or_default(),
            api_base: self.api_base.unwrap_or_default(),
            idempotency_key,
        }
    }
}

/// `PATCH /api/v1/providers/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"webhookSecret": "whsec_…"}))]
pub struct UpdateProviderRequest {
    pub name: Option<String>,
    /// Replaces every stored credential.
    pub credentials: Option<ProviderCredentials>,
    pub webhook_secret: Option<String>,
    /// `""` returns to the default base.
    pub api_base: Option<String>,
}

impl UpdateProviderRequest {
    pub fn into_proto(self, id: String) -> pb::UpdateProviderRequest {
        pb::UpdateProviderRequest {
            id,
            name: self.name,
            credentials: self.credentials.map(Into::into),
            webhook_secret: self.webhook_secret,
            api_base: self.api_base,
        }
    }
}

/// The sandbox events a test-mode sandbox provider can emit.
pub const SANDBOX_EVENT_TYPES: &[&str] = &["charge.succeeded", "charge.failed", "refund.succeeded", "dispute.created"];

fn sandbox_event_type_schema() -> utoipa::openapi::schema::Object {
    string_enum(SANDBOX_EVENT_TYPES)
}

/// `POST /api/v1/providers/{id}/sandbox-events`: what the sandbox's
/// "dashboard" does, announced by a signed webhook to the provider's
/// `webhookUrl`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"type": "refund.succeeded", "transactionId": "txn_…", "amount": 500}))]
pub struct SandboxEventRequest {
    #[serde(rename = "type")]
    #[schema(schema_with = sandbox_event_type_schema)]
    pub kind: Option<String>,
    pub transaction_id: Option<String>,
    /// Refunds and disputes: minor units; absent = everything left.
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

impl SandboxEventRequest {
    pub fn into_proto(self, provider_id: String) -> pb::EmitSandboxEventRequest {
        pb::EmitSandboxEventRequest {
            provider_id,
            r#type: self.kind.unwrap_or_default(),
            transaction_id: self.transaction_id.unwrap_or_default(),
            amount: self.amount,
            reason: self.reason.unwrap_or_default(),
        }
    }
}

/// What the sandbox emitted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxEvent {
    #[schema(example = "sbxevt_…")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status the provider's `webhookUrl` answered.
    pub delivery_status: u16,
}

impl From<&pb::SandboxEventResponse> for SandboxEvent {
    fn from(r: &pb::SandboxEventResponse) -> Self {
        Self {
            id: r.event_id.clone(),
            kind: r.r#type.clone(),
            delivery_status: u16::try_from(r.delivery_status).unwrap_or(0),
        }
    }
}

/// What a provider webhook delivery gets back.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookReceipt {
    /// Events in the body.
    pub received: u32,
    /// Events not seen before (the rest were duplicates, acknowledged).
    pub new_events: u32,
}

impl From<&pb::ReceiveHookResponse> for HookReceipt {
    fn from(r: &pb::ReceiveHookResponse) -> Self {
        Self { received: r.received, new_events: r.new_events }
    }
}
