//! Embedded backend: one SQLite file in WAL mode.
//!
//! Each collection is a table `(id, version, created_at, body)` where `body`
//! is the JSON text of the whole document; unique and indexed fields are
//! copied into columns of their own, which carry the indexes (see
//! `documents.rs` for why).
//!
//! No SQLite call runs on a tokio thread, and none goes through
//! `spawn_blocking` either: at thousands of calls a second, handing each one
//! to the blocking pool cost more than SQLite itself. Instead the store owns
//! a few OS threads, each with its own connection, fed through queues:
//!
//! - One writer thread owns the only write connection (SQLite allows one
//!   writer at a time anyway). It commits in groups: it takes every write
//!   queued when it wakes, up to [`MAX_BATCH`], and runs them in one
//!   transaction, each inside its own savepoint so that a write that fails
//!   (duplicate key, version conflict, missing document) is undone alone and
//!   gets its own error while the others commit. Nobody hears back before
//!   the COMMIT: a write is never acknowledged before it is as durable as
//!   `synchronous` makes it. One commit then pays the WAL append, the lock
//!   round trips and the thread wake-ups for the whole group. While writes
//!   come in faster than one per commit, the writer waits up to half a
//!   millisecond for a few more to join a group it would otherwise commit
//!   nearly alone (see [`writer::gather_after`]). Its connection writes the
//!   WAL through a VFS that hands each commit's frames to the kernel in one
//!   write rather than two per page (see `gathered.rs`), and its page
//!   cache keeps the scratch page number SQLite swaps split pages through
//!   out of the cache, whose end-of-commit cleanup otherwise walks every
//!   cached page (see `page_cache.rs`).
//! - [`READERS`] reader threads, each with a read-only connection, share one
//!   queue; WAL lets them read alongside the writer.
//! - A checkpointer thread, with a connection of its own, copies the WAL
//!   back into the database file every [`CHECKPOINT_INTERVAL`] while there
//!   are writes. Autocheckpoint is off: it runs inside the commit that
//!   crosses its threshold, and checkpoints run by the writer took 15-25%
//!   of its time under load, while every write waited. A passive checkpoint
//!   runs alongside the writer instead; the writer only steps in, between
//!   two groups, to restart a WAL grown past [`WAL_RESTART_BYTES`] (see
//!   [`Writer::restart_wal`]), once the checkpointer has caught up with it
//!   so that the restart, which every write waits for, has little to copy
//!   and little to sync.
//!
//! Both queues have two lanes: work run through [`background`] (payment
//! workers, IPN dispatchers, the scheduler) waits behind what API requests
//! asked for, so a busy background never makes a request wait for a whole
//! backlog. Each lane holds at most [`LANE_CAPACITY`] requests: past that
//! a request is refused at once with [`StoreError::Overloaded`] (the API
//! answers 503 with `Retry-After`) rather than queued behind a backlog it
//! could only time out in, with memory growing all the while.

mod checkpointer;
mod documents;
mod gathered;
mod lanes;
mod page_cache;
#[cfg(test)]
mod tests;
mod writer;

use crate::store::common::Registry;
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::collections::HashMap;
use std::fs::File;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc::{self};
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use checkpointer::*;
use documents::translate;
use lanes::*;
use writer::*;

pub use lanes::{background, is_background};

/// Requests one lane of a queue holds. A request behind this many waits
/// longer than any client should (the writer commits a few tens of
/// thousands of writes a second at best), so refusing it is kinder.
const LANE_CAPACITY: usize = 4096;

/// Reader threads. Reads are short and the machine Paygate is sized for has
/// few cores: a few readers keep the cores busy without thrashing.
const READERS: usize = 3;

/// How long a connection waits for a lock held by another process (or a
/// checkpoint) before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough for every statement of every collection (the writer has a few
/// per collection, plus one UPDATE per set of columns a compare-and-swap
/// changes; the readers one per query shape), so that none is re-parsed.
const STATEMENT_CACHE: usize = 512;

/// The writer's reads of pages that are in the database file (not in the
/// WAL) come straight from the mapping, without a `pread` and a copy.
/// Mapped pages that were read count towards the process's resident
/// memory, so the mapping covers the hot first part of the file only: with
/// a larger one, a big database alone took the gateway past 300 MiB.
///
/// Readers map nothing. In WAL mode a reader that finds another
/// connection has committed since its last read drops its page cache and
/// unmaps the whole file (SQLite's `pagerBeginReadTransaction`), which
/// under load is before nearly every read: a `munmap`, a TLB shootdown
/// that interrupts the other core, then a page fault for each page read
/// again. A `pread` of the few pages a read needs costs less.
const MMAP_SIZE: i64 = 64 * 1024 * 1024;

