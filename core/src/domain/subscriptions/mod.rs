//! Subscriptions: a customer paying a plan every period with a saved
//! payment method.
//!
//! One document per subscription holds its whole state, and every change
//! is a compare-and-swap on it. What happens over time (trial end,
//! renewal, dunning retry, expiry, cancellation at period end, the notices
//! before them) is derived from that state by [`Subscription::next_step`],
//! so the scheduler (or a test clock's advance) only asks "what is due
//! next, and when", runs that one step, and asks again.
//!
//! A period's charge is claimed on the document before anything is sent
//! (`charge`, with the ids it will use), so a crash or a concurrent runner
//! finds the claim and finishes that charge instead of starting another:
//! one charge per period, whatever happens.
//!
//! - `manage`: the merchant's requests (create, get, list, update, cancel,
//!   resume);
//! - `billing`: the steps over time, charges and their outcomes;
//! - `clocks`: test clocks.

mod billing;
mod clocks;
mod manage;

pub use billing::HARD_DECLINE_CODES;
pub use clocks::{TestClock, TestClockStatus};
pub use manage::{CancelRequest, NewSubscription};

use serde::{Deserialize, Serialize};

use super::{Entity, Owned, plans::Interval};
use crate::{
    error::{CoreError, CoreResult},
    providers::PaymentMethod,
};

const DAY_MICROS: i64 = 86_400_000_000;
/// The latest time a clock may show (9999-12-31T23:59:59Z).
pub const LATEST_CLOCK_TIME: i64 = 253_402_300_799_000_000;
/// `invoice.upcoming` goes out this long before a renewal.
pub const UPCOMING_NOTICE_MICROS: i64 = 7 * DAY_MICROS;
/// `subscription.trial_will_end` goes out this long before a trial ends.
pub const TRIAL_NOTICE_MICROS: i64 = 3 * DAY_MICROS;
/// A subscription whose first payment has not succeeded after this long
/// becomes `incomplete_expired`.
pub const INCOMPLETE_EXPIRY_MICROS: i64 = 23 * 3_600_000_000;
/// Dunning retries, in days after the failed renewal, unless the
/// organization sets its own.
pub const DEFAULT_RETRY_DAYS: [u32; 4] = [1, 3, 5, 7];
/// A charge claimed this long ago (real time) whose runner went silent is
/// taken up again by the scheduler.
pub const CHARGE_LEASE_MICROS: i64 = 60_000_000;
/// Events left unrecorded this long after their change are recorded by
/// the scheduler.
const ANNOUNCE_GRACE_MICROS: i64 = 5_000_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
}

impl SubscriptionStatus {
    pub const ALL: [Self; 7] = [
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Unpaid,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == value)
    }

    /// The status machine. Anything else is refused, never overwritten.
    pub fn can_become(self, next: Self) -> bool {
        use SubscriptionStatus::*;
        matches!(
            (self, next),
            (Incomplete, Trialing | Active | IncompleteExpired | Canceled)
                | (Trialing, Active | PastDue | Canceled)
                | (Active, PastDue | Canceled)
                | (PastDue, Active | Unpaid | Canceled)
                | (Unpaid, Canceled)
        )
    }

    /// The IPN event that announces entering this status.
    pub fn event(self) -> &'static str {
        match self {
            Self::Incomplete | Self::Trialing => "subscription.created",
            Self::Active => "subscription.activated",
            Self::IncompleteExpired => "subscription.incomplete_expired",
            Self::PastDue => "subscription.past_due",
            Self::Unpaid => "subscription.unpaid",
            Self::Canceled => "subscription.canceled",
        }
    }

    /// Ended for good: nothing is ever charged again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Canceled | Self::IncompleteExpired)
    }
}

/// Why a subscription was canceled, as the customer or merchant said.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CancellationDetails {
    /// `too_expensive`, `missing_features`, `switched_service`, `unused`,
    /// `other`, or empty when none was given.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub comment: String,
    /// `merchant` (Admin API) or `customer` (portal).
    #[serde(default)]
    pub requested_by: String,
    /// When the cancellation was asked for (on the subscription's clock).
    #[serde(default)]
    pub requested_at: i64,
}

