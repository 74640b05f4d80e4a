//! [`RedisTokenStore`]: a [`TokenStore`] on Redis. Per token key `<prefix>:token:{digest}`
//! (an encrypted value whose Redis TTL is the token's expiry), `…:lock` (the refresh
//! lock: the holder's fence, with the lease as its TTL) and `…:fence` (the fence counter,
//! which only grows). Taking the lock and saving under it are Lua scripts, so a save from
//! a holder whose lease another has taken over is refused atomically.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::Script;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{EncryptionKey, Redis};
use crate::error::{Error, Result, StoreFailure};
use crate::store::{Fence, Lock, SharedToken, TokenKey, TokenStore, millis};
use crate::transport::BoxFuture;

/// `KEYS`: lock, fence counter. `ARGV`: lease (ms). Returns `{1, fence}` or `{0, lease left}`.
const LOCK: &str = r"
local left = redis.call('PTTL', KEYS[1])
if left > 0 then return {0, left} end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return {1, fence}
";

/// `KEYS`: token, lock, fence counter. `ARGV`: fence, sealed token, TTL (ms).
/// Returns 1 when stored, 0 when a newer lock was taken since.
const SAVE: &str = r"
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
";

/// `KEYS`: lock. `ARGV`: fence.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
";

/// A [`TokenStore`] on Redis, shared by every replica that uses the same Redis, key prefix
/// and [`EncryptionKey`]. Build it with [`Redis::token_store`].
pub struct RedisTokenStore {
    redis: Redis,
    key: EncryptionKey,
    scripts: Arc<Scripts>,
}

struct Scripts {
    lock: Script,
    save: Script,
    unlock: Script,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("redis", &self.redis)
            .field("key", &self.key)
            .finish()
    }
}

/// What is encrypted: the token and its times (epoch milliseconds).
#[derive(Serialize, Deserialize)]
struct Plain {
    #[serde(rename = "t")]
    token: String,
    #[serde(rename = "y")]
    token_type: String,
    #[serde(rename = "i")]
    issued_ms: u64,
    #[serde(rename = "e")]
    expires_ms: u64,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
}

impl Drop for Plain {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }
}

fn epoch_ms(t: SystemTime) -> u64 {
    millis(t.duration_since(UNIX_EPOCH).unwrap_or_default())
}

fn protocol() -> Error {
    Error::StoreUnavailable {
        kind: StoreFailure::Protocol,
    }
}

impl RedisTokenStore {
    /// A store on `redis` whose values are encrypted with `key`.
    pub fn new(redis: Redis, key: EncryptionKey) -> RedisTokenStore {
        RedisTokenStore {
            redis,
            key,
            scripts: Arc::new(Scripts {
                lock: Script::new(LOCK),
                save: Script::new(SAVE),
                unlock: Script::new(UNLOCK),
            }),
        }
    }

    fn keys(&self, key: &TokenKey) -> (String, String, String) {
        let token = self.redis.key("token", key.as_str());
        (format!("{token}:lock"), format!("{token}:fence"), token)
    }

    fn seal(&self, redis_key: &str, token: &SharedToken) -> Result<Vec<u8>> {
        let plain = Plain {
            token: token.secret().expose_secret().to_owned(),
            token_type: token.token_type().to_owned(),
            issued_ms: epoch_ms(token.issued_at()),
            expires_ms: epoch_ms(token.expires_at()),
            scopes: token.scopes().map(<[String]>::to_vec),
        };
        let json = Zeroizing::new(serde_json::to_vec(&plain).map_err(|_| protocol())?);
        self.key.seal(redis_key.as_bytes(), &json)
    }

    fn open(&self, redis_key: &str, sealed: &[u8]) -> Option<SharedToken> {
        let Some(json) = self.key.open(redis_key.as_bytes(), sealed) else {
            tracing::debug!("a shared token could not be decrypted with this key; ignored");
            return None;
        };
        let mut plain: Plain = serde_json::from_slice(&json).ok()?;
        Some(SharedToken::new(
            SecretString::from(std::mem::take(&mut plain.token)),
            std::mem::take(&mut plain.token_type),
            UNIX_EPOCH + Duration::from_millis(plain.issued_ms),
            UNIX_EPOCH + Duration::from_millis(plain.expires_ms),
            plain.scopes.take(),
        ))
    }
}

impl TokenStore for RedisTokenStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<SharedToken>>> {
        Box::pin(async move {
            let (_, _, token_key) = self.keys(key);
            let sealed: Option<Vec<u8>> = self
                .redis
                .run(|mut c| {
                    let k = token_key.clone();
                    async move { ::redis::cmd("GET").arg(k).query_async(&mut c).await }
                })
                .await?;
            Ok(sealed.and_then(|s| self.open(&token_key, &s)))
        })
    }

    fn lock<'a>(&'a self, key: &'a TokenKey, lease: Duration) -> BoxFuture<'a, Result<Lock>> {
        Box::pin(async move {
            let (lock_key, fence_key, _) = self.keys(key);
            let scripts = Arc::clone(&self.scripts);
            let lease_ms = millis(lease).max(1);
            let (acquired, value): (i64, i64) = self
                .redis
                .run(|mut c| async move {
                    scripts
                        .lock
                        .key(lock_key)
                        .key(fence_key)
                        .arg(lease_ms)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            let value = u64::try_from(value).map_err(|_| protocol())?;
            Ok(if acquired == 1 {
                Lock::Acquired(Fence(value))
            } else {
                Lock::Held {
                    lease_left: Duration::from_millis(value),
                }
            })
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a SharedToken,
        fence: Fence,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let (lock_key, fence_key, token_key) = self.keys(key);
            // The Redis TTL is the token's expiry: Redis drops it when it is useless.
            let ttl = token
                .expires_at()
                .duration_since(SystemTime::now())
                .map(millis)
                .unwrap_or(0);
            if ttl == 0 {
                return Ok(false);
            }
            let sealed = self.seal(&token_key, token)?;
            let scripts = Arc::clone(&self.scripts);
            let saved: i64 = self
                .redis
                .run(|mut c| async move {
                    scripts
                        .save
                        .key(token_key)
                        .key(lock_key)
                        .key(fence_key)
                        .arg(fence.0)
                        .arg(sealed)
                        .arg(ttl)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(saved == 1)
        })
    }

    fn unlock<'a>(&'a self, key: &'a TokenKey, fence: Fence) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (lock_key, _, _) = self.keys(key);
            let scripts = Arc::clone(&self.scripts);
            let _: i64 = self
                .redis
                .run(|mut c| async move {
                    scripts
                        .unlock
                        .key(lock_key)
                        .arg(fence.0)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(())
        })
    }
}
