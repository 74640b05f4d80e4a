//! Users, Groups, Roles and paging against `mock::OktaOrg`, as a caller sees them.

use futures_util::{StreamExt, TryStreamExt};
use scimkit::Error;
use scimkit::mock::OktaOrg;
use scimkit::okta::{
    Assignee, CreateUser, DefaultProfile, GroupProfile, RoleType, SortOrder, User, UserStatus,
};
use serde::{Deserialize, Serialize};

fn ada() -> CreateUser {
    CreateUser::new(
        DefaultProfile::new("ada@example.com", "Ada", "Lovelace").with("department", "Research"),
    )
}

fn okta_error(err: &Error) -> &scimkit::OktaError {
    match err {
        Error::Okta(e) => e,
        other => panic!("expected an Okta error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_with_and_without_password_and_the_statuses_that_follow() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let users = okta.users();

    let provisioned = users.create(&ada()).await.unwrap();
    assert_eq!(provisioned.status, UserStatus::Provisioned);
    assert_eq!(provisioned.profile.department.as_deref(), Some("Research"));

    let with_password = CreateUser::new(DefaultProfile::new("bob@example.com", "Bob", "B"))
        .password("S3cure!pass".to_string());
    let active = users.create(&with_password).await.unwrap();
    assert_eq!(active.status, UserStatus::Active);
    let body = org.requests().last().unwrap().text().into_owned();
    assert!(
        body.contains("S3cure!pass"),
        "the password goes in credentials.password.value"
    );

    let staged = users
        .create(&CreateUser::new(DefaultProfile::new("cy@example.com", "Cy", "C")).activate(false))
        .await
        .unwrap();
    assert_eq!(staged.status, UserStatus::Staged);
    assert_eq!(
        org.requests().last().unwrap().query.as_deref(),
        Some("activate=false")
    );

    let expired = users
        .create(
            &CreateUser::new(DefaultProfile::new("di@example.com", "Di", "D"))
                .password("S3cure!pass".to_string())
                .next_login_change_password(),
        )
        .await
        .unwrap();
    assert_eq!(expired.status, UserStatus::PasswordExpired);
    assert_eq!(
        org.requests().last().unwrap().query.as_deref(),
        Some("activate=true&nextLogin=changePassword")
    );

    // A duplicate login is an Okta validation error with its cause.
    let err = users.create(&ada()).await.unwrap_err();
    let e = okta_error(&err);
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.error_code, "E0000001");
    assert!(e.error_causes[0].contains("already exists"), "{e:?}");
    assert!(e.request_id.as_deref().unwrap().starts_with("mockreq"));
    assert!(e.error_id.is_some());
}

#[tokio::test]
async fn get_by_id_or_login_update_and_replace() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let users = okta.users();
    let created = users.create(&ada()).await.unwrap();

    let by_login = users.get("ada@example.com").await.unwrap();
    assert_eq!(by_login.id, created.id);
    let by_id = users.get(&created.id).await.unwrap();
    assert_eq!(by_id.profile.login, "ada@example.com");

    let updated = users
        .update_profile(&created.id, &serde_json::json!({"title": "Countess"}))
        .await
        .unwrap();
    assert_eq!(updated.profile.title.as_deref(), Some("Countess"));
    assert_eq!(
        updated.profile.department.as_deref(),
        Some("Research"),
        "partial update keeps the rest"
    );
    assert_eq!(org.requests().last().unwrap().method, "POST");

    let replaced = users
        .replace(
            &created.id,
            &DefaultProfile::new("ada@example.com", "Ada", "King"),
        )
        .await
        .unwrap();
    assert_eq!(replaced.profile.last_name.as_deref(), Some("King"));
    assert_eq!(
        replaced.profile.department, None,
        "replace clears what it leaves out"
    );
    assert_eq!(org.requests().last().unwrap().method, "PUT");

    let err = users.get("nobody@example.com").await.unwrap_err();
    assert_eq!(okta_error(&err).error_code, "E0000007");
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert!(!err.is_retryable());

    // A new login is found under its new name, in any case; the old one is free again.
    users
        .update_profile(
            &created.id,
            &serde_json::json!({"login": "Ada.King@example.com"}),
        )
        .await
        .unwrap();
    assert_eq!(
        users.get("ada.king@EXAMPLE.com").await.unwrap().id,
        created.id
    );
    let err = users.get("ada@example.com").await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 404);
    let again = users.create(&ada()).await.unwrap();
    assert_ne!(again.id, created.id);
    let taken = users
        .update_profile(
            &again.id,
            &serde_json::json!({"login": "ADA.KING@example.com"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        okta_error(&taken).error_code,
        "E0000001",
        "a login is unique in any case"
    );
}

#[tokio::test]
async fn a_callers_own_profile_type_round_trips_custom_attributes() {
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Hr {
        login: String,
        email: String,
        first_name: String,
        last_name: String,
        employee_badge: u32,
    }
    let org = OktaOrg::start().await;
    let okta = org.client();
    let hr = okta.users_with::<Hr>();
    let created = hr
        .create(&CreateUser::new(Hr {
            login: "h@example.com".into(),
            email: "h@example.com".into(),
            first_name: "H".into(),
            last_name: "R".into(),
            employee_badge: 4711,
        }))
        .await
        .unwrap();
    assert_eq!(created.profile.employee_badge, 4711);
    // Read back through the default profile, the attribute is kept in `custom`.
    let plain: User = okta.users().get(&created.id).await.unwrap();
    assert_eq!(plain.profile.custom["employeeBadge"], 4711);
}

#[tokio::test]
async fn lifecycle_operations_follow_oktas_rules() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let users = okta.users();
    let staged = users
        .create(&CreateUser::new(DefaultProfile::new("s@example.com", "S", "T")).activate(false))
        .await
        .unwrap();

    let token = users.activate(&staged.id, false).await.unwrap();
    assert!(token.activation_url.is_some() && token.activation_token.is_some());
    assert!(
        !format!("{token:?}").contains("mock-activation"),
        "activation tokens stay redacted"
    );
    assert_eq!(org.user_status(&staged.id), Some(UserStatus::Provisioned));
    let emailed = users.reactivate(&staged.id, true).await.unwrap();
    assert!(emailed.activation_url.is_none());

    let id = org.seed_sample_users(1).remove(0);
    users.suspend(&id).await.unwrap();
    assert_eq!(org.user_status(&id), Some(UserStatus::Suspended));
    let err = users.suspend(&id).await.unwrap_err();
    assert_eq!(okta_error(&err).status.as_u16(), 400);
    users.unsuspend(&id).await.unwrap();
    assert_eq!(org.user_status(&id), Some(UserStatus::Active));

    org.set_user_status(&id, UserStatus::LockedOut);
    users.unlock(&id).await.unwrap();
    assert_eq!(org.user_status(&id), Some(UserStatus::Active));

    let expired = users.expire_password(&id).await.unwrap();
    assert_eq!(expired.status, UserStatus::PasswordExpired);
    let reset = users.reset_password(&id, false).await.unwrap();
    assert!(reset.reset_password_url.is_some());
    assert_eq!(org.user_status(&id), Some(UserStatus::Recovery));
    assert_eq!(
        org.requests().last().unwrap().path,
        format!("/api/v1/users/{id}/lifecycle/reset_password")
    );

    users.deactivate(&id).await.unwrap();
    assert_eq!(org.user_status(&id), Some(UserStatus::Deprovisioned));
    let err = users
        .activate(&org.seed_sample_users(1)[0], true)
        .await
        .unwrap_err();
    assert_eq!(okta_error(&err).error_code, "E0000016");
}

