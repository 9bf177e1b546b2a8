//! Domain ⇄ proto conversions. Parsing happens here; rules live in the
//! domain.

use paygate_contract::proto::v1 as pb;

use crate::domain::{
    api_keys::{ApiKey, KeyMode},
    checkout_domains::CheckoutDomain,
    checkouts::{Address, CaptureMethod, Checkout, CheckoutStatus, Customer, LineItem, NewCheckout, NewLineItem},
    locale::Language,
    organizations::Organization,
    provider_accounts::{ProviderAccount, ProviderKind},
    sites::Site,
    subscriptions::{Subscription, TestClock},
    transactions::{Refund, RefundOrigin, RefundStatus, Transaction, TransactionStatus},
};
use crate::error::{CoreError, CoreResult};
use crate::providers::PaymentMethod;

pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

pub fn organization(org: Organization) -> pb::Organization {
    pb::Organization {
        id: org.id,
        name: org.name,
        created_at: Some(timestamp(org.created_at)),
        legal_name: org.legal_name,
        address: org.address.map(address_pb),
        vat_id: org.vat_id,
        seller_country: org.seller_country,
        invoice_prefix: org.invoice_prefix,
        credit_note_prefix: org.credit_note_prefix,
        dunning_retry_days: org
            .dunning_retry_days
            .unwrap_or_else(|| crate::domain::subscriptions::DEFAULT_RETRY_DAYS.to_vec()),
        email: org.email,
        phone: org.phone,
        website: org.website,
        registration_number: org.registration_number,
        register_court: org.register_court,
        require_two_factor: org.require_two_factor,
    }
}

pub fn address_pb(a: Address) -> pb::Address {
    pb::Address {
        country: a.country,
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        postal_code: a.postal_code,
        region: a.region,
    }
}

pub fn address(a: pb::Address) -> Address {
    Address {
        country: a.country,
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        postal_code: a.postal_code,
        region: a.region,
    }
}

pub fn key_mode(mode: i32) -> CoreResult<KeyMode> {
    match pb::KeyMode::try_from(mode) {
        Ok(pb::KeyMode::Test | pb::KeyMode::Unspecified) => Ok(KeyMode::Test),
        Ok(pb::KeyMode::Live) => Ok(KeyMode::Live),
        Err(_) => Err(CoreError::field("mode", "mode_invalid", "mode must be test or live")),
    }
}

pub fn api_key(key: ApiKey) -> pb::ApiKey {
    pb::ApiKey {
        id: key.id,
        organization_id: key.organization_id,
        name: key.name,
        mode: match key.mode {
            KeyMode::Test => pb::KeyMode::Test as i32,
            KeyMode::Live => pb::KeyMode::Live as i32,
        },
        scopes: key.scopes,
        redacted: key.redacted,
        livemode: key.mode == KeyMode::Live,
        created_at: Some(timestamp(key.created_at)),
        revoked_at: key.revoked_at.map(timestamp),
    }
}

/// The site with its custom domains; `checkout_domain` is the verified one
/// `paymentUrl` uses.
pub fn site(site: Site, domains: Vec<CheckoutDomain>) -> pb::Site {
    pb::Site {
        id: site.id,
        organization_id: site.organization_id,
        name: site.name,
        checkout_domain: crate::domain::Core::primary_domain(&domains).map(|d| d.id.clone()).unwrap_or_default(),
        created_at: Some(timestamp(site.created_at)),
        domains: domains.into_iter().map(checkout_domain).collect(),
        allowed_origins: site.allowed_origins,
        provider_id: site.provider_id.unwrap_or_default(),
        ipn_url: site.ipn_url.unwrap_or_default(),
        livemode: site.livemode,
    }
}

