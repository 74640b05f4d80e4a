//! Which handler answers a request (RFC 7644 §3.2): the resource endpoints, `.search` on
//! them and at the server root, `/Bulk`, `/Me` and the read-only discovery endpoints. A
//! known path with a method it does not take is a 405 with `Allow`; an unknown path a 404.

use std::collections::HashMap;

use serde_json::Value;

use super::answer::{Failure, Outcome, Reply};
use super::config::Config;
use super::discovery;
use super::kind::Kind;
use super::list::search_params;
use super::store::State;

/// Every resource type, for queries at the server root.
const ALL_KINDS: [Kind; 2] = [Kind::User, Kind::Group];

impl State {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn dispatch(
        &mut self,
        config: &Config,
        method: &str,
        segs: &[&str],
        query: &HashMap<String, String>,
        headers: &HashMap<&'static str, String>,
        body: Option<Value>,
        me: Option<&str>,
    ) -> Outcome {
        let ok = |body: Value| Reply {
            status: 200,
            body: Some(body),
            ..Reply::default()
        };
        let first = segs.first().copied().unwrap_or("");
        let is = |name: &str| first.eq_ignore_ascii_case(name);
        match (method, segs) {
            // The server root (RFC 7644 §3.4.2, §3.4.3): every resource type.
            ("GET", []) => self.list(config, &ALL_KINDS, query),
            (_, []) => Err(Failure::method_not_allowed(method, "GET")),
            ("POST", [".search"]) => {
                let params = search_params(body.unwrap_or(Value::Null), config.strict_requests)?;
                self.list(config, &ALL_KINDS, &params)
            }
            (_, [".search"]) => Err(Failure::method_not_allowed(method, "POST")),

            // Discovery (RFC 7644 §4): read-only; query parameters ignored, a filter refused.
            (_, [_, ..]) if is("ServiceProviderConfig") || is("ResourceTypes") || is("Schemas") => {
                if method != "GET" {
                    let known =
                        segs.len() == 1 || (segs.len() == 2 && !is("ServiceProviderConfig"));
                    return Err(if known {
                        Failure::method_not_allowed(method, "GET")
                    } else {
                        Failure::not_found("no such endpoint")
                    });
                }
                if !is("ServiceProviderConfig") && query.contains_key("filter") {
                    return Err(Failure::new(
                        403,
                        None,
                        "the discovery endpoints take no filter (RFC 7644 §4)",
                    ));
                }
                match segs {
                    [_] if is("ServiceProviderConfig") => {
                        Ok(ok(discovery::service_provider_config(config)))
                    }
                    [_] if is("ResourceTypes") => Ok(ok(discovery::resource_types(config))),
                    [_, name] if is("ResourceTypes") => {
                        discovery::resource_type(config, name).map(ok)
                    }
                    [_] => Ok(ok(discovery::schemas(config))),
                    [_, id] if is("Schemas") => discovery::schema(config, id).map(ok),
                    _ => Err(Failure::not_found("no such endpoint")),
                }
            }

            ("POST", [_]) if is("Bulk") => self.bulk(config, body.unwrap_or(Value::Null)),
            (_, [_]) if is("Bulk") => Err(Failure::method_not_allowed(method, "POST")),

            // RFC 7644 §3.11: /Me when the token says who "me" is; 501 otherwise.
            ("GET", [_]) if is("Me") => {
                let Some(me) = me else {
                    return Err(Failure::new(
                        501,
                        None,
                        "/Me needs a token from the token server",
                    ));
                };
                let id = self
                    .store(Kind::User)
                    .find_user_name(me)
                    .ok_or_else(|| Failure::not_found(format!("no user named {me}")))?;
                self.get(config, Kind::User, &id, query, headers)
            }
            (_, [_, ..]) if is("Me") => Err(Failure::new(501, None, "/Me supports GET only")),

            (_, [endpoint, rest @ ..]) => {
                let Some(kind) = Kind::from_endpoint(endpoint) else {
                    return Err(Failure::not_found(format!("no endpoint /{endpoint}")));
                };
                match (method, rest) {
                    ("GET", []) => self.list(config, &[kind], query),
                    ("POST", []) => self.create(config, kind, body, query),
                    (_, []) => Err(Failure::method_not_allowed(method, "GET, POST")),
                    ("POST", [".search"]) => {
                        let params =
                            search_params(body.unwrap_or(Value::Null), config.strict_requests)?;
                        self.list(config, &[kind], &params)
                    }
                    (_, [".search"]) => Err(Failure::method_not_allowed(method, "POST")),
                    ("GET", [id]) => self.get(config, kind, id, query, headers),
                    ("PUT", [id]) => self.replace(config, kind, id, body, query, headers),
                    ("PATCH", [id]) => self.patch(config, kind, id, body, query, headers),
                    ("DELETE", [id]) => self.delete(config, kind, id, headers),
                    (_, [_]) => Err(Failure::method_not_allowed(
                        method,
                        "GET, PUT, PATCH, DELETE",
                    )),
                    _ => Err(Failure::not_found("no such endpoint")),
                }
            }
        }
    }
}
