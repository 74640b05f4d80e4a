//! State that clients (and replicas of a service) share: access tokens and rate budgets.
//!
//! - [`TokenStore`]: one access token per [`TokenKey`] for every sharer, refreshed once
//!   under a lock with a lease and a fencing value. [`InProcessTokenStore`] shares tokens
//!   between clients of one process; `redis::RedisTokenStore` (feature `redis`) between
//!   replicas, encrypted with AES-256-GCM.
//! - [`RateBudget`]: a server's rate-limit budget per endpoint family, reserved before
//!   each request and calibrated from `X-Rate-Limit-*`. [`InProcessRateBudget`] is the
//!   budget of one process; `redis::RedisRateBudget` (feature `redis`) is one budget for
//!   every replica, kept atomic by a Lua script.
//!
//! Whatever happens to a shared store, callers never see its errors: a client whose store
//! fails or is slow falls back to its in-process state and tries the store again later.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> scimkit::Result<()> {
//! use std::sync::Arc;
//! use scimkit::ClientCredentials;
//! use scimkit::store::InProcessTokenStore;
//!
//! let idp = scimkit::mock::TokenServer::start().await;
//! idp.register_client("svc", "s3cret");
//! let store = Arc::new(InProcessTokenStore::new());
//! let build = || {
//!     ClientCredentials::builder()
//!         .token_url(idp.token_url())
//!         .client_id("svc")
//!         .client_secret("s3cret".to_string())
//!         .token_store(store.clone())
//!         .build()
//! };
//! let (a, b) = (build()?, build()?);
//! a.token().await?;
//! b.token().await?; // the token `a` fetched
//! assert_eq!(idp.token_requests(), 1);
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

mod budget_hook;
mod rate_budget;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
mod token_store;

pub(crate) use budget_hook::BudgetHook;
#[cfg(feature = "redis")]
pub(crate) use rate_budget::DEFAULT_POLL;
pub(crate) use rate_budget::{DEFAULT_LEASE, millis};
pub use rate_budget::{InProcessRateBudget, Observation, RateBudget, Reservation, Ticket};
#[cfg(feature = "redis")]
pub(crate) use token_store::hex;
pub use token_store::{Fence, InProcessTokenStore, Lock, SharedToken, TokenKey, TokenStore};