/// The reasons a cancellation may give.
pub const CANCELLATION_REASONS: [&str; 5] =
    ["too_expensive", "missing_features", "switched_service", "unused", "other"];

/// A period's charge, claimed before anything is sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// The paid period it pays (0 = the first).
    pub period: u32,
    /// 0 for the charge at the period's start, then one per dunning retry.
    pub attempt: u32,
    /// The checkout the charge is recorded on (one per period).
    pub checkout_id: String,
    /// This attempt's transaction; its id is the provider's idempotency key.
    pub transaction_id: String,
    /// On the subscription's clock: the invoice date.
    pub billed_at: i64,
    /// Real time until which the runner that claimed it owns it.
    pub lease_until: i64,
    /// The provider took the charge and decides later (a bank debit): its
    /// webhook settles it, and a test clock's advance does not wait for it.
    #[serde(default)]
    pub awaiting_provider: bool,
}

/// A failed period being retried.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dunning {
    pub period: u32,
    /// When the period's first charge failed (on the subscription's clock).
    pub failed_at: i64,
    pub failed_attempts: u32,
    /// The next retry, or `None` when none is left.
    pub next_retry_at: Option<i64>,
    /// The last failure's code.
    #[serde(default)]
    pub last_failure_code: String,
    /// The period's checkout, which every retry pays again.
    pub checkout_id: String,
}

/// An IPN event implied by a change, written with the change and recorded
/// as a delivery afterwards (each exactly once: its id derives from
/// `seq`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PendingEvent {
    pub seq: u64,
    pub kind: String,
    /// On the subscription's clock.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    pub livemode: bool,
    pub site_id: String,
    pub customer_id: String,
    pub plan_id: String,
    /// The plan's price and period, copied once: plans never change price.
    pub plan_name: String,
    pub amount: i64,
    pub currency: String,
    pub interval: Interval,
    pub interval_count: u32,
    pub status: SubscriptionStatus,
    pub payment_method: PaymentMethod,
    /// The provider account that charges; `None` = the built-in sandbox.
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub ipn_url: Option<String>,
    /// Indexed: a test clock's subscriptions run only when it advances.
    #[serde(default)]
    pub test_clock_id: Option<String>,
    /// The checkout that sold it, if one did.
    #[serde(default)]
    pub checkout_id: Option<String>,
    /// The customer's VAT ID as checked when it was sold.
    #[serde(default)]
    pub vat_validation: Option<crate::vat::VatValidation>,
    /// Start of the first paid period: every period boundary is counted
    /// from here, so a short month never shifts the later ones.
    pub billing_anchor: i64,
    /// Paid periods started so far; the next one to start is this index.
    pub periods_started: u32,
    pub current_period_start: i64,
    pub current_period_end: i64,
    #[serde(default)]
    pub trial_start: Option<i64>,
    #[serde(default)]
    pub trial_end: Option<i64>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub ended_at: Option<i64>,
    #[serde(default)]
    pub cancellation_details: Option<CancellationDetails>,
    #[serde(default)]
    pub latest_invoice_id: Option<String>,
    #[serde(default)]
    pub latest_transaction_id: Option<String>,
    /// The charge in flight, if any.
    #[serde(default)]
    pub charge: Option<Charge>,
    #[serde(default)]
    pub dunning: Option<Dunning>,
    /// While `incomplete`: when it expires.
    #[serde(default)]
    pub incomplete_expires_at: Option<i64>,
    /// The period whose renewal `invoice.upcoming` has announced.
    #[serde(default)]
    pub upcoming_notice_period: Option<u32>,
    #[serde(default)]
    pub trial_notice_sent: bool,
    /// Dunning retry days in force when the current dunning started.
    #[serde(default)]
    pub retry_days: Vec<u32>,
    /// Periods paid, for figures and tests.
    #[serde(default)]
    pub periods_paid: u32,
    #[serde(default)]
    pub pending_events: Vec<PendingEvent>,
    #[serde(default)]
    pub event_seq: u64,
    /// Real time after which unannounced events are due to the scheduler.
    #[serde(default)]
    pub announce_after: i64,
}

