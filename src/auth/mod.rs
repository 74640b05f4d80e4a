//! Credentials: what puts the `Authorization` header on a request.
//!
//! - [`BearerToken`]: a static `Authorization: Bearer <token>` (a SCIM token pasted from an
//!   admin console).
//! - [`ApiToken`]: an Okta API token, `Authorization: SSWS <token>`.
//! - [`ClientCredentials`]: OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), fetched,
//!   cached and refreshed ahead of expiry.
//!
//! Each implements [`Authenticator`]; every client in this crate takes any of them.

mod api_token;
mod bearer;
mod client_credentials;
mod dpop;
mod oauth_http;
pub(crate) mod private_key_jwt;
mod token;
mod token_cache;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderMap, Method};
use url::Url;

pub use api_token::ApiToken;
pub use bearer::BearerToken;
pub use client_credentials::{
    ClientAssertion, ClientAuth, ClientCredentials, ClientCredentialsBuilder,
};
pub use dpop::DpopKey;
pub use private_key_jwt::PrivateKeyJwt;
pub use token::AccessToken;

use crate::Result;

/// A boxed future borrowed for `'a`, as [`Authenticator`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The parts of an outgoing request an [`Authenticator`] may read and change.
#[derive(Debug)]
#[non_exhaustive]
pub struct AuthRequest<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's full URL.
    pub url: &'a Url,
    /// The request's headers: set `Authorization` (and e.g. `DPoP`) here.
    pub headers: &'a mut HeaderMap,
}

impl<'a> AuthRequest<'a> {
    /// Wraps a request's parts for an [`Authenticator`] (useful when testing one).
    pub fn new(method: &'a Method, url: &'a Url, headers: &'a mut HeaderMap) -> Self {
        AuthRequest {
            method,
            url,
            headers,
        }
    }
}

/// Puts credentials on requests, and hears when the server rejected them.
///
/// The transport calls [`authorize`](Authenticator::authorize) before every attempt and
/// [`unauthorized`](Authenticator::unauthorized) when a response is 401; when that returns
/// `true` the request is sent once more with fresh credentials.
///
/// ```
/// use http::{HeaderMap, Method};
/// use scimkit::auth::{AuthRequest, Authenticator, BearerToken};
///
/// # tokio_test_block_on(async {
/// let auth = BearerToken::new("t0ken".to_string());
/// let url = url::Url::parse("https://scim.example.com/v2/Users").unwrap();
/// let mut headers = HeaderMap::new();
/// auth.authorize(AuthRequest::new(&Method::GET, &url, &mut headers)).await.unwrap();
/// assert_eq!(headers["authorization"], "Bearer t0ken");
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Sets the credentials headers on a request about to be sent.
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>>;

    /// Called when the server answered 401 to a request carrying `sent` headers; `response`
    /// are the 401's headers. Returns whether sending the request again could succeed (a
    /// cached token was dropped, a nonce was learned). The default: `false`.
    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        let _ = (sent, response);
        false
    }
}

impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        (**self).authorize(request)
    }
    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        (**self).unauthorized(sent, response)
    }
}

/// A shared authenticator, as clients hold it.
pub type SharedAuthenticator = Arc<dyn Authenticator>;

pub(crate) fn header_value(scheme: &str, secret: &str) -> Result<http::HeaderValue> {
    let mut value = http::HeaderValue::try_from(format!("{scheme} {secret}")).map_err(|_| {
        crate::Error::config(format!(
            "the {scheme} credential has characters not allowed in an HTTP header"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}
