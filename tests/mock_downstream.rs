//! A downstream service's tests, written as a user's crate would write them: the service
//! pushes an Okta group's members to a SCIM target through scimkit's clients, and its tests
//! use only the public `scimkit::mock` API (seeding, aimed faults, typed inspection), with
//! no JSON in sight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use http::Method;
use scimkit::mock::{Fault, IdentityProvider, RecordedRequest};
use scimkit::okta::{DefaultProfile, GroupProfile, UserStatus};
use scimkit::scim::{Group, User};
use scimkit::{ManualClock, Transport};

/// The service under test, as it would live in the user's own crate.
mod service {
    use futures_util::TryStreamExt;
    use scimkit::okta::OktaClient;
    use scimkit::scim::{Filter, Group, Member, ScimClient, User};

    /// What one run did.
    #[derive(Debug, Default, PartialEq)]
    pub struct Report {
        pub created: usize,
        pub existing: usize,
    }

    /// Pushes the active members of Okta group `okta_group` to the SCIM target as users
    /// (found by `userName` = login, created if missing) and one group named after it.
    /// Safe to run again after a failure: it looks before it creates.
    pub async fn push_group(
        okta: &OktaClient,
        scim: &ScimClient,
        okta_group: &str,
    ) -> scimkit::Result<Report> {
        let group = okta.groups().get(okta_group).await?;
        let members: Vec<scimkit::okta::User> = okta
            .groups()
            .members(okta_group)
            .stream()
            .try_collect()
            .await?;
        let mut report = Report::default();
        let mut ids = Vec::new();
        for member in members
            .iter()
            .filter(|m| m.status == scimkit::okta::UserStatus::Active)
        {
            let login = &member.profile.login;
            let found = scim
                .users()
                .list()
                .filter(Filter::attr("userName").eq(login.as_str()))
                .send()
                .await?;
            let id = match found.resources.into_iter().next() {
                Some(user) => {
                    report.existing += 1;
                    user.id
                }
                None => {
                    let mut user = User::new(login.as_str()).active(true);
                    if let Some(name) = &member.profile.display_name {
                        user = user.display_name(name.as_str());
                    }
                    report.created += 1;
                    scim.users().create(&user).await?.id
                }
            };
            ids.extend(id);
        }
        let name = group.profile.name;
        let existing = scim
            .groups()
            .list()
            .filter(Filter::attr("displayName").eq(name.as_str()))
            .send()
            .await?;
        match existing.resources.into_iter().next().and_then(|g| g.id) {
            Some(group_id) => {
                scim.groups()
                    .add_members(&group_id, ids.iter().map(String::as_str))
                    .await?;
            }
            None => {
                let mut group = Group::new(name);
                for id in &ids {
                    group = group.member(Member::user(id.as_str()));
                }
                scim.groups().create(&group).await?;
            }
        }
        Ok(report)
    }
}

/// An identity provider with an Okta group of three: two active, one suspended.
async fn seeded() -> (IdentityProvider, String, Vec<String>) {
    let idp = IdentityProvider::start().await;
    let okta = idp.okta();
    let people = [
        ("ada@example.com", "Ada", UserStatus::Active),
        ("bob@example.com", "Bob", UserStatus::Active),
        ("cy@example.com", "Cy", UserStatus::Suspended),
    ];
    let ids: Vec<String> = people
        .iter()
        .map(|(login, first, status)| {
            okta.seed_user(
                DefaultProfile::new(*login, *first, "Example").with("displayName", *first),
                status.clone(),
            )
            .unwrap()
        })
        .collect();
    let engineering = okta
        .seed_group(GroupProfile::new("Engineering").description("Builders"))
        .unwrap();
    for id in &ids {
        assert!(okta.seed_membership(&engineering, id));
    }
    (idp, engineering, ids)
}

fn user_names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.user_name.as_str()).collect()
}

