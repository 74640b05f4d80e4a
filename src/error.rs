//! The crate's one error type and the provider error bodies it carries.
//!
//! Every failure is data: the HTTP status, the provider's own error fields and the request id
//! travel with the error, so callers can branch on them without matching strings.
//! No variant ever holds a secret: response bodies and messages go through the one
//! redactor ([`crate::redact`]) before they are stored.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

/// Shorthand for `Result<T, scimkit::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in scimkit.
///
/// The enum is `#[non_exhaustive]`: match the variants you handle and keep a `_` arm.
/// [`Error::is_retryable`] tells whether sending the same request again may succeed.
///
/// ```
/// use scimkit::Error;
///
/// fn describe(err: &Error) -> String {
///     match err {
///         Error::OAuth(e) if e.error == "invalid_client" => "check the client id and secret".into(),
///         Error::Timeout { .. } => "the server is slow; try again".into(),
///         other => other.to_string(),
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A builder was given a value it cannot use, or a required value is missing.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// A plain `http://` URL to a host that is not loopback, without the builder's opt-in.
    #[error(
        "refusing plain http:// URL {url}: use https://, or call allow_insecure_http(true) on the builder"
    )]
    InsecureUrl {
        /// The refused URL (without query or credentials).
        url: String,
    },

    /// The request did not complete within the configured timeout.
    #[error("request to {url} timed out")]
    Timeout {
        /// The URL (without query) that timed out.
        url: String,
    },

    /// The connection could not be made (refused, DNS, connect timeout): the request was
    /// never written, so sending it again is safe whatever its method.
    #[error("connection to {url} failed: {message}")]
    Connect {
        /// The URL (without query).
        url: String,
        /// What the HTTP stack reported.
        message: String,
    },

    /// The TLS handshake failed: the server's certificate is not trusted, has expired, or
    /// is for another host. Not retried: the same certificate will fail again.
    #[error("TLS with {url} failed ({kind}): {message}")]
    Tls {
        /// The URL (without query).
        url: String,
        /// Why, as far as the TLS library said.
        kind: TlsErrorKind,
        /// What the TLS library reported.
        message: String,
    },

    /// The connection broke after the request was written and before the answer's status
    /// arrived (a reset, a close, an answer that is not HTTP, a timeout): the server may or
    /// may not have acted on the request. An idempotent request was already retried as the
    /// [`RetryPolicy`](crate::RetryPolicy) allows; any other is never sent again by this
    /// crate: check the server's state before you resend it.
    #[error("connection to {url} broke after the request was sent ({message}); the outcome is unknown{}", if *.idempotent { "" } else { ": check the server's state before sending it again" })]
    OutcomeUnknown {
        /// The URL (without query).
        url: String,
        /// What the HTTP stack reported.
        message: String,
        /// Whether the request was idempotent (safe to send again).
        idempotent: bool,
    },

    /// The answer's status arrived but its body was cut off (the connection dropped
    /// mid-body). The server has acted on the request.
    #[error("the {status} answer from {url} was cut off after {received} bytes: {message}")]
    BodyInterrupted {
        /// The status that arrived.
        status: StatusCode,
        /// The URL (without query).
        url: String,
        /// How many body bytes arrived.
        received: u64,
        /// What the HTTP stack reported.
        message: String,
        /// Whether the request was idempotent (safe to send again).
        idempotent: bool,
    },

    /// The server answered with a status the caller did not expect and no body we understand.
    #[error("{0}")]
    Http(Box<HttpError>),

    /// An OAuth 2.0 error response (RFC 6749 §5.2) from a token endpoint.
    #[error("{0}")]
    OAuth(Box<OAuthError>),

    /// A SCIM error response (RFC 7644 §3.12).
    #[error("{0}")]
    Scim(Box<ScimError>),

    /// An Okta management API error response.
    #[error("{0}")]
    Okta(Box<OktaError>),

    /// The body could not be decoded into the expected type.
    #[error(
        "could not decode the {status} response from {url}: {message}; body starts: {snippet:?}"
    )]
    Decode {
        /// HTTP status of the response.
        status: StatusCode,
        /// The URL (without query).
        url: String,
        /// What went wrong (JSON path and reason, or a content type mismatch).
        message: String,
        /// The first bytes of the body, with token values redacted.
        snippet: String,
    },

    /// The response body was larger than the configured limit.
    #[error("response from {url} exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The URL (without query).
        url: String,
        /// The configured limit in bytes.
        limit: usize,
    },

    /// A token endpoint issued a token of a type this client cannot use.
    #[error(
        "token endpoint issued a {token_type:?} token; this client accepts Bearer, and DPoP when DPoP is on"
    )]
    UnsupportedTokenType {
        /// The `token_type` the server sent.
        token_type: String,
    },

    /// The server redirected a request that must not follow redirects (token requests).
    #[error("{url} answered {status} redirecting to {location:?}; redirects are not followed")]
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The URL (without query).
        url: String,
        /// The `Location` header, if any.
        location: Option<String>,
    },

    /// A conditional request was not satisfied: the resource did not change (304).
    #[error("not modified")]
    NotModified,

    /// A listing stream fetched as many pages as its cap allows (`max_pages` on the list
    /// builder, [`DEFAULT_MAX_PAGES`](crate::transport::DEFAULT_MAX_PAGES) unless set) and
    /// another page was due. The stream yields this once and ends; its `cursor()` points at
    /// the page it did not fetch, so the listing can be resumed from there.
    #[error(
        "stopped paging after {pages} pages, the stream's page cap; resume from its cursor() or raise max_pages"
    )]
    PageLimit {
        /// How many pages the stream fetched (its cap).
        pages: u64,
    },

    /// Any other failure inside the HTTP stack (TLS set-up, invalid header, ...).
    #[error("HTTP client error: {0}")]
    Transport(Arc<str>),

    /// A rate budget ([`RateBudget`](crate::store::RateBudget)) foresaw a 429: the
    /// endpoint's window is spent and resets later than the retry policy's `max_wait`. The
    /// request was not sent; send it again after `retry_after`.
    #[error(
        "the rate-limit budget for this endpoint is spent; it resets in {retry_after:?} (not sent)"
    )]
    RateBudgetExhausted {
        /// How long until the budget resets.
        retry_after: Duration,
    },

    /// A provisioning run could not be planned as a whole: a target could not be read, a
    /// group could not be found in the source, the source failed (see
    /// [`ProvisionError`]). Nothing was written.
    #[error("{0}")]
    Provision(Box<ProvisionError>),

    /// A shared store (a [`TokenStore`](crate::store::TokenStore) or
    /// [`RateBudget`](crate::store::RateBudget) outside the process, such as Redis) did not
    /// answer in time or failed. The crate's clients never return it: they fall back to
    /// their in-process state. Custom stores return it.
    #[error("shared store unavailable: {kind}")]
    StoreUnavailable {
        /// What went wrong, without keys or values.
        kind: StoreFailure,
    },
}

