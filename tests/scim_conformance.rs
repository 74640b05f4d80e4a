//! `mock::ScimServer` against the service provider's MUSTs of RFC 7643 (SCIM core schema)
//! and RFC 7644 (SCIM protocol), walked section by section.
//!
//! The tests speak HTTP with `reqwest` directly, so they check the wire, not this crate's
//! client. Each test cites the section and quotes its requirement; each requirement it
//! checks carries a `[MUST n]` tag (SHALL and MUST NOT count as MUST; a SHOULD the mock
//! follows is tagged `[SHOULD]` and not counted). Where the RFC lets a server choose, the
//! test says which choice the mock makes and checks the builder option for the other one.
//!
//! Out of scope, on purpose: TLS (§7.1 of RFC 7644: the mock serves plain HTTP on
//! loopback), `/Me` write operations, password change (`changePassword.supported` is false)
//! and the service provider's own authorization model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use reqwest::header::HeaderMap;
use scimkit::mock::{ScimServer, ScimServerBuilder};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// A service provider under test and a bare HTTP client for it.
struct Sp {
    server: ScimServer,
    http: reqwest::Client,
}

/// One HTTP answer.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self
    }

    /// Asserts a SCIM error (RFC 7644 §3.12) with this status and scimType.
    #[track_caller]
    fn expect_error(self, status: u16, scim_type: Option<&str>) -> Answer {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        assert_eq!(self.body["schemas"], json!([ERROR]), "{}", self.body);
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "{}",
            self.body
        );
        assert_eq!(
            self.body.get("scimType").and_then(Value::as_str),
            scim_type,
            "{}",
            self.body
        );
        self
    }

    fn resources(&self) -> Vec<Value> {
        self.body["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn ids(&self) -> Vec<String> {
        self.resources()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Sp {
    async fn start() -> Sp {
        Sp::with(ScimServer::builder()).await
    }

    async fn with(builder: ScimServerBuilder) -> Sp {
        Sp {
            server: builder.start().await,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.server.base_url())
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.server.bearer_token());
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }
    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(body), &[]).await
    }
    async fn put(&self, path: &str, body: Value) -> Answer {
        self.send("PUT", path, Some(body), &[]).await
    }
    async fn patch(&self, path: &str, operations: Value) -> Answer {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        self.send("PATCH", path, Some(body), &[]).await
    }
    async fn delete(&self, path: &str) -> Answer {
        self.send("DELETE", path, None, &[]).await
    }

    /// Creates a user; returns the server's representation.
    async fn user(&self, body: Value) -> Value {
        let mut body = body;
        if body.get("schemas").is_none() {
            body["schemas"] = json!([USER]);
        }
        self.post("/Users", body).await.expect(201).body
    }

    async fn user_named(&self, user_name: &str) -> Value {
        self.user(json!({"userName": user_name})).await
    }

    async fn group(&self, name: &str, members: &[&Value]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m["id"]})).collect();
        self.post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": name, "members": members}),
        )
        .await
        .expect(201)
        .body
    }
}

fn id(resource: &Value) -> &str {
    resource["id"].as_str().unwrap()
}

fn user_path(resource: &Value) -> String {
    format!("/Users/{}", id(resource))
}

fn group_path(resource: &Value) -> String {
    format!("/Groups/{}", id(resource))
}

/// Percent-encodes a query value.
fn q(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// RFC 7643 §2.3.5: an xsd:dateTime with a time zone.
fn is_xsd_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' {
        return false;
    }
    if !digits(8..10) || b[10] != b'T' || !digits(11..13) || b[13] != b':' || !digits(14..16) {
        return false;
    }
    if b[16] != b':' || !digits(17..19) {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':')
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §4 and RFC 7643 §5-§7: service provider configuration endpoints
// ---------------------------------------------------------------------------------------

/// RFC 7644 §4: "/ServiceProviderConfig ... This endpoint SHALL return responses with a JSON
/// object using a "schemas" attribute of ...ServiceProviderConfig"; RFC 7643 §5 lists the
/// REQUIRED attributes.
#[tokio::test]
async fn service_provider_config_describes_the_features() {
    let sp = Sp::start().await;
    let spc = sp.get("/ServiceProviderConfig").await.expect(200).body;
    // [MUST 1] the ServiceProviderConfig schema URI.
    assert_eq!(spc["schemas"], json!([SPC]));
    // [MUST 2] RFC 7643 §5: patch, bulk, filter, changePassword, sort, etag are REQUIRED,
    // each with a REQUIRED "supported"; bulk's maxOperations/maxPayloadSize and filter's
    // maxResults are REQUIRED.
    for feature in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
        assert!(spc[feature]["supported"].is_boolean(), "{feature}: {spc}");
    }
    assert!(spc["bulk"]["maxOperations"].is_u64());
    assert!(spc["bulk"]["maxPayloadSize"].is_u64());
    assert!(spc["filter"]["maxResults"].is_u64());
    // [MUST 3] "authenticationSchemes ... REQUIRED": each with type, name and description.
    let schemes = spc["authenticationSchemes"].as_array().unwrap();
    assert!(!schemes.is_empty());
    for s in schemes {
        for field in ["type", "name", "description"] {
            assert!(s[field].is_string(), "{field}: {s}");
        }
    }
}

/// RFC 7644 §4: "When returning multiple ResourceTypes or Schemas, the message form described
/// by the ...ListResponse form SHALL be used"; "In cases where a request is for a specific
/// "ResourceType" or "Schema", the single JSON object is returned".
#[tokio::test]
async fn resource_types_list_and_single() {
    let sp = Sp::start().await;
    let list = sp.get("/ResourceTypes").await.expect(200);
    // [MUST 4] ListResponse form for several.
    assert_eq!(list.body["schemas"], json!([LIST]));
    assert_eq!(list.body["totalResults"], 2);
    for rt in list.resources() {
        // [MUST 5] RFC 7643 §6: name, endpoint and schema are REQUIRED; the ResourceType
        // schema URI.
        assert_eq!(rt["schemas"], json!([RESOURCE_TYPE]));
        for field in ["id", "name", "endpoint", "schema"] {
            assert!(rt[field].is_string(), "{field}: {rt}");
        }
    }
    // [MUST 6] a single object for one.
    let user = sp.get("/ResourceTypes/User").await.expect(200).body;
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER);
    assert_eq!(user["schemaExtensions"][0]["schema"], ENTERPRISE);
    assert_eq!(user["schemaExtensions"][0]["required"], false);
    sp.get("/ResourceTypes/Printer")
        .await
        .expect_error(404, None);
}

/// RFC 7644 §4: "An HTTP GET to the endpoint "/Schemas" SHALL return all supported schemas
/// in ListResponse format"; "Individual schema definitions can be returned by appending the
/// schema URI to the /Schemas endpoint".
#[tokio::test]
async fn schemas_list_and_single() {
    let sp = Sp::start().await;
    let list = sp.get("/Schemas").await.expect(200);
    // [MUST 7]
    assert_eq!(list.body["schemas"], json!([LIST]));
    let ids: Vec<&str> = list.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for wanted in [USER, GROUP, ENTERPRISE] {
        assert!(ids.contains(&wanted), "{ids:?}");
    }
    // [MUST 8]
    let one = sp
        .get(&format!("/Schemas/{ENTERPRISE}"))
        .await
        .expect(200)
        .body;
    assert_eq!(one["id"], ENTERPRISE);
    assert_eq!(one["schemas"], json!([SCHEMA]));
    sp.get("/Schemas/urn:example:nothing")
        .await
        .expect_error(404, None);
}

/// RFC 7643 §7: each attribute definition has name, type, multiValued, required, caseExact,
/// mutability, returned and uniqueness; "subAttributes ... REQUIRED" for complex attributes;
/// "referenceTypes ... REQUIRED" for reference attributes.
#[tokio::test]
async fn schema_attribute_definitions_are_complete() {
    let sp = Sp::start().await;
    let list = sp.get("/Schemas").await.expect(200);
    fn check(attr: &Value, at: &str) {
        let name = attr["name"].as_str().unwrap();
        let at = format!("{at}.{name}");
        for field in [
            "name",
            "type",
            "mutability",
            "returned",
            "uniqueness",
            "description",
        ] {
            assert!(attr[field].is_string(), "{at}: {field} missing in {attr}");
        }
        for field in ["multiValued", "required", "caseExact"] {
            assert!(attr[field].is_boolean(), "{at}: {field} missing in {attr}");
        }
        match attr["type"].as_str().unwrap() {
            "complex" => {
                let subs = attr["subAttributes"].as_array();
                assert!(
                    subs.is_some_and(|s| !s.is_empty()),
                    "{at}: no subAttributes"
                );
                for sub in subs.unwrap() {
                    check(sub, &at);
                }
            }
            "reference" => {
                assert!(
                    attr["referenceTypes"]
                        .as_array()
                        .is_some_and(|r| !r.is_empty()),
                    "{at}: no referenceTypes"
                );
            }
            "string" | "boolean" | "decimal" | "integer" | "dateTime" | "binary" => {}
            other => panic!("{at}: unknown type {other}"),
        }
    }
    // [MUST 9]
    for schema in list.resources() {
        for attr in schema["attributes"].as_array().unwrap() {
            check(attr, schema["name"].as_str().unwrap());
        }
    }
}

