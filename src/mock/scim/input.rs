//! What a request may write, per the schemas (RFC 7643 §2): attribute names in their
//! canonical case, read-only values ignored, null and empty values unassigned, `"True"`
//! strings as booleans, at most one `primary`, and `schemas` listing what the resource holds.

use serde_json::{Map, Value};

use super::answer::Failure;
use super::kind::Kind;
use super::schema::{Attr, Mutability, Type, find};

/// How strictly a write is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Refuse what a client MUST NOT send (several primaries) instead of repairing it.
    pub(crate) strict: bool,
}

/// Canonicalises a resource body (an object) for `kind`. Read-only attributes are dropped
/// (RFC 7644 §3.3 "SHALL be ignored"); attributes no schema declares are kept as sent.
pub(crate) fn resource(
    kind: Kind,
    body: Map<String, Value>,
    rules: Rules,
) -> Result<Map<String, Value>, Failure> {
    let mut out = Map::new();
    for (key, value) in body {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if is_urn(&key) {
            if let Some(ext) = kind.extension(&key) {
                let Value::Object(inner) = value else {
                    if value.is_null() {
                        continue;
                    }
                    return Err(Failure::bad(
                        "invalidValue",
                        format!("{} must be an object", ext.id),
                    ));
                };
                let inner = object(ext.attributes, inner, rules)?;
                if !inner.is_empty() {
                    out.insert(ext.id.to_owned(), Value::Object(inner));
                }
            } else if key.eq_ignore_ascii_case(kind.core().id) {
                if let Value::Object(inner) = value {
                    out.extend(object(kind.core().attributes, inner, rules)?);
                }
            } else if let Some((urn, name)) = key.rsplit_once(':')
                && let Some(ext) = kind.extension(urn)
            {
                // A URN-qualified extension attribute as a key (RFC 7644 §3.10 notation).
                let one = Map::from_iter([(name.to_owned(), value)]);
                let inner = object(ext.attributes, one, rules)?;
                if let Value::Object(o) = out
                    .entry(ext.id.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    o.extend(inner);
                }
            } else if let Some((urn, name)) = key.rsplit_once(':')
                && urn.eq_ignore_ascii_case(kind.core().id)
            {
                let one = Map::from_iter([(name.to_owned(), value)]);
                out.extend(object(kind.core().attributes, one, rules)?);
            } else if !is_unassigned(&value) {
                out.insert(key, value);
            }
            continue;
        }
        match kind.attr(None, &key) {
            Some(attr) if attr.mutability == Mutability::ReadOnly => {}
            Some(attr) => {
                if let Some(v) = attribute(attr, value, rules)? {
                    out.insert(attr.name.to_owned(), v);
                }
            }
            None => {
                if !is_unassigned(&value) {
                    out.insert(key, value);
                }
            }
        }
    }
    out.retain(|_, v| !is_unassigned(v));
    set_schemas(kind, &mut out);
    Ok(out)
}

/// Canonicalises the members of a complex value (or a schema extension) against `attrs`.
pub(crate) fn object(
    attrs: &'static [Attr],
    body: Map<String, Value>,
    rules: Rules,
) -> Result<Map<String, Value>, Failure> {
    let mut out = Map::new();
    for (key, value) in body {
        match find(attrs, &key) {
            Some(attr) if attr.mutability == Mutability::ReadOnly => {}
            Some(attr) => {
                if let Some(v) = attribute(attr, value, rules)? {
                    out.insert(attr.name.to_owned(), v);
                }
            }
            None => {
                if !is_unassigned(&value) {
                    out.insert(key, value);
                }
            }
        }
    }
    Ok(out)
}

