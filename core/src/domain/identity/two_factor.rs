//! Turning two-factor sign-in on and off, and recovery codes. The secret
//! is sealed at rest like every other secret; recovery codes are stored
//! only as hashes and shown once.

use super::super::{Core, auth::Principal};
use super::totp;
use super::users::User;
use crate::error::{CoreError, CoreResult};

/// What setting up an authenticator shows (once; a new set-up replaces it).
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_code_svg: String,
}

const ISSUER: &str = "Paygate";

impl Core {
    /// Starts setting up an authenticator: a new secret, pending until a
    /// code from it confirms it. Refused while two-factor is on (turn it
    /// off first), so a stolen session cannot swap the authenticator.
    pub async fn totp_setup(&self, principal: &Principal) -> CoreResult<TotpSetup> {
        let user = self.signed_in_user(principal).await?;
        if user.totp_enabled() {
            return Err(CoreError::conflict("totp_already_enabled", "two-factor sign-in is already on"));
        }
        let secret = totp::new_secret();
        let otpauth_url = totp::otpauth_url(&secret, &user.email, ISSUER)
            .ok_or_else(|| CoreError::Internal("otpauth URL could not be built".into()))?;
        let qr_code_svg =
            totp::qr_svg(&otpauth_url).ok_or_else(|| CoreError::Internal("QR code could not be drawn".into()))?;
        let sealed = self.sealing.seal(&secret, &user.id)?;
        self.modify(user, |u| {
            u.totp_pending_secret = Some(sealed.clone());
            Ok(())
        })
        .await?;
        Ok(TotpSetup { secret, otpauth_url, qr_code_svg })
    }

    /// Confirms the pending secret with a current code: two-factor is on,
    /// and ten recovery codes are returned (this once).
    pub async fn totp_enable(&self, principal: &Principal, code: &str) -> CoreResult<Vec<String>> {
        let user = self.signed_in_user(principal).await?;
        if user.totp_enabled() {
            return Err(CoreError::conflict("totp_already_enabled", "two-factor sign-in is already on"));
        }
        let pending = user
            .totp_pending_secret
            .clone()
            .ok_or_else(|| CoreError::conflict("totp_setup_required", "start with POST /api/v1/auth/totp/setup"))?;
        let secret = self.sealing.open(&pending, &user.id)?;
        let now_seconds = u64::try_from(self.now() / 1_000_000).unwrap_or_default();
        let step = totp::matching_step(secret.expose(), code, now_seconds).ok_or_else(wrong_code)?;
        let (codes, hashes) = totp::new_recovery_codes();
        self.modify(user, |u| {
            if u.totp_pending_secret.as_deref() != Some(pending.as_str()) {
                return Err(CoreError::conflict("totp_setup_changed", "the set-up changed meanwhile; start again"));
            }
            u.totp_secret = Some(pending.clone());
            u.totp_pending_secret = None;
            u.totp_last_step = Some(step);
            u.recovery_code_hashes.clone_from(&hashes);
            Ok(())
        })
        .await?;
        self.end_enrolment(principal).await?;
        Ok(codes)
    }

    /// Turns two-factor off; takes a current code (or a recovery code).
    pub async fn totp_disable(&self, principal: &Principal, code: &str) -> CoreResult<User> {
        let user = self.enabled_user(principal).await?;
        if self.organization_requires_two_factor(&user.organization_id).await? {
            return Err(CoreError::Forbidden {
                code: "two_factor_required",
                message: "your organization requires two-factor sign-in".into(),
            });
        }
        let user = self.consume_second_factor(user, code).await.map_err(|_| wrong_code())?;
        self.modify(user, |u| {
            u.totp_secret = None;
            u.totp_last_step = None;
            u.recovery_code_hashes.clear();
            Ok(())
        })
        .await
    }

    /// A fresh set of ten recovery codes; the old ones stop working.
    pub async fn regenerate_recovery_codes(&self, principal: &Principal, code: &str) -> CoreResult<Vec<String>> {
        let user = self.enabled_user(principal).await?;
        let user = self.consume_second_factor(user, code).await.map_err(|_| wrong_code())?;
        let (codes, hashes) = totp::new_recovery_codes();
        self.modify(user, |u| {
            u.recovery_code_hashes.clone_from(&hashes);
            Ok(())
        })
        .await?;
        Ok(codes)
    }

    async fn enabled_user(&self, principal: &Principal) -> CoreResult<User> {
        let user = self.signed_in_user(principal).await?;
        if !user.totp_enabled() {
            return Err(CoreError::conflict("totp_not_enabled", "two-factor sign-in is not on"));
        }
        Ok(user)
    }

    async fn organization_requires_two_factor(&self, organization_id: &str) -> CoreResult<bool> {
        Ok(self
            .get::<super::super::organizations::Organization>(organization_id)
            .await?
            .is_some_and(|o| o.require_two_factor))
    }

    /// Once two-factor is on, the session that set it up is a full one.
    async fn end_enrolment(&self, principal: &Principal) -> CoreResult<()> {
        let Some(actor) = &principal.user else { return Ok(()) };
        if actor.enrolling {
            self.update::<super::sessions::AdminSession, _>(&actor.session_id, |s| {
                s.enrol = false;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}

fn wrong_code() -> CoreError {
    CoreError::field("code", "code_invalid", "the code is not correct (or was used already); try the next one")
}
