//! MongoDB backend.
//!
//! A document is stored at the top level of its collection with `_id` = its
//! id (the `id` field is kept as well, so the body reads back unchanged),
//! `version` and `createdAt` as 64-bit integers. JSON integers always become
//! Int64 so that filters and sorting compare them as numbers.

use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{self, Bson, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};
use serde_json::{Map, Number, Value};

use super::common::{self, Registry, Scalar};
use super::{
    CollectionSpec, DUE_AT, Document, DueCursor, Filter, Page, PageResult, Range, Store, StoreError, StoreResult,
};

const DUPLICATE_KEY: i32 = 11000;
/// What MongoDB answers `listIndexes` on a collection that does not exist.
const NAMESPACE_NOT_FOUND: i32 = 26;
/// The name of each field's index is this and the field.
const INDEXED_PREFIX: &str = "idx_";
/// Used when the URI does not set `serverSelectionTimeoutMS`: long enough to
/// ride out an election, short enough that an unreachable server is
/// reported promptly rather than after the driver's 30 s default.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(10);
const UNIQUE_PREFIX: &str = "uniq_";

/// The MongoDB-backed [`Store`].
pub struct MongoStore {
    database: Database,
    registry: Registry,
}

impl MongoStore {
    /// Connects to `uri` and checks the server answers, so that a wrong or
    /// unreachable URI fails here rather than at the first request.
    pub async fn connect(uri: &str, database: &str) -> StoreResult<Self> {
        // The URI may carry credentials, so errors never echo it.
        let mut options =
            ClientOptions::parse(uri).await.map_err(|e| StoreError::Backend(format!("invalid MongoDB URI: {e}")))?;
        options.server_selection_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
        options.app_name.get_or_insert_with(|| "paygate".to_owned());
        let client = Client::with_options(options)
            .map_err(|e| StoreError::Backend(format!("cannot create MongoDB client: {e}")))?;
        let database = client.database(database);
        database
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(|e| StoreError::Backend(format!("cannot reach MongoDB: {e}")))?;
        Ok(Self { database, registry: Registry::default() })
    }

    /// Drops the whole database; meant for test teardown.
    pub async fn drop_database(&self) -> StoreResult<()> {
        self.database.drop().await.map_err(translate)
    }

    /// The names of `collection`'s indexes; none when it does not exist yet.
    pub async fn index_names(&self, collection: &str) -> StoreResult<Vec<String>> {
        match self.database.collection::<bson::Document>(collection).list_index_names().await {
            Ok(names) => Ok(names),
            Err(err) if matches!(err.kind.as_ref(), ErrorKind::Command(e) if e.code == NAMESPACE_NOT_FOUND) => {
                Ok(Vec::new())
            }
            Err(err) => Err(translate(err)),
        }
    }

    /// Drops the field indexes of an earlier layout that `spec` no longer
    /// declares: each would be written by every insert and read by no query.
    async fn drop_retired_indexes(&self, spec: &CollectionSpec) -> StoreResult<()> {
        let collection = self.database.collection::<bson::Document>(spec.name);
        for name in self.index_names(spec.name).await? {
            let retired = name.strip_prefix(INDEXED_PREFIX).is_some_and(|field| !spec.indexed.contains(&field));
            if retired {
                collection.drop_index(name).await.map_err(translate)?;
            }
        }
        Ok(())
    }

    /// The handle of a migrated collection.
    fn collection(&self, name: &str) -> StoreResult<Collection<bson::Document>> {
        self.registry.spec(name)?;
        Ok(self.database.collection(name))
    }
}

fn index(keys: bson::Document, options: IndexOptions) -> IndexModel {
    IndexModel::builder().keys(keys).options(options).build()
}

