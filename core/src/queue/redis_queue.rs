//! Redis-protocol queue backend, shared by every Paygate host.
//!
//! Only plain lists, hashes, sorted sets, strings and Lua scripts are used,
//! so the same code runs on Redis and on Microsoft Garnet: no Streams, no
//! modules, no keyspace notifications, no blocking commands. Every state
//! change is one Lua script, so it is atomic, and scripts read the server's
//! clock (`TIME`) so hosts with drifting clocks still agree on deadlines.
//! Garnet ships with Lua disabled: start it with `--lua`.
//!
//! Keys of a queue `q` under prefix `p` (the braces make them one hash slot,
//! so the multi-key scripts also work on a cluster):
//!
//! | key             | type   | holds                                        |
//! |-----------------|--------|----------------------------------------------|
//! | `p:{q}:ready`    | list   | ids waiting to be consumed, oldest first     |
//! | `p:{q}:jobs`     | hash   | id → payload, until acked (kept when dead)   |
//! | `p:{q}:attempts` | hash   | id → deliveries so far                       |
//! | `p:{q}:leases`   | zset   | id → lease deadline, ms since the epoch      |
//! | `p:{q}:delayed`  | zset   | id → when a nacked job is due again, ms      |
//! | `p:{q}:retried`  | string | counter of jobs scheduled for redelivery     |
//! | `p:{q}:dead`     | list   | ids that used up their attempts              |
//!
//! Consumers poll (2 ms doubling up to 50 ms) instead of blocking: pools
//! built by `deadpool_redis::Config::from_url` time responses out after
//! 500 ms, and a blocking pop could not also reclaim expired leases.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{Script, ScriptInvocation, cmd};
use deadpool_redis::{Config, Connection, Pool, PoolConfig, Runtime, Timeouts};
use tokio::time::Instant;

use super::{Delivery, Queue, QueueError, QueueResult, QueueStats, new_job_id};

/// Lua prelude: `now`, the server's clock in milliseconds.
macro_rules! lua_now {
    () => {
        r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"
    };
}

/// Lua prelude shared by `consume` and `stats`: brings the queue up to date
/// with the clock. Expects the seven queue keys in `Keys::all` order and
/// `ARGV[1]` = max attempts. Each call moves at most `batch` jobs per kind,
/// so a huge backlog cannot stall the server; later calls take the rest.
macro_rules! lua_reap {
    () => {
        concat!(
            lua_now!(),
            r"
local max_attempts = tonumber(ARGV[1])
local batch = 1000
-- Expired leases: redeliver, or bury a job delivered max_attempts times.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('ZREM', KEYS[4], id)
  if (tonumber(redis.call('HGET', KEYS[3], id)) or 0) >= max_attempts then
    redis.call('RPUSH', KEYS[7], id)
  else
    redis.call('INCR', KEYS[6])
    redis.call('RPUSH', KEYS[1], id)
  end
end
-- Nacked jobs whose delay is over (their retry was counted by nack).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('ZREM', KEYS[5], id)
  redis.call('RPUSH', KEYS[1], id)
end
"
        )
    };
}

/// KEYS: ready, jobs. ARGV: id, payload. The payload is stored before the id
/// is listed, inside one script, so no consumer sees an id without payload.
const PUBLISH: &str = r"
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
";

/// KEYS: all seven. ARGV: max attempts, lease ms.
/// Returns {id, payload, attempt}, or nil when nothing is ready.
const CONSUME: &str = concat!(
    lua_reap!(),
    r"
while true do
  local id = redis.call('LPOP', KEYS[1])
  if not id then
    return false
  end
  local payload = redis.call('HGET', KEYS[2], id)
  -- An id whose payload is gone (keys removed by hand) is dropped rather
  -- than delivered empty.
  if payload then
    local attempt = redis.call('HINCRBY', KEYS[3], id, 1)
    redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), id)
    return {id, payload, attempt}
  end
end
"
);

/// KEYS: all seven. ARGV: max attempts.
/// Returns {depth, in_flight, retried, dead}.
const STATS: &str = concat!(
    lua_reap!(),
    r"
return {
  redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[5]),
  redis.call('ZCARD', KEYS[4]),
  tonumber(redis.call('GET', KEYS[6])) or 0,
  redis.call('LLEN', KEYS[7]),
}
"
);