#[tokio::test]
async fn delete_deactivates_first_and_the_helper_does_both_steps() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let ids = org.seed_sample_users(2);

    okta.users().delete(&ids[0]).await.unwrap();
    assert_eq!(
        org.user_status(&ids[0]),
        Some(UserStatus::Deprovisioned),
        "first DELETE only deactivates"
    );
    okta.users().delete(&ids[0]).await.unwrap();
    assert_eq!(org.user_status(&ids[0]), None);

    okta.users().deactivate_and_delete(&ids[1]).await.unwrap();
    assert_eq!(org.user_status(&ids[1]), None);
    assert_eq!(org.user_count(), 0);
}

#[tokio::test]
async fn search_filter_q_and_sorting() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let ids = org.seed_sample_users(6);
    okta.users().deactivate(&ids[0]).await.unwrap();

    let engineers: Vec<User> = okta
        .users()
        .list()
        .search(r#"profile.department eq "Engineering""#)
        .all()
        .await
        .unwrap();
    assert_eq!(engineers.len(), 3, "search includes DEPROVISIONED users");

    let active = okta
        .users()
        .list()
        .filter(r#"status eq "ACTIVE""#)
        .all()
        .await
        .unwrap();
    assert_eq!(active.len(), 5);

    let all = okta.users().list().all().await.unwrap();
    assert_eq!(
        all.len(),
        5,
        "a plain listing leaves DEPROVISIONED users out"
    );

    let picked = okta.users().list().q("user").limit(2).send().await.unwrap();
    assert_eq!(picked.items.len(), 2);
    assert!(picked.next.is_none(), "q does not page");

    let sorted = okta
        .users()
        .list()
        .search(r#"status eq "ACTIVE""#)
        .sort_by("profile.lastName")
        .sort_order(SortOrder::Desc)
        .all()
        .await
        .unwrap();
    assert_eq!(
        sorted.first().unwrap().profile.last_name.as_deref(),
        Some("5")
    );

    let err = okta
        .users()
        .list()
        .search("status eq")
        .send()
        .await
        .unwrap_err();
    assert_eq!(okta_error(&err).error_code, "E0000031");
    let sent = org.requests().last().unwrap().query.clone().unwrap();
    assert_eq!(sent, "search=status+eq");
}

#[tokio::test]
async fn streams_follow_next_links_stop_when_dropped_and_resume_from_the_cursor() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    org.seed_sample_users(7);

    let mut stream = okta.users().list().limit(3).stream();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(stream.next().await.unwrap().unwrap().id);
    }
    assert_eq!(stream.pages_fetched(), 2);
    // At a page boundary the cursor resumes exactly; mid-page it points at the page start.
    let cursor = stream.cursor().unwrap();
    drop(stream);
    assert_eq!(
        org.requests_to("/api/v1/users"),
        2,
        "dropping the stream fetches nothing more"
    );

    let rest: Vec<User> = okta
        .users()
        .list()
        .limit(3)
        .after(cursor)
        .all()
        .await
        .unwrap();
    let rest_ids: Vec<String> = rest.into_iter().map(|u| u.id).collect();
    assert_eq!(
        rest_ids.len(),
        4,
        "resumes from the start of the page being read"
    );
    assert_eq!(rest_ids[0], seen[3]);

    let page = okta.users().list().limit(5).send().await.unwrap();
    assert_eq!(page.items.len(), 5);
    let after = page.after().unwrap();
    assert_eq!(after, page.items[4].id);
    let next_page = okta
        .users()
        .list()
        .limit(5)
        .after(after)
        .send()
        .await
        .unwrap();
    assert_eq!(next_page.items.len(), 2);
    assert!(next_page.next.is_none());
}

