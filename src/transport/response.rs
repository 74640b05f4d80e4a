//! [`Response`] and the one decoder: media-type tolerance, the JSON path of a failure, one
//! redacted snippet, one request-id reader, and the one status→error step into which each
//! protocol plugs its own error shape.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::rate_limit::retry_hint;
use crate::error::{Error, HttpError, Result};
use crate::redact::Redactor;
use crate::redact::display_url;

/// A protocol's error shape: reads a failed response's body as that protocol's error
/// (`None` when the body is not one). SCIM, Okta and OAuth each provide one.
pub(crate) type ErrorShape = fn(&Response) -> Option<Error>;

/// What an attempt sent, kept with its answer so that an error built from the answer can
/// scrub the exact secrets the request carried (a server may echo them back).
#[derive(Clone, Default)]
pub(crate) struct Sent {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
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
    sent: Option<Arc<Sent>>,
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

/// The longest request id kept from a header; longer values are cut.
const MAX_REQUEST_ID: usize = 128;

/// The provider's request id from `headers`: `X-Okta-Request-Id`, `X-Request-Id`,
/// `Request-Id` or `X-MS-Request-Id`; visible ASCII only, at most 128 characters.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "x-okta-request-id",
        "x-request-id",
        "request-id",
        "x-ms-request-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
    .map(|id| {
        id.chars()
            .filter(|c| c.is_ascii_graphic())
            .take(MAX_REQUEST_ID)
            .collect::<String>()
    })
    .filter(|id| !id.is_empty())
}

