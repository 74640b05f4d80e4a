//! A request as the mock handlers see it: method, URL, headers and the whole body.

use bytes::Bytes;
use http::{HeaderMap, Method};
use url::Url;

/// One received request, its body read in full (up to the server's limit).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The method.
    pub(crate) method: Method,
    /// The URL as the client addressed it (`http://127.0.0.1:PORT/path?query`).
    pub(crate) url: Url,
    /// The headers.
    pub(crate) headers: HeaderMap,
    /// The body.
    pub(crate) body: Bytes,
}

impl Request {
    /// The value of header `name`, if present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
