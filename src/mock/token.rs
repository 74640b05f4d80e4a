//! `TokenServer`: an in-process OAuth 2.0 token endpoint (client-credentials grant).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::faults::{Fault, Faults};
use super::oauth::{GrantForm, oauth_error};
use super::util::{form_decode, lock, random_token};

/// The path the token endpoint answers on.
pub const TOKEN_PATH: &str = "/oauth2/token";

/// How a registered client may authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MockClientAuth {
    /// `client_secret_basic` only.
    Basic,
    /// `client_secret_post` only.
    Body,
    /// Either.
    Any,
}

/// How a client authenticated on one token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMethod {
    /// An HTTP Basic header.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

/// What the server saw in one successful token request (for assertions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequestRecord {
    /// The authenticated client.
    pub client_id: String,
    /// How it authenticated.
    pub auth_method: AuthMethod,
    /// The scopes it asked for.
    pub scopes: Vec<String>,
    /// Every other form parameter (`audience`, `resource`, ...), secrets left out.
    pub params: Vec<(String, String)>,
}

/// Who a token was issued to, as a mock resource server learns from a [`TokenValidator`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The client the token was issued to.
    pub client_id: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

struct MockClient {
    secret: String,
    auth: MockClientAuth,
    allowed_scopes: Option<Vec<String>>,
}

struct Issued {
    info: TokenInfo,
    expires_at: Instant,
}

struct State {
    clients: HashMap<String, MockClient>,
    issued: HashMap<String, Issued>,
    lifetime: Option<Duration>,
    token_type: String,
    requests: usize,
    records: Vec<TokenRequestRecord>,
}

/// An in-process OAuth 2.0 token endpoint on 127.0.0.1 and an OS-chosen port.
///
/// It implements the client-credentials grant as RFC 6749 describes it: registered clients
/// authenticating with a Basic header (id and secret form-decoded, §2.3.1) or in the body,
/// scopes checked against what each client may have, `invalid_client` / `invalid_scope` /
/// `unsupported_grant_type` errors, a configurable token lifetime (or none, to test a missing
/// `expires_in`), a count of token requests and [`Faults`] on demand. The tokens it issues are
/// accepted by the other mock servers through [`TokenServer::validator`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use scimkit::mock::TokenServer;
///
/// let idp = TokenServer::start().await;
/// idp.register_client("svc", "s3cret");
/// assert!(idp.token_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(idp.token_requests(), 0);
/// # }
/// ```
#[derive(Clone)]
pub struct TokenServer {
    server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
    faults: Faults,
}

impl fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenServer")
            .field("token_url", &self.token_url())
            .field("token_requests", &self.token_requests())
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Starts the server with no clients and a 3600 s token lifetime.
    pub async fn start() -> TokenServer {
        // The server keeps its own records; wiremock's copy of every request would only grow.
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let state = Arc::new(Mutex::new(State {
            clients: HashMap::new(),
            issued: HashMap::new(),
            lifetime: Some(Duration::from_secs(3600)),
            token_type: "Bearer".into(),
            requests: 0,
            records: Vec::new(),
        }));
        let faults = Faults::default();
        faults.mount_drop_connection(&server).await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(TokenResponder {
                state: state.clone(),
                faults: faults.clone(),
            })
            .named("scimkit mock token endpoint")
            .mount(&server)
            .await;
        TokenServer {
            server: Arc::new(server),
            state,
            faults,
        }
    }

    /// The token endpoint's URL (`http://127.0.0.1:PORT/oauth2/token`).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.uri())
    }

    /// The server's base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
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
            MockClient {
                secret: secret.to_owned(),
                auth,
                allowed_scopes: allowed_scopes
                    .map(|scopes| scopes.iter().map(|s| (*s).to_owned()).collect()),
            },
        );
    }

    /// Sets the lifetime of tokens issued from now on; `None` omits `expires_in`.
    pub fn set_token_lifetime(&self, lifetime: Option<Duration>) {
        self.lock().lifetime = lifetime;
    }

    /// Sets the `token_type` of tokens issued from now on (default `Bearer`).
    pub fn set_token_type(&self, token_type: &str) {
        self.lock().token_type = token_type.to_owned();
    }

    /// How many requests reached the token endpoint (faults and failures included).
    pub fn token_requests(&self) -> usize {
        self.lock().requests
    }

    /// What every successful token request carried, oldest first.
    pub fn records(&self) -> Vec<TokenRequestRecord> {
        self.lock().records.clone()
    }

    /// The fault queue: what the next requests answer instead of a token.
    pub fn faults(&self) -> &Faults {
        &self.faults
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

/// Checks `Authorization: Bearer <token>` headers against the tokens a [`TokenServer`]
/// issued and has not revoked, and that have not expired.
#[derive(Clone)]
pub struct TokenValidator {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for TokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenValidator")
    }
}

