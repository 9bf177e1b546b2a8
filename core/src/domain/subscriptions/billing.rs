//! A subscription's life over time: notices, period starts and their
//! charges, dunning, expiry and cancellation at period end, and the IPN
//! events each causes.

use super::*;
use crate::domain::{
    Core,
    checkouts::{CaptureMethod, Checkout, CheckoutMode, CheckoutStatus, LineItem},
    customers::Customer,
    organizations::Organization,
    transactions::{StatusChange, Transaction, TransactionStatus, WORK_LEASE_MICROS},
};
use crate::{ids::new_id, store::StoreError};

/// Failure codes after which retrying cannot help: dunning ends at once.
pub const HARD_DECLINE_CODES: [&str; 8] = [
    "expired_card",
    "do_not_try_again",
    "do_not_honor_permanently",
    "stolen_card",
    "lost_card",
    "pickup_card",
    "fraudulent",
    "invalid_account",
];

/// A renewal checkout never expires by itself: it ends with its period's
/// charge (paid, or given up after dunning).
const NEVER: i64 = i64::MAX / 4;

/// Real time (not the subscription's clock): leases and re-drives.
fn real_now() -> i64 {
    crate::domain::now_micros()
}

/// What running one step achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The step ran (or somebody else ran it first).
    Done,
    /// Another runner holds the charge; try again shortly.
    Blocked,
}

impl Core {
    /// Runs every step of one subscription that is due at or before `now`
    /// on its clock (`clocked`: a test clock's advance, where work in
    /// flight is due at once). Returns how many steps ran and whether it
    /// stopped at a charge another runner holds.
    pub(crate) async fn run_due_steps(&self, id: &str, now: i64, clocked: bool) -> CoreResult<(usize, Progress)> {
        let mut ran = 0;
        // A subscription has few steps due at once; the bound only stops a
        // state that never moves on from looping.
        for _ in 0..64 {
            let Some(subscription) = self.get::<Subscription>(id).await? else { return Ok((ran, Progress::Done)) };
            let Some((at, step)) = step_due(&subscription, clocked) else { return Ok((ran, Progress::Done)) };
            if at > now {
                return Ok((ran, Progress::Done));
            }
            match self.run_step(subscription, step, at).await? {
                Progress::Done => ran += 1,
                Progress::Blocked => return Ok((ran, Progress::Blocked)),
            }
        }
        Ok((ran, Progress::Done))
    }

    /// Runs `step`, due at `at` on the subscription's clock. Every change
    /// is a compare-and-swap that first checks the step is still the one
    /// due, so a step another runner took is not taken twice.
    async fn run_step(&self, subscription: Subscription, step: Step, at: i64) -> CoreResult<Progress> {
        let clocked = subscription.test_clock_id.is_some();
        let still_due = move |s: &Subscription| -> CoreResult<()> {
            match step_due(s, clocked) {
                Some((due, next))
                    if next == step && (due == at || matches!(step, Step::Announce | Step::DriveCharge)) =>
                {
                    Ok(())
                }
                _ => Err(CoreError::conflict("step_taken", "another runner took this step")),
            }
        };
        let changed = match step {
            Step::Announce => return self.announce_subscription(subscription).await.map(|_| Progress::Done),
            Step::DriveCharge => return self.drive_charge(subscription).await,
            Step::ExpireIncomplete => {
                self.modify(subscription, |s| {
                    still_due(s)?;
                    s.transition(SubscriptionStatus::IncompleteExpired, at)?;
                    s.ended_at = Some(at);
                    s.incomplete_expires_at = None;
                    s.updated_at = at;
                    Ok(())
                })
                .await
            }
            Step::TrialNotice => {
                self.modify(subscription, |s| {
                    still_due(s)?;
                    s.trial_notice_sent = true;
                    s.announce("subscription.trial_will_end", at, None, None);
                    Ok(())
                })
                .await
            }
            Step::UpcomingNotice => {
                self.modify(subscription, |s| {
                    still_due(s)?;
                    s.upcoming_notice_period = Some(s.periods_started);
                    s.announce("invoice.upcoming", at, None, None);
                    Ok(())
                })
                .await
            }
            Step::EndAtPeriodEnd => {
                self.modify(subscription, |s| {
                    still_due(s)?;
                    s.transition(SubscriptionStatus::Canceled, at)?;
                    s.ended_at = Some(at);
                    s.dunning = None;
                    s.updated_at = at;
                    Ok(())
                })
                .await
            }
            Step::StartPeriod => {
                let claimed = self
                    .modify(subscription, |s| {
                        still_due(s)?;
                        s.claim_next_period(at)
                    })
                    .await;
                return match claimed {
                    Ok(claimed) => self.drive_charge(claimed).await,
                    Err(CoreError::Conflict { code: "step_taken", .. }) => Ok(Progress::Done),
                    Err(err) => Err(err),
                };
            }
            Step::Retry => {
                let claimed = self
                    .modify(subscription, |s| {
                        still_due(s)?;
                        let dunning =
                            s.dunning.clone().ok_or_else(|| CoreError::Internal("retry without dunning".into()))?;
                        s.charge = Some(Charge {
                            period: dunning.period,
                            attempt: dunning.failed_attempts,
                            checkout_id: s.period_checkout_id(dunning.period),
                            transaction_id: new_id("txn"),
                            billed_at: at,
                            lease_until: real_now() + CHARGE_LEASE_MICROS,
                            awaiting_provider: false,
                        });
                        s.updated_at = at;
                        Ok(())
                    })
                    .await;
                return match claimed {
                    Ok(claimed) => self.drive_charge(claimed).await,
                    Err(CoreError::Conflict { code: "step_taken", .. }) => Ok(Progress::Done),
                    Err(err) => Err(err),
                };
            }
        };
        match changed {
            Ok(changed) => self.announce_subscription(changed).await.map(|_| Progress::Done),
            Err(CoreError::Conflict { code: "step_taken", .. }) => Ok(Progress::Done),
            Err(err) => Err(err),
        }
    }

