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

#[cfg(test)]
mod tests {
    //! The retry loop against a scripted raw HTTP/1.1 server on 127.0.0.1: how many
    //! requests the server sees, what the caller gets, and how long the loop waited (on a
    //! [`ManualClock`], so no test sleeps).

    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    use http::{HeaderMap, Method};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::clock::ManualClock;
    use crate::transport::BoxFuture;

    /// What the server does with one connection, after reading its request.
    #[derive(Clone)]
    enum Reply {
        /// These bytes, then close.
        Raw(Vec<u8>),
        /// Close without answering.
        Close,
    }

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        Reply::Raw(format!("{head}\r\n{body}").into_bytes())
    }

    fn status(code: u16) -> Reply {
        reply(code, &[], "")
    }

    /// A body sent in chunks, without a `Content-Length`.
    fn chunked(chunks: &[&str]) -> Reply {
        let mut raw = String::from(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        );
        for chunk in chunks {
            raw.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        raw.push_str("0\r\n\r\n");
        Reply::Raw(raw.into_bytes())
    }

    /// The n-th connection gets the n-th reply; the last one repeats.
    struct Server {
        url: Url,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl Server {
        async fn start(replies: Vec<Reply>) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = Url::parse(&format!(
                "http://{}/v2/Users?q=1",
                listener.local_addr().unwrap()
            ))
            .unwrap();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            let mut replies = VecDeque::from(replies);
            tokio::spawn(async move {
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        return;
                    };
                    let reply = if replies.len() > 1 {
                        replies.pop_front().unwrap()
                    } else {
                        replies.front().cloned().unwrap()
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match socket.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => break,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; length];
                    let _ = socket.read_exact(&mut body).await;
                    seen.lock().unwrap().push(head);
                    if let Reply::Raw(bytes) = reply {
                        let _ = socket.write_all(&bytes).await;
                        let _ = socket.shutdown().await;
                    }
                }
            });
            Server { url, requests }
        }

        fn count(&self) -> usize {
            self.requests.lock().unwrap().len()
        }

        fn heads(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    /// A URL nothing listens on.
    async fn refused_url() -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        Url::parse(&format!("http://{addr}/token")).unwrap()
    }

    fn transport(clock: &ManualClock, policy: RetryPolicy) -> Transport {
        Transport::builder()
            .retry(policy)
            .timeout(Duration::from_secs(5))
            .max_response_bytes(64)
            .clock(clock.clone())
            .configure_reqwest(|b| b.pool_max_idle_per_host(0))
            .build()
            .unwrap()
    }

    fn two_retries() -> RetryPolicy {
        RetryPolicy::default()
            .max_retries(2)
            .initial_backoff(Duration::from_millis(100))
            .jitter(false)
    }

    /// Sends under a guard: a loop that never ends fails the test instead of hanging it.
    async fn send(
        transport: &Transport,
        request: ApiRequest,
        options: SendOptions<'_>,
    ) -> Result<Response> {
        tokio::time::timeout(
            Duration::from_secs(20),
            transport.send_with(request, options),
        )
        .await
        .expect("the retry loop ended")
    }

    /// Records every attempt a hook sees: its number and the status that led to it.
    #[derive(Debug, Default)]
    struct Attempts {
        seen: Mutex<Vec<(u32, Option<u16>)>>,
        answers: Mutex<Vec<u16>>,
    }

    impl SendHook for Attempts {
        fn before_attempt<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<()>> {
            self.seen
                .lock()
                .unwrap()
                .push((attempt.number, attempt.previous.map(|r| r.status.as_u16())));
            Box::pin(std::future::ready(Ok(())))
        }
        fn after_response(&self, _method: &Method, _url: &Url, response: &Response) {
            self.answers.lock().unwrap().push(response.status.as_u16());
        }
    }

    #[tokio::test]
    async fn statuses_are_retried_as_the_policy_says() {
        let s = |codes: &[u16]| codes.iter().map(|c| status(*c)).collect::<Vec<_>>();
        // (name, method, replies, requests the server sees, final status)
        let table: Vec<(&str, Method, Vec<Reply>, usize, u16)> = vec![
            ("GET 503 then 200", Method::GET, s(&[503, 503, 200]), 3, 200),
            (
                "GET 503 forever: 1 + 2 retries",
                Method::GET,
                s(&[503]),
                3,
                503,
            ),
            (
                "GET 500, 502, 504",
                Method::GET,
                s(&[500, 502, 504, 200]),
                3,
                504,
            ),
            ("GET 404 is final", Method::GET, s(&[404, 200]), 1, 404),
            (
                "POST 503 is not resent",
                Method::POST,
                s(&[503, 200]),
                1,
                503,
            ),
            ("POST 429 is resent", Method::POST, s(&[429, 200]), 2, 200),
            (
                "POST 408 is resent",
                Method::POST,
                s(&[408, 408, 408, 200]),
                3,
                408,
            ),
        ];
        for (name, method, replies, requests, last) in table {
            let server = Server::start(replies).await;
            let clock = ManualClock::new();
            let t = transport(&clock, two_retries());
            let hook = Attempts::default();
            let response = send(
                &t,
                ApiRequest::new(method, server.url.clone()),
                SendOptions::new().hook(&hook),
            )
            .await
            .unwrap();
            assert_eq!(response.status.as_u16(), last, "{name}");
            assert_eq!(server.count(), requests, "{name}");
            let numbers: Vec<u32> = hook.seen.lock().unwrap().iter().map(|(n, _)| *n).collect();
            let expected: Vec<u32> = (1..=u32::try_from(requests).unwrap()).collect();
            assert_eq!(numbers, expected, "{name}");
            assert_eq!(hook.answers.lock().unwrap().len(), requests, "{name}");
            // 100 ms, then 200 ms: one back-off per retry.
            let waits = [Duration::from_millis(100), Duration::from_millis(200)];
            assert_eq!(clock.sleeps(), waits[..requests - 1], "{name}");
        }
    }

    #[tokio::test]
    async fn a_retry_sees_the_answer_that_caused_it_and_no_retries_means_one_request() {
        let server = Server::start(vec![status(503), status(200)]).await;
        let clock = ManualClock::new();
        let t = transport(&clock, two_retries());
        let hook = Attempts::default();
        send(
            &t,
            ApiRequest::new(Method::GET, server.url.clone()),
            SendOptions::new().hook(&hook),
        )
        .await
        .unwrap();
        assert_eq!(*hook.seen.lock().unwrap(), [(1, None), (2, Some(503))]);

        let server = Server::start(vec![status(503), status(200)]).await;
        let response = send(
            &t,
            ApiRequest::new(Method::GET, server.url.clone()).no_retries(),
            SendOptions::new(),
        )
        .await
        .unwrap();
        assert_eq!((response.status.as_u16(), server.count()), (503, 1));
    }

    #[tokio::test]
    async fn server_waits_are_honoured_within_max_wait_and_max_elapsed() {
        // (policy, replies, requests seen, waits, final status)
        let after = |secs: &'static str| reply(429, &[("retry-after", secs)], "");
        let table = [
            (
                two_retries(),
                vec![after("7"), status(200)],
                2,
                vec![Duration::from_secs(7)],
                200,
            ),
            (
                two_retries().max_wait(Duration::from_secs(6)),
                vec![after("7"), status(200)],
                1,
                vec![],
                429,
            ),
            (
                two_retries().max_elapsed(Duration::from_secs(9)),
                vec![after("5"), after("5"), status(200)],
                2,
                vec![Duration::from_secs(5)],
                429,
            ),
        ];
        for (policy, replies, requests, waits, last) in table {
            let server = Server::start(replies).await;
            let clock = ManualClock::new();
            let t = transport(&clock, policy.clone());
            let response = send(
                &t,
                ApiRequest::new(Method::POST, server.url.clone()),
                SendOptions::new(),
            )
            .await
            .unwrap();
            assert_eq!(server.count(), requests, "{policy:?}");
            assert_eq!(clock.sleeps(), waits, "{policy:?}");
            assert_eq!(response.status.as_u16(), last, "{policy:?}");
        }
    }

    #[tokio::test]
    async fn failures_are_retried_only_when_a_resend_is_harmless() {
        // A connection never made is retried for every method.
        let clock = ManualClock::new();
        let t = transport(&clock, two_retries());
        let hook = Attempts::default();
        let err = send(
            &t,
            ApiRequest::new(Method::POST, refused_url().await),
            SendOptions::new().hook(&hook),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        assert!(
            err.to_string().to_ascii_lowercase().contains("refused"),
            "{err}"
        );
        assert_eq!(hook.seen.lock().unwrap().len(), 3);
        assert_eq!(clock.sleeps().len(), 2);

        // A connection closed after the request was written: a GET is sent again, a POST is
        // not, and its error says the outcome is unknown.
        for (method, requests) in [(Method::GET, 3), (Method::POST, 1)] {
            let server = Server::start(vec![Reply::Close]).await;
            let err = send(
                &t,
                ApiRequest::new(method.clone(), server.url.clone()),
                SendOptions::new(),
            )
            .await
            .unwrap_err();
            assert_eq!(server.count(), requests, "{method}");
            match err {
                Error::OutcomeUnknown { idempotent, .. } => {
                    assert_eq!(idempotent, method == Method::GET, "{method}");
                }
                other => panic!("{method}: {other:?}"),
            }
        }

        // An answer cut short in its body: the GET is retried and then succeeds; the POST
        // fails with what had arrived.
        let cut =
            Reply::Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n{\"partial\":".to_vec());
        let server = Server::start(vec![cut.clone(), reply(200, &[], "{}")]).await;
        let ok = send(
            &t,
            ApiRequest::new(Method::GET, server.url.clone()),
            SendOptions::new(),
        )
        .await
        .unwrap();
        assert_eq!((ok.status.as_u16(), server.count()), (200, 2));
        let server = Server::start(vec![cut, reply(200, &[], "{}")]).await;
        let err = send(
            &t,
            ApiRequest::new(Method::POST, server.url.clone()),
            SendOptions::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(server.count(), 1);
        match err {
            Error::BodyInterrupted {
                status,
                received,
                idempotent,
                ..
            } => {
                assert_eq!((status, received, idempotent), (StatusCode::OK, 11, false));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_body_limit_is_exact_and_a_too_large_body_is_not_retried() {
        // The transport accepts 64 bytes.
        let exactly = "x".repeat(64);
        let over = "x".repeat(65);
        let half = "x".repeat(32);
        // (name, reply, accepted)
        let table = [
            ("small, declared", reply(200, &[], "{}"), true),
            ("64, declared", reply(200, &[], &exactly), true),
            ("65, declared", reply(200, &[], &over), false),
            ("small, chunked", chunked(&["{", "}"]), true),
            ("64, chunked", chunked(&[&half, &half]), true),
            ("65, chunked", chunked(&[&half, &half, "x"]), false),
        ];
        for (name, answer, accepted) in table {
            let server = Server::start(vec![answer]).await;
            let clock = ManualClock::new();
            let t = transport(&clock, two_retries());
            let got = send(
                &t,
                ApiRequest::new(Method::GET, server.url.clone()),
                SendOptions::new(),
            )
            .await;
            assert_eq!(server.count(), 1, "{name}");
            match got {
                Ok(response) => {
                    assert!(accepted, "{name}: accepted");
                    assert!(response.body.len() <= 64, "{name}");
                }
                Err(Error::BodyTooLarge { limit, .. }) => {
                    assert!(!accepted, "{name}: refused");
                    assert_eq!(limit, 64, "{name}");
                }
                Err(other) => panic!("{name}: {other:?}"),
            }
        }
    }

    /// Puts a bearer token on every attempt and says "try again" to every 400 and 401.
    #[derive(Debug, Default)]
    struct Eager {
        authorized: Mutex<u32>,
        rejects: bool,
    }

    impl Authenticator for Eager {
        fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
            let mut n = self.authorized.lock().unwrap();
            *n += 1;
            request.headers.insert(
                http::header::AUTHORIZATION,
                format!("Bearer t{n}").parse().unwrap(),
            );
            Box::pin(std::future::ready(Ok(())))
        }
        fn rejected(&self, sent: &HeaderMap, _response: &Response) -> bool {
            assert!(
                sent.contains_key(http::header::AUTHORIZATION),
                "the attempt's own headers"
            );
            self.rejects
        }
    }

    #[tokio::test]
    async fn rejected_credentials_are_renewed_once_after_401_and_twice_after_400() {
        // (status forever, authenticator rejects, requests seen)
        let table = [
            (401, true, 2),
            (400, true, 3),
            (401, false, 1),
            (400, false, 1),
            (403, true, 1),
        ];
        for (code, rejects, requests) in table {
            for method in [Method::GET, Method::POST] {
                let server = Server::start(vec![status(code)]).await;
                let clock = ManualClock::new();
                let t = transport(&clock, RetryPolicy::never());
                let auth = Eager {
                    rejects,
                    ..Eager::default()
                };
                let response = send(
                    &t,
                    ApiRequest::new(method.clone(), server.url.clone()),
                    SendOptions::new().auth(&auth),
                )
                .await
                .unwrap();
                assert_eq!(response.status.as_u16(), code);
                assert_eq!(server.count(), requests, "{code} {rejects} {method}");
                assert_eq!(
                    *auth.authorized.lock().unwrap(),
                    u32::try_from(requests).unwrap()
                );
                // Fresh credentials on every attempt, never waited for.
                let last = format!("authorization: bearer t{requests}");
                assert!(
                    server.heads().last().unwrap().contains(&last),
                    "{code} {rejects}"
                );
                assert!(clock.sleeps().is_empty());
            }
        }
        // Renewals do not use up retries: a 401 then a 503 then a 200.
        let server = Server::start(vec![status(401), status(503), status(200)]).await;
        let clock = ManualClock::new();
        let t = transport(&clock, two_retries().max_retries(1));
        let auth = Eager {
            rejects: true,
            ..Eager::default()
        };
        let hook = Attempts::default();
        let response = send(
            &t,
            ApiRequest::new(Method::GET, server.url.clone()),
            SendOptions::new().auth(&auth).hook(&hook),
        )
        .await
        .unwrap();
        assert_eq!((response.status.as_u16(), server.count()), (200, 3));
        assert_eq!(
            *hook.seen.lock().unwrap(),
            [(1, None), (2, Some(401)), (3, Some(503))]
        );
    }

    #[tokio::test]
    async fn every_request_says_who_sends_it_and_carries_its_credentials() {
        let server = Server::start(vec![status(204)]).await;
        let clock = ManualClock::new();
        let auth = crate::auth::BearerToken::new("tok-1".to_owned());
        transport(&clock, RetryPolicy::never())
            .send(
                ApiRequest::new(Method::GET, server.url.clone()),
                Some(&auth),
            )
            .await
            .unwrap();
        let suffixed = Transport::builder()
            .user_agent_suffix("probe/1")
            .build()
            .unwrap();
        suffixed
            .send(ApiRequest::new(Method::DELETE, server.url.clone()), None)
            .await
            .unwrap();
        let heads = server.heads();
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            heads[0].contains(&format!("user-agent: scimkit/{version}\r\n")),
            "{}",
            heads[0]
        );
        assert!(
            heads[0].contains("authorization: bearer tok-1\r\n"),
            "{}",
            heads[0]
        );
        assert!(
            heads[1].contains(&format!("user-agent: scimkit/{version} probe/1\r\n")),
            "{}",
            heads[1]
        );
        assert!(!heads[1].contains("authorization"), "{}", heads[1]);
    }

    #[tokio::test]
    async fn the_last_rate_limit_headers_are_kept() {
        let limited = reply(
            200,
            &[
                ("x-rate-limit-limit", "600"),
                ("x-rate-limit-remaining", "599"),
            ],
            "",
        );
        let server = Server::start(vec![limited, status(200)]).await;
        let clock = ManualClock::new();
        let t = transport(&clock, RetryPolicy::never());
        assert_eq!(t.last_rate_limit(), None);
        for _ in 0..2 {
            send(
                &t,
                ApiRequest::new(Method::GET, server.url.clone()),
                SendOptions::new(),
            )
            .await
            .unwrap();
            // A later answer without the headers keeps the last ones seen.
            let limit = t.last_rate_limit().unwrap();
            assert_eq!((limit.limit, limit.remaining), (Some(600), Some(599)));
        }
    }

    #[test]
    fn accessors_and_debug() {
        let clock = ManualClock::new();
        let t = transport(&clock, two_retries());
        assert_eq!(t.retry_policy(), &two_retries());
        assert_eq!(t.max_response_bytes(), 64);
        let start = t.clock().now();
        clock.advance(Duration::from_secs(5));
        assert_eq!(t.clock().now() - start, Duration::from_secs(5));
        assert_eq!(t.shared_clock().now() - start, Duration::from_secs(5));
        let insecure = Url::parse("http://idp.example.com/token").unwrap();
        assert!(matches!(
            t.check_parsed_url(&insecure),
            Err(Error::InsecureUrl { .. })
        ));
        assert!(
            t.check_parsed_url(&Url::parse("https://idp.example.com/token").unwrap())
                .is_ok()
        );
        let shown = format!("{t:?}");
        for part in [
            "Transport",
            "max_retries: 2",
            "max_response_bytes: 64",
            "allow_insecure_http: false",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
    }
}
