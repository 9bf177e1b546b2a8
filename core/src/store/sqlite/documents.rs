//! The [`Store`](crate::store::Store) itself: documents as JSON text in one table per
//! collection, queried through expression indexes.

use super::*;
use crate::store::common::{self, Registry, Scalar};
use crate::store::{
    CREATED_AT, CollectionSpec, DUE_AT, Document, DueCursor, Filter, Page, PageResult, Range, Store, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{ErrorCode, OptionalExtension, Row, params};
use serde_json::Value;
use std::fmt::Write as _;

impl SqliteStore {
    /// Page query on `collection`: the filter conditions, then the cursor
    /// position when there is one, newest first.
    pub(super) fn select(
        collection: &str,
        filter: &[(&str, Scalar)],
        ranges: &[Range],
        after_cursor: bool,
    ) -> (String, Vec<SqlValue>) {
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
        for range in ranges {
            let bounds = [(">=", range.min), ("<=", range.max)];
            if range.field == CREATED_AT {
                // The column itself, which the order index leads with.
                for (op, bound) in bounds {
                    if let Some(bound) = bound {
                        let _ = write!(sql, " AND created_at {op} ?");
                        values.push(SqlValue::Integer(bound));
                    }
                }
                continue;
            }
            let term = format!("json_extract(body, '$.{}')", range.field);
            // json_extract reads true/false as 1/0: only numbers qualify.
            let _ = write!(sql, " AND json_type(body, '$.{}') IN ('integer', 'real')", range.field);
            for (op, bound) in bounds {
                if let Some(bound) = bound {
                    let _ = write!(sql, " AND {term} {op} ?");
                    values.push(SqlValue::Integer(bound));
                }
            }
        }
        if after_cursor {
            sql.push_str(" AND (created_at, id) < (?, ?)");
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        (sql, values)
    }
}

/// DDL for one collection. Index names contain `:`, which valid collection
/// and field names cannot, so the unique index name in a constraint error
/// maps back to exactly one field.
pub(super) fn migration_sql(spec: &CollectionSpec) -> String {
    let c = spec.name;
    let mut sql = format!(
        r#"CREATE TABLE IF NOT EXISTS "{c}" (
            id TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS "{c}:order" ON "{c}" (created_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS "{c}:due" ON "{c}" (json_extract(body, '$.{DUE_AT}'), id)
            WHERE json_extract(body, '$.{DUE_AT}') IS NOT NULL;
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
pub(super) fn translate(collection: &str, err: rusqlite::Error) -> StoreError {
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
pub(super) fn duplicate_field(collection: &str, message: &str) -> String {
    let prefix = format!("index '{collection}:unique:");
    message
        .split_once(prefix.as_str())
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or_else(|| "id".to_owned(), |(field, _)| field.to_owned())
}

pub(super) fn document_from_row(row: &Row<'_>) -> rusqlite::Result<(String, i64, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

pub(super) fn parse_document((id, version, created_at, body): (String, i64, i64, String)) -> Attempt<Document> {
    let body = serde_json::from_str(&body)
        .map_err(|e| StoreError::Backend(format!("stored body of {id:?} is not valid JSON: {e}")))?;
    Ok(Document { id, version, created_at, body })
}

pub(super) fn to_json_text(body: &Value) -> StoreResult<String> {
    serde_json::to_string(body).map_err(|e| StoreError::Backend(format!("cannot encode body: {e}")))
}

pub(super) fn sql_limit(limit: usize) -> StoreResult<i64> {
    i64::try_from(limit).map_err(|_| StoreError::Backend(format!("limit {limit} is too large")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()> {
        specs.iter().try_for_each(Registry::validate)?;
        let sql: String = specs.iter().map(migration_sql).collect();
        // The writer runs it in its savepoint: all of it or none.
        self.write("migrate", move |conn| Ok(conn.execute_batch(&sql)?)).await?;
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
        self.write_statements(collection, move |conn| {
            conn.prepare_cached(&sql)?.execute(params![id, version, created_at, text])?;
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    /// One write request: the run goes into one savepoint of one group
    /// commit, so it is stored up to its first failure, atomically.
    async fn insert_ordered(&self, collection: &str, bodies: Vec<Value>) -> (Vec<Document>, Option<StoreError>) {
        if let Err(err) = self.registry.spec(collection) {
            return (Vec::new(), Some(err));
        }
        let mut rows = Vec::with_capacity(bodies.len());
        let mut refused = None;
        for body in bodies {
            let prepared = common::new_document(body).and_then(|doc| {
                let text = to_json_text(&doc.body)?;
                Ok((doc, text))
            });
            match prepared {
                Ok(row) => rows.push(row),
                Err(err) => {
                    refused = Some(err);
                    break;
                }
            }
        }
        let sql = format!(r#"INSERT INTO "{collection}" (id, version, created_at, body) VALUES (?, ?, ?, ?)"#);
        let table = collection.to_owned();
        let written = self
            .write_statements(collection, move |conn| {
                let mut statement = conn.prepare_cached(&sql)?;
                let mut stored = Vec::with_capacity(rows.len());
                for (doc, text) in rows {
                    if let Err(err) = statement.execute(params![doc.id, doc.version, doc.created_at, text]) {
                        return Ok((stored, Some(translate(&table, err))));
                    }
                    stored.push(doc);
                }
                Ok((stored, None))
            })
            .await;
        match written {
            Ok((stored, None)) => (stored, refused),
            Ok((stored, failed)) => (stored, failed),
            Err(err) => (Vec::new(), Some(err)),
        }
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

    async fn find_in(
        &self,
        collection: &str,
        filter: &Filter,
        ranges: &[Range],
        page: &Page,
    ) -> StoreResult<PageResult> {
        self.registry.spec(collection)?;
        let scalars = filter
            .iter()
            .map(|(field, value)| {
                self.registry.queryable(collection, field)?;
                Ok((*field, Scalar::from_json(field, value)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        common::check_ranges(&self.registry, collection, ranges)?;
        let (sql, mut values) = Self::select(collection, &scalars, ranges, page.starting_after.is_some());
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

    async fn count_in(&self, collection: &str, filter: &Filter, ranges: &[Range], up_to: u64) -> StoreResult<u64> {
        self.registry.spec(collection)?;
        let scalars = filter
            .iter()
            .map(|(field, value)| {
                self.registry.queryable(collection, field)?;
                Ok((*field, Scalar::from_json(field, value)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        common::check_ranges(&self.registry, collection, ranges)?;
        let (select, mut values) = Self::select(collection, &scalars, ranges, false);
        let sql = format!("SELECT COUNT(*) FROM ({select})");
        values.push(SqlValue::Integer(i64::try_from(up_to).unwrap_or(i64::MAX)));
        self.read(collection, move |conn| {
            let count: i64 =
                conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
        .await
    }

    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>> {
        self.registry.queryable(collection, field)?;
        let scalar = Scalar::from_json(field, value)?;
        let (sql, mut values) = Self::select(collection, &[(field, scalar)], &[], false);
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
        self.write_statements(collection, move |conn| {
            // The writer's transaction is immediate, so the update and the
            // existence check see the same state even if another process
            // shares the file.
            let updated =
                conn.prepare_cached(&update)?.execute(params![version, created_at, text, id, expected_version])?;
            if updated == 0 {
                let found = conn.prepare_cached(&exists)?.exists([&id])?;
                return Err(if found { StoreError::VersionConflict } else { StoreError::NotFound }.into());
            }
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    async fn find_due(
        &self,
        collection: &str,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Document>> {
        self.registry.spec(collection)?;
        // The comparison on the `json_extract` term lets the planner use the
        // partial due index (it implies IS NOT NULL); `json_type` keeps out
        // reals and booleans, which json_extract would compare as numbers.
        let due = format!("json_extract(body, '$.{DUE_AT}')");
        let mut sql = format!(
            r#"SELECT id, version, created_at, body FROM "{collection}"
               WHERE {due} <= ? AND json_type(body, '$.{DUE_AT}') = 'integer'"#
        );
        let mut values = vec![SqlValue::Integer(up_to)];
        if let Some(cursor) = after {
            // The plain lower bound starts the index range at the cursor;
            // the row value then skips what shares its dueAt up to its id.
            let _ = write!(sql, " AND {due} >= ? AND ({due}, id) > (?, ?)");
            values.push(SqlValue::Integer(cursor.due_at));
            values.push(SqlValue::Integer(cursor.due_at));
            values.push(SqlValue::Text(cursor.id.clone()));
        }
        let _ = write!(sql, " ORDER BY {due}, id LIMIT ?");
        values.push(SqlValue::Integer(sql_limit(limit)?));
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(values), document_from_row)?
                .map(|row| parse_document(row?))
                .collect::<Attempt<Vec<_>>>()
        })
        .await
    }

    async fn delete_version(&self, collection: &str, id: &str, expected_version: i64) -> StoreResult<()> {
        self.registry.spec(collection)?;
        let delete = format!(r#"DELETE FROM "{collection}" WHERE id = ? AND version = ?"#);
        let exists = format!(r#"SELECT 1 FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.write_statements(collection, move |conn| {
            if conn.prepare_cached(&delete)?.execute(params![id, expected_version])? == 0 {
                let found = conn.prepare_cached(&exists)?.exists([&id])?;
                return Err(if found { StoreError::VersionConflict } else { StoreError::NotFound }.into());
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool> {
        self.registry.spec(collection)?;
        let sql = format!(r#"DELETE FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.write_statements(collection, move |conn| Ok(conn.prepare_cached(&sql)?.execute([id])? > 0)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read("ping", |conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}
