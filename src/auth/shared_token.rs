//! A client-credentials token shared through a [`TokenStore`]: read the sharers' token,
//! or take the refresh lock and fetch it once for all of them; wait (at most a lease) for
//! another holder's token; fall back to a private fetch whenever the store fails.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::header_value;
use super::token::AccessToken;
use super::token_cache::RefreshPolicy;
use crate::clock::SharedClock;
use crate::error::Result;
use crate::store::{Lock, SharedToken, TokenKey, TokenStore};

/// How often a waiter looks for the token another sharer is fetching.
const POLL: Duration = Duration::from_millis(20);

/// The default refresh-lock lease: longer than one token request with its retries usually
/// takes; a holder that dies delays the others by at most this.
pub(crate) const DEFAULT_LEASE: Duration = Duration::from_secs(15);

pub(crate) struct SharedTokens {
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) key: TokenKey,
    pub(crate) lease: Duration,
    pub(crate) refresh: RefreshPolicy,
    pub(crate) clock: SharedClock,
    /// The last token a server rejected (401): never taken from the store again.
    rejected: Mutex<Option<SecretString>>,
}

impl fmt::Debug for SharedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTokens")
            .field("store", &self.store)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl SharedTokens {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        key: TokenKey,
        lease: Duration,
        refresh: RefreshPolicy,
        clock: SharedClock,
    ) -> Self {
        SharedTokens {
            store,
            key,
            lease,
            refresh,
            clock,
            rejected: Mutex::new(None),
        }
    }

    /// Remembers a token a server rejected, so it is not read back from the store.
    pub(crate) fn reject(&self, secret: &str) {
        if let Ok(mut rejected) = self.rejected.lock() {
            *rejected = Some(SecretString::from(secret.to_owned()));
        }
    }

    /// The sharers' token if it is not due for a refresh, as this process's token.
    fn usable(&self, shared: &SharedToken) -> Option<AccessToken> {
        if shared.token_type() != "Bearer" {
            return None;
        }
        if let Ok(rejected) = self.rejected.lock()
            && rejected.as_ref().is_some_and(|r| shared.same_secret(r))
        {
            return None;
        }
        let token = self.to_local(shared)?;
        (self.clock.now() < token.refresh_at).then_some(token)
    }

    /// Wall-clock times turned into this process's monotonic ones. Shared tokens are
    /// refreshed `margin` before expiry, without jitter: the lock already makes the
    /// refresh happen once.
    fn to_local(&self, shared: &SharedToken) -> Option<AccessToken> {
        let now = self.clock.now();
        let wall = self.clock.system_now();
        let left = shared.expires_at().duration_since(wall).ok()?;
        let lifetime = shared
            .expires_at()
            .duration_since(shared.issued_at())
            .unwrap_or(left);
        let expires_at = now.checked_add(left)?;
        let refresh_at = expires_at.checked_sub(self.refresh.margin_for(lifetime))?;
        let header = header_value(shared.token_type(), shared.secret().expose_secret()).ok()?;
        let age = wall.duration_since(shared.issued_at()).unwrap_or_default();
        Some(AccessToken {
            secret: shared.secret().clone(),
            header,
            token_type: shared.token_type().to_owned(),
            issued_at: now.checked_sub(age).unwrap_or(now),
            expires_at,
            refresh_at,
            scopes: shared.scopes().map(<[String]>::to_vec),
        })
    }

    fn to_shared(&self, token: &AccessToken) -> SharedToken {
        let now = self.clock.now();
        let wall = self.clock.system_now();
        let left = token.expires_at.saturating_duration_since(now);
        let age = now.saturating_duration_since(token.issued_at);
        SharedToken::new(
            token.secret.clone(),
            token.token_type.clone(),
            wall.checked_sub(age).unwrap_or(wall),
            wall.checked_add(left).unwrap_or(wall),
            token.scopes.clone(),
        )
    }

    /// A token for this process: the sharers' one, or one fetched with `fetch` under the
    /// refresh lock and stored for the others. Store failures make it `fetch` privately.
    pub(crate) async fn obtain<F, Fut>(&self, fetch: F) -> Result<AccessToken>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let started = tokio::time::Instant::now();
        // Holders that die or stall are waited for twice the lease at most in all.
        let give_up = started + self.lease.saturating_mul(2);
        loop {
            match self.store.load(&self.key).await {
                Ok(Some(shared)) => {
                    if let Some(token) = self.usable(&shared) {
                        return Ok(token);
                    }
                }
                Ok(None) => {}
                Err(_) => return fetch().await,
            }
            match self.store.lock(&self.key, self.lease).await {
                Ok(Lock::Acquired(fence)) => {
                    // Another may have stored a token between our read and our lock.
                    if let Ok(Some(shared)) = self.store.load(&self.key).await
                        && let Some(token) = self.usable(&shared)
                    {
                        let _ = self.store.unlock(&self.key, fence).await;
                        return Ok(token);
                    }
                    return match fetch().await {
                        Ok(token) => {
                            let shared = self.to_shared(&token);
                            match self.store.save(&self.key, &shared, fence).await {
                                Ok(true) => {}
                                Ok(false) => tracing::debug!(
                                    "a newer refresh lock was taken meanwhile; token kept for this process only"
                                ),
                                Err(_) => {}
                            }
                            Ok(token)
                        }
                        Err(err) => {
                            let _ = self.store.unlock(&self.key, fence).await;
                            Err(err)
                        }
                    };
                }
                Ok(Lock::Held { lease_left }) => {
                    if tokio::time::Instant::now() >= give_up {
                        tracing::debug!("the token refresh lock stays held; fetching privately");
                        return fetch().await;
                    }
                    tokio::time::sleep(lease_left.clamp(Duration::from_millis(1), POLL)).await;
                }
                Err(_) => return fetch().await,
            }
        }
    }
}

