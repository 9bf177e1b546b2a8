//! One conformance suite for every `Queue` backend.
//!
//! Each case is an async fn taking a [`Fixture`]; `conformance!` turns it
//! into `memory_<case>` and `redis_<case>` tests. The Redis tests use
//! `PAYGATE_REDIS_URL` with a fresh random key prefix per test. When the
//! variable is unset they print `skipped: PAYGATE_REDIS_URL not set` and
//! pass, unless the run requires every backend (`CI` set, or
//! `PAYGATE_REQUIRE_BACKENDS=1`): then they fail. When it is set but the
//! server is unusable they fail.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paygate_core::queue::{Delivery, MemoryQueue, Queue, QueueStats, RedisQueue};

/// Short enough to keep the suite fast, long enough that a busy machine
/// still acks well inside it.
const SHORT_LEASE: Duration = Duration::from_millis(300);
/// For jobs whose lease must not run out during the test.
const LONG_LEASE: Duration = Duration::from_secs(30);
/// Comfortably longer than any lease in the suite: a consume given this
/// wait returns as soon as its job shows up, so it costs nothing when the
/// backend works.
const PATIENCE: Duration = Duration::from_secs(3);
const MAX_ATTEMPTS: u32 = 5;
const QUEUE: &str = "jobs";

/// In CI (`CI` set) or with `PAYGATE_REQUIRE_BACKENDS=1`, a backend whose
/// variable is missing fails the test: a green run must mean it ran.
fn backends_required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("PAYGATE_REQUIRE_BACKENDS")
}

enum Fixture {
    Memory,
    Redis { url: String, prefix: String },
}

impl Fixture {
    /// `None` (after saying so) when no Redis server is configured.
    fn redis() -> Option<Self> {
        let url = std::env::var("PAYGATE_REDIS_URL").unwrap_or_default();
        if url.is_empty() {
            assert!(!backends_required(), "PAYGATE_REDIS_URL is not set, and this run requires every backend");
            println!("skipped: PAYGATE_REDIS_URL not set");
            return None;
        }
        let prefix = format!("paygate-test:{:016x}", rand::random::<u64>());
        Some(Self::Redis { url, prefix })
    }

    async fn queue(&self, max_attempts: u32) -> Arc<dyn Queue> {
        match self {
            Self::Memory => Arc::new(MemoryQueue::new(max_attempts)),
            Self::Redis { url, prefix } => match RedisQueue::connect(url, prefix, max_attempts).await {
                Ok(queue) => Arc::new(queue),
                Err(e) => panic!("PAYGATE_REDIS_URL is set but unusable: {e}"),
            },
        }
    }

