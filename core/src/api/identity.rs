//! gRPC adapters for signing in, the team and the audit log.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, SecretOnce, convert::timestamp, replayed, request_context, traced};
use crate::domain::{
    api_keys::{KeyMode, scopes},
    identity::{
        audit::AuditEntry,
        sessions::{SignIn, Tokens},
        users::{User, UserStatus},
    },
    organizations::Organization,
    page,
};
use crate::error::CoreError;

fn user(user: User) -> pb::User {
    let totp_enabled = user.totp_enabled();
    pb::User {
        id: user.id,
        organization_id: user.organization_id,
        email: user.email,
        name: user.name,
        role: user.role.as_str().into(),
        status: match user.status {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
        }
        .into(),
        totp_enabled,
        created_at: Some(timestamp(user.created_at)),
        last_login_at: user.last_login_at.map(timestamp),
    }
}

fn audit_entry(entry: AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        id: entry.id,
        actor_type: entry.actor_type,
        actor_id: entry.actor_id,
        actor_email: entry.actor_email.unwrap_or_default(),
        action: entry.action,
        object_id: entry.object_id,
        ip: entry.ip,
        livemode: entry.livemode,
        created_at: Some(timestamp(entry.created_at)),
    }
}

fn signed_in(tokens: Tokens) -> SignInResponse {
    SignInResponse {
        access_token: tokens.access_token.expose().to_owned(),
        refresh_token: tokens.refresh_token.expose().to_owned(),
        expires_in: tokens.expires_in,
        user: Some(user(tokens.user)),
        mfa_required: false,
        mfa_token: String::new(),
    }
}

#[tonic::async_trait]
impl auth_service_server::AuthService for GrpcApi {
    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<SignInResponse>, Status> {
        traced("Login", &request, async {
            let body = request.get_ref();
            let answer = match self.core.login(&body.email, &body.password).await? {
                SignIn::Tokens(tokens) => {
                    self.audit_sign_in(&request, &tokens).await?;
                    signed_in(*tokens)
                }
                SignIn::MfaRequired { mfa_token } => {
                    SignInResponse { mfa_required: true, mfa_token, ..Default::default() }
                }
            };
            Ok::<_, CoreError>(Response::new(answer))
        })
        .await?
        .map_err(Status::from)
    }

    async fn mfa(&self, request: Request<MfaRequest>) -> Result<Response<SignInResponse>, Status> {
        traced("Mfa", &request, async {
            let body = request.get_ref();
            let tokens = self.core.login_mfa(&body.mfa_token, &body.code).await?;
            self.audit_sign_in(&request, &tokens).await?;
            Ok::<_, CoreError>(Response::new(signed_in(tokens)))
        })
        .await?
        .map_err(Status::from)
    }

