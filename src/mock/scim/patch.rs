//! The PATCH engine (RFC 7644 §3.5.2), typed by the schemas: add, remove and replace on
//! attributes, sub-attributes, value filters and whole schema extensions; mutability
//! enforced; one primary value kept. It also takes what lenient real servers take: Okta's
//! replace without a path, Entra's capitalised ops, `"False"` strings and member removal by
//! a list of values.

use serde_json::{Map, Value};

use super::answer::Failure;
use super::filter;
use super::input::{self, Rules, is_primary, is_urn};
use super::kind::Kind;
use super::list::names_message;
use super::schema::{Attr, Mutability, Type};
use crate::scim::filter::parse::parse_patch_path;
use crate::scim::{Filter, schema};

/// A PATCH operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Remove,
    Replace,
}

/// One operation of a PatchOp request.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    op: Op,
    path: Option<String>,
    value: Option<Value>,
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn key_ci(map: &Map<String, Value>, name: &str) -> String {
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// Reads a PatchOp body. With `strict`, its `schemas` must name the PatchOp message
/// (RFC 7644 §3.5.2: the body "MUST contain the "schemas" attribute").
pub(super) fn parse(body: Value, strict: bool) -> Result<Vec<Operation>, Failure> {
    let Value::Object(body) = body else {
        return Err(Failure::bad("invalidSyntax", "a PatchOp must be an object"));
    };
    if strict && !names_message(&body, schema::PATCH_OP) {
        return Err(Failure::bad(
            "invalidSyntax",
            format!("schemas must be [\"{}\"]", schema::PATCH_OP),
        ));
    }
    let Some(Value::Array(ops)) = get_ci(&body, "Operations") else {
        return Err(Failure::bad(
            "invalidSyntax",
            "a PatchOp needs an Operations array",
        ));
    };
    ops.iter()
        .map(|op| {
            let Value::Object(op) = op else {
                return Err(Failure::bad("invalidSyntax", "an operation is an object"));
            };
            let kind = match get_ci(op, "op").and_then(Value::as_str) {
                Some(o) if o.eq_ignore_ascii_case("add") => Op::Add,
                Some(o) if o.eq_ignore_ascii_case("remove") => Op::Remove,
                Some(o) if o.eq_ignore_ascii_case("replace") => Op::Replace,
                other => {
                    return Err(Failure::bad(
                        "invalidSyntax",
                        format!("op must be add, remove or replace, not {other:?}"),
                    ));
                }
            };
            let path = match get_ci(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.trim().to_owned()),
                Some(_) => return Err(Failure::bad("invalidPath", "path must be a string")),
            };
            Ok(Operation {
                op: kind,
                path,
                value: get_ci(op, "value").cloned(),
            })
        })
        .collect()
}

/// Applies one operation to a stored resource of `kind` (held as its JSON object).
pub(super) fn apply(
    resource: &mut Map<String, Value>,
    kind: Kind,
    op: &Operation,
    rules: Rules,
) -> Result<(), Failure> {
    if op.op != Op::Remove && op.value.is_none() {
        return Err(Failure::bad(
            "invalidValue",
            "add and replace need a value (RFC 7644 §3.5.2.1)",
        ));
    }
    let Some(path) = &op.path else {
        if op.op == Op::Remove {
            return Err(Failure::bad("noTarget", "remove needs a path"));
        }
        let Some(Value::Object(values)) = &op.value else {
            return Err(Failure::bad(
                "invalidValue",
                "an operation without a path needs an object value",
            ));
        };
        for (key, value) in values {
            // Some clients echo `schemas` in the value; the server keeps it itself.
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            apply_path(resource, kind, op.op, key, Some(value), rules)?;
        }
        return Ok(());
    };
    apply_path(resource, kind, op.op, path, op.value.as_ref(), rules)
}

/// Where in the resource a path lands: the object holding the attribute (the resource, or
/// one of its extensions) and the attribute's definition when a schema declares it.
struct Target {
    container: Option<String>,
    attrs: Option<&'static [Attr]>,
}

