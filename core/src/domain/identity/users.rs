//! The people of an organization who sign in to the admin panel: their
//! role, the one table from roles (and API key scopes) to permissions, and
//! the team routes (invite, change role, remove).

use serde::{Deserialize, Serialize};

use super::super::{Core, Entity, api_keys::scopes, auth::Principal, now_micros, validate};
use crate::{
    crypto::sha256_hex,
    error::{CoreError, CoreResult},
    ids::{is_id, new_id, random_token},
    store::{Page, StoreError},
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Developer,
    Support,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Developer, Role::Support, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Developer => "developer",
            Self::Support => "support",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(value: &str) -> CoreResult<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value).ok_or_else(|| {
            CoreError::field("role", "role_invalid", "role must be owner, admin, developer, support or viewer")
        })
    }
}

/// What reading everything takes: every role holds these.
const READ: &[&str] = &[
    scopes::CHECKOUT_READ,
    scopes::TRANSACTIONS_READ,
    scopes::SITES_READ,
    scopes::KEYS_READ,
    scopes::PROVIDERS_READ,
    scopes::CUSTOMERS_READ,
    scopes::PLANS_READ,
    scopes::SUBSCRIPTIONS_READ,
    scopes::USERS_READ,
];

/// The one table of who may do what. A permission is named like the API
/// key scope that grants it; a role holds a fixed set, a key the scopes it
/// was made with (plus what [`key_permissions`] derives from them).
pub fn role_permissions(role: Role) -> Vec<&'static str> {
    let extra: &[&str] = match role {
        Role::Owner | Role::Admin => &[
            scopes::CHECKOUT_CREATE,
            scopes::TRANSACTIONS_WRITE,
            scopes::WEBHOOKS_WRITE,
            scopes::SITES_WRITE,
            scopes::KEYS_WRITE,
            scopes::PROVIDERS_WRITE,
            scopes::CUSTOMERS_WRITE,
            scopes::PLANS_WRITE,
            scopes::PORTAL_WRITE,
            scopes::SUBSCRIPTIONS_WRITE,
            scopes::USERS_WRITE,
            scopes::AUDIT_READ,
        ],
        // Integrations: keys, sites and their webhooks, providers.
        Role::Developer => &[
            scopes::CHECKOUT_CREATE,
            scopes::WEBHOOKS_WRITE,
            scopes::SITES_WRITE,
            scopes::KEYS_WRITE,
            scopes::PROVIDERS_WRITE,
        ],
        // Answers customers: refunds (and captures, cancels), resends.
        Role::Support => &[scopes::TRANSACTIONS_WRITE, scopes::WEBHOOKS_WRITE],
        Role::Viewer => &[],
    };
    READ.iter().chain(extra).copied().collect()
}

/// An API key's permissions: its scopes, plus `webhooks:write` for keys
/// with `transactions:write`, which resent IPNs before that permission
/// existed.
pub fn key_permissions(key_scopes: &[String]) -> Vec<String> {
    let mut permissions = key_scopes.to_vec();
    if permissions.iter().any(|s| s == scopes::TRANSACTIONS_WRITE)
        && !permissions.iter().any(|s| s == scopes::WEBHOOKS_WRITE)
    {
        permissions.push(scopes::WEBHOOKS_WRITE.to_owned());
    }
    permissions
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Invited: signs in once the invitation link has set a password.
    Invited,
    Active,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Lower-case; unique across all organizations, so an email and a
    /// password name one account.
    pub email: String,
    #[serde(default)]
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    /// Argon2id PHC string.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// SHA-256 of the one-time invitation (or password-set) token.
    #[serde(default)]
    pub invitation_hash: Option<String>,
    #[serde(default)]
    pub invitation_expires_at: Option<i64>,
    /// The TOTP secret, sealed, once two-factor sign-in is on.
    #[serde(default)]
    pub totp_secret: Option<String>,
    /// A secret being set up, sealed, until a code confirms it.
    #[serde(default)]
    pub totp_pending_secret: Option<String>,
    /// The last time step whose code was accepted: a code works once.
    #[serde(default)]
    pub totp_last_step: Option<u64>,
    /// SHA-256 hashes of the unused recovery codes.
    #[serde(default)]
    pub recovery_code_hashes: Vec<String>,
    #[serde(default)]
    pub last_login_at: Option<i64>,
}