impl Response {
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        url: Url,
        sent: Option<Arc<Sent>>,
    ) -> Self {
        Response {
            status,
            headers,
            body,
            url,
            sent,
        }
    }

    /// A response made up in memory (for testing code that decodes responses).
    ///
    /// ```
    /// use scimkit::transport::Response;
    /// let url = url::Url::parse("https://api.example.com/x").unwrap();
    /// let r = Response::from_parts(http::StatusCode::OK, http::HeaderMap::new(), r#"{"a":1}"#.into(), url);
    /// let v: serde_json::Value = r.json().unwrap();
    /// assert_eq!(v["a"], 1);
    /// ```
    pub fn from_parts(status: StatusCode, headers: HeaderMap, body: Bytes, url: Url) -> Self {
        Response::new(status, headers, body, url, None)
    }

    /// The headers the attempt that got this answer was sent with.
    pub(crate) fn sent_headers(&self) -> Option<&HeaderMap> {
        self.sent.as_deref().map(|s| &s.headers)
    }

    /// The URL the response came from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A header as a string, when present and valid.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The provider's request id: `X-Okta-Request-Id`, `X-Request-Id`, `Request-Id` or
    /// `X-MS-Request-Id` (visible ASCII, at most 128 characters), scrubbed of the secrets the
    /// request carried: a hostile server may echo a token in it, and it is shown in every
    /// error and span.
    pub fn request_id(&self) -> Option<String> {
        request_id(&self.headers).map(|id| self.redactor().scrub(&id))
    }

    /// Whether the `Content-Type` is JSON (`application/json` or any `application/*+json`).
    pub fn is_json(&self) -> bool {
        self.header_str("content-type")
            .is_some_and(is_json_media_type)
    }

    /// Whether the body holds nothing but white space.
    pub fn is_empty_body(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// Decodes a JSON body into `T`.
    ///
    /// Tolerant of how servers label JSON: any JSON media type, and also a missing or
    /// generic one (`text/plain`, `application/octet-stream`) when the body is a JSON object
    /// or array; a UTF-8 byte-order mark is skipped. A body labelled as HTML or XML, or that
    /// is not JSON, is an [`Error::Decode`] naming the content type. A decoding failure names
    /// the JSON path that failed and carries a redacted snippet of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body = strip_bom(&self.body);
        if !self.is_json() {
            let labelled_other = self.header_str("content-type").is_some_and(|ct| {
                let essence = media_essence(ct);
                essence.contains("html") || essence.contains("xml")
            });
            if labelled_other || !looks_like_json(body) {
                return Err(self.decode_error(format!(
                    "expected a JSON body, got content type {:?}",
                    self.header_str("content-type").unwrap_or("(none)")
                )));
            }
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(self.decode_error("expected a JSON body, got an empty one"));
        }
        // The fast path decodes directly; only a failure pays for tracking the JSON path.
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            // serde quotes the value it could not read; under a secret path that value
            // is a secret, so the redactor hides every quoted part.
            let redactor = self.redactor();
            let inner = redactor.decode_message(&path, &e.into_inner().to_string());
            self.decode_error_with(
                &redactor,
                if path == "." {
                    inner
                } else {
                    format!("at {path}: {inner}")
                },
            )
        })
    }

    /// The redactor for this response: it knows the keys of every protocol and the exact
    /// secrets the request carried.
    pub(crate) fn redactor(&self) -> Redactor {
        match &self.sent {
            Some(sent) => Redactor::for_request(&sent.headers, sent.body.as_deref()),
            None => Redactor::none(),
        }
    }

    /// The first bytes of the body, fit for an error: secrets removed, then cut.
    pub(crate) fn snippet(&self) -> String {
        self.redactor().snippet(&self.body)
    }

    /// An [`Error::Decode`] for this response: the message and a snippet of the body, both
    /// scrubbed of every secret the request carried.
    pub fn decode_error(&self, message: impl Into<String>) -> Error {
        self.decode_error_with(&self.redactor(), message.into())
    }

    fn decode_error_with(&self, redactor: &Redactor, message: String) -> Error {
        Error::Decode {
            status: self.status,
            url: display_url(&self.url),
            message: redactor.scrub(&message),
            snippet: redactor.snippet(&self.body),
        }
    }

    /// `Ok(self)` for 2xx, otherwise a generic error: [`Error::NotModified`] for 304,
    /// [`Error::Redirect`] for another 3xx, [`Error::Http`] for the rest.
    pub fn error_for_status(self) -> Result<Self> {
        self.check(None)
    }

    /// `Ok(self)` for 2xx, otherwise the error `shape` reads from the body, or the generic
    /// error of [`error_for_status`](Self::error_for_status).
    pub(crate) fn check(self, shape: Option<ErrorShape>) -> Result<Self> {
        if self.status.is_success() {
            return Ok(self);
        }
        Err(self.into_error(shape))
    }

    /// This response as an error, whatever its status: the one status→error step.
    pub(crate) fn into_error(self, shape: Option<ErrorShape>) -> Error {
        if self.status == StatusCode::NOT_MODIFIED {
            return Error::NotModified;
        }
        if self.status.is_redirection() {
            // The server chose the Location, path included: it may echo a secret there.
            return Error::Redirect {
                status: self.status,
                url: display_url(&self.url),
                location: self
                    .header_str("location")
                    .and_then(|l| Url::parse(l).ok().or_else(|| self.url.join(l).ok()))
                    .map(|l| self.redactor().scrub(&display_url(&l))),
            };
        }
        if let Some(err) = shape.and_then(|shape| shape(&self)) {
            return err;
        }
        self.into_http_error()
    }

    /// This response as a generic [`Error::Http`], whatever its status.
    pub fn into_http_error(self) -> Error {
        Error::Http(Box::new(HttpError {
            status: self.status,
            url: display_url(&self.url),
            snippet: self.snippet(),
            request_id: self.request_id(),
            retry_after: retry_hint(&self.headers, SystemTime::now()),
        }))
    }
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

