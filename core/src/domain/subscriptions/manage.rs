//! What merchants (and, through the portal, customers) ask of
//! subscriptions: create, read, list, change the payment method, cancel,
//! resume; and the subscription a paid checkout sells.

use super::billing::Progress;
use super::*;
use crate::domain::{
    Core,
    auth::Principal,
    checkouts::{Checkout, CheckoutMode},
    customers::Customer,
    idempotency::Idempotent,
    plans::{MAX_TRIAL_DAYS, Plan},
    sites::Site,
    transactions::{Transaction, parse_payment_method},
};
use crate::{ids::derived_id, store::Page};

const DAY: i64 = DAY_MICROS;

/// `POST /api/v1/subscriptions`, as parsed from the wire.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewSubscription {
    pub customer_id: String,
    pub plan_id: String,
    pub site_id: String,
    pub payment_method: String,
    pub trial_days: Option<i64>,
    pub ipn_url: String,
    pub test_clock_id: String,
}

/// A cancellation as asked for.
#[derive(Debug, Clone, Default)]
pub struct CancelRequest {
    /// `None` → at period end (the default).
    pub at_period_end: Option<bool>,
    pub reason: String,
    pub comment: String,
}

const MAX_COMMENT_CHARS: usize = 1000;

fn validate_cancellation(request: &CancelRequest) -> CoreResult<()> {
    if !request.reason.is_empty() && !CANCELLATION_REASONS.contains(&request.reason.as_str()) {
        return Err(CoreError::field(
            "reason",
            "reason_invalid",
            format!("reason must be one of {}", CANCELLATION_REASONS.join(", ")),
        ));
    }
    crate::domain::validate::text("comment", &request.comment, MAX_COMMENT_CHARS)?;
    Ok(())
}

impl Core {
    /// The time on a subscription's clock: its test clock's frozen time,
    /// or now.
    pub async fn subscription_now(&self, test_clock_id: Option<&str>) -> CoreResult<i64> {
        match test_clock_id {
            Some(id) => Ok(self.get::<TestClock>(id).await?.ok_or(CoreError::NotFound(TestClock::NAME))?.frozen_time),
            None => Ok(self.now()),
        }
    }

