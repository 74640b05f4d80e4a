//! What the fuzz targets share: responses built the way the transport builds them, a
//! request secret the server may echo back, planted secrets, and the check that no error
//! shows them.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use scimkit::Error;
use scimkit::transport::Response;
use serde_json::Value;
use url::Url;

/// The secret the request carried (a bearer token or an SSWS API token). Wherever the
/// input holds `@@`, the "server" echoes it back.
///
/// Secrets start with an upper-case letter other than those of escapes: errors show body
/// snippets `Debug`-escaped, and an escape such as `\r` followed by the rest of a secret
/// must not read as the secret (a false alarm the fuzzer found with `rq-...`).
pub const REQUEST_SECRET: &str = "QZ-7Hq2Zp9XkLw3VtB4";

/// A value planted under a secret key (`access_token`, `password`, ...) of a JSON body.
pub const PLANTED_SECRET: &str = "MK-Jd83LqP0vZx6Wn2C";

/// How much of a secret is enough to count as shown: an error cut in the middle of a
/// secret shows a prefix of it.
const SHOWN_PREFIX: usize = 10;

/// The status and `Content-Type` chosen by the first input byte, and the rest as the body.
pub fn split_head<'a>(
    data: &'a [u8],
    statuses: &[u16],
) -> (StatusCode, Option<&'static str>, &'a [u8]) {
    const TYPES: [Option<&str>; 6] = [
        Some("application/json"),
        Some("application/scim+json; charset=utf-8"),
        None,
        Some("text/plain"),
        Some("text/html"),
        Some("application/octet-stream"),
    ];
    let Some((&first, body)) = data.split_first() else {
        return (StatusCode::OK, TYPES[0], data);
    };
    let status = statuses[usize::from(first & 0x0f) % statuses.len()];
    let content_type = TYPES[usize::from(first >> 4) % TYPES.len()];
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        content_type,
        body,
    )
}

/// The body the server sends: the input with every `@@` replaced by [`REQUEST_SECRET`].
/// The flag says whether the check applies: it does not when the input already held a
/// piece of the secret by itself.
pub fn echo_request_secret(body: &[u8]) -> (Vec<u8>, bool) {
    let checkable = !contains(body, &REQUEST_SECRET.as_bytes()[..SHOWN_PREFIX]);
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = find(rest, b"@@") {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(REQUEST_SECRET.as_bytes());
        rest = &rest[i + 2..];
    }
    out.extend_from_slice(rest);
    (out, checkable)
}

/// A response to a request that carried [`REQUEST_SECRET`] in `Authorization: <scheme> ..`
/// (marked sensitive, as the crate's authenticators mark it).
pub fn response(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    scheme: &str,
) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let mut sent = HeaderMap::new();
    let mut auth =
        HeaderValue::from_str(&format!("{scheme} {REQUEST_SECRET}")).expect("a valid header");
    auth.set_sensitive(true);
    sent.insert(http::header::AUTHORIZATION, auth);
    scimkit::__fuzz::response(
        status,
        headers,
        Bytes::from(body),
        Url::parse("https://idp.example.com/oauth2/v1/token?client_hint=q").expect("a URL"),
        sent,
        None,
    )
}

/// Panics when `error`'s `Display` or `Debug` shows `secret` (or its first bytes).
pub fn assert_hidden(error: &Error, secret: &str, what: &str) {
    let shown = format!("{error}\n{error:?}");
    assert!(
        !shown.contains(&secret[..SHOWN_PREFIX]),
        "{what} shown in an error: {shown}"
    );
}

/// Whether any key or string value of `value` contains `needle`.
pub fn json_mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|v| json_mentions(v, needle)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(needle) || json_mentions(v, needle)),
        _ => false,
    }
}

/// The body as a JSON value that does not yet mention [`PLANTED_SECRET`], for planting it.
pub fn plantable(body: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(body).ok()?;
    (!json_mentions(&value, &PLANTED_SECRET[..SHOWN_PREFIX])).then_some(value)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}
