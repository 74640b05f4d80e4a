//! Okta error bodies (`errorCode`, `errorSummary`, `errorCauses`, ...), any status, content
//! type and body: never a panic; fields bounded (1 KiB each, at most 20 causes); no error
//! shows the SSWS token the request carried (echoed where the input says `@@`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimkit::Error;
use scimkit_fuzz::{REQUEST_SECRET, assert_hidden, echo_request_secret, response, split_head};

/// 1 KiB and the `…` that marks a cut.
const MAX_FIELD: usize = 1024 + '…'.len_utf8();

fuzz_target!(|data: &[u8]| {
    let (status, content_type, body) = split_head(data, &[400, 401, 403, 404, 429, 500, 200]);
    let (echoed, check_request) = echo_request_secret(body);
    let r = response(status, content_type, echoed, "SSWS");
    if let Some(e) = scimkit::__fuzz::okta_error(&r) {
        let Error::Okta(okta) = &e else {
            panic!("not an Okta error: {e:?}");
        };
        assert!(okta.error_code.len() <= MAX_FIELD);
        assert!(okta.error_summary.len() <= MAX_FIELD);
        assert!(okta.error_id.as_ref().is_none_or(|s| s.len() <= MAX_FIELD));
        assert!(
            okta.error_link
                .as_ref()
                .is_none_or(|s| s.len() <= MAX_FIELD)
        );
        assert!(okta.error_causes.len() <= 20);
        assert!(okta.error_causes.iter().all(|c| c.len() <= MAX_FIELD));
        assert!(okta.request_id.is_none());
        if check_request {
            assert_hidden(&e, REQUEST_SECRET, "the SSWS token");
        }
    }
    let e = r.into_http_error();
    if check_request {
        assert_hidden(&e, REQUEST_SECRET, "the SSWS token");
    }
});
