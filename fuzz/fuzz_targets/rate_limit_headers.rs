//! `Retry-After`, `Date` and `X-Rate-Limit-*` headers with any bytes, at any `now`: never a
//! panic (no `SystemTime`/`Instant` overflow), and a wait is never longer than
//! `MAX_SERVER_WAIT`.
//!
//! Input: 12 bytes of `now` (i64 seconds from the epoch, u32 nanoseconds), then header lines
//! `<selector byte><value bytes>` separated by `\n`; the selector picks the header name.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use scimkit::transport::{MAX_SERVER_WAIT, RateLimit};

const NAMES: [&str; 6] = [
    "retry-after",
    "date",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "x-okta-request-id",
];

fn now_from(bytes: &[u8; 12]) -> SystemTime {
    let (secs, nanos) = bytes.split_at(8);
    let secs = i64::from_le_bytes(secs.try_into().expect("8 bytes"));
    let nanos = u32::from_le_bytes(nanos.try_into().expect("4 bytes")) % 1_000_000_000;
    let offset = Duration::new(secs.unsigned_abs(), nanos);
    let at = if secs >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    };
    at.unwrap_or(UNIX_EPOCH)
}

fuzz_target!(|data: &[u8]| {
    let Some((now, rest)) = data.split_first_chunk::<12>() else {
        return;
    };
    let now = now_from(now);
    let mut headers = HeaderMap::new();
    for line in rest.split(|b| *b == b'\n') {
        let Some((&selector, value)) = line.split_first() else {
            continue;
        };
        let name = HeaderName::from_static(NAMES[usize::from(selector) % NAMES.len()]);
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    if let Some(wait) = scimkit::__fuzz::retry_hint(&headers, now) {
        assert!(wait <= MAX_SERVER_WAIT, "{wait:?}");
    }
    if let Some(limit) = RateLimit::from_headers(&headers) {
        let _ = limit.exhausted_at(now);
        let _ = limit.exhausted_at(SystemTime::now());
    }
});
