//! The Okta management API: Users, Groups and admin Roles, with `SSWS` API tokens or OAuth
//! service-app tokens, `Link`-header paging as a `Stream`, and Okta's rate limits honoured.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use futures_util::TryStreamExt;
//! use scimkit::okta::{CreateUser, DefaultProfile, OktaClient};
//!
//! let org = scimkit::mock::OktaOrg::start().await;   // stands in for https://my-org.okta.com
//! let okta = OktaClient::builder()
//!     .org(org.uri())?
//!     .api_token(org.api_token())
//!     .build()?;
//! let ada = okta.users()
//!     .create(&CreateUser::new(DefaultProfile::new("ada@example.com", "Ada", "Lovelace")))
//!     .await?;
//! let found: Vec<_> = okta.users().list()
//!     .search(r#"profile.lastName eq "Lovelace""#)
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert_eq!(found[0].id, ada.id);
//! okta.users().deactivate_and_delete(&ada.id).await?;
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

mod client;
mod errors;
mod groups;
mod list;
mod model;
mod paging;
mod rate_limit;
mod roles;
mod users;

pub use client::{OktaClient, OktaClientBuilder, normalize_org_url};
pub use groups::Groups;
pub use list::{List, SortOrder};
pub use model::{
    ActivationToken, CreateUser, DefaultProfile, Group, GroupProfile, GroupType,
    ResetPasswordToken, RoleAssignment, RoleType, User, UserStatus,
};
pub use paging::{ItemStream, Link, OktaObject, Page, links, next_link, parse_link_header};
pub(crate) use rate_limit::OktaRateLimits;
pub use roles::{AssignRole, Assignee, Roles};
pub use users::Users;