    /// Deletes the test's keys. Only reached when the test passed, so a
    /// failing test leaves its keys behind to look at.
    async fn cleanup(self) {
        let Self::Redis { url, prefix } = self else {
            return;
        };
        let client = redis::Client::open(url.as_str()).expect("redis url");
        let mut conn = client.get_multiplexed_async_connection().await.expect("redis connection");
        let mut cursor = 0_u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{prefix}:*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .expect("SCAN");
            if !keys.is_empty() {
                let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.expect("DEL");
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
}

/// Generates `memory_<case>` and `redis_<case>` for each case.
macro_rules! conformance {
    ($($case:ident => $memory:ident, $redis:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $memory() {
            $case(&Fixture::Memory).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $redis() {
            let Some(fixture) = Fixture::redis() else {
                return;
            };
            $case(&fixture).await;
            fixture.cleanup().await;
        }
    )*};
}

conformance! {
    publish_consume_ack => memory_publish_consume_ack, redis_publish_consume_ack;
    fifo_order => memory_fifo_order, redis_fifo_order;
    consume_on_empty_waits => memory_consume_on_empty_waits, redis_consume_on_empty_waits;
    consume_wakes_on_publish => memory_consume_wakes_on_publish, redis_consume_wakes_on_publish;
    redelivery_after_lease_expiry => memory_redelivery_after_lease_expiry, redis_redelivery_after_lease_expiry;
    stale_ack_after_redelivery => memory_stale_ack_after_redelivery, redis_stale_ack_after_redelivery;
    nack_with_delay => memory_nack_with_delay, redis_nack_with_delay;
    max_attempts_to_dead => memory_max_attempts_to_dead, redis_max_attempts_to_dead;
    concurrent_consumers => memory_concurrent_consumers, redis_concurrent_consumers;
    dead_consumer_handover => memory_dead_consumer_handover, redis_dead_consumer_handover;
    stats_track_every_state => memory_stats_track_every_state, redis_stats_track_every_state;
}

fn counts(queue: &str, depth: u64, in_flight: u64, retried: u64, dead: u64) -> QueueStats {
    QueueStats { queue: queue.to_owned(), depth, in_flight, retried, dead }
}

async fn stats(q: &Arc<dyn Queue>, queue: &str) -> QueueStats {
    q.stats(queue).await.expect("stats")
}

async fn publish(q: &Arc<dyn Queue>, payload: &[u8]) -> String {
    q.publish(QUEUE, payload).await.expect("publish")
}

async fn consume(q: &Arc<dyn Queue>, lease: Duration, wait: Duration) -> Option<Delivery> {
    q.consume(QUEUE, lease, wait).await.expect("consume")
}

/// Consumes a job that must arrive within [`PATIENCE`].
async fn expect_job(q: &Arc<dyn Queue>, lease: Duration) -> Delivery {
    consume(q, lease, PATIENCE).await.expect("a job within PATIENCE")
}

async fn ack(q: &Arc<dyn Queue>, delivery: &Delivery) -> bool {
    q.ack(delivery).await.expect("ack")
}

async fn nack(q: &Arc<dyn Queue>, delivery: &Delivery, delay: Duration) {
    q.nack(delivery, delay).await.expect("nack");
}

async fn publish_consume_ack(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    q.ping().await.expect("ping");
    // Binary, not UTF-8, with a NUL: payloads are bytes, not strings.
    let payload = b"\x00pay\xffload\r\n".to_vec();

    let id = publish(&q, &payload).await;
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 1, 0, 0, 0));

    let delivery = consume(&q, LONG_LEASE, Duration::ZERO).await.expect("the published job");
    assert_eq!(delivery, Delivery { queue: QUEUE.to_owned(), job_id: id, payload, attempt: 1 });
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 1, 0, 0));

    assert!(ack(&q, &delivery).await, "first ack completes the job");
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 0, 0));
    assert!(consume(&q, LONG_LEASE, Duration::ZERO).await.is_none(), "queue empty after ack");
    assert!(!ack(&q, &delivery).await, "second ack of the same delivery");

    // An empty payload survives the round trip too.
    let empty = publish(&q, b"").await;
    let delivery = consume(&q, LONG_LEASE, Duration::ZERO).await.expect("the empty job");
    assert_eq!((delivery.job_id.as_str(), delivery.payload.as_slice()), (empty.as_str(), &b""[..]));
    assert!(ack(&q, &delivery).await);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 0, 0));
}

async fn fifo_order(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(publish(&q, format!("job {i}").as_bytes()).await);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "job ids are unique");

    for (i, id) in ids.iter().enumerate() {
        let delivery = consume(&q, LONG_LEASE, Duration::ZERO).await.expect("a job");
        assert_eq!(&delivery.job_id, id);
        assert_eq!(delivery.payload, format!("job {i}").into_bytes());
        assert!(ack(&q, &delivery).await);
    }
}

async fn consume_on_empty_waits(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;

    let wait = Duration::from_millis(300);
    let start = Instant::now();
    assert!(consume(&q, SHORT_LEASE, wait).await.is_none());
    let waited = start.elapsed();
    assert!(waited >= wait - Duration::from_millis(10), "gave up early, after {waited:?}");
    assert!(waited < wait + Duration::from_secs(1), "gave up late, after {waited:?}");

    let start = Instant::now();
    assert!(consume(&q, SHORT_LEASE, Duration::ZERO).await.is_none());
    let waited = start.elapsed();
    assert!(waited < Duration::from_millis(200), "a zero wait still took {waited:?}");
}

async fn consume_wakes_on_publish(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;

    let waiter = {
        let q = Arc::clone(&q);
        tokio::spawn(async move { q.consume(QUEUE, LONG_LEASE, Duration::from_secs(10)).await })
    };
    // Let the consumer start waiting on the empty queue.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiter.is_finished(), "consume returned from an empty queue before its wait");

    let published = Instant::now();
    let id = publish(&q, b"wake up").await;
    let delivery = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .expect("the waiting consumer woke up")
        .expect("consumer task")
        .expect("consume")
        .expect("the published job");
    let latency = published.elapsed();
    assert!(latency < Duration::from_millis(500), "woke {latency:?} after the publish");
    assert_eq!(delivery.job_id, id);
    assert!(ack(&q, &delivery).await);
}

async fn redelivery_after_lease_expiry(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    let id = publish(&q, b"retry me").await;

    let first = expect_job(&q, SHORT_LEASE).await;
    assert_eq!(first.attempt, 1);
    let leased = Instant::now();

    // Not acked: the same job comes back once the lease runs out, not before.
    let second = expect_job(&q, LONG_LEASE).await;
    let waited = leased.elapsed();
    assert!(waited >= SHORT_LEASE - Duration::from_millis(50), "redelivered after only {waited:?}");
    assert_eq!((second.job_id.as_str(), second.payload.as_slice()), (id.as_str(), &b"retry me"[..]));
    assert_eq!(second.attempt, 2);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 1, 1, 0));

    assert!(ack(&q, &second).await);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 1, 0));
}