fn apply_path(
    resource: &mut Map<String, Value>,
    kind: Kind,
    op: Op,
    path: &str,
    value: Option<&Value>,
    rules: Rules,
) -> Result<(), Failure> {
    // A whole extension (`urn:...:enterprise:2.0:User`): its attributes one by one.
    if is_urn(path) && !path.contains('[') {
        let ext = kind
            .extension(path)
            .map(|e| (e.id.to_owned(), Some(e.attributes)));
        let core = path
            .eq_ignore_ascii_case(kind.core().id)
            .then(|| (String::new(), Some(kind.core().attributes)));
        let custom = resource
            .keys()
            .find(|k| k.eq_ignore_ascii_case(path))
            .map(|k| (k.clone(), None));
        if let Some((key, attrs)) = ext.or(core).or(custom) {
            return apply_extension(resource, kind, op, &key, attrs, value, rules);
        }
    }
    let (attr, value_filter, filter_sub) =
        parse_patch_path(path).map_err(|e| Failure::bad("invalidPath", e.to_string()))?;
    let target = match &attr.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(kind.core().id) => match kind.extension(urn) {
            Some(ext) => Target {
                container: Some(ext.id.to_owned()),
                attrs: Some(ext.attributes),
            },
            None => Target {
                container: Some(urn.clone()),
                attrs: None,
            },
        },
        _ => Target {
            container: None,
            attrs: Some(kind.core().attributes),
        },
    };
    let def = match target.container {
        None => kind.attr(None, &attr.name),
        Some(_) => target
            .attrs
            .and_then(|a| super::schema::find(a, &attr.name)),
    };
    let sub = filter_sub.or(attr.sub.clone());
    let sub_def = sub.as_deref().and_then(|s| def.and_then(|d| d.sub_attr(s)));
    if let (Some(def), None, None, Op::Remove) = (def, &sub, &value_filter, op)
        && def.required
    {
        return Err(Failure::bad(
            "mutability",
            format!("{} is required: it cannot be removed", def.name),
        ));
    }

    let container = match &target.container {
        None => &mut *resource,
        Some(key) => {
            let key = key_ci(resource, key);
            if !resource.contains_key(&key) {
                if op == Op::Remove {
                    return Ok(());
                }
                resource.insert(key.clone(), Value::Object(Map::new()));
            }
            match resource.get_mut(&key) {
                Some(Value::Object(ext)) => ext,
                _ => {
                    return Err(Failure::bad(
                        "invalidPath",
                        format!("{key} is not an extension object"),
                    ));
                }
            }
        }
    };
    let key = def.map_or_else(|| key_ci(container, &attr.name), |d| d.name.to_owned());
    let key = if container.contains_key(&key) {
        key
    } else {
        key_ci(container, &key)
    };
    let before = container.get(&key).cloned();
    // Mutability (RFC 7644 §3.5.2): a read-only value may only be "set" to what it is.
    let read_only = def.is_some_and(|d| d.mutability == Mutability::ReadOnly)
        || sub_def.is_some_and(|d| d.mutability == Mutability::ReadOnly);
    let unchanged = op != Op::Remove
        && sub.is_none()
        && value_filter.is_none()
        && value.is_some()
        && before.as_ref() == value;
    if read_only && !unchanged {
        return Err(Failure::bad("mutability", format!("{path} is read-only")));
    }
    let old_primaries: Vec<Value> = match &before {
        Some(Value::Array(items)) => items.iter().filter(|i| is_primary(i)).cloned().collect(),
        _ => Vec::new(),
    };

    let value = match value {
        Some(v) => Some(canonical_value(
            def,
            sub_def,
            value_filter.is_some(),
            v,
            rules,
        )?),
        None => None,
    };
    match &value_filter {
        None => apply_plain(container, &key, def, sub.as_deref(), op, value),
        Some(f) => apply_filtered(container, &key, def, f, sub.as_deref(), op, value),
    }?;
    keep_one_primary(container, &key, def, &old_primaries);

    // Immutable sub-values (a group's members) may be set once, not changed.
    let after = container.get(&key);
    if let Some(sd) = sub_def.filter(|d| d.mutability == Mutability::Immutable)
        && changed_once_set(before.as_ref(), after, sd.name)
    {
        return Err(Failure::bad("mutability", format!("{path} is immutable")));
    }
    Ok(())
}

/// Whether a sub-attribute that had a value in some item now has another.
fn changed_once_set(before: Option<&Value>, after: Option<&Value>, sub: &str) -> bool {
    let as_items = |v: Option<&Value>| -> Vec<Value> {
        match v {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        }
    };
    let (before, after) = (as_items(before), as_items(after));
    before.iter().zip(after.iter()).any(|(b, a)| {
        let old = b.as_object().and_then(|o| get_ci(o, sub));
        let new = a.as_object().and_then(|o| get_ci(o, sub));
        old.is_some() && old != new
    })
}

