//! The customer portal: a merchant's server opens a portal session for one
//! of its customers and sends the customer to the portal page with the
//! session's token; the customer reads their own invoices and credit notes
//! and manages their subscriptions there.
//!
//! - The token (`pt_…`) is random (≈190 bits), shown to the merchant once
//!   (and in idempotent replays of that answer, sealed at rest in the
//!   idempotency record) and stored only as its SHA-256. It names one
//!   customer of one organization and mode, and works for
//!   [`SESSION_TTL_MICROS`] on [`Core::now`]'s clock.
//! - The portal page trades the token for a browser session (`pc_…`, a
//!   cookie), also stored only as its SHA-256, so the token can leave the
//!   address bar. A browser session lives and dies with its portal session.
//! - Ending the portal session (log out) ends the token and every browser
//!   session made from it.

use serde::{Deserialize, Serialize};

use super::{
    Core, Entity, Owned,
    auth::Principal,
    customers::Customer,
    idempotency::Idempotent,
    invoices::{IssuedDocument, TaxDocument},
    organizations::Organization,
    subscriptions::{CANCELLATION_REASONS, CancelRequest, Subscription},
    validate,
};
use crate::{
    crypto::{SecretString, sha256_hex},
    error::{CoreError, CoreResult},
    ids::{is_id, new_id, random_token},
    store::{Filter, Page, StoreError},
};

/// How long a portal session works after it was opened.
pub const SESSION_TTL_MICROS: i64 = 3600 * 1_000_000;
/// What portal tokens start with.
pub const TOKEN_PREFIX: &str = "pt_";
/// What browser-session secrets (the portal page's cookie) start with.
pub const BROWSER_PREFIX: &str = "pc_";
/// Longer than any secret Paygate makes; anything longer is not looked up.
const MAX_SECRET_LEN: usize = 200;

/// One customer's access to the portal, opened by the merchant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PortalSession {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    pub livemode: bool,
    pub customer_id: String,
    /// Where the portal's "Return to …" link goes; absent: no link.
    #[serde(default)]
    pub return_url: Option<String>,
    /// SHA-256 of the token (hex); unique.
    pub token_hash: String,
    pub expires_at: i64,
    /// Set when the customer logged out.
    #[serde(default)]
    pub ended_at: Option<i64>,
}

impl Entity for PortalSession {
    const COLLECTION: &'static str = "portal_sessions";
    const NAME: &'static str = "portal session";
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

impl Owned for PortalSession {
    const ID_PREFIX: &'static str = "ps";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// The portal page's session in one browser: a cookie traded for the
/// token. It is only as good as its portal session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PortalBrowserSession {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub session_id: String,
    /// SHA-256 of the cookie's secret (hex); unique.
    pub secret_hash: String,
}

impl Entity for PortalBrowserSession {
    const COLLECTION: &'static str = "portal_browser_sessions";
    const NAME: &'static str = "portal browser session";
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

/// A secret kept in an idempotency record sealed with the core's key, so a
/// replayed answer can show it again without the store holding it in the
/// clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(String);

/// A portal session just opened, with its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenedSession {
    pub session: PortalSession,
    token: SealedSecret,
}

impl OpenedSession {
    /// The `pt_…` token.
    pub fn token(&self, core: &Core) -> CoreResult<SecretString> {
        core.sealing.open(&self.token.0, &self.session.id)
    }
}

fn unauthenticated(code: &'static str, message: &str) -> CoreError {
    CoreError::Unauthenticated { code, message: message.to_owned() }
}

fn invalid_token() -> CoreError {
    unauthenticated("portal_token_invalid", "the portal token is invalid")
}

impl Core {
    /// Opens a portal session for one of the caller's customers. A
    /// customer of another organization or mode is a 404.
    pub async fn create_portal_session(
        &self,
        principal: &Principal,
        idempotency_key: &str,
        customer_id: &str,
        return_url: &str,
    ) -> CoreResult<Idempotent<OpenedSession>> {
        if customer_id.trim().is_empty() {
            return Err(CoreError::field("customerId", "parameter_missing", "customerId is required"));
        }
        let return_url = match return_url.trim() {
            "" => None,
            url => Some(validate::web_url("returnUrl", url, self.settings.ipn_allow_private)?.to_string()),
        };
        let customer = self.owned_customer(principal, customer_id.trim()).await?;
        let fingerprint = super::idempotency::fingerprint(&(&customer.id, &return_url))?;
        self.idempotent(principal, "portal_session.create", idempotency_key, fingerprint, "ps", |id| async move {
            let token = format!("{TOKEN_PREFIX}{}", random_token());
            let now = self.now();
            let session = PortalSession {
                id,
                version: 0,
                created_at: now,
                organization_id: customer.organization_id.clone(),
                livemode: customer.livemode,
                customer_id: customer.id.clone(),
                return_url: return_url.clone(),
                token_hash: sha256_hex(token.as_bytes()),
                expires_at: now + SESSION_TTL_MICROS,
                ended_at: None,
            };
            let sealed = SealedSecret(self.sealing.seal(&token, &session.id)?);
            let session = self.insert(&session).await?;
            Ok(OpenedSession { session, token: sealed })
        })
        .await
    }