/// Looks a (sub-)attribute up in a schema document, case-insensitively.
fn declared<'a>(attrs: &'a Value, name: &str) -> Option<&'a Value> {
    attrs.as_array()?.iter().find(|a| {
        a["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// Every attribute of `resource` (and of its extensions) is declared by the schemas the server
/// publishes, with its sub-attributes; panics naming the first one that is not.
fn assert_self_described(resource: &Value, schemas: &[Value], core: &str) {
    let schema = |urn: &str| {
        schemas
            .iter()
            .find(|s| {
                s["id"]
                    .as_str()
                    .is_some_and(|i| i.eq_ignore_ascii_case(urn))
            })
            .unwrap_or_else(|| panic!("{urn} is not published"))
    };
    fn walk(map: &serde_json::Map<String, Value>, attrs: &Value, at: &str) {
        for (key, value) in map {
            let Some(def) = declared(attrs, key) else {
                panic!("{at}{key} is returned but not declared");
            };
            let items: Vec<&Value> = match value {
                Value::Array(items) => {
                    assert_eq!(def["multiValued"], true, "{at}{key} is an array");
                    items.iter().collect()
                }
                other => vec![other],
            };
            if def["type"] == "complex" {
                for item in items {
                    walk(
                        item.as_object().unwrap(),
                        &def["subAttributes"],
                        &format!("{at}{key}."),
                    );
                }
            }
        }
    }
    let map = resource.as_object().unwrap();
    let core_attrs = &schema(core)["attributes"];
    let common = ["schemas", "id", "externalId", "meta"];
    for (key, value) in map {
        if common.iter().any(|c| c.eq_ignore_ascii_case(key)) {
            continue;
        }
        if key.starts_with("urn:") {
            walk(
                value.as_object().unwrap(),
                &schema(key)["attributes"],
                &format!("{key}:"),
            );
        } else {
            let single = serde_json::Map::from_iter([(key.clone(), value.clone())]);
            walk(&single, core_attrs, "");
        }
    }
}

/// RFC 7644 §4: the schemas describe "resource schemas supported by a SCIM service provider";
/// RFC 7643 §7: "subAttributes ... defines a set of sub-attributes". A client that validates
/// answers against what `/Schemas` publishes must accept the server's own answers: a user
/// in a group (`groups` with `$ref` and `type`), with the enterprise extension and a manager,
/// and a group with members.
#[tokio::test]
async fn every_returned_attribute_is_published() {
    let sp = Sp::start().await;
    let boss = sp.user_named("boss").await;
    let user = sp
        .user(json!({
            "schemas": [USER, ENTERPRISE],
            "userName": "bjensen", "externalId": "b1", "displayName": "Babs", "nickName": "Babs",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
            "addresses": [{"streetAddress": "100 Universal City Plaza", "type": "work", "primary": true}],
            "title": "Tour Guide", "userType": "Employee", "preferredLanguage": "en-US",
            "locale": "en-US", "timezone": "America/Los_Angeles", "active": true,
            "profileUrl": "https://login.example.com/bjensen",
            "roles": [{"value": "admin"}], "entitlements": [{"value": "boat"}],
            "ims": [{"value": "babs", "type": "xmpp"}], "photos": [{"value": "https://photos.example.com/b.jpg", "type": "photo"}],
            "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
            ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
                         "division": "Theme Park", "department": "Tour Operations",
                         "manager": {"value": boss["id"]}},
        }))
        .await;
    let inner = sp.group("inner", &[&user]).await;
    let outer = sp.group("outer", &[&inner, &boss]).await;
    let schemas = sp.get("/Schemas").await.expect(200).resources();
    // [MUST 10]
    let fetched = sp.get(&user_path(&user)).await.expect(200).body;
    assert!(
        fetched["groups"].as_array().is_some_and(|g| !g.is_empty()),
        "{fetched}"
    );
    assert_self_described(&fetched, &schemas, USER);
    for group in [&inner, &outer] {
        let fetched = sp.get(&group_path(group)).await.expect(200).body;
        assert_self_described(&fetched, &schemas, GROUP);
    }
}

/// RFC 7644 §4: "Query parameters described in Section 3.4.2, such as filtering, sorting, and
/// pagination, SHALL be ignored. If a "filter" is provided, the service provider SHOULD
/// respond with HTTP status code 403 (Forbidden)".
#[tokio::test]
async fn discovery_ignores_query_parameters_and_forbids_filters() {
    let sp = Sp::start().await;
    // [MUST 11]
    let paged = sp
        .get("/Schemas?count=1&startIndex=2&sortBy=name")
        .await
        .expect(200);
    assert_eq!(paged.resources().len(), 3);
    let paged = sp.get("/ResourceTypes?count=1").await.expect(200);
    assert_eq!(paged.resources().len(), 2);
    // [SHOULD] 403 for a filter.
    sp.get(&format!("/Schemas?filter={}", q("id eq \"x\"")))
        .await
        .expect_error(403, None);
    sp.get(&format!("/ResourceTypes?filter={}", q("name eq \"User\"")))
        .await
        .expect_error(403, None);
}

/// RFC 7231 §6.5.5 (RFC 7644 §3.2 builds on HTTP): the discovery endpoints are read-only;
/// a write answers 405, and "The origin server MUST generate an Allow header field in a 405
/// response containing a list of the target resource's currently supported methods."
#[tokio::test]
async fn writes_to_discovery_endpoints_are_405_with_allow() {
    let sp = Sp::start().await;
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
        &format!("/Schemas/{USER}"),
    ] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let answer = sp
                .send(method, path, Some(json!({"schemas": [SCHEMA]})), &[])
                .await
                .expect_error(405, None);
            // [MUST 12]
            assert_eq!(answer.header("allow"), Some("GET"), "{method} {path}");
        }
    }
    // And on the other endpoints, the methods they do not take.
    for (method, path, allow) in [
        ("GET", "/Users/.search", "POST"),
        ("GET", "/.search", "POST"),
        ("PUT", "/Bulk", "POST"),
        ("GET", "/Bulk", "POST"),
        ("DELETE", "/", "GET"),
    ] {
        let answer = sp
            .send(method, path, None, &[])
            .await
            .expect_error(405, None);
        assert_eq!(answer.header("allow"), Some(allow), "{method} {path}");
    }
    let answer = sp
        .send("DELETE", "/Users", None, &[])
        .await
        .expect_error(405, None);
    assert_eq!(answer.header("allow"), Some("GET, POST"));
    let user = sp.user_named("u").await;
    let answer = sp
        .send("POST", &user_path(&user), Some(json!({})), &[])
        .await;
    let answer = answer.expect_error(405, None);
    assert_eq!(answer.header("allow"), Some("GET, PUT, PATCH, DELETE"));
}

// ---------------------------------------------------------------------------------------
// RFC 7643 §2-§4: attributes, common attributes, User and Group
// ---------------------------------------------------------------------------------------

/// RFC 7643 §2.1: "Attribute names are case insensitive"; the server still answers with the
/// names its schema defines.
#[tokio::test]
async fn attribute_names_are_case_insensitive_on_input() {
    let sp = Sp::start().await;
    // [MUST 13]
    let user = sp
        .user(
            json!({"schemas": [USER], "USERNAME": "Casey", "Name": {"GivenName": "C"},
                     "EMAILS": [{"VALUE": "c@example.com"}]}),
        )
        .await;
    assert_eq!(user["userName"], "Casey");
    assert_eq!(user["name"]["givenName"], "C");
    assert_eq!(user["emails"][0]["value"], "c@example.com");
    assert!(user.get("USERNAME").is_none(), "{user}");
    // URN-qualified names (RFC 7644 §3.10) land where they belong.
    let qualified = sp
        .user(json!({"schemas": [USER, ENTERPRISE],
            format!("{USER}:userName"): "Quinn",
            format!("{ENTERPRISE}:department"): "Ops"}))
        .await;
    assert_eq!(qualified["userName"], "Quinn");
    assert_eq!(qualified[ENTERPRISE], json!({"department": "Ops"}));
    assert_eq!(qualified["schemas"], json!([USER, ENTERPRISE]));
}

/// RFC 7643 §2.5: "Unassigned attributes, the null value, or empty array (in the case of a
/// multi-valued attribute) SHALL be considered to be equivalent in "state"."
#[tokio::test]
async fn null_and_empty_are_unassigned() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "n", "title": null, "emails": [], "name": {}}))
        .await;
    // [MUST 14]
    for attr in ["title", "emails", "name"] {
        assert!(user.get(attr).is_none(), "{attr} in {user}");
    }
    let found = sp
        .get(&format!("/Users?filter={}", q("title pr or emails pr")))
        .await
        .expect(200);
    assert_eq!(found.body["totalResults"], 0);
}

/// RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more than once."
/// Choice: a lenient server keeps the first value marked primary; with
/// `strict_requests(true)` the request is refused (400 invalidValue).
#[tokio::test]
async fn primary_appears_at_most_once() {
    let sp = Sp::start().await;
    let body = json!({"userName": "p", "emails": [
        {"value": "a@example.com", "primary": true},
        {"value": "b@example.com", "primary": true}]});
    let user = sp.user(body.clone()).await;
    // [MUST 15]
    let primaries: Vec<&Value> = user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1, "{user}");
    assert_eq!(primaries[0]["value"], "a@example.com");

    let strict = Sp::with(ScimServer::builder().strict_requests(true)).await;
    let mut body = body;
    body["schemas"] = json!([USER]);
    strict
        .post("/Users", body)
        .await
        .expect_error(400, Some("invalidValue"));
}

/// RFC 7643 §2.3.5: "A DateTime value ... MUST be valid xsd:dateTime" with a time zone.
#[tokio::test]
async fn date_times_are_xsd_date_times() {
    let sp = Sp::start().await;
    let user = sp.user_named("d").await;
    // [MUST 16]
    for field in ["created", "lastModified"] {
        let value = user["meta"][field].as_str().unwrap();
        assert!(is_xsd_date_time(value), "{field}: {value}");
    }
}

