//! What a provider's webhook tells the gateway, in the gateway's terms.
//! Each provider module verifies its own signature scheme and turns its
//! event objects into [`ProviderEvent`]s; core applies them without knowing
//! which provider spoke.

/// A webhook request as it arrived: header names lowercase, body untouched
/// (signatures cover the exact bytes).
#[derive(Debug, Clone, Copy)]
pub struct HookRequest<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl HookRequest<'_> {
    /// The first value of a header (`name` lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// Missing, malformed, expired or non-matching signature. Nothing is
    /// read from the body.
    #[error("webhook signature invalid: {0}")]
    Signature(&'static str),
    /// Signed correctly but not an event body this provider sends.
    #[error("webhook body invalid: {0}")]
    Body(String),
}

use serde::{Deserialize, Serialize};

/// One provider event. `id` is the provider's own event id: the gateway
/// applies each id once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderEvent {
    pub id: String,
    /// The provider's own name for it (`payment_intent.succeeded`,
    /// `payments.confirmed`), kept for the record and the logs.
    pub event_type: String,
    /// When the provider says it happened (microseconds since the epoch).
    pub occurred_at: i64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EventKind {
    /// A charge moved. `reference` is the provider's charge id (`pi_…`,
    /// `PM…`); `transaction_id` the gateway's id from the charge's metadata
    /// when the event carries it.
    Charge { reference: String, transaction_id: Option<String>, status: ChargeEventStatus },
    /// A refund of a charge, whether the gateway asked for it or somebody
    /// refunded in the provider's dashboard (then `refund_id` is `None`).
    Refund {
        charge_reference: String,
        refund_reference: String,
        refund_id: Option<String>,
        /// `None` when the event does not say (ask
        /// [`super::Provider::refund_details`]).
        amount: Option<i64>,
        status: RefundEventStatus,
    },
    /// The payer disputed a charge (card dispute, Direct Debit chargeback).
    Dispute { charge_reference: String, dispute_reference: String, amount: i64, reason: String, status: String },
    /// An event type the gateway does not act on: acknowledged, ignored.
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum ChargeEventStatus {
    Processing,
    RequiresAction,
    RequiresCapture,
    /// `amount_captured` when the provider reports it (partial capture).
    Succeeded {
        amount_captured: Option<i64>,
    },
    Failed {
        code: String,
        message: String,
    },
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundEventStatus {
    Pending,
    Succeeded,
    Failed,
}