/// One attribute's value, canonical; `None` when it is unassigned (null, `[]`, `{}`).
pub(crate) fn attribute(
    attr: &'static Attr,
    value: Value,
    rules: Rules,
) -> Result<Option<Value>, Failure> {
    if attr.multi {
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = single(attr, item, rules)? {
                out.push(v);
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        one_primary(attr, &mut out, rules)?;
        return Ok(Some(Value::Array(out)));
    }
    if value.is_array() {
        return Err(Failure::bad(
            "invalidValue",
            format!("{} is single-valued", attr.name),
        ));
    }
    single(attr, value, rules)
}

fn single(attr: &'static Attr, value: Value, rules: Rules) -> Result<Option<Value>, Failure> {
    match (attr.ty, value) {
        (_, Value::Null) => Ok(None),
        (Type::Complex, Value::Object(inner)) => {
            let inner = object(attr.sub, inner, rules)?;
            Ok((!inner.is_empty()).then_some(Value::Object(inner)))
        }
        (Type::Complex, _) => Err(Failure::bad(
            "invalidValue",
            format!("{} must be an object", attr.name),
        )),
        (Type::Boolean, Value::Bool(b)) => Ok(Some(Value::Bool(b))),
        // Entra sends booleans as "True"/"False".
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(Some(Value::Bool(true)))
        }
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(Some(Value::Bool(false)))
        }
        (Type::Boolean, _) => Err(Failure::bad(
            "invalidValue",
            format!("{} must be a boolean", attr.name),
        )),
        (_, Value::Object(_) | Value::Array(_)) => Err(Failure::bad(
            "invalidValue",
            format!("{} must be a simple value", attr.name),
        )),
        (_, v) => Ok(Some(v)),
    }
}

/// RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more than once": the
/// first stays primary, or, with strict rules, the write is refused.
fn one_primary(attr: &Attr, items: &mut [Value], rules: Rules) -> Result<(), Failure> {
    if attr.sub_attr("primary").is_none() {
        return Ok(());
    }
    let primaries = items.iter().filter(|i| is_primary(i)).count();
    if primaries <= 1 {
        return Ok(());
    }
    if rules.strict {
        return Err(Failure::bad(
            "invalidValue",
            format!("{} has {primaries} primary values", attr.name),
        ));
    }
    let mut seen = false;
    for item in items.iter_mut() {
        if is_primary(item) {
            if seen && let Value::Object(o) = item {
                o.insert("primary".into(), Value::Bool(false));
            }
            seen = true;
        }
    }
    Ok(())
}

pub(crate) fn is_primary(item: &Value) -> bool {
    item.get("primary") == Some(&Value::Bool(true))
}

/// Whether `key` names a schema (URN-qualified).
pub(crate) fn is_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// RFC 7643 §2.5: null, `[]` and `{}` are unassigned.
pub(crate) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Drops unassigned values (recursively inside complex values and extensions) and lists in
/// `schemas` the core schema and every extension the resource holds (RFC 7643 §3).
pub(crate) fn tidy(kind: Kind, map: &mut Map<String, Value>) {
    for value in map.values_mut() {
        prune(value);
    }
    map.retain(|k, v| k.eq_ignore_ascii_case("schemas") || !is_unassigned(v));
    set_schemas(kind, map);
}

fn prune(value: &mut Value) {
    match value {
        Value::Object(o) => {
            for v in o.values_mut() {
                prune(v);
            }
            o.retain(|_, v| !is_unassigned(v));
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                prune(v);
            }
            items.retain(|v| !is_unassigned(v));
        }
        _ => {}
    }
}

fn set_schemas(kind: Kind, map: &mut Map<String, Value>) {
    let mut schemas = vec![Value::String(kind.core().id.to_owned())];
    for ext in kind.extensions() {
        if map.contains_key(ext.id) {
            schemas.push(Value::String(ext.id.to_owned()));
        }
    }
    for key in map.keys() {
        if is_urn(key) && kind.extension(key).is_none() {
            schemas.push(Value::String(key.clone()));
        }
    }
    map.insert("schemas".into(), Value::Array(schemas));
}
