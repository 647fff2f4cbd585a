//! Internally tagged enums (`{"state": "needs_sign_in", "cause": …}`) without serde's buffering.
//!
//! serde's `#[serde(tag = "…")]` reads a whole object into its private `Content` tree before it
//! knows the variant, and then deserializes every variant a second time from that tree: each
//! tagged enum costs twice its code, for every input format. Everything Tokenwatch reads in this
//! shape it wrote itself (serde writes the tag first) or its own pages sent, so [`tag_first!`]
//! reads the tag as the object's first key and hands the rest of the same object to the variant:
//! one pass, no tree. The format is unchanged. An object whose tag comes later (a
//! `serde_json::Value` sorts its keys) takes a slower path through a `serde_json::Map`, one
//! instantiation shared by every input format.
//!
//! The enum derives serde's default (externally tagged) code with `#[serde(remote = "Self")]`,
//! which turns the derived impls into inherent functions; [`tag_first!`] implements the traits
//! over them through [`TagSerializer`] and [`TagDeserializer`]. Only unit and struct variants are
//! supported (the only kinds the tagged enums here have).

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};
use serde::ser::{
    self, Impossible, Serialize, SerializeStruct, SerializeStructVariant, Serializer,
};
use std::fmt;

/// Implements `Serialize` and `Deserialize` for an enum declared with
/// `#[derive(Serialize, Deserialize)] #[serde(remote = "Self")]`, internally tagged by `$tag`.
/// With `deny_unknown_fields`, a unit variant refuses any other key too (struct variants follow
/// the enum's own serde attributes). With `wire`, the tag must come first and the slower path
/// for a later tag is not even compiled: for messages, which only Tokenwatch's own code writes.
#[macro_export]
macro_rules! tag_first {
    ($ty:ty, $tag:literal) => {
        $crate::tag_first!(@impl $ty, $tag, false, true);
    };
    ($ty:ty, $tag:literal, wire) => {
        $crate::tag_first!(@impl $ty, $tag, false, false);
    };
    ($ty:ty, $tag:literal, wire, deny_unknown_fields) => {
        $crate::tag_first!(@impl $ty, $tag, true, false);
    };
    ($ty:ty, $tag:literal, deny_unknown_fields) => {
        $crate::tag_first!(@impl $ty, $tag, true, true);
    };
    (@impl $ty:ty, $tag:literal, $strict:expr, $later:expr) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, $crate::tagged::TagSerializer::new($tag, serializer))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$ty>::deserialize($crate::tagged::TagDeserializer::<_, $later>::new(
                    $tag,
                    $strict,
                    deserializer,
                ))
            }
        }
    };
}

/// Writes an externally tagged unit or struct variant as one object with the tag first.
pub struct TagSerializer<S> {
    tag: &'static str,
    inner: S,
}

impl<S> TagSerializer<S> {
    /// Over `inner`, with the tag key `tag`.
    pub fn new(tag: &'static str, inner: S) -> Self {
        TagSerializer { tag, inner }
    }
}

/// The fields of a struct variant, after the tag.
pub struct TagStruct<M> {
    fields: M,
}

impl<M: SerializeStruct> SerializeStructVariant for TagStruct<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.fields.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), M::Error> {
        self.fields.skip_field(key)
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.fields.end()
    }
}

fn not_a_variant<E: ser::Error>() -> E {
    E::custom("a tagged enum writes only unit and struct variants")
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, S::Error> {
            Err(not_a_variant())
        })*
    };
}

