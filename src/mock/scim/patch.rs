//! Applies PATCH operations to a resource held as JSON, the way a lenient real server does:
//! RFC 7644 §3.5.2, plus Okta's replace-without-path and Entra's capitalised ops and
//! `"False"` strings.

use serde_json::{Map, Value};

use super::answer::Failure;
use crate::scim::filter::parse::parse_patch_path;
use crate::scim::{AttrPath, Filter, PatchOp, PatchOperation};

pub(super) fn apply(
    resource: &mut Value,
    core_schema: &str,
    op: &PatchOperation,
) -> Result<(), Failure> {
    match &op.path {
        None => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(Failure::bad(
                    "invalidSyntax",
                    "an operation without a path needs an object value",
                ));
            };
            if op.op == PatchOp::Remove {
                return Err(Failure::bad("noTarget", "remove needs a path"));
            }
            for (key, value) in values {
                if key.starts_with("urn:")
                    && value.is_object()
                    && !key.contains(']')
                    && is_schema_urn(key)
                {
                    // An extension object: merge attribute by attribute.
                    if let Value::Object(inner) = value {
                        for (k, v) in inner {
                            let path = format!("{key}:{k}");
                            apply_path(resource, core_schema, op.op, &path, Some(v))?;
                        }
                    }
                } else {
                    apply_path(resource, core_schema, op.op, key, Some(value))?;
                }
            }
            Ok(())
        }
        Some(path) => apply_path(resource, core_schema, op.op, path, op.value.as_ref()),
    }
}

