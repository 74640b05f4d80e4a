//! Okta error bodies (`errorCode`, `errorSummary`, `errorId`, `errorCauses`) into
//! [`Error::Okta`].

use serde::Deserialize;

use crate::error::{Error, OktaError};
use crate::redact::Redactor;
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

/// A failed response as an error: [`Error::Okta`] when the body is an Okta error object,
/// otherwise the transport's generic mapping ([`Error::Http`], [`Error::Redirect`]).
pub(crate) fn okta_error(response: Response) -> Error {
    // Okta may echo what it was sent (`errorCauses` name the failing value); the provider's
    // text goes through the redactor.
    let redactor = Redactor::none();
    match serde_json::from_slice::<Body>(&response.body) {
        Ok(body) => Error::Okta(Box::new(OktaError {
            status: response.status,
            error_code: body.error_code,
            error_summary: redactor.scrub(&body.error_summary),
            error_link: body.error_link.map(|l| crate::redact::display_raw_url(&l)),
            error_id: body.error_id,
            error_causes: body
                .error_causes
                .into_iter()
                .map(|c| redactor.scrub(&c.error_summary))
                .collect(),
            request_id: response.request_id(),
        })),
        Err(_) => response.into_http_error(),
    }
}
