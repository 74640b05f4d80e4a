//! [`RedisRateBudget`]: one [`RateBudget`] for every replica. Each bucket is a hash
//! (`limit`, `reset`, `remaining`, `open`) and a sorted set of reservations in flight
//! (scored by lease end); reserving and calibrating are Lua scripts running the same
//! machine as [`InProcessRateBudget`](crate::store::InProcessRateBudget) (see
//! [`crate::store`]'s rate-budget docs), so no two replicas can spend the last request of
//! a window. An idle bucket expires after an hour and is probed again.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::Script;

use super::Redis;
use crate::error::Result;
use crate::store::{
    DEFAULT_LEASE, DEFAULT_POLL, InProcessRateBudget, Observation, RateBudget, Reservation, Ticket,
    hex, millis,
};
use crate::transport::BoxFuture;

/// How long an idle bucket is kept (ms).
const IDLE_MS: u64 = 3_600_000;

/// `KEYS`: state, in flight. `ARGV`: now, member, lease, poll, idle (ms).
/// Returns `{1, 0}` (granted) or `{0, wait ms}`.
const RESERVE: &str = r"
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local inflight = redis.call('ZCARD', KEYS[2])
local s = redis.call('HMGET', KEYS[1], 'limit', 'reset', 'remaining', 'open')
local limit = tonumber(s[1]) or 0
local reset = tonumber(s[2]) or 0
local remaining = tonumber(s[3]) or 0
local open = tonumber(s[4]) or 0
local poll = tonumber(ARGV[4])
local function grant()
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  return {1, 0}
end
if limit == 0 then
  if inflight == 0 then return grant() end
  return {0, poll}
end
if open == 0 and reset ~= 0 and now >= reset then
  open = 1
  remaining = limit
  redis.call('HSET', KEYS[1], 'open', 1, 'remaining', remaining)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
if remaining > inflight then return grant() end
local wait = poll
if open == 0 and reset ~= 0 then wait = reset - now end
if inflight > 0 then
  wait = math.min(wait, poll)
else
  wait = math.max(wait, 1)
end
return {0, wait}
";

/// `KEYS`: state, in flight. `ARGV`: member or '', limit or '', remaining or '',
/// reset (ms) or '', 1 for a 429, idle (ms).
const OBSERVE: &str = r"
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end
local s = redis.call('HMGET', KEYS[1], 'limit', 'reset', 'remaining', 'open')
local limit = tonumber(s[1]) or 0
local reset = tonumber(s[2]) or 0
local remaining = tonumber(s[3]) or 0
local open = tonumber(s[4]) or 0
if ARGV[2] ~= '' then limit = tonumber(ARGV[2]) end
if ARGV[3] ~= '' and ARGV[4] ~= '' then
  local r = tonumber(ARGV[3])
  if ARGV[5] == '1' then r = 0 end
  local rs = tonumber(ARGV[4])
  if limit == 0 then limit = r + 1 end
  if rs > reset then
    reset = rs
    open = 0
    remaining = r
  elseif rs == reset and open == 0 then
    remaining = math.min(remaining, r)
  end
end
redis.call('HSET', KEYS[1], 'limit', limit, 'reset', reset, 'remaining', remaining, 'open', open)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
";

/// A [`RateBudget`] on Redis, shared by every replica that uses the same Redis and key
/// prefix. Build it with [`Redis::rate_budget`]. While Redis is unavailable, each replica
/// reserves from its own in-process budget (kept calibrated all along from the answers it
/// sees), so requests keep flowing and callers never see a Redis error.
pub struct RedisRateBudget {
    redis: Redis,
    fallback: InProcessRateBudget,
    /// Tells this replica's reservations apart from the others' in the shared set.
    replica: String,
    scripts: Arc<(Script, Script)>,
    lease: Duration,
    poll: Duration,
}

impl fmt::Debug for RedisRateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateBudget")
            .field("redis", &self.redis)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl RedisRateBudget {
    /// A budget on `redis`.
    pub fn new(redis: Redis) -> RedisRateBudget {
        RedisRateBudget {
            redis,
            fallback: InProcessRateBudget::new(),
            replica: format!("{:016x}", fastrand::u64(..)),
            scripts: Arc::new((Script::new(RESERVE), Script::new(OBSERVE))),
            lease: DEFAULT_LEASE,
            poll: DEFAULT_POLL,
        }
    }

    fn keys(&self, bucket: &str) -> (String, String) {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bucket.as_bytes());
        // 128 bits of the digest name the bucket: the org URL stays out of Redis.
        let state = self.redis.key("rate", &hex(&digest.as_ref()[..16]));
        (format!("{state}:inflight"), state)
    }

    fn member(&self, ticket: Ticket) -> String {
        format!("{}:{}", self.replica, ticket.0)
    }
}

impl RateBudget for RedisRateBudget {
    fn try_reserve<'a>(
        &'a self,
        bucket: &'a str,
        server_now_ms: u64,
    ) -> BoxFuture<'a, Result<Reservation>> {
        Box::pin(async move {
            // Tickets come from the fallback's counter, so they stay unique per replica
            // whichever budget granted them.
            let ticket = self.fallback.next_ticket();
            let (inflight, state) = self.keys(bucket);
            let member = self.member(ticket);
            let scripts = Arc::clone(&self.scripts);
            let (lease, poll) = (millis(self.lease), millis(self.poll));
            let shared = self
                .redis
                .run(|mut c| async move {
                    scripts
                        .0
                        .key(state)
                        .key(inflight)
                        .arg(server_now_ms)
                        .arg(member)
                        .arg(lease)
                        .arg(poll)
                        .arg(IDLE_MS)
                        .invoke_async::<(i64, i64)>(&mut c)
                        .await
                })
                .await;
            match shared {
                Ok((1, _)) => Ok(Reservation::Granted(ticket)),
                Ok((_, wait)) => Ok(Reservation::Wait(Duration::from_millis(
                    u64::try_from(wait).unwrap_or(1).max(1),
                ))),
                Err(_) => Ok(self.fallback.reserve_now(bucket, server_now_ms)),
            }
        })
    }

    fn observe<'a>(
        &'a self,
        bucket: &'a str,
        _server_now_ms: u64,
        observation: Observation,
    ) -> BoxFuture<'a, Result<()>> {
        // The fallback learns from every answer, so it is calibrated when it is needed.
        self.fallback.observe_now(bucket, &observation);
        Box::pin(async move {
            let (inflight, state) = self.keys(bucket);
            let member = observation
                .ticket
                .map(|t| self.member(t))
                .unwrap_or_default();
            let text = |v: Option<String>| v.unwrap_or_default();
            let limit = text(observation.limit.map(|v| v.to_string()));
            let remaining = text(observation.remaining.map(|v| v.to_string()));
            let reset = text(observation.reset_ms.map(|v| v.to_string()));
            let limited = if observation.rate_limited { "1" } else { "0" };
            let scripts = Arc::clone(&self.scripts);
            let _ = self
                .redis
                .run(|mut c| async move {
                    scripts
                        .1
                        .key(state)
                        .key(inflight)
                        .arg(member)
                        .arg(limit)
                        .arg(remaining)
                        .arg(reset)
                        .arg(limited)
                        .arg(IDLE_MS)
                        .invoke_async::<i64>(&mut c)
                        .await
                })
                .await;
            Ok(())
        })
    }
}