pub fn checkout_domain(domain: CheckoutDomain) -> pb::CheckoutDomain {
    pb::CheckoutDomain {
        verification_name: domain.challenge_name(),
        status: domain.status.as_str().to_owned(),
        created_at: Some(timestamp(domain.created_at)),
        verified_at: (domain.verified_at > 0).then(|| timestamp(domain.verified_at)),
        site_id: domain.site_id,
        livemode: domain.livemode,
        verification_value: domain.challenge,
        domain: domain.id,
    }
}

pub fn capture_method(value: i32) -> CoreResult<CaptureMethod> {
    match pb::CaptureMethod::try_from(value) {
        Ok(pb::CaptureMethod::Automatic | pb::CaptureMethod::Unspecified) => Ok(CaptureMethod::Automatic),
        Ok(pb::CaptureMethod::Manual) => Ok(CaptureMethod::Manual),
        Err(_) => Err(CoreError::field(
            "captureMethod",
            "capture_method_invalid",
            "captureMethod must be automatic or manual",
        )),
    }
}

pub fn capture_method_pb(value: CaptureMethod) -> i32 {
    let method = match value {
        CaptureMethod::Automatic => pb::CaptureMethod::Automatic,
        CaptureMethod::Manual => pb::CaptureMethod::Manual,
    };
    method as i32
}

pub fn checkout_status_pb(status: CheckoutStatus) -> i32 {
    let status = match status {
        CheckoutStatus::Open => pb::CheckoutStatus::Open,
        CheckoutStatus::Processing => pb::CheckoutStatus::Processing,
        CheckoutStatus::Completed => pb::CheckoutStatus::Completed,
        CheckoutStatus::Expired => pb::CheckoutStatus::Expired,
        CheckoutStatus::Canceled => pb::CheckoutStatus::Canceled,
    };
    status as i32
}

pub fn checkout_status(value: i32) -> CoreResult<Option<CheckoutStatus>> {
    Ok(match pb::CheckoutStatus::try_from(value) {
        Ok(pb::CheckoutStatus::Unspecified) => None,
        Ok(pb::CheckoutStatus::Open) => Some(CheckoutStatus::Open),
        Ok(pb::CheckoutStatus::Processing) => Some(CheckoutStatus::Processing),
        Ok(pb::CheckoutStatus::Completed) => Some(CheckoutStatus::Completed),
        Ok(pb::CheckoutStatus::Expired) => Some(CheckoutStatus::Expired),
        Ok(pb::CheckoutStatus::Canceled) => Some(CheckoutStatus::Canceled),
        Err(_) => return Err(CoreError::field("status", "status_invalid", "unknown checkout status")),
    })
}

pub fn new_checkout(request: pb::CreateCheckoutRequest) -> CoreResult<NewCheckout> {
    Ok(NewCheckout {
        capture_method: capture_method(request.capture_method)?,
        amount: request.amount,
        currency: request.currency,
        description: request.description,
        customer: request
            .customer
            .map(|c| -> CoreResult<Customer> {
                Ok(Customer {
                    language: Language::parse_optional("customer.language", Some(&c.language))?.unwrap_or_default(),
                    email: c.email,
                    name: c.name,
                    vat_id: c.vat_id,
                    address: c.address.map(|a| Address {
                        country: a.country,
                        line1: a.line1,
                        line2: a.line2,
                        city: a.city,
                        postal_code: a.postal_code,
                        region: a.region,
                    }),
                })
            })
            .transpose()?,
        line_items: request
            .line_items
            .into_iter()
            .map(|item| NewLineItem { name: item.name, quantity: item.quantity, amount: item.amount })
            .collect(),
        ipn_url: request.ipn_url,
        success_url: request.success_url,
        cancel_url: request.cancel_url,
        metadata: request.metadata.into_iter().collect(),
        expires_in_seconds: request.expires_in_seconds,
        mode: request.mode,
        plan_id: request.plan_id,
        customer_id: request.customer_id,
    })
}

fn line_items_pb(items: Vec<LineItem>) -> Vec<pb::LineItem> {
    items.into_iter().map(|i| pb::LineItem { name: i.name, quantity: i.quantity, amount: i.amount }).collect()
}

