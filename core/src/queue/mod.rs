//! The queue: one trait, two backends (in-process, Redis protocol).
//!
//! A job is a wake-up, never the only record of work: the store is the
//! source of truth and the scheduler re-publishes work whose lease expired. The
//! queue guarantees at-least-once delivery: a consumed job is leased for a
//! while; if it is not acked before the lease ends, it is delivered again
//! (counted as retried). After `max_attempts` deliveries it moves to the
//! dead list instead.
//!
//! Both backends ([`MemoryQueue`], [`RedisQueue`]) share these rules, and
//! `core/tests/queue_conformance.rs` runs one suite against each:
//!
//! - Jobs of one queue are handed out in publish order; a job given back
//!   (lease expired or nacked) joins the back of the line.
//! - `attempt` counts deliveries. When a lease expires or a job is nacked,
//!   the job is scheduled again and `retried` grows by one, unless it has
//!   already been delivered `max_attempts` times: then it goes to the dead
//!   list (payload kept, for whoever inspects it) and is never delivered again.
//! - Expired leases are reclaimed lazily, by the next `consume` or `stats`
//!   of that queue. Until then a late `ack` still succeeds: the work was done
//!   and nobody else holds the job.
//! - `ack` and `nack` are no-ops (`ack` returns false) for a delivery that is
//!   no longer the current one: already acked, nacked, or reclaimed.
//! - `depth` counts ready jobs plus nacked jobs waiting out their delay.

use std::time::Duration;

use async_trait::async_trait;

pub mod memory;
pub mod redis_queue;

pub use memory::MemoryQueue;
pub use redis_queue::RedisQueue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub queue: String,
    pub job_id: String,
    pub payload: Vec<u8>,
    /// 1 on the first delivery, 2 on the first redelivery, ...
    pub attempt: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queue: String,
    /// Jobs waiting to be consumed.
    pub depth: u64,
    /// Jobs consumed and not yet acked, lease still running.
    pub in_flight: u64,
    /// Deliveries that were redeliveries (lease expired or nacked).
    pub retried: u64,
    /// Jobs that exhausted their attempts.
    pub dead: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue backend: {0}")]
    Backend(String),
}

pub type QueueResult<T> = Result<T, QueueError>;

#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Appends a job; returns its id.
    async fn publish(&self, queue: &str, payload: &[u8]) -> QueueResult<String>;

    /// Takes the next job, leasing it for `lease`. Waits up to `wait` for
    /// one to arrive; `None` when none did.
    async fn consume(&self, queue: &str, lease: Duration, wait: Duration) -> QueueResult<Option<Delivery>>;

    /// Completes a job. Returns false (and changes nothing) when this
    /// delivery's lease had already expired and the job was handed out again.
    async fn ack(&self, delivery: &Delivery) -> QueueResult<bool>;

    /// Gives a job back for redelivery after `delay`.
    async fn nack(&self, delivery: &Delivery, delay: Duration) -> QueueResult<()>;

    async fn stats(&self, queue: &str) -> QueueResult<QueueStats>;

    async fn ping(&self) -> QueueResult<()>;
}

/// A fresh job id: 128 random bits in hex, so ids minted on different hosts
/// never collide and reveal nothing about ordering or volume.
pub(crate) fn new_job_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
