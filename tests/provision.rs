//! `scimkit::provision` against the embedded mocks: an Okta org as the source, SCIM
//! servers as targets. What a user would see: the targets' state (read back through the
//! mocks' typed inspection), the requests they received, the plan and the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Method;
use scimkit::mock::{Fault, OktaOrg, RecordedRequest, ScimServer, TokenServer};
use scimkit::okta::{GroupProfile, OktaClient, User as OktaUser, UserStatus};
use scimkit::provision::{
    Action, Deprovision, Event, GroupSelector, MappingError, OktaMapping, OktaSource, Outcome,
    Phase, ProvisionError, Provisioner, ProvisionerBuilder, SkipReason, Target, UserMapping,
};
use scimkit::scim::{
    EnterpriseUser, Group, MultiValued, Name, OwnedAttributes, ScimClient, ScimErrorKind, User,
};
use scimkit::{ClientCredentials, Clock, Error, ManualClock, RetryPolicy, Transport};
use serde_json::json;

/// An org with `users` sample users and groups of the given members (by user index).
fn seed(org: &OktaOrg, users: usize, groups: &[(&str, &[usize])]) -> (Vec<String>, Vec<String>) {
    let user_ids = org.seed_sample_users(users);
    let group_ids = groups
        .iter()
        .map(|(name, members)| {
            let id = org.seed_group(GroupProfile::new(*name)).unwrap();
            for m in *members {
                assert!(org.seed_membership(&id, &user_ids[*m]));
            }
            id
        })
        .collect();
    (user_ids, group_ids)
}

fn builder(org: &OktaOrg) -> ProvisionerBuilder<OktaSource> {
    Provisioner::builder(OktaSource::new(org.client()))
}

/// The requests that could change the target's state.
fn writes(server: &ScimServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method != Method::GET && !r.path.ends_with("/.search"))
        .collect()
}

