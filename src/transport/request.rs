//! [`ApiRequest`]: a request value built by typed client code, never by gluing strings.

use std::fmt;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use serde::Serialize;
use url::Url;

use super::retry::idempotent_method;
use crate::error::{Error, Result};
use crate::redact::display_url;

/// A request value: method, URL, headers and body.
///
/// Its `Debug` shows the method, the URL without its query, the header names and the body's
/// length: never a header value, a query or a body, which may hold secrets.
///
/// ```
/// use http::Method;
/// use scimkit::transport::ApiRequest;
///
/// let url = url::Url::parse("https://scim.example.com/v2/Users?filter=x").unwrap();
/// let req = ApiRequest::new(Method::POST, url)
///     .json_as(&serde_json::json!({"userName": "alice", "password": "hunter2"}), "application/scim+json")
///     .unwrap();
/// assert!(!req.is_idempotent());
/// let shown = format!("{req:?}");
/// assert!(!shown.contains("hunter2") && !shown.contains("filter"));
/// ```
#[derive(Clone)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotent: bool,
    pub(crate) retries: bool,
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("url", &display_url(&self.url))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl ApiRequest {
    /// A request with no body; idempotent when the method is (RFC 9110 §9.2.2).
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

    /// Sends the request exactly once, whatever the retry policy.
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

    /// Sets an `application/x-www-form-urlencoded` body from name/value pairs.
    ///
    /// ```
    /// use http::Method;
    /// use scimkit::transport::ApiRequest;
    ///
    /// let url = url::Url::parse("https://idp.example.com/token").unwrap();
    /// let req = ApiRequest::new(Method::POST, url)
    ///     .form([("grant_type", "client_credentials"), ("scope", "a b")]);
    /// assert_eq!(req.body_bytes().unwrap().as_ref(), b"grant_type=client_credentials&scope=a+b");
    /// ```
    pub fn form<'p, I>(self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (&'p str, &'p str)>,
    {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            form.append_pair(name, value);
        }
        self.body(
            Bytes::from(form.finish()),
            "application/x-www-form-urlencoded",
        )
    }

    /// Sets a raw body and its content type.
    pub fn body(mut self, body: Bytes, content_type: &'static str) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body = Some(body);
        self
    }

    /// Marks the request idempotent (safe to send twice) or not, overriding the method's
    /// rule. See [`RetryPolicy`](super::RetryPolicy) for what that changes.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Whether the request may be sent again after the server may have seen it.
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

    /// The body, if any.
    pub fn body_bytes(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://scim.example.com/v2/Users?filter=userName%20eq%20%22q-secret%22")
            .unwrap()
    }

    #[test]
    fn what_a_request_holds_is_what_was_set() {
        let req = ApiRequest::new(Method::PATCH, url())
            .header(
                http::header::AUTHORIZATION,
                HeaderValue::from_static("Bearer h-secret"),
            )
            .json_as(
                &serde_json::json!({"password": "b-secret"}),
                "application/scim+json",
            )
            .unwrap();
        assert_eq!(req.method(), Method::PATCH);
        assert_eq!(req.url(), &url());
        assert!(!req.is_idempotent(), "PATCH is not idempotent");
        assert!(req.idempotent(true).is_idempotent());
        let req = ApiRequest::new(Method::PUT, url());
        assert!(req.is_idempotent(), "PUT is idempotent");
        assert!(req.body_bytes().is_none());
        assert!(req.headers().is_empty());

        let req = ApiRequest::new(Method::POST, url())
            .header(
                http::header::AUTHORIZATION,
                HeaderValue::from_static("Bearer h-secret"),
            )
            .json(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer h-secret");
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(
            req.body_bytes().map(|b| b.as_ref()),
            Some(&br#"{"a":1}"#[..])
        );
    }

    #[test]
    fn debug_shows_the_shape_and_never_a_value() {
        let req = ApiRequest::new(Method::POST, url())
            .header(
                http::header::AUTHORIZATION,
                HeaderValue::from_static("Bearer h-secret"),
            )
            .form([("client_secret", "b-secret")]);
        let shown = format!("{req:?}");
        for part in [
            "POST",
            "https://scim.example.com/v2/Users",
            "authorization",
            "content-type",
            "body_len: Some(22)",
            "idempotent: false",
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        for secret in ["h-secret", "b-secret", "q-secret", "filter"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
}