pub fn checkout(checkout: Checkout, payment_url: String, now: i64) -> pb::Checkout {
    pb::Checkout {
        status: checkout_status_pb(checkout.effective_status(now)),
        id: checkout.id,
        organization_id: checkout.organization_id,
        livemode: checkout.livemode,
        site_id: checkout.site_id,
        amount: checkout.amount,
        currency: checkout.currency,
        description: checkout.description,
        customer: checkout.customer.map(|c| pb::Customer {
            language: c.language.code().to_owned(),
            email: c.email,
            name: c.name,
            vat_id: c.vat_id,
            address: c.address.map(|a| pb::Address {
                country: a.country,
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                postal_code: a.postal_code,
                region: a.region,
            }),
        }),
        line_items: line_items_pb(checkout.line_items),
        capture_method: capture_method_pb(checkout.capture_method),
        ipn_url: checkout.ipn_url.unwrap_or_default(),
        success_url: checkout.success_url.unwrap_or_default(),
        cancel_url: checkout.cancel_url.unwrap_or_default(),
        metadata: checkout.metadata.into_iter().collect(),
        payment_url,
        created_at: Some(timestamp(checkout.created_at)),
        expires_at: Some(timestamp(checkout.expires_at)),
        transaction_id: checkout.transaction_id.unwrap_or_default(),
        idempotent_replayed: false,
        mode: checkout.mode.as_str().to_owned(),
        plan_id: checkout.plan_id.unwrap_or_default(),
        customer_id: checkout.customer_id.unwrap_or_default(),
        subscription_id: checkout.subscription_id.unwrap_or_default(),
        trial_days: checkout.trial_days,
    }
}

/// A saved payment method as the merchant may see it again: the
/// provider's reusable reference (a token, PaymentMethod or mandate id).
fn payment_method_reference(method: &PaymentMethod) -> String {
    match method {
        PaymentMethod::Card { token, .. } => token.clone(),
        PaymentMethod::Mandate { id } => id.clone(),
        PaymentMethod::Upi { .. } => "upi".into(),
    }
}

pub fn subscription(subscription: Subscription) -> pb::Subscription {
    let upcoming = subscription.upcoming().map(|upcoming| pb::UpcomingCharge {
        amount: upcoming.amount,
        currency: upcoming.currency,
        date: Some(timestamp(upcoming.date)),
    });
    let next_charge_at = subscription.next_charge_at().map(timestamp);
    let dunning = subscription.dunning.clone();
    pb::Subscription {
        status: subscription.status.as_str().to_owned(),
        customer_id: subscription.customer_id,
        plan_id: subscription.plan_id,
        site_id: subscription.site_id,
        current_period_start: Some(timestamp(subscription.current_period_start)),
        current_period_end: Some(timestamp(subscription.current_period_end)),
        trial_start: subscription.trial_start.map(timestamp),
        trial_end: subscription.trial_end.map(timestamp),
        cancel_at_period_end: subscription.cancel_at_period_end,
        canceled_at: subscription.canceled_at.map(timestamp),
        ended_at: subscription.ended_at.map(timestamp),
        cancellation_details: subscription.cancellation_details.map(|d| pb::CancellationDetails {
            reason: d.reason,
            comment: d.comment,
            requested_by: d.requested_by,
            requested_at: Some(timestamp(d.requested_at)),
        }),
        latest_invoice_id: subscription.latest_invoice_id.unwrap_or_default(),
        next_charge_at,
        upcoming,
        livemode: subscription.livemode,
        test_clock_id: subscription.test_clock_id.unwrap_or_default(),
        payment_method: payment_method_reference(&subscription.payment_method),
        plan_name: subscription.plan_name,
        amount: subscription.amount,
        currency: subscription.currency,
        interval: subscription.interval.as_str().to_owned(),
        interval_count: subscription.interval_count,
        ipn_url: subscription.ipn_url.unwrap_or_default(),
        checkout_id: subscription.checkout_id.unwrap_or_default(),
        created_at: Some(timestamp(subscription.created_at)),
        failed_attempts: dunning.as_ref().map_or(0, |d| d.failed_attempts),
        last_failure_code: dunning.map(|d| d.last_failure_code).unwrap_or_default(),
        periods_paid: subscription.periods_paid,
        id: subscription.id,
    }
}

