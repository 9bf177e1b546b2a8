//! Provider accounts: the Stripe, GoCardless or sandbox account a site
//! charges through. Credentials and webhook signing secrets are sealed at
//! rest (bound to the record's id) and never returned; a hint of their last
//! characters is. The mode of a record is the mode of the key that created
//! it, and a secret key of the other mode is refused, so a test site can
//! never move real money.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use serde::{Deserialize, Serialize};

use super::{Core, Entity, auth::Principal, now_micros, sites::Site, validate};
use crate::{
    crypto::SecretString,
    error::{CoreError, CoreResult},
    ids::new_id,
    providers::{Provider, gocardless::GoCardlessProvider, stripe::StripeProvider},
    store::Page,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Sandbox,
    Stripe,
    #[serde(rename = "gocardless")]
    GoCardless,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Stripe => "stripe",
            Self::GoCardless => "gocardless",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Sandbox, Self::Stripe, Self::GoCardless].into_iter().find(|kind| kind.as_str() == value)
    }
}

/// The credentials as sealed: only what the provider's API needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SealedCredentials {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    secret_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    access_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAccount {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub organization_id: String,
    pub livemode: bool,
    pub kind: ProviderKind,
    pub name: String,
    /// `v1:` sealed JSON of the credentials; `None` for the sandbox.
    #[serde(default)]
    pub credentials_sealed: Option<String>,
    #[serde(default)]
    pub credentials_hint: String,
    /// Stripe's publishable key, which the checkout page needs and which
    /// Stripe designs to be public.
    #[serde(default)]
    pub publishable_key: Option<String>,
    #[serde(default)]
    pub webhook_secret_sealed: Option<String>,
    #[serde(default)]
    pub webhook_secret_hint: String,
    /// Overrides the provider's API base URL (a regional or mock endpoint).
    #[serde(default)]
    pub api_base: Option<String>,
    /// Set while a delete checks that no site uses the record; a site may
    /// not choose a retired record.
    #[serde(default)]
    pub retired: bool,
}

impl super::Owned for ProviderAccount {
    const ID_PREFIX: &'static str = "prov";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

impl Entity for ProviderAccount {
    const COLLECTION: &'static str = "providers";
    const NAME: &'static str = "provider";
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

/// What a merchant sends to create or change a record.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub kind: String,
    pub name: Option<String>,
    pub secret_key: String,
    pub publishable_key: String,
    pub access_token: String,
    pub webhook_secret: Option<String>,
    pub api_base: Option<String>,
}

impl ProviderInput {
    fn has_credentials(&self) -> bool {
        !(self.secret_key.is_empty() && self.publishable_key.is_empty() && self.access_token.is_empty())
    }
}

/// Provider clients built from records, reused while the record is
/// unchanged (a new version rebuilds it with the new credentials).
#[derive(Default)]
pub struct ProviderClients {
    built: Mutex<BuiltClients>,
}

/// Record id → (record version, client).
type BuiltClients = HashMap<String, (i64, Arc<dyn Provider>)>;

const MAX_CACHED_CLIENTS: usize = 4096;

/// GoCardless's two environments; a token works in one only.
const GOCARDLESS_LIVE_API: &str = "https://api.gocardless.com";
const GOCARDLESS_SANDBOX_API: &str = "https://api-sandbox.gocardless.com";
/// Stripe serves both modes from one base; the key decides.
pub const STRIPE_API: &str = "https://api.stripe.com";

fn hint(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

fn invalid(param: &str, code: &'static str, message: impl Into<String>) -> CoreError {
    CoreError::field(param, code, message)
}

/// The mode a Stripe key or GoCardless token belongs to, from its prefix.
fn credential_livemode(kind: ProviderKind, input: &ProviderInput) -> CoreResult<bool> {
    match kind {
        ProviderKind::Sandbox => Ok(false),
        ProviderKind::Stripe => {
            let key = input.secret_key.trim();
            let mode = if key.starts_with("sk_test_") || key.starts_with("rk_test_") {
                false
            } else if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
                true
            } else {
                return Err(invalid(
                    "credentials.secretKey",
                    "credentials_invalid",
                    "a Stripe secret key (sk_test_…, sk_live_… or a restricted rk_… key) is required",
                ));
            };
            let publishable = input.publishable_key.trim();
            if !publishable.is_empty() {
                let expected = if mode { "pk_live_" } else { "pk_test_" };
                if !publishable.starts_with(expected) {
                    return Err(invalid(
                        "credentials.publishableKey",
                        "credentials_invalid",
                        format!("the publishable key must be a {expected}… key of the same mode as the secret key"),
                    ));
                }
            }
            Ok(mode)
        }
        ProviderKind::GoCardless => {
            let token = input.access_token.trim();
            if token.starts_with("sandbox_") {
                Ok(false)
            } else if token.starts_with("live_") {
                Ok(true)
            } else {
                Err(invalid(
                    "credentials.accessToken",
                    "credentials_invalid",
                    "a GoCardless access token (sandbox_… or live_…) is required",
                ))
            }
        }
    }
}

fn check_secret_text(param: &str, value: &str) -> CoreResult<()> {
    if value.len() > 500 || value.chars().any(char::is_control) {
        return Err(invalid(param, "credentials_invalid", format!("{param} is not a credential this provider issues")));
    }
    Ok(())
}

impl Core {
    /// The public URL a provider must send this record's webhooks to.
    pub fn provider_webhook_url(&self, account: &ProviderAccount) -> String {
        format!("{}/hooks/{}/{}", self.settings.hooks_base_url, account.kind.as_str(), account.id)
    }

