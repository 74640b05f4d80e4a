//! Okta's error answers: status, `errorCode`, `errorSummary`, `errorCauses`.

use crate::mock::serve::Answer;
use serde_json::{Value, json};

/// An Okta error answer: status, `errorCode`, `errorSummary`, `errorCauses`.
#[derive(Debug, Clone)]
pub(crate) struct ApiErr {
    pub status: u16,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
    /// Extra response headers (`WWW-Authenticate`, `DPoP-Nonce`).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiErr {
    pub(crate) fn new(status: u16, code: &'static str, summary: impl Into<String>) -> Self {
        ApiErr {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        ApiErr::new(
            404,
            "E0000007",
            format!("Not found: Resource not found: {what} (User)"),
        )
    }

    pub(crate) fn validation(cause: impl Into<String>) -> Self {
        let mut e = ApiErr::new(400, "E0000001", "Api validation failed: request");
        e.causes.push(cause.into());
        e
    }

    pub(crate) fn body(&self, request_id: &str) -> Value {
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": format!("oae{request_id}"),
            "errorCauses": self.causes.iter().map(|c| json!({"errorSummary": c})).collect::<Vec<_>>(),
        })
    }
}

pub(crate) type ApiResult = Result<(u16, Value), ApiErr>;

/// The answer for `err`, with its extra headers.
pub(crate) fn error_response(err: &ApiErr, request_id: &str) -> Answer {
    let mut t = Answer::new(err.status).set_body_json(err.body(request_id));
    for (name, value) in &err.headers {
        t = t.insert_header(name, value);
    }
    t
}