    /// Creates a subscription from a saved payment method. Without a trial
    /// the first period is charged at once: the answer shows it `active`,
    /// or `incomplete` when that charge failed.
    pub async fn create_subscription(
        &self,
        principal: &Principal,
        idempotency_key: &str,
        request: &NewSubscription,
    ) -> CoreResult<Idempotent<Subscription>> {
        let customer: Customer = self.owned(principal, request.customer_id.trim()).await?;
        let plan: Plan = self.owned(principal, request.plan_id.trim()).await?;
        if !plan.active {
            return Err(CoreError::field(
                "planId",
                "plan_inactive",
                "this plan is deactivated: it sells no new subscriptions",
            ));
        }
        let site = self.owned_site(principal, request.site_id.trim()).await?;
        let provider = self.provider_client(site.provider_id.as_deref()).await?;
        if site.livemode && site.provider_id.is_none() {
            return Err(CoreError::InvalidRequest {
                code: "provider_required",
                message: "a live site charges through a live provider: connect one and set the site's providerId"
                    .into(),
            });
        }
        if !provider.accepts_currency(&plan.currency) {
            return Err(CoreError::field(
                "planId",
                "currency_unsupported",
                format!("the site's provider does not charge {}", plan.currency),
            ));
        }
        let method = parse_payment_method(&request.payment_method, "")?;
        if !provider.accepts(&method) || matches!(method, crate::providers::PaymentMethod::Upi { .. }) {
            return Err(CoreError::field(
                "paymentMethod",
                "payment_method_invalid",
                "this payment method cannot be charged again by the site's provider",
            ));
        }
        let trial_days = match request.trial_days {
            None => plan.trial_days,
            Some(days @ 0..=730) => days as u32,
            Some(_) => {
                return Err(CoreError::field(
                    "trialDays",
                    "trial_days_invalid",
                    format!("trialDays must be between 0 and {MAX_TRIAL_DAYS}"),
                ));
            }
        };
        let ipn_url = if request.ipn_url.is_empty() {
            None
        } else {
            let url = crate::domain::validate::web_url("ipnUrl", &request.ipn_url, self.settings.ipn_allow_private)?;
            crate::ssrf::check_url_syntax("ipnUrl", url.as_str(), self.settings.ipn_allow_private)?;
            Some(url.to_string())
        };
        let clock = self.subscription_clock(principal, &customer, request.test_clock_id.trim()).await?;
        let fingerprint = crate::domain::idempotency::fingerprint(request)?;
        let created = self
            .idempotent(principal, "subscription.create", idempotency_key, fingerprint, "sub", |id| async move {
                if let Some(url) = &ipn_url {
                    crate::ssrf::check_resolves_public("ipnUrl", url, self.settings.ipn_allow_private).await?;
                }
                // A method the provider refuses outright never makes a
                // subscription.
                let method = provider.verify_reusable(&method).await.map_err(|err| match err {
                    crate::providers::ProviderError::Refused { code, message } => CoreError::Provider { code, message },
                    crate::providers::ProviderError::Transient(message) => CoreError::ProviderUnavailable(message),
                })?;
                let now = self.subscription_now(clock.as_deref()).await?;
                let vat_validation = match customer.vat_id.as_str() {
                    "" => None,
                    vat_id => Some(crate::vat::validate(self.vies.as_deref(), vat_id).await),
                };
                let start = Start { now, trial_days, paid_first_period: false };
                let mut subscription = new_subscription(id, &site, &customer, &plan, method.clone(), start)?;
                subscription.ipn_url = ipn_url.clone();
                subscription.test_clock_id = clock.clone();
                subscription.vat_validation = vat_validation;
                if subscription.status == SubscriptionStatus::Incomplete {
                    subscription.claim_next_period(now)?;
                }
                match self.insert(&subscription).await {
                    Err(CoreError::Store(crate::store::StoreError::Duplicate { .. })) => {
                        self.get::<Subscription>(&subscription.id).await?.ok_or(CoreError::NotFound(Subscription::NAME))
                    }
                    other => other,
                }
            })
            .await?;
        if created.replayed {
            // The record holds the subscription as first stored; a retry
            // sees what it has become since.
            let value = self.get::<Subscription>(&created.value.id).await?.unwrap_or(created.value);
            return Ok(Idempotent { value, replayed: true });
        }
        let id = created.value.id.clone();
        self.announce_subscription(created.value).await?;
        if let Some(subscription) = self.get::<Subscription>(&id).await?
            && subscription.charge.is_some()
            && self.drive_charge(subscription).await? == Progress::Blocked
        {
            tracing::info!(subscription = %id, "first charge still running; the scheduler finishes it");
        }
        let value = self.get::<Subscription>(&id).await?.ok_or(CoreError::NotFound(Subscription::NAME))?;
        Ok(Idempotent { value, replayed: false })
    }

    /// The test clock a new subscription lives on: the customer's, which
    /// a request may name but never contradict.
    async fn subscription_clock(
        &self,
        principal: &Principal,
        customer: &Customer,
        requested: &str,
    ) -> CoreResult<Option<String>> {
        if !requested.is_empty() {
            let clock: TestClock = self.owned(principal, requested).await?;
            if customer.test_clock_id.as_deref().is_some_and(|id| id != clock.id) {
                return Err(CoreError::field(
                    "testClockId",
                    "test_clock_mismatch",
                    "the customer lives on another test clock",
                ));
            }
            return Ok(Some(clock.id));
        }
        Ok(customer.test_clock_id.clone())
    }

