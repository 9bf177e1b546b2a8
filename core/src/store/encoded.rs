//! A document encoded once for the write path: its stored JSON text and the
//! top-level fields a backend keeps beside it, produced in one pass from the
//! value itself.
//!
//! The plain write methods take a [`serde_json::Value`]: a caller builds the
//! object, and the store reads `id`, `createdAt` and the indexed fields out
//! of it, then writes it out as text. For an entity that is two
//! conversions, and building the `Value` is the dearer one (every field
//! name allocated and hashed into an ordered map, then freed). [`Encoded`]
//! writes the text straight from the entity and captures, on the way, the
//! few fields the collection indexes. The text is byte for byte what the
//! `Value` path stores, and the captured fields are the same values, so the
//! two paths can be mixed freely on one collection.

use std::fmt::Display;

use serde::Serialize;
use serde::ser::{self, SerializeMap, SerializeStruct};
use serde_json::Value;

use super::{CREATED_AT, CollectionSpec, DUE_AT, StoreError, StoreResult};

/// A whole document, ready to be stored by
/// [`Store::insert_encoded`](super::Store::insert_encoded) or
/// [`Store::compare_and_swap_encoded`](super::Store::compare_and_swap_encoded).
#[derive(Debug, Clone)]
pub struct Encoded {
    pub(crate) id: String,
    pub(crate) created_at: i64,
    pub(crate) version: i64,
    pub(crate) due_at: Option<i64>,
    /// The JSON object, with `version` and `dueAt` as given to [`Encoded::new`].
    pub(crate) text: String,
    /// Each unique or indexed field of the layout the value has, with its
    /// value when that is a string, a number or a boolean (what a column
    /// or an index holds); other values are left out, as absent ones.
    fields: Vec<(&'static str, Value)>,
    unique: &'static [&'static str],
    indexed: &'static [&'static str],
}

impl Encoded {
    /// Encodes `value`, which must serialize as a JSON object holding `id`
    /// (a non-empty string) and `createdAt` (an integer), for a collection
    /// laid out as `spec`. `version` replaces the value's own `version`
    /// field (or is added), and `dueAt` is `due_at` (added, replaced, or
    /// left out when `None`), as the store's own rules for a stored body
    /// want them.
    pub fn new<T: Serialize + ?Sized>(
        value: &T,
        spec: &CollectionSpec,
        version: i64,
        due_at: Option<i64>,
    ) -> StoreResult<Self> {
        let mut text = Vec::with_capacity(1024);
        let mut found = Found {
            spec,
            version,
            due_at,
            id: None,
            created_at: None,
            fields: Vec::new(),
            version_written: false,
            due_at_written: false,
        };
        value
            .serialize(TopLevel { json: &mut serde_json::Serializer::new(&mut text), found: &mut found })
            .map_err(|err| StoreError::Backend(format!("cannot encode a document: {err}")))?;
        let id = found
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| StoreError::Backend("a document needs a non-empty string `id`".into()))?;
        let created_at =
            found.created_at.ok_or_else(|| StoreError::Backend("a document needs an integer `createdAt`".into()))?;
        // serde_json writes only valid UTF-8.
        let text = String::from_utf8(text).map_err(|err| StoreError::Backend(format!("encoded text: {err}")))?;
        Ok(Self {
            id,
            created_at,
            version,
            due_at,
            text,
            fields: found.fields,
            unique: spec.unique,
            indexed: spec.indexed,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    /// The stored value of a unique or indexed `field`, if it is a string,
    /// a number or a boolean.
    pub(crate) fn field(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(name, _)| *name == field).map(|(_, value)| value)
    }

    /// Whether this was encoded for a collection with `spec`'s unique and
    /// indexed fields, so that [`Encoded::field`] has every one of them.
    pub(crate) fn fits(&self, spec: &CollectionSpec) -> bool {
        self.unique == spec.unique && self.indexed == spec.indexed
    }

    /// The document as a JSON value, for a backend that stores values.
    pub fn into_value(self) -> StoreResult<Value> {
        serde_json::from_str(&self.text)
            .map_err(|err| StoreError::Backend(format!("encoded document {} does not parse: {err}", self.id)))
    }
}

/// What [`TopLevel`] found while it wrote the top level.
struct Found<'a> {
    spec: &'a CollectionSpec,
    version: i64,
    due_at: Option<i64>,
    id: Option<String>,
    created_at: Option<i64>,
    fields: Vec<(&'static str, Value)>,
    version_written: bool,
    due_at_written: bool,
}

impl Found<'_> {
    /// What to do with the top-level `key` about to be written.
    fn field<E: ser::Error, V: Serialize + ?Sized>(&mut self, key: &str, value: &V) -> Result<Field, E> {
        match key {
            "version" => {
                self.version_written = true;
                return Ok(Field::Version);
            }
            DUE_AT => {
                self.due_at_written = self.due_at.is_some();
                return Ok(if self.due_at.is_some() { Field::DueAt } else { Field::Skip });
            }
            _ => {}
        }
        let spec = self.spec;
        let indexed = spec.unique.iter().chain(spec.indexed).find(|field| **field == key);
        if key != "id" && key != CREATED_AT && indexed.is_none() {
            return Ok(Field::Write);
        }
        let captured = serde_json::to_value(value).map_err(E::custom)?;
        match key {
            "id" => self.id = captured.as_str().map(str::to_owned),
            CREATED_AT => self.created_at = captured.as_i64(),
            _ => {}
        }
        if let Some(&name) = indexed
            && matches!(captured, Value::String(_) | Value::Number(_) | Value::Bool(_))
        {
            self.fields.push((name, captured));
        }
        Ok(Field::Write)
    }

