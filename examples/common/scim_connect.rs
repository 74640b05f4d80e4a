//! Connecting to a SCIM service provider from the `SCIMKIT_SCIM_*` variables, shared by the
//! SCIM examples: include it with `#[path = "common/scim_connect.rs"] mod scim_connect;`.
//!
//! - `SCIMKIT_SCIM_URL`: the SCIM base URL (`https://host/scim/v2`); unset: an in-memory
//!   `mock::ScimServer` (with a `mock::TokenServer`) is started instead;
//! - credentials: `SCIMKIT_TOKEN_URL` + `SCIMKIT_CLIENT_ID` + `SCIMKIT_CLIENT_SECRET` (and
//!   optional `SCIMKIT_SCOPE`) for client-credentials tokens, or `SCIMKIT_SCIM_TOKEN` as a
//!   static bearer token.

#![allow(dead_code)] // each example uses its own part of this file

use scimkit::mock::{ScimServer, ScimServerBuilder, TokenServer};
use scimkit::scim::{ScimClient, ScimClientBuilder};
use scimkit::{BearerToken, ClientCredentials, Error, Result, Transport};

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The embedded mock a recipe runs against when `SCIMKIT_SCIM_URL` is not set: keep it alive
/// as long as the client is used.
pub struct MockScim {
    /// The SCIM server, for seeding, faults and inspection.
    pub server: ScimServer,
    /// The token endpoint whose tokens the server accepts.
    pub idp: TokenServer,
}

/// A client builder for the SCIM server configured by `SCIMKIT_SCIM_*`, or for a fresh mock
/// (built with `configure` applied to its builder).
pub async fn builder(
    transport: Transport,
    configure: impl FnOnce(ScimServerBuilder) -> ScimServerBuilder,
) -> Result<(ScimClientBuilder, Option<MockScim>)> {
    let Some(url) = env("SCIMKIT_SCIM_URL") else {
        let idp = TokenServer::start().await;
        idp.register_client("scim-client", "demo-secret");
        let server = configure(ScimServer::builder().token_server(&idp))
            .start()
            .await;
        println!(
            "no SCIMKIT_SCIM_URL: using the in-memory SCIM server at {}",
            server.base_url()
        );
        let creds = ClientCredentials::builder()
            .token_url(idp.token_url())
            .client_id("scim-client")
            .client_secret("demo-secret".to_string())
            .transport(transport.clone())
            .build()?;
        let builder = ScimClient::builder()
            .base_url(server.base_url())
            .transport(transport)
            .auth(creds);
        return Ok((builder, Some(MockScim { server, idp })));
    };
    let builder = ScimClient::builder()
        .base_url(url)
        .transport(transport.clone());
    let builder = match (
        env("SCIMKIT_TOKEN_URL"),
        env("SCIMKIT_CLIENT_ID"),
        env("SCIMKIT_CLIENT_SECRET"),
    ) {
        (Some(token_url), Some(client_id), Some(secret)) => {
            let scopes = env("SCIMKIT_SCOPE").unwrap_or_default();
            let creds = ClientCredentials::builder()
                .token_url(token_url)
                .client_id(client_id)
                .client_secret(secret)
                .scopes(scopes.split_whitespace())
                .transport(transport)
                .build()?;
            builder.auth(creds)
        }
        _ => {
            let token = env("SCIMKIT_SCIM_TOKEN").ok_or_else(|| {
                Error::Config(
                    "set SCIMKIT_SCIM_TOKEN, or SCIMKIT_TOKEN_URL, SCIMKIT_CLIENT_ID and SCIMKIT_CLIENT_SECRET"
                        .into(),
                )
            })?;
            builder.auth(BearerToken::new(token))
        }
    };
    Ok((builder, None))
}

/// A client for the SCIM server configured by `SCIMKIT_SCIM_*`, or for a fresh mock.
pub async fn connect(
    configure: impl FnOnce(ScimServerBuilder) -> ScimServerBuilder,
) -> Result<(ScimClient, Option<MockScim>)> {
    let (builder, mock) = builder(Transport::default(), configure).await?;
    Ok((builder.build()?, mock))
}
