//! `ScimServer` and its builder: starting the server, seeding and inspecting its state.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wiremock::{Mock, MockServer, matchers::any};

use super::config::{Config, SCIM_BASE_PATH};
use super::record::ScimRecordedRequest;
use super::responder::ScimResponder;
use super::store::{Kind, State};
use crate::mock::util::{lock, random_token};
use crate::mock::{Faults, TokenServer, TokenValidator};
use crate::scim::{User, schema};

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
    strict_requests: bool,
    require_existing_members: bool,
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
            .field("strict_requests", &self.strict_requests)
            .field("require_existing_members", &self.require_existing_members)
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
            strict_requests: false,
            require_existing_members: false,
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

    /// Refuses requests that break one of the client's MUSTs in RFC 7643/7644, where a
    /// lenient server (the default, like most real ones) accepts or repairs them: a PatchOp,
    /// SearchRequest or BulkRequest body whose `schemas` does not name its message, a bulk
    /// POST without `bulkId`, and a multi-valued attribute with more than one `primary`
    /// value (repaired by default: the first stays primary). Refusals are 400 with
    /// `scimType` `invalidSyntax` or `invalidValue`. Default `false`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = scimkit::mock::ScimServer::builder().strict_requests(true).start().await;
    /// # let _ = server;
    /// # }
    /// ```
    pub fn strict_requests(mut self, strict: bool) -> Self {
        self.strict_requests = strict;
        self
    }

    /// Refuses (400 `invalidValue`) a group whose `members` name a resource the server does
    /// not hold. By default such members are kept, as RFC 7644 allows and real servers do
    /// (the member may be provisioned later). Default `false`.
    pub fn require_existing_members(mut self, require: bool) -> Self {
        self.require_existing_members = require;
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
        let bearer = self.bearer.unwrap_or_else(|| random_token(32));
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
            strict_requests: self.strict_requests,
            require_existing_members: self.require_existing_members,
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
