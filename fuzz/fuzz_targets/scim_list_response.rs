//! SCIM `ListResponse` pages (RFC 7644 §3.4.2), any bytes: never a panic, directly with
//! serde or through the crate's decoder (media types, JSON paths, redacted snippets); a page
//! decoded re-encodes to one that decodes; no error shows the request's bearer token (echoed
//! where the input says `@@`) or a `password` planted in a resource; a failed status reads
//! as a SCIM error or none, without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimkit::scim::{Group, ListResponse, User};
use scimkit_fuzz::{
    PLANTED_SECRET, REQUEST_SECRET, assert_hidden, echo_request_secret, plantable, response,
    split_head,
};
use serde_json::Value;

fn decode(
    status: http::StatusCode,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    check_request: bool,
    planted: bool,
) {
    if let Ok(page) = serde_json::from_slice::<ListResponse<User>>(&body) {
        let encoded = serde_json::to_vec(&page).expect("a decoded page encodes");
        serde_json::from_slice::<ListResponse<User>>(&encoded).unwrap_or_else(|e| {
            panic!(
                "re-encoded page fails: {e}: {}",
                String::from_utf8_lossy(&encoded)
            )
        });
    }
    let _ = serde_json::from_slice::<ListResponse<Value>>(&body);
    let r = response(status, content_type, body, "Bearer");
    let check = |e: &scimkit::Error| {
        if check_request {
            assert_hidden(e, REQUEST_SECRET, "the bearer token");
        }
        if planted {
            assert_hidden(e, PLANTED_SECRET, "a password");
        }
    };
    if let Err(e) = r.json::<ListResponse<User>>() {
        assert!(matches!(e, scimkit::Error::Decode { .. }), "{e:?}");
        check(&e);
    }
    if let Err(e) = r.json::<ListResponse<Group>>() {
        check(&e);
    }
    if !status.is_success() {
        if let Some(e) = scimkit::__fuzz::scim_error(&r) {
            check(&e);
        }
        check(&r.into_http_error());
    }
}

fuzz_target!(|data: &[u8]| {
    let (status, content_type, body) = split_head(data, &[200, 200, 200, 400, 404, 409, 412, 500]);
    let (echoed, check_request) = echo_request_secret(body);
    decode(status, content_type, echoed.clone(), check_request, false);
    // The same page with a password in each resource: it never reaches an error.
    if let Some(Value::Object(mut map)) = plantable(&echoed) {
        for key in ["Resources", "resources"] {
            if let Some(Value::Array(items)) = map.get_mut(key) {
                for item in items.iter_mut() {
                    if let Value::Object(resource) = item {
                        resource.insert("password".into(), Value::String(PLANTED_SECRET.into()));
                    }
                }
            }
        }
        map.insert("password".into(), Value::String(PLANTED_SECRET.into()));
        let body = serde_json::to_vec(&map).expect("a map serializes");
        decode(status, content_type, body, check_request, true);
    }
});
