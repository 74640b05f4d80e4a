//! Connecting to Okta from the `SCIMKIT_OKTA_*` variables, shared by the Okta examples and
//! the quickstart: include it with `#[path = "common/okta_connect.rs"] mod okta_connect;`.

use scimkit::auth::PrivateKeyJwt;
use scimkit::mock::OktaOrg;
use scimkit::okta::OktaClient;
use scimkit::{Error, Result};

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A client for the org configured by `SCIMKIT_OKTA_*`, or for a fresh mock org that `seed`
/// fills (kept alive in the returned `Option`).
pub async fn connect(
    default_scopes: &str,
    seed: impl FnOnce(&OktaOrg),
) -> Result<(OktaClient, Option<OktaOrg>)> {
    let Some(org) = env("SCIMKIT_OKTA_ORG") else {
        let mock = OktaOrg::start().await;
        seed(&mock);
        println!(
            "no SCIMKIT_OKTA_ORG: using the in-memory Okta org at {}",
            mock.uri()
        );
        return Ok((mock.client(), Some(mock)));
    };
    let builder = OktaClient::builder().org(&org)?;
    let builder = if let Some(token) = env("SCIMKIT_OKTA_API_TOKEN") {
        builder.api_token(token)
    } else {
        let client_id = env("SCIMKIT_OKTA_CLIENT_ID").ok_or_else(|| {
            Error::Config("set SCIMKIT_OKTA_API_TOKEN, or SCIMKIT_OKTA_CLIENT_ID and SCIMKIT_OKTA_PRIVATE_KEY".into())
        })?;
        let path = env("SCIMKIT_OKTA_PRIVATE_KEY").ok_or_else(|| {
            Error::Config("SCIMKIT_OKTA_PRIVATE_KEY (a PEM file path) is not set".into())
        })?;
        let pem = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {path}: {e}")))?;
        let scopes = env("SCIMKIT_OKTA_SCOPES").unwrap_or_else(|| default_scopes.to_owned());
        builder.service_app(
            client_id,
            PrivateKeyJwt::from_pem(&pem)?,
            scopes.split_whitespace(),
        )
    };
    Ok((builder.build()?, None))
}