/// Indexes of one collection, named predictably so that a duplicate key
/// error (which names the index) maps back to its field.
fn indexes(spec: &CollectionSpec) -> Vec<IndexModel> {
    let order = index(doc! { "createdAt": -1, "_id": -1 }, IndexOptions::builder().name("order".to_owned()).build());
    let unique = spec.unique.iter().map(|field| {
        // Only documents holding a value take part: a partial filter on the
        // non-null types (those JSON can produce) leaves out both absent
        // and null fields, which a sparse index would not.
        let present = doc! {
            *field: { "$type": ["string", "long", "int", "double", "bool", "object", "array"] }
        };
        index(
            doc! { *field: 1 },
            IndexOptions::builder()
                .name(format!("{UNIQUE_PREFIX}{field}"))
                .unique(true)
                .partial_filter_expression(present)
                .build(),
        )
    });
    let indexed = spec.indexed.iter().map(|field| {
        index(
            doc! { *field: 1, "createdAt": -1, "_id": -1 },
            IndexOptions::builder().name(format!("{INDEXED_PREFIX}{field}")).build(),
        )
    });
    let due = index(doc! { DUE_AT: 1, "_id": 1 }, IndexOptions::builder().name("due".to_owned()).build());
    std::iter::once(order).chain(std::iter::once(due)).chain(unique).chain(indexed).collect()
}

fn translate(err: mongodb::error::Error) -> StoreError {
    let duplicate = match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => Some(&e.message),
        ErrorKind::Command(e) if e.code == DUPLICATE_KEY => Some(&e.message),
        _ => None,
    };
    match duplicate {
        Some(message) => StoreError::Duplicate { field: duplicate_field(message) },
        None => StoreError::Backend(format!("MongoDB: {err}")),
    }
}

/// The field behind a duplicate key, from the index the server names:
/// "E11000 duplicate key error collection: db.c index: uniq_email dup key: …".
fn duplicate_field(message: &str) -> String {
    let index = message.split_once("index: ").and_then(|(_, rest)| rest.split_whitespace().next());
    match index {
        Some("_id_") => "id".to_owned(),
        Some(name) => name.strip_prefix(UNIQUE_PREFIX).unwrap_or(name).to_owned(),
        None => "unknown key".to_owned(),
    }
}

fn json_to_bson(value: &Value) -> StoreResult<Bson> {
    Ok(match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Bson::Int64(i),
            // A u64 above i64::MAX has no faithful BSON form.
            (None, _) if n.is_u64() => {
                return Err(StoreError::Backend(format!("integer {n} does not fit in 64 bits")));
            }
            (None, Some(f)) => Bson::Double(f),
            (None, None) => return Err(StoreError::Backend(format!("unsupported number {n}"))),
        },
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(json_to_bson).collect::<StoreResult<_>>()?),
        Value::Object(map) => Bson::Document(object_to_bson(map)?),
    })
}

fn object_to_bson(map: &Map<String, Value>) -> StoreResult<bson::Document> {
    map.iter().map(|(key, value)| Ok((key.clone(), json_to_bson(value)?))).collect()
}

fn bson_to_json(value: Bson) -> StoreResult<Value> {
    Ok(match value {
        Bson::Null => Value::Null,
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Int32(i) => Value::from(i),
        Bson::Int64(i) => Value::from(i),
        Bson::Double(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| StoreError::Backend(format!("stored number {f} is not valid JSON")))?,
        Bson::String(s) => Value::String(s),
        Bson::Array(items) => Value::Array(items.into_iter().map(bson_to_json).collect::<StoreResult<_>>()?),
        Bson::Document(document) => Value::Object(
            document.into_iter().map(|(key, value)| Ok((key, bson_to_json(value)?))).collect::<StoreResult<_>>()?,
        ),
        // Nothing this store writes has another type; anything else was put
        // there by hand and is shown in its extended-JSON form.
        other => other.into_relaxed_extjson(),
    })
}

fn scalar_to_bson(scalar: Scalar) -> Bson {
    match scalar {
        Scalar::Str(s) => Bson::String(s),
        Scalar::Int(i) => Bson::Int64(i),
        Scalar::Bool(b) => Bson::Boolean(b),
    }
}

/// Reads an integer field whatever width the server kept it in.
fn integer(document: &bson::Document, key: &str) -> StoreResult<i64> {
    match document.get(key) {
        Some(Bson::Int64(i)) => Ok(*i),
        Some(Bson::Int32(i)) => Ok(i64::from(*i)),
        _ => Err(StoreError::Backend(format!("stored document has no integer {key:?}"))),
    }
}

/// The stored form of a document: its body plus `_id`.
fn to_stored(doc: &Document) -> StoreResult<bson::Document> {
    let Value::Object(map) = &doc.body else {
        return Err(StoreError::Backend("a document must be a JSON object".into()));
    };
    let mut stored = doc! { "_id": doc.id.as_str() };
    stored.extend(object_to_bson(map)?);
    Ok(stored)
}

