//! Rules both backends share, so that they accept and reject exactly the
//! same inputs: name validation, the shape of a stored body, the registry of
//! migrated collections and the accepted filter values.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use serde_json::{Map, Value};

use super::{CREATED_AT, CollectionSpec, Document, Encoded, Range, StoreError, StoreResult};

/// Collection names go into SQL text and index names, so they are kept to
/// `[A-Za-z][A-Za-z0-9_]*`.
pub(crate) fn validate_collection_name(name: &str) -> StoreResult<()> {
    let mut chars = name.chars();
    let well_formed =
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(StoreError::Backend(format!("invalid collection name {name:?}: use [A-Za-z][A-Za-z0-9_]*")));
    }
    Ok(())
}

/// Field names go into SQL text (JSON paths) and index names, so they are
/// kept to `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn validate_field_name(name: &str) -> StoreResult<()> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if well_formed {
        Ok(())
    } else {
        Err(StoreError::Backend(format!("invalid field name {name:?}: use [A-Za-z_][A-Za-z0-9_]*")))
    }
}

/// The collections this store instance has migrated. Operations on any
/// other collection fail with a clear error instead of, on MongoDB, silently
/// creating a collection without its unique indexes.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    specs: RwLock<HashMap<&'static str, CollectionSpec>>,
}

impl Registry {
    pub(crate) fn validate(spec: &CollectionSpec) -> StoreResult<()> {
        validate_collection_name(spec.name)?;
        spec.unique.iter().chain(spec.indexed).try_for_each(|field| validate_field_name(field))?;
        match spec.grouped.iter().find(|field| !spec.indexed.contains(field)) {
            Some(field) => Err(StoreError::Backend(format!(
                "grouped field {field:?} of collection {:?} is not indexed",
                spec.name
            ))),
            None => Ok(()),
        }
    }

    pub(crate) fn register(&self, spec: CollectionSpec) {
        // The map is only ever replaced entry by entry, so a panic elsewhere
        // while the lock was held cannot have left it half-updated.
        self.specs.write().unwrap_or_else(PoisonError::into_inner).insert(spec.name, spec);
    }

    pub(crate) fn spec(&self, collection: &str) -> StoreResult<CollectionSpec> {
        self.specs.read().unwrap_or_else(PoisonError::into_inner).get(collection).copied().ok_or_else(|| {
            StoreError::Backend(format!(
                "collection {collection:?} is not migrated: pass its spec to Store::migrate first"
            ))
        })
    }

    /// The spec, after checking that `field` is one the collection declared
    /// as unique or indexed: anything else would be a full scan.
    pub(crate) fn queryable(&self, collection: &str, field: &str) -> StoreResult<CollectionSpec> {
        let spec = self.spec(collection)?;
        if spec.unique.contains(&field) || spec.indexed.contains(&field) {
            Ok(spec)
        } else {
            Err(StoreError::Backend(format!(
                "field {field:?} of collection {collection:?} is neither unique nor indexed"
            )))
        }
    }
}

/// Checks that every range is on a field the collection can range on
/// (`createdAt`, or a unique or indexed field). A range whose minimum is
/// above its maximum is valid and holds nothing.
pub(crate) fn check_ranges(registry: &Registry, collection: &str, ranges: &[Range]) -> StoreResult<()> {
    for range in ranges.iter().filter(|range| range.field != CREATED_AT) {
        registry.queryable(collection, range.field)?;
    }
    Ok(())
}

/// A filter value as the backends compare it: equality is type-strict, so
/// `true` never matches `1` and `"1"` never matches `1`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl Scalar {
    pub(crate) fn from_json(field: &str, value: &Value) -> StoreResult<Self> {
        match value {
            Value::String(s) => Ok(Self::Str(s.clone())),
            Value::Bool(b) => Ok(Self::Bool(*b)),
            Value::Number(n) => n.as_i64().map(Self::Int).ok_or_else(|| {
                StoreError::Backend(format!(
                    "filter on {field:?}: only integers that fit in i64 are supported, got {n}"
                ))
            }),
            other => Err(StoreError::Backend(format!(
                "filter on {field:?}: only strings, integers and booleans are supported, got {other}"
            ))),
        }
    }
}

