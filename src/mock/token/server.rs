//! [`TokenServer`] and its builder: starting the endpoint, registering clients, inspecting
//! what it issued.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use secrecy::SecretString;

use super::TOKEN_PATH;
use super::responder::TokenResponder;
use super::state::{MockClient, MockClientAuth, State, TokenRequestRecord, TokenValidator, issue};
use crate::ClientCredentials;
use crate::mock::Faults;
use crate::mock::core::{Core, LOOPBACK};
use crate::mock::record::{DEFAULT_MAX_RECORDS, RecordedRequest};
use crate::mock::util::{Bounded, lock};

/// Configures a [`TokenServer`] before it starts; every setting has a default.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use scimkit::mock::TokenServer;
///
/// let idp = TokenServer::builder()
///     .client("svc", "s3cret")
///     .token_lifetime(Some(Duration::from_secs(60)))
///     .max_records(100)
///     .start()
///     .await;
/// assert!(idp.token_url().ends_with("/oauth2/token"));
/// # }
/// ```
pub struct TokenServerBuilder {
    address: SocketAddr,
    clients: Vec<(String, MockClient)>,
    lifetime: Option<Duration>,
    token_type: String,
    max_records: usize,
}

impl fmt::Debug for TokenServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenServerBuilder")
            .field("address", &self.address)
            .field(
                "clients",
                &self.clients.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("lifetime", &self.lifetime)
            .field("token_type", &self.token_type)
            .field("max_records", &self.max_records)
            .finish()
    }
}

impl Default for TokenServerBuilder {
    fn default() -> Self {
        TokenServerBuilder {
            address: LOOPBACK,
            clients: Vec::new(),
            lifetime: Some(Duration::from_secs(3600)),
            token_type: "Bearer".into(),
            max_records: DEFAULT_MAX_RECORDS,
        }
    }
}

impl TokenServerBuilder {
    /// Where to listen (default `127.0.0.1:0`, a port the OS picks).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Registers a client that may use either client-auth method and any scope.
    pub fn client(self, client_id: &str, secret: &str) -> Self {
        self.client_with(client_id, secret, MockClientAuth::Any, None)
    }

    /// Registers a client with a required auth method and, optionally, the only scopes it
    /// may be granted.
    pub fn client_with(
        mut self,
        client_id: &str,
        secret: &str,
        auth: MockClientAuth,
        allowed_scopes: Option<&[&str]>,
    ) -> Self {
        self.clients.push((
            client_id.to_owned(),
            MockClient::new(secret, auth, allowed_scopes),
        ));
        self
    }

    /// The lifetime of issued tokens (default one hour); `None` omits `expires_in`.
    pub fn token_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The `token_type` of issued tokens (default `Bearer`).
    pub fn token_type(mut self, token_type: &str) -> Self {
        self.token_type = token_type.to_owned();
        self
    }

    /// How many requests (and grants) to keep for [`TokenServer::requests`] (default
    /// 10,000; the oldest go first; 0 keeps none, the count still runs).
    pub fn max_records(mut self, max: usize) -> Self {
        self.max_records = max;
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    /// If the address cannot be bound (for the default, if 127.0.0.1 has no free port);
    /// [`try_start`](Self::try_start) returns the error instead.
    #[allow(clippy::expect_used)]
    pub async fn start(self) -> TokenServer {
        self.try_start()
            .await
            .expect("the mock token server could not bind its address")
    }

    /// Starts the server, or says why it could not bind its address.
    pub async fn try_start(self) -> io::Result<TokenServer> {
        let state = Arc::new(Mutex::new(State {
            clients: self.clients.into_iter().collect::<HashMap<_, _>>(),
            issued: Bounded::default(),
            lifetime: self.lifetime,
            token_type: self.token_type,
            grants: VecDeque::new(),
            max_grants: self.max_records,
        }));
        let responder_state = state.clone();
        let core = Core::start(self.address, "", self.max_records, move |_| {
            TokenResponder {
                state: responder_state,
            }
        })?;
        Ok(TokenServer { core, state })
    }
}

/// An in-process OAuth 2.0 token endpoint on 127.0.0.1 and an OS-chosen port.
///
/// It implements the client-credentials grant as RFC 6749 describes it: registered clients
/// authenticating with a Basic header (id and secret form-decoded, §2.3.1) or in the body,
/// scopes checked against what each client may have, `invalid_client` / `invalid_scope` /
/// `unsupported_grant_type` errors, a configurable token lifetime (or none, to test a missing
/// `expires_in`), [`requests`](Self::requests) recorded and aimed [`Faults`]. The tokens it
/// issues are accepted by the other mock servers through [`TokenServer::validator`]; it keeps
/// the 10,000 most recently issued, so a long-running server stays the same size (an older
/// token is refused, as after a revocation).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::TokenServer;
///
/// let idp = TokenServer::builder().client("svc", "s3cret").start().await;
/// let creds = idp.client_credentials("svc", "s3cret");
/// creds.token().await?;
/// assert_eq!(idp.request_count(), 1);
/// assert_eq!(idp.grants()[0].client_id, "svc");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenServer {
    core: Core,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenServer")
            .field("token_url", &self.token_url())
            .field("request_count", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Starts a server with no clients and a 3600 s token lifetime.
    pub async fn start() -> TokenServer {
        TokenServerBuilder::default().start().await
    }

    /// Starts configuring a server.
    pub fn builder() -> TokenServerBuilder {
        TokenServerBuilder::default()
    }

    /// The token endpoint's URL (`http://127.0.0.1:PORT/oauth2/token`).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.core.uri())
    }