    /// The portal session an `authorization` value (`Bearer pt_…` or
    /// `Bearer pc_…`) stands for. Missing, unknown, expired or ended: 401.
    pub async fn authenticate_portal(&self, authorization: Option<&str>) -> CoreResult<PortalSession> {
        let session = self.portal_session_for(authorization).await?;
        crate::domain::state_log::set_actor(crate::domain::state_log::Actor::Customer);
        Ok(session)
    }

    async fn portal_session_for(&self, authorization: Option<&str>) -> CoreResult<PortalSession> {
        let missing =
            || unauthenticated("portal_token_missing", "send the portal token as Authorization: Bearer pt_...");
        let value = authorization.ok_or_else(missing)?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(missing)?;
        if secret.len() > MAX_SECRET_LEN {
            return Err(invalid_token());
        }
        let session = if secret.starts_with(TOKEN_PREFIX) {
            self.session_by_token(secret).await?
        } else if secret.starts_with(BROWSER_PREFIX) {
            let hash = sha256_hex(secret.as_bytes());
            let browser: PortalBrowserSession = self
                .store
                .find_one(PortalBrowserSession::COLLECTION, "secretHash", &hash.into())
                .await?
                .map(super::from_document)
                .transpose()?
                .ok_or_else(invalid_token)?;
            self.get::<PortalSession>(&browser.session_id).await?.ok_or_else(invalid_token)?
        } else {
            return Err(invalid_token());
        };
        self.usable(session)
    }

    async fn session_by_token(&self, token: &str) -> CoreResult<PortalSession> {
        let hash = sha256_hex(token.as_bytes());
        self.store
            .find_one(PortalSession::COLLECTION, "tokenHash", &hash.into())
            .await?
            .map(super::from_document)
            .transpose()?
            .ok_or_else(invalid_token)
    }

    /// A session that has ended or expired is refused, whatever presents it.
    fn usable(&self, session: PortalSession) -> CoreResult<PortalSession> {
        if session.ended_at.is_some() {
            return Err(unauthenticated(
                "portal_session_ended",
                "this portal session has ended; open the portal again from the merchant's site",
            ));
        }
        if self.now() >= session.expires_at {
            return Err(unauthenticated(
                "portal_session_expired",
                "this portal session has expired; open the portal again from the merchant's site",
            ));
        }
        Ok(session)
    }

    /// Trades a token (not a browser session) for a new browser session of
    /// the same portal session. Returns the browser session's secret.
    pub async fn exchange_portal_token(&self, token: &str) -> CoreResult<(SecretString, PortalSession)> {
        let token = token.trim();
        if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_SECRET_LEN {
            return Err(invalid_token());
        }
        let session = self.usable(self.session_by_token(token).await?)?;
        let secret = format!("{BROWSER_PREFIX}{}", random_token());
        let browser = PortalBrowserSession {
            id: new_id("pb"),
            version: 0,
            created_at: self.now(),
            session_id: session.id.clone(),
            secret_hash: sha256_hex(secret.as_bytes()),
        };
        self.insert(&browser).await?;
        Ok((SecretString::new(secret), session))
    }

    /// Logs the customer out: the token and every browser session of this
    /// portal session stop working.
    pub async fn end_portal_session(&self, session: &PortalSession) -> CoreResult<PortalSession> {
        self.modify(session.clone(), |session| {
            if session.ended_at.is_none() {
                session.ended_at = Some(self.now());
            }
            Ok(())
        })
        .await
    }

    /// The session's customer and the merchant's name.
    pub async fn portal_view(&self, session: &PortalSession) -> CoreResult<(Customer, String)> {
        let customer = self.get::<Customer>(&session.customer_id).await?.ok_or(CoreError::NotFound(Customer::NAME))?;
        let merchant =
            self.get_cached::<Organization>(&session.organization_id).await?.map(|org| org.name).unwrap_or_default();
        Ok((customer, merchant))
    }

