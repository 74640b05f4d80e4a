//! `ScimServer`: an in-memory, stateful SCIM 2.0 service provider on wiremock.

mod discovery;
mod patch;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

use super::{Fault, Faults, TokenServer, TokenValidator};
use crate::scim::{Filter, Patch, User, schema};
use store::{Kind, State};

/// The path under the server's URI where the SCIM endpoints live.
pub const SCIM_BASE_PATH: &str = "/scim/v2";

/// A SCIM error the mock answers with.
#[derive(Debug)]
pub(crate) struct Failure {
    status: u16,
    scim_type: Option<&'static str>,
    detail: String,
}

impl Failure {
    fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Failure {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub(crate) fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Failure::new(400, Some(scim_type), detail)
    }
    pub(crate) fn server(detail: impl Into<String>) -> Self {
        Failure::new(500, None, detail)
    }
    fn not_found(detail: impl Into<String>) -> Self {
        Failure::new(404, None, detail)
    }
    fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [schema::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(o)) = (self.scim_type, body.as_object_mut()) {
            o.insert("scimType".into(), Value::String(t.into()));
        }
        body
    }
}

/// A successful answer.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    status: u16,
    body: Option<Value>,
    etag: Option<String>,
    location: Option<String>,
}

type Outcome = Result<Reply, Failure>;

/// A request the server received, for assertions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScimRecordedRequest {
    /// The method.
    pub method: String,
    /// The path (from the server's root).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `If-Match` header.
    pub if_match: Option<String>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

#[derive(Clone)]
pub(crate) struct Config {
    bearer: String,
    validator: Option<TokenValidator>,
    pub(crate) base_url: String,
    pub(crate) max_results: u64,
    pub(crate) bulk_max_operations: u64,
    pub(crate) bulk_max_payload: u64,
    pub(crate) cursor_paging: bool,
    pub(crate) etags: bool,
    patch_no_content: bool,
    content_type: &'static str,
    record_requests: bool,
}

/// Builds a [`ScimServer`]; every setting has a default.
pub struct ScimServerBuilder {
    bearer: Option<String>,
    validator: Option<TokenValidator>,
    max_results: u64,
    bulk_max_operations: u64,
    bulk_max_payload: u64,
    cursor_paging: bool,
    etags: bool,
    patch_no_content: bool,
    content_type: &'static str,
    record_requests: bool,
}

impl fmt::Debug for ScimServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimServerBuilder")
            .field("bearer", &self.bearer.as_ref().map(|_| "[redacted]"))
            .field("token_server", &self.validator.is_some())
            .field("max_results", &self.max_results)
            .field("bulk_max_operations", &self.bulk_max_operations)
            .field("bulk_max_payload", &self.bulk_max_payload)
            .field("cursor_paging", &self.cursor_paging)
            .field("etags", &self.etags)
            .field("patch_no_content", &self.patch_no_content)
            .field("content_type", &self.content_type)
            .field("record_requests", &self.record_requests)
            .finish()
    }
}

impl Default for ScimServerBuilder {
    fn default() -> Self {
        ScimServerBuilder {
            bearer: None,
            validator: None,
            max_results: 200,
            bulk_max_operations: 100,
            bulk_max_payload: 1024 * 1024,
            cursor_paging: false,
            etags: true,
            patch_no_content: false,
            content_type: "application/scim+json",
            record_requests: true,
        }
    }
}

impl ScimServerBuilder {
    /// The static bearer token the server accepts (default: a random one, see
    /// [`ScimServer::bearer_token`]).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// Also accepts live tokens issued by this [`TokenServer`].
    pub fn token_server(mut self, token_server: &TokenServer) -> Self {
        self.validator = Some(token_server.validator());
        self
    }

    /// The most resources one page returns, advertised as `filter.maxResults` (default 200).
    pub fn max_results(mut self, max: u64) -> Self {
        self.max_results = max;
        self
    }