/// RFC 7643 §3.1 "id": "Each representation of the resource MUST include a non-empty "id"
/// value. This identifier MUST be unique across the SCIM service provider's entire set of
/// resources. ... MUST NOT be specified by the client. The string "bulkId" is a reserved
/// keyword and MUST NOT be used within any unique identifier value."
#[tokio::test]
async fn ids_are_issued_by_the_server() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "i", "id": "client-chosen"}))
        .await;
    // [MUST 17] non-empty, and the client's id is not used.
    assert!(!id(&user).is_empty());
    assert_ne!(id(&user), "client-chosen");
    let group = sp.group("g", &[]).await;
    // [MUST 18] unique across resource types.
    assert_ne!(id(&user), id(&group));
    // [MUST 19] "bulkId" is reserved.
    assert!(!id(&user).contains("bulkId") && !id(&group).contains("bulkId"));
    // Every representation has it: list and search.
    let listed = sp.get("/Users?attributes=userName").await.expect(200);
    assert_eq!(listed.ids(), vec![id(&user).to_owned()]);
}

/// RFC 7643 §3.1 "meta": "resourceType ... created ... lastModified ... If this resource has
/// never been modified since its initial creation, the value MUST be the same as the value of
/// "created""; "location ... This value MUST be the same as the "Content-Location" HTTP
/// response header"; "version ... must be the same as the entity-tag (ETag) HTTP response
/// header". RFC 7644 §3.3.1: "the meta attribute "resourceType" SHALL be set by the HTTP
/// service provider to the corresponding resource type for the endpoint".
#[tokio::test]
async fn meta_matches_the_headers() {
    let sp = Sp::start().await;
    let created = sp
        .post("/Users", json!({"schemas": [USER], "userName": "m"}))
        .await
        .expect(201);
    let meta = &created.body["meta"];
    // [MUST 20]
    assert_eq!(meta["lastModified"], meta["created"]);
    // [MUST 21] meta.location == Content-Location, on 201 and 200 answers.
    assert_eq!(
        created.header("content-location"),
        meta["location"].as_str()
    );
    // [MUST 22] meta.version == ETag.
    assert_eq!(created.header("etag"), meta["version"].as_str());
    // [MUST 23] resourceType for the endpoint.
    assert_eq!(meta["resourceType"], "User");
    let group = sp.group("g", &[]).await;
    assert_eq!(group["meta"]["resourceType"], "Group");

    let path = user_path(&created.body);
    let fetched = sp.get(&path).await.expect(200);
    assert_eq!(
        fetched.header("content-location"),
        fetched.body["meta"]["location"].as_str()
    );
    assert_eq!(
        fetched.header("etag"),
        fetched.body["meta"]["version"].as_str()
    );
    let patched = sp
        .patch(
            &path,
            json!([{"op": "replace", "path": "title", "value": "T"}]),
        )
        .await
        .expect(200);
    assert_eq!(
        patched.header("etag"),
        patched.body["meta"]["version"].as_str()
    );
    assert_eq!(
        patched.header("content-location"),
        patched.body["meta"]["location"].as_str()
    );
    assert_ne!(patched.body["meta"]["version"], meta["version"]);
}

/// RFC 7643 §2.2 "readOnly: The attribute SHALL NOT be modified"; RFC 7644 §3.3: "attributes
/// whose mutability is "readOnly" ... SHALL be ignored"; RFC 7643 §3.1: meta "sub-attributes
/// are assigned by the service provider".
#[tokio::test]
async fn read_only_input_is_ignored() {
    let sp = Sp::start().await;
    let other = sp.group("other", &[]).await;
    let user = sp
        .user(json!({"userName": "r",
            "meta": {"created": "2000-01-01T00:00:00Z", "resourceType": "Printer"},
            "groups": [{"value": other["id"]}]}))
        .await;
    // [MUST 24]
    assert_ne!(user["meta"]["created"], "2000-01-01T00:00:00Z");
    assert_eq!(user["meta"]["resourceType"], "User");
    assert!(user.get("groups").is_none(), "{user}");
    let group = sp.get(&group_path(&other)).await.expect(200).body;
    assert!(group.get("members").is_none(), "{group}");
}

/// RFC 7643 §3: "schemas ... All representations of SCIM schemas MUST include a non-empty
/// array with value(s) of the URIs supported by that representation"; §3.3: an extension's
/// attributes live under its URN.
#[tokio::test]
async fn schemas_list_what_the_representation_holds() {
    let sp = Sp::start().await;
    let plain = sp.user_named("s").await;
    // [MUST 25]
    assert_eq!(plain["schemas"], json!([USER]));
    let path = user_path(&plain);
    let patched = sp
        .patch(
            &path,
            json!([{"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(patched[ENTERPRISE]["department"], "Ops");
    let removed = sp
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("{ENTERPRISE}:department")}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(removed["schemas"], json!([USER]), "{removed}");
    assert!(removed.get(ENTERPRISE).is_none(), "{removed}");
}

/// RFC 7643 §4.1.1 "password": "...the cleartext value or the hashed value of a password
/// SHALL NOT be returnable by a service provider" ("returned" is "never").
#[tokio::test]
async fn passwords_are_never_returned() {
    let sp = Sp::start().await;
    let created = sp
        .user(json!({"userName": "pw", "password": "t1meMa$heen"}))
        .await;
    let path = user_path(&created);
    // [MUST 26]
    let answers = [
        created,
        sp.get(&path).await.body,
        sp.get(&format!("{path}?attributes=password")).await.body,
        sp.get("/Users?attributes=password,userName")
            .await
            .resources()[0]
            .clone(),
        sp.post(
            "/Users/.search",
            json!({"schemas": [SEARCH], "attributes": ["password"]}),
        )
        .await
        .resources()[0]
            .clone(),
        sp.put(
            &path,
            json!({"schemas": [USER], "userName": "pw", "password": "n3w"}),
        )
        .await
        .body,
    ];
    for answer in answers {
        assert!(answer.get("password").is_none(), "{answer}");
        assert!(!answer.to_string().contains("t1meMa$heen"));
    }
}

/// RFC 7643 §4.1.1 "userName": "REQUIRED ... MUST be unique across the service provider's
/// entire set of Users"; RFC 7644 §3.3: "the service provider MUST return HTTP status code 409
/// (Conflict) with a "scimType" error code of "uniqueness"". userName is not caseExact, so
/// uniqueness is case-insensitive.
#[tokio::test]
async fn user_names_are_unique() {
    let sp = Sp::start().await;
    let first = sp.user_named("bjensen").await;
    // [MUST 27] POST.
    sp.post("/Users", json!({"schemas": [USER], "userName": "BJensen"}))
        .await
        .expect_error(409, Some("uniqueness"));
    // [MUST 27] also when PUT or PATCH would make a duplicate.
    let second = sp.user_named("other").await;
    sp.put(
        &user_path(&second),
        json!({"schemas": [USER], "userName": "bjensen"}),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    sp.patch(
        &user_path(&second),
        json!([{"op": "replace", "path": "userName", "value": "BJENSEN"}]),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    // Renaming oneself is not a conflict.
    sp.put(
        &user_path(&first),
        json!({"schemas": [USER], "userName": "BJensen"}),
    )
    .await
    .expect(200);
    // [MUST 28] REQUIRED: a missing or empty userName is refused.
    sp.post("/Users", json!({"schemas": [USER], "displayName": "x"}))
        .await
        .expect_error(400, Some("invalidValue"));
    sp.post("/Groups", json!({"schemas": [GROUP]}))
        .await
        .expect_error(400, Some("invalidValue"));
}

/// RFC 7643 §4.1.2 "groups": "...Since this attribute has a mutability of "readOnly", group
/// membership changes MUST be applied via the "Group" Resource"; "type ... either "direct"
/// or "indirect"" (nested groups give indirect membership).
#[tokio::test]
async fn user_groups_are_read_only_and_include_nested_groups() {
    let sp = Sp::start().await;
    let user = sp.user_named("g").await;
    let inner = sp.group("inner", &[&user]).await;
    let outer = sp.group("outer", &[&inner]).await;
    let fetched = sp.get(&user_path(&user)).await.expect(200).body;
    let groups = fetched["groups"].as_array().unwrap();
    let find = |g: &Value| {
        groups
            .iter()
            .find(|x| x["value"] == g["id"])
            .cloned()
            .unwrap()
    };
    assert_eq!(find(&inner)["type"], "direct");
    assert_eq!(find(&outer)["type"], "indirect");
    assert_eq!(find(&inner)["$ref"], inner["meta"]["location"]);
    assert_eq!(find(&inner)["display"], "inner");
    // [MUST 29] a PATCH of groups on the user is refused.
    sp.patch(
        &user_path(&user),
        json!([{"op": "add", "path": "groups", "value": [{"value": outer["id"]}]}]),
    )
    .await
    .expect_error(400, Some("mutability"));
}

/// RFC 7643 §4.2 "members": "The "value" sub-attribute contains the value of an "id"
/// attribute of a SCIM resource, and the "$ref" sub-attribute must be the URI of a SCIM
/// resource such as a "User", or a "Group"."
/// Choice: RFC 7644 lets a server accept members it does not hold (real servers do: the
/// member may be provisioned later); `require_existing_members(true)` refuses them.
#[tokio::test]
async fn group_members_refer_to_resources() {
    let sp = Sp::start().await;
    let user = sp.user_named("m").await;
    let group = sp.group("g", &[&user]).await;
    let member = &group["members"][0];
    // [MUST 30]
    assert_eq!(member["value"], user["id"]);
    assert_eq!(member["$ref"], user["meta"]["location"]);
    assert_eq!(member["type"], "User");

    let ghost =
        json!({"schemas": [GROUP], "displayName": "ghosts", "members": [{"value": "no-such-id"}]});
    let accepted = sp.post("/Groups", ghost.clone()).await.expect(201).body;
    assert_eq!(accepted["members"][0]["value"], "no-such-id");
    let strict = Sp::with(ScimServer::builder().require_existing_members(true)).await;
    strict
        .post("/Groups", ghost)
        .await
        .expect_error(400, Some("invalidValue"));
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.3: creating resources
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.3: "When the service provider successfully creates the new resource, an HTTP
/// response SHALL be returned with HTTP status code 201 (Created). ... The URI of the created
/// resource SHALL include, in the HTTP "Location" header and the HTTP body, a JSON
/// representation [RFC7159] with the attribute "meta.location"."
#[tokio::test]
async fn create_answers_201_with_location() {
    let sp = Sp::start().await;
    let answer = sp
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "c", "displayName": "C"}),
        )
        .await;
    // [MUST 31]
    let answer = answer.expect(201);
    // [MUST 32]
    let location = answer.header("location").unwrap().to_owned();
    assert_eq!(answer.body["meta"]["location"], location.as_str());
    assert!(location.ends_with(&format!("/Users/{}", id(&answer.body))));
    // The location answers.
    let fetched = sp.get(&location).await.expect(200).body;
    assert_eq!(fetched["displayName"], "C");
    // An unknown resource endpoint is 404.
    sp.post("/Printers", json!({"schemas": [USER], "userName": "x"}))
        .await
        .expect_error(404, None);
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.4: retrieving resources
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.4.1: "If the resource exists, the server responds with HTTP status code 200
/// (OK) and includes the result in the body of the response"; §3.12: "404 (Not Found)
/// Specified resource (e.g., User) or endpoint does not exist."
#[tokio::test]
async fn get_known_and_unknown() {
    let sp = Sp::start().await;
    let user = sp.user_named("k").await;
    // [MUST 33]
    let fetched = sp.get(&user_path(&user)).await.expect(200).body;
    assert_eq!(fetched["userName"], "k");
    // [MUST 34]
    sp.get("/Users/nope").await.expect_error(404, None);
    sp.get(&format!("/Groups/{}", id(&user)))
        .await
        .expect_error(404, None);
    sp.get("/Nothing/here").await.expect_error(404, None);
}

/// RFC 7644 §3.4.2: a query answers a ListResponse: "totalResults ... REQUIRED",
/// "Resources ... REQUIRED if "totalResults" is non-zero", "startIndex ... REQUIRED when
/// partial results are returned due to pagination", "itemsPerPage ... REQUIRED when partial
/// results are returned"; "If the query results in no matches, ... 200 (OK)".
#[tokio::test]
async fn list_responses_have_the_list_shape() {
    let sp = Sp::start().await;
    let empty = sp.get("/Users").await.expect(200).body;
    // [MUST 35]
    assert_eq!(empty["schemas"], json!([LIST]));
    assert_eq!(empty["totalResults"], 0);
    for name in ["a", "b", "c"] {
        sp.user_named(name).await;
    }
    let page = sp.get("/Users?startIndex=2&count=1").await.expect(200).body;
    // [MUST 36]
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"].as_array().unwrap().len(), 1);
}

/// RFC 7644 §3.4.2: "A query against a server root indicates that all resources within the
/// server SHALL be included, subject to filtering."
#[tokio::test]
async fn queries_at_the_root_span_every_resource_type() {
    let sp = Sp::start().await;
    let user = sp.user_named("root-user").await;
    let group = sp.group("root-group", &[]).await;
    let base = sp.server.base_url();
    // [MUST 37]
    let all = sp.get(&format!("{base}/")).await.expect(200);
    assert_eq!(all.body["totalResults"], 2);
    let mut ids = all.ids();
    ids.sort();
    let mut wanted = vec![id(&user).to_owned(), id(&group).to_owned()];
    wanted.sort();
    assert_eq!(ids, wanted);
    let groups = sp
        .get(&format!(
            "{base}/?filter={}",
            q("meta.resourceType eq \"Group\"")
        ))
        .await
        .expect(200);
    assert_eq!(groups.ids(), vec![id(&group).to_owned()]);
}

/// RFC 7644 §3.4.2.2: "Attribute names and attribute operators used in filters are case
/// insensitive."
#[tokio::test]
async fn filter_names_and_operators_are_case_insensitive() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "fil", "name": {"familyName": "Jensen"}}))
        .await;
    // [MUST 38]
    for filter in [
        "USERNAME EQ \"fil\"",
        "userName Eq \"fil\"",
        "NAME.FAMILYNAME sw \"jen\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"fil\"",
    ] {
        let found = sp
            .get(&format!("/Users?filter={}", q(filter)))
            .await
            .expect(200);
        assert_eq!(found.ids(), vec![id(&user).to_owned()], "{filter}");
    }
}

