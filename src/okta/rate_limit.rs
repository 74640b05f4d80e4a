//! Okta's rate-limit rules, plugged into the transport's retry loop as a [`SendHook`]:
//! `X-Okta-Retry-For` / `X-Okta-Retry-Count` on a retry after a 429, around the crate's
//! [`BudgetHook`] (a rate budget reserved before every attempt per endpoint family).

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

use crate::error::Result;
use crate::store::BudgetHook;
use crate::transport::{Attempt, BoxFuture, RateLimit, Response, SendHook};

/// Okta's rules around each attempt.
#[derive(Debug)]
pub(crate) struct OktaRateLimits {
    budget: BudgetHook,
}

impl OktaRateLimits {
    pub(crate) fn new(budget: BudgetHook) -> Self {
        OktaRateLimits { budget }
    }

    pub(crate) fn for_url(&self, url: &Url) -> Option<RateLimit> {
        self.budget.for_url(url)
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
        self.budget.before_attempt(attempt)
    }

    fn after_response(&self, method: &Method, url: &Url, response: &Response) {
        self.budget.after_response(method, url, response);
    }
}