pub fn test_clock(clock: TestClock) -> pb::TestClock {
    pb::TestClock {
        id: clock.id,
        name: clock.name,
        frozen_time: Some(timestamp(clock.frozen_time)),
        status: clock.status.as_str().to_owned(),
        livemode: clock.livemode,
        created_at: Some(timestamp(clock.created_at)),
    }
}

/// The payer's view: what the page needs, nothing the merchant keeps
/// private (customer details, metadata, IPN URL, ids of other objects).
pub fn public_checkout(
    checkout: Checkout,
    merchant_name: String,
    exponent: u32,
    tax: &crate::domain::taxation::SaleTax,
    now: i64,
) -> pb::PublicCheckout {
    pb::PublicCheckout {
        tax: Some(pb::TaxPreview {
            country: tax.country.clone().unwrap_or_default(),
            rate_bps: tax.rate_bps,
            tax_amount: tax.document.total.tax,
            net_amount: tax.document.total.net,
            reverse_charge: tax.reverse_charge,
        }),
        status: checkout_status_pb(checkout.effective_status(now)),
        id: checkout.id,
        livemode: checkout.livemode,
        amount: checkout.amount,
        currency: checkout.currency,
        currency_exponent: exponent,
        description: checkout.description,
        line_items: line_items_pb(checkout.line_items),
        merchant_name,
        expires_at: Some(timestamp(checkout.expires_at)),
        success_url: checkout.success_url.unwrap_or_default(),
        cancel_url: checkout.cancel_url.unwrap_or_default(),
        capture_method: capture_method_pb(checkout.capture_method),
        payment_provider: None,
        subscription: None,
    }
}

/// A subscription checkout's plan as the page shows it.
pub fn subscription_offer(offer: &crate::domain::checkouts::SubscriptionOffer) -> pb::SubscriptionOffer {
    pb::SubscriptionOffer {
        plan_name: offer.plan.name.clone(),
        amount: offer.plan.amount,
        interval: offer.plan.interval.as_str().to_owned(),
        interval_count: offer.plan.interval_count,
        trial_days: offer.trial_days,
        amount_today: offer.amount_today(),
        next_charge_at: offer.next_charge_at.map(timestamp),
    }
}

