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

use super::{Core, Entity, auth::Principal, to_body};
use crate::{
    crypto::sha256_hex,
    error::{CoreError, CoreResult},
    ids::new_id,
    store::{DueCursor, StoreError},
};

/// How long a key binds its first request and response.
pub const RETENTION_MICROS: i64 = 24 * 3600 * 1_000_000;

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
    #[serde(default)]
    livemode: bool,
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
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    /// Due for purging once the key no longer binds.
    fn due_at(&self) -> Option<i64> {
        Some(self.created_at + RETENTION_MICROS)
    }
}

/// A stable hash of the request: serde_json objects keep their keys
/// sorted, so equal requests serialise identically.
pub fn fingerprint<T: Serialize>(request: &T) -> CoreResult<String> {
    Ok(sha256_hex(to_body(request)?.to_string().as_bytes()))
}

/// What the operation returned, and whether it came from the record.
#[derive(Debug)]
pub struct Idempotent<R> {
    pub value: R,
    pub replayed: bool,
}

impl Core {
    /// Runs `operation` at most once per (organization, mode, `scope`,
    /// `key`): a test key's request never replays a live answer, nor the
    /// reverse. `operation` receives the id to give the resource it creates
    /// and must return the existing resource if one with that id already
    /// exists.
    pub async fn idempotent<R, F, Fut>(
        &self,
        principal: &Principal,
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
        // Boxed: the keyed path's state (the record, its claim, the
        // operation) would otherwise be part of every unkeyed request's
        // future, and be copied with it.
        Box::pin(async move {
            let now = self.now();
            let organization_id = principal.organization_id.as_str();
            let livemode = principal.livemode();
            // Test keys keep the record ids they had before modes existed, so a
            // retry across an upgrade still finds its first attempt.
            let owner = if livemode { format!("{organization_id}\0live") } else { organization_id.to_owned() };
            let fresh = IdempotencyRecord {
                id: format!("idem_{}", sha256_hex(format!("{owner}\0{scope}\0{key}").as_bytes())),
                version: 0,
                created_at: now,
                organization_id: organization_id.to_owned(),
                livemode,
                fingerprint,
                state: State::Running,
                locked_until: now + self.settings.idempotency_lock_micros,
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
        })
        .await
    }

    async fn claim_existing(&self, fresh: &IdempotencyRecord) -> CoreResult<Claim> {
        let Some(existing) = self.get::<IdempotencyRecord>(&fresh.id).await? else {
            // Released between our insert and read: the first request
            // failed. Treat like a concurrent request; the client retries.
            return Err(CoreError::IdempotencyInProgress);
        };
        let now = self.now();
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
            State::Running => {
                IdempotencyRecord { locked_until: now + self.settings.idempotency_lock_micros, ..existing }
            }
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

impl Core {
    /// Deletes idempotency records whose 24 h have passed, oldest first, at
    /// most `limit` of them after `after`; returns the position reached
    /// (`None` once nothing due is left) and how many went. A record taken
    /// over since it was read (same key, new request) is left alone.
    pub async fn purge_idempotency_records(
        &self,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> CoreResult<(Option<DueCursor>, usize)> {
        let now = self.now();
        let due = self.due::<IdempotencyRecord>(now, after, limit).await?;
        let reached = (due.len() == limit).then(|| due.last().map(|(cursor, _)| cursor.clone())).flatten();
        let mut purged = 0;
        for (cursor, record) in due {
            let version = match record {
                Ok(record) => record.version,
                Err(err) => {
                    tracing::warn!(record = %cursor.id, error = %err, "unreadable idempotency record purged");
                    match self.store.get(IdempotencyRecord::COLLECTION, &cursor.id).await {
                        Ok(Some(document)) => document.version,
                        _ => continue,
                    }
                }
            };
            match self.store.delete_version(IdempotencyRecord::COLLECTION, &cursor.id, version).await {
                Ok(()) => purged += 1,
                Err(StoreError::VersionConflict | StoreError::NotFound) => {}
                Err(err) => tracing::warn!(record = %cursor.id, error = %err, "idempotency record not purged"),
            }
        }
        Ok((reached, purged))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;
    use crate::domain::{COLLECTIONS, api_keys::KeyMode};

    fn principal(mode: KeyMode) -> Principal {
        Principal {
            organization_id: "org_1".into(),
            key_id: "key_1".into(),
            scopes: Arc::from([]),
            mode,
            user: None,
            client_ip: String::new(),
        }
    }

    async fn core(dir: &std::path::Path, lock_micros: i64) -> Core {
        let store: Arc<dyn crate::store::Store> =
            Arc::new(crate::store::SqliteStore::open(&dir.join("db.sqlite3")).expect("store"));
        store.migrate(COLLECTIONS).await.expect("migrate");
        crate::domain::test_core(store, lock_micros)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_request_that_died_mid_way_is_resumed_with_the_same_resource_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), 200_000).await;
        let seen_ids = Arc::new(std::sync::Mutex::new(Vec::new()));

        // First attempt: claims the key, records its resource id, then the
        // process "dies" (the future is dropped) before finishing.
        let ids = seen_ids.clone();
        let first = {
            let core = core.clone();
            tokio::spawn(async move {
                core.idempotent(&principal(KeyMode::Test), "test", "key-1", "fp".into(), "res", |id| async move {
                    ids.lock().expect("lock").push(id);
                    std::future::pending::<CoreResult<String>>().await
                })
                .await
            })
        };
        while seen_ids.lock().expect("lock").is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        first.abort();

        // While its lock holds, a retry is told to wait.
        let busy = core
            .idempotent(&principal(KeyMode::Test), "test", "key-1", "fp".into(), "res", |id| async move { Ok(id) })
            .await;
        assert!(matches!(busy, Err(CoreError::IdempotencyInProgress)));

        // After the lock, the retry resumes with the first attempt's id.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let resumed = core
            .idempotent(&principal(KeyMode::Test), "test", "key-1", "fp".into(), "res", |id| async move { Ok(id) })
            .await
            .expect("ok");
        assert!(!resumed.replayed);
        assert_eq!(resumed.value, seen_ids.lock().expect("lock")[0]);

        let replay = core
            .idempotent(&principal(KeyMode::Test), "test", "key-1", "fp".into(), "res", |id| async move { Ok(id) })
            .await
            .expect("ok");
        assert!(replay.replayed);
        assert_eq!(replay.value, resumed.value);

        let other = core
            .idempotent(&principal(KeyMode::Test), "test", "key-1", "other".into(), "res", |id| async move { Ok(id) })
            .await;
        assert!(matches!(other, Err(CoreError::IdempotencyMismatch)));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_duplicates_run_the_operation_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), 30_000_000).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let core = core.clone();
                let runs = runs.clone();
                tokio::spawn(async move {
                    core.idempotent(&principal(KeyMode::Test), "test", "same", "fp".into(), "res", |id| async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok(id)
                    })
                    .await
                })
            })
            .collect();
        let mut in_progress = 0;
        for task in tasks {
            match task.await.expect("join") {
                Ok(_) => {}
                Err(CoreError::IdempotencyInProgress) => in_progress += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(in_progress > 0, "duplicates during the run are told 409");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn test_and_live_keys_never_share_a_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), 30_000_000).await;
        let run = |mode| {
            let core = core.clone();
            async move {
                core.idempotent(&principal(mode), "test", "shared", "fp".into(), "res", |id| async move { Ok(id) })
                    .await
                    .expect("ok")
            }
        };
        let test = run(KeyMode::Test).await;
        let live = run(KeyMode::Live).await;
        assert!(!live.replayed, "a live request is not answered from a test request's record");
        assert_ne!(test.value, live.value);
        let replay = run(KeyMode::Live).await;
        assert!(replay.replayed);
        assert_eq!(replay.value, live.value);
    }
}
