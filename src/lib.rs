//! # scimkit
//!
//! Typed, safe, fast clients for the identity plumbing services keep re-writing:
//!
//! - [`auth`]: OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached, refreshed ahead
//!   of expiry and fetched once however many tasks ask; static bearer tokens; Okta API
//!   tokens (`SSWS`).
//! - [`transport`]: one shared `reqwest` client with timeouts, retries with back-off and
//!   jitter, `Retry-After` and rate-limit awareness, a response-size limit and tracing that
//!   never records a secret.
//! - [`okta`]: the Okta management API (Users, Groups, admin Roles) with `SSWS` API tokens
//!   or service-app tokens (private-key JWT, DPoP), `Link` paging as a `Stream`, rate limits.
//! - `mock` (feature): an in-process identity provider for tests and demos.
//!
//! Secrets (client secrets, API tokens, access tokens) are [`secrecy::SecretString`]s end to
//! end: no `Debug`, `Display`, error or tracing span in this crate shows one.
//!
//! ## Example
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use scimkit::auth::ClientCredentials;
//! use scimkit::mock::TokenServer;
//!
//! // A local token endpoint standing in for your identity provider.
//! let idp = TokenServer::start().await;
//! idp.register_client("scim-client", "p@ss:w0rd/&=+ %~");
//!
//! let creds = ClientCredentials::builder()
//!     .token_url(idp.token_url())
//!     .client_id("scim-client")
//!     .client_secret("p@ss:w0rd/&=+ %~".to_string())
//!     .scope("scim")
//!     .build()?;
//!
//! let token = creds.token().await?;   // one request to the token endpoint
//! let cached = creds.token().await?;  // served from the cache
//! assert_eq!(idp.token_requests(), 1);
//! assert_eq!(token.token_type(), "Bearer");
//! println!("{cached:?}");             // the token value prints as [redacted]
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls with the platform's certificate verifier |
//! | `native-tls` | no | TLS through the platform library (OpenSSL on Linux) |
//! | `mock` | no | [`mock`]: in-process token endpoint (and later SCIM and Okta servers) on wiremock |
//! | `interop` | no | marks the opt-in tests against real peers (see the README) |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod clock;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
pub mod okta;
mod redact;
pub mod scim;
pub mod transport;

pub use auth::{ApiToken, Authenticator, BearerToken, ClientAuth, ClientCredentials};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use error::{Error, HttpError, OAuthError, OktaError, Result, ScimError};
pub use okta::OktaClient;
pub use scim::{EnterpriseUser, Filter, Group, Patch, ScimClient, User};
pub use transport::{RateLimit, RetryPolicy, Transport, TransportBuilder};

pub use secrecy::{ExposeSecret, SecretString};

/// Not public API: hooks for the crate's own benches. Anything here may change or go away in
/// any release.
#[doc(hidden)]
pub mod __private {
    /// The snippet an error would keep of `body`, with `secrets` as the request's exact
    /// secrets (the crate-private `redact::Redactor::snippet`).
    pub fn snippet(body: &[u8], secrets: &[&str]) -> String {
        crate::redact::Redactor::new(secrets.iter().copied()).snippet(body)
    }
}
