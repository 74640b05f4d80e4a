//! [`RateBudget`]: a server's rate-limit budget, reserved *before* a request is sent, per
//! endpoint family ("bucket"), and [`InProcessRateBudget`], the budget of one process.
//!
//! # The model
//! Okta (and servers like it) count requests in fixed windows: each answer carries
//! `X-Rate-Limit-Limit` (the window's budget), `-Remaining` (what is left after this
//! request) and `-Reset` (when the window ends, in whole epoch seconds). A bucket here is
//! a token bucket that the server refills all at once at `Reset`:
//!
//! - **remaining**: the lowest `Remaining` the server reported for the current window;
//! - **in flight**: requests reserved and not yet answered (each with a lease, so a
//!   request whose answer never comes back stops counting after the lease);
//! - a request may go when `remaining − in flight > 0`. A request the server counted
//!   before we saw its answer is briefly counted twice; that only delays a sender until
//!   the answer arrives, it never lets one too many through.
//! - when the caller's estimate of the server's clock passes `Reset`, a new window opens
//!   with the learned limit minus what is still in flight (requests of the old window
//!   that may reach the server after its reset); the first answer of the new window tells
//!   its `Reset` and `Remaining`.
//! - until the first answer with rate-limit headers, one request at a time probes the
//!   bucket: a budget lower than any nominal one (an org that set its own limits) is
//!   learned before a second request is sent.
//!
//! Times are the *server's* clock in milliseconds since the epoch, as the caller estimates
//! it from `Date` headers (never ahead of the server), so replicas whose own clocks differ
//! share one budget without trusting each other's clocks.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Result;
use crate::transport::BoxFuture;

/// The most buckets a budget keeps; beyond it the least recently used is dropped.
pub(crate) const MAX_BUCKETS: usize = 1024;

/// A reservation's handle: given back with the answer so that it stops counting as in
/// flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(pub u64);

/// The answer to [`RateBudget::try_reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reservation {
    /// One request may be sent now.
    Granted(Ticket),
    /// Nothing is left: try again after this long (the window's reset, or the next answer
    /// of a request in flight).
    Wait(Duration),
}

/// What one answer said about its bucket (the `X-Rate-Limit-*` headers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observation {
    /// `X-Rate-Limit-Limit`.
    pub limit: Option<u32>,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: Option<u32>,
    /// `X-Rate-Limit-Reset`, in milliseconds since the epoch on the server's clock.
    pub reset_ms: Option<u64>,
    /// Whether the answer was a 429.
    pub rate_limited: bool,
    /// The reservation this answer ends, if the request had one.
    pub ticket: Option<Ticket>,
}

impl Observation {
    /// An observation from the rate-limit headers of one answer.
    pub fn new(
        limit: Option<u32>,
        remaining: Option<u32>,
        reset_ms: Option<u64>,
        rate_limited: bool,
        ticket: Option<Ticket>,
    ) -> Observation {
        Observation {
            limit,
            remaining,
            reset_ms,
            rate_limited,
            ticket,
        }
    }
}

/// A rate-limit budget shared by everything that sends to one server: reserved before
/// each attempt, calibrated from each answer.
///
/// Implementations: [`InProcessRateBudget`] and, with the `redis` feature,
/// `store::redis::RedisRateBudget`. Plug one into
/// [`OktaClientBuilder::rate_budget`](crate::okta::OktaClientBuilder::rate_budget).
///
/// ```
/// use std::sync::Arc;
/// use scimkit::store::{InProcessRateBudget, RateBudget};
///
/// let budget: Arc<dyn RateBudget> = Arc::new(InProcessRateBudget::new());
/// # let _ = budget;
/// ```
pub trait RateBudget: Send + Sync + fmt::Debug + 'static {
    /// Reserves one request in `bucket` if the budget allows it at `server_now_ms` (the
    /// caller's estimate of the server's clock, never ahead of it).
    fn try_reserve<'a>(
        &'a self,
        bucket: &'a str,
        server_now_ms: u64,
    ) -> BoxFuture<'a, Result<Reservation>>;

    /// Calibrates `bucket` from an answer's rate-limit headers and ends its reservation.
    fn observe<'a>(
        &'a self,
        bucket: &'a str,
        server_now_ms: u64,
        observation: Observation,
    ) -> BoxFuture<'a, Result<()>>;
}

