//! [`SendHook`]: what a client plugs into the transport's one retry loop for its own
//! protocol's rules: a rate budget to wait for before an attempt, headers a retry must
//! carry, rate-limit headers to read from every answer. The transport itself knows no
//! provider; Okta's per-endpoint buckets and `X-Okta-Retry-*` headers live in
//! [`crate::okta`] as one of these.

use std::fmt;

use http::{HeaderMap, Method};
use url::Url;

use super::{BoxFuture, Response};
use crate::error::Result;

/// One attempt about to be sent, as a [`SendHook`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's URL.
    pub url: &'a Url,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub number: u32,
    /// The answer that made the loop send this attempt (a 429, a 503, a 401), if any.
    pub previous: Option<&'a Response>,
    /// The attempt's headers, before credentials are added.
    pub headers: &'a mut HeaderMap,
}

/// A protocol's rules around each attempt of the transport's retry loop.
///
/// Both methods have defaults that do nothing, so a hook implements what it needs.
///
/// ```
/// use scimkit::transport::{Attempt, BoxFuture, Response, SendHook};
///
/// /// Tags every retry with the attempt number.
/// #[derive(Debug)]
/// struct TagRetries;
///
/// impl SendHook for TagRetries {
///     fn before_attempt<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, scimkit::Result<()>> {
///         if attempt.number > 1 {
///             attempt.headers.insert("x-attempt", attempt.number.into());
///         }
///         Box::pin(std::future::ready(Ok(())))
///     }
/// }
/// # let _ = TagRetries;
/// ```
pub trait SendHook: Send + Sync + fmt::Debug {
    /// Before each attempt: may wait (for a rate-limit window, a shared budget) and add
    /// headers. An error ends the call with that error.
    fn before_attempt<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<()>> {
        let _ = attempt;
        Box::pin(std::future::ready(Ok(())))
    }

    /// After each answer, whatever its status (rate-limit headers, a learned budget).
    fn after_response(&self, method: &Method, url: &Url, response: &Response) {
        let _ = (method, url, response);
    }
}
