//! Signing in to the admin panel: passwords (Argon2id), short access
//! tokens (HS256 JWTs, 15 minutes), refresh tokens (random, stored hashed,
//! rotated on every use; presenting a rotated one revokes its whole
//! family), two-factor sign-in, and throttling of failed attempts.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::super::{Core, Entity, api_keys::KeyMode, auth::Principal, from_document};
use super::totp;
use super::users::{Role, User, UserStatus, account_email, role_permissions};
use crate::{
    crypto::{SecretString, sha256_hex},
    error::{CoreError, CoreResult},
    ids::{new_id, random_token},
    store::StoreError,
};

pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
pub const REFRESH_TOKEN_MICROS: i64 = 7 * 24 * 3_600_000_000;
const MFA_TOKEN_SECONDS: i64 = 5 * 60;
pub const REFRESH_PREFIX: &str = "rt_";
/// Failed attempts for one email before each further one waits.
const FREE_ATTEMPTS: u32 = 5;
const MAX_LOCK_SECONDS: i64 = 15 * 60;
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;
/// Rotated refresh tokens remembered per family, to recognise reuse.
const REMEMBERED_ROTATIONS: usize = 64;

fn invalid_credentials() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_credentials",
        message: "the email, password or code is not correct".into(),
    }
}

fn token_invalid() -> CoreError {
    CoreError::Unauthenticated {
        code: "token_invalid",
        message: "the token is invalid or expired; sign in again".into(),
    }
}

pub fn check_password_strength(password: &str) -> CoreResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CoreError::field(
            "password",
            "password_too_short",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(CoreError::field("password", "password_too_long", "a password has at most 1024 bytes"));
    }
    Ok(())
}

/// Argon2id with its default cost (19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: &str) -> CoreResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Internal(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("password hashing task: {e}")))?
}

/// Checks `password` against `hash`, or against a stand-in hash when there
/// is no account, so an unknown email costs the same time as a known one.
async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    let hash = match hash {
        Some(hash) => hash.to_owned(),
        None => match STAND_IN.get() {
            Some(hash) => hash.clone(),
            None => {
                let Ok(hash) = hash_password("paygate stand-in password").await else { return false };
                STAND_IN.get_or_init(|| hash).clone()
            }
        },
    };
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// What a signed access (or pending two-factor) token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    /// The user.
    sub: String,
    org: String,
    /// The session (refresh token family); ending it ends the token.
    sid: String,
    iat: i64,
    exp: i64,
    /// `access`, or `mfa` for the token between password and code.
    typ: String,
    /// Signed in while the organization requires two-factor sign-in the
    /// user has not set up: the token only reaches the set-up routes.
    #[serde(default)]
    enrol: bool,
}

/// A session: one sign-in and the refresh tokens rotated from it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdminSession {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub user_id: String,
    pub organization_id: String,
    /// SHA-256 of the live refresh token.
    pub refresh_hash: String,
    /// Hashes of refresh tokens already rotated away.
    #[serde(default)]
    pub rotated_hashes: Vec<String>,
    pub refresh_expires_at: i64,
    #[serde(default)]
    pub revoked_at: Option<i64>,
    #[serde(default)]
    pub revoked_reason: Option<String>,
    #[serde(default)]
    pub enrol: bool,
}

impl Entity for AdminSession {
    const COLLECTION: &'static str = "admin_sessions";
    const NAME: &'static str = "session";
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

/// Failed sign-ins for one email (known or not: the same rule for both).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LoginThrottle {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub failures: u32,
    pub locked_until: i64,
}

impl Entity for LoginThrottle {
    const COLLECTION: &'static str = "login_throttles";
    const NAME: &'static str = "login throttle";
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

/// The answer to a sign-in step.
#[derive(Debug, Clone)]
pub enum SignIn {
    Tokens(Box<Tokens>),
    /// The password was right; a code must follow, with this token.
    MfaRequired {
        mfa_token: String,
    },
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_in: i64,
    pub user: User,
}

/// Where a request comes from and which mode it asks for.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: String,
    /// `Paygate-Mode` on a JWT request; API keys carry their own mode.
    pub mode: Option<KeyMode>,
}