/// How long a reservation counts as in flight when its answer never comes (the request
/// was cancelled or its connection failed).
pub(crate) const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// How long a sender waits before looking again when the budget is held by requests in
/// flight (their answers may free it) or the bucket is being probed.
pub(crate) const DEFAULT_POLL: Duration = Duration::from_millis(25);

/// The state of one bucket; the same machine runs in Lua for `store::redis::RedisRateBudget`
/// (feature `redis`): a change here is a change there.
#[derive(Debug, Default, Clone)]
pub(crate) struct BucketState {
    /// The window's budget (0: not learned yet).
    limit: u64,
    /// The current window's end, server ms (0: unknown).
    reset: u64,
    /// The lowest `Remaining` reported for the current window.
    remaining: u64,
    /// Past `reset` by the caller's clock, the next window's `Reset` not seen yet.
    open: bool,
    /// Reservations in flight: ticket and lease end (server ms).
    in_flight: VecDeque<(Ticket, u64)>,
}

impl BucketState {
    pub(crate) fn reserve(
        &mut self,
        now: u64,
        ticket: Ticket,
        lease: Duration,
        poll: Duration,
    ) -> Reservation {
        self.in_flight.retain(|(_, until)| *until > now);
        let lease_end = now.saturating_add(millis(lease));
        if self.limit == 0 {
            // Probing: one request at a time until an answer tells the budget.
            if self.in_flight.is_empty() {
                self.in_flight.push_back((ticket, lease_end));
                return Reservation::Granted(ticket);
            }
            return Reservation::Wait(poll);
        }
        if !self.open && self.reset != 0 && now >= self.reset {
            self.open = true;
            self.remaining = self.limit;
        }
        let in_flight = self.in_flight.len() as u64;
        if self.remaining > in_flight {
            self.in_flight.push_back((ticket, lease_end));
            return Reservation::Granted(ticket);
        }
        let until_reset = if self.open || self.reset == 0 {
            // The new window's reset is not known yet: the next answer tells it.
            poll
        } else {
            Duration::from_millis(self.reset.saturating_sub(now))
        };
        if in_flight > 0 {
            Reservation::Wait(until_reset.min(poll))
        } else {
            Reservation::Wait(until_reset.max(Duration::from_millis(1)))
        }
    }

