//! Faults on demand, shared by every mock server: the next N requests answer with an error
//! status, a 429, a malformed or HTML body, a slow answer or a dropped connection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and a short plain-text body.
    Status(u16),
    /// Answer 429 with `Retry-After` in whole seconds.
    RateLimited {
        /// The `Retry-After` to send.
        retry_after: Duration,
    },
    /// Answer 200 `application/json` with a truncated JSON body.
    MalformedJson,
    /// Answer 200 `text/html` with a login page, as a wrong URL behind a web SSO often does.
    Html,
    /// Process the request normally but answer only after this delay.
    Delay(Duration),
    /// Answer exactly this.
    Body {
        /// Status code.
        status: u16,
        /// `Content-Type`.
        content_type: String,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// Close the connection without an answer.
    DropConnection,
}

impl Fault {
    /// The response this fault sends, or `None` for [`Fault::Delay`] (which changes the normal
    /// answer) and [`Fault::DropConnection`] (which sends none).
    pub fn response(&self) -> Option<ResponseTemplate> {
        Some(match self {
            Fault::Status(status) => ResponseTemplate::new(*status)
                .set_body_raw(format!("mock fault: HTTP {status}"), "text/plain"),
            Fault::RateLimited { retry_after } => ResponseTemplate::new(429)
                .insert_header("retry-after", retry_after.as_secs().to_string().as_str())
                .set_body_raw("rate limited", "text/plain"),
            Fault::MalformedJson => {
                ResponseTemplate::new(200).set_body_raw(r#"{"access_token": "tr"#, "application/json")
            }
            Fault::Html => ResponseTemplate::new(200).set_body_raw(
                "<!DOCTYPE html><html><head><title>Sign In</title></head><body>Please sign in</body></html>",
                "text/html; charset=utf-8",
            ),
            Fault::Body {
                status,
                content_type,
                body,
            } => ResponseTemplate::new(*status).set_body_raw(body.clone(), content_type),
            Fault::Delay(_) | Fault::DropConnection => return None,
        })
    }
}

/// A queue of faults for one mock server; cheap to clone (shared).
///
/// ```
/// use std::time::Duration;
/// use scimkit::mock::{Fault, Faults};
///
/// let faults = Faults::default();
/// faults.push(Fault::Status(503), 2);
/// faults.push(Fault::RateLimited { retry_after: Duration::from_secs(1) }, 1);
/// assert_eq!(faults.take(), Some(Fault::Status(503)));
/// assert_eq!(faults.pending(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl Faults {
    /// Queues `fault` for the next `times` requests (after those already queued).
    pub fn push(&self, fault: Fault, times: usize) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.extend(std::iter::repeat_n(fault, times));
        }
    }

    /// Takes the fault for the request being answered, if any.
    pub fn take(&self) -> Option<Fault> {
        self.queue.lock().ok()?.pop_front()
    }

    /// How many faults are still queued.
    pub fn pending(&self) -> usize {
        self.queue.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Forgets every queued fault.
    pub fn clear(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.clear();
        }
    }

    fn take_if_drop(&self) -> bool {
        let Ok(mut queue) = self.queue.lock() else {
            return false;
        };
        if queue.front() == Some(&Fault::DropConnection) {
            queue.pop_front();
            true
        } else {
            false
        }
    }

    /// Mounts, ahead of the server's normal mocks, the mock that drops connections when
    /// [`Fault::DropConnection`] is next in the queue. Mock servers call this once at start.
    pub async fn mount_drop_connection(&self, server: &MockServer) {
        Mock::given(DropNext(self.clone()))
            .respond_with_err(|_: &Request| DroppedConnection)
            .with_priority(1)
            .named("scimkit fault: drop connection")
            .mount(server)
            .await;
    }
}

struct DropNext(Faults);

impl Match for DropNext {
    fn matches(&self, _request: &Request) -> bool {
        self.0.take_if_drop()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("scimkit mock: connection dropped on purpose")]
struct DroppedConnection;
