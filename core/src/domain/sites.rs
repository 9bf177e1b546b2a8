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
    store::Page,
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
    /// A custom checkout domain granted without proof by earlier versions;
    /// start-up turns it into a pending claim (see `checkout_domains`).
    #[serde(default, rename = "checkoutDomain", skip_serializing_if = "Option::is_none")]
    pub legacy_checkout_domain: Option<String>,
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

impl Core {
    pub async fn create_site(
        &self,
        organization_id: &str,
        name: &str,
        domain: &str,
    ) -> CoreResult<(Site, SecretString)> {
        let name = super::validate::name("name", name)?;
        let domain = match domain.trim() {
            "" => None,
            domain => {
                Some(super::checkout_domains::parse_domain(domain, &self.settings.platform_domains, "checkoutDomain")?)
            }
        };
        let id = new_id("site");
        let secret = new_webhook_secret();
        let site = Site {
            webhook_secret_sealed: self.sealing.seal(secret.expose(), &id)?,
            id,
            version: 0,
            created_at: now_micros(),
            organization_id: organization_id.to_owned(),
            name,
            legacy_checkout_domain: None,
            previous_webhook_secret_sealed: None,
            previous_webhook_secret_expires_at: 0,
        };
        // The domain is claimed first, so a site never exists with a domain
        // it failed to get; like any claim it stays pending until proven.
        if let Some(domain) = &domain {
            match self.claim_domain(&site, domain).await {
                Ok(_) => {}
                Err(CoreError::Conflict { code: "domain_taken", message }) => {
                    return Err(CoreError::field("checkoutDomain", "domain_taken", message));
                }
                Err(err) => return Err(err),
            }
        }
        match self.insert(&site).await {
            Ok(site) => Ok((site, secret)),
            Err(err) => {
                if let Some(domain) = &domain
                    && let Err(cleanup) =
                        self.store.delete(super::checkout_domains::CheckoutDomain::COLLECTION, domain).await
                {
                    tracing::warn!(site = %site.id, error = %cleanup, "releasing the domain of a site not created");
                }
                Err(err)
            }
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
}
