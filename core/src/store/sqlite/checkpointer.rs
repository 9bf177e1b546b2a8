//! The checkpointer thread: passive checkpoints while the writer commits,
//! and when to ask the writer for a WAL restart.

use super::*;
use crate::store::StoreResult;
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Time between two passive checkpoints while there are writes: often
/// enough that the writer's WAL restarts find little left to copy.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// WAL length (in pages) past which the writer restarts the WAL: 32 MiB of
/// 4 KiB pages, about a fifth of a second of the payment benchmark.
pub(super) const WAL_RESTART_FRAMES: i64 = 8 * 1024;

/// The checkpointer thread: a passive checkpoint every
/// [`CHECKPOINT_INTERVAL`] while the writer commits, until `stop` is closed.
pub(super) fn checkpoint_loop(conn: &Connection, wal: &WalState, stop: &mpsc::Receiver<()>) {
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
