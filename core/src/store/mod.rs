//! The store: one trait, two backends (embedded SQLite, MongoDB).
//!
//! Documents are JSON objects kept in named collections. Every document has
//! an `id` (string, primary key), a `version` (bumped by each successful
//! compare-and-swap) and a `createdAt` (integer, microseconds since the Unix
//! epoch) that orders lists newest first. Fields a collection declares as
//! indexed can be queried by equality and by integer range (as can
//! `createdAt`); fields declared unique reject a second document with the
//! same value.
//!
//! Every multi-step change in Paygate is either one compare-and-swap on a
//! single document or idempotent and resumable: nothing relies on
//! multi-document transactions.

use async_trait::async_trait;
use serde_json::Value;

mod common;
mod encoded;
pub mod metered;
pub mod mongo;
pub mod sqlite;

pub use encoded::Encoded;
pub use metered::MeteredStore;
pub use mongo::MongoStore;
pub use sqlite::{SqliteStore, background, is_background};

/// How a collection is laid out: which fields are unique and which are
/// queryable. Declared once in [`crate::domain::COLLECTIONS`] and created by
/// [`Store::migrate`].
#[derive(Debug, Clone, Copy)]
pub struct CollectionSpec {
    pub name: &'static str,
    /// Top-level fields with a unique index. A document where the field is
    /// absent or null does not take part.
    pub unique: &'static [&'static str],
    /// Top-level fields queried by equality (each indexed together with the
    /// newest-first order).
    pub indexed: &'static [&'static str],
    /// Indexed fields that every list names together (a tenant's
    /// organization and mode). The embedded store indexes them as one,
    /// in this order, ahead of the newest-first order, instead of each on
    /// its own: a list then reads only its own tenant's entries, and an
    /// insert writes one index entry for them, not one per field. Each is
    /// also listed in `indexed`.
    pub grouped: &'static [&'static str],
}

/// A stored document as the backends see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    /// The whole JSON object, including `id`, `version` and `createdAt`.
    pub body: Value,
}

/// The field through which any document says when it next needs attention
/// (integer, microseconds since the Unix epoch, as `createdAt`). Every
/// collection indexes it in due order, for [`Store::find_due`]; a document
/// without it (or with a non-integer value) is never due.
pub const DUE_AT: &str = "dueAt";

/// A position in due order: [`Store::find_due`] returns what comes after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCursor {
    pub due_at: i64,
    pub id: String,
}

impl Document {
    /// The document's `dueAt`, when it holds an integer.
    pub fn due_at(&self) -> Option<i64> {
        self.body.get(DUE_AT).and_then(Value::as_i64)
    }

    /// Where this document stands in due order, if it is due at all.
    pub fn due_cursor(&self) -> Option<DueCursor> {
        self.due_at().map(|due_at| DueCursor { due_at, id: self.id.clone() })
    }
}

