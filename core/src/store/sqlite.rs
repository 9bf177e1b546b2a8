//! Embedded backend: one SQLite file in WAL mode.
//!
//! Each collection is a table `(id, version, created_at, body)` where `body`
//! is the JSON text of the whole document; unique and indexed fields get
//! expression indexes on `json_extract(body, '$.field')`. Writes go through
//! one writer connection (SQLite allows one writer at a time anyway) and
//! reads through a few reader connections, which WAL lets run alongside the
//! writer. Every SQLite call runs inside `spawn_blocking`, never on a tokio
//! worker thread.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::Value;

use super::common::{self, COUNTERS, Registry, Scalar};
use super::{CollectionSpec, Document, Filter, Page, PageResult, Store, StoreError, StoreResult};

const READERS: usize = 4;
/// How long a connection waits for a lock held by another process (or a
/// checkpoint) before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_CACHE: usize = 64;

/// The SQLite-backed [`Store`].
pub struct SqliteStore {
    connections: Arc<Connections>,
    registry: Registry,
}

struct Connections {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// Poisoning is recovered from: a panic while a connection was held can only
/// have happened between statements, and an open `rusqlite::Transaction`
/// rolls back when dropped during the unwind, so the connection is clean.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connections {
    /// An idle reader if there is one, otherwise wait for the next in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        for offset in 0..count {
            match self.readers[(start + offset) % count].try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.readers[start % count])
    }
}

/// What a closure run against a connection can fail with; SQLite errors are
/// translated afterwards, knowing which collection they concern.
enum Failure {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Failure {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

type Attempt<T> = Result<T, Failure>;

#[derive(Clone, Copy)]
enum Role {
    Writer,
    Reader,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and its parent
    /// directory. This blocks on file I/O: call it at startup or from
    /// `spawn_blocking`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", parent.display())))?;
        }
        // The writer goes first: it switches the file to WAL, which the
        // readers then pick up from the file itself.
        let writer = open_writer(path)?;
        let readers = (0..READERS).map(|_| open_reader(path).map(Mutex::new)).collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            connections: Arc::new(Connections {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
            registry: Registry::default(),
        })
    }

    /// Runs `f` on a connection of the given role on the blocking pool.
    async fn run<T, F>(&self, role: Role, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Attempt<T> + Send + 'static,
    {
        let connections = Arc::clone(&self.connections);
        let outcome = tokio::task::spawn_blocking(move || match role {
            Role::Writer => f(&mut lock(&connections.writer)),
            Role::Reader => f(&mut connections.reader()),
        })
        .await
        .map_err(|e| StoreError::Backend(format!("SQLite task failed: {e}")))?;
        outcome.map_err(|failure| match failure {
            Failure::Store(err) => err,
            Failure::Sqlite(err) => translate(collection, err),
        })
    }

    async fn write<T, F>(&self, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Attempt<T> + Send + 'static,
    {
        self.run(Role::Writer, collection, f).await
    }

    async fn read<T, F>(&self, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Attempt<T> + Send + 'static,
    {
        self.run(Role::Reader, collection, f).await
    }

    /// Page query on `collection`: the filter conditions, then the cursor
    /// position when there is one, newest first.
    fn select(collection: &str, filter: &[(&str, Scalar)], after_cursor: bool) -> (String, Vec<SqlValue>) {
        let mut sql = format!(r#"SELECT id, version, created_at, body FROM "{collection}" WHERE 1"#);
        let mut values = Vec::with_capacity(filter.len() + 3);
        for (field, scalar) in filter {
            // The `json_extract` term matches the expression indexes (so the
            // planner uses them); `json_type` makes equality type-strict,
            // since json_extract turns true/false into 1/0.
            let path = format!("'$.{field}'");
            let (types, value) = match scalar {
                Scalar::Str(s) => ("'text'", SqlValue::Text(s.clone())),
                Scalar::Int(i) => ("'integer', 'real'", SqlValue::Integer(*i)),
                Scalar::Bool(true) => ("'true'", SqlValue::Integer(1)),
                Scalar::Bool(false) => ("'false'", SqlValue::Integer(0)),
            };
            // Writing to a String cannot fail.
            let _ = write!(sql, " AND json_extract(body, {path}) = ? AND json_type(body, {path}) IN ({types})");
            values.push(value);
        }
        if after_cursor {
            sql.push_str(" AND (created_at, id) < (?, ?)");
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        (sql, values)
    }
}

fn open_error(path: &Path, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("cannot open SQLite database {}: {detail}", path.display()))
}

fn open_writer(path: &Path) -> StoreResult<Connection> {
    let (conn, mode) = configure_writer(path).map_err(|e| open_error(path, e))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(conn)
    } else {
        Err(open_error(path, format!("journal_mode is {mode}, WAL is required")))
    }
}

/// Opens the writer and returns it with the journal mode SQLite accepted.
fn configure_writer(path: &Path) -> rusqlite::Result<(Connection, String)> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    // In WAL mode NORMAL only risks the last transactions on power loss,
    // never corruption, and saves an fsync per commit.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {COUNTERS} (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL)"
    ))?;
    Ok((conn, mode))
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    configure_reader(path).map_err(|e| open_error(path, e))
}