    async fn refresh(&self, request: Request<RefreshRequest>) -> Result<Response<SignInResponse>, Status> {
        traced("Refresh", &request, async {
            let tokens = self.core.refresh(&request.get_ref().refresh_token).await?;
            Ok::<_, CoreError>(Response::new(signed_in(tokens)))
        })
        .await?
        .map_err(Status::from)
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<LogoutResponse>, Status> {
        traced("Logout", &request, async {
            let principal = self.caller(&request).await?;
            self.core.logout(&principal).await?;
            self.core.audit(&principal, "session.logout", &principal.key_id).await;
            Ok(Response::new(LogoutResponse {}))
        })
        .await?
    }

    async fn me(&self, request: Request<MeRequest>) -> Result<Response<MeResponse>, Status> {
        traced("Me", &request, async {
            let principal = self.caller(&request).await?;
            let account = self.core.signed_in_user(&principal).await?;
            let organization = self
                .core
                .get::<Organization>(&principal.organization_id)
                .await?
                .ok_or(CoreError::NotFound("organization"))?;
            Ok(Response::new(MeResponse {
                user: Some(user(account)),
                organization_id: organization.id,
                organization_name: organization.name,
                require_two_factor: organization.require_two_factor,
                permissions: principal.scopes.to_vec(),
                two_factor_enrollment_required: principal.user.as_ref().is_some_and(|u| u.enrolling),
                livemode: principal.mode == KeyMode::Live,
            }))
        })
        .await?
    }

    async fn change_password(
        &self,
        request: Request<ChangePasswordRequest>,
    ) -> Result<Response<ChangePasswordResponse>, Status> {
        traced("ChangePassword", &request, async {
            let principal = self.caller(&request).await?;
            let body = request.get_ref();
            self.core.change_password(&principal, &body.current_password, &body.new_password).await?;
            self.core.audit(&principal, "user.password_change", &principal.key_id).await;
            Ok(Response::new(ChangePasswordResponse {}))
        })
        .await?
    }

    async fn totp_setup(&self, request: Request<TotpSetupRequest>) -> Result<Response<TotpSetupResponse>, Status> {
        traced("TotpSetup", &request, async {
            let principal = self.caller(&request).await?;
            let setup = self.core.totp_setup(&principal).await?;
            Ok(Response::new(TotpSetupResponse {
                secret: setup.secret,
                otpauth_url: setup.otpauth_url,
                qr_code_svg: setup.qr_code_svg,
            }))
        })
        .await?
    }

    async fn totp_enable(&self, request: Request<TotpCodeRequest>) -> Result<Response<RecoveryCodesResponse>, Status> {
        traced("TotpEnable", &request, async {
            let principal = self.caller(&request).await?;
            let recovery_codes = self.core.totp_enable(&principal, &request.get_ref().code).await?;
            self.core.audit(&principal, "user.totp_enable", &principal.key_id).await;
            Ok(Response::new(RecoveryCodesResponse { recovery_codes }))
        })
        .await?
    }

    async fn totp_disable(&self, request: Request<TotpCodeRequest>) -> Result<Response<pb::User>, Status> {
        traced("TotpDisable", &request, async {
            let principal = self.caller(&request).await?;
            let account = self.core.totp_disable(&principal, &request.get_ref().code).await?;
            self.core.audit(&principal, "user.totp_disable", &principal.key_id).await;
            Ok(Response::new(user(account)))
        })
        .await?
    }

    async fn regenerate_recovery_codes(
        &self,
        request: Request<TotpCodeRequest>,
    ) -> Result<Response<RecoveryCodesResponse>, Status> {
        traced("RegenerateRecoveryCodes", &request, async {
            let principal = self.caller(&request).await?;
            let recovery_codes = self.core.regenerate_recovery_codes(&principal, &request.get_ref().code).await?;
            self.core.audit(&principal, "user.recovery_codes_regenerate", &principal.key_id).await;
            Ok(Response::new(RecoveryCodesResponse { recovery_codes }))
        })
        .await?
    }

    async fn accept_invitation(&self, request: Request<AcceptInvitationRequest>) -> Result<Response<pb::User>, Status> {
        traced("AcceptInvitation", &request, async {
            let body = request.get_ref();
            let account = self.core.accept_invitation(&body.token, &body.password, body.name.as_deref()).await?;
            Ok::<_, CoreError>(Response::new(user(account)))
        })
        .await?
        .map_err(Status::from)
    }
}

impl GrpcApi {
    /// A sign-in is recorded as the user's own action.
    async fn audit_sign_in<T>(&self, request: &Request<T>, tokens: &Tokens) -> Result<(), CoreError> {
        let context = request_context(request)?;
        let principal = crate::domain::auth::Principal {
            organization_id: tokens.user.organization_id.clone(),
            key_id: tokens.user.id.clone(),
            scopes: std::sync::Arc::from([]),
            mode: KeyMode::Test,
            user: Some(crate::domain::identity::sessions::UserActor {
                id: tokens.user.id.clone(),
                email: tokens.user.email.clone(),
                role: tokens.user.role,
                session_id: String::new(),
                enrolling: false,
            }),
            client_ip: context.ip,
        };
        self.core.audit(&principal, "session.login", &tokens.user.id).await;
        Ok(())
    }
}

#[tonic::async_trait]
impl user_service_server::UserService for GrpcApi {
    async fn invite_user(&self, request: Request<InviteUserRequest>) -> Result<Response<InviteUserResponse>, Status> {
        traced("InviteUser", &request, async {
            let principal = self.principal(&request, scopes::USERS_WRITE).await?;
            let body = request.get_ref();
            let fingerprint =
                crate::domain::idempotency::fingerprint(&(body.email.trim().to_lowercase(), &body.role, &body.name))?;
            // The token exists only in the first answer: a replay returns
            // the user without the link (a new link needs a new invitation).
            let invited = self
                .core
                .idempotent(&principal, "user.invite", &body.idempotency_key, fingerprint, "usr", |_| async {
                    let invited = self.core.invite_user(&principal, &body.email, &body.name, &body.role).await?;
                    Ok::<_, CoreError>((invited.user, SecretOnce(Some(invited.token))))
                })
                .await?;
            let (account, token) = invited.value;
            self.core.audit(&principal, "user.invite", &account.id).await;
            let token = token.0.unwrap_or_default();
            let invitation_url = if token.is_empty() { String::new() } else { self.core.invitation_url(&token) };
            Ok(replayed(
                InviteUserResponse { user: Some(user(account)), invitation_token: token, invitation_url },
                invited.replayed,
            ))
        })
        .await?
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        traced("ListUsers", &request, async {
            let principal = self.principal(&request, scopes::USERS_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (users, has_more) =
                self.core.list_users(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            Ok(Response::new(ListUsersResponse { data: users.into_iter().map(user).collect(), has_more }))
        })
        .await?
    }

    async fn update_user(&self, request: Request<UpdateUserRequest>) -> Result<Response<pb::User>, Status> {
        traced("UpdateUser", &request, async {
            let principal = self.principal(&request, scopes::USERS_WRITE).await?;
            let body = request.get_ref();
            let changed = self.core.change_role(&principal, &body.id, &body.role).await?;
            self.core.audit(&principal, "user.role_change", &changed.id).await;
            Ok(Response::new(user(changed)))
        })
        .await?
    }

    async fn remove_user(&self, request: Request<RemoveUserRequest>) -> Result<Response<pb::User>, Status> {
        traced("RemoveUser", &request, async {
            let principal = self.principal(&request, scopes::USERS_WRITE).await?;
            let removed = self.core.remove_user(&principal, &request.get_ref().id).await?;
            self.core.audit(&principal, "user.remove", &removed.id).await;
            Ok(Response::new(user(removed)))
        })
        .await?
    }
}

#[tonic::async_trait]
impl audit_service_server::AuditService for GrpcApi {
    async fn list_audit_log(
        &self,
        request: Request<ListAuditLogRequest>,
    ) -> Result<Response<ListAuditLogResponse>, Status> {
        traced("ListAuditLog", &request, async {
            let principal = self.principal(&request, scopes::AUDIT_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (entries, has_more) =
                self.core.list_audit_log(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            Ok(Response::new(ListAuditLogResponse { data: entries.into_iter().map(audit_entry).collect(), has_more }))
        })
        .await?
    }
}

/// The id an audit entry names for a response: the object created or
/// changed.
pub(super) trait AuditId {
    fn audit_id(&self) -> String;
}

macro_rules! audit_id {
    ($($type:ty => |$m:ident| $id:expr;)*) => {
        $(impl AuditId for $type {
            fn audit_id(&self) -> String {
                let $m = self;
                $id
            }
        })*
    };
}

audit_id! {
    pb::TaxRule => |m| m.id.clone();
    ListTaxRulesResponse => |m| m.data.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(",");
    pb::CustomerRecord => |m| m.id.clone();
    pb::Plan => |m| m.id.clone();
    pb::Organization => |m| m.id.clone();
    CreateApiKeyResponse => |m| m.key.as_ref().map(|k| k.id.clone()).unwrap_or_default();
    pb::ApiKey => |m| m.id.clone();
    CreateSiteResponse => |m| m.site.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    pb::Site => |m| m.id.clone();
    pb::CheckoutDomain => |m| format!("{}:{}", m.site_id, m.domain);
    pb::Checkout => |m| m.id.clone();
    pb::Transaction => |m| m.id.clone();
    pb::Refund => |m| m.id.clone();
    pb::IpnDelivery => |m| m.id.clone();
    CreatePortalSessionResponse => |m| m.session.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    CreateProviderResponse => |m| m.provider.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    pb::Provider => |m| m.id.clone();
    SandboxEventResponse => |m| m.event_id.clone();
    pb::Subscription => |m| m.id.clone();
    pb::TestClock => |m| m.id.clone();
}

impl GrpcApi {
    /// Records a successful change in the audit log and passes its answer
    /// on.
    pub(super) async fn audited<M: AuditId>(
        &self,
        principal: &crate::domain::auth::Principal,
        action: &str,
        response: Response<M>,
    ) -> Response<M> {
        self.core.audit(principal, action, &response.get_ref().audit_id()).await;
        response
    }
}
