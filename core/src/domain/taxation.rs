//! Which tax a sale carries: the rule for the billing country, or reverse
//! charge for a VIES-confirmed business customer in another member state.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, checkouts::Checkout, organizations::Organization};
use crate::{
    error::{CoreError, CoreResult},
    tax::{self, TaxedDocument},
    vat::{VatStatus, VatValidation},
};

/// The tax of one sale, fixed when the transaction is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SaleTax {
    /// The country whose rate applies (ISO 3166), when known.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub rate_bps: u32,
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub rule_name: Option<String>,
    /// 0 % because the buyer accounts for VAT.
    #[serde(default)]
    pub reverse_charge: bool,
    /// The buyer's VAT ID as validated (prefix + number).
    #[serde(default)]
    pub buyer_vat_id: Option<String>,
    #[serde(default)]
    pub document: TaxedDocument,
}

/// The country of a VAT prefix (`EL` → `GR`; `XI` stays Northern Ireland).
fn vat_prefix_country(prefix: &str) -> &str {
    crate::vat::eu_member(prefix).map_or(prefix, |member| member.country_code)
}

/// Reverse charge applies when VIES confirmed the buyer's VAT ID and it is
/// of another member state than the seller's. Unverified IDs (VIES down)
/// do not qualify: charging VAT is the safe default.
fn reverse_charge(validation: Option<&VatValidation>, seller_country: &str) -> bool {
    let Some(validation) = validation else { return false };
    validation.status == VatStatus::Valid
        && !seller_country.is_empty()
        && crate::vat::eu_member(seller_country).is_some()
        && vat_prefix_country(&validation.country_code) != seller_country
}

impl Core {
    /// Computes the tax of paying `checkout` now: per line item, so the
    /// lines add up to the amount charged.
    pub async fn assess_tax(&self, checkout: &Checkout, at: i64) -> CoreResult<SaleTax> {
        let org = self
            .get_cached::<Organization>(&checkout.organization_id)
            .await?
            .ok_or(CoreError::NotFound(Organization::NAME))?;
        let address = checkout.customer.as_ref().and_then(|c| c.address.as_ref());
        // Without a billing country the sale is taken as domestic.
        let country = address
            .map(|a| a.country.clone())
            .filter(|c| !c.is_empty())
            .or_else(|| (!org.seller_country.is_empty()).then(|| org.seller_country.clone()));
        let region = address.map(|a| a.region.as_str()).unwrap_or_default();
        let validation = checkout.vat_validation.as_ref();
        let buyer_vat_id = validation
            .filter(|v| v.status != VatStatus::Invalid)
            .map(|v| format!("{}{}", v.country_code, v.vat_number));
        let reverse = reverse_charge(validation, &org.seller_country);
        let rule = match (&country, reverse) {
            (Some(country), false) => {
                self.applicable_rule(
                    &checkout.organization_id,
                    checkout.livemode,
                    &checkout.site_id,
                    country,
                    region,
                    at,
                )
                .await?
            }
            _ => None,
        };
        let rate_bps = rule.as_ref().map(|r| r.rate_bps).unwrap_or(0);
        let lines: Vec<(String, i64, i64)> =
            checkout.line_items.iter().map(|l| (l.name.clone(), l.quantity, l.amount)).collect();
        let document =
            tax::tax_lines(&lines, rate_bps).ok_or_else(|| CoreError::Internal("line items overflow".into()))?;
        Ok(SaleTax {
            country,
            rate_bps,
            rule_id: rule.as_ref().map(|r| r.id.clone()),
            rule_name: rule.map(|r| r.name),
            reverse_charge: reverse,
            buyer_vat_id,
            document,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vat::VatSource;

    fn validation(status: VatStatus, prefix: &str) -> VatValidation {
        VatValidation {
            valid: status == VatStatus::Valid,
            status,
            country_code: prefix.into(),
            vat_number: "123".into(),
            name: None,
            address: None,
            checked_at: chrono::Utc::now(),
            source: VatSource::Vies,
            reason: None,
        }
    }

    #[test]
    fn reverse_charge_needs_a_confirmed_id_of_another_member_state() {
        assert!(reverse_charge(Some(&validation(VatStatus::Valid, "FR")), "DE"));
        assert!(reverse_charge(Some(&validation(VatStatus::Valid, "EL")), "DE"));
        assert!(!reverse_charge(Some(&validation(VatStatus::Valid, "EL")), "GR"), "EL is Greece");
        assert!(!reverse_charge(Some(&validation(VatStatus::Valid, "DE")), "DE"), "domestic");
        assert!(!reverse_charge(Some(&validation(VatStatus::Unverified, "FR")), "DE"), "VIES down");
        assert!(!reverse_charge(Some(&validation(VatStatus::Invalid, "FR")), "DE"));
        assert!(!reverse_charge(None, "DE"));
        assert!(!reverse_charge(Some(&validation(VatStatus::Valid, "FR")), ""), "seller country unknown");
        assert!(!reverse_charge(Some(&validation(VatStatus::Valid, "FR")), "US"), "seller outside the EU");
    }
}