/// Checks an insert body and returns the document to store, version 1.
pub(crate) fn new_document(body: Value) -> StoreResult<Document> {
    let Value::Object(mut object) = body else {
        return Err(StoreError::Backend("a document must be a JSON object".into()));
    };
    let id = match object.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => {
            return Err(StoreError::Backend("a document needs a non-empty string `id`".into()));
        }
    };
    let created_at = created_at(&object)?;
    object.insert("version".into(), Value::from(1_i64));
    Ok(Document { id, version: 1, created_at, body: Value::Object(object) })
}

/// Checks a compare-and-swap body and returns the document to store with
/// its next version. The body is the whole new document: `id` may be left
/// out (it is taken from the call) but must not differ, and `createdAt` must
/// be carried over from the stored document, as the caller read it.
pub(crate) fn replacement_document(id: &str, expected_version: i64, body: Value) -> StoreResult<Document> {
    let Value::Object(mut object) = body else {
        return Err(StoreError::Backend("a document must be a JSON object".into()));
    };
    match object.get("id") {
        None => {
            object.insert("id".into(), Value::from(id));
        }
        Some(Value::String(body_id)) if body_id == id => {}
        Some(other) => {
            return Err(StoreError::Backend(format!("the body's id {other} does not match the document id {id:?}")));
        }
    }
    let created_at = created_at(&object)?;
    let version = expected_version.checked_add(1).ok_or_else(|| StoreError::Backend("version overflow".into()))?;
    object.insert("version".into(), Value::from(version));
    Ok(Document { id: id.to_owned(), version, created_at, body: Value::Object(object) })
}

/// Checks an encoded insert: a new document has version 1.
pub(crate) fn new_encoded(document: Encoded) -> StoreResult<Encoded> {
    if document.version == 1 {
        Ok(document)
    } else {
        Err(StoreError::Backend(format!("a new document has version 1, not {}", document.version)))
    }
}

/// Checks that an encoded replacement is the next version of document `id`.
pub(crate) fn check_replacement(id: &str, expected_version: i64, document: &Encoded) -> StoreResult<()> {
    if document.id != id {
        return Err(StoreError::Backend(format!(
            "the body's id {:?} does not match the document id {id:?}",
            document.id
        )));
    }
    if expected_version.checked_add(1) != Some(document.version) {
        return Err(StoreError::Backend(format!(
            "a replacement of version {expected_version} has version {}, not the next",
            document.version
        )));
    }
    Ok(())
}

fn created_at(object: &Map<String, Value>) -> StoreResult<i64> {
    object
        .get("createdAt")
        .and_then(Value::as_i64)
        .ok_or_else(|| StoreError::Backend("a document needs an integer `createdAt`".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_restricted_to_sql_safe_characters() {
        assert!(validate_collection_name("payment_intents2").is_ok());
        assert!(validate_collection_name("_hidden").is_err());
        assert!(validate_collection_name("a-b").is_err());
        assert!(validate_collection_name("x\"; DROP TABLE y").is_err());
        assert!(validate_field_name("_private").is_ok());
        assert!(validate_field_name("a.b").is_err());
        assert!(validate_field_name("").is_err());
    }

    #[test]
    fn new_document_sets_version_and_checks_shape() {
        let doc = new_document(json!({"id": "a", "createdAt": 5, "version": 9})).expect("valid body");
        assert_eq!((doc.version, doc.created_at), (1, 5));
        assert_eq!(doc.body["version"], json!(1));
        assert!(new_document(json!({"createdAt": 5})).is_err());
        assert!(new_document(json!({"id": "a", "createdAt": "5"})).is_err());
        assert!(new_document(json!(["id"])).is_err());
    }

    #[test]
    fn replacement_fills_id_and_rejects_a_different_one() {
        let doc = replacement_document("a", 3, json!({"createdAt": 5})).expect("valid body");
        assert_eq!(doc.body["id"], json!("a"));
        assert_eq!(doc.version, 4);
        assert!(replacement_document("a", 3, json!({"id": "b", "createdAt": 5})).is_err());
    }

    #[test]
    fn filter_values_are_typed() {
        assert_eq!(Scalar::from_json("f", &json!(true)).ok(), Some(Scalar::Bool(true)));
        assert_eq!(Scalar::from_json("f", &json!(7)).ok(), Some(Scalar::Int(7)));
        assert!(Scalar::from_json("f", &json!(1.5)).is_err());
        assert!(Scalar::from_json("f", &json!(null)).is_err());
    }
}
