//! Okta API tokens (`Authorization: SSWS <token>`).

use secrecy::{ExposeSecret, SecretString};

use super::{AuthRequest, Authenticator, BoxFuture, header_value};
use crate::Result;

/// An Okta API token, made under Security › API › Tokens and sent as
/// `Authorization: SSWS <token>`.
///
/// Its `Debug` never shows the token.
///
/// ```
/// use scimkit::auth::ApiToken;
///
/// let token = ApiToken::new("00abcdef".to_string());
/// assert_eq!(format!("{token:?}"), "ApiToken([redacted])");
/// ```
#[derive(Clone)]
pub struct ApiToken {
    token: SecretString,
    /// `SSWS <token>`, built once (marked sensitive); `None` when the token has characters
    /// a header cannot carry, reported on use.
    header: Option<http::HeaderValue>,
}

impl ApiToken {
    /// Wraps an API token (anything that converts into a [`SecretString`]).
    pub fn new(token: impl Into<SecretString>) -> Self {
        let token = token.into();
        let header = header_value("SSWS", token.expose_secret()).ok();
        ApiToken { token, header }
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken([redacted])")
    }
}

impl Authenticator for ApiToken {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        let value = match &self.header {
            Some(value) => Ok(value.clone()),
            None => header_value("SSWS", self.token.expose_secret()),
        };
        Box::pin(async move {
            request.headers.insert(http::header::AUTHORIZATION, value?);
            Ok(())
        })
    }
}
