//! A short-lived read cache for the few documents nearly every request
//! reads and almost nothing writes: API keys (by the hash of their secret),
//! sites and organizations.
//!
//! Two rules keep it correct:
//! - A write through this process forgets the collection's entries at once
//!   ([`Core`](super::Core)'s write methods call [`ReadCache::forget`]), so
//!   a revoke or a site change here applies to the very next request.
//! - An entry is trusted for [`ReadCache::TTL`] only, so a write made by
//!   another core replica (or straight to the store) applies everywhere
//!   within that time: a revoked key is refused within half a second on
//!   every replica.
//!
//! Only found documents are cached: an unknown key costs a store read, as it
//! always did. The cache holds at most [`ReadCache::CAPACITY`] entries and
//! starts over when full, which costs a few reads and never a wrong answer.

use std::{
    any::Any,
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

type Entry = (Instant, Arc<dyn Any + Send + Sync>);

#[derive(Default)]
pub struct ReadCache {
    entries: Mutex<HashMap<(&'static str, String), Entry>>,
}

impl ReadCache {
    /// How long another replica's write may go unseen here.
    pub const TTL: Duration = Duration::from_millis(500);
    pub const CAPACITY: usize = 10_000;

    /// The cached value of `collection`/`key`, if it is fresh.
    pub fn get<T: Any + Send + Sync>(&self, collection: &'static str, key: &str) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (stored_at, value) = entries.get(&(collection, key.to_owned()))?;
        if stored_at.elapsed() >= Self::TTL {
            return None;
        }
        Arc::clone(value).downcast::<T>().ok()
    }

    /// Remembers a value read at `read_at`: a value read before the last
    /// [`ReadCache::forget`] of its collection is not kept, so a read that
    /// raced a write cannot put the old state back.
    pub fn put<T: Any + Send + Sync>(&self, collection: &'static str, key: &str, value: Arc<T>, read_at: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((forgotten_at, _)) = entries.get(&(collection, String::new()))
            && *forgotten_at >= read_at
        {
            return;
        }
        if entries.len() >= Self::CAPACITY {
            entries.retain(|(_, key), _| key.is_empty());
        }
        entries.insert((collection, key.to_owned()), (read_at, value));
    }

    /// Forgets every entry of `collection`. Writes to cached collections are
    /// rare (a revoke, a site setting), so forgetting them all is cheaper
    /// than tracking which lookup keys name which document. The empty key
    /// holds the time of the last forget, for [`ReadCache::put`].
    pub fn forget(&self, collection: &'static str) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|(cached, _), _| *cached != collection);
        entries.insert((collection, String::new()), (Instant::now(), Arc::new(())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_entries_are_served_and_forget_drops_a_whole_collection() {
        let cache = ReadCache::default();
        cache.put("sites", "site_1", Arc::new(1_u32), Instant::now());
        cache.put("api_keys", "hash", Arc::new(2_u32), Instant::now());
        assert_eq!(cache.get::<u32>("sites", "site_1").as_deref(), Some(&1));
        assert_eq!(cache.get::<String>("sites", "site_1"), None, "another type is a miss");
        cache.forget("sites");
        assert_eq!(cache.get::<u32>("sites", "site_1"), None);
        assert_eq!(cache.get::<u32>("api_keys", "hash").as_deref(), Some(&2));
    }

    #[test]
    fn a_read_older_than_the_last_forget_is_not_kept() {
        let cache = ReadCache::default();
        let read_at = Instant::now();
        cache.forget("sites");
        cache.put("sites", "site_1", Arc::new(1_u32), read_at);
        assert_eq!(cache.get::<u32>("sites", "site_1"), None);
        cache.put("sites", "site_1", Arc::new(2_u32), Instant::now());
        assert_eq!(cache.get::<u32>("sites", "site_1").as_deref(), Some(&2));
    }

    #[test]
    fn entries_expire() {
        let cache = ReadCache::default();
        let long_ago = Instant::now().checked_sub(ReadCache::TTL).expect("the clock has run that long");
        cache.put("sites", "site_1", Arc::new(1_u32), long_ago);
        assert_eq!(cache.get::<u32>("sites", "site_1"), None);
    }

    #[test]
    fn a_full_cache_starts_over_but_remembers_forgets() {
        let cache = ReadCache::default();
        cache.forget("sites");
        for i in 0..ReadCache::CAPACITY + 1 {
            cache.put("api_keys", &i.to_string(), Arc::new(i), Instant::now());
        }
        let entries = cache.entries.lock().expect("not poisoned");
        assert!(entries.len() <= 3, "{} entries", entries.len());
        assert!(entries.contains_key(&("sites", String::new())));
    }
}
