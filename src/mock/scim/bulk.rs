//! The `/Bulk` handler (RFC 7644 §3.7): operations in order, except that one waiting for a
//! `bulkId` defined by a later POST runs after it; circular references are resolved by
//! creating one resource without the references that wait and adding them once the others
//! exist; `failOnErrors` and the advertised limits enforced.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::input::{self, is_urn};
use super::kind::Kind;
use super::list::names_message;
use super::store::State;
use crate::scim::schema;

impl State {
    pub(super) fn bulk(&mut self, config: &Config, body: Value) -> Outcome {
        let size = body.to_string().len() as u64;
        if size > config.bulk_max_payload {
            return Err(Failure::new(
                413,
                None,
                format!(
                    "the bulk request is {size} bytes; maxPayloadSize is {}",
                    config.bulk_max_payload
                ),
            ));
        }
        let obj = body
            .as_object()
            .ok_or_else(|| Failure::bad("invalidSyntax", "not a BulkRequest"))?;
        let ops = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("operations"))
            .and_then(|(_, v)| v.as_array())
            .cloned()
            .unwrap_or_default();
        if ops.len() as u64 > config.bulk_max_operations {
            return Err(Failure::new(
                413,
                None,
                format!(
                    "{} operations; maxOperations is {}",
                    ops.len(),
                    config.bulk_max_operations
                ),
            ));
        }
        if config.strict_requests {
            if !names_message(obj, schema::BULK_REQUEST) {
                return Err(Failure::bad(
                    "invalidSyntax",
                    format!("schemas must be [\"{}\"]", schema::BULK_REQUEST),
                ));
            }
            let anonymous_post = ops.iter().any(|op| {
                field(op, "method").is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                    && field(op, "bulkId").is_none()
            });
            if anonymous_post {
                return Err(Failure::bad(
                    "invalidSyntax",
                    "bulkId is REQUIRED when method is POST (RFC 7644 §3.7.3)",
                ));
            }
        }
        let fail_on_errors = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("failOnErrors"))
            .and_then(|(_, v)| v.as_u64())
            .filter(|f| *f > 0);
        // The bulkIds some POST defines: a reference to one of them may wait for it.
        let defined: HashSet<String> = ops
            .iter()
            .filter(|op| field(op, "method").is_some_and(|m| m.eq_ignore_ascii_case("POST")))
            .filter_map(|op| field(op, "bulkId").map(str::to_owned))
            .collect();
        let mut run = Run {
            ids: HashMap::new(),
            failed: HashSet::new(),
            results: vec![None; ops.len()],
            errors: 0,
            fail_on_errors,
            fixups: Vec::new(),
        };
        let mut pending: Vec<(usize, Value)> = ops.into_iter().enumerate().collect();
        while !pending.is_empty() && !run.stopped() {
            let mut waiting = Vec::new();
            let mut progressed = false;
            for (index, op) in pending {
                if run.stopped() {
                    break;
                }
                let missing: Vec<String> = references(&op)
                    .into_iter()
                    .filter(|r| !run.ids.contains_key(r))
                    .collect();
                if let Some(r) = missing
                    .iter()
                    .find(|r| !defined.contains(*r) || run.failed.contains(*r))
                {
                    let failure = Failure::new(
                        409,
                        Some("invalidValue"),
                        format!("bulkId {r} cannot be resolved"),
                    );
                    run.fail(index, &op, failure);
                    progressed = true;
                } else if missing.is_empty() {
                    self.run_one(config, &mut run, index, op, Vec::new());
                    progressed = true;
                } else {
                    waiting.push((index, op));
                }
            }
            if !progressed && !waiting.is_empty() {
                // Every operation left waits for another: a circle. Break it at the first
                // POST by creating it without what waits, to be added afterwards.
                let at = waiting
                    .iter()
                    .position(|(_, op)| {
                        field(op, "method").is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                    })
                    .unwrap_or(0);
                let (index, mut op) = waiting.remove(at);
                let held = hold_back(&mut op, &run.ids);
                self.run_one(config, &mut run, index, op, held);
            }
            pending = waiting;
        }
        let fixups = std::mem::take(&mut run.fixups);
        for fixup in fixups {
            self.complete(config, &mut run, fixup);
        }
        let results: Vec<Value> = run.results.into_iter().flatten().collect();
        Ok(Reply {
            status: 200,
            body: Some(json!({ "schemas": [schema::BULK_RESPONSE], "Operations": results })),
            ..Reply::default()
        })
    }

    /// Runs one operation, its `bulkId` references replaced; records its result.
    fn run_one(
        &mut self,
        config: &Config,
        run: &mut Run,
        index: usize,
        op: Value,
        held: Vec<Held>,
    ) {
        let method = field(&op, "method").unwrap_or("").to_ascii_uppercase();
        let bulk_id = field(&op, "bulkId").map(str::to_owned);
        let mut path = field(&op, "path").unwrap_or("").to_owned();
        if let Some((base, reference)) = path.rsplit_once('/')
            && let Some(r) = reference.strip_prefix("bulkId:")
            && let Some(id) = run.ids.get(r)
        {
            path = format!("{base}/{id}");
        }
        let mut data = op
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("data")))
            .map(|(_, v)| v.clone());
        if let Some(data) = &mut data {
            substitute_bulk_ids(data, &run.ids);
        }
        let mut headers = HashMap::new();
        if let Some(v) = field(&op, "version") {
            headers.insert("if-match", v.to_owned());
        }
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let known = ["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str());
        let shape_ok = if method == "POST" {
            segs.len() == 1
        } else {
            segs.len() == 2
        };
        let outcome = if !known
            || !shape_ok
            || segs.first().is_some_and(|s| s.eq_ignore_ascii_case("Bulk"))
        {
            Err(Failure::bad(
                "invalidSyntax",
                format!("{method} {path} is not a bulk operation"),
            ))
        } else {
            self.dispatch(
                config,
                &method,
                &segs,
                &HashMap::new(),
                &headers,
                data,
                None,
            )
        };
        let reply = match outcome {
            Ok(reply) => reply,
            Err(failure) => {
                run.fail(index, &op, failure);
                return;
            }
        };
        let id = reply
            .body
            .as_ref()
            .and_then(|b| b.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let location = reply
            .location
            .clone()
            .or_else(|| reply.content_location.clone())
            .or_else(|| {
                (method == "DELETE")
                    .then(|| format!("{}/{}", config.base_url, path.trim_start_matches('/')))
            });
        if let (Some(b), Some(id)) = (&bulk_id, &id) {
            run.ids.insert(b.clone(), id.clone());
        }
        let mut result = Map::new();
        result.insert("method".into(), Value::String(method));
        if let Some(b) = bulk_id {
            result.insert("bulkId".into(), Value::String(b));
        }
        if let Some(l) = location {
            result.insert("location".into(), Value::String(l));
        }
        if let Some(v) = reply.etag {
            result.insert("version".into(), Value::String(v));
        }
        result.insert("status".into(), Value::String(reply.status.to_string()));
        run.results[index] = Some(Value::Object(result));
        if !held.is_empty()
            && let (Some(kind), Some(id)) = (segs.first().and_then(|s| Kind::from_endpoint(s)), id)
        {
            run.fixups.push(Fixup {
                index,
                kind,
                id,
                held,
            });
        }
    }

    /// Adds back to a resource created in a circle the references that had to wait.
    fn complete(&mut self, config: &Config, run: &mut Run, fixup: Fixup) {
        let Fixup {
            index,
            kind,
            id,
            held,
        } = fixup;
        let Some(current) = self.store(kind).get(&id).cloned() else {
            return;
        };
        let Value::Object(mut map) = current.clone() else {
            return;
        };
        for mut h in held {
            substitute_bulk_ids(&mut h.value, &run.ids);
            let target = match &h.container {
                None => &mut map,
                Some(urn) => match map
                    .entry(urn.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    Value::Object(o) => o,
                    _ => continue,
                },
            };
            match (target.get_mut(&h.key), h.value) {
                (Some(Value::Array(items)), Value::Array(more)) => items.extend(more),
                (_, value) => {
                    target.insert(h.key, value);
                }
            }
        }
        input::tidy(kind, &mut map);
        let outcome = self
            .check_resource(config, kind, &map, Some(&id))
            .and_then(|()| self.store_version(kind, &id, &current, map));
        match outcome {
            Ok(stored) => {
                if let Some(Some(Value::Object(result))) = run.results.get_mut(index)
                    && let Some(v) = stored.pointer("/meta/version")
                {
                    result.insert("version".into(), v.clone());
                }
            }
            Err(failure) => {
                if let Some(Some(Value::Object(result))) = run.results.get_mut(index) {
                    result.insert("status".into(), Value::String(failure.status.to_string()));
                    result.insert("response".into(), failure.body());
                }
            }
        }
    }
}