/// Lua guard for ack and nack: KEYS[1] = leases, KEYS[2] = attempts,
/// ARGV[1] = id, ARGV[2] = the delivery's attempt. Returns 0 unless the
/// delivery still holds the job's current lease.
macro_rules! lua_current_lease {
    () => {
        r"
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
if tonumber(redis.call('HGET', KEYS[2], ARGV[1])) ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
"
    };
}

/// KEYS: leases, attempts, jobs. ARGV: id, attempt. Returns 1 when acked.
const ACK: &str = concat!(
    lua_current_lease!(),
    r"
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
"
);

/// KEYS: leases, attempts, delayed, retried, dead.
/// ARGV: id, attempt, delay ms, max attempts. Returns 1 when nacked.
const NACK: &str = concat!(
    lua_current_lease!(),
    lua_now!(),
    r"
if tonumber(ARGV[2]) >= tonumber(ARGV[4]) then
  redis.call('RPUSH', KEYS[5], ARGV[1])
else
  redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
end
return 1
"
);

const FIRST_POLL: Duration = Duration::from_millis(2);
const MAX_POLL: Duration = Duration::from_millis(50);

/// Queue backend on a Redis-protocol server (Redis, Garnet), shared by all
/// hosts that use the same server and key prefix.
pub struct RedisQueue {
    pool: Pool,
    prefix: String,
    max_attempts: u32,
    scripts: Scripts,
}

struct Scripts {
    publish: Script,
    consume: Script,
    stats: Script,
    ack: Script,
    nack: Script,
}