/// Page cache per connection, in KiB (SQLite's default is 2 MiB). Small:
/// readers drop theirs at nearly every commit anyway, and every commit
/// walks the whole cache when it ends.
const CACHE_KIB: i64 = 8 * 1024;

/// Page size of a new database file: 2 KiB rather than SQLite's 4 KiB.
/// Every page a commit changes goes through the WAL whole, then back into
/// the file at the next checkpoint, and most of what a payment changes is
/// one entry of an index page (a status, a due time, a newest-first
/// position). Measured at 1,000 payments/s in alternating runs, against
/// 4 KiB: create-checkout's p99 13-14 ms instead of 17-18 ms, pay's 8-12
/// ms instead of 16-17 ms, 4 % more payments a second in a closed loop
/// and slightly fewer instructions per payment. 1 KiB pages gave the same
/// create tail but cost 7 % more instructions per payment (documents
/// spill into overflow pages, trees grow a level). A file keeps the page
/// size it was created with (see docs/performance.md).
pub(super) const NEW_FILE_PAGE_SIZE: i64 = 2048;

/// What the WAL file is truncated back to after it is restarted, so that a
/// burst does not leave a huge file behind.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The SQLite-backed [`Store`](crate::store::Store).
pub struct SqliteStore {
    writes: Arc<WriteQueue>,
    reads: Arc<Queue<ReadJob>>,
    /// Dropped to stop the checkpointer.
    stop_checkpoints: Option<mpsc::Sender<()>>,
    writer: Option<JoinHandle<()>>,
    /// The readers and the checkpointer.
    threads: Vec<JoinHandle<()>>,
    registry: Registry,
    /// Each migrated collection's write statements.
    statements: RwLock<HashMap<&'static str, Arc<documents::Statements>>>,
    /// The checkpointer's descriptor of the database file. The store holds
    /// it so that it is closed last, after every connection: closing any
    /// descriptor of a file drops every POSIX lock the process holds on it,
    /// SQLite's own included.
    _database: Arc<File>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and its parent
    /// directory, and starts the store's threads. This blocks on file I/O:
    /// call it at startup or from `spawn_blocking`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with_lane_capacity(path, LANE_CAPACITY)
    }

    fn open_with_lane_capacity(path: &Path, lane_capacity: usize) -> StoreResult<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", parent.display())))?;
        }
        // Before SQLite's first use in the process, which fixes its cache.
        page_cache::install();
        // The writer goes first: it switches the file to WAL, which the
        // readers then pick up from the file itself.
        let writer = open_writer(path)?;
        let page_size: i64 =
            writer.pragma_query_value(None, "page_size", |row| row.get(0)).map_err(|e| open_error(path, e))?;
        let readers = (0..READERS).map(|_| open_reader(path)).collect::<StoreResult<Vec<_>>>()?;
        let checkpointer = open_checkpointer(path)?;
        let database = Arc::new(open_for_sync(path)?);
        let (stop_checkpoints, stop) = mpsc::channel();
        // Threads join the store as they start, so that if one cannot be
        // started, dropping the store stops the ones already running.
        let mut store = Self {
            writes: Arc::new(Queue::new(lane_capacity)),
            reads: Arc::new(Queue::new(lane_capacity)),
            stop_checkpoints: Some(stop_checkpoints),
            writer: None,
            threads: Vec::with_capacity(READERS + 1),
            registry: Registry::default(),
            statements: RwLock::default(),
            _database: Arc::clone(&database),
        };
        let wal = Arc::new(WalState::default());
        let writes = Arc::clone(&store.writes);
        let writer_wal = Arc::clone(&wal);
        store.writer =
            Some(spawn("sqlite-writer".into(), move || Writer { conn: writer, writes, wal: writer_wal }.run())?);
        let mut database = DatabaseSync::new(database);
        store.threads.push(spawn("sqlite-checkpoint".into(), move || {
            checkpoint_loop(&checkpointer, &mut database, &wal, wal_restart_frames(page_size), &stop)
        })?);
        for (n, reader) in readers.into_iter().enumerate() {
            let reads = Arc::clone(&store.reads);
            store.threads.push(spawn(format!("sqlite-reader-{n}"), move || read_loop(reader, &reads))?);
        }
        Ok(store)
    }

    /// Queues `f` for the writer thread and waits until its transaction has
    /// committed (or failed).
    async fn write<T, F>(&self, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Attempt<T> + Send + 'static,
    {
        self.queue_write(collection, f, true).await
    }

    /// Like [`Self::write`] for a write whose statements each stand alone:
    /// when one fails, SQLite undoes that statement by itself and `f`
    /// answers with what the ones before it did, which stands. Such a write
    /// needs no savepoint of its own, and a savepoint is not free: every
    /// page it touches is first copied to the sub-journal (about a tenth of
    /// the writer's time).
    async fn write_statements<T, F>(&self, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Attempt<T> + Send + 'static,
    {
        self.queue_write(collection, f, false).await
    }

    async fn queue_write<T, F>(&self, collection: &str, f: F, savepoint: bool) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Attempt<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let lane = Priority::current();
        let write = Write { job: Some(f), savepoint, outcome: None, reply, queued_at: Instant::now(), lane };
        self.writes.push(Box::new(write), lane)?;
        settle(collection, answer).await
    }

    /// Queues `f` for a reader thread and waits for its result.
    async fn read<T, F>(&self, collection: &str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Attempt<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.reads.push(job, Priority::current())?;
        settle(collection, answer).await
    }
}

