//! The SCIM targets of `okta_scim_push`, from the environment, or embedded mocks.
//!
//! Target 1 reads the unsuffixed variables, target N (2 to 9) the same names with `_N`:
//!
//! | variable | what |
//! |---|---|
//! | `SCIMKIT_SCIM_URL[_N]` | the target's SCIM Base URL (its presence defines the target) |
//! | `SCIMKIT_TOKEN_URL[_N]`, `SCIMKIT_CLIENT_ID[_N]`, `SCIMKIT_CLIENT_SECRET[_N]` | client-credentials token (Basic client auth), optional `SCIMKIT_SCOPE[_N]` |
//! | `SCIMKIT_SCIM_TOKEN[_N]` | a static bearer token instead |
//! | `SCIMKIT_PUSH_GROUPS[_N]` | the Okta groups pushed to it: exact names, comma-separated |
//! | `SCIMKIT_TARGET_NAME[_N]` | its name in the plan and the report (default `target1`, `target2`, ...) |

use scimkit::mock::{ScimServer, TokenServer};
use scimkit::provision::Target;
use scimkit::scim::ScimClient;
use scimkit::{BearerToken, ClientCredentials, Error, Result};

use crate::env;

/// The mocks standing in for the targets, kept alive for the run.
pub type Mocks = Vec<(TokenServer, ScimServer)>;

fn groups(suffix: &str, default: Option<&str>) -> Result<Vec<String>> {
    let names = env(&format!("SCIMKIT_PUSH_GROUPS{suffix}"))
        .or_else(|| default.map(str::to_owned))
        .ok_or_else(|| {
            Error::Config(format!(
                "set SCIMKIT_PUSH_GROUPS{suffix} to the Okta groups to push (comma-separated names)"
            ))
        })?;
    let names: Vec<String> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(Error::Config(format!(
            "SCIMKIT_PUSH_GROUPS{suffix} names no group"
        )));
    }
    Ok(names)
}

/// One target from the variables with `suffix`, if its URL is set.
fn from_env(n: usize, suffix: &str) -> Result<Option<Target>> {
    let Some(url) = env(&format!("SCIMKIT_SCIM_URL{suffix}")) else {
        return Ok(None);
    };
    let var = |name: &str| env(&format!("{name}{suffix}"));
    let builder = ScimClient::builder().base_url(url.clone());
    let client = match (
        var("SCIMKIT_TOKEN_URL"),
        var("SCIMKIT_CLIENT_ID"),
        var("SCIMKIT_CLIENT_SECRET"),
    ) {
        (Some(token_url), Some(client_id), Some(secret)) => {
            let mut creds = ClientCredentials::builder()
                .token_url(token_url)
                .client_id(client_id)
                .client_secret(secret);
            if let Some(scope) = var("SCIMKIT_SCOPE") {
                creds = creds.scopes(scope.split_whitespace().map(str::to_owned));
            }
            builder.auth(creds.build()?).build()?
        }
        _ => {
            let token = var("SCIMKIT_SCIM_TOKEN").ok_or_else(|| {
                Error::Config(format!(
                    "target {n} ({url}): set SCIMKIT_TOKEN_URL{suffix}, SCIMKIT_CLIENT_ID{suffix} and SCIMKIT_CLIENT_SECRET{suffix}, or SCIMKIT_SCIM_TOKEN{suffix}"
                ))
            })?;
            builder.auth(BearerToken::new(token)).build()?
        }
    };
    let name = var("SCIMKIT_TARGET_NAME").unwrap_or_else(|| format!("target{n}"));
    println!("target {name}: {url}");
    Ok(Some(
        Target::new(name, client).groups(groups(suffix, None)?),
    ))
}

/// Targets 1..=9 from the environment; without `SCIMKIT_SCIM_URL`, two embedded SCIM
/// servers, each with its own token endpoint and client: `internal` (default group
/// `Employees`) and `third-party` (default group `Contractors`).
pub async fn targets() -> Result<(Vec<Target>, Mocks)> {
    let mut targets = Vec::new();
    for n in 1..=9 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("_{n}")
        };
        match from_env(n, &suffix)? {
            Some(target) => targets.push(target),
            None if n == 1 => break,
            None => {}
        }
    }
    if !targets.is_empty() {
        return Ok((targets, Vec::new()));
    }
    let mut mocks = Vec::new();
    for (n, (name, group)) in [("internal", "Employees"), ("third-party", "Contractors")]
        .into_iter()
        .enumerate()
    {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("_{}", n + 1)
        };
        let idp = TokenServer::start().await;
        idp.register_client(&format!("{name}-client"), "demo-secret");
        let server = ScimServer::builder().token_server(&idp).start().await;
        println!(
            "no SCIMKIT_SCIM_URL: target {name} is the embedded SCIM server at {}",
            server.base_url()
        );
        let creds = ClientCredentials::builder()
            .token_url(idp.token_url())
            .client_id(format!("{name}-client"))
            .client_secret("demo-secret".to_string())
            .build()?;
        let client = ScimClient::builder()
            .base_url(server.base_url())
            .auth(creds)
            .build()?;
        targets.push(Target::new(name, client).groups(groups(&suffix, Some(group))?));
        mocks.push((idp, server));
    }
    Ok((targets, mocks))
}