    /// Fields to add after the value's own: `version` and `dueAt` when it
    /// had none.
    fn missing(&self) -> impl Iterator<Item = (&'static str, i64)> {
        let version = (!self.version_written).then_some(("version", self.version));
        let due_at = self.due_at.filter(|_| !self.due_at_written).map(|due_at| (DUE_AT, due_at));
        version.into_iter().chain(due_at)
    }
}

enum Field {
    Write,
    Version,
    DueAt,
    Skip,
}

/// The top level of a document: serde_json's serializer for the text,
/// looking at each field on the way.
struct TopLevel<'a, 'b, W: std::io::Write> {
    json: &'a mut serde_json::Serializer<W>,
    found: &'a mut Found<'b>,
}

fn not_an_object<T>() -> Result<T, serde_json::Error> {
    Err(ser::Error::custom("a document must serialize as a JSON object"))
}

macro_rules! not_an_object {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, serde_json::Error> {
            not_an_object()
        })*
    };
}

impl<'a, 'b, W: std::io::Write> ser::Serializer for TopLevel<'a, 'b, W> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<(), serde_json::Error>;
    type SerializeMap = Fields<'a, 'b, W>;
    type SerializeStruct = Fields<'a, 'b, W>;
    type SerializeStructVariant = ser::Impossible<(), serde_json::Error>;

    not_an_object! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), serde_json::Error> {
        not_an_object()
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, serde_json::Error> {
        // The length is unknown: `version` and `dueAt` may be added.
        Ok(Fields { json: ser::Serializer::serialize_map(self.json, None)?, found: self.found, key: None })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, serde_json::Error> {
        self.serialize_map(None)
    }

    fn collect_str<T: Display + ?Sized>(self, _: &T) -> Result<(), serde_json::Error> {
        not_an_object()
    }
}

/// The fields of the top-level object, written as a JSON map.
struct Fields<'a, 'b, W: std::io::Write> {
    json: <&'a mut serde_json::Serializer<W> as ser::Serializer>::SerializeMap,
    found: &'a mut Found<'b>,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<String>,
}

impl<W: std::io::Write> Fields<'_, '_, W> {
    fn entry<V: Serialize + ?Sized>(&mut self, key: &str, value: &V) -> Result<(), serde_json::Error> {
        match self.found.field(key, value)? {
            Field::Write => self.json.serialize_entry(key, value),
            Field::Version => self.json.serialize_entry(key, &self.found.version),
            Field::DueAt => self.json.serialize_entry(key, &self.found.due_at),
            Field::Skip => Ok(()),
        }
    }

    fn finish(mut self) -> Result<(), serde_json::Error> {
        for (key, value) in self.found.missing() {
            self.json.serialize_entry(key, &value)?;
        }
        SerializeMap::end(self.json)
    }
}

impl<W: std::io::Write> SerializeStruct for Fields<'_, '_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Self::Error> {
        self.entry(key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.finish()
    }
}

impl<W: std::io::Write> SerializeMap for Fields<'_, '_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        match serde_json::to_value(key)? {
            Value::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(ser::Error::custom("a document's keys must be strings")),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self.key.take().ok_or_else(|| ser::Error::custom("a map value without its key"))?;
        self.entry(&key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    const SPEC: CollectionSpec = CollectionSpec {
        name: "widgets",
        unique: &["email"],
        indexed: &["status", "amount", "livemode", "nested", "ratio"],
        grouped: &[],
    };

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Status {
        PastDue,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Widget {
        id: String,
        version: i64,
        created_at: i64,
        status: Status,
        email: Option<String>,
        amount: u64,
        ratio: f64,
        livemode: bool,
        nested: BTreeMap<String, i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    fn widget() -> Widget {
        Widget {
            id: "wdg_1".into(),
            version: 4,
            created_at: 17,
            status: Status::PastDue,
            email: None,
            amount: 1200,
            ratio: 0.5,
            livemode: true,
            nested: BTreeMap::from([("a".into(), 1)]),
            note: None,
        }
    }

    /// What the `Value` path stores for the same value.
    fn through_value<T: Serialize>(value: &T, version: i64, due_at: Option<i64>) -> String {
        let mut body = serde_json::to_value(value).expect("value");
        let fields = body.as_object_mut().expect("object");
        fields.insert("version".into(), version.into());
        match due_at {
            Some(due_at) => fields.insert(DUE_AT.into(), due_at.into()),
            None => fields.remove(DUE_AT),
        };
        serde_json::to_string(&body).expect("text")
    }

    #[test]
    fn the_text_is_what_the_value_path_stores_and_the_indexed_fields_are_captured() {
        let encoded = Encoded::new(&widget(), &SPEC, 5, Some(99)).expect("encoded");
        assert_eq!(encoded.text, through_value(&widget(), 5, Some(99)));
        assert_eq!((encoded.id(), encoded.created_at, encoded.version()), ("wdg_1", 17, 5));
        assert_eq!(encoded.field("status"), Some(&json!("pastDue")));
        assert_eq!(encoded.field("amount"), Some(&json!(1200)));
        assert_eq!(encoded.field("ratio"), Some(&json!(0.5)));
        assert_eq!(encoded.field("livemode"), Some(&json!(true)));
        // Null, objects and fields nobody indexes are not columns.
        assert_eq!(encoded.field("email"), None);
        assert_eq!(encoded.field("nested"), None);
        assert_eq!(encoded.field("note"), None);
        assert!(encoded.fits(&SPEC));
        assert!(!encoded.fits(&CollectionSpec { indexed: &["status"], ..SPEC }));
        assert_eq!(encoded.clone().into_value().expect("parses")["dueAt"], json!(99));
    }

    #[test]
    fn version_and_due_at_replace_the_values_own_in_place() {
        let value = json!({"id": "a", "dueAt": 3, "createdAt": 1, "version": 9, "tail": true});
        let encoded = Encoded::new(&value, &SPEC, 10, Some(4)).expect("encoded");
        assert_eq!(encoded.text, r#"{"id":"a","dueAt":4,"createdAt":1,"version":10,"tail":true}"#);
        assert_eq!(encoded.text, through_value(&value, 10, Some(4)));
        // Left out, the others keep their order (the `Value` path moves
        // the last field into its place; the object means the same).
        let cleared = Encoded::new(&value, &SPEC, 10, None).expect("encoded");
        assert_eq!(cleared.text, r#"{"id":"a","createdAt":1,"version":10,"tail":true}"#);
        let parsed: Value = serde_json::from_str(&through_value(&value, 10, None)).expect("json");
        assert_eq!(cleared.into_value().expect("parses"), parsed);
    }

    #[test]
    fn a_document_needs_an_object_with_an_id_and_an_integer_creation_time() {
        for bad in [json!([1]), json!("x"), json!({"createdAt": 1}), json!({"id": "", "createdAt": 1})] {
            assert!(Encoded::new(&bad, &SPEC, 1, None).is_err(), "{bad}");
        }
        assert!(Encoded::new(&json!({"id": "a", "createdAt": "1"}), &SPEC, 1, None).is_err());
        assert!(Encoded::new(&json!({"id": "a", "createdAt": 1}), &SPEC, 1, None).is_ok());
    }
}
