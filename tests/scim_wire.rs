//! Tolerant reading and typed errors against plain wiremock answers, as real servers send them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{StreamExt, TryStreamExt};
use scimkit::scim::{ListResponse, ScimClient, ScimErrorKind, ServiceProviderConfig, User};
use scimkit::{BearerToken, Error};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client(server: &MockServer) -> ScimClient {
    ScimClient::builder()
        .base_url(format!("{}/v2", server.uri()))
        .auth(BearerToken::new("tok".to_string()))
        .transport(
            scimkit::Transport::builder()
                .retry(scimkit::RetryPolicy::never())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn json_body(status: u16, body: serde_json::Value, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), content_type)
}

#[tokio::test]
async fn reads_application_json_string_booleans_and_unknown_attributes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/Users/1"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(json_body(
            200,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:acme:User"],
                "id": "1", "userName": "a", "active": "True",
                "emails": [{"value": "a@x", "primary": "false", "type": "work", "verified": true}],
                "urn:acme:User": {"badge": "42"},
                "x-vendor": [1, 2],
            }),
            "application/json; charset=utf-8",
        ))
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let user = scim.users().get("1").await.unwrap();
    assert_eq!(user.active, Some(true));
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers["accept"],
        "application/scim+json, application/json"
    );
    assert_eq!(user.emails[0].primary, Some(false));
    assert_eq!(user.emails[0].extra["verified"], true);
    assert_eq!(user.extra["x-vendor"], json!([1, 2]));
    // Unknown attributes are written back.
    let out = serde_json::to_value(&user).unwrap();
    assert_eq!(out["urn:acme:User"]["badge"], "42");
    assert_eq!(out["emails"][0]["verified"], true);
}

