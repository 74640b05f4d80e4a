//! OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached and refreshed ahead of expiry.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use oauth2::basic::{BasicClient, BasicTokenType};
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use url::Url;

use super::dpop::Dpop;
use super::oauth_http::{OAuthHttp, ResponseMeta};
use super::token::AccessToken;
use super::token_cache::{RefreshPolicy, TokenCache};
use super::{AuthRequest, Authenticator, BoxFuture, header_value};
use crate::clock::{Clock, SharedClock};
use crate::error::{Error, HttpError, OAuthError, Result};
use crate::redact::{Redactor, display_url};
use crate::transport::{Transport, retry_hint};

/// Signs a fresh client assertion (RFC 7523) for each token request, e.g. a private-key JWT.
///
/// Implemented by the crate's private-key JWT signer; implement it yourself to sign with a
/// key held in an HSM or a cloud KMS.
pub trait ClientAssertion: Send + Sync + fmt::Debug {
    /// The `client_assertion_type` (for JWTs:
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`).
    fn assertion_type(&self) -> &str {
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    }

    /// A new signed assertion for `client_id` at `token_url`, issued at `now`. Called once
    /// per token request, retries included, so every assertion has a fresh `jti`.
    fn sign(&self, client_id: &str, token_url: &Url, now: SystemTime) -> Result<SecretString>;
}

/// How the client proves its identity to the token endpoint.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1
    /// requires (`client_secret_basic`). The default.
    #[default]
    BasicHeader,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    RequestBody,
    /// A signed client assertion in the form body (`private_key_jwt`, RFC 7523).
    Assertion(Arc<dyn ClientAssertion>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAuth::BasicHeader => f.write_str("BasicHeader"),
            ClientAuth::RequestBody => f.write_str("RequestBody"),
            ClientAuth::Assertion(a) => f.debug_tuple("Assertion").field(a).finish(),
        }
    }
}

/// Builds [`ClientCredentials`].
///
/// Defaults: Basic-header client auth, no scopes, refresh 60 s before expiry (at most half
/// the token's lifetime) with up to 10 s of jitter, a 300 s lifetime when the server sends no
/// `expires_in`, and [`Transport::default`].
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
}

impl fmt::Debug for ClientCredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsBuilder")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("client_auth", &self.client_auth)
            .field("scopes", &self.scopes)
            .field("extra_params", &self.extra_params)
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
        let clock = self.clock.unwrap_or_else(|| transport.shared_clock());
        Ok(ClientCredentials {
            inner: Arc::new(Inner {
                token_url,
                client_id,
                client_secret: self.client_secret,
                client_auth: self.client_auth,
                scopes: self.scopes,
                extra_params: self.extra_params,
                refresh: self.refresh,
                default_lifetime: self.default_lifetime,
                cache: TokenCache::new(clock.clone()),
                transport,
                clock,
                requests: AtomicU64::new(0),
                dpop: Dpop::new(self.dpop)?,
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
    token_url: Url,
    client_id: String,
    client_secret: Option<SecretString>,
    client_auth: ClientAuth,
    scopes: Vec<String>,
    extra_params: Vec<(String, String)>,
    refresh: RefreshPolicy,
    default_lifetime: Duration,
    cache: TokenCache,
    transport: Transport,
    clock: SharedClock,
    requests: AtomicU64,
    dpop: Dpop,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("ClientCredentials")
            .field("token_url", &display_url(&inner.token_url))
            .field("client_id", &inner.client_id)
            .field(
                "client_secret",
                &inner.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("client_auth", &inner.client_auth)
            .field("scopes", &inner.scopes)
            .field("cache", &inner.cache)
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
        }
    }

    /// A valid access token: the cached one, or a new one from the token endpoint.
    pub async fn token(&self) -> Result<Arc<AccessToken>> {
        if let Some(token) = self.inner.cache.fresh() {
            return Ok(token);
        }
        // Boxed so that the future of the cached path stays a few words large.
        Box::pin(self.inner.cache.get(|| self.fetch())).await
    }

    /// Drops the cached token; the next [`token`](Self::token) fetches a new one.
    pub fn invalidate(&self) {
        self.inner.cache.invalidate(None);
    }

    /// How many HTTP requests have been sent to the token endpoint (retries included).
    pub fn token_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.inner.token_url
    }

    /// The client ID.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Fetches a token, retrying transient failures with a freshly built request each time.
    async fn fetch(&self) -> Result<AccessToken> {
        let span = tracing::debug_span!(
            "scimkit.token",
            token_url = %display_url(&self.inner.token_url),
            client_id = %self.inner.client_id,
        );
        self.fetch_retrying().instrument(span).await
    }

    async fn fetch_retrying(&self) -> Result<AccessToken> {
        let policy = self.inner.transport.retry_policy().clone();
        let mut retry = 0;
        let started = self.inner.clock.now();
        let mut nonce_retries = 0;
        loop {
            match self.fetch_once().await {
                Ok(token) => return Ok(token),
                Err((err, hint)) => {
                    // DPoP: answer a nonce request (at most twice), and switch DPoP on when
                    // the server demands it.
                    if let Error::OAuth(e) = &err {
                        let dpop = &self.inner.dpop;
                        if e.error == "use_dpop_nonce" && dpop.enabled() && nonce_retries < 2 {
                            nonce_retries += 1;
                            tracing::debug!("token endpoint asked for a DPoP nonce; retrying");
                            continue;
                        }
                        if e.error == "invalid_dpop_proof" && dpop.enable() {
                            tracing::debug!("token endpoint requires DPoP; switching it on");
                            continue;
                        }
                    }
                    if err.is_retryable()
                        && retry < policy.get_max_retries()
                        && let Some(wait) =
                            policy.wait(retry, hint, self.inner.clock.now() - started)
                    {
                        tracing::debug!(error = %err, ?wait, "token request failed; retrying");
                        self.inner.clock.sleep(wait).await;
                        retry += 1;
                        continue;
                    }
                    tracing::debug!(error = %err, "token request failed");
                    return Err(err);
                }
            }
        }
    }

    async fn fetch_once(&self) -> std::result::Result<AccessToken, (Error, Option<Duration>)> {
        let inner = &*self.inner;
        let plain = |err: Error| (err, None);
        let token_url = TokenUrl::from_url(inner.token_url.clone());
        let mut client = BasicClient::new(ClientId::new(inner.client_id.clone()))
            .set_token_uri(token_url)
            .set_auth_type(match inner.client_auth {
                ClientAuth::BasicHeader => AuthType::BasicAuth,
                _ => AuthType::RequestBody,
            });
        if let Some(secret) = &inner.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        let assertion = match &inner.client_auth {
            ClientAuth::Assertion(signer) => Some((
                signer.assertion_type().to_owned(),
                signer
                    .sign(&inner.client_id, &inner.token_url, inner.clock.system_now())
                    .map_err(plain)?,
            )),
            _ => None,
        };
        let mut request = client.exchange_client_credentials();
        for scope in &inner.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        for (name, value) in &inner.extra_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        if let Some((kind, signed)) = &assertion {
            request = request
                .add_extra_param("client_assertion_type", kind.clone())
                .add_extra_param("client_assertion", signed.expose_secret().to_owned());
        }
        let mut extra = HeaderMap::new();
        if inner.dpop.enabled() {
            let proof = inner
                .dpop
                .token_proof(&inner.token_url, inner.clock.system_now())
                .map_err(plain)?;
            extra.insert("dpop", proof);
        }
        let http = OAuthHttp::new(&inner.transport, extra);
        let issued = inner.clock.now();
        inner.requests.fetch_add(1, Ordering::Relaxed);
        let result = request.request_async(&http).await;
        let meta = http.meta();
        inner.dpop.learn_token_nonce(&meta.headers);
        let hint = retry_hint(&meta.headers, inner.clock.system_now());
        let response = result.map_err(|e| (self.map_error(e, &meta), hint))?;

        let token_type = match response.token_type() {
            BasicTokenType::Bearer => "Bearer".to_owned(),
            BasicTokenType::Mac => {
                return Err(plain(Error::UnsupportedTokenType {
                    token_type: "mac".into(),
                }));
            }
            BasicTokenType::Extension(other)
                if other.eq_ignore_ascii_case("dpop") && inner.dpop.enabled() =>
            {
                "DPoP".to_owned()
            }
            BasicTokenType::Extension(other) => {
                return Err(plain(Error::UnsupportedTokenType {
                    token_type: other.clone(),
                }));
            }
        };
        let lifetime = match response.expires_in() {
            Some(lifetime) if !lifetime.is_zero() => lifetime,
            Some(_) => Duration::from_secs(1),
            None => inner.default_lifetime,
        };
        let secret = response.access_token().secret();
        let header = header_value(&token_type, secret).map_err(plain)?;
        tracing::debug!(lifetime_s = lifetime.as_secs(), "token issued");
        Ok(AccessToken {
            secret: SecretString::from(secret.clone()),
            header,
            token_type,
            expires_at: issued + lifetime,
            refresh_at: inner.refresh.refresh_at(issued, lifetime),
            scopes: response
                .scopes()
                .map(|scopes| scopes.iter().map(|s| s.to_string()).collect()),
        })
    }

    fn map_error(
        &self,
        err: RequestTokenError<Error, oauth2::basic::BasicErrorResponse>,
        meta: &ResponseMeta,
    ) -> Error {
        let url = display_url(&self.inner.token_url);
        let request_id = request_id(&meta.headers);
        let status = meta.status;
        let http_error = |status: http::StatusCode| {
            Error::Http(Box::new(HttpError {
                status,
                url: url.clone(),
                snippet: Redactor::none().snippet(&meta.body),
                request_id: request_id.clone(),
                retry_after: retry_hint(&meta.headers, SystemTime::now()),
            }))
        };
        match err {
            RequestTokenError::ServerResponse(body) => Error::OAuth(Box::new(OAuthError {
                status,
                error: body.error().as_ref().to_owned(),
                error_description: body.error_description().cloned(),
                error_uri: body.error_uri().cloned(),
                request_id,
            })),
            RequestTokenError::Request(err) => err,
            RequestTokenError::Parse(err, _) => match status {
                Some(status) if !status.is_success() => http_error(status),
                _ => {
                    let path = err.path().to_string();
                    let message = if path.contains("token") {
                        format!("at {path}: invalid value")
                    } else {
                        format!("at {path}: {}", err.inner())
                    };
                    Error::Decode {
                        status: status.unwrap_or(http::StatusCode::OK),
                        url,
                        message,
                        snippet: Redactor::none().snippet(&meta.body),
                    }
                }
            },
            RequestTokenError::Other(message) => match status {
                Some(status) if !status.is_success() => http_error(status),
                _ => Error::Decode {
                    status: status.unwrap_or(http::StatusCode::OK),
                    url,
                    message,
                    snippet: Redactor::none().snippet(&meta.body),
                },
            },
        }
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-okta-request-id", "x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

impl Authenticator for ClientCredentials {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.token().await?;
            request
                .headers
                .insert(http::header::AUTHORIZATION, token.header.clone());
            if token.token_type == "DPoP" {
                let proof = self.inner.dpop.resource_proof(
                    request.method,
                    request.url,
                    token.secret.expose_secret(),
                    self.inner.clock.system_now(),
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
        if asks_nonce && self.inner.dpop.learn_resource_nonce(response) {
            return true;
        }
        let rejected = sent
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .map(|(_, token)| token);
        self.inner.cache.invalidate(rejected)
    }
}