fn user_by_name(server: &ScimServer, name: &str) -> User {
    server
        .users()
        .into_iter()
        .find(|u| u.user_name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no user {name}"))
}

fn group_by_name(server: &ScimServer, name: &str) -> Group {
    server
        .groups()
        .into_iter()
        .find(|g| g.display_name == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

/// The userNames of a target group's members.
fn member_names(server: &ScimServer, group: &str) -> Vec<String> {
    let mut names: Vec<String> = group_by_name(server, group)
        .members
        .iter()
        .filter_map(|m| server.user(m.value.as_deref()?))
        .map(|u| u.user_name)
        .collect();
    names.sort();
    names
}

fn names(indexes: impl IntoIterator<Item = usize>) -> Vec<String> {
    let mut out: Vec<String> = indexes
        .into_iter()
        .map(|i| format!("user{i}@example.com"))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_first_push_creates_users_and_groups_and_a_second_writes_nothing() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(
        &org,
        10,
        &[
            ("Engineering", &[0, 1, 2, 3, 4, 5]),
            ("Sales", &[4, 5, 6, 7, 8, 9]),
        ],
    );
    let server = ScimServer::start().await;
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).groups(["Engineering", "Sales"]))
        .build()
        .unwrap();

    let plan = provisioner.plan().await.unwrap();
    assert!(writes(&server).is_empty(), "planning writes nothing");
    let t = &plan.targets[0];
    assert_eq!(t.creates.len(), 10, "users in both groups are created once");
    assert_eq!(t.groups.len(), 2);
    assert!(t.groups.iter().all(|g| g.target_id.is_none()));
    assert!(t.capabilities.discovered && t.capabilities.patch);

    let report = provisioner.apply(&plan).await;
    assert!(report.is_success(), "{report}");
    let summary = report.summary();
    assert_eq!(summary.users_created, 10);
    assert_eq!(summary.groups_created, 2);
    assert_eq!(summary.members_added, 12);

    assert_eq!(server.users().len(), 10);
    let ada = user_by_name(&server, "user0@example.com");
    assert_eq!(ada.external_id.as_deref(), Some(user_ids[0].as_str()));
    assert_eq!(ada.active, Some(true));
    assert_eq!(
        ada.name.as_ref().unwrap().given_name.as_deref(),
        Some("User")
    );
    assert_eq!(ada.name.as_ref().unwrap().family_name.as_deref(), Some("0"));
    assert_eq!(ada.primary_email(), Some("user0@example.com"));
    assert_eq!(
        ada.enterprise.as_ref().unwrap().department.as_deref(),
        Some("Engineering")
    );
    let eng = group_by_name(&server, "Engineering");
    assert_eq!(eng.external_id.as_deref(), Some(group_ids[0].as_str()));
    assert_eq!(member_names(&server, "Engineering"), names(0..6));
    assert_eq!(member_names(&server, "Sales"), names(4..10));

    // Unchanged source: the second run reads, and writes nothing at all.
    server.reset();
    let plan = provisioner.plan().await.unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(plan.targets[0].unchanged_users, 10);
    let report = provisioner.apply(&plan).await;
    assert!(report.is_success());
    assert_eq!(report.summary().writes(), 0);
    assert_eq!(writes(&server), Vec::<RecordedRequest>::new());
}

#[tokio::test]
async fn users_and_groups_made_by_hand_are_adopted_and_what_the_engine_does_not_own_stays() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(&org, 3, &[("Engineering", &[0, 1, 2])]);
    let server = ScimServer::start().await;
    // Made by hand: a different case, no externalId, attributes the engine does not own.
    let mut by_hand = User::new("USER0@EXAMPLE.COM").active(false);
    let mut name = Name::new("Old", "Name");
    name.honorific_prefix = Some("Dr".into());
    by_hand.name = Some(name);
    by_hand.roles.push(MultiValued::new("auditor"));
    by_hand.enterprise = Some(EnterpriseUser::new().manager(scimkit::scim::Manager::new("mgr-1")));
    let hand_id = server.seed_user(by_hand).unwrap();
    // An earlier tool's user: another externalId, matched by userName.
    let tool_id = server
        .seed_user(User::new("user1@example.com").external_id("legacy-7"))
        .unwrap();
    let group_id = server.seed_group(Group::new("engineering")).unwrap();

    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Engineering"))
        .build()
        .unwrap();
    let plan = provisioner.plan().await.unwrap();
    let t = &plan.targets[0];
    assert_eq!(t.creates.len(), 1);
    assert_eq!(t.updates.len(), 2);
    assert!(t.updates.iter().all(|u| u.adopted));
    assert_eq!(t.groups[0].target_id.as_deref(), Some(group_id.as_str()));
    let report = provisioner.apply(&plan).await;
    assert!(report.is_success(), "{report}");

    assert_eq!(server.users().len(), 3, "adopted, not duplicated");
    assert_eq!(server.groups().len(), 1);
    let adopted = server.user(&hand_id).unwrap();
    assert_eq!(adopted.user_name, "user0@example.com");
    assert_eq!(adopted.external_id.as_deref(), Some(user_ids[0].as_str()));
    assert_eq!(adopted.active, Some(true));
    let name = adopted.name.unwrap();
    assert_eq!(name.given_name.as_deref(), Some("User"));
    assert_eq!(
        name.honorific_prefix.as_deref(),
        Some("Dr"),
        "not owned: kept"
    );
    assert_eq!(adopted.roles[0].value.as_deref(), Some("auditor"));
    assert_eq!(
        adopted
            .enterprise
            .unwrap()
            .manager
            .unwrap()
            .value
            .as_deref(),
        Some("mgr-1")
    );
    assert_eq!(
        server.user(&tool_id).unwrap().external_id.as_deref(),
        Some(user_ids[1].as_str())
    );
    let group = server.group(&group_id).unwrap();
    assert_eq!(group.display_name, "Engineering");
    assert_eq!(group.external_id.as_deref(), Some(group_ids[0].as_str()));
    assert_eq!(member_names(&server, "Engineering"), names(0..3));

    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn only_owned_attributes_are_changed() {
    let org = OktaOrg::start().await;
    let (user_ids, _) = seed(&org, 1, &[("Staff", &[0])]);
    org.client()
        .users()
        .update_profile(
            &user_ids[0],
            &json!({"title": "Engineer", "nickName": "Zero"}),
        )
        .await
        .unwrap();
    let server = ScimServer::start().await;
    let mut existing = User::new("user0@example.com").external_id(user_ids[0].clone());
    existing.title = Some("Set by hand".into());
    let id = server.seed_user(existing).unwrap();

    let owned = OwnedAttributes::new(["userName", "externalId", "active", "nickName"]);
    let provisioner = builder(&org)
        .owned(owned.clone())
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    assert_eq!(provisioner.owned(), &owned);
    let plan = provisioner.plan().await.unwrap();
    let patch = &plan.targets[0].updates[0].patch;
    let paths: Vec<&str> = patch
        .operations
        .iter()
        .filter_map(|o| o.path.as_deref())
        .collect();
    assert_eq!(paths, ["active", "nickName"]);
    assert!(provisioner.apply(&plan).await.is_success());
    let user = server.user(&id).unwrap();
    assert_eq!(user.title.as_deref(), Some("Set by hand"));
    assert_eq!(user.nick_name.as_deref(), Some("Zero"));
    assert!(user.emails.is_empty(), "emails are not owned here");
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn users_who_leave_are_deactivated_and_come_back_active() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(&org, 4, &[("Engineering", &[0, 1, 2]), ("Sales", &[2, 3])]);
    let server = ScimServer::start().await;
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).groups(["Engineering", "Sales"]))
        .build()
        .unwrap();
    assert!(provisioner.run().await.unwrap().is_success());
    // A user the admin added to a pushed group by hand: the source owns the membership.
    let stranger = server
        .seed_user(User::new("stranger@example.com").active(true))
        .unwrap();
    server.seed_membership(
        &group_by_name(&server, "Engineering").id.unwrap(),
        &stranger,
    );

    let okta = org.client();
    okta.groups()
        .remove_user(&group_ids[0], &user_ids[0])
        .await
        .unwrap(); // leaves
    okta.groups()
        .remove_user(&group_ids[0], &user_ids[2])
        .await
        .unwrap(); // still in Sales
    let plan = provisioner.plan().await.unwrap();
    let t = &plan.targets[0];
    let mut left: Vec<&str> = t
        .deprovisions
        .iter()
        .map(|d| d.user_name.as_str())
        .collect();
    left.sort();
    assert_eq!(left, ["stranger@example.com", "user0@example.com"]);
    assert!(
        t.deprovisions
            .iter()
            .all(|d| d.action == Deprovision::Deactivate)
    );
    let report = provisioner.apply(&plan).await;
    assert!(report.is_success(), "{report}");
    assert_eq!(report.summary().users_deactivated, 2);
    assert_eq!(report.summary().members_removed, 3);

    assert_eq!(server.users().len(), 5, "deactivated, not deleted");
    assert_eq!(
        user_by_name(&server, "user0@example.com").active,
        Some(false)
    );
    assert_eq!(server.user(&stranger).unwrap().active, Some(false));
    assert_eq!(
        user_by_name(&server, "user2@example.com").active,
        Some(true)
    );
    assert_eq!(member_names(&server, "Engineering"), names([1]));
    assert_eq!(member_names(&server, "Sales"), names([2, 3]));
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());

    // Back in the group: reactivated and added, no new user.
    okta.groups()
        .add_user(&group_ids[0], &user_ids[0])
        .await
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.summary().users_updated, 1);
    assert_eq!(report.summary().users_created, 0);
    assert_eq!(
        user_by_name(&server, "user0@example.com").active,
        Some(true)
    );
    assert_eq!(member_names(&server, "Engineering"), names([0, 1]));
}

