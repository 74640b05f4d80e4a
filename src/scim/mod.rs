//! A SCIM 2.0 client (RFC 7643 / RFC 7644).
//!
//! - Typed resources: [`User`] (with [`EnterpriseUser`]), [`Group`], and your own through
//!   [`Resource`] and [`Extension`]. Unknown attributes are kept on read and written back.
//! - Every operation through [`ScimClient`]: create, get, replace, patch, delete, list,
//!   search (`POST /.search`), paging as a [`Stream`](futures_core::Stream)
//!   ([`ResourceStream`]), bulk ([`Bulk`]), discovery ([`ServiceProviderConfig`],
//!   [`ResourceType`], [`Schema`]), `/Me`.
//! - [`Filter`]: a typed builder and a parser for filter syntax; values are always escaped.
//! - [`Patch`]: typed PATCH operations and paths, and [`Patch::diff`] between two versions
//!   ([`Patch::diff_owned`] limited to the [`OwnedAttributes`] a client owns).
//! - ETags: `meta.version` goes out as `If-Match` on replace, on
//!   [`patch_if_match`](Resources::patch_if_match) and
//!   [`delete_if_match`](Resources::delete_if_match); a stale version is a 412
//!   [`Error::Scim`](crate::Error::Scim); [`GetOptions::if_none_match`] turns a 304 into
//!   [`Error::NotModified`](crate::Error::NotModified).
//! - Errors: SCIM error bodies become [`Error::Scim`](crate::Error::Scim) with the status and
//!   a typed [`ScimErrorKind`] (via [`ScimError::kind`](crate::ScimError::kind)).
//!
//! Reading is tolerant of what real servers send: `application/json` as well as
//! `application/scim+json`, booleans as `"True"`, numbers as strings, missing
//! `totalResults`, `Resources` absent or spelt `resources`, unknown `scimType`s, PATCH
//! answered 200 or 204, the ETag only in a header. Writing is canonical:
//! `application/scim+json`, `schemas` always set, lowercase PATCH ops.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use futures_util::TryStreamExt;
//! use scimkit::auth::BearerToken;
//! use scimkit::scim::{Filter, Group, Patch, ScimClient, User};
//!
//! let server = scimkit::mock::ScimServer::start().await;   // stands in for your SCIM app
//! let scim = ScimClient::builder()
//!     .base_url(server.base_url())
//!     .auth(BearerToken::new(server.bearer_token().to_owned()))
//!     .build()?;
//!
//! let alice = scim.users().create(&User::new("alice@example.com").display_name("Alice")).await?;
//! let id = alice.id.clone().unwrap_or_default();
//! let admins = scim.groups().create(&Group::new("Admins")).await?;
//! scim.groups().add_members(admins.id.as_deref().unwrap_or_default(), [id.as_str()]).await?;
//! scim.users().patch(&id, &Patch::new().replace("active", false)).await?;
//!
//! let found: Vec<User> = scim.users().list()
//!     .filter(Filter::attr("userName").sw("alice"))
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert_eq!(found.len(), 1);
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

mod bulk;
mod client;
mod discovery;
mod enterprise;
pub(crate) mod error;
pub mod filter;
mod group;
mod list;
mod list_request;
mod meta;
mod owned;
mod patch;
mod query;
mod resource;
mod resources;
mod serde_util;
mod stream;
mod user;

pub use bulk::{Bulk, BulkOperation, BulkOperationResult, BulkResponse};
pub use client::{ScimClient, ScimClientBuilder};
pub use discovery::{
    BulkConfig, FilterConfig, PaginationConfig, ResourceType, Schema, SchemaAttribute,
    SchemaExtension, ServiceProviderConfig, Supported,
};
pub use enterprise::{EnterpriseUser, Manager};
pub use error::ScimErrorKind;
pub use filter::{AttrPath, CompareOp, Filter, FilterAttr, FilterParseError};
pub use group::{Group, Member};
pub use list::{ListResponse, SearchRequest, SortOrder};
pub use list_request::ListRequest;
pub use meta::Meta;
pub use owned::OwnedAttributes;
pub(crate) use owned::set_at;
pub use patch::{Patch, PatchOp, PatchOperation, PatchPath};
pub use query::Query;
#[cfg(feature = "mock")]
pub(crate) use resource::to_body as resource_body;
pub use resource::{Extension, Resource};
pub use resources::{GetOptions, Resources};
pub use stream::{ResourceStream, StreamPosition};
pub use user::{Address, MultiValued, Name, User};

/// Attributes a model does not name, kept as JSON.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3).
pub mod schema {
    /// The core User schema.
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    /// The core Group schema.
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    /// The enterprise User extension.
    pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /// `ListResponse`.
    pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    /// `SearchRequest`.
    pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    /// `PatchOp`.
    pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    /// `BulkRequest`.
    pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    /// `BulkResponse`.
    pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    /// `Error`.
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
    /// `ServiceProviderConfig`.
    pub const SERVICE_PROVIDER_CONFIG: &str =
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    /// `ResourceType`.
    pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    /// `Schema`.
    pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
}
