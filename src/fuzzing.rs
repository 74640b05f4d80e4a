//! Entry points for the cargo-fuzz targets in `fuzz/`: thin wrappers that reach the
//! crate-private decoders with bytes. Compiled only with the `__fuzz` feature, hidden from
//! the docs and not part of the public API: it may change in any release.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use url::Url;

use crate::error::Error;
use crate::transport::Response;
use crate::transport::response::Sent;

/// A response to a request that was sent with `sent_headers` and `sent_body`, as the
/// transport builds it (so that errors made from it can scrub the request's secrets).
pub fn response(
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    url: Url,
    sent_headers: HeaderMap,
    sent_body: Option<Bytes>,
) -> Response {
    let sent = Sent {
        headers: sent_headers,
        body: sent_body,
    };
    Response::new(status, headers, body, url, Some(Arc::new(sent)))
}

pub use crate::auth::token_response::MAX_TOKEN_LIFETIME;

/// What a token response decoded to: `expires_in` and the token's length.
pub type DecodedToken = (Option<Duration>, usize);

/// The token endpoint's 2xx decoder (`TokenResponse::from_response`).
pub fn token_response(response: &Response) -> Result<DecodedToken, Error> {
    use secrecy::ExposeSecret;
    crate::auth::token_response::TokenResponse::from_response(response)
        .map(|t| (t.expires_in, t.access_token.expose_secret().len()))
}

/// The OAuth error shape (RFC 6749 §5.2).
pub fn oauth_error(response: &Response) -> Option<Error> {
    crate::auth::token_response::oauth_error(response)
}

/// The Okta error shape.
pub fn okta_error(response: &Response) -> Option<Error> {
    crate::okta::errors::okta_error_shape(response)
}

/// The SCIM error shape.
pub fn scim_error(response: &Response) -> Option<Error> {
    crate::scim::error::scim_error(response)
}

/// How long the server asked to wait (`Retry-After`, `X-Rate-Limit-Reset`), at `now`.
pub fn retry_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    crate::transport::rate_limit::retry_hint(headers, now)
}
