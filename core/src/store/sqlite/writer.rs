//! The writer thread: group commits, each write in its own savepoint, and
//! the WAL restarts between groups.

use super::*;
use crate::store::StoreError;
use rusqlite::Connection;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most writes one transaction groups. Large enough that a queue built up
/// while the previous group committed goes in one go, small enough that
/// the first write of a group is not held back long by the others.
pub(super) const MAX_BATCH: usize = 256;

/// How the writer gathers a group while writes come in faster than it
/// commits them. A commit costs about as much as three writes (the WAL
/// frames of every page the group changed, the locks, the wake-ups), and
/// under load the writer, idle for a moment, woke for each write that came
/// in alone: four commits in ten held one write. So after a group of more
/// than one write, it waits for as many as that group held (at most
/// [`GATHER_MOST`]) before it begins the next, but never more than
/// [`GATHER_LINGER`] after the oldest write was queued. Sized on the last
/// group, the wait follows the load: a lone write on a quiet gateway never
/// waits, and at a moderate rate a write waits about for the next one to
/// come, not for the whole linger.
pub(super) fn gather_after(group: usize) -> Option<Gather> {
    (group > 1).then(|| Gather { until: group.min(GATHER_MOST), linger: GATHER_LINGER })
}

/// Most writes the writer waits for.
const GATHER_MOST: usize = 16;
/// Longest the oldest write of a group waits for others to join it.
const GATHER_LINGER: Duration = Duration::from_micros(500);

/// What a closure run against a connection can fail with; SQLite errors are
/// translated afterwards, knowing which collection they concern.
pub(super) enum Failure {
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

pub(super) type Attempt<T> = Result<T, Failure>;

/// A write waiting for the writer thread, whatever its result type.
pub(super) trait WriteRequest: Send {
    /// Runs the write inside its savepoint; true when it succeeded, so that
    /// its changes are kept.
    fn execute(&mut self, conn: &Connection) -> bool;

    /// Whether the write runs in a savepoint of its own, undone as a whole
    /// when it fails. Without one, a failed write keeps what its
    /// statements did before the one that failed.
    fn savepoint(&self) -> bool;

    /// Answers the caller once the transaction has ended: with the write's
    /// own outcome when the transaction committed, with `failure` when it
    /// did not (then nothing of the transaction was kept, and an outcome
    /// computed against writes that were rolled back could be wrong).
    fn answer(self: Box<Self>, failure: Option<&str>);

    /// When the write was queued, and in which lane.
    fn queued(&self) -> (Instant, Priority);
}

pub(super) struct Write<T, F> {
    pub(super) job: Option<F>,
    pub(super) savepoint: bool,
    pub(super) outcome: Option<Attempt<T>>,
    pub(super) reply: oneshot::Sender<Attempt<T>>,
    pub(super) queued_at: Instant,
    pub(super) lane: Priority,
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

    fn savepoint(&self) -> bool {
        self.savepoint
    }

    fn queued(&self) -> (Instant, Priority) {
        (self.queued_at, self.lane)
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

pub(super) type WriteQueue = Queue<Box<dyn WriteRequest>>;

/// A read waiting for a reader thread; it answers its caller itself.
pub(super) type ReadJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// What the writer and the checkpointer tell each other.
#[derive(Default)]
pub(super) struct WalState {
    /// Groups committed so far: the checkpointer skips a turn when no new
    /// one came.
    pub(super) commits: AtomicU64,
    /// Set by the checkpointer while the WAL is longer than
    /// [`WAL_RESTART_BYTES`].
    pub(super) restart: AtomicBool,
}

/// The writer thread: group commits.
pub(super) struct Writer {
    pub(super) conn: Connection,
    pub(super) writes: Arc<WriteQueue>,
    pub(super) wal: Arc<WalState>,
}

/// Why a transaction had to be abandoned.
pub(super) type Broken = String;

/// Where a write's time goes on the writer's side, so that an operator can
/// tell a busy writer (long waits, large groups) from one held up by WAL
/// restarts. Handles taken once: the writer records for every write.
struct WriterMetrics {
    foreground_wait: metrics::Histogram,
    background_wait: metrics::Histogram,
    commit: metrics::Histogram,
    restart: metrics::Histogram,
}

impl WriterMetrics {
    fn new() -> Self {
        let wait = |lane: &'static str| metrics::histogram!("paygate_store_write_wait_seconds", "lane" => lane);
        Self {
            foreground_wait: wait("foreground"),
            background_wait: wait("background"),
            commit: metrics::histogram!("paygate_store_commit_duration_seconds"),
            restart: metrics::histogram!("paygate_store_wal_restart_duration_seconds"),
        }
    }

    fn waited(&self, batch: &[Box<dyn WriteRequest>], started: Instant) {
        for request in batch {
            let (queued_at, lane) = request.queued();
            let waited = started.saturating_duration_since(queued_at);
            match lane {
                Priority::Foreground => self.foreground_wait.record(waited),
                Priority::Background => self.background_wait.record(waited),
            }
        }
    }
}

impl Writer {
    pub(super) fn run(self) {
        let metrics = WriterMetrics::new();
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut gather = None;
        while self.writes.take(MAX_BATCH, gather, &mut batch) == Take::Taken {
            let started = Instant::now();
            let group = batch.len();
            metrics.waited(&batch, started);
            self.commit(&mut batch);
            metrics.commit.record(started.elapsed());
            self.wal.commits.fetch_add(1, Ordering::Relaxed);
            if self.wal.restart.load(Ordering::Relaxed) {
                let restarting = Instant::now();
                self.restart_wal();
                metrics.restart.record(restarting.elapsed());
            }
            gather = gather_after(group);
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
            } else {
                metrics::counter!("paygate_store_commits_total").increment(1);
                metrics::histogram!("paygate_store_commit_writes").record(done.len() as f64);
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
        let own_savepoint = request.savepoint();
        if own_savepoint {
            savepoint("SAVEPOINT request")?;
        }
        // A panicking request counts as failed: its changes are rolled back
        // and it answers with a `Backend` error.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| request.execute(&self.conn)));
        if self.conn.is_autocommit() {
            // Some errors (disk full, I/O error) make SQLite roll back the
            // whole transaction, taking the writes before this one with it.
            return Err("SQLite aborted the write transaction: nothing of it was saved".into());
        }
        match (own_savepoint, outcome) {
            (true, Ok(true)) => savepoint("RELEASE request"),
            (true, _) => {
                savepoint("ROLLBACK TO request")?;
                savepoint("RELEASE request")
            }
            (false, Ok(_)) => Ok(()),
            // Without a savepoint nothing can undo what a panic left half
            // done, so nothing of this transaction may stand.
            (false, Err(_)) => Err("a SQLite write panicked: its transaction was abandoned".into()),
        }
    }

    fn statement(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// The WAL only starts over from its beginning when a write begins with
    /// every frame copied back and no reader still on it. With writes back
    /// to back and reads always in flight, the checkpointer's passive
    /// checkpoints never get there, and the WAL would grow without bound. A
    /// RESTART checkpoint gets there: it takes the write lock, copies what
    /// is left (little: the checkpointer copied and synced the rest), syncs
    /// it and waits for the readers still on the WAL (reads are short). It
    /// runs here, between two groups, because from another connection it
    /// would have to win the write lock from this busy writer.
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
