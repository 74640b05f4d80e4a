//! [`TokenStore`]: where access tokens live when several clients (or replicas of a
//! service) share them, and [`InProcessTokenStore`], the store for clients of one process.
//!
//! A store holds at most one token per [`TokenKey`] and a refresh lock per key. The lock
//! has a lease (a holder that dies delays the others by at most the lease) and a fencing
//! value: [`TokenStore::save`] refuses a token from a holder whose lease was taken over,
//! so a slow holder can never overwrite a newer token. The token cache of
//! [`ClientCredentials`](crate::ClientCredentials) drives a store: it reads the shared
//! token, takes the lock to refresh it once for every sharer, and falls back to its own
//! in-process cache whenever the store fails.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};

use crate::error::Result;
use crate::transport::BoxFuture;

/// Which token a key names: a SHA-256 digest (hex) of the token URL, client id, client
/// authentication method, scopes and extra parameters. The client id and secret never
/// appear in it in clear.
///
/// ```
/// use scimkit::store::TokenKey;
///
/// let key = TokenKey::from_parts(&["https://idp.example.com/token", "client-id", "basic", "scim"]);
/// assert_eq!(key.as_str().len(), 64);
/// assert!(!key.as_str().contains("client-id"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenKey(String);

impl TokenKey {
    /// The key of a token identified by `parts`, in order (each part is length-prefixed
    /// before hashing, so `["ab", "c"]` and `["a", "bc"]` differ).
    pub fn from_parts(parts: &[&str]) -> TokenKey {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for part in parts {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        TokenKey(hex(ctx.finish().as_ref()))
    }

    /// The digest, as 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest reveals nothing, but keys stay out of logs all the same.
        f.write_str("TokenKey([redacted])")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A token as sharers see it: wall-clock issue and expiry times, so that any process can
/// read it. `Debug` never shows the token.
#[derive(Clone)]
pub struct SharedToken {
    secret: SecretString,
    token_type: String,
    issued_at: SystemTime,
    expires_at: SystemTime,
    scopes: Option<Vec<String>>,
}

impl SharedToken {
    /// A token issued at `issued_at` that expires at `expires_at` (wall-clock times).
    pub fn new(
        secret: SecretString,
        token_type: impl Into<String>,
        issued_at: SystemTime,
        expires_at: SystemTime,
        scopes: Option<Vec<String>>,
    ) -> SharedToken {
        SharedToken {
            secret,
            token_type: token_type.into(),
            issued_at,
            expires_at,
            scopes,
        }
    }

    /// The token value.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// `Bearer` (tokens bound to one process's key, DPoP, are never shared).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the token endpoint issued it.
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When it expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The scopes granted, when the server said.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    pub(crate) fn same_secret(&self, other: &SecretString) -> bool {
        self.secret.expose_secret() == other.expose_secret()
    }
}

impl fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedToken")
            .field("token_type", &self.token_type)
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A fencing value: grows with every lock taken on a key, so a store can refuse a write
/// from a holder whose lease another has since taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fence(pub u64);

/// The answer to [`TokenStore::lock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lock {
    /// The caller holds the refresh lock until it saves, unlocks, or the lease runs out.
    Acquired(Fence),
    /// Another holds it, for at most this much longer.
    Held {
        /// What is left of the holder's lease.
        lease_left: Duration,
    },
}

/// Where shared access tokens live: one token and one refresh lock per [`TokenKey`].
///
/// Every method may fail with [`Error::StoreUnavailable`](crate::Error::StoreUnavailable);
/// the token cache then uses its in-process state, so callers of
/// [`ClientCredentials::token`](crate::ClientCredentials::token) never see a store error.
///
/// ```
/// use std::sync::Arc;
/// use scimkit::store::{InProcessTokenStore, TokenStore};
///
/// let shared: Arc<dyn TokenStore> = Arc::new(InProcessTokenStore::new());
/// # let _ = shared;
/// ```
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// The token stored under `key`, if any (it may have expired: callers check).
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<SharedToken>>>;

    /// Tries to take the refresh lock of `key` for `lease`.
    fn lock<'a>(&'a self, key: &'a TokenKey, lease: Duration) -> BoxFuture<'a, Result<Lock>>;

