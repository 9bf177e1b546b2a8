//! Work a request starts itself instead of queueing it: a payment's
//! charge after its pay request, an IPN's first attempt after the events
//! were recorded. The queue stays the way back: what finds no slot here is
//! queued as before, and what a crash interrupts is handed on by the
//! scheduler when its lease or its idle time runs out.

use std::sync::Arc;

/// Slots for work started without the queue, waited for at shutdown.
/// Closed (everything goes through the queue) until [`InlineWork::open`]:
/// only a core whose workers run does queued work itself.
#[derive(Debug)]
pub struct InlineWork {
    slots: Arc<tokio::sync::Semaphore>,
    capacity: usize,
}

impl InlineWork {
    pub fn new(capacity: usize) -> Self {
        Self { slots: Arc::new(tokio::sync::Semaphore::new(0)), capacity }
    }

    pub fn open(&self) {
        self.slots.add_permits(self.capacity);
    }

    /// A slot, if one is free; the work holds it until it ends.
    pub(crate) fn try_start(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Waits until nothing started here is running, or `limit` has passed,
    /// and starts nothing more (all work goes through the queue from then
    /// on).
    pub async fn finish(&self, limit: std::time::Duration) -> bool {
        let all = u32::try_from(self.capacity).unwrap_or(u32::MAX);
        match tokio::time::timeout(limit, self.slots.acquire_many(all)).await {
            Ok(Ok(permits)) => {
                permits.forget();
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_open_only_when_asked_and_finish_closes_them() {
        let work = InlineWork::new(2);
        assert!(work.try_start().is_none(), "closed until opened");
        work.open();
        let first = work.try_start().expect("a slot");
        let _second = work.try_start().expect("a second slot");
        assert!(work.try_start().is_none(), "no more than the capacity");
        drop(first);
        assert!(work.try_start().is_some(), "a finished slot is free again");
        assert!(!work.finish(std::time::Duration::from_millis(20)).await, "one slot is still held");
        drop(_second);
        assert!(work.finish(std::time::Duration::from_millis(20)).await);
        assert!(work.try_start().is_none(), "closed after finish");
    }
}