    /// The session's customer's documents of one kind, newest first. A
    /// cursor must be one of them.
    pub async fn list_portal_documents<T: IssuedDocument>(
        &self,
        session: &PortalSession,
        page: &Page,
    ) -> CoreResult<(Vec<T>, bool)> {
        if let Some(cursor) = &page.starting_after {
            self.portal_document::<T>(session, cursor).await.map_err(|err| match err {
                CoreError::NotFound(_) => StoreError::UnknownCursor.into(),
                other => other,
            })?;
        }
        let mut filter: Filter = super::tenant_filter(&session.organization_id, session.livemode);
        filter.push(("customerId", session.customer_id.clone().into()));
        self.list(&filter, page).await
    }

    /// One of the session's customer's documents; anybody else's is a 404.
    pub async fn portal_document<T: IssuedDocument>(&self, session: &PortalSession, id: &str) -> CoreResult<T> {
        if !is_id(T::ID_PREFIX, id) {
            return Err(CoreError::NotFound(T::NAME));
        }
        match self.get::<T>(id).await? {
            Some(item) if portal_owns(session, item.document()) => Ok(item),
            _ => Err(CoreError::NotFound(T::NAME)),
        }
    }
}

impl Core {
    /// The session's customer's subscriptions, newest first. A cursor must
    /// be one of them.
    pub async fn list_portal_subscriptions(
        &self,
        session: &PortalSession,
        page: &Page,
    ) -> CoreResult<(Vec<Subscription>, bool)> {
        if let Some(cursor) = &page.starting_after {
            self.portal_subscription(session, cursor).await.map_err(|err| match err {
                CoreError::NotFound(_) => StoreError::UnknownCursor.into(),
                other => other,
            })?;
        }
        let customer = self.get::<Customer>(&session.customer_id).await?.ok_or(CoreError::NotFound(Customer::NAME))?;
        self.customer_subscriptions(&customer, page).await
    }

    /// One of the session's customer's subscriptions; anybody else's is a
    /// 404.
    pub async fn portal_subscription(&self, session: &PortalSession, id: &str) -> CoreResult<Subscription> {
        if !is_id(Subscription::ID_PREFIX, id) {
            return Err(CoreError::NotFound(Subscription::NAME));
        }
        match self.get::<Subscription>(id).await? {
            Some(subscription)
                if subscription.organization_id == session.organization_id
                    && subscription.livemode == session.livemode
                    && subscription.customer_id == session.customer_id =>
            {
                Ok(subscription)
            }
            _ => Err(CoreError::NotFound(Subscription::NAME)),
        }
    }

    /// The customer cancels at the end of the current period, saying why.
    pub async fn cancel_portal_subscription(
        &self,
        session: &PortalSession,
        id: &str,
        reason: &str,
        comment: &str,
    ) -> CoreResult<Subscription> {
        let subscription = self.portal_subscription(session, id).await?;
        if reason.trim().is_empty() {
            return Err(CoreError::field(
                "reason",
                "parameter_missing",
                format!("reason is required: one of {}", CANCELLATION_REASONS.join(", ")),
            ));
        }
        let request =
            CancelRequest { at_period_end: Some(true), reason: reason.trim().to_owned(), comment: comment.to_owned() };
        self.cancel_subscription(subscription, &request, "customer").await
    }

    /// The customer takes back a cancellation before the period ends.
    pub async fn resume_portal_subscription(&self, session: &PortalSession, id: &str) -> CoreResult<Subscription> {
        let subscription = self.portal_subscription(session, id).await?;
        self.resume_subscription(subscription).await
    }
}

/// Whether a document belongs to the session's customer (and so to its
/// organization and mode).
fn portal_owns(session: &PortalSession, document: &TaxDocument) -> bool {
    document.organization_id == session.organization_id
        && document.livemode == session.livemode
        && document.customer_id.as_deref() == Some(session.customer_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> PortalSession {
        PortalSession {
            id: "ps_1".into(),
            version: 0,
            created_at: 0,
            organization_id: "org_1".into(),
            livemode: false,
            customer_id: "cus_1".into(),
            return_url: None,
            token_hash: String::new(),
            expires_at: 1,
            ended_at: None,
        }
    }

    #[test]
    fn a_session_sees_only_its_customers_documents_of_its_organization_and_mode() {
        let session = session();
        let document = |org: &str, livemode: bool, customer: Option<&str>| TaxDocument {
            organization_id: org.into(),
            livemode,
            customer_id: customer.map(Into::into),
            ..crate::domain::invoices::tests::document()
        };
        assert!(portal_owns(&session, &document("org_1", false, Some("cus_1"))));
        assert!(!portal_owns(&session, &document("org_1", false, Some("cus_2"))));
        assert!(!portal_owns(&session, &document("org_1", false, None)));
        assert!(!portal_owns(&session, &document("org_2", false, Some("cus_1"))));
        assert!(!portal_owns(&session, &document("org_1", true, Some("cus_1"))));
    }
}