/// RFC 7644 §3.4.2.2: "When comparing attributes of type String, the case sensitivity for
/// String type attributes SHALL be determined by the attribute's "caseExact" characteristic".
/// userName is caseExact false, externalId and id are caseExact true (RFC 7643 §3.1, §8.7.1).
#[tokio::test]
async fn filters_follow_case_exact() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "Case", "externalId": "Ext-1"}))
        .await;
    let count = |filter: &'static str| {
        let sp = &sp;
        async move {
            sp.get(&format!("/Users?filter={}", q(filter)))
                .await
                .expect(200)
                .body["totalResults"]
                .as_u64()
                .unwrap()
        }
    };
    // [MUST 39]
    assert_eq!(count("userName eq \"CASE\"").await, 1);
    assert_eq!(count("externalId eq \"Ext-1\"").await, 1);
    assert_eq!(count("externalId eq \"ext-1\"").await, 0);
    assert_eq!(count("externalId sw \"EXT\"").await, 0);
    let by_id = format!("id eq \"{}\"", id(&user).to_uppercase());
    let found = sp
        .get(&format!("/Users?filter={}", q(&by_id)))
        .await
        .expect(200);
    let expected = u64::from(id(&user) == id(&user).to_uppercase());
    assert_eq!(found.body["totalResults"], expected);
}

/// RFC 7644 §3.4.2.2: "If the specified attribute in a filter expression is a multi-valued
/// attribute, the filter matches if any of the values of the specified attribute match the
/// specified criterion"; "pr: If the attribute has a non-empty value, or if it contains a
/// non-empty node for complex attributes, there is a match".
#[tokio::test]
async fn filters_on_multi_valued_and_presence() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "mv", "title": "",
            "emails": [{"value": "a@home.example", "type": "home"}, {"value": "a@work.example", "type": "work"}]}))
        .await;
    sp.user_named("other").await;
    let ids = |filter: &'static str| {
        let sp = &sp;
        async move {
            sp.get(&format!("/Users?filter={}", q(filter)))
                .await
                .expect(200)
                .ids()
        }
    };
    let me = vec![id(&user).to_owned()];
    // [MUST 40]
    assert_eq!(ids("emails co \"work.example\"").await, me);
    assert_eq!(ids("emails.type eq \"home\"").await, me);
    assert_eq!(
        ids("emails[type eq \"work\" and value ew \"work.example\"]").await,
        me
    );
    assert!(
        ids("emails[type eq \"home\" and value ew \"work.example\"]")
            .await
            .is_empty()
    );
    // [MUST 41]
    assert_eq!(ids("emails pr").await, me);
    assert!(
        ids("title pr").await.is_empty(),
        "an empty string is not a value"
    );
    assert_eq!(ids("not (emails pr)").await.len(), 1);
}

/// RFC 7644 §3.4.2.2: "gt ... If the attribute value is greater than the operator value,
/// there is a match. The actual comparison is dependent on the attribute type. For string
/// attribute types, this is a lexicographical comparison, and for DateTime types, it is a
/// chronological comparison. For integer attributes, it is a comparison by numeric value.
/// Boolean and Binary attributes SHALL cause a failed response (HTTP status code 400 Bad
/// Request) with "scimType" of "invalidFilter"."
#[tokio::test]
async fn ordering_filters_follow_the_attribute_type() {
    let sp = Sp::start().await;
    let user = sp.user(json!({"userName": "t", "active": true})).await;
    let created = user["meta"]["created"].as_str().unwrap().to_owned();
    let count = |filter: String| {
        let sp = &sp;
        async move {
            sp.get(&format!("/Users?filter={}", q(&filter)))
                .await
                .expect(200)
                .body["totalResults"]
                .as_u64()
                .unwrap()
        }
    };
    // [MUST 42] chronological, whatever the precision and time zone the client writes.
    let seconds = &created[..19];
    assert_eq!(count(format!("meta.created ge \"{seconds}Z\"")).await, 1);
    assert_eq!(
        count(format!("meta.created gt \"{seconds}+01:00\"")).await,
        1
    );
    assert_eq!(
        count(format!("meta.created lt \"{seconds}-01:00\"")).await,
        1
    );
    assert_eq!(
        count("meta.lastModified gt \"2011-05-13T04:42:34Z\"".into()).await,
        1
    );
    assert_eq!(
        count("meta.lastModified lt \"2011-05-13T04:42:34Z\"".into()).await,
        0
    );
    // [MUST 43] lexicographic for strings.
    assert_eq!(count("userName gt \"s\"".into()).await, 1);
    assert_eq!(count("userName lt \"s\"".into()).await, 0);
    // [MUST 44] ordering a boolean is an invalidFilter.
    for op in ["gt", "ge", "lt", "le"] {
        sp.get(&format!(
            "/Users?filter={}",
            q(&format!("active {op} true"))
        ))
        .await
        .expect_error(400, Some("invalidFilter"));
    }
}

/// RFC 7644 §3.12, Table 9: "invalidFilter: The specified filter syntax was invalid (does
/// not comply with Figure 1), or the specified attribute and filter comparison combination
/// is not supported."
#[tokio::test]
async fn invalid_filters_are_400_invalid_filter() {
    let sp = Sp::start().await;
    // [MUST 45]
    for filter in [
        "userName eq",
        "userName zz \"x\"",
        "(userName eq \"x\"",
        "emails[type eq \"x\"",
        // A complex attribute compares through a sub-attribute.
        "name eq \"x\"",
    ] {
        sp.get(&format!("/Users?filter={}", q(filter)))
            .await
            .expect_error(400, Some("invalidFilter"));
        sp.post(
            "/Users/.search",
            json!({"schemas": [SEARCH], "filter": filter}),
        )
        .await
        .expect_error(400, Some("invalidFilter"));
    }
}

