//! Spec-conformance tier: every Okta operation the crate offers, sent to Stoplight Prism
//! serving Okta's management OpenAPI spec. Prism answers a request outside the spec with
//! 404 (`NO_PATH_MATCHED_ERROR`), 400 or 422; any of those fails the test. What Prism
//! answers otherwise is generated from the spec's schemas, so a response the models cannot
//! decode is reported but does not fail the tier (it checks requests, not Prism's fakes).
//! Run by `interop/run-okta.sh`, which starts Prism, sets `SCIMKIT_INTEROP_PRISM_URL` and
//! passes `--include-ignored`.
#![cfg(feature = "interop")]

use std::fmt::Debug;

use scimkit::Error;
use scimkit::okta::{
    Assignee, CreateUser, DefaultProfile, GroupProfile, OktaClient, RoleType, SortOrder,
};

fn client() -> OktaClient {
    let url = std::env::var("SCIMKIT_INTEROP_PRISM_URL")
        .expect("SCIMKIT_INTEROP_PRISM_URL must point at a running Prism");
    OktaClient::builder()
        .org(url)
        .expect("test setup")
        .api_token("00prism-token".to_string())
        .transport(
            scimkit::Transport::builder()
                .retry(scimkit::RetryPolicy::never())
                .build()
                .expect("test setup"),
        )
        .build()
        .expect("test setup")
}

/// Records whether Prism accepted one operation's request.
#[derive(Default)]
struct Report {
    rejected: Vec<String>,
    checked: usize,
}

impl Report {
    fn check<T: Debug>(&mut self, operation: &str, outcome: scimkit::Result<T>) {
        self.checked += 1;
        match outcome {
            Ok(_) => {}
            Err(err) => match err.status().map(|s| s.as_u16()) {
                Some(400 | 404 | 422) => self.rejected.push(format!("{operation}: {err}")),
                Some(status) if matches!(err, Error::Decode { .. }) => {
                    eprintln!(
                        "{operation}: accepted ({status}); Prism's generated body did not decode: {err}"
                    );
                }
                Some(_) => {}
                None => self.rejected.push(format!("{operation}: no answer: {err}")),
            },
        }
    }

    fn finish(self) {
        assert!(self.checked > 0);
        assert!(
            self.rejected.is_empty(),
            "Prism rejected {} of {} requests:\n{}",
            self.rejected.len(),
            self.checked,
            self.rejected.join("\n")
        );
    }
}

const USER: &str = "00ub0oNGTSWTBKOLGLNR";
const GROUP: &str = "00g1emaKYZTWRYYRRTSK";
const ASSIGNMENT: &str = "JBCUYUC7IRCVGS27IFCE2SKO";

