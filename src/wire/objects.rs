//! Response objects, each converted from its proto message here and only
//! here.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{
    CaptureMethod, CheckoutStatus, KeyMode, RefundStatus, TransactionStatus, non_empty, non_empty_owned, time,
};
use crate::proto::v1 as pb;

/// A page of a list, newest first. Pass the last `id` as `startingAfter`
/// for the next page while `hasMore` is true.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct List<T: ToSchema> {
    /// Always `list`.
    #[schema(value_type = String, example = "list")]
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
}

impl<T: ToSchema> List<T> {
    pub fn new(data: Vec<T>, has_more: bool) -> Self {
        Self { object: "list", data, has_more }
    }

    /// Converts each proto item with its one `From`.
    pub fn of<'a, P: 'a>(items: impl IntoIterator<Item = &'a P>, has_more: bool) -> Self
    where
        T: From<&'a P>,
    {
        Self::new(items.into_iter().map(T::from).collect(), has_more)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// ISO 3166-1 alpha-2.
    #[schema(example = "DE")]
    pub country: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
}

impl From<&pb::Address> for Address {
    fn from(a: &pb::Address) -> Self {
        Self {
            country: a.country.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            region: a.region.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub email: Option<String>,
    pub name: Option<String>,
    pub vat_id: Option<String>,
    pub address: Option<Address>,
    /// The language of the invoice and credit notes.
    #[schema(schema_with = super::language_schema, example = "en")]
    pub language: String,
}

impl From<&pb::Customer> for Customer {
    fn from(c: &pb::Customer) -> Self {
        Self {
            email: non_empty(&c.email),
            name: non_empty(&c.name),
            vat_id: non_empty(&c.vat_id),
            address: c.address.as_ref().map(Address::from),
            language: super::language_or_default(&c.language),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub name: String,
    pub quantity: i64,
    /// Gross unit price in minor units.
    pub amount: i64,
}

impl From<&pb::LineItem> for LineItem {
    fn from(i: &pb::LineItem) -> Self {
        Self { name: i.name.clone(), quantity: i.quantity, amount: i.amount }
    }
}

/// A checkout session as the merchant sees it (Admin API, IPN payloads).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checkout {
    #[schema(example = "chk_3f8a0c2e9b7d4a1c8e5f6a7b")]
    pub id: String,
    /// Always `checkout`.
    #[schema(value_type = String, example = "checkout")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub organization_id: String,
    pub site_id: String,
    pub status: CheckoutStatus,
    /// Gross amount in minor units.
    #[schema(example = 11900)]
    pub amount: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    pub description: String,
    pub customer: Option<Customer>,
    pub line_items: Vec<LineItem>,
    pub capture_method: CaptureMethod,
    pub ipn_url: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Where the payer pays.
    pub payment_url: String,
    pub transaction_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// `payment`, `subscription` (sells a plan) or `renewal` (a
    /// subscription's period, charged with the saved method).
    #[schema(example = "payment")]
    pub mode: String,
    pub plan_id: Option<String>,
    /// The customer record the checkout bills; its transaction, invoice and
    /// credit notes carry it too.
    pub customer_id: Option<String>,
    /// A renewal checkout's subscription.
    pub subscription_id: Option<String>,
    /// A subscription checkout's free trial: paying it only saves the
    /// payment method.
    pub trial_days: u32,
}

impl From<&pb::Checkout> for Checkout {
    fn from(c: &pb::Checkout) -> Self {
        Self::from(c.clone())
    }
}

/// Takes the message's strings rather than copying them.
impl From<pb::Checkout> for Checkout {
    fn from(c: pb::Checkout) -> Self {
        Self {
            object: "checkout",
            livemode: c.livemode,
            status: CheckoutStatus::from_pb(c.status),
            amount: c.amount,
            customer: c.customer.as_ref().map(Customer::from),
            line_items: c.line_items.iter().map(LineItem::from).collect(),
            capture_method: CaptureMethod::from_pb(c.capture_method),
            created_at: time(c.created_at.as_ref()),
            expires_at: time(c.expires_at.as_ref()),
            mode: if c.mode.is_empty() { "payment".to_owned() } else { c.mode },
            trial_days: c.trial_days,
            id: c.id,
            organization_id: c.organization_id,
            site_id: c.site_id,
            currency: c.currency,
            description: c.description,
            ipn_url: non_empty_owned(c.ipn_url),
            success_url: non_empty_owned(c.success_url),
            cancel_url: non_empty_owned(c.cancel_url),
            metadata: c.metadata.into_iter().collect(),
            payment_url: c.payment_url,
            transaction_id: non_empty_owned(c.transaction_id),
            plan_id: non_empty_owned(c.plan_id),
            customer_id: non_empty_owned(c.customer_id),
            subscription_id: non_empty_owned(c.subscription_id),
        }
    }
}

/// The tax the payer would pay now, from the merchant's rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxPreview {
    pub country: Option<String>,
    /// Basis points: 1900 is 19 %.
    pub rate_bps: u32,
    pub tax_amount: i64,
    pub net_amount: i64,
    pub reverse_charge: bool,
}

impl From<&pb::TaxPreview> for TaxPreview {
    fn from(t: &pb::TaxPreview) -> Self {
        Self {
            country: non_empty(&t.country),
            rate_bps: t.rate_bps,
            tax_amount: t.tax_amount,
            net_amount: t.net_amount,
            reverse_charge: t.reverse_charge,
        }
    }
}

/// What the checkout page shows: amounts, lines, merchant, status. Never a
/// secret, the merchant's metadata or the customer's details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicCheckout {
    pub id: String,
    /// Always `checkout`.
    #[schema(value_type = String, example = "checkout")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub status: CheckoutStatus,
    pub amount: i64,
    pub currency: String,
    /// Digits after the decimal point for the currency (ISO 4217 exponent).
    pub currency_exponent: u32,
    pub description: String,
    pub line_items: Vec<LineItem>,
    pub merchant_name: String,
    pub capture_method: CaptureMethod,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub tax: Option<TaxPreview>,
    /// Who the checkout is paid through, so the page can offer that
    /// provider's way to pay.
    pub payment_provider: PaymentProvider,
    /// What a `subscription` checkout sells over time; absent for a
    /// one-off payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionOffer>,
}

/// A plan as its checkout offers it: the price per period, the trial, what
/// is charged today and when the next charge comes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionOffer {
    #[schema(example = "Pro")]
    pub plan_name: String,
    /// Charged every period, gross, in minor units.
    #[schema(example = 1190)]
    pub amount: i64,
    /// `day`, `week`, `month` or `year`.
    #[schema(example = "month")]
    pub interval: String,
    /// Periods are this many intervals long.
    #[schema(example = 1)]
    pub interval_count: u32,
    /// Free days before the first charge; 0 when none.
    #[schema(example = 30)]
    pub trial_days: u32,
    /// What paying the checkout charges today: 0 during a trial.
    #[schema(example = 0)]
    pub amount_today: i64,
    /// The charge after today's: the trial's end, or the second period's
    /// start.
    #[schema(format = DateTime)]
    pub next_charge_at: Option<String>,
}

impl From<&pb::SubscriptionOffer> for SubscriptionOffer {
    fn from(o: &pb::SubscriptionOffer) -> Self {
        Self {
            plan_name: o.plan_name.clone(),
            amount: o.amount,
            interval: o.interval.clone(),
            interval_count: o.interval_count.max(1),
            trial_days: o.trial_days,
            amount_today: o.amount_today,
            next_charge_at: time(o.next_charge_at.as_ref()),
        }
    }
}

fn payment_provider_type_schema() -> utoipa::openapi::schema::Object {
    super::requests::string_enum(super::providers::PROVIDER_TYPES)
}

/// The checkout's provider as the payer's browser needs it: its type and,
/// for Stripe, the publishable key (public by Stripe's design). Never a
/// secret key, access token or signing secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProvider {
    #[serde(rename = "type")]
    #[schema(schema_with = payment_provider_type_schema, example = "stripe")]
    pub kind: String,
    #[schema(example = "pk_test_51H…")]
    pub publishable_key: Option<String>,
}

impl From<Option<&pb::PaymentProvider>> for PaymentProvider {
    fn from(p: Option<&pb::PaymentProvider>) -> Self {
        // An older core sends none: it only knew the built-in sandbox.
        let kind = p.map(|p| p.r#type.as_str()).filter(|t| !t.is_empty()).unwrap_or("sandbox");
        Self { kind: kind.to_owned(), publishable_key: p.and_then(|p| non_empty(&p.publishable_key)) }
    }
}

impl From<&pb::PublicCheckout> for PublicCheckout {
    fn from(c: &pb::PublicCheckout) -> Self {
        Self {
            id: c.id.clone(),
            object: "checkout",
            livemode: c.livemode,
            status: CheckoutStatus::from_pb(c.status),
            amount: c.amount,
            currency: c.currency.clone(),
            currency_exponent: c.currency_exponent,
            description: c.description.clone(),
            line_items: c.line_items.iter().map(LineItem::from).collect(),
            merchant_name: c.merchant_name.clone(),
            capture_method: CaptureMethod::from_pb(c.capture_method),
            success_url: non_empty(&c.success_url),
            cancel_url: non_empty(&c.cancel_url),
            expires_at: time(c.expires_at.as_ref()),
            tax: c.tax.as_ref().map(TaxPreview::from),
            payment_provider: PaymentProvider::from(c.payment_provider.as_ref()),
            subscription: c.subscription.as_ref().map(SubscriptionOffer::from),
        }
    }
}

/// The answer to `pay`: the charge runs asynchronously.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStarted {
    pub transaction_id: String,
    pub status: TransactionStatus,
}

impl From<&pb::PayResponse> for PaymentStarted {
    fn from(p: &pb::PayResponse) -> Self {
        Self { transaction_id: p.transaction_id.clone(), status: TransactionStatus::from_pb(p.status) }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutTransactionStatus {
    pub id: String,
    pub status: TransactionStatus,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// What the payer must do before the provider decides (3-D Secure), as
    /// the provider's own object (Stripe's `next_action`); the checkout
    /// page follows it.
    #[schema(value_type = Option<Object>)]
    pub next_action: Option<serde_json::Value>,
}

/// A checkout's status and, once paying started, its transaction's.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutStatusView {
    pub checkout_id: String,
    pub status: CheckoutStatus,
    pub transaction: Option<CheckoutTransactionStatus>,
}

impl From<&pb::CheckoutStatusResponse> for CheckoutStatusView {
    fn from(r: &pb::CheckoutStatusResponse) -> Self {
        Self {
            checkout_id: r.checkout_id.clone(),
            status: CheckoutStatus::from_pb(r.status),
            transaction: (!r.transaction_id.is_empty()).then(|| CheckoutTransactionStatus {
                id: r.transaction_id.clone(),
                status: TransactionStatus::from_pb(r.transaction_status),
                failure_code: non_empty(&r.failure_code),
                failure_message: non_empty(&r.failure_message),
                next_action: json_object(&r.next_action_json),
            }),
        }
    }
}

/// How the payer paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PaymentMethod {
    /// A provider token such as `tok_visa` or a Stripe `pm_…`.
    Card { token: String },
    /// A UPI address.
    Upi { vpa: String },
    /// A GoCardless Direct Debit mandate (`MD…`), in `token`.
    Mandate { token: String },
}

impl From<&pb::PaymentMethod> for PaymentMethod {
    fn from(m: &pb::PaymentMethod) -> Self {
        match m.r#type.as_str() {
            "upi" => Self::Upi { vpa: m.vpa.clone() },
            "mandate" => Self::Mandate { token: m.token.clone() },
            _ => Self::Card { token: m.token.clone() },
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    #[schema(example = "re_5d2c1b0a9f8e7d6c5b4a3f2e")]
    pub id: String,
    /// Always `refund`.
    #[schema(value_type = String, example = "refund")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub transaction_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: RefundStatus,
    pub reason: String,
    pub failure_code: Option<String>,
    /// `gateway`: asked for through Paygate; `provider`: made in the
    /// provider's dashboard and learned from its webhook.
    #[schema(example = "gateway")]
    pub origin: String,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::Refund> for Refund {
    fn from(r: &pb::Refund) -> Self {
        Self {
            id: r.id.clone(),
            object: "refund",
            livemode: r.livemode,
            transaction_id: r.transaction_id.clone(),
            amount: r.amount,
            currency: r.currency.clone(),
            status: RefundStatus::from_pb(r.status),
            reason: r.reason.clone(),
            failure_code: non_empty(&r.failure_code),
            origin: if r.origin.is_empty() { "gateway".into() } else { r.origin.clone() },
            created_at: time(r.created_at.as_ref()),
        }
    }
}

/// A payer's dispute of a charge, as the provider reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dispute {
    /// The provider's dispute id.
    #[schema(example = "dp_1NtAbc")]
    pub id: String,
    pub amount: i64,
    #[schema(example = "fraudulent")]
    pub reason: String,
    /// The provider's word: `needs_response`, `under_review`, `won`, `lost`, …
    #[schema(example = "needs_response")]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<&pb::Dispute> for Dispute {
    fn from(d: &pb::Dispute) -> Self {
        Self {
            id: d.id.clone(),
            amount: d.amount,
            reason: d.reason.clone(),
            status: d.status.clone(),
            created_at: time(d.created_at.as_ref()),
            updated_at: time(d.updated_at.as_ref()),
        }
    }
}

/// A JSON object carried as text through proto; anything else is absent.
fn json_object(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(text).ok().filter(serde_json::Value::is_object)
}

/// One payment attempt of a checkout: `GET /api/v1/transactions/{id}` and
/// `data.transaction` of every IPN.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[schema(example = "txn_9a8b7c6d5e4f3a2b1c0d9e8f")]
    pub id: String,
    /// Always `transaction`.
    #[schema(value_type = String, example = "transaction")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub organization_id: String,
    pub site_id: String,
    pub checkout_id: String,
    /// The checkout's customer record.
    pub customer_id: Option<String>,
    pub status: TransactionStatus,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub capture_method: CaptureMethod,
    pub payment_method: Option<PaymentMethod>,
    pub provider: String,
    /// The provider account that charged; `null`: the built-in sandbox.
    pub provider_id: Option<String>,
    pub provider_reference: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// While the payer must act first (3-D Secure): the provider's
    /// instruction.
    #[schema(value_type = Option<Object>)]
    pub next_action: Option<serde_json::Value>,
    /// Disputes of this charge, as the provider reports them.
    pub disputes: Vec<Dispute>,
    pub invoice_id: Option<String>,
    pub tax_amount: i64,
    pub net_amount: i64,
    /// Basis points: 1900 is 19 %.
    pub tax_rate_bps: u32,
    pub tax_country: Option<String>,
    pub reverse_charge: bool,
    pub refunds: Vec<Refund>,
    /// A capture or cancel the provider has not answered yet (`capture` or
    /// `cancel`); Paygate finishes it in the background.
    pub pending_action: Option<String>,
    /// The provider's latest refusal of a capture or cancel, if any.
    pub last_action_failure: Option<ActionFailure>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

/// A capture or cancel the provider refused: the transaction keeps its
/// state and the action may be tried again.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionFailure {
    /// `capture` or `cancel`.
    #[schema(example = "capture")]
    pub action: String,
    #[schema(example = "card_declined")]
    pub code: String,
    pub message: String,
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

impl From<&pb::ActionFailure> for ActionFailure {
    fn from(f: &pb::ActionFailure) -> Self {
        Self { action: f.action.clone(), code: f.code.clone(), message: f.message.clone(), at: time(f.at.as_ref()) }
    }
}

impl From<&pb::Transaction> for Transaction {
    fn from(t: &pb::Transaction) -> Self {
        Self {
            id: t.id.clone(),
            object: "transaction",
            livemode: t.livemode,
            organization_id: t.organization_id.clone(),
            site_id: t.site_id.clone(),
            checkout_id: t.checkout_id.clone(),
            customer_id: non_empty(&t.customer_id),
            status: TransactionStatus::from_pb(t.status),
            amount: t.amount,
            amount_captured: t.amount_captured,
            amount_refunded: t.amount_refunded,
            currency: t.currency.clone(),
            capture_method: CaptureMethod::from_pb(t.capture_method),
            payment_method: t.payment_method.as_ref().map(PaymentMethod::from),
            provider: t.provider.clone(),
            provider_id: non_empty(&t.provider_id),
            provider_reference: non_empty(&t.provider_reference),
            failure_code: non_empty(&t.failure_code),
            failure_message: non_empty(&t.failure_message),
            next_action: json_object(&t.next_action_json),
            disputes: t.disputes.iter().map(Dispute::from).collect(),
            invoice_id: non_empty(&t.invoice_id),
            tax_amount: t.tax_amount,
            net_amount: t.net_amount,
            tax_rate_bps: t.tax_rate_bps,
            tax_country: non_empty(&t.tax_country),
            reverse_charge: t.reverse_charge,
            refunds: t.refunds.iter().map(Refund::from).collect(),
            pending_action: non_empty(&t.pending_action),
            last_action_failure: t.last_action_failure.as_ref().map(ActionFailure::from),
            created_at: time(t.created_at.as_ref()),
            updated_at: time(t.updated_at.as_ref()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    #[schema(example = "site_0c1d2e3f4a5b6c7d8e9f0a1b")]
    pub id: String,
    /// Always `site`.
    #[schema(value_type = String, example = "site")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub organization_id: String,
    pub name: String,
    /// The verified custom domain `paymentUrl` uses (the first one
    /// verified); `null` while the site has none.
    #[schema(example = "pay.shop.example")]
    pub checkout_domain: Option<String>,
    /// Every custom checkout domain of the site, pending or verified,
    /// oldest first.
    pub domains: Vec<CheckoutDomain>,
    /// Browser origins allowed to call the checkout runtime API for this
    /// site's checkouts (CORS); empty: only the gateway's own pages.
    #[schema(example = json!(["https://shop.example"]))]
    pub allowed_origins: Vec<String>,
    /// The provider account charges go through; `null`: the built-in
    /// sandbox.
    #[schema(example = "prov_3c4d5e6f7a8b9c0d1e2f3a4b")]
    pub provider_id: Option<String>,
    /// The default IPN URL of the site's checkouts that name none.
    #[schema(example = "https://shop.example/ipn")]
    pub ipn_url: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::Site> for Site {
    fn from(s: &pb::Site) -> Self {
        Self {
            id: s.id.clone(),
            object: "site",
            livemode: s.livemode,
            organization_id: s.organization_id.clone(),
            name: s.name.clone(),
            checkout_domain: non_empty(&s.checkout_domain),
            domains: s.domains.iter().map(CheckoutDomain::from).collect(),
            allowed_origins: s.allowed_origins.clone(),
            provider_id: non_empty(&s.provider_id),
            ipn_url: non_empty(&s.ipn_url),
            created_at: time(s.created_at.as_ref()),
        }
    }
}

/// A custom checkout domain. It is `pending` until the TXT record in
/// `verification` is published and `POST …/verify` finds it; only a
/// `verified` domain gets a certificate and appears in `paymentUrl`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutDomain {
    #[schema(example = "pay.shop.example")]
    pub domain: String,
    /// Always `checkout_domain`.
    #[schema(value_type = String, example = "checkout_domain")]
    pub object: &'static str,
    /// Its site's mode.
    pub livemode: bool,
    #[schema(example = "site_0c1d2e3f4a5b6c7d8e9f0a1b")]
    pub site_id: String,
    /// `pending` or `verified`.
    #[schema(example = "pending")]
    pub status: String,
    pub verification: DomainChallenge,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    /// When ownership was proven; `null` while pending.
    #[schema(format = DateTime)]
    pub verified_at: Option<String>,
}

/// The DNS record that proves control of a custom checkout domain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainChallenge {
    /// Always `TXT`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "TXT")]
    pub record_type: &'static str,
    #[schema(example = "_paygate-challenge.pay.shop.example")]
    pub name: String,
    #[schema(example = "pgv_3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6")]
    pub value: String,
}

impl From<&pb::CheckoutDomain> for CheckoutDomain {
    fn from(d: &pb::CheckoutDomain) -> Self {
        Self {
            domain: d.domain.clone(),
            object: "checkout_domain",
            livemode: d.livemode,
            site_id: d.site_id.clone(),
            status: d.status.clone(),
            verification: DomainChallenge {
                record_type: "TXT",
                name: d.verification_name.clone(),
                value: d.verification_value.clone(),
            },
            created_at: time(d.created_at.as_ref()),
            verified_at: time(d.verified_at.as_ref()),
        }
    }
}

/// The domain as it was, marked deleted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletedCheckoutDomain {
    #[serde(flatten)]
    pub domain: CheckoutDomain,
    /// Always `true`.
    pub deleted: bool,
}

impl From<&pb::CheckoutDomain> for DeletedCheckoutDomain {
    fn from(d: &pb::CheckoutDomain) -> Self {
        Self { domain: CheckoutDomain::from(d), deleted: true }
    }
}

/// A site plus its webhook signing secret: only on creation and rotation.
/// A replayed creation has no secret to show (`null`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteWithSecret {
    #[serde(flatten)]
    pub site: Site,
    #[schema(example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]
    pub webhook_secret: Option<String>,
}

impl From<&pb::CreateSiteResponse> for SiteWithSecret {
    fn from(r: &pb::CreateSiteResponse) -> Self {
        Self { site: Site::from(&r.site.clone().unwrap_or_default()), webhook_secret: non_empty(&r.webhook_secret) }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    #[schema(example = "key_7e6d5c4b3a2f1e0d9c8b7a6f")]
    pub id: String,
    /// Always `api_key`.
    #[schema(value_type = String, example = "api_key")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub organization_id: String,
    pub name: String,
    pub mode: KeyMode,
    pub scopes: Vec<String>,
    /// Recognisable but useless: the prefix and the last four characters.
    #[schema(example = "sk_test_…9f3a")]
    pub redacted: String,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<&pb::ApiKey> for ApiKey {
    fn from(k: &pb::ApiKey) -> Self {
        Self {
            id: k.id.clone(),
            object: "api_key",
            livemode: k.livemode,
            organization_id: k.organization_id.clone(),
            name: k.name.clone(),
            mode: KeyMode::from_pb(k.mode),
            scopes: k.scopes.clone(),
            redacted: k.redacted.clone(),
            created_at: time(k.created_at.as_ref()),
            revoked_at: time(k.revoked_at.as_ref()),
        }
    }
}

/// A new key with its secret, shown once. A replayed creation has no
/// secret to show (`null`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyWithSecret {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: Option<String>,
}

impl From<&pb::CreateApiKeyResponse> for ApiKeyWithSecret {
    fn from(r: &pb::CreateApiKeyResponse) -> Self {
        Self { key: ApiKey::from(&r.key.clone().unwrap_or_default()), secret: non_empty(&r.secret) }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[schema(example = "org_1a2b3c4d5e6f7a8b9c0d1e2f")]
    pub id: String,
    /// Always `organization`.
    #[schema(value_type = String, example = "organization")]
    pub object: &'static str,
    pub name: String,
    pub legal_name: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    pub seller_country: Option<String>,
    #[schema(example = "INV")]
    pub invoice_prefix: String,
    #[schema(example = "CN")]
    pub credit_note_prefix: String,
    /// Days after a failed renewal on which it is retried, then the
    /// subscription becomes `unpaid`.
    #[schema(example = json!([1, 3, 5, 7]))]
    pub dunning_retry_days: Vec<u32>,
    /// Contact details printed with the seller on invoices.
    #[schema(example = "billing@shop.example")]
    pub email: Option<String>,
    #[schema(example = "+49 30 1234567")]
    pub phone: Option<String>,
    #[schema(example = "shop.example")]
    pub website: Option<String>,
    /// The company's register entry, printed on invoices.
    #[schema(example = "HRB 123456")]
    pub registration_number: Option<String>,
    #[schema(example = "Amtsgericht Berlin-Charlottenburg")]
    pub register_court: Option<String>,
    /// Every user must sign in with a second factor.
    pub require_two_factor: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::Organization> for Organization {
    fn from(o: &pb::Organization) -> Self {
        let or_default = |value: &str, default: &str| if value.is_empty() { default } else { value }.to_owned();
        Self {
            id: o.id.clone(),
            object: "organization",
            name: o.name.clone(),
            legal_name: non_empty(&o.legal_name),
            address: o.address.as_ref().map(Address::from),
            vat_id: non_empty(&o.vat_id),
            seller_country: non_empty(&o.seller_country),
            invoice_prefix: or_default(&o.invoice_prefix, "INV"),
            credit_note_prefix: or_default(&o.credit_note_prefix, "CN"),
            dunning_retry_days: o.dunning_retry_days.clone(),
            email: non_empty(&o.email),
            phone: non_empty(&o.phone),
            website: non_empty(&o.website),
            registration_number: non_empty(&o.registration_number),
            register_court: non_empty(&o.register_court),
            require_two_factor: o.require_two_factor,
            created_at: time(o.created_at.as_ref()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxRule {
    #[schema(example = "txr_2b3c4d5e6f7a8b9c0d1e2f3a")]
    pub id: String,
    /// Always `tax_rule`.
    #[schema(value_type = String, example = "tax_rule")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    /// `null`: the rule applies to every site of the organization.
    pub site_id: Option<String>,
    #[schema(example = "DE")]
    pub country: String,
    pub region: Option<String>,
    /// Basis points: 1900 is 19 %.
    #[schema(example = 1900)]
    pub rate_bps: u32,
    pub name: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date, example = "2026-01-01")]
    pub valid_from: String,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::TaxRule> for TaxRule {
    fn from(r: &pb::TaxRule) -> Self {
        Self {
            id: r.id.clone(),
            object: "tax_rule",
            livemode: r.livemode,
            site_id: non_empty(&r.site_id),
            country: r.country.clone(),
            region: non_empty(&r.region),
            rate_bps: r.rate_bps,
            name: r.name.clone(),
            valid_from: r.valid_from.clone(),
            created_at: time(r.created_at.as_ref()),
        }
    }
}

/// The rule as it was, marked deleted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletedTaxRule {
    #[serde(flatten)]
    pub rule: TaxRule,
    /// Always `true`.
    pub deleted: bool,
}

impl From<&pb::TaxRule> for DeletedTaxRule {
    fn from(r: &pb::TaxRule) -> Self {
        Self { rule: TaxRule::from(r), deleted: true }
    }
}

/// Gross = net + tax, in minor units.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmountSplit {
    pub gross: i64,
    pub net: i64,
    pub tax: i64,
}

impl From<Option<&pb::AmountSplit>> for AmountSplit {
    fn from(s: Option<&pb::AmountSplit>) -> Self {
        let s = s.cloned().unwrap_or_default();
        Self { gross: s.gross, net: s.net, tax: s.tax }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentParty {
    pub name: String,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    pub country: Option<String>,
}

impl From<&pb::DocumentParty> for DocumentParty {
    fn from(p: &pb::DocumentParty) -> Self {
        Self {
            name: p.name.clone(),
            email: non_empty(&p.email),
            address: p.address.as_ref().map(Address::from),
            vat_id: non_empty(&p.vat_id),
            country: non_empty(&p.country),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentLine {
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub tax_rate_bps: u32,
    pub amounts: AmountSplit,
}

impl From<&pb::DocumentLine> for DocumentLine {
    fn from(l: &pb::DocumentLine) -> Self {
        Self {
            description: l.description.clone(),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            tax_rate_bps: l.rate_bps,
            amounts: AmountSplit::from(l.amounts.as_ref()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RateTotal {
    pub tax_rate_bps: u32,
    pub amounts: AmountSplit,
}

impl From<&pb::RateTotal> for RateTotal {
    fn from(r: &pb::RateTotal) -> Self {
        Self { tax_rate_bps: r.rate_bps, amounts: AmountSplit::from(r.amounts.as_ref()) }
    }
}

/// An invoice (one per succeeded transaction) or a credit note (one per
/// refund).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxDocument {
    #[schema(example = "inv_4d5e6f7a8b9c0d1e2f3a4b5c")]
    pub id: String,
    /// `invoice` or `credit_note`.
    #[schema(example = "invoice")]
    pub object: String,
    /// `true` for a live document, `false` for a test one (its
    /// transaction's mode). Each mode has its own gap-free sequence; test
    /// numbers start with `TEST-`.
    pub livemode: bool,
    #[schema(example = "INV-2026-000001")]
    pub number: String,
    pub sequence: i64,
    pub site_id: String,
    pub transaction_id: String,
    pub checkout_id: String,
    /// The customer record of the checkout, when it named one.
    pub customer_id: Option<String>,
    #[schema(format = DateTime)]
    pub issued_at: Option<String>,
    pub currency: String,
    /// Decimals of the currency's minor unit: amounts are in minor units
    /// (EUR 2, JPY 0, KWD 3).
    #[schema(example = 2)]
    pub currency_exponent: u32,
    pub seller: Option<DocumentParty>,
    pub buyer: Option<DocumentParty>,
    pub lines: Vec<DocumentLine>,
    pub tax_breakdown: Vec<RateTotal>,
    pub totals: AmountSplit,
    pub reverse_charge: bool,
    pub notes: Vec<String>,
    /// Credit notes: the invoice they correct.
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    /// Credit notes: the refund they document.
    pub refund_id: Option<String>,
    /// The language the PDF is printed in: its customer's.
    #[schema(schema_with = super::language_schema, example = "en")]
    pub language: String,
    /// When the service was supplied: the payment (credit notes: the
    /// refund). `null` on documents issued before it was recorded.
    #[schema(format = DateTime)]
    pub supplied_at: Option<String>,
    /// How the invoice was paid (the credit note refunded): `card`,
    /// `sepa_debit`, `direct_debit` or `upi`.
    #[schema(example = "card")]
    pub payment_method: Option<String>,
    /// When the payment (credit notes: the refund) was made.
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
}

impl From<&pb::TaxDocument> for TaxDocument {
    fn from(d: &pb::TaxDocument) -> Self {
        Self {
            id: d.id.clone(),
            object: d.kind.clone(),
            livemode: d.livemode,
            number: d.number.clone(),
            sequence: d.sequence,
            site_id: d.site_id.clone(),
            transaction_id: d.transaction_id.clone(),
            checkout_id: d.checkout_id.clone(),
            customer_id: non_empty(&d.customer_id),
            issued_at: time(d.issued_at.as_ref()),
            currency: d.currency.clone(),
            currency_exponent: d.currency_exponent,
            seller: d.seller.as_ref().map(DocumentParty::from),
            buyer: d.buyer.as_ref().map(DocumentParty::from),
            lines: d.lines.iter().map(DocumentLine::from).collect(),
            tax_breakdown: d.by_rate.iter().map(RateTotal::from).collect(),
            totals: AmountSplit::from(d.total.as_ref()),
            reverse_charge: d.reverse_charge,
            notes: d.notes.clone(),
            invoice_id: non_empty(&d.invoice_id),
            invoice_number: non_empty(&d.invoice_number),
            refund_id: non_empty(&d.refund_id),
            language: super::language_or_default(&d.language),
            supplied_at: time(d.supplied_at.as_ref()),
            payment_method: non_empty(&d.payment_method),
            paid_at: time(d.paid_at.as_ref()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpnAttempt {
    #[schema(format = DateTime)]
    pub at: Option<String>,
    /// `null` when no HTTP answer arrived.
    pub status_code: Option<u32>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub response_excerpt: String,
}

impl From<&pb::IpnAttempt> for IpnAttempt {
    fn from(a: &pb::IpnAttempt) -> Self {
        Self {
            at: time(a.at.as_ref()),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: non_empty(&a.error),
            response_excerpt: a.response_excerpt.clone(),
        }
    }
}

/// One IPN event and its delivery attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpnDelivery {
    /// The event id (`evt_…`), stable across retries.
    #[schema(example = "evt_6f7a8b9c0d1e2f3a4b5c6d7e")]
    pub id: String,
    /// Always `ipn_delivery`.
    #[schema(value_type = String, example = "ipn_delivery")]
    pub object: &'static str,
    /// `true` for a live object, `false` for a test one: the mode of the
    /// API key that created it (or of its parent).
    pub livemode: bool,
    pub site_id: String,
    pub checkout_id: String,
    pub transaction_id: Option<String>,
    #[schema(example = "transaction.succeeded")]
    pub event_type: String,
    pub url: String,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub status: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    pub attempts: Vec<IpnAttempt>,
}

impl From<&pb::IpnDelivery> for IpnDelivery {
    fn from(d: &pb::IpnDelivery) -> Self {
        Self {
            id: d.id.clone(),
            object: "ipn_delivery",
            livemode: d.livemode,
            site_id: d.site_id.clone(),
            checkout_id: d.checkout_id.clone(),
            transaction_id: non_empty(&d.transaction_id),
            event_type: d.event_type.clone(),
            url: d.url.clone(),
            status: d.status.clone(),
            next_attempt_at: time(d.next_attempt_at.as_ref()),
            created_at: time(d.created_at.as_ref()),
            attempts: d.attempts.iter().map(IpnAttempt::from).collect(),
        }
    }
}

/// The objects an IPN event carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpnEventData {
    /// Absent on checkout events (`checkout.expired`) and on subscription
    /// events that concern no payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<Transaction>,
    /// The checkout concerned; absent on subscription events that concern
    /// no payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<Checkout>,
    /// On `subscription.*` and `invoice.*` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<super::Subscription>,
    /// On `invoice.created`: the invoice's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
}

impl IpnEventData {
    /// A checkout event's data: the checkout alone.
    pub fn of_checkout(checkout: Checkout) -> Self {
        Self { transaction: None, checkout: Some(checkout), subscription: None, invoice_id: None }
    }
}

/// The body POSTed to a checkout's `ipnUrl`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpnEvent {
    /// Stable across retries: merchants de-duplicate on it.
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "transaction.succeeded")]
    pub event_type: String,
    /// The mode of the objects the event is about.
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    pub data: IpnEventData,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    #[schema(example = "payment.initiated")]
    pub queue: String,
    pub depth: u64,
    pub in_flight: u64,
    pub retried: u64,
    pub dead: u64,
}

impl From<&pb::QueueStatus> for QueueStatus {
    fn from(q: &pb::QueueStatus) -> Self {
        Self { queue: q.queue.clone(), depth: q.depth, in_flight: q.in_flight, retried: q.retried, dead: q.dead }
    }
}

/// A host name Caddy may get a certificate for: the gateway's own, or a
/// site's custom checkout domain whose ownership was proven.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainVerification {
    #[schema(example = "pay.shop.example")]
    pub domain: String,
    /// Always `true` (an unowned domain answers 404).
    pub owned: bool,
}

/// Offline format and check digits, then EU VIES.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VatValidation {
    pub valid: bool,
    /// `valid`, `invalid` or `unverified` (VIES could not answer).
    #[schema(example = "valid")]
    pub status: String,
    #[schema(example = "DE")]
    pub country_code: String,
    pub vat_number: String,
    pub name: Option<String>,
    pub address: Option<String>,
    #[schema(format = DateTime)]
    pub checked_at: Option<String>,
    /// `format` or `vies`.
    #[schema(example = "vies")]
    pub source: String,
    pub reason: Option<String>,
}

impl From<&pb::VatValidation> for VatValidation {
    fn from(v: &pb::VatValidation) -> Self {
        Self {
            valid: v.valid,
            status: v.status.clone(),
            country_code: v.country_code.clone(),
            vat_number: v.vat_number.clone(),
            name: non_empty(&v.name),
            address: non_empty(&v.address),
            checked_at: time(v.checked_at.as_ref()),
            source: v.source.clone(),
            reason: non_empty(&v.reason),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EuMember {
    #[schema(example = "DE")]
    pub country_code: String,
    pub eu_member: bool,
    /// The VAT prefix (`EL` for Greece); `null` outside the EU.
    pub vat_prefix: Option<String>,
}

impl From<&pb::EuMemberResponse> for EuMember {
    fn from(m: &pb::EuMemberResponse) -> Self {
        Self { country_code: m.country_code.clone(), eu_member: m.eu_member, vat_prefix: non_empty(&m.vat_prefix) }
    }
}
