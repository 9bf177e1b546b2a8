//! Plans: what a subscription charges, and how often. The price fields
//! never change once a plan exists (a new price is a new plan), so every
//! subscription and invoice on a plan means the same amount; a plan can be
//! renamed, and deactivated to stop new subscriptions.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, Owned, auth::Principal, checkouts::MAX_AMOUNT, idempotency::Idempotent, tenant_filter};
use crate::{
    error::{CoreError, CoreResult},
    money::Currency,
    store::Page,
};

/// Longest free trial a plan may give.
pub const MAX_TRIAL_DAYS: u32 = 730;
/// Most intervals one period may span.
pub const MAX_INTERVAL_COUNT: u32 = 365;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    pub const ALL: [Self; 4] = [Self::Day, Self::Week, Self::Month, Self::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|interval| interval.as_str() == value)
    }

    /// The end of period `periods` of a schedule that starts at `anchor`
    /// (microseconds, UTC) and lasts `count` intervals per period. Always
    /// counted from the anchor, never from the previous end, so a monthly
    /// schedule anchored on Jan 31 ends Feb 28 (29 in leap years), then
    /// Mar 31: a short month clamps the day without losing it, and a yearly
    /// one anchored on Feb 29 ends on Feb 28 in other years. `None` beyond
    /// the calendar's range.
    pub fn boundary(self, anchor: i64, count: u32, periods: u32) -> Option<i64> {
        let start = chrono::DateTime::from_timestamp_micros(anchor)?;
        let steps = count.checked_mul(periods)?;
        let end = match self {
            Self::Day => start.checked_add_signed(chrono::TimeDelta::try_days(i64::from(steps))?),
            Self::Week => start.checked_add_signed(chrono::TimeDelta::try_weeks(i64::from(steps))?),
            Self::Month => start.checked_add_months(chrono::Months::new(steps)),
            Self::Year => start.checked_add_months(chrono::Months::new(steps.checked_mul(12)?)),
        }?;
        Some(end.timestamp_micros())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    pub livemode: bool,
    pub name: String,
    /// Gross, in minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub interval: Interval,
    pub interval_count: u32,
    pub trial_days: u32,
    pub active: bool,
}

impl Entity for Plan {
    const COLLECTION: &'static str = "plans";
    const NAME: &'static str = "plan";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
}

impl Owned for Plan {
    const ID_PREFIX: &'static str = "plan";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// `POST /api/v1/plans` as sent; absent numbers are `None`, never zero.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewPlan {
    pub name: String,
    pub amount: Option<i64>,
    pub currency: String,
    pub interval: String,
    pub interval_count: Option<i64>,
    pub trial_days: Option<i64>,
}

struct ValidPlan {
    name: String,
    amount: i64,
    currency: &'static str,
    interval: Interval,
    interval_count: u32,
    trial_days: u32,
}

fn validate(request: &NewPlan) -> CoreResult<ValidPlan> {
    let name = super::validate::name("name", &request.name)?;
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
    let interval = Interval::parse(request.interval.trim()).ok_or_else(|| {
        CoreError::field("interval", "interval_invalid", "interval must be \"day\", \"week\", \"month\" or \"year\"")
    })?;
    let interval_count = match request.interval_count {
        None => 1,
        Some(count) => {
            u32::try_from(count).ok().filter(|count| (1..=MAX_INTERVAL_COUNT).contains(count)).ok_or_else(|| {
                CoreError::field(
                    "intervalCount",
                    "interval_count_invalid",
                    format!("intervalCount must be between 1 and {MAX_INTERVAL_COUNT}"),
                )
            })?
        }
    };
    let trial_days = match request.trial_days {
        None => 0,
        Some(days) => u32::try_from(days).ok().filter(|days| *days <= MAX_TRIAL_DAYS).ok_or_else(|| {
            CoreError::field(
                "trialDays",
                "trial_days_invalid",
                format!("trialDays must be between 0 and {MAX_TRIAL_DAYS}"),
            )
        })?,
    };
    Ok(ValidPlan { name, amount, currency: currency.code(), interval, interval_count, trial_days })
}

impl Core {
    pub async fn create_plan(
        &self,
        principal: &Principal,
        idempotency_key: &str,
        request: &NewPlan,
    ) -> CoreResult<Idempotent<Plan>> {
        let valid = validate(request)?;
        let fingerprint = super::idempotency::fingerprint(request)?;
        self.idempotent(principal, "plan.create", idempotency_key, fingerprint, "plan", |id| async move {
            let now = self.now();
            let plan = Plan {
                id,
                version: 0,
                created_at: now,
                updated_at: now,
                organization_id: principal.organization_id.clone(),
                livemode: principal.livemode(),
                name: valid.name.clone(),
                amount: valid.amount,
                currency: valid.currency.to_owned(),
                interval: valid.interval,
                interval_count: valid.interval_count,
                trial_days: valid.trial_days,
                active: true,
            };
            self.insert(&plan).await
        })
        .await
    }

