//! Time as a dependency: token expiry, refresh-ahead and retry back-off read the clock through
//! [`Clock`], so tests drive them with a [`ManualClock`] instead of sleeping.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// A boxed, sendable future: what [`Clock::sleep`] returns.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The source of time for token expiry, refresh-ahead, rate-limit waits and retry back-off.
///
/// The default is [`SystemClock`]. Tests plug in a [`ManualClock`] through the builders'
/// `clock(..)` methods so that an hour of token lifetime passes in one call.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// A monotonic instant, for deadlines and expiry.
    fn now(&self) -> Instant;
    /// Wall-clock time, for `iat`/`exp` claims and HTTP `Date` arithmetic.
    fn system_now(&self) -> SystemTime;
    /// Waits for `duration` (retry back-off, rate-limit resets).
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: a coarse monotonic instant (millisecond resolution, a few nanoseconds to
/// read, see below), `SystemTime::now` and `tokio::time::sleep`.
///
/// `now()` reads the kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux)
/// through the `coarsetime` crate and maps it onto [`std::time::Instant`]. It is read on
/// every cached-token check, where a full-precision `Instant::now()` would cost more than
/// the rest of the cache lookup; token expiry does not need better than a few milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

fn coarse_now() -> Instant {
    static BASE: OnceLock<(Instant, coarsetime::Instant)> = OnceLock::new();
    let (std_base, coarse_base) =
        *BASE.get_or_init(|| (Instant::now(), coarsetime::Instant::now()));
    let elapsed: Duration = coarsetime::Instant::now()
        .duration_since(coarse_base)
        .into();
    std_base + elapsed
}

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        coarse_now()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to: [`ManualClock::advance`], or a [`Clock::sleep`],
/// which advances the clock by the requested duration and returns at once.
///
/// Every sleep is recorded, so a test can assert how long the client chose to wait.
///
/// ```
/// use std::time::Duration;
/// use scimkit::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(3600));
/// assert_eq!(clock.now() - start, Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    base: Instant,
    base_system: SystemTime,
    offset_nanos: AtomicU64,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualClock {
    /// A clock that starts at the real current time and then stands still.
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(ManualInner {
                base: Instant::now(),
                base_system: SystemTime::now(),
                offset_nanos: AtomicU64::new(0),
                sleeps: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // Saturating: a huge sleep (a server asking for years) must not wrap the clock.
        let _ = self
            .inner
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(nanos))
            });
    }

    /// The durations of every [`Clock::sleep`] so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner
            .sleeps
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.inner.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("offset", &self.offset())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.base + self.offset()
    }
    fn system_now(&self) -> SystemTime {
        self.inner.base_system + self.offset()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        if let Ok(mut sleeps) = self.inner.sleeps.lock() {
            sleeps.push(duration);
        }
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A shared clock handle, as builders store it.
pub(crate) type SharedClock = Arc<dyn Clock>;

pub(crate) fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleep_advances_and_records() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        let s0 = clock.system_now();
        clock.sleep(Duration::from_secs(2)).await;
        clock.sleep(Duration::from_millis(5)).await;
        assert_eq!(clock.now() - t0, Duration::from_millis(2005));
        assert_eq!(
            clock.system_now().duration_since(s0).unwrap(),
            Duration::from_millis(2005)
        );
        assert_eq!(
            clock.sleeps(),
            vec![Duration::from_secs(2), Duration::from_millis(5)]
        );
    }
}