fn from_stored(mut stored: bson::Document) -> StoreResult<Document> {
    let id = match stored.remove("_id") {
        Some(Bson::String(id)) => id,
        other => return Err(StoreError::Backend(format!("stored document has a non-string _id: {other:?}"))),
    };
    let version = integer(&stored, "version")?;
    let created_at = integer(&stored, "createdAt")?;
    let body = bson_to_json(Bson::Document(stored))?;
    Ok(Document { id, version, created_at, body })
}

/// The query of a filter and ranges. Ranges go under `$and`, so that a
/// field both filtered and ranged keeps both conditions.
fn query_of(registry: &Registry, collection: &str, filter: &Filter, ranges: &[Range]) -> StoreResult<bson::Document> {
    let mut query = bson::Document::new();
    for (field, value) in filter {
        registry.queryable(collection, field)?;
        query.insert(*field, scalar_to_bson(Scalar::from_json(field, value)?));
    }
    common::check_ranges(registry, collection, ranges)?;
    let mut all = Vec::with_capacity(ranges.len());
    for range in ranges {
        // Numbers only, as on SQLite (a bound only ever compares with
        // numbers in MongoDB anyway, but the type keeps that explicit).
        let mut condition = doc! { "$type": ["long", "int", "double"] };
        if let Some(min) = range.min {
            condition.insert("$gte", min);
        }
        if let Some(max) = range.max {
            condition.insert("$lte", max);
        }
        all.push(doc! { range.field: condition });
    }
    if !all.is_empty() {
        query.insert("$and", all);
    }
    Ok(query)
}

fn newest_first() -> bson::Document {
    doc! { "createdAt": -1, "_id": -1 }
}

#[async_trait]
impl Store for MongoStore {
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()> {
        specs.iter().try_for_each(Registry::validate)?;
        for spec in specs {
            self.drop_retired_indexes(spec).await?;
            // Creating an index that already exists with the same options is
            // a no-op, which makes this safe to run at every start.
            self.database
                .collection::<bson::Document>(spec.name)
                .create_indexes(indexes(spec))
                .await
                .map_err(translate)?;
            self.registry.register(*spec);
        }
        Ok(())
    }

    async fn insert(&self, collection: &str, body: Value) -> StoreResult<Document> {
        let coll = self.collection(collection)?;
        let doc = common::new_document(body)?;
        coll.insert_one(to_stored(&doc)?).await.map_err(translate)?;
        Ok(doc)
    }

    async fn get(&self, collection: &str, id: &str) -> StoreResult<Option<Document>> {
        let coll = self.collection(collection)?;
        coll.find_one(doc! { "_id": id }).await.map_err(translate)?.map(from_stored).transpose()
    }

    async fn find_in(
        &self,
        collection: &str,
        filter: &Filter,
        ranges: &[Range],
        page: &Page,
    ) -> StoreResult<PageResult> {
        let coll = self.collection(collection)?;
        let mut query = query_of(&self.registry, collection, filter, ranges)?;
        if let Some(cursor_id) = &page.starting_after {
            let cursor = coll
                .find_one(doc! { "_id": cursor_id.as_str() })
                .projection(doc! { "createdAt": 1 })
                .await
                .map_err(translate)?
                .ok_or(StoreError::UnknownCursor)?;
            let created_at = integer(&cursor, "createdAt")?;
            query.insert(
                "$or",
                vec![
                    doc! { "createdAt": { "$lt": created_at } },
                    doc! { "createdAt": created_at, "_id": { "$lt": cursor_id.as_str() } },
                ],
            );
        }
        let fetch = i64::try_from(page.limit.saturating_add(1))
            .map_err(|_| StoreError::Backend(format!("limit {} is too large", page.limit)))?;
        let found: Vec<bson::Document> = coll
            .find(query)
            .sort(newest_first())
            .limit(fetch)
            .await
            .map_err(translate)?
            .try_collect()
            .await
            .map_err(translate)?;
        let has_more = found.len() > page.limit;
        let data = found.into_iter().take(page.limit).map(from_stored).collect::<StoreResult<_>>()?;
        Ok(PageResult { data, has_more })
    }

