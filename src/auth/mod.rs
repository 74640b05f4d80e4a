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