/// Equality filter on indexed fields, all of which must match. Values are
/// strings, integers or booleans, compared type-strictly (`true` never
/// matches `1`, nor `"1"` matches `1`). A field the collection declares
/// neither unique nor indexed is refused with `Backend`.
pub type Filter = Vec<(&'static str, Value)>;

/// The field every collection can be ranged on without declaring it: the
/// newest-first order is built on it.
pub const CREATED_AT: &str = "createdAt";

/// An inclusive integer range on `createdAt` or on an indexed field, with
/// either bound optional. Only numbers fall in a range: a string or a
/// boolean never does, whatever it reads as. Like [`Filter`], a field the
/// collection does not declare is refused with `Backend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub field: &'static str,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Range {
    pub fn new(field: &'static str, min: Option<i64>, max: Option<i64>) -> Self {
        Self { field, min, max }
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub limit: usize,
    /// Id of the last document of the previous page.
    pub starting_after: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PageResult {
    pub data: Vec<Document>,
    pub has_more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a document with the same {field} already exists")]
    Duplicate { field: String },
    #[error("document not found")]
    NotFound,
    /// The document changed since it was read: the caller lost the race.
    #[error("version conflict")]
    VersionConflict,
    /// `startingAfter` names no document of this collection.
    #[error("unknown cursor")]
    UnknownCursor,
    /// The store has more requests waiting than it takes: the caller should
    /// come back shortly instead of queueing without bound.
    #[error("the store is overloaded")]
    Overloaded,
    #[error("store backend: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates collections and indexes; safe to call at every start. A
    /// store instance only serves the collections it has migrated: any
    /// other collection name is refused with `Backend`.
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()>;

    /// Inserts a new document with version 1. `body` must be a JSON object
    /// holding `id` (string) and `createdAt` (integer); `version` is set by
    /// the store. A clash on the id or a unique field → `Duplicate`.
    async fn insert(&self, collection: &str, body: Value) -> StoreResult<Document>;

    /// [`Store::insert`] of a document encoded once ([`Encoded`], version
    /// 1), for a backend that stores the text as it is. This default
    /// parses it back into a value and inserts that.
    async fn insert_encoded(&self, collection: &str, document: Encoded) -> StoreResult<()> {
        self.insert(collection, common::new_encoded(document)?.into_value()?).await.map(drop)
    }

    async fn get(&self, collection: &str, id: &str) -> StoreResult<Option<Document>>;

    /// Inserts `bodies` in order, as [`Store::insert`] each, stopping at the
    /// first that fails: returns the documents stored and the failure, if
    /// any. Whatever happens, even a crash, what is stored is a prefix of
    /// `bodies`, never a later one without an earlier one, which is what
    /// lets consecutive numbers be issued together without a gap. This
    /// default stores one at a time; a backend that can store the whole
    /// run in one round trip does so.
    async fn insert_ordered(&self, collection: &str, bodies: Vec<Value>) -> (Vec<Document>, Option<StoreError>) {
        let mut stored = Vec::with_capacity(bodies.len());
        for body in bodies {
            match self.insert(collection, body).await {
                Ok(document) => stored.push(document),
                Err(err) => return (stored, Some(err)),
            }
        }
        (stored, None)
    }

    /// Inserts documents that may belong to different collections, in
    /// order, each as [`Store::insert`], stopping at the first that fails,
    /// with the same guarantee as [`Store::insert_ordered`]: what is stored
    /// is a prefix of `inserts`, even after a crash. Used to write a
    /// document and the record of it (an audit entry) in one round trip
    /// and one commit where the backend can; this default stores one at a
    /// time.
    async fn insert_each(&self, inserts: Vec<(&str, Value)>) -> (Vec<Document>, Option<StoreError>) {
        let mut stored = Vec::with_capacity(inserts.len());
        for (collection, body) in inserts {
            match self.insert(collection, body).await {
                Ok(document) => stored.push(document),
                Err(err) => return (stored, Some(err)),
            }
        }
        (stored, None)
    }

    /// [`Store::insert_each`] of encoded documents (each version 1):
    /// returns how many were stored, a prefix, and the failure, if any.
    async fn insert_each_encoded(&self, inserts: Vec<(&str, Encoded)>) -> (usize, Option<StoreError>) {
        let mut bodies = Vec::with_capacity(inserts.len());
        let mut refused = None;
        for (collection, document) in inserts {
            match document.into_value() {
                Ok(body) => bodies.push((collection, body)),
                Err(err) => {
                    refused = Some(err);
                    break;
                }
            }
        }
        let (stored, failure) = self.insert_each(bodies).await;
        (stored.len(), failure.or(refused))
    }

    /// Documents matching every filter pair, newest first (`createdAt`
    /// descending, then `id` descending), after the cursor.
    async fn find(&self, collection: &str, filter: &Filter, page: &Page) -> StoreResult<PageResult> {
        self.find_in(collection, filter, &[], page).await
    }

    /// [`Store::find`], further narrowed to documents inside every range.
    /// The ranges are part of the query, so pages stay full and cursors
    /// stay exact.
    async fn find_in(
        &self,
        collection: &str,
        filter: &Filter,
        ranges: &[Range],
        page: &Page,
    ) -> StoreResult<PageResult>;

    /// How many documents match every filter pair, counting no further
    /// than `up_to` (so a count costs at most that many index entries).
    async fn count(&self, collection: &str, filter: &Filter, up_to: u64) -> StoreResult<u64> {
        self.count_in(collection, filter, &[], up_to).await
    }

    /// [`Store::count`] of the documents inside every range as well.
    async fn count_in(&self, collection: &str, filter: &Filter, ranges: &[Range], up_to: u64) -> StoreResult<u64>;

    /// The first document whose unique/indexed `field` equals `value`.
    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>>;

    /// Replaces the document if its stored version is still
    /// `expected_version`, and returns it with the version incremented.
    /// Stale version → `VersionConflict`; missing → `NotFound`.
    ///
    /// `body` is the whole new document, normally the body that was read
    /// with some fields changed: it must carry `createdAt` over, may leave
    /// `id` out (a different `id` is refused) and its `version` is
    /// overwritten. A clash on a unique field → `Duplicate`.
    async fn compare_and_swap(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        body: Value,
    ) -> StoreResult<Document>;

    /// [`Store::compare_and_swap`] of a document encoded once, whose
    /// version must be `expected_version + 1` and whose id must be `id`.
    /// This default parses it back into a value and swaps that.
    async fn compare_and_swap_encoded(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        document: Encoded,
    ) -> StoreResult<()> {
        common::check_replacement(id, expected_version, &document)?;
        self.compare_and_swap(collection, id, expected_version, document.into_value()?).await.map(drop)
    }

    /// Due work, oldest first: documents whose `dueAt` is an integer no
    /// later than `up_to`, ascending by (`dueAt`, `id`), strictly after
    /// `after`, at most `limit` of them. Passing the position of the last
    /// document returned resumes the walk, so a scheduler's pass costs what
    /// is due, never what exists.
    async fn find_due(
        &self,
        collection: &str,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Document>>;

    /// Removes a document; true when it existed.
    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool>;

    /// Removes a document only if its stored version is still
    /// `expected_version`, so a purge never removes a document somebody
    /// changed after it was judged. Stale version → `VersionConflict`;
    /// missing → `NotFound`.
    async fn delete_version(&self, collection: &str, id: &str, expected_version: i64) -> StoreResult<()>;

    /// Cheap round trip for health checks.
    async fn ping(&self) -> StoreResult<()>;
}
