//! Custom checkout domains. A site attaches a host name; it stays `pending`
//! until the merchant publishes a TXT record `_paygate-challenge.<domain>`
//! holding the domain's challenge. Only `verified` domains get certificates
//! (Caddy's `ask`) and appear in `paymentUrl`: without the proof, any
//! merchant could make the gateway request certificates for names it does
//! not control.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Core, Entity, auth::Principal, now_micros, sites::Site};
use crate::{
    error::{CoreError, CoreResult},
    store::{Page, StoreError},
};

/// Where the ownership proof is published, prefixed to the domain.
pub const CHALLENGE_LABEL: &str = "_paygate-challenge";
/// How many domains one site may hold.
pub const MAX_DOMAINS_PER_SITE: usize = 20;
/// A claim nobody proved within this time no longer blocks another site from
/// claiming the domain: otherwise anyone could squat a name they do not own.
pub const PENDING_CLAIM_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DomainStatus {
    Pending,
    Verified,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
        }
    }
}

/// One claim of a host name; its id is the host name itself, so the store's
/// id uniqueness makes a domain belong to at most one site.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutDomain {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Its site's mode.
    #[serde(default)]
    pub livemode: bool,
    pub site_id: String,
    pub status: DomainStatus,
    /// `pgv_` + 32 hex digits: the value the TXT record must hold. Public by
    /// design (it is published in DNS); it proves control, not identity.
    pub challenge: String,
    #[serde(default)]
    pub verified_at: i64,
}

impl Entity for CheckoutDomain {
    const COLLECTION: &'static str = "checkout_domains";
    const CACHED: bool = true;
    const NAME: &'static str = "domain";
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

impl CheckoutDomain {
    pub fn challenge_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.id)
    }
}

fn new_challenge() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("pgv_{}", hex::encode(bytes))
}

/// A host name as stored: lowercase ASCII (Unicode names become their
/// `xn--` form), at least two labels of letters, digits and hyphens, the
/// last one not numeric. IP addresses, wildcards and underscores are
/// refused, and so are the gateway's own host names and names under them.
pub fn parse_domain(value: &str, platform_domains: &[String], param: &str) -> CoreResult<String> {
    let invalid = |why: &str| CoreError::field(param, "domain_invalid", format!("{param} {why}"));
    let trimmed = value.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return Err(invalid("is required"));
    }
    let domain = match url::Host::parse(trimmed) {
        Ok(url::Host::Domain(domain)) => domain.to_ascii_lowercase(),
        Ok(_) => return Err(invalid("must be a host name, not an IP address")),
        Err(_) => return Err(invalid("must be a DNS host name such as pay.shop.example")),
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let well_formed = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(invalid("must be a DNS host name such as pay.shop.example (no wildcards)"));
    }
    let platform = platform_domains
        .iter()
        .any(|own| domain == *own || domain.strip_suffix(own.as_str()).is_some_and(|rest| rest.ends_with('.')));
    if platform {
        return Err(invalid("is one of the gateway's own host names"));
    }
    Ok(domain)
}

