//! The Admin API's objects as this SDK reads them. Fields this version does
//! not name are kept in `other`, so nothing the gateway sends is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page of a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkout {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub site_id: String,
    pub payment_url: String,
    pub transaction_id: Option<String>,
    pub livemode: bool,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub checkout_id: String,
    pub amount_refunded: i64,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    pub livemode: bool,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `POST /api/v1/checkouts/{siteId}/create`: amount in minor units, an
/// ISO 4217 currency, and any further documented field through
/// [`NewCheckout::field`].
#[derive(Debug, Clone, Serialize)]
pub struct NewCheckout(Map<String, Value>);

impl NewCheckout {
    pub fn new(amount: i64, currency: &str) -> Self {
        let mut body = Map::new();
        body.insert("amount".into(), amount.into());
        body.insert("currency".into(), currency.into());
        Self(body)
    }

    pub fn description(self, text: &str) -> Self {
        self.field("description", text)
    }

    pub fn success_url(self, url: &str) -> Self {
        self.field("successUrl", url)
    }

    pub fn ipn_url(self, url: &str) -> Self {
        self.field("ipnUrl", url)
    }

    /// Any other field of the request (camelCase, as documented).
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }
}

/// `POST /api/v1/transactions/{id}/refunds`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRefund {
    /// Absent: everything still refundable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