impl<S: Serializer> Serializer for TagSerializer<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = TagStruct<S::SerializeStruct>;

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        let mut object = self.inner.serialize_struct(name, 1)?;
        object.serialize_field(self.tag, variant)?;
        object.end()
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut fields = self.inner.serialize_struct(name, len + 1)?;
        fields.serialize_field(self.tag, variant)?;
        Ok(TagStruct { fields })
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_variant())
    }

    refuse! {
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_bytes(&[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }
}

/// Reads an object whose first key is the tag as an externally tagged enum; with `LATER`, also
/// one whose tag comes later.
pub struct TagDeserializer<D, const LATER: bool> {
    tag: &'static str,
    strict: bool,
    inner: D,
}

impl<D, const LATER: bool> TagDeserializer<D, LATER> {
    /// Over `inner`, with the tag key `tag`; `strict` refuses other keys beside a unit variant.
    pub fn new(tag: &'static str, strict: bool, inner: D) -> Self {
        TagDeserializer { tag, strict, inner }
    }
}

impl<'de, D: Deserializer<'de>, const LATER: bool> Deserializer<'de> for TagDeserializer<D, LATER> {
    type Error = D::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(ObjectVisitor::<V, LATER> {
            tag: self.tag,
            strict: self.strict,
            visitor,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom("a tagged enum reads only as an enum"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct ObjectVisitor<V, const LATER: bool> {
    tag: &'static str,
    strict: bool,
    visitor: V,
}

impl<'de, V: Visitor<'de>, const LATER: bool> Visitor<'de> for ObjectVisitor<V, LATER> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object whose first key is \"{}\"", self.tag)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<V::Value, M::Error> {
        let first = match map.next_key_seed(TagKey(self.tag))? {
            Some(Key::Tag) => {
                let variant: String = map.next_value()?;
                return self.visitor.visit_enum(Variant {
                    name: variant,
                    strict: self.strict,
                    rest: map,
                });
            }
            Some(Key::Other(key)) => key,
            None => return Err(de::Error::missing_field(self.tag)),
        };
        if !LATER {
            return Err(de::Error::custom(format_args!(
                "`{}` must be the object's first key",
                self.tag
            )));
        }
        let mut object = serde_json::Map::new();
        object.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            object.insert(key, value);
        }
        let variant = match object.remove(self.tag) {
            Some(serde_json::Value::String(variant)) => variant,
            Some(_) => {
                return Err(de::Error::custom(format_args!(
                    "`{}` is not a string",
                    self.tag
                )));
            }
            None => return Err(de::Error::missing_field(self.tag)),
        };
        self.visitor
            .visit_enum(Variant {
                name: variant,
                strict: self.strict,
                rest: Entries {
                    entries: object.into_iter(),
                    value: None,
                },
            })
            .map_err(de::Error::custom)
    }
}

/// The rest of an object read ahead, as a map again.
struct Entries {
    entries: serde_json::map::IntoIter,
    value: Option<serde_json::Value>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, serde_json::Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: de::value::StringDeserializer<serde_json::Error> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, serde_json::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a value without its key")),
        }
    }
}

enum Key {
    Tag,
    Other(String),
}

/// Whether the next key is the tag (without allocating for it when it is).
struct TagKey(&'static str);

impl<'de> DeserializeSeed<'de> for TagKey {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for TagKey {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(if key == self.0 {
            Key::Tag
        } else {
            Key::Other(key.to_owned())
        })
    }
}

struct Variant<M> {
    name: String,
    strict: bool,
    rest: M,
}

impl<'de, M: MapAccess<'de>> EnumAccess<'de> for Variant<M> {
    type Error = M::Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), M::Error> {
        let name: de::value::StrDeserializer<'_, M::Error> = self.name.as_str().into_deserializer();
        let value = seed.deserialize(name)?;
        Ok((value, self))
    }
}

