//! In-process queue backend, for tests and single-process deployments.
//!
//! Each queue has its own mutex-protected state and a [`Notify`] that wakes
//! waiting consumers when a job becomes ready or when the earliest timer
//! (lease deadline or nack delay) moves closer. A waiting consumer sleeps
//! until it is notified, its `wait` runs out, or the earliest timer fires,
//! whichever comes first, so nothing is polled.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Delivery, Queue, QueueResult, QueueStats, new_job_id};

/// Queue backend that lives in this process's memory; jobs do not survive a
/// restart.
#[derive(Debug)]
pub struct MemoryQueue {
    max_attempts: u32,
    queues: Mutex<HashMap<String, Arc<Slot>>>,
}

impl MemoryQueue {
    /// A queue that delivers each job at most `max_attempts` times (at least
    /// once, even when given 0) before moving it to the dead list.
    pub fn new(max_attempts: u32) -> Self {
        Self { max_attempts: max_attempts.max(1), queues: Mutex::new(HashMap::new()) }
    }

    /// The queue's slot, created on first use.
    fn slot(&self, queue: &str) -> Arc<Slot> {
        let mut queues = lock(&self.queues);
        match queues.get(queue) {
            Some(slot) => Arc::clone(slot),
            None => {
                let slot = Arc::new(Slot::default());
                queues.insert(queue.to_owned(), Arc::clone(&slot));
                slot
            }
        }
    }

    /// The queue's slot if anything was ever published to or consumed from it.
    fn existing_slot(&self, queue: &str) -> Option<Arc<Slot>> {
        lock(&self.queues).get(queue).cloned()
    }
}

#[derive(Debug, Default)]
struct Slot {
    state: Mutex<State>,
    notify: Notify,
}

impl Slot {
    /// Runs `f` on the locked state, then wakes waiting consumers if `f`
    /// asked for it. The wake-up happens after the lock is released so the
    /// woken tasks do not immediately block on it.
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let (out, wake) = {
            let mut state = lock(&self.state);
            let out = f(&mut state);
            (out, std::mem::take(&mut state.wake_waiters))
        };
        if wake {
            self.notify.notify_waiters();
        }
        out
    }
}

#[derive(Debug)]
struct Job {
    id: String,
    payload: Vec<u8>,
    /// Deliveries so far.
    attempt: u32,
}

#[derive(Debug)]
struct Lease {
    job: Job,
    /// Where this lease sits in `State::lease_deadlines`.
    key: TimerKey,
}

/// A deadline plus a sequence number, so two timers due at the same instant
/// still get distinct keys.
type TimerKey = (Instant, u64);

#[derive(Debug, Default)]
struct State {
    ready: VecDeque<Job>,
    leased: HashMap<String, Lease>,
    /// Lease deadlines in order, pointing into `leased`, so reaping touches
    /// only expired leases instead of scanning every job in flight.
    lease_deadlines: BTreeMap<TimerKey, String>,
    /// Nacked jobs by due time.
    delayed: BTreeMap<TimerKey, Job>,
    next_seq: u64,
    retried: u64,
    dead: Vec<Job>,
    /// Set by any change a waiting consumer must react to: a job became
    /// ready, or the earliest timer moved closer than the one it sleeps on.
    wake_waiters: bool,
}

impl State {
    fn earliest_timer(&self) -> Option<Instant> {
        let lease = self.lease_deadlines.first_key_value().map(|(key, _)| key.0);
        let delayed = self.delayed.first_key_value().map(|(key, _)| key.0);
        match (lease, delayed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A fresh key for a timer at `at`; wakes waiters when it becomes the
    /// earliest, because they sleep until the earliest timer they saw.
    fn timer_key(&mut self, at: Instant) -> TimerKey {
        if self.earliest_timer().is_none_or(|earliest| at < earliest) {
            self.wake_waiters = true;
        }
        self.next_seq += 1;
        (at, self.next_seq)
    }

    fn push_ready(&mut self, job: Job) {
        self.ready.push_back(job);
        self.wake_waiters = true;
    }

    /// Schedules a job whose delivery did not complete: redelivered after
    /// `delay`, or dead when it has used up its attempts.
    fn reschedule(&mut self, job: Job, delay: Duration, now: Instant, max_attempts: u32) {
        if job.attempt >= max_attempts {
            self.dead.push(job);
            return;
        }
        self.retried += 1;
        if delay.is_zero() {
            self.push_ready(job);
        } else {
            let key = self.timer_key(later(now, delay));
            self.delayed.insert(key, job);
        }
    }

    /// Returns expired leases and due delayed jobs to the ready list.
    fn reap(&mut self, now: Instant, max_attempts: u32) {
        while let Some(entry) = self.lease_deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let id = entry.remove();
            if let Some(lease) = self.leased.remove(&id) {
                self.reschedule(lease.job, Duration::ZERO, now, max_attempts);
            }
        }
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let job = entry.remove();
            self.push_ready(job);
        }
    }

