//! Organizations: the tenant boundary. Everything else belongs to one. An
//! organization is also the seller on its invoices.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, auth::Principal, checkouts::Address, identity::users::Role, now_micros, validate};
use crate::{
    error::{CoreError, CoreResult},
    ids::new_id,
};

pub const DEFAULT_INVOICE_PREFIX: &str = "INV";
pub const DEFAULT_CREDIT_NOTE_PREFIX: &str = "CN";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub name: String,
    /// The seller's legal name on invoices; `name` when empty.
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub vat_id: String,
    /// Where the seller is established: decides reverse charge.
    #[serde(default)]
    pub seller_country: String,
    #[serde(default)]
    pub invoice_prefix: String,
    #[serde(default)]
    pub credit_note_prefix: String,
    /// Days after a failed renewal on which it is retried; `None` keeps
    /// the default (1, 3, 5, 7).
    #[serde(default)]
    pub dunning_retry_days: Option<Vec<u32>>,
    /// Contact details printed with the seller on invoices.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub website: String,
    /// The company's number in its register (`HRB 123456`, `RCS Paris
    /// 123 456 789`) and the court or registry keeping it.
    #[serde(default)]
    pub registration_number: String,
    #[serde(default)]
    pub register_court: String,
    /// Every user must sign in with a second factor; users without one
    /// can only set it up until they do.
    #[serde(default)]
    pub require_two_factor: bool,
}

impl Entity for Organization {
    const COLLECTION: &'static str = "organizations";
    const CACHED: bool = true;
    const NAME: &'static str = "organization";
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

impl Organization {
    pub fn invoice_prefix(&self) -> &str {
        if self.invoice_prefix.is_empty() { DEFAULT_INVOICE_PREFIX } else { &self.invoice_prefix }
    }

    pub fn credit_note_prefix(&self) -> &str {
        if self.credit_note_prefix.is_empty() { DEFAULT_CREDIT_NOTE_PREFIX } else { &self.credit_note_prefix }
    }

    pub fn seller_name(&self) -> &str {
        if self.legal_name.is_empty() { &self.name } else { &self.legal_name }
    }
}

/// Seller details as the merchant sends them; `None` leaves a field as is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    pub seller_country: Option<String>,
    pub invoice_prefix: Option<String>,
    pub credit_note_prefix: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub registration_number: Option<String>,
    pub register_court: Option<String>,
    /// Empty → back to the default schedule.
    pub dunning_retry_days: Option<Vec<u32>>,
    /// Owners only.
    pub require_two_factor: Option<bool>,
}

/// Most retries a dunning schedule may have, and the latest day one may
/// fall on.
pub const MAX_DUNNING_RETRIES: usize = 10;
pub const MAX_DUNNING_DAY: u32 = 60;

/// A schedule of strictly increasing days, 1 to 60, at most 10 of them.
pub fn validate_retry_days(days: &[u32]) -> CoreResult<Option<Vec<u32>>> {
    if days.is_empty() {
        return Ok(None);
    }
    let increasing = days.windows(2).all(|pair| pair[0] < pair[1]);
    let in_range = days.iter().all(|day| (1..=MAX_DUNNING_DAY).contains(day));
    if days.len() > MAX_DUNNING_RETRIES || !increasing || !in_range {
        return Err(CoreError::field(
            "dunningRetryDays",
            "dunning_retry_days_invalid",
            format!(
                "dunningRetryDays must be at most {MAX_DUNNING_RETRIES} strictly increasing days between 1 and {MAX_DUNNING_DAY}"
            ),
        ));
    }
    Ok(Some(days.to_vec()))
}

fn document_prefix(param: &str, value: &str) -> CoreResult<String> {
    let value = value.trim().to_ascii_uppercase();
    let valid = (1..=12).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(value)
    } else {
        Err(CoreError::field(param, "prefix_invalid", format!("{param} must be 1 to 12 letters, digits or '-'")))
    }
}

/// `""` clears a contact field; anything else must be well formed.
fn contact(
    param: &str,
    value: Option<&str>,
    check: fn(&str, &str) -> CoreResult<String>,
) -> CoreResult<Option<String>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(String::new())),
        Some(value) => check(param, value).map(Some),
    }
}

/// `+49 30 1234567`, `(030) 123-4567`: digits with the usual separators.
fn phone(param: &str, value: &str) -> CoreResult<String> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c));
    if allowed && (4..=20).contains(&digits) && value.len() <= 30 && !value[1..].contains('+') {
        Ok(value.to_owned())
    } else {
        Err(CoreError::field(param, "phone_invalid", format!("{param} must be a phone number such as +49 30 1234567")))
    }
}

/// A web address as printed: `shop.example`, `https://shop.example/about`.
fn website(param: &str, value: &str) -> CoreResult<String> {
    let with_scheme = if value.contains("://") { value.to_owned() } else { format!("https://{value}") };
    let valid = value.len() <= 200
        && !value.chars().any(char::is_whitespace)
        && url::Url::parse(&with_scheme).is_ok_and(|url| {
            matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| h.contains('.'))
        });
    if valid {
        Ok(value.to_owned())
    } else {
        Err(CoreError::field(param, "website_invalid", format!("{param} must be a web address such as shop.example")))
    }
}

fn register_text(param: &str, value: &str) -> CoreResult<String> {
    validate::text(param, value, 100).map(str::to_owned)
}

impl Core {
    pub async fn create_organization(&self, name: &str) -> CoreResult<Organization> {
        let name = validate::name("name", name)?;
        self.insert(&Organization {
            id: new_id("org"),
            version: 0,
            created_at: now_micros(),
            name,
            legal_name: String::new(),
            address: None,
            vat_id: String::new(),
            seller_country: String::new(),
            invoice_prefix: String::new(),
            credit_note_prefix: String::new(),
            dunning_retry_days: None,
            email: String::new(),
            phone: String::new(),
            website: String::new(),
            registration_number: String::new(),
            register_court: String::new(),
            require_two_factor: false,
        })
        .await
    }

