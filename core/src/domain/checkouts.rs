//! Checkout sessions: what a merchant asks a customer to pay.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Core, Entity, Owned, auth::Principal, idempotency::Idempotent, validate};
use crate::{
    error::{CoreError, CoreResult},
    ids::is_id,
    money::Currency,
    store::{Page, StoreError},
};

pub const DEFAULT_EXPIRY_SECONDS: i64 = 3600;
pub const MIN_EXPIRY_SECONDS: i64 = 60;
pub const MAX_EXPIRY_SECONDS: i64 = 7 * 24 * 3600;
/// Larger than any real single payment, small enough that sums of line
/// items cannot overflow `i64`.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
pub const MAX_LINE_ITEMS: usize = 100;
pub const MAX_QUANTITY: i64 = 1_000_000;
pub const MAX_METADATA_KEYS: usize = 50;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    #[default]
    Automatic,
    Manual,
}

/// What a checkout sells.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutMode {
    /// A one-off payment.
    #[default]
    Payment,
    /// A subscription to a plan: paying it saves the payment method.
    Subscription,
    /// A subscription's period, charged by Paygate with the saved method
    /// (never paid through the checkout page).
    Renewal,
}

impl CheckoutMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Subscription => "subscription",
            Self::Renewal => "renewal",
        }
    }

    /// What a merchant may ask for (`renewal` checkouts are Paygate's own).
    pub fn parse_requested(value: &str) -> Option<Self> {
        match value {
            "" | "payment" => Some(Self::Payment),
            "subscription" => Some(Self::Subscription),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    Open,
    Processing,
    Completed,
    Expired,
    Canceled,
}

impl CheckoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub country: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub vat_id: String,
    #[serde(default)]
    pub address: Option<Address>,
    /// The language of the customer's invoices and credit notes.
    #[serde(default)]
    pub language: super::locale::Language,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub name: String,
    pub quantity: i64,
    /// Gross unit price in minor units.
    pub amount: i64,
}

/// A line item as the merchant sent it: what is absent stays absent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewLineItem {
    pub name: String,
    /// Absent means 1.
    pub quantity: Option<i64>,
    pub amount: Option<i64>,
}

/// A merchant's request, as parsed from the wire and before validation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewCheckout {
    pub amount: Option<i64>,
    pub currency: String,
    pub description: String,
    pub customer: Option<Customer>,
    pub line_items: Vec<NewLineItem>,
    pub capture_method: CaptureMethod,
    pub ipn_url: String,
    pub success_url: String,
    pub cancel_url: String,
    pub metadata: BTreeMap<String, String>,
    pub expires_in_seconds: Option<i64>,
    /// `payment` (default) or `subscription`.
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub plan_id: String,
    #[serde(default)]
    pub customer_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Checkout {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Its site's mode.
    #[serde(default)]
    pub livemode: bool,
    pub site_id: String,
    pub status: CheckoutStatus,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub customer: Option<Customer>,
    pub line_items: Vec<LineItem>,
    pub capture_method: CaptureMethod,
    pub ipn_url: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: i64,
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Events of a status change still to be recorded (checkout expiry).
    #[serde(default)]
    pub follow_up: bool,
    /// The customer's VAT ID as checked when the checkout was created.
    #[serde(default)]
    pub vat_validation: Option<crate::vat::VatValidation>,
    /// Payment attempts that failed; at [`MAX_FAILED_ATTEMPTS`] the
    /// checkout closes, so one checkout cannot be used to test cards.
    #[serde(default)]
    pub failed_attempts: u32,
    /// The failed transaction counted last, so a repeated follow-up never
    /// counts one failure twice.
    #[serde(default)]
    pub counted_failure: Option<String>,
    #[serde(default)]
    pub mode: CheckoutMode,
    /// The plan a `subscription` checkout sells.
    #[serde(default)]
    pub plan_id: Option<String>,
    /// The customer object it bills, if the merchant named one.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// A `renewal` checkout's subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// A `subscription` checkout's free days before the first charge:
    /// paying it then only saves the payment method.
    #[serde(default)]
    pub trial_days: u32,
}

/// Failed payment attempts a checkout allows before it is canceled.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;