    pub(crate) fn observe(&mut self, obs: &Observation) {
        if let Some(ticket) = obs.ticket
            && let Some(at) = self.in_flight.iter().position(|(t, _)| *t == ticket)
        {
            self.in_flight.remove(at);
        }
        if let Some(limit) = obs.limit {
            self.limit = u64::from(limit);
        }
        let (Some(reset), Some(remaining)) = (obs.reset_ms, obs.remaining) else {
            return;
        };
        let remaining = if obs.rate_limited {
            0
        } else {
            u64::from(remaining)
        };
        if self.limit == 0 {
            // Remaining without a limit: take what is left as the budget.
            self.limit = remaining.saturating_add(1);
        }
        if reset > self.reset {
            // A newer window than we knew: the server's count is the truth.
            self.reset = reset;
            self.open = false;
            self.remaining = remaining;
        } else if reset == self.reset && !self.open {
            self.remaining = self.remaining.min(remaining);
        }
        // Older windows (or the old window after we opened the next) say nothing new.
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The budget of one process: every client built with the same `InProcessRateBudget`
/// (or one client shared by many tasks) draws on one budget per bucket.
///
/// ```
/// use scimkit::store::InProcessRateBudget;
///
/// let budget = InProcessRateBudget::new();
/// # let _ = budget;
/// ```
pub struct InProcessRateBudget {
    buckets: Mutex<HashMap<String, (u64, BucketState)>>,
    tickets: AtomicU64,
    uses: AtomicU64,
    lease: Duration,
    poll: Duration,
}

impl Default for InProcessRateBudget {
    fn default() -> Self {
        InProcessRateBudget {
            buckets: Mutex::default(),
            tickets: AtomicU64::new(1),
            uses: AtomicU64::new(0),
            lease: DEFAULT_LEASE,
            poll: DEFAULT_POLL,
        }
    }
}

impl fmt::Debug for InProcessRateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets = self.buckets.lock().map(|b| b.len()).unwrap_or(0);
        f.debug_struct("InProcessRateBudget")
            .field("buckets", &buckets)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl InProcessRateBudget {
    /// An empty budget: each bucket is probed until its first answer.
    pub fn new() -> Self {
        InProcessRateBudget::default()
    }

    /// How long a reservation counts when its answer never comes (default 30 s, the
    /// default request timeout).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub(crate) fn with_bucket<T>(&self, bucket: &str, f: impl FnOnce(&mut BucketState) -> T) -> T {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let use_no = self.uses.fetch_add(1, Ordering::Relaxed);
        if !buckets.contains_key(bucket) && buckets.len() >= MAX_BUCKETS {
            // Drop the least recently used bucket: a hostile server's `Link` URLs cannot
            // grow the map without bound.
            if let Some(oldest) = buckets
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            {
                buckets.remove(&oldest);
            }
        }
        let entry = buckets
            .entry(bucket.to_owned())
            .or_insert_with(|| (use_no, BucketState::default()));
        entry.0 = use_no;
        f(&mut entry.1)
    }

    pub(crate) fn next_ticket(&self) -> Ticket {
        Ticket(self.tickets.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn reserve_now(&self, bucket: &str, server_now_ms: u64) -> Reservation {
        let ticket = self.next_ticket();
        let (lease, poll) = (self.lease, self.poll);
        self.with_bucket(bucket, |b| b.reserve(server_now_ms, ticket, lease, poll))
    }

    pub(crate) fn observe_now(&self, bucket: &str, observation: &Observation) {
        self.with_bucket(bucket, |b| b.observe(observation));
    }
}

impl RateBudget for InProcessRateBudget {
    fn try_reserve<'a>(
        &'a self,
        bucket: &'a str,
        server_now_ms: u64,
    ) -> BoxFuture<'a, Result<Reservation>> {
        Box::pin(std::future::ready(Ok(
            self.reserve_now(bucket, server_now_ms)
        )))
    }

    fn observe<'a>(
        &'a self,
        bucket: &'a str,
        _server_now_ms: u64,
        observation: Observation,
    ) -> BoxFuture<'a, Result<()>> {
        self.observe_now(bucket, &observation);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);
    const POLL: Duration = Duration::from_millis(25);

    fn obs(limit: u32, remaining: u32, reset: u64, ticket: Ticket) -> Observation {
        Observation::new(
            Some(limit),
            Some(remaining),
            Some(reset),
            false,
            Some(ticket),
        )
    }

    fn granted(r: Reservation) -> Ticket {
        match r {
            Reservation::Granted(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn probes_once_then_spends_exactly_the_learned_budget() {
        let mut b = BucketState::default();
        let t0 = granted(b.reserve(1_000, Ticket(0), LEASE, POLL));
        // A second request waits for the probe's answer.
        assert_eq!(
            b.reserve(1_000, Ticket(1), LEASE, POLL),
            Reservation::Wait(POLL)
        );
        // The org's limit is 3 (lower than any nominal one): 2 left in a window ending at 61 s.
        b.observe(&obs(3, 2, 61_000, t0));
        let t1 = granted(b.reserve(1_010, Ticket(1), LEASE, POLL));
        let t2 = granted(b.reserve(1_010, Ticket(2), LEASE, POLL));
        // Spent while both are in flight: wait for an answer (poll), not for the reset.
        assert_eq!(
            b.reserve(1_010, Ticket(3), LEASE, POLL),
            Reservation::Wait(POLL)
        );
        b.observe(&obs(3, 1, 61_000, t1));
        b.observe(&obs(3, 0, 61_000, t2));
        assert_eq!(
            b.reserve(2_000, Ticket(3), LEASE, POLL),
            Reservation::Wait(Duration::from_millis(59_000))
        );
        // At the reset a new window opens with the whole budget.
        for i in 3..6 {
            granted(b.reserve(61_000, Ticket(i), LEASE, POLL));
        }
        assert!(matches!(
            b.reserve(61_000, Ticket(6), LEASE, POLL),
            Reservation::Wait(_)
        ));
    }

    #[test]
    fn answers_out_of_order_and_from_old_windows_never_raise_the_budget() {
        let mut b = BucketState::default();
        let t = granted(b.reserve(0, Ticket(0), LEASE, POLL));
        b.observe(&obs(10, 5, 60_000, t));
        let t = granted(b.reserve(0, Ticket(1), LEASE, POLL));
        // An older answer (higher remaining) arrives late: the lower count stands.
        b.observe(&obs(10, 7, 60_000, t));
        assert_eq!(b.remaining, 5);
        // Another consumer spent some: the server's lower count is taken.
        b.observe(&obs(10, 2, 60_000, Ticket(99)));
        assert_eq!(b.remaining, 2);
        // We open the next window at the reset; a late answer from the old one changes nothing.
        granted(b.reserve(60_000, Ticket(2), LEASE, POLL));
        b.observe(&obs(10, 0, 60_000, Ticket(98)));
        assert_eq!(b.remaining, 10);
        // The new window's first answer tells its reset and count.
        b.observe(&obs(10, 9, 120_000, Ticket(2)));
        assert_eq!((b.remaining, b.reset, b.open), (9, 120_000, false));
    }

    #[test]
    fn requests_in_flight_at_the_reset_count_against_the_new_window() {
        let mut b = BucketState::default();
        let t = granted(b.reserve(0, Ticket(0), LEASE, POLL));
        b.observe(&obs(2, 1, 60_000, t));
        granted(b.reserve(59_990, Ticket(1), LEASE, POLL));
        // Ticket 1 may reach the server after its reset: the new window opens with 1, not 2.
        granted(b.reserve(60_000, Ticket(2), LEASE, POLL));
        assert!(matches!(
            b.reserve(60_000, Ticket(3), LEASE, POLL),
            Reservation::Wait(_)
        ));
    }

    #[test]
    fn a_lost_answer_stops_counting_after_its_lease() {
        let mut b = BucketState::default();
        let t = granted(b.reserve(0, Ticket(0), LEASE, POLL));
        b.observe(&obs(1, 1, 600_000, t));
        granted(b.reserve(0, Ticket(1), LEASE, POLL)); // never answered
        assert!(matches!(
            b.reserve(1, Ticket(2), LEASE, POLL),
            Reservation::Wait(_)
        ));
        granted(b.reserve(30_000, Ticket(2), LEASE, POLL));
    }

    #[test]
    fn a_429_spends_the_window() {
        let mut b = BucketState::default();
        let t = granted(b.reserve(0, Ticket(0), LEASE, POLL));
        b.observe(&Observation::new(
            Some(10),
            Some(3),
            Some(60_000),
            true,
            Some(t),
        ));
        assert_eq!(
            b.reserve(0, Ticket(1), LEASE, POLL),
            Reservation::Wait(Duration::from_secs(60))
        );
    }
}