    /// The caller's subscription (see [`Core::owned`]).
    pub async fn owned_subscription(&self, principal: &Principal, id: &str) -> CoreResult<Subscription> {
        self.owned(principal, id).await
    }

    /// Newest first, narrowed to one customer and/or status.
    pub async fn list_subscriptions(
        &self,
        principal: &Principal,
        customer_id: &str,
        status: &str,
        page: &Page,
    ) -> CoreResult<(Vec<Subscription>, bool)> {
        let mut filter = principal.tenant_filter();
        if !customer_id.is_empty() {
            filter.push(("customerId", customer_id.into()));
        }
        if !status.is_empty() {
            let status = SubscriptionStatus::parse(status)
                .ok_or_else(|| CoreError::field("status", "status_invalid", "status must be a subscription status"))?;
            filter.push(("status", status.as_str().into()));
        }
        self.list(&filter, page).await
    }

    /// One customer's subscriptions, newest first (the portal's list).
    pub async fn customer_subscriptions(
        &self,
        customer: &Customer,
        page: &Page,
    ) -> CoreResult<(Vec<Subscription>, bool)> {
        let mut filter = crate::domain::tenant_filter(&customer.organization_id, customer.livemode);
        filter.push(("customerId", customer.id.clone().into()));
        self.list(&filter, page).await
    }

    /// Replaces the saved payment method future charges (and dunning
    /// retries) use.
    pub async fn update_subscription_payment_method(
        &self,
        principal: &Principal,
        id: &str,
        payment_method: &str,
    ) -> CoreResult<Subscription> {
        let subscription = self.owned_subscription(principal, id).await?;
        let method = parse_payment_method(payment_method, "")?;
        let provider = self.provider_client(subscription.provider_id.as_deref()).await?;
        if !provider.accepts(&method) || matches!(method, crate::providers::PaymentMethod::Upi { .. }) {
            return Err(CoreError::field(
                "paymentMethod",
                "payment_method_invalid",
                "this payment method cannot be charged again by the subscription's provider",
            ));
        }
        let method = provider.verify_reusable(&method).await.map_err(|err| match err {
            crate::providers::ProviderError::Refused { code, message } => CoreError::Provider { code, message },
            crate::providers::ProviderError::Transient(message) => CoreError::ProviderUnavailable(message),
        })?;
        let now = self.subscription_now(subscription.test_clock_id.as_deref()).await?;
        self.modify(subscription, |s| {
            if s.status.is_final() {
                return Err(ended(s));
            }
            s.payment_method = method.clone();
            s.updated_at = now;
            Ok(())
        })
        .await
    }

    /// Cancels now, or at the end of the current period (the default).
    /// A subscription that has ended already → 409.
    pub async fn cancel_subscription(
        &self,
        subscription: Subscription,
        request: &CancelRequest,
        requested_by: &str,
    ) -> CoreResult<Subscription> {
        validate_cancellation(request)?;
        let now = self.subscription_now(subscription.test_clock_id.as_deref()).await?;
        let at_period_end = request.at_period_end.unwrap_or(true);
        let details = CancellationDetails {
            reason: request.reason.clone(),
            comment: request.comment.trim().to_owned(),
            requested_by: requested_by.to_owned(),
            requested_at: now,
        };
        let canceled = self
            .modify(subscription, |s| {
                if s.status.is_final() {
                    return Err(ended(s));
                }
                if at_period_end && s.status != SubscriptionStatus::Incomplete {
                    if s.cancel_at_period_end {
                        return Err(CoreError::conflict(
                            "subscription_cancel_pending",
                            "this subscription is already set to cancel at the end of its period",
                        ));
                    }
                    s.cancel_at_period_end = true;
                    s.canceled_at = Some(now);
                    s.cancellation_details = Some(details.clone());
                    s.announce("subscription.updated", now, None, None);
                } else {
                    if s.charge.is_some() {
                        return Err(CoreError::conflict(
                            "subscription_busy",
                            "a charge for this subscription is in progress; try again shortly",
                        ));
                    }
                    s.transition(SubscriptionStatus::Canceled, now)?;
                    s.canceled_at = Some(now);
                    s.ended_at = Some(now);
                    s.cancel_at_period_end = false;
                    s.dunning = None;
                    s.cancellation_details = Some(details.clone());
                }
                s.updated_at = now;
                Ok(())
            })
            .await?;
        let id = canceled.id.clone();
        self.announce_subscription(canceled).await?;
        self.get::<Subscription>(&id).await?.ok_or(CoreError::NotFound(Subscription::NAME))
    }