/// What a subscription has to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Record its pending IPN events.
    Announce,
    /// Finish the charge in flight.
    DriveCharge,
    /// `incomplete` too long.
    ExpireIncomplete,
    /// `subscription.trial_will_end`.
    TrialNotice,
    /// `invoice.upcoming`.
    UpcomingNotice,
    /// Start the next paid period and charge it (trial end or renewal).
    StartPeriod,
    /// Charge a period in dunning again.
    Retry,
    /// Canceled at period end.
    EndAtPeriodEnd,
}

impl Entity for Subscription {
    const COLLECTION: &'static str = "subscriptions";
    const NAME: &'static str = "subscription";
    const LOGS_STATE: bool = true;

    fn state_changes(before: Option<&Self>, after: &Self) -> Vec<crate::domain::state_log::StateChange> {
        use crate::domain::state_log::{NONE, StateChange};
        if before.is_some_and(|b| b.status == after.status) {
            return Vec::new();
        }
        let from = before.map_or(NONE, |b| b.status.as_str());
        let mut change = StateChange::new(
            "subscription",
            &after.id,
            &after.organization_id,
            after.livemode,
            from,
            after.status.as_str(),
        );
        change.amount = Some(after.amount);
        change.currency = Some(after.currency.clone());
        change.failed = matches!(after.status, SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid);
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
    /// Subscriptions on the system clock are due when their next step is;
    /// a test clock's subscriptions are never due to the scheduler (its
    /// advance runs them).
    fn due_at(&self) -> Option<i64> {
        if self.test_clock_id.is_some() {
            return None;
        }
        self.next_step().map(|(at, _)| at)
    }
}

impl Owned for Subscription {
    const ID_PREFIX: &'static str = "sub";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

impl Subscription {
    /// The start of paid period `index`.
    pub fn period_start(&self, index: u32) -> CoreResult<i64> {
        self.interval
            .boundary(self.billing_anchor, self.interval_count, index)
            .ok_or_else(|| CoreError::Internal(format!("subscription {}: period {index} out of range", self.id)))
    }

    /// The next thing to do and when: on the subscription's own clock,
    /// except for work in flight (a claimed charge, events to record),
    /// which falls due in real time once its runner is presumed gone.
    pub fn next_step(&self) -> Option<(i64, Step)> {
        if !self.pending_events.is_empty() {
            return Some((self.announce_after, Step::Announce));
        }
        if let Some(charge) = &self.charge {
            return Some((charge.lease_until, Step::DriveCharge));
        }
        let end_at_period_end = self.cancel_at_period_end.then_some((self.current_period_end, Step::EndAtPeriodEnd));
        match self.status {
            SubscriptionStatus::Incomplete => {
                self.incomplete_expires_at.map(|expires_at| (expires_at, Step::ExpireIncomplete))
            }
            SubscriptionStatus::Trialing => {
                let trial_end = self.trial_end.unwrap_or(self.current_period_end);
                if let Some(cancel) = end_at_period_end {
                    Some(cancel)
                } else if !self.trial_notice_sent {
                    let notice = (trial_end - TRIAL_NOTICE_MICROS).max(self.trial_start.unwrap_or(trial_end));
                    Some((notice.min(trial_end), Step::TrialNotice))
                } else {
                    Some((trial_end, Step::StartPeriod))
                }
            }
            SubscriptionStatus::Active => {
                if let Some(cancel) = end_at_period_end {
                    Some(cancel)
                } else if self.upcoming_notice_period != Some(self.periods_started)
                    && self.current_period_end - UPCOMING_NOTICE_MICROS > self.current_period_start
                {
                    Some((self.current_period_end - UPCOMING_NOTICE_MICROS, Step::UpcomingNotice))
                } else {
                    Some((self.current_period_end, Step::StartPeriod))
                }
            }
            SubscriptionStatus::PastDue => {
                let retry = self.dunning.as_ref().and_then(|d| d.next_retry_at).map(|at| (at, Step::Retry));
                match (retry, end_at_period_end) {
                    (Some(retry), Some(cancel)) => Some(if cancel.0 <= retry.0 { cancel } else { retry }),
                    (retry, cancel) => retry.or(cancel),
                }
            }
            SubscriptionStatus::Unpaid => end_at_period_end,
            SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired => None,
        }
    }

