//! Okta admin roles: assign, list and unassign a role for a user and for a group.
//!
//! ```text
//! cargo run --example okta_roles
//! ```
//!
//! With no configuration it runs against the crate's in-memory Okta org (`mock::OktaOrg`).
//! Against a real org, set `SCIMKIT_OKTA_ORG` and either `SCIMKIT_OKTA_API_TOKEN` or
//! `SCIMKIT_OKTA_CLIENT_ID` + `SCIMKIT_OKTA_PRIVATE_KEY` (PEM file path) +
//! `SCIMKIT_OKTA_SCOPES` (default `okta.users.manage okta.groups.manage okta.roles.manage`).
//! On a real org it creates a staged user and a group, gives each the Read-only
//! Administrator role, takes it back, and deletes both.

use std::process::ExitCode;

use scimkit::auth::PrivateKeyJwt;
use scimkit::mock::OktaOrg;
use scimkit::okta::{Assignee, CreateUser, DefaultProfile, GroupProfile, OktaClient, RoleType};
use scimkit::{Error, Result};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn connect(default_scopes: &str) -> Result<(OktaClient, Option<OktaOrg>)> {
    let Some(org) = env("SCIMKIT_OKTA_ORG") else {
        let mock = OktaOrg::start().await;
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

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("okta_roles failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let (okta, _mock) = connect("okta.users.manage okta.groups.manage okta.roles.manage").await?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let user = okta
        .users()
        .create(
            &CreateUser::new(DefaultProfile::new(
                format!("scimkit-roles-{stamp}@example.com"),
                "Role",
                "Example",
            ))
            .activate(false),
        )
        .await?;
    let group = okta
        .groups()
        .create(&GroupProfile::new(format!("scimkit-roles-{stamp}")).description("scimkit example"))
        .await?;
    println!("user {} and group {}", user.id, group.id);

    let roles = okta.roles();
    for assignee in [Assignee::User(&user.id), Assignee::Group(&group.id)] {
        let assignment = roles
            .assign(assignee, RoleType::ReadOnlyAdmin)
            .disable_notifications(true)
            .await?;
        println!(
            "{assignee:?}: assigned {} as {}",
            assignment.role_type, assignment.id
        );
        for held in roles.list(assignee).await? {
            println!(
                "{assignee:?}: holds {} ({})",
                held.role_type,
                held.label.as_deref().unwrap_or("-")
            );
        }
        let removed = roles
            .unassign_type(assignee, &RoleType::ReadOnlyAdmin)
            .await?;
        println!(
            "{assignee:?}: unassigned {removed} assignment(s); now {} role(s)",
            roles.list(assignee).await?.len()
        );
    }

    okta.groups().delete(&group.id).await?;
    okta.users().deactivate_and_delete(&user.id).await?;
    println!("cleaned up");
    Ok(())
}
