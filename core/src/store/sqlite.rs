//! Embedded backend: one SQLite file in WAL mode.
//!
//! Each collection is a table `(id, version, created_at, body)` where `body`
//! is the JSON text of the whole document; unique and indexed fields get
//! expression indexes on `json_extract(body, '$.field')`.
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
//!   round trips and the thread wake-ups for the whole group.
//! - [`READERS`] reader threads, each with a read-only connection, share one
//!   queue; WAL lets them read alongside the writer.
//! - A checkpointer thread, with a connection of its own, copies the WAL
//!   back into the database file every [`CHECKPOINT_INTERVAL`] while there
//!   are writes. Autocheckpoint is off: it runs inside the commit that
//!   crosses its threshold, and checkpoints run by the writer took 15-25%
//!   of its time under load, while every write waited. A passive checkpoint
//!   runs alongside the writer instead; the writer only steps in, between
//!   two groups, to restart a WAL grown past [`WAL_RESTART_FRAMES`] (see
//!   [`Writer::restart_wal`]).
//!
//! Both queues have two lanes: work run through [`background`] (payment
//! workers, IPN dispatchers, the scheduler) waits behind what API requests
//! asked for, so a busy background never makes a request wait for a whole
//! backlog. Each lane holds at most [`LANE_CAPACITY`] requests: past that
//! a request is refused at once with [`StoreError::Overloaded`] (the API
//! answers 503 with `Retry-After`) rather than queued behind a backlog it
//! could only time out in, with memory growing all the while.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};
use serde_json::Value;
use tokio::sync::oneshot;

use super::common::{self, Registry, Scalar};
use super::{CollectionSpec, DUE_AT, Document, DueCursor, Filter, Page, PageResult, Store, StoreError, StoreResult};

/// Requests one lane of a queue holds. A request behind this many waits
/// longer than any client should (the writer commits a few tens of
/// thousands of writes a second at best), so refusing it is kinder.
const LANE_CAPACITY: usize = 4096;
/// Reader threads. Reads are short and the machine Paygate is sized for has
/// few cores: a few readers keep the cores busy without thrashing.
const READERS: usize = 3;
/// Most writes one transaction groups. Large enough that a queue built up
/// while the previous group committed goes in one go, small enough that
/// the first write of a group is not held back long by the others.
const MAX_BATCH: usize = 64;
/// How long a connection waits for a lock held by another process (or a
/// checkpoint) before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Enough for every statement of every collection (the writer has four per
/// collection, the readers one per query shape), so that none is re-parsed.
const STATEMENT_CACHE: usize = 256;
/// Reads of pages that are in the database file (not in the WAL) come
/// straight from the mapping, without a `pread` and a copy. This matters
/// because in WAL mode a reader drops its whole page cache whenever another
/// connection has committed, which under load is before nearly every read.
const MMAP_SIZE: i64 = 256 * 1024 * 1024;
/// Page cache per connection, in KiB (SQLite's default is 2 MiB).
const CACHE_KIB: i64 = 32 * 1024;
/// Time between two passive checkpoints while there are writes: often
/// enough that the writer's WAL restarts find little left to copy.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);
/// WAL length (in pages) past which the writer restarts the WAL: 32 MiB of
/// 4 KiB pages, about a fifth of a second of the payment benchmark.
const WAL_RESTART_FRAMES: i64 = 8 * 1024;
/// What the WAL file is truncated back to after it is restarted, so that a
/// burst does not leave a huge file behind.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

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
enum Priority {
    Foreground,
    Background,
}

impl Priority {
    fn current() -> Self {
        if is_background() { Self::Background } else { Self::Foreground }
    }
}

/// A queue from the async side to the store's threads: a mutex-guarded pair
/// of lanes and a condition variable, so that one consumer can wait on both
/// lanes at once and always take the foreground lane first.
struct Queue<T> {
    lanes: Mutex<Lanes<T>>,
    ready: Condvar,
    /// Most items each lane holds.
    capacity: usize,
}

struct Lanes<T> {
    foreground: VecDeque<T>,
    background: VecDeque<T>,
    /// Consumers blocked on `ready`. A push signals only when there is one:
    /// signalling is a system call, wasted while every consumer is busy.
    sleeping: usize,
    closed: bool,
}

impl<T> Lanes<T> {
    fn is_empty(&self) -> bool {
        self.foreground.is_empty() && self.background.is_empty()
    }
}

/// What [`Queue::take`] did.
#[derive(Debug, PartialEq, Eq)]
enum Take {
    Taken,
    /// Closed and drained: the consumer should stop.
    Closed,
}

fn shut_down() -> StoreError {
    StoreError::Backend("the SQLite store is shut down".into())
}

