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
//! always did. The cache holds at most [`ReadCache::CAPACITY`] entries per
//! collection, and a full collection starts over, which costs a few reads
//! and never a wrong answer.

use std::{
    any::Any,
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

type Entry = (Instant, Arc<dyn Any + Send + Sync>);

/// A reader-writer lock, and entries by collection then key, so that a hit
/// (three per request: the API key, the site, its domains) takes a shared
/// lock and allocates nothing. Under one mutex, the API threads queued
/// for each other's lookups and slept in the kernel.
#[derive(Default)]
pub struct ReadCache {
    collections: RwLock<HashMap<&'static str, Collection>>,
}

#[derive(Default)]
struct Collection {
    entries: HashMap<String, Entry>,
    /// When [`ReadCache::forget`] last ran for the collection.
    forgotten_at: Option<Instant>,
}

impl ReadCache {
    /// How long another replica's write may go unseen here.
    pub const TTL: Duration = Duration::from_millis(500);
    /// Entries per collection.
    pub const CAPACITY: usize = 10_000;

    /// The cached value of `collection`/`key`, if it is fresh.
    pub fn get<T: Any + Send + Sync>(&self, collection: &'static str, key: &str) -> Option<Arc<T>> {
        let collections = self.collections.read().unwrap_or_else(PoisonError::into_inner);
        let (stored_at, value) = collections.get(collection)?.entries.get(key)?;
        if stored_at.elapsed() >= Self::TTL {
            return None;
        }
        Arc::clone(value).downcast::<T>().ok()
    }

    /// Remembers a value read at `read_at`: a value read before the last
    /// [`ReadCache::forget`] of its collection is not kept, so a read that
    /// raced a write cannot put the old state back.
    pub fn put<T: Any + Send + Sync>(&self, collection: &'static str, key: &str, value: Arc<T>, read_at: Instant) {
        let mut collections = self.collections.write().unwrap_or_else(PoisonError::into_inner);
        let cached = collections.entry(collection).or_default();
        if cached.forgotten_at.is_some_and(|forgotten_at| forgotten_at >= read_at) {
            return;
        }
        if cached.entries.len() >= Self::CAPACITY {
            cached.entries.clear();
        }
        cached.entries.insert(key.to_owned(), (read_at, value));
    }

    /// Forgets every entry of `collection`. Writes to cached collections are
    /// rare (a revoke, a site setting), so forgetting them all is cheaper
    /// than tracking which lookup keys name which document.
    pub fn forget(&self, collection: &'static str) {
        let mut collections = self.collections.write().unwrap_or_else(PoisonError::into_inner);
        let cached = collections.entry(collection).or_default();
        cached.entries.clear();
        cached.forgotten_at = Some(Instant::now());
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
    fn a_full_collection_starts_over_but_remembers_forgets() {
        let cache = ReadCache::default();
        let before_forget = Instant::now();
        cache.forget("api_keys");
        cache.put("sites", "site_1", Arc::new(1_usize), Instant::now());
        for i in 0..ReadCache::CAPACITY + 1 {
            cache.put("api_keys", &i.to_string(), Arc::new(i), Instant::now());
        }
        {
            let collections = cache.collections.read().expect("not poisoned");
            assert_eq!(collections["api_keys"].entries.len(), 1);
        }
        assert_eq!(
            cache.get::<usize>("api_keys", &ReadCache::CAPACITY.to_string()).as_deref(),
            Some(&ReadCache::CAPACITY)
        );
        assert_eq!(cache.get::<usize>("sites", "site_1").as_deref(), Some(&1), "another collection is kept");
        cache.put("api_keys", "stale", Arc::new(0_usize), before_forget);
        assert_eq!(cache.get::<usize>("api_keys", "stale"), None, "the forget is remembered");
    }
}
