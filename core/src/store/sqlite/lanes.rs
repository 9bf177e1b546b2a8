//! The queues from the async side to the store's threads: two lanes
//! (foreground requests first, then [`background`] work), each bounded.

use crate::store::{StoreError, StoreResult};
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `f` as background work: the store serves what `f` asks for after
/// any foreground (API) request queued at the same time.
///
/// The marker belongs to the task polling `f`; tasks that `f` spawns do not
/// inherit it, so wrap their futures too. The SQLite store acts on it; the
/// MongoDB store, which has its own connection pool, ignores it.
pub async fn background<F: Future>(f: F) -> F::Output {
    BACKGROUND.scope((), f).await
}

/// True inside [`background`].
pub fn is_background() -> bool {
    BACKGROUND.try_with(|()| ()).is_ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Priority {
    Foreground,
    Background,
}

impl Priority {
    pub(super) fn current() -> Self {
        if is_background() { Self::Background } else { Self::Foreground }
    }
}

/// A queue from the async side to the store's threads: a mutex-guarded pair
/// of lanes and a condition variable, so that one consumer can wait on both
/// lanes at once and always take the foreground lane first.
pub(super) struct Queue<T> {
    lanes: Mutex<Lanes<T>>,
    ready: Condvar,
    /// Most items each lane holds.
    capacity: usize,
}

pub(super) struct Lanes<T> {
    foreground: VecDeque<T>,
    background: VecDeque<T>,
    /// Consumers blocked on `ready`. A push signals only when there is one
    /// and the queue holds what it waits for: signalling is a system call,
    /// wasted while every consumer is busy or still gathering.
    sleeping: usize,
    /// How many queued items the sleeping consumer waits for: one, or a
    /// [`Gather`]'s `until` while it gathers.
    wanted: usize,
    /// When the oldest item still queued arrived (about: items left behind
    /// by a full take count from that take).
    since: Instant,
    closed: bool,
}

impl<T> Lanes<T> {
    fn len(&self) -> usize {
        self.foreground.len() + self.background.len()
    }

    fn is_empty(&self) -> bool {
        self.foreground.is_empty() && self.background.is_empty()
    }
}

/// How a consumer that finds only a few items queued may wait for more to
/// join them: until `until` are queued, or until the oldest has waited
/// `linger`, whichever comes first.
#[derive(Debug, Clone, Copy)]
pub(super) struct Gather {
    pub(super) until: usize,
    pub(super) linger: Duration,
}

/// What [`Queue::take`] did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Take {
    Taken,
    /// Closed and drained: the consumer should stop.
    Closed,
}

pub(super) fn shut_down() -> StoreError {
    StoreError::Backend("the SQLite store is shut down".into())
}

impl<T> Queue<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            lanes: Mutex::new(Lanes {
                foreground: VecDeque::new(),
                background: VecDeque::new(),
                sleeping: 0,
                wanted: 1,
                since: Instant::now(),
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    pub(super) fn push(&self, item: T, priority: Priority) -> StoreResult<()> {
        // Nothing that holds this lock can panic, so a poisoned lock means
        // something is badly wrong: refuse rather than queue into it.
        let mut lanes = self.lanes.lock().map_err(|_| StoreError::Backend("the SQLite queue is poisoned".into()))?;
        if lanes.closed {
            return Err(shut_down());
        }
        let lane = match priority {
            Priority::Foreground => &mut lanes.foreground,
            Priority::Background => &mut lanes.background,
        };
        if lane.len() >= self.capacity {
            return Err(StoreError::Overloaded);
        }
        lane.push_back(item);
        let queued = lanes.len();
        if queued == 1 {
            lanes.since = Instant::now();
        }
        let wake = lanes.sleeping > 0 && queued >= lanes.wanted;
        drop(lanes);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Waits until something is queued, then moves up to `max` items into
    /// `into`, foreground first. With `gather`, it first waits for more
    /// items to join the few queued, as [`Gather`] says. Once the queue is
    /// closed, still hands out what is left before answering `Closed`.
    pub(super) fn take(&self, max: usize, gather: Option<Gather>, into: &mut Vec<T>) -> Take {
        let mut lanes = match self.lanes.lock() {
            Ok(lanes) => lanes,
            Err(poisoned) => return Self::abandon(poisoned.into_inner()),
        };
        while lanes.is_empty() {
            if lanes.closed {
                return Take::Closed;
            }
            lanes.sleeping += 1;
            lanes = match self.ready.wait(lanes) {
                Ok(lanes) => lanes,
                Err(poisoned) => return Self::abandon(poisoned.into_inner()),
            };
            lanes.sleeping -= 1;
        }
        if let Some(gather) = gather {
            let deadline = lanes.since + gather.linger;
            while lanes.len() < gather.until.min(max) && !lanes.closed {
                let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()) else {
                    break;
                };
                lanes.sleeping += 1;
                lanes.wanted = gather.until;
                lanes = match self.ready.wait_timeout(lanes, left) {
                    Ok((lanes, _)) => lanes,
                    Err(poisoned) => return Self::abandon(poisoned.into_inner().0),
                };
                lanes.sleeping -= 1;
                lanes.wanted = 1;
            }
        }
        let foreground = max.min(lanes.foreground.len());
        into.extend(lanes.foreground.drain(..foreground));
        let background = (max - foreground).min(lanes.background.len());
        into.extend(lanes.background.drain(..background));
        if !lanes.is_empty() {
            lanes.since = Instant::now();
        }
        Take::Taken
    }

    /// A consumer found the lock poisoned. Nothing queued can be trusted to
    /// run, so the queue is closed and emptied: dropping the requests drops
    /// their reply channels, and their callers get a `Backend` error instead
    /// of waiting forever.
    fn abandon(mut lanes: MutexGuard<'_, Lanes<T>>) -> Take {
        lanes.closed = true;
        let dropped = (std::mem::take(&mut lanes.foreground), std::mem::take(&mut lanes.background));
        drop(lanes);
        drop(dropped);
        Take::Closed
    }

    /// Refuses new items and wakes every consumer, which drain what is left
    /// and stop.
    pub(super) fn close(&self) {
        // Closing is safe whatever state a panic left the lanes in.
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        self.ready.notify_all();
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> (usize, usize) {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        (lanes.foreground.len(), lanes.background.len())
    }
}
