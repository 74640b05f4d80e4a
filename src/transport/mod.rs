//! The pipeline every request goes through: request value → [`SendHook`] →
//! [`Authenticator`] → one `reqwest` client in one retry loop → [`Response`] → one decoder;
//! and the one [`Paginator`] behind every listing.
//!
//! - [`ApiRequest`]: the request value, built by typed client code.
//! - [`Authenticator`] / [`AuthRequest`]: the credentials hook, implemented in
//!   [`crate::auth`] (the transport never imports it).
//! - [`SendHook`] / [`Attempt`]: a protocol's rules around each attempt (Okta's rate-limit
//!   buckets and retry headers live in [`crate::okta`] as one).
//! - [`Transport`] / [`TransportBuilder`] / [`SendOptions`]: the one `reqwest` client,
//!   timeouts, the size limit and the one retry loop, under the [`RetryPolicy`] (which also
//!   says why a write is never sent twice).
//! - [`Response`]: the one decoder (media types, JSON paths, redacted snippets, request ids).
//! - [`RateLimit`]: `X-Rate-Limit-*` and `Retry-After`, read with checked arithmetic.
//! - [`Paginator`] / [`PageSource`]: one cycle-safe paging `Stream`, with a page cap.

mod authenticate;
mod builder;
mod failure;
mod hook;
mod paginator;
pub(crate) mod rate_limit;
mod request;
pub(crate) mod response;
mod retry;
mod send;
mod url_rules;

pub use authenticate::{AuthRequest, Authenticator, BoxFuture, SharedAuthenticator};
pub use builder::TransportBuilder;
pub use hook::{Attempt, SendHook};
pub use paginator::{
    DEFAULT_MAX_PAGES, Page, PageCursor, PageFuture, PageSource, Paginator, PagingEnd,
};
pub use rate_limit::{MAX_SERVER_WAIT, RateLimit};
pub use request::ApiRequest;
pub use response::Response;
pub use retry::RetryPolicy;
pub use send::{SendOptions, Transport, USER_AGENT};

/// The `reqwest` the transport is built on, for the types its builder takes
/// ([`reqwest::Certificate`] for [`TransportBuilder::add_root_certificate`], [`reqwest::Proxy`]
/// and the `ClientBuilder` of [`TransportBuilder::configure_reqwest`]) without a second
/// `reqwest` dependency that has to match this one's version.
pub use ::reqwest;