    /// Undoes a pending cancellation before the period ends; anything else
    /// → 409.
    pub async fn resume_subscription(&self, subscription: Subscription) -> CoreResult<Subscription> {
        let now = self.subscription_now(subscription.test_clock_id.as_deref()).await?;
        let resumed = self
            .modify(subscription, |s| {
                if s.status.is_final() {
                    return Err(ended(s));
                }
                if !s.cancel_at_period_end || now >= s.current_period_end {
                    return Err(CoreError::conflict(
                        "subscription_not_canceling",
                        "only a subscription set to cancel at period end can be resumed, before that end",
                    ));
                }
                s.cancel_at_period_end = false;
                s.canceled_at = None;
                s.cancellation_details = None;
                s.announce("subscription.updated", now, None, None);
                s.updated_at = now;
                Ok(())
            })
            .await?;
        let id = resumed.id.clone();
        self.announce_subscription(resumed).await?;
        self.get::<Subscription>(&id).await?.ok_or(CoreError::NotFound(Subscription::NAME))
    }

    /// The subscription a paid checkout of mode `subscription` sells:
    /// created once (its id derives from the checkout), `trialing` when the
    /// plan has a trial (the payment only saved the method), otherwise
    /// `active` with its first period paid.
    pub(crate) async fn start_checkout_subscription(
        &self,
        checkout: &Checkout,
        transaction: &Transaction,
        invoice_id: Option<String>,
    ) -> CoreResult<()> {
        if checkout.mode != CheckoutMode::Subscription
            || transaction.status != crate::domain::transactions::TransactionStatus::Succeeded
        {
            return Ok(());
        }
        let id = derived_id("sub", &checkout.id);
        if self.get::<Subscription>(&id).await?.is_some() {
            return Ok(());
        }
        let plan_id = checkout.plan_id.as_deref().unwrap_or_default();
        let plan = self.get::<Plan>(plan_id).await?.ok_or(CoreError::NotFound(Plan::NAME))?;
        let site = self.get_cached::<Site>(&checkout.site_id).await?.ok_or(CoreError::NotFound(Site::NAME))?;
        let customer = self.checkout_customer(checkout).await?;
        let now = self.subscription_now(customer.test_clock_id.as_deref()).await?;
        let start = Start { now, trial_days: checkout.trial_days, paid_first_period: checkout.trial_days == 0 };
        let mut subscription =
            new_subscription(id, &site, &customer, &plan, transaction.payment_method.clone(), start)?;
        subscription.provider_id = transaction.provider_id.clone();
        subscription.ipn_url = checkout.ipn_url.clone();
        subscription.checkout_id = Some(checkout.id.clone());
        subscription.test_clock_id = customer.test_clock_id.clone();
        subscription.vat_validation = checkout.vat_validation.clone();
        if start.paid_first_period {
            subscription.latest_invoice_id = invoice_id.clone();
            subscription.latest_transaction_id = Some(transaction.id.clone());
            if invoice_id.is_some() {
                subscription.announce("invoice.created", now, Some(transaction.id.clone()), invoice_id);
            }
        }
        match self.insert(&subscription).await {
            Ok(subscription) => self.announce_subscription(subscription).await,
            Err(CoreError::Store(crate::store::StoreError::Duplicate { .. })) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The customer a subscription checkout names, or a new one made from
    /// its inline details (once: its id derives from the checkout).
    async fn checkout_customer(&self, checkout: &Checkout) -> CoreResult<Customer> {
        if let Some(id) = &checkout.customer_id
            && let Some(customer) = self.get::<Customer>(id).await?
        {
            return Ok(customer);
        }
        let details = checkout.customer.clone().unwrap_or_default();
        let now = self.now();
        let customer = Customer {
            id: derived_id("cus", &checkout.id),
            version: 0,
            created_at: now,
            updated_at: now,
            organization_id: checkout.organization_id.clone(),
            livemode: checkout.livemode,
            email: details.email.clone(),
            name: details.name.clone(),
            address: details.address.clone(),
            vat_id: details.vat_id.clone(),
            metadata: Default::default(),
            test_clock_id: None,
            language: details.language,
        };
        match self.insert(&customer).await {
            Err(CoreError::Store(crate::store::StoreError::Duplicate { .. })) => {
                self.get::<Customer>(&customer.id).await?.ok_or(CoreError::NotFound(Customer::NAME))
            }
            other => other,
        }
    }
}

fn ended(subscription: &Subscription) -> CoreError {
    CoreError::conflict(
        "subscription_ended",
        format!("this subscription is {} and cannot change", subscription.status.as_str()),
    )
}

#[derive(Debug, Clone, Copy)]
struct Start {
    now: i64,
    trial_days: u32,
    /// Sold by a checkout that charged the first period already.
    paid_first_period: bool,
}

fn new_subscription(
    id: String,
    site: &Site,
    customer: &Customer,
    plan: &Plan,
    payment_method: crate::providers::PaymentMethod,
    start: Start,
) -> CoreResult<Subscription> {
    let now = start.now;
    let trial_end = (start.trial_days > 0).then(|| now + i64::from(start.trial_days) * DAY);
    let anchor = trial_end.unwrap_or(now);
    let status = match (trial_end, start.paid_first_period) {
        (Some(_), _) => SubscriptionStatus::Trialing,
        (None, true) => SubscriptionStatus::Active,
        (None, false) => SubscriptionStatus::Incomplete,
    };
    let mut subscription = Subscription {
        id,
        version: 0,
        created_at: crate::domain::now_micros(),
        updated_at: now,
        organization_id: site.organization_id.clone(),
        livemode: site.livemode,
        site_id: site.id.clone(),
        customer_id: customer.id.clone(),
        plan_id: plan.id.clone(),
        plan_name: plan.name.clone(),
        amount: plan.amount,
        currency: plan.currency.clone(),
        interval: plan.interval,
        interval_count: plan.interval_count,
        status,
        payment_method,
        provider_id: site.provider_id.clone(),
        ipn_url: None,
        test_clock_id: None,
        checkout_id: None,
        vat_validation: None,
        billing_anchor: anchor,
        periods_started: 0,
        current_period_start: now,
        current_period_end: trial_end.unwrap_or(now),
        trial_start: trial_end.map(|_| now),
        trial_end,
        cancel_at_period_end: false,
        canceled_at: None,
        ended_at: None,
        cancellation_details: None,
        latest_invoice_id: None,
        latest_transaction_id: None,
        charge: None,
        dunning: None,
        incomplete_expires_at: (status == SubscriptionStatus::Incomplete).then_some(now + INCOMPLETE_EXPIRY_MICROS),
        upcoming_notice_period: None,
        trial_notice_sent: false,
        retry_days: Vec::new(),
        periods_paid: 0,
        pending_events: Vec::new(),
        event_seq: 0,
        announce_after: 0,
    };
    if status == SubscriptionStatus::Active {
        // The checkout paid period 0.
        subscription.current_period_end = subscription.period_start(1)?;
        subscription.periods_started = 1;
        subscription.periods_paid = 1;
    }
    subscription.announce("subscription.created", now, None, None);
    Ok(subscription)
}
