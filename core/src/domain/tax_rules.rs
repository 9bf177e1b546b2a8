//! Tax rules: per organization (optionally narrowed to one site), a rate in
//! basis points for a country (and optionally a region), valid from a date.
//! The rule that applies to a sale is chosen at transaction creation.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, Owned, auth::Principal, now_micros, validate};
use crate::{
    error::{CoreError, CoreResult},
    ids::{derived_id, new_id},
    store::{Filter, Page, StoreError},
    tax::MAX_RATE_BPS,
};

/// EU standard VAT rates (basis points), for the opt-in seed.
pub const EU_STANDARD_RATES: [(&str, u32); 27] = [
    ("AT", 2000),
    ("BE", 2100),
    ("BG", 2000),
    ("CY", 1900),
    ("CZ", 2100),
    ("DE", 1900),
    ("DK", 2500),
    ("EE", 2400),
    ("GR", 2400),
    ("ES", 2100),
    ("FI", 2550),
    ("FR", 2000),
    ("HR", 2500),
    ("HU", 2700),
    ("IE", 2300),
    ("IT", 2200),
    ("LT", 2100),
    ("LU", 1700),
    ("LV", 2100),
    ("MT", 1800),
    ("NL", 2100),
    ("PL", 2300),
    ("PT", 2300),
    ("RO", 2100),
    ("SE", 2500),
    ("SI", 2200),
    ("SK", 2300),
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaxRule {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Test rules tax test sales, live rules live ones.
    #[serde(default)]
    pub livemode: bool,
    #[serde(default)]
    pub site_id: Option<String>,
    /// ISO 3166-1 alpha-2 (Greece is `GR` here; `EL` is only its VAT prefix).
    pub country: String,
    #[serde(default)]
    pub region: Option<String>,
    pub rate_bps: u32,
    pub name: String,
    /// Start of validity, microseconds since the epoch (midnight UTC).
    pub valid_from: i64,
}

impl Entity for TaxRule {
    const COLLECTION: &'static str = "tax_rules";
    const NAME: &'static str = "tax rule";
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

impl Owned for TaxRule {
    const ID_PREFIX: &'static str = "txr";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// A rule as the merchant sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaxRuleInput {
    pub site_id: String,
    pub country: String,
    pub region: String,
    pub rate_bps: Option<i64>,
    pub name: String,
    /// `YYYY-MM-DD`; empty = today.
    pub valid_from: String,
}

struct ValidRule {
    site_id: Option<String>,
    country: String,
    region: Option<String>,
    rate_bps: u32,
    name: String,
    valid_from: i64,
}

/// Accepts `EL` for Greece and `GR`; stores the ISO code.
fn rule_country(value: &str) -> CoreResult<String> {
    let upper = value.trim().to_ascii_uppercase();
    if upper == "EL" {
        return Ok("GR".to_owned());
    }
    validate::country("country", &upper)
}

fn parse_date(param: &str, value: &str) -> CoreResult<i64> {
    if value.trim().is_empty() {
        let today = chrono::Utc::now().date_naive();
        return Ok(today.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros()).unwrap_or(0));
    }
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .ok_or_else(|| CoreError::field(param, "date_invalid", format!("{param} must be a date as YYYY-MM-DD")))
}

impl Core {
    async fn validate_rule(&self, principal: &Principal, input: &TaxRuleInput) -> CoreResult<ValidRule> {
        let site_id =
            if input.site_id.is_empty() { None } else { Some(self.owned_site(principal, &input.site_id).await?.id) };
        let rate_bps = input
            .rate_bps
            .and_then(|rate| u32::try_from(rate).ok())
            .filter(|r| *r <= MAX_RATE_BPS)
            .ok_or_else(|| CoreError::field("rateBps", "rate_invalid", "rateBps must be between 0 and 10000"))?;
        let region = validate::text("region", input.region.trim(), 100)?;
        Ok(ValidRule {
            site_id,
            country: rule_country(&input.country)?,
            region: (!region.is_empty()).then(|| region.to_owned()),
            rate_bps,
            name: validate::name("name", &input.name)?,
            valid_from: parse_date("validFrom", &input.valid_from)?,
        })
    }

    pub async fn create_tax_rule(&self, principal: &Principal, input: &TaxRuleInput) -> CoreResult<TaxRule> {
        let valid = self.validate_rule(principal, input).await?;
        self.insert(&TaxRule {
            id: new_id("txr"),
            version: 0,
            created_at: now_micros(),
            organization_id: principal.organization_id.clone(),
            livemode: principal.livemode(),
            site_id: valid.site_id,
            country: valid.country,
            region: valid.region,
            rate_bps: valid.rate_bps,
            name: valid.name,
            valid_from: valid.valid_from,
        })
        .await
    }

    /// The caller's tax rule (see [`Core::owned`]).
    pub async fn owned_tax_rule(&self, principal: &Principal, id: &str) -> CoreResult<TaxRule> {
        self.owned(principal, id).await
    }

    pub async fn update_tax_rule(&self, principal: &Principal, id: &str, input: &TaxRuleInput) -> CoreResult<TaxRule> {
        self.owned_tax_rule(principal, id).await?;
        let valid = self.validate_rule(principal, input).await?;
        self.update::<TaxRule, _>(id, |rule| {
            rule.site_id = valid.site_id.clone();
            rule.country = valid.country.clone();
            rule.region = valid.region.clone();
            rule.rate_bps = valid.rate_bps;
            rule.name = valid.name.clone();
            rule.valid_from = valid.valid_from;
            Ok(())
        })
        .await
    }

    pub async fn delete_tax_rule(&self, principal: &Principal, id: &str) -> CoreResult<TaxRule> {
        let rule = self.owned_tax_rule(principal, id).await?;
        self.store.delete(TaxRule::COLLECTION, id).await?;
        Ok(rule)
    }

    pub async fn list_tax_rules(
        &self,
        principal: &Principal,
        country: &str,
        page: &Page,
    ) -> CoreResult<(Vec<TaxRule>, bool)> {
        let mut filter = principal.tenant_filter();
        if !country.is_empty() {
            filter.push(("country", rule_country(country)?.into()));
        }
        self.list(&filter, page).await
    }

    /// Creates the 27 EU standard rates for the organization, in the
    /// caller's mode. Idempotent: each rule's id derives from (organization,
    /// mode, country), so seeding twice creates nothing new.
    pub async fn seed_eu_rates(&self, principal: &Principal) -> CoreResult<Vec<TaxRule>> {
        let valid_from = parse_date("validFrom", "")?;
        let mut rules = Vec::with_capacity(EU_STANDARD_RATES.len());
        // Test seeds keep the ids they had before modes existed.
        let owner = if principal.livemode() {
            format!("{}:live", principal.organization_id)
        } else {
            principal.organization_id.clone()
        };
        for (country, rate_bps) in EU_STANDARD_RATES {
            let id = derived_id("txr", &format!("{owner}:eu-standard:{country}"));
            let rule = TaxRule {
                id: id.clone(),
                version: 0,
                created_at: now_micros(),
                organization_id: principal.organization_id.clone(),
                livemode: principal.livemode(),
                site_id: None,
                country: country.to_owned(),
                region: None,
                rate_bps,
                name: format!("VAT {country} standard"),
                valid_from,
            };
            match self.insert(&rule).await {
                Ok(rule) => rules.push(rule),
                Err(CoreError::Store(StoreError::Duplicate { .. })) => {
                    rules.extend(self.get::<TaxRule>(&id).await?);
                }
                Err(err) => return Err(err),
            }
        }
        Ok(rules)
    }

    /// The rule for a sale: same mode and country; a site's own rule
    /// before an organization-wide one; a region match before a
    /// country-wide rule; among those, the latest `validFrom` not in the
    /// future.
    pub async fn applicable_rule(
        &self,
        organization_id: &str,
        livemode: bool,
        site_id: &str,
        country: &str,
        region: &str,
        at: i64,
    ) -> CoreResult<Option<TaxRule>> {
        let mut filter: Filter = super::tenant_filter(organization_id, livemode);
        filter.push(("country", country.into()));
        let mut candidates = Vec::new();
        let mut page = Page { limit: 100, starting_after: None };
        loop {
            let (rules, has_more) = self.list::<TaxRule>(&filter, &page).await?;
            page.starting_after = rules.last().map(|r| r.id.clone());
            candidates.extend(rules);
            if !has_more {
                break;
            }
        }
        let region = region.trim();
        Ok(candidates
            .into_iter()
            .filter(|r| r.valid_from <= at)
            .filter(|r| r.site_id.as_deref().is_none_or(|s| s == site_id))
            .filter(|r| r.region.as_deref().is_none_or(|rg| rg.eq_ignore_ascii_case(region)))
            .max_by_key(|r| (r.site_id.is_some(), r.region.is_some(), r.valid_from, r.created_at)))
    }
}
