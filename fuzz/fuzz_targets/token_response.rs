//! A token endpoint's answer (RFC 6749 §5.1/§5.2), any status, content type and body:
//! never a panic; a decoded lifetime is at most a day and a decoded token is never empty;
//! no error shows the secret the request carried (echoed where the input says `@@`) or an
//! `access_token` planted in the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimkit::__fuzz::MAX_TOKEN_LIFETIME;
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
    let r = response(status, content_type, body, "Basic");
    let check = |e: &scimkit::Error| {
        if check_request {
            assert_hidden(e, REQUEST_SECRET, "the request's credentials");
        }
        if planted {
            assert_hidden(e, PLANTED_SECRET, "the access_token");
        }
    };
    if status.is_success() {
        match scimkit::__fuzz::token_response(&r) {
            Ok((lifetime, len)) => {
                assert!(len > 0, "an empty token was accepted");
                assert!(
                    lifetime.is_none_or(|l| l <= MAX_TOKEN_LIFETIME),
                    "{lifetime:?}"
                );
            }
            Err(e) => check(&e),
        }
    }
    if let Some(e) = scimkit::__fuzz::oauth_error(&r) {
        assert!(matches!(e, scimkit::Error::OAuth(_)), "{e:?}");
        check(&e);
    }
    check(&r.into_http_error());
}

fuzz_target!(|data: &[u8]| {
    let (status, content_type, body) = split_head(data, &[200, 200, 201, 400, 401, 403, 500, 503]);
    let (echoed, check_request) = echo_request_secret(body);
    decode(status, content_type, echoed.clone(), check_request, false);
    // The same body with a known access_token: it never reaches an error.
    if let Some(Value::Object(mut map)) = plantable(&echoed) {
        map.insert("access_token".into(), Value::String(PLANTED_SECRET.into()));
        let body = serde_json::to_vec(&map).expect("a map serializes");
        decode(status, content_type, body, check_request, true);
    }
});
