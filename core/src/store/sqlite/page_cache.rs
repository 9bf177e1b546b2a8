//! SQLite's own page cache, with the one scratch page number it uses kept
//! out of it.
//!
//! When a B-tree page splits, SQLite sorts the new pages into ascending
//! order by swapping their page numbers, and it parks one page on a scratch
//! number while it swaps: the page that holds the file's lock bytes, which
//! no real page ever uses (page 524,289 with 2 KiB pages). SQLite's default
//! page cache remembers the highest number it has seen, and at the end of
//! every write transaction it drops the pages past the end of the database.
//! While that highest number is the scratch page, far past the end, it does
//! so by walking its whole hash table and every page in it, not the few
//! numbers past the end: measured under the payments load, the writer's
//! cache held about 2,000 pages in 2,048 buckets and the walk was about
//! 20 µs of every commit, 5 % of the writer's time, on nearly every commit
//! (a split that swaps is that common).
//!
//! This cache forwards every call to the default one and changes only the
//! scratch number: the default cache sees the lowest number above every
//! page it holds instead, so its highest number stays next to the end of
//! the database and the end-of-transaction drop looks at a few buckets. To
//! SQLite nothing changes: it still asks for, and moves pages from and to,
//! the scratch number, and a page's number lives in SQLite's own header,
//! not in the cache.
//!
//! The cache is process-wide and SQLite takes it only before it is first
//! initialized: [`install`] runs before the store opens its first
//! connection. If SQLite was already in use, the default cache stays.
#![allow(unsafe_code)]

use rusqlite::ffi;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::OnceLock;
#[cfg(test)]
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The byte offset of the file's lock bytes (SQLite's `PENDING_BYTE`): the
/// page that holds it is the scratch number.
const LOCK_BYTE_OFFSET: u32 = 0x4000_0000;

/// Installs the cache (once per process) and says whether SQLite uses it.
pub(super) fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| match install_once() {
        Ok(()) => true,
        Err(reason) => {
            tracing::warn!(%reason, "SQLite keeps its default page cache");
            false
        }
    })
}

/// The default cache's methods, which every call is forwarded to.
struct DefaultCache(ffi::sqlite3_pcache_methods2);

// SAFETY: the methods are plain function pointers and an argument SQLite's
// default cache ignores; SQLite itself calls them from any thread.
unsafe impl Send for DefaultCache {}
unsafe impl Sync for DefaultCache {}

static DEFAULT: OnceLock<DefaultCache> = OnceLock::new();

fn default_methods() -> &'static ffi::sqlite3_pcache_methods2 {
    &DEFAULT.get().expect("the page cache is installed before use").0
}

/// How many times a page was parked on the scratch number, in this process.
#[cfg(test)]
static SCRATCH_PARKINGS: AtomicU64 = AtomicU64::new(0);
/// The highest number the inner caches were handed, in this process.
#[cfg(test)]
static HIGHEST_INNER_KEY: AtomicU32 = AtomicU32::new(0);

fn install_once() -> Result<(), String> {
    // SAFETY: `sqlite3_config` is called before SQLite is initialized (it
    // refuses otherwise), once per process. SQLite copies the methods.
    unsafe {
        let mut default = std::mem::zeroed::<ffi::sqlite3_pcache_methods2>();
        let rc = ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, &mut default as *mut ffi::sqlite3_pcache_methods2);
        if rc != ffi::SQLITE_OK {
            return Err(format!("SQLite was already in use (code {rc})"));
        }
        if default.xCreate.is_none() || default.xFetch.is_none() || default.xRekey.is_none() {
            return Err("SQLite has no default page cache".into());
        }
        DEFAULT.set(DefaultCache(default)).map_err(|_| "the page cache was installed twice".to_owned())?;
        let methods = ffi::sqlite3_pcache_methods2 {
            iVersion: 1,
            pArg: std::ptr::null_mut(),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            xCreate: Some(create),
            xCachesize: Some(cache_size),
            xPagecount: Some(page_count),
            xFetch: Some(fetch),
            xUnpin: Some(unpin),
            xRekey: Some(rekey),
            xTruncate: Some(truncate),
            xDestroy: Some(destroy),
            xShrink: Some(shrink),
        };
        let rc = ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &methods as *const ffi::sqlite3_pcache_methods2);
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(format!("SQLite refused the page cache (code {rc})")) }
    }
}

/// One connection's cache: the default cache's, and what this one needs to
/// keep the scratch number out of it. SQLite calls a cache from one thread
/// at a time.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    /// The number SQLite parks a page on while it swaps two.
    scratch: c_uint,
    /// No page in the inner cache has a higher number.
    highest: c_uint,
    /// The page on the scratch number, while there is one.
    parked: Option<Parked>,
}

/// A page SQLite has on the scratch number, and its number in the inner
/// cache.
#[derive(Clone, Copy)]
struct Parked {
    key: c_uint,
    page: *mut ffi::sqlite3_pcache_page,
}

