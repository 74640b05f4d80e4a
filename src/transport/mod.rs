//! The HTTP layer: one shared `reqwest` client, retries with back-off, rate-limit hints, and
//! the one [`Paginator`] behind every listing.

mod client;
mod paginator;
mod rate_limit;
mod retry;

pub use client::{ApiRequest, Response, Transport, TransportBuilder, USER_AGENT};
pub use paginator::{
    DEFAULT_MAX_PAGES, Page, PageCursor, PageFuture, PageSource, Paginator, PagingEnd,
};
pub use rate_limit::RateLimit;
pub(crate) use rate_limit::retry_hint;
pub use retry::RetryPolicy;
