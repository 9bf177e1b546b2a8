//! Who is calling: an API key from `authorization: Bearer sk_…` metadata,
//! resolved by its hash, with its scopes; or a signed-in user's access
//! token (a JWT), with their role's permissions.

use std::sync::Arc;

use super::{
    Core, Entity, Owned,
    api_keys::{ApiKey, KeyMode},
    identity::{
        sessions::{RequestContext, UserActor},
        users::key_permissions,
    },
};
use crate::{
    crypto::sha256_hex,
    error::{CoreError, CoreResult},
    store::Filter,
};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub organization_id: String,
    /// The API key, or for a signed-in user the user's id.
    pub key_id: String,
    /// Permissions: a key's scopes, or a user's role's. Shared: a key's
    /// are worked out once and kept with it in the read cache.
    pub scopes: Arc<[String]>,
    pub mode: KeyMode,
    /// Set when a signed-in user calls, not an API key.
    pub user: Option<UserActor>,
    /// The client's address as the edge saw it (for the audit log).
    pub client_ip: String,
}

impl Principal {
    /// Who the state-change log names: ids only.
    pub fn actor(&self) -> super::state_log::Actor {
        match &self.user {
            Some(user) => super::state_log::Actor::User(user.id.clone()),
            None => super::state_log::Actor::ApiKey(self.key_id.clone()),
        }
    }

    pub fn require(&self, scope: &'static str) -> CoreResult<()> {
        if self.scopes.iter().any(|s| s == scope) { Ok(()) } else { Err(CoreError::MissingScope(scope)) }
    }

    /// A `sk_live_` key works on live objects, a `sk_test_` key on test ones.
    pub fn livemode(&self) -> bool {
        self.mode == KeyMode::Live
    }

    /// The tenancy rule: a caller sees and touches only its own
    /// organization's objects of its own mode.
    pub fn owns<T: Owned>(&self, item: &T) -> bool {
        item.organization_id() == self.organization_id && item.livemode() == self.livemode()
    }

    /// The store filter that finds exactly what [`Principal::owns`].
    pub fn tenant_filter(&self) -> Filter {
        super::tenant_filter(&self.organization_id, self.livemode())
    }
}

/// An API key as the read cache keeps it: with the permissions its scopes
/// grant, worked out when it was read rather than on every request.
struct KnownKey {
    key: ApiKey,
    permissions: Arc<[String]>,
}

fn unauthenticated(code: &'static str, message: &str) -> CoreError {
    CoreError::Unauthenticated { code, message: message.to_owned() }
}

impl Core {
    /// The key whose secret this is, through the read cache: every API
    /// request asks, and a key changes only when it is revoked (which
    /// forgets the cache here at once, and on other replicas within the
    /// cache's time to live).
    async fn api_key_by_secret(&self, secret: &str) -> CoreResult<Option<Arc<KnownKey>>> {
        let hash = sha256_hex(secret.as_bytes());
        let collection = <ApiKey as Entity>::COLLECTION;
        if let Some(key) = self.cache.get::<KnownKey>(collection, &hash) {
            return Ok(Some(key));
        }
        let read_at = std::time::Instant::now();
        let Some(document) = self.store.find_one(collection, "keyHash", &hash.clone().into()).await? else {
            return Ok(None);
        };
        let key = super::from_document::<ApiKey>(document)?;
        let known = Arc::new(KnownKey { permissions: key_permissions(&key.scopes).into(), key });
        self.cache.put(collection, &hash, Arc::clone(&known), read_at);
        Ok(Some(known))
    }

    /// Resolves the `authorization` value and checks `scope`. A missing,
    /// malformed, unknown or revoked key (or an invalid, expired or ended
    /// access token) is 401; a missing permission 403.
    pub async fn authenticate(&self, authorization: Option<&str>, scope: &'static str) -> CoreResult<Principal> {
        self.authenticate_in(authorization, &RequestContext::default(), scope).await
    }

    /// [`Core::authenticate`] with where the request came from and the
    /// mode a signed-in user asked for.
    pub async fn authenticate_in(
        &self,
        authorization: Option<&str>,
        context: &RequestContext,
        scope: &'static str,
    ) -> CoreResult<Principal> {
        let principal = self.identify(authorization, context).await?;
        if principal.user.as_ref().is_some_and(|u| u.enrolling) {
            return Err(CoreError::Forbidden {
                code: "two_factor_enrollment_required",
                message: "your organization requires two-factor sign-in: set it up under your account first".into(),
            });
        }
        principal.require(scope)?;
        Ok(principal)
    }

    /// Who is calling, without checking a permission: for the routes every
    /// signed-in user may use on their own account, even while two-factor
    /// set-up is still due.
    pub async fn identify(&self, authorization: Option<&str>, context: &RequestContext) -> CoreResult<Principal> {
        let value = authorization
            .ok_or_else(|| unauthenticated("api_key_missing", "send an API key as Authorization: Bearer sk_..."))?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthenticated("api_key_missing", "send an API key as Authorization: Bearer sk_..."))?;
        if secret.starts_with("eyJ") && secret.len() <= 4096 {
            // Boxed: a signed-in user's path (token, session, membership)
            // would otherwise enlarge every API key request's future.
            let principal = Box::pin(self.authenticate_user(secret, context)).await?;
            super::state_log::set_actor(principal.actor());
            return Ok(principal);
        }
        let invalid = || unauthenticated("api_key_invalid", "the API key is invalid or revoked");
        if !(secret.starts_with("sk_test_") || secret.starts_with("sk_live_")) || secret.len() > 200 {
            return Err(invalid());
        }
        let known = self.api_key_by_secret(secret).await?.ok_or_else(invalid)?;
        let key = &known.key;
        if key.revoked_at.is_some() {
            return Err(invalid());
        }
        let principal = Principal {
            organization_id: key.organization_id.clone(),
            key_id: key.id.clone(),
            scopes: Arc::clone(&known.permissions),
            mode: key.mode,
            user: None,
            client_ip: context.ip.clone(),
        };
        super::state_log::set_actor(principal.actor());
        Ok(principal)
    }
}