#[tokio::test]
async fn stream_yields_an_error_once_and_ends() {
    let org = OktaOrg::start().await;
    let okta = scimkit::okta::OktaClient::builder()
        .org(org.uri())
        .unwrap()
        .api_token(org.api_token())
        .transport(
            scimkit::Transport::builder()
                .retry(scimkit::RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    org.seed_sample_users(4);
    let mut stream = okta.users().list().limit(2).stream();
    assert!(stream.next().await.unwrap().is_ok());
    assert!(stream.next().await.unwrap().is_ok());
    org.fail_next(500, 1);
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(okta_error(&err).error_code, "E0000009");
    assert!(err.is_retryable());
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn groups_crud_membership_and_a_users_groups() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let groups = okta.groups();
    let eng = groups
        .create(&GroupProfile::new("Engineering").description("Builders"))
        .await
        .unwrap();
    assert_eq!(eng.group_type, Some(scimkit::okta::GroupType::OktaGroup));
    assert_eq!(eng.profile.description.as_deref(), Some("Builders"));
    groups.create(&GroupProfile::new("Sales")).await.unwrap();

    let err = groups
        .create(&GroupProfile::new("engineering"))
        .await
        .unwrap_err();
    assert_eq!(okta_error(&err).error_code, "E0000001");

    let replaced = groups
        .replace(
            &eng.id,
            &GroupProfile::new("Engineering").description("Makers"),
        )
        .await
        .unwrap();
    assert_eq!(replaced.profile.description.as_deref(), Some("Makers"));
    assert_eq!(
        groups
            .get(&eng.id)
            .await
            .unwrap()
            .profile
            .description
            .as_deref(),
        Some("Makers")
    );

    let found = groups.list().q("eng").all().await.unwrap();
    assert_eq!(found.len(), 1);
    let searched = groups
        .list()
        .search(r#"profile.name sw "S""#)
        .all()
        .await
        .unwrap();
    assert_eq!(searched[0].profile.name, "Sales");

    let ids = org.seed_sample_users(5);
    for id in &ids {
        groups.add_user(&eng.id, id).await.unwrap();
    }
    groups.add_user(&eng.id, &ids[0]).await.unwrap(); // idempotent
    let members: Vec<String> = groups
        .members(&eng.id)
        .limit(2)
        .stream()
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members, ids);
    assert_eq!(
        org.requests_to(&format!("/api/v1/groups/{}/users", eng.id)),
        3
    );

    groups.remove_user(&eng.id, &ids[0]).await.unwrap();
    assert_eq!(org.members(&eng.id).len(), 4);
    let of_user = okta.users().groups(&ids[1]).all().await.unwrap();
    assert_eq!(of_user.len(), 1);
    assert_eq!(of_user[0].id, eng.id);

    groups.delete(&eng.id).await.unwrap();
    assert!(org.group(&eng.id).is_none());
    assert!(okta.users().groups(&ids[1]).all().await.unwrap().is_empty());
}

#[tokio::test]
async fn roles_for_users_and_groups() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let roles = okta.roles();
    let user = org.seed_sample_users(1).remove(0);
    let group = org.seed_group(GroupProfile::new("Admins")).unwrap();

    let assigned = roles
        .assign_to_user(&user, RoleType::UserAdmin)
        .disable_notifications(true)
        .await
        .unwrap();
    assert_eq!(assigned.role_type, RoleType::UserAdmin);
    let last = org.requests().last().unwrap().clone();
    assert_eq!(last.query.as_deref(), Some("disableNotifications=true"));
    assert_eq!(last.body, r#"{"type":"USER_ADMIN"}"#);

    let err = roles
        .assign_to_user(&user, RoleType::UserAdmin)
        .await
        .unwrap_err();
    assert_eq!(okta_error(&err).status.as_u16(), 409);

    let got = roles
        .get(Assignee::User(&user), &assigned.id)
        .await
        .unwrap();
    assert_eq!(got.id, assigned.id);

    let group_role = roles
        .assign_to_group(&group, RoleType::HelpDeskAdmin)
        .await
        .unwrap();
    assert_eq!(
        roles.list_for_group(&group).await.unwrap()[0].id,
        group_role.id
    );
    okta.groups().add_user(&group, &user).await.unwrap();

    // The user's listing shows the group's role too, marked as held through the group.
    let listed = roles.list_for_user(&user).await.unwrap();
    assert_eq!(listed.len(), 2);
    let inherited = listed
        .iter()
        .find(|r| r.role_type == RoleType::HelpDeskAdmin)
        .unwrap();
    assert_eq!(inherited.assignment_type.as_deref(), Some("GROUP"));

    // Unassign by type removes only what the user holds directly.
    assert_eq!(
        roles
            .unassign_type(Assignee::User(&user), &RoleType::HelpDeskAdmin)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        roles
            .unassign_type(Assignee::User(&user), &RoleType::UserAdmin)
            .await
            .unwrap(),
        1
    );
    assert!(org.user_roles(&user).is_empty());

    roles
        .unassign_from_group(&group, &group_role.id)
        .await
        .unwrap();
    assert!(org.group_roles(&group).is_empty());

    let err = roles
        .assign_to_user(&user, RoleType::Other("NOT_A_ROLE".into()))
        .await
        .unwrap_err();
    assert_eq!(okta_error(&err).status.as_u16(), 400);
}

#[tokio::test]
async fn a_wrong_api_token_is_an_okta_401() {
    let org = OktaOrg::start().await;
    let okta = scimkit::okta::OktaClient::builder()
        .org(org.uri())
        .unwrap()
        .api_token("00wrong".to_string())
        .build()
        .unwrap();
    let err = okta.users().get("x").await.unwrap_err();
    let e = okta_error(&err);
    assert_eq!(e.status.as_u16(), 401);
    assert_eq!(e.error_code, "E0000011");
    assert_eq!(
        org.requests()[0].header("authorization"),
        Some("SSWS [redacted]")
    );
    assert!(!err.to_string().contains("00wrong"));
}

#[tokio::test]
async fn non_okta_error_bodies_stay_http_errors() {
    let org = OktaOrg::start().await;
    let okta = org.client_with(
        scimkit::Transport::builder()
            .retry(scimkit::RetryPolicy::never())
            .build()
            .unwrap(),
    );
    org.faults()
        .on_any()
        .times(1)
        .respond(scimkit::mock::Fault::Status(502));
    let err = okta.users().get("x").await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    assert_eq!(err.status().unwrap().as_u16(), 502);

    org.faults()
        .on_any()
        .times(1)
        .respond(scimkit::mock::Fault::Html);
    let err = okta.users().get("x").await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { .. }),
        "an HTML page where JSON was expected: {err:?}"
    );

    org.faults()
        .on_any()
        .times(1)
        .respond(scimkit::mock::Fault::MalformedJson);
    let err = okta.users().get("x").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!([]))
                .insert_header(
                    "link",
                    "<https://evil.example.com/api/v1/users?after=1>; rel=\"next\"",
                ),
        )
        .mount(&server)
        .await;
    let okta = scimkit::okta::OktaClient::builder()
        .org(server.uri())
        .unwrap()
        .api_token("t".to_string())
        .build()
        .unwrap();
    let err = okta.users().list().send().await.unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
}

