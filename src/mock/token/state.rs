//! The token endpoint's state: registered clients, issued tokens, what each grant carried;
//! and the [`TokenValidator`] resource servers check tokens with.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::mock::util::{Bounded, lock, random_token};

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

pub(crate) struct MockClient {
    pub(crate) secret: String,
    pub(crate) auth: MockClientAuth,
    pub(crate) allowed_scopes: Option<Vec<String>>,
}

impl MockClient {
    pub(crate) fn new(secret: &str, auth: MockClientAuth, allowed_scopes: Option<&[&str]>) -> Self {
        MockClient {
            secret: secret.to_owned(),
            auth,
            allowed_scopes: allowed_scopes
                .map(|scopes| scopes.iter().map(|s| (*s).to_owned()).collect()),
        }
    }
}

pub(crate) struct Issued {
    info: TokenInfo,
    expires_at: Instant,
}

pub(crate) struct State {
    pub(crate) clients: HashMap<String, MockClient>,
    pub(crate) issued: Bounded<String, Issued>,
    pub(crate) lifetime: Option<Duration>,
    pub(crate) token_type: String,
    pub(crate) grants: VecDeque<TokenRequestRecord>,
    pub(crate) max_grants: usize,
}

impl State {
    /// Keeps what a successful grant carried, forgetting the oldest beyond the cap.
    pub(crate) fn keep_grant(&mut self, grant: TokenRequestRecord) {
        if self.max_grants == 0 {
            return;
        }
        while self.grants.len() >= self.max_grants {
            self.grants.pop_front();
        }
        self.grants.push_back(grant);
    }
}

/// Checks `Authorization: Bearer <token>` headers against the tokens a [`TokenServer`](crate::mock::TokenServer)
/// issued and has not revoked, and that have not expired.
#[derive(Clone)]
pub struct TokenValidator {
    pub(crate) state: Arc<Mutex<State>>,
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

pub(crate) fn issue(
    state: &mut State,
    client_id: &str,
    scopes: Vec<String>,
    lifetime: Duration,
) -> String {
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
