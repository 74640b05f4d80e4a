//! `ScimServer`: an in-memory, stateful SCIM 2.0 service provider.
//!
//! - `server`: [`ScimServer`] and its builder (start, seed, inspect);
//! - `responder`: the HTTP side (faults, recording, authentication) and the routing;
//! - `routes`: which handler answers a request;
//! - `resource`, `list`, `bulk`: the handlers, one `impl State` each; `discovery` and
//!   `patch` are the documents and the PATCH engine they use;
//! - `schema`: the schemas served, as data; `input` (what a write may set), `render` (what
//!   an answer shows) and `filter` (filters and sorting) follow them;
//! - `store`: the state and the rules every write goes through; `answer`: what handlers
//!   return; `config`: the settings fixed at start.

mod answer;
mod bulk;
mod config;
mod discovery;
mod filter;
mod input;
mod kind;
mod list;
mod patch;
mod render;
mod resource;
mod responder;
mod routes;
mod schema;
mod server;
mod store;

pub use config::SCIM_BASE_PATH;
pub use server::{ScimServer, ScimServerBuilder};