#[tokio::test]
async fn the_deprovisioning_policy_can_delete_or_leave_users_active() {
    for policy in [Deprovision::Delete, Deprovision::LeaveActive] {
        let org = OktaOrg::start().await;
        let (user_ids, group_ids) = seed(&org, 2, &[("Staff", &[0, 1])]);
        let server = ScimServer::start().await;
        let provisioner = builder(&org)
            .deprovision(policy)
            .target(Target::new("pam", server.client()).group("Staff"))
            .build()
            .unwrap();
        provisioner.run().await.unwrap();
        org.client()
            .groups()
            .remove_user(&group_ids[0], &user_ids[0])
            .await
            .unwrap();
        let report = provisioner.run().await.unwrap();
        assert!(report.is_success(), "{policy}: {report}");
        assert_eq!(member_names(&server, "Staff"), names([1]), "{policy}");
        match policy {
            Deprovision::Delete => {
                assert_eq!(report.summary().users_deleted, 1);
                assert_eq!(server.users().len(), 1);
            }
            _ => {
                assert_eq!(report.summary().users_deactivated, 0);
                assert_eq!(
                    user_by_name(&server, "user0@example.com").active,
                    Some(true)
                );
            }
        }
        server.reset();
        assert!(provisioner.plan().await.unwrap().is_empty(), "{policy}");
    }
}

#[tokio::test]
async fn users_without_email_or_last_name_map_and_unmappable_users_are_reported_and_left_alone() {
    let org = OktaOrg::start().await;
    let (user_ids, _) = seed(&org, 3, &[("Staff", &[0, 1, 2])]);
    let bare = org
        .seed_user(
            json!({"login": "bare", "firstName": "Bare"}),
            UserStatus::Active,
        )
        .unwrap();
    let staff = org
        .groups()
        .into_iter()
        .find(|g| g.profile.name == "Staff")
        .unwrap();
    org.seed_membership(&staff.id, &bare);
    let server = ScimServer::start().await;
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    assert!(provisioner.run().await.unwrap().is_success());
    let user = user_by_name(&server, "bare");
    assert!(user.emails.is_empty());
    let name = user.name.unwrap();
    assert_eq!(name.given_name.as_deref(), Some("Bare"));
    assert_eq!(name.family_name, None);
    assert_eq!(name.formatted.as_deref(), Some("Bare"));

    // Now user1 cannot be mapped, and user2 leaves Okta's group.
    let base = OktaMapping::new();
    let mapping = move |u: &OktaUser| -> Result<User, MappingError> {
        if u.profile.login == "user1@example.com" {
            return Err(MappingError::new("no badge number"));
        }
        base.map(u)
    };
    org.client()
        .groups()
        .remove_user(&staff.id, &user_ids[2])
        .await
        .unwrap();
    let provisioner = builder(&org)
        .mapping(mapping)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let plan = provisioner.plan().await.unwrap();
    let t = &plan.targets[0];
    assert_eq!(t.unmappable.len(), 1);
    assert_eq!(t.unmappable[0].source_id, user_ids[1]);
    assert_eq!(
        t.unmappable[0].label,
        format!("user1@example.com ({})", user_ids[1])
    );
    assert_eq!(t.unmappable[0].error.reason, "no badge number");
    assert_eq!(t.deprovisions.len(), 1, "only the leaver: {plan}");
    assert_eq!(t.groups[0].remove.len(), 1);
    let report = provisioner.apply(&plan).await;
    assert!(!report.is_success());
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].action, Action::MapUser);
    assert!(
        matches!(&problems[0].outcome, Outcome::Unmappable(e) if e.reason == "no badge number")
    );
    // The unmappable user is neither removed nor deactivated.
    assert_eq!(
        user_by_name(&server, "user1@example.com").active,
        Some(true)
    );
    assert!(member_names(&server, "Staff").contains(&"user1@example.com".to_owned()));
    assert_eq!(
        user_by_name(&server, "user2@example.com").active,
        Some(false)
    );
}

fn scim_error(status: u16, scim_type: &str) -> Fault {
    Fault::Body {
        status,
        content_type: "application/scim+json".into(),
        body: json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.to_string(),
            "scimType": scim_type,
            "detail": "refused by the test",
        })
        .to_string()
        .into_bytes(),
    }
}

