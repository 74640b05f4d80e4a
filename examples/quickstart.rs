//! The main job: get an OAuth 2.0 client-credentials token, use it to provision a user and a
//! group over SCIM, and read users from Okta.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no configuration every part runs against the crate's embedded mock identity provider
//! (token endpoint, SCIM server, Okta org). Each part can point at a real system instead:
//!
//! - token: `SCIMKIT_TOKEN_URL`, `SCIMKIT_CLIENT_ID`, `SCIMKIT_CLIENT_SECRET`, and optional
//!   `SCIMKIT_SCOPE` (space-separated);
//! - SCIM: `SCIMKIT_SCIM_URL` (the Base URL), authenticated with the token above, or with
//!   `SCIMKIT_SCIM_TOKEN` as a static bearer when no token endpoint is configured;
//! - Okta: `SCIMKIT_OKTA_ORG` with `SCIMKIT_OKTA_API_TOKEN`, or a service app
//!   (`SCIMKIT_OKTA_CLIENT_ID`, `SCIMKIT_OKTA_PRIVATE_KEY`, `SCIMKIT_OKTA_SCOPES`); read-only.
//!
//! When a real token endpoint is set but no SCIM URL, the SCIM part is skipped (the mock SCIM
//! server would not accept a real token). Tokens are never printed: `Debug` shows
//! `[redacted]`.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use scimkit::mock::{ScimServer, TokenServer};
use scimkit::scim::ScimClient;
use scimkit::{BearerToken, ClientCredentials, SecretString};

#[path = "scim_provision/provision.rs"]
mod provision;

#[path = "common/okta_connect.rs"]
mod okta_connect;

struct Config {
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    scopes: Vec<String>,
}

use okta_connect::env;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> scimkit::Result<()> {
    // Keep the mock alive for the whole run when we use it.
    let mut mock_idp: Option<TokenServer> = None;
    let config = match env("SCIMKIT_TOKEN_URL") {
        Some(token_url) => Config {
            token_url,
            client_id: env("SCIMKIT_CLIENT_ID")
                .ok_or_else(|| scimkit::Error::Config("SCIMKIT_CLIENT_ID is not set".into()))?,
            client_secret: SecretString::from(env("SCIMKIT_CLIENT_SECRET").ok_or_else(|| {
                scimkit::Error::Config("SCIMKIT_CLIENT_SECRET is not set".into())
            })?),
            scopes: env("SCIMKIT_SCOPE")
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        },
        None => {
            let idp = TokenServer::start().await;
            idp.register_client("quickstart", "p@ss:w0rd/&=+ %~");
            println!("No SCIMKIT_TOKEN_URL set: using the embedded mock identity provider.");
            let config = Config {
                token_url: idp.token_url(),
                client_id: "quickstart".into(),
                client_secret: SecretString::from("p@ss:w0rd/&=+ %~"),
                scopes: vec!["scim".into()],
            };
            mock_idp = Some(idp);
            config
        }
    };

    println!("== OAuth 2.0 client credentials");
    println!("Token URL: {}", config.token_url);
    let creds = ClientCredentials::builder()
        .token_url(config.token_url)
        .client_id(config.client_id)
        .client_secret(config.client_secret)
        .scopes(config.scopes)
        .build()?;

    let first = creds.token().await?;
    println!(
        "1. fetched a {} token, valid for {} s: {first:?}",
        first.token_type(),
        first
            .expires_at()
            .saturating_duration_since(std::time::Instant::now())
            .as_secs()
    );
    let second = creds.token().await?;
    println!(
        "2. asked again: {} (same token: {})",
        if std::sync::Arc::ptr_eq(&first, &second) {
            "served from the cache"
        } else {
            "fetched anew"
        },
        std::sync::Arc::ptr_eq(&first, &second)
    );
    println!("Token requests sent: {}", creds.token_requests());

    println!("\n== SCIM 2.0 provisioning");
    let mut _mock_scim = None;
    let scim = match (env("SCIMKIT_SCIM_URL"), &mock_idp) {
        (Some(url), _) => {
            println!("SCIM Base URL: {url}");
            let builder = ScimClient::builder().base_url(url);
            match (env("SCIMKIT_TOKEN_URL"), env("SCIMKIT_SCIM_TOKEN")) {
                (None, Some(token)) => builder.auth(BearerToken::new(token)).build()?,
                _ => builder.auth(creds.clone()).build()?,
            }
        }
        (None, Some(idp)) => {
            let server = ScimServer::builder().token_server(idp).start().await;
            println!("SCIM Base URL: {} (embedded mock)", server.base_url());
            let scim = ScimClient::builder()
                .base_url(server.base_url())
                .auth(creds.clone())
                .build()?;
            _mock_scim = Some(server);
            scim
        }
        (None, None) => {
            println!("skipped: set SCIMKIT_SCIM_URL to provision to a real SCIM server");
            return okta().await;
        }
    };
    provision::provision(&scim).await?;
    println!(
        "Token requests sent so far: {} (the SCIM calls reused the cached token)",
        creds.token_requests()
    );
    okta().await
}

/// Reads a few users from Okta (the configured org, or a seeded in-memory one).
async fn okta() -> scimkit::Result<()> {
    println!("\n== Okta management API");
    let (okta, _mock_org) = okta_connect::connect("okta.users.read", |org| {
        org.seed_sample_users(5);
    })
    .await?;
    let users: Vec<_> = okta.users().list().limit(2).stream().try_collect().await?;
    println!(
        "{} users, read through Link-header paging two at a time:",
        users.len()
    );
    for user in &users {
        println!("  {} {:<32} {}", user.id, user.profile.login, user.status);
    }
    if let Some(first) = users.first() {
        let again = okta.users().get(&first.id).await?;
        println!("fetched {} by id: {}", again.profile.login, again.status);
    }
    if let Some(limit) = okta.last_rate_limit() {
        println!(
            "rate limit left: {:?} of {:?}",
            limit.remaining, limit.limit
        );
    }
    Ok(())
}
