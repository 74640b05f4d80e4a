//! Provision a user and a group over SCIM 2.0, printing each step.
//!
//! ```text
//! cargo run --example scim_provision                       # against the built-in mock
//! SCIMKIT_SCIM_URL=https://host/scim/v2 \
//!   SCIMKIT_TOKEN_URL=https://host/oauth2/token \
//!   SCIMKIT_CLIENT_ID=scim-client SCIMKIT_CLIENT_SECRET=... \
//!   cargo run --example scim_provision                     # real server, client credentials
//! SCIMKIT_SCIM_URL=https://host/scim/v2 SCIMKIT_SCIM_TOKEN=... \
//!   cargo run --example scim_provision                     # real server, static bearer
//! ```
//!
//! The steps live in `provision.rs` (`provision(&ScimClient)`), so the quickstart reuses them.

mod provision;

use provision::provision;
use scimkit::mock::{ScimServer, TokenServer};
use scimkit::scim::ScimClient;
use scimkit::{BearerToken, ClientCredentials, Error, Result};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<()> {
    // Kept alive until the end of main when running against the mock.
    let mut _mock: Option<(TokenServer, ScimServer)> = None;
    let scim = match env("SCIMKIT_SCIM_URL") {
        Some(url) => {
            let builder = ScimClient::builder().base_url(url.clone());
            match (
                env("SCIMKIT_TOKEN_URL"),
                env("SCIMKIT_CLIENT_ID"),
                env("SCIMKIT_CLIENT_SECRET"),
            ) {
                (Some(token_url), Some(client_id), Some(secret)) => {
                    println!("SCIM server {url}, client-credentials token from {token_url}");
                    let creds = ClientCredentials::builder()
                        .token_url(token_url)
                        .client_id(client_id)
                        .client_secret(secret)
                        .build()?;
                    builder.auth(creds).build()?
                }
                _ => {
                    let token = env("SCIMKIT_SCIM_TOKEN").ok_or_else(|| {
                        Error::Config(
                            "set SCIMKIT_TOKEN_URL, SCIMKIT_CLIENT_ID and SCIMKIT_CLIENT_SECRET, or SCIMKIT_SCIM_TOKEN".into(),
                        )
                    })?;
                    println!("SCIM server {url}, static bearer token");
                    builder.auth(BearerToken::new(token)).build()?
                }
            }
        }
        None => {
            let idp = TokenServer::start().await;
            idp.register_client("scim-client", "demo-secret");
            let server = ScimServer::builder().token_server(&idp).start().await;
            println!(
                "no SCIMKIT_SCIM_URL: using the built-in mock at {}",
                server.base_url()
            );
            let creds = ClientCredentials::builder()
                .token_url(idp.token_url())
                .client_id("scim-client")
                .client_secret("demo-secret".to_string())
                .build()?;
            let scim = ScimClient::builder()
                .base_url(server.base_url())
                .auth(creds)
                .build()?;
            _mock = Some((idp, server));
            scim
        }
    };
    provision(&scim).await
}
