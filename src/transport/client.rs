//! One `reqwest` client, built once and shared, with timeouts, retries, a response-size
//! limit, rate-limit bookkeeping and tracing that never records a secret.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::rate_limit::{RateLimit, retry_hint};
use super::retry::{RetryPolicy, idempotent_method, retry_status};
use crate::auth::{AuthRequest, Authenticator};
use crate::clock::{Clock, SharedClock, system_clock};
use crate::error::{Error, HttpError, Result};
use crate::redact::{Redactor, display_url};

/// The `User-Agent` every request carries unless a suffix is added.
pub const USER_AGENT: &str = concat!("scimkit/", env!("CARGO_PKG_VERSION"));

const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

type Configure = Box<dyn FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send>;

/// Builds a [`Transport`]. Every setting has a documented default.
///
/// ```
/// use std::time::Duration;
/// use scimkit::{RetryPolicy, Transport};
///
/// let transport = Transport::builder()
///     .timeout(Duration::from_secs(20))          // default 30 s per attempt
///     .connect_timeout(Duration::from_secs(5))   // default 10 s
///     .retry(RetryPolicy::default().max_retries(5))
///     .max_response_bytes(4 * 1024 * 1024)       // default 16 MiB
///     .build()
///     .unwrap();
/// # let _ = transport;
/// ```
pub struct TransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
    allow_insecure_http: bool,
    root_certificates: Vec<reqwest::Certificate>,
    user_agent_suffix: Option<String>,
    configure: Option<Configure>,
    clock: SharedClock,
    throttle: bool,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("root_certificates", &self.root_certificates.len())
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

impl Default for TransportBuilder {
    fn default() -> Self {
        TransportBuilder {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            root_certificates: Vec::new(),
            user_agent_suffix: None,
            configure: None,
            clock: system_clock(),
            throttle: false,
        }
    }
}

impl TransportBuilder {
    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the last byte of the body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy for transient failures (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB); larger bodies fail with
    /// [`Error::BodyTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allows plain `http://` URLs to hosts that are not loopback (default `false`:
    /// loopback `http://` is always allowed, for tests and local mocks).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Trusts one more root certificate, e.g. the CA of a TLS-inspecting enterprise proxy.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Appends `suffix` to the `User-Agent` (`scimkit/<version> <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Adjusts the underlying `reqwest::ClientBuilder` (proxies, local address, HTTP/2
    /// settings, client certificates, ...). Redirects stay off and the timeouts above are
    /// applied after this closure runs.
    ///
    /// ```
    /// let transport = scimkit::Transport::builder()
    ///     .configure_reqwest(|b| b.pool_max_idle_per_host(4).tcp_nodelay(true))
    ///     .build()
    ///     .unwrap();
    /// # let _ = transport;
    /// ```
    pub fn configure_reqwest(
        mut self,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// The clock for back-off and rate-limit waits (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// When the last response from the same endpoint family said no requests remain in the
    /// rate-limit window (`X-Rate-Limit-Remaining: 0`), wait for the reset before sending
    /// instead of spending a request on a 429 (default `false`). Windows are tracked per
    /// endpoint family (origin plus the first three path segments, and whether the path goes
    /// deeper), as Okta's limits are.
    pub fn throttle(mut self, throttle: bool) -> Self {
        self.throttle = throttle;
        self
    }

    /// Builds the transport and its one `reqwest::Client`.
    pub fn build(self) -> Result<Transport> {
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        let mut builder = reqwest::Client::builder();
        if let Some(configure) = self.configure {
            builder = configure(builder);
        }
        for cert in self.root_certificates {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .build()
            .map_err(|e| {
                Error::Transport(format!("could not build the HTTP client: {e}").into())
            })?;
        Ok(Transport {
            inner: Arc::new(Inner {
                http,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                allow_insecure_http: self.allow_insecure_http,
                clock: self.clock,
                throttle: self.throttle,
                rate_limit: ArcSwapOption::empty(),
                buckets: std::sync::Mutex::default(),
            }),
        })
    }
}

/// The HTTP layer every client in this crate sends through; cheap to clone (one `Arc`).
///
/// Share one transport between clients to share its connection pool and rate-limit view.
///
/// ```
/// let transport = scimkit::Transport::default();
/// let same_pool = transport.clone();
/// # let _ = same_pool;
/// ```
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    retry: RetryPolicy,
    max_response_bytes: usize,
    allow_insecure_http: bool,
    clock: SharedClock,
    throttle: bool,
    rate_limit: ArcSwapOption<RateLimit>,
    /// The last rate-limit headers per bucket (see [`rate_limit_bucket`]), for throttling.
    buckets: std::sync::Mutex<std::collections::HashMap<String, RateLimit>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("retry", &self.inner.retry)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .field("allow_insecure_http", &self.inner.allow_insecure_http)
            .field("throttle", &self.inner.throttle)
            .finish_non_exhaustive()
    }
}