    /// Bulk `maxOperations` and `maxPayloadSize` (default 100 and 1 MiB).
    pub fn bulk_limits(mut self, max_operations: u64, max_payload_size: u64) -> Self {
        self.bulk_max_operations = max_operations;
        self.bulk_max_payload = max_payload_size;
        self
    }

    /// Offers RFC 9865 cursor paging as the default method (default `false`).
    pub fn cursor_paging(mut self, enabled: bool) -> Self {
        self.cursor_paging = enabled;
        self
    }

    /// Supports ETags (`If-Match`, `If-None-Match`) (default `true`).
    pub fn etags(mut self, enabled: bool) -> Self {
        self.etags = enabled;
        self
    }

    /// Answers PATCH with 204 and no body instead of 200 and the resource (default `false`).
    pub fn patch_returns_no_content(mut self, no_content: bool) -> Self {
        self.patch_no_content = no_content;
        self
    }

    /// Labels JSON answers `application/json` instead of `application/scim+json`, as many
    /// servers do (default `false`).
    pub fn plain_json(mut self, plain: bool) -> Self {
        self.content_type = if plain {
            "application/json"
        } else {
            "application/scim+json"
        };
        self
    }

    /// Records every request for [`ScimServer::requests`] (default `true`; turn off for
    /// long benchmarks).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Starts the server on 127.0.0.1 and an OS-chosen port.
    pub async fn start(self) -> ScimServer {
        let server = MockServer::start().await;
        let bearer = self.bearer.unwrap_or_else(|| {
            std::iter::repeat_with(fastrand::alphanumeric)
                .take(32)
                .collect()
        });
        let config = Arc::new(Config {
            bearer,
            validator: self.validator,
            base_url: format!("{}{SCIM_BASE_PATH}", server.uri()),
            max_results: self.max_results,
            bulk_max_operations: self.bulk_max_operations,
            bulk_max_payload: self.bulk_max_payload,
            cursor_paging: self.cursor_paging,
            etags: self.etags,
            patch_no_content: self.patch_no_content,
            content_type: self.content_type,
            record_requests: self.record_requests,
        });
        let state = Arc::new(Mutex::new(State::default()));
        let faults = Faults::default();
        faults.mount_drop_connection(&server).await;
        Mock::given(any())
            .respond_with(ScimResponder {
                state: state.clone(),
                faults: faults.clone(),
                config: config.clone(),
            })
            .named("scimkit mock SCIM server")
            .mount(&server)
            .await;
        ScimServer {
            server: Arc::new(server),
            state,
            faults,
            config,
        }
    }
}

/// An in-memory SCIM 2.0 service provider for tests and demos.
///
/// Users and Groups get ids, `meta` (created, lastModified, location, version) and ETags;
/// a duplicate `userName` is a 409 `uniqueness`; filters are evaluated with
/// [`Filter`](crate::scim::Filter); list and `.search` page by `startIndex`/`count` (and by
/// RFC 9865 cursor when enabled); PATCH follows RFC 7644 and also takes Okta's
/// replace-without-path and Entra's capitalised ops; `/Bulk` resolves `bulkId`s; the
/// discovery endpoints describe what it does. Requests need `Authorization: Bearer` with
/// the server's static token or, when built with
/// [`token_server`](ScimServerBuilder::token_server), a token that server issued.
/// [`faults`](Self::faults) injects failures.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::ScimServer;
/// use scimkit::scim::{ScimClient, User};
///
/// let server = ScimServer::start().await;
/// let scim = ScimClient::builder()
///     .base_url(server.base_url())
///     .auth(scimkit::BearerToken::new(server.bearer_token().to_string()))
///     .build()?;
/// scim.users().create(&User::new("alice")).await?;
/// assert_eq!(server.users()[0]["userName"], "alice");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ScimServer {
    server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
    faults: Faults,
    config: Arc<Config>,
}

