//! What every mock server keeps of the requests it received: one record shape for all three,
//! in a ring buffer with a cap, so a long-running server does not grow.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Fault;
use super::serve::Request;
use super::util::lock;

/// How many requests a mock server keeps unless told otherwise.
pub const DEFAULT_MAX_RECORDS: usize = 10_000;

/// A request a mock server received, faulted or not, as every mock records it.
///
/// The `Authorization` header shows only its scheme (`Bearer [redacted]`) and a form body's
/// `client_secret` reads `[redacted]`; `Debug` shows the body's length, not its content.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> scimkit::Result<()> {
/// use scimkit::mock::ScimServer;
/// use scimkit::scim::User;
///
/// let server = ScimServer::start().await;
/// server.client().users().create(&User::new("ada")).await?;
/// let sent = &server.requests()[0];
/// assert_eq!(sent.method, "POST");
/// assert_eq!(sent.path, "/scim/v2/Users");
/// assert_eq!(sent.status, Some(201));
/// assert_eq!(sent.body_as::<User>().unwrap().user_name, "ada");
/// assert_eq!(sent.header("authorization"), Some("Bearer [redacted]"));
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The request's place in arrival order, 1 for the first the server received.
    pub seq: u64,
    /// The method.
    pub method: Method,
    /// The path, from the server's root (`/scim/v2/Users`, `/api/v1/users`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The headers, names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The status the client received; `None` when the connection was dropped or reset.
    pub status: Option<u16>,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `T` (e.g. [`scim::User`](crate::scim::User)), if it decodes.
    pub fn body_as<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The value of query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub(crate) fn of(request: &Request, seq: u64) -> RecordedRequest {
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| {
                let name = name.as_str().to_ascii_lowercase();
                let value = String::from_utf8_lossy(value.as_bytes());
                let shown = if name == "authorization" {
                    redact_credentials(&value)
                } else {
                    value.into_owned()
                };
                (name, shown)
            })
            .collect();
        let form = request
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let body = if form {
            redact_form(&request.body)
        } else {
            request.body.clone()
        };
        RecordedRequest {
            seq,
            method: request.method.clone(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            headers,
            body,
            status: None,
            fault: None,
        }
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Like every `Debug` of the crate: no query value and no credential. The fields
        // themselves keep what was sent, for assertions.
        let query: Vec<String> = self
            .query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, _)| k.into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let hidden = matches!(
                    k.as_str(),
                    "authorization" | "proxy-authorization" | "cookie" | "dpop" | "x-api-key"
                );
                (k.as_str(), if hidden { "[redacted]" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("seq", &self.seq)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &query)
            .field("headers", &headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("status", &self.status)
            .field("fault", &self.fault)
            .finish()
    }
}

/// `Scheme [redacted]`: the scheme is the leading letters, so `SSWS<token>` (no space)
/// shows as `SSWS [redacted]` too.
fn redact_credentials(value: &str) -> String {
    let scheme: String = value
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    format!("{scheme} [redacted]")
}

fn redact_form(body: &Bytes) -> Bytes {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    if !pairs.iter().any(|(k, _)| k == "client_secret") {
        return body.clone();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        let shown = if k == "client_secret" {
            "[redacted]"
        } else {
            v.as_str()
        };
        out.append_pair(k, shown);
    }
    Bytes::from(out.finish())
}

/// The bounded log of one server's requests; cheap to clone (shared).
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    inner: Arc<Mutex<Log>>,
}

#[derive(Debug)]
struct Log {
    records: VecDeque<RecordedRequest>,
    max: usize,
    count: u64,
}

impl Recorder {
    /// A log that keeps the last `max` requests (0: counts them only).
    pub(crate) fn new(max: usize) -> Recorder {
        Recorder {
            inner: Arc::new(Mutex::new(Log {
                records: VecDeque::with_capacity(max.min(1024)),
                max,
                count: 0,
            })),
        }
    }

    /// Counts a request that just arrived; returns its sequence number.
    pub(crate) fn arrive(&self) -> u64 {
        let mut log = lock(&self.inner);
        log.count = log.count.saturating_add(1);
        log.count
    }

    /// Keeps a finished request's record, forgetting the oldest beyond the cap.
    pub(crate) fn keep(&self, record: RecordedRequest) {
        let mut log = lock(&self.inner);
        if log.max == 0 {
            return;
        }
        while log.records.len() >= log.max {
            log.records.pop_front();
        }
        log.records.push_back(record);
    }

    /// The kept records, oldest first.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner).records.iter().cloned().collect()
    }

    /// How many requests arrived since start (or the last reset), kept or not.
    pub(crate) fn count(&self) -> usize {
        usize::try_from(lock(&self.inner).count).unwrap_or(usize::MAX)
    }

    /// Forgets every record and the count.
    pub(crate) fn reset(&self) {
        let mut log = lock(&self.inner);
        log.records.clear();
        log.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_show_only_their_scheme() {
        let cases = [
            ("Bearer abc", "Bearer [redacted]"),
            ("SSWS 00abc", "SSWS [redacted]"),
            ("SSWS00abc", "SSWS [redacted]"),
            ("Basic c3ZjOnNlY3JldA==", "Basic [redacted]"),
            ("", " [redacted]"),
        ];
        for (value, want) in cases {
            assert_eq!(redact_credentials(value), want, "{value}");
        }
    }

    #[test]
    fn a_form_client_secret_is_redacted() {
        let body = Bytes::from("grant_type=client_credentials&client_id=a&client_secret=s3cret");
        let shown = redact_form(&body);
        assert!(!String::from_utf8_lossy(&shown).contains("s3cret"));
        assert!(String::from_utf8_lossy(&shown).contains("client_id=a"));
    }

    #[test]
    fn the_log_keeps_the_newest_up_to_its_cap() {
        let recorder = Recorder::new(3);
        for seq in 1..=5 {
            assert_eq!(recorder.arrive(), seq);
            recorder.keep(RecordedRequest {
                seq,
                method: Method::GET,
                path: "/".into(),
                query: None,
                headers: Vec::new(),
                body: Bytes::new(),
                status: Some(200),
                fault: None,
            });
        }
        let kept: Vec<u64> = recorder.requests().iter().map(|r| r.seq).collect();
        assert_eq!(kept, [3, 4, 5]);
        assert_eq!(recorder.count(), 5);
        recorder.reset();
        assert!(recorder.requests().is_empty());
        assert_eq!(recorder.count(), 0);
    }
}