#[tokio::test]
async fn dot_ids_and_foreign_urls_are_refused_before_anything_is_sent() {
    let org = OktaOrg::start().await;
    let okta = org.client();
    let before = org.request_count();
    // The URL library drops `.`/`..` segments: `update_profile("..")` would have become
    // `POST /api/v1/users` (a create) and `delete("..")` `DELETE /api/v1/users`.
    for id in ["", ".", ".."] {
        let err = okta
            .users()
            .update_profile(id, &serde_json::json!({"nickName": "x"}))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{id:?}: {err:?}");
        assert!(matches!(
            okta.users().delete(id).await,
            Err(Error::Config(_))
        ));
        assert!(matches!(
            okta.groups().remove_user("00g1", id).await,
            Err(Error::Config(_))
        ));
        assert!(matches!(
            okta.roles().unassign(Assignee::User(id), "ra1").await,
            Err(Error::Config(_))
        ));
        assert!(matches!(
            okta.groups().members(id).send().await,
            Err(Error::Config(_))
        ));
        let mut stream = okta.users().groups(id).stream();
        assert!(matches!(stream.next().await, Some(Err(Error::Config(_)))));
        assert!(stream.next().await.is_none());
    }
    // send_json takes a path; an absolute URL elsewhere would carry the SSWS token there.
    for path in ["https://evil.example/api/v1/users", "http://127.0.0.1:1/x"] {
        let err = okta
            .send_json(http::Method::GET, path, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("relative to the org"), "{err}");
    }
    assert_eq!(org.request_count(), before, "nothing reached the org");
    assert_eq!(org.user_count(), 0);
}

#[tokio::test]
async fn a_next_link_back_to_the_same_page_ends_the_stream() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let user = serde_json::json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@x"}});
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!([user]))
                .insert_header("link", "</api/v1/users?limit=1>; rel=\"next\""),
        )
        .mount(&server)
        .await;
    let okta = scimkit::okta::OktaClient::builder()
        .org(server.uri())
        .unwrap()
        .api_token("t".to_string())
        .build()
        .unwrap();
    let users: Vec<_> = okta
        .users()
        .list()
        .limit(1)
        .stream()
        .take(10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 1, "the looping link is not followed");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