    /// Moves to `next` and queues the event that announces it.
    pub(crate) fn transition(&mut self, next: SubscriptionStatus, at: i64) -> CoreResult<()> {
        if !self.status.can_become(next) {
            return Err(CoreError::conflict(
                "subscription_state_invalid",
                format!("a {} subscription cannot become {}", self.status.as_str(), next.as_str()),
            ));
        }
        self.status = next;
        self.announce(next.event(), at, None, None);
        Ok(())
    }

    /// Queues one IPN event, written with the change that implies it.
    pub(crate) fn announce(&mut self, kind: &str, at: i64, transaction_id: Option<String>, invoice_id: Option<String>) {
        self.event_seq += 1;
        // Recorded right after the write; the scheduler steps in only if
        // that does not happen.
        self.announce_after = crate::domain::now_micros() + ANNOUNCE_GRACE_MICROS;
        self.pending_events.push(PendingEvent {
            seq: self.event_seq,
            kind: kind.to_owned(),
            at,
            transaction_id,
            invoice_id,
        });
    }

    /// What will be charged next and when, for a subscription that will
    /// charge again: active or trialing, and not ending at period end.
    pub fn upcoming(&self) -> Option<Upcoming> {
        let charges_again = matches!(self.status, SubscriptionStatus::Active | SubscriptionStatus::Trialing)
            && !self.cancel_at_period_end;
        charges_again.then(|| Upcoming {
            amount: self.amount,
            currency: self.currency.clone(),
            date: self.current_period_end,
        })
    }

    /// When the next charge happens, if one is planned.
    pub fn next_charge_at(&self) -> Option<i64> {
        match self.status {
            SubscriptionStatus::PastDue => self.dunning.as_ref().and_then(|d| d.next_retry_at),
            _ => self.upcoming().map(|upcoming| upcoming.date),
        }
    }
}

/// The next charge of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    pub amount: i64,
    pub currency: String,
    pub date: i64,
}

#[cfg(test)]
mod tests {
    use super::SubscriptionStatus::*;
    use super::*;