    pub async fn create_provider(
        &self,
        principal: &Principal,
        input: &ProviderInput,
    ) -> CoreResult<(ProviderAccount, Option<SecretString>)> {
        let kind = ProviderKind::parse(input.kind.trim()).ok_or_else(|| {
            invalid("type", "provider_type_invalid", "type must be \"sandbox\", \"stripe\" or \"gocardless\"")
        })?;
        let livemode = principal.livemode();
        if kind == ProviderKind::Sandbox && livemode {
            return Err(invalid(
                "type",
                "sandbox_live_mode",
                "live mode never uses the sandbox: connect a Stripe or GoCardless account",
            ));
        }
        let name = validate::name("name", input.name.as_deref().unwrap_or(kind.as_str()))?;
        let id = new_id("prov");
        let now = now_micros();
        let mut account = ProviderAccount {
            id: id.clone(),
            version: 0,
            created_at: now,
            updated_at: now,
            organization_id: principal.organization_id.clone(),
            livemode,
            kind,
            name,
            credentials_sealed: None,
            credentials_hint: String::new(),
            publishable_key: None,
            webhook_secret_sealed: None,
            webhook_secret_hint: String::new(),
            api_base: None,
            retired: false,
        };
        self.apply_credentials(&mut account, input)?;
        let generated = match kind {
            // The sandbox signs its own events: the gateway makes the secret.
            ProviderKind::Sandbox => {
                let secret = super::sites::new_webhook_secret();
                account.webhook_secret_sealed = Some(self.sealing.seal(secret.expose(), &id)?);
                account.webhook_secret_hint = hint(secret.expose());
                Some(secret)
            }
            _ => {
                if let Some(secret) = input.webhook_secret.as_deref().filter(|s| !s.trim().is_empty()) {
                    self.apply_webhook_secret(&mut account, secret)?;
                }
                None
            }
        };
        if let Some(base) = &input.api_base {
            account.api_base = self.parse_api_base(base).await?;
        }
        Ok((self.insert(&account).await?, generated))
    }

    fn apply_credentials(&self, account: &mut ProviderAccount, input: &ProviderInput) -> CoreResult<()> {
        if account.kind == ProviderKind::Sandbox {
            if input.has_credentials() {
                return Err(invalid("credentials", "credentials_invalid", "the sandbox takes no credentials"));
            }
            return Ok(());
        }
        check_secret_text("credentials.secretKey", &input.secret_key)?;
        check_secret_text("credentials.publishableKey", &input.publishable_key)?;
        check_secret_text("credentials.accessToken", &input.access_token)?;
        let credential_live = credential_livemode(account.kind, input)?;
        if credential_live != account.livemode {
            return Err(invalid(
                "credentials",
                "credentials_mode_mismatch",
                if account.livemode {
                    "a live key creates live providers only: these credentials are the provider's test credentials"
                } else {
                    "a test key creates test providers only: these credentials would move real money"
                },
            ));
        }
        let sealed = match account.kind {
            ProviderKind::Stripe => {
                account.publishable_key = Some(input.publishable_key.trim().to_owned()).filter(|key| !key.is_empty());
                account.credentials_hint = hint(input.secret_key.trim());
                SealedCredentials { secret_key: input.secret_key.trim().to_owned(), ..Default::default() }
            }
            ProviderKind::GoCardless => {
                account.credentials_hint = hint(input.access_token.trim());
                SealedCredentials { access_token: input.access_token.trim().to_owned(), ..Default::default() }
            }
            ProviderKind::Sandbox => return Ok(()),
        };
        let json = serde_json::to_string(&sealed).map_err(|err| CoreError::Internal(format!("credentials: {err}")))?;
        account.credentials_sealed = Some(self.sealing.seal(&json, &account.id)?);
        Ok(())
    }