/// The value an operation writes, canonical for its definition.
fn canonical_value(
    def: Option<&'static Attr>,
    sub_def: Option<&'static Attr>,
    filtered: bool,
    value: &Value,
    rules: Rules,
) -> Result<Value, Failure> {
    let canonical = match (def, sub_def) {
        (_, Some(sd)) => input::attribute(sd, value.clone(), rules)?,
        (Some(d), None) if filtered => match value {
            Value::Object(o) => Some(Value::Object(input::object(d.sub, o.clone(), rules)?)),
            other => Some(other.clone()),
        },
        (Some(d), None) => input::attribute(d, value.clone(), rules)?,
        (None, None) => Some(value.clone()),
    };
    Ok(canonical.unwrap_or(Value::Null))
}

fn apply_extension(
    resource: &mut Map<String, Value>,
    kind: Kind,
    op: Op,
    key: &str,
    attrs: Option<&'static [Attr]>,
    value: Option<&Value>,
    rules: Rules,
) -> Result<(), Failure> {
    if op == Op::Remove {
        if key.is_empty() {
            return Err(Failure::bad(
                "mutability",
                "the core schema cannot be removed",
            ));
        }
        resource.remove(key);
        return Ok(());
    }
    let Some(Value::Object(values)) = value else {
        return Err(Failure::bad(
            "invalidValue",
            format!("the value for {key} must be an object"),
        ));
    };
    match attrs {
        Some(_) => {
            let prefix = if key.is_empty() {
                String::new()
            } else {
                format!("{key}:")
            };
            for (name, v) in values {
                apply_path(
                    resource,
                    kind,
                    op,
                    &format!("{prefix}{name}"),
                    Some(v),
                    rules,
                )?;
            }
        }
        None => {
            let entry = resource
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(ext) = entry {
                ext.extend(values.clone());
            }
        }
    }
    Ok(())
}

/// Whether `new` is already among `items`: equal, or all its members equal one's.
fn contained(items: &[Value], new: &Value) -> bool {
    items.iter().any(|i| match (i, new) {
        (Value::Object(have), Value::Object(want)) => {
            want.iter().all(|(k, v)| get_ci(have, k) == Some(v))
        }
        (have, want) => have == want,
    })
}

fn apply_plain(
    map: &mut Map<String, Value>,
    key: &str,
    def: Option<&'static Attr>,
    sub: Option<&str>,
    op: Op,
    value: Option<Value>,
) -> Result<(), Failure> {
    if let Some(sub) = sub {
        let set = |obj: &mut Map<String, Value>, value: &Option<Value>| {
            let k = key_ci(obj, sub);
            match (op, value) {
                (Op::Remove, _) | (_, None | Some(Value::Null)) => {
                    obj.remove(&k);
                }
                (_, Some(v)) => {
                    obj.insert(k, v.clone());
                }
            }
        };
        match map.get_mut(key) {
            Some(Value::Object(obj)) => set(obj, &value),
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        set(obj, &value);
                    }
                }
            }
            Some(_) => {
                return Err(Failure::bad("invalidPath", format!("{key} is not complex")));
            }
            None if op == Op::Remove => {}
            None => {
                let mut obj = Map::new();
                set(&mut obj, &value);
                let v = Value::Object(obj);
                let multi = def.is_some_and(|d| d.multi);
                map.insert(
                    key.to_owned(),
                    if multi { Value::Array(vec![v]) } else { v },
                );
            }
        }
        return Ok(());
    }
    let complex = def.is_some_and(|d| d.ty == Type::Complex);
    match op {
        Op::Remove => match (map.get_mut(key), value) {
            // Entra: remove members by value, with a list of values.
            (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                let ids: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
                items.retain(|i| !i.get("value").is_some_and(|v| ids.contains(&v)));
            }
            _ => {
                map.remove(key);
            }
        },
        Op::Add => match (map.get_mut(key), value.unwrap_or(Value::Null)) {
            (_, Value::Null) => {}
            (Some(Value::Array(items)), Value::Array(new)) => {
                for v in new {
                    if !contained(items, &v) {
                        items.push(v);
                    }
                }
            }
            (Some(Value::Array(items)), v) => {
                if !contained(items, &v) {
                    items.push(v);
                }
            }
            (Some(Value::Object(obj)), Value::Object(new)) if complex || def.is_none() => {
                for (k, v) in new {
                    obj.insert(k, v);
                }
            }
            (_, v) => {
                map.insert(key.to_owned(), v);
            }
        },
        Op::Replace => match (map.get_mut(key), value.unwrap_or(Value::Null)) {
            (_, Value::Null) => {
                map.remove(key);
            }
            (Some(Value::Object(obj)), Value::Object(new))
                if (complex && !def.is_some_and(|d| d.multi)) || def.is_none() =>
            {
                for (k, v) in new {
                    obj.insert(k, v);
                }
            }
            (_, v) => {
                map.insert(key.to_owned(), v);
            }
        },
    }
    Ok(())
}

