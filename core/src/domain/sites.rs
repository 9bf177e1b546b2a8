//! Sites: a merchant's shops. Each has a webhook signing secret
//! (`whsec_` + base64 of 32 random bytes), sealed at rest and shown once.

use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Core, Entity, Owned, auth::Principal, now_micros};
use crate::{
    crypto::SecretString,
    error::{CoreError, CoreResult},
    ids::new_id,
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
    /// Test or live, from the key that created the site; its checkouts
    /// inherit it.
    #[serde(default)]
    pub livemode: bool,
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
    /// Browser origins allowed to call the checkout runtime API for this
    /// site's checkouts (CORS), as browsers send them in `Origin`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    /// The provider account charges go through; `None` = the built-in
    /// sandbox. Indexed, so a provider in use cannot be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Where IPNs go for checkouts that name no `ipnUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipn_url: Option<String>,
}

/// What `PATCH /api/v1/sites/{id}` changes; `None` leaves a field alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SiteChange<'a> {
    pub name: Option<&'a str>,
    pub allowed_origins: Option<&'a [String]>,
    /// `Some("")` returns the site to the built-in sandbox.
    pub provider_id: Option<&'a str>,
    /// `Some("")` removes the default.
    pub ipn_url: Option<&'a str>,
}

/// How many browser origins one site may allow.
pub const MAX_ALLOWED_ORIGINS: usize = 20;