impl Core {
    /// The gateway's own names are `PAYGATE_PLATFORM_DOMAINS` and the host
    /// of the checkout base URL, which counts even when the list is unset.
    pub(crate) fn parse_checkout_domain(&self, value: &str, param: &str) -> CoreResult<String> {
        let base_host = url::Url::parse(&self.settings.checkout_base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
        let own: Vec<String> = self.settings.platform_domains.iter().cloned().chain(base_host).collect();
        parse_domain(value, &own, param)
    }

    /// Claims `domain` for `site`, pending until proven. A pending claim of
    /// another site that is older than [`PENDING_CLAIM_MICROS`] gives way.
    pub(crate) async fn claim_domain(&self, site: &Site, domain: &str) -> CoreResult<CheckoutDomain> {
        let claim = CheckoutDomain {
            id: domain.to_owned(),
            version: 0,
            created_at: now_micros(),
            organization_id: site.organization_id.clone(),
            livemode: site.livemode,
            site_id: site.id.clone(),
            status: DomainStatus::Pending,
            challenge: new_challenge(),
            verified_at: 0,
        };
        let taken = || CoreError::conflict("domain_taken", "another site already uses this domain");
        for _ in 0..2 {
            match self.insert(&claim).await {
                Err(CoreError::Store(StoreError::Duplicate { .. })) => {}
                other => return other,
            }
            let Some(existing) = self.get::<CheckoutDomain>(domain).await? else {
                continue;
            };
            if existing.site_id == site.id {
                return Err(CoreError::conflict("domain_taken", "this site already has this domain"));
            }
            let abandoned =
                existing.status == DomainStatus::Pending && existing.created_at + PENDING_CLAIM_MICROS < self.now();
            if !abandoned {
                return Err(taken());
            }
            let deleted = self.store.delete_version(CheckoutDomain::COLLECTION, domain, existing.version).await;
            self.cache.forget(CheckoutDomain::COLLECTION);
            match deleted {
                Ok(()) | Err(StoreError::NotFound | StoreError::VersionConflict) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(taken())
    }

    pub async fn add_checkout_domain(
        &self,
        principal: &Principal,
        site_id: &str,
        domain: &str,
    ) -> CoreResult<CheckoutDomain> {
        let site = self.owned_site(principal, site_id).await?;
        let domain = self.parse_checkout_domain(domain, "domain")?;
        if self.site_domains(&site.id).await?.len() >= MAX_DOMAINS_PER_SITE {
            return Err(CoreError::conflict(
                "too_many_domains",
                format!("a site holds at most {MAX_DOMAINS_PER_SITE} checkout domains"),
            ));
        }
        self.claim_domain(&site, &domain).await
    }

    /// The caller's site's claim of `domain`; anything else is not found.
    /// Domains are looked up by name, not by a prefixed id, so the tenancy
    /// rule applies through the site: a claim of the caller's own site is
    /// of the caller's organization and mode.
    async fn owned_domain(&self, principal: &Principal, site_id: &str, domain: &str) -> CoreResult<CheckoutDomain> {
        let site = self.owned_site(principal, site_id).await?;
        let Ok(domain) = self.parse_checkout_domain(domain, "domain") else {
            return Err(CoreError::NotFound(CheckoutDomain::NAME));
        };
        match self.get::<CheckoutDomain>(&domain).await? {
            Some(claim) if claim.site_id == site.id => Ok(claim),
            _ => Err(CoreError::NotFound(CheckoutDomain::NAME)),
        }
    }

    /// Looks the challenge up in DNS and marks the domain verified when it
    /// is published; a verified domain stays verified.
    pub async fn verify_checkout_domain(
        &self,
        principal: &Principal,
        site_id: &str,
        domain: &str,
    ) -> CoreResult<CheckoutDomain> {
        let claim = self.owned_domain(principal, site_id, domain).await?;
        if claim.status == DomainStatus::Verified {
            return Ok(claim);
        }
        let name = claim.challenge_name();
        let published = match self.dns.txt_records(&name).await {
            Ok(records) => records,
            Err(err) => {
                tracing::info!(domain = %claim.id, error = %err, "domain challenge lookup failed");
                return Err(CoreError::conflict(
                    "domain_unverified",
                    format!("the DNS lookup of the TXT record {name} failed; try again later"),
                ));
            }
        };
        if !published.iter().any(|value| value.trim() == claim.challenge) {
            return Err(CoreError::conflict(
                "domain_unverified",
                format!("no TXT record {name} with the value {} was found", claim.challenge),
            ));
        }
        let verified_at = self.now();
        self.modify(claim, |claim| {
            if claim.status == DomainStatus::Pending {
                claim.status = DomainStatus::Verified;
                claim.verified_at = verified_at;
            }
            Ok(())
        })
        .await
    }

    pub async fn remove_checkout_domain(
        &self,
        principal: &Principal,
        site_id: &str,
        domain: &str,
    ) -> CoreResult<CheckoutDomain> {
        let claim = self.owned_domain(principal, site_id, domain).await?;
        let deleted = self.store.delete(CheckoutDomain::COLLECTION, &claim.id).await;
        self.cache.forget(CheckoutDomain::COLLECTION);
        deleted?;
        Ok(claim)
    }

    /// Every domain the site holds, oldest first.
    /// Removes a claim a failed site creation made.
    pub(crate) async fn release_domain(&self, domain: &str) -> CoreResult<bool> {
        let deleted = self.store.delete(CheckoutDomain::COLLECTION, domain).await;
        self.cache.forget(CheckoutDomain::COLLECTION);
        Ok(deleted?)
    }

    /// Through the read cache: every checkout's `paymentUrl` asks.
    pub async fn site_domains(&self, site_id: &str) -> CoreResult<Vec<CheckoutDomain>> {
        Ok(self.site_domains_shared(site_id).await?.as_ref().clone())
    }

    /// [`Core::site_domains`] without copying what the read cache holds.
    async fn site_domains_shared(&self, site_id: &str) -> CoreResult<std::sync::Arc<Vec<CheckoutDomain>>> {
        let cache_key = format!("site:{site_id}");
        if let Some(domains) = self.cache.get::<Vec<CheckoutDomain>>(CheckoutDomain::COLLECTION, &cache_key) {
            return Ok(domains);
        }
        let read_at = std::time::Instant::now();
        let page = Page { limit: MAX_DOMAINS_PER_SITE * 2, starting_after: None };
        let result = self.store.find(CheckoutDomain::COLLECTION, &vec![("siteId", site_id.into())], &page).await?;
        let mut domains: Vec<CheckoutDomain> =
            result.data.into_iter().map(super::from_document).collect::<CoreResult<_>>()?;
        domains.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        let domains = std::sync::Arc::new(domains);
        self.cache.put(CheckoutDomain::COLLECTION, &cache_key, std::sync::Arc::clone(&domains), read_at);
        Ok(domains)
    }

    /// The domain `paymentUrl` uses: the site's first verified one.
    pub fn primary_domain(domains: &[CheckoutDomain]) -> Option<&CheckoutDomain> {
        domains
            .iter()
            .filter(|d| d.status == DomainStatus::Verified)
            .min_by(|a, b| a.verified_at.cmp(&b.verified_at).then_with(|| a.id.cmp(&b.id)))
    }

    /// Base of the site's checkout pages: its verified custom domain, else
    /// the gateway's own.
    pub async fn checkout_base_url(&self, site_id: &str) -> CoreResult<String> {
        self.checkout_url(site_id, "", "").await
    }

    /// `{path}{id}` on the site's checkout host: its verified custom domain
    /// when it has one, the gateway's own otherwise.
    pub async fn checkout_url(&self, site_id: &str, path: &str, id: &str) -> CoreResult<String> {
        let domains = self.site_domains_shared(site_id).await?;
        Ok(match Self::primary_domain(&domains) {
            Some(domain) => format!("https://{}{path}{id}", domain.id),
            None => format!("{}{path}{id}", self.settings.checkout_base_url),
        })
    }

    /// Whether TLS may be issued for `domain`: one of the gateway's own
    /// host names, or a site's custom checkout domain whose ownership was
    /// proven.
    pub async fn domain_is_owned(&self, domain: &str) -> CoreResult<bool> {
        let normalized = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if self.settings.platform_domains.contains(&normalized) {
            return Ok(true);
        }
        let Ok(domain) = self.parse_checkout_domain(domain, "domain") else {
            return Ok(false);
        };
        Ok(self.get::<CheckoutDomain>(&domain).await?.is_some_and(|claim| claim.status == DomainStatus::Verified))
    }

    /// Earlier versions granted a site's `checkoutDomain` without proof.
    /// Each such domain becomes a pending claim of its site (so it must be
    /// proven before it is served again) and leaves the site record. Safe
    /// to run at every start.
    pub async fn migrate_unproven_checkout_domains(&self) -> CoreResult<usize> {
        let mut migrated = 0;
        let mut starting_after = None;
        loop {
            let page = Page { limit: 200, starting_after: starting_after.clone() };
            let result = self.store.find(Site::COLLECTION, &Vec::new(), &page).await?;
            for document in result.data {
                let site: Site = super::from_document(document)?;
                starting_after = Some(site.id.clone());
                let Some(legacy) = site.legacy_checkout_domain.clone() else {
                    continue;
                };
                if let Ok(domain) = self.parse_checkout_domain(&legacy, "checkoutDomain") {
                    match self.claim_domain(&site, &domain).await {
                        Ok(_) | Err(CoreError::Conflict { .. }) => {}
                        Err(err) => return Err(err),
                    }
                }
                self.modify(site, |site| {
                    site.legacy_checkout_domain = None;
                    Ok(())
                })
                .await?;
                migrated += 1;
            }
            if !result.has_more {
                return Ok(migrated);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> CoreResult<String> {
        parse_domain(value, &["pay.gateway.example".to_owned()], "domain")
    }

    #[test]
    fn domains_are_lowercase_ascii_host_names() {
        assert_eq!(parse("Pay.Shop.Example.").expect("valid"), "pay.shop.example");
        assert_eq!(parse("bücher.example").expect("valid"), "xn--bcher-kva.example");
        assert_eq!(parse("xn--bcher-kva.example").expect("valid"), "xn--bcher-kva.example");
        for bad in [
            "",
            "localhost",
            "bad domain.example",
            "*.shop.example",
            "_dmarc.shop.example",
            "-x.shop.example",
            "192.168.1.10",
            "[::1]",
            "1.2.3",
            "shop.example/path",
            "user@shop.example",
            "pay.gateway.example",
            "evil.pay.gateway.example",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(parse("notpay.gateway.example").is_ok(), "a name merely ending like a platform name is not one");
    }

    #[test]
    fn challenges_are_distinct_and_shaped() {
        let (a, b) = (new_challenge(), new_challenge());
        assert_ne!(a, b);
        assert!(a.starts_with("pgv_") && a.len() == 36);
    }
}
