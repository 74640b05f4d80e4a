//! OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached and refreshed ahead of expiry.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use url::Url;

pub use super::client_auth::{ClientAssertion, ClientAuth};
use super::dpop::Dpop;
use super::shared_token::{self, SharedTokens};
use super::token::AccessToken;
use super::token_cache::{RefreshPolicy, TokenCache};
use super::token_endpoint::TokenEndpoint;
use super::token_response::MAX_TOKEN_LIFETIME;
use super::{AuthRequest, Authenticator, BoxFuture, header_value};
use crate::clock::{Clock, SharedClock};
use crate::error::{Error, Result};
use crate::redact::display_url;
use crate::store::TokenStore;
use crate::transport::Transport;

/// Builds [`ClientCredentials`].
///
/// Defaults: Basic-header client auth, no scopes, refresh 60 s before expiry (at most half
/// the token's lifetime) with up to 10 s of jitter, in the background while the current
/// token is still valid, a 300 s lifetime when the server sends no `expires_in`, tokens
/// kept in this client only (see [`token_store`](Self::token_store)), and
/// [`Transport::default`].
///
/// ```
/// use std::time::Duration;
/// use scimkit::auth::{ClientAuth, ClientCredentials};
///
/// let creds = ClientCredentials::builder()
///     .token_url("https://pam.example.com/iso/oauth2/token")
///     .client_id("scim-client")
///     .client_secret("p@ss:w0rd".to_string())
///     .client_auth(ClientAuth::BasicHeader)
///     .scope("scim")
///     .extra_param("audience", "https://pam.example.com")
///     .refresh_margin(Duration::from_secs(120))
///     .build()
///     .unwrap();
/// assert!(!format!("{creds:?}").contains("p@ss"));
/// ```
pub struct ClientCredentialsBuilder {
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    client_auth: ClientAuth,
    scopes: Vec<String>,
    extra_params: Vec<(String, String)>,
    refresh: RefreshPolicy,
    default_lifetime: Duration,
    transport: Option<Transport>,
    clock: Option<SharedClock>,
    dpop: bool,
    token_store: Option<Arc<dyn TokenStore>>,
    store_lease: Duration,
}

impl fmt::Debug for ClientCredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL as typed may carry a query or credentials: show neither.
        let token_url = self
            .token_url
            .as_deref()
            .map(|u| Url::parse(u).map_or_else(|_| "[unparsable]".to_owned(), |u| display_url(&u)));
        f.debug_struct("ClientCredentialsBuilder")
            .field("token_url", &token_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("client_auth", &self.client_auth)
            .field("scopes", &self.scopes)
            .field(
                "extra_params",
                &self.extra_params.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ClientCredentialsBuilder {
    /// The token endpoint (the "Token URL" an admin console shows).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The client ID.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The client secret.
    pub fn client_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// How the client authenticates (default [`ClientAuth::BasicHeader`]).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// Adds a scope; call once per scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Adds several scopes.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Adds a form parameter to every token request (`audience`, `resource`, ...).
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// Refresh this long before expiry (default 60 s; capped at half the token's lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh.margin = margin;
        self
    }

    /// Refresh up to this much earlier still, at random per token (default 10 s).
    pub fn refresh_jitter(mut self, jitter: Duration) -> Self {
        self.refresh.jitter = jitter;
        self
    }

    /// The lifetime assumed when the server sends no `expires_in` (default 300 s). A token is
    /// never cached forever.
    pub fn default_lifetime(mut self, lifetime: Duration) -> Self {
        self.default_lifetime = lifetime;
        self
    }

    /// The transport for token requests (default [`Transport::default`]). Its retry policy
    /// also governs token-request retries.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The clock for expiry (default: the transport's clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Shares tokens through `store` (default: none, the token lives in this client and
    /// its clones): every client with the same token URL, client id, client
    /// authentication method, scopes and extra parameters that uses the same store (an
    /// [`InProcessTokenStore`](crate::store::InProcessTokenStore), or a
    /// `store::redis::RedisTokenStore` shared by replicas) uses one token, refreshed once
    /// for all of them under the store's lock. If the store fails or is slow, this client
    /// fetches its own token; callers never see a store error. DPoP-bound tokens are never
    /// shared (they are bound to this client's key).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// How long the refresh lock of a [`token_store`](Self::token_store) is held at most
    /// (default 15 s): a client that dies holding it delays the others by at most this.
    pub fn token_store_lease(mut self, lease: Duration) -> Self {
        self.store_lease = lease;
        self
    }

    /// Sender-constrained tokens (DPoP, RFC 9449; default `false`): a fresh proof signed by
    /// a per-client ES256 key on every token request and API call, `Authorization: DPoP
    /// <token>`, and the servers' `DPoP-Nonce` answered. Even when off, DPoP switches on by
    /// itself if the token endpoint answers `invalid_dpop_proof`.
    pub fn dpop(mut self, on: bool) -> Self {
        self.dpop = on;
        self
    }

    /// Checks the settings and builds the credentials. Fetches nothing yet.
    pub fn build(self) -> Result<ClientCredentials> {
        let transport = match self.transport {
            Some(t) => t,
            None => Transport::builder().build()?,
        };
        let token_url = self
            .token_url
            .ok_or_else(|| Error::config("ClientCredentials needs a token_url"))?;
        let token_url = transport.check_url(&token_url)?;
        let client_id = self
            .client_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::config("ClientCredentials needs a client_id"))?;
        match (&self.client_auth, &self.client_secret) {
            (ClientAuth::BasicHeader | ClientAuth::RequestBody, None) => {
                return Err(Error::config(
                    "ClientCredentials needs a client_secret for Basic or body client auth",
                ));
            }
            (ClientAuth::Assertion(_), Some(_)) => {
                return Err(Error::config(
                    "a client assertion replaces the client_secret; set one or the other",
                ));
            }
            _ => {}
        }
        if self.default_lifetime.is_zero() {
            return Err(Error::config("default_lifetime must be more than zero"));
        }
        if self.store_lease.is_zero() {
            return Err(Error::config("token_store_lease must be more than zero"));
        }
        let clock = self.clock.unwrap_or_else(|| transport.shared_clock());
        let shared = self.token_store.map(|store| {
            let method = match &self.client_auth {
                ClientAuth::BasicHeader => "client_secret_basic",
                ClientAuth::RequestBody => "client_secret_post",
                ClientAuth::Assertion(_) => "private_key_jwt",
            };
            let key = shared_token::key_parts(
                token_url.as_str(),
                &client_id,
                method,
                &self.scopes,
                &self.extra_params,
            );
            SharedTokens::new(store, key, self.store_lease, self.refresh, clock.clone())
        });
        Ok(ClientCredentials {
            inner: Arc::new(Inner {
                shared,
                refresh: self.refresh,
                default_lifetime: self.default_lifetime.min(MAX_TOKEN_LIFETIME),
                cache: TokenCache::new(clock.clone()),
                endpoint: TokenEndpoint {
                    token_url,
                    client_id,
                    client_secret: self.client_secret,
                    client_auth: self.client_auth,
                    scopes: self.scopes,
                    extra_params: self.extra_params,
                    transport,
                    clock,
                    dpop: Dpop::new(self.dpop)?,
                    requests: AtomicU64::new(0),
                },
            }),
        })
    }
}

