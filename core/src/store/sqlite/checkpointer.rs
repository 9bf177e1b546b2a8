//! The checkpointer thread: passive checkpoints while the writer commits,
//! and when to ask the writer for a WAL restart.

use super::*;
use crate::store::StoreResult;
use rusqlite::Connection;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Time between two passive checkpoints while there are writes: often
/// enough that the writer's WAL restarts find little left to copy.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// WAL length past which the writer restarts the WAL: 32 MiB, 8,192 pages
/// of SQLite's default 4 KiB (a file may have another page size). A restart
/// stops every write for as long as it takes to copy and `fsync` what the
/// checkpointer has not copied and synced yet (3.5-4 ms on the benchmark
/// machine at 1,000 payments/s; 10-25 ms before the checkpointer synced
/// what it copied), and a longer WAL made those stops longer, not rare
/// enough to matter (measured before those syncs): at 600
/// payments/s, create-checkout's p99 was 19-21 ms with a 32 MiB WAL, 50 ms
/// with 125 MiB and 112 ms with 256 MiB (readers also search a longer WAL).
pub(super) const WAL_RESTART_BYTES: i64 = 32 * 1024 * 1024;

/// [`WAL_RESTART_BYTES`] in WAL frames of `page_size` bytes.
pub(super) fn wal_restart_frames(page_size: i64) -> i64 {
    WAL_RESTART_BYTES / page_size.max(512)
}

/// The checkpointer thread: a passive checkpoint every
/// [`CHECKPOINT_INTERVAL`] while the writer commits, until `stop` is closed.
/// It asks for a restart once the WAL holds `restart_frames` frames.
/// `database` is the database file, which it syncs after each checkpoint.
pub(super) fn checkpoint_loop(
    conn: &Connection,
    database: &mut DatabaseSync,
    wal: &WalState,
    restart_frames: i64,
    stop: &mpsc::Receiver<()>,
) {
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
        match passive_checkpoint(conn, database) {
            Ok(frames) if frames >= restart_frames => {
                catch_up(conn, database);
                wal.restart.store(true, Ordering::Relaxed);
            }
            Ok(_) => wal.restart.store(false, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
        }
    }
}

/// Most passes a catch-up runs before the restart.
const CATCH_UP_PASSES: usize = 8;

/// A pass this short found little left to copy.
const CAUGHT_UP: Duration = Duration::from_millis(3);

/// Runs passive checkpoints back to back until one finds little left to
/// copy. While a pass copies and syncs, the writer goes on committing; the
/// restart that follows must copy and sync all of that while every write
/// waits. Each pass copies what came in during the one before, which is
/// less each time. At 600 payments/s a restart then held writes for 2.5-6
/// ms instead of 7-22 ms, and create-checkout's p99 went from 15-57 to
/// 10-11 ms.
fn catch_up(conn: &Connection, database: &mut DatabaseSync) {
    for _ in 0..CATCH_UP_PASSES {
        let started = Instant::now();
        // A failing pass is reported by the next regular one.
        if passive_checkpoint(conn, database).is_err() || started.elapsed() < CAUGHT_UP {
            return;
        }
    }
}

/// A passive checkpoint, then a sync of the pages it copied into the
/// database file; returns the WAL's length in frames.
///
/// SQLite syncs the database file only at the end of a checkpoint that
/// copied the whole WAL, and under load only the writer's restart does
/// that: every page the passive checkpoints copied stayed dirty in the
/// kernel's cache until the restart's `fsync`, which every write waits for.
/// That `fsync` was nine tenths of a restart (13.4 ms of 14.6 at 1,000
/// payments/s). Synced here, while the writer goes on, those pages leave
/// the restart only the ones its own copy wrote.
///
/// A failed sync is only reported (see [`DatabaseSync`]): the restart's
/// own `fsync` still comes before the WAL starts over, so nothing depends
/// on this one.
pub(super) fn passive_checkpoint(conn: &Connection, database: &mut DatabaseSync) -> rusqlite::Result<i64> {
    let (_, frames) = wal_checkpoint(conn, "PASSIVE")?;
    database.sync();
    Ok(frames)
}

/// The checkpointer's descriptor of the database file (a sync through any
/// descriptor flushes the file's dirty pages), and whether its last sync
/// failed: a failing sync is reported when it starts failing and when it
/// works again, not ten times a second. Its error is not lost to SQLite:
/// the kernel reports a failed write-back to every descriptor the file had
/// open, so the restart's own `fsync` sees it too.
pub(super) struct DatabaseSync {
    file: Arc<File>,
    failing: bool,
}

impl DatabaseSync {
    pub(super) fn new(file: Arc<File>) -> Self {
        Self { file, failing: false }
    }

    pub(super) fn sync(&mut self) {
        let syncing = Instant::now();
        match self.file.sync_data() {
            Ok(()) => {
                metrics::histogram!("paygate_store_checkpoint_sync_duration_seconds").record(syncing.elapsed());
                if std::mem::take(&mut self.failing) {
                    tracing::info!("syncing the SQLite database file after a checkpoint works again");
                }
            }
            Err(e) if !self.failing => {
                self.failing = true;
                tracing::warn!(error = %e, "syncing the SQLite database file after a checkpoint failed");
            }
            Err(_) => {}
        }
    }
}

/// Runs a checkpoint; returns whether it was kept from finishing and the
/// WAL's length in frames.
pub(super) fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| Ok((row.get(0)?, row.get(1)?)))
}

/// The checkpointer reads no rows and writes only through checkpoints: it
/// needs neither a page cache nor the mapping.
pub(super) fn open_checkpointer(path: &Path) -> StoreResult<Connection> {
    let configure = || -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    };
    configure().map_err(|e| open_error(path, e))
}

/// A descriptor of the database file for the checkpointer's syncs.
/// Read-only: it never writes.
pub(super) fn open_for_sync(path: &Path) -> StoreResult<File> {
    File::open(path).map_err(|e| open_error(path, e))
}