impl Entity for User {
    const COLLECTION: &'static str = "users";
    const NAME: &'static str = "user";
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

impl User {
    pub fn totp_enabled(&self) -> bool {
        self.totp_secret.is_some()
    }
}

/// How long an invitation (or operator password-set) link works.
pub const INVITATION_MICROS: i64 = 7 * 24 * 3_600_000_000;
pub const INVITATION_PREFIX: &str = "inv_";

/// A new invitation token and its stored hash.
pub fn new_invitation() -> (String, String) {
    let token = format!("{INVITATION_PREFIX}{}", random_token());
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

/// Normalizes and checks an email address for an account.
pub fn account_email(value: &str) -> CoreResult<String> {
    Ok(validate::email("email", value)?.to_lowercase())
}

/// A user just invited, with the token of their link (shown once).
pub struct Invited {
    pub user: User,
    pub token: String,
}

impl Core {
    /// The admin panel page where the token's holder sets a password. The
    /// token travels in the fragment, which browsers never send to a
    /// server or in a `Referer`.
    pub fn invitation_url(&self, token: &str) -> String {
        format!("{}/accept-invite#token={token}", self.settings.admin_panel_url)
    }

    /// Creates a user of `organization_id` who sets a password through the
    /// returned one-time token. Used by invitations and by the operator's
    /// `paygate user create`.
    pub async fn create_user(&self, organization_id: &str, email: &str, name: &str, role: Role) -> CoreResult<Invited> {
        let email = account_email(email)?;
        let name = name.trim();
        if name.chars().count() > 200 {
            return Err(CoreError::field("name", "name_invalid", "name must be at most 200 characters"));
        }
        let (token, hash) = new_invitation();
        let now = now_micros();
        let user = User {
            id: new_id("usr"),
            version: 0,
            created_at: now,
            organization_id: organization_id.to_owned(),
            email,
            name: name.to_owned(),
            role,
            status: UserStatus::Invited,
            password_hash: None,
            invitation_hash: Some(hash),
            invitation_expires_at: Some(now + INVITATION_MICROS),
            totp_secret: None,
            totp_pending_secret: None,
            totp_last_step: None,
            recovery_code_hashes: Vec::new(),
            last_login_at: None,
        };
        match self.insert(&user).await {
            Ok(user) => Ok(Invited { user, token }),
            Err(CoreError::Store(StoreError::Duplicate { .. })) => Err(CoreError::conflict(
                "email_taken",
                "a user with this email already exists; each email signs in to one organization",
            )),
            Err(err) => Err(err),
        }
    }

    /// Invites a teammate. Only an owner may invite an owner.
    pub async fn invite_user(&self, principal: &Principal, email: &str, name: &str, role: &str) -> CoreResult<Invited> {
        principal.require(scopes::USERS_WRITE)?;
        let role = Role::parse(role)?;
        if role == Role::Owner {
            require_owner(principal, "invite an owner")?;
        }
        self.create_user(&principal.organization_id, email, name, role).await
    }

    pub async fn list_users(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<User>, bool)> {
        principal.require(scopes::USERS_READ)?;
        self.list(&vec![("organizationId", principal.organization_id.clone().into())], page).await
    }

    /// A user of the caller's organization; anyone else's is unknown.
    pub async fn team_member(&self, principal: &Principal, id: &str) -> CoreResult<User> {
        if !is_id("usr", id) {
            return Err(CoreError::NotFound(User::NAME));
        }
        match self.get::<User>(id).await? {
            Some(user) if user.organization_id == principal.organization_id => Ok(user),
            _ => Err(CoreError::NotFound(User::NAME)),
        }
    }

    /// Changes a teammate's role. Owners are changed only by owners, and
    /// the last owner cannot step down.
    pub async fn change_role(&self, principal: &Principal, id: &str, role: &str) -> CoreResult<User> {
        principal.require(scopes::USERS_WRITE)?;
        let role = Role::parse(role)?;
        let user = self.team_member(principal, id).await?;
        if user.role == Role::Owner || role == Role::Owner {
            require_owner(principal, "change an owner's role or make an owner")?;
        }
        if user.role == Role::Owner && role != Role::Owner {
            self.keep_an_owner(principal, &user.id).await?;
        }
        self.modify(user, |u| {
            u.role = role;
            Ok(())
        })
        .await
    }

    /// Removes a teammate: their sessions end with their account.
    pub async fn remove_user(&self, principal: &Principal, id: &str) -> CoreResult<User> {
        principal.require(scopes::USERS_WRITE)?;
        let user = self.team_member(principal, id).await?;
        if user.role == Role::Owner {
            require_owner(principal, "remove an owner")?;
            self.keep_an_owner(principal, &user.id).await?;
        }
        self.store.delete(User::COLLECTION, &user.id).await?;
        self.revoke_user_sessions(&user.id).await?;
        Ok(user)
    }

    async fn keep_an_owner(&self, principal: &Principal, leaving: &str) -> CoreResult<()> {
        let filter = vec![("organizationId", principal.organization_id.clone().into()), ("role", "owner".into())];
        let owners = self.store.find(User::COLLECTION, &filter, &Page { limit: 2, starting_after: None }).await?;
        if owners.data.iter().all(|d| d.id == leaving) {
            return Err(CoreError::conflict("last_owner", "an organization keeps at least one owner"));
        }
        Ok(())
    }

    /// Sets the password of an invited user (or one an operator reset)
    /// from their one-time token; the token dies with it.
    pub async fn accept_invitation(&self, token: &str, password: &str, name: Option<&str>) -> CoreResult<User> {
        let invalid = || CoreError::Unauthenticated {
            code: "invitation_invalid",
            message: "this invitation link is invalid, used or expired; ask for a new one".into(),
        };
        if !token.starts_with(INVITATION_PREFIX) || token.len() > 200 {
            return Err(invalid());
        }
        super::sessions::check_password_strength(password)?;
        let hash = sha256_hex(token.as_bytes());
        let document = self.store.find_one(User::COLLECTION, "invitationHash", &hash.clone().into()).await?;
        let Some(document) = document else { return Err(invalid()) };
        let user: User = super::super::from_document(document)?;
        if user.invitation_expires_at.is_none_or(|at| at < self.now()) {
            return Err(invalid());
        }
        let password_hash = super::sessions::hash_password(password).await?;
        let name = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        self.modify(user, |u| {
            if u.invitation_hash.as_deref() != Some(hash.as_str()) {
                return Err(invalid());
            }
            u.invitation_hash = None;
            u.invitation_expires_at = None;
            u.password_hash = Some(password_hash.clone());
            u.status = UserStatus::Active;
            if let Some(name) = &name {
                u.name.clone_from(name);
            }
            Ok(())
        })
        .await
    }
}

fn require_owner(principal: &Principal, what: &str) -> CoreResult<()> {
    if principal.user.as_ref().is_some_and(|u| u.role == Role::Owner) {
        Ok(())
    } else {
        Err(CoreError::Forbidden { code: "owner_required", message: format!("only an owner can {what}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_hold_what_their_job_needs() {
        let has = |role, p: &str| role_permissions(role).contains(&p);
        for role in Role::ALL {
            assert!(has(role, scopes::TRANSACTIONS_READ), "{role:?} reads");
        }
        assert!(has(Role::Support, scopes::TRANSACTIONS_WRITE), "support refunds");
        assert!(!has(Role::Support, scopes::KEYS_WRITE));
        assert!(has(Role::Developer, scopes::KEYS_WRITE) && has(Role::Developer, scopes::WEBHOOKS_WRITE));
        assert!(!has(Role::Developer, scopes::TRANSACTIONS_WRITE), "developers do not move money");
        assert!(!has(Role::Viewer, scopes::TRANSACTIONS_WRITE), "viewers change nothing");
        assert!(role_permissions(Role::Viewer).iter().all(|p| p.ends_with(":read")));
        assert!(has(Role::Admin, scopes::USERS_WRITE) && has(Role::Admin, scopes::AUDIT_READ));
        assert!(!has(Role::Developer, scopes::AUDIT_READ));
    }

    #[test]
    fn keys_that_move_money_may_resend_webhooks() {
        let derived = key_permissions(&[scopes::TRANSACTIONS_WRITE.to_owned()]);
        assert!(derived.iter().any(|p| p == scopes::WEBHOOKS_WRITE));
        assert!(!key_permissions(&[scopes::TRANSACTIONS_READ.to_owned()]).iter().any(|p| p == scopes::WEBHOOKS_WRITE));
    }

    #[test]
    fn roles_parse_and_reject_unknown_ones() {
        assert_eq!(Role::parse("support").expect("role"), Role::Support);
        assert!(Role::parse("root").is_err());
    }
}