fn configure_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // A guard against a write slipping onto a reader by mistake.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// DDL for one collection. Index names contain `:`, which valid collection
/// and field names cannot, so the unique index name in a constraint error
/// maps back to exactly one field.
fn migration_sql(spec: &CollectionSpec) -> String {
    let c = spec.name;
    let mut sql = format!(
        r#"CREATE TABLE IF NOT EXISTS "{c}" (
            id TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS "{c}:order" ON "{c}" (created_at DESC, id DESC);
        "#
    );
    // NULLs never clash in a SQLite unique index, so documents where the
    // field is absent or null do not take part, as the spec requires.
    for field in spec.unique {
        let _ = writeln!(
            sql,
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "{c}:unique:{field}" ON "{c}" (json_extract(body, '$.{field}'));"#
        );
    }
    for field in spec.indexed {
        let _ = writeln!(
            sql,
            r#"CREATE INDEX IF NOT EXISTS "{c}:index:{field}" ON "{c}" (json_extract(body, '$.{field}'), created_at DESC, id DESC);"#
        );
    }
    sql
}

/// Maps a SQLite error about `collection` to a [`StoreError`].
fn translate(collection: &str, err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &err {
        let unique = failure.code == ErrorCode::ConstraintViolation
            && matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            );
        if unique {
            return StoreError::Duplicate { field: duplicate_field(collection, message) };
        }
        if message.starts_with("no such table") {
            return StoreError::Backend(format!(
                "collection {collection:?} has no table: pass its spec to Store::migrate first"
            ));
        }
    }
    StoreError::Backend(format!("SQLite ({collection}): {err}"))
}

/// The field behind a unique violation: "UNIQUE constraint failed:
/// index 'c:unique:field'" for expression indexes, "... c.id" for the key.
fn duplicate_field(collection: &str, message: &str) -> String {
    let prefix = format!("index '{collection}:unique:");
    message
        .split_once(prefix.as_str())
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or_else(|| "id".to_owned(), |(field, _)| field.to_owned())
}

fn document_from_row(row: &Row<'_>) -> rusqlite::Result<(String, i64, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_document((id, version, created_at, body): (String, i64, i64, String)) -> Attempt<Document> {
    let body = serde_json::from_str(&body)
        .map_err(|e| StoreError::Backend(format!("stored body of {id:?} is not valid JSON: {e}")))?;
    Ok(Document { id, version, created_at, body })
}

fn to_json_text(body: &Value) -> StoreResult<String> {
    serde_json::to_string(body).map_err(|e| StoreError::Backend(format!("cannot encode body: {e}")))
}