impl<'de, M: MapAccess<'de>> VariantAccess<'de> for Variant<M> {
    type Error = M::Error;

    fn unit_variant(mut self) -> Result<(), M::Error> {
        while let Some(key) = self.rest.next_key::<String>()? {
            if self.strict {
                return Err(de::Error::custom(format_args!(
                    "unknown field `{key}` beside `{}`",
                    self.name
                )));
            }
            self.rest.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, M::Error> {
        Err(de::Error::custom(
            "a tagged enum reads only unit and struct variants",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, M::Error> {
        Err(de::Error::custom(
            "a tagged enum reads only unit and struct variants",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, M::Error> {
        visitor.visit_map(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
    enum Strict {
        Plain,
        WithFields { a: u32, b: Option<String> },
    }
    crate::tag_first!(Strict, "kind", deny_unknown_fields);

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
    enum Wire {
        Plain,
        WithFields { a: u32 },
    }
    crate::tag_first!(Wire, "type", wire, deny_unknown_fields);

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self", rename_all = "snake_case")]
    enum Lenient {
        Plain,
        WithFields { a: u32 },
    }
    crate::tag_first!(Lenient, "state");

    /// What serde's own `#[serde(tag)]` writes, for comparison.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum SerdeTagged {
        Plain,
        WithFields { a: u32, b: Option<String> },
    }

    #[test]
    fn writes_what_serde_tag_writes() {
        let ours = serde_json::to_string(&Strict::WithFields {
            a: 7,
            b: Some("x".into()),
        })
        .unwrap();
        let serde = serde_json::to_string(&SerdeTagged::WithFields {
            a: 7,
            b: Some("x".into()),
        })
        .unwrap();
        assert_eq!(ours, serde);
        assert_eq!(ours, r#"{"kind":"with_fields","a":7,"b":"x"}"#);
        assert_eq!(
            serde_json::to_string(&Strict::Plain).unwrap(),
            r#"{"kind":"plain"}"#
        );
    }

    #[test]
    fn reads_what_serde_tag_writes() {
        for value in [
            SerdeTagged::Plain,
            SerdeTagged::WithFields { a: 1, b: None },
        ] {
            let text = serde_json::to_string(&value).unwrap();
            let back: Strict = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        let value: Vec<Lenient> =
            serde_json::from_str(r#"[{"state":"plain"},{"state":"with_fields","a":3}]"#).unwrap();
        assert_eq!(value, [Lenient::Plain, Lenient::WithFields { a: 3 }]);
    }

    #[test]
    fn a_later_tag_is_read_too() {
        let value: Strict =
            serde_json::from_str(r#"{"a":1,"kind":"with_fields","b":"x"}"#).unwrap();
        assert_eq!(
            value,
            Strict::WithFields {
                a: 1,
                b: Some("x".into())
            }
        );
        // What a serde_json::Value gives back: its keys sorted.
        let sorted = serde_json::json!({"b": null, "a": 2, "kind": "with_fields"});
        let value: Strict = serde_json::from_value(sorted).unwrap();
        assert_eq!(value, Strict::WithFields { a: 2, b: None });
        let value: Lenient = serde_json::from_str(r#"{"extra":1,"state":"plain"}"#).unwrap();
        assert_eq!(value, Lenient::Plain);
    }

    #[test]
    fn a_wire_enum_wants_its_tag_first() {
        let value: Wire = serde_json::from_str(r#"{"type":"with_fields","a":1}"#).unwrap();
        assert_eq!(value, Wire::WithFields { a: 1 });
        let error = serde_json::from_str::<Wire>(r#"{"a":1,"type":"with_fields"}"#).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`type` must be the object's first key"),
            "{error}"
        );
        let error = serde_json::from_str::<Wire>(r#"{"type":"plain","a":1}"#).unwrap_err();
        assert!(error.to_string().contains("unknown field `a`"), "{error}");
    }

    #[test]
    fn refuses_bad_input_clearly() {
        let error = |text: &str| {
            serde_json::from_str::<Strict>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(error("{}").contains("missing field `kind`"));
        assert!(error(r#"{"a":1}"#).contains("missing field `kind`"));
        assert!(error(r#"{"a":1,"kind":7}"#).contains("`kind` is not a string"));
        assert!(error(r#"{"a":1,"kind":"plain"}"#).contains("unknown field `a`"));
        assert!(error(r#"{"c":2,"kind":"with_fields","a":1}"#).contains("unknown field `c`"));
        assert!(error(r#"{"kind":"other"}"#).contains("unknown variant `other`"));
        assert!(error(r#"{"kind":"plain","a":1}"#).contains("unknown field `a`"));
        assert!(error(r#"{"kind":"with_fields","a":1,"c":2}"#).contains("unknown field `c`"));
        assert!(error(r#"{"kind":"with_fields"}"#).contains("missing field `a`"));
        assert!(error(r#"{"kind":3}"#).contains("invalid type"));
        assert!(error(r#""plain""#).contains("invalid type"));
        // Lenient unit variants skip other keys, as serde's tagged enums do.
        let plain: Lenient =
            serde_json::from_str(r#"{"state":"plain","extra":[1,{"x":2}]}"#).unwrap();
        assert_eq!(plain, Lenient::Plain);
    }
}
