//! Credentials: what puts the `Authorization` header on a request.
//!
//! - [`BearerToken`]: a static `Authorization: Bearer <token>` (a SCIM token pasted from an
//!   admin console).
//! - [`ApiToken`]: an Okta API token, `Authorization: SSWS <token>`.
//! - [`ClientCredentials`]: OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), fetched,
//!   cached and refreshed ahead of expiry.
//! - [`PrivateKeyJwt`]: signed client assertions (RFC 7523) for Okta service apps, and
//!   [`DpopKey`] for sender-constrained tokens (RFC 9449).
//!
//! Each implements [`Authenticator`] (defined by the transport, re-exported here); every
//! client in this crate takes any of them. Token requests go through the same transport
//! loop as every other request.

mod api_token;
mod bearer;
mod client_auth;
mod client_credentials;
mod dpop;
pub(crate) mod jose;
mod private_key_jwt;
mod shared_token;
mod token;
mod token_cache;
mod token_endpoint;
pub(crate) mod token_response;

pub use api_token::ApiToken;
pub use bearer::BearerToken;
pub use client_credentials::{
    ClientAssertion, ClientAuth, ClientCredentials, ClientCredentialsBuilder,
};
pub use dpop::DpopKey;
pub use private_key_jwt::PrivateKeyJwt;
pub use token::AccessToken;

/// The credentials hook lives below the transport (which never imports this module); it is
/// re-exported here, where its implementations are.
pub use crate::transport::{AuthRequest, Authenticator, BoxFuture, SharedAuthenticator};

use crate::Result;

pub(crate) fn header_value(scheme: &str, secret: &str) -> Result<http::HeaderValue> {
    let mut value = http::HeaderValue::try_from(format!("{scheme} {secret}")).map_err(|_| {
        crate::Error::config(format!(
            "the {scheme} credential has characters not allowed in an HTTP header"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Method};

    use super::*;

    type Auth = Box<dyn Authenticator>;

    /// Static credentials: each sends its scheme and token marked sensitive, never shows the
    /// token in `Debug`, and fails on use, without quoting it, when no header can carry it.
    #[tokio::test]
    async fn static_credentials_send_their_scheme_and_never_show_the_token() {
        let cases: [(Auth, Auth, &str, &str); 2] = [
            (
                Box::new(ApiToken::new("00abc-Secret".to_string())),
                Box::new(ApiToken::new("00abc\nSecret".to_string())),
                "ApiToken([redacted])",
                "SSWS 00abc-Secret",
            ),
            (
                Box::new(BearerToken::new("scim-Secret".to_string())),
                Box::new(BearerToken::new("scim\rSecret".to_string())),
                "BearerToken([redacted])",
                "Bearer scim-Secret",
            ),
        ];
        let url = url::Url::parse("https://o.example.com/api/v1/users").unwrap();
        for (good, bad, debug, header) in cases {
            assert_eq!(format!("{good:?}"), debug);
            let mut headers = HeaderMap::new();
            good.authorize(AuthRequest::new(&Method::GET, &url, &mut headers))
                .await
                .unwrap();
            assert_eq!(headers["authorization"], header);
            assert!(headers["authorization"].is_sensitive(), "{debug}");
            let mut headers = HeaderMap::new();
            let err = bad
                .authorize(AuthRequest::new(&Method::GET, &url, &mut headers))
                .await
                .unwrap_err();
            assert!(!err.to_string().contains("Secret"), "{err}");
            assert!(headers.is_empty(), "{debug}");
        }
    }
}
