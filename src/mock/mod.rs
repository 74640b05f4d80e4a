//! An in-process identity provider for tests and demos (feature `mock`).
//!
//! Every server binds 127.0.0.1 on an OS-chosen port, keeps real state, and takes
//! [`Faults`] on demand so a downstream crate's CI can test its own error handling.
//!
//! - [`TokenServer`]: an OAuth 2.0 token endpoint (client-credentials grant).
//! - [`ScimServer`]: an in-memory SCIM 2.0 service provider (Users, Groups, Bulk, discovery).
//! - [`OktaOrg`]: an in-memory Okta org (users, groups, roles, paging, rate limits, service apps).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use scimkit::mock::{Fault, TokenServer};
//! use scimkit::ClientCredentials;
//!
//! let idp = TokenServer::start().await;
//! idp.register_client("svc", "s3cret");
//! idp.faults().push(Fault::Status(503), 1); // the first token request fails
//!
//! let creds = ClientCredentials::builder()
//!     .token_url(idp.token_url())
//!     .client_id("svc")
//!     .client_secret("s3cret".to_string())
//!     .build()?;
//! creds.token().await?;                     // retried after the 503
//! assert_eq!(idp.token_requests(), 2);
//! # Ok(()) }
//! ```

mod faults;
mod oauth;
mod okta;
mod scim;
mod token;
mod util;

pub use faults::{Fault, Faults};
pub use okta::{MOCK_API_TOKEN, OktaOrg, OktaOrgBuilder, OktaRecordedRequest};
pub use scim::{SCIM_BASE_PATH, ScimRecordedRequest, ScimServer, ScimServerBuilder};
pub use token::{
    AuthMethod, MockClientAuth, TOKEN_PATH, TokenInfo, TokenRequestRecord, TokenServer,
    TokenValidator,
};
