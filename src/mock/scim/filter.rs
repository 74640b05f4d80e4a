//! Filters and sorting as RFC 7644 §3.4.2.2-3 wants them, typed by the schemas: strings
//! compare by the attribute's `caseExact`, dateTimes chronologically whatever their
//! precision or offset, and ordering a boolean or binary attribute is an `invalidFilter`.
//! (The crate's [`Filter::matches_json`] knows no schema; the server does.)

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::answer::Failure;
use super::input::is_primary;
use super::kind::Kind;
use super::schema::{Attr, Type};
use crate::scim::{AttrPath, CompareOp, Filter};

/// What a path is evaluated against: a resource of a type, or one value of a multi-valued
/// attribute (inside `attr[...]`), whose sub-attributes may be known.
#[derive(Clone, Copy)]
enum Scope {
    Resource(Kind),
    Within(Option<&'static Attr>),
}

/// Refuses a filter the server cannot evaluate for these resource types (RFC 7644 §3.4.2.2:
/// "Boolean and Binary attributes SHALL cause a failed response ... invalidFilter").
pub(super) fn check(filter: &Filter, kinds: &[Kind]) -> Result<(), Failure> {
    for kind in kinds {
        check_in(filter, Scope::Resource(*kind))?;
    }
    Ok(())
}

fn check_in(filter: &Filter, scope: Scope) -> Result<(), Failure> {
    match filter {
        Filter::And(l, r) | Filter::Or(l, r) => {
            check_in(l, scope)?;
            check_in(r, scope)
        }
        Filter::Not(inner) => check_in(inner, scope),
        Filter::Present(_) => Ok(()),
        Filter::ValuePath { path, filter } => {
            check_in(filter, Scope::Within(definition(scope, path).0))
        }
        Filter::Compare { path, op, .. } => {
            let ordering = matches!(
                op,
                CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
            );
            let (attr, sub) = definition(scope, path);
            let ty = sub.or(attr).map(|a| a.ty);
            match ty {
                Some(t @ (Type::Boolean | Type::Binary)) if ordering => Err(Failure::bad(
                    "invalidFilter",
                    format!(
                        "{path} is {t:?}: it cannot be compared with {}",
                        op.as_str()
                    ),
                )),
                Some(Type::Complex) if attr.is_some_and(|a| !a.multi) && sub.is_none() => {
                    Err(Failure::bad(
                        "invalidFilter",
                        format!("{path} is complex: name a sub-attribute"),
                    ))
                }
                _ => Ok(()),
            }
        }
        // `Filter` is non-exhaustive for other crates only; nothing else exists.
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    }
}

/// Whether a stored resource of `kind` matches the filter.
pub(super) fn matches(filter: &Filter, kind: Kind, resource: &Value) -> bool {
    resource
        .as_object()
        .is_some_and(|o| eval(filter, Scope::Resource(kind), o))
}

/// Whether one value of the multi-valued attribute `attr` matches a value filter
/// (`emails[type eq "work"]`), as in a PATCH path.
pub(super) fn matches_item(filter: &Filter, attr: Option<&'static Attr>, item: &Value) -> bool {
    item.as_object()
        .is_some_and(|o| eval(filter, Scope::Within(attr), o))
}

fn eval(filter: &Filter, scope: Scope, obj: &Map<String, Value>) -> bool {
    match filter {
        Filter::And(l, r) => eval(l, scope, obj) && eval(r, scope, obj),
        Filter::Or(l, r) => eval(l, scope, obj) || eval(r, scope, obj),
        Filter::Not(inner) => !eval(inner, scope, obj),
        Filter::Present(path) => values(scope, obj, path).iter().any(|(v, _)| present(v)),
        Filter::ValuePath { path, filter } => {
            let (attr, _) = definition(scope, path);
            let Some(value) = attribute(scope, obj, path) else {
                return false;
            };
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            items.into_iter().any(|item| {
                item.as_object()
                    .is_some_and(|o| eval(filter, Scope::Within(attr), o))
            })
        }
        Filter::Compare { path, op, value } => {
            let found = values(scope, obj, path);
            if value.is_null() {
                let assigned = found.iter().any(|(v, _)| !v.is_null());
                return match op {
                    CompareOp::Eq => !assigned,
                    CompareOp::Ne => assigned,
                    _ => false,
                };
            }
            found
                .iter()
                .any(|(candidate, attr)| compare(candidate, *op, value, *attr))
        }
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The definitions of a path's attribute and sub-attribute, where the schemas know them.
fn definition(scope: Scope, path: &AttrPath) -> (Option<&'static Attr>, Option<&'static Attr>) {
    let attr = match scope {
        Scope::Resource(kind) => kind.attr(path.urn.as_deref(), &path.name),
        Scope::Within(parent) => parent.and_then(|p| p.sub_attr(&path.name)),
    };
    let sub = path
        .sub
        .as_deref()
        .and_then(|s| attr.and_then(|a| a.sub_attr(s)));
    (attr, sub)
}

/// The value of a path's attribute (not its sub-attribute).
fn attribute<'a>(scope: Scope, obj: &'a Map<String, Value>, path: &AttrPath) -> Option<&'a Value> {
    match (scope, &path.urn) {
        (Scope::Resource(kind), Some(urn)) if !urn.eq_ignore_ascii_case(kind.core().id) => {
            match get_ci(obj, urn) {
                Some(Value::Object(ext)) => get_ci(ext, &path.name),
                _ => None,
            }
        }
        _ => get_ci(obj, &path.name),
    }
}

/// Every value a path reaches, with its definition: arrays are flattened, and a
/// multi-valued complex attribute named without a sub-attribute stands for its `value`s.
fn values<'a>(
    scope: Scope,
    obj: &'a Map<String, Value>,
    path: &AttrPath,
) -> Vec<(&'a Value, Option<&'static Attr>)> {
    let (attr, sub_def) = definition(scope, path);
    let Some(value) = attribute(scope, obj, path) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        match (&path.sub, item) {
            (Some(sub), Value::Object(o)) => match get_ci(o, sub) {
                Some(Value::Array(a)) => out.extend(a.iter().map(|v| (v, sub_def))),
                Some(v) => out.push((v, sub_def)),
                None => {}
            },
            (Some(_), _) => {}
            (None, Value::Object(o)) if value.is_array() => {
                if let Some(v) = get_ci(o, "value") {
                    out.push((v, attr.and_then(|a| a.sub_attr("value"))));
                }
            }
            (None, v) => out.push((v, attr)),
        }
    }
    out
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

