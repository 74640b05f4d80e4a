//! PATCH (RFC 7644 §3.5.2): a typed builder of operations and the diff of two versions.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::filter::{AttrPath, Filter, FilterParseError};
use super::owned::OwnedAttributes;
use super::schema;
use crate::redact::{is_secret_path, redacted_json};
use crate::{Error, Result};

/// A PATCH request: a list of operations applied in order.
///
/// Written canonically: lowercase `op`s and `schemas` set. Read tolerantly (the mock server
/// uses the same type): `Add`/`Replace`/`Remove` in any case, `operations` in any case.
///
/// ```
/// use scimkit::scim::{Filter, Patch, PatchPath};
///
/// let patch = Patch::new()
///     .replace("active", false)
///     .replace("name.givenName", "Alicia")
///     .replace(PatchPath::attr("emails").filter(Filter::attr("type").eq("work")).sub("value"), "a@x.org")
///     .remove(PatchPath::attr("members").filter(Filter::attr("value").eq("2819c223")));
/// let json = serde_json::to_value(&patch).unwrap();
/// assert_eq!(json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:PatchOp");
/// assert_eq!(json["Operations"][0], serde_json::json!({"op": "replace", "path": "active", "value": false}));
/// assert_eq!(json["Operations"][2]["path"], r#"emails[type eq "work"].value"#);
/// assert_eq!(json["Operations"][3]["path"], r#"members[value eq "2819c223"]"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Patch {
    /// The operations, in order.
    pub operations: Vec<PatchOperation>,
}

/// One PATCH operation. `Debug` hides secret values: the whole value when the path names a
/// secret (`password`, `urn:...:User:password`), and secret attributes inside it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchOperation {
    /// `add`, `remove` or `replace`.
    pub op: PatchOp,
    /// The target; `None` means the resource itself (the value is then an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value (absent for `remove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl fmt::Debug for PatchOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.as_ref().map(|v| {
            if self.path.as_deref().is_some_and(is_secret_path) {
                Value::String("[redacted]".into())
            } else {
                redacted_json(v)
            }
        });
        f.debug_struct("PatchOperation")
            .field("op", &self.op)
            .field("path", &self.path)
            .field("value", &value)
            .finish()
    }
}

/// A PATCH operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchOp {
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `replace`
    Replace,
}

impl PatchOp {
    /// The canonical (lowercase) wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Remove => "remove",
            PatchOp::Replace => "replace",
        }
    }
}

impl Serialize for PatchOp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PatchOp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().as_str() {
            "add" => Ok(PatchOp::Add),
            "remove" => Ok(PatchOp::Remove),
            "replace" => Ok(PatchOp::Replace),
            _ => Err(serde::de::Error::unknown_variant(
                &s,
                &["add", "remove", "replace"],
            )),
        }
    }
}

/// A PATCH path: an attribute path, optionally with a value filter and a sub-attribute
/// (`emails[type eq "work"].value`).
///
/// ```
/// use scimkit::scim::{Filter, PatchPath};
/// let p = PatchPath::attr("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
/// assert_eq!(p.to_string(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
/// let p = PatchPath::parse(r#"emails[type eq "work"].value"#).unwrap();
/// assert_eq!(p, PatchPath::attr("emails").filter(Filter::attr("type").eq("work")).sub("value"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    attr: AttrPath,
    filter: Option<Filter>,
    sub: Option<String>,
}

impl PatchPath {
    /// A path to an attribute (`active`, `name.givenName`, a URN-qualified attribute).
    pub fn attr(path: &str) -> PatchPath {
        PatchPath {
            attr: AttrPath::new(path),
            filter: None,
            sub: None,
        }
    }

    /// Narrows a multi-valued attribute to the values matching `filter`.
    pub fn filter(mut self, filter: Filter) -> PatchPath {
        self.filter = Some(filter);
        self
    }

