//! The sandbox provider: behaves like a real provider's test mode, driven by
//! test tokens (API.md's table) and UPI test VPAs. Its own records live in
//! the store (`sandbox_charges`), as a real provider's would live on its
//! side, so idempotency survives a core restart and tests can count
//! charges.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundOutcome, RefundRequest,
};
use crate::{
    crypto::sha256_hex,
    store::{CollectionSpec, Store, StoreError},
};

pub const COLLECTION: CollectionSpec =
    CollectionSpec { name: "sandbox_charges", unique: &[], indexed: &["orderReference"] };

/// Token → outcome (`None` = succeeds).
const CARD_TOKENS: &[(&str, Option<(&str, &str)>)] = &[
    ("tok_visa", None),
    ("tok_mastercard", None),
    ("tok_chargeDeclined", Some(("card_declined", "Your card was declined."))),
    ("tok_chargeDeclinedInsufficientFunds", Some(("insufficient_funds", "Your card has insufficient funds."))),
    ("tok_chargeDeclinedExpiredCard", Some(("expired_card", "Your card has expired."))),
    ("tok_processingError", Some(("processing_error", "An error occurred while processing your card."))),
];

const UPI_SUCCESS: &str = "success@upi";
const UPI_FAILURE: &str = "failure@upi";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ChargeState {
    Authorized,
    Captured,
    Canceled,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SandboxCharge {
    id: String,
    #[serde(default)]
    version: i64,
    created_at: i64,
    idempotency_key: String,
    order_reference: String,
    amount: i64,
    currency: String,
    state: ChargeState,
    failure_code: Option<String>,
    failure_message: Option<String>,
    amount_refunded: i64,
    /// What a partial capture took; `None` = the whole amount.
    #[serde(default)]
    amount_captured: Option<i64>,
    /// Refund idempotency key → refund reference.
    refunds: std::collections::BTreeMap<String, String>,
    /// Capture / cancel keys already applied.
    applied_keys: Vec<String>,
}

pub struct SandboxProvider {
    store: Arc<dyn Store>,
    latency: Duration,
}

fn transient(err: StoreError) -> ProviderError {
    ProviderError::Transient(err.to_string())
}

fn refused(code: &str, message: &str) -> ProviderError {
    ProviderError::Refused { code: code.to_owned(), message: message.to_owned() }
}

impl SandboxProvider {
    pub fn new(store: Arc<dyn Store>, latency: Duration) -> Self {
        Self { store, latency }
    }

    async fn simulate_latency(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }

    fn charge_id(idempotency_key: &str) -> String {
        format!("sbx_ch_{}", &sha256_hex(idempotency_key.as_bytes())[..32])
    }

    async fn load(&self, reference: &str) -> Result<SandboxCharge, ProviderError> {
        let document = self
            .store
            .get(COLLECTION.name, reference)
            .await
            .map_err(transient)?
            .ok_or_else(|| refused("resource_missing", "no such charge"))?;
        serde_json::from_value(document.body).map_err(|err| ProviderError::Transient(err.to_string()))
    }

    /// Applies `change` to the charge with compare-and-swap, retrying lost
    /// races, so concurrent captures/refunds are serialised.
    async fn modify<T>(
        &self,
        reference: &str,
        mut change: impl FnMut(&mut SandboxCharge) -> Result<T, ProviderError> + Send,
    ) -> Result<T, ProviderError> {
        loop {
            let mut charge = self.load(reference).await?;
            let version = charge.version;
            let result = change(&mut charge)?;
            let body = serde_json::to_value(&charge).map_err(|err| ProviderError::Transient(err.to_string()))?;
            match self.store.compare_and_swap(COLLECTION.name, reference, version, body).await {
                Ok(_) => return Ok(result),
                Err(StoreError::VersionConflict) => continue,
                Err(err) => return Err(transient(err)),
            }
        }
    }

    /// Successful charges (authorized or captured, not canceled) the
    /// sandbox holds for an order — what "charged once" is checked against.
    pub async fn successful_charges_for(store: &dyn Store, order_reference: &str) -> Result<usize, StoreError> {
        let page = crate::store::Page { limit: 100, starting_after: None };
        let found = store.find(COLLECTION.name, &vec![("orderReference", order_reference.into())], &page).await?;
        Ok(found
            .data
            .into_iter()
            .filter(|d| matches!(d.body.get("state").and_then(|s| s.as_str()), Some("authorized" | "captured")))
            .count())
    }
}

fn outcome(charge: &SandboxCharge) -> ChargeOutcome {
    let status = match charge.state {
        ChargeState::Authorized => ChargeStatus::RequiresCapture,
        ChargeState::Captured | ChargeState::Canceled => ChargeStatus::Succeeded,
        ChargeState::Failed => ChargeStatus::Failed {
            code: charge.failure_code.clone().unwrap_or_default(),
            message: charge.failure_message.clone().unwrap_or_default(),
        },
    };
    ChargeOutcome { reference: charge.id.clone(), status }
}

#[async_trait]
impl Provider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn accepts(&self, method: &PaymentMethod) -> bool {
        match method {
            PaymentMethod::Card { token } => CARD_TOKENS.iter().any(|(t, _)| t == token),
            PaymentMethod::Upi { vpa } => vpa == UPI_SUCCESS || vpa == UPI_FAILURE,
            PaymentMethod::Mandate { .. } => false,
        }
    }

    async fn authorize(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        self.simulate_latency().await;
        let decline = match &request.method {
            PaymentMethod::Card { token } => match CARD_TOKENS.iter().find(|(t, _)| t == token) {
                Some((_, outcome)) => *outcome,
                None => return Err(refused("payment_method_invalid", "unknown test token")),
            },
            PaymentMethod::Upi { vpa } if vpa == UPI_SUCCESS => None,
            PaymentMethod::Upi { vpa } if vpa == UPI_FAILURE => {
                Some(("upi_declined", "The UPI payment was declined by the payer's bank."))
            }
            PaymentMethod::Upi { .. } => return Err(refused("payment_method_invalid", "unknown test VPA")),
            PaymentMethod::Mandate { .. } => {
                return Err(refused("payment_method_invalid", "the sandbox takes no Direct Debit mandates"));
            }
        };
        let id = Self::charge_id(&request.idempotency_key);
        let charge = SandboxCharge {
            id: id.clone(),
            version: 0,
            created_at: crate::domain::now_micros(),
            idempotency_key: request.idempotency_key.clone(),
            order_reference: request.order_reference.clone(),
            amount: request.amount,
            currency: request.currency.clone(),
            state: match (decline, request.capture) {
                (Some(_), _) => ChargeState::Failed,
                (None, true) => ChargeState::Captured,
                (None, false) => ChargeState::Authorized,
            },
            failure_code: decline.map(|(code, _)| code.to_owned()),
            failure_message: decline.map(|(_, message)| message.to_owned()),
            amount_refunded: 0,
            amount_captured: None,
            refunds: Default::default(),
            applied_keys: Vec::new(),
        };
        let body = serde_json::to_value(&charge).map_err(|err| ProviderError::Transient(err.to_string()))?;
        match self.store.insert(COLLECTION.name, body).await {
            Ok(_) => Ok(outcome(&charge)),
            // The same key again: answer what the first call did.
            Err(StoreError::Duplicate { .. }) => Ok(outcome(&self.load(&id).await?)),
            Err(err) => Err(transient(err)),
        }
    }

    async fn capture(&self, idempotency_key: &str, reference: &str, amount: i64) -> Result<(), ProviderError> {
        self.simulate_latency().await;
        let key = idempotency_key.to_owned();
        self.modify(reference, |charge| {
            if charge.applied_keys.contains(&key) {
                return Ok(());
            }
            match charge.state {
                // A partial capture releases the rest of the authorization.
                ChargeState::Authorized if amount > 0 && amount <= charge.amount => {
                    charge.state = ChargeState::Captured;
                    charge.amount_captured = Some(amount);
                    charge.applied_keys.push(key.clone());
                    Ok(())
                }
                ChargeState::Authorized => {
                    Err(refused("amount_invalid", "capture amount must be positive and at most the authorization"))
                }
                _ => Err(refused("charge_not_capturable", "the charge is not awaiting capture")),
            }
        })
        .await
    }

    async fn cancel(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError> {
        self.simulate_latency().await;
        let key = idempotency_key.to_owned();
        self.modify(reference, |charge| {
            if charge.applied_keys.contains(&key) {
                return Ok(());
            }
            match charge.state {
                ChargeState::Authorized => {
                    charge.state = ChargeState::Canceled;
                    charge.applied_keys.push(key.clone());
                    Ok(())
                }
                _ => Err(refused("charge_not_cancelable", "only an uncaptured authorization can be canceled")),
            }
        })
        .await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        self.simulate_latency().await;
        let key = request.idempotency_key.clone();
        let amount = request.amount;
        self.modify(&request.reference, |charge| {
            if let Some(existing) = charge.refunds.get(&key) {
                return Ok(RefundOutcome { reference: existing.clone(), settled: true });
            }
            if charge.state != ChargeState::Captured {
                return Err(refused("charge_not_refundable", "only a captured charge can be refunded"));
            }
            if amount <= 0 || charge.amount_refunded + amount > charge.amount_captured.unwrap_or(charge.amount) {
                return Err(refused("amount_too_large", "refunds may not exceed the captured amount"));
            }
            let reference = format!("sbx_re_{}", &sha256_hex(key.as_bytes())[..32]);
            charge.amount_refunded += amount;
            charge.refunds.insert(key.clone(), reference.clone());
            Ok(RefundOutcome { reference, settled: true })
        })
        .await
    }
}
