//! `ScimServer` and its builder: starting the server, seeding and inspecting its state.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::config::{Config, SCIM_BASE_PATH};
use super::kind::Kind;
use super::responder::ScimResponder;
use super::store::State;
use crate::BearerToken;
use crate::mock::core::{Core, LOOPBACK};
use crate::mock::record::{DEFAULT_MAX_RECORDS, RecordedRequest};
use crate::mock::util::{lock, random_token};
use crate::mock::{Faults, TokenServer, TokenValidator};
use crate::scim::{Group, ScimClient, User, schema};
use crate::transport::Transport;

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
    address: SocketAddr,
    max_records: usize,
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
            .field("address", &self.address)
            .field("max_records", &self.max_records)
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
            address: LOOPBACK,
            max_records: DEFAULT_MAX_RECORDS,
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

    /// Records every request for [`ScimServer::requests`] (default `true`); `false` is
    /// `max_records(0)`.
    pub fn record_requests(self, record: bool) -> Self {
        self.max_records(if record { DEFAULT_MAX_RECORDS } else { 0 })
    }

    /// How many requests to keep for [`ScimServer::requests`] (default 10,000; the oldest
    /// go first; 0 keeps none, the count still runs).
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }

    /// Where to listen (default `127.0.0.1:0`, a port the OS picks).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    /// If the address cannot be bound (for the default, if 127.0.0.1 has no free port);
    /// [`try_start`](Self::try_start) returns the error instead.
    #[allow(clippy::expect_used)]
    pub async fn start(self) -> ScimServer {
        self.try_start()
            .await
            .expect("the mock SCIM server could not bind its address")
    }

    /// Starts the server, or says why it could not bind its address.
    pub async fn try_start(self) -> io::Result<ScimServer> {
        let bearer = self.bearer.unwrap_or_else(|| random_token(32));
        let state = Arc::new(Mutex::new(State::default()));
        let mut config = None;
        let core = Core::start(self.address, SCIM_BASE_PATH, self.max_records, |uri| {
            let built = Arc::new(Config {
                bearer,
                validator: self.validator,
                base_url: format!("{uri}{SCIM_BASE_PATH}"),
                max_results: self.max_results,
                bulk_max_operations: self.bulk_max_operations,
                bulk_max_payload: self.bulk_max_payload,
                cursor_paging: self.cursor_paging,
                etags: self.etags,
                patch_no_content: self.patch_no_content,
                content_type: self.content_type,
                strict_requests: self.strict_requests,
                require_existing_members: self.require_existing_members,
            });
            config = Some(built.clone());
            ScimResponder {
                state: state.clone(),
                config: built,
            }
        })?;
        let config = config.ok_or_else(|| io::Error::other("the SCIM server was not built"))?;
        Ok(ScimServer {
            core,
            state,
            config,
        })
    }
}