    /// Targets a sub-attribute of the filtered values.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(mut self, sub: &str) -> PatchPath {
        let cleaned: String = sub
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_-$".contains(*c))
            .collect();
        self.sub = Some(cleaned);
        self
    }

    /// Parses path syntax.
    pub fn parse(text: &str) -> std::result::Result<PatchPath, FilterParseError> {
        let (attr, filter, sub) = super::filter::parse::parse_patch_path(text)?;
        Ok(PatchPath { attr, filter, sub })
    }

    /// The attribute part.
    pub fn attr_path(&self) -> &AttrPath {
        &self.attr
    }

    /// The value filter, if any.
    pub fn value_filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The sub-attribute after the filter, if any.
    pub fn sub_attr(&self) -> Option<&str> {
        self.sub.as_deref()
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl From<&str> for PatchPath {
    /// Parses the path; a string that is not valid path syntax is treated as a plain
    /// attribute name with disallowed characters dropped.
    fn from(text: &str) -> Self {
        PatchPath::parse(text).unwrap_or_else(|_| PatchPath::attr(text))
    }
}

impl From<String> for PatchPath {
    fn from(text: String) -> Self {
        PatchPath::from(text.as_str())
    }
}

impl Patch {
    /// An empty PATCH.
    pub fn new() -> Self {
        Patch::default()
    }

    fn push(mut self, op: PatchOp, path: Option<String>, value: Option<Value>) -> Self {
        self.operations.push(PatchOperation { op, path, value });
        self
    }

    /// `add` a value at `path` (multi-valued attributes gain the values).
    pub fn add(self, path: impl Into<PatchPath>, value: impl Into<Value>) -> Self {
        self.push(
            PatchOp::Add,
            Some(path.into().to_string()),
            Some(value.into()),
        )
    }

    /// `replace` the value at `path`.
    pub fn replace(self, path: impl Into<PatchPath>, value: impl Into<Value>) -> Self {
        self.push(
            PatchOp::Replace,
            Some(path.into().to_string()),
            Some(value.into()),
        )
    }

    /// `remove` the value(s) at `path`.
    pub fn remove(self, path: impl Into<PatchPath>) -> Self {
        self.push(PatchOp::Remove, Some(path.into().to_string()), None)
    }

    /// `replace` with no path: each attribute of `attributes` replaces the resource's.
    pub fn replace_attributes(self, attributes: Map<String, Value>) -> Self {
        self.push(PatchOp::Replace, None, Some(Value::Object(attributes)))
    }

    /// `add` or `replace` a serialisable value (e.g. a typed sub-structure).
    pub fn op_with<T: Serialize>(
        self,
        op: PatchOp,
        path: impl Into<PatchPath>,
        value: &T,
    ) -> Result<Self> {
        let value = serde_json::to_value(value)
            .map_err(|e| Error::config(format!("could not encode the PATCH value: {e}")))?;
        Ok(self.push(op, Some(path.into().to_string()), Some(value)))
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The operations that turn `old` into `new`.
    ///
    /// Top-level attributes that disappeared are removed, changed ones replaced; complex
    /// single-valued attributes (`name`, extension objects) are compared one level down so
    /// only the changed sub-attributes are sent; multi-valued attributes are replaced whole
    /// (or removed when emptied). `id`, `meta`, `schemas` and the read-only `groups` are
    /// never part of the diff.
    ///
    /// ```
    /// use scimkit::scim::{Name, Patch, User};
    /// let old = User::new("alice").name(Name::new("Alice", "Liddell")).active(true);
    /// let new = User::new("alice").name(Name::new("Alicia", "Liddell")).active(false);
    /// let patch = Patch::diff(&old, &new).unwrap();
    /// let json = serde_json::to_value(&patch).unwrap();
    /// assert_eq!(json["Operations"], serde_json::json!([
    ///     {"op": "replace", "path": "active", "value": false},
    ///     {"op": "replace", "path": "name.givenName", "value": "Alicia"},
    /// ]));
    /// ```
    pub fn diff<T: Serialize>(old: &T, new: &T) -> Result<Patch> {
        Ok(diff_objects(
            &encode(old)?,
            &encode(new)?,
            &["id", "meta", "schemas", "groups"],
            Compare::Exact,
        ))
    }

    /// The operations that make the attributes in `owned` of `old` (the resource as the
    /// server has it) what they are in `new` (the resource as the client wants it); every
    /// other attribute is left out of the PATCH, so it is never overwritten or removed.
    ///
    /// Paths are as in [`Patch::diff`]: changed sub-attributes of owned complex attributes
    /// (`name.givenName`, `urn:…:User:department`) one by one, multi-valued attributes
    /// (`emails`) replaced whole, an owned attribute `new` lacks removed.
    ///
    /// Values are compared as a server stores them, so that a resource read back after the
    /// PATCH diffs as unchanged: a value of `old` that carries sub-attributes `new` does not
    /// set (a `display` or `$ref` the server added) counts as equal; multi-valued attributes
    /// compare without regard to order; booleans sent as `"True"`, and numbers as `1.0`, equal
    /// `true` and `1`.
    ///
    /// ```
    /// use scimkit::scim::{MultiValued, Name, OwnedAttributes, Patch, User};
    /// use serde_json::json;
    ///
    /// let owned = OwnedAttributes::new(["userName", "name.givenName", "emails", "active"]);
    /// // On the server: a title and an honorific set by hand, a display the server added.
    /// let mut old = User::new("ada").active(true);
    /// old.title = Some("Countess".into());
    /// let mut name = Name::new("Ada", "Lovelace");
    /// name.honorific_prefix = Some("Lady".into());
    /// old.name = Some(name);
    /// let mut email = MultiValued::new("ada@example.com").kind("work");
    /// email.display = Some("Ada".into());
    /// old.emails.push(email);
    ///
    /// let new = User::new("ada").active(false)
    ///     .name(Name::new("Augusta", "King"))
    ///     .email(MultiValued::new("ada@example.com").kind("work"));
    /// let patch = Patch::diff_owned(&old, &new, &owned).unwrap();
    /// assert_eq!(serde_json::to_value(&patch).unwrap()["Operations"], json!([
    ///     {"op": "replace", "path": "active", "value": false},
    ///     {"op": "replace", "path": "name.givenName", "value": "Augusta"},
    /// ]));
    /// ```
    pub fn diff_owned<T: Serialize>(old: &T, new: &T, owned: &OwnedAttributes) -> Result<Patch> {
        Ok(Patch::diff_owned_json(&encode(old)?, &encode(new)?, owned))
    }

    /// [`diff_owned`](Self::diff_owned) of two resources already in JSON form.
    pub(crate) fn diff_owned_json(old: &Value, new: &Value, owned: &OwnedAttributes) -> Patch {
        let (old, new) = owned.project_pair(old, new);
        diff_objects(&old, &new, &[], Compare::AsStored)
    }
}

/// How two leaf values are compared.
#[derive(Clone, Copy, PartialEq)]
enum Compare {
    /// JSON equality.
    Exact,
    /// As a server stores a value: see [`Patch::diff_owned`].
    AsStored,
}

impl Compare {
    fn same(self, old: Option<&Value>, new: Option<&Value>) -> bool {
        match (self, old, new) {
            (Compare::Exact, _, _) => old == new,
            (Compare::AsStored, Some(o), Some(n)) => stored_as(o, n),
            (Compare::AsStored, _, _) => old == new,
        }
    }
}

/// Whether `old` (as the server has it) holds what `new` sets.
fn stored_as(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => n.iter().all(|(k, nv)| {
            let ov = o.get(k).or_else(|| {
                o.iter()
                    .find(|(ok, _)| ok.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v)
            });
            match ov {
                Some(ov) => stored_as(ov, nv),
                None => is_empty_value(Some(nv)),
            }
        }),
        (Value::Array(o), Value::Array(n)) => {
            if o.len() != n.len() {
                return false;
            }
            // Each wanted value matches a distinct stored one, in any order.
            let mut used = vec![false; o.len()];
            n.iter().all(|nv| {
                let found = o
                    .iter()
                    .enumerate()
                    .find(|(i, ov)| !used.get(*i).copied().unwrap_or(true) && stored_as(ov, nv));
                match found.and_then(|(i, _)| used.get_mut(i)) {
                    Some(slot) => {
                        *slot = true;
                        true
                    }
                    None => false,
                }
            })
        }
        (Value::String(s), Value::Bool(b)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => old == new,
    }
}

fn is_empty_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Top,
    InExtension,
    Leaf,
}

/// A resource as JSON, for diffing.
fn encode<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::config(format!("could not encode the resource: {e}")))
}

