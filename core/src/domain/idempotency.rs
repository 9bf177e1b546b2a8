//! `Idempotency-Key`: the same key and body within 24 h return the first
//! response; another body is refused (422); a duplicate while the first is
//! still running is refused (409); concurrent duplicates execute once.
//!
//! The record is claimed with a unique insert before the operation runs,
//! and carries the id of the resource the operation will create. If a core
//! dies mid-request the claim's lock expires, and the next retry resumes
//! the operation with the same resource id — which the operation treats as
//! "already done" if it got that far — so a crash never creates twice.

use std::future::Future;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Core, Entity, now_micros, to_body};
use crate::{
    crypto::sha256_hex,
    error::{CoreError, CoreResult},
    ids::new_id,
    store::StoreError,
};

const RETENTION_MICROS: i64 = 24 * 3600 * 1_000_000;
/// How long a running request holds its key before a retry may take over.
const LOCK_MICROS: i64 = 30 * 1_000_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum State {
    Running,
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdempotencyRecord {
    id: String,
    #[serde(default)]
    version: i64,
    created_at: i64,
    organization_id: String,
    fingerprint: String,
    state: State,
    locked_until: i64,
    resource_id: String,
    #[serde(default)]
    response: Option<serde_json::Value>,
}

impl Entity for IdempotencyRecord {
    const COLLECTION: &'static str = "idempotency";
    const NAME: &'static str = "idempotency record";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A stable hash of the request: serde_json objects keep their keys
/// sorted, so equal requests serialise identically.
pub fn fingerprint<T: Serialize>(request: &T) -> CoreResult<String> {
    Ok(sha256_hex(to_body(request)?.to_string().as_bytes()))
}

/// What the operation returned, and whether it came from the record.
pub struct Idempotent<R> {
    pub value: R,
    pub replayed: bool,
}

impl Core {
    /// Runs `operation` at most once per (organization, `scope`, `key`).
    /// `operation` receives the id to give the resource it creates and must
    /// return the existing resource if one with that id already exists.
    pub async fn idempotent<R, F, Fut>(
        &self,
        organization_id: &str,
        scope: &str,
        key: &str,
        fingerprint: String,
        resource_prefix: &str,
        operation: F,
    ) -> CoreResult<Idempotent<R>>
    where
        R: Serialize + DeserializeOwned,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = CoreResult<R>>,
    {
        if key.is_empty() {
            let value = operation(new_id(resource_prefix)).await?;
            return Ok(Idempotent { value, replayed: false });
        }
        let now = now_micros();
        let fresh = IdempotencyRecord {
            id: format!("idem_{}", sha256_hex(format!("{organization_id}\0{scope}\0{key}").as_bytes())),
            version: 0,
            created_at: now,
            organization_id: organization_id.to_owned(),
            fingerprint,
            state: State::Running,
            locked_until: now + LOCK_MICROS,
            resource_id: new_id(resource_prefix),
            response: None,
        };
        let claimed = match self.insert(&fresh).await {
            Ok(record) => record,
            Err(CoreError::Store(StoreError::Duplicate { .. })) => match self.claim_existing(&fresh).await? {
                Claim::Replay(response) => {
                    let value = serde_json::from_value(response)
                        .map_err(|err| CoreError::Internal(format!("stored response does not parse: {err}")))?;
                    return Ok(Idempotent { value, replayed: true });
                }
                Claim::Run(record) => record,
            },
            Err(err) => return Err(err),
        };
        match operation(claimed.resource_id.clone()).await {
            Ok(value) => {
                let mut done = claimed;
                done.state = State::Done;
                done.response = Some(to_body(&value)?);
                // Losing this write only means a later replay re-runs the
                // operation with the same resource id, which returns the
                // same resource: log and answer.
                if let Err(err) = self.replace(&done).await {
                    tracing::warn!(error = %err, "idempotency record not completed");
                }
                Ok(Idempotent { value, replayed: false })
            }
            Err(err) => {
                // Errors are not recorded: the client may fix the request
                // and retry with the same key.
                if let Err(delete_err) = self.store.delete(IdempotencyRecord::COLLECTION, &claimed.id).await {
                    tracing::warn!(error = %delete_err, "idempotency claim not released");
                }
                Err(err)
            }
        }
    }

    async fn claim_existing(&self, fresh: &IdempotencyRecord) -> CoreResult<Claim> {
        let Some(existing) = self.get::<IdempotencyRecord>(&fresh.id).await? else {
            // Released between our insert and read: the first request
            // failed. Treat like a concurrent request; the client retries.
            return Err(CoreError::IdempotencyInProgress);
        };
        let now = now_micros();
        let expired = existing.created_at + RETENTION_MICROS < now;
        if !expired && existing.fingerprint != fresh.fingerprint {
            return Err(CoreError::IdempotencyMismatch);
        }
        let takeover = match existing.state {
            State::Done if !expired => {
                let response = existing.response.ok_or_else(|| CoreError::Internal("done without response".into()))?;
                return Ok(Claim::Replay(response));
            }
            State::Done => IdempotencyRecord { version: existing.version, ..fresh.clone() },
            State::Running if existing.locked_until > now => return Err(CoreError::IdempotencyInProgress),
            // The first attempt died mid-way: resume with its resource id.
            State::Running => IdempotencyRecord { locked_until: now + LOCK_MICROS, ..existing },
        };
        match self.replace(&takeover).await {
            Ok(record) => Ok(Claim::Run(record)),
            Err(CoreError::Store(StoreError::VersionConflict | StoreError::NotFound)) => {
                Err(CoreError::IdempotencyInProgress)
            }
            Err(err) => Err(err),
        }
    }
}

enum Claim {
    Replay(serde_json::Value),
    Run(IdempotencyRecord),
}
