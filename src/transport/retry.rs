//! When to send a request again, and how long to wait first.

use std::time::Duration;

use http::{Method, StatusCode};

use crate::error::Error;

/// Retry behaviour for transient failures, and the rule that keeps a write from being sent
/// twice.
///
/// **What is retried.** Every request, whatever its method, is retried when
/// - the connection could not be made (refused, DNS, connect timeout): the request was
///   never written, so the server cannot have acted on it;
/// - the server answered 429 (rate limited) or 408 (it did not read the request).
///
/// An *idempotent* request (GET, HEAD, PUT, DELETE, OPTIONS, or one marked with
/// [`ApiRequest::idempotent`](super::ApiRequest::idempotent)) is also retried when
/// - the server answered 500, 502, 503 or 504;
/// - the attempt timed out after the request was written;
/// - the connection was reset or closed, or the answer was not HTTP, after the request was
///   written ([`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown));
/// - the connection dropped in the middle of the answer's body
///   ([`Error::BodyInterrupted`](crate::Error::BodyInterrupted)).
///
/// **What is never retried.** A TLS failure ([`Error::Tls`](crate::Error::Tls): an unknown
/// CA, an expired certificate, one for another host): the same certificate fails again.
/// A POST or PATCH that the server may have received is never sent again: after a reset,
/// a close, a garbage answer or a timeout once the request was written, the call fails with [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)
/// (or [`Error::BodyInterrupted`](crate::Error::BodyInterrupted) when a status had already
/// arrived), whose message says the outcome is unknown. Read the server's state before you
/// send it again (e.g. look the user up by `userName`): that is how a retry cannot create a
/// duplicate user.
///
/// **How long to wait.** The wait before retry `n` (0-based) is `initial_backoff × 2ⁿ`,
/// capped at `max_backoff`, with "equal jitter" (half fixed, half random); a `Retry-After`
/// or `X-Rate-Limit-Reset` from the server replaces it when longer. A server that asks for
/// more than `max_wait` is not waited for: the error is returned with its `retry_after`.
/// No wait ends later than `max_elapsed` after the call started.
///
/// ```
/// use std::time::Duration;
/// use scimkit::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_wait(Duration::from_secs(30));
/// assert_eq!(policy.get_max_retries(), 5);
/// let none = RetryPolicy::never();
/// assert_eq!(none.get_max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_wait: Duration,
    max_elapsed: Option<Duration>,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 200 ms initial back-off, 10 s back-off cap, 60 s longest server-requested wait,
    /// jitter on.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
            max_elapsed: None,
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times a request may be sent again after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry; it doubles for each later one.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest computed back-off.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a server may ask for (`Retry-After`, rate-limit reset) before the
    /// client gives up instead of waiting.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The caller's deadline for one call, retries and waits included: a retry whose wait
    /// would end later than this after the first attempt started is not made, and the last
    /// answer (or error) is returned instead. Default: none (bounded only by `max_retries`
    /// and `max_wait`). To cancel a call outright, drop its future (e.g. with
    /// `tokio::time::timeout`).
    pub fn max_elapsed(mut self, deadline: Duration) -> Self {
        self.max_elapsed = Some(deadline);
        self
    }

    /// Turns jitter on or off (off makes waits deterministic, e.g. in tests).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The configured number of retries.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The configured longest server-requested wait.
    pub fn get_max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The back-off before retry number `retry` (0-based), before any server hint.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX);
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        if !self.jitter || full.is_zero() {
            return full;
        }
        let half = full / 2;
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=spread))
    }

    /// The wait before retry `retry`, given what the server asked for and how long the call
    /// has taken so far; `None` when the server asked for longer than `max_wait` or the wait
    /// would overrun `max_elapsed`.
    pub(crate) fn wait(
        &self,
        retry: u32,
        server_hint: Option<Duration>,
        elapsed: Duration,
    ) -> Option<Duration> {
        let backoff = self.backoff(retry);
        let wait = match server_hint {
            Some(hint) if hint > self.max_wait => return None,
            Some(hint) => hint.max(backoff),
            None => backoff,
        };
        match self.max_elapsed {
            Some(deadline) if elapsed.saturating_add(wait) > deadline => None,
            _ => Some(wait),
        }
    }
}

