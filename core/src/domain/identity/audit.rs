//! The audit log: who changed what, when, from where. Every mutating Admin
//! API call that succeeds writes one entry, by a user or by an API key.

use serde::{Deserialize, Serialize};

use super::super::{Core, Entity, api_keys::scopes, auth::Principal, encoded, now_micros};
use crate::{
    error::{CoreError, CoreResult},
    ids::new_id,
    store::Page,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// `user` or `api_key`.
    pub actor_type: String,
    pub actor_id: String,
    /// The user's email at the time (users may later be removed).
    #[serde(default)]
    pub actor_email: Option<String>,
    /// `refund.create`, `api_key.revoke`, …
    pub action: String,
    #[serde(default)]
    pub object_id: String,
    /// The client's address as the edge saw it.
    #[serde(default)]
    pub ip: String,
    pub livemode: bool,
}

impl Entity for AuditEntry {
    const COLLECTION: &'static str = "audit_log";
    const NAME: &'static str = "audit entry";
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

impl Core {
    /// Records that `principal` did `action` on `object_id`. A failure to
    /// write is logged, not returned: the change itself has happened.
    pub async fn audit(&self, principal: &Principal, action: &str, object_id: &str) {
        if let Err(err) = self.insert(&audit_entry(principal, action, object_id)).await {
            tracing::error!(error = %err, action, object_id, "audit entry not written");
        }
    }

    /// Inserts `entity` and its audit entry together: one round trip and,
    /// in the embedded store, one commit. The entry is only written when
    /// the entity was; a failure to write the entry is logged, as in
    /// [`Core::audit`].
    /// The caller finishes with [`Core::inserted_owned`], which takes the
    /// entity rather than copying it.
    pub async fn insert_audited<T: Entity>(&self, entity: &T, principal: &Principal, action: &str) -> CoreResult<()> {
        let entry = audit_entry(principal, action, entity.id());
        let inserts = vec![(T::COLLECTION, encoded(entity, 1)?), (AuditEntry::COLLECTION, encoded(&entry, 1)?)];
        let (stored, failure) = self.store.insert_each_encoded(inserts).await;
        self.forget_cached::<T>();
        match (stored, failure) {
            (0, Some(err)) => return Err(err.into()),
            (0, None) => return Err(CoreError::Internal("the store answered an insert with nothing".into())),
            (_, Some(err)) => {
                tracing::error!(error = %err, action, object_id = entity.id(), "audit entry not written");
            }
            (_, None) => {}
        }
        Ok(())
    }

    /// The organization's audit log, newest first, both modes.
    pub async fn list_audit_log(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<AuditEntry>, bool)> {
        principal.require(scopes::AUDIT_READ)?;
        self.list(&vec![("organizationId", principal.organization_id.clone().into())], page).await
    }
}

/// What `principal` doing `action` on `object_id` leaves in the log.
fn audit_entry(principal: &Principal, action: &str, object_id: &str) -> AuditEntry {
    let (actor_type, actor_id, actor_email) = match &principal.user {
        Some(user) => ("user", user.id.clone(), Some(user.email.clone())),
        None => ("api_key", principal.key_id.clone(), None),
    };
    AuditEntry {
        id: new_id("aud"),
        version: 0,
        created_at: now_micros(),
        organization_id: principal.organization_id.clone(),
        actor_type: actor_type.into(),
        actor_id,
        actor_email,
        action: action.into(),
        object_id: object_id.into(),
        ip: principal.client_ip.clone(),
        livemode: principal.livemode(),
    }
}
