//! `OktaOrg`: an in-memory Okta org, for tests and demos.
//!
//! - `server`: [`OktaOrg`] and its builder (start, seed, inspect);
//! - `responder`: the HTTP side (faults, recording, rate limits, common headers);
//! - `token`: the org authorization server and the `Authorization` check;
//! - `routes`: routing to the handlers in `users` and `groups` (roles and lifecycle are
//!   rules of the state); `request` and `list` read requests and page answers;
//! - `state`: the data and Okta's rules; `error`: Okta's error answers; `filter`: the
//!   `search` / `filter` language.

mod error;
mod filter;
mod groups;
mod list;
mod request;
mod responder;
mod routes;
mod server;
mod state;
mod token;
mod users;

pub use server::{DEFAULT_RATE_LIMIT, MOCK_API_TOKEN, OktaOrg, OktaOrgBuilder};
