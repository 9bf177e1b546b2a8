//! One-time start-up migrations: each records in `migrations` that it ran
//! to its end, and is skipped at every later start.

use serde::{Deserialize, Serialize};

use super::{Core, Entity};
use crate::{
    error::{CoreError, CoreResult},
    store::StoreError,
};

/// A start-up migration that ran to its end, so it never runs again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Migration {
    id: String,
    #[serde(default)]
    version: i64,
    created_at: i64,
    /// Documents it changed.
    documents: u64,
}

impl Entity for Migration {
    const COLLECTION: &'static str = "migrations";
    const NAME: &'static str = "migration";
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
    /// Whether migration `id` has run to its end on this store.
    pub(crate) async fn migration_done(&self, id: &str) -> CoreResult<bool> {
        Ok(self.get::<Migration>(id).await?.is_some())
    }

    /// Records that migration `id` ran to its end, changing `documents`.
    /// Several cores may finish the same migration: the first record
    /// stands.
    pub(crate) async fn record_migration(&self, id: &str, documents: u64) -> CoreResult<()> {
        let done = Migration { id: id.to_owned(), version: 0, created_at: self.now(), documents };
        match self.insert(&done).await {
            Ok(_) | Err(CoreError::Store(StoreError::Duplicate { .. })) => Ok(()),
            Err(err) => Err(err),
        }
    }
}
