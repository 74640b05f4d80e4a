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

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Method};

    use super::*;

    #[tokio::test]
    async fn sends_bearer_marked_sensitive_and_never_shows_it() {
        let token = BearerToken::new("scim-Secret".to_string());
        assert_eq!(format!("{token:?}"), "BearerToken([redacted])");
        let url = url::Url::parse("https://scim.example.com/v2/Users").unwrap();
        let mut headers = HeaderMap::new();
        token
            .authorize(AuthRequest::new(&Method::GET, &url, &mut headers))
            .await
            .unwrap();
        assert_eq!(headers["authorization"], "Bearer scim-Secret");
        assert!(headers["authorization"].is_sensitive());
        let bad = BearerToken::new("scim\rSecret".to_string());
        let mut headers = HeaderMap::new();
        let err = bad
            .authorize(AuthRequest::new(&Method::GET, &url, &mut headers))
            .await
            .unwrap_err();
        assert!(!err.to_string().contains("Secret"), "{err}");
        assert!(headers.is_empty());
    }
}