    fn apply_webhook_secret(&self, account: &mut ProviderAccount, secret: &str) -> CoreResult<()> {
        let secret = secret.trim();
        if account.kind == ProviderKind::Sandbox {
            return Err(invalid("webhookSecret", "webhook_secret_invalid", "the sandbox makes its own signing secret"));
        }
        if secret.is_empty() || secret.len() > 500 || secret.chars().any(char::is_control) {
            return Err(invalid("webhookSecret", "webhook_secret_invalid", "webhookSecret is not a signing secret"));
        }
        if account.kind == ProviderKind::Stripe && !secret.starts_with("whsec_") {
            return Err(invalid(
                "webhookSecret",
                "webhook_secret_invalid",
                "a Stripe endpoint's signing secret starts with whsec_",
            ));
        }
        account.webhook_secret_sealed = Some(self.sealing.seal(secret, &account.id)?);
        account.webhook_secret_hint = hint(secret);
        Ok(())
    }

    /// `""` clears an override; anything else must be an https URL of a
    /// public host unless the operator allows private ones.
    async fn parse_api_base(&self, value: &str) -> CoreResult<Option<String>> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let parsed = url::Url::parse(value)
            .map_err(|_| invalid("apiBase", "api_base_invalid", "apiBase must be an absolute https URL"))?;
        if !matches!(parsed.scheme(), "https" | "http")
            || parsed.host_str().is_none()
            || !parsed.username().is_empty()
            || parsed.password().is_some()
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(invalid("apiBase", "api_base_invalid", "apiBase must be an absolute https URL"));
        }
        // Resolved once here; the provider client does not pin addresses,
        // so this keeps honest mistakes and plain internal names out, not
        // a name re-pointed after the check.
        crate::ssrf::check_resolves_public("apiBase", value, self.settings.provider_allow_private).await?;
        Ok(Some(value.trim_end_matches('/').to_owned()))
    }

    /// The caller's record (see [`Core::owned`]).
    pub async fn owned_provider(&self, principal: &Principal, id: &str) -> CoreResult<ProviderAccount> {
        self.owned(principal, id).await
    }

    pub async fn list_providers(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<ProviderAccount>, bool)> {
        self.list(&super::tenant_filter(&principal.organization_id, principal.livemode()), page).await
    }

    pub async fn update_provider(
        &self,
        principal: &Principal,
        id: &str,
        input: &ProviderInput,
    ) -> CoreResult<ProviderAccount> {
        let account = self.owned_provider(principal, id).await?;
        let name = input.name.as_deref().map(|name| validate::name("name", name)).transpose()?;
        let api_base = match input.api_base.as_deref() {
            Some(base) => Some(self.parse_api_base(base).await?),
            None => None,
        };
        // Sealed once, outside the retry loop: sealing is randomised.
        let mut changed = account.clone();
        if input.has_credentials() {
            self.apply_credentials(&mut changed, input)?;
        }
        if let Some(secret) = &input.webhook_secret {
            self.apply_webhook_secret(&mut changed, secret)?;
        }
        self.modify(account, |account| {
            if let Some(name) = &name {
                account.name = name.clone();
            }
            if let Some(base) = &api_base {
                account.api_base = base.clone();
            }
            if input.has_credentials() {
                account.credentials_sealed = changed.credentials_sealed.clone();
                account.credentials_hint = changed.credentials_hint.clone();
                account.publishable_key = changed.publishable_key.clone();
            }
            if input.webhook_secret.is_some() {
                account.webhook_secret_sealed = changed.webhook_secret_sealed.clone();
                account.webhook_secret_hint = changed.webhook_secret_hint.clone();
            }
            account.updated_at = now_micros();
            Ok(())
        })
        .await
    }

    /// Deletes a record no site uses. The record is retired first, so a
    /// site choosing it concurrently either sees the retirement or is seen
    /// by the check.
    pub async fn delete_provider(&self, principal: &Principal, id: &str) -> CoreResult<ProviderAccount> {
        let account = self.owned_provider(principal, id).await?;
        let retired = self
            .modify(account, |account| {
                account.retired = true;
                Ok(())
            })
            .await?;
        if self.store.find_one(Site::COLLECTION, "providerId", &id.into()).await?.is_some() {
            self.modify(retired, |account| {
                account.retired = false;
                Ok(())
            })
            .await?;
            return Err(CoreError::conflict(
                "provider_in_use",
                "a site charges through this provider: choose another provider for it first",
            ));
        }
        self.store.delete(ProviderAccount::COLLECTION, id).await?;
        Ok(retired)
    }

    /// Checks a site's choice of provider: the caller's own, same mode,
    /// not being deleted.
    pub async fn usable_provider(&self, principal: &Principal, id: &str) -> CoreResult<ProviderAccount> {
        let account = self.owned_provider(principal, id).await.map_err(|_| {
            invalid("providerId", "provider_invalid", "providerId must name one of your providers in this mode")
        })?;
        if account.retired {
            return Err(invalid("providerId", "provider_invalid", "this provider is being deleted"));
        }
        Ok(account)
    }

    /// The provider client a record stands for. The built-in sandbox
    /// serves `None` and sandbox records alike.
    pub async fn provider_client(&self, provider_id: Option<&str>) -> CoreResult<Arc<dyn Provider>> {
        let Some(id) = provider_id else { return Ok(self.provider.clone()) };
        let account = self.get::<ProviderAccount>(id).await?.ok_or(CoreError::NotFound(ProviderAccount::NAME))?;
        self.client_for(&account)
    }

    pub fn client_for(&self, account: &ProviderAccount) -> CoreResult<Arc<dyn Provider>> {
        if account.kind == ProviderKind::Sandbox {
            return Ok(self.provider.clone());
        }
        if let Some((version, client)) = self.provider_clients.lock().get(&account.id)
            && *version == account.version
        {
            return Ok(client.clone());
        }
        let credentials: SealedCredentials = match &account.credentials_sealed {
            Some(sealed) => serde_json::from_str(self.sealing.open(sealed, &account.id)?.expose())
                .map_err(|err| CoreError::Internal(format!("provider {} credentials: {err}", account.id)))?,
            None => SealedCredentials::default(),
        };
        let client: Arc<dyn Provider> = match account.kind {
            ProviderKind::Stripe => Arc::new(StripeProvider::new(
                self.provider_http.clone(),
                account.api_base.as_deref().unwrap_or(&self.settings.stripe_api_base),
                SecretString::new(credentials.secret_key),
            )),
            ProviderKind::GoCardless => {
                let default_base = if account.livemode { GOCARDLESS_LIVE_API } else { GOCARDLESS_SANDBOX_API };
                let base = account
                    .api_base
                    .as_deref()
                    .or(self.settings.gocardless_api_base.as_deref())
                    .unwrap_or(default_base);
                Arc::new(GoCardlessProvider::new(
                    self.provider_http.clone(),
                    base,
                    SecretString::new(credentials.access_token),
                ))
            }
            ProviderKind::Sandbox => self.provider.clone(),
        };
        let mut built = self.provider_clients.lock();
        if built.len() >= MAX_CACHED_CLIENTS {
            built.clear();
        }
        built.insert(account.id.clone(), (account.version, client.clone()));
        Ok(client)
    }

    /// The record's webhook signing secret, opened for verification.
    pub fn provider_webhook_secret(&self, account: &ProviderAccount) -> CoreResult<Option<SecretString>> {
        account.webhook_secret_sealed.as_deref().map(|sealed| self.sealing.open(sealed, &account.id)).transpose()
    }
}

