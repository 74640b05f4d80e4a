//! [`Transport`]: one `reqwest` client and the crate's one retry loop. Every request goes
//! through [`Transport::send_with`]: API calls, token requests and page fetches alike.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::StatusCode;
use tracing::Instrument;
use url::Url;

use super::failure::{body_failure, send_failure};
use super::rate_limit::{RateLimit, retry_hint};
use super::response::Sent;
use super::retry::{RetryPolicy, retry_failure, retry_status};
use super::url_rules;
use super::{
    ApiRequest, Attempt, AuthRequest, Authenticator, Response, SendHook, TransportBuilder,
};
use crate::clock::{Clock, SharedClock};
use crate::error::{Error, Result};
use crate::redact::display_url;

/// The `User-Agent` every request carries unless a suffix is added.
pub const USER_AGENT: &str = concat!("scimkit/", env!("CARGO_PKG_VERSION"));

/// How many times one call is sent again with fresh credentials after a 401 (a dropped
/// token, a resource server's DPoP nonce): once, so a server that answers 401 forever costs
/// two requests.
const MAX_REAUTHORIZATIONS_401: u32 = 1;

/// The same after a 400 that the authenticator can fix (a token endpoint's DPoP nonce, or
/// its demand for DPoP): twice, for "switch DPoP on" followed by "use this nonce".
const MAX_REAUTHORIZATIONS_400: u32 = 2;

/// What one call sends through besides the request: the credentials and the protocol's hook.
///
/// ```
/// use scimkit::auth::BearerToken;
/// use scimkit::transport::SendOptions;
///
/// let auth = BearerToken::new("t0ken".to_string());
/// let options = SendOptions::new().auth(&auth);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct SendOptions<'a> {
    /// Puts credentials on every attempt.
    pub auth: Option<&'a dyn Authenticator>,
    /// The protocol's rules around each attempt (rate budgets, retry headers).
    pub hook: Option<&'a dyn SendHook>,
}

impl<'a> SendOptions<'a> {
    /// No credentials, no hook.
    pub fn new() -> Self {
        SendOptions::default()
    }

    /// Credentials for every attempt.
    pub fn auth(mut self, auth: &'a dyn Authenticator) -> Self {
        self.auth = Some(auth);
        self
    }

    /// A hook around every attempt.
    pub fn hook(mut self, hook: &'a dyn SendHook) -> Self {
        self.hook = Some(hook);
        self
    }
}