impl Cache {
    /// # Safety
    /// `cache` must come from [`create`] and not be destroyed.
    unsafe fn of<'a>(cache: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
        unsafe { &mut *cache.cast::<Cache>() }
    }

    /// The inner cache's number for SQLite's `key`. SQLite only parks a
    /// page for the three moves of a swap, but whatever order the calls
    /// come in, a number SQLite names for a real page is made free first,
    /// so the parked page can never stand in for it.
    ///
    /// # Safety
    /// `self.inner` must be live.
    unsafe fn inner_key(&mut self, key: c_uint) -> c_uint {
        if key == self.scratch {
            return self.parked.map_or_else(|| self.free_key(), |parked| parked.key);
        }
        if let Some(parked) = self.parked.as_mut().filter(|parked| parked.key == key) {
            let elsewhere = self.highest.max(key).saturating_add(1);
            // SAFETY: the parked page is the inner cache's own.
            unsafe { (default_methods().xRekey.unwrap_unchecked())(self.inner, parked.page, parked.key, elsewhere) };
            parked.key = elsewhere;
            self.highest = elsewhere;
        }
        key
    }

    /// A number no page in the inner cache has.
    fn free_key(&self) -> c_uint {
        self.highest.saturating_add(1)
    }
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    let default = default_methods();
    // SAFETY: forwarded as SQLite called it.
    unsafe { default.xInit.map_or(ffi::SQLITE_OK, |f| f(default.pArg)) }
}

unsafe extern "C" fn shutdown(_: *mut c_void) {
    let default = default_methods();
    if let Some(f) = default.xShutdown {
        // SAFETY: forwarded as SQLite called it.
        unsafe { f(default.pArg) }
    }
}