    /// Brings the claimed charge to its outcome: its checkout and
    /// transaction exist (created with the ids the claim fixed, so a retry
    /// finds them), the provider is charged with the transaction id as
    /// idempotency key, and the outcome is applied. Safe to run again and
    /// concurrently.
    pub(crate) async fn drive_charge(&self, subscription: Subscription) -> CoreResult<Progress> {
        let Some(charge) = subscription.charge.clone() else { return Ok(Progress::Done) };
        let checkout = self.renewal_checkout(&subscription, &charge).await?;
        let transaction = match self.get::<Transaction>(&charge.transaction_id).await? {
            Some(transaction) => transaction,
            None => self.insert_charge_transaction(&subscription, &charge, &checkout).await?,
        };
        if checkout.transaction_id.as_deref() != Some(charge.transaction_id.as_str()) {
            self.point_checkout_at(&checkout, &charge.transaction_id).await?;
        }
        if matches!(transaction.status, TransactionStatus::Pending | TransactionStatus::Processing)
            && !transaction.awaiting_provider
        {
            self.process_payment(&transaction.id).await?;
        }
        let transaction =
            self.get::<Transaction>(&charge.transaction_id).await?.ok_or(CoreError::NotFound(Transaction::NAME))?;
        match transaction.status {
            TransactionStatus::Pending | TransactionStatus::Processing => {
                if transaction.awaiting_provider {
                    // The provider decides later (a bank debit): its webhook
                    // settles the transaction, and the follow-up the
                    // subscription. Look again after a while, not at once.
                    self.extend_charge_lease(&subscription.id, &charge.transaction_id).await?;
                    Ok(Progress::Done)
                } else {
                    Ok(Progress::Blocked)
                }
            }
            _ => {
                if transaction.follow_up {
                    self.follow_up(transaction).await?;
                } else {
                    self.settle_subscription_charge(&transaction, transaction.invoice_id.clone()).await?;
                }
                Ok(Progress::Done)
            }
        }
    }

