//! The HTTP layer: one shared `reqwest` client, retries with back-off, rate-limit hints.

mod client;
mod rate_limit;
mod retry;

pub use client::{ApiRequest, Response, Transport, TransportBuilder, USER_AGENT};
pub use rate_limit::RateLimit;
pub(crate) use rate_limit::retry_hint;
pub use retry::RetryPolicy;