impl TokenValidator {
    /// Who the token in an `Authorization` header value belongs to, if it is a live Bearer
    /// token of this server (the scheme is matched case-insensitively).
    pub fn validate(&self, authorization: Option<&str>) -> Option<TokenInfo> {
        let (scheme, token) = authorization?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let state = lock(&self.state);
        let issued = state.issued.get(token.trim())?;
        (Instant::now() < issued.expires_at).then(|| issued.info.clone())
    }
}

fn issue(state: &mut State, client_id: &str, scopes: Vec<String>, lifetime: Duration) -> String {
    let token = random_token(40);
    state.issued.insert(
        token.clone(),
        Issued {
            info: TokenInfo {
                client_id: client_id.to_owned(),
                scopes,
            },
            expires_at: Instant::now() + lifetime,
        },
    );
    token
}

struct TokenResponder {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

impl Respond for TokenResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut delay = None;
        {
            let mut state = lock(&self.state);
            state.requests += 1;
            let request_id = format!("mock-token-{}", state.requests);
            drop(state);
            match self.faults.take() {
                Some(Fault::Delay(d)) => delay = Some(d),
                Some(fault) => {
                    if let Some(template) = fault.response() {
                        return template.insert_header("x-request-id", request_id.as_str());
                    }
                }
                None => {}
            }
        }
        let template = self.answer(request);
        match delay {
            Some(d) => template.set_delay(d),
            None => template,
        }
    }
}

impl TokenResponder {
    fn answer(&self, request: &Request) -> ResponseTemplate {
        let form = match GrantForm::parse(request) {
            Ok(form) => form,
            Err(answer) => return *answer,
        };
        let param = |name: &str| form.get(name);

        let basic = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        let body_secret = param("client_secret");
        let (client_id, secret, auth_method) = match (basic, body_secret) {
            (Some(_), Some(_)) => {
                return oauth_error(
                    400,
                    "invalid_request",
                    "more than one client authentication method",
                );
            }
            (Some(encoded), None) => {
                let decoded = STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                    return oauth_error(401, "invalid_client", "malformed Basic credentials");
                };
                (form_decode(id), form_decode(secret), AuthMethod::Basic)
            }
            (None, Some(secret)) => (
                param("client_id").unwrap_or_default().to_owned(),
                secret.to_owned(),
                AuthMethod::Body,
            ),
            (None, None) => {
                return oauth_error(401, "invalid_client", "client authentication is required");
            }
        };

        let mut state = lock(&self.state);
        let Some(client) = state.clients.get(&client_id) else {
            return oauth_error(401, "invalid_client", "client authentication failed");
        };
        let method_ok = match client.auth {
            MockClientAuth::Any => true,
            MockClientAuth::Basic => auth_method == AuthMethod::Basic,
            MockClientAuth::Body => auth_method == AuthMethod::Body,
        };
        if client.secret != secret || !method_ok {
            return oauth_error(401, "invalid_client", "client authentication failed");
        }
        let scopes: Vec<String> = param("scope")
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(allowed) = &client.allowed_scopes
            && let Some(bad) = scopes.iter().find(|s| !allowed.contains(s))
        {
            return oauth_error(
                400,
                "invalid_scope",
                &format!("scope {bad:?} is not allowed for this client"),
            );
        }
        let params = form
            .pairs()
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "grant_type" | "scope" | "client_id" | "client_secret"
                )
            })
            .cloned()
            .collect();
        state.records.push(TokenRequestRecord {
            client_id: client_id.clone(),
            auth_method,
            scopes: scopes.clone(),
            params,
        });
        let lifetime = state.lifetime;
        let token_type = state.token_type.clone();
        let token = issue(
            &mut state,
            &client_id,
            scopes.clone(),
            lifetime.unwrap_or(Duration::from_secs(3600)),
        );
        let mut body = json!({ "access_token": token, "token_type": token_type });
        if let Some(lifetime) = lifetime {
            body["expires_in"] = json!(lifetime.as_secs());
        }
        if !scopes.is_empty() {
            body["scope"] = json!(scopes.join(" "));
        }
        ResponseTemplate::new(200)
            .insert_header("cache-control", "no-store")
            .insert_header("pragma", "no-cache")
            .set_body_json(body)
    }
}
