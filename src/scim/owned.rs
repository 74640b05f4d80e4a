//! [`OwnedAttributes`]: the attributes of a resource that one client (a provisioning engine)
//! owns, so that it changes those and never touches the others.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use super::AttrPath;

/// A set of attribute paths a client owns on a resource: `userName`, `name.givenName`,
/// `emails` (a whole multi-valued attribute), `urn:…:enterprise:2.0:User:department`, or
/// a whole extension by its URN.
///
/// Owning `name` owns every sub-attribute of `name`; owning `name.givenName` owns that one
/// and leaves `name.honorificPrefix` to whoever set it. Paths compare case-insensitively,
/// as SCIM attribute names do (RFC 7643 §2.1).
///
/// [`Patch::diff_owned`](super::Patch::diff_owned) limits a diff to them, and
/// [`overlay`](Self::overlay) builds the body of a `PUT` that changes only them, for
/// servers without PATCH.
///
/// ```
/// use scimkit::scim::OwnedAttributes;
///
/// let owned = OwnedAttributes::new(["userName", "name.givenName", "emails"]);
/// assert!(owned.owns("userName"));
/// assert!(owned.owns("emails"));
/// assert!(owned.owns("NAME.givenname"));
/// assert!(!owned.owns("name.familyName"));
/// assert!(!owned.owns("title"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OwnedAttributes {
    paths: Vec<String>,
}

impl fmt::Debug for OwnedAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.paths).finish()
    }
}

impl fmt::Display for OwnedAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.paths.join(", "))
    }
}

/// Attributes no client owns: the server's, or read-only.
const NEVER_OWNED: [&str; 4] = ["id", "meta", "schemas", "groups"];

impl OwnedAttributes {
    /// The set of these paths (duplicates and blanks dropped; `id`, `meta`, `schemas` and a
    /// User's read-only `groups` are never owned).
    pub fn new<I, S>(paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        paths
            .into_iter()
            .fold(OwnedAttributes::default(), |set, p| set.with(p.as_ref()))
    }

    /// Adds a path.
    pub fn with(mut self, path: &str) -> Self {
        let path = path.trim();
        if !path.is_empty()
            && !NEVER_OWNED.iter().any(|n| n.eq_ignore_ascii_case(path))
            && !self.paths.iter().any(|p| p.eq_ignore_ascii_case(path))
        {
            self.paths.push(path.to_owned());
        }
        self
    }

    /// Removes a path and every owned path under it (`without("name")` drops
    /// `name.givenName` too).
    pub fn without(mut self, path: &str) -> Self {
        let gone = OwnedAttributes {
            paths: vec![path.trim().to_owned()],
        };
        self.paths.retain(|p| !gone.owns(p));
        self
    }

    /// The paths, in the order they were added.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }

    /// Whether nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Whether `path` is owned: listed, or under a listed path (`name.givenName` under
    /// `name`, an extension's attribute under the extension's URN).
    pub fn owns(&self, path: &str) -> bool {
        let path = path.trim();
        self.paths.iter().any(|p| {
            p.eq_ignore_ascii_case(path)
                || path
                    .get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p))
                    && matches!(path.as_bytes().get(p.len()), Some(b'.' | b':'))
        })
    }

    /// The owned part of two versions of a resource, shaped alike: for each owned path, the
    /// value it has (or nothing), under parents that exist in both even when empty, so that
    /// a diff of the two compares exactly the owned attributes.
    pub(crate) fn project_pair(&self, old: &Value, new: &Value) -> (Value, Value) {
        let (mut a, mut b) = (Map::new(), Map::new());
        for path in &self.paths {
            let segments = segments(path, &[old, new]);
            copy_at(&mut a, old, &segments);
            copy_at(&mut b, new, &segments);
        }
        (Value::Object(a), Value::Object(b))
    }

    /// Replaces the owned attributes of `onto` (a resource as the server sent it) with
    /// those of `from`: an owned attribute `from` lacks is removed from `onto`, and every
    /// attribute not owned is kept as it is. This is the body of a `PUT` that changes only
    /// what the client owns.
    ///
    /// ```
    /// use scimkit::scim::OwnedAttributes;
    /// use serde_json::json;
    ///
    /// let mut current = json!({"userName": "ada", "title": "Countess",
    ///     "name": {"givenName": "Ada", "honorificPrefix": "Lady"}});
    /// let wanted = json!({"userName": "ada.l", "name": {"familyName": "Lovelace"}});
    /// OwnedAttributes::new(["userName", "name.givenName", "name.familyName"])
    ///     .overlay(&mut current, &wanted);
    /// assert_eq!(current, json!({"userName": "ada.l", "title": "Countess",
    ///     "name": {"familyName": "Lovelace", "honorificPrefix": "Lady"}}));
    /// ```
    pub fn overlay(&self, onto: &mut Value, from: &Value) {
        for path in &self.paths {
            let segments = segments(path, &[onto, from]);
            let value = get_at(from, &segments).filter(|v| !is_blank(v)).cloned();
            set_at_segments(onto, &segments, value);
        }
    }
}