    #[test]
    fn the_status_machine_allows_only_documented_transitions() {
        let allowed = [
            (Incomplete, Trialing),
            (Incomplete, Active),
            (Incomplete, IncompleteExpired),
            (Incomplete, Canceled),
            (Trialing, Active),
            (Trialing, PastDue),
            (Trialing, Canceled),
            (Active, PastDue),
            (Active, Canceled),
            (PastDue, Active),
            (PastDue, Unpaid),
            (PastDue, Canceled),
            (Unpaid, Canceled),
        ];
        for from in SubscriptionStatus::ALL {
            for to in SubscriptionStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
    }

    const DAY: i64 = DAY_MICROS;

    fn subscription(status: SubscriptionStatus) -> Subscription {
        Subscription {
            id: "sub_1".into(),
            version: 1,
            created_at: 0,
            updated_at: 0,
            organization_id: "org_1".into(),
            livemode: false,
            site_id: "site_1".into(),
            customer_id: "cus_1".into(),
            plan_id: "plan_1".into(),
            plan_name: "Pro".into(),
            amount: 1190,
            currency: "EUR".into(),
            interval: Interval::Month,
            interval_count: 1,
            status,
            payment_method: PaymentMethod::Card { token: "tok_visa".into(), customer: None },
            provider_id: None,
            ipn_url: None,
            test_clock_id: None,
            checkout_id: None,
            vat_validation: None,
            billing_anchor: 0,
            periods_started: 1,
            current_period_start: 0,
            current_period_end: 31 * DAY,
            trial_start: None,
            trial_end: None,
            cancel_at_period_end: false,
            canceled_at: None,
            ended_at: None,
            cancellation_details: None,
            latest_invoice_id: None,
            latest_transaction_id: None,
            charge: None,
            dunning: None,
            incomplete_expires_at: None,
            upcoming_notice_period: None,
            trial_notice_sent: false,
            retry_days: DEFAULT_RETRY_DAYS.to_vec(),
            periods_paid: 1,
            pending_events: Vec::new(),
            event_seq: 0,
            announce_after: 0,
        }
    }

    #[test]
    fn an_active_subscription_announces_its_renewal_a_week_ahead_then_renews() {
        let mut active = subscription(Active);
        assert_eq!(active.next_step(), Some((24 * DAY, Step::UpcomingNotice)));
        active.upcoming_notice_period = Some(1);
        assert_eq!(active.next_step(), Some((31 * DAY, Step::StartPeriod)));
        active.cancel_at_period_end = true;
        assert_eq!(active.next_step(), Some((31 * DAY, Step::EndAtPeriodEnd)), "no renewal once canceling");
        assert_eq!(active.upcoming(), None);
    }

    #[test]
    fn a_trial_warns_three_days_ahead_and_a_short_one_at_once() {
        let mut trialing = subscription(Trialing);
        trialing.trial_start = Some(0);
        trialing.trial_end = Some(14 * DAY);
        trialing.current_period_end = 14 * DAY;
        assert_eq!(trialing.next_step(), Some((11 * DAY, Step::TrialNotice)));
        trialing.trial_notice_sent = true;
        assert_eq!(trialing.next_step(), Some((14 * DAY, Step::StartPeriod)));
        trialing.trial_notice_sent = false;
        trialing.trial_end = Some(DAY);
        assert_eq!(trialing.next_step(), Some((0, Step::TrialNotice)), "a one-day trial is warned at its start");
    }

    #[test]
    fn work_in_flight_comes_before_anything_on_the_calendar() {
        let mut active = subscription(Active);
        active.charge = Some(Charge {
            period: 1,
            attempt: 0,
            checkout_id: "chk_1".into(),
            transaction_id: "txn_1".into(),
            billed_at: 31 * DAY,
            lease_until: 5,
            awaiting_provider: false,
        });
        assert_eq!(active.next_step(), Some((5, Step::DriveCharge)));
        active.announce("subscription.renewed", 31 * DAY, None, None);
        assert!(matches!(active.next_step(), Some((_, Step::Announce))), "events are recorded first");
        assert_eq!(active.pending_events[0].seq, 1);
    }

    #[test]
    fn dunning_retries_on_its_schedule_and_a_hard_decline_ends_it() {
        let charge = Charge {
            period: 1,
            attempt: 0,
            checkout_id: "chk_1".into(),
            transaction_id: "txn_1".into(),
            billed_at: 31 * DAY,
            lease_until: 0,
            awaiting_provider: false,
        };
        let mut soft = subscription(Active);
        soft.fail_charge(&charge, 31 * DAY, "insufficient_funds", &[1, 3], "txn_1").expect("fail");
        assert_eq!(soft.status, PastDue);
        soft.pending_events.clear();
        assert_eq!(soft.next_step(), Some((32 * DAY, Step::Retry)));
        soft.fail_charge(&charge, 32 * DAY, "insufficient_funds", &[1, 3], "txn_2").expect("fail");
        soft.pending_events.clear();
        assert_eq!(soft.next_step(), Some((34 * DAY, Step::Retry)), "counted from the first failure");
        soft.fail_charge(&charge, 34 * DAY, "insufficient_funds", &[1, 3], "txn_3").expect("fail");
        assert_eq!(soft.status, Unpaid);
        soft.pending_events.clear();
        assert_eq!(soft.next_step(), None, "nothing more is charged");

        let mut hard = subscription(Active);
        hard.fail_charge(&charge, 31 * DAY, "expired_card", &[1, 3], "txn_1").expect("fail");
        assert_eq!(hard.status, Unpaid);
        let kinds: Vec<&str> = hard.pending_events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["subscription.payment_failed", "subscription.past_due", "subscription.unpaid"]);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SubscriptionStatus::parse("paused"), None);
    }
}
