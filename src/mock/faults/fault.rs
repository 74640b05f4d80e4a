//! The faults a mock server can inject, and the answers they send.

use std::time::Duration;

use wiremock::ResponseTemplate;

use crate::mock::serve::Answer;

/// One injected fault: what a matching request gets instead of (or on top of) the mock's
/// normal answer.
///
/// Faults that *replace* the answer ([`Status`](Self::Status),
/// [`RateLimited`](Self::RateLimited), [`MalformedJson`](Self::MalformedJson),
/// [`Html`](Self::Html), [`Body`](Self::Body)) and [`DropConnection`](Self::DropConnection)
/// and [`Reset`](Self::Reset) never reach the mock's state: a write they hit did not happen.
/// [`Delay`](Self::Delay), [`DropAfterProcessing`](Self::DropAfterProcessing) and
/// [`TruncatedBody`](Self::TruncatedBody) let the mock process the request first: a write
/// they hit *did* happen, though the client may never learn it.
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
    /// Close the connection without an answer, before the request is processed.
    DropConnection,
    /// Process the request (a write is applied), then close the connection without an
    /// answer: what a client sees when a proxy or the network fails after the server acted.
    DropAfterProcessing,
    /// Reset the connection (TCP RST) without an answer, before the request is processed.
    Reset,
    /// Process the request, then send the answer's status and headers with its full
    /// `Content-Length` but only the first half of its body, and close the connection.
    TruncatedBody,
}

impl Fault {
    /// The wiremock response this fault sends, for use with a wiremock server of your own;
    /// `None` for the faults that change or withhold the normal answer ([`Fault::Delay`],
    /// [`Fault::DropConnection`], [`Fault::DropAfterProcessing`], [`Fault::Reset`],
    /// [`Fault::TruncatedBody`]).
    ///
    /// ```
    /// use scimkit::mock::Fault;
    ///
    /// assert!(Fault::Status(503).response().is_some());
    /// assert!(Fault::DropConnection.response().is_none());
    /// ```
    pub fn response(&self) -> Option<ResponseTemplate> {
        let answer = self.answer()?;
        let mut template = ResponseTemplate::new(answer.status);
        for (name, value) in &answer.headers {
            if name != http::header::CONTENT_TYPE {
                template = template.insert_header(name.clone(), value.clone());
            }
        }
        let content_type = answer
            .header("content-type")
            .unwrap_or("text/plain")
            .to_owned();
        Some(template.set_body_raw(answer.body.to_vec(), &content_type))
    }

    /// The answer that replaces the mock's own, for the faults that replace it.
    pub(crate) fn answer(&self) -> Option<Answer> {
        Some(match self {
            Fault::Status(status) => Answer::new(*status)
                .set_body_raw(format!("mock fault: HTTP {status}"), "text/plain"),
            Fault::RateLimited { retry_after } => Answer::new(429)
                .insert_header("retry-after", &retry_after.as_secs().to_string())
                .set_body_raw("rate limited", "text/plain"),
            Fault::MalformedJson => {
                Answer::new(200).set_body_raw(r#"{"access_token": "tr"#, "application/json")
            }
            Fault::Html => Answer::new(200).set_body_raw(
                "<!DOCTYPE html><html><head><title>Sign In</title></head><body>Please sign in</body></html>",
                "text/html; charset=utf-8",
            ),
            Fault::Body {
                status,
                content_type,
                body,
            } => Answer::new(*status).set_body_raw(body.clone(), content_type),
            Fault::Delay(_)
            | Fault::DropConnection
            | Fault::DropAfterProcessing
            | Fault::Reset
            | Fault::TruncatedBody => return None,
        })
    }
}