fn is_schema_urn(key: &str) -> bool {
    // `urn:...:User` names a schema; `urn:...:User:department` an attribute in it.
    key.rsplit(':')
        .next()
        .is_some_and(|last| last.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

fn normalise(name: &str, value: &Value) -> Value {
    // Entra sends booleans as "True"/"False" strings.
    if (name.eq_ignore_ascii_case("active") || name.eq_ignore_ascii_case("primary"))
        && let Value::String(s) = value
    {
        if s.eq_ignore_ascii_case("true") {
            return Value::Bool(true);
        }
        if s.eq_ignore_ascii_case("false") {
            return Value::Bool(false);
        }
    }
    value.clone()
}

fn key_ci(map: &Map<String, Value>, name: &str) -> String {
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn container<'a>(
    resource: &'a mut Value,
    core_schema: &str,
    attr: &AttrPath,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, Failure> {
    let Value::Object(root) = resource else {
        return Err(Failure::server("resource is not an object"));
    };
    match &attr.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(core_schema) => {
            let key = key_ci(root, urn);
            if !root.contains_key(&key) {
                if !create {
                    return Ok(None);
                }
                root.insert(key.clone(), Value::Object(Map::new()));
                add_schema(root, urn);
            }
            match root.get_mut(&key) {
                Some(Value::Object(ext)) => Ok(Some(ext)),
                _ => Err(Failure::bad(
                    "invalidPath",
                    format!("{urn} is not an extension object"),
                )),
            }
        }
        _ => Ok(Some(root)),
    }
}

fn add_schema(root: &mut Map<String, Value>, urn: &str) {
    if let Some(Value::Array(schemas)) = root.get_mut("schemas")
        && !schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    {
        schemas.push(Value::String(urn.to_owned()));
    }
}

const READ_ONLY: &[&str] = &["id", "meta", "groups"];

fn apply_path(
    resource: &mut Value,
    core_schema: &str,
    op: PatchOp,
    path: &str,
    value: Option<&Value>,
) -> Result<(), Failure> {
    let (attr, filter, sub) =
        parse_patch_path(path).map_err(|e| Failure::bad("invalidPath", e.to_string()))?;
    if attr.urn.is_none() && READ_ONLY.iter().any(|r| attr.name.eq_ignore_ascii_case(r)) {
        return Err(Failure::bad(
            "mutability",
            format!("{} is read-only", attr.name),
        ));
    }
    if op != PatchOp::Remove && value.is_none() {
        return Err(Failure::bad(
            "invalidValue",
            format!("{} needs a value", op.as_str()),
        ));
    }
    let create = op != PatchOp::Remove;
    let Some(map) = container(resource, core_schema, &attr, create)? else {
        return Ok(());
    };
    let key = key_ci(map, &attr.name);
    match filter {
        None => apply_plain(map, &key, attr.sub.as_deref(), op, value),
        Some(filter) => apply_filtered(
            map,
            &key,
            &filter,
            sub.as_deref().or(attr.sub.as_deref()),
            op,
            value,
        ),
    }
}

fn apply_plain(
    map: &mut Map<String, Value>,
    key: &str,
    sub: Option<&str>,
    op: PatchOp,
    value: Option<&Value>,
) -> Result<(), Failure> {
    if let Some(sub) = sub {
        match op {
            PatchOp::Remove => {
                if let Some(Value::Object(obj)) = map.get_mut(key) {
                    let k = key_ci(obj, sub);
                    obj.remove(&k);
                }
            }
            _ => {
                let entry = map
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(obj) = entry else {
                    return Err(Failure::bad("invalidPath", format!("{key} is not complex")));
                };
                let k = key_ci(obj, sub);
                if let Some(v) = value {
                    obj.insert(k, normalise(sub, v));
                }
            }
        }
        return Ok(());
    }
    match op {
        PatchOp::Remove => {
            match (map.get_mut(key), value) {
                // Entra: remove members by value with a value list.
                (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                    let ids: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
                    items.retain(|i| !i.get("value").is_some_and(|v| ids.contains(&v)));
                }
                _ => {
                    map.remove(key);
                }
            }
        }
        PatchOp::Add => {
            let value = value.map(|v| normalise(key, v)).unwrap_or(Value::Null);
            match (map.get_mut(key), value) {
                (Some(Value::Array(items)), Value::Array(new)) => {
                    for v in new {
                        let duplicate = items.contains(&v)
                            || (v.get("value").is_some()
                                && items.iter().any(|i| i.get("value") == v.get("value")));
                        if !duplicate {
                            items.push(v);
                        }
                    }
                }
                (Some(Value::Array(items)), v) => {
                    if !items.contains(&v) {
                        items.push(v);
                    }
                }
                (Some(Value::Object(obj)), Value::Object(new)) => {
                    for (k, v) in new {
                        obj.insert(k, v);
                    }
                }
                (_, v) => {
                    map.insert(key.to_owned(), v);
                }
            }
        }
        PatchOp::Replace => {
            let value = value.map(|v| normalise(key, v)).unwrap_or(Value::Null);
            match (map.get_mut(key), value) {
                (Some(Value::Object(obj)), Value::Object(new)) => {
                    for (k, v) in new {
                        obj.insert(k, v);
                    }
                }
                (_, v) => {
                    map.insert(key.to_owned(), v);
                }
            }
        }
    }
    Ok(())
}

fn apply_filtered(
    map: &mut Map<String, Value>,
    key: &str,
    filter: &Filter,
    sub: Option<&str>,
    op: PatchOp,
    value: Option<&Value>,
) -> Result<(), Failure> {
    let items = match map.get_mut(key) {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Failure::bad(
                "invalidPath",
                format!("{key} is not multi-valued"),
            ));
        }
        None if op == PatchOp::Add => {
            map.insert(key.to_owned(), Value::Array(Vec::new()));
            match map.get_mut(key) {
                Some(Value::Array(items)) => items,
                _ => return Err(Failure::server("could not create the attribute")),
            }
        }
        None => return Err(Failure::bad("noTarget", format!("{key} has no values"))),
    };
    let matching: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| filter.matches_json(item))
        .map(|(i, _)| i)
        .collect();
    if matching.is_empty() {
        if op == PatchOp::Add {
            // Create the value the filter describes (`emails[type eq "work"].value`).
            let mut obj = Map::new();
            if let Filter::Compare { path, value: v, .. } = filter {
                obj.insert(path.name.clone(), v.clone());
            }
            match (sub, value) {
                (Some(sub), Some(v)) => {
                    obj.insert(sub.to_owned(), normalise(sub, v));
                }
                (None, Some(Value::Object(v))) => obj.extend(v.clone()),
                _ => {}
            }
            items.push(Value::Object(obj));
            return Ok(());
        }
        return Err(Failure::bad(
            "noTarget",
            format!("no value of {key} matches the filter"),
        ));
    }
    match (op, sub) {
        (PatchOp::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                let keep = !matching.contains(&i);
                i += 1;
                keep
            });
        }
        (PatchOp::Remove, Some(sub)) => {
            for i in matching {
                if let Some(Value::Object(obj)) = items.get_mut(i) {
                    let k = key_ci(obj, sub);
                    obj.remove(&k);
                }
            }
        }
        (_, Some(sub)) => {
            for i in matching {
                if let (Some(Value::Object(obj)), Some(v)) = (items.get_mut(i), value) {
                    let k = key_ci(obj, sub);
                    obj.insert(k, normalise(sub, v));
                }
            }
        }
        (PatchOp::Replace, None) => {
            for i in matching {
                if let (Some(item), Some(v)) = (items.get_mut(i), value) {
                    *item = v.clone();
                }
            }
        }
        (PatchOp::Add, None) => {
            for i in matching {
                if let (Some(Value::Object(obj)), Some(Value::Object(v))) =
                    (items.get_mut(i), value)
                {
                    obj.extend(v.clone());
                }
            }
        }
    }
    Ok(())
}