/// An in-memory SCIM 2.0 service provider for tests and demos.
///
/// It follows the service provider's MUSTs of RFC 7643 and RFC 7644 for what it serves
/// (the crate's `tests/scim_conformance.rs` walks them; its interop tier runs outside SCIM
/// checkers and clients against it). Users (with the enterprise extension) and Groups get ids,
/// `meta` (created, lastModified, location, version) and ETags; `/Schemas` declares every
/// attribute it returns, and its types and mutability rule what a write may set and how
/// filters compare (`caseExact`, dateTimes by time); a duplicate `userName` is a 409
/// `uniqueness`; queries work on each endpoint and at the root, by GET or `.search`, and
/// page by `startIndex`/`count` (and by RFC 9865 cursor when enabled); PATCH follows
/// RFC 7644 (paths naming a whole extension included) and also takes Okta's
/// replace-without-path and Entra's capitalised ops; `/Bulk` resolves `bulkId`s, forward
/// and circular references included; a method a path does not take is a 405 with `Allow`.
///
/// Where the RFCs let a server choose, it does what real servers do: members it does not
/// hold are kept (see [`require_existing_members`](ScimServerBuilder::require_existing_members)),
/// requests that break a client's MUST are repaired or tolerated (see
/// [`strict_requests`](ScimServerBuilder::strict_requests)), a PUT clears the attributes it
/// omits but keeps the password, PATCH answers 200 with the resource (see
/// [`patch_returns_no_content`](ScimServerBuilder::patch_returns_no_content)), and
/// attributes no schema declares are stored and returned as sent. It serves plain HTTP on
/// loopback, not TLS. Requests need `Authorization: Bearer` with
/// the server's static token or, when built with
/// [`token_server`](ScimServerBuilder::token_server), a token that server issued.
/// [`faults`](Self::faults) aims failures at chosen requests, and every request is
/// [recorded](Self::requests).
///
/// State can be seeded and read back with the crate's own types, without HTTP:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::ScimServer;
/// use scimkit::scim::{Group, User};
///
/// let server = ScimServer::start().await;
/// let ada = server.seed_user(User::new("ada")).unwrap();
/// let admins = server.seed_group(Group::new("Admins")).unwrap();
/// server.seed_membership(&admins, &ada);
///
/// let scim = server.client();
/// scim.users().create(&User::new("alice")).await?;
/// assert_eq!(server.users().len(), 2);
/// assert_eq!(server.group(&admins).unwrap().members[0].value, Some(ada));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ScimServer {
    core: Core,
    state: Arc<Mutex<State>>,
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

    /// The server's root URI (`http://127.0.0.1:<port>`).
    pub fn uri(&self) -> String {
        self.core.uri()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.core.address()
    }

    /// The static bearer token the server accepts.
    pub fn bearer_token(&self) -> &str {
        &self.config.bearer
    }

    /// A SCIM client for this server, authenticated with its static bearer token.
    pub fn client(&self) -> ScimClient {
        self.client_with(Transport::default())
    }

    /// A SCIM client for this server with its static bearer token and the given transport.
    ///
    /// # Panics
    /// Never in practice: the mock's loopback URL always builds.
    #[allow(clippy::expect_used)]
    pub fn client_with(&self, transport: Transport) -> ScimClient {
        ScimClient::builder()
            .base_url(self.base_url())
            .auth(BearerToken::new(self.config.bearer.clone()))
            .transport(transport)
            .build()
            .expect("the mock SCIM client builds")
    }

    /// The server's fault rules.
    pub fn faults(&self) -> &Faults {
        &self.core.faults
    }

    /// Every user as a client would read it (`groups` computed, no password), in creation
    /// order.
    pub fn users(&self) -> Vec<User> {
        self.read_all(Kind::User)
    }

    /// Every group as a client would read it, in creation order.
    pub fn groups(&self) -> Vec<Group> {
        self.read_all(Kind::Group)
    }

    /// One user by id, as a client would read it.
    pub fn user(&self, id: &str) -> Option<User> {
        self.read(Kind::User, id)
    }

    /// One group by id, as a client would read it.
    pub fn group(&self, id: &str) -> Option<Group> {
        self.read(Kind::Group, id)
    }

    /// One user by id exactly as stored (with `meta` and any password, without computed
    /// `groups`), for checks on the raw document.
    pub fn user_json(&self, id: &str) -> Option<Value> {
        lock(&self.state).store(Kind::User).get(id).cloned()
    }

    /// One group by id exactly as stored.
    pub fn group_json(&self, id: &str) -> Option<Value> {
        lock(&self.state).store(Kind::Group).get(id).cloned()
    }

    /// How many users are stored.
    pub fn user_count(&self) -> usize {
        lock(&self.state).store(Kind::User).len()
    }

    /// Stores a user directly (no HTTP); its id, or `None` if the server would refuse it
    /// (no `userName`, or one already taken).
    pub fn seed_user(&self, user: User) -> Option<String> {
        self.seed(Kind::User, &user, schema::USER)
    }

    /// Stores users directly (no HTTP), e.g. to seed a large directory; returns the ids of
    /// those stored (one the server would refuse is left out).
    pub fn seed_users<I: IntoIterator<Item = User>>(&self, users: I) -> Vec<String> {
        users
            .into_iter()
            .filter_map(|u| self.seed_user(u))
            .collect()
    }

    /// Stores `n` users `user{i}@example.com` (display name `User {i}`, active) directly;
    /// returns their ids in order. Numbering goes on from the users already stored.
    pub fn seed_sample_users(&self, n: usize) -> Vec<String> {
        let start = self.user_count();
        self.seed_users((start..start.saturating_add(n)).map(|i| {
            User::new(format!("user{i}@example.com"))
                .display_name(format!("User {i}"))
                .active(true)
        }))
    }

    /// Stores a group directly (no HTTP), members included; its id, or `None` if the server
    /// would refuse it (no `displayName`, or, when built with
    /// [`require_existing_members`](ScimServerBuilder::require_existing_members), a member
    /// that does not exist).
    pub fn seed_group(&self, group: Group) -> Option<String> {
        self.seed(Kind::Group, &group, schema::GROUP)
    }

    /// Stores groups directly; returns the ids of those stored.
    pub fn seed_groups<I: IntoIterator<Item = Group>>(&self, groups: I) -> Vec<String> {
        groups
            .into_iter()
            .filter_map(|g| self.seed_group(g))
            .collect()
    }

    /// Adds a member (a user's or a group's id) to a group directly, as a PATCH `add` would;
    /// `false` if the group or the member does not exist.
    pub fn seed_membership(&self, group_id: &str, member_id: &str) -> bool {
        let mut state = lock(&self.state);
        if state.find_any(member_id).is_none() {
            return false;
        }
        let Some(current) = state.store(Kind::Group).get(group_id).cloned() else {
            return false;
        };
        let mut next = current.clone();
        let Some(map) = next.as_object_mut() else {
            return false;
        };
        let members = map.entry("members").or_insert_with(|| json!([]));
        if let Value::Array(list) = members {
            if list
                .iter()
                .any(|m| m.get("value").and_then(Value::as_str) == Some(member_id))
            {
                return true;
            }
            list.push(json!({ "value": member_id }));
        }
        state
            .update(
                &self.config,
                Kind::Group,
                group_id,
                &current,
                next,
                &Default::default(),
            )
            .is_ok()
    }

    /// The requests received, oldest first, faulted or not (the last
    /// [`max_records`](ScimServerBuilder::max_records) of them).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.core.requests()
    }

    /// How many requests arrived (also counted when recording is off).
    pub fn request_count(&self) -> usize {
        self.core.request_count()
    }

    /// Forgets recorded requests and the request count, and disarms every fault; stored
    /// users and groups stay.
    pub fn reset(&self) {
        self.core.reset();
    }

    /// Forgets recorded requests.
    #[deprecated(since = "0.1.0", note = "use `reset`, the name all mocks share")]
    pub fn clear_requests(&self) {
        self.core.recorder.reset();
    }

    fn seed<T: serde::Serialize>(&self, kind: Kind, resource: &T, core: &str) -> Option<String> {
        let value = crate::scim::resource_body(resource, core).ok()?;
        lock(&self.state).insert(&self.config, kind, value).ok()
    }

    fn read<T: DeserializeOwned>(&self, kind: Kind, id: &str) -> Option<T> {
        let state = lock(&self.state);
        let stored = state.store(kind).get(id)?;
        serde_json::from_value(state.render(kind, stored, &Default::default())).ok()
    }

    fn read_all<T: DeserializeOwned>(&self, kind: Kind) -> Vec<T> {
        let state = lock(&self.state);
        state
            .store(kind)
            .iter()
            .filter_map(|v| serde_json::from_value(state.render(kind, v, &Default::default())).ok())
            .collect()
    }
}
