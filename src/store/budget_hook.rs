//! [`BudgetHook`]: a [`RateBudget`] plugged into the transport's retry loop as a
//! [`SendHook`]: a reservation before every attempt per endpoint family (Okta's limits, and
//! those of other servers that send `X-Rate-Limit-*`, are per endpoint, not per client),
//! and the budget calibrated from every answer. The Okta client wraps it with Okta's retry
//! headers; the SCIM client uses it as it is.
//!
//! The budget counts in the server's time: `X-Rate-Limit-Reset` is in the server's whole
//! epoch seconds, and so is `Date`. Each answer bounds the offset between the server's
//! clock and ours from below (the server wrote `Date` no later than we read it, and its
//! clock was at least `Date`); the best bound of the last few minutes turns our clock into
//! a server time that is never ahead of the server's, so a window is reopened as soon as
//! it has reset and never before. Whole-second rounding then costs at most the gap
//! between the best answer and a tick of the server's clock, not a second per window.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use url::Url;

use super::{DEFAULT_LEASE, Observation, RateBudget, Reservation, Ticket, millis};
use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::transport::{
    Attempt, BoxFuture, MAX_SERVER_WAIT, RateLimit, Response, SendHook, Transport,
};

/// The most endpoint families remembered; beyond it the oldest knowledge is dropped (a
/// hostile server cannot grow the map without bound through `Link` URLs).
const MAX_BUCKETS: usize = 1024;

/// How long after the server's `Reset` (as we estimate its clock) a new window is used.
const RESET_MARGIN: Duration = Duration::from_millis(100);

/// What a budget wait may exceed the retry policy's `max_wait` by: the whole-second
/// rounding of `X-Rate-Limit-Reset` and `Date`.
const ROUNDING_SLACK: Duration = Duration::from_secs(2);

/// How long one lower bound of the clock offset is trusted (clocks drift).
const OFFSET_PERIOD: Duration = Duration::from_secs(300);

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

/// A lower bound of `server clock − our clock`, in milliseconds, from `Date` headers.
#[derive(Debug, Default)]
struct OffsetBound {
    /// The best bound of the current period and of the one before, and when the current
    /// period started (by our clock).
    current: Option<i64>,
    previous: Option<i64>,
    period_start: Option<SystemTime>,
}

impl OffsetBound {
    fn sample(&mut self, date: SystemTime, received: SystemTime) {
        let sample = signed_ms(date) - signed_ms(received);
        let start = *self.period_start.get_or_insert(received);
        if received
            .duration_since(start)
            .is_ok_and(|age| age >= OFFSET_PERIOD)
        {
            self.previous = self.current.take();
            self.period_start = Some(received);
        }
        self.current = Some(self.current.map_or(sample, |c| c.max(sample)));
    }

    fn best(&self) -> i64 {
        match (self.current, self.previous) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) | (None, Some(a)) => a,
            // No `Date` seen: trust our own clock.
            (None, None) => 0,
        }
    }
}

fn signed_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// A rate budget around each attempt.
#[derive(Debug)]
pub(crate) struct BudgetHook {
    budget: Option<Arc<dyn RateBudget>>,
    clock: SharedClock,
    max_wait: Duration,
    offset: Mutex<OffsetBound>,
    local: Mutex<Local>,
}

/// What this client alone remembers per bucket.
#[derive(Debug, Default)]
struct Local {
    /// The last rate-limit headers (see [`BudgetHook::for_url`]).
    last: HashMap<String, RateLimit>,
    /// Reservations this client holds, oldest first, with when they were made: each answer
    /// ends the oldest (answers carry no request identity back to the hook).
    tickets: HashMap<String, VecDeque<(Ticket, Instant)>>,
    /// Buckets whose answers carry no rate-limit headers: nothing to reserve.
    unlimited: HashMap<String, ()>,
}

impl Local {
    fn bound(&mut self) {
        if self.last.len() >= MAX_BUCKETS {
            self.last.clear();
        }
        if self.tickets.len() >= MAX_BUCKETS {
            self.tickets.clear();
        }
        if self.unlimited.len() >= MAX_BUCKETS {
            self.unlimited.clear();
        }
    }
}

impl BudgetHook {
    pub(crate) fn new(
        budget: Option<Arc<dyn RateBudget>>,
        clock: SharedClock,
        max_wait: Duration,
    ) -> Self {
        BudgetHook {
            budget,
            clock,
            max_wait,
            offset: Mutex::default(),
            local: Mutex::default(),
        }
    }

    /// The hook a client builder asked for: around the budget it was `given`, else around
    /// a budget of its own when it asked to `throttle`, else around none. Waits are timed
    /// by the transport's clock and capped by its retry policy's `max_wait`.
    pub(crate) fn for_client(
        given: Option<Arc<dyn RateBudget>>,
        throttle: bool,
        transport: &Transport,
    ) -> Self {
        let budget = given.or_else(|| {
            throttle.then(|| Arc::new(super::InProcessRateBudget::new()) as Arc<dyn RateBudget>)
        });
        BudgetHook::new(
            budget,
            transport.shared_clock(),
            transport.retry_policy().get_max_wait(),
        )
    }

