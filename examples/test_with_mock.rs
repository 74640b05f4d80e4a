//! Test your own service with `scimkit::mock`: a small service function and the tests you
//! would write for it, with aimed faults and typed seeding and inspection. The tests run with
//! `cargo test` (this example is declared with `test = true` in Cargo.toml):
//!
//! ```text
//! cargo test --example test_with_mock       # the tests
//! cargo run --example test_with_mock        # the service itself, against the mocks
//! ```
//!
//! The service, `onboard_group`, gives every active member of an Okta group an account in a
//! SCIM application (matched by `userName` = Okta login), and must be safe to run again:
//! after a failure, after a lost answer, every night. The tests check what a user of the
//! service would see:
//! - it creates what is missing and nothing twice (typed seeding of both mocks, typed
//!   inspection of the SCIM server's users);
//! - a create whose answer is lost (`Fault::DropAfterProcessing`) is not duplicated on the
//!   next run;
//! - an Okta 429 is waited out (`RecordedRequest::status` shows it);
//! - a SCIM outage fails fast with a retryable error, and the create was sent once (a POST
//!   the server may have seen is never resent).
//!
//! In your own crate: `scimkit = { version = "0.1", features = ["mock"] }` under
//! `[dev-dependencies]`, and the tests below in `tests/` or a `#[cfg(test)]` module.
//!
//! `cargo run` runs the service against `mock::IdentityProvider`; with `SCIMKIT_OKTA_ORG` (+
//! `SCIMKIT_OKTA_API_TOKEN` or a service app, default scopes `okta.groups.read
//! okta.users.read`) and `SCIMKIT_SCIM_URL` (+ `SCIMKIT_SCIM_TOKEN` or the
//! `SCIMKIT_TOKEN_URL` trio) it onboards the Okta group `SCIMKIT_OKTA_GROUP` (default
//! `Engineering`) for real.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use scimkit::okta::{OktaClient, UserStatus};
use scimkit::scim::{Filter, MultiValued, Name, ScimClient, User};
use scimkit::{Error, Result};

#[path = "common/okta_connect.rs"]
mod okta_connect;
#[path = "common/scim_connect.rs"]
mod scim_connect;

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Onboarded {
    /// SCIM users created.
    pub created: usize,
    /// Members that already had a SCIM user.
    pub existing: usize,
    /// Members left out because they are not active in Okta.
    pub inactive: usize,
}

