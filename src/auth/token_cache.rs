//! A lazy token cache: lock-free reads, one fetch for any number of waiters, refresh ahead of
//! expiry in the background, and a shared answer when the fetch fails.
//!
//! Three paths, from the hot one down:
//! - [`TokenCache::fresh`]: the cached token before its refresh time, read without a lock.
//! - Inside the refresh window (refresh time passed, not expired): the caller gets the
//!   still-valid token at once and, if no refresh is running or backing off,
//!   [`TokenCache::begin_background`] lets it start one in a spawned task
//!   ([`TokenCache::refresh_ahead`]). No caller waits for a fetch while a valid token
//!   exists.
//! - No valid token: [`TokenCache::get`] makes one fetch for every waiter; a failure is
//!   shared with the waiters that queued behind it, and not cached.
//!
//! Where the fetched token comes from (the token endpoint, or a shared
//! [`TokenStore`](crate::store::TokenStore) first) is the caller's `fetch`.

use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use super::token::AccessToken;
use crate::clock::SharedClock;
use crate::error::{Error, Result};

/// After a failed background refresh, the next one waits this long, doubling up to
/// [`MAX_REFRESH_BACKOFF`], so a failing token endpoint is not asked on every call.
const MIN_REFRESH_BACKOFF: Duration = Duration::from_secs(1);
const MAX_REFRESH_BACKOFF: Duration = Duration::from_secs(30);

/// When to refresh a token of a given lifetime.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefreshPolicy {
    /// Refresh this long before expiry (capped at half the lifetime).
    pub margin: Duration,
    /// Up to this much more, chosen at random per token, so that many processes sharing a
    /// client do not refresh in the same instant.
    pub jitter: Duration,
}

impl RefreshPolicy {
    pub(crate) fn refresh_at(&self, issued: Instant, lifetime: Duration) -> Instant {
        let half = lifetime / 2;
        let margin = self.margin.min(half);
        let room = half - margin;
        let jitter_max = self.jitter.min(room);
        let nanos = u64::try_from(jitter_max.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(fastrand::u64(0..=nanos))
        };
        issued + lifetime - margin - jitter
    }

    /// The margin for a token of this lifetime, without jitter (tokens shared through a
    /// store are refreshed once under a lock, so they need none).
    pub(crate) fn margin_for(&self, lifetime: Duration) -> Duration {
        self.margin.min(lifetime / 2)
    }
}

/// Holds at most one token. Reads never wait for a refresh; a refresh is done by one task
/// while the others wait for its outcome (or keep using the old token while it is still valid).
pub(crate) struct TokenCache {
    current: ArcSwapOption<AccessToken>,
    refresh: tokio::sync::Mutex<()>,
    /// Counts finished fetches; a waiter that sees it move knows a fetch happened meanwhile.
    fetches: AtomicU64,
    /// The error of the last fetch, while no fetch has succeeded since.
    last_failure: Mutex<Option<Error>>,
    /// Set while a background refresh is running (at most one at a time).
    background: AtomicBool,
    /// After a failed background refresh: no new one before this instant, and the back-off
    /// that led to it.
    backoff: Mutex<Option<(Instant, Duration)>>,
    clock: SharedClock,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("cached", &self.current.load().as_deref())
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Clears the "background refresh running" flag when the refresh ends, however it ends.
struct BackgroundFlag<'a>(&'a AtomicBool);

impl Drop for BackgroundFlag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl TokenCache {
    pub(crate) fn new(clock: SharedClock) -> Self {
        TokenCache {
            current: ArcSwapOption::empty(),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            background: AtomicBool::new(false),
            backoff: Mutex::new(None),
            clock,
        }
    }

    /// The cached token if it is still good to use without a refresh.
    #[inline]
    pub(crate) fn fresh(&self) -> Option<Arc<AccessToken>> {
        let guard = self.current.load();
        let token = guard.as_ref()?;
        (self.clock.now() < token.refresh_at).then(|| Arc::clone(token))
    }

    /// The cached token if it has not expired (it may be inside its refresh window).
    pub(crate) fn usable(&self) -> Option<Arc<AccessToken>> {
        let now = self.clock.now();
        self.current
            .load_full()
            .filter(|token| now < token.expires_at)
    }

