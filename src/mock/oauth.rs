//! What every mock token endpoint shares: RFC 6749 §5.2 error answers and the
//! client-credentials form.

use super::serve::{Answer, Request};
use serde_json::json;

/// An RFC 6749 §5.2 error response (`no-store`, and a `WWW-Authenticate` challenge on 401).
pub(crate) fn oauth_error(status: u16, error: &str, description: &str) -> Answer {
    let mut template = Answer::new(status)
        .insert_header("cache-control", "no-store")
        .set_body_json(json!({ "error": error, "error_description": description }));
    if status == 401 {
        template = template.insert_header("www-authenticate", r#"Basic realm="scimkit-mock""#);
    }
    template
}

/// The decoded form of a client-credentials token request.
pub(crate) struct GrantForm(Vec<(String, String)>);

impl GrantForm {
    /// Decodes a token request's form body and checks it asks for the client-credentials
    /// grant; otherwise the error answer to send.
    pub(crate) fn parse(request: &Request) -> Result<GrantForm, Box<Answer>> {
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(Box::new(oauth_error(
                400,
                "invalid_request",
                "the body must be form-encoded",
            )));
        }
        let form = GrantForm(
            url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect(),
        );
        if form.get("grant_type") != Some("client_credentials") {
            return Err(Box::new(oauth_error(
                400,
                "unsupported_grant_type",
                "only client_credentials is supported",
            )));
        }
        Ok(form)
    }

    /// A parameter's value.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}
