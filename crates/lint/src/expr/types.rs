//! Types of expression values, with actionlint's rules for assigning and merging them.
//!
//! Objects come in three flavours, all one [`ObjectType`]: *strict* (only the listed
//! properties exist; anything else is reported), *loose* (listed properties plus anything
//! else, typed `any`) and *map* (`{string => T}`: any property, all of type `T`, as for
//! `secrets` or `env`).

use std::collections::BTreeMap;
use std::fmt;

/// The type of an expression value.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// Anything: unknown, or not worth knowing. Never reported.
    Any,
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool,
    /// A number (integers and floats are one type).
    Number,
    /// A string.
    String,
    /// An object: strict, loose or map (see [`ObjectType`]).
    Object(ObjectType),
    /// An array.
    Array(ArrayType),
}

/// An object type: known properties and what other properties are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectType {
    /// Known properties. Names are compared as written, so callers store them in lower case
    /// (property access `a.B` is looked up as `b`).
    pub props: BTreeMap<String, Type>,
    /// The type of any other property: `None` for a strict object (others are errors),
    /// `Some(Any)` for a loose object, `Some(T)` for a map of `T`.
    pub mapped: Option<Box<Type>>,
}

/// An array type.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayType {
    /// The element type.
    pub elem: Box<Type>,
    /// Whether this array came from an object filter (`a.*`), so that `a.*.b` maps `.b` over
    /// the elements instead of being an error.
    pub deref: bool,
}

/// The properties of an object, the last of a repeated name winning (as in a collected map).
/// Inserted one by one: the objects built for every job and step (`needs`, a step's outputs, a
/// matrix row) have a few properties, for which collecting them (into a vector, sorted, then
/// into a tree) costs more.
fn property_map<K: Into<String>>(
    props: impl IntoIterator<Item = (K, Type)>,
) -> BTreeMap<String, Type> {
    let mut map = BTreeMap::new();
    for (k, v) in props {
        map.insert(k.into(), v);
    }
    map
}

impl ObjectType {
    /// A strict object with these properties.
    pub fn strict<K: Into<String>>(props: impl IntoIterator<Item = (K, Type)>) -> Self {
        ObjectType {
            props: property_map(props),
            mapped: None,
        }
    }

    /// A loose object with these properties (any other property is `any`).
    pub fn loose<K: Into<String>>(props: impl IntoIterator<Item = (K, Type)>) -> Self {
        ObjectType {
            props: property_map(props),
            mapped: Some(Box::new(Type::Any)),
        }
    }

    /// A map: every property has type `elem`.
    pub fn map(elem: Type) -> Self {
        ObjectType {
            props: BTreeMap::new(),
            mapped: Some(Box::new(elem)),
        }
    }

    /// Whether properties not listed are errors.
    pub fn is_strict(&self) -> bool {
        self.mapped.is_none()
    }

    /// Whether properties not listed are `any`.
    pub fn is_loose(&self) -> bool {
        matches!(self.mapped.as_deref(), Some(Type::Any))
    }

    /// Makes the object loose (used when properties can't be known, e.g. computed step ids).
    pub fn make_loose(&mut self) {
        self.mapped = Some(Box::new(Type::Any));
    }

    /// Whether a value of type `other` can be used where this object is expected.
    fn assignable(&self, other: &ObjectType) -> bool {
        match (&self.mapped, &other.mapped) {
            (Some(mine), Some(theirs)) => mine.assignable(theirs),
            (Some(mine), None) => other.props.values().all(|t| mine.assignable(t)),
            (None, Some(theirs)) => self.props.values().all(|t| t.assignable(theirs)),
            (None, None) => other
                .props
                .iter()
                .all(|(n, r)| self.props.get(n).is_some_and(|l| l.assignable(r))),
        }
    }

    fn merge(self, other: ObjectType) -> ObjectType {
        if self.props.is_empty() && other.is_loose() {
            return other;
        }
        if other.props.is_empty() && self.is_loose() {
            return self;
        }
        let mut mapped = match (self.mapped, other.mapped) {
            (None, m) => m,
            (Some(m), None) => Some(m),
            (Some(a), Some(b)) => Some(Box::new(a.merge(*b))),
        };
        let mut props = self.props;
        for (n, r) in other.props {
            match props.remove(&n) {
                Some(l) => {
                    props.insert(n, l.merge(r));
                }
                None => {
                    if let Some(m) = mapped.take() {
                        mapped = Some(Box::new(m.merge(r.clone())));
                    }
                    props.insert(n, r);
                }
            }
        }
        ObjectType { props, mapped }
    }
}

impl Type {
    /// `{a: T; ...}`: a strict object.
    pub fn strict_object<K: Into<String>>(props: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(ObjectType::strict(props))
    }

    /// A loose object: the listed properties, and anything else as `any`.
    pub fn loose_object<K: Into<String>>(props: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(ObjectType::loose(props))
    }

    /// `{}`: a strict object without properties (every access is an error).
    pub fn empty_strict_object() -> Type {
        Type::Object(ObjectType::default())
    }

    /// `{string => elem}`: a map.
    pub fn map(elem: Type) -> Type {
        Type::Object(ObjectType::map(elem))
    }

    /// `array<elem>`.
    pub fn array(elem: Type) -> Type {
        Type::Array(ArrayType {
            elem: Box::new(elem),
            deref: false,
        })
    }