fn compare(candidate: &Value, op: CompareOp, operand: &Value, attr: Option<&Attr>) -> bool {
    let ty = attr.map(|a| a.ty);
    if ty == Some(Type::DateTime)
        && let (Some(a), Some(b)) = (
            candidate.as_str().and_then(instant),
            operand.as_str().and_then(instant),
        )
    {
        return match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => strings(candidate, op, operand, true),
            _ => ordered(a.cmp(&b), op),
        };
    }
    match (candidate, operand) {
        (Value::String(_), Value::String(_)) => {
            strings(candidate, op, operand, attr.is_some_and(|a| a.case_exact))
        }
        (Value::Number(a), Value::Number(b)) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            match (a.partial_cmp(&b), op) {
                (_, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) | (None, _) => false,
                (Some(ord), _) => ordered(ord, op),
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        _ => matches!(op, CompareOp::Ne),
    }
}

fn strings(candidate: &Value, op: CompareOp, operand: &Value, exact: bool) -> bool {
    let (Some(a), Some(b)) = (candidate.as_str(), operand.as_str()) else {
        return false;
    };
    let (a, b) = if exact {
        (a.to_owned(), b.to_owned())
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

fn ordered(ord: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        _ => false,
    }
}

/// An xsd:dateTime (`2011-05-13T04:42:34Z`, `...34.123+02:00`) as (seconds since the Unix
/// epoch, nanoseconds), for chronological comparison; `None` if it is not one. Years are
/// four digits, so no arithmetic here can overflow.
pub(super) fn instant(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = text.get(19..)?;
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (i, c) in frac.bytes().take(9).take(digits).enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// A sort key (RFC 7644 §3.4.2.3): by the attribute's type and `caseExact`; a multi-valued
/// attribute sorts by its primary value, or its first.
#[derive(Debug, PartialEq)]
pub(super) enum SortKey {
    Instant(i64, u32),
    Number(f64),
    Text(String),
    Bool(bool),
}

impl SortKey {
    pub(super) fn cmp(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Instant(a, b), SortKey::Instant(c, d)) => (a, b).cmp(&(c, d)),
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
            (SortKey::Bool(a), SortKey::Bool(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
    fn rank(&self) -> u8 {
        match self {
            SortKey::Bool(_) => 0,
            SortKey::Number(_) => 1,
            SortKey::Instant(..) => 2,
            SortKey::Text(_) => 3,
        }
    }
}

/// The key `resource` sorts by on `path`, `None` when it has no value there.
pub(super) fn sort_key(kind: Kind, resource: &Value, path: &AttrPath) -> Option<SortKey> {
    let obj = resource.as_object()?;
    let scope = Scope::Resource(kind);
    let (attr, sub_def) = definition(scope, path);
    let value = attribute(scope, obj, path)?;
    let item = match value {
        Value::Array(items) => items.iter().find(|i| is_primary(i)).or(items.first())?,
        other => other,
    };
    let (leaf, def) = match (&path.sub, item) {
        (Some(sub), Value::Object(o)) => (get_ci(o, sub)?, sub_def),
        (Some(_), _) => return None,
        (None, Value::Object(o)) => (get_ci(o, "value")?, attr.and_then(|a| a.sub_attr("value"))),
        (None, v) => (v, attr),
    };
    Some(match leaf {
        Value::String(s) => match def.map(|d| d.ty) {
            Some(Type::DateTime) => match instant(s) {
                Some((secs, nanos)) => SortKey::Instant(secs, nanos),
                None => SortKey::Text(s.clone()),
            },
            _ if def.is_some_and(|d| d.case_exact) => SortKey::Text(s.clone()),
            _ => SortKey::Text(s.to_lowercase()),
        },
        Value::Number(n) => SortKey::Number(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => SortKey::Bool(*b),
        Value::Null => return None,
        other => SortKey::Text(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::instant;

    #[test]
    fn instants_compare_across_precision_and_offsets() {
        let table = [
            ("1970-01-01T00:00:00Z", Some((0, 0))),
            ("1970-01-01T00:00:01.5Z", Some((1, 500_000_000))),
            ("1970-01-01T01:00:00+01:00", Some((0, 0))),
            ("1969-12-31T23:00:00-01:00", Some((0, 0))),
            ("2011-05-13T04:42:34Z", Some((1_305_261_754, 0))),
            ("2000-02-29T00:00:00Z", Some((951_782_400, 0))),
            ("2011-05-13 04:42:34Z", None),
            ("2011-05-13T04:42:34", None),
            ("2011-13-13T04:42:34Z", None),
            ("2011-05-13T04:42:34.Z", None),
            ("2011-05-13T04:42:34+0100", None),
            ("2011-05-13T04:42:34Zjunk", None),
            ("20é1-05-13T04:42:34Z", None),
        ];
        for (text, want) in table {
            assert_eq!(instant(text), want, "{text}");
        }
        assert!(instant("2011-05-13T04:42:34.123Z") > instant("2011-05-13T04:42:34Z"));
    }
}