/// The operations that make the top-level attributes of `old` those of `new` (a non-object
/// counts as empty), in attribute order, `skip`ped attributes left out.
fn diff_objects(old: &Value, new: &Value, skip: &[&str], compare: Compare) -> Patch {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| !skip.contains(&key.as_str()))
        .fold(Patch::new(), |patch, key| {
            diff_attr(patch, key, old.get(key), new.get(key), Level::Top, compare)
        })
}

fn diff_attr(
    patch: Patch,
    path: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    level: Level,
    compare: Compare,
) -> Patch {
    // Complex attributes above the leaves are compared key by key below.
    let recurse = level != Level::Leaf
        && matches!((old, new), (Some(Value::Object(_)), Some(Value::Object(_))));
    let same = if recurse {
        old == new
    } else {
        compare.same(old, new)
    };
    if same || (is_empty_value(old) && is_empty_value(new)) {
        return patch;
    }
    if is_empty_value(new) {
        return patch.push(PatchOp::Remove, Some(path.to_owned()), None);
    }
    match (old, new) {
        (Some(Value::Object(o)), Some(Value::Object(n))) if level != Level::Leaf => {
            let urn = level == Level::Top && path.starts_with("urn:");
            let (sep, child) = if urn {
                (':', Level::InExtension)
            } else {
                ('.', Level::Leaf)
            };
            let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
            keys.sort();
            keys.dedup();
            let mut patch = patch;
            for key in keys {
                let sub = format!("{path}{sep}{key}");
                patch = diff_attr(patch, &sub, o.get(key), n.get(key), child, compare);
            }
            patch
        }
        (_, Some(value)) => {
            patch.push(PatchOp::Replace, Some(path.to_owned()), Some(value.clone()))
        }
        (_, None) => patch,
    }
}