/// Each value must be a bare `http(s)://host[:port]` origin; it is stored the
/// way a browser serialises it in `Origin` (lowercase, `xn--` host, default
/// port dropped), so a plain string comparison decides. No wildcards: each
/// allowed page is named.
pub fn parse_origins(values: &[String]) -> CoreResult<Vec<String>> {
    const PARAM: &str = "allowedOrigins";
    if values.len() > MAX_ALLOWED_ORIGINS {
        return Err(CoreError::field(
            PARAM,
            "origin_invalid",
            format!("at most {MAX_ALLOWED_ORIGINS} allowed origins"),
        ));
    }
    let mut origins: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let invalid = || {
            CoreError::field(
                PARAM,
                "origin_invalid",
                format!("{value:?} is not an origin such as https://shop.example"),
            )
        };
        let trimmed = value.trim();
        let url = url::Url::parse(trimmed).map_err(|_| invalid())?;
        let bare = matches!(url.scheme(), "https" | "http")
            && url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && !trimmed.contains('*');
        if !bare {
            return Err(invalid());
        }
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

/// How long IPNs stay signed with the secret a rotation replaced.
pub const WEBHOOK_SECRET_OVERLAP_MICROS: i64 = 24 * 3600 * 1_000_000;

impl Entity for Site {
    const COLLECTION: &'static str = "sites";
    const CACHED: bool = true;
    const NAME: &'static str = "site";
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

impl Owned for Site {
    const ID_PREFIX: &'static str = "site";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

pub(crate) fn new_webhook_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::new(format!("whsec_{}", STANDARD.encode(bytes)))
}

impl Core {
    /// A test-mode site on the built-in sandbox (bootstrap and tests).
    pub async fn create_site(
        &self,
        organization_id: &str,
        name: &str,
        domain: &str,
    ) -> CoreResult<(Site, SecretString)> {
        let principal = Principal {
            organization_id: organization_id.to_owned(),
            key_id: String::new(),
            scopes: std::sync::Arc::from([]),
            mode: super::api_keys::KeyMode::Test,
            user: None,
            client_ip: String::new(),
        };
        self.create_site_with_origins(&principal, name, domain, &[], "").await
    }

    pub async fn create_site_with_origins(
        &self,
        principal: &Principal,
        name: &str,
        domain: &str,
        allowed_origins: &[String],
        provider_id: &str,
    ) -> CoreResult<(Site, SecretString)> {
        let organization_id = principal.organization_id.as_str();
        let name = super::validate::name("name", name)?;
        let allowed_origins = parse_origins(allowed_origins)?;
        let provider_id = match provider_id.trim() {
            "" => None,
            id => Some(self.usable_provider(principal, id).await?.id),
        };
        let domain = match domain.trim() {
            "" => None,
            domain => Some(self.parse_checkout_domain(domain, "checkoutDomain")?),
        };
        let id = new_id("site");
        let secret = new_webhook_secret();
        let site = Site {
            webhook_secret_sealed: self.sealing.seal(secret.expose(), &id)?,
            id,
            version: 0,
            created_at: now_micros(),
            organization_id: organization_id.to_owned(),
            livemode: principal.livemode(),
            name,
            legacy_checkout_domain: None,
            previous_webhook_secret_sealed: None,
            previous_webhook_secret_expires_at: 0,
            allowed_origins,
            provider_id,
            ipn_url: None,
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
                    && let Err(cleanup) = self.release_domain(domain).await
                {
                    tracing::warn!(site = %site.id, error = %cleanup, "releasing the domain of a site not created");
                }
                Err(err)
            }
        }
    }

    /// The caller's site (see [`Core::owned`]).
    pub async fn owned_site(&self, principal: &Principal, id: &str) -> CoreResult<Site> {
        self.owned(principal, id).await
    }

    /// Renames the site, replaces its allowed origins and/or switches its
    /// provider. A new provider applies to payments started afterwards;
    /// transactions keep the provider that charged them.
    pub async fn update_site(&self, principal: &Principal, id: &str, change: &SiteChange<'_>) -> CoreResult<Site> {
        let site = self.owned_site(principal, id).await?;
        let name = change.name.map(|name| super::validate::name("name", name)).transpose()?;
        let allowed_origins = change.allowed_origins.map(parse_origins).transpose()?;
        let provider_id = match change.provider_id.map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(id) => Some(Some(self.usable_provider(principal, id).await?.id)),
        };
        let ipn_url = match change.ipn_url.map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(url) => {
                let allow_private = self.settings.ipn_allow_private;
                let url = super::validate::web_url("ipnUrl", url, allow_private)?.to_string();
                crate::ssrf::check_resolves_public("ipnUrl", &url, allow_private).await?;
                Some(Some(url))
            }
        };
        self.modify(site, |site| {
            if let Some(name) = &name {
                site.name = name.clone();
            }
            if let Some(origins) = &allowed_origins {
                site.allowed_origins = origins.clone();
            }
            if let Some(provider_id) = &provider_id {
                site.provider_id = provider_id.clone();
            }
            if let Some(ipn_url) = &ipn_url {
                site.ipn_url = ipn_url.clone();
            }
            Ok(())
        })
        .await
    }

    /// The origins the checkout's site allows; unknown checkouts are not
    /// found, exactly like the public checkout view.
    pub async fn checkout_origins(&self, checkout_id: &str) -> CoreResult<Vec<String>> {
        let checkout = self.public_checkout(checkout_id).await?;
        Ok(self.get_cached::<Site>(&checkout.site_id).await?.map(|site| site.allowed_origins).unwrap_or_default())
    }

    pub async fn list_sites(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<Site>, bool)> {
        self.list(&principal.tenant_filter(), page).await
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
    fn origins_are_stored_as_browsers_send_them() {
        let parse = |values: &[&str]| parse_origins(&values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            parse(&[
                "HTTPS://Shop.Example/",
                "https://shop.example:443",
                "http://localhost:3000",
                "https://bücher.example"
            ])
            .expect("valid"),
            ["https://shop.example", "http://localhost:3000", "https://xn--bcher-kva.example"]
        );
        for bad in [
            "*",
            "https://*.shop.example",
            "shop.example",
            "https://shop.example/pay",
            "ftp://shop.example",
            "https://user@shop.example",
            "https://shop.example?x=1",
            "null",
            "",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad:?} must be refused");
        }
        assert!(parse(&vec!["https://a.example"; MAX_ALLOWED_ORIGINS + 1]).is_err());
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let secret = new_webhook_secret();
        let encoded = secret.expose().strip_prefix("whsec_").expect("prefix");
        assert!(STANDARD.decode(encoded).expect("base64").len() >= 24);
    }
}
