//! The mock SCIM server's state: resources as JSON, in creation order.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::answer::{Failure, Reply};
use super::config::Config;
use crate::mock::util::rfc3339;
use crate::scim::{AttrPath, schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Group,
}

impl Kind {
    pub(crate) fn from_endpoint(endpoint: &str) -> Option<Kind> {
        if endpoint.eq_ignore_ascii_case("Users") {
            Some(Kind::User)
        } else if endpoint.eq_ignore_ascii_case("Groups") {
            Some(Kind::Group)
        } else {
            None
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }
    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }
    pub(crate) fn schema(self) -> &'static str {
        match self {
            Kind::User => schema::USER,
            Kind::Group => schema::GROUP,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    rows: BTreeMap<u64, Value>,
    ids: HashMap<String, u64>,
    user_names: HashMap<String, String>,
}

impl Store {
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.ids.get(id).and_then(|seq| self.rows.get(seq))
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Value> {
        self.rows.values()
    }
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
    pub(crate) fn find_user_name(&self, user_name: &str) -> Option<String> {
        self.user_names.get(&user_name.to_lowercase()).cloned()
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    users: Store,
    groups: Store,
    seq: u64,
    version: u64,
}

pub(crate) fn version_of(v: &Value) -> &str {
    v.pointer("/meta/version")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn new_id() -> String {
    let hex = format!("{:032x}", fastrand::u128(..));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn normalise_bools(map: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = map.get("active") {
        let b = s.eq_ignore_ascii_case("true");
        map.insert("active".into(), Value::Bool(b));
    }
}

impl State {
    pub(crate) fn store(&self, kind: Kind) -> &Store {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn store_mut(&mut self, kind: Kind) -> &mut Store {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    fn next_version(&mut self) -> String {
        self.version += 1;
        format!("W/\"{}\"", self.version)
    }

    /// Checks a resource body for what the server requires; returns the normalised object.
    fn validate(
        &self,
        kind: Kind,
        body: Value,
        own_id: Option<&str>,
    ) -> Result<Map<String, Value>, Failure> {
        let Value::Object(mut map) = body else {
            return Err(Failure::bad(
                "invalidSyntax",
                "a resource must be a JSON object",
            ));
        };
        let schemas_ok = map
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(kind.schema()))
                })
            });
        if !schemas_ok {
            return Err(Failure::bad(
                "invalidValue",
                format!("schemas must list {}", kind.schema()),
            ));
        }
        map.remove("meta");
        map.remove("id");
        normalise_bools(&mut map);
        match kind {
            Kind::User => {
                map.remove("groups");
                let user_name = map
                    .get("userName")
                    .and_then(Value::as_str)
                    .filter(|u| !u.trim().is_empty())
                    .ok_or_else(|| Failure::bad("invalidValue", "userName is required"))?;
                if let Some(holder) = self.users.user_names.get(&user_name.to_lowercase())
                    && Some(holder.as_str()) != own_id
                {
                    return Err(Failure::new(
                        409,
                        Some("uniqueness"),
                        format!("userName {user_name:?} is already taken"),
                    ));
                }
            }
            Kind::Group => {
                if map
                    .get("displayName")
                    .and_then(Value::as_str)
                    .is_none_or(|d| d.trim().is_empty())
                {
                    return Err(Failure::bad("invalidValue", "displayName is required"));
                }
                if let Some(Value::Array(members)) = map.get("members") {
                    for m in members {
                        let id = m.get("value").and_then(Value::as_str).unwrap_or("");
                        if self.users.get(id).is_none() && self.groups.get(id).is_none() {
                            return Err(Failure::bad(
                                "invalidValue",
                                format!("member {id:?} does not exist"),
                            ));
                        }
                    }
                }
            }
        }
        Ok(map)
    }