/// Sets (or, with `None`, removes) the attribute at `path` of a resource in JSON form,
/// creating parent objects as needed; paths as in [`OwnedAttributes`].
pub(crate) fn set_at(resource: &mut Value, path: &str, value: Option<Value>) {
    let segments = segments(path, &[resource]);
    set_at_segments(resource, &segments, value);
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The keys leading to `path`: `[attr]`, `[attr, sub]`, `[urn, attr]`, `[urn, attr, sub]`,
/// or `[urn]` when the path is a whole extension (a top-level key of one of `values`).
fn segments<'p>(path: &'p str, values: &[&Value]) -> Vec<Cow<'p, str>> {
    let urn = path
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("urn:"));
    if !urn {
        // The common case, without the parser: `attr` or `attr.sub`.
        return match path.split_once('.') {
            Some((attr, sub)) => vec![Cow::Borrowed(attr), Cow::Borrowed(sub)],
            None => vec![Cow::Borrowed(path)],
        };
    }
    let whole = values.iter().any(|v| {
        v.as_object()
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(path)))
    });
    if whole {
        return vec![Cow::Borrowed(path)];
    }
    match AttrPath::parse(path) {
        Ok(p) => p
            .urn
            .into_iter()
            .chain(std::iter::once(p.name))
            .chain(p.sub)
            .map(Cow::Owned)
            .collect(),
        Err(_) => vec![Cow::Borrowed(path)],
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<(&'a String, &'a Value)> {
    map.get_key_value(key)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
}

fn get_at<'a>(value: &'a Value, segments: &[Cow<'_, str>]) -> Option<&'a Value> {
    let mut current = value;
    for segment in segments {
        current = get_ci(current.as_object()?, segment)?.1;
    }
    Some(current)
}

/// Copies the value at `segments` of `from` into `out` under the same keys (the path's own
/// spelling), creating the parents even when `from` has no value there.
fn copy_at(out: &mut Map<String, Value>, from: &Value, segments: &[Cow<'_, str>]) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut map = out;
    let mut source = Some(from);
    for key in parents {
        source = source
            .and_then(Value::as_object)
            .and_then(|m| get_ci(m, key))
            .map(|(_, v)| v);
        let entry = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        map = next;
    }
    if let Some(value) = source
        .and_then(Value::as_object)
        .and_then(|m| get_ci(m, last))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
    {
        map.insert(last.to_string(), value.clone());
    }
}

fn set_at_segments(onto: &mut Value, segments: &[Cow<'_, str>], value: Option<Value>) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = onto;
    for key in parents {
        let Value::Object(map) = current else {
            return;
        };
        let existing = get_ci(map, key).map(|(k, _)| k.clone());
        let key = match existing {
            Some(k) => k,
            None if value.is_none() => return,
            None => key.to_string(),
        };
        let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            if value.is_none() {
                return;
            }
            *entry = Value::Object(Map::new());
        }
        current = entry;
    }
    let Value::Object(map) = current else {
        return;
    };
    let existing = get_ci(map, last).map(|(k, _)| k.clone());
    match (existing, value) {
        (Some(k), Some(v)) => {
            map.insert(k, v);
        }
        (None, Some(v)) => {
            map.insert(last.to_string(), v);
        }
        (Some(k), None) => {
            map.remove(&k);
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    #[test]
    fn projection_keeps_only_owned_parts_shaped_alike() {
        let owned =
            OwnedAttributes::new(["userName", "name.givenName", &format!("{ENT}:department")]);
        let old = json!({"userName": "a", "title": "t", "name": {"givenName": "A", "familyName": "L"},
            ENT: {"department": "R&D", "costCenter": "1"}});
        let new = json!({"userName": "b"});
        let (a, b) = owned.project_pair(&old, &new);
        assert_eq!(
            a,
            json!({"userName": "a", "name": {"givenName": "A"}, ENT: {"department": "R&D"}})
        );
        assert_eq!(b, json!({"userName": "b", "name": {}, ENT: {}}));
    }

    #[test]
    fn a_whole_extension_is_owned_by_its_urn() {
        let owned = OwnedAttributes::new([ENT]);
        assert!(owned.owns(&format!("{ENT}:department")));
        let old = json!({ENT: {"department": "R&D"}, "title": "x"});
        let (a, b) = owned.project_pair(&old, &json!({}));
        assert_eq!(a, json!({ENT: {"department": "R&D"}}));
        assert_eq!(b, json!({}));
        let mut onto = old.clone();
        owned.overlay(&mut onto, &json!({}));
        assert_eq!(onto, json!({"title": "x"}));
    }

    #[test]
    fn never_owned_and_prefix_rules() {
        let owned = OwnedAttributes::new(["id", "meta", "name", " ", "Name"]);
        assert_eq!(owned.paths().collect::<Vec<_>>(), ["name"]);
        assert!(owned.owns("name.givenName"));
        assert!(!owned.owns("nameSuffix"));
        assert!(!owned.without("NAME").owns("name"));
        let subs = OwnedAttributes::new(["name.givenName", "name.familyName", "title"]);
        assert_eq!(subs.without("name").paths().collect::<Vec<_>>(), ["title"]);
    }

    #[test]
    fn set_at_creates_and_removes() {
        let mut v = json!({"userName": "a"});
        set_at(&mut v, "name.givenName", Some(json!("A")));
        set_at(&mut v, &format!("{ENT}:department"), Some(json!("R&D")));
        set_at(&mut v, "userName", None);
        set_at(&mut v, "title.x", None);
        assert_eq!(
            v,
            json!({"name": {"givenName": "A"}, ENT: {"department": "R&D"}})
        );
    }
}
