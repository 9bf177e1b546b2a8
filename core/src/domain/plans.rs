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