impl Default for Transport {
    /// A transport with every default of [`TransportBuilder`].
    ///
    /// # Panics
    /// Only if the TLS backend cannot initialise at all (no usable crypto provider), which
    /// [`TransportBuilder::build`] reports as an error instead.
    #[allow(clippy::expect_used)]
    fn default() -> Self {
        TransportBuilder::default()
            .build()
            .expect("the default HTTP client builds")
    }
}

impl Transport {
    /// Starts a [`TransportBuilder`].
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// The rate-limit headers of the most recent response that carried them.
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.inner.rate_limit.load_full().map(|r| *r)
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The largest response body accepted.
    pub fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    /// The clock this transport waits with.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    pub(crate) fn shared_clock(&self) -> SharedClock {
        self.inner.clock.clone()
    }

    /// Parses `url` and checks it against the `http://` rule: `https://` always, `http://`
    /// only to loopback hosts unless the builder allowed insecure HTTP.
    ///
    /// ```
    /// let t = scimkit::Transport::default();
    /// assert!(t.check_url("https://idp.example.com/token").is_ok());
    /// assert!(t.check_url("http://127.0.0.1:8080/token").is_ok());
    /// assert!(t.check_url("http://idp.example.com/token").is_err());
    /// ```
    pub fn check_url(&self, url: &str) -> Result<Url> {
        // The text may carry credentials (`user:secret@host`): never echo it.
        let parsed = Url::parse(url).map_err(|e| Error::config(format!("invalid URL: {e}")))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::config(format!(
                "{} carries a user name or password; pass credentials through the builder's auth(..) (an Authenticator) instead",
                display_url(&parsed)
            )));
        }
        self.check_parsed_url(&parsed)?;
        Ok(parsed)
    }

    pub(crate) fn check_parsed_url(&self, url: &Url) -> Result<()> {
        check_scheme(url, self.inner.allow_insecure_http)
    }

    /// Sends a request, retrying as the [`RetryPolicy`] allows and re-authorising once after
    /// a 401 that the authenticator says is worth retrying. Returns the final response
    /// whatever its status; decode it with [`Response::json`] or turn a failure status into
    /// an error with [`Response::error_for_status`].
    pub async fn send(
        &self,
        request: ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<Response> {
        let host = request.url.host_str().unwrap_or_default().to_owned();
        let span = tracing::debug_span!(
            "scimkit.http",
            method = %request.method,
            host = %host,
            path = %request.url.path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.send_inner(request, auth).instrument(span).await
    }

    async fn send_inner(
        &self,
        request: ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<Response> {
        let inner = &*self.inner;
        let idempotent = request.idempotent;
        let max_retries = if request.retries {
            inner.retry.get_max_retries()
        } else {
            0
        };
        let mut retries = 0u32;
        let started = inner.clock.now();
        let mut reauthorised = false;
        let mut okta_retry_for: Option<HeaderValue> = None;
        loop {
            if inner.throttle {
                self.wait_for_rate_limit(&request.url).await;
            }
            let mut headers = request.headers.clone();
            if let Some(id) = &okta_retry_for {
                headers.insert(HeaderName::from_static("x-okta-retry-for"), id.clone());
                headers.insert(
                    HeaderName::from_static("x-okta-retry-count"),
                    HeaderValue::from(retries),
                );
            }
            if let Some(auth) = auth {
                auth.authorize(AuthRequest::new(
                    &request.method,
                    &request.url,
                    &mut headers,
                ))
                .await?;
            }
            let sent_headers = headers.clone();
            let mut builder = inner
                .http
                .request(request.method.clone(), request.url.clone())
                .headers(headers);
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let attempt = retries + 1;
            tracing::Span::current().record("attempt", attempt);
            tracing::debug!(attempt, "sending");
            let outcome = match builder.send().await {
                Ok(response) => self.read(response, &request.url).await,
                Err(e) => Err(map_reqwest_error(&e, &request.url)),
            };
            let response = match outcome {
                Ok(response) => response,
                Err(err) => {
                    let retry_ok = match &err {
                        Error::Connect { .. } => true,
                        Error::Timeout { .. } => idempotent,
                        _ => false,
                    };
                    if retry_ok
                        && retries < max_retries
                        && let Some(wait) =
                            inner.retry.wait(retries, None, inner.clock.now() - started)
                    {
                        tracing::debug!(attempt, error = %err, ?wait, "retrying");
                        inner.clock.sleep(wait).await;
                        retries += 1;
                        continue;
                    }
                    tracing::debug!(attempt, error = %err, "failed");
                    return Err(err);
                }
            };
            tracing::Span::current().record("status", response.status.as_u16());
            tracing::debug!(attempt, status = response.status.as_u16(), "response");

            if response.status == StatusCode::UNAUTHORIZED
                && !reauthorised
                && let Some(auth) = auth
                && auth.unauthorized(&sent_headers, &response.headers)
            {
                reauthorised = true;
                continue;
            }
            if retry_status(response.status, idempotent) && retries < max_retries {
                let hint = retry_hint(&response.headers, inner.clock.system_now());
                if let Some(wait) = inner.retry.wait(retries, hint, inner.clock.now() - started) {
                    tracing::debug!(
                        attempt,
                        status = response.status.as_u16(),
                        ?wait,
                        "retrying"
                    );
                    if response.status == StatusCode::TOO_MANY_REQUESTS {
                        okta_retry_for = response.headers.get("x-okta-request-id").cloned();
                    }
                    inner.clock.sleep(wait).await;
                    retries += 1;
                    continue;
                }
            }
            return Ok(response);
        }
    }

    /// The rate-limit headers last seen for the bucket `url` falls in (see
    /// [`TransportBuilder::throttle`]).
    pub fn rate_limit_for(&self, url: &Url) -> Option<RateLimit> {
        let bucket = rate_limit_bucket(url);
        self.inner
            .buckets
            .lock()
            .ok()
            .and_then(|b| b.get(&bucket).copied())
    }

    async fn wait_for_rate_limit(&self, url: &Url) {
        let Some(limit) = self.rate_limit_for(url) else {
            return;
        };
        let now = self.inner.clock.system_now();
        if !limit.exhausted_at(now) {
            return;
        }
        let Some(reset) = limit.reset else { return };
        let wait = reset.duration_since(now).unwrap_or_default() + Duration::from_secs(1);
        if wait <= self.inner.retry.get_max_wait() {
            tracing::debug!(?wait, "rate-limit window spent; waiting for its reset");
            self.inner.clock.sleep(wait).await;
            // Forget the spent window so concurrent waiters do not wait twice.
            if let Ok(mut buckets) = self.inner.buckets.lock() {
                buckets.remove(&rate_limit_bucket(url));
            }
        }
    }

    async fn read(&self, mut response: reqwest::Response, url: &Url) -> Result<Response> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        if let Some(limit) = RateLimit::from_headers(&headers) {
            self.inner.rate_limit.store(Some(Arc::new(limit)));
            if self.inner.throttle
                && let Ok(mut buckets) = self.inner.buckets.lock()
            {
                buckets.insert(rate_limit_bucket(url), limit);
            }
        }
        let max = self.inner.max_response_bytes;
        let too_large = || Error::BodyTooLarge {
            url: display_url(url),
            limit: max,
        };
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(too_large());
        }
        let capacity = response
            .content_length()
            .and_then(|len| usize::try_from(len).ok())
            .unwrap_or(0)
            .min(max);
        let mut body = Vec::with_capacity(capacity);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > max {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(map_reqwest_error(&e, url)),
            }
        }
        Ok(Response {
            status,
            headers,
            body: Bytes::from(body),
            url: url.clone(),
        })
    }
}

