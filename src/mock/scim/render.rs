//! What an answer shows of a stored resource (RFC 7643 §2.2 "returned", RFC 7644 §3.9):
//! never the password, a user's `groups` (direct and through nested groups), members'
//! `$ref`/`type`/`display`, and `attributes` / `excludedAttributes` applied down to
//! sub-attributes and extension schemas.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::input::{self, is_urn};
use super::kind::Kind;
use super::schema::Returned;
use super::store::State;
use crate::scim::AttrPath;

impl State {
    /// The resource as the server returns it for this query.
    pub(crate) fn render(
        &self,
        kind: Kind,
        stored: &Value,
        query: &HashMap<String, String>,
    ) -> Value {
        let mut value = stored.clone();
        if let Value::Object(map) = &mut value {
            for attr in kind.core().attributes {
                if attr.returned == Returned::Never {
                    map.remove(attr.name);
                }
            }
            match kind {
                Kind::User => {
                    let id = map.get("id").and_then(Value::as_str).unwrap_or("");
                    let groups = self.groups_of(id);
                    if !groups.is_empty() {
                        map.insert("groups".into(), Value::Array(groups));
                    }
                }
                Kind::Group => {
                    if let Some(Value::Array(members)) = map.get_mut("members") {
                        for member in members.iter_mut() {
                            self.describe_member(member);
                        }
                    }
                }
            }
            project(kind, map, query);
        }
        value
    }

    /// RFC 7643 §4.1.2: the groups a user belongs to, directly or through nested groups.
    fn groups_of(&self, id: &str) -> Vec<Value> {
        let groups = self.store(Kind::Group);
        if groups.len() == 0 {
            return Vec::new();
        }
        let holds = |group: &Value, member: &str| {
            group
                .get("members")
                .and_then(Value::as_array)
                .is_some_and(|m| {
                    m.iter()
                        .any(|m| m.get("value").and_then(Value::as_str) == Some(member))
                })
        };
        let mut out = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut frontier: Vec<&str> = vec![id];
        let mut direct = true;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for group in groups.iter() {
                let Some(gid) = group.get("id").and_then(Value::as_str) else {
                    continue;
                };
                if seen.contains(gid) || !frontier.iter().any(|m| holds(group, m)) {
                    continue;
                }
                seen.insert(gid);
                next.push(gid);
                out.push(json!({
                    "value": gid,
                    "$ref": group.pointer("/meta/location"),
                    "display": group.get("displayName"),
                    "type": if direct { "direct" } else { "indirect" },
                }));
            }
            frontier = next;
            direct = false;
        }
        out
    }

    /// Fills a member's `$ref`, `type` and `display` from the resource it names, where the
    /// client left them out.
    fn describe_member(&self, member: &mut Value) {
        let Some(id) = member.get("value").and_then(Value::as_str) else {
            return;
        };
        let Some((kind, resource)) = self.find_any(id) else {
            return;
        };
        let location = resource.pointer("/meta/location").cloned();
        let display = resource
            .get("displayName")
            .or_else(|| resource.get("userName"))
            .cloned();
        if let Value::Object(o) = member {
            if let Some(l) = location {
                o.entry("$ref").or_insert(l);
            }
            o.entry("type")
                .or_insert_with(|| Value::String(kind.name().into()));
            if let Some(d) = display {
                o.entry("display").or_insert(d);
            }
        }
    }
}

/// Where an `attributes` entry points in a resource.
enum Spot {
    /// A whole schema extension, by its key.
    Extension(String),
    /// An attribute (in an extension when `container` is set), or one of its sub-attributes.
    Attr {
        container: Option<String>,
        name: String,
        sub: Option<String>,
    },
}

fn spots(kind: Kind, map: &Map<String, Value>, text: Option<&String>) -> Vec<Spot> {
    let Some(text) = text else {
        return Vec::new();
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| spot(kind, map, s))
        .collect()
}

fn spot(kind: Kind, map: &Map<String, Value>, text: &str) -> Option<Spot> {
    if is_urn(text) {
        if let Some(ext) = kind.extension(text) {
            return Some(Spot::Extension(ext.id.to_owned()));
        }
        if let Some(key) = map.keys().find(|k| k.eq_ignore_ascii_case(text)) {
            return Some(Spot::Extension(key.clone()));
        }
    }
    let path = AttrPath::parse(text).ok()?;
    let container = path
        .urn
        .filter(|u| !u.eq_ignore_ascii_case(kind.core().id))
        .map(|u| kind.extension(&u).map_or(u, |e| e.id.to_owned()));
    Some(Spot::Attr {
        container,
        name: path.name,
        sub: path.sub,
    })
}

fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Attributes returned whatever `attributes` says (RFC 7643 §2.2 "always").
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// Applies `attributes` (which wins when both are given) or `excludedAttributes`.
pub(super) fn project(kind: Kind, map: &mut Map<String, Value>, query: &HashMap<String, String>) {
    let wanted = spots(kind, map, query.get("attributes"));
    if !wanted.is_empty() {
        let mut out = Map::new();
        for key in ALWAYS {
            if let Some(v) = map.get(key) {
                out.insert(key.to_owned(), v.clone());
            }
        }
        for spot in &wanted {
            copy(map, &mut out, spot);
        }
        *map = out;
    } else {
        for spot in spots(kind, map, query.get("excludedattributes")) {
            exclude(map, &spot);
        }
    }
    input::tidy(kind, map);
}

fn copy(src: &Map<String, Value>, out: &mut Map<String, Value>, spot: &Spot) {
    match spot {
        Spot::Extension(key) => {
            if let Some(k) = key_ci(src, key)
                && let Some(v) = src.get(&k)
            {
                out.insert(k, v.clone());
            }
        }
        Spot::Attr {
            container,
            name,
            sub,
        } => {
            let (from, to) = match container {
                Some(c) => {
                    let Some(k) = key_ci(src, c) else { return };
                    let Some(Value::Object(from)) = src.get(&k) else {
                        return;
                    };
                    let to = out.entry(k).or_insert_with(|| Value::Object(Map::new()));
                    let Value::Object(to) = to else { return };
                    (from, to)
                }
                None => (src, &mut *out),
            };
            let Some(k) = key_ci(from, name) else { return };
            let Some(value) = from.get(&k) else { return };
            match (sub, value) {
                (None, v) => {
                    to.insert(k, v.clone());
                }
                (Some(sub), Value::Object(o)) => {
                    let entry = to.entry(k).or_insert_with(|| Value::Object(Map::new()));
                    if let (Value::Object(dst), Some(sk)) = (entry, key_ci(o, sub))
                        && let Some(v) = o.get(&sk)
                    {
                        dst.insert(sk, v.clone());
                    }
                }
                (Some(sub), Value::Array(items)) => {
                    let entry = to.entry(k).or_insert_with(|| {
                        Value::Array(vec![Value::Object(Map::new()); items.len()])
                    });
                    let Value::Array(dst) = entry else { return };
                    for (item, d) in items.iter().zip(dst.iter_mut()) {
                        if let (Value::Object(o), Value::Object(d)) = (item, d)
                            && let Some(sk) = key_ci(o, sub)
                            && let Some(v) = o.get(&sk)
                        {
                            d.insert(sk, v.clone());
                        }
                    }
                }
                (Some(_), _) => {}
            }
        }
    }
}

fn exclude(map: &mut Map<String, Value>, spot: &Spot) {
    match spot {
        Spot::Extension(key) => {
            if let Some(k) = key_ci(map, key) {
                map.remove(&k);
            }
        }
        Spot::Attr {
            container,
            name,
            sub,
        } => {
            let target = match container {
                Some(c) => match key_ci(map, c).and_then(|k| map.get_mut(&k)) {
                    Some(Value::Object(o)) => o,
                    _ => return,
                },
                None => map,
            };
            let Some(k) = key_ci(target, name) else {
                return;
            };
            match sub {
                None if container.is_none()
                    && ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&k)) => {}
                None => {
                    target.remove(&k);
                }
                Some(sub) => match target.get_mut(&k) {
                    Some(Value::Object(o)) => {
                        if let Some(sk) = key_ci(o, sub) {
                            o.remove(&sk);
                        }
                    }
                    Some(Value::Array(items)) => {
                        for item in items.iter_mut() {
                            if let Value::Object(o) = item
                                && let Some(sk) = key_ci(o, sub)
                            {
                                o.remove(&sk);
                            }
                        }
                    }
                    _ => {}
                },
            }
        }
    }
}