/// Why a shared store failed (see [`Error::StoreUnavailable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreFailure {
    /// No answer within the store's timeout.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// The store answered with an error or with data this crate cannot read.
    Protocol,
    /// The store is in its back-off period after an earlier failure.
    BackingOff,
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreFailure::Timeout => "no answer within the timeout",
            StoreFailure::Connection => "connection failed",
            StoreFailure::Protocol => "unexpected answer",
            StoreFailure::BackingOff => "backing off after an earlier failure",
        })
    }
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The certificate chain does not lead to a trusted root (an unknown CA, a self-signed
    /// certificate): add the CA with `TransportBuilder::add_root_certificate`.
    UnknownIssuer,
    /// The certificate has expired (or is not valid yet).
    Expired,
    /// The certificate is for another host name.
    WrongHost,
    /// Another handshake failure.
    Other,
}

impl std::fmt::Display for TlsErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsErrorKind::UnknownIssuer => "certificate from an unknown issuer",
            TlsErrorKind::Expired => "certificate expired or not yet valid",
            TlsErrorKind::WrongHost => "certificate for another host name",
            TlsErrorKind::Other => "handshake failed",
        })
    }
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

impl Error {
    /// Whether the same request may succeed if sent again later.
    ///
    /// True for timeouts, connections that could not be made, HTTP 408, 429, 500, 502, 503
    /// and 504, OAuth `temporarily_unavailable` / `server_error`, and — for idempotent
    /// requests only — connections lost after the request was sent
    /// ([`Error::OutcomeUnknown`], [`Error::BodyInterrupted`]).
    ///
    /// ```
    /// let err = scimkit::Error::Timeout { url: "https://idp.example.com/token".into() };
    /// assert!(err.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. }
            | Error::Connect { .. }
            | Error::RateBudgetExhausted { .. }
            | Error::StoreUnavailable { .. } => true,
            Error::OutcomeUnknown { idempotent, .. }
            | Error::BodyInterrupted { idempotent, .. } => *idempotent,
            Error::OAuth(e) => {
                matches!(e.error.as_str(), "temporarily_unavailable" | "server_error")
                    || e.status.is_some_and(retryable_status)
            }
            _ => self.status().is_some_and(retryable_status),
        }
    }

    /// The HTTP status behind this error, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Http(e) => Some(e.status),
            Error::OAuth(e) => e.status,
            Error::Scim(e) => Some(e.status),
            Error::Okta(e) => Some(e.status),
            Error::Decode { status, .. }
            | Error::Redirect { status, .. }
            | Error::BodyInterrupted { status, .. } => Some(*status),
            Error::NotModified => Some(StatusCode::NOT_MODIFIED),
            _ => None,
        }
    }

    /// The provider's request id (`X-Okta-Request-Id`, `X-Request-Id`), when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Http(e) => e.request_id.as_deref(),
            Error::OAuth(e) => e.request_id.as_deref(),
            Error::Scim(e) => e.request_id.as_deref(),
            Error::Okta(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the server asked the client to wait (`Retry-After`), when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http(e) => e.retry_after,
            Error::RateBudgetExhausted { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }
}

pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// An HTTP error response with no provider-specific body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("HTTP {status} from {url}{}; body starts: {snippet:?}", fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct HttpError {
    /// The status code.
    pub status: StatusCode,
    /// The URL (without query).
    pub url: String,
    /// The first bytes of the body, with token values redacted.
    pub snippet: String,
    /// The provider's request id, when sent.
    pub request_id: Option<String>,
    /// The server's `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
}

/// An OAuth 2.0 error response (RFC 6749 §5.2), e.g. `invalid_client` or `invalid_scope`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("OAuth error {error}{}{}", .error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct OAuthError {
    /// The HTTP status, when the error came from a response.
    pub status: Option<StatusCode>,
    /// The `error` code (`invalid_client`, `invalid_grant`, `use_dpop_nonce`, ...).
    pub error: String,
    /// `error_description`, when sent.
    pub error_description: Option<String>,
    /// `error_uri`, when sent.
    pub error_uri: Option<String>,
    /// The provider's request id, when sent.
    pub request_id: Option<String>,
}

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Debug, Clone, thiserror::Error)]
#[error("SCIM error {status}{}{}{}", .scim_type.as_deref().map(|t| format!(" {t}")).unwrap_or_default(), .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct ScimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `scimType` (`uniqueness`, `invalidFilter`, `tooMany`, ...), kept as sent.
    pub scim_type: Option<String>,
    /// `detail`, when sent.
    pub detail: Option<String>,
    /// The provider's request id, when sent.
    pub request_id: Option<String>,
}

/// An Okta management API error response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Okta error {status} {error_code}: {error_summary}{}", fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct OktaError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `errorCode`, e.g. `E0000007`.
    pub error_code: String,
    /// `errorSummary`.
    pub error_summary: String,
    /// `errorLink`, when sent.
    pub error_link: Option<String>,
    /// `errorId`, when sent.
    pub error_id: Option<String>,
    /// `errorCauses[].errorSummary`.
    pub error_causes: Vec<String>,
    /// `X-Okta-Request-Id`, when sent.
    pub request_id: Option<String>,
}