    async fn extend_charge_lease(&self, id: &str, transaction_id: &str) -> CoreResult<()> {
        let extended = self
            .update::<Subscription, _>(id, |s| match &mut s.charge {
                Some(charge) if charge.transaction_id == transaction_id => {
                    charge.lease_until = real_now() + CHARGE_LEASE_MICROS;
                    charge.awaiting_provider = true;
                    Ok(())
                }
                _ => Err(CoreError::conflict("charge_settled", "settled meanwhile")),
            })
            .await;
        match extended {
            Ok(_) | Err(CoreError::Conflict { code: "charge_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The checkout a period's charges are recorded on: created at the
    /// first attempt with the customer's current details, found again by
    /// every later one.
    async fn renewal_checkout(&self, subscription: &Subscription, charge: &Charge) -> CoreResult<Checkout> {
        if let Some(checkout) = self.get::<Checkout>(&charge.checkout_id).await? {
            return Ok(checkout);
        }
        let customer = self.get::<Customer>(&subscription.customer_id).await?;
        let details = customer.map(|c| c.details()).unwrap_or_default();
        let period_end = subscription.period_start(charge.period + 1)?;
        let description = format!(
            "{} ({} – {})",
            subscription.plan_name,
            day(subscription.period_start(charge.period)?),
            day(period_end)
        );
        let checkout = Checkout {
            id: charge.checkout_id.clone(),
            version: 0,
            created_at: real_now(),
            organization_id: subscription.organization_id.clone(),
            livemode: subscription.livemode,
            site_id: subscription.site_id.clone(),
            status: CheckoutStatus::Processing,
            amount: subscription.amount,
            currency: subscription.currency.clone(),
            description,
            customer: Some(details),
            line_items: vec![LineItem {
                name: subscription.plan_name.clone(),
                quantity: 1,
                amount: subscription.amount,
            }],
            capture_method: CaptureMethod::Automatic,
            ipn_url: subscription.ipn_url.clone(),
            success_url: None,
            cancel_url: None,
            metadata: Default::default(),
            expires_at: NEVER,
            transaction_id: Some(charge.transaction_id.clone()),
            follow_up: false,
            vat_validation: subscription.vat_validation.clone(),
            failed_attempts: 0,
            counted_failure: None,
            mode: CheckoutMode::Renewal,
            plan_id: Some(subscription.plan_id.clone()),
            customer_id: Some(subscription.customer_id.clone()),
            subscription_id: Some(subscription.id.clone()),
            trial_days: 0,
        };
        match self.insert(&checkout).await {
            Err(CoreError::Store(StoreError::Duplicate { .. })) => {
                self.get::<Checkout>(&checkout.id).await?.ok_or(CoreError::NotFound(Checkout::NAME))
            }
            other => other,
        }
    }

    /// A dunning retry pays the period's checkout again with a new
    /// transaction, as a payer's second attempt would.
    async fn point_checkout_at(&self, checkout: &Checkout, transaction_id: &str) -> CoreResult<()> {
        let pointed = self
            .modify(checkout.clone(), |c| {
                if c.transaction_id.as_deref() == Some(transaction_id) {
                    return Err(CoreError::conflict("checkout_in_sync", "already pointed"));
                }
                c.status = CheckoutStatus::Processing;
                c.transaction_id = Some(transaction_id.to_owned());
                Ok(())
            })
            .await;
        match pointed {
            Ok(_) | Err(CoreError::Conflict { code: "checkout_in_sync", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    async fn insert_charge_transaction(
        &self,
        subscription: &Subscription,
        charge: &Charge,
        checkout: &Checkout,
    ) -> CoreResult<Transaction> {
        let now = real_now();
        let tax = self.assess_tax(checkout, charge.billed_at).await?;
        let mut transaction = Transaction::new_pending(
            charge.transaction_id.clone(),
            checkout,
            subscription.payment_method.clone(),
            self.provider_client(subscription.provider_id.as_deref()).await?.name(),
            subscription.provider_id.clone(),
            tax,
            now,
        );
        transaction.subscription_id = Some(subscription.id.clone());
        transaction.billed_at = Some(charge.billed_at);
        match self.insert(&transaction).await {
            Err(CoreError::Store(StoreError::Duplicate { .. })) => {
                self.get::<Transaction>(&transaction.id).await?.ok_or(CoreError::NotFound(Transaction::NAME))
            }
            other => other,
        }
    }

    /// Applies a settled charge transaction to its subscription: a success
    /// pays the period (and ends dunning), a failure starts or continues
    /// dunning. Only the subscription's claimed charge counts, once.
    pub(crate) async fn settle_subscription_charge(
        &self,
        transaction: &Transaction,
        invoice_id: Option<String>,
    ) -> CoreResult<()> {
        let Some(subscription_id) = transaction.subscription_id.as_deref() else { return Ok(()) };
        let succeeded = match transaction.status {
            TransactionStatus::Succeeded => true,
            TransactionStatus::Failed | TransactionStatus::Canceled => false,
            _ => return Ok(()),
        };
        let Some(subscription) = self.get::<Subscription>(subscription_id).await? else { return Ok(()) };
        let retry_days = self.retry_days(&subscription.organization_id).await?;
        let failure_code = transaction.failure_code.clone().unwrap_or_default();
        let settled = self
            .modify(subscription, |s| {
                let charge = match &s.charge {
                    Some(charge) if charge.transaction_id == transaction.id => charge.clone(),
                    _ => return Err(CoreError::conflict("charge_settled", "applied already")),
                };
                let at = if s.test_clock_id.is_some() { charge.billed_at } else { real_now().max(charge.billed_at) };
                s.charge = None;
                s.latest_transaction_id = Some(transaction.id.clone());
                s.updated_at = at;
                if succeeded {
                    s.pay_period(&charge, at, invoice_id.clone(), &transaction.id)
                } else {
                    s.fail_charge(&charge, at, &failure_code, &retry_days, &transaction.id)
                }
            })
            .await;
        match settled {
            Ok(settled) => self.announce_subscription(settled).await,
            Err(CoreError::Conflict { code: "charge_settled", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The organization's dunning schedule (days after the failed charge).
    async fn retry_days(&self, organization_id: &str) -> CoreResult<Vec<u32>> {
        let organization = self.get_cached::<Organization>(organization_id).await?;
        Ok(organization.and_then(|o| o.dunning_retry_days).unwrap_or_else(|| DEFAULT_RETRY_DAYS.to_vec()))
    }

    /// Records the subscription's pending IPN events as deliveries (each
    /// once, by its derived id), then removes them from the document.
    pub(crate) async fn announce_subscription(&self, subscription: Subscription) -> CoreResult<()> {
        if subscription.pending_events.is_empty() {
            return Ok(());
        }
        let recorded: Vec<u64> = subscription.pending_events.iter().map(|e| e.seq).collect();
        self.record_subscription_events(&subscription).await?;
        let cleared = self
            .modify(subscription, |s| {
                let before = s.pending_events.len();
                s.pending_events.retain(|e| !recorded.contains(&e.seq));
                if s.pending_events.len() == before {
                    return Err(CoreError::conflict("events_recorded", "recorded already"));
                }
                Ok(())
            })
            .await;
        match cleared {
            Ok(_) | Err(CoreError::Conflict { code: "events_recorded", .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

/// The step due next, as a runner on this subscription's clock sees it: on
/// a test clock, work in flight is due at once (its clock does not move
/// while it is finished), except a charge the provider settles later by
/// webhook (a bank debit), which no advance can hurry: nothing is due until
/// that webhook (or the transaction's own check with the provider) settles
/// it.
pub(crate) fn step_due(subscription: &Subscription, clocked: bool) -> Option<(i64, Step)> {
    let (at, step) = subscription.next_step()?;
    if !clocked {
        return Some((at, step));
    }
    Some(match step {
        Step::Announce => (i64::MIN, step),
        Step::DriveCharge => match &subscription.charge {
            Some(charge) if charge.awaiting_provider => return None,
            charge => (charge.as_ref().map_or(i64::MIN, |c| c.billed_at), step),
        },
        _ => (at, step),
    })
}

fn day(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

impl Subscription {
    /// The checkout a period's charges are recorded on.
    pub(crate) fn period_checkout_id(&self, period: u32) -> String {
        match (&self.charge, &self.dunning) {
            (Some(charge), _) if charge.period == period => charge.checkout_id.clone(),
            (_, Some(dunning)) if dunning.period == period => dunning.checkout_id.clone(),
            _ => new_id("chk"),
        }
    }

    /// Starts the next paid period and claims its charge.
    pub(crate) fn claim_next_period(&mut self, at: i64) -> CoreResult<()> {
        let index = self.periods_started;
        let start = self.period_start(index)?;
        let end = self.period_start(index + 1)?;
        self.current_period_start = start;
        self.current_period_end = end;
        self.periods_started = index + 1;
        self.charge = Some(Charge {
            period: index,
            attempt: 0,
            checkout_id: new_id("chk"),
            transaction_id: new_id("txn"),
            billed_at: at.max(start),
            lease_until: real_now() + CHARGE_LEASE_MICROS,
            awaiting_provider: false,
        });
        self.updated_at = at;
        Ok(())
    }

    pub(crate) fn pay_period(
        &mut self,
        charge: &Charge,
        at: i64,
        invoice_id: Option<String>,
        transaction_id: &str,
    ) -> CoreResult<()> {
        self.dunning = None;
        self.incomplete_expires_at = None;
        self.periods_paid += 1;
        if invoice_id.is_some() {
            self.latest_invoice_id = invoice_id.clone();
            self.announce("invoice.created", at, Some(transaction_id.to_owned()), invoice_id.clone());
        }
        if charge.period > 0 {
            self.announce("subscription.renewed", at, Some(transaction_id.to_owned()), invoice_id);
        }
        if self.status != SubscriptionStatus::Active {
            self.transition(SubscriptionStatus::Active, at)?;
        }
        Ok(())
    }

    pub(crate) fn fail_charge(
        &mut self,
        charge: &Charge,
        at: i64,
        failure_code: &str,
        retry_days: &[u32],
        transaction_id: &str,
    ) -> CoreResult<()> {
        self.announce("subscription.payment_failed", at, Some(transaction_id.to_owned()), None);
        if self.status == SubscriptionStatus::Incomplete {
            // The first payment of a subscription made through the API:
            // it stays incomplete until it expires.
            return Ok(());
        }
        let mut dunning = match self.dunning.take() {
            Some(dunning) if dunning.period == charge.period => dunning,
            _ => {
                self.retry_days = retry_days.to_vec();
                Dunning {
                    period: charge.period,
                    failed_at: charge.billed_at,
                    failed_attempts: 0,
                    next_retry_at: None,
                    last_failure_code: String::new(),
                    checkout_id: charge.checkout_id.clone(),
                }
            }
        };
        dunning.failed_attempts += 1;
        dunning.last_failure_code = failure_code.to_owned();
        let hard = HARD_DECLINE_CODES.contains(&failure_code);
        dunning.next_retry_at = if hard {
            None
        } else {
            let index = (dunning.failed_attempts - 1) as usize;
            self.retry_days.get(index).map(|days| dunning.failed_at + i64::from(*days) * DAY_MICROS)
        };
        let exhausted = dunning.next_retry_at.is_none();
        self.dunning = Some(dunning);
        if self.status != SubscriptionStatus::PastDue {
            self.transition(SubscriptionStatus::PastDue, at)?;
        }
        if exhausted {
            self.transition(SubscriptionStatus::Unpaid, at)?;
        }
        Ok(())
    }
}

impl Transaction {
    /// A new transaction paying `checkout`, not yet sent to the provider.
    pub(crate) fn new_pending(
        id: String,
        checkout: &Checkout,
        payment_method: crate::providers::PaymentMethod,
        provider: &str,
        provider_id: Option<String>,
        tax: crate::domain::taxation::SaleTax,
        now: i64,
    ) -> Self {
        let mut transaction = Transaction {
            id,
            trace_context: paygate_contract::telemetry::origin_traceparent(),
            version: 0,
            created_at: now,
            updated_at: now,
            organization_id: checkout.organization_id.clone(),
            livemode: checkout.livemode,
            site_id: checkout.site_id.clone(),
            checkout_id: checkout.id.clone(),
            status: TransactionStatus::Pending,
            amount: checkout.amount,
            currency: checkout.currency.clone(),
            capture_method: checkout.capture_method,
            payment_method,
            provider: provider.to_owned(),
            provider_id,
            provider_reference: None,
            awaiting_provider: false,
            provider_check_at: 0,
            provider_checks: 0,
            next_action: None,
            disputes: Vec::new(),
            failure_code: None,
            failure_message: None,
            amount_captured: 0,
            amount_refunded: 0,
            refunds: Vec::new(),
            history: vec![StatusChange { status: TransactionStatus::Pending, at: now }],
            pending_action: None,
            capture_amount: None,
            action_id: None,
            action_failures: Vec::new(),
            // Leased to nobody yet: the scheduler re-drives it after this.
            lease_until: now + WORK_LEASE_MICROS,
            attempts: 0,
            refund_retries: 0,
            follow_up: false,
            needs_work: true,
            swept_until: 0,
            invoice_id: None,
            tax,
            subscription_id: None,
            billed_at: None,
            customer_id: checkout.customer_id.clone(),
            setup_only: false,
            customer_email: None,
            customer_email_key: None,
        };
        let email = checkout.customer.as_ref().map(|c| c.email.trim()).filter(|e| !e.is_empty());
        if let Some(email) = email {
            transaction.customer_email = Some(email.to_owned());
            transaction.customer_email_key = Some(crate::domain::transactions::email_key(email));
        }
        transaction.refresh_needs_work();
        transaction
    }
}