    /// Whether a budget is reserved in around each attempt.
    pub(crate) fn has_budget(&self) -> bool {
        self.budget.is_some()
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The rate-limit headers last seen for the bucket `url` falls in (kept only with a
    /// budget).
    pub(crate) fn for_url(&self, url: &Url) -> Option<RateLimit> {
        self.local().last.get(&rate_limit_bucket(url)).copied()
    }

    /// Our estimate of the server's clock, in epoch ms: never ahead of it (less the margin).
    fn server_now_ms(&self) -> u64 {
        let offset = self.offset.lock().map(|o| o.best()).unwrap_or(0);
        let local = signed_ms(self.clock.system_now());
        let margin = i64::try_from(RESET_MARGIN.as_millis()).unwrap_or(0);
        u64::try_from(local.saturating_add(offset).saturating_sub(margin)).unwrap_or(0)
    }

    async fn reserve(&self, budget: &dyn RateBudget, url: &Url) -> Result<()> {
        let bucket = rate_limit_bucket(url);
        if self.local().unlimited.contains_key(&bucket) {
            return Ok(());
        }
        loop {
            match budget.try_reserve(&bucket, self.server_now_ms()).await {
                Ok(Reservation::Granted(ticket)) => {
                    let mut local = self.local();
                    local.bound();
                    local
                        .tickets
                        .entry(bucket)
                        .or_default()
                        .push_back((ticket, self.clock.now()));
                    return Ok(());
                }
                Ok(Reservation::Wait(wait)) => {
                    // `Reset` and `Date` are whole seconds: a 60 s window can mean a wait
                    // of 61-62 s, which a `max_wait` of 60 s must still allow.
                    if wait > self.max_wait.saturating_add(ROUNDING_SLACK) {
                        tracing::debug!(?wait, "rate budget spent past max_wait; not sending");
                        return Err(Error::RateBudgetExhausted { retry_after: wait });
                    }
                    tracing::trace!(?wait, "waiting for the rate budget");
                    self.clock.sleep(wait).await;
                }
                Err(err) => {
                    // A custom budget failed: send without it rather than fail the call.
                    tracing::debug!(error = %err, "rate budget unavailable; sending unbudgeted");
                    return Ok(());
                }
            }
        }
    }

    fn observe(&self, budget: &Arc<dyn RateBudget>, url: &Url, response: &Response) {
        let bucket = rate_limit_bucket(url);
        let received = self.clock.system_now();
        let limit = RateLimit::from_headers(&response.headers);
        if let Some(date) = response
            .headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            && let Ok(mut offset) = self.offset.lock()
        {
            offset.sample(date, received);
        }
        let ticket = {
            let mut local = self.local();
            local.bound();
            match limit {
                Some(l) => {
                    local.unlimited.remove(&bucket);
                    local.last.insert(bucket.clone(), l);
                }
                None if response.status.is_success() => {
                    local.unlimited.insert(bucket.clone(), ());
                }
                None => {}
            }
            let tickets = local.tickets.entry(bucket.clone()).or_default();
            // Reservations whose answers never came (cancelled calls) have left the
            // budget with their lease: forget them here too.
            let now = self.clock.now();
            while tickets
                .front()
                .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= DEFAULT_LEASE)
            {
                tickets.pop_front();
            }
            tickets.pop_front().map(|(t, _)| t)
        };
        let server_now = self.server_now_ms();
        let reset_ms = limit.and_then(|l| l.reset).map(|reset| {
            // A reset from the wire counts as at most a day away.
            let cap = server_now.saturating_add(millis(MAX_SERVER_WAIT));
            millis(reset.duration_since(UNIX_EPOCH).unwrap_or_default()).min(cap)
        });
        let observation = Observation::new(
            limit.and_then(|l| l.limit),
            limit.and_then(|l| l.remaining),
            reset_ms,
            response.status == StatusCode::TOO_MANY_REQUESTS,
            ticket,
        );
        let budget = Arc::clone(budget);
        let mut task = Box::pin(async move {
            if let Err(err) = budget.observe(&bucket, server_now, observation).await {
                tracing::debug!(error = %err, "rate budget could not record an answer");
            }
        });
        // An in-process budget is done at the first poll; a shared one finishes in the
        // background, so the caller never waits for it.
        let mut cx = Context::from_waker(Waker::noop());
        if task.as_mut().poll(&mut cx) == Poll::Pending
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(task);
        }
    }
}

impl SendHook for BudgetHook {
    fn before_attempt<'a>(&'a self, attempt: Attempt<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match &self.budget {
                Some(budget) => self.reserve(budget.as_ref(), attempt.url).await,
                None => Ok(()),
            }
        })
    }

    fn after_response(&self, _method: &Method, url: &Url, response: &Response) {
        if let Some(budget) = &self.budget {
            self.observe(budget, url, response);
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
