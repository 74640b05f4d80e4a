//! The `/Bulk` handler: operations in order, `bulkId` references resolved, `failOnErrors`
//! and the advertised limits enforced.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
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
        let fail_on_errors = obj.get("failOnErrors").and_then(Value::as_u64);
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut errors = 0u64;
        let mut results = Vec::new();
        for op in ops {
            let method = op
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_uppercase();
            let bulk_id = op.get("bulkId").and_then(Value::as_str).map(str::to_owned);
            let mut path = op
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut data = op.get("data").cloned();
            let mut unresolved = None;
            if let Some(data) = &mut data {
                substitute_bulk_ids(data, &ids, &mut unresolved);
            }
            if let Some(reference) = path
                .rsplit('/')
                .next()
                .and_then(|s| s.strip_prefix("bulkId:"))
                .map(str::to_owned)
            {
                match ids.get(&reference) {
                    Some(id) => path = format!("{}/{id}", &path[..path.rfind('/').unwrap_or(0)]),
                    None => unresolved = Some(reference),
                }
            }
            let mut headers = HashMap::new();
            if let Some(v) = op.get("version").and_then(Value::as_str) {
                headers.insert("if-match", v.to_owned());
            }
            let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let known = ["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str());
            let shape_ok = if method == "POST" {
                segs.len() == 1
            } else {
                segs.len() == 2
            };
            let outcome = match unresolved {
                Some(r) => Err(Failure::new(
                    409,
                    Some("invalidValue"),
                    format!("bulkId {r} is not resolved"),
                )),
                None if !known || !shape_ok => Err(Failure::bad(
                    "invalidSyntax",
                    format!("{method} {path} is not a bulk operation"),
                )),
                None => self.dispatch(
                    config,
                    &method,
                    &segs,
                    &HashMap::new(),
                    &headers,
                    data,
                    None,
                ),
            };
            let mut result = Map::new();
            result.insert("method".into(), Value::String(method.clone()));
            if let Some(b) = &bulk_id {
                result.insert("bulkId".into(), Value::String(b.clone()));
            }
            match outcome {
                Ok(reply) => {
                    let location = reply
                        .location
                        .clone()
                        .or_else(|| {
                            reply
                                .body
                                .as_ref()
                                .and_then(|b| b.pointer("/meta/location"))
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                        .or_else(|| {
                            (method == "DELETE").then(|| {
                                format!("{}/{}", config.base_url, path.trim_start_matches('/'))
                            })
                        });
                    if let (Some(b), Some(id)) = (
                        &bulk_id,
                        reply
                            .body
                            .as_ref()
                            .and_then(|b| b.get("id"))
                            .and_then(Value::as_str),
                    ) {
                        ids.insert(b.clone(), id.to_owned());
                    }
                    if let Some(l) = location {
                        result.insert("location".into(), Value::String(l));
                    }
                    if let Some(v) = reply.etag {
                        result.insert("version".into(), Value::String(v));
                    }
                    result.insert("status".into(), Value::String(reply.status.to_string()));
                }
                Err(failure) => {
                    errors += 1;
                    result.insert("status".into(), Value::String(failure.status.to_string()));
                    result.insert("response".into(), failure.body());
                }
            }
            results.push(Value::Object(result));
            if fail_on_errors.is_some_and(|f| f > 0 && errors >= f) {
                break;
            }
        }
        Ok(Reply {
            status: 200,
            body: Some(json!({ "schemas": [schema::BULK_RESPONSE], "Operations": results })),
            ..Reply::default()
        })
    }
}

fn substitute_bulk_ids(
    value: &mut Value,
    ids: &HashMap<String, String>,
    unresolved: &mut Option<String>,
) {
    match value {
        Value::String(s) => {
            if let Some(reference) = s.strip_prefix("bulkId:") {
                match ids.get(reference) {
                    Some(id) => *s = id.clone(),
                    None => *unresolved = Some(reference.to_owned()),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| substitute_bulk_ids(v, ids, unresolved)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| substitute_bulk_ids(v, ids, unresolved)),
        _ => {}
    }
}