/// RFC 7644 §3.4.2.3: "If a value for "sortBy" is provided and no "sortOrder" is specified,
/// "sortOrder" SHALL default to ascending. ... "sortOrder" MUST sort according to the
/// attribute type; i.e., for case-insensitive attributes, sort the result using
/// case-insensitive Unicode alphabetic sort order".
#[tokio::test]
async fn sorting_defaults_to_ascending_by_attribute_type() {
    let sp = Sp::start().await;
    for name in ["bravo", "Alpha", "charlie"] {
        sp.user_named(name).await;
    }
    let names = |answer: Answer| -> Vec<String> {
        answer
            .resources()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_owned())
            .collect()
    };
    // [MUST 46]
    let asc = sp.get("/Users?sortBy=userName").await.expect(200);
    assert_eq!(names(asc), ["Alpha", "bravo", "charlie"]);
    // [MUST 47]
    let desc = sp
        .get("/Users?sortBy=userName&sortOrder=descending")
        .await
        .expect(200);
    assert_eq!(names(desc), ["charlie", "bravo", "Alpha"]);
}

/// RFC 7644 §3.4.2.4: "startIndex ... A value less than 1 SHALL be interpreted as 1";
/// "count ... A negative value SHALL be interpreted as "0". A value of "0" indicates that no
/// resource results are to be returned except for "totalResults"."
#[tokio::test]
async fn pagination_bounds() {
    let sp = Sp::start().await;
    for name in ["a", "b", "c"] {
        sp.user_named(name).await;
    }
    // [MUST 48]
    let page = sp
        .get("/Users?startIndex=-4&count=2")
        .await
        .expect(200)
        .body;
    assert_eq!(page["startIndex"], 1);
    assert_eq!(page["Resources"].as_array().unwrap().len(), 2);
    // [MUST 49]
    for count in ["0", "-3"] {
        let page = sp
            .get(&format!("/Users?count={count}"))
            .await
            .expect(200)
            .body;
        assert_eq!(page["totalResults"], 3);
        assert!(
            page["Resources"].as_array().is_none_or(Vec::is_empty),
            "{page}"
        );
    }
    // Past the end: no resources, the total still right.
    let page = sp.get("/Users?startIndex=10").await.expect(200).body;
    assert_eq!(page["totalResults"], 3);
    assert!(page["Resources"].as_array().is_none_or(Vec::is_empty));
}

/// RFC 7644 §3.4.2.5 / §3.9: "attributes ... overrides the list of attributes and
/// sub-attributes the server returns by default"; "excludedAttributes ... SHALL have no
/// effect on attributes whose "returned" setting is "always""; RFC 7643 §2.2: "always: The
/// attribute is always returned, regardless of the contents of the "attributes" parameter"
/// (id is "always").
#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let sp = Sp::start().await;
    let user = sp
        .user(
            json!({"schemas": [USER, ENTERPRISE], "userName": "a", "displayName": "A", "title": "T",
            "name": {"givenName": "G", "familyName": "F"},
            "emails": [{"value": "a@example.com", "type": "work"}],
            ENTERPRISE: {"department": "D", "costCenter": "C"}}),
        )
        .await;
    let path = user_path(&user);
    // [MUST 50]
    let slim = sp
        .get(&format!("{path}?attributes=displayName,name.givenName"))
        .await
        .expect(200)
        .body;
    assert_eq!(slim["id"], user["id"]);
    assert_eq!(slim["displayName"], "A");
    assert_eq!(slim["name"], json!({"givenName": "G"}));
    assert!(
        slim.get("title").is_none() && slim.get("userName").is_none(),
        "{slim}"
    );
    let ext = sp
        .get(&format!(
            "{path}?attributes={}",
            q(&format!("{ENTERPRISE}:department,emails.value"))
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(ext[ENTERPRISE], json!({"department": "D"}));
    assert_eq!(ext["emails"], json!([{"value": "a@example.com"}]));
    let whole_ext = sp
        .get(&format!("{path}?attributes={ENTERPRISE}"))
        .await
        .expect(200)
        .body;
    assert_eq!(whole_ext[ENTERPRISE]["costCenter"], "C");
    // [MUST 51] excluding "always" has no effect; excluding others does, sub-attributes too.
    let excluded = sp
        .get(&format!(
            "{path}?excludedAttributes=id,title,name.familyName,{ENTERPRISE}:department"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(excluded["id"], user["id"]);
    assert!(excluded.get("title").is_none());
    assert_eq!(excluded["name"], json!({"givenName": "G"}));
    assert_eq!(excluded[ENTERPRISE], json!({"costCenter": "C"}));
    // Lists and searches too.
    let listed = sp
        .get("/Users?attributes=userName")
        .await
        .expect(200)
        .resources();
    assert!(listed[0].get("displayName").is_none() && listed[0]["id"] == user["id"]);
}

/// RFC 7644 §3.9: "Clients MAY request a partial resource representation on any operation
/// that returns a resource within the response by specifying either of the mutually exclusive
/// URL query parameters "attributes" or "excludedAttributes"".
#[tokio::test]
async fn attributes_apply_to_writes_too() {
    let sp = Sp::start().await;
    // [MUST 52]
    let created = sp
        .post(
            "/Users?attributes=userName",
            json!({"schemas": [USER], "userName": "w", "title": "T"}),
        )
        .await
        .expect(201)
        .body;
    assert!(created.get("title").is_none(), "{created}");
    let path = user_path(&created);
    let replaced = sp
        .put(
            &format!("{path}?excludedAttributes=title"),
            json!({"schemas": [USER], "userName": "w", "title": "U"}),
        )
        .await
        .expect(200)
        .body;
    assert!(replaced.get("title").is_none() && replaced["userName"] == "w");
    let patched = sp
        .send(
            "PATCH",
            &format!("{path}?attributes=title"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "V"}]})),
            &[],
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["title"], "V");
    assert!(patched.get("userName").is_none());
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.4.3: querying with POST /.search
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.4.3: "The inclusion of "/.search" on the end of a valid SCIM endpoint SHALL be
/// used to indicate that the HTTP POST verb is intended to be a query operation"; "the body
/// of the POST request MAY include any of the parameters defined in Section 3.4.2"; queries
/// may be sent to a resource endpoint or the server root.
#[tokio::test]
async fn post_search_on_endpoints_and_root() {
    let sp = Sp::start().await;
    let alice = sp.user(json!({"userName": "alice", "title": "T"})).await;
    sp.user_named("bob").await;
    let group = sp.group("admins", &[&alice]).await;
    let body = json!({"schemas": [SEARCH], "filter": "userName sw \"a\"", "attributes": ["userName"],
                      "sortBy": "userName", "startIndex": 1, "count": 10});
    // [MUST 53]
    let found = sp.post("/Users/.search", body).await.expect(200);
    assert_eq!(found.body["schemas"], json!([LIST]));
    assert_eq!(found.ids(), vec![id(&alice).to_owned()]);
    assert!(found.resources()[0].get("title").is_none());
    // [MUST 54] at the root, every resource type.
    let base = sp.server.base_url();
    let all = sp
        .post(
            &format!("{base}/.search"),
            json!({"schemas": [SEARCH], "count": 10}),
        )
        .await
        .expect(200);
    assert_eq!(all.body["totalResults"], 3);
    let groups = sp
        .post(
            &format!("{base}/.search"),
            json!({"schemas": [SEARCH], "filter": "displayName eq \"admins\""}),
        )
        .await
        .expect(200);
    assert_eq!(groups.ids(), vec![id(&group).to_owned()]);
    // excludedAttributes as a list.
    let slim = sp
        .post(
            "/Groups/.search",
            json!({"schemas": [SEARCH], "excludedAttributes": ["members"]}),
        )
        .await
        .expect(200)
        .resources();
    assert!(slim[0].get("members").is_none());
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.5.1: replacing with PUT
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.5.1: "Unless otherwise specified, a successful PUT operation returns a 200 OK
/// response code and the entire resource within the response body"; "readOnly: Any values
/// provided SHALL be ignored"; the resource must exist.
#[tokio::test]
async fn put_replaces() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "put", "title": "T", "nickName": "N"}))
        .await;
    let path = user_path(&user);
    let replaced = sp
        .put(
            &path,
            json!({"schemas": [USER], "id": "something-else", "userName": "put",
            "displayName": "D", "meta": {"created": "2000-01-01T00:00:00Z"}}),
        )
        .await;
    // [MUST 55]
    let replaced = replaced.expect(200).body;
    assert_eq!(replaced["displayName"], "D");
    // Choice (RFC 7644 §3.5.1 "MAY assume that any existing values are to be cleared"):
    // omitted attributes are cleared, as real servers do.
    assert!(replaced.get("title").is_none() && replaced.get("nickName").is_none());
    // [MUST 56] readOnly id and meta are ignored.
    assert_eq!(replaced["id"], user["id"]);
    assert_eq!(replaced["meta"]["created"], user["meta"]["created"]);
    assert_ne!(replaced["meta"]["version"], user["meta"]["version"]);
    // Choice: a write-only password the body leaves out is kept (a client cannot read it
    // back to send it again); one the body carries replaces it.
    let user = sp
        .user(json!({"userName": "pw-put", "password": "first"}))
        .await;
    sp.put(
        &user_path(&user),
        json!({"schemas": [USER], "userName": "pw-put", "title": "T"}),
    )
    .await
    .expect(200);
    assert_eq!(sp.server.user_json(id(&user)).unwrap()["password"], "first");
    sp.put(
        &user_path(&user),
        json!({"schemas": [USER], "userName": "pw-put", "password": "second"}),
    )
    .await
    .expect(200);
    assert_eq!(
        sp.server.user_json(id(&user)).unwrap()["password"],
        "second"
    );
    // [MUST 57] PUT does not create.
    sp.put(
        "/Users/missing",
        json!({"schemas": [USER], "userName": "x"}),
    )
    .await
    .expect_error(404, None);
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.5.2: modifying with PATCH
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.5.2: "On successful completion, the server either MUST return a 200 OK
/// response code and the entire resource within the response body ... or MAY return HTTP
/// status code 204 (No Content) ... The server MUST return a 200 OK if the "attributes"
/// parameter is specified in the request."
#[tokio::test]
async fn patch_answers_200_or_204() {
    let sp = Sp::start().await;
    let user = sp.user_named("p").await;
    // [MUST 58]
    let ok = sp
        .patch(
            &user_path(&user),
            json!([{"op": "replace", "path": "title", "value": "T"}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ok["userName"], "p");
    assert_eq!(ok["title"], "T");

    let quiet = Sp::with(ScimServer::builder().patch_returns_no_content(true)).await;
    let user = quiet.user_named("q").await;
    let path = user_path(&user);
    let none = quiet
        .patch(
            &path,
            json!([{"op": "replace", "path": "title", "value": "T"}]),
        )
        .await
        .expect(204);
    assert!(none.body.is_null());
    // [MUST 59]
    let with_attributes = quiet
        .send(
            "PATCH",
            &format!("{path}?attributes=title"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "U"}]})),
            &[],
        )
        .await
        .expect(200)
        .body;
    assert_eq!(with_attributes["title"], "U");
}

