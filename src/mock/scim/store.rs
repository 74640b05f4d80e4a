//! The mock SCIM server's state: resources as JSON, in creation order.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::answer::{Failure, Reply};
use super::config::Config;
use super::input::{self, Rules};
use super::kind::Kind;
use crate::mock::util::rfc3339;

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
    /// Resources with their creation sequence number (shared by every resource type).
    pub(crate) fn iter_seq(&self) -> impl Iterator<Item = (u64, &Value)> {
        self.rows.iter().map(|(seq, v)| (*seq, v))
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

    /// The resource with this id, whatever its type.
    pub(crate) fn find_any(&self, id: &str) -> Option<(Kind, &Value)> {
        self.users
            .get(id)
            .map(|v| (Kind::User, v))
            .or_else(|| self.groups.get(id).map(|v| (Kind::Group, v)))
    }

    fn next_version(&mut self) -> String {
        self.version += 1;
        format!("W/\"{}\"", self.version)
    }

    /// Checks a resource body for what the server requires; returns it canonical (RFC 7643:
    /// names in schema case, read-only values dropped, unassigned values gone).
    fn validate(
        &self,
        config: &Config,
        kind: Kind,
        body: Value,
        own_id: Option<&str>,
    ) -> Result<Map<String, Value>, Failure> {
        let Value::Object(map) = body else {
            return Err(Failure::bad(
                "invalidSyntax",
                "a resource must be a JSON object",
            ));
        };
        let schemas_ok = map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
            .and_then(|(_, v)| v.as_array())
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
        let rules = Rules {
            strict: config.strict_requests,
        };
        let map = input::resource(kind, map, rules)?;
        self.check_resource(config, kind, &map, own_id)?;
        Ok(map)
    }

    /// The rules a canonical resource must meet: required attributes, unique `userName`,
    /// and (when the server is built to) members that exist.
    pub(crate) fn check_resource(
        &self,
        config: &Config,
        kind: Kind,
        map: &Map<String, Value>,
        own_id: Option<&str>,
    ) -> Result<(), Failure> {
        for attr in kind.core().attributes.iter().filter(|a| a.required) {
            let present = map
                .get(attr.name)
                .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
            if !present {
                return Err(Failure::bad(
                    "invalidValue",
                    format!("{} is required", attr.name),
                ));
            }
        }
        match kind {
            Kind::User => {
                let user_name = map.get("userName").and_then(Value::as_str).unwrap_or("");
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
                if config.require_existing_members
                    && let Some(Value::Array(members)) = map.get("members")
                {
                    for m in members {
                        let id = m.get("value").and_then(Value::as_str).unwrap_or("");
                        if self.find_any(id).is_none() {
                            return Err(Failure::bad(
                                "invalidValue",
                                format!("member {id:?} does not exist"),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn insert(
        &mut self,
        config: &Config,
        kind: Kind,
        body: Value,
    ) -> Result<String, Failure> {
        let mut map = self.validate(config, kind, body, None)?;
        let id = new_id();
        let created = rfc3339(SystemTime::now());
        let version = self.next_version();
        map.insert("id".into(), Value::String(id.clone()));
        let mut meta = json!({
            "resourceType": kind.name(),
            "created": created,
            "lastModified": created,
            "location": format!("{}/{}/{id}", config.base_url, kind.endpoint()),
        });
        // RFC 7643 §3.1: meta.version is the ETag; without ETags there is none.
        if config.etags
            && let Value::Object(m) = &mut meta
        {
            m.insert("version".into(), Value::String(version));
        }
        map.insert("meta".into(), meta);
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

    /// Replaces a stored resource with `body`, keeping id and created; bumps the version.
    /// Answers the resource as [`render`](Self::render) shows it with `query`.
    pub(crate) fn update(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        current: &Value,
        body: Value,
        query: &HashMap<String, String>,
    ) -> Result<Reply, Failure> {
        let map = self.validate(config, kind, body, Some(id))?;
        let value = self.store_version(kind, id, current, map)?;
        Ok(self.reply(kind, &value, 200, query))
    }

    /// Stores `map` as the new state of resource `id`: meta kept, lastModified and version
    /// bumped; the userName index follows.
    pub(crate) fn store_version(
        &mut self,
        kind: Kind,
        id: &str,
        current: &Value,
        mut map: Map<String, Value>,
    ) -> Result<Value, Failure> {
        let version = self.next_version();
        let mut meta = current.get("meta").cloned().unwrap_or_else(|| json!({}));
        if let Value::Object(m) = &mut meta {
            m.insert(
                "lastModified".into(),
                Value::String(rfc3339(SystemTime::now())),
            );
            if m.contains_key("version") {
                m.insert("version".into(), Value::String(version));
            }
        }
        map.insert("id".into(), Value::String(id.to_owned()));
        map.insert("meta".into(), meta);
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
        Ok(value)
    }

    /// A reply carrying one resource: its version as ETag and its location as
    /// `Content-Location` (RFC 7643 §3.1), and `Location` too on a 201.
    pub(crate) fn reply(
        &self,
        kind: Kind,
        stored: &Value,
        status: u16,
        query: &HashMap<String, String>,
    ) -> Reply {
        let location = stored
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Reply {
            status,
            body: Some(self.render(kind, stored, query)),
            etag: Some(version_of(stored).to_owned()),
            location: location.clone().filter(|_| status == 201),
            content_location: location,
        }
    }

    /// Deletes a resource; its memberships go too (each group that loses a member gets a
    /// new version).
    pub(crate) fn remove(&mut self, kind: Kind, id: &str) {
        let store = self.store_mut(kind);
        if let Some(seq) = store.ids.remove(id)
            && let Some(v) = store.rows.remove(&seq)
            && let Some(u) = v.get("userName").and_then(Value::as_str)
        {
            store.user_names.remove(&u.to_lowercase());
        }
        let holding: Vec<(String, Value)> = self
            .groups
            .iter()
            .filter(|g| {
                g.get("members").and_then(Value::as_array).is_some_and(|m| {
                    m.iter()
                        .any(|m| m.get("value").and_then(Value::as_str) == Some(id))
                })
            })
            .filter_map(|g| Some((g.get("id")?.as_str()?.to_owned(), g.clone())))
            .collect();
        for (group_id, group) in holding {
            let Value::Object(mut map) = group.clone() else {
                continue;
            };
            if let Some(Value::Array(members)) = map.get_mut("members") {
                members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
            }
            input::tidy(Kind::Group, &mut map);
            // The group exists: storing its new version cannot fail.
            let _ = self.store_version(Kind::Group, &group_id, &group, map);
        }
    }
}
