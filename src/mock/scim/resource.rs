//! Handlers for one resource: get, create, replace, patch and delete, with ETag checks.

use std::collections::HashMap;

use serde_json::Value;

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::patch;
use super::store::{self, Kind, State};
use crate::scim::Patch;

impl State {
    fn check_if_match(
        config: &Config,
        current: &Value,
        headers: &HashMap<&'static str, String>,
    ) -> Result<(), Failure> {
        let Some(wanted) = headers.get("if-match").filter(|_| config.etags) else {
            return Ok(());
        };
        let version = store::version_of(current);
        if wanted.trim() == "*" || wanted.split(',').any(|w| w.trim() == version) {
            Ok(())
        } else {
            Err(Failure::new(
                412,
                None,
                format!("the resource is at version {version}, not {wanted}"),
            ))
        }
    }

    pub(super) fn get(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        query: &HashMap<String, String>,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        let stored = self
            .store(kind)
            .get(id)
            .ok_or_else(|| Failure::not_found(format!("{} {id} not found", kind.name())))?;
        let version = store::version_of(stored).to_owned();
        if config.etags
            && headers
                .get("if-none-match")
                .is_some_and(|v| v.split(',').any(|w| w.trim() == version))
        {
            return Ok(Reply {
                status: 304,
                etag: Some(version),
                ..Reply::default()
            });
        }
        let rendered = self.render(kind, stored, query);
        Ok(Reply {
            status: 200,
            body: Some(rendered),
            etag: Some(version),
            location: None,
        })
    }

    pub(super) fn create(&mut self, config: &Config, kind: Kind, body: Option<Value>) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a resource body is required"))?;
        let id = self.insert(config, kind, body)?;
        let stored = self.store(kind).get(&id).cloned().unwrap_or(Value::Null);
        Ok(Reply {
            status: 201,
            etag: Some(store::version_of(&stored).to_owned()),
            location: stored
                .pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_owned),
            body: Some(self.render(kind, &stored, &HashMap::new())),
        })
    }

    /// The stored resource a write targets, once its `If-Match` (if any) is satisfied.
    fn current_for_write(
        &self,
        config: &Config,
        kind: Kind,
        id: &str,
        headers: &HashMap<&'static str, String>,
    ) -> Result<Value, Failure> {
        let current = self
            .store(kind)
            .get(id)
            .ok_or_else(|| Failure::not_found(format!("{} {id} not found", kind.name())))?
            .clone();
        Self::check_if_match(config, &current, headers)?;
        Ok(current)
    }

    pub(super) fn replace(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        body: Option<Value>,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a resource body is required"))?;
        let current = self.current_for_write(config, kind, id, headers)?;
        if body
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|b| b != id)
        {
            return Err(Failure::bad("mutability", "id cannot change"));
        }
        self.update(config, kind, id, &current, body)
    }

    pub(super) fn patch(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        body: Option<Value>,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a PatchOp body is required"))?;
        let patch: Patch = serde_json::from_value(body)
            .map_err(|e| Failure::bad("invalidSyntax", format!("not a PatchOp: {e}")))?;
        let current = self.current_for_write(config, kind, id, headers)?;
        let mut next = current.clone();
        for op in &patch.operations {
            patch::apply(&mut next, kind.schema(), op)?;
        }
        let mut reply = self.update(config, kind, id, &current, next)?;
        if config.patch_no_content {
            reply.status = 204;
            reply.body = None;
        }
        Ok(reply)
    }

    pub(super) fn delete(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        self.current_for_write(config, kind, id, headers)?;
        self.remove(kind, id);
        Ok(Reply {
            status: 204,
            ..Reply::default()
        })
    }
}