/// The service: every active member of the Okta group `group` gets a SCIM user.
pub async fn onboard_group(okta: &OktaClient, scim: &ScimClient, group: &str) -> Result<Onboarded> {
    let found = okta.groups().list().q(group).limit(10).send().await?;
    let group = found
        .items
        .into_iter()
        .find(|g| g.profile.name == group)
        .ok_or_else(|| Error::Config(format!("no Okta group named {group:?}")))?;
    let mut done = Onboarded::default();
    let mut members = okta.groups().members(&group.id).stream();
    while let Some(member) = members.try_next().await? {
        if member.status != UserStatus::Active {
            done.inactive += 1;
            continue;
        }
        let login = member.profile.login.as_str();
        let existing = scim
            .users()
            .list()
            .filter(Filter::attr("userName").eq(login))
            .send()
            .await?;
        if !existing.resources.is_empty() {
            done.existing += 1;
            continue;
        }
        let p = &member.profile;
        let mut user = User::new(login).active(true);
        if let (Some(first), Some(last)) = (&p.first_name, &p.last_name) {
            user = user.name(Name::new(first, last));
        }
        if let Some(email) = &p.email {
            user = user.email(MultiValued::new(email).kind("work").primary(true));
        }
        scim.users().create(&user).await?;
        done.created += 1;
    }
    Ok(done)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(done) => {
            println!(
                "onboarded: {} created, {} already there, {} not active",
                done.created, done.existing, done.inactive
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "test_with_mock failed: {}",
                err.to_string().replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<Onboarded> {
    let group = okta_connect::env("SCIMKIT_OKTA_GROUP").unwrap_or_else(|| "Engineering".into());
    let (okta, org) = okta_connect::connect("okta.groups.read okta.users.read", |org| {
        let ids = org.seed_sample_users(4);
        if let Some(eng) = org.seed_group(scimkit::okta::GroupProfile::new("Engineering")) {
            for id in &ids {
                org.seed_membership(&eng, id);
            }
        }
        if let Some(last) = ids.last() {
            org.set_user_status(last, UserStatus::Suspended);
        }
    })
    .await?;
    let (scim, _scim_mock) = scim_connect::connect(|server| server).await?;
    let _org = org;
    onboard_group(&okta, &scim, &group).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use scimkit::mock::{Fault, IdentityProvider, OktaOrg};
    use scimkit::okta::{DefaultProfile, GroupProfile};

    /// A provider with an Okta group `Engineering` of three active members and one suspended.
    async fn provider() -> IdentityProvider {
        let idp = IdentityProvider::start().await;
        let org = idp.okta();
        let eng = org.seed_group(GroupProfile::new("Engineering")).unwrap();
        for (login, status) in [
            ("ada@example.com", UserStatus::Active),
            ("grace@example.com", UserStatus::Active),
            ("alan@example.com", UserStatus::Active),
            ("linus@example.com", UserStatus::Suspended),
        ] {
            let id = org
                .seed_user(DefaultProfile::new(login, "Test", "User"), status)
                .unwrap();
            assert!(org.seed_membership(&eng, &id));
        }
        idp
    }

    fn logins(idp: &IdentityProvider) -> Vec<String> {
        let mut names: Vec<String> = idp
            .scim()
            .users()
            .into_iter()
            .map(|u| u.user_name)
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn creates_what_is_missing_and_nothing_twice() {
        let idp = provider().await;
        idp.scim().seed_user(User::new("grace@example.com"));
        let (okta, scim) = (idp.okta_client(), idp.scim_client());

        let first = onboard_group(&okta, &scim, "Engineering").await.unwrap();
        assert_eq!(
            first,
            Onboarded {
                created: 2,
                existing: 1,
                inactive: 1
            }
        );
        let again = onboard_group(&okta, &scim, "Engineering").await.unwrap();
        assert_eq!((again.created, again.existing), (0, 3));
        assert_eq!(
            logins(&idp),
            ["ada@example.com", "alan@example.com", "grace@example.com"]
        );
        let ada = idp
            .scim()
            .users()
            .into_iter()
            .find(|u| u.user_name == "ada@example.com");
        assert_eq!(ada.unwrap().primary_email(), Some("ada@example.com"));
    }

    #[tokio::test]
    async fn a_lost_answer_does_not_duplicate_a_user() {
        let idp = provider().await;
        let (okta, scim) = (idp.okta_client(), idp.scim_client());
        // The second create is applied, then the connection drops before the answer.
        let lost = idp
            .scim()
            .faults()
            .on(Method::POST, "/Users")
            .matching(|r| {
                r.body_as::<serde_json::Value>()
                    .is_some_and(|b| b["userName"] == "grace@example.com")
            })
            .times(1)
            .respond(Fault::DropAfterProcessing);

        let err = onboard_group(&okta, &scim, "Engineering")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutcomeUnknown {
                    idempotent: false,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(lost.hits(), 1);
        // The next run finds Grace and creates only what is still missing.
        let next = onboard_group(&okta, &scim, "Engineering").await.unwrap();
        assert_eq!((next.created, next.existing), (1, 2));
        assert_eq!(logins(&idp).len(), 3);
    }

    #[tokio::test]
    async fn an_okta_rate_limit_is_waited_out() {
        let idp = provider().await;
        let (okta, scim) = (idp.okta_client(), idp.scim_client());
        idp.okta()
            .faults()
            .on(Method::GET, "/api/v1/groups/*/users")
            .times(1)
            .respond(OktaOrg::error_fault(429));

        let done = onboard_group(&okta, &scim, "Engineering").await.unwrap();
        assert_eq!(done.created, 3);
        let statuses: Vec<Option<u16>> = idp
            .okta()
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/users"))
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses, [Some(429), Some(200)]);
    }

    #[tokio::test]
    async fn a_scim_outage_fails_fast_and_the_create_is_sent_once() {
        let idp = provider().await;
        let (okta, scim) = (idp.okta_client(), idp.scim_client());
        idp.scim()
            .faults()
            .on(Method::POST, "/Users")
            .respond(Fault::Status(503));

        let err = onboard_group(&okta, &scim, "Engineering")
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
        assert!(err.is_retryable(), "the caller may try the run again later");
        let posts = idp
            .scim()
            .requests()
            .iter()
            .filter(|r| r.method == Method::POST)
            .count();
        assert_eq!(posts, 1, "a POST the server may have seen is not resent");
        assert!(idp.scim().users().is_empty());
    }

    #[tokio::test]
    async fn an_unknown_group_is_a_clear_error() {
        let idp = provider().await;
        let err = onboard_group(&idp.okta_client(), &idp.scim_client(), "Marketing")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid configuration: no Okta group named "Marketing""#
        );
        assert!(idp.scim().requests().is_empty(), "nothing was sent to SCIM");
    }
}
