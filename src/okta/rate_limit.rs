//! Okta's rate-limit rules, plugged into the transport's retry loop as a [`SendHook`]:
//! `X-Okta-Retry-For` / `X-Okta-Retry-Count` on a retry after a 429, and optional
//! throttling per endpoint family, because Okta's limits are per endpoint, not per client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

use crate::clock::SharedClock;
use crate::error::Result;
use crate::transport::{Attempt, BoxFuture, RateLimit, Response, SendHook};

/// The most endpoint families remembered; beyond it the oldest knowledge is dropped (a
/// hostile server cannot grow the map without bound through `Link` URLs).
const MAX_BUCKETS: usize = 1024;

/// The rate-limit bucket a URL falls in: its origin and first three path segments, plus
/// `/*` when the path goes deeper. Okta keeps a separate limit per endpoint family
/// (`/api/v1/users` for lists and creates, `/api/v1/users/{id}` and below for single users,
/// `/api/v1/groups`, ...): a spent `/users` window must not hold back `/groups` calls. This
/// is an approximation of Okta's published buckets that never merges two of them.
pub(crate) fn rate_limit_bucket(url: &Url) -> String {
    let mut segments = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty());
    let mut bucket = url.origin().ascii_serialization();
    for segment in segments.by_ref().take(3) {
        bucket.push('/');
        bucket.push_str(segment);
    }
    if segments.next().is_some() {
        bucket.push_str("/*");
    }
    bucket
}

/// Okta's rules around each attempt.
#[derive(Debug)]
pub(crate) struct OktaRateLimits {
    throttle: bool,
    clock: SharedClock,
    max_wait: Duration,
    /// The last rate-limit headers per bucket (see [`rate_limit_bucket`]), for throttling.
    buckets: Mutex<HashMap<String, RateLimit>>,
}

impl OktaRateLimits {
    pub(crate) fn new(throttle: bool, clock: SharedClock, max_wait: Duration) -> Self {
        OktaRateLimits {
            throttle,
            clock,
            max_wait,
            buckets: Mutex::default(),
        }
    }

    /// The rate-limit headers last seen for the bucket `url` falls in (kept only when
    /// throttling).
    pub(crate) fn for_url(&self, url: &Url) -> Option<RateLimit> {
        let bucket = rate_limit_bucket(url);
        self.buckets
            .lock()
            .ok()
            .and_then(|b| b.get(&bucket).copied())
    }

    async fn wait_for_window(&self, url: &Url) {
        let Some(limit) = self.for_url(url) else {
            return;
        };
        let now = self.clock.system_now();
        if !limit.exhausted_at(now) {
            return;
        }
        let Some(reset) = limit.reset else { return };
        let wait = reset
            .duration_since(now)
            .unwrap_or_default()
            .saturating_add(Duration::from_secs(1));
        if wait <= self.max_wait {
            tracing::debug!(?wait, "rate-limit window spent; waiting for its reset");
            self.clock.sleep(wait).await;
            // Forget the spent window so concurrent waiters do not wait twice.
            if let Ok(mut buckets) = self.buckets.lock() {
                buckets.remove(&rate_limit_bucket(url));
            }
        }
    }
}

impl SendHook for OktaRateLimits {
    fn before_attempt<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<()>> {
        // A retry after a 429 says which request it retries and how many times.
        if let Some(previous) = attempt.previous
            && previous.status == StatusCode::TOO_MANY_REQUESTS
        {
            if let Some(id) = previous.headers.get("x-okta-request-id") {
                attempt
                    .headers
                    .insert(HeaderName::from_static("x-okta-retry-for"), id.clone());
            }
            attempt.headers.insert(
                HeaderName::from_static("x-okta-retry-count"),
                HeaderValue::from(attempt.number.saturating_sub(1)),
            );
        }
        Box::pin(async move {
            if self.throttle {
                self.wait_for_window(attempt.url).await;
            }
            Ok(())
        })
    }

    fn after_response(&self, _method: &Method, url: &Url, response: &Response) {
        if !self.throttle {
            return;
        }
        if let Some(limit) = RateLimit::from_headers(&response.headers)
            && let Ok(mut buckets) = self.buckets.lock()
        {
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
            buckets.insert(rate_limit_bucket(url), limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_buckets_split_endpoint_families() {
        let bucket = |u: &str| rate_limit_bucket(&Url::parse(u).unwrap());
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users?limit=2"),
            "https://o.okta.com/api/v1/users"
        );
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users/00u1"),
            "https://o.okta.com/api/v1/users/*"
        );
        assert_eq!(
            bucket("https://o.okta.com/api/v1/users/00u1/lifecycle/activate"),
            "https://o.okta.com/api/v1/users/*"
        );
        assert_ne!(
            bucket("https://o.okta.com/api/v1/groups"),
            bucket("https://o.okta.com/api/v1/users")
        );
    }
}