impl fmt::Debug for ScimServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimServer")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ScimServer {
    /// Starts a server with every default.
    pub async fn start() -> ScimServer {
        ScimServerBuilder::default().start().await
    }

    /// Starts a [`ScimServerBuilder`].
    pub fn builder() -> ScimServerBuilder {
        ScimServerBuilder::default()
    }

    /// The SCIM base URL (`http://127.0.0.1:<port>/scim/v2`).
    pub fn base_url(&self) -> String {
        self.config.base_url.clone()
    }

    /// The server's root URI.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The static bearer token the server accepts.
    pub fn bearer_token(&self) -> &str {
        &self.config.bearer
    }

    /// The fault queue: the next requests fail as queued.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every user as stored (with `meta`, without computed `groups`), in creation order.
    pub fn users(&self) -> Vec<Value> {
        lock(&self.state).store(Kind::User).all()
    }

    /// Every group as stored, in creation order.
    pub fn groups(&self) -> Vec<Value> {
        lock(&self.state).store(Kind::Group).all()
    }

    /// One user by id.
    pub fn user(&self, id: &str) -> Option<Value> {
        lock(&self.state).store(Kind::User).get(id).cloned()
    }

    /// One group by id.
    pub fn group(&self, id: &str) -> Option<Value> {
        lock(&self.state).store(Kind::Group).get(id).cloned()
    }

    /// Stores users directly (no HTTP), e.g. to seed a large directory; returns their ids.
    pub fn seed_users<I: IntoIterator<Item = User>>(&self, users: I) -> Vec<String> {
        let mut state = lock(&self.state);
        users
            .into_iter()
            .filter_map(|u| {
                let value = crate::scim::resource_body(&u, schema::USER).ok()?;
                state.insert(&self.config, Kind::User, value).ok()
            })
            .collect()
    }

    /// Requests received so far, oldest first.
    pub fn requests(&self) -> Vec<ScimRecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// How many requests arrived (also counted when recording is off).
    pub fn request_count(&self) -> usize {
        lock(&self.state).request_count
    }

    /// Forgets recorded requests.
    pub fn clear_requests(&self) {
        let mut state = lock(&self.state);
        state.requests.clear();
        state.request_count = 0;
    }
}

struct ScimResponder {
    state: Arc<Mutex<State>>,
    faults: Faults,
    config: Arc<Config>,
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Respond for ScimResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut delay = None;
        match self.faults.take() {
            Some(Fault::Delay(d)) => delay = Some(d),
            Some(fault) => {
                if let Some(response) = fault.response() {
                    return response;
                }
            }
            None => {}
        }
        let body: Option<Value> = if request.body.is_empty() {
            None
        } else {
            serde_json::from_slice(&request.body).ok()
        };
        let config = &*self.config;
        let mut state = lock(&self.state);
        state.request_count += 1;
        if config.record_requests {
            state.requests.push(ScimRecordedRequest {
                method: request.method.to_string(),
                path: request.url.path().to_owned(),
                query: request.url.query().map(str::to_owned),
                content_type: header(request, "content-type"),
                if_match: header(request, "if-match"),
                if_none_match: header(request, "if-none-match"),
                body: body.clone(),
            });
        }
        let outcome = self.handle(&mut state, request, body);
        drop(state);
        let mut template = match outcome {
            Ok(reply) => {
                let mut t = ResponseTemplate::new(reply.status);
                if let Some(etag) = reply.etag.filter(|_| config.etags) {
                    t = t.insert_header("etag", etag.as_str());
                }
                if let Some(location) = reply.location {
                    t = t.insert_header("location", location.as_str());
                }
                if let Some(body) = reply.body {
                    t = t.set_body_raw(body.to_string(), config.content_type);
                }
                t
            }
            Err(failure) => {
                let mut t = ResponseTemplate::new(failure.status)
                    .set_body_raw(failure.body().to_string(), config.content_type);
                if failure.status == 401 {
                    t = t.insert_header("www-authenticate", "Bearer realm=\"scimkit-mock\"");
                }
                t
            }
        };
        if let Some(d) = delay {
            template = template.set_delay(d);
        }
        template
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

fn percent_decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}