fn media_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub(crate) fn is_json_media_type(content_type: &str) -> bool {
    let essence = media_essence(content_type);
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn response(content_type: Option<&str>, body: &'static str) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert("content-type", ct.parse().unwrap());
        }
        Response::from_parts(
            StatusCode::OK,
            headers,
            Bytes::from_static(body.as_bytes()),
            Url::parse("https://h.example/x?secret=1").unwrap(),
        )
    }

    #[test]
    fn media_type_tolerance_table() {
        // (content type, body, decodes?)
        let cases: &[(Option<&str>, &str, bool)] = &[
            (Some("application/json"), r#"{"a":1}"#, true),
            (
                Some("application/scim+json; charset=utf-8"),
                r#"{"a":1}"#,
                true,
            ),
            (Some("Application/JSON"), r#"{"a":1}"#, true),
            (None, r#"{"a":1}"#, true),
            (Some("text/plain"), r#" {"a":1}"#, true),
            (Some("application/octet-stream"), r#"{"a":1}"#, true),
            (Some("application/json"), "\u{feff}{\"a\":1}", true),
            (Some("text/html"), r#"{"a":1}"#, false),
            (Some("application/xml"), r#"{"a":1}"#, false),
            (Some("text/html"), "<html>login</html>", false),
            (None, "<html>login</html>", false),
            (Some("application/json"), "", false),
            (Some("application/json"), "   ", false),
            (Some("application/json"), r#"{"a":"#, false),
            (Some("application/jsonp"), r#"x({"a":1})"#, false),
        ];
        for (ct, body, ok) in cases {
            let r = response(*ct, body);
            let decoded = r.json::<serde_json::Value>();
            assert_eq!(decoded.is_ok(), *ok, "{ct:?} {body:?}: {decoded:?}");
            if let Err(e) = decoded {
                assert!(matches!(e, Error::Decode { .. }), "{e:?}");
                assert!(!e.to_string().contains("secret=1"), "{e}");
            }
        }
    }

    #[test]
    fn decode_errors_name_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            a: Vec<u32>,
        }
        let err = response(Some("application/json"), r#"{"a":[1,"x"]}"#)
            .json::<T>()
            .unwrap_err();
        assert!(err.to_string().contains("a[1]"), "{err}");
    }

    #[test]
    fn status_to_error_step() {
        let mut r = response(Some("text/plain"), "moved");
        r.status = StatusCode::FOUND;
        r.headers
            .insert("location", "/login?token=abc".parse().unwrap());
        match r.clone().into_error(None) {
            Error::Redirect { location, .. } => {
                assert_eq!(location.as_deref(), Some("https://h.example/login"));
            }
            other => panic!("{other:?}"),
        }
        r.status = StatusCode::NOT_MODIFIED;
        assert!(matches!(r.clone().into_error(None), Error::NotModified));
        r.status = StatusCode::CONFLICT;
        fn shape(_: &Response) -> Option<Error> {
            Some(Error::config("shaped"))
        }
        assert!(matches!(
            r.clone().into_error(Some(shape)),
            Error::Config(_)
        ));
        assert!(matches!(r.into_error(None), Error::Http(_)));
    }

    #[test]
    fn request_ids_are_bounded_and_printable() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "a b\tc".parse().unwrap());
        assert_eq!(request_id(&headers).as_deref(), Some("abc"));
        headers.insert("x-okta-request-id", "x".repeat(1000).parse().unwrap());
        assert_eq!(request_id(&headers).map(|s| s.len()), Some(MAX_REQUEST_ID));
        let mut empty = HeaderMap::new();
        empty.insert("x-request-id", " ".parse().unwrap());
        assert_eq!(request_id(&empty), None);
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/scim+json; charset=utf-8"));
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("application/jsonp"));
    }
    /// An answer to a request that carried `Authorization: Bearer <secret>`.
    fn answer_to_secret(secret: &str, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut sent = HeaderMap::new();
        sent.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {secret}").parse().unwrap(),
        );
        let mut answer = HeaderMap::new();
        for (name, value) in headers {
            answer.insert(*name, value.parse().unwrap());
        }
        Response::new(
            StatusCode::BAD_GATEWAY,
            answer,
            Bytes::from(body.to_owned()),
            Url::parse("https://h.example/x?q=1").unwrap(),
            Some(Arc::new(Sent {
                headers: sent,
                body: None,
            })),
        )
    }

    #[test]
    fn accessors_show_what_arrived() {
        let r = response(Some("application/scim+json"), "  \n ");
        assert_eq!(r.url().as_str(), "https://h.example/x?secret=1");
        assert_eq!(r.header_str("content-type"), Some("application/scim+json"));
        assert_eq!(r.header_str("x-missing"), None);
        assert!(r.is_json());
        assert!(r.is_empty_body());
        assert!(
            r.sent_headers().is_none(),
            "made up in memory: nothing was sent"
        );
        let r = response(Some("text/plain"), " x ");
        assert!(!r.is_json());
        assert!(!r.is_empty_body());
        let shown = format!("{r:?}");
        for part in ["200", "https://h.example/x", "body_len: 3"] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        assert!(!shown.contains("secret=1"), "{shown}");
        let sent = answer_to_secret("tok-0123456789abcdef", &[], "");
        assert_eq!(
            sent.sent_headers().map(|h| h["authorization"].clone()),
            Some("Bearer tok-0123456789abcdef".parse().unwrap())
        );
    }

    #[test]
    fn what_the_server_echoes_of_a_secret_is_hidden() {
        let secret = "tok-0123456789abcdef";
        let r = answer_to_secret(
            secret,
            &[("x-request-id", secret), ("retry-after", "30")],
            &format!("upstream said: {secret} and more"),
        );
        let id = r.request_id().unwrap();
        assert!(!id.contains(secret) && !id.is_empty(), "{id}");
        assert!(!r.snippet().contains(secret), "{}", r.snippet());
        assert!(
            r.snippet().starts_with("upstream said: "),
            "{}",
            r.snippet()
        );
        let decode = r.decode_error(format!("saw {secret}"));
        assert!(!decode.to_string().contains(secret), "{decode}");
        match r.clone().into_http_error() {
            Error::Http(e) => {
                assert_eq!(e.status, StatusCode::BAD_GATEWAY);
                assert_eq!(e.url, "https://h.example/x");
                assert!(e.snippet.starts_with("upstream said: "), "{}", e.snippet);
                assert!(!e.snippet.contains(secret), "{}", e.snippet);
                assert_eq!(e.request_id, Some(id));
                assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
            }
            other => panic!("{other:?}"),
        }
        // Nothing sent, nothing to hide: the id is shown as it came.
        let mut plain = response(None, "");
        plain
            .headers
            .insert("x-request-id", "rq-1".parse().unwrap());
        assert_eq!(plain.request_id().as_deref(), Some("rq-1"));
    }

    #[test]
    fn decode_errors_say_what_came_instead() {
        // (content type, body, words the message holds, words it must not)
        let cases: &[(Option<&str>, &str, &str, &str)] = &[
            (
                Some("text/plain"),
                "hello",
                "content type \"text/plain\"",
                "at ",
            ),
            (None, "<html>login</html>", "content type \"(none)\"", "at "),
            (Some("application/json"), "  ", "empty", "content type"),
            (Some("application/json"), "[1]", "expected a map", "at ."),
        ];
        for (ct, body, words, not) in cases {
            let err = response(*ct, body)
                .json::<std::collections::HashMap<String, u32>>()
                .unwrap_err();
            let Error::Decode {
                message, status, ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(*status, StatusCode::OK);
            assert!(message.contains(words), "{ct:?} {body:?}: {message}");
            assert!(!message.contains(not), "{ct:?} {body:?}: {message}");
        }
    }

    #[test]
    fn error_for_status_passes_2xx_only() {
        for (code, ok) in [
            (200, true),
            (204, true),
            (299, true),
            (304, false),
            (404, false),
            (500, false),
        ] {
            let mut r = response(None, "");
            r.status = StatusCode::from_u16(code).unwrap();
            assert_eq!(r.error_for_status().is_ok(), ok, "{code}");
        }
    }
}