/// RFC 7644 §3.5.2: "A PATCH request, regardless of the number of operations, SHALL be
/// treated as atomic. If a single operation encounters an error condition, the original
/// target resource MUST be restored, and a failure status SHALL be returned."
#[tokio::test]
async fn patch_is_atomic() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "atomic", "title": "before"}))
        .await;
    let path = user_path(&user);
    // [MUST 60]
    sp.patch(
        &path,
        json!([
            {"op": "replace", "path": "title", "value": "after"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "x@example.com"},
        ]),
    )
    .await
    .expect_error(400, Some("noTarget"));
    let now = sp.get(&path).await.expect(200).body;
    assert_eq!(now["title"], "before");
    assert_eq!(now["meta"]["version"], user["meta"]["version"]);
}

/// RFC 7644 §3.5.2: operations are applied in the order given ("...the server SHALL process
/// the operations sequentially"), so a later one sees an earlier one's result.
#[tokio::test]
async fn patch_operations_apply_in_order() {
    let sp = Sp::start().await;
    let user = sp.user_named("seq").await;
    // [MUST 61]
    let patched = sp
        .patch(&user_path(&user), json!([
            {"op": "add", "path": "emails", "value": [{"value": "a@example.com", "type": "work"}]},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@example.com"},
            {"op": "remove", "path": "title"},
            {"op": "add", "path": "title", "value": "last"},
        ]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        patched["emails"],
        json!([{"value": "b@example.com", "type": "work"}])
    );
    assert_eq!(patched["title"], "last");
}

/// RFC 7644 §3.5.2: "Each operation against an attribute MUST be compatible with the
/// attribute's mutability and schema ... a client MUST NOT modify an attribute that has
/// mutability "readOnly" ... An operation that is not compatible with an attribute's
/// mutability or schema SHALL return the appropriate HTTP response status code and a JSON
/// detail error response"; Table 9: "mutability: The attempted modification is not
/// compatible with the target attribute's mutability".
#[tokio::test]
async fn patch_respects_mutability() {
    let sp = Sp::start().await;
    let boss = sp.user_named("boss").await;
    let user = sp.user_named("mut").await;
    let path = user_path(&user);
    // [MUST 62]
    for (p, v) in [
        ("id", json!("x")),
        ("meta.created", json!("2000-01-01T00:00:00Z")),
        ("groups", json!([{"value": "x"}])),
        (&*format!("{ENTERPRISE}:manager.displayName"), json!("Boss")),
    ] {
        sp.patch(&path, json!([{"op": "replace", "path": p, "value": v}]))
            .await
            .expect_error(400, Some("mutability"));
    }
    // manager.value is writable (its readOnly displayName is the server's to fill).
    let managed = sp
        .patch(&path, json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": boss["id"]}}]))
        .await
        .expect(200)
        .body;
    assert_eq!(managed[ENTERPRISE]["manager"]["value"], boss["id"]);
    // Group members' sub-attributes are immutable (RFC 7643 §4.2): they cannot be rewritten.
    let group = sp.group("g", &[&user]).await;
    sp.patch(
        &group_path(&group),
        json!([{"op": "replace",
        "path": format!("members[value eq \"{}\"].value", id(&user)), "value": id(&boss)}]),
    )
    .await
    .expect_error(400, Some("mutability"));
}

/// RFC 7644 §3.5.2: "For multi-valued attributes, a PATCH operation that sets a value's
/// "primary" sub-attribute to "true" SHALL cause the server to automatically set "primary" to
/// "false" for any other values in the array."
#[tokio::test]
async fn patch_primary_clears_the_other_primaries() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "prim", "emails": [
            {"value": "a@example.com", "type": "work", "primary": true},
            {"value": "b@example.com", "type": "home"}]}))
        .await;
    let path = user_path(&user);
    // [MUST 63] through a filtered sub-attribute path.
    let patched = sp
        .patch(
            &path,
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["emails"][0]["primary"], false);
    assert_eq!(patched["emails"][1]["primary"], true);
    // [MUST 63] through an added value.
    let patched = sp
        .patch(&path, json!([{"op": "add", "path": "emails", "value": [{"value": "c@example.com", "primary": true}]}]))
        .await
        .expect(200)
        .body;
    let primaries: Vec<&Value> = patched["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0]["value"], "c@example.com");
}

/// RFC 7644 §3.5.2.1 "add": "The operation MUST contain a "value" member"; "If "path" is
/// omitted, the target location is assumed to be the resource itself"; "If the target
/// location specifies a multi-valued attribute, a new value is added to the attribute";
/// "If the target location specifies a single-valued attribute, the existing value is
/// replaced"; "If the target location specifies a complex attribute, a set of sub-attributes
/// SHALL be specified in the "value" parameter".
#[tokio::test]
async fn patch_add() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "add", "title": "old", "emails": [{"value": "a@example.com"}]}))
        .await;
    let path = user_path(&user);
    // [MUST 64]
    sp.patch(&path, json!([{"op": "add", "path": "title"}]))
        .await
        .expect_error(400, Some("invalidValue"));
    // [MUST 65]
    let patched = sp
        .patch(
            &path,
            json!([
                {"op": "add", "value": {"nickName": "nick", "name": {"givenName": "G"}}},
                {"op": "add", "path": "emails", "value": [{"value": "b@example.com"}]},
                {"op": "add", "path": "title", "value": "new"},
                {"op": "add", "path": "name", "value": {"familyName": "F"}},
            ]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["nickName"], "nick");
    assert_eq!(patched["emails"].as_array().unwrap().len(), 2);
    assert_eq!(patched["title"], "new");
    assert_eq!(
        patched["name"],
        json!({"givenName": "G", "familyName": "F"})
    );
}

/// RFC 7644 §3.5.2.1: "If the target location already contains the value specified, no
/// changes SHOULD be made to the resource, and a success response SHOULD be returned. Unless
/// other operations change the resource, this operation SHALL NOT change the modify
/// timestamp of the resource."
#[tokio::test]
async fn patch_add_of_a_present_value_changes_nothing() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "same", "title": "T", "emails": [{"value": "a@example.com"}]}))
        .await;
    let path = user_path(&user);
    // [MUST 66]
    let patched = sp
        .patch(
            &path,
            json!([
                {"op": "add", "path": "emails", "value": [{"value": "a@example.com"}]},
                {"op": "add", "path": "title", "value": "T"},
            ]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        patched["meta"]["lastModified"],
        user["meta"]["lastModified"]
    );
    assert_eq!(patched["meta"]["version"], user["meta"]["version"]);
    assert_eq!(patched["emails"].as_array().unwrap().len(), 1);
}