/// A bulk request under way.
struct Run {
    /// bulkId → the id of the resource its POST created.
    ids: HashMap<String, String>,
    /// bulkIds whose POST failed.
    failed: HashSet<String>,
    /// Results by operation index (none for operations never run).
    results: Vec<Option<Value>>,
    errors: u64,
    fail_on_errors: Option<u64>,
    fixups: Vec<Fixup>,
}

impl Run {
    fn stopped(&self) -> bool {
        self.fail_on_errors.is_some_and(|f| self.errors >= f)
    }

    fn fail(&mut self, index: usize, op: &Value, failure: Failure) {
        self.errors = self.errors.saturating_add(1);
        let method = field(op, "method").unwrap_or("").to_ascii_uppercase();
        let bulk_id = field(op, "bulkId").map(str::to_owned);
        let mut result = Map::new();
        result.insert("method".into(), Value::String(method));
        if let Some(b) = bulk_id {
            self.failed.insert(b.clone());
            result.insert("bulkId".into(), Value::String(b));
        }
        result.insert("status".into(), Value::String(failure.status.to_string()));
        result.insert("response".into(), failure.body());
        if let Some(slot) = self.results.get_mut(index) {
            *slot = Some(Value::Object(result));
        }
    }
}

/// References held back from a resource created in a circle, to add once they resolve.
struct Fixup {
    index: usize,
    kind: Kind,
    id: String,
    held: Vec<Held>,
}