impl Entity for Checkout {
    const COLLECTION: &'static str = "checkouts";
    const NAME: &'static str = "checkout";
    const LOGS_STATE: bool = true;

    fn state_changes(before: Option<&Self>, after: &Self) -> Vec<super::state_log::StateChange> {
        let from = before.map_or(super::state_log::NONE, |b| b.status.as_str());
        if before.is_some_and(|b| b.status == after.status) {
            return Vec::new();
        }
        let mut change = super::state_log::StateChange::new(
            "checkout",
            &after.id,
            &after.organization_id,
            after.livemode,
            from,
            after.status.as_str(),
        );
        change.amount = Some(after.amount);
        change.currency = Some(after.currency.clone());
        change.parent_id = after.transaction_id.clone();
        vec![change]
    }

    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    /// An open checkout is due when it expires; a pending follow-up (its
    /// IPN not yet recorded) is due at once.
    fn due_at(&self) -> Option<i64> {
        let expiry = (self.status == CheckoutStatus::Open).then_some(self.expires_at);
        let follow_up = self.follow_up.then_some(self.created_at);
        match (expiry, follow_up) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Owned for Checkout {
    const ID_PREFIX: &'static str = "chk";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

impl Checkout {
    /// An open checkout past its expiry is expired, whether or not the
    /// scheduler has written that down yet.
    pub fn effective_status(&self, now: i64) -> CheckoutStatus {
        if self.status == CheckoutStatus::Open && now >= self.expires_at {
            CheckoutStatus::Expired
        } else {
            self.status
        }
    }
}

/// A plan as its checkout offers it to the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionOffer {
    pub plan: super::plans::Plan,
    /// Free days before the first charge; nothing is charged today then.
    pub trial_days: u32,
    /// The charge after today's: the trial's end, or the second period's
    /// start.
    pub next_charge_at: Option<i64>,
}

impl SubscriptionOffer {
    /// What paying the checkout charges today.
    pub fn amount_today(&self) -> i64 {
        if self.trial_days > 0 { 0 } else { self.plan.amount }
    }
}

/// What a checkout sells beyond its amount: a plan, a named customer.
struct Sale {
    plan: Option<super::plans::Plan>,
    customer: Option<super::customers::Customer>,
}

fn plan_unexpected() -> CoreError {
    CoreError::field("planId", "plan_unexpected", "planId needs \"mode\": \"subscription\"")
}

/// The checkout a create stores, but for what [`Core::insert_checkout`]
/// fills in when it runs: its id, its times and the VAT check.
fn draft_checkout(site: &super::sites::Site, mode: CheckoutMode, valid: ValidCheckout, sold: Sale) -> Checkout {
    Checkout {
        id: String::new(),
        version: 0,
        created_at: 0,
        organization_id: site.organization_id.clone(),
        livemode: site.livemode,
        site_id: site.id.clone(),
        status: CheckoutStatus::Open,
        amount: valid.amount,
        currency: valid.currency.code().to_owned(),
        description: valid.description,
        customer: valid.customer,
        line_items: valid.line_items,
        capture_method: valid.capture_method,
        ipn_url: valid.ipn_url,
        success_url: valid.success_url,
        cancel_url: valid.cancel_url,
        metadata: valid.metadata,
        expires_at: 0,
        transaction_id: None,
        follow_up: false,
        vat_validation: None,
        failed_attempts: 0,
        counted_failure: None,
        mode,
        trial_days: sold.plan.as_ref().map_or(0, |plan| plan.trial_days),
        plan_id: sold.plan.map(|plan| plan.id),
        customer_id: sold.customer.map(|customer| customer.id),
        subscription_id: None,
    }
}

/// A subscription checkout's request with the plan's price filled in: the
/// plan decides amount and currency (a request may repeat them, never
/// contradict them), and its one line is the plan.
fn priced_by_plan(mut request: NewCheckout, plan: &super::plans::Plan) -> CoreResult<NewCheckout> {
    if request.amount.is_some_and(|amount| amount != plan.amount) {
        return Err(CoreError::field("amount", "amount_invalid", "a subscription checkout charges its plan's amount"));
    }
    if !request.currency.trim().is_empty() && !request.currency.trim().eq_ignore_ascii_case(&plan.currency) {
        return Err(CoreError::field(
            "currency",
            "currency_invalid",
            "a subscription checkout charges its plan's currency",
        ));
    }
    if !request.line_items.is_empty() {
        return Err(CoreError::field(
            "lineItems",
            "line_items_invalid",
            "a subscription checkout's one line is its plan",
        ));
    }
    request.amount = Some(plan.amount);
    request.currency = plan.currency.clone();
    request.line_items = vec![NewLineItem { name: plan.name.clone(), quantity: Some(1), amount: Some(plan.amount) }];
    if request.description.trim().is_empty() {
        request.description = plan.name.clone();
    }
    Ok(request)
}

/// The checked, normalised form of a [`NewCheckout`].
struct ValidCheckout {
    amount: i64,
    currency: Currency,
    description: String,
    customer: Option<Customer>,
    line_items: Vec<LineItem>,
    capture_method: CaptureMethod,
    ipn_url: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    metadata: BTreeMap<String, String>,
    expires_in_seconds: i64,
}

/// A customer's details, each field's `param` under `prefix` (`customer.`
/// inside a checkout, nothing for a customer object).
pub(crate) fn validate_customer(prefix: &str, customer: &Customer) -> CoreResult<Customer> {
    let param = |field: &str| format!("{prefix}{field}");
    let email = if customer.email.trim().is_empty() {
        String::new()
    } else {
        validate::email(&param("email"), &customer.email)?
    };
    let name = validate::text(&param("name"), customer.name.trim(), validate::MAX_NAME_CHARS)?.to_owned();
    let vat_id = validate::text(&param("vatId"), customer.vat_id.trim(), 20)?.to_owned();
    let address = match &customer.address {
        None => None,
        Some(address) => Some(Address {
            country: validate::country(&param("address.country"), &address.country)?,
            line1: validate::text(&param("address.line1"), address.line1.trim(), 200)?.to_owned(),
            line2: validate::text(&param("address.line2"), address.line2.trim(), 200)?.to_owned(),
            city: validate::text(&param("address.city"), address.city.trim(), 100)?.to_owned(),
            postal_code: validate::text(&param("address.postalCode"), address.postal_code.trim(), 20)?.to_owned(),
            region: validate::text(&param("address.region"), address.region.trim(), 100)?.to_owned(),
        }),
    };
    Ok(Customer { email, name, vat_id, address, language: customer.language })
}

/// The inline details over a customer record's: each field the request
/// leaves empty comes from the record; the language is the record's unless
/// the request names another than the default.
fn details_over_record(inline: Option<&Customer>, record: &super::customers::Customer) -> Customer {
    let inline = inline.cloned().unwrap_or_default();
    let or_record = |value: String, stored: &str| if value.trim().is_empty() { stored.to_owned() } else { value };
    Customer {
        email: or_record(inline.email, &record.email),
        name: or_record(inline.name, &record.name),
        vat_id: or_record(inline.vat_id, &record.vat_id),
        address: inline.address.or_else(|| record.address.clone()),
        language: if inline.language == Default::default() { record.language } else { inline.language },
    }
}

/// At most 50 keys of 1–40 characters, values up to 500 characters.
pub(crate) fn validate_metadata(metadata: &BTreeMap<String, String>) -> CoreResult<()> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(CoreError::field(
            "metadata",
            "metadata_invalid",
            format!("at most {MAX_METADATA_KEYS} metadata keys"),
        ));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > 40 {
            return Err(CoreError::field("metadata", "metadata_invalid", "metadata keys must be 1 to 40 characters"));
        }
        validate::text(&format!("metadata.{key}"), value, 500)?;
    }
    Ok(())
}

