//! Interop tier: the SCIM client against the Python reference server `scim2-server==0.8.3`.
//! Run by `interop/run-scim.sh`, which sets `SCIMKIT_INTEROP_SCIM_URL` (base URL ending in
//! `/v2`) and `SCIMKIT_INTEROP_SCIM_TOKEN` and passes `--include-ignored`; without a peer the
//! tests are listed as ignored.
#![cfg(feature = "interop")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::TryStreamExt;
use scimkit::scim::{
    Bulk, EnterpriseUser, Filter, GetOptions, Group, Member, MultiValued, Name, Patch, PatchPath,
    ScimClient, ScimErrorKind, User,
};
use scimkit::{BearerToken, Error};

fn client() -> ScimClient {
    let url = std::env::var("SCIMKIT_INTEROP_SCIM_URL").expect("SCIMKIT_INTEROP_SCIM_URL");
    let token = std::env::var("SCIMKIT_INTEROP_SCIM_TOKEN").expect("SCIMKIT_INTEROP_SCIM_TOKEN");
    ScimClient::builder()
        .base_url(url)
        .auth(BearerToken::new(token))
        .build()
        .unwrap()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", fastrand::u64(..))
}

fn scim_err(err: Error) -> Box<scimkit::ScimError> {
    match err {
        Error::Scim(e) => e,
        other => panic!("expected a SCIM error, got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn discovery() {
    let scim = client();
    let spc = scim.discover().await.unwrap();
    assert!(spc.patch.supported);
    assert!(spc.etag.supported);
    let types = scim.resource_types().await.unwrap();
    assert!(
        types
            .iter()
            .any(|t| t.name == "User" && t.endpoint.ends_with("/Users"))
    );
    let schemas = scim.schemas().await.unwrap();
    let user = schemas
        .iter()
        .find(|s| s.id == "urn:ietf:params:scim:schemas:core:2.0:User")
        .unwrap();
    assert!(user.attributes.iter().any(|a| a.name == "userName"));
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn crud_and_uniqueness() {
    let scim = client();
    let name = unique("alice");
    let user = User::new(&name)
        .display_name("Alice")
        .name(Name::new("Alice", "Liddell"))
        .email(
            MultiValued::new(format!("{name}@example.com"))
                .kind("work")
                .primary(true),
        )
        .active(true)
        .enterprise(EnterpriseUser::new().department("R&D").employee_number("7"));
    let created = scim.users().create(&user).await.unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.user_name, name);
    assert_eq!(
        created.enterprise.as_ref().unwrap().department.as_deref(),
        Some("R&D")
    );

    let dup = scim_err(scim.users().create(&User::new(&name)).await.unwrap_err());
    assert_eq!(dup.status.as_u16(), 409);
    assert_eq!(dup.kind(), Some(ScimErrorKind::Uniqueness));

    let got = scim
        .users()
        .get_with(&id, &GetOptions::new().attributes(["userName"]))
        .await
        .unwrap();
    assert_eq!(got.user_name, name);

    let mut full = scim.users().get(&id).await.unwrap();
    full.title = Some("Engineer".into());
    let replaced = scim.users().replace(&full).await.unwrap();
    assert_eq!(replaced.title.as_deref(), Some("Engineer"));

    scim.users().delete(&id).await.unwrap();
    assert!(scim_err(scim.users().get(&id).await.unwrap_err()).is_not_found());
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn patch_and_group_membership() {
    let scim = client();
    let a = scim
        .users()
        .create(
            &User::new(unique("pa"))
                .active(true)
                .email(MultiValued::new("p@x.org").kind("work")),
        )
        .await
        .unwrap();
    let b = scim.users().create(&User::new(unique("pb"))).await.unwrap();
    let (a_id, b_id) = (a.id.clone().unwrap(), b.id.clone().unwrap());

    let patched = scim
        .users()
        .patch(
            &a_id,
            &Patch::new()
                .replace("active", false)
                .replace("name.givenName", "Pat")
                .replace(
                    PatchPath::attr("emails")
                        .filter(Filter::attr("type").eq("work"))
                        .sub("value"),
                    "pat@x.org",
                ),
        )
        .await
        .unwrap();
    let after = match patched {
        Some(u) => u,
        None => scim.users().get(&a_id).await.unwrap(),
    };
    assert_eq!(after.active, Some(false));
    assert_eq!(after.name.unwrap().given_name.as_deref(), Some("Pat"));
    assert_eq!(after.emails[0].value.as_deref(), Some("pat@x.org"));

    let group = scim
        .groups()
        .create(&Group::new(unique("grp")).member(Member::user(&a_id)))
        .await
        .unwrap();
    let gid = group.id.clone().unwrap();
    scim.groups()
        .add_members(&gid, [b_id.as_str()])
        .await
        .unwrap();
    let g = scim.groups().get(&gid).await.unwrap();
    assert_eq!(g.members.len(), 2);
    scim.groups()
        .remove_members(&gid, [a_id.as_str()])
        .await
        .unwrap();
    let g = scim.groups().get(&gid).await.unwrap();
    assert_eq!(
        g.members
            .iter()
            .filter_map(|m| m.value.as_deref())
            .collect::<Vec<_>>(),
        [b_id.as_str()]
    );

    let diff_from = scim.users().get(&b_id).await.unwrap();
    let mut diff_to = diff_from.clone();
    diff_to.display_name = Some("Bee".into());
    diff_to.enterprise = Some(EnterpriseUser::new().cost_center("42"));
    scim.users()
        .patch(&b_id, &Patch::diff(&diff_from, &diff_to).unwrap())
        .await
        .unwrap();
    let b2 = scim.users().get(&b_id).await.unwrap();
    assert_eq!(b2.display_name.as_deref(), Some("Bee"));
    assert_eq!(b2.enterprise.unwrap().cost_center.as_deref(), Some("42"));
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn filters_and_paging_across_pages() {
    let scim = client();
    let prefix = unique("page");
    for i in 0..12 {
        scim.users()
            .create(&User::new(format!("{prefix}-{i:02}")).active(i % 2 == 0))
            .await
            .unwrap();
    }
    let filter = Filter::attr("userName").sw(prefix.as_str());
    let first = scim
        .users()
        .list()
        .filter(filter.clone())
        .count(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.total_results, Some(12));
    assert_eq!(first.resources.len(), 5);

    let mut stream = scim
        .users()
        .list()
        .filter(filter.clone())
        .sort_by("userName")
        .count(5)
        .stream();
    let mut names = Vec::new();
    while let Some(u) = stream.try_next().await.unwrap() {
        names.push(u.user_name);
    }
    assert_eq!(names.len(), 12);
    assert_eq!(stream.pages_fetched(), 3);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    let active = scim
        .users()
        .list()
        .filter(filter.clone().and(Filter::attr("active").eq(true)))
        .search()
        .await
        .unwrap();
    assert_eq!(active.total_results, Some(6));

    let injected = scim
        .users()
        .list()
        .filter(Filter::attr("userName").eq(format!(r#"{prefix}" or userName pr"#)))
        .send()
        .await
        .unwrap();
    assert_eq!(injected.total_results.unwrap_or(0), 0);

    let err = scim
        .users()
        .list()
        .filter_str("userName eq")
        .send()
        .await
        .unwrap_err();
    assert_eq!(scim_err(err).kind(), Some(ScimErrorKind::InvalidFilter));
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn etags_and_stale_versions() {
    let scim = client();
    let v1 = scim
        .users()
        .create(&User::new(unique("etag")))
        .await
        .unwrap();
    let id = v1.id.clone().unwrap();
    let version = v1
        .meta
        .as_ref()
        .unwrap()
        .version
        .clone()
        .expect("a version");
    let err = scim
        .users()
        .get_with(&id, &GetOptions::new().if_none_match(version.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotModified), "{err:?}");

    let mut first = v1.clone();
    first.title = Some("one".into());
    scim.users().replace(&first).await.unwrap();
    let mut stale = v1.clone();
    stale.title = Some("two".into());
    let err = scim_err(scim.users().replace(&stale).await.unwrap_err());
    assert!(err.is_precondition_failed(), "{err:?}");
    let err = scim_err(
        scim.users()
            .patch_if_match(&id, &Patch::new().replace("title", "x"), &version)
            .await
            .unwrap_err(),
    );
    assert!(err.is_precondition_failed());
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn bulk_with_bulk_ids() {
    let scim = client();
    scim.discover().await.unwrap();
    let u = unique("bulk");
    let bulk = Bulk::new()
        .create("u1", &User::new(format!("{u}-1")))
        .unwrap()
        .create("u2", &User::new(format!("{u}-2")))
        .unwrap()
        .create(
            "g1",
            &Group::new(format!("{u}-g"))
                .member(Member::new(Bulk::reference("u1")))
                .member(Member::new(Bulk::reference("u2"))),
        )
        .unwrap();
    let result = scim.bulk(&bulk).await.unwrap();
    assert_eq!(result.operations.len(), 3, "{result:?}");
    assert!(
        result.operations.iter().all(|o| o.is_success()),
        "{result:?}"
    );
    let gid = result.operations[2].id().unwrap();
    let group = scim.groups().get(&gid).await.unwrap();
    let mut got: Vec<_> = group
        .members
        .iter()
        .filter_map(|m| m.value.clone())
        .collect();
    got.sort();
    let mut want = vec![
        result.operations[0].id().unwrap(),
        result.operations[1].id().unwrap(),
    ];
    want.sort();
    assert_eq!(got, want);
}

/// `scim2-server`'s own view of its state, read over plain HTTP (not through scimkit).
async fn server_json(path_and_query: &str) -> serde_json::Value {
    let url = std::env::var("SCIMKIT_INTEROP_SCIM_URL").expect("SCIMKIT_INTEROP_SCIM_URL");
    let token = std::env::var("SCIMKIT_INTEROP_SCIM_TOKEN").expect("SCIMKIT_INTEROP_SCIM_TOKEN");
    let response = reqwest::Client::new()
        .get(format!("{url}{path_and_query}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path_and_query}: {}",
        response.status()
    );
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// The resources a filter finds, as `scim2-server` answers it.
async fn server_find(endpoint: &str, filter: &str) -> Vec<serde_json::Value> {
    let mut url = url::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().append_pair("filter", filter);
    let page = server_json(&format!("/{endpoint}?{}", url.query().unwrap())).await;
    page["Resources"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs scim2-server: run interop/run-scim.sh"]
async fn okta_groups_pushed_by_provision_land_in_scim2_server() {
    use scimkit::mock::OktaOrg;
    use scimkit::okta::{DefaultProfile, GroupProfile, UserStatus};
    use scimkit::provision::{OktaSource, Provisioner, Target};

    let tag = fastrand::u32(..);
    let org = OktaOrg::start().await;
    let ids: Vec<String> = (0..4)
        .map(|i| {
            let mut profile = DefaultProfile::new(
                format!("push-{tag}-{i}@example.com"),
                "Push",
                format!("User{i}"),
            );
            profile.title = Some("Engineer".into());
            org.seed_user(profile, UserStatus::Active).unwrap()
        })
        .collect();
    let group_name = format!("push-{tag}-staff");
    let group = org
        .seed_group(GroupProfile::new(group_name.as_str()))
        .unwrap();
    for id in &ids[..3] {
        org.seed_membership(&group, id);
    }
    // A user made by hand on the server with the login of Okta's user 0: adopted.
    let hand = client()
        .users()
        .create(&User::new(format!("PUSH-{tag}-0@EXAMPLE.COM")).display_name("by hand"))
        .await
        .unwrap();

    let provisioner = Provisioner::builder(OktaSource::new(org.client()))
        .target(Target::new("scim2-server", client()).group(group_name.as_str()))
        .build()
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.summary().users_created, 2);
    assert_eq!(report.summary().users_updated, 1);

    // What the server itself says.
    let groups = server_find("Groups", &format!(r#"displayName eq "{group_name}""#)).await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["externalId"], group.as_str());
    let member_ids: std::collections::HashSet<String> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(member_ids.len(), 3);
    for (i, okta_id) in ids.iter().enumerate().take(3) {
        let found = server_find("Users", &format!(r#"externalId eq "{okta_id}""#)).await;
        assert_eq!(found.len(), 1, "user {i}: {found:?}");
        let user = &found[0];
        assert_eq!(user["userName"], format!("push-{tag}-{i}@example.com"));
        assert_eq!(user["active"], true);
        assert_eq!(user["title"], "Engineer");
        assert!(member_ids.contains(user["id"].as_str().unwrap()));
    }
    let adopted = server_json(&format!("/Users/{}", hand.id.clone().unwrap())).await;
    assert_eq!(
        adopted["externalId"],
        ids[0].as_str(),
        "adopted, not duplicated"
    );

    // Unchanged: nothing to write. Then one user leaves the group: deactivated, removed.
    assert!(provisioner.plan().await.unwrap().is_empty());
    org.client()
        .groups()
        .remove_user(&group, &ids[2])
        .await
        .unwrap();
    let report = provisioner.run().await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.summary().users_deactivated, 1);
    let left = server_find("Users", &format!(r#"externalId eq "{}""#, ids[2])).await;
    assert_eq!(left[0]["active"], false);
    let groups = server_find("Groups", &format!(r#"displayName eq "{group_name}""#)).await;
    assert_eq!(groups[0]["members"].as_array().map_or(0, Vec::len), 2);
    assert!(provisioner.plan().await.unwrap().is_empty());
}