#[tokio::test]
async fn list_without_total_results_pages_until_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .and(query_param("startIndex", "1"))
        .respond_with(json_body(
            200,
            json!({"Resources": [{"userName": "a"}, {"userName": "b"}]}),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .and(query_param("startIndex", "3"))
        .respond_with(json_body(
            200,
            json!({"resources": [{"userName": "c"}], "itemsPerPage": "1"}),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .and(query_param("startIndex", "4"))
        .respond_with(json_body(
            200,
            json!({"totalResults": 3, "Resources": []}),
            "application/scim+json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let users: Vec<User> = scim.users().list().stream().try_collect().await.unwrap();
    let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[tokio::test]
async fn stream_advances_by_what_was_returned_not_by_count() {
    let server = MockServer::start().await;
    // The server ignores count=10 and returns 2 per page; totalResults 5.
    for (start, names) in [
        ("1", vec!["a", "b"]),
        ("3", vec!["c", "d"]),
        ("5", vec!["e"]),
    ] {
        let resources: Vec<_> = names.iter().map(|n| json!({"userName": n})).collect();
        Mock::given(method("GET"))
            .and(path("/v2/Users"))
            .and(query_param("startIndex", start))
            .and(query_param("count", "10"))
            .respond_with(json_body(
                200,
                json!({"totalResults": "5", "Resources": resources}),
                "application/scim+json",
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let scim = client(&server).await;
    let users: Vec<User> = scim
        .users()
        .list()
        .count(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 5);
}

#[tokio::test]
async fn error_bodies_become_typed_scim_errors() {
    let server = MockServer::start().await;
    let cases = [
        (
            409,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "uniqueness", "detail": "taken"}),
            Some(ScimErrorKind::Uniqueness),
        ),
        (
            400,
            json!({"status": 400, "scimType": "invalidFilter", "detail": "bad"}),
            Some(ScimErrorKind::InvalidFilter),
        ),
        (
            400,
            json!({"status": "400", "scimType": "tooMany"}),
            Some(ScimErrorKind::TooMany),
        ),
        (
            400,
            json!({"status": "400", "scimType": "invalidValue"}),
            Some(ScimErrorKind::InvalidValue),
        ),
        (
            400,
            json!({"status": "400", "scimType": "vendorSpecific"}),
            Some(ScimErrorKind::Other("vendorSpecific".into())),
        ),
        (404, json!({"detail": "Resource 9 not found"}), None),
        (
            412,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": 412}),
            None,
        ),
    ];
    for (i, (status, body, _)) in cases.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(format!("/v2/Users/{i}")))
            .respond_with(
                json_body(*status, body.clone(), "application/scim+json")
                    .insert_header("x-request-id", "req-7"),
            )
            .mount(&server)
            .await;
    }
    let scim = client(&server).await;
    for (i, (status, _, kind)) in cases.into_iter().enumerate() {
        match scim.users().get(&i.to_string()).await.unwrap_err() {
            Error::Scim(e) => {
                assert_eq!(e.status.as_u16(), status);
                assert_eq!(e.kind(), kind);
                assert_eq!(e.request_id.as_deref(), Some("req-7"));
            }
            other => panic!("case {i}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn html_and_non_scim_errors_stay_generic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/Users/html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>login</html>", "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/Users/500"))
        .respond_with(ResponseTemplate::new(500).set_body_raw("oops", "text/plain"))
        .mount(&server)
        .await;
    let scim = client(&server).await;
    assert!(matches!(
        scim.users().get("html").await.unwrap_err(),
        Error::Decode { .. }
    ));
    assert!(
        matches!(scim.users().get("500").await.unwrap_err(), Error::Http(e) if e.status == 500)
    );
}

#[tokio::test]
async fn patch_answered_204_or_200_and_etag_header_becomes_version() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v2/Users/1"))
        .and(header("content-type", "application/scim+json"))
        .and(body_partial_json(
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/Users/2"))
        .respond_with(
            json_body(200, json!({"id": "2", "userName": "b"}), "application/json")
                .insert_header("etag", "W/\"9\""),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/Users/2"))
        .and(header("if-match", "W/\"9\""))
        .respond_with(json_body(
            200,
            json!({"id": "2", "userName": "b2", "meta": {"version": "W/\"10\""}}),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let patch = scimkit::scim::Patch::new().replace("active", false);
    assert!(scim.users().patch("1", &patch).await.unwrap().is_none());
    let mut b = scim.users().patch("2", &patch).await.unwrap().unwrap();
    assert_eq!(b.meta.as_ref().unwrap().version.as_deref(), Some("W/\"9\""));
    b.user_name = "b2".into();
    assert_eq!(scim.users().replace(&b).await.unwrap().user_name, "b2");
}

#[tokio::test]
async fn discovery_tolerates_missing_parts_and_bare_arrays() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/ServiceProviderConfig"))
        .respond_with(json_body(200, json!({"patch": {"supported": "true"}, "filter": {"supported": true, "maxResults": "50"}}), "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/ResourceTypes"))
        .respond_with(json_body(200, json!([{"name": "User", "endpoint": "/Users", "schema": "urn:ietf:params:scim:schemas:core:2.0:User"}]), "application/json"))
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let spc: std::sync::Arc<ServiceProviderConfig> = scim.discover().await.unwrap();
    assert!(spc.patch.supported);
    assert!(!spc.bulk.supported);
    assert_eq!(spc.filter.max_results, Some(50));
    assert_eq!(scim.resource_types().await.unwrap()[0].name, "User");
    // The client respects the lack of bulk support.
    let err = scim.bulk(&scimkit::scim::Bulk::new()).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)));
}

#[test]
fn list_response_tolerates_strings_nulls_and_unknowns() {
    let page: ListResponse<User> = serde_json::from_str(
        r#"{"totalResults":"2","startIndex":null,"Resources":null,"nextCursor":"abc","vendor":1}"#,
    )
    .unwrap();
    assert_eq!(page.total_results, Some(2));
    assert!(page.resources.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("abc"));
    assert_eq!(page.extra["vendor"], 1);
}

#[test]
fn password_is_redacted_in_debug() {
    let u = User::new("a").password("hunter2".to_string());
    assert!(!format!("{u:?}").contains("hunter2"));
    assert_eq!(serde_json::to_value(&u).unwrap()["password"], "hunter2");
}

#[test]
fn builder_refuses_plain_http_to_remote_hosts() {
    let err = ScimClient::builder()
        .base_url("http://scim.example.com/v2")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InsecureUrl { .. }));
    assert!(matches!(
        ScimClient::builder().build().unwrap_err(),
        Error::Config(_)
    ));
}

mod custom {
    use super::*;
    use scimkit::scim::{Extension, Extra, Meta, Resource};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Device {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        serial_number: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        meta: Option<Meta>,
        #[serde(flatten)]
        extra: Extra,
    }

    impl Resource for Device {
        const SCHEMA: &'static str = "urn:example:scim:schemas:Device";
        const ENDPOINT: &'static str = "Devices";
        fn id(&self) -> Option<&str> {
            self.id.as_deref()
        }
        fn meta(&self) -> Option<&Meta> {
            self.meta.as_ref()
        }
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Badge {
        number: String,
    }

    impl Extension for Badge {
        const URN: &'static str = "urn:example:params:scim:schemas:extension:Badge";
    }

    #[tokio::test]
    async fn custom_resource_types_use_every_operation() {
        let server = MockServer::start().await;
        let stored = json!({"schemas": ["urn:example:scim:schemas:Device"], "id": "d1", "serialNumber": "SN1",
                            "meta": {"version": "W/\"1\""}, "owner": "alice"});
        Mock::given(method("POST"))
            .and(path("/v2/Devices"))
            .and(body_partial_json(
                json!({"schemas": ["urn:example:scim:schemas:Device"], "serialNumber": "SN1"}),
            ))
            .respond_with(json_body(201, stored.clone(), "application/scim+json"))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/Devices/d1"))
            .respond_with(json_body(200, stored.clone(), "application/scim+json"))
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path("/v2/Devices/d1"))
            .and(header("if-match", "W/\"1\""))
            .respond_with(json_body(200, stored.clone(), "application/scim+json"))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/Devices"))
            .respond_with(json_body(
                200,
                json!({"totalResults": 1, "Resources": [stored]}),
                "application/scim+json",
            ))
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/v2/Devices/d1"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        let scim = client(&server).await;
        let devices = scim.resources::<Device>();
        let d = devices
            .create(&Device {
                id: None,
                serial_number: "SN1".into(),
                meta: None,
                extra: Extra::new(),
            })
            .await
            .unwrap();
        assert_eq!(d.extra["owner"], "alice");
        let got = devices.get("d1").await.unwrap();
        devices.replace(&got).await.unwrap();
        let all: Vec<Device> = devices.list().stream().try_collect().await.unwrap();
        assert_eq!(all.len(), 1);
        devices.delete("d1").await.unwrap();
    }

    #[tokio::test]
    async fn custom_extensions_are_listed_in_schemas_when_written() {
        let server = scimkit::mock::ScimServer::start().await;
        let scim = ScimClient::builder()
            .base_url(server.base_url())
            .auth(BearerToken::new(server.bearer_token().to_string()))
            .build()
            .unwrap();
        let mut user = User::new("badge-holder");
        user.set_extension(&Badge {
            number: "42".into(),
        })
        .unwrap();
        let created = scim.users().create(&user).await.unwrap();
        assert_eq!(
            created.extension::<Badge>().unwrap(),
            Some(Badge {
                number: "42".into()
            })
        );
        let sent = server.requests()[0].json().unwrap();
        assert!(
            sent["schemas"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == Badge::URN)
        );
    }
}

#[tokio::test]
async fn patch_refused_when_the_server_says_it_has_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/ServiceProviderConfig"))
        .respond_with(json_body(
            200,
            json!({"patch": {"supported": false}}),
            "application/scim+json",
        ))
        .mount(&server)
        .await;
    let scim = client(&server).await;
    scim.discover().await.unwrap();
    let err = scim
        .users()
        .patch("1", &scimkit::scim::Patch::new().replace("active", false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no PATCH was sent"
    );
}

#[test]
fn a_base_url_with_credentials_is_refused_and_never_shown() {
    let builder = ScimClient::builder()
        .base_url("https://scim:hunter2@pam.example.com/scim/v2?token=abc")
        .auth(BearerToken::new("t".to_string()));
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("abc"),
        "{shown}"
    );
    let err = builder.build().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("auth(..)") && !err.to_string().contains("hunter2"));
}

#[tokio::test]
async fn a_server_ignoring_start_index_without_total_results_does_not_loop_forever() {
    let server = MockServer::start().await;
    // Every request, whatever its startIndex, gets the same first page and no totalResults.
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .respond_with(json_body(
            200,
            json!({"Resources": [{"id": "1", "userName": "a"}, {"id": "2", "userName": "b"}]}),
            "application/json",
        ))
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let users: Vec<User> = scim
        .users()
        .list()
        .stream()
        .take(10)
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "the repeated page is not yielded again");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_next_cursor_that_repeats_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .and(query_param("cursor", ""))
        .respond_with(json_body(
            200,
            json!({"Resources": [{"id": "1", "userName": "a"}], "nextCursor": "c1"}),
            "application/scim+json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/Users"))
        .and(query_param("cursor", "c1"))
        .respond_with(json_body(
            200,
            json!({"Resources": [{"id": "2", "userName": "b"}], "nextCursor": "c1"}),
            "application/scim+json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let scim = client(&server).await;
    let users: Vec<User> = scim
        .users()
        .list()
        .cursor("")
        .stream()
        .take(10)
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}
