//! Okta users: list and search, create one, show its groups, then deactivate and delete it.
//!
//! ```text
//! cargo run --example okta_users
//! ```
//!
//! With no configuration it runs against the crate's in-memory Okta org (`mock::OktaOrg`).
//! Against a real org, set `SCIMKIT_OKTA_ORG` (`my-org`, `my-org.okta.com` or the URL) and
//! either `SCIMKIT_OKTA_API_TOKEN` (Security › API › Tokens) or a service app:
//! `SCIMKIT_OKTA_CLIENT_ID`, `SCIMKIT_OKTA_PRIVATE_KEY` (path to its PEM private key) and
//! `SCIMKIT_OKTA_SCOPES` (default `okta.users.manage okta.groups.read`).
//! On a real org this creates `scimkit-example-<time>@example.com` and deletes it again.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use scimkit::Result;
use scimkit::okta::{CreateUser, DefaultProfile, GroupProfile};

#[path = "common/okta_connect.rs"]
mod okta_connect;
use okta_connect::connect;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("okta_users failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let (okta, _mock) = connect("okta.users.manage okta.groups.read", |mock| {
        mock.seed_sample_users(6);
        mock.seed_groups([
            GroupProfile::new("Engineering").description("Everyone who builds"),
            GroupProfile::new("Everyone").description("All users"),
        ]);
    })
    .await?;
    let users = okta.users();

    let first = users.list().limit(5).send().await?;
    println!(
        "first page: {} users (more: {})",
        first.items.len(),
        first.next.is_some()
    );
    for user in &first.items {
        println!("  {} {:<30} {}", user.id, user.profile.login, user.status);
    }

    let mut engineers = users
        .list()
        .search(r#"profile.department eq "Engineering""#)
        .limit(200)
        .stream();
    let mut count = 0;
    while engineers.try_next().await?.is_some() {
        count += 1;
    }
    println!("users in Engineering: {count}");

    let group = okta
        .groups()
        .list()
        .q("Everyone")
        .limit(1)
        .send()
        .await?
        .items
        .into_iter()
        .next();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let login = format!("scimkit-example-{stamp}@example.com");
    let mut new = CreateUser::new(
        DefaultProfile::new(&login, "Example", "User").with("department", "Engineering"),
    );
    if let Some(group) = &group {
        new = new.group_id(group.id.clone());
    }
    let created = users.create(&new).await?;
    println!(
        "created {} ({}) as {}",
        created.profile.login, created.id, created.status
    );

    let groups = users.groups(&created.id).all().await?;
    let names: Vec<&str> = groups.iter().map(|g| g.profile.name.as_str()).collect();
    println!("{} is in: {names:?}", created.profile.login);

    users.deactivate(&created.id).await?;
    users.delete(&created.id).await?;
    println!("deactivated and deleted {}", created.id);
    if let Some(limit) = okta.last_rate_limit() {
        println!(
            "rate limit: {:?} of {:?} left",
            limit.remaining, limit.limit
        );
    }
    Ok(())
}