    /// The caller's plan (see [`Core::owned`]).
    pub async fn owned_plan(&self, principal: &Principal, id: &str) -> CoreResult<Plan> {
        self.owned(principal, id).await
    }

    /// Renames and/or (de)activates; the price fields cannot change.
    pub async fn update_plan(
        &self,
        principal: &Principal,
        id: &str,
        name: Option<&str>,
        active: Option<bool>,
    ) -> CoreResult<Plan> {
        let plan = self.owned_plan(principal, id).await?;
        let name = name.map(|name| super::validate::name("name", name)).transpose()?;
        self.modify(plan, |plan| {
            if let Some(name) = &name {
                plan.name = name.clone();
            }
            if let Some(active) = active {
                plan.active = active;
            }
            plan.updated_at = self.now();
            Ok(())
        })
        .await
    }

    /// Newest first; `active` narrows to active or inactive plans.
    pub async fn list_plans(
        &self,
        principal: &Principal,
        active: Option<bool>,
        page: &Page,
    ) -> CoreResult<(Vec<Plan>, bool)> {
        let mut filter = tenant_filter(&principal.organization_id, principal.livemode());
        if let Some(active) = active {
            filter.push(("active", active.into()));
        }
        self.list(&filter, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> NewPlan {
        NewPlan {
            name: "Pro".into(),
            amount: Some(1900),
            currency: "EUR".into(),
            interval: "month".into(),
            ..NewPlan::default()
        }
    }

    fn refused(request: NewPlan) -> String {
        match validate(&request) {
            Err(CoreError::InvalidField { param, .. }) => param,
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    fn micros(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_micros()).unwrap_or_else(|err| panic!("{err}"))
    }

    fn ends(interval: Interval, anchor: &str, count: u32, periods: u32) -> Vec<String> {
        (1..=periods)
            .map(|n| {
                let end = interval.boundary(micros(anchor), count, n).unwrap_or_else(|| panic!("period {n}"));
                chrono::DateTime::from_timestamp_micros(end)
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn months_keep_their_anchor_day_through_short_months() {
        assert_eq!(
            ends(Interval::Month, "2027-01-31T09:30:00Z", 1, 4),
            ["2027-02-28 09:30", "2027-03-31 09:30", "2027-04-30 09:30", "2027-05-31 09:30"]
        );
        assert_eq!(ends(Interval::Month, "2028-01-31T00:00:00Z", 1, 2), ["2028-02-29 00:00", "2028-03-31 00:00"]);
        assert_eq!(ends(Interval::Month, "2027-01-30T00:00:00Z", 3, 2), ["2027-04-30 00:00", "2027-07-30 00:00"]);
        assert_eq!(
            ends(Interval::Month, "2027-01-15T12:00:00Z", 1, 13).last().map(String::as_str),
            Some("2028-02-15 12:00")
        );
    }

    #[test]
    fn years_anchored_on_february_29_end_on_the_28th_in_other_years() {
        assert_eq!(
            ends(Interval::Year, "2028-02-29T08:00:00Z", 1, 4),
            ["2029-02-28 08:00", "2030-02-28 08:00", "2031-02-28 08:00", "2032-02-29 08:00"]
        );
    }

    #[test]
    fn days_and_weeks_are_exact_and_the_calendar_has_an_end() {
        assert_eq!(
            ends(Interval::Day, "2027-02-27T23:00:00Z", 1, 3),
            ["2027-02-28 23:00", "2027-03-01 23:00", "2027-03-02 23:00"]
        );
        assert_eq!(ends(Interval::Week, "2027-12-27T00:00:00Z", 2, 1), ["2028-01-10 00:00"]);
        assert_eq!(Interval::Year.boundary(micros("2027-01-01T00:00:00Z"), MAX_INTERVAL_COUNT, u32::MAX), None);
    }

    #[test]
    fn plans_are_checked_field_by_field() {
        let valid = validate(&request()).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((valid.interval_count, valid.trial_days, valid.currency), (1, 0, "EUR"));
        assert_eq!(refused(NewPlan { amount: Some(0), ..request() }), "amount");
        assert_eq!(refused(NewPlan { amount: Some(-5), ..request() }), "amount");
        assert_eq!(refused(NewPlan { amount: None, ..request() }), "amount");
        assert_eq!(refused(NewPlan { currency: "EURO".into(), ..request() }), "currency");
        assert_eq!(refused(NewPlan { interval: "fortnight".into(), ..request() }), "interval");
        assert_eq!(refused(NewPlan { interval_count: Some(0), ..request() }), "intervalCount");
        assert_eq!(refused(NewPlan { interval_count: Some(366), ..request() }), "intervalCount");
        assert_eq!(refused(NewPlan { trial_days: Some(731), ..request() }), "trialDays");
        assert_eq!(refused(NewPlan { trial_days: Some(-1), ..request() }), "trialDays");
        assert_eq!(refused(NewPlan { name: " ".into(), ..request() }), "name");
        let edge = validate(&NewPlan { interval_count: Some(365), trial_days: Some(730), ..request() });
        assert!(edge.is_ok());
    }
}