    pub async fn current_organization(&self, principal: &Principal) -> CoreResult<Organization> {
        self.get_cached::<Organization>(&principal.organization_id)
            .await?
            .ok_or(CoreError::NotFound(Organization::NAME))
    }

    /// Updates the seller details printed on future invoices (issued ones
    /// keep the details they were issued with).
    pub async fn update_organization(
        &self,
        principal: &Principal,
        update: &OrganizationUpdate,
    ) -> CoreResult<Organization> {
        let name = update.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
        let legal_name =
            update.legal_name.as_deref().map(|n| validate::text("legalName", n.trim(), 200)).transpose()?;
        let seller_country = update
            .seller_country
            .as_deref()
            .map(|c| if c.trim().is_empty() { Ok(String::new()) } else { validate::country("sellerCountry", c) })
            .transpose()?;
        let vat_id = match update.vat_id.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(String::new()),
            Some(value) => {
                let id = crate::vat::normalize(value)
                    .and_then(|id| crate::vat::check_format(&id).map(|()| id))
                    .map_err(|err| CoreError::field("vatId", "vat_id_invalid", format!("vatId: {err}")))?;
                Some(id.full())
            }
        };
        let address = update
            .address
            .as_ref()
            .map(|a| -> CoreResult<Address> {
                Ok(Address {
                    country: validate::country("address.country", &a.country)?,
                    line1: validate::text("address.line1", a.line1.trim(), 200)?.to_owned(),
                    line2: validate::text("address.line2", a.line2.trim(), 200)?.to_owned(),
                    city: validate::text("address.city", a.city.trim(), 100)?.to_owned(),
                    postal_code: validate::text("address.postalCode", a.postal_code.trim(), 20)?.to_owned(),
                    region: validate::text("address.region", a.region.trim(), 100)?.to_owned(),
                })
            })
            .transpose()?;
        let invoice_prefix =
            update.invoice_prefix.as_deref().map(|p| document_prefix("invoicePrefix", p)).transpose()?;
        let credit_note_prefix =
            update.credit_note_prefix.as_deref().map(|p| document_prefix("creditNotePrefix", p)).transpose()?;
        let dunning_retry_days = update.dunning_retry_days.as_deref().map(validate_retry_days).transpose()?;
        let email = contact("email", update.email.as_deref(), validate::email)?;
        let phone = contact("phone", update.phone.as_deref(), phone)?;
        let website = contact("website", update.website.as_deref(), website)?;
        let registration_number = contact("registrationNumber", update.registration_number.as_deref(), register_text)?;
        let register_court = contact("registerCourt", update.register_court.as_deref(), register_text)?;
        if update.require_two_factor.is_some() && !principal.user.as_ref().is_some_and(|u| u.role == Role::Owner) {
            return Err(CoreError::Forbidden {
                code: "owner_required",
                message: "only an owner can change requireTwoFactor".into(),
            });
        }
        self.update::<Organization, _>(&principal.organization_id, |org| {
            if let Some(require) = update.require_two_factor {
                org.require_two_factor = require;
            }
            if let Some(days) = &dunning_retry_days {
                org.dunning_retry_days = days.clone();
            }
            if let Some(v) = &name {
                org.name = v.clone();
            }
            if let Some(v) = legal_name {
                org.legal_name = v.to_owned();
            }
            if let Some(v) = &seller_country {
                org.seller_country = v.clone();
            }
            if let Some(v) = &vat_id {
                org.vat_id = v.clone();
            }
            if address.is_some() {
                org.address = address.clone();
            }
            if let Some(v) = &invoice_prefix {
                org.invoice_prefix = v.clone();
            }
            if let Some(v) = &credit_note_prefix {
                org.credit_note_prefix = v.clone();
            }
            for (field, value) in [
                (&mut org.email, &email),
                (&mut org.phone, &phone),
                (&mut org.website, &website),
                (&mut org.registration_number, &registration_number),
                (&mut org.register_court, &register_court),
            ] {
                if let Some(value) = value {
                    field.clone_from(value);
                }
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(result: CoreResult<Option<String>>) -> String {
        match result {
            Err(CoreError::InvalidField { param, .. }) => param,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn contact_details_are_checked_and_can_be_cleared() {
        assert_eq!(contact("phone", Some(" +49 30 1234567 "), phone).ok().flatten().as_deref(), Some("+49 30 1234567"));
        assert_eq!(contact("phone", Some("(030) 123-4567"), phone).ok().flatten().as_deref(), Some("(030) 123-4567"));
        assert_eq!(contact("phone", Some(""), phone).ok(), Some(Some(String::new())), "cleared");
        assert_eq!(contact("phone", None, phone).ok(), Some(None), "left alone");
        for bad in ["call me", "12", "+49 +30 1234", "+49 30 1234567 ext. 5"] {
            assert_eq!(param(contact("phone", Some(bad), phone)), "phone", "{bad}");
        }
        assert!(contact("website", Some("shop.example"), website).is_ok());
        assert!(contact("website", Some("https://shop.example/about"), website).is_ok());
        for bad in ["not a site", "localhost", "ftp://shop.example", "javascript:alert(1)"] {
            assert_eq!(param(contact("website", Some(bad), website)), "website", "{bad}");
        }
        assert_eq!(param(contact("email", Some("billing@"), validate::email)), "email");
        let long = "x".repeat(101);
        assert_eq!(param(contact("registerCourt", Some(&long), register_text)), "registerCourt");
    }
}