    /// Leases the next ready job.
    fn take(&mut self, queue: &str, lease: Duration, now: Instant) -> Option<Delivery> {
        let mut job = self.ready.pop_front()?;
        job.attempt += 1;
        let delivery = Delivery {
            queue: queue.to_owned(),
            job_id: job.id.clone(),
            payload: job.payload.clone(),
            attempt: job.attempt,
        };
        let key = self.timer_key(later(now, lease));
        self.lease_deadlines.insert(key, job.id.clone());
        self.leased.insert(job.id.clone(), Lease { job, key });
        Some(delivery)
    }

    /// Removes the lease `delivery` holds, if it is still the current one.
    fn release(&mut self, delivery: &Delivery) -> Option<Job> {
        let current = self.leased.get(&delivery.job_id).is_some_and(|lease| lease.job.attempt == delivery.attempt);
        if !current {
            return None;
        }
        let lease = self.leased.remove(&delivery.job_id)?;
        self.lease_deadlines.remove(&lease.key);
        Some(lease.job)
    }

    fn stats(&self, queue: &str) -> QueueStats {
        QueueStats {
            queue: queue.to_owned(),
            depth: count(self.ready.len() + self.delayed.len()),
            in_flight: count(self.leased.len()),
            retried: self.retried,
            dead: count(self.dead.len()),
        }
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn publish(&self, queue: &str, payload: &[u8]) -> QueueResult<String> {
        let id = new_job_id();
        let job = Job { id: id.clone(), payload: payload.to_vec(), attempt: 0 };
        self.slot(queue).with_state(|state| state.push_ready(job));
        Ok(id)
    }

    async fn consume(&self, queue: &str, lease: Duration, wait: Duration) -> QueueResult<Option<Delivery>> {
        let slot = self.slot(queue);
        let give_up = later(Instant::now(), wait);
        loop {
            // Registered before looking at the state, so a publish between
            // the look and the sleep still wakes this consumer.
            let mut notified = pin!(slot.notify.notified());
            notified.as_mut().enable();

            let (delivery, next_timer) = slot.with_state(|state| {
                let now = Instant::now();
                state.reap(now, self.max_attempts);
                let delivery = state.take(queue, lease, now);
                (delivery, state.earliest_timer())
            });
            if delivery.is_some() {
                return Ok(delivery);
            }
            if Instant::now() >= give_up {
                return Ok(None);
            }
            // A lease expiring or a delay ending makes a job ready without
            // anyone notifying, so sleep no longer than the earliest timer.
            let wake_at = next_timer.map_or(give_up, |at| at.min(give_up));
            // Elapsing is not an error here: the loop re-checks the state.
            let _ = tokio::time::timeout_at(wake_at, notified).await;
        }
    }

    async fn ack(&self, delivery: &Delivery) -> QueueResult<bool> {
        let Some(slot) = self.existing_slot(&delivery.queue) else {
            return Ok(false);
        };
        Ok(slot.with_state(|state| state.release(delivery).is_some()))
    }

    async fn nack(&self, delivery: &Delivery, delay: Duration) -> QueueResult<()> {
        let Some(slot) = self.existing_slot(&delivery.queue) else {
            return Ok(());
        };
        slot.with_state(|state| {
            if let Some(job) = state.release(delivery) {
                state.reschedule(job, delay, Instant::now(), self.max_attempts);
            }
        });
        Ok(())
    }

    async fn stats(&self, queue: &str) -> QueueResult<QueueStats> {
        let Some(slot) = self.existing_slot(queue) else {
            return Ok(QueueStats { queue: queue.to_owned(), ..QueueStats::default() });
        };
        Ok(slot.with_state(|state| {
            state.reap(Instant::now(), self.max_attempts);
            state.stats(queue)
        }))
    }

    async fn ping(&self) -> QueueResult<()> {
        Ok(())
    }
}

/// Locks a mutex, ignoring poisoning: the critical sections in this module
/// do not panic (instants are added with [`later`], allocation failure
/// aborts), so even a poisoned lock guards consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `now + by`, capped at thirty years ahead so a caller asking for an absurd
/// lease or wait (`Duration::MAX`) cannot overflow `Instant` and panic. An
/// instant thirty years out always fits, so the fallback is never taken.
fn later(now: Instant, by: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    now.checked_add(by.min(FAR)).unwrap_or(now)
}

fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}
