//! Payment providers behind one trait. The gateway sends an idempotency key
//! with every call and the provider must honour it: the same key never
//! charges, captures or refunds twice. That, plus the store's leases, is
//! what makes "charged at most once" hold when jobs are redelivered or a
//! core dies mid-charge.

pub mod events;
pub mod faults;
pub mod gocardless;
pub mod sandbox;
pub mod stripe;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How the payer pays, as sent by the checkout page. Card data never
/// reaches Paygate: a card is a provider token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A provider's card token: `tok_…` for the sandbox, a Stripe
    /// PaymentMethod id (`pm_…`) for Stripe.
    Card {
        token: String,
    },
    Upi {
        vpa: String,
    },
    /// A GoCardless Direct Debit mandate (`MD…`): recurring bank payments.
    Mandate {
        id: String,
    },
}

#[derive(Debug, Clone)]
pub struct ChargeRequest {
    pub idempotency_key: String,
    /// The merchant-side order this charge pays (the checkout id), as
    /// providers record a description/metadata with each charge.
    pub order_reference: String,
    pub amount: i64,
    pub currency: String,
    pub method: PaymentMethod,
    /// `false` authorizes only (`captureMethod: "manual"`).
    pub capture: bool,
    /// The gateway's transaction id. Providers store it as metadata
    /// (`paygate_transaction_id`) so a webhook that overtakes the charge's
    /// own answer still finds its transaction.
    pub transaction_id: String,
    /// Where the payer comes back after a redirect the provider asks for
    /// (3-D Secure): the checkout page.
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStatus {
    Succeeded,
    RequiresCapture,
    /// Accepted, outcome later (bank debits take days): a webhook settles
    /// it.
    Processing,
    /// The payer must act first (3-D Secure). `next_action` is the
    /// provider's own instruction (Stripe's `next_action` object), handed
    /// to the checkout page as is; the outcome arrives by webhook.
    RequiresAction {
        next_action: serde_json::Value,
    },
    Failed {
        code: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOutcome {
    pub reference: String,
    pub status: ChargeStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    pub reference: String,
    /// `false` when the provider accepted the refund but has not finished
    /// it (a webhook reports the end).
    pub settled: bool,
}

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub idempotency_key: String,
    /// The charge's provider reference.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    /// The gateway's refund id, stored by the provider as metadata
    /// (`paygate_refund_id`) so its webhook is recognised as ours.
    pub refund_id: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    /// Worth retrying with the same key (timeouts, 5xx, storage hiccups).
    #[error("provider temporarily unavailable: {0}")]
    Transient(String),
    /// The provider refused the operation; retrying will not help.
    #[error("provider refused: {code}: {message}")]
    Refused { code: String, message: String },
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    /// Checks a payment method before a transaction is created, so a typo
    /// is a 400 rather than a failed payment.
    fn accepts(&self, method: &PaymentMethod) -> bool;

    async fn authorize(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError>;

    async fn capture(&self, idempotency_key: &str, reference: &str, amount: i64) -> Result<(), ProviderError>;

    async fn cancel(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError>;

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError>;

    /// Whether it charges this currency at all (ISO 4217, upper case).
    fn accepts_currency(&self, currency: &str) -> bool {
        let _ = currency;
        true
    }

    /// Checks that a saved payment method can be charged again later
    /// without the payer (a subscription's renewals), before anything is
    /// sold on it.
    async fn verify_reusable(&self, method: &PaymentMethod) -> Result<(), ProviderError> {
        let _ = method;
        Ok(())
    }

    /// Saves the payment method for later charges without charging it (a
    /// trial's checkout): `Succeeded` once saved.
    async fn save_payment_method(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let _ = request;
        Err(ProviderError::Refused {
            code: "setup_unsupported".into(),
            message: format!("{} cannot save a payment method without charging it", self.name()),
        })
    }

    /// `false` when the provider only takes payments it settles by itself
    /// (Direct Debit): `captureMethod: "manual"` is refused up front.
    fn supports_manual_capture(&self) -> bool {
        true
    }

    /// A refund the gateway learned about from a webhook that did not say
    /// everything (GoCardless events carry only ids): asks the provider.
    async fn refund_details(&self, refund_reference: &str) -> Result<RefundDetails, ProviderError> {
        Err(ProviderError::Refused {
            code: "unsupported".into(),
            message: format!("{} cannot look up refund {refund_reference}", self.name()),
        })
    }

    /// The charge's state as the provider sees it now: how a payment that
    /// waits for a webhook is checked when the webhook is late or lost.
    /// `None` when the provider cannot be asked.
    async fn retrieve_charge(&self, reference: &str) -> Result<Option<ChargeStatus>, ProviderError> {
        let _ = reference;
        Ok(None)
    }

    /// The gateway transaction id a charge carries in its metadata, for a
    /// webhook that names only the provider's reference.
    async fn charge_transaction_id(&self, reference: &str) -> Result<Option<String>, ProviderError> {
        let _ = reference;
        Ok(None)
    }
}

/// What the provider knows about one refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundDetails {
    pub charge_reference: String,
    pub amount: i64,
    /// The gateway's refund id from the refund's metadata, when the gateway
    /// made it.
    pub refund_id: Option<String>,
}
