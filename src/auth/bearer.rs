//! A static bearer token.

use secrecy::{ExposeSecret, SecretString};

use super::{AuthRequest, Authenticator, BoxFuture, header_value};
use crate::Result;

/// A fixed `Authorization: Bearer <token>`, e.g. a SCIM token pasted from an admin console.
///
/// Its `Debug` never shows the token.
///
/// ```
/// use scimkit::auth::BearerToken;
///
/// let auth = BearerToken::new("very-secret".to_string());
/// assert!(!format!("{auth:?}").contains("very-secret"));
/// ```
#[derive(Clone)]
pub struct BearerToken {
    token: SecretString,
}

impl BearerToken {
    /// Wraps a token (anything that converts into a [`SecretString`]).
    pub fn new(token: impl Into<SecretString>) -> Self {
        BearerToken {
            token: token.into(),
        }
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([redacted])")
    }
}

impl Authenticator for BearerToken {
    fn authorize<'a>(&'a self, request: AuthRequest<'a>) -> BoxFuture<'a, Result<()>> {
        let value = header_value("Bearer", self.token.expose_secret());
        Box::pin(async move {
            request.headers.insert(http::header::AUTHORIZATION, value?);
            Ok(())
        })
    }
}
