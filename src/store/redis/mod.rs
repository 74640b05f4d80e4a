//! State shared by replicas through Redis (feature `redis`): [`RedisTokenStore`] (one
//! access token per key for every replica, encrypted with AES-256-GCM) and
//! [`RedisRateBudget`] (one rate-limit budget per endpoint family for every replica).
//!
//! Both go through one [`Redis`] handle: the `redis` crate's tokio connection manager,
//! connected on first use, every command bounded by a timeout (default 250 ms). When Redis
//! fails or is slow, the handle logs one `warn` event, backs off (250 ms doubling to 30 s)
//! and each replica uses its in-process token cache and rate budget until Redis answers
//! again; callers never see a Redis error. Neither keys nor values are ever logged: keys
//! are SHA-256 digests, token values are encrypted, and the Redis URL (which may hold a
//! password) is never shown.
//!
//! ```no_run
//! # async fn run() -> scimkit::Result<()> {
//! use scimkit::okta::OktaClient;
//! use scimkit::store::redis::{EncryptionKey, Redis};
//!
//! let redis = Redis::open("redis://10.0.0.5:6379/")?;
//! let key = EncryptionKey::from_base64(&std::env::var("SCIMKIT_TOKEN_KEY").unwrap_or_default())?;
//! let okta = OktaClient::builder()
//!     .org("my-org")?
//!     .api_token(std::env::var("OKTA_API_TOKEN").unwrap_or_default())
//!     .token_store(redis.token_store(key))
//!     .rate_budget(redis.rate_budget())
//!     .build()?;
//! # let _ = okta; Ok(()) }
//! ```

mod crypto;
mod health;
mod rate_budget;
mod token_store;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError, RedisResult};

pub use crypto::EncryptionKey;
pub use rate_budget::RedisRateBudget;
pub use token_store::RedisTokenStore;

use crate::error::{Error, Result, StoreFailure};
use health::Health;

/// The default bound on one Redis command.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// A Redis server shared by replicas: a lazily connected tokio connection manager, a
/// timeout on every command, and a fallback state (see the [module docs](self)). Cheap to
/// clone; clones share the connection.
///
/// ```
/// use std::time::Duration;
/// use scimkit::store::redis::Redis;
///
/// let redis = Redis::open("redis://127.0.0.1:6379/")?   // nothing is sent yet
///     .key_prefix("billing-sync")
///     .timeout(Duration::from_millis(100));
/// assert!(!format!("{redis:?}").contains("6379"));
/// # Ok::<(), scimkit::Error>(())
/// ```
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    connection: tokio::sync::OnceCell<ConnectionManager>,
    prefix: String,
    timeout: Duration,
    health: Health,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never shown.
        f.debug_struct("Redis")
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .field("available", &self.inner.health.available())
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// A handle on the Redis at `url` (`redis://[:password@]host[:port][/db]`). Connects
    /// on first use, so a Redis that is down now does not fail the build; only an
    /// unreadable URL does (and the error does not quote it).
    pub fn open(url: &str) -> Result<Redis> {
        let client = Client::open(url)
            .map_err(|_| Error::config("the Redis URL cannot be read (redis://host:port/db)"))?;
        Ok(Redis {
            inner: Arc::new(Inner {
                client,
                connection: tokio::sync::OnceCell::new(),
                prefix: "scimkit".to_owned(),
                timeout: DEFAULT_TIMEOUT,
                health: Health::default(),
            }),
        })
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> Redis {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                client: shared.client.clone(),
                connection: tokio::sync::OnceCell::new(),
                prefix: shared.prefix.clone(),
                timeout: shared.timeout,
                health: Health::default(),
            },
        };
        f(&mut inner);
        Redis {
            inner: Arc::new(inner),
        }
    }

    /// The prefix of every key this crate writes (default `scimkit`): give services that
    /// share one Redis different prefixes, or the same one to share tokens and budgets.
    pub fn key_prefix(self, prefix: impl Into<String>) -> Redis {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// The longest one command may take before this replica falls back to its in-process
    /// state (default 250 ms).
    pub fn timeout(self, timeout: Duration) -> Redis {
        self.with(|inner| inner.timeout = timeout)
    }

    /// A token store on this Redis whose tokens are encrypted with `key` (every replica
    /// needs the same key).
    pub fn token_store(&self, key: EncryptionKey) -> Arc<RedisTokenStore> {
        Arc::new(RedisTokenStore::new(self.clone(), key))
    }

    /// A rate budget on this Redis, shared by every replica that uses the same Redis and
    /// key prefix.
    pub fn rate_budget(&self) -> Arc<RedisRateBudget> {
        Arc::new(RedisRateBudget::new(self.clone()))
    }

    /// Whether Redis answered last time (`false` while this replica uses its fallback).
    pub fn is_available(&self) -> bool {
        self.inner.health.available()
    }

    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        // The braces keep a key's siblings (lock, fence, in-flight set) in one cluster slot.
        format!("{}:{kind}:{{{id}}}", self.inner.prefix)
    }

    async fn connection(&self) -> RedisResult<ConnectionManager> {
        let timeout = self.inner.timeout;
        self.inner
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(1));
                ConnectionManager::new_lazy_with_config(self.inner.client.clone(), config)
            })
            .await
            .cloned()
    }

    /// Runs one Redis operation within the timeout, unless this replica is backing off;
    /// records the outcome for the fallback state.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let health = &self.inner.health;
        if !health.may_try() {
            return Err(Error::StoreUnavailable {
                kind: StoreFailure::BackingOff,
            });
        }
        let attempt = async {
            let connection = self.connection().await?;
            op(connection).await
        };
        let outcome = match tokio::time::timeout(self.inner.timeout, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(classify(&err)),
            Err(_) => Err(StoreFailure::Timeout),
        };
        match outcome {
            Ok(value) => {
                health.succeeded();
                Ok(value)
            }
            Err(kind) => {
                health.failed(kind);
                Err(Error::StoreUnavailable { kind })
            }
        }
    }
}

fn classify(err: &RedisError) -> StoreFailure {
    if err.is_timeout() {
        StoreFailure::Timeout
    } else if err.is_io_error() || err.is_connection_refusal() || err.is_connection_dropped() {
        StoreFailure::Connection
    } else {
        StoreFailure::Protocol
    }
}