#[derive(Serialize)]
struct PatchBody<'a> {
    schemas: [&'static str; 1],
    #[serde(rename = "Operations")]
    operations: &'a [PatchOperation],
}

impl Serialize for Patch {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PatchBody {
            schemas: [schema::PATCH_OP],
            operations: &self.operations,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Patch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let ops = map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("operations"))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Array(Vec::new()));
        let operations =
            Vec::<PatchOperation>::deserialize(ops).map_err(serde::de::Error::custom)?;
        Ok(Patch { operations })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::User;
    use serde_json::json;

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    /// (case, owned, old, new, expected operations)
    #[test]
    fn diff_owned_table() {
        let cases: Vec<(&str, Vec<String>, Value, Value, Value)> = vec![
            (
                "an attribute not owned is never touched, even when it differs or disappears",
                vec!["userName".into()],
                json!({"userName": "a", "title": "x", "nickName": "n"}),
                json!({"userName": "a", "title": "y"}),
                json!([]),
            ),
            (
                "an owned attribute the new version lacks is removed",
                vec!["title".into()],
                json!({"userName": "a", "title": "x"}),
                json!({"userName": "a"}),
                json!([{"op": "remove", "path": "title"}]),
            ),
            (
                "an owned sub-attribute changes alone; its siblings stay",
                vec!["name.givenName".into(), "name.familyName".into()],
                json!({"name": {"givenName": "A", "familyName": "L", "honorificPrefix": "Dr"}}),
                json!({"name": {"givenName": "B"}}),
                json!([
                    {"op": "remove", "path": "name.familyName"},
                    {"op": "replace", "path": "name.givenName", "value": "B"},
                ]),
            ),
            (
                "an owned sub-attribute on a resource without the parent",
                vec!["name.givenName".into()],
                json!({"userName": "a"}),
                json!({"name": {"givenName": "B", "familyName": "not owned"}}),
                json!([{"op": "replace", "path": "name.givenName", "value": "B"}]),
            ),
            (
                "a whole complex attribute owned: sub-attributes set elsewhere are removed",
                vec!["name".into()],
                json!({"name": {"givenName": "A", "honorificPrefix": "Dr"}}),
                json!({"name": {"givenName": "A"}}),
                json!([{"op": "remove", "path": "name.honorificPrefix"}]),
            ),
            (
                "an extension attribute by its URN path",
                vec![format!("{ENT}:department")],
                json!({ENT: {"department": "R&D", "costCenter": "1"}}),
                json!({ENT: {"department": "Ops"}}),
                json!([{"op": "replace", "path": format!("{ENT}:department"), "value": "Ops"}]),
            ),
            (
                "a whole extension by its URN",
                vec![ENT.to_owned()],
                json!({ENT: {"department": "R&D", "costCenter": "1"}}),
                json!({ENT: {"department": "R&D"}}),
                json!([{"op": "remove", "path": format!("{ENT}:costCenter")}]),
            ),
            (
                "values a server added (display, $ref) and another order are the same value",
                vec!["emails".into(), "active".into()],
                json!({"active": "True", "emails": [
                    {"value": "b@x", "type": "home", "display": "B"},
                    {"value": "a@x", "type": "work", "primary": true, "$ref": "mailto:a@x"}]}),
                json!({"active": true, "emails": [
                    {"value": "a@x", "type": "work", "primary": true},
                    {"value": "b@x", "type": "home"}]}),
                json!([]),
            ),
            (
                "a multi-valued attribute that differs is replaced whole",
                vec!["emails".into()],
                json!({"emails": [{"value": "a@x", "type": "work"}]}),
                json!({"emails": [{"value": "a@x", "type": "work"}, {"value": "b@x"}]}),
                json!([{"op": "replace", "path": "emails",
                    "value": [{"value": "a@x", "type": "work"}, {"value": "b@x"}]}]),
            ),
            (
                "a value the new version sets but the server dropped is sent again",
                vec!["emails".into()],
                json!({"emails": [{"value": "a@x"}]}),
                json!({"emails": [{"value": "a@x", "primary": true}]}),
                json!([{"op": "replace", "path": "emails", "value": [{"value": "a@x", "primary": true}]}]),
            ),
            (
                "owned paths compare case-insensitively",
                vec!["USERNAME".into(), "Name.GivenName".into()],
                json!({"userName": "a", "name": {"givenName": "A"}}),
                json!({"userName": "b", "name": {"givenName": "A"}}),
                json!([{"op": "replace", "path": "USERNAME", "value": "b"}]),
            ),
            (
                "id, meta, schemas and groups are never part of it",
                vec![
                    "id".into(),
                    "meta".into(),
                    "schemas".into(),
                    "groups".into(),
                ],
                json!({"id": "1", "meta": {"version": "1"}, "groups": [{"value": "g"}]}),
                json!({"id": "2"}),
                json!([]),
            ),
        ];
        for (case, owned, old, new, expected) in cases {
            let owned = OwnedAttributes::new(&owned);
            let patch = Patch::diff_owned(&old, &new, &owned).unwrap();
            assert_eq!(
                serde_json::to_value(&patch).unwrap()["Operations"],
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn debug_never_shows_a_password_but_the_wire_body_carries_it() {
        let old = User::new("alice");
        let new = User::new("alice").password("hunter2-diff".to_string());
        let patch = Patch::diff(&old, &new)
            .unwrap()
            .replace("password", "hunter2-path")
            .replace_attributes(
                serde_json::json!({"password": "hunter2-nopath", "active": true})
                    .as_object()
                    .cloned()
                    .unwrap(),
            );
        let shown = format!("{patch:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("[redacted]") && shown.contains("active"),
            "{shown}"
        );
        let wire = serde_json::to_string(&patch).unwrap();
        for secret in ["hunter2-diff", "hunter2-path", "hunter2-nopath"] {
            assert!(wire.contains(secret), "{secret} missing from {wire}");
        }
    }
}