/// The rate-limit bucket a URL falls in: its origin and first three path segments, plus
/// `/*` when the path goes deeper. Okta keeps a separate limit per endpoint family
/// (`/api/v1/users` for lists and creates, `/api/v1/users/{id}` and below for single users,
/// `/api/v1/groups`, ...): a spent `/users` window must not hold back `/groups` calls. This
/// is an approximation of Okta's published buckets that never merges two of them.
pub(crate) fn rate_limit_bucket(url: &Url) -> String {
    let mut segments = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty());
    let mut bucket = url.origin().ascii_serialization();
    for segment in segments.by_ref().take(3) {
        bucket.push('/');
        bucket.push_str(segment);
    }
    if segments.next().is_some() {
        bucket.push_str("/*");
    }
    bucket
}

pub(crate) fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::InsecureUrl {
            url: display_url(url),
        }),
        other => Err(Error::config(format!(
            "unsupported URL scheme {other:?} in {}",
            display_url(url)
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

pub(crate) fn map_reqwest_error(e: &reqwest::Error, url: &Url) -> Error {
    let shown = display_url(url);
    if e.is_timeout() {
        return Error::Timeout { url: shown };
    }
    if e.is_connect() || e.is_request() || e.is_body() {
        // Walk to the root cause: "connection refused", "connection reset", ...
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message = s.to_string();
            source = s.source();
        }
        // reqwest's messages may carry the full URL; keep only ours.
        if let Some(full) = e.url().map(|u| u.as_str().to_owned()) {
            message = message.replace(&full, &shown);
        }
        return Error::Connect {
            url: shown,
            message,
        };
    }
    let mut message = e.to_string();
    if let Some(full) = e.url().map(|u| u.as_str().to_owned()) {
        message = message.replace(&full, &shown);
    }
    Error::Transport(message.into())
}

/// A request value: method, URL, headers and body, built by typed client code rather than by
/// gluing strings.
///
/// ```
/// use http::Method;
/// use scimkit::transport::ApiRequest;
///
/// let url = url::Url::parse("https://scim.example.com/v2/Users").unwrap();
/// let req = ApiRequest::new(Method::POST, url)
///     .json_as(&serde_json::json!({"userName": "alice"}), "application/scim+json")
///     .unwrap();
/// assert!(!req.is_idempotent());
/// ```
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
    retries: bool,
}

impl ApiRequest {
    /// A request with no body; idempotent when the method is.
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = idempotent_method(&method);
        ApiRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent,
            retries: true,
        }
    }

    /// Sends the request exactly once, whatever the retry policy (the caller retries at a
    /// higher level, e.g. token requests that need a fresh client assertion per attempt).
    pub fn no_retries(mut self) -> Self {
        self.retries = false;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a JSON body with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self> {
        self.json_as(body, "application/json")
    }

    /// Sets a JSON body with the given content type (e.g. `application/scim+json`).
    pub fn json_as<T: Serialize + ?Sized>(
        self,
        body: &T,
        content_type: &'static str,
    ) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::config(format!("could not encode the request body: {e}")))?;
        Ok(self.body(Bytes::from(bytes), content_type))
    }

    /// Sets a raw body and its content type.
    pub fn body(mut self, body: Bytes, content_type: &'static str) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body = Some(body);
        self
    }

    /// Marks the request idempotent (safe to send twice) or not, overriding the method's rule.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Whether the request may be retried after a timeout or a 502/503/504.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers set so far.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

