//! API keys: `sk_test_…` / `sk_live_…`. The secret is returned once; only
//! its SHA-256 is stored, so a leaked database does not leak keys.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, Owned, auth::Principal, now_micros};
use crate::{
    crypto::{SecretString, sha256_hex},
    error::{CoreError, CoreResult},
    ids::{new_id, random_token},
    store::Page,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KeyMode {
    Test,
    Live,
}

impl KeyMode {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Test => "sk_test_",
            Self::Live => "sk_live_",
        }
    }
}

/// Every scope a key can hold.
pub mod scopes {
    pub const CHECKOUT_CREATE: &str = "checkout:create";
    pub const CHECKOUT_READ: &str = "checkout:read";
    pub const TRANSACTIONS_READ: &str = "transactions:read";
    pub const TRANSACTIONS_WRITE: &str = "transactions:write";
    pub const SITES_READ: &str = "sites:read";
    pub const SITES_WRITE: &str = "sites:write";
    pub const KEYS_READ: &str = "keys:read";
    pub const KEYS_WRITE: &str = "keys:write";
    pub const PROVIDERS_READ: &str = "providers:read";
    pub const PROVIDERS_WRITE: &str = "providers:write";
    pub const CUSTOMERS_READ: &str = "customers:read";
    pub const CUSTOMERS_WRITE: &str = "customers:write";
    pub const PLANS_READ: &str = "plans:read";
    pub const PLANS_WRITE: &str = "plans:write";
    pub const PORTAL_WRITE: &str = "portal:write";
    pub const SUBSCRIPTIONS_READ: &str = "subscriptions:read";
    pub const SUBSCRIPTIONS_WRITE: &str = "subscriptions:write";
    /// Resending IPN deliveries.
    pub const WEBHOOKS_WRITE: &str = "webhooks:write";
    pub const USERS_READ: &str = "users:read";
    pub const USERS_WRITE: &str = "users:write";
    pub const AUDIT_READ: &str = "audit:read";

    pub const ALL: &[&str] = &[
        CHECKOUT_CREATE,
        CHECKOUT_READ,
        TRANSACTIONS_READ,
        TRANSACTIONS_WRITE,
        SITES_READ,
        SITES_WRITE,
        KEYS_READ,
        KEYS_WRITE,
        PROVIDERS_READ,
        PROVIDERS_WRITE,
        CUSTOMERS_READ,
        CUSTOMERS_WRITE,
        PLANS_READ,
        PLANS_WRITE,
        PORTAL_WRITE,
        SUBSCRIPTIONS_READ,
        SUBSCRIPTIONS_WRITE,
        WEBHOOKS_WRITE,
        USERS_READ,
        USERS_WRITE,
        AUDIT_READ,
    ];
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    pub name: String,
    pub mode: KeyMode,
    /// Stored for lists; always `mode == live` (keys written before it
    /// existed get it from their mode at start-up).
    #[serde(default)]
    pub livemode: bool,
    pub scopes: Vec<String>,
    pub key_hash: String,
    pub redacted: String,
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

impl Entity for ApiKey {
    const COLLECTION: &'static str = "api_keys";
    const CACHED: bool = true;
    const NAME: &'static str = "API key";
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

impl Owned for ApiKey {
    const ID_PREFIX: &'static str = "key";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    /// From the mode itself, which every key has always carried.
    fn livemode(&self) -> bool {
        self.mode == KeyMode::Live
    }
}

/// Checks requested scopes: known, de-duplicated, and not empty.
fn parse_scopes(requested: &[String]) -> CoreResult<Vec<String>> {
    if requested.is_empty() {
        return Err(CoreError::field("scopes", "parameter_missing", "scopes must name at least one scope"));
    }
    let mut out: Vec<String> = Vec::new();
    for scope in requested {
        if !scopes::ALL.contains(&scope.as_str()) {
            return Err(CoreError::field(
                "scopes",
                "scope_invalid",
                format!("unknown scope {scope:?}; known scopes: {}", scopes::ALL.join(", ")),
            ));
        }
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    Ok(out)
}

/// The rule for granting and revoking alike: the caller must hold every
/// scope of the key in question, and a test key touches only test keys.
fn may_manage(principal: &Principal, mode: KeyMode, key_scopes: &[String], verb: &str) -> CoreResult<()> {
    if mode == KeyMode::Live && principal.mode == KeyMode::Test {
        return Err(CoreError::Forbidden {
            code: "live_mode_forbidden",
            message: format!("a test API key cannot {verb} a live API key"),
        });
    }
    if let Some(extra) = key_scopes.iter().find(|s| !principal.scopes.contains(s)) {
        return Err(CoreError::Forbidden {
            code: "scope_not_held",
            message: format!("this API key cannot {verb} a key with {extra:?}, which it does not hold"),
        });
    }
    Ok(())
}

impl Core {
    /// Creates a key for `organization_id` and returns it with its secret —
    /// the only time the secret exists outside the caller.
    pub async fn create_api_key(
        &self,
        organization_id: &str,
        name: &str,
        mode: KeyMode,
        requested_scopes: &[String],
    ) -> CoreResult<(ApiKey, SecretString)> {
        let name = super::validate::name("name", name)?;
        let scopes = parse_scopes(requested_scopes)?;
        let secret = format!("{}{}", mode.prefix(), random_token());
        let redacted = format!("{}…{}", mode.prefix(), &secret[secret.len() - 4..]);
        let key = ApiKey {
            id: new_id("key"),
            version: 0,
            created_at: now_micros(),
            organization_id: organization_id.to_owned(),
            name,
            mode,
            livemode: mode == KeyMode::Live,
            scopes,
            key_hash: sha256_hex(secret.as_bytes()),
            redacted,
            revoked_at: None,
        };
        let key = self.insert(&key).await?;
        Ok((key, SecretString::new(secret)))
    }

    /// A key may only hand out scopes it holds itself, so a restricted key
    /// cannot mint a broader one, and a test key cannot mint a live one.
    pub async fn create_api_key_as(
        &self,
        principal: &Principal,
        name: &str,
        mode: KeyMode,
        requested_scopes: &[String],
    ) -> CoreResult<(ApiKey, SecretString)> {
        parse_scopes(requested_scopes)?;
        may_manage(principal, mode, requested_scopes, "grant")?;
        self.create_api_key(&principal.organization_id, name, mode, requested_scopes).await
    }

    /// The keys of the caller's mode: a test key never sees live keys, nor a
    /// live key test ones.
    pub async fn list_api_keys(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<ApiKey>, bool)> {
        self.list(&principal.tenant_filter(), page).await
    }

    pub async fn revoke_api_key(&self, principal: &Principal, id: &str) -> CoreResult<ApiKey> {
        let key: ApiKey = self.owned(principal, id).await?;
        self.modify(key, |key| {
            // Revoking is as strong as granting: a narrow key must not be
            // able to take a broader key out of service.
            may_manage(principal, key.mode, &key.scopes, "revoke")?;
            key.revoked_at.get_or_insert_with(now_micros);
            Ok(())
        })
        .await
    }
}