    pub(crate) fn insert(
        &mut self,
        config: &Config,
        kind: Kind,
        body: Value,
    ) -> Result<String, Failure> {
        let mut map = self.validate(kind, body, None)?;
        let id = new_id();
        let created = rfc3339(SystemTime::now());
        let version = self.next_version();
        map.insert("id".into(), Value::String(id.clone()));
        map.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": created,
                "lastModified": created,
                "location": format!("{}/{}/{id}", config.base_url, kind.endpoint()),
                "version": version,
            }),
        );
        self.fill_member_types(&mut map);
        let user_name = map
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_lowercase);
        self.seq += 1;
        let seq = self.seq;
        let store = self.store_mut(kind);
        if kind == Kind::User
            && let Some(u) = user_name
        {
            store.user_names.insert(u, id.clone());
        }
        store.ids.insert(id.clone(), seq);
        store.rows.insert(seq, Value::Object(map));
        Ok(id)
    }

    fn fill_member_types(&self, map: &mut Map<String, Value>) {
        if let Some(Value::Array(members)) = map.get_mut("members") {
            for m in members.iter_mut() {
                let id = m
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if let Value::Object(o) = m {
                    if !o.contains_key("type") {
                        let t = if self.users.get(&id).is_some() {
                            "User"
                        } else {
                            "Group"
                        };
                        o.insert("type".into(), Value::String(t.into()));
                    }
                    if !o.contains_key("display") {
                        let display = self
                            .users
                            .get(&id)
                            .and_then(|u| u.get("displayName").or_else(|| u.get("userName")))
                            .or_else(|| self.groups.get(&id).and_then(|g| g.get("displayName")))
                            .cloned();
                        if let Some(d) = display {
                            o.insert("display".into(), d);
                        }
                    }
                }
            }
        }
    }

    /// Replaces a stored resource with `body`, keeping id and created; bumps the version.
    pub(crate) fn update(
        &mut self,
        _config: &Config,
        kind: Kind,
        id: &str,
        current: &Value,
        body: Value,
    ) -> Result<Reply, Failure> {
        let mut map = self.validate(kind, body, Some(id))?;
        let version = self.next_version();
        let mut meta = current.get("meta").cloned().unwrap_or_else(|| json!({}));
        if let Value::Object(m) = &mut meta {
            m.insert(
                "lastModified".into(),
                Value::String(rfc3339(SystemTime::now())),
            );
            m.insert("version".into(), Value::String(version.clone()));
        }
        map.insert("id".into(), Value::String(id.to_owned()));
        map.insert("meta".into(), meta);
        self.fill_member_types(&mut map);
        let new_name = map
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_lowercase);
        let old_name = current
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_lowercase);
        let value = Value::Object(map);
        let store = self.store_mut(kind);
        let Some(seq) = store.ids.get(id).copied() else {
            return Err(Failure::not_found(format!(
                "{} {id} not found",
                kind.name()
            )));
        };
        store.rows.insert(seq, value.clone());
        if kind == Kind::User && old_name != new_name {
            if let Some(o) = old_name {
                store.user_names.remove(&o);
            }
            if let Some(n) = new_name {
                store.user_names.insert(n, id.to_owned());
            }
        }
        let location = value
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Reply {
            status: 200,
            body: Some(self.render(kind, &value, &HashMap::new())),
            etag: Some(version),
            location,
        })
    }

    pub(crate) fn remove(&mut self, kind: Kind, id: &str) {
        let store = self.store_mut(kind);
        if let Some(seq) = store.ids.remove(id)
            && let Some(v) = store.rows.remove(&seq)
            && let Some(u) = v.get("userName").and_then(Value::as_str)
        {
            store.user_names.remove(&u.to_lowercase());
        }
        // Memberships of the removed resource go too.
        for group in self.groups.rows.values_mut() {
            if let Some(Value::Array(members)) = group.get_mut("members") {
                members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
            }
        }
    }

    /// The resource as the server returns it: no password, `groups` computed for users,
    /// `attributes` / `excludedAttributes` applied.
    pub(crate) fn render(
        &self,
        kind: Kind,
        stored: &Value,
        query: &HashMap<String, String>,
    ) -> Value {
        let mut value = stored.clone();
        if let Value::Object(map) = &mut value {
            map.remove("password");
            if kind == Kind::User && !self.groups.rows.is_empty() {
                let id = map
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let groups: Vec<Value> = self
                    .groups
                    .rows
                    .values()
                    .filter(|g| {
                        g.get("members").and_then(Value::as_array).is_some_and(|m| {
                            m.iter()
                                .any(|m| m.get("value").and_then(Value::as_str) == Some(&id))
                        })
                    })
                    .map(|g| {
                        json!({
                            "value": g.get("id"),
                            "display": g.get("displayName"),
                            "$ref": g.pointer("/meta/location"),
                            "type": "direct",
                        })
                    })
                    .collect();
                if !groups.is_empty() {
                    map.insert("groups".into(), Value::Array(groups));
                }
            }
            project(map, query);
        }
        value
    }
}

const ALWAYS: &[&str] = &["id", "schemas", "meta"];

fn split_list(text: Option<&String>) -> Vec<AttrPath> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(AttrPath::new)
            .collect()
    })
    .unwrap_or_default()
}

fn matches_key(key: &str, path: &AttrPath) -> bool {
    match &path.urn {
        Some(urn) => key.eq_ignore_ascii_case(urn) || key.eq_ignore_ascii_case(&path.name),
        None => key.eq_ignore_ascii_case(&path.name),
    }
}

fn project(map: &mut Map<String, Value>, query: &HashMap<String, String>) {
    let wanted = split_list(query.get("attributes"));
    let excluded = split_list(query.get("excludedattributes"));
    if !wanted.is_empty() {
        map.retain(|k, _| ALWAYS.contains(&k.as_str()) || wanted.iter().any(|p| matches_key(k, p)));
    }
    for p in excluded {
        if p.urn.is_none()
            && p.sub.is_none()
            && !ALWAYS.iter().any(|a| p.name.eq_ignore_ascii_case(a))
        {
            map.retain(|k, _| !k.eq_ignore_ascii_case(&p.name));
        }
    }
}