impl Core {
    fn jwt_key(&self) -> Vec<u8> {
        match &self.settings.jwt_secret {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => self.sealing.derive("admin access tokens v1").to_vec(),
        }
    }

    fn sign(&self, claims: &Claims) -> CoreResult<String> {
        let key =
            EncodingKey::from_secret(&self.jwt_key()).map_err(|e| CoreError::Internal(format!("JWT key: {e}")))?;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
            .map_err(|e| CoreError::Internal(format!("JWT signing: {e}")))
    }

    /// The claims of a well-signed, unexpired token of type `typ`. Only
    /// HS256 is accepted (never `none`); expiry is checked on core's clock.
    fn verify(&self, token: &str, typ: &str) -> CoreResult<Claims> {
        let key =
            DecodingKey::from_secret(&self.jwt_key()).map_err(|e| CoreError::Internal(format!("JWT key: {e}")))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|_| token_invalid())?.claims;
        if claims.typ != typ || claims.exp * 1_000_000 <= self.now() {
            return Err(token_invalid());
        }
        Ok(claims)
    }

    fn throttle_id(email: &str) -> String {
        format!("lt_{}", &sha256_hex(format!("login:{}", email.trim().to_lowercase()).as_bytes())[..40])
    }

    /// 429 while `email` is locked out by earlier failures.
    async fn check_throttle(&self, email: &str) -> CoreResult<()> {
        if let Some(throttle) = self.get::<LoginThrottle>(&Self::throttle_id(email)).await? {
            let now = self.now();
            if throttle.locked_until > now {
                let seconds = (throttle.locked_until - now + 999_999) / 1_000_000;
                return Err(CoreError::TooManyAttempts {
                    code: "login_throttled",
                    message: format!("too many failed sign-ins; try again in {seconds} s"),
                });
            }
        }
        Ok(())
    }

    /// Counts a failure; from the sixth on, each locks the email for twice
    /// as long as the one before (1 s, 2 s, 4 s, … up to 15 minutes).
    async fn record_failure(&self, email: &str) -> CoreResult<()> {
        let id = Self::throttle_id(email);
        let now = self.now();
        let lock = |failures: u32| {
            let wait = lock_after(failures);
            if wait.is_zero() { 0 } else { now + i64::try_from(wait.as_micros()).unwrap_or(i64::MAX / 2) }
        };
        let fresh = LoginThrottle { id: id.clone(), version: 0, created_at: now, failures: 1, locked_until: lock(1) };
        match self.insert(&fresh).await {
            Ok(_) => Ok(()),
            Err(CoreError::Store(StoreError::Duplicate { .. })) => self
                .update::<LoginThrottle, _>(&id, |t| {
                    t.failures = t.failures.saturating_add(1);
                    t.locked_until = lock(t.failures);
                    Ok(())
                })
                .await
                .map(|_| ()),
            Err(err) => Err(err),
        }
    }

    async fn clear_failures(&self, email: &str) -> CoreResult<()> {
        self.store.delete(LoginThrottle::COLLECTION, &Self::throttle_id(email)).await?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> CoreResult<Option<User>> {
        let Ok(email) = account_email(email) else { return Ok(None) };
        match self.store.find_one(User::COLLECTION, "email", &email.into()).await? {
            Some(document) => Ok(Some(from_document(document)?)),
            None => Ok(None),
        }
    }

    /// Email and password. The answer is the same for an unknown email, a
    /// wrong password and an account not yet activated.
    pub async fn login(&self, email: &str, password: &str) -> CoreResult<SignIn> {
        if email.len() > 254 || password.len() > MAX_PASSWORD_BYTES {
            return Err(invalid_credentials());
        }
        self.check_throttle(email).await?;
        let user = self.user_by_email(email).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let verified = verify_password(password, hash).await;
        let user = match user {
            Some(user) if verified && user.status == UserStatus::Active => user,
            _ => {
                self.record_failure(email).await?;
                return Err(invalid_credentials());
            }
        };
        if user.totp_enabled() {
            let now = self.now() / 1_000_000;
            let claims = Claims {
                sub: user.id.clone(),
                org: user.organization_id.clone(),
                sid: String::new(),
                iat: now,
                exp: now + MFA_TOKEN_SECONDS,
                typ: "mfa".into(),
                enrol: false,
            };
            return Ok(SignIn::MfaRequired { mfa_token: self.sign(&claims)? });
        }
        self.clear_failures(email).await?;
        Ok(SignIn::Tokens(Box::new(self.start_session(user).await?)))
    }

    /// The second step: a TOTP code (each accepted once) or an unused
    /// recovery code. Failures count towards the email's throttle.
    pub async fn login_mfa(&self, mfa_token: &str, code: &str) -> CoreResult<Tokens> {
        let claims = self.verify(mfa_token, "mfa").map_err(|_| invalid_credentials())?;
        let user = self.get::<User>(&claims.sub).await?.ok_or_else(invalid_credentials)?;
        self.check_throttle(&user.email).await?;
        match self.consume_second_factor(user.clone(), code).await {
            Ok(user) => {
                self.clear_failures(&user.email).await?;
                self.start_session(user).await
            }
            Err(CoreError::Unauthenticated { .. }) => {
                self.record_failure(&user.email).await?;
                Err(invalid_credentials())
            }
            Err(err) => Err(err),
        }
    }

    /// Accepts a TOTP code whose step is newer than the last accepted one,
    /// or a recovery code (removed as it is used). One compare-and-swap, so
    /// two requests with the same code cannot both pass.
    pub(super) async fn consume_second_factor(&self, user: User, code: &str) -> CoreResult<User> {
        let code = code.trim();
        if code.is_empty() || code.len() > 64 {
            return Err(invalid_credentials());
        }
        let sealed = user.totp_secret.clone().ok_or_else(invalid_credentials)?;
        let secret = self.sealing.open(&sealed, &user.id)?;
        let now_seconds = u64::try_from(self.now() / 1_000_000).unwrap_or_default();
        if let Some(step) = totp::matching_step(secret.expose(), code, now_seconds) {
            return self
                .modify(user, |u| {
                    if u.totp_last_step.is_some_and(|last| last >= step) {
                        return Err(invalid_credentials());
                    }
                    u.totp_last_step = Some(step);
                    Ok(())
                })
                .await;
        }
        let hash = totp::recovery_code_hash(code);
        self.modify(user, |u| {
            let before = u.recovery_code_hashes.len();
            u.recovery_code_hashes.retain(|h| *h != hash);
            if u.recovery_code_hashes.len() == before {
                return Err(invalid_credentials());
            }
            Ok(())
        })
        .await
    }

    async fn start_session(&self, user: User) -> CoreResult<Tokens> {
        let organization = self
            .get::<super::super::organizations::Organization>(&user.organization_id)
            .await?
            .ok_or_else(invalid_credentials)?;
        let enrol = organization.require_two_factor && !user.totp_enabled();
        let now = self.now();
        let session_id = new_id("ses");
        let (refresh_token, refresh_hash) = new_refresh_token(&session_id);
        let session = AdminSession {
            id: session_id,
            version: 0,
            created_at: now,
            user_id: user.id.clone(),
            organization_id: user.organization_id.clone(),
            refresh_hash,
            rotated_hashes: Vec::new(),
            refresh_expires_at: now + REFRESH_TOKEN_MICROS,
            revoked_at: None,
            revoked_reason: None,
            enrol,
        };
        let session = self.insert(&session).await?;
        let user = self
            .modify(user, |u| {
                u.last_login_at = Some(now);
                Ok(())
            })
            .await?;
        self.tokens(user, &session, refresh_token)
    }

    fn tokens(&self, user: User, session: &AdminSession, refresh_token: String) -> CoreResult<Tokens> {
        let now = self.now() / 1_000_000;
        let claims = Claims {
            sub: user.id.clone(),
            org: user.organization_id.clone(),
            sid: session.id.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            typ: "access".into(),
            enrol: session.enrol,
        };
        Ok(Tokens {
            access_token: SecretString::new(self.sign(&claims)?),
            refresh_token: SecretString::new(refresh_token),
            expires_in: ACCESS_TOKEN_SECONDS,
            user,
        })
    }

    /// Trades a refresh token for a new pair. The old one dies; presenting
    /// one that was already rotated means it leaked, so the whole family
    /// (and every access token issued from it) is revoked.
    pub async fn refresh(&self, refresh_token: &str) -> CoreResult<Tokens> {
        let session_id = session_of(refresh_token).ok_or_else(token_invalid)?;
        let session = self.get::<AdminSession>(&session_id).await?.ok_or_else(token_invalid)?;
        let presented = sha256_hex(refresh_token.as_bytes());
        if session.revoked_at.is_some() || session.refresh_expires_at <= self.now() {
            return Err(token_invalid());
        }
        if session.rotated_hashes.contains(&presented) {
            self.revoke_session(session, "refresh_token_reused").await?;
            tracing::warn!(session = %session_id, "a rotated refresh token was presented again; session revoked");
            return Err(token_invalid());
        }
        if session.refresh_hash != presented {
            return Err(token_invalid());
        }
        let user = self.get::<User>(&session.user_id).await?.ok_or_else(token_invalid)?;
        let (next_token, next_hash) = new_refresh_token(&session.id);
        let now = self.now();
        let rotated = self
            .modify(session, |s| {
                if s.refresh_hash != presented || s.revoked_at.is_some() {
                    // Another request rotated it first: this one is a reuse.
                    return Err(token_invalid());
                }
                s.rotated_hashes.push(presented.clone());
                if s.rotated_hashes.len() > REMEMBERED_ROTATIONS {
                    s.rotated_hashes.remove(0);
                }
                s.refresh_hash.clone_from(&next_hash);
                s.refresh_expires_at = now + REFRESH_TOKEN_MICROS;
                Ok(())
            })
            .await;
        match rotated {
            Ok(session) => self.tokens(user, &session, next_token),
            Err(CoreError::Unauthenticated { .. }) => {
                if let Some(session) = self.get::<AdminSession>(&session_id).await? {
                    self.revoke_session(session, "refresh_token_reused").await?;
                }
                Err(token_invalid())
            }
            Err(err) => Err(err),
        }
    }

    async fn revoke_session(&self, session: AdminSession, reason: &str) -> CoreResult<()> {
        let now = self.now();
        match self
            .modify(session, |s| {
                if s.revoked_at.is_none() {
                    s.revoked_at = Some(now);
                    s.revoked_reason = Some(reason.to_owned());
                }
                Ok(())
            })
            .await
        {
            Ok(_) | Err(CoreError::NotFound(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Ends the caller's session: its refresh token and access tokens die.
    pub async fn logout(&self, principal: &Principal) -> CoreResult<()> {
        let Some(user) = &principal.user else {
            return Err(CoreError::Forbidden {
                code: "user_required",
                message: "logout ends a user's session; API keys are revoked instead".into(),
            });
        };
        if let Some(session) = self.get::<AdminSession>(&user.session_id).await? {
            self.revoke_session(session, "logout").await?;
        }
        Ok(())
    }

    /// Ends every session of a user (removed, or password changed).
    pub(super) async fn revoke_user_sessions(&self, user_id: &str) -> CoreResult<()> {
        let filter = vec![("userId", user_id.into())];
        let mut page = crate::store::Page { limit: 100, starting_after: None };
        loop {
            let result = self.store.find(AdminSession::COLLECTION, &filter, &page).await?;
            page.starting_after = result.data.last().map(|d| d.id.clone());
            for document in result.data {
                let session: AdminSession = from_document(document)?;
                if session.revoked_at.is_none() {
                    self.revoke_session(session, "user_sessions_ended").await?;
                }
            }
            if !result.has_more {
                return Ok(());
            }
        }
    }

    /// The principal of a `Bearer` access token: its user must still exist
    /// and its session must still be live, so logout and removal take
    /// effect at once rather than when the token expires.
    pub(crate) async fn authenticate_user(&self, token: &str, context: &RequestContext) -> CoreResult<Principal> {
        let claims = self.verify(token, "access")?;
        let session = self.get::<AdminSession>(&claims.sid).await?.ok_or_else(token_invalid)?;
        if session.revoked_at.is_some() || session.user_id != claims.sub {
            return Err(token_invalid());
        }
        let user = self.get::<User>(&claims.sub).await?.ok_or_else(token_invalid)?;
        if user.organization_id != claims.org || user.status != UserStatus::Active {
            return Err(token_invalid());
        }
        let mut principal = user_principal(&user, &session, context.mode.unwrap_or(KeyMode::Test), session.enrol);
        principal.client_ip.clone_from(&context.ip);
        Ok(principal)
    }

    /// Changes the caller's password; every other session ends.
    pub async fn change_password(&self, principal: &Principal, current: &str, new: &str) -> CoreResult<()> {
        let user = self.signed_in_user(principal).await?;
        check_password_strength(new)?;
        if !verify_password(current, user.password_hash.as_deref()).await {
            return Err(CoreError::field(
                "currentPassword",
                "password_incorrect",
                "the current password is not correct",
            ));
        }
        let hash = hash_password(new).await?;
        self.modify(user.clone(), |u| {
            u.password_hash = Some(hash.clone());
            Ok(())
        })
        .await?;
        let keep = principal.user.as_ref().map(|u| u.session_id.clone()).unwrap_or_default();
        let filter = vec![("userId", user.id.clone().into())];
        let sessions = self
            .store
            .find(AdminSession::COLLECTION, &filter, &crate::store::Page { limit: 100, starting_after: None })
            .await?;
        for document in sessions.data {
            let session: AdminSession = from_document(document)?;
            if session.id != keep && session.revoked_at.is_none() {
                self.revoke_session(session, "password_changed").await?;
            }
        }
        Ok(())
    }

    /// The user behind a JWT principal; API keys have none.
    pub async fn signed_in_user(&self, principal: &Principal) -> CoreResult<User> {
        let Some(actor) = &principal.user else {
            return Err(CoreError::Forbidden {
                code: "user_required",
                message: "this route is for signed-in users; API keys cannot use it".into(),
            });
        };
        self.get::<User>(&actor.id).await?.ok_or_else(token_invalid)
    }
}

/// `rt_` + the session id's random part + 44 random characters, and its hash.
fn new_refresh_token(session_id: &str) -> (String, String) {
    let random_part = session_id.trim_start_matches("ses_");
    let token = format!("{REFRESH_PREFIX}{random_part}{}", random_token());
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

fn session_of(refresh_token: &str) -> Option<String> {
    let rest = refresh_token.strip_prefix(REFRESH_PREFIX)?;
    if rest.len() != 22 + 44 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(format!("ses_{}", &rest[..22]))
}

/// Who a signed-in user is, for authorization and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActor {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub session_id: String,
    /// Only two-factor set-up is open until it is done.
    pub enrolling: bool,
}

fn user_principal(user: &User, session: &AdminSession, mode: KeyMode, enrolling: bool) -> Principal {
    Principal {
        organization_id: user.organization_id.clone(),
        key_id: user.id.clone(),
        scopes: role_permissions(user.role).into_iter().map(str::to_owned).collect::<Vec<_>>().into(),
        mode,
        user: Some(UserActor {
            id: user.id.clone(),
            email: user.email.clone(),
            role: user.role,
            session_id: session.id.clone(),
            enrolling,
        }),
        client_ip: String::new(),
    }
}

/// How long a failed sign-in makes the next one wait, for documentation
/// and tests.
pub fn lock_after(failures: u32) -> Duration {
    if failures < FREE_ATTEMPTS {
        Duration::ZERO
    } else {
        Duration::from_secs((1_u64 << (failures - FREE_ATTEMPTS).min(20)).min(MAX_LOCK_SECONDS as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_name_their_session() {
        let session = new_id("ses");
        let (token, hash) = new_refresh_token(&session);
        assert_eq!(session_of(&token).as_deref(), Some(session.as_str()));
        assert_eq!(hash, sha256_hex(token.as_bytes()));
        assert_eq!(session_of("rt_short"), None);
        assert_eq!(session_of(&token.replace("rt_", "xx_")), None);
    }

    #[test]
    fn the_wait_doubles_after_five_failures_and_is_capped() {
        assert_eq!(lock_after(4), Duration::ZERO);
        assert_eq!(lock_after(5), Duration::from_secs(1));
        assert_eq!(lock_after(6), Duration::from_secs(2));
        assert_eq!(lock_after(9), Duration::from_secs(16));
        assert_eq!(lock_after(40), Duration::from_secs(900));
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", Some(&hash)).await);
        assert!(!verify_password("wrong horse battery", Some(&hash)).await);
        assert!(!verify_password("anything at all", None).await);
        assert!(check_password_strength("short").is_err());
    }
}
