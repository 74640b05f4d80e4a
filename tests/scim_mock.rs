//! Every SCIM operation against the stateful `mock::ScimServer`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{StreamExt, TryStreamExt};
use scimkit::mock::{Fault, ScimServer, TokenServer};
use scimkit::scim::{
    Bulk, EnterpriseUser, Filter, GetOptions, Group, Manager, Member, MultiValued, Name, Patch,
    PatchOp, PatchPath, ScimClient, ScimErrorKind, SortOrder, StreamPosition, User,
};
use scimkit::{BearerToken, ClientCredentials, Error};

async fn setup() -> (ScimServer, ScimClient) {
    setup_with(ScimServer::builder()).await
}

async fn setup_with(builder: scimkit::mock::ScimServerBuilder) -> (ScimServer, ScimClient) {
    let server = builder.start().await;
    let client = ScimClient::builder()
        .base_url(server.base_url())
        .auth(BearerToken::new(server.bearer_token().to_string()))
        .build()
        .unwrap();
    (server, client)
}

fn alice() -> User {
    User::new("alice@example.com")
        .display_name("Alice")
        .name(Name::new("Alice", "Liddell"))
        .email(
            MultiValued::new("alice@example.com")
                .kind("work")
                .primary(true),
        )
        .password("s3cret-pw".to_string())
        .active(true)
}

fn err_scim(err: Error) -> Box<scimkit::ScimError> {
    match err {
        Error::Scim(e) => e,
        other => panic!("expected a SCIM error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_replace_delete_round_trip() {
    let (server, scim) = setup().await;
    let created = scim.users().create(&alice()).await.unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.user_name, "alice@example.com");
    assert!(created.password.is_none(), "password is never returned");
    let meta = created.meta.clone().unwrap();
    assert_eq!(meta.resource_type.as_deref(), Some("User"));
    assert!(meta.location.unwrap().ends_with(&format!("/Users/{id}")));
    assert!(meta.version.is_some());

    // The request was canonical: scim+json, schemas set, password sent.
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.content_type(), Some("application/scim+json"));
    let body = req.json().unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(body["password"], "s3cret-pw");
    assert!(body.get("meta").is_none());

    let fetched = scim.users().get(&id).await.unwrap();
    assert_eq!(
        fetched.name.as_ref().unwrap().family_name.as_deref(),
        Some("Liddell")
    );
    assert_eq!(fetched.primary_email(), Some("alice@example.com"));

    let mut changed = fetched.clone();
    changed.title = Some("Engineer".into());
    let replaced = scim.users().replace(&changed).await.unwrap();
    assert_eq!(replaced.title.as_deref(), Some("Engineer"));
    assert_ne!(
        replaced.meta.unwrap().version,
        fetched.meta.unwrap().version
    );
    assert_eq!(
        server.requests().last().unwrap().header("if-match"),
        changed.meta.unwrap().version.as_deref()
    );

    scim.users().delete(&id).await.unwrap();
    let gone = err_scim(scim.users().get(&id).await.unwrap_err());
    assert!(gone.is_not_found());
    assert!(server.users().is_empty());
}

#[tokio::test]
async fn get_with_attributes_and_if_none_match() {
    let (_server, scim) = setup().await;
    let created = scim.users().create(&alice()).await.unwrap();
    let id = created.id.as_deref().unwrap();
    let slim = scim
        .users()
        .get_with(id, &GetOptions::new().attributes(["userName"]))
        .await
        .unwrap();
    assert_eq!(slim.user_name, "alice@example.com");
    assert!(slim.display_name.is_none());
    let no_emails = scim
        .users()
        .get_with(id, &GetOptions::new().excluded_attributes(["emails"]))
        .await
        .unwrap();
    assert!(no_emails.emails.is_empty());
    assert!(no_emails.display_name.is_some());

    let version = created.meta.unwrap().version.unwrap();
    let err = scim
        .users()
        .get_with(id, &GetOptions::new().if_none_match(version.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotModified));
    scim.users()
        .patch(id, &Patch::new().replace("title", "x"))
        .await
        .unwrap();
    let fresh = scim
        .users()
        .get_with(id, &GetOptions::new().if_none_match(version))
        .await
        .unwrap();
    assert_eq!(fresh.title.as_deref(), Some("x"));
}