impl Drop for SqliteStore {
    /// Closes the queues and waits for the threads: they finish what is
    /// already queued (a write whose caller stopped waiting still lands, as
    /// it always did) and close their connections. The writer goes last:
    /// alone on the file, it checkpoints the whole WAL into the database
    /// file and removes it (connections closing at the same time would each
    /// leave that to the other). No request can be in flight from a live
    /// caller, since every call borrows the store, and no queued job holds
    /// the store, so the joins cannot wait on themselves.
    fn drop(&mut self) {
        self.reads.close();
        self.stop_checkpoints = None;
        for thread in self.threads.drain(..) {
            join(thread);
        }
        self.writes.close();
        if let Some(writer) = self.writer.take() {
            join(writer);
        }
    }
}

fn join(thread: JoinHandle<()>) {
    if thread.join().is_err() {
        tracing::error!("an SQLite store thread panicked");
    }
}

fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> StoreResult<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name)
        .spawn(body)
        .map_err(|e| StoreError::Backend(format!("cannot start an SQLite thread: {e}")))
}

/// The caller's side of a request: its answer, with SQLite errors mapped to
/// store errors.
async fn settle<T>(collection: &str, answer: oneshot::Receiver<Attempt<T>>) -> StoreResult<T> {
    let outcome = answer.await.map_err(|_| {
        StoreError::Backend("the SQLite request was dropped: the store is shutting down or the request panicked".into())
    })?;
    outcome.map_err(|failure| match failure {
        Failure::Store(err) => err,
        Failure::Sqlite(err) => translate(collection, err),
    })
}

fn read_loop(mut conn: Connection, reads: &Queue<ReadJob>) {
    let mut jobs = Vec::with_capacity(1);
    while reads.take(1, None, &mut jobs) == Take::Taken {
        for job in jobs.drain(..) {
            // A job that panics drops its reply channel, which its caller
            // reports as a `Backend` error. The connection is still sound
            // (a transaction open in the job rolled back when dropped during
            // the unwind) and serves the next read.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn)));
        }
    }
}

fn open_error(path: &Path, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("cannot open SQLite database {}: {detail}", path.display()))
}

fn open_writer(path: &Path) -> StoreResult<Connection> {
    let (conn, mode) = configure_writer(path).map_err(|e| open_error(path, e))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(conn)
    } else {
        Err(open_error(path, format!("journal_mode is {mode}, WAL is required")))
    }
}

/// Settings both kinds of connection share; `mmap_size` in bytes.
fn open_connection(path: &Path, mmap_size: i64) -> rusqlite::Result<Connection> {
    configure_connection(Connection::open(path)?, mmap_size)
}

fn configure_connection(conn: Connection, mmap_size: i64) -> rusqlite::Result<Connection> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "mmap_size", mmap_size)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(conn)
}

/// Opens the writer and returns it with the journal mode SQLite accepted.
fn configure_writer(path: &Path) -> rusqlite::Result<(Connection, String)> {
    // The writer appends the WAL; the gathered VFS writes each commit's
    // frames in one system call.
    let conn = match gathered::register() {
        Ok(()) => configure_connection(
            Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), gathered::NAME)?,
            MMAP_SIZE,
        )?,
        Err(reason) => {
            tracing::warn!(%reason, "SQLite writes each WAL frame on its own");
            open_connection(path, MMAP_SIZE)?
        }
    };
    // Takes effect only on a file that has no pages yet; one that has
    // keeps the size it was created with.
    conn.pragma_update(None, "page_size", NEW_FILE_PAGE_SIZE)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    // In WAL mode NORMAL only risks the last transactions on power loss,
    // never corruption, and saves an fsync per commit.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The checkpointer thread checkpoints instead (see the module doc).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
    Ok((conn, mode))
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    configure_reader(path).map_err(|e| open_error(path, e))
}

fn configure_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open_connection(path, 0)?;
    // A guard against a write slipping onto a reader by mistake.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}
