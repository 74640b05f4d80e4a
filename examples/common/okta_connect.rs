//! Connecting to Okta from the `SCIMKIT_OKTA_*` variables, shared by the Okta examples and
//! the quickstart: include it with `#[path = "common/okta_connect.rs"] mod okta_connect;`.
//!
//! - `SCIMKIT_OKTA_ORG`: `my-org`, `my-org.okta.com` or the org URL; unset: an in-memory
//!   `mock::OktaOrg` is started instead;
//! - `SCIMKIT_OKTA_API_TOKEN`: an API token (`SSWS`), or else a service app:
//!   `SCIMKIT_OKTA_CLIENT_ID`, `SCIMKIT_OKTA_PRIVATE_KEY` (the path of its PEM private key),
//!   optional `SCIMKIT_OKTA_KEY_ID` (the key's `kid` in the app) and `SCIMKIT_OKTA_SCOPES`
//!   (space-separated; each example has its own least-privilege default).

#![allow(dead_code)] // each example uses its own part of this file

use scimkit::auth::PrivateKeyJwt;
use scimkit::mock::OktaOrg;
use scimkit::okta::{OktaClient, OktaClientBuilder};
use scimkit::{Error, Result};

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The service app's signer from `SCIMKIT_OKTA_PRIVATE_KEY` (a PEM file) and the optional
/// `SCIMKIT_OKTA_KEY_ID`.
pub fn signer_from_env() -> Result<PrivateKeyJwt> {
    let path = env("SCIMKIT_OKTA_PRIVATE_KEY").ok_or_else(|| {
        Error::Config("SCIMKIT_OKTA_PRIVATE_KEY (a PEM file path) is not set".into())
    })?;
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| Error::Config(format!("cannot read {path}: {e}")))?;
    let signer = PrivateKeyJwt::from_pem(&pem)?;
    Ok(match env("SCIMKIT_OKTA_KEY_ID") {
        Some(kid) => signer.kid(kid),
        None => signer,
    })
}

/// A builder for the org configured by `SCIMKIT_OKTA_*`, or for a fresh mock org that `seed`
/// fills (kept alive in the returned `Option`), so the caller can add its own settings
/// (`throttle`, `transport`, `dpop`) before `build()`.
pub async fn builder(
    default_scopes: &str,
    seed: impl FnOnce(&OktaOrg),
) -> Result<(OktaClientBuilder, Option<OktaOrg>)> {
    let Some(org) = env("SCIMKIT_OKTA_ORG") else {
        let mock = OktaOrg::start().await;
        seed(&mock);
        println!(
            "no SCIMKIT_OKTA_ORG: using the in-memory Okta org at {}",
            mock.uri()
        );
        let builder = OktaClient::builder()
            .org(mock.uri())?
            .api_token(mock.api_token());
        return Ok((builder, Some(mock)));
    };
    let builder = OktaClient::builder().org(&org)?;
    let builder = if let Some(token) = env("SCIMKIT_OKTA_API_TOKEN") {
        builder.api_token(token)
    } else {
        let client_id = env("SCIMKIT_OKTA_CLIENT_ID").ok_or_else(|| {
            Error::Config(
                "set SCIMKIT_OKTA_API_TOKEN, or SCIMKIT_OKTA_CLIENT_ID and SCIMKIT_OKTA_PRIVATE_KEY"
                    .into(),
            )
        })?;
        let scopes = env("SCIMKIT_OKTA_SCOPES").unwrap_or_else(|| default_scopes.to_owned());
        builder.service_app(client_id, signer_from_env()?, scopes.split_whitespace())
    };
    Ok((builder, None))
}

/// A client for the org configured by `SCIMKIT_OKTA_*`, or for a fresh mock org that `seed`
/// fills (kept alive in the returned `Option`).
pub async fn connect(
    default_scopes: &str,
    seed: impl FnOnce(&OktaOrg),
) -> Result<(OktaClient, Option<OktaOrg>)> {
    let (builder, mock) = builder(default_scopes, seed).await?;
    Ok((builder.build()?, mock))
}
