//! An access token and its lifetime.

use std::fmt;
use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};

/// An OAuth 2.0 access token as the token endpoint issued it.
///
/// The token value is a [`SecretString`]; `Debug` shows only its type, scopes and expiry.
///
/// ```
/// # use scimkit::auth::AccessToken;
/// # fn show(token: &AccessToken) {
/// println!("{token:?}"); // AccessToken { token_type: "Bearer", secret: "[redacted]", expires_in: 3599.9s, .. }
/// # }
/// ```
pub struct AccessToken {
    pub(crate) secret: SecretString,
    /// `<token_type> <token>`, ready for the `Authorization` header (marked sensitive).
    pub(crate) header: http::HeaderValue,
    pub(crate) token_type: String,
    /// When the request that got it was sent (its lifetime counts from here).
    pub(crate) issued_at: Instant,
    pub(crate) expires_at: Instant,
    pub(crate) refresh_at: Instant,
    pub(crate) scopes: Option<Vec<String>>,
}

impl AccessToken {
    /// The token value: expose it only to put it on the wire.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The token type as issued (`Bearer`, or `DPoP` for sender-constrained tokens).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the token expires, by the client's clock (issue time + `expires_in`, or the
    /// configured default lifetime when the server sent no `expires_in`).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// When the cache will fetch a new token ahead of expiry.
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }

    /// The scopes the server says it granted, when it said.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    pub(crate) fn same_secret(&self, other: &str) -> bool {
        self.secret.expose_secret() == other
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token_type", &self.token_type)
            .field("secret", &"[redacted]")
            .field(
                "expires_in",
                &self
                    .expires_at
                    .saturating_duration_since(std::time::Instant::now()),
            )
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn accessors_and_a_debug_without_the_secret() {
        let now = Instant::now();
        let token = AccessToken {
            secret: SecretString::from("at-Secret-1".to_owned()),
            header: http::HeaderValue::from_static("DPoP at-Secret-1"),
            token_type: "DPoP".into(),
            issued_at: now,
            expires_at: now + Duration::from_secs(3600),
            refresh_at: now + Duration::from_secs(3000),
            scopes: Some(vec!["a".into(), "b".into()]),
        };
        assert_eq!(token.secret().expose_secret(), "at-Secret-1");
        assert_eq!(token.token_type(), "DPoP");
        assert_eq!(token.expires_at(), now + Duration::from_secs(3600));
        assert_eq!(token.refresh_at(), now + Duration::from_secs(3000));
        assert_eq!(token.scopes(), Some(&["a".to_owned(), "b".to_owned()][..]));
        assert!(token.same_secret("at-Secret-1"));
        assert!(!token.same_secret("at-Secret-2"));
        let shown = format!("{token:?}");
        for part in [
            "AccessToken",
            r#"token_type: "DPoP""#,
            r#"secret: "[redacted]""#,
            "expires_in: ",
            r#"scopes: Some(["a", "b"])"#,
        ] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
        assert!(!shown.contains("at-Secret-1"), "{shown}");
    }
}
