//! The SCIM server's HTTP side: authentication, request decoding, the answer's shape, and
//! the routing of a request to its handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::answer::{Failure, Outcome, Reply};
use super::config::{Config, SCIM_BASE_PATH};
use super::discovery;
use super::list::search_params;
use super::store::{Kind, State};
use crate::mock::serve::{Answer, Request, Service};
use crate::mock::util::{lock, percent_decode};

/// The SCIM server behind the shared pipeline.
pub(super) struct ScimResponder {
    pub(super) state: Arc<Mutex<State>>,
    pub(super) config: Arc<Config>,
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.header(name).map(str::to_owned)
}

impl Service for ScimResponder {
    fn answer(&self, request: &Request, _seq: u64) -> Answer {
        let body: Option<Value> = if request.body.is_empty() {
            None
        } else {
            serde_json::from_slice(&request.body).ok()
        };
        let config = &*self.config;
        let outcome = {
            let mut state = lock(&self.state);
            self.handle(&mut state, request, body)
        };
        match outcome {
            Ok(reply) => {
                let mut t = Answer::new(reply.status);
                if let Some(etag) = reply.etag.filter(|_| config.etags) {
                    t = t.insert_header("etag", &etag);
                }
                if let Some(location) = reply.location {
                    t = t.insert_header("location", &location);
                }
                if let Some(body) = reply.body {
                    t = t.set_body_raw(body.to_string(), config.content_type);
                }
                t
            }
            Err(failure) => {
                let mut t = Answer::new(failure.status)
                    .set_body_raw(failure.body().to_string(), config.content_type);
                if failure.status == 401 {
                    t = t.insert_header("www-authenticate", "Bearer realm=\"scimkit-mock\"");
                }
                t
            }
        }
    }
}

impl ScimResponder {
    fn authorised(&self, request: &Request) -> bool {
        let auth = header(request, "authorization");
        let Some(auth) = auth.as_deref() else {
            return false;
        };
        if let Some((scheme, token)) = auth.trim().split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
            && token.trim() == self.config.bearer
        {
            return true;
        }
        self.config
            .validator
            .as_ref()
            .is_some_and(|v| v.validate(Some(auth)).is_some())
    }

    fn handle(&self, state: &mut State, request: &Request, body: Option<Value>) -> Outcome {
        if !self.authorised(request) {
            return Err(Failure::new(401, None, "missing or invalid bearer token"));
        }
        if !request.body.is_empty() && body.is_none() {
            return Err(Failure::bad("invalidSyntax", "the body is not JSON"));
        }
        let Some(rest) = request.url.path().strip_prefix(SCIM_BASE_PATH) else {
            return Err(Failure::not_found("not a SCIM endpoint"));
        };
        let segments: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let query: HashMap<String, String> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
            .collect();
        let mut headers = HashMap::new();
        for name in ["if-match", "if-none-match"] {
            if let Some(v) = header(request, name) {
                headers.insert(name, v);
            }
        }
        let me = if segs.first().is_some_and(|s| s.eq_ignore_ascii_case("Me")) {
            self.config
                .validator
                .as_ref()
                .and_then(|v| v.validate(header(request, "authorization").as_deref()))
                .map(|info| info.client_id)
        } else {
            None
        };
        state.dispatch(
            &self.config,
            request.method.as_str(),
            &segs,
            &query,
            &headers,
            body,
            me.as_deref(),
        )
    }
}

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
        match (method, segs) {
            ("GET", ["ServiceProviderConfig"]) => {
                Ok(ok(discovery::service_provider_config(config)))
            }
            ("GET", ["ResourceTypes"]) => Ok(ok(discovery::resource_types(config))),
            ("GET", ["ResourceTypes", name]) => discovery::resource_type(config, name).map(ok),
            ("GET", ["Schemas"]) => Ok(ok(discovery::schemas())),
            ("GET", ["Schemas", id]) => discovery::schema(id).map(ok),
            ("POST", ["Bulk"]) => self.bulk(config, body.unwrap_or(Value::Null)),
            ("GET", ["Me"]) => {
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
            (_, [endpoint, rest @ ..]) => {
                let Some(kind) = Kind::from_endpoint(endpoint) else {
                    return Err(Failure::not_found(format!("no endpoint /{endpoint}")));
                };
                match (method, rest) {
                    ("GET", []) => self.list(config, kind, query),
                    ("POST", []) => self.create(config, kind, body),
                    ("POST", [".search"]) => {
                        let params = search_params(body.unwrap_or(Value::Null))?;
                        self.list(config, kind, &params)
                    }
                    ("GET", [id]) => self.get(config, kind, id, query, headers),
                    ("PUT", [id]) => self.replace(config, kind, id, body, headers),
                    ("PATCH", [id]) => self.patch(config, kind, id, body, headers),
                    ("DELETE", [id]) => self.delete(config, kind, id, headers),
                    _ => Err(Failure::new(
                        405,
                        None,
                        format!("{method} is not supported here"),
                    )),
                }
            }
            _ => Err(Failure::not_found("no such endpoint")),
        }
    }
}