    /// The server's root URI (`http://127.0.0.1:PORT`).
    pub fn uri(&self) -> String {
        self.core.uri()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.core.address()
    }

    /// Registers a client that may use either client-auth method and any scope.
    pub fn register_client(&self, client_id: &str, secret: &str) {
        self.register_client_with(client_id, secret, MockClientAuth::Any, None);
    }

    /// Registers a client with a required auth method and, optionally, the only scopes it
    /// may be granted.
    pub fn register_client_with(
        &self,
        client_id: &str,
        secret: &str,
        auth: MockClientAuth,
        allowed_scopes: Option<&[&str]>,
    ) {
        self.lock().clients.insert(
            client_id.to_owned(),
            MockClient::new(secret, auth, allowed_scopes),
        );
    }

    /// Client credentials for `client_id` and `secret` against this endpoint (Basic-header
    /// client auth, no scope), ready to hand to a SCIM or Okta client.
    ///
    /// # Panics
    /// Never in practice: the mock's loopback URL is always a valid token URL.
    #[allow(clippy::expect_used)]
    pub fn client_credentials(&self, client_id: &str, secret: &str) -> ClientCredentials {
        ClientCredentials::builder()
            .token_url(self.token_url())
            .client_id(client_id)
            .client_secret(SecretString::from(secret.to_owned()))
            .build()
            .expect("the mock client credentials build")
    }

    /// Sets the lifetime of tokens issued from now on; `None` omits `expires_in`.
    pub fn set_token_lifetime(&self, lifetime: Option<Duration>) {
        self.lock().lifetime = lifetime;
    }

    /// Sets the `token_type` of tokens issued from now on (default `Bearer`).
    pub fn set_token_type(&self, token_type: &str) {
        self.lock().token_type = token_type.to_owned();
    }

    /// How many requests the server received (faulted and failed ones included).
    pub fn request_count(&self) -> usize {
        self.core.request_count()
    }

    /// How many requests reached the token endpoint (faults and failures included).
    #[deprecated(
        since = "0.1.0",
        note = "use `request_count`, the name all mocks share"
    )]
    pub fn token_requests(&self) -> usize {
        self.request_count()
    }

    /// The requests received, oldest first, faulted or not (the last
    /// [`max_records`](TokenServerBuilder::max_records) of them).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.core.requests()
    }

    /// What every successful token request carried, oldest first.
    pub fn grants(&self) -> Vec<TokenRequestRecord> {
        self.lock().grants.iter().cloned().collect()
    }

    /// What every successful token request carried, oldest first.
    #[deprecated(since = "0.1.0", note = "use `grants`; `requests` lists every request")]
    pub fn records(&self) -> Vec<TokenRequestRecord> {
        self.grants()
    }

    /// Forgets recorded requests, grants and the request count, and disarms every fault;
    /// clients and issued tokens stay.
    pub fn reset(&self) {
        self.core.reset();
        self.lock().grants.clear();
    }

    /// The server's fault rules.
    pub fn faults(&self) -> &Faults {
        &self.core.faults
    }

    /// Forgets every issued token, as a server does on key rotation: resource servers
    /// validating through [`TokenServer::validator`] then answer 401.
    pub fn revoke_all(&self) {
        self.lock().issued.clear();
    }

    /// Mints a token directly, without an HTTP request (for seeding resource-server tests).
    pub fn issue_token(&self, client_id: &str, scopes: &[&str]) -> String {
        let mut state = self.lock();
        let lifetime = state.lifetime.unwrap_or(Duration::from_secs(3600));
        issue(
            &mut state,
            client_id,
            scopes.iter().map(|s| (*s).to_owned()).collect(),
            lifetime,
        )
    }

    /// A handle that mock resource servers use to accept this server's tokens.
    pub fn validator(&self) -> TokenValidator {
        TokenValidator {
            state: self.state.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}
