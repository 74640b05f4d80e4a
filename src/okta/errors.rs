//! Okta error bodies (`errorCode`, `errorSummary`, `errorId`, `errorCauses`) into
//! [`Error::Okta`].

use serde::Deserialize;

use crate::error::{Error, OktaError, error_field};
use crate::transport::Response;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    error_code: String,
    #[serde(default)]
    error_summary: String,
    #[serde(default)]
    error_link: Option<String>,
    #[serde(default)]
    error_id: Option<String>,
    #[serde(default)]
    error_causes: Vec<Cause>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cause {
    #[serde(default)]
    error_summary: String,
}

/// The most `errorCauses` kept in an error.
const MAX_CAUSES: usize = 20;

/// The Okta error shape: a body with an `errorCode` is an [`Error::Okta`]. Text fields are
/// cut to 1 KiB and scrubbed of the request's secrets; at most 20 causes are kept.
pub(crate) fn okta_error_shape(response: &Response) -> Option<Error> {
    let body = serde_json::from_slice::<Body>(&response.body).ok()?;
    let redactor = response.redactor();
    let text = |t: &str| error_field(&redactor, t);
    Some(Error::Okta(Box::new(OktaError {
        status: response.status,
        error_code: text(&body.error_code),
        error_summary: text(&body.error_summary),
        error_link: body
            .error_link
            .as_deref()
            .map(|l| text(&crate::redact::display_raw_url(l))),
        error_id: body.error_id.as_deref().map(text),
        error_causes: body
            .error_causes
            .iter()
            .take(MAX_CAUSES)
            .map(|c| text(&c.error_summary))
            .collect(),
        request_id: response.request_id(),
    })))
}