async fn stale_ack_after_redelivery(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    publish(&q, b"contested").await;

    let stale = expect_job(&q, SHORT_LEASE).await;
    let current = expect_job(&q, LONG_LEASE).await;
    assert_eq!(current.job_id, stale.job_id);
    assert_eq!(current.attempt, 2);

    assert!(!ack(&q, &stale).await, "ack of a redelivered job's old delivery");
    nack(&q, &stale, Duration::ZERO).await;
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 1, 1, 0), "stale ack and nack change nothing");

    assert!(ack(&q, &current).await, "the new holder still acks");
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 1, 0));
    assert!(consume(&q, LONG_LEASE, Duration::ZERO).await.is_none());
}

async fn nack_with_delay(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    let id = publish(&q, b"later").await;

    let first = expect_job(&q, LONG_LEASE).await;
    let delay = Duration::from_millis(400);
    nack(&q, &first, delay).await;
    let nacked = Instant::now();
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 1, 0, 1, 0), "a delayed job counts in depth");
    assert!(!ack(&q, &first).await, "ack after nack");
    assert!(consume(&q, LONG_LEASE, Duration::ZERO).await.is_none(), "delivered before its delay");

    let second = expect_job(&q, LONG_LEASE).await;
    let waited = nacked.elapsed();
    assert!(waited >= delay - Duration::from_millis(50), "redelivered after only {waited:?}");
    assert_eq!((second.job_id.as_str(), second.attempt), (id.as_str(), 2));
    assert!(ack(&q, &second).await);

    // A zero delay makes the job available at once.
    publish(&q, b"now").await;
    let first = expect_job(&q, LONG_LEASE).await;
    nack(&q, &first, Duration::ZERO).await;
    let start = Instant::now();
    let second = expect_job(&q, LONG_LEASE).await;
    assert!(start.elapsed() < Duration::from_millis(200), "zero-delay nack took {:?}", start.elapsed());
    assert_eq!((second.job_id.as_str(), second.attempt), (first.job_id.as_str(), 2));
    assert!(ack(&q, &second).await);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 2, 0));
}

async fn max_attempts_to_dead(fixture: &Fixture) {
    let q = fixture.queue(2).await;

    // Through lease expiry.
    publish(&q, b"expires").await;
    let first = expect_job(&q, SHORT_LEASE).await;
    let second = expect_job(&q, SHORT_LEASE).await;
    assert_eq!((second.job_id.as_str(), second.attempt), (first.job_id.as_str(), 2));
    assert!(consume(&q, SHORT_LEASE, SHORT_LEASE * 2).await.is_none(), "a job past max_attempts was delivered again");
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 1, 1));
    assert!(!ack(&q, &second).await, "a dead job cannot be acked");

    // Through nacks.
    publish(&q, b"refused").await;
    let first = expect_job(&q, LONG_LEASE).await;
    nack(&q, &first, Duration::ZERO).await;
    let second = expect_job(&q, LONG_LEASE).await;
    assert_eq!(second.attempt, 2);
    nack(&q, &second, Duration::ZERO).await;
    assert!(consume(&q, LONG_LEASE, Duration::from_millis(100)).await.is_none());
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 2, 2));
}

/// Every delivery, in order, per job id: (payload index, attempt).
type Deliveries = HashMap<String, Vec<(usize, u32)>>;

