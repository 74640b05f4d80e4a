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

use scimkit::Result;
use scimkit::okta::{Assignee, CreateUser, DefaultProfile, GroupProfile, RoleType};

#[path = "common/okta_connect.rs"]
mod okta_connect;
use okta_connect::connect;

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
    let (okta, _mock) = connect(
        "okta.users.manage okta.groups.manage okta.roles.manage",
        |_| {},
    )
    .await?;
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