fn sql_limit(limit: usize) -> StoreResult<i64> {
    i64::try_from(limit).map_err(|_| StoreError::Backend(format!("limit {limit} is too large")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()> {
        specs.iter().try_for_each(Registry::validate)?;
        let sql: String = specs.iter().map(migration_sql).collect();
        self.write("migrate", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(&sql)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
        for spec in specs {
            self.registry.register(*spec);
        }
        Ok(())
    }

    async fn insert(&self, collection: &str, body: Value) -> StoreResult<Document> {
        self.registry.spec(collection)?;
        let doc = common::new_document(body)?;
        let (id, version, created_at, text) = (doc.id.clone(), doc.version, doc.created_at, to_json_text(&doc.body)?);
        let sql = format!(r#"INSERT INTO "{collection}" (id, version, created_at, body) VALUES (?, ?, ?, ?)"#);
        self.write(collection, move |conn| {
            conn.prepare_cached(&sql)?.execute(params![id, version, created_at, text])?;
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    async fn get(&self, collection: &str, id: &str) -> StoreResult<Option<Document>> {
        self.registry.spec(collection)?;
        let sql = format!(r#"SELECT id, version, created_at, body FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?.query_row([id], document_from_row).optional()?.map(parse_document).transpose()
        })
        .await
    }

    async fn find(&self, collection: &str, filter: &Filter, page: &Page) -> StoreResult<PageResult> {
        self.registry.spec(collection)?;
        let scalars = filter
            .iter()
            .map(|(field, value)| {
                self.registry.queryable(collection, field)?;
                Ok((*field, Scalar::from_json(field, value)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let (sql, mut values) = Self::select(collection, &scalars, page.starting_after.is_some());
        let cursor_sql = format!(r#"SELECT created_at FROM "{collection}" WHERE id = ?"#);
        let starting_after = page.starting_after.clone();
        let limit = page.limit;
        let fetch = sql_limit(limit.saturating_add(1))?;
        self.read(collection, move |conn| {
            // One read transaction, so the cursor lookup and the page see
            // the same snapshot.
            let tx = conn.transaction()?;
            if let Some(cursor_id) = starting_after {
                let cursor_created_at: i64 = tx
                    .prepare_cached(&cursor_sql)?
                    .query_row([&cursor_id], |row| row.get(0))
                    .optional()?
                    .ok_or(StoreError::UnknownCursor)?;
                values.push(SqlValue::Integer(cursor_created_at));
                values.push(SqlValue::Text(cursor_id));
            }
            values.push(SqlValue::Integer(fetch));
            let mut data = tx
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(values), document_from_row)?
                .map(|row| parse_document(row?))
                .collect::<Attempt<Vec<_>>>()?;
            let has_more = data.len() > limit;
            data.truncate(limit);
            Ok(PageResult { data, has_more })
        })
        .await
    }

    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>> {
        self.registry.queryable(collection, field)?;
        let scalar = Scalar::from_json(field, value)?;
        let (sql, mut values) = Self::select(collection, &[(field, scalar)], false);
        values.push(SqlValue::Integer(1));
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(values), document_from_row)
                .optional()?
                .map(parse_document)
                .transpose()
        })
        .await
    }

    async fn compare_and_swap(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        body: Value,
    ) -> StoreResult<Document> {
        self.registry.spec(collection)?;
        let doc = common::replacement_document(id, expected_version, body)?;
        let (id, version, created_at, text) = (doc.id.clone(), doc.version, doc.created_at, to_json_text(&doc.body)?);
        let update =
            format!(r#"UPDATE "{collection}" SET version = ?, created_at = ?, body = ? WHERE id = ? AND version = ?"#);
        let exists = format!(r#"SELECT 1 FROM "{collection}" WHERE id = ?"#);
        self.write(collection, move |conn| {
            // Immediate: the update and the existence check below must see
            // the same state even if another process shares the file.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let updated =
                tx.prepare_cached(&update)?.execute(params![version, created_at, text, id, expected_version])?;
            if updated == 0 {
                let found = tx.prepare_cached(&exists)?.exists([&id])?;
                return Err(if found { StoreError::VersionConflict } else { StoreError::NotFound }.into());
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool> {
        self.registry.spec(collection)?;
        let sql = format!(r#"DELETE FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.write(collection, move |conn| Ok(conn.prepare_cached(&sql)?.execute([id])? > 0)).await
    }

    async fn next_sequence(&self, name: &str) -> StoreResult<i64> {
        let name = name.to_owned();
        let sql = format!(
            "INSERT INTO {COUNTERS} (name, value) VALUES (?, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
        );
        self.write(COUNTERS, move |conn| Ok(conn.prepare_cached(&sql)?.query_row([name], |row| row.get(0))?)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read("ping", |conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_field_comes_from_the_index_name() {
        assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: index 'widgets:unique:email'"), "email");
        assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: widgets.id"), "id");
    }
}
