//! Evaluates a filter against a resource held as JSON.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{AttrPath, CompareOp, Filter};

pub(super) fn matches(filter: &Filter, resource: &Value) -> bool {
    match filter {
        Filter::And(l, r) => matches(l, resource) && matches(r, resource),
        Filter::Or(l, r) => matches(l, resource) || matches(r, resource),
        Filter::Not(inner) => !matches(inner, resource),
        Filter::Present(path) => resolve(resource, path).iter().any(|v| present(v)),
        Filter::ValuePath { path, filter } => {
            let mut values = Vec::new();
            if let Some(v) = lookup_attr(resource, path) {
                match v {
                    Value::Array(items) => values.extend(items.iter()),
                    other => values.push(other),
                }
            }
            values.into_iter().any(|v| matches(filter, v))
        }
        Filter::Compare { path, op, value } => {
            let exact = path.sub.is_none() && (path.is("id") || path.is("externalId"));
            resolve(resource, path)
                .into_iter()
                .any(|candidate| compare(candidate, *op, value, exact))
        }
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The attribute a path names (not its sub-attribute), URN-qualified or not.
fn lookup_attr<'a>(resource: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let root = resource.as_object()?;
    if let Some(urn) = &path.urn {
        if let Some(Value::Object(ext)) = get_ci(root, urn) {
            return get_ci(ext, &path.name);
        }
        // A core-schema URN qualifies attributes at the top level.
        let core = root
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter()
                    .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
            });
        if !core && !urn.to_ascii_lowercase().contains(":core:") {
            return None;
        }
    }
    get_ci(root, &path.name)
}

/// Every value the path reaches: arrays are flattened, and a multi-valued complex attribute
/// compared without a sub-attribute compares its `value`s.
fn resolve<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(attr) = lookup_attr(resource, path) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match attr {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        match (&path.sub, item) {
            (Some(sub), Value::Object(o)) => {
                if let Some(v) = get_ci(o, sub) {
                    match v {
                        Value::Array(a) => out.extend(a.iter()),
                        v => out.push(v),
                    }
                }
            }
            (Some(_), _) => {}
            (None, Value::Object(o)) if matches!(attr, Value::Array(_)) => {
                if let Some(v) = get_ci(o, "value") {
                    out.push(v);
                }
            }
            (None, v) => out.push(v),
        }
    }
    out
}

fn compare(candidate: &Value, op: CompareOp, value: &Value, exact: bool) -> bool {
    match (candidate, value) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordered(a.cmp(&b), op),
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            match a.partial_cmp(&b) {
                Some(ord) => match op {
                    CompareOp::Eq => ord == Ordering::Equal,
                    CompareOp::Ne => ord != Ordering::Equal,
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
                    _ => ordered(ord, op),
                },
                None => false,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        // Booleans stored as strings by sloppy writers still compare.
        (Value::String(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a.eq_ignore_ascii_case(&b.to_string()),
            CompareOp::Ne => !a.eq_ignore_ascii_case(&b.to_string()),
            _ => false,
        },
        (_, Value::Null) => match op {
            CompareOp::Eq => candidate.is_null(),
            CompareOp::Ne => !candidate.is_null(),
            _ => false,
        },
        _ => matches!(op, CompareOp::Ne),
    }
}

fn ordered(ord: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        _ => false,
    }
}