    /// Stores `token` under `key` (until it expires) and releases the lock, unless a lock
    /// with a higher fence was taken since (`Ok(false)`: the token is not stored).
    fn save<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a SharedToken,
        fence: Fence,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Releases the lock if `fence` still holds it (after a failed fetch).
    fn unlock<'a>(&'a self, key: &'a TokenKey, fence: Fence) -> BoxFuture<'a, Result<()>>;
}

/// A [`TokenStore`] in this process's memory: clients built with the same store (and the
/// same token URL, client id, scopes and client authentication) share one token. Leases
/// run on tokio's clock.
#[derive(Default)]
pub struct InProcessTokenStore {
    entries: Mutex<HashMap<TokenKey, Entry>>,
}

#[derive(Default)]
struct Entry {
    token: Option<SharedToken>,
    last_fence: u64,
    /// The fence that holds the lock, and until when.
    lock: Option<(u64, tokio::time::Instant)>,
}

impl InProcessTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        InProcessTokenStore::default()
    }
}

impl fmt::Debug for InProcessTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("InProcessTokenStore")
            .field("keys", &keys)
            .finish()
    }
}

impl InProcessTokenStore {
    fn with_entry<T>(&self, key: &TokenKey, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(entries.entry(key.clone()).or_default())
    }
}

impl TokenStore for InProcessTokenStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<SharedToken>>> {
        let token = self.with_entry(key, |e| e.token.clone());
        Box::pin(std::future::ready(Ok(token)))
    }

    fn lock<'a>(&'a self, key: &'a TokenKey, lease: Duration) -> BoxFuture<'a, Result<Lock>> {
        let now = tokio::time::Instant::now();
        let answer = self.with_entry(key, |e| match e.lock {
            Some((_, until)) if until > now => Lock::Held {
                lease_left: until - now,
            },
            _ => {
                e.last_fence = e.last_fence.saturating_add(1);
                e.lock = Some((e.last_fence, now + lease));
                Lock::Acquired(Fence(e.last_fence))
            }
        });
        Box::pin(std::future::ready(Ok(answer)))
    }

    fn save<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a SharedToken,
        fence: Fence,
    ) -> BoxFuture<'a, Result<bool>> {
        let saved = self.with_entry(key, |e| {
            if fence.0 < e.last_fence {
                return false;
            }
            e.token = Some(token.clone());
            e.lock = None;
            true
        });
        Box::pin(std::future::ready(Ok(saved)))
    }

    fn unlock<'a>(&'a self, key: &'a TokenKey, fence: Fence) -> BoxFuture<'a, Result<()>> {
        self.with_entry(key, |e| {
            if e.lock.is_some_and(|(held, _)| held == fence.0) {
                e.lock = None;
            }
        });
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(secret: &str) -> SharedToken {
        let now = SystemTime::now();
        SharedToken::new(
            SecretString::from(secret.to_owned()),
            "Bearer",
            now,
            now + Duration::from_secs(60),
            None,
        )
    }

    #[test]
    fn keys_hash_every_part_unambiguously() {
        let a = TokenKey::from_parts(&["ab", "c"]);
        let b = TokenKey::from_parts(&["a", "bc"]);
        assert_ne!(a, b);
        assert_eq!(a, TokenKey::from_parts(&["ab", "c"]));
        assert_eq!(format!("{a:?}"), "TokenKey([redacted])");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lock_is_fenced_and_its_lease_runs_out() {
        let store = InProcessTokenStore::new();
        let key = TokenKey::from_parts(&["k"]);
        let Lock::Acquired(first) = store.lock(&key, Duration::from_secs(5)).await.unwrap() else {
            panic!("free lock")
        };
        assert_eq!(
            store.lock(&key, Duration::from_secs(5)).await.unwrap(),
            Lock::Held {
                lease_left: Duration::from_secs(5)
            }
        );
        // The holder dies; the lease runs out; the next holder gets a higher fence.
        tokio::time::advance(Duration::from_secs(5)).await;
        let Lock::Acquired(second) = store.lock(&key, Duration::from_secs(5)).await.unwrap() else {
            panic!("lease ran out")
        };
        assert!(second > first);
        // The old holder wakes up: its write is refused, the new holder's is kept.
        assert!(!store.save(&key, &token("old"), first).await.unwrap());
        assert!(store.save(&key, &token("new"), second).await.unwrap());
        let stored = store.load(&key).await.unwrap().unwrap();
        assert!(stored.same_secret(&SecretString::from("new".to_owned())));
        assert!(!format!("{stored:?}").contains("new"));
    }
}
