//! The SCIM server's HTTP side: authentication, request decoding, the answer's shape, and
//! the routing of a request to its handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::answer::{Failure, Outcome};
use super::config::{Config, SCIM_BASE_PATH};
use super::store::State;
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
                if let Some(location) = reply.content_location {
                    t = t.insert_header("content-location", &location);
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
                if let Some(allow) = failure.allow {
                    t = t.insert_header("allow", allow);
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
