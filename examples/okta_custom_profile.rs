//! An Okta custom profile: `User<P>` with the org's own profile attributes as typed Rust
//! fields, and a search on one of them.
//!
//! ```text
//! cargo run --example okta_custom_profile
//! SCIMKIT_OKTA_ORG=my-org SCIMKIT_OKTA_API_TOKEN=... \
//!   SCIMKIT_OKTA_SEARCH='profile.team eq "Platform"' cargo run --example okta_custom_profile
//! ```
//!
//! `AcmeProfile` below holds Okta's base attributes the code needs plus the org's custom ones
//! (Directory › Profile Editor › User (default) › Add attribute): `team` (string),
//! `badgeNumber` (integer), `isContractor` (boolean) and `languages` (string array).
//! Attributes the struct does not name are ignored on read; change the struct to your
//! org's attributes.
//!
//! Offline (no `SCIMKIT_OKTA_ORG`), the in-memory org is seeded with such users, one more is
//! created and one updated through the API, then the search runs. Against a real org it only
//! searches: `SCIMKIT_OKTA_SEARCH` (default `profile.team eq "Platform"`) with
//! `SCIMKIT_OKTA_API_TOKEN` or a service app (`SCIMKIT_OKTA_CLIENT_ID`,
//! `SCIMKIT_OKTA_PRIVATE_KEY`, `SCIMKIT_OKTA_SCOPES`, default `okta.users.read`).

use std::process::ExitCode;

use futures_util::TryStreamExt;
use scimkit::Result;
use scimkit::mock::OktaOrg;
use scimkit::okta::{CreateUser, OktaClient, User, UserStatus};
use serde::{Deserialize, Serialize};

#[path = "common/okta_connect.rs"]
mod okta_connect;

/// The org's user profile: base attributes and custom ones, typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AcmeProfile {
    login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    // The org's own attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    badge_number: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_contractor: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    languages: Vec<String>,
}

impl AcmeProfile {
    fn new(login: &str, first: &str, last: &str, team: &str, badge: u32) -> Self {
        AcmeProfile {
            login: login.into(),
            email: Some(login.into()),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            team: Some(team.into()),
            badge_number: Some(badge),
            is_contractor: Some(false),
            languages: vec!["en".into()],
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "okta_custom_profile failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let (okta, mock) = okta_connect::connect("okta.users.read", seed).await?;
    if mock.is_some() {
        write_some(&okta).await?;
    }
    let search = okta_connect::env("SCIMKIT_OKTA_SEARCH")
        .unwrap_or_else(|| r#"profile.team eq "Platform""#.to_owned());
    println!("\nsearch: {search}");
    let mut found = okta
        .users_with::<AcmeProfile>()
        .list()
        .search(&search)
        .sort_by("profile.lastName")
        .stream();
    println!(
        "{:<24} {:<8} {:<10} {:>6} {:<10} languages",
        "login", "status", "team", "badge", "contractor"
    );
    let mut count = 0;
    while let Some(user) = found.try_next().await? {
        print_row(&user);
        count += 1;
    }
    println!("{count} user(s)");
    Ok(())
}

fn print_row(user: &User<AcmeProfile>) {
    let p = &user.profile;
    println!(
        "{:<24} {:<8} {:<10} {:>6} {:<10} {}",
        p.login,
        user.status,
        p.team.as_deref().unwrap_or("-"),
        p.badge_number.map_or("-".into(), |b| b.to_string()),
        p.is_contractor.map_or("-".into(), |c| c.to_string()),
        p.languages.join(" ")
    );
}

/// The in-memory org's users, seeded with the typed profile.
fn seed(org: &OktaOrg) {
    let mut grace = AcmeProfile::new("grace@example.com", "Grace", "Hopper", "Platform", 1002);
    grace.languages = vec!["en".into(), "cobol".into()];
    org.seed_users([
        AcmeProfile::new("ada@example.com", "Ada", "Lovelace", "Platform", 1001),
        grace,
        AcmeProfile::new("alan@example.com", "Alan", "Turing", "Research", 1003),
    ]);
    let staged = AcmeProfile::new("linus@example.com", "Linus", "Torvalds", "Platform", 1004);
    org.seed_user(staged, UserStatus::Staged);
}

/// Creates a user with custom attributes, and changes one attribute of another.
async fn write_some(okta: &OktaClient) -> Result<()> {
    let users = okta.users_with::<AcmeProfile>();
    let mut katherine = AcmeProfile::new(
        "katherine@example.com",
        "Katherine",
        "Johnson",
        "Platform",
        1005,
    );
    katherine.is_contractor = Some(true);
    let created = users.create(&CreateUser::new(katherine)).await?;
    println!(
        "created {} with team {} and badge {}",
        created.profile.login,
        created.profile.team.as_deref().unwrap_or("-"),
        created.profile.badge_number.unwrap_or_default()
    );
    // A partial update: only the attributes sent change.
    let ada = users.get("ada@example.com").await?;
    let updated = users
        .update_profile(&ada.id, &serde_json::json!({"languages": ["en", "fr"]}))
        .await?;
    println!(
        "updated {}: languages {}",
        updated.profile.login,
        updated.profile.languages.join(" ")
    );
    Ok(())
}
