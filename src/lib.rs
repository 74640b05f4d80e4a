//! # scimkit
//!
//! Typed, safe, fast clients for the identity plumbing services keep re-writing, and the
//! mock servers to test them against.
//!
//! | module | what it holds |
//! |---|---|
//! | [`auth`] | credentials: OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached, refreshed ahead of expiry and fetched once however many tasks ask; private-key JWT (RFC 7523) and DPoP (RFC 9449) for Okta service apps; static bearer tokens; Okta API tokens (`SSWS`) |
//! | [`scim`] | a SCIM 2.0 client (RFC 7643/7644): typed resources, filters, PATCH, bulk, discovery, paging as a `Stream` |
//! | [`okta`] | the Okta management API: Users, Groups and admin Roles, `Link` paging as a `Stream`, Okta's rate limits |
//! | [`provision`] | Okta groups and their members pushed to one or more SCIM targets: typed mapping, owned attributes, plan (a dry run) then apply, idempotent and resumable, bounded concurrency |
//! | [`transport`] | the one pipeline every request goes through: the request value, the `Authenticator` hook, one `reqwest` client with timeouts and one retry loop (a write the server may have seen is never sent again), one decoder, `Retry-After` and rate-limit headers read with checked arithmetic |
//! | [`store`] | state shared by clients and replicas: a `TokenStore` (one token for every sharer, refreshed once) and a `RateBudget` (a server's rate limit reserved before sending); in-process, or on Redis with the `redis` feature |
//! | `mock` (feature `mock`) | an in-process identity provider: a token endpoint, a SCIM server and an Okta org, with faults on demand, for tests and demos |
//!
//! At the root: the two clients ([`ScimClient`], [`OktaClient`]), the credentials, the
//! transport's builder and policies, the [`Clock`] (time is injectable, so tests never
//! sleep), and the one [`Error`] type. Protocol types are reached through their module:
//! `scim::User` and `okta::User` are different things.
//!
//! Secrets (client secrets, API tokens, access tokens, private keys, passwords) are
//! [`secrecy::SecretString`]s end to end: no `Debug`, `Display`, error or tracing span in
//! this crate shows one, and an error quoting a server's answer has the request's own
//! secrets scrubbed from it.
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
//! assert_eq!(idp.request_count(), 1);
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
//! | `mock` | no | [`mock`]: in-process token endpoint, SCIM server and Okta org |
//! | `redis` | no | `store::redis`: a token store (AES-256-GCM encrypted) and a rate budget shared by replicas through Redis |
//! | `interop` | no | marks the opt-in tests against real peers (see the README) |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "__fuzz")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;
pub mod auth;
mod clock;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
pub mod okta;
pub mod provision;
mod redact;
pub mod scim;
pub mod store;
pub mod transport;

pub use auth::{ApiToken, Authenticator, BearerToken, ClientAuth, ClientCredentials};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use error::{
    Error, HttpError, OAuthError, OktaError, Result, ScimError, StoreFailure, TlsErrorKind,
};
pub use okta::OktaClient;
pub use scim::ScimClient;

/// The SCIM user. Deprecated at the root, where it read as if it were the only `User`:
/// [`okta::User`] is Okta's.
#[deprecated(
    since = "0.2.0",
    note = "use scimkit::scim::User (scimkit::okta::User is Okta's)"
)]
pub type User = scim::User;
/// The SCIM group. Deprecated at the root: [`okta::Group`] is Okta's.
#[deprecated(
    since = "0.2.0",
    note = "use scimkit::scim::Group (scimkit::okta::Group is Okta's)"
)]
pub type Group = scim::Group;
/// The SCIM enterprise extension.
#[deprecated(since = "0.2.0", note = "use scimkit::scim::EnterpriseUser")]
pub type EnterpriseUser = scim::EnterpriseUser;
/// The SCIM filter builder.
#[deprecated(since = "0.2.0", note = "use scimkit::scim::Filter")]
pub type Filter = scim::Filter;
/// The SCIM PATCH builder.
#[deprecated(since = "0.2.0", note = "use scimkit::scim::Patch")]
pub type Patch = scim::Patch;
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