#[tokio::test]
async fn duplicate_user_name_is_a_typed_uniqueness_conflict() {
    let (_server, scim) = setup().await;
    scim.users().create(&alice()).await.unwrap();
    let err = err_scim(
        scim.users()
            .create(&User::new("ALICE@example.com"))
            .await
            .unwrap_err(),
    );
    assert!(err.is_conflict());
    assert_eq!(err.kind(), Some(ScimErrorKind::Uniqueness));
}

#[tokio::test]
async fn stale_version_is_a_precondition_failure() {
    let (_server, scim) = setup().await;
    let v1 = scim.users().create(&alice()).await.unwrap();
    let id = v1.id.clone().unwrap();
    let mut first = v1.clone();
    first.title = Some("first".into());
    scim.users().replace(&first).await.unwrap();
    let mut second = v1.clone();
    second.title = Some("second".into());
    let err = err_scim(scim.users().replace(&second).await.unwrap_err());
    assert!(err.is_precondition_failed());
    let old = v1.meta.as_ref().unwrap().version.clone().unwrap();
    let err = scim
        .users()
        .patch_if_match(&id, &Patch::new().replace("title", "x"), &old)
        .await
        .unwrap_err();
    assert!(err_scim(err).is_precondition_failed());
    assert!(
        err_scim(scim.users().delete_if_match(&id, &old).await.unwrap_err())
            .is_precondition_failed()
    );
    let current = scim.users().get(&id).await.unwrap();
    scim.users()
        .delete_if_match(&id, current.meta.unwrap().version.as_deref().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn if_match_not_sent_when_server_says_etags_unsupported() {
    let (server, scim) = setup_with(ScimServer::builder().etags(false)).await;
    let config = scim.discover().await.unwrap();
    assert!(!config.etag.supported);
    let mut u = scim.users().create(&alice()).await.unwrap();
    u.title = Some("t".into());
    scim.users().replace(&u).await.unwrap();
    assert_eq!(server.requests().last().unwrap().header("if-match"), None);
}

#[tokio::test]
async fn patch_paths_filters_urns_and_no_content() {
    let (server, scim) = setup().await;
    let boss = scim.users().create(&User::new("boss")).await.unwrap();
    let u = scim.users().create(&alice()).await.unwrap();
    let id = u.id.as_deref().unwrap();
    let patch = Patch::new()
        .replace("name.givenName", "Alicia")
        .replace(
            PatchPath::attr("emails")
                .filter(Filter::attr("type").eq("work"))
                .sub("value"),
            "alicia@example.com",
        )
        .add(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "R&D",
        )
        .op_with(
            PatchOp::Add,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            &Manager::new(boss.id.clone().unwrap()),
        )
        .unwrap()
        .remove("title");
    let patched = scim.users().patch(id, &patch).await.unwrap().unwrap();
    assert_eq!(
        patched.name.clone().unwrap().given_name.as_deref(),
        Some("Alicia")
    );
    assert_eq!(patched.primary_email(), Some("alicia@example.com"));
    let ent = patched.enterprise.unwrap();
    assert_eq!(ent.department.as_deref(), Some("R&D"));
    assert_eq!(ent.manager.unwrap().value, boss.id);
    // Ops went out lowercase with the PatchOp schema.
    let body = server.requests().last().unwrap().json().unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    );
    assert!(
        body["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["op"].as_str().unwrap().chars().all(|c| c.is_lowercase()))
    );

    let (_s2, scim2) = setup_with(ScimServer::builder().patch_returns_no_content(true)).await;
    let u2 = scim2.users().create(&alice()).await.unwrap();
    let none = scim2
        .users()
        .patch(
            u2.id.as_deref().unwrap(),
            &Patch::new().replace("active", false),
        )
        .await
        .unwrap();
    assert!(none.is_none(), "204 is success with no body");
    assert_eq!(
        scim2
            .users()
            .get(u2.id.as_deref().unwrap())
            .await
            .unwrap()
            .active,
        Some(false)
    );
}

#[tokio::test]
async fn patch_with_no_match_is_no_target() {
    let (_server, scim) = setup().await;
    let u = scim.users().create(&alice()).await.unwrap();
    let err = scim
        .users()
        .patch(
            u.id.as_deref().unwrap(),
            &Patch::new().replace(
                PatchPath::attr("emails")
                    .filter(Filter::attr("type").eq("home"))
                    .sub("value"),
                "x",
            ),
        )
        .await
        .unwrap_err();
    let e = err_scim(err);
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.kind(), Some(ScimErrorKind::NoTarget));
}

#[tokio::test]
async fn okta_and_entra_style_patches_are_accepted_by_the_mock() {
    let (server, scim) = setup().await;
    let u = scim.users().create(&alice()).await.unwrap();
    let id = u.id.unwrap();
    let transport = scimkit::Transport::default();
    let auth = BearerToken::new(server.bearer_token().to_string());
    let url = format!("{}/Users/{id}", server.base_url());
    // Okta: replace without a path; Entra: capitalised op and "False".
    for body in [
        serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false, "displayName": "A."}}]}),
        serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"},
                           {"op": "Add", "path": "title", "value": "Dr"}]}),
    ] {
        let req = scimkit::transport::ApiRequest::new(http::Method::PATCH, url.parse().unwrap())
            .json(&body)
            .unwrap();
        let resp = transport.send(req, Some(&auth)).await.unwrap();
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    }
    let stored = server.user(&id).unwrap();
    assert_eq!(stored.active, Some(false));
    assert_eq!(stored.display_name.as_deref(), Some("A."));
    assert_eq!(stored.title.as_deref(), Some("Dr"));
}