impl<T> Queue<T> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            lanes: Mutex::new(Lanes {
                foreground: VecDeque::new(),
                background: VecDeque::new(),
                sleeping: 0,
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn push(&self, item: T, priority: Priority) -> StoreResult<()> {
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
        let wake = lanes.sleeping > 0;
        drop(lanes);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Waits until something is queued, then moves up to `max` items into
    /// `into`, foreground first. Once the queue is closed, still hands out
    /// what is left before answering `Closed`.
    fn take(&self, max: usize, into: &mut Vec<T>) -> Take {
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
        let foreground = max.min(lanes.foreground.len());
        into.extend(lanes.foreground.drain(..foreground));
        let background = (max - foreground).min(lanes.background.len());
        into.extend(lanes.background.drain(..background));
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
    fn close(&self) {
        // Closing is safe whatever state a panic left the lanes in.
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        self.ready.notify_all();
    }

    #[cfg(test)]
    fn queued(&self) -> (usize, usize) {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        (lanes.foreground.len(), lanes.background.len())
    }
}

/// What a closure run against a connection can fail with; SQLite errors are
/// translated afterwards, knowing which collection they concern.
enum Failure {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Failure {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

type Attempt<T> = Result<T, Failure>;

/// A write waiting for the writer thread, whatever its result type.
trait WriteRequest: Send {
    /// Runs the write inside its savepoint; true when it succeeded, so that
    /// its changes are kept.
    fn execute(&mut self, conn: &Connection) -> bool;

    /// Answers the caller once the transaction has ended: with the write's
    /// own outcome when the transaction committed, with `failure` when it
    /// did not (then nothing of the transaction was kept, and an outcome
    /// computed against writes that were rolled back could be wrong).
    fn answer(self: Box<Self>, failure: Option<&str>);
}

struct Write<T, F> {
    job: Option<F>,
    outcome: Option<Attempt<T>>,
    reply: oneshot::Sender<Attempt<T>>,
}

impl<T, F> WriteRequest for Write<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Attempt<T> + Send,
{
    fn execute(&mut self, conn: &Connection) -> bool {
        let Some(job) = self.job.take() else { return false };
        let outcome = job(conn);
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn answer(self: Box<Self>, failure: Option<&str>) {
        let answer = match (failure, self.outcome) {
            (Some(failure), _) => Err(StoreError::Backend(failure.to_owned()).into()),
            (None, Some(outcome)) => outcome,
            // `execute` panicked: its changes were rolled back.
            (None, None) => Err(StoreError::Backend("the SQLite write panicked".into()).into()),
        };
        // A caller that went away (its future dropped) gets no answer, but
        // its write stands, as it would have if it had waited.
        let _ = self.reply.send(answer);
    }
}

type WriteQueue = Queue<Box<dyn WriteRequest>>;

/// A read waiting for a reader thread; it answers its caller itself.
type ReadJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// The SQLite-backed [`Store`].
pub struct SqliteStore {
    writes: Arc<WriteQueue>,
    reads: Arc<Queue<ReadJob>>,
    /// Dropped to stop the checkpointer.
    stop_checkpoints: Option<mpsc::Sender<()>>,
    writer: Option<JoinHandle<()>>,
    /// The readers and the checkpointer.
    threads: Vec<JoinHandle<()>>,
    registry: Registry,
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
        // The writer goes first: it switches the file to WAL, which the
        // readers then pick up from the file itself.
        let writer = open_writer(path)?;
        let readers = (0..READERS).map(|_| open_reader(path)).collect::<StoreResult<Vec<_>>>()?;
        let checkpointer = open_checkpointer(path)?;
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
        };
        let wal = Arc::new(WalState::default());
        let writes = Arc::clone(&store.writes);
        let writer_wal = Arc::clone(&wal);
        store.writer =
            Some(spawn("sqlite-writer".into(), move || Writer { conn: writer, writes, wal: writer_wal }.run())?);
        store.threads.push(spawn("sqlite-checkpoint".into(), move || checkpoint_loop(&checkpointer, &wal, &stop))?);
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
        let (reply, answer) = oneshot::channel();
        self.writes.push(Box::new(Write { job: Some(f), outcome: None, reply }), Priority::current())?;
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

    /// Page query on `collection`: the filter conditions, then the cursor
    /// position when there is one, newest first.
    fn select(collection: &str, filter: &[(&str, Scalar)], after_cursor: bool) -> (String, Vec<SqlValue>) {
        let mut sql = format!(r#"SELECT id, version, created_at, body FROM "{collection}" WHERE 1"#);
        let mut values = Vec::with_capacity(filter.len() + 3);
        for (field, scalar) in filter {
            // The `json_extract` term matches the expression indexes (so the
            // planner uses them); `json_type` makes equality type-strict,
            // since json_extract turns true/false into 1/0.
            let path = format!("'$.{field}'");
            let (types, value) = match scalar {
                Scalar::Str(s) => ("'text'", SqlValue::Text(s.clone())),
                Scalar::Int(i) => ("'integer', 'real'", SqlValue::Integer(*i)),
                Scalar::Bool(true) => ("'true'", SqlValue::Integer(1)),
                Scalar::Bool(false) => ("'false'", SqlValue::Integer(0)),
            };
            // Writing to a String cannot fail.
            let _ = write!(sql, " AND json_extract(body, {path}) = ? AND json_type(body, {path}) IN ({types})");
            values.push(value);
        }
        if after_cursor {
            sql.push_str(" AND (created_at, id) < (?, ?)");
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        (sql, values)
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
    while reads.take(1, &mut jobs) == Take::Taken {
        for job in jobs.drain(..) {
            // A job that panics drops its reply channel, which its caller
            // reports as a `Backend` error. The connection is still sound
            // (a transaction open in the job rolled back when dropped during
            // the unwind) and serves the next read.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn)));
        }
    }
}

/// What the writer and the checkpointer tell each other.
#[derive(Default)]
struct WalState {
    /// Groups committed so far: the checkpointer skips a turn when no new
    /// one came.
    commits: AtomicU64,
    /// Set by the checkpointer while the WAL is longer than
    /// [`WAL_RESTART_FRAMES`].
    restart: AtomicBool,
}

/// The writer thread: group commits.
struct Writer {
    conn: Connection,
    writes: Arc<WriteQueue>,
    wal: Arc<WalState>,
}

/// Why a transaction had to be abandoned.
type Broken = String;

impl Writer {
    fn run(self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while self.writes.take(MAX_BATCH, &mut batch) == Take::Taken {
            self.commit(&mut batch);
            self.wal.commits.fetch_add(1, Ordering::Relaxed);
            if self.wal.restart.load(Ordering::Relaxed) {
                self.restart_wal();
            }
        }
    }

    /// Runs the batch in as few transactions as possible (one, unless one of
    /// them breaks) and answers every request once its transaction ended.
    fn commit(&self, batch: &mut Vec<Box<dyn WriteRequest>>) {
        let mut pending = batch.drain(..);
        while pending.len() > 0 {
            if let Err(e) = self.begin() {
                let failure = format!("SQLite cannot start a write transaction: {e}");
                pending.for_each(|request| request.answer(Some(&failure)));
                return;
            }
            let mut done = Vec::with_capacity(pending.len());
            let mut broken = None;
            for mut request in pending.by_ref() {
                let step = self.execute(request.as_mut());
                done.push(request);
                if let Err(why) = step {
                    broken = Some(why);
                    break;
                }
            }
            let failure = broken.or_else(|| {
                self.statement("COMMIT").err().map(|e| format!("SQLite could not commit the write transaction: {e}"))
            });
            if failure.is_some() {
                self.rollback();
            }
            // Only now, after the COMMIT, does anyone hear back.
            done.into_iter().for_each(|request| request.answer(failure.as_deref()));
            // After a broken transaction the rest of the batch goes on in a
            // new one.
        }
    }

    fn begin(&self) -> rusqlite::Result<()> {
        // A transaction left open by a failure (say a ROLLBACK that failed
        // itself) would make every later BEGIN fail.
        self.rollback();
        // Immediate: the whole group sees one state, even if another process
        // shares the file.
        self.statement("BEGIN IMMEDIATE")
    }

    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.statement("ROLLBACK");
        }
    }

    /// Runs one request in its own savepoint, rolled back if it failed.
    /// Errs only when the transaction itself is lost.
    fn execute(&self, request: &mut dyn WriteRequest) -> Result<(), Broken> {
        let savepoint = |sql| self.statement(sql).map_err(|e| format!("SQLite savepoint failed ({sql}): {e}"));
        savepoint("SAVEPOINT request")?;
        // A panicking request counts as failed: its changes are rolled back
        // and it answers with a `Backend` error.
        let succeeded = panic::catch_unwind(AssertUnwindSafe(|| request.execute(&self.conn))).unwrap_or(false);
        if self.conn.is_autocommit() {
            // Some errors (disk full, I/O error) make SQLite roll back the
            // whole transaction, taking the writes before this one with it.
            return Err("SQLite aborted the write transaction: nothing of it was saved".into());
        }
        if !succeeded {
            savepoint("ROLLBACK TO request")?;
        }
        savepoint("RELEASE request")
    }

    fn statement(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// The WAL only starts over from its beginning when a write begins with
    /// every frame copied back and no reader still on it. With writes back
    /// to back and reads always in flight, the checkpointer's passive
    /// checkpoints never get there, and the WAL would grow without bound. A
    /// RESTART checkpoint gets there: it takes the write lock, copies what
    /// is left (little, the checkpointer copied the rest) and waits for the
    /// readers still on the WAL (reads are short). It runs here, between two
    /// groups, because from another connection it would have to win the
    /// write lock from this busy writer.
    fn restart_wal(&self) {
        match wal_checkpoint(&self.conn, "RESTART") {
            // Busy: the checkpointer is in the middle of a passive
            // checkpoint; try again after the next group.
            Ok((busy, _)) => self.wal.restart.store(busy, Ordering::Relaxed),
            Err(e) => {
                // The checkpointer asks again after its next checkpoint if
                // the WAL is still too long; retrying after every group
                // would only repeat the error.
                self.wal.restart.store(false, Ordering::Relaxed);
                tracing::warn!(error = %e, "SQLite WAL restart failed");
            }
        }
    }
}

/// The checkpointer thread: a passive checkpoint every
/// [`CHECKPOINT_INTERVAL`] while the writer commits, until `stop` is closed.
fn checkpoint_loop(conn: &Connection, wal: &WalState, stop: &mpsc::Receiver<()>) {
    let mut checked = 0;
    // Nothing is ever sent: the store drops its end to stop the thread.
    while stop.recv_timeout(CHECKPOINT_INTERVAL) == Err(RecvTimeoutError::Timeout) {
        let commits = wal.commits.load(Ordering::Relaxed);
        if commits == checked {
            continue;
        }
        checked = commits;
        // PASSIVE takes no lock the writer or the readers need: it copies
        // the frames no reader still needs while they go on.
        match wal_checkpoint(conn, "PASSIVE") {
            Ok((_, frames)) => wal.restart.store(frames >= WAL_RESTART_FRAMES, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
        }
    }
}

/// Runs a checkpoint; returns whether it was kept from finishing and the
/// WAL's length in frames.
fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| Ok((row.get(0)?, row.get(1)?)))
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

/// Settings both kinds of connection share.
fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(conn)
}

/// Opens the writer and returns it with the journal mode SQLite accepted.
fn configure_writer(path: &Path) -> rusqlite::Result<(Connection, String)> {
    let conn = open_connection(path)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    // In WAL mode NORMAL only risks the last transactions on power loss,
    // never corruption, and saves an fsync per commit.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The checkpointer thread checkpoints instead (see the module doc).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
    Ok((conn, mode))
}

/// The checkpointer reads no rows and writes only through checkpoints: it
/// needs neither a page cache nor the mapping.
fn open_checkpointer(path: &Path) -> StoreResult<Connection> {
    let configure = || -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    };
    configure().map_err(|e| open_error(path, e))
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    configure_reader(path).map_err(|e| open_error(path, e))
}

fn configure_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open_connection(path)?;
    // A guard against a write slipping onto a reader by mistake.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// DDL for one collection. Index names contain `:`, which valid collection
/// and field names cannot, so the unique index name in a constraint error
/// maps back to exactly one field.
fn migration_sql(spec: &CollectionSpec) -> String {
    let c = spec.name;
    let mut sql = format!(
        r#"CREATE TABLE IF NOT EXISTS "{c}" (
            id TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS "{c}:order" ON "{c}" (created_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS "{c}:due" ON "{c}" (json_extract(body, '$.{DUE_AT}'), id)
            WHERE json_extract(body, '$.{DUE_AT}') IS NOT NULL;
        "#
    );
    // NULLs never clash in a SQLite unique index, so documents where the
    // field is absent or null do not take part, as the spec requires.
    for field in spec.unique {
        let _ = writeln!(
            sql,
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "{c}:unique:{field}" ON "{c}" (json_extract(body, '$.{field}'));"#
        );
    }
    for field in spec.indexed {
        let _ = writeln!(
            sql,
            r#"CREATE INDEX IF NOT EXISTS "{c}:index:{field}" ON "{c}" (json_extract(body, '$.{field}'), created_at DESC, id DESC);"#
        );
    }
    sql
}

/// Maps a SQLite error about `collection` to a [`StoreError`].
fn translate(collection: &str, err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &err {
        let unique = failure.code == ErrorCode::ConstraintViolation
            && matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            );
        if unique {
            return StoreError::Duplicate { field: duplicate_field(collection, message) };
        }
        if message.starts_with("no such table") {
            return StoreError::Backend(format!(
                "collection {collection:?} has no table: pass its spec to Store::migrate first"
            ));
        }
    }
    StoreError::Backend(format!("SQLite ({collection}): {err}"))
}

/// The field behind a unique violation: "UNIQUE constraint failed:
/// index 'c:unique:field'" for expression indexes, "... c.id" for the key.
fn duplicate_field(collection: &str, message: &str) -> String {
    let prefix = format!("index '{collection}:unique:");
    message
        .split_once(prefix.as_str())
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or_else(|| "id".to_owned(), |(field, _)| field.to_owned())
}

fn document_from_row(row: &Row<'_>) -> rusqlite::Result<(String, i64, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_document((id, version, created_at, body): (String, i64, i64, String)) -> Attempt<Document> {
    let body = serde_json::from_str(&body)
        .map_err(|e| StoreError::Backend(format!("stored body of {id:?} is not valid JSON: {e}")))?;
    Ok(Document { id, version, created_at, body })
}

fn to_json_text(body: &Value) -> StoreResult<String> {
    serde_json::to_string(body).map_err(|e| StoreError::Backend(format!("cannot encode body: {e}")))
}

fn sql_limit(limit: usize) -> StoreResult<i64> {
    i64::try_from(limit).map_err(|_| StoreError::Backend(format!("limit {limit} is too large")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()> {
        specs.iter().try_for_each(Registry::validate)?;
        let sql: String = specs.iter().map(migration_sql).collect();
        // The writer runs it in its savepoint: all of it or none.
        self.write("migrate", move |conn| Ok(conn.execute_batch(&sql)?)).await?;
        for spec in specs {
            self.registry.register(*spec);
        }
        Ok(())
    }

    async fn insert(&self, collection: &str, body: Value) -> StoreResult<Document> {
        self.registry.spec(collection)?;
        let doc = common::new_document(body)?;
        let (id, version, created_at, text) = (doc.id.clone(), doc.version, doc.created_at, to_json_text(&doc.body)?);
        let sql = format!(r#"INSERT INTO "{collection}" (id, version, created_at, body) VALUES (?, ?, ?, ?)"#);
        self.write(collection, move |conn| {
            conn.prepare_cached(&sql)?.execute(params![id, version, created_at, text])?;
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    async fn get(&self, collection: &str, id: &str) -> StoreResult<Option<Document>> {
        self.registry.spec(collection)?;
        let sql = format!(r#"SELECT id, version, created_at, body FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?.query_row([id], document_from_row).optional()?.map(parse_document).transpose()
        })
        .await
    }

    async fn find(&self, collection: &str, filter: &Filter, page: &Page) -> StoreResult<PageResult> {
        self.registry.spec(collection)?;
        let scalars = filter
            .iter()
            .map(|(field, value)| {
                self.registry.queryable(collection, field)?;
                Ok((*field, Scalar::from_json(field, value)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let (sql, mut values) = Self::select(collection, &scalars, page.starting_after.is_some());
        let cursor_sql = format!(r#"SELECT created_at FROM "{collection}" WHERE id = ?"#);
        let starting_after = page.starting_after.clone();
        let limit = page.limit;
        let fetch = sql_limit(limit.saturating_add(1))?;
        self.read(collection, move |conn| {
            // One read transaction, so the cursor lookup and the page see
            // the same snapshot.
            let tx = conn.transaction()?;
            if let Some(cursor_id) = starting_after {
                let cursor_created_at: i64 = tx
                    .prepare_cached(&cursor_sql)?
                    .query_row([&cursor_id], |row| row.get(0))
                    .optional()?
                    .ok_or(StoreError::UnknownCursor)?;
                values.push(SqlValue::Integer(cursor_created_at));
                values.push(SqlValue::Text(cursor_id));
            }
            values.push(SqlValue::Integer(fetch));
            let mut data = tx
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(values), document_from_row)?
                .map(|row| parse_document(row?))
                .collect::<Attempt<Vec<_>>>()?;
            let has_more = data.len() > limit;
            data.truncate(limit);
            Ok(PageResult { data, has_more })
        })
        .await
    }

    async fn count(&self, collection: &str, filter: &Filter, up_to: u64) -> StoreResult<u64> {
        self.registry.spec(collection)?;
        let scalars = filter
            .iter()
            .map(|(field, value)| {
                self.registry.queryable(collection, field)?;
                Ok((*field, Scalar::from_json(field, value)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let (select, mut values) = Self::select(collection, &scalars, false);
        let sql = format!("SELECT COUNT(*) FROM ({select})");
        values.push(SqlValue::Integer(i64::try_from(up_to).unwrap_or(i64::MAX)));
        self.read(collection, move |conn| {
            let count: i64 =
                conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
        .await
    }

    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>> {
        self.registry.queryable(collection, field)?;
        let scalar = Scalar::from_json(field, value)?;
        let (sql, mut values) = Self::select(collection, &[(field, scalar)], false);
        values.push(SqlValue::Integer(1));
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(values), document_from_row)
                .optional()?
                .map(parse_document)
                .transpose()
        })
        .await
    }

    async fn compare_and_swap(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        body: Value,
    ) -> StoreResult<Document> {
        self.registry.spec(collection)?;
        let doc = common::replacement_document(id, expected_version, body)?;
        let (id, version, created_at, text) = (doc.id.clone(), doc.version, doc.created_at, to_json_text(&doc.body)?);
        let update =
            format!(r#"UPDATE "{collection}" SET version = ?, created_at = ?, body = ? WHERE id = ? AND version = ?"#);
        let exists = format!(r#"SELECT 1 FROM "{collection}" WHERE id = ?"#);
        self.write(collection, move |conn| {
            // The writer's transaction is immediate, so the update and the
            // existence check see the same state even if another process
            // shares the file.
            let updated =
                conn.prepare_cached(&update)?.execute(params![version, created_at, text, id, expected_version])?;
            if updated == 0 {
                let found = conn.prepare_cached(&exists)?.exists([&id])?;
                return Err(if found { StoreError::VersionConflict } else { StoreError::NotFound }.into());
            }
            Ok(())
        })
        .await?;
        Ok(doc)
    }

    async fn find_due(
        &self,
        collection: &str,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Document>> {
        self.registry.spec(collection)?;
        // The comparison on the `json_extract` term lets the planner use the
        // partial due index (it implies IS NOT NULL); `json_type` keeps out
        // reals and booleans, which json_extract would compare as numbers.
        let due = format!("json_extract(body, '$.{DUE_AT}')");
        let mut sql = format!(
            r#"SELECT id, version, created_at, body FROM "{collection}"
               WHERE {due} <= ? AND json_type(body, '$.{DUE_AT}') = 'integer'"#
        );
        let mut values = vec![SqlValue::Integer(up_to)];
        if let Some(cursor) = after {
            let _ = write!(sql, " AND ({due}, id) > (?, ?)");
            values.push(SqlValue::Integer(cursor.due_at));
            values.push(SqlValue::Text(cursor.id.clone()));
        }
        let _ = write!(sql, " ORDER BY {due}, id LIMIT ?");
        values.push(SqlValue::Integer(sql_limit(limit)?));
        self.read(collection, move |conn| {
            conn.prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(values), document_from_row)?
                .map(|row| parse_document(row?))
                .collect::<Attempt<Vec<_>>>()
        })
        .await
    }

    async fn delete_version(&self, collection: &str, id: &str, expected_version: i64) -> StoreResult<()> {
        self.registry.spec(collection)?;
        let delete = format!(r#"DELETE FROM "{collection}" WHERE id = ? AND version = ?"#);
        let exists = format!(r#"SELECT 1 FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.write(collection, move |conn| {
            if conn.prepare_cached(&delete)?.execute(params![id, expected_version])? == 0 {
                let found = conn.prepare_cached(&exists)?.exists([&id])?;
                return Err(if found { StoreError::VersionConflict } else { StoreError::NotFound }.into());
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool> {
        self.registry.spec(collection)?;
        let sql = format!(r#"DELETE FROM "{collection}" WHERE id = ?"#);
        let id = id.to_owned();
        self.write(collection, move |conn| Ok(conn.prepare_cached(&sql)?.execute([id])? > 0)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read("ping", |conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::join_all;
    use futures::poll;
    use serde_json::json;
    use std::path::PathBuf;
    use std::pin::pin;
    use std::time::Instant;

    const WIDGETS: CollectionSpec = CollectionSpec { name: "widgets", unique: &["email"], indexed: &["status"] };

    async fn open_store(dir: &tempfile::TempDir) -> (SqliteStore, PathBuf) {
        let path = dir.path().join("db.sqlite3");
        let opened = path.clone();
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&opened)).await.expect("task").expect("open");
        store.migrate(&[WIDGETS]).await.expect("migrate");
        (store, path)
    }

    fn widget(id: &str, extra: Value) -> Value {
        let mut body = json!({ "id": id, "createdAt": 1 });
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        body
    }

    /// Ids of the widgets in the order they were inserted (rowid order).
    fn insertion_order(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        let mut statement = conn.prepare("SELECT id FROM widgets ORDER BY rowid").expect("prepare");
        statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
    }

    /// The write lock of the database, held by another connection: the
    /// writer thread stalls in `BEGIN IMMEDIATE` with the group it took,
    /// and what is queued meanwhile waits for the next group. (The writer
    /// gives up after `BUSY_TIMEOUT`; the tests hold it for milliseconds.)
    struct WriteLock(Connection);

    impl WriteLock {
        fn hold(path: &Path) -> Self {
            let conn = Connection::open(path).expect("open");
            conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
            Self(conn)
        }

        fn release(self) {
            self.0.execute_batch("COMMIT").expect("release the write lock");
        }
    }

    /// Waits until the write queue holds exactly `expected` (foreground,
    /// background) requests.
    async fn until_queued(store: &SqliteStore, expected: (usize, usize)) {
        let give_up = Instant::now() + Duration::from_secs(30);
        while store.writes.queued() != expected {
            assert!(Instant::now() < give_up, "write queue {:?}, expected {expected:?}", store.writes.queued());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[test]
    fn a_full_lane_refuses_and_the_other_lane_still_takes() {
        let queue = Queue::new(2);
        queue.push(1, Priority::Foreground).expect("push");
        queue.push(2, Priority::Foreground).expect("push");
        assert!(matches!(queue.push(3, Priority::Foreground), Err(StoreError::Overloaded)));
        queue.push(4, Priority::Background).expect("the background lane has its own room");
        let mut taken = Vec::new();
        assert_eq!(queue.take(1, &mut taken), Take::Taken);
        queue.push(5, Priority::Foreground).expect("room again once one is taken");
    }

    #[tokio::test]
    async fn a_store_with_a_full_write_lane_answers_overloaded_at_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite3");
        let opened = path.clone();
        let store = tokio::task::spawn_blocking(move || SqliteStore::open_with_lane_capacity(&opened, 3))
            .await
            .expect("task")
            .expect("open");
        store.migrate(&[WIDGETS]).await.expect("migrate");
        let lock = WriteLock::hold(&path);
        // The writer takes the first write and stalls on the lock with it;
        // three more fill the lane.
        let mut first = pin!(store.insert("widgets", widget("first", json!({}))));
        assert!(poll!(first.as_mut()).is_pending());
        until_queued(&store, (0, 0)).await;
        let mut queued: Vec<_> =
            (0..3).map(|n| Box::pin(store.insert("widgets", widget(&format!("q{n}"), json!({}))))).collect();
        for write in &mut queued {
            assert!(poll!(write.as_mut()).is_pending());
        }
        until_queued(&store, (3, 0)).await;
        let started = Instant::now();
        let refused = store.insert("widgets", widget("one too many", json!({}))).await;
        assert!(matches!(refused, Err(StoreError::Overloaded)), "{refused:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "refused without waiting");
        // Reads have their own queue and still answer.
        assert!(store.get("widgets", "first").await.expect("read while writes are refused").is_none());
        lock.release();
        first.await.expect("first");
        for result in join_all(queued).await {
            result.expect("queued write");
        }
        assert!(
            store.get("widgets", "one too many").await.expect("get").is_none(),
            "the refused write changed nothing"
        );
        store.insert("widgets", widget("later", json!({}))).await.expect("accepted once there is room");
    }

    #[test]
    fn queue_hands_out_foreground_first_then_background() {
        let queue = Queue::new(64);
        for n in 0..5 {
            queue.push(("background", n), Priority::Background).expect("push");
        }
        for n in 0..3 {
            queue.push(("foreground", n), Priority::Foreground).expect("push");
        }
        let mut taken = Vec::new();
        assert_eq!(queue.take(4, &mut taken), Take::Taken);
        assert_eq!(taken, [("foreground", 0), ("foreground", 1), ("foreground", 2), ("background", 0)]);

        // Once closed, the queue refuses new items but hands out what it
        // holds before saying so.
        queue.close();
        assert!(matches!(queue.push(("foreground", 9), Priority::Foreground), Err(StoreError::Backend(_))));
        taken.clear();
        assert_eq!(queue.take(10, &mut taken), Take::Taken);
        assert_eq!(taken, [("background", 1), ("background", 2), ("background", 3), ("background", 4)]);
        assert_eq!(queue.take(10, &mut taken), Take::Closed);
    }

    #[tokio::test]
    async fn background_marks_its_own_task_only() {
        assert!(!is_background());
        assert!(background(async { is_background() }).await);
        assert!(!is_background());
        let spawned = background(async { tokio::spawn(async { is_background() }).await.expect("task") }).await;
        assert!(!spawned, "a task spawned inside `background` is foreground unless wrapped too");
    }

    #[tokio::test]
    async fn a_foreground_write_overtakes_a_background_backlog() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, path) = open_store(&dir).await;
        let lock = WriteLock::hold(&path);

        // The writer takes the first write and stalls on the lock with it.
        let mut first = pin!(background(store.insert("widgets", widget("first", json!({})))));
        assert!(poll!(first.as_mut()).is_pending());
        until_queued(&store, (0, 0)).await;
        // Meanwhile a background backlog of several groups builds up…
        let backlog = 3 * MAX_BATCH;
        let mut queued: Vec<_> = (0..backlog)
            .map(|n| Box::pin(background(store.insert("widgets", widget(&format!("bg{n:03}"), json!({}))))))
            .collect();
        for write in &mut queued {
            assert!(poll!(write.as_mut()).is_pending());
        }
        // …and then a request comes.
        let mut foreground = pin!(store.insert("widgets", widget("foreground", json!({}))));
        assert!(poll!(foreground.as_mut()).is_pending());
        until_queued(&store, (1, backlog)).await;
        lock.release();

        foreground.await.expect("foreground insert");
        first.await.expect("first insert");
        for result in join_all(queued).await {
            result.expect("background insert");
        }
        let order = insertion_order(&path);
        assert_eq!(order.len(), backlog + 2);
        // The request went in the very next group, first, ahead of the
        // whole backlog queued before it.
        assert_eq!(order[..2], ["first", "foreground"]);
    }

    #[tokio::test]
    async fn a_group_commits_its_successes_and_answers_each_failure() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, path) = open_store(&dir).await;
        store.insert("widgets", widget("a", json!({"email": "a@example.com"}))).await.expect("insert a");
        let b = store.insert("widgets", widget("b", json!({"status": "open"}))).await.expect("insert b");
        let lock = WriteLock::hold(&path);
        let mut first = pin!(store.insert("widgets", widget("first", json!({}))));
        assert!(poll!(first.as_mut()).is_pending());
        until_queued(&store, (0, 0)).await;

        // All of these go in the next group, in this order.
        let mut new = pin!(store.insert("widgets", widget("c", json!({"email": "c@example.com"}))));
        let mut same_id = pin!(store.insert("widgets", widget("a", json!({}))));
        let mut same_email = pin!(store.insert("widgets", widget("d", json!({"email": "a@example.com"}))));
        let mut swap = pin!(store.compare_and_swap("widgets", "b", 1, widget("b", json!({"status": "paid"}))));
        let mut stale = pin!(store.compare_and_swap("widgets", "a", 7, widget("a", json!({}))));
        let mut missing = pin!(store.compare_and_swap("widgets", "ghost", 1, widget("ghost", json!({}))));
        // A clash with a write of the same group, not yet committed.
        let mut e = pin!(store.insert("widgets", widget("e", json!({"email": "e@example.com"}))));
        let mut f = pin!(store.insert("widgets", widget("f", json!({"email": "e@example.com"}))));
        let mut gone = pin!(store.delete("widgets", "c"));
        assert!(poll!(new.as_mut()).is_pending());
        assert!(poll!(same_id.as_mut()).is_pending());
        assert!(poll!(same_email.as_mut()).is_pending());
        assert!(poll!(swap.as_mut()).is_pending());
        assert!(poll!(stale.as_mut()).is_pending());
        assert!(poll!(missing.as_mut()).is_pending());
        assert!(poll!(e.as_mut()).is_pending());
        assert!(poll!(f.as_mut()).is_pending());
        assert!(poll!(gone.as_mut()).is_pending());
        until_queued(&store, (9, 0)).await;
        lock.release();

        first.await.expect("first");
        new.await.expect("new id");
        assert!(matches!(same_id.await, Err(StoreError::Duplicate { field }) if field == "id"));
        assert!(matches!(same_email.await, Err(StoreError::Duplicate { field }) if field == "email"));
        let swapped = swap.await.expect("swap");
        assert_eq!(swapped.version, b.version + 1);
        assert!(matches!(stale.await, Err(StoreError::VersionConflict)));
        assert!(matches!(missing.await, Err(StoreError::NotFound)));
        e.await.expect("e");
        assert!(matches!(f.await, Err(StoreError::Duplicate { field }) if field == "email"));
        assert!(gone.await.expect("delete"), "the delete saw the insert before it in the group");

        assert_eq!(insertion_order(&path), ["a", "b", "first", "e"]);
        assert_eq!(store.get("widgets", "b").await.expect("get"), Some(swapped));
        assert_eq!(store.get("widgets", "a").await.expect("get").map(|a| a.version), Some(1));
    }

    #[tokio::test]
    async fn a_write_that_breaks_its_transaction_fails_its_group_not_the_next() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, path) = open_store(&dir).await;
        let lock = WriteLock::hold(&path);
        let mut first = pin!(store.insert("widgets", widget("first", json!({}))));
        assert!(poll!(first.as_mut()).is_pending());
        until_queued(&store, (0, 0)).await;

        let mut before = pin!(store.insert("widgets", widget("before", json!({}))));
        // Ends the whole transaction, as SQLite itself does on some errors
        // (disk full, I/O error).
        let mut breaker = pin!(store.write("widgets", |conn| Ok(conn.execute_batch("ROLLBACK")?)));
        let mut after = pin!(store.insert("widgets", widget("after", json!({}))));
        assert!(poll!(before.as_mut()).is_pending());
        assert!(poll!(breaker.as_mut()).is_pending());
        assert!(poll!(after.as_mut()).is_pending());
        until_queued(&store, (3, 0)).await;
        lock.release();

        first.await.expect("first");
        // Its own write succeeded, but the transaction it was in is gone.
        assert!(matches!(before.await, Err(StoreError::Backend(_))));
        assert!(matches!(breaker.await, Err(StoreError::Backend(_))));
        after.await.expect("the rest of the group goes on in a new transaction");
        assert_eq!(insertion_order(&path), ["first", "after"]);
    }

    #[tokio::test]
    async fn a_panicking_request_fails_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, path) = open_store(&dir).await;
        let lock = WriteLock::hold(&path);
        let mut first = pin!(store.insert("widgets", widget("first", json!({}))));
        assert!(poll!(first.as_mut()).is_pending());
        until_queued(&store, (0, 0)).await;

        let mut before = pin!(store.insert("widgets", widget("before", json!({}))));
        let mut panics = pin!(store.write("widgets", |conn| -> Attempt<()> {
            conn.execute_batch("DELETE FROM widgets")?;
            panic!("a bug in a write");
        }));
        let mut after = pin!(store.insert("widgets", widget("after", json!({}))));
        assert!(poll!(before.as_mut()).is_pending());
        assert!(poll!(panics.as_mut()).is_pending());
        assert!(poll!(after.as_mut()).is_pending());
        until_queued(&store, (3, 0)).await;
        lock.release();

        first.await.expect("first");
        before.await.expect("before");
        assert!(matches!(panics.await, Err(StoreError::Backend(_))));
        after.await.expect("after");
        assert_eq!(insertion_order(&path), ["first", "before", "after"], "the panicking write was rolled back");

        let read = store.read("widgets", |_conn| -> Attempt<()> { panic!("a bug in a read") }).await;
        assert!(matches!(read, Err(StoreError::Backend(_))));
        // The readers still serve.
        for _ in 0..2 * READERS {
            assert!(store.get("widgets", "after").await.expect("get").is_some());
        }
    }

    #[tokio::test]
    async fn dropping_the_store_stops_its_threads_and_keeps_the_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, path) = open_store(&dir).await;
        store.insert("widgets", widget("kept", json!({}))).await.expect("insert");
        drop(store);
        // The last connection to close checkpoints the WAL and removes it:
        // every thread has closed its connection by the time drop returns.
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        assert!(!Path::new(&wal).exists(), "the WAL is still there: a connection is still open");

        let (store, _) = open_store(&dir).await;
        assert!(store.get("widgets", "kept").await.expect("get").is_some());
    }

    #[test]
    fn duplicate_field_comes_from_the_index_name() {
        assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: index 'widgets:unique:email'"), "email");
        assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: widgets.id"), "id");
    }
}
