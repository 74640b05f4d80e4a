//! An answer a mock handler gives: status, headers, body and an optional delay.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde::Serialize;

/// What the server sends back (built like wiremock's `ResponseTemplate`).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    pub(crate) delay: Option<Duration>,
}

impl Answer {
    /// An answer with this status, no headers and an empty body.
    pub(crate) fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: None,
        }
    }

    /// Sets header `name` to `value`, replacing any earlier value. A name or value HTTP
    /// cannot carry is left out.
    pub(crate) fn insert_header(mut self, name: &str, value: &str) -> Answer {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.retain(|(n, _)| *n != name);
            self.headers.push((name, value));
        }
        self
    }

    /// Adds a value for header `name`, keeping earlier ones (e.g. several `Link` headers).
    pub(crate) fn append_header(mut self, name: &str, value: &str) -> Answer {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.push((name, value));
        }
        self
    }

    /// The body, labelled with `content_type`.
    pub(crate) fn set_body_raw(self, body: impl Into<Bytes>, content_type: &str) -> Answer {
        let mut answer = self.insert_header("content-type", content_type);
        answer.body = body.into();
        answer
    }

    /// `value` as an `application/json` body.
    pub(crate) fn set_body_json(self, value: impl Serialize) -> Answer {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        self.set_body_raw(body, "application/json")
    }

    /// Sends the answer only after `delay` (added to any delay already set).
    pub(crate) fn set_delay(mut self, delay: Duration) -> Answer {
        self.delay = Some(self.delay.unwrap_or_default().saturating_add(delay));
        self
    }

    /// The first value of header `name`.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }
}
