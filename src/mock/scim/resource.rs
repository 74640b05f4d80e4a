//! Handlers for one resource: get, create, replace, patch and delete, with ETag checks.

use std::collections::HashMap;

use serde_json::Value;

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::input::{self, Rules};
use super::kind::Kind;
use super::patch;
use super::schema::Mutability;
use super::store::{self, State};

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
                .is_some_and(|v| v.split(',').any(|w| w.trim() == version || w.trim() == "*"))
        {
            return Ok(Reply {
                status: 304,
                etag: Some(version),
                ..Reply::default()
            });
        }
        Ok(self.reply(kind, stored, 200, query))
    }

    pub(super) fn create(
        &mut self,
        config: &Config,
        kind: Kind,
        body: Option<Value>,
        query: &HashMap<String, String>,
    ) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a resource body is required"))?;
        let id = self.insert(config, kind, body)?;
        let stored = self.store(kind).get(&id).cloned().unwrap_or(Value::Null);
        Ok(self.reply(kind, &stored, 201, query))
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

    /// PUT (RFC 7644 §3.5.1): the body replaces the resource; read-only values in it (`id`,
    /// `meta`) are ignored.
    pub(super) fn replace(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        body: Option<Value>,
        query: &HashMap<String, String>,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a resource body is required"))?;
        let current = self.current_for_write(config, kind, id, headers)?;
        let body = keep_write_only(kind, &current, body);
        self.update(config, kind, id, &current, body, query)
    }

    /// PATCH (RFC 7644 §3.5.2): every operation or none; a PATCH that changes nothing leaves
    /// the version and `lastModified` alone.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn patch(
        &mut self,
        config: &Config,
        kind: Kind,
        id: &str,
        body: Option<Value>,
        query: &HashMap<String, String>,
        headers: &HashMap<&'static str, String>,
    ) -> Outcome {
        let body =
            body.ok_or_else(|| Failure::bad("invalidSyntax", "a PatchOp body is required"))?;
        let operations = patch::parse(body, config.strict_requests)?;
        let current = self.current_for_write(config, kind, id, headers)?;
        let Value::Object(mut next) = current.clone() else {
            return Err(Failure::server("a stored resource is not an object"));
        };
        let rules = Rules {
            strict: config.strict_requests,
        };
        for op in &operations {
            patch::apply(&mut next, kind, op, rules)?;
        }
        input::tidy(kind, &mut next);
        let mut reply = if Value::Object(next.clone()) == current {
            self.reply(kind, &current, 200, query)
        } else {
            self.check_resource(config, kind, &next, Some(id))?;
            next.remove("meta");
            let stored = self.store_version(kind, id, &current, next)?;
            self.reply(kind, &stored, 200, query)
        };
        // RFC 7644 §3.5.2: "The server MUST return a 200 OK if the "attributes" parameter is
        // specified in the request."
        let asked = query.contains_key("attributes") || query.contains_key("excludedattributes");
        if config.patch_no_content && !asked {
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

/// Choice (RFC 7644 §3.5.1 lets a server clear what a PUT omits): a write-only value (the
/// password) the body leaves out is kept, as real servers do, since a client can never read
/// it back to send it again.
fn keep_write_only(kind: Kind, current: &Value, mut body: Value) -> Value {
    let Value::Object(map) = &mut body else {
        return body;
    };
    for attr in kind.core().attributes {
        if attr.mutability == Mutability::WriteOnly
            && !map.keys().any(|k| k.eq_ignore_ascii_case(attr.name))
            && let Some(v) = current.get(attr.name)
        {
            map.insert(attr.name.to_owned(), v.clone());
        }
    }
    body
}