/// A complete response: status, headers and the whole body (within the size limit).
#[derive(Clone)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    url: Url,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &display_url(&self.url))
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The URL the response came from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A header as a string, when present and valid.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The provider's request id: `X-Okta-Request-Id`, `X-Request-Id` or `Request-Id`.
    pub fn request_id(&self) -> Option<String> {
        ["x-okta-request-id", "x-request-id", "request-id"]
            .iter()
            .find_map(|name| self.header_str(name))
            .map(str::to_owned)
    }

    /// Whether the `Content-Type` is JSON (`application/json` or any `application/*+json`).
    pub fn is_json(&self) -> bool {
        self.header_str("content-type")
            .is_some_and(is_json_media_type)
    }

    /// Decodes a JSON body into `T`, checking the content type first; errors keep the status,
    /// the JSON path that failed and a redacted snippet of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if !self.is_json() {
            return Err(self.decode_error(format!(
                "expected a JSON body, got content type {:?}",
                self.header_str("content-type").unwrap_or("(none)")
            )));
        }
        // The fast path decodes directly; only a failure pays for tracking the JSON path.
        if let Ok(value) = serde_json::from_slice(&self.body) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            self.decode_error(if path == "." {
                inner.to_string()
            } else {
                format!("at {path}: {inner}")
            })
        })
    }

    /// A [`Error::Decode`] for this response.
    pub fn decode_error(&self, message: impl Into<String>) -> Error {
        Error::Decode {
            status: self.status,
            url: display_url(&self.url),
            message: message.into(),
            snippet: Redactor::none().snippet(&self.body),
        }
    }

    /// `Ok(self)` for 2xx, otherwise a generic [`Error::Http`] (or [`Error::Redirect`]).
    pub fn error_for_status(self) -> Result<Self> {
        if self.status.is_success() {
            return Ok(self);
        }
        Err(self.into_http_error())
    }

    /// This response as a generic HTTP error, whatever its status.
    pub fn into_http_error(self) -> Error {
        if self.status.is_redirection() && self.status != StatusCode::NOT_MODIFIED {
            return Error::Redirect {
                status: self.status,
                url: display_url(&self.url),
                location: self.header_str("location").map(str::to_owned),
            };
        }
        Error::Http(Box::new(HttpError {
            status: self.status,
            url: display_url(&self.url),
            snippet: Redactor::none().snippet(&self.body),
            request_id: self.request_id(),
            retry_after: retry_hint(&self.headers, std::time::SystemTime::now()),
        }))
    }
}

