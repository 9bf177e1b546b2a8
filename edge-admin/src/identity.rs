//! Signing in, the team and the audit log: REST over core's AuthService,
//! UserService and AuditService. Browsers may keep the refresh token in a
//! cookie only JavaScript cannot read and only `/api/v1/auth` receives.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
};
use paygate_contract::client::CoreChannel;
use paygate_contract::{
    error::{ErrorType, HttpError},
    http::{AppJson, AppJsonOrEmpty, AppQuery, core_request, idempotency_key, with_replay_header},
    proto::v1::{
        self as pb, audit_service_client::AuditServiceClient, auth_service_client::AuthServiceClient,
        user_service_client::UserServiceClient,
    },
    wire::{self, List, ListQuery},
};

/// The refresh cookie, for browsers that ask for it at sign-in.
pub const REFRESH_COOKIE: &str = "paygate_refresh";
const COOKIE_ATTRIBUTES: &str = "Path=/api/v1/auth; Secure; HttpOnly; SameSite=Strict";
const REFRESH_MAX_AGE_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Clone)]
struct Clients {
    auth: AuthServiceClient<CoreChannel>,
    users: UserServiceClient<CoreChannel>,
    audit: AuditServiceClient<CoreChannel>,
}

type ApiResult = Result<Response, HttpError>;

/// The identity routes under `prefix` (each spelling of the API's).
pub fn routes<S: Clone + Send + Sync + 'static>(core: CoreChannel, prefix: &str) -> Router<S> {
    let clients = Clients {
        auth: AuthServiceClient::new(core.clone()),
        users: UserServiceClient::new(core.clone()),
        audit: AuditServiceClient::new(core),
    };
    let api = Router::new()
        .route(&format!("{prefix}/auth/login"), post(login))
        .route(&format!("{prefix}/auth/mfa"), post(mfa))
        .route(&format!("{prefix}/auth/refresh"), post(refresh))
        .route(&format!("{prefix}/auth/logout"), post(logout))
        .route(&format!("{prefix}/auth/me"), get(me))
        .route(&format!("{prefix}/auth/password"), post(change_password))
        .route(&format!("{prefix}/auth/totp/setup"), post(totp_setup))
        .route(&format!("{prefix}/auth/totp/enable"), post(totp_enable))
        .route(&format!("{prefix}/auth/totp/disable"), post(totp_disable))
        .route(&format!("{prefix}/auth/recovery-codes"), post(recovery_codes))
        .route(&format!("{prefix}/auth/invitations/accept"), post(accept_invitation))
        .route(&format!("{prefix}/users"), post(invite_user).get(list_users))
        .route(&format!("{prefix}/users/{{id}}"), patch(update_user).delete(remove_user))
        .route(&format!("{prefix}/audit-log"), get(list_audit_log));
    api.with_state(clients)
}

fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn set_refresh_cookie(response: &mut Response, token: &str) {
    let cookie = format!("{REFRESH_COOKIE}={token}; Max-Age={REFRESH_MAX_AGE_SECONDS}; {COOKIE_ATTRIBUTES}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn clear_refresh_cookie(response: &mut Response) {
    if let Ok(value) = HeaderValue::from_str(&format!("{REFRESH_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}")) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Tokens never belong in a cache.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The sign-in answer, with the refresh token in the body or, when asked,
/// in the cookie.
fn signed_in(answer: &pb::SignInResponse, in_cookie: bool) -> Response {
    let mut response = Json(wire::SignInAnswer::from_proto(answer, !in_cookie)).into_response();
    if in_cookie && !answer.mfa_required {
        set_refresh_cookie(&mut response, &answer.refresh_token);
    }
    no_store(response)
}

async fn login(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::LoginRequest>,
) -> ApiResult {
    let message = pb::LoginRequest { email: body.email, password: body.password };
    let answer = clients.auth.login(core_request(&headers, message)).await?.into_inner();
    Ok(signed_in(&answer, body.refresh_cookie))
}

async fn mfa(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::MfaRequest>,
) -> ApiResult {
    let message = pb::MfaRequest { mfa_token: body.mfa_token, code: body.code };
    let answer = clients.auth.mfa(core_request(&headers, message)).await?.into_inner();
    Ok(signed_in(&answer, body.refresh_cookie))
}

async fn refresh(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJsonOrEmpty(body): AppJsonOrEmpty<wire::RefreshRequest>,
) -> ApiResult {
    let (token, from_cookie) = match body.refresh_token {
        Some(token) => (token, false),
        None => match refresh_cookie(&headers) {
            Some(token) => (token, true),
            None => {
                return Err(HttpError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorType::Authentication,
                    "token_invalid",
                    "send refreshToken, or sign in again",
                ));
            }
        },
    };
    let answer = clients.auth.refresh(core_request(&headers, pb::RefreshRequest { refresh_token: token })).await;
    match answer {
        Ok(answer) => Ok(signed_in(answer.get_ref(), from_cookie)),
        Err(status) => {
            let mut response = HttpError::from_status(&status).into_response();
            if from_cookie {
                clear_refresh_cookie(&mut response);
            }
            Ok(response)
        }
    }
}

async fn logout(State(mut clients): State<Clients>, headers: HeaderMap) -> ApiResult {
    clients.auth.logout(core_request(&headers, pb::LogoutRequest {})).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_refresh_cookie(&mut response);
    Ok(response)
}

async fn me(State(mut clients): State<Clients>, headers: HeaderMap) -> ApiResult {
    let answer = clients.auth.me(core_request(&headers, pb::MeRequest {})).await?;
    Ok(no_store(Json(wire::Me::from(answer.get_ref())).into_response()))
}

async fn change_password(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::ChangePasswordRequest>,
) -> ApiResult {
    let message =
        pb::ChangePasswordRequest { current_password: body.current_password, new_password: body.new_password };
    clients.auth.change_password(core_request(&headers, message)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn totp_setup(State(mut clients): State<Clients>, headers: HeaderMap) -> ApiResult {
    let answer = clients.auth.totp_setup(core_request(&headers, pb::TotpSetupRequest {})).await?;
    Ok(no_store(Json(wire::TotpSetup::from(answer.get_ref())).into_response()))
}

async fn totp_enable(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TotpCodeRequest>,
) -> ApiResult {
    let answer = clients.auth.totp_enable(core_request(&headers, pb::TotpCodeRequest { code: body.code })).await?;
    Ok(no_store(Json(wire::RecoveryCodes { recovery_codes: answer.into_inner().recovery_codes }).into_response()))
}

async fn totp_disable(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TotpCodeRequest>,
) -> ApiResult {
    clients.auth.totp_disable(core_request(&headers, pb::TotpCodeRequest { code: body.code })).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn recovery_codes(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::TotpCodeRequest>,
) -> ApiResult {
    let message = pb::TotpCodeRequest { code: body.code };
    let answer = clients.auth.regenerate_recovery_codes(core_request(&headers, message)).await?;
    Ok(no_store(Json(wire::RecoveryCodes { recovery_codes: answer.into_inner().recovery_codes }).into_response()))
}

async fn accept_invitation(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::AcceptInvitationRequest>,
) -> ApiResult {
    let message = pb::AcceptInvitationRequest { token: body.token, password: body.password, name: body.name };
    let answer = clients.auth.accept_invitation(core_request(&headers, message)).await?;
    Ok(Json(serde_json::json!({"email": answer.get_ref().email})).into_response())
}

async fn invite_user(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::InviteUserRequest>,
) -> ApiResult {
    let message = pb::InviteUserRequest {
        email: body.email,
        role: body.role,
        name: body.name.unwrap_or_default(),
        idempotency_key: idempotency_key(&headers)?,
    };
    let answer = clients.users.invite_user(core_request(&headers, message)).await?;
    let created = (StatusCode::CREATED, Json(wire::InvitedUser::from(answer.get_ref()))).into_response();
    Ok(no_store(with_replay_header(answer.metadata(), created)))
}

async fn list_users(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListUsersRequest { page: Some(query.page()) };
    let answer = clients.users.list_users(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::User>::of(&answer.data, answer.has_more)).into_response())
}

async fn update_user(
    State(mut clients): State<Clients>,
    Path(id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<wire::UpdateUserRequest>,
) -> ApiResult {
    let answer =
        clients.users.update_user(core_request(&headers, pb::UpdateUserRequest { id, role: body.role })).await?;
    Ok(Json(wire::User::from(answer.get_ref())).into_response())
}

async fn remove_user(State(mut clients): State<Clients>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult {
    clients.users.remove_user(core_request(&headers, pb::RemoveUserRequest { id })).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_audit_log(
    State(mut clients): State<Clients>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<ListQuery>,
) -> ApiResult {
    let message = pb::ListAuditLogRequest { page: Some(query.page()) };
    let answer = clients.audit.list_audit_log(core_request(&headers, message)).await?.into_inner();
    Ok(Json(List::<wire::AuditEntry>::of(&answer.data, answer.has_more)).into_response())
}