#[tokio::test]
async fn active_members_become_scim_users_in_one_group() {
    let (idp, engineering, _) = seeded().await;
    let report = service::push_group(&idp.okta_client(), &idp.scim_client(), &engineering)
        .await
        .unwrap();
    assert_eq!(
        report,
        service::Report {
            created: 2,
            existing: 0
        }
    );

    let users = idp.scim().users();
    assert_eq!(user_names(&users), ["ada@example.com", "bob@example.com"]);
    assert_eq!(users[0].display_name.as_deref(), Some("Ada"));
    let groups: Vec<Group> = idp.scim().groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].display_name, "Engineering");
    assert_eq!(groups[0].members.len(), 2);

    // What went over the wire, typed: two users created with the SCIM content type.
    let creates: Vec<RecordedRequest> = idp
        .scim()
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.path.ends_with("/Users"))
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0].content_type(), Some("application/scim+json"));
    assert_eq!(
        creates[0].body_as::<User>().unwrap().user_name,
        "ada@example.com"
    );
    // The SCIM client authenticated with a client-credentials token: one grant for all.
    assert_eq!(idp.token_server().grants().len(), 1);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_repeated_on_the_next_run() {
    let (idp, engineering, _) = seeded().await;
    // Bob's create is applied, then the connection drops before the answer.
    let lost = idp
        .scim()
        .faults()
        .on(Method::POST, "/Users")
        .matching(|r| {
            r.body_as::<User>()
                .is_some_and(|u| u.user_name == "bob@example.com")
        })
        .times(1)
        .respond(Fault::DropAfterProcessing);
    let (okta, scim) = (idp.okta_client(), idp.scim_client());

    let first = service::push_group(&okta, &scim, &engineering).await;
    assert!(first.is_err(), "the run fails where the answer was lost");
    assert_eq!(lost.hits(), 1);
    assert_eq!(idp.scim().user_count(), 2, "but Bob was created");

    let second = service::push_group(&okta, &scim, &engineering)
        .await
        .unwrap();
    assert_eq!(
        second,
        service::Report {
            created: 0,
            existing: 2
        }
    );
    assert_eq!(idp.scim().user_count(), 2, "no duplicate");
    assert_eq!(idp.scim().groups()[0].members.len(), 2);
}

#[tokio::test]
async fn a_refused_group_create_fails_the_run_and_a_rerun_finishes_it() {
    let (idp, engineering, _) = seeded().await;
    idp.scim()
        .faults()
        .on(Method::POST, "/Groups")
        .times(1)
        .respond(Fault::Status(503));
    let (okta, scim) = (idp.okta_client(), idp.scim_client());

    let err = service::push_group(&okta, &scim, &engineering)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(idp.scim().groups().is_empty(), "a 503 write is not retried");
    let faulted: Vec<RecordedRequest> = idp
        .scim()
        .requests()
        .into_iter()
        .filter(|r| r.fault.is_some())
        .collect();
    assert_eq!(faulted.len(), 1);
    assert_eq!(faulted[0].status, Some(503));

    service::push_group(&okta, &scim, &engineering)
        .await
        .unwrap();
    assert_eq!(idp.scim().groups().len(), 1);
}

#[tokio::test]
async fn okta_rate_limits_on_the_member_listing_are_waited_out() {
    let (idp, engineering, _) = seeded().await;
    let clock = ManualClock::new();
    let okta = idp
        .okta()
        .client_with(Transport::builder().clock(clock.clone()).build().unwrap());
    let limited = idp
        .okta()
        .faults()
        .on(Method::GET, "/api/v1/groups/*/users")
        .times(2)
        .respond(Fault::RateLimited {
            retry_after: Duration::from_secs(3),
        });

    let report = service::push_group(&okta, &idp.scim_client(), &engineering)
        .await
        .unwrap();
    assert_eq!(report.created, 2);
    assert_eq!(limited.hits(), 2);
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(3), Duration::from_secs(3)],
        "the service waited as told, on its own clock"
    );
    let listings = idp
        .okta()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/users") && r.path.starts_with("/api/v1/groups/"))
        .count();
    assert_eq!(listings, 3, "two refused, one answered");
}

#[tokio::test]
async fn members_that_left_okta_are_reported_by_their_status() {
    let (idp, engineering, ids) = seeded().await;
    idp.okta()
        .set_user_status(&ids[0], UserStatus::Deprovisioned);
    let report = service::push_group(&idp.okta_client(), &idp.scim_client(), &engineering)
        .await
        .unwrap();
    assert_eq!(report.created, 1);
    assert_eq!(user_names(&idp.scim().users()), ["bob@example.com"]);
    assert_eq!(
        idp.okta().user(&ids[0]).unwrap().status,
        UserStatus::Deprovisioned
    );
}
