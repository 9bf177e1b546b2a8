//! Sites: a merchant's shops. Each has a webhook signing secret
//! (`whsec_` + base64 of 32 random bytes), sealed at rest and shown once.

use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Core, Entity, auth::Principal, now_micros};
use crate::{
    crypto::SecretString,
    error::{CoreError, CoreResult},
    ids::{is_id, new_id},
    store::{Page, StoreError},
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    pub name: String,
    /// A custom checkout host name the merchant points at Paygate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_domain: Option<String>,
    /// `v1:` sealed `whsec_…`, bound to the site id.
    pub webhook_secret_sealed: String,
    /// The secret a rotation replaced, sealed like the current one: IPNs
    /// are signed with both until `previousWebhookSecretExpiresAt`, so a
    /// merchant can switch secrets without rejecting an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_webhook_secret_sealed: Option<String>,
    #[serde(default)]
    pub previous_webhook_secret_expires_at: i64,
}

/// How long IPNs stay signed with the secret a rotation replaced.
pub const WEBHOOK_SECRET_OVERLAP_MICROS: i64 = 24 * 3600 * 1_000_000;

impl Entity for Site {
    const COLLECTION: &'static str = "sites";
    const NAME: &'static str = "site";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

fn new_webhook_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::new(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// A lowercase DNS host name: labels of letters, digits and hyphens.
fn checkout_domain(value: &str) -> CoreResult<Option<String>> {
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    if value.is_empty() {
        return Ok(None);
    }
    let valid = value.len() <= 253
        && value.contains('.')
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Ok(Some(value))
    } else {
        Err(CoreError::field("checkoutDomain", "domain_invalid", "checkoutDomain must be a DNS host name"))
    }
}

impl Core {
    pub async fn create_site(
        &self,
        organization_id: &str,
        name: &str,
        domain: &str,
    ) -> CoreResult<(Site, SecretString)> {
        let name = super::validate::name("name", name)?;
        let checkout_domain = checkout_domain(domain)?;
        let id = new_id("site");
        let secret = new_webhook_secret();
        let site = Site {
            webhook_secret_sealed: self.sealing.seal(secret.expose(), &id)?,
            id,
            version: 0,
            created_at: now_micros(),
            organization_id: organization_id.to_owned(),
            name,
            checkout_domain,
            previous_webhook_secret_sealed: None,
            previous_webhook_secret_expires_at: 0,
        };
        match self.insert(&site).await {
            Ok(site) => Ok((site, secret)),
            Err(CoreError::Store(StoreError::Duplicate { field })) if field == "checkoutDomain" => {
                Err(CoreError::field("checkoutDomain", "domain_taken", "another site already uses this checkoutDomain"))
            }
            Err(err) => Err(err),
        }
    }

    /// The site if it belongs to the caller's organization; another
    /// organization's site is indistinguishable from a missing one.
    pub async fn owned_site(&self, principal: &Principal, id: &str) -> CoreResult<Site> {
        if !is_id("site", id) {
            return Err(CoreError::NotFound(Site::NAME));
        }
        match self.get::<Site>(id).await? {
            Some(site) if site.organization_id == principal.organization_id => Ok(site),
            _ => Err(CoreError::NotFound(Site::NAME)),
        }
    }

    pub async fn list_sites(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<Site>, bool)> {
        self.list(&vec![("organizationId", principal.organization_id.clone().into())], page).await
    }

    pub async fn rotate_webhook_secret(&self, principal: &Principal, id: &str) -> CoreResult<(Site, SecretString)> {
        self.owned_site(principal, id).await?;
        let secret = new_webhook_secret();
        let sealed = self.sealing.seal(secret.expose(), id)?;
        let site = self
            .update::<Site, _>(id, |site| {
                // Only the secret in use until now overlaps: a second
                // rotation within the overlap retires the oldest at once.
                let replaced = std::mem::replace(&mut site.webhook_secret_sealed, sealed.clone());
                site.previous_webhook_secret_sealed = Some(replaced);
                site.previous_webhook_secret_expires_at = self.now() + WEBHOOK_SECRET_OVERLAP_MICROS;
                Ok(())
            })
            .await?;
        Ok((site, secret))
    }

    /// The site's signing secret, opened for signing.
    pub fn webhook_secret(&self, site: &Site) -> CoreResult<SecretString> {
        self.sealing.open(&site.webhook_secret_sealed, &site.id)
    }

    /// The secret a rotation replaced, while its overlap lasts.
    pub fn previous_webhook_secret(&self, site: &Site) -> CoreResult<Option<SecretString>> {
        match &site.previous_webhook_secret_sealed {
            Some(sealed) if site.previous_webhook_secret_expires_at > self.now() => {
                self.sealing.open(sealed, &site.id).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Whether TLS may be issued for `domain`: one of the gateway's own
    /// hostnames, or a site's custom checkout domain.
    pub async fn domain_is_owned(&self, domain: &str) -> CoreResult<bool> {
        let Ok(Some(domain)) = checkout_domain(domain) else {
            return Ok(false);
        };
        if self.settings.platform_domains.contains(&domain) {
            return Ok(true);
        }
        Ok(self.store.find_one(Site::COLLECTION, "checkoutDomain", &domain.into()).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_documented_shape() {
        let secret = new_webhook_secret();
        let encoded = secret.expose().strip_prefix("whsec_").expect("prefix");
        assert!(STANDARD.decode(encoded).expect("base64").len() >= 24);
    }

    #[test]
    fn domains() {
        assert_eq!(checkout_domain("Pay.Shop.Example.").ok().flatten().as_deref(), Some("pay.shop.example"));
        assert_eq!(checkout_domain("").ok().flatten(), None);
        assert!(checkout_domain("bad domain").is_err());
        assert!(checkout_domain("localhost").is_err());
    }
}