/// Eight consumers drain 500 jobs; every 25th job is abandoned on its first
/// delivery (as by a crashed worker) and must come back exactly once.
async fn concurrent_consumers(fixture: &Fixture) {
    const JOBS: usize = 500;
    const WORKERS: usize = 8;
    const ABANDON_EVERY: usize = 25;
    // Long enough that no healthy worker's lease runs out on a busy machine.
    const LEASE: Duration = Duration::from_millis(500);

    let q = fixture.queue(MAX_ATTEMPTS).await;
    for i in 0..JOBS {
        publish(&q, i.to_string().as_bytes()).await;
    }
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, JOBS as u64, 0, 0, 0));

    let deliveries: Arc<Mutex<Deliveries>> = Arc::default();
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let q = Arc::clone(&q);
            let deliveries = Arc::clone(&deliveries);
            let acked = Arc::clone(&acked);
            tokio::spawn(async move {
                while acked.load(std::sync::atomic::Ordering::SeqCst) < JOBS {
                    let Some(delivery) = consume(&q, LEASE, Duration::from_millis(100)).await else {
                        continue;
                    };
                    let index: usize = std::str::from_utf8(&delivery.payload)
                        .expect("utf-8 payload")
                        .parse()
                        .expect("numeric payload");
                    deliveries
                        .lock()
                        .expect("deliveries lock")
                        .entry(delivery.job_id.clone())
                        .or_default()
                        .push((index, delivery.attempt));
                    if index.is_multiple_of(ABANDON_EVERY) && delivery.attempt == 1 {
                        continue;
                    }
                    assert!(ack(&q, &delivery).await, "ack of job {index} within its lease");
                    acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(60), futures::future::try_join_all(workers))
        .await
        .expect("all jobs processed in time")
        .expect("worker tasks");

    let deliveries = Arc::into_inner(deliveries).expect("workers finished").into_inner().expect("deliveries lock");
    assert_eq!(deliveries.len(), JOBS, "every job delivered");
    let mut seen = vec![false; JOBS];
    for (id, history) in deliveries.iter() {
        let index = history[0].0;
        let expected: Vec<_> =
            if index.is_multiple_of(ABANDON_EVERY) { vec![(index, 1), (index, 2)] } else { vec![(index, 1)] };
        assert_eq!(history, &expected, "deliveries of job {id}");
        assert!(!seen[index], "two ids carry payload {index}");
        seen[index] = true;
    }
    let abandoned = JOBS.div_ceil(ABANDON_EVERY) as u64;
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, abandoned, 0));
}

async fn dead_consumer_handover(fixture: &Fixture) {
    let q = fixture.queue(MAX_ATTEMPTS).await;
    let id = publish(&q, b"orphan").await;

    let (taken_tx, taken_rx) = tokio::sync::oneshot::channel();
    let doomed = {
        let q = Arc::clone(&q);
        tokio::spawn(async move {
            let delivery = expect_job(&q, SHORT_LEASE).await;
            taken_tx.send(delivery.job_id).expect("test still listening");
            // Mid-job forever: only the abort ends this worker.
            std::future::pending::<()>().await;
        })
    };
    assert_eq!(taken_rx.await.expect("the doomed worker took the job"), id);
    doomed.abort();
    assert!(doomed.await.expect_err("aborted").is_cancelled());
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 1, 0, 0));

    let rescued = expect_job(&q, LONG_LEASE).await;
    assert_eq!((rescued.job_id.as_str(), rescued.attempt), (id.as_str(), 2));
    assert!(ack(&q, &rescued).await);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 0, 0, 1, 0));
}

async fn stats_track_every_state(fixture: &Fixture) {
    const OTHER: &str = "other";
    let q = fixture.queue(2).await;
    assert_eq!(stats(&q, "never-used").await, counts("never-used", 0, 0, 0, 0));

    let a = publish(&q, b"a").await;
    let b = publish(&q, b"b").await;
    let c = publish(&q, b"c").await;
    q.publish(OTHER, b"x").await.expect("publish");
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 3, 0, 0, 0));
    assert_eq!(stats(&q, OTHER).await, counts(OTHER, 1, 0, 0, 0));

    let delivery_a = expect_job(&q, SHORT_LEASE).await;
    assert_eq!(delivery_a.job_id, a);
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 2, 1, 0, 0));

    let delivery_b = expect_job(&q, LONG_LEASE).await;
    assert_eq!(delivery_b.job_id, b);
    nack(&q, &delivery_b, Duration::from_secs(60)).await;
    // c ready, b delayed; a leased.
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 2, 1, 1, 0));

    // a's lease runs out: stats alone reclaims it, and a joins the back.
    tokio::time::sleep(SHORT_LEASE + Duration::from_millis(100)).await;
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 3, 0, 2, 0));

    let delivery_c = expect_job(&q, LONG_LEASE).await;
    assert_eq!((delivery_c.job_id.as_str(), delivery_c.attempt), (c.as_str(), 1));
    assert!(ack(&q, &delivery_c).await);

    // a's second lease runs out too; max_attempts is 2, so it is dead.
    let delivery_a = expect_job(&q, SHORT_LEASE).await;
    assert_eq!((delivery_a.job_id.as_str(), delivery_a.attempt), (a.as_str(), 2));
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 1, 1, 2, 0));
    tokio::time::sleep(SHORT_LEASE + Duration::from_millis(100)).await;
    assert_eq!(stats(&q, QUEUE).await, counts(QUEUE, 1, 0, 2, 1));

    // None of it touched the other queue.
    assert_eq!(stats(&q, OTHER).await, counts(OTHER, 1, 0, 0, 0));
    let x = q.consume(OTHER, LONG_LEASE, Duration::ZERO).await.expect("consume").expect("the other queue's job");
    assert_eq!(x.payload, b"x");
    assert!(q.ack(&x).await.expect("ack"));
}