#[tokio::test]
async fn group_membership_helpers_and_user_groups() {
    let (server, scim) = setup().await;
    let a = scim.users().create(&alice()).await.unwrap().id.unwrap();
    let b = scim
        .users()
        .create(&User::new("bob"))
        .await
        .unwrap()
        .id
        .unwrap();
    let g = scim
        .groups()
        .create(&Group::new("Engineering").member(Member::user(&a)))
        .await
        .unwrap();
    let gid = g.id.unwrap();
    scim.groups().add_members(&gid, [b.as_str()]).await.unwrap();
    let group = scim.groups().get(&gid).await.unwrap();
    let mut ids: Vec<_> = group
        .members
        .iter()
        .filter_map(|m| m.value.clone())
        .collect();
    ids.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(ids, want);
    // Users see their groups (read-only attribute computed by the server).
    let bob = scim.users().get(&b).await.unwrap();
    assert_eq!(bob.groups[0].value.as_deref(), Some(gid.as_str()));
    scim.groups()
        .remove_members(&gid, [a.as_str()])
        .await
        .unwrap();
    let members = server.group(&gid).unwrap().members;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].value.as_deref(), Some(b.as_str()));
}

#[tokio::test]
async fn list_filters_sorts_and_searches() {
    let (server, scim) = setup().await;
    for (name, active, dept) in [
        ("carol", true, "Eng"),
        ("alice", true, "Ops"),
        ("bob", false, "Eng"),
    ] {
        let u = User::new(name)
            .active(active)
            .enterprise(EnterpriseUser::new().department(dept));
        scim.users().create(&u).await.unwrap();
    }
    let page = scim
        .users()
        .list()
        .filter(Filter::attr("active").eq(true))
        .sort_by("userName")
        .sort_order(SortOrder::Descending)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = page
        .resources
        .iter()
        .map(|u| u.user_name.as_str())
        .collect();
    assert_eq!(names, ["carol", "alice"]);
    assert_eq!(page.total_results, Some(2));

    let eng = scim
        .users()
        .list()
        .filter(
            Filter::attr("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
                .eq("Eng"),
        )
        .search()
        .await
        .unwrap();
    assert_eq!(eng.total_results, Some(2));
    let last = server.requests().last().unwrap().clone();
    assert_eq!(last.method, "POST");
    assert!(last.path.ends_with("/Users/.search"));
    assert_eq!(
        last.json().unwrap()["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    );

    // An injected value stays a literal.
    let none = scim
        .users()
        .list()
        .filter(Filter::attr("userName").eq(r#"x" or userName pr"#))
        .send()
        .await
        .unwrap();
    assert_eq!(none.total_results, Some(0));

    let err = scim
        .users()
        .list()
        .filter_str("userName eq")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_scim(err).kind(), Some(ScimErrorKind::InvalidFilter));
}

#[tokio::test]
async fn stream_pages_by_index_respects_max_results_and_resumes() {
    let (server, scim) = setup_with(ScimServer::builder().max_results(7)).await;
    server.seed_users((0..25).map(|i| User::new(format!("user{i:02}"))));
    scim.discover().await.unwrap();
    server.reset();
    let all: Vec<User> = scim
        .users()
        .list()
        .count(50)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(all[24].user_name, "user24");
    let reqs = server.requests();
    assert_eq!(
        reqs.len(),
        4,
        "25 users in pages of 7, stop at totalResults"
    );
    assert!(
        reqs[0].query.as_deref().unwrap().contains("count=7"),
        "count capped at maxResults"
    );
    assert!(reqs[1].query.as_deref().unwrap().contains("startIndex=8"));

    // Take 10, remember the position, resume elsewhere.
    let mut stream = scim.users().list().stream();
    let mut first = Vec::new();
    for _ in 0..10 {
        first.push(stream.next().await.unwrap().unwrap().user_name);
    }
    let pos = stream.cursor();
    assert_eq!(pos, StreamPosition::Index { start_index: 11 });
    drop(stream);
    let rest: Vec<User> = scim
        .users()
        .list()
        .resume(&pos)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 15);
    assert_eq!(rest[0].user_name, "user10");
}

#[tokio::test]
async fn stream_uses_cursor_paging_when_the_server_prefers_it() {
    let (server, scim) = setup_with(ScimServer::builder().cursor_paging(true).max_results(4)).await;
    server.seed_users((0..10).map(|i| User::new(format!("u{i}"))));
    scim.discover().await.unwrap();
    server.reset();
    let mut stream = scim.users().list().stream();
    let mut names = Vec::new();
    for _ in 0..5 {
        names.push(stream.next().await.unwrap().unwrap().user_name);
    }
    let pos = stream.cursor();
    assert!(
        matches!(
            &pos,
            StreamPosition::Cursor {
                cursor: Some(_),
                skip: 1
            }
        ),
        "{pos:?}"
    );
    let rest: Vec<User> = scim
        .users()
        .list()
        .resume(&pos)
        .try_collect()
        .await
        .unwrap();
    names.extend(rest.into_iter().map(|u| u.user_name));
    assert_eq!(names, (0..10).map(|i| format!("u{i}")).collect::<Vec<_>>());
    assert!(
        server.requests()[0]
            .query
            .as_deref()
            .unwrap()
            .contains("cursor=")
    );
}

#[tokio::test]
async fn dropping_a_stream_stops_paging() {
    let (server, scim) = setup_with(ScimServer::builder().max_results(5)).await;
    server.seed_users((0..50).map(|i| User::new(format!("u{i}"))));
    server.reset();
    let mut stream = scim.users().list().stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    tokio::task::yield_now().await;
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn stream_ends_with_the_error_and_keeps_its_position() {
    let (server, scim) = setup_with(ScimServer::builder().max_results(5)).await;
    server.seed_users((0..12).map(|i| User::new(format!("u{i}"))));
    let mut stream = scim.users().list().stream();
    for _ in 0..5 {
        stream.next().await.unwrap().unwrap();
    }
    // A 500 on a GET is retried by the transport; a 403 is not.
    server
        .faults()
        .on_any()
        .times(1)
        .respond(Fault::Status(403));
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(stream.next().await.is_none());
    assert_eq!(stream.cursor(), StreamPosition::Index { start_index: 6 });
}

#[tokio::test]
async fn retries_a_503_on_get() {
    let (server, scim) = setup().await;
    let id = scim.users().create(&alice()).await.unwrap().id.unwrap();
    server
        .faults()
        .on_any()
        .times(1)
        .respond(Fault::Status(503));
    let transport = scimkit::Transport::builder()
        .clock(scimkit::ManualClock::new())
        .build()
        .unwrap();
    let scim = ScimClient::builder()
        .base_url(server.base_url())
        .auth(BearerToken::new(server.bearer_token().to_string()))
        .transport(transport)
        .build()
        .unwrap();
    assert_eq!(
        scim.users().get(&id).await.unwrap().user_name,
        "alice@example.com"
    );
    let _ = scim;
}

#[tokio::test]
async fn bulk_with_bulk_ids_split_by_max_operations() {
    let (server, scim) = setup_with(ScimServer::builder().bulk_limits(2, 1024 * 1024)).await;
    scim.discover().await.unwrap();
    let bulk = Bulk::new()
        .create("a", &User::new("a"))
        .unwrap()
        .create("b", &User::new("b"))
        .unwrap()
        .create(
            "g",
            &Group::new("G")
                .member(Member::new(Bulk::reference("a")))
                .member(Member::new(Bulk::reference("b"))),
        )
        .unwrap()
        .patch::<User>(
            &Bulk::reference("a"),
            &Patch::new().replace("active", false),
        )
        .unwrap();
    let result = scim.bulk(&bulk).await.unwrap();
    assert_eq!(result.operations.len(), 4);
    assert!(
        result.operations.iter().all(|o| o.is_success()),
        "{result:?}"
    );
    let bulk_posts = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/Bulk"))
        .count();
    assert_eq!(bulk_posts, 2, "4 operations at maxOperations 2");
    let group = &server.groups()[0];
    let a_id = result.operations[0].id().unwrap();
    assert_eq!(group.members.len(), 2);
    assert_eq!(server.user(&a_id).unwrap().active, Some(false));
}

#[tokio::test]
async fn bulk_reports_per_operation_errors_and_fail_on_errors() {
    let (_server, scim) = setup().await;
    scim.users().create(&User::new("dup")).await.unwrap();
    let bulk = Bulk::new()
        .fail_on_errors(1)
        .create("x", &User::new("dup"))
        .unwrap()
        .create("y", &User::new("fresh"))
        .unwrap();
    let result = scim.bulk(&bulk).await.unwrap();
    assert_eq!(result.operations.len(), 1, "stopped after the first error");
    assert_eq!(result.operations[0].status, 409);
    assert_eq!(
        result.operations[0].error_kind(),
        Some(ScimErrorKind::Uniqueness)
    );
}

#[tokio::test]
async fn bulk_split_by_payload_size() {
    let (server, scim) = setup_with(ScimServer::builder().bulk_limits(100, 700)).await;
    scim.discover().await.unwrap();
    let mut bulk = Bulk::new();
    for i in 0..6 {
        bulk = bulk
            .create(
                &format!("u{i}"),
                &User::new(format!("user-with-a-longish-name-{i}")),
            )
            .unwrap();
    }
    let result = scim.bulk(&bulk).await.unwrap();
    assert!(result.operations.iter().all(|o| o.is_success()));
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/Bulk"))
        .map(|r| r.json().unwrap().to_string().len())
        .collect();
    assert!(
        sizes.len() > 1 && sizes.iter().all(|s| *s <= 700),
        "{sizes:?}"
    );
}

#[tokio::test]
async fn discovery_is_typed() {
    let (_server, scim) = setup().await;
    let spc = scim.discover().await.unwrap();
    assert!(spc.patch.supported && spc.bulk.supported && spc.etag.supported);
    assert_eq!(spc.filter.max_results, Some(200));
    let types = scim.resource_types().await.unwrap();
    let user = types.iter().find(|t| t.name == "User").unwrap();
    assert_eq!(user.endpoint, "/Users");
    assert_eq!(
        user.schema_extensions[0].schema,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    let schemas = scim.schemas().await.unwrap();
    let core = schemas
        .iter()
        .find(|s| s.id == "urn:ietf:params:scim:schemas:core:2.0:User")
        .unwrap();
    assert!(
        core.attributes
            .iter()
            .any(|a| a.name == "userName" && a.uniqueness.as_deref() == Some("server"))
    );
}

#[tokio::test]
async fn client_credentials_tokens_are_accepted_and_me_works() {
    let idp = TokenServer::start().await;
    idp.register_client("svc-bot", "s3cret");
    let server = ScimServer::builder().token_server(&idp).start().await;
    let creds = ClientCredentials::builder()
        .token_url(idp.token_url())
        .client_id("svc-bot")
        .client_secret("s3cret".to_string())
        .build()
        .unwrap();
    let scim = ScimClient::builder()
        .base_url(server.base_url())
        .auth(creds)
        .build()
        .unwrap();
    scim.users().create(&User::new("svc-bot")).await.unwrap();
    let me: User = scim.me().await.unwrap();
    assert_eq!(me.user_name, "svc-bot");

    let anonymous = ScimClient::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let err = anonymous.users().list().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn ids_are_path_encoded() {
    let (server, scim) = setup().await;
    let err = scim.users().get("../Groups?x=1").await.unwrap_err();
    assert!(err_scim(err).is_not_found());
    let last = server.requests().last().unwrap().path.clone();
    assert!(last.ends_with("/Users/..%2FGroups%3Fx=1"), "{last}");
}

#[tokio::test]
async fn a_429_mid_stream_is_waited_out_and_paging_continues() {
    let server = ScimServer::builder().max_results(10).start().await;
    server.seed_users((0..30).map(|i| User::new(format!("u{i}"))));
    let clock = scimkit::ManualClock::new();
    let scim = ScimClient::builder()
        .base_url(server.base_url())
        .auth(BearerToken::new(server.bearer_token().to_string()))
        .transport(
            scimkit::Transport::builder()
                .clock(clock.clone())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let mut stream = scim.users().list().stream();
    for _ in 0..10 {
        stream.next().await.unwrap().unwrap();
    }
    server
        .faults()
        .on_any()
        .times(1)
        .respond(Fault::RateLimited {
            retry_after: std::time::Duration::from_secs(7),
        });
    let rest: Vec<User> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 20);
    assert!(
        clock.sleeps().contains(&std::time::Duration::from_secs(7)),
        "{:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn dot_ids_never_reach_the_collection() {
    let (server, scim) = setup().await;
    scim.users().create(&User::new("keep-me")).await.unwrap();
    server.reset();
    // The URL library drops `.`/`..` segments: `delete("..")` was `DELETE /Users`.
    for id in ["", ".", ".."] {
        assert!(
            matches!(scim.users().delete(id).await, Err(Error::Config(_))),
            "{id:?}"
        );
        assert!(
            matches!(scim.users().get(id).await, Err(Error::Config(_))),
            "{id:?}"
        );
        assert!(matches!(
            scim.users()
                .patch(id, &Patch::new().replace("active", false))
                .await,
            Err(Error::Config(_))
        ));
    }
    assert_eq!(server.request_count(), 0);
    assert_eq!(
        scim.users().list().send().await.unwrap().total_results,
        Some(1)
    );
}
