//! The main job: get an OAuth 2.0 client-credentials token and use it.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no configuration it starts the crate's embedded mock identity provider and runs
//! against it. To run against a real token endpoint, set:
//!
//! - `SCIMKIT_TOKEN_URL`: the token endpoint ("Token URL")
//! - `SCIMKIT_CLIENT_ID`, `SCIMKIT_CLIENT_SECRET`: the client's credentials
//! - `SCIMKIT_SCOPE` (optional): space-separated scopes
//!
//! The token itself is never printed: its `Debug` shows `[redacted]`.

use std::process::ExitCode;

use scimkit::mock::TokenServer;
use scimkit::{ClientCredentials, SecretString};

struct Config {
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    scopes: Vec<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

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
    let mut _mock = None;
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
            _mock = Some(idp);
            config
        }
    };

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
    Ok(())
}