/// RFC 7644 §3.10 and §3.5.2: a path may be an extension schema URN alone, naming the
/// extension's whole complex value ("urn:...:enterprise:2.0:User"); add/replace merge into
/// it and remove drops it (and its URN from "schemas", RFC 7643 §3).
#[tokio::test]
async fn patch_paths_naming_an_extension() {
    let sp = Sp::start().await;
    let user = sp.user_named("ext").await;
    let path = user_path(&user);
    // [MUST 67]
    let added = sp
        .patch(&path, json!([{"op": "add", "path": ENTERPRISE, "value": {"employeeNumber": "42", "division": "D"}}]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        added[ENTERPRISE],
        json!({"employeeNumber": "42", "division": "D"})
    );
    assert_eq!(added["schemas"], json!([USER, ENTERPRISE]));
    let stored = sp.server.user_json(id(&user)).unwrap();
    assert_eq!(stored[ENTERPRISE]["employeeNumber"], "42");
    assert_eq!(
        stored
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("urn:"))
            .count(),
        1,
        "one key for the extension: {stored}"
    );
    let replaced = sp
        .patch(
            &path,
            json!([{"op": "replace", "path": ENTERPRISE, "value": {"division": "E"}}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        replaced[ENTERPRISE],
        json!({"employeeNumber": "42", "division": "E"})
    );
    // No path: the extension object under its URN.
    let merged = sp
        .patch(
            &path,
            json!([{"op": "replace", "value": {ENTERPRISE: {"costCenter": "C"}, "title": "T"}}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(merged[ENTERPRISE]["costCenter"], "C");
    assert_eq!(merged[ENTERPRISE]["division"], "E");
    assert_eq!(merged["title"], "T");
    let removed = sp
        .patch(&path, json!([{"op": "remove", "path": ENTERPRISE}]))
        .await
        .expect(200)
        .body;
    assert!(removed.get(ENTERPRISE).is_none(), "{removed}");
    assert_eq!(removed["schemas"], json!([USER]));
    // A core-schema URN prefix names core attributes.
    let core = sp
        .patch(
            &path,
            json!([{"op": "replace", "path": format!("{USER}:displayName"), "value": "Core"}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(core["displayName"], "Core");
}

/// RFC 7644 §3.5.2.2 "remove": "If "path" is unspecified, the operation fails with HTTP status
/// code 400 and a "scimType" error code of "noTarget""; "If the target location is a
/// multi-valued attribute and a complex filter is specified comparing a "value", the values
/// matched by the filter are removed. If no other values remain after removal of the selected
/// values, the multi-valued attribute SHALL be considered unassigned"; "If an attribute is
/// removed or becomes unassigned and is defined as a required attribute or a read-only
/// attribute, the server SHALL return ... a "scimType" error code of "mutability"."
#[tokio::test]
async fn patch_remove() {
    let sp = Sp::start().await;
    let a = sp.user_named("a").await;
    let b = sp.user_named("b").await;
    let group = sp.group("g", &[&a, &b]).await;
    let path = group_path(&group);
    // [MUST 68]
    sp.patch(&path, json!([{"op": "remove"}]))
        .await
        .expect_error(400, Some("noTarget"));
    // [MUST 69]
    let one_left = sp
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", id(&a))}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(one_left["members"].as_array().unwrap().len(), 1);
    let none_left = sp
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", id(&b))}]),
        )
        .await
        .expect(200)
        .body;
    assert!(none_left.get("members").is_none(), "{none_left}");
    // A single-valued attribute becomes unassigned.
    let user = sp
        .user(
            json!({"userName": "rm", "title": "T", "name": {"givenName": "G", "familyName": "F"}}),
        )
        .await;
    let removed = sp
        .patch(
            &user_path(&user),
            json!([{"op": "remove", "path": "title"},
                                           {"op": "remove", "path": "name.givenName"}]),
        )
        .await
        .expect(200)
        .body;
    assert!(removed.get("title").is_none());
    assert_eq!(removed["name"], json!({"familyName": "F"}));
    // [MUST 70]
    sp.patch(
        &user_path(&user),
        json!([{"op": "remove", "path": "userName"}]),
    )
    .await
    .expect_error(400, Some("mutability"));
    sp.patch(&path, json!([{"op": "remove", "path": "displayName"}]))
        .await
        .expect_error(400, Some("mutability"));
}

/// RFC 7644 §3.5.2.3 "replace": "If the target location is a multi-valued attribute and no
/// filter is specified, the attribute and all values are replaced"; "If the target location
/// path specifies an attribute that does not exist, the service provider SHALL treat the
/// operation as an "add""; "If the target location specifies a complex attribute, a set of
/// sub-attributes SHALL be specified in the "value" parameter, which replaces any existing
/// values or adds where an attribute did not previously exist. Sub-attributes that are not
/// specified in the "value" parameter are left unchanged"; "...with a value selection filter
/// ("valuePath") and a specific sub-attribute ... the matching sub-attribute of all matching
/// records SHALL be replaced"; "...no record match was made, the service provider SHALL
/// indicate failure by returning HTTP status code 400 and a "scimType" error code of
/// "noTarget"".
#[tokio::test]
async fn patch_replace() {
    let sp = Sp::start().await;
    let user = sp
        .user(json!({"userName": "rep", "name": {"givenName": "G", "familyName": "F"},
            "emails": [{"value": "a@work.example", "type": "work"}, {"value": "b@work.example", "type": "work"},
                       {"value": "c@home.example", "type": "home"}]}))
        .await;
    let path = user_path(&user);
    // [MUST 71]
    let patched = sp
        .patch(
            &path,
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].display", "value": "Work"},
                {"op": "replace", "path": "name", "value": {"givenName": "H"}},
                {"op": "replace", "path": "nickName", "value": "new"},
            ]),
        )
        .await
        .expect(200)
        .body;
    let emails = patched["emails"].as_array().unwrap();
    assert_eq!(emails.iter().filter(|e| e["display"] == "Work").count(), 2);
    assert!(emails[2].get("display").is_none());
    // [MUST 72]
    assert_eq!(
        patched["name"],
        json!({"givenName": "H", "familyName": "F"})
    );
    // [MUST 73]
    assert_eq!(patched["nickName"], "new");
    // [MUST 74]
    let all = sp
        .patch(
            &path,
            json!([{"op": "replace", "path": "emails", "value": [{"value": "z@example.com"}]}]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(all["emails"], json!([{"value": "z@example.com"}]));
    // [MUST 75]
    sp.patch(
        &path,
        json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("noTarget"));
}

/// RFC 7644 §3.12, Table 9: "invalidPath: The "path" attribute was invalid or malformed";
/// §3.5.2: "Each PATCH operation object MUST have exactly one "op" member, whose value
/// indicates the operation to perform and MAY be one of "add", "remove", or "replace"".
#[tokio::test]
async fn patch_malformed_requests() {
    let sp = Sp::start().await;
    let user = sp.user_named("bad").await;
    let path = user_path(&user);
    // [MUST 76]
    for p in [
        "emails[type eq",
        "name..givenName",
        "emails[type eq \"work\"]x",
    ] {
        sp.patch(&path, json!([{"op": "replace", "path": p, "value": "x"}]))
            .await
            .expect_error(400, Some("invalidPath"));
    }
    // [MUST 77]
    sp.patch(
        &path,
        json!([{"op": "merge", "path": "title", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    sp.send("PATCH", &path, Some(json!({"schemas": [PATCH_OP]})), &[])
        .await
        .expect_error(400, Some("invalidSyntax"));
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.6: deleting
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.6: "In response to a successful DELETE, the server SHALL return a successful
/// HTTP status code 204 (No Content)"; "Service providers ... MUST return a 404 (Not Found)
/// error code for all operations associated with the previously deleted resource. Service
/// providers MUST omit the resource from future query results."
#[tokio::test]
async fn delete_then_gone() {
    let sp = Sp::start().await;
    let user = sp.user_named("del").await;
    let group = sp.group("g", &[&user]).await;
    let path = user_path(&user);
    // [MUST 78]
    sp.delete(&path).await.expect(204);
    // [MUST 79]
    sp.get(&path).await.expect_error(404, None);
    sp.put(&path, json!({"schemas": [USER], "userName": "del"}))
        .await
        .expect_error(404, None);
    sp.patch(
        &path,
        json!([{"op": "replace", "path": "title", "value": "x"}]),
    )
    .await
    .expect_error(404, None);
    sp.delete(&path).await.expect_error(404, None);
    // [MUST 80] gone from queries, memberships included.
    assert_eq!(sp.get("/Users").await.body["totalResults"], 0);
    let group = sp.get(&group_path(&group)).await.expect(200).body;
    assert!(group.get("members").is_none(), "{group}");
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.7: bulk
// ---------------------------------------------------------------------------------------

fn bulk(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

/// RFC 7644 §3.7: "The service provider MUST continue performing as many changes as possible
/// and disregard partial failures" unless "failOnErrors"; §3.7.3: each result carries
/// "method", "bulkId" (as sent), "location" and "status" ("The HTTP response status code for
/// the requested operation").
#[tokio::test]
async fn bulk_continues_past_failures() {
    let sp = Sp::start().await;
    sp.user_named("taken").await;
    let answer = sp
        .post("/Bulk", bulk(json!([
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [USER], "userName": "taken"}},
            {"method": "POST", "path": "/Users", "bulkId": "new", "data": {"schemas": [USER], "userName": "new"}},
            {"method": "DELETE", "path": "/Users/missing"},
        ])))
        .await
        .expect(200)
        .body;
    assert_eq!(answer["schemas"], json!([BULK_RESPONSE]));
    let results = answer["Operations"].as_array().unwrap();
    // [MUST 81]
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["status"], "409");
    assert_eq!(results[0]["response"]["scimType"], "uniqueness");
    // [MUST 82]
    assert_eq!(results[1]["status"], "201");
    assert_eq!(results[1]["bulkId"], "new");
    assert_eq!(results[1]["method"], "POST");
    let location = results[1]["location"].as_str().unwrap();
    assert_eq!(sp.get(location).await.expect(200).body["userName"], "new");
    assert!(results[1]["version"].is_string());
    assert_eq!(results[2]["status"], "404");
}

/// RFC 7644 §3.7: "failOnErrors: An integer specifying the number of errors that the service
/// provider will accept before the operation is terminated and an error response is
/// returned."
#[tokio::test]
async fn bulk_fail_on_errors_stops() {
    let sp = Sp::start().await;
    let answer = sp
        .post("/Bulk", json!({"schemas": [BULK_REQUEST], "failOnErrors": 1, "Operations": [
            {"method": "DELETE", "path": "/Users/missing"},
            {"method": "POST", "path": "/Users", "bulkId": "late", "data": {"schemas": [USER], "userName": "late"}},
        ]}))
        .await
        .expect(200)
        .body;
    // [MUST 83]
    assert_eq!(answer["Operations"].as_array().unwrap().len(), 1);
    assert_eq!(sp.get("/Users").await.body["totalResults"], 0);
}

/// RFC 7644 §3.7.1: "The service provider MUST try to resolve circular cross-references
/// between resources in a single bulk job but MAY stop after a failed attempt and instead
/// return HTTP status code 409 (Conflict)"; §3.7.2: "bulkId:" references are replaced by the
/// new resources' ids, whatever the order of the operations.
#[tokio::test]
async fn bulk_resolves_forward_and_circular_references() {
    let sp = Sp::start().await;
    // [MUST 84] a forward reference: the group comes before the user it names.
    let answer = sp
        .post("/Bulk", bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data":
                {"schemas": [GROUP], "displayName": "Tour Guides", "members": [{"type": "User", "value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "alice"}},
        ])))
        .await
        .expect(200)
        .body;
    let results = answer["Operations"].as_array().unwrap();
    assert!(results.iter().all(|r| r["status"] == "201"), "{answer}");
    let user = sp.get("/Users").await.resources()[0].clone();
    let group = sp.get("/Groups").await.resources()[0].clone();
    assert_eq!(group["members"][0]["value"], user["id"]);
    // [MUST 84] a circle: two groups that hold each other (the RFC's own example).
    let answer = sp
        .post("/Bulk", bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data":
                {"schemas": [GROUP], "displayName": "Group A", "members": [{"type": "Group", "value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data":
                {"schemas": [GROUP], "displayName": "Group B", "members": [{"type": "Group", "value": "bulkId:a"}]}},
        ])))
        .await
        .expect(200)
        .body;
    let results = answer["Operations"].as_array().unwrap();
    assert!(results.iter().all(|r| r["status"] == "201"), "{answer}");
    let id_of = |bulk_id: &str| {
        let r = results.iter().find(|r| r["bulkId"] == bulk_id).unwrap();
        r["location"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (id_of("a"), id_of("b"));
    let group_a = sp.get(&format!("/Groups/{a}")).await.expect(200).body;
    let group_b = sp.get(&format!("/Groups/{b}")).await.expect(200).body;
    assert_eq!(group_a["members"][0]["value"], b.as_str());
    assert_eq!(group_b["members"][0]["value"], a.as_str());
    // A reference to a bulkId that no operation defines cannot be resolved: 409.
    let answer = sp
        .post("/Bulk", bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "x", "data":
                {"schemas": [GROUP], "displayName": "X", "members": [{"value": "bulkId:nobody"}]}},
        ])))
        .await
        .expect(200)
        .body;
    assert_eq!(answer["Operations"][0]["status"], "409");
}

/// RFC 7644 §3.7.4: "If either limit is exceeded, the service provider MUST return HTTP
/// response code 413 (Payload Too Large)."
#[tokio::test]
async fn bulk_limits_are_413() {
    let sp = Sp::with(ScimServer::builder().bulk_limits(1, 10_000)).await;
    let two = bulk(json!([
        {"method": "POST", "path": "/Users", "bulkId": "1", "data": {"schemas": [USER], "userName": "1"}},
        {"method": "POST", "path": "/Users", "bulkId": "2", "data": {"schemas": [USER], "userName": "2"}},
    ]));
    // [MUST 85]
    sp.post("/Bulk", two).await.expect_error(413, None);
    let big = bulk(json!([{"method": "POST", "path": "/Users", "bulkId": "1",
        "data": {"schemas": [USER], "userName": "x".repeat(20_000)}}]));
    sp.post("/Bulk", big).await.expect_error(413, None);
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.8, §3.12, §3.14 and authentication
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.8: "Servers MUST accept requests and be able to return JSON using UTF-8
/// encoding"; "Service providers MUST support the accept header "Accept:
/// application/scim+json" and SHOULD support the header "Accept: application/json"".
#[tokio::test]
async fn json_in_utf8_and_the_scim_media_type() {
    let sp = Sp::start().await;
    // [MUST 86]
    let user = sp
        .user(json!({"userName": "zoë", "displayName": "Zoë Ωmega 東京"}))
        .await;
    let fetched = sp.get(&user_path(&user)).await.expect(200).body;
    assert_eq!(fetched["displayName"], "Zoë Ωmega 東京");
    // [MUST 87]
    for accept in ["application/scim+json", "application/json", "*/*"] {
        let answer = sp
            .send("GET", &user_path(&user), None, &[("accept", accept)])
            .await
            .expect(200);
        let content_type = answer.header("content-type").unwrap();
        assert!(
            content_type.starts_with("application/scim+json"),
            "{content_type}"
        );
    }
    // A body labelled application/json is accepted too (SHOULD).
    let answer = sp
        .http
        .post(sp.url("/Users"))
        .bearer_auth(sp.server.bearer_token())
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"schemas": [USER], "userName": "plain"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
}

/// RFC 7644 §3.12: "status: The HTTP status code (see Section 6 of [RFC7231]) expressed as a
/// JSON string. REQUIRED"; the Error schema URI; "scimType" values from Table 9 with 400.
#[tokio::test]
async fn errors_have_the_error_shape() {
    let sp = Sp::start().await;
    // [MUST 88] checked by expect_error on every error in this file; here the unparsable body.
    let answer = sp
        .http
        .post(sp.url("/Users"))
        .bearer_auth(sp.server.bearer_token())
        .header("content-type", "application/scim+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["schemas"], json!([ERROR]));
    assert_eq!(body["status"], "400");
    assert_eq!(body["scimType"], "invalidSyntax");
    // A resource body that is not the resource type's.
    sp.post("/Users", json!({"schemas": [GROUP], "displayName": "x"}))
        .await
        .expect_error(400, Some("invalidValue"));
}

/// RFC 7644 §3.14: "If the service provider supports versioning of resources, the service
/// provider MUST include the version in the "meta.version" attribute and the HTTP "ETag"
/// response header; ... "If-None-Match" ... 304 (Not Modified)"; §3.12 Table 8: "412
/// (Precondition Failed): Failed to update. Resource has changed on the server."
#[tokio::test]
async fn etags_and_preconditions() {
    let sp = Sp::start().await;
    let user = sp.user_named("etag").await;
    let path = user_path(&user);
    let version = user["meta"]["version"].as_str().unwrap().to_owned();
    // [MUST 89]
    let unchanged = sp
        .send("GET", &path, None, &[("if-none-match", &version)])
        .await;
    assert_eq!(unchanged.status, 304);
    assert_eq!(unchanged.header("etag"), Some(version.as_str()));
    // [MUST 90]
    for (method, body) in [
        ("PUT", Some(json!({"schemas": [USER], "userName": "etag"}))),
        (
            "PATCH",
            Some(
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
            ),
        ),
        ("DELETE", None),
    ] {
        sp.send(method, &path, body, &[("if-match", "W/\"stale\"")])
            .await
            .expect_error(412, None);
    }
    let ok = sp
        .send("PATCH", &path, Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]})), &[("if-match", &version)])
        .await
        .expect(200);
    let newer = ok.header("etag").unwrap().to_owned();
    assert_ne!(newer, version);
    sp.send("DELETE", &path, None, &[("if-match", &newer)])
        .await
        .expect(204);
}

/// RFC 7643 §3.1 "version ... must be the same as the entity-tag (ETag) HTTP response
/// header": a server built without ETags sends neither.
#[tokio::test]
async fn no_etags_no_versions() {
    let sp = Sp::with(ScimServer::builder().etags(false)).await;
    let spc = sp.get("/ServiceProviderConfig").await.expect(200).body;
    assert_eq!(spc["etag"]["supported"], false);
    let created = sp
        .post("/Users", json!({"schemas": [USER], "userName": "v"}))
        .await
        .expect(201);
    // [MUST 22]
    assert!(created.header("etag").is_none());
    assert!(
        created.body["meta"].get("version").is_none(),
        "{}",
        created.body
    );
    let patched = sp
        .patch(
            &user_path(&created.body),
            json!([{"op": "replace", "path": "title", "value": "T"}]),
        )
        .await
        .expect(200);
    assert!(patched.header("etag").is_none());
    assert!(patched.body["meta"].get("version").is_none());
}

/// RFC 7644 §2: "the service provider ... MUST ... authenticate"; RFC 7235 §3.1: "The server
/// generating a 401 response MUST send a WWW-Authenticate header field".
#[tokio::test]
async fn unauthenticated_requests_are_401_with_a_challenge() {
    let sp = Sp::start().await;
    for auth in [None, Some("Bearer wrong"), Some("Basic dXNlcjpwYXNz")] {
        let mut request = sp.http.get(sp.url("/Users"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let answer = request.send().await.unwrap();
        // [MUST 91]
        assert_eq!(answer.status().as_u16(), 401);
        // [MUST 92]
        let challenge = answer
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
}

// ---------------------------------------------------------------------------------------
// Strict requests: client MUSTs a strict server may enforce (off by default)
// ---------------------------------------------------------------------------------------

/// RFC 7644 §3.5.2: "The body of each request MUST contain the "schemas" attribute with the
/// URI value of "urn:ietf:params:scim:api:messages:2.0:PatchOp""; §3.4.3 and §3.7 likewise
/// for SearchRequest and BulkRequest; §3.7: "bulkId ... REQUIRED when "method" is "POST"".
/// These are the client's MUSTs: by default the mock accepts what real clients send without
/// them (as real servers do); `strict_requests(true)` refuses them with 400 invalidSyntax.
#[tokio::test]
async fn strict_requests_enforce_the_clients_musts() {
    for strict in [false, true] {
        let sp = Sp::with(ScimServer::builder().strict_requests(strict)).await;
        let user = sp.user_named("s").await;
        let patch = sp
            .send(
                "PATCH",
                &user_path(&user),
                Some(json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]})),
                &[],
            )
            .await;
        let search = sp
            .post("/Users/.search", json!({"filter": "userName pr"}))
            .await;
        let bulk = sp
            .post("/Bulk", json!({"Operations": [{"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "b"}}]}))
            .await;
        if strict {
            patch.expect_error(400, Some("invalidSyntax"));
            search.expect_error(400, Some("invalidSyntax"));
            bulk.expect_error(400, Some("invalidSyntax"));
        } else {
            patch.expect(200);
            search.expect(200);
            bulk.expect(200);
        }
    }
}