impl ProviderClients {
    fn lock(&self) -> std::sync::MutexGuard<'_, BuiltClients> {
        self.built.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe(secret: &str, publishable: &str) -> ProviderInput {
        ProviderInput {
            kind: "stripe".into(),
            secret_key: secret.into(),
            publishable_key: publishable.into(),
            ..Default::default()
        }
    }

    #[test]
    fn credentials_tell_their_mode() {
        assert!(matches!(credential_livemode(ProviderKind::Stripe, &stripe("sk_test_abc", "")), Ok(false)));
        assert!(matches!(credential_livemode(ProviderKind::Stripe, &stripe("rk_live_abc", "pk_live_x")), Ok(true)));
        assert!(credential_livemode(ProviderKind::Stripe, &stripe("sk_live_abc", "pk_test_x")).is_err());
        assert!(credential_livemode(ProviderKind::Stripe, &stripe("pk_test_abc", "")).is_err());
        let gocardless = |token: &str| ProviderInput { access_token: token.into(), ..Default::default() };
        assert!(matches!(credential_livemode(ProviderKind::GoCardless, &gocardless("sandbox_x")), Ok(false)));
        assert!(matches!(credential_livemode(ProviderKind::GoCardless, &gocardless("live_x")), Ok(true)));
        assert!(credential_livemode(ProviderKind::GoCardless, &gocardless("x")).is_err());
    }

    #[test]
    fn hints_show_only_the_last_four_characters() {
        assert_eq!(hint("sk_test_51Habc4242"), "…4242");
        assert_eq!(hint("ab"), "…ab");
    }
}
