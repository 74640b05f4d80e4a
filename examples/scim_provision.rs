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
//! [`provision`] takes any `ScimClient`, so other programs (the quickstart) can reuse it.

use scimkit::mock::{ScimServer, TokenServer};
use scimkit::scim::{Filter, Group, MultiValued, Name, Patch, ScimClient, User};
use scimkit::{BearerToken, ClientCredentials, Error, Result};

/// Creates a user and a group, adds the user to the group, lists users with a filter and
/// deactivates the user with PATCH, printing each step.
pub async fn provision(scim: &ScimClient) -> Result<()> {
    let suffix = fastrand::u32(..);
    let user_name = format!("scimkit-demo-{suffix}@example.com");
    let user = User::new(&user_name)
        .display_name("scimkit demo")
        .name(Name::new("Demo", "User"))
        .email(MultiValued::new(&user_name).kind("work").primary(true))
        .active(true);
    let user = scim.users().create(&user).await?;
    let user_id = user
        .id
        .clone()
        .ok_or_else(|| Error::Config("the server returned no user id".into()))?;
    println!("1. created user {user_name} (id {user_id})");

    let group = scim
        .groups()
        .create(&Group::new(format!("scimkit-demo-group-{suffix}")))
        .await?;
    let group_id = group
        .id
        .clone()
        .ok_or_else(|| Error::Config("the server returned no group id".into()))?;
    println!("2. created group {} (id {group_id})", group.display_name);

    scim.groups()
        .add_members(&group_id, [user_id.as_str()])
        .await?;
    println!("3. added the user to the group");

    let page = scim
        .users()
        .list()
        .filter(Filter::attr("userName").eq(user_name.as_str()))
        .send()
        .await?;
    println!(
        "4. listed users with userName eq {user_name:?}: {} found ({:?})",
        page.total_results.unwrap_or(page.resources.len() as u64),
        page.resources
            .iter()
            .map(|u| u.user_name.as_str())
            .collect::<Vec<_>>()
    );

    scim.users()
        .patch(&user_id, &Patch::new().replace("active", false))
        .await?;
    let after = scim.users().get(&user_id).await?;
    println!(
        "5. deactivated the user with PATCH: active = {:?}",
        after.active
    );
    Ok(())
}

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