impl State {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch(
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

    fn get(
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

    fn create(&mut self, config: &Config, kind: Kind, body: Option<Value>) -> Outcome {
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

    fn replace(
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

    fn patch(
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

    fn delete(
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

    fn list(&mut self, config: &Config, kind: Kind, query: &HashMap<String, String>) -> Outcome {
        let filter = match query.get("filter").filter(|f| !f.trim().is_empty()) {
            Some(text) => Some(
                Filter::parse(text).map_err(|e| Failure::bad("invalidFilter", e.to_string()))?,
            ),
            None => None,
        };
        let number = |name: &str| -> Result<Option<i64>, Failure> {
            match query.get(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                    Failure::bad("invalidValue", format!("{name} must be an integer"))
                }),
            }
        };
        let count = number("count")?
            .map_or(config.max_results, |c| u64::try_from(c.max(0)).unwrap_or(0))
            .min(config.max_results);
        let cursor = query.get("cursor").filter(|_| config.cursor_paging);
        let start = match cursor {
            Some(c) if c.is_empty() => 1,
            Some(c) => store::decode_cursor(c)
                .ok_or_else(|| Failure::bad("invalidCursor", "unknown cursor"))?,
            None => number("startindex")?.map_or(1, |s| u64::try_from(s.max(1)).unwrap_or(1)),
        };
        let sort_by = query.get("sortby").filter(|s| !s.is_empty());
        let descending = query
            .get("sortorder")
            .is_some_and(|o| o.eq_ignore_ascii_case("descending"));
        let store = self.store(kind);
        let (total, page): (u64, Vec<&Value>) = if filter.is_none() && sort_by.is_none() {
            let total = store.len() as u64;
            let page = store
                .iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .collect();
            (total, page)
        } else {
            let mut all: Vec<&Value> = store
                .iter()
                .filter(|v| filter.as_ref().is_none_or(|f| f.matches_json(v)))
                .collect();
            if let Some(sort_by) = sort_by {
                let path = crate::scim::AttrPath::new(sort_by);
                all.sort_by_cached_key(|v| store::sort_key(v, &path));
                if descending {
                    all.reverse();
                }
            }
            let total = all.len() as u64;
            let page = all
                .into_iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .collect();
            (total, page)
        };
        let returned = page.len() as u64;
        let resources: Vec<Value> = page
            .into_iter()
            .map(|v| self.render(kind, v, query))
            .collect();
        let mut body = json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": returned,
            "startIndex": start,
            "Resources": resources,
        });
        if cursor.is_some()
            && let Some(o) = body.as_object_mut()
        {
            o.remove("startIndex");
            if start - 1 + returned < total {
                o.insert(
                    "nextCursor".into(),
                    Value::String(store::encode_cursor(start + returned)),
                );
            }
            if start > 1 {
                let prev = start.saturating_sub(count).max(1);
                o.insert(
                    "previousCursor".into(),
                    Value::String(store::encode_cursor(prev)),
                );
            }
        }
        Ok(Reply {
            status: 200,
            body: Some(body),
            ..Reply::default()
        })
    }

    fn bulk(&mut self, config: &Config, body: Value) -> Outcome {
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
                store::substitute_bulk_ids(data, &ids, &mut unresolved);
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

fn search_params(body: Value) -> Result<HashMap<String, String>, Failure> {
    let Value::Object(map) = body else {
        return Err(Failure::bad("invalidSyntax", "not a SearchRequest"));
    };
    let mut params = HashMap::new();
    for (k, v) in map {
        let text = match v {
            Value::String(s) => s,
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            Value::Null => continue,
            other => other.to_string(),
        };
        params.insert(k.to_ascii_lowercase(), text);
    }
    params.remove("schemas");
    Ok(params)
}