/// The HTTP layer every client in this crate sends through; cheap to clone (one `Arc`).
///
/// Share one transport between clients to share its connection pool.
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

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) allow_insecure_http: bool,
    pub(crate) clock: SharedClock,
    /// Set by the deprecated `TransportBuilder::throttle`; read by the Okta client.
    pub(crate) throttle: bool,
    pub(crate) rate_limit: ArcSwapOption<RateLimit>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("retry", &self.inner.retry)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .field("allow_insecure_http", &self.inner.allow_insecure_http)
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
    pub(crate) fn from_parts(inner: Inner) -> Self {
        Transport {
            inner: Arc::new(inner),
        }
    }

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

    /// Whether the deprecated `TransportBuilder::throttle` was set.
    pub(crate) fn throttle_requested(&self) -> bool {
        self.inner.throttle
    }

    /// Parses `url` and checks it against the `http://` rule: `https://` always, `http://`
    /// only to loopback hosts unless the builder allowed insecure HTTP. A URL carrying a
    /// user name or password is refused, and never echoed.
    ///
    /// ```
    /// let t = scimkit::Transport::default();
    /// assert!(t.check_url("https://idp.example.com/token").is_ok());
    /// assert!(t.check_url("http://127.0.0.1:8080/token").is_ok());
    /// assert!(t.check_url("http://idp.example.com/token").is_err());
    /// ```
    pub fn check_url(&self, url: &str) -> Result<Url> {
        url_rules::check_url(url, self.inner.allow_insecure_http)
    }

    pub(crate) fn check_parsed_url(&self, url: &Url) -> Result<()> {
        url_rules::check_scheme(url, self.inner.allow_insecure_http)
    }

    /// Sends a request with optional credentials; see [`send_with`](Self::send_with).
    pub async fn send(
        &self,
        request: ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<Response> {
        let options = SendOptions {
            auth,
            ..SendOptions::default()
        };
        self.send_with(request, options).await
    }

    /// Sends a request through the one retry loop: the hook and the authenticator run
    /// before every attempt; failures and statuses are retried as the [`RetryPolicy`]
    /// allows (a write the server may have seen is never sent again); a 401 that the
    /// authenticator says fresh credentials can fix is sent again once, a 400 at most twice
    /// (see [`Authenticator::rejected`]). Returns the final response whatever its status:
    /// decode it with [`Response::json`] or turn a failure status into an error with
    /// [`Response::error_for_status`].
    ///
    /// Each call is one `scimkit.http` tracing span with the method, host, path (never the
    /// query), the attempt, the final status and the request id; no header or body is
    /// ever recorded.
    pub async fn send_with(
        &self,
        request: ApiRequest,
        options: SendOptions<'_>,
    ) -> Result<Response> {
        let span = tracing::debug_span!(
            "scimkit.http",
            method = %request.method,
            host = %request.url.host_str().unwrap_or_default(),
            path = %request.url.path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.run(request, options).instrument(span).await
    }

    async fn run(&self, request: ApiRequest, options: SendOptions<'_>) -> Result<Response> {
        let inner = &*self.inner;
        let idempotent = request.idempotent;
        let max_retries = if request.retries {
            inner.retry.get_max_retries()
        } else {
            0
        };
        let mut retries = 0u32;
        let mut reauthorized_401 = 0u32;
        let mut reauthorized_400 = 0u32;
        let started = inner.clock.now();
        let mut previous: Option<Response> = None;
        loop {
            let attempt = retries
                .saturating_add(reauthorized_401)
                .saturating_add(reauthorized_400)
                .saturating_add(1);
            let mut headers = request.headers.clone();
            let mut body = request.body.clone();
            if let Some(hook) = options.hook {
                hook.before_attempt(Attempt {
                    method: &request.method,
                    url: &request.url,
                    number: attempt,
                    previous: previous.as_ref(),
                    headers: &mut headers,
                })
                .await?;
            }
            if let Some(auth) = options.auth {
                let mut auth_request =
                    AuthRequest::new(&request.method, &request.url, &mut headers);
                auth_request.body = body.as_mut();
                auth.authorize(auth_request).await?;
            }
            let sent = Arc::new(Sent {
                headers: headers.clone(),
                body: body.clone(),
            });
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            tracing::debug!(attempt, "sending");
            let mut builder = inner
                .http
                .request(request.method.clone(), request.url.clone())
                .headers(headers);
            if let Some(body) = body {
                builder = builder.body(body);
            }
            let outcome = match builder.send().await {
                Err(e) => Err(send_failure(&e, &request.url, idempotent, &sent)),
                Ok(response) => self.read(response, &request.url, idempotent, sent).await,
            };
            let elapsed = inner.clock.now().saturating_duration_since(started);
            let response = match outcome {
                Ok(response) => response,
                Err(err) => {
                    if retry_failure(&err, idempotent)
                        && retries < max_retries
                        && let Some(wait) = inner.retry.wait(retries, None, elapsed)
                    {
                        tracing::debug!(attempt, error = %err, ?wait, "retrying");
                        inner.clock.sleep(wait).await;
                        retries += 1;
                        previous = None;
                        continue;
                    }
                    tracing::debug!(attempt, error = %err, "failed");
                    return Err(err);
                }
            };
            span.record("status", response.status.as_u16());
            // Reading the id scrubs it, which costs a little: only for a span that records.
            if !span.is_disabled()
                && let Some(id) = response.request_id()
            {
                span.record("request_id", id.as_str());
            }
            tracing::debug!(attempt, status = response.status.as_u16(), "response");
            if let Some(hook) = options.hook {
                hook.after_response(&request.method, &request.url, &response);
            }
            let status = response.status;
            let budget = match status {
                StatusCode::UNAUTHORIZED => Some((&mut reauthorized_401, MAX_REAUTHORIZATIONS_401)),
                StatusCode::BAD_REQUEST => Some((&mut reauthorized_400, MAX_REAUTHORIZATIONS_400)),
                _ => None,
            };
            if let Some((used, max)) = budget
                && *used < max
                && let Some(auth) = options.auth
                && let Some(sent) = response.sent_headers()
                && auth.rejected(sent, &response)
            {
                tracing::debug!(attempt, "credentials rejected; trying fresh ones");
                *used += 1;
                previous = Some(response);
                continue;
            }
            if retry_status(status, idempotent) && retries < max_retries {
                let hint = retry_hint(&response.headers, inner.clock.system_now());
                if let Some(wait) = inner.retry.wait(retries, hint, elapsed) {
                    tracing::debug!(attempt, status = status.as_u16(), ?wait, "retrying");
                    inner.clock.sleep(wait).await;
                    retries += 1;
                    previous = Some(response);
                    continue;
                }
            }
            return Ok(response);
        }
    }

    /// Reads a whole answer within the size limit. A failure mid-body is
    /// [`Error::BodyInterrupted`].
    async fn read(
        &self,
        mut response: reqwest::Response,
        url: &Url,
        idempotent: bool,
        sent: Arc<Sent>,
    ) -> Result<Response> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        if let Some(limit) = RateLimit::from_headers(&headers) {
            self.inner.rate_limit.store(Some(Arc::new(limit)));
        }
        let max = self.inner.max_response_bytes;
        let too_large = || Error::BodyTooLarge {
            url: display_url(url),
            limit: max,
        };
        let declared = response.content_length();
        if declared.is_some_and(|len| len > max as u64) {
            return Err(too_large());
        }
        let capacity = declared
            .and_then(|len| usize::try_from(len).ok())
            .unwrap_or(0)
            .min(max);
        let mut body = Vec::with_capacity(capacity);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len().saturating_add(chunk.len()) > max {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(body_failure(&e, url, status, body.len(), idempotent, &sent));
                }
            }
        }
        Ok(Response::new(
            status,
            headers,
            Bytes::from(body),
            url.clone(),
            Some(sent),
        ))
    }
}