fn optional_url(param: &str, value: &str, allow_http: bool) -> CoreResult<Option<String>> {
    if value.is_empty() {
        return Ok(None);
    }
    validate::web_url(param, value, allow_http).map(|url| Some(url.to_string()))
}

fn validate_new(request: &NewCheckout, allow_private_ipn: bool) -> CoreResult<ValidCheckout> {
    let amount = request.amount.filter(|amount| (1..=MAX_AMOUNT).contains(amount)).ok_or_else(|| {
        CoreError::field(
            "amount",
            "amount_invalid",
            format!("amount must be a positive integer in minor units, at most {MAX_AMOUNT}"),
        )
    })?;
    let currency = Currency::parse(&request.currency).ok_or_else(|| {
        CoreError::field("currency", "currency_invalid", "currency must be an ISO 4217 currency code")
    })?;
    let description = validate::text("description", request.description.trim(), 1000)?.to_owned();
    if request.line_items.len() > MAX_LINE_ITEMS {
        return Err(CoreError::field(
            "lineItems",
            "line_items_invalid",
            format!("at most {MAX_LINE_ITEMS} line items"),
        ));
    }
    let mut line_items = Vec::with_capacity(request.line_items.len());
    let mut total: i64 = 0;
    for (index, item) in request.line_items.iter().enumerate() {
        let name = validate::name(&format!("lineItems[{index}].name"), &item.name)?;
        let quantity = item.quantity.unwrap_or(1);
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(CoreError::field(
                &format!("lineItems[{index}].quantity"),
                "quantity_invalid",
                format!("quantity must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let unit_amount = item.amount.filter(|amount| (0..=MAX_AMOUNT).contains(amount)).ok_or_else(|| {
            CoreError::field(
                &format!("lineItems[{index}].amount"),
                "amount_invalid",
                "line item amount must be a non-negative integer in minor units",
            )
        })?;
        total = unit_amount
            .checked_mul(quantity)
            .and_then(|line| total.checked_add(line))
            .filter(|sum| *sum <= MAX_AMOUNT)
            .ok_or_else(|| {
                CoreError::field("lineItems", "line_items_mismatch", "line items exceed the maximum amount")
            })?;
        line_items.push(LineItem { name, quantity, amount: unit_amount });
    }
    if !line_items.is_empty() && total != amount {
        return Err(CoreError::field(
            "lineItems",
            "line_items_mismatch",
            format!("line items add up to {total}, but amount is {amount}"),
        ));
    }
    if line_items.is_empty() {
        let name = if description.is_empty() { "Payment".to_owned() } else { description.clone() };
        line_items.push(LineItem { name: name.chars().take(validate::MAX_NAME_CHARS).collect(), quantity: 1, amount });
    }
    let customer = request.customer.as_ref().map(|customer| validate_customer("customer.", customer)).transpose()?;
    let ipn_url = optional_url("ipnUrl", &request.ipn_url, allow_private_ipn)?;
    if let Some(url) = &ipn_url {
        crate::ssrf::check_url_syntax("ipnUrl", url, allow_private_ipn)?;
    }
    let success_url = optional_url("successUrl", &request.success_url, true)?;
    let cancel_url = optional_url("cancelUrl", &request.cancel_url, true)?;
    validate_metadata(&request.metadata)?;
    let expires_in_seconds = match request.expires_in_seconds {
        None => DEFAULT_EXPIRY_SECONDS,
        Some(s) if (MIN_EXPIRY_SECONDS..=MAX_EXPIRY_SECONDS).contains(&s) => s,
        _ => {
            return Err(CoreError::field(
                "expiresInSeconds",
                "expires_in_invalid",
                format!("expiresInSeconds must be between {MIN_EXPIRY_SECONDS} and {MAX_EXPIRY_SECONDS}"),
            ));
        }
    };
    Ok(ValidCheckout {
        amount,
        currency,
        description,
        customer,
        line_items,
        capture_method: request.capture_method,
        ipn_url,
        success_url,
        cancel_url,
        metadata: request.metadata.clone(),
        expires_in_seconds,
    })
}

/// The audit log's action for a created checkout. The entry is written
/// with the checkout itself; a replayed answer is audited by the caller.
pub const CREATE_ACTION: &str = "checkout.create";

impl Core {
    /// The checkout page, on the site's verified custom domain when it has
    /// one.
    pub async fn payment_url(&self, checkout: &Checkout) -> CoreResult<String> {
        self.checkout_url(&checkout.site_id, "/checkout/", &checkout.id).await
    }

    /// Creates a checkout on one of the caller's sites, honouring
    /// `Idempotency-Key`. A site of the other mode is not the caller's: 404.
    pub async fn create_checkout(
        &self,
        principal: &Principal,
        site_id: &str,
        idempotency_key: &str,
        request: NewCheckout,
    ) -> CoreResult<Idempotent<Checkout>> {
        let site = self.owned_shared::<super::sites::Site>(principal, site_id).await?;
        if site.livemode && site.provider_id.is_none() {
            // Live mode never charges through the sandbox.
            return Err(CoreError::InvalidRequest {
                code: "provider_required",
                message: "a live site charges through a live provider: connect one and set the site's providerId"
                    .into(),
            });
        }
        // Only a keyed request is compared with an earlier one.
        let fingerprint = if idempotency_key.is_empty() {
            String::new()
        } else {
            super::idempotency::fingerprint(&(site_id, &request))?
        };
        let mode = CheckoutMode::parse_requested(request.mode.trim())
            .ok_or_else(|| CoreError::field("mode", "mode_invalid", "mode must be \"payment\" or \"subscription\""))?;
        let sold = self.checkout_sale(principal, &site, mode, &request).await?;
        // Everything the operation needs goes into one box, and the request
        // it came from is gone before the operation starts, so that the
        // future of every layer above stays small: each is moved whole at
        // the `.await` that starts it.
        let (draft, expires_in_seconds) = {
            let mut request = match &sold.plan {
                Some(plan) => priced_by_plan(request, plan)?,
                None => request,
            };
            // Each detail the inline customer leaves out comes from the record.
            if let Some(record) = &sold.customer {
                request.customer = Some(details_over_record(request.customer.as_ref(), record));
            }
            let valid = validate_new(&request, self.settings.ipn_allow_private)?;
            let expires_in_seconds = valid.expires_in_seconds;
            (Box::new(draft_checkout(&site, mode, valid, sold)), expires_in_seconds)
        };
        // DNS and VIES run only when the request really runs: a replay
        // answers from the record, as fast and as successful as the first
        // answer even when those services are slow or down by now.
        self.idempotent(principal, "checkout.create", idempotency_key, fingerprint, "chk", |id| {
            self.insert_checkout(principal, id, draft, expires_in_seconds)
        })
        .await
    }

    /// Stores a checkout built by [`draft_checkout`] under `id`, after the
    /// slow checks of what it names: the IPN URL's host and the customer's
    /// VAT id. A checkout already stored under `id` (a resumed request whose
    /// first attempt got this far) is returned as it is.
    async fn insert_checkout(
        &self,
        principal: &Principal,
        id: String,
        mut checkout: Box<Checkout>,
        expires_in_seconds: i64,
    ) -> CoreResult<Checkout> {
        // The rarely taken awaits are boxed: their futures would otherwise
        // enlarge this one for every create.
        if let Some(url) = &checkout.ipn_url {
            Box::pin(crate::ssrf::check_resolves_public("ipnUrl", url, self.settings.ipn_allow_private)).await?;
        }
        // Checked once, here: VIES is slow and rate-limited, and the answer
        // decides reverse charge when the checkout is paid.
        if let Some(vat_id) = checkout.customer.as_ref().map(|c| c.vat_id.as_str()).filter(|v| !v.is_empty()) {
            checkout.vat_validation = Some(Box::pin(crate::vat::validate(self.vies.as_deref(), vat_id)).await);
        }
        let now = self.now();
        checkout.created_at = now;
        checkout.expires_at = now + expires_in_seconds * 1_000_000;
        checkout.id = id;
        match self.insert_audited(&*checkout, principal, CREATE_ACTION).await {
            Ok(()) => Ok(self.inserted_owned(*checkout)),
            Err(CoreError::Store(StoreError::Duplicate { .. })) => {
                Box::pin(self.get::<Checkout>(&checkout.id)).await?.ok_or(CoreError::NotFound(Checkout::NAME))
            }
            Err(err) => Err(err),
        }
    }

    /// The plan and customer a checkout names, checked: both the caller's,
    /// the plan active and chargeable by the site's provider, and a
    /// subscription checkout knowing whom it bills.
    async fn checkout_sale(
        &self,
        principal: &Principal,
        site: &super::sites::Site,
        mode: CheckoutMode,
        request: &NewCheckout,
    ) -> CoreResult<Sale> {
        if mode != CheckoutMode::Subscription && request.customer_id.trim().is_empty() {
            if !request.plan_id.trim().is_empty() {
                return Err(plan_unexpected());
            }
            return Ok(Sale { plan: None, customer: None });
        }
        // Boxed: lookups are the rarer case, and their state would
        // otherwise be part of every create's future.
        Box::pin(self.checkout_sale_looked_up(principal, site, mode, request)).await
    }

    /// [`Core::checkout_sale`] for a checkout that names a customer or is a
    /// subscription.
    async fn checkout_sale_looked_up(
        &self,
        principal: &Principal,
        site: &super::sites::Site,
        mode: CheckoutMode,
        request: &NewCheckout,
    ) -> CoreResult<Sale> {
        let customer = match request.customer_id.trim() {
            "" => None,
            id => Some(self.owned::<super::customers::Customer>(principal, id).await?),
        };
        if mode != CheckoutMode::Subscription {
            if !request.plan_id.trim().is_empty() {
                return Err(plan_unexpected());
            }
            return Ok(Sale { plan: None, customer });
        }
        let plan_id = request.plan_id.trim();
        if plan_id.is_empty() {
            return Err(CoreError::field("planId", "parameter_missing", "a subscription checkout needs a planId"));
        }
        let plan: super::plans::Plan = self.owned(principal, plan_id).await?;
        if !plan.active {
            return Err(CoreError::field(
                "planId",
                "plan_inactive",
                "this plan is deactivated: it sells no new subscriptions",
            ));
        }
        let provider = self.provider_client(site.provider_id.as_deref()).await?;
        if !provider.accepts_currency(&plan.currency) {
            return Err(CoreError::field(
                "planId",
                "currency_unsupported",
                format!("the site's provider does not charge {}", plan.currency),
            ));
        }
        if customer.is_none() && request.customer.is_none() {
            return Err(CoreError::field(
                "customerId",
                "parameter_missing",
                "a subscription checkout needs a customerId or an inline customer",
            ));
        }
        if request.capture_method == CaptureMethod::Manual {
            return Err(CoreError::field(
                "captureMethod",
                "capture_method_invalid",
                "a subscription is charged at once: captureMethod must be automatic",
            ));
        }
        Ok(Sale { plan: Some(plan), customer })
    }

    /// The caller's checkout (see [`Core::owned`]).
    pub async fn owned_checkout(&self, principal: &Principal, id: &str) -> CoreResult<Checkout> {
        self.owned(principal, id).await
    }

    /// A checkout by its id alone: the id is the capability.
    pub async fn public_checkout(&self, id: &str) -> CoreResult<Checkout> {
        if !is_id(Checkout::ID_PREFIX, id) {
            return Err(CoreError::NotFound(Checkout::NAME));
        }
        self.get::<Checkout>(id).await?.ok_or(CoreError::NotFound(Checkout::NAME))
    }

    /// What a `subscription` checkout's page offers: its plan, the trial
    /// and the next charge, counted from now on the customer's clock (a
    /// test clock's frozen time, when the customer lives on one). `None`
    /// for any other checkout, or when its plan is gone.
    pub async fn checkout_offer(&self, checkout: &Checkout) -> CoreResult<Option<SubscriptionOffer>> {
        if checkout.mode != CheckoutMode::Subscription {
            return Ok(None);
        }
        let Some(plan_id) = checkout.plan_id.as_deref() else { return Ok(None) };
        let Some(plan) = self.get::<super::plans::Plan>(plan_id).await? else { return Ok(None) };
        let clock = match checkout.customer_id.as_deref() {
            Some(id) => self.get::<super::customers::Customer>(id).await?.and_then(|c| c.test_clock_id),
            None => None,
        };
        let start = match self.subscription_now(clock.as_deref()).await {
            Ok(start) => start,
            Err(CoreError::NotFound(_)) => self.now(),
            Err(err) => return Err(err),
        };
        let trial_days = checkout.trial_days;
        let next_charge_at = if trial_days > 0 {
            Some(start + i64::from(trial_days) * 86_400_000_000)
        } else {
            plan.interval.boundary(start, plan.interval_count, 1)
        };
        Ok(Some(SubscriptionOffer { plan, trial_days, next_charge_at }))
    }

    pub async fn list_checkouts(
        &self,
        principal: &Principal,
        site_id: &str,
        status: Option<CheckoutStatus>,
        page: &Page,
    ) -> CoreResult<(Vec<Checkout>, bool)> {
        let mut filter = self.scoped_filter(principal, site_id).await?;
        if let Some(status) = status {
            filter.push(("status", status.as_str().into()));
        }
        self.list(&filter, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> NewCheckout {
        NewCheckout { amount: Some(11900), currency: "EUR".into(), ..NewCheckout::default() }
    }

    fn line(name: &str, quantity: i64, amount: i64) -> NewLineItem {
        NewLineItem { name: name.into(), quantity: Some(quantity), amount: Some(amount) }
    }

    fn param_of(err: CoreError) -> String {
        match err {
            CoreError::InvalidField { param, .. } => param,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_checkout_gets_one_line() {
        let valid = validate_new(&request(), false).expect("valid");
        assert_eq!(valid.line_items.len(), 1);
        assert_eq!(valid.line_items[0].amount, 11900);
        assert_eq!(valid.expires_in_seconds, DEFAULT_EXPIRY_SECONDS);
    }

    #[test]
    fn field_errors_name_their_param() {
        let err = |r: NewCheckout| param_of(validate_new(&r, false).err().expect("invalid"));
        assert_eq!(err(NewCheckout { amount: Some(0), ..request() }), "amount");
        assert_eq!(err(NewCheckout { amount: None, ..request() }), "amount");
        assert_eq!(err(NewCheckout { expires_in_seconds: Some(0), ..request() }), "expiresInSeconds");
        let unpriced = NewLineItem { name: "a".into(), quantity: None, amount: None };
        assert_eq!(err(NewCheckout { line_items: vec![unpriced], ..request() }), "lineItems[0].amount");
        assert_eq!(err(NewCheckout { currency: "EURO".into(), ..request() }), "currency");
        assert_eq!(err(NewCheckout { currency: "ABC".into(), ..request() }), "currency");
        assert_eq!(err(NewCheckout { expires_in_seconds: Some(5), ..request() }), "expiresInSeconds");
        assert_eq!(err(NewCheckout { ipn_url: "http://merchant.example/ipn".into(), ..request() }), "ipnUrl");
        assert_eq!(err(NewCheckout { line_items: vec![line("a", 2, 100)], ..request() }), "lineItems");
        assert_eq!(
            err(NewCheckout { line_items: vec![line("a", i64::MAX, i64::MAX)], ..request() }),
            "lineItems[0].quantity"
        );
    }

    #[test]
    fn line_items_must_add_up() {
        let ok = NewCheckout {
            line_items: vec![line("a", 2, 4950), NewLineItem { name: "b".into(), quantity: None, amount: Some(2000) }],
            ..request()
        };
        assert!(validate_new(&ok, false).is_ok());
    }

    /// A retry whose first attempt stored the checkout but died before
    /// recording its answer gets that checkout back, not a second one.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_resumed_create_returns_what_its_first_attempt_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: std::sync::Arc<dyn crate::store::Store> =
            std::sync::Arc::new(crate::store::SqliteStore::open(&dir.path().join("db.sqlite3")).expect("store"));
        store.migrate(crate::domain::COLLECTIONS).await.expect("migrate");
        let core = crate::domain::test_core(store, 30_000_000);
        let principal = Principal {
            organization_id: "org_1".into(),
            key_id: "key_1".into(),
            scopes: std::sync::Arc::from([]),
            mode: super::super::api_keys::KeyMode::Test,
            user: None,
            client_ip: String::new(),
        };
        let site: super::super::sites::Site = serde_json::from_value(serde_json::json!({
            "id": "site_1", "createdAt": 0, "organizationId": "org_1", "name": "Shop",
            "webhookSecretSealed": "sealed"
        }))
        .expect("site");
        let valid = validate_new(&request(), false).expect("valid");
        let draft = || {
            Box::new(draft_checkout(
                &site,
                CheckoutMode::Payment,
                validate_new(&request(), false).expect("valid"),
                Sale { plan: None, customer: None },
            ))
        };
        let first =
            core.insert_checkout(&principal, "chk_1".into(), draft(), valid.expires_in_seconds).await.expect("first");
        assert_eq!((first.id.as_str(), first.version, first.amount), ("chk_1", 1, 11900));
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let resumed =
            core.insert_checkout(&principal, "chk_1".into(), draft(), valid.expires_in_seconds).await.expect("resumed");
        assert_eq!(resumed, first, "the stored checkout, times included");
    }
}