pub(crate) fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_refused_unless_loopback_or_opted_in() {
        let t = Transport::default();
        assert!(matches!(
            t.check_url("http://idp.example.com/x"),
            Err(Error::InsecureUrl { .. })
        ));
        assert!(t.check_url("http://localhost:1/x").is_ok());
        assert!(t.check_url("http://[::1]:1/x").is_ok());
        assert!(matches!(t.check_url("ftp://h/x"), Err(Error::Config(_))));
        let err = t
            .check_url("https://svc:hunter2@idp.example.com/token")
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = t.check_url("https://svc:hunter2@[bad/token").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let open = Transport::builder()
            .allow_insecure_http(true)
            .build()
            .unwrap();
        assert!(open.check_url("http://idp.example.com/x").is_ok());
    }

    #[test]
    fn rate_limit_buckets_split_endpoint_families() {
        let bucket = |u: &str| rate_limit_bucket(&Url::parse(u).unwrap());
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users?limit=2"),
            "https://o.okta.com/api/v1/users"
        );
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users/00u1"),
            "https://o.okta.com/api/v1/users/*"
        );
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users/00u1/lifecycle/activate"),
            "https://o.okta.com/api/v1/users/*"
        );
        assert_ne!(
            bucket("https://o.okta.com/api/v1/groups"),
            bucket("https://o.okta.com/api/v1/users")
        );
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/scim+json; charset=utf-8"));
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("application/jsonp"));
    }
}