    /// Whether the caller should start a background refresh now: none is running and the
    /// last one did not fail moments ago. A `true` obliges the caller to run
    /// [`refresh_ahead`](Self::refresh_ahead) (or [`end_background`](Self::end_background)).
    pub(crate) fn begin_background(&self) -> bool {
        let now = self.clock.now();
        let backing_off = self
            .backoff
            .lock()
            .ok()
            .and_then(|b| *b)
            .is_some_and(|(until, _)| now < until);
        !backing_off
            && self
                .background
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Gives back a [`begin_background`](Self::begin_background) that could not be run.
    pub(crate) fn end_background(&self) {
        self.background.store(false, Ordering::Release);
    }

    /// The background refresh: one fetch (unless a blocking caller just made one); on
    /// failure the current token stays in use until it expires and the next background
    /// refresh backs off.
    pub(crate) async fn refresh_ahead<F, Fut>(&self, fetch: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let _flag = BackgroundFlag(&self.background);
        let _guard = self.refresh.lock().await;
        if self.fresh().is_some() {
            return;
        }
        match self.fetch_and_store(fetch).await {
            Ok(_) => {
                if let Ok(mut backoff) = self.backoff.lock() {
                    *backoff = None;
                }
            }
            Err(err) => {
                let now = self.clock.now();
                if let Ok(mut backoff) = self.backoff.lock() {
                    let next = backoff
                        .map_or(MIN_REFRESH_BACKOFF, |(_, last)| last.saturating_mul(2))
                        .min(MAX_REFRESH_BACKOFF);
                    *backoff = Some((now + next, next));
                }
                tracing::warn!(error = %err, "token refresh ahead of expiry failed; using the current token until it expires");
            }
        }
    }

    /// The cached token if it has not expired, else one fetched with `fetch` by one caller
    /// for all who wait; a failure is shared with the waiters that queued behind it.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<AccessToken>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        let seen = self.fetches.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        if self.fetches.load(Ordering::Acquire) != seen {
            // A fetch finished while we waited and left no usable token: share its error
            // instead of sending one more request per waiter.
            if let Some(err) = self.last_failure.lock().ok().and_then(|f| f.clone()) {
                return Err(err);
            }
        }
        self.fetch_and_store(fetch).await
    }

    async fn fetch_and_store<F, Fut>(&self, fetch: F) -> Result<Arc<AccessToken>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let result = fetch().await;
        self.fetches.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                self.current.store(Some(Arc::clone(&token)));
                if let Ok(mut failure) = self.last_failure.lock() {
                    *failure = None;
                }
                Ok(token)
            }
            Err(err) => {
                if let Ok(mut failure) = self.last_failure.lock() {
                    *failure = Some(err.clone());
                }
                Err(err)
            }
        }
    }

    /// Drops the cached token if it is the one that was rejected; returns whether a retry
    /// with a fresh token may help.
    pub(crate) fn invalidate(&self, rejected_secret: Option<&str>) -> bool {
        let current = self.current.load_full();
        match (current, rejected_secret) {
            (Some(token), Some(rejected)) if !token.same_secret(rejected) => {
                // Someone already replaced the rejected token: retry with the new one.
                true
            }
            (Some(_), _) => {
                tracing::debug!("dropping the cached token after a 401");
                self.current.store(None);
                true
            }
            (None, _) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use secrecy::SecretString;
    use std::sync::atomic::AtomicUsize;

    fn token(clock: &ManualClock, secret: &str, lifetime: Duration) -> AccessToken {
        use crate::Clock;
        let now = clock.now();
        AccessToken {
            secret: SecretString::from(secret.to_owned()),
            header: http::HeaderValue::from_static("Bearer x"),
            token_type: "Bearer".into(),
            issued_at: now,
            expires_at: now + lifetime,
            refresh_at: now + lifetime - Duration::from_secs(60),
            scopes: None,
        }
    }

    #[tokio::test]
    async fn failure_is_shared_with_waiters_and_not_cached() {
        let clock = ManualClock::new();
        let cache = Arc::new(TokenCache::new(Arc::new(clock.clone())));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Err::<AccessToken, _>(Error::config("down"))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        let fetched = calls.load(Ordering::SeqCst);
        assert!(fetched < 50, "waiters shared failures: {fetched} fetches");
        // The next call tries again.
        let c2 = clock.clone();
        let ok = cache
            .get(|| async move { Ok(token(&c2, "t", Duration::from_secs(3600))) })
            .await;
        assert!(ok.is_ok());
    }

    #[tokio::test]
    async fn refresh_window_keeps_valid_token_when_refresh_fails_and_backs_off() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(Arc::new(clock.clone()));
        let c = clock.clone();
        cache
            .get(|| async move { Ok(token(&c, "first", Duration::from_secs(3600))) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(3600 - 30));
        assert!(cache.fresh().is_none());
        assert!(cache.begin_background());
        // A second caller does not start another refresh while one runs.
        assert!(!cache.begin_background());
        cache
            .refresh_ahead(|| async { Err::<AccessToken, _>(Error::config("down")) })
            .await;
        // The valid token stays in use, and the next refresh backs off for a second.
        let t = cache
            .get(|| async { Err::<AccessToken, _>(Error::config("not called")) })
            .await
            .unwrap();
        assert!(t.same_secret("first"));
        assert!(!cache.begin_background(), "backing off");
        clock.advance(Duration::from_secs(1));
        assert!(cache.begin_background());
        let c = clock.clone();
        cache
            .refresh_ahead(|| async move { Ok(token(&c, "second", Duration::from_secs(3600))) })
            .await;
        assert!(cache.fresh().unwrap().same_secret("second"));
    }

    #[test]
    fn refresh_policy_never_past_half_life() {
        let p = RefreshPolicy {
            margin: Duration::from_secs(300),
            jitter: Duration::from_secs(30),
        };
        let t0 = Instant::now();
        for _ in 0..100 {
            let at = p.refresh_at(t0, Duration::from_secs(60));
            assert_eq!(at, t0 + Duration::from_secs(30));
            let at = p.refresh_at(t0, Duration::from_secs(3600));
            assert!(at <= t0 + Duration::from_secs(3300));
            assert!(at >= t0 + Duration::from_secs(3270));
        }
    }

    #[test]
    fn jitter_moves_the_refresh_earlier_within_its_bound() {
        let p = RefreshPolicy {
            margin: Duration::from_secs(60),
            jitter: Duration::from_secs(30),
        };
        let t0 = Instant::now();
        let latest = t0 + Duration::from_secs(3540);
        let draws: Vec<Instant> = (0..200)
            .map(|_| p.refresh_at(t0, Duration::from_secs(3600)))
            .collect();
        assert!(
            draws
                .iter()
                .all(|at| *at <= latest && *at >= latest - Duration::from_secs(30))
        );
        assert!(
            draws.iter().any(|at| *at < latest),
            "jitter was never applied"
        );
        // Without jitter, the refresh is exactly `margin` before expiry.
        let none = RefreshPolicy {
            jitter: Duration::ZERO,
            ..p
        };
        assert_eq!(none.refresh_at(t0, Duration::from_secs(3600)), latest);
    }

    #[test]
    fn the_shared_margin_is_the_margin_capped_at_half_the_lifetime() {
        let p = RefreshPolicy {
            margin: Duration::from_secs(60),
            jitter: Duration::from_secs(30),
        };
        assert_eq!(
            p.margin_for(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            p.margin_for(Duration::from_secs(100)),
            Duration::from_secs(50)
        );
    }

    #[test]
    fn a_token_stops_being_fresh_at_its_refresh_time_and_usable_at_its_expiry() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(Arc::new(clock.clone()));
        cache.current.store(Some(Arc::new(token(
            &clock,
            "t",
            Duration::from_secs(3600),
        ))));
        clock.advance(Duration::from_secs(3539));
        assert!(cache.fresh().is_some());
        clock.advance(Duration::from_secs(1)); // exactly at the refresh time
        assert!(cache.fresh().is_none());
        assert!(cache.usable().is_some());
        clock.advance(Duration::from_secs(59));
        assert!(cache.usable().is_some());
        clock.advance(Duration::from_secs(1)); // exactly at expiry
        assert!(cache.usable().is_none());
    }

    #[test]
    fn a_background_slot_given_back_can_be_taken_again() {
        let cache = TokenCache::new(Arc::new(ManualClock::new()));
        assert!(cache.begin_background());
        assert!(!cache.begin_background(), "one at a time");
        cache.end_background();
        assert!(cache.begin_background());
    }

    #[test]
    fn debug_shows_the_fetch_count_and_no_secret() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(Arc::new(clock.clone()));
        cache.current.store(Some(Arc::new(token(
            &clock,
            "s3cret",
            Duration::from_secs(60),
        ))));
        let shown = format!("{cache:?}");
        assert!(shown.starts_with("TokenCache"), "{shown}");
        assert!(shown.contains("fetches: 0"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn a_401_drops_the_rejected_token_but_not_its_replacement() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(Arc::new(clock.clone()));
        cache.current.store(Some(Arc::new(token(
            &clock,
            "new",
            Duration::from_secs(3600),
        ))));
        // Another task already replaced the token the server rejected: keep the new one.
        assert!(cache.invalidate(Some("old")));
        assert!(cache.fresh().is_some_and(|t| t.same_secret("new")));
        assert!(cache.invalidate(Some("new")));
        assert!(cache.fresh().is_none());
    }
}