unsafe extern "C" fn create(page_size: c_int, extra: c_int, purgeable: c_int) -> *mut ffi::sqlite3_pcache {
    let Some(create_inner) = default_methods().xCreate else { return std::ptr::null_mut() };
    // SAFETY: forwarded as SQLite called it.
    let inner = unsafe { create_inner(page_size, extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    let scratch = u32::try_from(page_size).ok().filter(|&size| size > 0).map_or(0, |size| LOCK_BYTE_OFFSET / size + 1);
    Box::into_raw(Box::new(Cache { inner, scratch, highest: 0, parked: None })).cast()
}

unsafe extern "C" fn cache_size(cache: *mut ffi::sqlite3_pcache, pages: c_int) {
    if let Some(f) = default_methods().xCachesize {
        // SAFETY: `cache` is one of ours (SQLite only passes those back).
        unsafe { f(Cache::of(cache).inner, pages) }
    }
}

unsafe extern "C" fn page_count(cache: *mut ffi::sqlite3_pcache) -> c_int {
    // SAFETY: as in `cache_size`.
    default_methods().xPagecount.map_or(0, |f| unsafe { f(Cache::of(cache).inner) })
}

unsafe extern "C" fn fetch(
    cache: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    // SAFETY: as in `cache_size`; `xFetch` was checked at install.
    unsafe {
        let cache = Cache::of(cache);
        let key = cache.inner_key(key);
        let page = (default_methods().xFetch.unwrap_unchecked())(cache.inner, key, create);
        if !page.is_null() {
            cache.highest = cache.highest.max(key);
            #[cfg(test)]
            HIGHEST_INNER_KEY.fetch_max(key, Ordering::Relaxed);
        }
        page
    }
}

unsafe extern "C" fn unpin(cache: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, discard: c_int) {
    // SAFETY: as in `cache_size`; the page is the inner cache's own.
    unsafe {
        let cache = Cache::of(cache);
        if discard != 0 && cache.parked.is_some_and(|parked| parked.page == page) {
            cache.parked = None;
        }
        if let Some(f) = default_methods().xUnpin {
            f(cache.inner, page, discard);
        }
    }
}

unsafe extern "C" fn rekey(
    cache: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old_key: c_uint,
    new_key: c_uint,
) {
    // SAFETY: as in `cache_size`; `xRekey` was checked at install.
    unsafe {
        let cache = Cache::of(cache);
        let old_key = cache.inner_key(old_key);
        if cache.parked.is_some_and(|parked| parked.page == page) {
            cache.parked = None;
            // It was parked above every other page: once it leaves, the
            // number below it bounds them again.
            if cache.highest == old_key {
                cache.highest = old_key - 1;
            }
        }
        let new_key = if new_key == cache.scratch {
            #[cfg(test)]
            SCRATCH_PARKINGS.fetch_add(1, Ordering::Relaxed);
            let key = cache.free_key();
            cache.parked = Some(Parked { key, page });
            key
        } else {
            cache.inner_key(new_key)
        };
        (default_methods().xRekey.unwrap_unchecked())(cache.inner, page, old_key, new_key);
        cache.highest = cache.highest.max(new_key);
        #[cfg(test)]
        HIGHEST_INNER_KEY.fetch_max(new_key, Ordering::Relaxed);
    }
}

unsafe extern "C" fn truncate(cache: *mut ffi::sqlite3_pcache, limit: c_uint) {
    // SAFETY: as in `cache_size`.
    unsafe {
        let cache = Cache::of(cache);
        if let Some(f) = default_methods().xTruncate {
            f(cache.inner, limit);
        }
        // Every page numbered `limit` or more is gone.
        cache.highest = cache.highest.min(limit.saturating_sub(1));
        if cache.parked.is_some_and(|parked| parked.key >= limit) {
            cache.parked = None;
        }
    }
}

unsafe extern "C" fn destroy(cache: *mut ffi::sqlite3_pcache) {
    // SAFETY: as in `cache_size`; SQLite never uses the cache again.
    unsafe {
        let cache = Box::from_raw(cache.cast::<Cache>());
        if let Some(f) = default_methods().xDestroy {
            f(cache.inner);
        }
    }
}

unsafe extern "C" fn shrink(cache: *mut ffi::sqlite3_pcache) {
    if let Some(f) = default_methods().xShrink {
        // SAFETY: as in `cache_size`.
        unsafe { f(Cache::of(cache).inner) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn the_parked_page_never_stands_in_for_a_real_page_whatever_the_order_of_calls() {
        assert!(install(), "installed before SQLite's first use");
        // SAFETY: SQLite is initialized before the cache is created, and
        // every page used is one the cache handed out and has not dropped.
        unsafe {
            assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
            let cache = create(2048, 64, 1);
            assert!(!cache.is_null());
            let scratch = LOCK_BYTE_OFFSET / 2048 + 1;
            let first = fetch(cache, 1, 2);
            let second = fetch(cache, 2, 2);
            assert!(!first.is_null() && !second.is_null());

            // Parked: found on the scratch number, gone from its own.
            rekey(cache, first, 1, scratch);
            assert_eq!(fetch(cache, scratch, 0), first);
            assert!(fetch(cache, 1, 0).is_null());
            // A new page takes the number the parked page has inside: it
            // gets a page of its own, and the parked page stays parked.
            let third = fetch(cache, 3, 2);
            assert!(!third.is_null() && third != first);
            assert_eq!(fetch(cache, scratch, 0), first);
            assert_eq!(fetch(cache, 3, 0), third);
            // So does a page moved onto it.
            rekey(cache, third, 3, 4);
            let relocated = fetch(cache, scratch, 0);
            assert_eq!(relocated, first);
            rekey(cache, second, 2, 5);
            assert_eq!(fetch(cache, 5, 0), second);
            assert_eq!(fetch(cache, scratch, 0), first);
            // Moved off the scratch number, it is found on its new one.
            rekey(cache, first, scratch, 2);
            assert_eq!(fetch(cache, 2, 0), first);
            assert!(fetch(cache, scratch, 0).is_null());

            // A parked page SQLite discards leaves the scratch number empty.
            rekey(cache, second, 5, scratch);
            unpin(cache, second, 1);
            assert!(fetch(cache, scratch, 0).is_null());
            let sixth = fetch(cache, 6, 2);
            assert!(!sixth.is_null());
            assert!(fetch(cache, scratch, 0).is_null());

            // Truncating drops pages from the limit on, the parked one with them.
            rekey(cache, sixth, 6, scratch);
            truncate(cache, 5);
            assert!(fetch(cache, scratch, 0).is_null());
            assert_eq!(fetch(cache, 2, 0), first);
            assert_eq!(fetch(cache, 4, 0), third);
            destroy(cache);
        }
    }

    #[test]
    fn splits_swap_pages_through_the_scratch_number_without_the_inner_cache_seeing_it() {
        // First SQLite use of this test's process (each test runs in its own).
        assert!(install(), "installed before SQLite's first use");
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = Connection::open(dir.path().join("db.sqlite3")).expect("open");
        conn.execute_batch(
            "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA cache_size = -4096;
             CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT) WITHOUT ROWID;
             CREATE INDEX rows_body ON rows (body);",
        )
        .expect("schema");
        // Keys in random order split pages all over both B-trees.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut expected = Vec::new();
        for _ in 0..40 {
            let tx = conn.unchecked_transaction().expect("begin");
            for _ in 0..500 {
                let (id, body) = (format!("{:016x}", next()), format!("{:032x}", next()));
                tx.execute("INSERT INTO rows VALUES (?1, ?2)", [&id, &body]).expect("insert");
                expected.push((id, body));
            }
            tx.commit().expect("commit");
        }
        let check: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("check");
        assert_eq!(check, "ok");
        expected.sort();
        let mut stored = conn.prepare("SELECT id, body FROM rows ORDER BY id").expect("select");
        let stored: Vec<(String, String)> =
            stored.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("rows").map(Result::unwrap).collect();
        assert_eq!(stored, expected);

        let pages: u32 = conn.query_row("PRAGMA page_count", [], |row| row.get(0)).expect("page count");
        let scratch = LOCK_BYTE_OFFSET / 2048 + 1;
        assert!(SCRATCH_PARKINGS.load(Ordering::Relaxed) > 0, "no split swapped pages");
        let highest = HIGHEST_INNER_KEY.load(Ordering::Relaxed);
        assert!(highest < pages + 16, "the inner cache saw page {highest} of {pages} (scratch {scratch})");
    }
}
