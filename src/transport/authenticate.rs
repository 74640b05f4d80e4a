//! The hook the transport calls to put credentials on a request: [`Authenticator`].
//!
//! It lives here, below the transport, so that the transport never depends on the
//! credentials module: [`crate::auth`] implements it (API tokens, bearer tokens, OAuth 2.0
//! client credentials, private-key JWT, DPoP), and so can callers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use super::Response;
use crate::error::Result;

/// A boxed, sendable future borrowed for `'a`: what [`Authenticator`] methods and the
/// paginator's page sources return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The parts of an outgoing attempt an [`Authenticator`] may read and change.
///
/// The transport builds a fresh one for every attempt, from the request as the caller made
/// it, so whatever an authenticator adds (a header, form fields) is never added twice.
#[non_exhaustive]
pub struct AuthRequest<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's full URL.
    pub url: &'a Url,
    /// The request's headers: set `Authorization` (and e.g. `DPoP`) here.
    pub headers: &'a mut HeaderMap,
    /// The request's body, for credentials that travel in it (client authentication in an
    /// `application/x-www-form-urlencoded` token request). `None` when the request has no
    /// body.
    pub body: Option<&'a mut Bytes>,
}

impl fmt::Debug for AuthRequest<'_> {
    /// The method, the URL without its query, and the header names: never a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", self.method)
            .field("url", &crate::redact::display_url(self.url))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .finish()
    }
}

impl<'a> AuthRequest<'a> {
    /// Wraps a request's parts for an [`Authenticator`] (useful when testing one).
    pub fn new(method: &'a Method, url: &'a Url, headers: &'a mut HeaderMap) -> Self {
        AuthRequest {
            method,
            url,
            headers,
            body: None,
        }
    }

    /// The same, with a body an authenticator may extend.
    pub fn with_body(mut self, body: &'a mut Bytes) -> Self {
        self.body = Some(body);
        self
    }
}

/// Puts credentials on requests, and hears when the server rejected them.
///
/// The transport calls [`authorize`](Authenticator::authorize) before every attempt, and
/// [`rejected`](Authenticator::rejected) when an answer is 400 or 401; when that returns
/// `true` the request is sent again with fresh credentials: after a 401 once per call, after
/// a 400 at most twice, so a server that always answers 401 costs two requests, not a loop.
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
    /// Sets the credentials on an attempt about to be sent.
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>>;

    /// Called when the server answered 401 to an attempt carrying `sent` headers; `response`
    /// are the 401's headers. Returns whether sending the request again could succeed (a
    /// cached token was dropped, a nonce was learned). The default: `false`.
    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        let _ = (sent, response);
        false
    }

    /// Called when the server answered 400 or 401 to an attempt carrying `sent` headers.
    /// Returns whether sending it again with fresh credentials could succeed. The default
    /// asks [`unauthorized`](Self::unauthorized) for a 401 and says `false` for a 400; a
    /// token endpoint's authenticator overrides it to answer a DPoP nonce request (RFC 9449
    /// §8), which comes as a 400.
    fn rejected(&self, sent: &HeaderMap, response: &Response) -> bool {
        response.status == StatusCode::UNAUTHORIZED && self.unauthorized(sent, &response.headers)
    }
}

impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        (**self).authorize(request)
    }
    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        (**self).unauthorized(sent, response)
    }
    fn rejected(&self, sent: &HeaderMap, response: &Response) -> bool {
        (**self).rejected(sent, response)
    }
}

/// A shared authenticator, as clients hold it.
pub type SharedAuthenticator = Arc<dyn Authenticator>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Puts nothing on requests and answers `unauthorized` as told.
    #[derive(Debug)]
    struct Answers(bool);

    impl Authenticator for Answers {
        fn authorize<'a>(&'a self, _request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
            Box::pin(std::future::ready(Ok(())))
        }
        fn unauthorized(&self, _sent: &HeaderMap, _response: &HeaderMap) -> bool {
            self.0
        }
    }

    /// Overrides nothing but `authorize`.
    #[derive(Debug)]
    struct Plain;

    impl Authenticator for Plain {
        fn authorize<'a>(&'a self, _request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
            Box::pin(std::future::ready(Ok(())))
        }
    }

    fn answer(status: StatusCode) -> Response {
        Response::from_parts(
            status,
            HeaderMap::new(),
            Bytes::new(),
            Url::parse("https://api.example.com/x").unwrap(),
        )
    }

    #[test]
    fn by_default_nothing_is_sent_again() {
        let none = HeaderMap::new();
        assert!(!Plain.unauthorized(&none, &none));
        for status in [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED] {
            assert!(!Plain.rejected(&none, &answer(status)), "{status}");
        }
    }

    #[test]
    fn a_401_asks_unauthorized_a_400_does_not_and_arc_forwards_both() {
        let none = HeaderMap::new();
        // (authenticator's answer to `unauthorized`, status, rejected)
        let table = [
            (true, StatusCode::UNAUTHORIZED, true),
            (false, StatusCode::UNAUTHORIZED, false),
            (true, StatusCode::BAD_REQUEST, false),
            (true, StatusCode::FORBIDDEN, false),
        ];
        for (says, status, rejected) in table {
            let direct = Answers(says);
            let shared: SharedAuthenticator = Arc::new(Answers(says));
            assert_eq!(
                direct.rejected(&none, &answer(status)),
                rejected,
                "{says} {status}"
            );
            assert_eq!(
                shared.rejected(&none, &answer(status)),
                rejected,
                "Arc: {says} {status}"
            );
            assert_eq!(shared.unauthorized(&none, &none), says, "Arc: {says}");
        }
    }

    #[test]
    fn arc_forwards_rejected_itself() {
        /// Rejects every 400, as a token endpoint's authenticator may.
        #[derive(Debug)]
        struct Rejects400;
        impl Authenticator for Rejects400 {
            fn authorize<'a>(&'a self, _request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
                Box::pin(std::future::ready(Ok(())))
            }
            fn rejected(&self, _sent: &HeaderMap, response: &Response) -> bool {
                response.status == StatusCode::BAD_REQUEST
            }
        }
        let shared: SharedAuthenticator = Arc::new(Rejects400);
        let none = HeaderMap::new();
        assert!(shared.rejected(&none, &answer(StatusCode::BAD_REQUEST)));
        assert!(!shared.rejected(&none, &answer(StatusCode::UNAUTHORIZED)));
    }

    #[test]
    fn debug_shows_method_path_and_header_names_only() {
        let url = Url::parse("https://idp.example.com/token?code=q-secret").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Basic h-secret".parse().unwrap());
        let mut body = Bytes::from_static(b"client_secret=b-secret");
        let request = AuthRequest::new(&Method::POST, &url, &mut headers).with_body(&mut body);
        let shown = format!("{request:?}");
        for part in [
            "POST",
            "https://idp.example.com/token",
            "authorization",
            "body_len: Some(22)",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        for secret in ["q-secret", "h-secret", "b-secret"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
}