    /// Whether a value of type `other` can be used where `self` is expected (`self` is the
    /// parameter, `other` the argument), by actionlint's rules: `any` fits everywhere, anything
    /// fits `bool`, and numbers fit strings.
    pub fn assignable(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Any, _) | (_, Type::Any) | (Type::Bool, _) => true,
            (Type::Null, Type::Null) | (Type::Number, Type::Number) => true,
            (Type::String, Type::String | Type::Number) => true,
            (Type::Object(a), Type::Object(b)) => a.assignable(b),
            (Type::Array(a), Type::Array(b)) => a.elem.assignable(&b.elem),
            _ => false,
        }
    }

    /// The type of a value that is either `self` or `other` (e.g. the result of `a || b`).
    pub fn merge(self, other: Type) -> Type {
        match (self, other) {
            (Type::Any, _) => Type::Any,
            (Type::Null, Type::Null) => Type::Null,
            (Type::Number, Type::Number) => Type::Number,
            (Type::Bool, Type::Bool) => Type::Bool,
            (Type::Number | Type::Bool | Type::String, Type::String) => Type::String,
            (Type::String, Type::Number | Type::Bool) => Type::String,
            (Type::Object(a), Type::Object(b)) => Type::Object(a.merge(b)),
            (Type::Array(a), Type::Array(b)) => {
                if *a.elem == Type::Any {
                    Type::Array(a)
                } else if *b.elem == Type::Any {
                    Type::Array(b)
                } else {
                    Type::array(a.elem.merge(*b.elem))
                }
            }
            _ => Type::Any,
        }
    }

    /// The type GitHub gives a plain YAML scalar written in a matrix or passed as an input:
    /// `true`/`false` are bools, `null` is null, anything that parses as a number is a number,
    /// the rest are strings (actionlint's rule for matrix values). Keywords are case-sensitive.
    pub fn of_scalar(s: &str) -> Type {
        match s.trim() {
            "true" | "false" => Type::Bool,
            "null" => Type::Null,
            t if t.parse::<f64>().is_ok() => Type::Number,
            _ => Type::String,
        }
    }

    /// The object type, when this is an object.
    pub fn as_object(&self) -> Option<&ObjectType> {
        match self {
            Type::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The object type, mutably, when this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut ObjectType> {
        match self {
            Type::Object(o) => Some(o),
            _ => None,
        }
    }
}

/// Types print as actionlint prints them: `string`, `array<number>`, `object` (loose),
/// `{string => string}` (map), `{a: bool; b: string}` (strict, sorted).
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Null => f.write_str("null"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::Object(o) => write!(f, "{o}"),
            Type::Array(a) => write!(f, "array<{}>", a.elem),
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mapped.as_deref() {
            Some(Type::Any) => f.write_str("object"),
            Some(t) => write!(f, "{{string => {t}}}"),
            None => {
                f.write_str("{")?;
                for (i, (n, t)) in self.props.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(Type::array(Type::Bool).to_string(), "array<bool>");
        assert_eq!(
            Type::loose_object([("a", Type::String)]).to_string(),
            "object"
        );
        assert_eq!(Type::map(Type::String).to_string(), "{string => string}");
        assert_eq!(
            Type::strict_object([("b", Type::Number), ("a", Type::String)]).to_string(),
            "{a: string; b: number}"
        );
        assert_eq!(Type::empty_strict_object().to_string(), "{}");
    }

    #[test]
    fn properties_as_a_collected_map_has_them() {
        let props = [
            ("b", Type::Number),
            ("a", Type::String),
            ("b", Type::Bool),
            ("c", Type::Null),
            ("a", Type::Any),
        ];
        let collected: BTreeMap<String, Type> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(ObjectType::strict(props).props, collected);
    }

    #[test]
    fn assignability() {
        assert!(Type::String.assignable(&Type::Number));
        assert!(!Type::Number.assignable(&Type::String));
        assert!(Type::Bool.assignable(&Type::empty_strict_object()));
        assert!(Type::Any.assignable(&Type::Null));
        assert!(!Type::Null.assignable(&Type::String));
        assert!(Type::array(Type::Any).assignable(&Type::array(Type::String)));
        assert!(!Type::array(Type::String).assignable(&Type::array(Type::Null)));
        let map = Type::map(Type::String);
        assert!(map.assignable(&Type::strict_object([("a", Type::String)])));
        assert!(!map.assignable(&Type::strict_object([("a", Type::Null)])));
        let strict = Type::strict_object([("a", Type::String)]);
        assert!(strict.assignable(&Type::strict_object([("a", Type::Number)])));
        assert!(!strict.assignable(&Type::strict_object([("b", Type::String)])));
    }

    #[test]
    fn scalars() {
        assert_eq!(Type::of_scalar("true"), Type::Bool);
        assert_eq!(Type::of_scalar("True"), Type::String);
        assert_eq!(Type::of_scalar(" null "), Type::Null);
        assert_eq!(Type::of_scalar("1.5e3"), Type::Number);
        assert_eq!(Type::of_scalar("-3"), Type::Number);
        assert_eq!(Type::of_scalar("ubuntu-latest"), Type::String);
    }

    #[test]
    fn merging() {
        assert_eq!(Type::Number.merge(Type::String), Type::String);
        assert_eq!(Type::Bool.merge(Type::Number), Type::Any);
        assert_eq!(Type::Null.merge(Type::Null), Type::Null);
        assert_eq!(
            Type::array(Type::Number).merge(Type::array(Type::String)),
            Type::array(Type::String)
        );
        let a = Type::strict_object([("x", Type::Number)]);
        let b = Type::strict_object([("x", Type::String), ("y", Type::Bool)]);
        assert_eq!(
            a.merge(b),
            Type::strict_object([("x", Type::String), ("y", Type::Bool)])
        );
        let loose = Type::loose_object::<&str>([]);
        assert_eq!(loose.clone().merge(Type::empty_strict_object()), loose);
    }
}