/// What the payer's browser may know of the site's provider: its type and
/// Stripe's publishable key. No site record means the built-in sandbox.
pub fn payment_provider(account: Option<&ProviderAccount>) -> pb::PaymentProvider {
    match account {
        Some(account) => pb::PaymentProvider {
            r#type: account.kind.as_str().to_owned(),
            publishable_key: match account.kind {
                ProviderKind::Stripe => account.publishable_key.clone().unwrap_or_default(),
                ProviderKind::Sandbox | ProviderKind::GoCardless => String::new(),
            },
        },
        None => {
            pb::PaymentProvider { r#type: ProviderKind::Sandbox.as_str().to_owned(), publishable_key: String::new() }
        }
    }
}

pub fn transaction_status_pb(status: TransactionStatus) -> i32 {
    let status = match status {
        TransactionStatus::Pending => pb::TransactionStatus::Pending,
        TransactionStatus::Processing => pb::TransactionStatus::Processing,
        TransactionStatus::RequiresCapture => pb::TransactionStatus::RequiresCapture,
        TransactionStatus::Succeeded => pb::TransactionStatus::Succeeded,
        TransactionStatus::Failed => pb::TransactionStatus::Failed,
        TransactionStatus::Canceled => pb::TransactionStatus::Canceled,
    };
    status as i32
}

/// A refund shares its transaction's id, currency and mode.
pub fn refund(refund: &Refund, transaction: &Transaction) -> pb::Refund {
    let status = match refund.status {
        RefundStatus::Pending => pb::RefundStatus::Pending,
        RefundStatus::Succeeded => pb::RefundStatus::Succeeded,
        RefundStatus::Failed => pb::RefundStatus::Failed,
    };
    pb::Refund {
        id: refund.id.clone(),
        transaction_id: transaction.id.clone(),
        livemode: transaction.livemode,
        amount: refund.amount,
        currency: transaction.currency.clone(),
        status: status as i32,
        reason: refund.reason.clone(),
        failure_code: refund.failure_code.clone().unwrap_or_default(),
        created_at: Some(timestamp(refund.created_at)),
        idempotent_replayed: false,
        origin: match refund.origin {
            RefundOrigin::Gateway => "gateway".into(),
            RefundOrigin::Provider => "provider".into(),
        },
    }
}

pub fn transaction(t: Transaction) -> pb::Transaction {
    let payment_method = match &t.payment_method {
        PaymentMethod::Card { token, .. } => {
            pb::PaymentMethod { r#type: "card".into(), token: token.clone(), vpa: String::new() }
        }
        PaymentMethod::Upi { vpa } => {
            pb::PaymentMethod { r#type: "upi".into(), token: String::new(), vpa: vpa.clone() }
        }
        PaymentMethod::Mandate { id } => {
            pb::PaymentMethod { r#type: "mandate".into(), token: id.clone(), vpa: String::new() }
        }
    };
    pb::Transaction {
        refunds: t.refunds.iter().map(|r| refund(r, &t)).collect(),
        status: transaction_status_pb(t.status),
        capture_method: capture_method_pb(t.capture_method),
        payment_method: Some(payment_method),
        id: t.id,
        organization_id: t.organization_id,
        livemode: t.livemode,
        site_id: t.site_id,
        checkout_id: t.checkout_id,
        customer_id: t.customer_id.unwrap_or_default(),
        amount: t.amount,
        amount_captured: t.amount_captured,
        amount_refunded: t.amount_refunded,
        currency: t.currency,
        provider: t.provider,
        provider_reference: t.provider_reference.unwrap_or_default(),
        failure_code: t.failure_code.unwrap_or_default(),
        failure_message: t.failure_message.unwrap_or_default(),
        invoice_id: t.invoice_id.unwrap_or_default(),
        tax_amount: t.tax.document.total.tax,
        net_amount: t.tax.document.total.net,
        tax_rate_bps: t.tax.rate_bps,
        tax_country: t.tax.country.clone().unwrap_or_default(),
        reverse_charge: t.tax.reverse_charge,
        pending_action: t.pending_action.map(|a| a.as_str().to_owned()).unwrap_or_default(),
        last_action_failure: t.action_failures.last().map(|f| pb::ActionFailure {
            action: f.action.as_str().to_owned(),
            code: f.code.clone(),
            message: f.message.clone(),
            at: Some(timestamp(f.at)),
        }),
        provider_id: t.provider_id.clone().unwrap_or_default(),
        next_action_json: t.next_action.as_ref().map(|action| action.to_string()).unwrap_or_default(),
        disputes: t
            .disputes
            .iter()
            .map(|d| pb::Dispute {
                id: d.id.clone(),
                amount: d.amount,
                reason: d.reason.clone(),
                status: d.status.clone(),
                created_at: Some(timestamp(d.created_at)),
                updated_at: Some(timestamp(d.updated_at)),
            })
            .collect(),
        created_at: Some(timestamp(t.created_at)),
        updated_at: (t.updated_at != 0).then(|| timestamp(t.updated_at)),
    }
}