    async fn count_in(&self, collection: &str, filter: &Filter, ranges: &[Range], up_to: u64) -> StoreResult<u64> {
        let coll = self.collection(collection)?;
        let query = query_of(&self.registry, collection, filter, ranges)?;
        coll.count_documents(query).limit(up_to).await.map_err(translate)
    }

    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>> {
        self.registry.queryable(collection, field)?;
        let coll = self.collection(collection)?;
        let query = doc! { field: scalar_to_bson(Scalar::from_json(field, value)?) };
        coll.find_one(query).sort(newest_first()).await.map_err(translate)?.map(from_stored).transpose()
    }

    async fn compare_and_swap(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        body: Value,
    ) -> StoreResult<Document> {
        let coll = self.collection(collection)?;
        let doc = common::replacement_document(id, expected_version, body)?;
        let replaced = coll
            .replace_one(doc! { "_id": id, "version": expected_version }, to_stored(&doc)?)
            .await
            .map_err(translate)?;
        if replaced.matched_count == 0 {
            let exists =
                coll.find_one(doc! { "_id": id }).projection(doc! { "_id": 1 }).await.map_err(translate)?.is_some();
            return Err(if exists { StoreError::VersionConflict } else { StoreError::NotFound });
        }
        Ok(doc)
    }

    async fn find_due(
        &self,
        collection: &str,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Document>> {
        let coll = self.collection(collection)?;
        // Integers only, as on SQLite: a double or a string is never due.
        let mut due = doc! { "$lte": up_to, "$type": ["long", "int"] };
        if let Some(cursor) = after {
            // Bounds the index scan from below; the `$or` below refines ties.
            due.insert("$gte", cursor.due_at);
        }
        let mut query = doc! { DUE_AT: due };
        if let Some(cursor) = after {
            query.insert(
                "$or",
                vec![
                    doc! { DUE_AT: { "$gt": cursor.due_at } },
                    doc! { DUE_AT: cursor.due_at, "_id": { "$gt": cursor.id.as_str() } },
                ],
            );
        }
        let limit = i64::try_from(limit).map_err(|_| StoreError::Backend(format!("limit {limit} is too large")))?;
        let found: Vec<bson::Document> = coll
            .find(query)
            .sort(doc! { DUE_AT: 1, "_id": 1 })
            .limit(limit)
            .await
            .map_err(translate)?
            .try_collect()
            .await
            .map_err(translate)?;
        found.into_iter().map(from_stored).collect()
    }

    async fn delete_version(&self, collection: &str, id: &str, expected_version: i64) -> StoreResult<()> {
        let coll = self.collection(collection)?;
        let deleted = coll.delete_one(doc! { "_id": id, "version": expected_version }).await.map_err(translate)?;
        if deleted.deleted_count == 0 {
            let exists =
                coll.find_one(doc! { "_id": id }).projection(doc! { "_id": 1 }).await.map_err(translate)?.is_some();
            return Err(if exists { StoreError::VersionConflict } else { StoreError::NotFound });
        }
        Ok(())
    }

    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool> {
        let coll = self.collection(collection)?;
        let deleted = coll.delete_one(doc! { "_id": id }).await.map_err(translate)?;
        Ok(deleted.deleted_count > 0)
    }

    async fn ping(&self) -> StoreResult<()> {
        self.database.run_command(doc! { "ping": 1 }).await.map(drop).map_err(translate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicate_field_comes_from_the_index_name() {
        let id = r#"E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "a" }"#;
        let email = r#"E11000 duplicate key error collection: db.c index: uniq_email dup key: { email: "x" }"#;
        assert_eq!(duplicate_field(id), "id");
        assert_eq!(duplicate_field(email), "email");
    }

    #[test]
    fn json_round_trips_with_integers_as_int64() {
        let body = json!({"id": "a", "n": 5, "f": 1.5, "t": true, "z": null, "o": {"l": [1, "x"]}});
        let Bson::Document(stored) = json_to_bson(&body).expect("convertible") else {
            panic!("an object converts to a document");
        };
        assert_eq!(stored.get("n"), Some(&Bson::Int64(5)));
        assert_eq!(bson_to_json(Bson::Document(stored)).expect("convertible"), body);
        assert!(json_to_bson(&json!(u64::MAX)).is_err());
    }
}