impl fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool and scripts say nothing useful; the URL may hold a password.
        f.debug_struct("RedisQueue")
            .field("prefix", &self.prefix)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl RedisQueue {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379`) and checks the
    /// server answers. Keys are named `{key_prefix}:{queue}:...`; each job is
    /// delivered at most `max_attempts` times (at least once, even when given
    /// 0) before moving to the dead list.
    pub async fn connect(url: &str, key_prefix: &str, max_attempts: u32) -> QueueResult<Self> {
        let mut config = Config::from_url(url);
        // Without timeouts a dead server or an exhausted pool would hang
        // callers forever instead of surfacing an error.
        let limit = Some(Duration::from_secs(5));
        config.pool = Some(PoolConfig {
            timeouts: Timeouts { wait: limit, create: limit, recycle: limit },
            ..PoolConfig::default()
        });
        let pool = config.create_pool(Some(Runtime::Tokio1)).map_err(|e| backend("creating the Redis pool", e))?;
        let queue = Self {
            pool,
            prefix: key_prefix.to_owned(),
            max_attempts: max_attempts.max(1),
            scripts: Scripts {
                publish: Script::new(PUBLISH),
                consume: Script::new(CONSUME),
                stats: Script::new(STATS),
                ack: Script::new(ACK),
                nack: Script::new(NACK),
            },
        };
        queue.ping().await?;
        Ok(queue)
    }

    async fn conn(&self) -> QueueResult<Connection> {
        self.pool.get().await.map_err(|e| backend("connecting to Redis", e))
    }

    fn keys(&self, queue: &str) -> Keys {
        Keys::new(&self.prefix, queue)
    }

    /// One consume attempt: reclaims what is due, then leases the next job.
    async fn try_consume(&self, queue: &str, lease: Duration) -> QueueResult<Option<Delivery>> {
        let mut invocation = self.scripts.consume.prepare_invoke();
        self.keys(queue).add_all(&mut invocation);
        invocation.arg(self.max_attempts).arg(millis(lease));
        let mut conn = self.conn().await?;
        let reply: Option<(String, Vec<u8>, i64)> =
            invocation.invoke_async(&mut conn).await.map_err(|e| backend("consume", e))?;
        reply
            .map(|(job_id, payload, attempt)| {
                let attempt = u32::try_from(attempt).map_err(|e| backend("consume: attempt out of range", e))?;
                Ok(Delivery { queue: queue.to_owned(), job_id, payload, attempt })
            })
            .transpose()
    }
}

#[async_trait]
impl Queue for RedisQueue {
    async fn publish(&self, queue: &str, payload: &[u8]) -> QueueResult<String> {
        let id = new_job_id();
        let keys = self.keys(queue);
        let mut conn = self.conn().await?;
        let _: i64 = self
            .scripts
            .publish
            .key(&keys.ready)
            .key(&keys.jobs)
            .arg(&id)
            .arg(payload)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| backend("publish", e))?;
        Ok(id)
    }

    async fn consume(&self, queue: &str, lease: Duration, wait: Duration) -> QueueResult<Option<Delivery>> {
        let give_up = Instant::now().checked_add(wait);
        let mut pause = FIRST_POLL;
        loop {
            if let Some(delivery) = self.try_consume(queue, lease).await? {
                return Ok(Some(delivery));
            }
            // `None` means the wait is too long to represent: never give up.
            let remaining = give_up.map_or(MAX_POLL, |at| at.saturating_duration_since(Instant::now()));
            if remaining.is_zero() {
                return Ok(None);
            }
            tokio::time::sleep(pause.min(remaining)).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    async fn ack(&self, delivery: &Delivery) -> QueueResult<bool> {
        let keys = self.keys(&delivery.queue);
        let mut conn = self.conn().await?;
        let acked: i64 = self
            .scripts
            .ack
            .key(&keys.leases)
            .key(&keys.attempts)
            .key(&keys.jobs)
            .arg(&delivery.job_id)
            .arg(delivery.attempt)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| backend("ack", e))?;
        Ok(acked == 1)
    }

    async fn nack(&self, delivery: &Delivery, delay: Duration) -> QueueResult<()> {
        let keys = self.keys(&delivery.queue);
        let mut conn = self.conn().await?;
        let _: i64 = self
            .scripts
            .nack
            .key(&keys.leases)
            .key(&keys.attempts)
            .key(&keys.delayed)
            .key(&keys.retried)
            .key(&keys.dead)
            .arg(&delivery.job_id)
            .arg(delivery.attempt)
            .arg(millis(delay))
            .arg(self.max_attempts)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| backend("nack", e))?;
        Ok(())
    }

    async fn stats(&self, queue: &str) -> QueueResult<QueueStats> {
        let mut invocation = self.scripts.stats.prepare_invoke();
        self.keys(queue).add_all(&mut invocation);
        invocation.arg(self.max_attempts);
        let mut conn = self.conn().await?;
        let (depth, in_flight, retried, dead): (u64, u64, u64, u64) =
            invocation.invoke_async(&mut conn).await.map_err(|e| backend("stats", e))?;
        Ok(QueueStats { queue: queue.to_owned(), depth, in_flight, retried, dead })
    }

    async fn ping(&self) -> QueueResult<()> {
        let mut conn = self.conn().await?;
        let _: String = cmd("PING").query_async(&mut conn).await.map_err(|e| backend("ping", e))?;
        Ok(())
    }
}

/// The keys of one queue; see the module docs.
struct Keys {
    ready: String,
    jobs: String,
    attempts: String,
    leases: String,
    delayed: String,
    retried: String,
    dead: String,
}

impl Keys {
    fn new(prefix: &str, queue: &str) -> Self {
        let key = |name: &str| format!("{prefix}:{{{queue}}}:{name}");
        Self {
            ready: key("ready"),
            jobs: key("jobs"),
            attempts: key("attempts"),
            leases: key("leases"),
            delayed: key("delayed"),
            retried: key("retried"),
            dead: key("dead"),
        }
    }

    /// Adds all keys in the order `lua_reap!` expects.
    fn add_all(&self, invocation: &mut ScriptInvocation<'_>) {
        invocation
            .key(&self.ready)
            .key(&self.jobs)
            .key(&self.attempts)
            .key(&self.leases)
            .key(&self.delayed)
            .key(&self.retried)
            .key(&self.dead);
    }
}

/// Whole milliseconds, capped at about thirty years so the deadline the
/// script computes stays an exact integer in Lua's doubles.
fn millis(duration: Duration) -> u64 {
    const CAP_MS: u64 = 30 * 365 * 24 * 60 * 60 * 1000;
    u64::try_from(duration.as_millis()).map_or(CAP_MS, |ms| ms.min(CAP_MS))
}

fn backend(context: &str, error: impl fmt::Display) -> QueueError {
    QueueError::Backend(format!("{context}: {error}"))
}
