//! An in-process identity provider for tests and demos (feature `mock`).
//!
//! Every server listens on 127.0.0.1 and an OS-chosen port (or an address you choose),
//! keeps real state, records every request it receives (up to a cap) and takes aimed
//! [`Faults`], so a downstream crate's CI can test its own error handling.
//!
//! - [`TokenServer`]: an OAuth 2.0 token endpoint (client-credentials grant).
//! - [`ScimServer`]: an in-memory SCIM 2.0 service provider (Users, Groups, Bulk, discovery).
//! - [`OktaOrg`]: an in-memory Okta org (users, groups, roles, paging, rate limits, service apps).
//! - [`IdentityProvider`]: the three at once, the SCIM server accepting the token
//!   endpoint's tokens, with ready-made clients.
//!
//! The three share one handle API: a `builder()`, `requests()` ([`RecordedRequest`]),
//! `request_count()`, `reset()`, `faults()`, typed seeding and typed inspection.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use http::Method;
//! use scimkit::mock::{Fault, TokenServer};
//!
//! let idp = TokenServer::builder().client("svc", "s3cret").start().await;
//! idp.faults()
//!     .on(Method::POST, "/oauth2/token")
//!     .times(1)
//!     .respond(Fault::Status(503)); // the first token request fails
//!
//! let creds = idp.client_credentials("svc", "s3cret");
//! creds.token().await?;                     // retried after the 503
//! assert_eq!(idp.request_count(), 2);
//! assert_eq!(idp.requests()[0].status, Some(503));
//! # Ok(()) }
//! ```
//!
//! ## Testing your service
//!
//! With `scimkit = { version = "0.1", features = ["mock"] }` in your `[dev-dependencies]`,
//! your own tests get the same mocks. A service that must not create a user twice when the
//! answer to its first create is lost:
//!
//! ```
//! use http::Method;
//! use scimkit::mock::{Fault, IdentityProvider};
//! use scimkit::scim::{ScimClient, User};
//!
//! async fn provision(scim: &ScimClient, email: &str) -> scimkit::Result<String> {
//!     let existing = scim
//!         .users()
//!         .list()
//!         .filter(scimkit::Filter::attr("userName").eq(email))
//!         .send()
//!         .await?;
//!     if let Some(user) = existing.resources.into_iter().next() {
//!         return Ok(user.id.unwrap_or_default());
//!     }
//!     Ok(scim.users().create(&User::new(email)).await?.id.unwrap_or_default())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let idp = IdentityProvider::start().await;
//! let scim = idp.scim_client();
//! // The first create is applied, then the connection drops before the answer.
//! idp.scim()
//!     .faults()
//!     .on(Method::POST, "/Users")
//!     .times(1)
//!     .respond(Fault::DropAfterProcessing);
//!
//! assert!(provision(&scim, "ada@example.com").await.is_err());
//! let id = provision(&scim, "ada@example.com").await.unwrap(); // finds it, creates nothing
//! assert_eq!(idp.scim().users().len(), 1);
//! assert_eq!(idp.scim().user(&id).unwrap().user_name, "ada@example.com");
//! # }
//! ```

mod core;
mod faults;
mod idp;
mod oauth;
mod okta;
mod record;
mod scim;
mod serve;
mod token;
mod util;

pub use faults::{ArmedFault, Fault, FaultRule, Faults};
pub use idp::{IdentityProvider, IdentityProviderBuilder, MOCK_CLIENT_ID};
pub use okta::{DEFAULT_RATE_LIMIT, MOCK_API_TOKEN, OktaOrg, OktaOrgBuilder};
pub use record::{DEFAULT_MAX_RECORDS, RecordedRequest};
pub use scim::{SCIM_BASE_PATH, ScimServer, ScimServerBuilder};
pub use token::{
    AuthMethod, MockClientAuth, TOKEN_PATH, TokenInfo, TokenRequestRecord, TokenServer,
    TokenServerBuilder, TokenValidator,
};

/// A request [`ScimServer`] received.
#[deprecated(since = "0.1.0", note = "all mocks record `RecordedRequest`")]
pub type ScimRecordedRequest = RecordedRequest;

/// A request [`OktaOrg`] received.
#[deprecated(since = "0.1.0", note = "all mocks record `RecordedRequest`")]
pub type OktaRecordedRequest = RecordedRequest;