/// OAuth 2.0 client-credentials tokens, cached and refreshed ahead of expiry.
///
/// Cheap to clone (one `Arc`); clones share one cache. [`token`](Self::token) returns the
/// cached token without taking a lock; when a new one is needed, one request is made however
/// many tasks ask at once. As an [`Authenticator`] it sends `Authorization: Bearer <token>`
/// and, on a 401, drops the token so the request is retried once with a fresh one.
///
/// ```no_run
/// # async fn run() -> scimkit::Result<()> {
/// use scimkit::auth::ClientCredentials;
///
/// let creds = ClientCredentials::builder()
///     .token_url("https://pam.example.com/iso/oauth2/token")
///     .client_id("scim-client")
///     .client_secret(std::env::var("SECRET").unwrap_or_default())
///     .build()?;
/// let token = creds.token().await?;     // fetched
/// let again = creds.token().await?;     // cached
/// assert_eq!(creds.token_requests(), 1);
/// # let _ = (token, again);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store tokens are shared through, when one was given.
    shared: Option<SharedTokens>,
    refresh: RefreshPolicy,
    default_lifetime: Duration,
    cache: TokenCache,
    endpoint: TokenEndpoint,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = &self.inner.endpoint;
        f.debug_struct("ClientCredentials")
            .field("token_url", &display_url(&endpoint.token_url))
            .field("client_id", &endpoint.client_id)
            .field(
                "client_secret",
                &endpoint.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("client_auth", &endpoint.client_auth)
            .field("scopes", &endpoint.scopes)
            .field("cache", &self.inner.cache)
            .field("shared", &self.inner.shared)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Starts a [`ClientCredentialsBuilder`].
    pub fn builder() -> ClientCredentialsBuilder {
        ClientCredentialsBuilder {
            token_url: None,
            client_id: None,
            client_secret: None,
            client_auth: ClientAuth::default(),
            scopes: Vec::new(),
            extra_params: Vec::new(),
            refresh: RefreshPolicy {
                margin: Duration::from_secs(60),
                jitter: Duration::from_secs(10),
            },
            default_lifetime: Duration::from_secs(300),
            transport: None,
            clock: None,
            dpop: false,
            token_store: None,
            store_lease: shared_token::DEFAULT_LEASE,
        }
    }

    /// A valid access token: the cached one, or a new one from the token endpoint (or the
    /// shared [`token_store`](ClientCredentialsBuilder::token_store)).
    ///
    /// Inside the refresh window the current token is returned at once and one refresh
    /// runs in a spawned task; a caller waits for a fetch only when no valid token exists.
    pub async fn token(&self) -> Result<Arc<AccessToken>> {
        if let Some(token) = self.inner.cache.fresh() {
            return Ok(token);
        }
        // Boxed so that the future of the cached path stays a few words large.
        Box::pin(self.token_slow()).await
    }

    async fn token_slow(&self) -> Result<Arc<AccessToken>> {
        let cache = &self.inner.cache;
        if let Some(valid) = cache.usable() {
            self.refresh_in_background();
            return Ok(valid);
        }
        cache.get(|| self.obtain()).await
    }

    /// Starts one background refresh unless one is running or backing off.
    fn refresh_in_background(&self) {
        if !self.inner.cache.begin_background() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to run it on: the token is fetched when it expires.
            self.inner.cache.end_background();
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            let cache = &this.inner.cache;
            cache.refresh_ahead(|| this.obtain()).await;
        });
    }

    /// A new token: from the shared store (fetched there once for every sharer), or from
    /// the token endpoint.
    async fn obtain(&self) -> Result<AccessToken> {
        match &self.inner.shared {
            // A DPoP token is bound to this client's key: useless to anyone else.
            Some(shared) if !self.inner.endpoint.dpop.enabled() => {
                shared.obtain(|| self.fetch()).await
            }
            _ => self.fetch().await,
        }
    }

    /// Drops the cached token; the next [`token`](Self::token) fetches a new one.
    pub fn invalidate(&self) {
        self.inner.cache.invalidate(None);
    }

    /// How many HTTP requests have been sent to the token endpoint (retries included).
    pub fn token_requests(&self) -> u64 {
        self.inner.endpoint.requests()
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.inner.endpoint.token_url
    }

    /// The key this client's token is shared under in its
    /// [`token_store`](ClientCredentialsBuilder::token_store) (a digest: neither the client
    /// id nor the secret appear in it), or `None` without a store.
    pub fn token_key(&self) -> Option<&crate::store::TokenKey> {
        self.inner.shared.as_ref().map(|s| &s.key)
    }

    /// The client ID.
    pub fn client_id(&self) -> &str {
        &self.inner.endpoint.client_id
    }

    /// Fetches a token through the transport's retry loop and reads its lifetime.
    async fn fetch(&self) -> Result<AccessToken> {
        let endpoint = &self.inner.endpoint;
        let span = tracing::debug_span!(
            "scimkit.token",
            token_url = %display_url(&endpoint.token_url),
            client_id = %endpoint.client_id,
        );
        async {
            let issued = endpoint.clock.now();
            let response = endpoint.request().await.inspect_err(|err| {
                tracing::debug!(error = %err, "token request failed");
            })?;
            self.token_from(response, issued)
        }
        .instrument(span)
        .await
    }

    fn token_from(
        &self,
        response: super::token_response::TokenResponse,
        issued: std::time::Instant,
    ) -> Result<AccessToken> {
        let endpoint = &self.inner.endpoint;
        let token_type = match response.token_type.as_str() {
            t if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
            t if t.eq_ignore_ascii_case("dpop") && endpoint.dpop.enabled() => "DPoP".to_owned(),
            other => {
                return Err(Error::UnsupportedTokenType {
                    token_type: other.chars().take(64).collect(),
                });
            }
        };
        // A zero lifetime is read as one second: the token is used once, never cached.
        let lifetime = match response.expires_in {
            Some(lifetime) => lifetime.max(Duration::from_secs(1)),
            None => self.inner.default_lifetime,
        };
        let header = header_value(&token_type, response.access_token.expose_secret())?;
        // Lifetimes are capped at a day, so these sums cannot overflow; checked anyway.
        let expires_at = issued
            .checked_add(lifetime)
            .ok_or_else(|| Error::config("token lifetime out of range"))?;
        tracing::debug!(lifetime_s = lifetime.as_secs(), "token issued");
        Ok(AccessToken {
            secret: response.access_token,
            header,
            token_type,
            issued_at: issued,
            expires_at,
            refresh_at: self.inner.refresh.refresh_at(issued, lifetime),
            scopes: response.scopes,
        })
    }
}

impl Authenticator for ClientCredentials {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.token().await?;
            request
                .headers
                .insert(http::header::AUTHORIZATION, token.header.clone());
            if token.token_type == "DPoP" {
                let endpoint = &self.inner.endpoint;
                let proof = endpoint.dpop.resource_proof(
                    request.method,
                    request.url,
                    token.secret.expose_secret(),
                    endpoint.clock.system_now(),
                )?;
                request.headers.insert("dpop", proof);
            }
            Ok(())
        })
    }

    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        // A resource server asking for a DPoP nonce: keep the token, retry with the nonce.
        let asks_nonce = response
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("use_dpop_nonce"));
        if asks_nonce && self.inner.endpoint.dpop.learn_resource_nonce(response) {
            return true;
        }
        let rejected = sent
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .map(|(_, token)| token);
        if let (Some(shared), Some(rejected)) = (&self.inner.shared, rejected) {
            shared.reject(rejected);
        }
        self.inner.cache.invalidate(rejected)
    }
}
