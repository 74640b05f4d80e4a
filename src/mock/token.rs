//! `TokenServer`: an in-process OAuth 2.0 token endpoint (client-credentials grant).
//!
//! - `server`: [`TokenServer`] and its builder (start, register clients, inspect);
//! - `responder`: the grant itself;
//! - `state`: clients, issued tokens and the [`TokenValidator`] resource servers use.

mod responder;
mod server;
mod state;

pub use server::{TokenServer, TokenServerBuilder};
pub use state::{AuthMethod, MockClientAuth, TokenInfo, TokenRequestRecord, TokenValidator};

/// The path the token endpoint answers on.
pub const TOKEN_PATH: &str = "/oauth2/token";
