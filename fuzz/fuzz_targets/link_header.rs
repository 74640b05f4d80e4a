//! `Link` headers (RFC 8288) as Okta pages with them: any bytes, never a panic; every link
//! found comes from the input (no more links than `<`s), and `rel="next"` resolves or not.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use scimkit::okta::{links, next_link, parse_link_header};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_link_header(&text);
    let opens = text.matches('<').count();
    assert!(
        parsed.len() <= opens,
        "{} links from {opens} '<'",
        parsed.len()
    );
    for link in &parsed {
        let _ = link.has_rel("next");
        let _ = link.param("rel");
        assert!(link.target.len() <= text.len());
    }
    // Through a header map, as a response carries it (raw bytes: not always UTF-8).
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.append(http::header::LINK, value);
        headers.append(
            http::header::LINK,
            HeaderValue::from_static("</next>; rel=next"),
        );
        let all = links(&headers);
        assert!(
            !all.is_empty(),
            "the well-formed second header is always read"
        );
        let base = Url::parse("https://example.okta.com/api/v1/users?limit=2").expect("a URL");
        let _ = next_link(&headers, &base);
    }
});
