//! Whether this replica uses Redis or its in-process fallback: one `warn` event when Redis
//! stops answering, one `info` event when it answers again, and a back-off in between
//! (250 ms doubling to 30 s) so that a dead Redis costs no more than one timed-out command
//! per back-off period.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::StoreFailure;

const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub(crate) struct Health {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Set while Redis is considered down: when to try it again, and the back-off so far.
    down: Option<(Instant, Duration)>,
}

impl Health {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn available(&self) -> bool {
        self.state().down.is_none()
    }

    /// Whether a command may be sent now (Redis is up, or its back-off is over).
    pub(crate) fn may_try(&self) -> bool {
        self.state()
            .down
            .is_none_or(|(retry_at, _)| Instant::now() >= retry_at)
    }

    pub(crate) fn succeeded(&self) {
        let mut state = self.state();
        if state.down.take().is_some() {
            tracing::info!("Redis answers again: sharing tokens and rate budgets through it");
        }
    }

    pub(crate) fn failed(&self, kind: StoreFailure) {
        let mut state = self.state();
        let backoff = match state.down {
            None => {
                tracing::warn!(
                    failure = %kind,
                    "Redis unavailable: using the in-process token cache and rate budget; retrying Redis with back-off"
                );
                MIN_BACKOFF
            }
            Some((_, last)) => {
                tracing::debug!(failure = %kind, "Redis still unavailable");
                last.saturating_mul(2).min(MAX_BACKOFF)
            }
        };
        state.down = Some((Instant::now() + backoff, backoff));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn backs_off_doubling_then_recovers() {
        let health = Health::default();
        assert!(health.may_try());
        health.failed(StoreFailure::Timeout);
        assert!(!health.available());
        assert!(!health.may_try());
        tokio::time::advance(MIN_BACKOFF).await;
        assert!(health.may_try());
        health.failed(StoreFailure::Connection);
        tokio::time::advance(MIN_BACKOFF).await;
        assert!(!health.may_try(), "the back-off doubled");
        tokio::time::advance(MIN_BACKOFF).await;
        assert!(health.may_try());
        health.succeeded();
        assert!(health.available());
    }
}