/// Whether a method is idempotent by RFC 9110 §9.2.2.
pub(crate) fn idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a response status is worth another attempt (see [`RetryPolicy`]).
pub(crate) fn retry_status(status: StatusCode, idempotent: bool) -> bool {
    match status.as_u16() {
        408 | 429 => true,
        500 | 502..=504 => idempotent,
        _ => false,
    }
}

/// Whether a failed attempt (no complete answer) is worth another attempt: the rule that
/// keeps a write the server may have seen from being sent twice.
pub(crate) fn retry_failure(error: &Error, idempotent: bool) -> bool {
    match error {
        // Never written: safe for every method.
        Error::Connect { .. } => true,
        // Written, perhaps acted on: only when sending twice is harmless.
        Error::Timeout { .. } | Error::OutcomeUnknown { .. } | Error::BodyInterrupted { .. } => {
            idempotent
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default()
            .jitter(false)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(350));
        assert_eq!(p.backoff(40), Duration::from_millis(350));
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let p = RetryPolicy::default().initial_backoff(Duration::from_millis(100));
        for _ in 0..200 {
            let d = p.backoff(0);
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(100));
        }
    }

    #[test]
    fn server_hint_wins_when_longer_and_too_long_gives_up() {
        let p = RetryPolicy::default()
            .jitter(false)
            .max_wait(Duration::from_secs(5));
        assert_eq!(
            p.wait(0, Some(Duration::from_secs(2)), Duration::ZERO),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.wait(0, Some(Duration::from_secs(6)), Duration::ZERO),
            None
        );
        assert_eq!(
            p.wait(0, None, Duration::ZERO),
            Some(Duration::from_millis(200))
        );
        let p = p.max_elapsed(Duration::from_secs(10));
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(3)), Duration::from_secs(7)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(4)), Duration::from_secs(7)),
            None
        );
    }

    #[test]
    fn which_statuses_retry() {
        // (status, retried when idempotent, retried when not)
        let table = [
            (200, false, false),
            (400, false, false),
            (401, false, false),
            (404, false, false),
            (408, true, true),
            (409, false, false),
            (429, true, true),
            (500, true, false),
            (501, false, false),
            (502, true, false),
            (503, true, false),
            (504, true, false),
            (505, false, false),
        ];
        for (code, idempotent, other) in table {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(retry_status(status, true), idempotent, "{code}");
            assert_eq!(retry_status(status, false), other, "{code}");
        }
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            assert!(idempotent_method(&m), "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!idempotent_method(&m), "{m}");
        }
    }

    #[test]
    fn which_failures_retry() {
        let url = || "https://h/x".to_owned();
        // (failure, retried when idempotent, retried when not)
        let table = [
            (
                Error::Connect {
                    url: url(),
                    message: "refused".into(),
                },
                true,
                true,
            ),
            (Error::Timeout { url: url() }, true, false),
            (
                Error::OutcomeUnknown {
                    url: url(),
                    message: "reset".into(),
                    idempotent: true,
                },
                true,
                false,
            ),
            (
                Error::BodyInterrupted {
                    status: StatusCode::OK,
                    url: url(),
                    received: 10,
                    message: "closed".into(),
                    idempotent: true,
                },
                true,
                false,
            ),
            (
                Error::BodyTooLarge {
                    url: url(),
                    limit: 1,
                },
                false,
                false,
            ),
            (Error::config("x"), false, false),
        ];
        for (error, idempotent, other) in table {
            assert_eq!(retry_failure(&error, true), idempotent, "{error:?}");
            assert_eq!(retry_failure(&error, false), other, "{error:?}");
        }
    }

    #[test]
    fn the_defaults_and_every_setter_are_what_the_docs_say() {
        // The documented defaults: 3 retries, 200 ms doubling to 10 s, 60 s longest wait.
        let d = RetryPolicy::default().jitter(false);
        assert_eq!(d.get_max_retries(), 3);
        assert_eq!(d.get_max_wait(), Duration::from_secs(60));
        assert_eq!(d.backoff(0), Duration::from_millis(200));
        assert_eq!(d.backoff(10), Duration::from_secs(10));
        assert_eq!(
            d.wait(0, Some(Duration::from_secs(60)), Duration::MAX),
            Some(Duration::from_secs(60)),
            "no deadline by default"
        );
        // `never` keeps every other default and retries nothing.
        let never = RetryPolicy::never();
        assert_eq!(never.get_max_retries(), 0);
        assert_eq!(never.max_retries(3), RetryPolicy::default());

        let p = RetryPolicy::default()
            .max_retries(7)
            .initial_backoff(Duration::from_millis(30))
            .max_backoff(Duration::from_millis(100))
            .max_wait(Duration::from_secs(9))
            .max_elapsed(Duration::from_secs(20))
            .jitter(false);
        assert_eq!(p.get_max_retries(), 7);
        assert_eq!(p.get_max_wait(), Duration::from_secs(9));
        // (retry, server hint, elapsed so far, wait)
        let table = [
            (0, None, Duration::ZERO, Some(Duration::from_millis(30))),
            (1, None, Duration::ZERO, Some(Duration::from_millis(60))),
            (2, None, Duration::ZERO, Some(Duration::from_millis(100))),
            // A hint of exactly `max_wait` is waited for; one beyond it is not.
            (
                0,
                Some(Duration::from_secs(9)),
                Duration::ZERO,
                Some(Duration::from_secs(9)),
            ),
            (0, Some(Duration::from_secs(10)), Duration::ZERO, None),
            // A hint shorter than the back-off waits the back-off.
            (
                2,
                Some(Duration::from_millis(1)),
                Duration::ZERO,
                Some(Duration::from_millis(100)),
            ),
            // A wait that ends exactly at the deadline is made; one past it is not.
            (
                0,
                Some(Duration::from_secs(5)),
                Duration::from_secs(15),
                Some(Duration::from_secs(5)),
            ),
            (
                0,
                Some(Duration::from_secs(5)),
                Duration::from_secs(16),
                None,
            ),
            (0, None, Duration::from_secs(20), None),
        ];
        for (retry, hint, elapsed, expected) in table {
            assert_eq!(
                p.wait(retry, hint, elapsed),
                expected,
                "{retry} {hint:?} {elapsed:?}"
            );
        }
    }

    #[test]
    fn jitter_off_or_a_zero_backoff_waits_exactly() {
        let zero = RetryPolicy::default().initial_backoff(Duration::ZERO);
        assert_eq!(zero.backoff(3), Duration::ZERO);
        // With jitter on, the wait spreads over [half, full]: 200 draws are not all equal.
        let on = RetryPolicy::default().initial_backoff(Duration::from_secs(1));
        let draws: HashSet<Duration> = (0..200).map(|_| on.backoff(0)).collect();
        assert!(draws.len() > 1, "jitter draws {draws:?}");
        let off = on.jitter(false);
        assert!((0..50).all(|_| off.backoff(0) == Duration::from_secs(1)));
    }

    #[test]
    fn waits_never_overflow() {
        let p = RetryPolicy::default()
            .max_wait(Duration::MAX)
            .max_elapsed(Duration::from_secs(10));
        assert_eq!(p.wait(u32::MAX, Some(Duration::MAX), Duration::MAX), None);
        let p = RetryPolicy::default()
            .max_backoff(Duration::MAX)
            .jitter(false);
        assert_eq!(
            p.backoff(u32::MAX),
            Duration::from_millis(200).saturating_mul(1 << 30)
        );
    }
}