/// Why a run could not be planned; carried by [`Error::Provision`]. When `plan()` returns
/// one of these, nothing has been written to any target.
///
/// Failures of single items (a user a target refuses, a group that cannot be created) are
/// not errors of the run: they are outcomes in the
/// [`Report`](crate::provision::Report).
///
/// ```
/// use scimkit::Error;
/// use scimkit::provision::ProvisionError;
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::Provision(e) => match e.as_ref() {
///             ProvisionError::TargetUnavailable { target, source } => {
///                 format!("target {target} is down ({source}); nothing was written")
///             }
///             other => other.to_string(),
///         },
///         other => other.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// A target could not be read while planning: unreachable, refusing the credentials,
    /// or answering its discovery or listings with errors.
    #[error("target {target:?} could not be read, so nothing was written to any target: {source}")]
    TargetUnavailable {
        /// The target's name.
        target: String,
        /// What reading it failed with.
        source: Error,
    },
    /// A group chosen by id or by exact name is not in the source. The run stops rather
    /// than treat the group as empty, which would deprovision its members.
    #[error("no group in the source matches {selector}")]
    GroupNotFound {
        /// The selector that matched nothing, as
        /// [`GroupSelector`](crate::provision::GroupSelector) shows it (`name Engineering`,
        /// `id 00g1`).
        selector: String,
    },
    /// The source could not be read (its groups or their members).
    #[error("the source could not be read: {source}")]
    Source {
        /// What reading it failed with.
        source: Error,
    },
}

impl From<ProvisionError> for Error {
    fn from(e: ProvisionError) -> Self {
        Error::Provision(Box::new(e))
    }
}

/// The longest provider-supplied text field (an error's detail, summary or description)
/// kept in an error; longer text is cut, so a hostile server cannot make every log line
/// megabytes long.
pub(crate) const MAX_ERROR_FIELD: usize = 1024;

/// A provider's text for an error field: the request's secrets scrubbed *first*, then cut
/// to [`MAX_ERROR_FIELD`] bytes. The only way text from a server becomes an error field:
/// cutting first would leave the start of an echoed secret that straddles the cut (found
/// by the `okta_error` fuzz target).
pub(crate) fn error_field(redactor: &crate::redact::Redactor, text: &str) -> String {
    bounded(&redactor.scrub(text))
}

/// `text` cut to [`MAX_ERROR_FIELD`] bytes on a character boundary, with `…` when cut.
fn bounded(text: &str) -> String {
    if text.len() <= MAX_ERROR_FIELD {
        return text.to_owned();
    }
    let mut end = MAX_ERROR_FIELD;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields_scrub_before_they_cut() {
        let secret = "rq-7Hq2Zp9XkLw3VtB4";
        let mut headers = http::HeaderMap::new();
        let mut value = http::HeaderValue::from_str(&format!("SSWS {secret}")).unwrap();
        value.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, value);
        let redactor = crate::redact::Redactor::for_request(&headers, None);
        // The secret placed so that the cut falls at every point inside it, and around it.
        for pad in MAX_ERROR_FIELD - secret.len() - 2..=MAX_ERROR_FIELD + 2 {
            let text = format!("{}{secret} and more", "x".repeat(pad));
            let field = error_field(&redactor, &text);
            assert!(!field.contains(&secret[..4]), "pad {pad}: {field}");
            assert!(field.len() <= MAX_ERROR_FIELD + '…'.len_utf8(), "pad {pad}");
        }
    }

    #[test]
    fn retryable_classification() {
        let http = |code: u16| {
            Error::Http(Box::new(HttpError {
                status: StatusCode::from_u16(code).unwrap(),
                url: "u".into(),
                snippet: String::new(),
                request_id: None,
                retry_after: None,
            }))
        };
        for code in [429, 502, 503, 504] {
            assert!(http(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 412] {
            assert!(!http(code).is_retryable(), "{code}");
        }
        let oauth = Error::OAuth(Box::new(OAuthError {
            status: Some(StatusCode::UNAUTHORIZED),
            error: "invalid_client".into(),
            error_description: None,
            error_uri: None,
            request_id: Some("r1".into()),
        }));
        assert!(!oauth.is_retryable());
        assert_eq!(oauth.request_id(), Some("r1"));
        assert_eq!(
            oauth.to_string(),
            "OAuth error invalid_client (request id r1)"
        );
    }
}