/// One attribute's values that wait: appended (arrays) or set (others) later.
struct Held {
    container: Option<String>,
    key: String,
    value: Value,
}

/// A string member of an operation, case-insensitively named.
fn field<'a>(op: &'a Value, name: &str) -> Option<&'a str> {
    op.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// Every `bulkId:` an operation refers to, in its path and its data.
fn references(op: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                if let Some(r) = s.strip_prefix("bulkId:") {
                    out.push(r.to_owned());
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(path) = field(op, "path")
        && let Some(r) = path
            .rsplit('/')
            .next()
            .and_then(|s| s.strip_prefix("bulkId:"))
    {
        out.push(r.to_owned());
    }
    if let Some(data) = op
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("data")))
    {
        walk(data.1, &mut out);
    }
    out
}

fn waits(value: &Value, ids: &HashMap<String, String>) -> bool {
    let mut refs = Vec::new();
    let wrapper = json!({ "data": value });
    refs.extend(references(&wrapper));
    refs.iter().any(|r| !ids.contains_key(r))
}

/// Takes out of a POST's data the values that refer to bulkIds not yet resolved: array
/// items one by one, other attributes whole (top level, or inside an extension).
fn hold_back(op: &mut Value, ids: &HashMap<String, String>) -> Vec<Held> {
    let mut held = Vec::new();
    let Some(Value::Object(data)) = op
        .as_object_mut()
        .and_then(|o| o.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case("data")))
        .map(|(_, v)| v)
    else {
        return held;
    };
    let mut hold = |container: Option<String>, map: &mut Map<String, Value>| {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            if container.is_none() && is_urn(&key) {
                continue;
            }
            let Some(value) = map.get_mut(&key) else {
                continue;
            };
            if !waits(value, ids) {
                continue;
            }
            if let Value::Array(items) = value {
                let (later, now): (Vec<Value>, Vec<Value>) =
                    items.drain(..).partition(|i| waits(i, ids));
                *items = now;
                held.push(Held {
                    container: container.clone(),
                    key,
                    value: Value::Array(later),
                });
            } else if let Some(v) = map.remove(&key) {
                held.push(Held {
                    container: container.clone(),
                    key,
                    value: v,
                });
            }
        }
    };
    hold(None, data);
    let urns: Vec<String> = data.keys().filter(|k| is_urn(k)).cloned().collect();
    for urn in urns {
        if let Some(Value::Object(ext)) = data.get_mut(&urn) {
            hold(Some(urn), ext);
        }
    }
    held
}

fn substitute_bulk_ids(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|r| ids.get(r)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute_bulk_ids(v, ids)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute_bulk_ids(v, ids)),
        _ => {}
    }
}