fn apply_filtered(
    map: &mut Map<String, Value>,
    key: &str,
    def: Option<&'static Attr>,
    filter: &Filter,
    sub: Option<&str>,
    op: Op,
    value: Option<Value>,
) -> Result<(), Failure> {
    let items = match map.get_mut(key) {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Failure::bad(
                "invalidPath",
                format!("{key} is not multi-valued"),
            ));
        }
        None if op == Op::Add => {
            map.insert(key.to_owned(), Value::Array(Vec::new()));
            match map.get_mut(key) {
                Some(Value::Array(items)) => items,
                _ => return Err(Failure::server("could not create the attribute")),
            }
        }
        None => {
            return Err(Failure::bad("noTarget", format!("{key} has no values")));
        }
    };
    let matching: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| filter::matches_item(filter, def, item))
        .map(|(i, _)| i)
        .collect();
    if matching.is_empty() {
        if op == Op::Add {
            // Create the value the filter describes (`emails[type eq "work"].value`).
            let mut obj = Map::new();
            if let Filter::Compare { path, value: v, .. } = filter {
                obj.insert(path.name.clone(), v.clone());
            }
            match (sub, value) {
                (Some(sub), Some(v)) => {
                    obj.insert(sub.to_owned(), v);
                }
                (None, Some(Value::Object(v))) => obj.extend(v),
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
        (Op::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                let keep = !matching.contains(&i);
                i += 1;
                keep
            });
        }
        (Op::Remove, Some(sub)) => {
            for i in matching {
                if let Some(Value::Object(obj)) = items.get_mut(i) {
                    let k = key_ci(obj, sub);
                    obj.remove(&k);
                }
            }
        }
        (_, Some(sub)) => {
            for i in matching {
                if let Some(Value::Object(obj)) = items.get_mut(i) {
                    let k = key_ci(obj, sub);
                    match &value {
                        Some(Value::Null) | None => {
                            obj.remove(&k);
                        }
                        Some(v) => {
                            obj.insert(k, v.clone());
                        }
                    }
                }
            }
        }
        (Op::Replace, None) => {
            for i in matching {
                if let (Some(item), Some(v)) = (items.get_mut(i), &value) {
                    *item = v.clone();
                }
            }
        }
        (Op::Add, None) => {
            for i in matching {
                if let (Some(Value::Object(obj)), Some(Value::Object(v))) =
                    (items.get_mut(i), &value)
                {
                    obj.extend(v.clone());
                }
            }
        }
    }
    Ok(())
}

/// RFC 7644 §3.5.2: a value newly set primary makes every other value of the attribute
/// non-primary.
fn keep_one_primary(
    map: &mut Map<String, Value>,
    key: &str,
    def: Option<&'static Attr>,
    old_primaries: &[Value],
) {
    if def.is_none_or(|d| d.sub_attr("primary").is_none()) {
        return;
    }
    let Some(Value::Array(items)) = map.get_mut(key) else {
        return;
    };
    let primaries: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| is_primary(i))
        .map(|(n, _)| n)
        .collect();
    if primaries.len() <= 1 {
        return;
    }
    let newcomers: Vec<usize> = primaries
        .iter()
        .copied()
        .filter(|n| !old_primaries.contains(&items[*n]))
        .collect();
    let keep = newcomers.last().or(primaries.first()).copied();
    for n in primaries {
        if Some(n) != keep
            && let Some(Value::Object(o)) = items.get_mut(n)
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}