#[tokio::test]
async fn users_a_target_refuses_are_reported_and_the_rest_goes_on() {
    let org = OktaOrg::start().await;
    seed(&org, 5, &[("Staff", &[0, 1, 2, 3, 4])]);
    let server = ScimServer::start().await;
    server
        .faults()
        .on(Method::POST, "/Users")
        .matching(|r| r.text().contains("user1@example.com"))
        .respond(scim_error(409, "uniqueness"));
    server
        .faults()
        .on(Method::POST, "/Users")
        .matching(|r| r.text().contains("user2@example.com"))
        .respond(scim_error(400, "invalidValue"));
    let provisioner = builder(&org)
        .bulk(false)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    let summary = report.summary();
    assert_eq!(summary.users_created, 3);
    assert_eq!(summary.failed, 2);
    assert_eq!(summary.groups_created, 1);
    assert_eq!(
        summary.skipped, 1,
        "the two refused users are not added to the group"
    );
    let mut kinds: Vec<(String, Option<ScimErrorKind>)> = report
        .problems()
        .filter_map(|p| match &p.outcome {
            Outcome::Failed(Error::Scim(e)) => Some((p.subject.to_string(), e.kind())),
            _ => None,
        })
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        kinds,
        [
            (
                "user1@example.com".to_owned(),
                Some(ScimErrorKind::Uniqueness)
            ),
            (
                "user2@example.com".to_owned(),
                Some(ScimErrorKind::InvalidValue)
            ),
        ]
    );
    assert!(report.problems().any(|p| matches!(
        p.outcome,
        Outcome::Skipped(SkipReason::UsersNotCreated)
    ) && p.action == Action::AddMembers(2)));
    assert_eq!(member_names(&server, "Staff"), names([0, 3, 4]));

    // Once the target takes them, the next run converges.
    server.faults().clear();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(member_names(&server, "Staff"), names(0..5));
}

#[tokio::test]
async fn a_lost_answer_to_a_create_converges_without_a_duplicate() {
    let org = OktaOrg::start().await;
    seed(&org, 3, &[("Staff", &[0, 1, 2])]);
    let server = ScimServer::start().await;
    // The first create is applied, then the connection drops: the outcome is unknown, so
    // the transport does not send it again.
    server
        .faults()
        .on(Method::POST, "/Users")
        .times(1)
        .respond(Fault::DropAfterProcessing);
    let provisioner = builder(&org)
        .bulk(false)
        .concurrency(1)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    let failed: Vec<_> = report
        .problems()
        .filter(|p| matches!(p.outcome, Outcome::Failed(Error::OutcomeUnknown { .. })))
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(server.users().len(), 3, "the server has it anyway");
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(
        report.summary().users_created,
        0,
        "found, not created again"
    );
    assert_eq!(server.users().len(), 3);
    assert_eq!(member_names(&server, "Staff"), names(0..3));
}

#[tokio::test]
async fn a_failed_bulk_request_fails_its_users_only() {
    let org = OktaOrg::start().await;
    seed(&org, 6, &[("Staff", &[0, 1, 2, 3, 4, 5])]);
    let server = ScimServer::start().await;
    server
        .faults()
        .on(Method::POST, "/Bulk")
        .times(1)
        .respond(Fault::Status(500));
    let provisioner = builder(&org)
        .batch_size(2)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert_eq!(report.summary().users_created, 4);
    assert_eq!(report.summary().failed, 2, "{report}");
    assert_eq!(server.users().len(), 4);
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(server.users().len(), 6);
    assert_eq!(member_names(&server, "Staff"), names(0..6));
}

#[tokio::test]
async fn bulk_is_used_where_the_target_supports_it() {
    let org = OktaOrg::start().await;
    seed(&org, 25, &[("Staff", &(0..25).collect::<Vec<_>>())]);
    for (bulk, limits) in [(true, true), (false, true), (true, false)] {
        let server = if limits {
            ScimServer::builder()
                .bulk_limits(10, 1024 * 1024)
                .start()
                .await
        } else {
            let server = ScimServer::start().await;
            let spc = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": true}, "bulk": {"supported": false},
                "filter": {"supported": true, "maxResults": 200}, "etag": {"supported": true},
            });
            server
                .faults()
                .on(Method::GET, "/ServiceProviderConfig")
                .respond(Fault::Body {
                    status: 200,
                    content_type: "application/scim+json".into(),
                    body: spc.to_string().into_bytes(),
                });
            server
        };
        let provisioner = builder(&org)
            .bulk(bulk)
            .target(Target::new("pam", server.client()).group("Staff"))
            .build()
            .unwrap();
        let plan = provisioner.plan().await.unwrap();
        assert_eq!(plan.targets[0].capabilities.bulk, limits.then_some(10));
        assert!(provisioner.apply(&plan).await.is_success());
        let sent = writes(&server);
        let bulks = sent.iter().filter(|r| r.path.ends_with("/Bulk")).count();
        let creates = sent
            .iter()
            .filter(|r| r.method == Method::POST && r.path.ends_with("/Users"))
            .count();
        if bulk && limits {
            assert_eq!((bulks, creates), (3, 0), "25 creates in requests of 10");
        } else {
            assert_eq!((bulks, creates), (0, 25));
        }
        assert_eq!(member_names(&server, "Staff").len(), 25);
    }
}

/// A server that says it has no PATCH; PATCH itself would answer 501.
async fn server_without_patch() -> ScimServer {
    let server = ScimServer::start().await;
    let spc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": false}, "bulk": {"supported": false},
        "filter": {"supported": true, "maxResults": 200}, "etag": {"supported": true},
    });
    server
        .faults()
        .on(Method::GET, "/ServiceProviderConfig")
        .respond(Fault::Body {
            status: 200,
            content_type: "application/scim+json".into(),
            body: spc.to_string().into_bytes(),
        });
    server
}

