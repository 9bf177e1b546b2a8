//! Customers: the people or businesses a merchant bills again and again,
//! with the details invoices print. One organization's, of one mode.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Core, Entity, Owned,
    auth::Principal,
    checkouts::{self, Address},
    idempotency::Idempotent,
    locale::Language,
    tenant_filter,
};
use crate::{error::CoreResult, store::Page};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    pub livemode: bool,
    /// Trimmed, as validated; indexed for `?email=`.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub vat_id: String,
    /// The language of the customer's invoices and credit notes.
    #[serde(default)]
    pub language: Language,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The test clock it lives on (test mode only), fixed at creation.
    #[serde(default)]
    pub test_clock_id: Option<String>,
}

impl Customer {
    /// The details a checkout or invoice prints.
    pub fn details(&self) -> checkouts::Customer {
        checkouts::Customer {
            email: self.email.clone(),
            name: self.name.clone(),
            vat_id: self.vat_id.clone(),
            address: self.address.clone(),
            language: self.language,
        }
    }
}

impl Entity for Customer {
    const COLLECTION: &'static str = "customers";
    const NAME: &'static str = "customer";
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

impl Owned for Customer {
    const ID_PREFIX: &'static str = "cus";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// What a merchant sends; on `PATCH`, `None` leaves a field alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CustomerInput {
    pub email: Option<String>,
    pub name: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    pub language: Option<Language>,
    pub metadata: Option<BTreeMap<String, String>>,
    /// On create only: the test clock the customer lives on.
    pub test_clock_id: Option<String>,
}

/// The validated details of `input` over `current`.
fn merged(current: &checkouts::Customer, input: &CustomerInput) -> CoreResult<checkouts::Customer> {
    let details = checkouts::Customer {
        email: input.email.clone().unwrap_or_else(|| current.email.clone()),
        name: input.name.clone().unwrap_or_else(|| current.name.clone()),
        vat_id: input.vat_id.clone().unwrap_or_else(|| current.vat_id.clone()),
        address: input.address.clone().or_else(|| current.address.clone()),
        language: input.language.unwrap_or(current.language),
    };
    checkouts::validate_customer("", &details)
}

impl Core {
    pub async fn create_customer(
        &self,
        principal: &Principal,
        idempotency_key: &str,
        input: &CustomerInput,
    ) -> CoreResult<Idempotent<Customer>> {
        let details = merged(&checkouts::Customer::default(), input)?;
        let metadata = input.metadata.clone().unwrap_or_default();
        checkouts::validate_metadata(&metadata)?;
        let fingerprint = super::idempotency::fingerprint(input)?;
        let test_clock_id = match input.test_clock_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => Some(self.owned_test_clock(principal, id).await?.id),
            None => None,
        };
        self.idempotent(principal, "customer.create", idempotency_key, fingerprint, "cus", |id| async move {
            let now = self.now();
            let customer = Customer {
                id,
                version: 0,
                created_at: now,
                updated_at: now,
                organization_id: principal.organization_id.clone(),
                livemode: principal.livemode(),
                email: details.email.clone(),
                name: details.name.clone(),
                address: details.address.clone(),
                vat_id: details.vat_id.clone(),
                language: details.language,
                metadata: metadata.clone(),
                test_clock_id: test_clock_id.clone(),
            };
            self.insert(&customer).await
        })
        .await
    }

    /// The caller's customer (see [`Core::owned`]).
    pub async fn owned_customer(&self, principal: &Principal, id: &str) -> CoreResult<Customer> {
        self.owned(principal, id).await
    }

    pub async fn update_customer(
        &self,
        principal: &Principal,
        id: &str,
        input: &CustomerInput,
    ) -> CoreResult<Customer> {
        let customer = self.owned_customer(principal, id).await?;
        if let Some(metadata) = &input.metadata {
            checkouts::validate_metadata(metadata)?;
        }
        self.modify(customer, |customer| {
            let current = checkouts::Customer {
                email: customer.email.clone(),
                name: customer.name.clone(),
                vat_id: customer.vat_id.clone(),
                address: customer.address.clone(),
                language: customer.language,
            };
            let details = merged(&current, input)?;
            customer.email = details.email;
            customer.name = details.name;
            customer.vat_id = details.vat_id;
            customer.address = details.address;
            customer.language = details.language;
            if let Some(metadata) = &input.metadata {
                customer.metadata = metadata.clone();
            }
            customer.updated_at = self.now();
            Ok(())
        })
        .await
    }

    /// Newest first; `email` narrows to exactly that address.
    pub async fn list_customers(
        &self,
        principal: &Principal,
        email: &str,
        page: &Page,
    ) -> CoreResult<(Vec<Customer>, bool)> {
        let mut filter = tenant_filter(&principal.organization_id, principal.livemode());
        if !email.trim().is_empty() {
            filter.push(("email", super::validate::email("email", email)?.into()));
        }
        self.list(&filter, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CoreError;

    #[test]
    fn patches_merge_over_what_is_stored_and_are_validated_whole() {
        let current = checkouts::Customer { email: "a@example.com".into(), name: "Ada".into(), ..Default::default() };
        let input = CustomerInput { name: Some("Ada Lovelace".into()), ..Default::default() };
        let details = merged(&current, &input).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((details.email.as_str(), details.name.as_str()), ("a@example.com", "Ada Lovelace"));
        assert_eq!(details.language, Language::En, "English unless chosen");
        let german = CustomerInput { language: Some(Language::De), ..Default::default() };
        assert_eq!(merged(&details, &german).map(|d| d.language).ok(), Some(Language::De));
        let renamed = CustomerInput { name: Some("Ada L.".into()), ..Default::default() };
        let current = checkouts::Customer { language: Language::Fr, ..current };
        assert_eq!(merged(&current, &renamed).map(|d| d.language).ok(), Some(Language::Fr), "kept when absent");
        let bad = CustomerInput { email: Some("not an email".into()), ..Default::default() };
        assert!(matches!(merged(&current, &bad), Err(CoreError::InvalidField { param, .. }) if param == "email"));
    }
}