/// The parts that name a token: what changes the token a server issues.
pub(crate) fn key_parts(
    token_url: &str,
    client_id: &str,
    auth_method: &str,
    scopes: &[String],
    extra_params: &[(String, String)],
) -> TokenKey {
    let mut scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let scopes = scopes.join(" ");
    let mut extra: Vec<String> = extra_params
        .iter()
        .map(|(k, v)| format!("{}={}", k.len(), [k.as_str(), v.as_str()].concat()))
        .collect();
    extra.sort_unstable();
    let extra = extra.join("&");
    TokenKey::from_parts(&[
        "scimkit-token-v1",
        token_url,
        client_id,
        auth_method,
        &scopes,
        &extra,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::system_clock;
    use crate::store::InProcessTokenStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn shared(store: Arc<dyn TokenStore>, lease: Duration) -> SharedTokens {
        SharedTokens::new(
            store,
            TokenKey::from_parts(&["k"]),
            lease,
            RefreshPolicy {
                margin: Duration::from_secs(60),
                jitter: Duration::ZERO,
            },
            system_clock(),
        )
    }

    fn fetched(secret: &str) -> Result<AccessToken> {
        let now = std::time::Instant::now();
        Ok(AccessToken {
            secret: SecretString::from(secret.to_owned()),
            header: http::HeaderValue::from_static("Bearer x"),
            token_type: "Bearer".into(),
            issued_at: now,
            expires_at: now + Duration::from_secs(3600),
            refresh_at: now + Duration::from_secs(3540),
            scopes: None,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_holder_delays_a_waiter_by_at_most_its_lease() {
        let store: Arc<dyn TokenStore> = Arc::new(InProcessTokenStore::new());
        let lease = Duration::from_secs(5);
        let tokens = shared(store.clone(), lease);
        let Lock::Acquired(_) = store.lock(&tokens.key, lease).await.unwrap() else {
            panic!("free")
        };
        let started = tokio::time::Instant::now();
        let calls = AtomicUsize::new(0);
        let token = tokens
            .obtain(|| {
                calls.fetch_add(1, Ordering::SeqCst);
                std::future::ready(fetched("new"))
            })
            .await
            .unwrap();
        let waited = started.elapsed();
        assert!(token.same_secret("new"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(waited >= lease && waited <= lease + POLL, "{waited:?}");
        // The next sharer reads it: no fetch.
        let again = shared(store, lease)
            .obtain(|| std::future::ready(fetched("unused")))
            .await
            .unwrap();
        assert!(again.same_secret("new"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_token_is_not_read_back_from_the_store() {
        let store: Arc<dyn TokenStore> = Arc::new(InProcessTokenStore::new());
        let tokens = shared(store, DEFAULT_LEASE);
        tokens
            .obtain(|| std::future::ready(fetched("first")))
            .await
            .unwrap();
        tokens.reject("first");
        let next = tokens
            .obtain(|| std::future::ready(fetched("second")))
            .await
            .unwrap();
        assert!(next.same_secret("second"));
    }

    #[test]
    fn a_shared_token_is_left_to_refresh_from_its_refresh_time_on() {
        use crate::Clock;
        let clock = crate::ManualClock::new();
        let tokens = SharedTokens::new(
            Arc::new(InProcessTokenStore::new()),
            TokenKey::from_parts(&["k"]),
            DEFAULT_LEASE,
            RefreshPolicy {
                margin: Duration::from_secs(60),
                jitter: Duration::ZERO,
            },
            Arc::new(clock.clone()),
        );
        let wall = clock.system_now();
        let stored = SharedToken::new(
            SecretString::from("t".to_owned()),
            "Bearer",
            wall,
            wall + Duration::from_secs(3600),
            None,
        );
        clock.advance(Duration::from_secs(3539));
        assert!(tokens.usable(&stored).is_some());
        clock.advance(Duration::from_secs(1)); // exactly `margin` before expiry
        assert!(tokens.usable(&stored).is_none());
        let shown = format!("{tokens:?}");
        assert!(shown.starts_with("SharedTokens"), "{shown}");
        assert!(shown.contains("lease: 15s"), "{shown}");
    }
}