#[tokio::test]
#[ignore = "needs Prism: run interop/run-okta.sh"]
async fn user_operations_conform_to_the_spec() {
    let okta = client();
    let users = okta.users();
    let mut r = Report::default();
    let profile =
        DefaultProfile::new("ada@example.com", "Ada", "Lovelace").with("department", "Eng");

    r.check("listUsers", users.list().send().await);
    r.check(
        "listUsers search+sort",
        users
            .list()
            .search(r#"profile.department eq "Eng""#)
            .sort_by("profile.lastName")
            .sort_order(SortOrder::Desc)
            .limit(50)
            .after("00u1")
            .send()
            .await,
    );
    r.check(
        "listUsers filter",
        users.list().filter(r#"status eq "ACTIVE""#).send().await,
    );
    r.check("listUsers q", users.list().q("ada").limit(10).send().await);
    r.check("getUser by id", users.get(USER).await);
    r.check("getUser by login", users.get("ada@example.com").await);
    r.check(
        "createUser",
        users.create(&CreateUser::new(profile.clone())).await,
    );
    r.check(
        "createUser staged",
        users
            .create(&CreateUser::new(profile.clone()).activate(false))
            .await,
    );
    r.check(
        "createUser with password, nextLogin",
        users
            .create(
                &CreateUser::new(profile.clone())
                    .password("Tr0ub4dor&3".to_string())
                    .next_login_change_password()
                    .group_id(GROUP),
            )
            .await,
    );
    r.check(
        "updateUser (partial)",
        users
            .update_profile(USER, &serde_json::json!({"title": "Countess"}))
            .await,
    );
    r.check("replaceUser", users.replace(USER, &profile).await);
    r.check("activateUser", users.activate(USER, false).await);
    r.check("reactivateUser", users.reactivate(USER, true).await);
    r.check("deactivateUser", users.deactivate(USER).await);
    r.check("suspendUser", users.suspend(USER).await);
    r.check("unsuspendUser", users.unsuspend(USER).await);
    r.check("unlockUser", users.unlock(USER).await);
    r.check("resetPassword", users.reset_password(USER, false).await);
    r.check("expirePassword", users.expire_password(USER).await);
    r.check("listUserGroups", users.groups(USER).send().await);
    r.check("deleteUser", users.delete(USER).await);
    r.finish();
}

#[tokio::test]
#[ignore = "needs Prism: run interop/run-okta.sh"]
async fn group_operations_conform_to_the_spec() {
    let okta = client();
    let groups = okta.groups();
    let mut r = Report::default();
    let profile = GroupProfile::new("Engineering").description("Builders");
    r.check("listGroups", groups.list().send().await);
    r.check(
        "listGroups search",
        groups
            .list()
            .search(r#"profile.name sw "Eng""#)
            .sort_by("profile.name")
            .sort_order(SortOrder::Asc)
            .limit(20)
            .after("00g1")
            .send()
            .await,
    );
    r.check(
        "listGroups filter",
        groups.list().filter(r#"type eq "OKTA_GROUP""#).send().await,
    );
    r.check("listGroups q", groups.list().q("Eng").send().await);
    r.check("getGroup", groups.get(GROUP).await);
    r.check("addGroup", groups.create(&profile).await);
    r.check("replaceGroup", groups.replace(GROUP, &profile).await);
    r.check(
        "listGroupUsers",
        groups.members(GROUP).limit(100).after("00u1").send().await,
    );
    r.check("assignUserToGroup", groups.add_user(GROUP, USER).await);
    r.check(
        "unassignUserFromGroup",
        groups.remove_user(GROUP, USER).await,
    );
    r.check("deleteGroup", groups.delete(GROUP).await);
    r.finish();
}

#[tokio::test]
#[ignore = "needs Prism: run interop/run-okta.sh"]
async fn role_operations_conform_to_the_spec() {
    let okta = client();
    let roles = okta.roles();
    let mut r = Report::default();
    r.check("listAssignedRolesForUser", roles.list_for_user(USER).await);
    r.check("listGroupAssignedRoles", roles.list_for_group(GROUP).await);
    for role in [
        RoleType::SuperAdmin,
        RoleType::OrgAdmin,
        RoleType::UserAdmin,
        RoleType::AppAdmin,
        RoleType::GroupMembershipAdmin,
        RoleType::HelpDeskAdmin,
        RoleType::ReadOnlyAdmin,
        RoleType::ReportAdmin,
        RoleType::ApiAccessManagementAdmin,
    ] {
        r.check(
            &format!("assignRoleToUser {role}"),
            roles
                .assign_to_user(USER, role.clone())
                .disable_notifications(true)
                .await,
        );
        r.check(
            &format!("assignRoleToGroup {role}"),
            roles.assign_to_group(GROUP, role).await,
        );
    }
    r.check(
        "getUserAssignedRole",
        roles.get(Assignee::User(USER), ASSIGNMENT).await,
    );
    r.check(
        "getGroupAssignedRole",
        roles.get(Assignee::Group(GROUP), ASSIGNMENT).await,
    );
    r.check(
        "unassignRoleFromUser",
        roles.unassign_from_user(USER, ASSIGNMENT).await,
    );
    r.check(
        "unassignRoleFromGroup",
        roles.unassign_from_group(GROUP, ASSIGNMENT).await,
    );
    r.finish();
}

#[tokio::test]
#[ignore = "needs Prism: run interop/run-okta.sh"]
async fn the_tier_catches_requests_outside_the_spec() {
    let okta = client();
    let mut r = Report::default();
    r.check(
        "unknown path",
        okta.send_json(http::Method::GET, "api/v1/userz", None)
            .await,
    );
    r.check(
        "role type outside the enum",
        okta.send_json(
            http::Method::POST,
            &format!("api/v1/users/{USER}/roles"),
            Some(&serde_json::json!({"type": "NOT_A_ROLE"})),
        )
        .await,
    );
    r.check(
        "limit that is not a number",
        okta.send_json(http::Method::GET, "api/v1/users?limit=many", None)
            .await,
    );
    assert_eq!(
        r.rejected.len(),
        3,
        "Prism must reject all three: {:?}",
        r.rejected
    );
    assert!(
        r.rejected[0].contains("NO_PATH_MATCHED"),
        "{}",
        r.rejected[0]
    );
}
