//! Admin users on the wire: signing in, the team, the audit log.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{non_empty, requests::string_enum, time};
use crate::proto::v1 as pb;

pub const ROLES: &[&str] = &["owner", "admin", "developer", "support", "viewer"];

fn role_schema() -> utoipa::openapi::schema::Object {
    string_enum(ROLES)
}

fn user_status_schema() -> utoipa::openapi::schema::Object {
    string_enum(&["invited", "active"])
}

fn actor_type_schema() -> utoipa::openapi::schema::Object {
    string_enum(&["user", "api_key"])
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Browsers: put the refresh token in an HttpOnly, Secure,
    /// SameSite=Strict cookie scoped to `/api/v1/auth` instead of the body.
    #[serde(default)]
    pub refresh_cookie: bool,
}

/// `POST /api/v1/auth/mfa`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"mfaToken": "eyJhbGciOiJIUzI1NiJ9.e30.signature", "code": "287082"}))]
pub struct MfaRequest {
    /// From the login answer; valid for 5 minutes.
    pub mfa_token: String,
    /// The authenticator's 6-digit code, or an unused recovery code.
    pub code: String,
    #[serde(default)]
    pub refresh_cookie: bool,
}

/// `POST /api/v1/auth/refresh`: the refresh token in the body, or none
/// when the browser's refresh cookie carries it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"refreshToken": "rt_2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f"}))]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

/// A signed-in user's tokens, or the second step of signing in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInAnswer {
    /// Present with `mfaRequired: true`: send it with a code to
    /// `/api/v1/auth/mfa`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<String>,
    /// A JWT for `Authorization: Bearer`, valid for `expiresIn` seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "Bearer")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Valid for 7 days and for one use; absent when the refresh cookie
    /// carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

impl SignInAnswer {
    pub fn from_proto(r: &pb::SignInResponse, refresh_in_body: bool) -> Self {
        if r.mfa_required {
            return Self {
                mfa_required: Some(true),
                mfa_token: Some(r.mfa_token.clone()),
                access_token: None,
                token_type: None,
                expires_in: None,
                refresh_token: None,
                user: None,
            };
        }
        Self {
            mfa_required: None,
            mfa_token: None,
            access_token: Some(r.access_token.clone()),
            token_type: Some("Bearer"),
            expires_in: Some(r.expires_in),
            refresh_token: refresh_in_body.then(|| r.refresh_token.clone()),
            user: r.user.as_ref().map(User::from),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[schema(example = "usr_1a2b3c4d5e6f7a8b9c0d1e2f")]
    pub id: String,
    /// Always `user`.
    #[schema(value_type = String, example = "user")]
    pub object: &'static str,
    pub email: String,
    pub name: Option<String>,
    #[schema(schema_with = role_schema)]
    pub role: String,
    #[schema(schema_with = user_status_schema)]
    pub status: String,
    pub totp_enabled: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
}

impl From<&pb::User> for User {
    fn from(u: &pb::User) -> Self {
        Self {
            id: u.id.clone(),
            object: "user",
            email: u.email.clone(),
            name: non_empty(&u.name),
            role: u.role.clone(),
            status: u.status.clone(),
            totp_enabled: u.totp_enabled,
            created_at: time(u.created_at.as_ref()),
            last_login_at: time(u.last_login_at.as_ref()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeOrganization {
    pub id: String,
    pub name: String,
    pub require_two_factor: bool,
}

/// `GET /api/v1/auth/me`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: User,
    pub organization: MeOrganization,
    /// What this user may do: the API key scopes their role holds.
    pub permissions: Vec<String>,
    /// The organization requires two-factor sign-in and this user has not
    /// set it up: only the account routes answer until they do.
    pub two_factor_enrollment_required: bool,
    /// The mode this request ran in (`Paygate-Mode`).
    pub livemode: bool,
}

impl From<&pb::MeResponse> for Me {
    fn from(m: &pb::MeResponse) -> Self {
        Self {
            user: User::from(&m.user.clone().unwrap_or_default()),
            organization: MeOrganization {
                id: m.organization_id.clone(),
                name: m.organization_name.clone(),
                require_two_factor: m.require_two_factor,
            },
            permissions: m.permissions.clone(),
            two_factor_enrollment_required: m.two_factor_enrollment_required,
            livemode: m.livemode,
        }
    }
}

/// `POST /api/v1/auth/password`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"currentPassword": "correct horse battery", "newPassword": "another long passphrase"}))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// `POST /api/v1/auth/totp/setup`: shown until the set-up is confirmed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpSetup {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    pub otpauth_url: String,
    /// The `otpauthUrl` as a QR code, an SVG document.
    pub qr_code_svg: String,
}

impl From<&pb::TotpSetupResponse> for TotpSetup {
    fn from(r: &pb::TotpSetupResponse) -> Self {
        Self { secret: r.secret.clone(), otpauth_url: r.otpauth_url.clone(), qr_code_svg: r.qr_code_svg.clone() }
    }
}

/// A code from the authenticator (or a recovery code where it says so).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"code": "287082"}))]
pub struct TotpCodeRequest {
    pub code: String,
}

/// Ten single-use recovery codes, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `POST /api/v1/auth/invitations/accept`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"token": "inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7", "password": "correct horse battery"}))]
pub struct AcceptInvitationRequest {
    /// The `inv_…` token from the invitation link's fragment.
    pub token: String,
    /// At least 10 characters.
    pub password: String,
    pub name: Option<String>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"email": "grace@example.com", "role": "support"}))]
pub struct InviteUserRequest {
    pub email: String,
    #[schema(schema_with = role_schema)]
    pub role: String,
    pub name: Option<String>,
}

/// A user just invited: send them `inviteUrl` (shown once; valid 7 days).
/// A replay of the request (same `Idempotency-Key`) answers the user with
/// `inviteUrl: null`: the link is never stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitedUser {
    #[serde(flatten)]
    pub user: User,
    pub invite_url: Option<String>,
}

impl From<&pb::InviteUserResponse> for InvitedUser {
    fn from(r: &pb::InviteUserResponse) -> Self {
        Self { user: User::from(&r.user.clone().unwrap_or_default()), invite_url: non_empty(&r.invitation_url) }
    }
}

/// `PATCH /api/v1/users/{id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"role": "admin"}))]
pub struct UpdateUserRequest {
    #[schema(schema_with = role_schema)]
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    #[serde(rename = "type")]
    #[schema(schema_with = actor_type_schema)]
    pub kind: String,
    /// `usr_…` or `key_…`.
    pub id: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[schema(example = "aud_1a2b3c4d5e6f7a8b9c0d1e2f")]
    pub id: String,
    /// Always `audit_entry`.
    #[schema(value_type = String, example = "audit_entry")]
    pub object: &'static str,
    pub actor: AuditActor,
    /// What was done, e.g. `refund.create`, `api_key.revoke`, `user.invite`.
    #[schema(example = "refund.create")]
    pub action: String,
    /// What it was done to.
    pub object_id: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    pub livemode: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

impl From<&pb::AuditEntry> for AuditEntry {
    fn from(e: &pb::AuditEntry) -> Self {
        Self {
            id: e.id.clone(),
            object: "audit_entry",
            actor: AuditActor { kind: e.actor_type.clone(), id: e.actor_id.clone(), email: non_empty(&e.actor_email) },
            action: e.action.clone(),
            object_id: non_empty(&e.object_id),
            ip: non_empty(&e.ip),
            livemode: e.livemode,
            created_at: time(e.created_at.as_ref()),
        }
    }
}
