//! Server hints about when to come back: `Retry-After` (RFC 9110 §10.2.3) and the
//! `X-Rate-Limit-Limit` / `-Remaining` / `-Reset` headers (Okta's, and others').
//!
//! Every value here comes from the network, so none of it is trusted: times are computed
//! with checked arithmetic, an instant that would overflow is dropped, and every wait is
//! capped at [`MAX_SERVER_WAIT`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

/// The longest wait a server can ask for, whatever its headers say (one day). A longer
/// `Retry-After` or rate-limit reset counts as this long, which is more than any
/// [`RetryPolicy::max_wait`](super::RetryPolicy::max_wait) worth setting: the client then
/// returns the error (with its `retry_after`) instead of waiting.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// The rate-limit headers of the last response that carried them (Okta's `X-Rate-Limit-*`).
///
/// ```
/// use http::HeaderMap;
/// use scimkit::RateLimit;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-rate-limit-limit", "600".parse().unwrap());
/// headers.insert("x-rate-limit-remaining", "599".parse().unwrap());
/// headers.insert("x-rate-limit-reset", "1700000060".parse().unwrap());
/// let limit = RateLimit::from_headers(&headers).unwrap();
/// assert_eq!(limit.limit, Some(600));
/// assert_eq!(limit.remaining, Some(599));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the current window (`X-Rate-Limit-Limit`).
    pub limit: Option<u32>,
    /// Requests left in the current window (`X-Rate-Limit-Remaining`).
    pub remaining: Option<u32>,
    /// When the window resets (`X-Rate-Limit-Reset`, epoch seconds).
    pub reset: Option<SystemTime>,
}

impl RateLimit {
    /// Reads the `X-Rate-Limit-*` headers; `None` when none of them is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let limit = header_u64(headers, "x-rate-limit-limit").and_then(|v| u32::try_from(v).ok());
        let remaining =
            header_u64(headers, "x-rate-limit-remaining").and_then(|v| u32::try_from(v).ok());
        // Epoch seconds from the wire: an absurd value must not overflow `SystemTime`.
        let reset = header_u64(headers, "x-rate-limit-reset")
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)));
        if limit.is_none() && remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(RateLimit {
            limit,
            remaining,
            reset,
        })
    }

    /// Whether the window is spent and has not reset yet at `now`.
    pub fn exhausted_at(&self, now: SystemTime) -> bool {
        self.remaining == Some(0) && self.reset.is_some_and(|reset| reset > now)
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The server's `Date`, or `now` when it sent none or an unreadable one.
pub(crate) fn server_date(headers: &HeaderMap, now: SystemTime) -> SystemTime {
    headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .unwrap_or(now)
}

/// How long the server asked us to wait before retrying, from `Retry-After` (seconds or an
/// HTTP date) or, failing that, `X-Rate-Limit-Reset − Date + 1 s`; at most
/// [`MAX_SERVER_WAIT`]. A time in the past means no wait; an unreadable value is ignored.
pub(crate) fn retry_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            let date = server_date(headers, now);
            return Some(
                at.duration_since(date)
                    .unwrap_or_default()
                    .min(MAX_SERVER_WAIT),
            );
        }
    }
    let reset = RateLimit::from_headers(headers)?.reset?;
    let date = server_date(headers, now);
    Some(
        reset
            .duration_since(date)
            .unwrap_or_default()
            .saturating_add(Duration::from_secs(1))
            .min(MAX_SERVER_WAIT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_hint(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_hint(&headers(&[("retry-after", &later), ("date", &date)]), now),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn rate_limit_reset_minus_server_date_plus_one() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // The server's clock is 100 s behind ours: its Date is what counts.
        let server = httpdate::fmt_http_date(now - Duration::from_secs(100));
        let h = headers(&[
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1699999910"),
            ("date", &server),
        ]);
        assert_eq!(retry_hint(&h, now), Some(Duration::from_secs(11)));
        let limit = RateLimit::from_headers(&h).unwrap();
        assert!(limit.exhausted_at(now - Duration::from_secs(100)));
        assert!(!limit.exhausted_at(now));
    }

    #[test]
    fn absurd_wire_values_never_panic_and_are_capped() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let max = u64::MAX.to_string();
        // (headers, expected hint)
        type Case<'a> = (Vec<(&'static str, &'a str)>, Option<Duration>);
        let cases: Vec<Case> = vec![
            (vec![("retry-after", &max)], Some(MAX_SERVER_WAIT)),
            (vec![("retry-after", "18446744073709551616")], None),
            (vec![("retry-after", "-5")], None),
            (vec![("retry-after", "1.5")], None),
            (vec![("retry-after", "")], None),
            (
                vec![("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
                Some(MAX_SERVER_WAIT),
            ),
            (
                vec![("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")],
                Some(Duration::ZERO),
            ),
            (vec![("x-rate-limit-reset", &max)], None),
            (
                vec![("x-rate-limit-reset", "99999999999999")],
                Some(MAX_SERVER_WAIT),
            ),
            (
                vec![("x-rate-limit-reset", "0")],
                Some(Duration::from_secs(1)),
            ),
            (
                vec![("x-rate-limit-reset", "1700000010"), ("date", "garbage")],
                Some(Duration::from_secs(11)),
            ),
            (
                vec![
                    ("x-rate-limit-reset", "1700000010"),
                    ("date", "Fri, 31 Dec 9999 23:59:59 GMT"),
                ],
                Some(Duration::from_secs(1)),
            ),
            (
                vec![
                    ("x-rate-limit-limit", &max),
                    ("x-rate-limit-remaining", "-1"),
                ],
                None,
            ),
        ];
        for (pairs, expected) in cases {
            let h = headers(&pairs);
            assert_eq!(retry_hint(&h, now), expected, "{pairs:?}");
            let _ = RateLimit::from_headers(&h).map(|l| l.exhausted_at(now));
        }
        let limit = RateLimit::from_headers(&headers(&[("x-rate-limit-limit", &max)]));
        assert_eq!(limit, None, "a limit beyond u32 is not a limit");
    }

    #[test]
    fn a_server_wait_is_capped_at_one_day() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let day = 24 * 60 * 60;
        // (Retry-After in seconds, the hint)
        for (asked, hint) in [
            (day - 1, day - 1),
            (day, day),
            (day + 1, day),
            (10 * day, day),
        ] {
            let h = headers(&[("retry-after", &asked.to_string())]);
            assert_eq!(
                retry_hint(&h, now),
                Some(Duration::from_secs(hint)),
                "{asked}"
            );
        }
    }

    #[test]
    fn a_window_is_spent_until_the_instant_it_resets() {
        let reset = UNIX_EPOCH + Duration::from_secs(1_700_000_060);
        let h = headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000060"),
        ]);
        let limit = RateLimit::from_headers(&h).unwrap();
        assert_eq!(limit.limit, None);
        assert_eq!(limit.reset, Some(reset));
        // (now, exhausted)
        for (now, spent) in [
            (reset - Duration::from_secs(1), true),
            (reset, false),
            (reset + Duration::from_secs(1), false),
        ] {
            assert_eq!(limit.exhausted_at(now), spent, "{now:?}");
        }
        let left = RateLimit::from_headers(&headers(&[
            ("x-rate-limit-remaining", "1"),
            ("x-rate-limit-reset", "1700000060"),
        ]))
        .unwrap();
        assert!(!left.exhausted_at(reset - Duration::from_secs(1)));
    }

    #[test]
    fn no_headers_no_hint() {
        assert_eq!(retry_hint(&HeaderMap::new(), SystemTime::now()), None);
        assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
    }
}