/// Changes in Okta, and by hand on the target, for the convergence tests below.
async fn change_things(org: &OktaOrg, okta: &OktaClient, user_ids: &[String], group: &str) {
    okta.users()
        .update_profile(
            &user_ids[1],
            &json!({"title": "Principal", "lastName": "Changed"}),
        )
        .await
        .unwrap();
    okta.groups()
        .remove_user(group, &user_ids[0])
        .await
        .unwrap();
    okta.groups().add_user(group, &user_ids[3]).await.unwrap();
    let _ = org;
}

async fn assert_converged(server: &ScimServer, hand_set: &str) {
    let changed = user_by_name(server, "user1@example.com");
    assert_eq!(changed.title.as_deref(), Some("Principal"));
    let name = changed.name.unwrap();
    assert_eq!(name.family_name.as_deref(), Some("Changed"));
    assert_eq!(
        name.honorific_prefix.as_deref(),
        Some(hand_set),
        "not owned: kept"
    );
    assert_eq!(
        user_by_name(server, "user0@example.com").active,
        Some(false)
    );
    assert_eq!(member_names(server, "Staff"), names([1, 2, 3]));
}

/// Sets `name.honorificPrefix` by hand on the target (a PATCH the engine does not own).
async fn set_by_hand(server: &ScimServer, user_name: &str) {
    let id = user_by_name(server, user_name).id.unwrap();
    server
        .client()
        .users()
        .replace(&{
            let mut u = server.user(&id).unwrap();
            let mut name = u.name.clone().unwrap_or_default();
            name.honorific_prefix = Some("Dr".into());
            u.name = Some(name);
            u
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_target_without_patch_converges_by_replacing() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(&org, 4, &[("Staff", &[0, 1, 2])]);
    let server = server_without_patch().await;
    let patches = server
        .faults()
        .on(Method::PATCH, "/**")
        .respond(Fault::Status(501));
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(member_names(&server, "Staff"), names(0..3));
    set_by_hand(&server, "user1@example.com").await;

    change_things(&org, &org.client(), &user_ids, &group_ids[0]).await;
    let plan = provisioner.plan().await.unwrap();
    assert!(!plan.targets[0].capabilities.patch);
    let report = provisioner.apply(&plan).await;
    assert!(report.is_success(), "{report}");
    assert_converged(&server, "Dr").await;
    assert_eq!(patches.hits(), 0, "PATCH was never sent");
    assert!(writes(&server).iter().any(|r| r.method == Method::PUT));
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_target_refusing_patch_at_run_time_converges_by_replacing() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(&org, 4, &[("Staff", &[0, 1, 2])]);
    let server = ScimServer::start().await;
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    provisioner.run().await.unwrap();
    set_by_hand(&server, "user1@example.com").await;
    let refused = server
        .faults()
        .on(Method::PATCH, "/**")
        .respond(Fault::Status(405));
    change_things(&org, &org.client(), &user_ids, &group_ids[0]).await;
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_converged(&server, "Dr").await;
    assert!(refused.hits() >= 1);
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_target_answering_patch_with_204_converges() {
    let org = OktaOrg::start().await;
    let (user_ids, group_ids) = seed(&org, 4, &[("Staff", &[0, 1, 2])]);
    let server = ScimServer::builder()
        .patch_returns_no_content(true)
        .start()
        .await;
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    provisioner.run().await.unwrap();
    set_by_hand(&server, "user1@example.com").await;
    change_things(&org, &org.client(), &user_ids, &group_ids[0]).await;
    server.reset();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == Method::PATCH)
            .all(|r| r.status == Some(204))
    );
    assert_converged(&server, "Dr").await;
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

/// A base URL nobody listens on.
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/scim/v2")
}

#[tokio::test]
async fn a_target_that_cannot_be_read_fails_the_run_before_any_write() {
    let org = OktaOrg::start().await;
    seed(&org, 3, &[("Staff", &[0, 1]), ("Partners", &[2])]);
    let up = ScimServer::start().await;
    let unreachable = ScimClient::builder()
        .base_url(closed_url())
        .auth(scimkit::BearerToken::new("t".to_string()))
        .transport(
            Transport::builder()
                .retry(RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let wrong_token = ScimServer::start().await;
    let refused = ScimClient::builder()
        .base_url(wrong_token.base_url())
        .auth(scimkit::BearerToken::new("not-the-token".to_string()))
        .build()
        .unwrap();
    for (down, expect_status) in [(unreachable, None), (refused, Some(401))] {
        let provisioner = builder(&org)
            .target(Target::new("internal", up.client()).group("Staff"))
            .target(Target::new("partners", down).group("Partners"))
            .build()
            .unwrap();
        let err = provisioner.run().await.unwrap_err();
        match &err {
            Error::Provision(e) => match e.as_ref() {
                ProvisionError::TargetUnavailable { target, source } => {
                    assert_eq!(target, "partners");
                    match expect_status {
                        None => assert!(matches!(source, Error::Connect { .. }), "{source:?}"),
                        Some(s) => assert_eq!(source.status().map(|c| c.as_u16()), Some(s)),
                    }
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("nothing was written"), "{err}");
        assert!(writes(&up).is_empty(), "no write to the target that is up");
    }
}

#[tokio::test]
async fn groups_are_chosen_by_exact_name_by_id_or_by_filter() {
    let org = OktaOrg::start().await;
    let (_, group_ids) = seed(
        &org,
        4,
        &[
            ("Eng", &[0]),
            ("Engineering", &[1]),
            ("Team Red", &[2]),
            ("Team Blue", &[3]),
        ],
    );
    let server = ScimServer::start().await;
    let source = OktaSource::new(org.client());
    use scimkit::provision::Source;
    // `q=eng` matches "Eng" and "Engineering": only the exact one (ignoring case) is chosen.
    let eng = source.groups(&GroupSelector::name("eng")).await.unwrap();
    assert_eq!(
        eng.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
        [group_ids[0].as_str()]
    );
    let by_id = source
        .groups(&GroupSelector::id(group_ids[1].clone()))
        .await
        .unwrap();
    assert_eq!(by_id[0].name, "Engineering");
    let teams = source
        .groups(&GroupSelector::filter(r#"profile.name sw "Team""#))
        .await
        .unwrap();
    assert_eq!(teams.len(), 2);

    let provisioner = builder(&org)
        .target(
            Target::new("pam", server.client())
                .group("eng")
                .group(GroupSelector::filter(r#"profile.name sw "Team""#)),
        )
        .build()
        .unwrap();
    assert!(provisioner.run().await.unwrap().is_success());
    let mut pushed: Vec<String> = server
        .groups()
        .into_iter()
        .map(|g| g.display_name)
        .collect();
    pushed.sort();
    assert_eq!(pushed, ["Eng", "Team Blue", "Team Red"]);

    // A name or an id that matches nothing stops the plan: an empty group would deprovision.
    for missing in [GroupSelector::name("En"), GroupSelector::id("00gnope")] {
        let provisioner = builder(&org)
            .target(Target::new("pam", server.client()).group(missing.clone()))
            .build()
            .unwrap();
        match provisioner.plan().await.unwrap_err() {
            Error::Provision(e) => assert!(
                matches!(e.as_ref(), ProvisionError::GroupNotFound { selector } if *selector == missing.to_string())
            ),
            other => panic!("{other:?}"),
        }
    }
    // A filter that matches nothing is just nothing to push.
    let provisioner = builder(&org)
        .target(
            Target::new("pam", server.client())
                .group(GroupSelector::filter(r#"profile.name eq "none""#)),
        )
        .build()
        .unwrap();
    assert!(provisioner.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn several_targets_each_with_its_own_credentials_and_capabilities() {
    let org = OktaOrg::start().await;
    seed(
        &org,
        4,
        &[("Employees", &[0, 1, 2]), ("Contractors", &[2, 3])],
    );
    let (idp1, idp2) = (TokenServer::start().await, TokenServer::start().await);
    idp1.register_client("internal", "s3cret-1");
    idp2.register_client("external", "s3cret-2");
    let internal = ScimServer::builder()
        .token_server(&idp1)
        .bulk_limits(2, 1024 * 1024)
        .start()
        .await;
    let external = ScimServer::builder()
        .token_server(&idp2)
        .max_results(1)
        .start()
        .await;
    let client = |server: &ScimServer, creds: ClientCredentials| {
        ScimClient::builder()
            .base_url(server.base_url())
            .auth(creds)
            .build()
            .unwrap()
    };
    let creds = |idp: &TokenServer, id: &str, secret: &str| {
        ClientCredentials::builder()
            .token_url(idp.token_url())
            .client_id(id)
            .client_secret(secret.to_string())
            .build()
            .unwrap()
    };
    let provisioner = builder(&org)
        .target(
            Target::new(
                "internal",
                client(&internal, creds(&idp1, "internal", "s3cret-1")),
            )
            .group("Employees"),
        )
        .target(
            Target::new(
                "external",
                client(&external, creds(&idp2, "external", "s3cret-2")),
            )
            .group("Contractors"),
        )
        .build()
        .unwrap();
    let plan = provisioner.plan().await.unwrap();
    assert_eq!(plan.target("internal").unwrap().capabilities.bulk, Some(2));
    assert_eq!(
        plan.target("external").unwrap().capabilities.max_results,
        Some(1)
    );
    let report = provisioner.apply(&plan).await;
    assert!(report.is_success(), "{report}");
    assert_eq!(member_names(&internal, "Employees"), names(0..3));
    assert_eq!(member_names(&external, "Contractors"), names([2, 3]));
    assert_eq!(internal.groups().len(), 1);
    assert_eq!(external.groups().len(), 1);
    assert_eq!(internal.users().len(), 3);
    assert_eq!(
        external.users().len(),
        2,
        "user2 is in both: pushed to both"
    );
    // One token each, from each target's own token endpoint, cached for the whole run.
    assert_eq!((idp1.request_count(), idp2.request_count()), (1, 1));
    // maxResults 1: the external target was listed a user at a time.
    assert!(external.requests().iter().any(|r| {
        r.query.as_deref().is_some_and(|q| q.contains("count=1&"))
            || r.query.as_deref().is_some_and(|q| q.ends_with("count=1"))
    }));
    internal.reset();
    external.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
    assert!(writes(&internal).is_empty() && writes(&external).is_empty());
}

#[tokio::test]
async fn a_run_stopped_half_way_converges_on_the_next_without_duplicates() {
    let org = OktaOrg::start().await;
    let members: Vec<usize> = (0..120).collect();
    seed(
        &org,
        120,
        &[
            ("A", &members[..60]),
            ("B", &members[40..100]),
            ("C", &members[90..]),
        ],
    );
    for bulk in [false, true] {
        let server = ScimServer::start().await;
        let provisioner = builder(&org)
            .bulk(bulk)
            .batch_size(10)
            .concurrency(4)
            .target(Target::new("pam", server.client()).groups(["A", "B", "C"]))
            .build()
            .unwrap();
        // Each run is stopped (its future dropped) after 25 items, until one finishes.
        let mut stopped = 0;
        loop {
            let plan = provisioner.plan().await.unwrap();
            if plan.is_empty() {
                break;
            }
            let items = Arc::new(Mutex::new(0usize));
            let stop = Arc::new(tokio::sync::Notify::new());
            let (counter, notify) = (items.clone(), stop.clone());
            let apply = provisioner.apply_with(&plan, move |event| {
                if let Event::Item(_) = event {
                    let mut n = counter.lock().unwrap();
                    *n += 1;
                    if *n == 25 {
                        notify.notify_one();
                    }
                }
            });
            tokio::select! {
                report = apply => {
                    assert!(report.is_success(), "{report}");
                }
                () = stop.notified() => stopped += 1,
            }
            assert!(stopped < 50, "never converged");
        }
        assert!(stopped >= 2, "bulk {bulk}: stopped {stopped} times");
        let users = server.users();
        assert_eq!(users.len(), 120, "bulk {bulk}: nothing lost, no duplicate");
        let unique: HashSet<&str> = users.iter().map(|u| u.user_name.as_str()).collect();
        assert_eq!(unique.len(), 120);
        assert_eq!(server.groups().len(), 3);
        assert_eq!(member_names(&server, "A"), names(0..60));
        assert_eq!(member_names(&server, "B"), names(40..100));
        assert_eq!(member_names(&server, "C"), names(90..120));
        server.reset();
        assert!(provisioner.plan().await.unwrap().is_empty());
        assert!(writes(&server).is_empty());
    }
}

#[tokio::test]
async fn progress_comes_as_events_and_the_report_counts_every_item() {
    let org = OktaOrg::start().await;
    seed(&org, 30, &[("Staff", &(0..30).collect::<Vec<_>>())]);
    let server = ScimServer::start().await;
    let provisioner = builder(&org)
        .bulk(false)
        .batch_size(10)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let plan = provisioner.plan().await.unwrap();
    let dry_run = plan.to_string();
    assert!(dry_run.contains("30 to create"), "{dry_run}");
    assert!(
        dry_run.contains("+ create user user0@example.com"),
        "{dry_run}"
    );
    assert!(dry_run.contains("… and 10 more"), "{dry_run}");
    assert!(
        dry_run.contains("+ create group Staff with 30 members"),
        "{dry_run}"
    );
    assert!(writes(&server).is_empty(), "a dry run writes nothing");

    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let report = provisioner
        .apply_with(&plan, move |e| sink.lock().unwrap().push(e.clone()))
        .await;
    let events = events.lock().unwrap();
    let batches: Vec<(Phase, usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Batch {
                phase, done, total, ..
            } => Some((*phase, *done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(
        batches,
        [
            (Phase::Users, 10, 30),
            (Phase::Users, 20, 30),
            (Phase::Users, 30, 30),
            (Phase::Groups, 1, 1)
        ]
    );
    let item_events = events
        .iter()
        .filter(|e| matches!(e, Event::Item(_)))
        .count();
    assert_eq!(item_events, report.items().count());
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PhaseStarted {
            phase: Phase::Users,
            items: 30,
            ..
        }
    )));
    let table = report.to_string();
    assert!(table.contains("| pam    |      30 |"), "{table}");
}

#[tokio::test]
async fn a_large_target_is_searched_user_by_user_instead_of_listed() {
    let org = OktaOrg::start().await;
    seed(&org, 3, &[("Staff", &[0, 1, 2])]);
    let server = ScimServer::builder().max_results(100).start().await;
    server.seed_users((0..3000).map(|i| User::new(format!("someone{i}@corp.example"))));
    server.seed_user(User::new("user1@example.com")).unwrap(); // made by hand
    let provisioner = builder(&org)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let plan = provisioner.plan().await.unwrap();
    let t = &plan.targets[0];
    assert_eq!((t.creates.len(), t.updates.len()), (2, 1));
    let lists: Vec<RecordedRequest> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.path.ends_with("/Users"))
        .collect();
    assert!(
        lists.iter().all(|r| r
            .query
            .as_deref()
            .is_some_and(|q| q.contains("filter=") || q.contains("count=1"))),
        "no page of the 3,000 users was listed: {:?}",
        lists.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    assert!(provisioner.apply(&plan).await.is_success());
    assert_eq!(server.user_count(), 3003);
    server.reset();
    assert!(provisioner.plan().await.unwrap().is_empty());
    assert!(writes(&server).is_empty());
}

#[tokio::test]
async fn overrides_change_one_attribute_and_a_closure_replaces_the_mapping() {
    let org = OktaOrg::start().await;
    let (user_ids, _) = seed(&org, 2, &[("Staff", &[0, 1])]);
    let server = ScimServer::start().await;
    let mapping = OktaMapping::new()
        .attribute("title", |u: &OktaUser| {
            Some(format!("{} person", u.profile.department.as_deref().unwrap_or("no")).into())
        })
        .profile_attribute("nickName", "lastName")
        .without("emails");
    let provisioner = builder(&org)
        .mapping(mapping)
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    assert!(!provisioner.owned().owns("emails"));
    assert!(provisioner.run().await.unwrap().is_success());
    let user = user_by_name(&server, "user0@example.com");
    assert_eq!(user.title.as_deref(), Some("Engineering person"));
    assert_eq!(user.nick_name.as_deref(), Some("0"));
    assert!(user.emails.is_empty());

    let provisioner = builder(&org)
        .mapping(|u: &OktaUser| -> Result<User, MappingError> {
            Ok(User::new(format!("okta-{}", u.id))
                .external_id(u.id.clone())
                .active(u.status == UserStatus::Active))
        })
        .owned(OwnedAttributes::new(["userName", "externalId", "active"]))
        .target(Target::new("pam", server.client()).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    // Matched by externalId, renamed: no new users.
    assert_eq!(server.users().len(), 2);
    assert_eq!(
        user_by_name(&server, &format!("okta-{}", user_ids[0]))
            .title
            .as_deref(),
        Some("Engineering person"),
        "not owned by the second mapping: kept"
    );
}

#[tokio::test]
async fn reading_okta_within_its_rate_limit_uses_the_budget_without_a_429() {
    // 10 groups of 90 members read 10 to a page (90 pages) plus 10 name lookups: 100
    // requests against a budget of 20 a minute, on a clock that only moves when the
    // client waits. The mock keeps one bucket for its whole API where Okta (and the
    // client's budget) keep one per endpoint family: the budget is large enough that the
    // name lookups (`/groups`) do not spend a window before the member pages
    // (`/groups/{id}/users`) have learnt it.
    let clock = ManualClock::new();
    let org = OktaOrg::builder()
        .rate_limit(20, Duration::from_secs(60))
        .clock(clock.clone())
        .record_requests(false)
        .start()
        .await;
    let users = org.seed_sample_users(900);
    let mut groups = Vec::new();
    for g in 0..10 {
        let name = format!("Group {g}");
        let id = org.seed_group(GroupProfile::new(name.as_str())).unwrap();
        for u in &users[g * 90..(g + 1) * 90] {
            org.seed_membership(&id, u);
        }
        groups.push(name);
    }
    let transport = Transport::builder()
        .clock(clock.clone())
        .retry(RetryPolicy::default().max_wait(Duration::from_secs(120)))
        .build()
        .unwrap();
    let okta = OktaClient::builder()
        .org(org.uri())
        .unwrap()
        .api_token(org.api_token())
        .transport(transport)
        .throttle(true)
        .build()
        .unwrap();
    let server = ScimServer::start().await;
    let provisioner = Provisioner::builder(OktaSource::new(okta).page_size(10))
        .concurrency(1)
        .target(Target::new("pam", server.client()).groups(groups))
        .build()
        .unwrap();
    let start = clock.now();
    let plan = provisioner.plan().await.unwrap();
    let waited = clock.now() - start;
    assert_eq!(plan.targets[0].creates.len(), 900);
    let sent = org.request_count() as f64;
    assert_eq!(sent, 100.0);
    assert_eq!(org.rate_limited(), 0, "no request was spent on a 429");
    // Share of the budget used: requests over the budget of every window the read
    // touched (the first, and one per minute waited).
    let windows = 1.0 + waited.as_secs_f64() / 60.0;
    let used = sent / (20.0 * windows);
    assert!(
        used >= 0.95,
        "used {:.1}% of the budget over {waited:?}",
        used * 100.0
    );
}

/// A budget that says "wait 2 s" to the first reservation and counts the rest.
#[derive(Debug, Default)]
struct CountingBudget {
    reserved: std::sync::atomic::AtomicU64,
    observed: std::sync::atomic::AtomicU64,
}

impl scimkit::store::RateBudget for CountingBudget {
    fn try_reserve<'a>(
        &'a self,
        _bucket: &'a str,
        _now: u64,
    ) -> scimkit::transport::BoxFuture<'a, scimkit::Result<scimkit::store::Reservation>> {
        use std::sync::atomic::Ordering;
        let n = self.reserved.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(if n == 0 {
                scimkit::store::Reservation::Wait(Duration::from_secs(2))
            } else {
                scimkit::store::Reservation::Granted(scimkit::store::Ticket(n))
            })
        })
    }

    fn observe<'a>(
        &'a self,
        _bucket: &'a str,
        _now: u64,
        _observation: scimkit::store::Observation,
    ) -> scimkit::transport::BoxFuture<'a, scimkit::Result<()>> {
        self.observed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_scim_target_can_be_pushed_within_a_rate_budget() {
    use std::sync::atomic::Ordering;
    let org = OktaOrg::start().await;
    seed(&org, 5, &[("Staff", &[0, 1, 2, 3, 4])]);
    let server = ScimServer::start().await;
    let clock = ManualClock::new();
    let budget = Arc::new(CountingBudget::default());
    let scim = ScimClient::builder()
        .base_url(server.base_url())
        .auth(scimkit::BearerToken::new(server.bearer_token().to_owned()))
        .transport(Transport::builder().clock(clock.clone()).build().unwrap())
        .rate_budget(budget.clone())
        .build()
        .unwrap();
    let provisioner = builder(&org)
        .target(Target::new("pam", scim).group("Staff"))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    let requests = server.requests();
    // Endpoint families, as the budget keys them: the first three path segments, and
    // whether the path goes deeper.
    let families: HashSet<String> = requests
        .iter()
        .map(|r| {
            let segments: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
            let mut family = segments
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            if segments.len() > 3 {
                family.push_str("/*");
            }
            family
        })
        .collect();
    // Every answer went back to the budget. The first request of each family was reserved
    // (the very first twice: it waited 2 s on the client's clock); the mock sends no
    // `X-Rate-Limit-*`, so the budget then leaves those families alone.
    assert_eq!(
        budget.observed.load(Ordering::SeqCst),
        requests.len() as u64
    );
    assert_eq!(
        budget.reserved.load(Ordering::SeqCst),
        families.len() as u64 + 1,
        "{families:?}"
    );
    assert_eq!(clock.sleeps(), [Duration::from_secs(2)]);
}
