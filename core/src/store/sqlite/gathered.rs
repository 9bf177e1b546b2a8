//! A VFS for the writer's connection that hands each commit's WAL frames
//! to the kernel in one write.
//!
//! SQLite appends a commit to the WAL one frame at a time, and each frame
//! in two `pwrite` calls: its 24-byte header, then its page. A group commit
//! of a dozen creates changes about fifteen pages, so the writer made some
//! thirty system calls per commit, and the kernel ran its whole buffered
//! write path (page cache lookup, block mapping, dirtying) for each; under
//! load that was a third of the writer thread's time. Appended frames are
//! contiguous, so this VFS keeps them in a buffer and writes the buffer at
//! once: when the frame that completes the commit has been written, before
//! any other operation on the WAL (a read, a sync, a truncate, closing it),
//! and before any operation on the database file, which is how SQLite
//! publishes a commit to readers (the WAL index is updated between two
//! shared-memory barriers). So the WAL file holds exactly what it held
//! before by the time anyone (a reader, the checkpointer, a restart, a
//! process that recovers it after a crash) could look, and a commit whose
//! buffered write fails fails with that error, as a direct write would.
//!
//! Everything else goes to the platform's default VFS unchanged: the files,
//! their locks and the shared-memory index are that VFS's own.
#![allow(unsafe_code)]

use rusqlite::ffi;
use std::cell::Cell;
use std::ffi::{CStr, c_int, c_void};
use std::sync::OnceLock;

/// The name connections open with to use this VFS.
pub(super) const NAME: &CStr = c"paygate-gathered";

/// Buffered bytes past which the buffer is written even mid-commit: a
/// transaction that changes thousands of pages is written in pieces.
const MOST_BUFFERED: usize = 4 << 20;

/// Most bytes handed to the default VFS in one write: the unix VFS takes
/// less than 128 KiB at a time.
const MOST_PER_WRITE: usize = 64 << 10;

/// Size of a WAL frame header (the WAL file format).
const FRAME_HEADER: usize = 24;
/// Size of the WAL file header: frames start after it.
const WAL_HEADER: i64 = 32;

/// Registers the VFS with SQLite (once per process) and says whether it is
/// available.
pub(super) fn register() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register_once).clone()
}

/// The default VFS this one forwards to, kept as an address so that the
/// static is `Sync`.
static INNER: OnceLock<usize> = OnceLock::new();

fn inner_vfs() -> *mut ffi::sqlite3_vfs {
    *INNER.get().expect("the gathered VFS is registered before use") as *mut ffi::sqlite3_vfs
}

fn register_once() -> Result<(), String> {
    // SAFETY: `sqlite3_vfs_find` with a null name returns the default VFS,
    // which SQLite keeps for the life of the process. The VFS built here is
    // leaked on purpose: SQLite keeps a pointer to it forever.
    unsafe {
        if ffi::sqlite3_initialize() != ffi::SQLITE_OK {
            return Err("SQLite could not be initialized".into());
        }
        let inner = ffi::sqlite3_vfs_find(std::ptr::null());
        if inner.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        INNER.set(inner as usize).map_err(|_| "the gathered VFS was registered twice".to_owned())?;
        let mut vfs: ffi::sqlite3_vfs = *inner;
        vfs.szOsFile = c_int::try_from(inner_offset() + (*inner).szOsFile as usize)
            .map_err(|_| "the default VFS's file handle is too large".to_owned())?;
        vfs.pNext = std::ptr::null_mut();
        vfs.zName = NAME.as_ptr();
        vfs.xOpen = Some(open);
        let rc = ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0);
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(format!("SQLite refused the gathered VFS (code {rc})")) }
    }
}

/// One open file: SQLite's handle, then the default VFS's handle for the
/// same file, placed right after it in the memory SQLite allocated.
#[repr(C)]
struct GatheredFile {
    /// Must come first: SQLite sees a `*mut sqlite3_file`.
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    /// Only a WAL file buffers its writes.
    wal: bool,
    /// Bytes written but not yet handed to the kernel, and where they go.
    buffered: Vec<u8>,
    buffered_at: i64,
    /// The last write was a commit frame's header: the next completes the
    /// commit.
    commit_pending: bool,
}

fn inner_offset() -> usize {
    std::mem::size_of::<GatheredFile>().next_multiple_of(16)
}

thread_local! {
    /// The WAL file whose buffer holds bytes, on this thread. A connection
    /// runs a statement on one thread, and a commit's frames are buffered
    /// and written within one statement, so the database file's operations
    /// on the same thread find here what they must write first.
    static BUFFERING: Cell<*mut GatheredFile> = const { Cell::new(std::ptr::null_mut()) };
}

#[cfg(test)]
thread_local! {
    /// How many times a buffer was handed to the kernel on this thread.
    static BUFFER_WRITES: Cell<u64> = const { Cell::new(0) };
}

impl GatheredFile {
    /// The inner handle's methods.
    ///
    /// # Safety
    /// `self.inner` must be open.
    unsafe fn methods(&self) -> &ffi::sqlite3_io_methods {
        unsafe { &*(*self.inner).pMethods }
    }

    /// Hands the buffer to the kernel through the default VFS.
    fn write_buffered(&mut self) -> c_int {
        if self.buffered.is_empty() {
            return ffi::SQLITE_OK;
        }
        BUFFERING.with(|buffering| {
            if std::ptr::eq(buffering.get(), self) {
                buffering.set(std::ptr::null_mut());
            }
        });
        #[cfg(test)]
        BUFFER_WRITES.with(|writes| writes.set(writes.get() + 1));
        // SAFETY: the inner file is open while this one is.
        let write = unsafe { self.methods().xWrite };
        let mut rc = ffi::SQLITE_OK;
        let mut offset = self.buffered_at;
        for piece in self.buffered.chunks(MOST_PER_WRITE) {
            rc = match write {
                // SAFETY: as above; `piece` is at most MOST_PER_WRITE bytes.
                Some(write) => unsafe { write(self.inner, piece.as_ptr().cast(), piece.len() as c_int, offset) },
                None => ffi::SQLITE_IOERR_WRITE,
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += piece.len() as i64;
        }
        // Written or failed, the bytes are no longer this buffer's: a failed
        // write fails the commit, and SQLite discards its frames.
        self.buffered.clear();
        self.commit_pending = false;
        rc
    }

    /// Adds a write of the WAL to the buffer, writing the buffer first if
    /// the new bytes do not follow it, and after them if they complete a
    /// commit.
    fn buffer(&mut self, bytes: &[u8], offset: i64) -> c_int {
        let follows = self.buffered_at + self.buffered.len() as i64 == offset;
        if !self.buffered.is_empty() && !follows {
            let rc = self.write_buffered();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if self.buffered.is_empty() {
            // Another connection's WAL on this thread, with frames of a
            // transaction still open there: written now, so that the
            // database file's operations here keep finding the one file
            // whose buffer they must write first.
            let rc = write_buffered_wal();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            self.buffered_at = offset;
            BUFFERING.with(|buffering| buffering.set(self as *mut Self));
        }
        self.buffered.extend_from_slice(bytes);
        let completes_commit = std::mem::take(&mut self.commit_pending);
        // A frame header's second word is the database size after the
        // commit it ends, zero for the frames before.
        self.commit_pending = bytes.len() == FRAME_HEADER && offset >= WAL_HEADER && bytes[4..8] != [0, 0, 0, 0];
        if completes_commit || self.buffered.len() >= MOST_BUFFERED {
            return self.write_buffered();
        }
        ffi::SQLITE_OK
    }
}

/// Writes whatever a WAL file of this thread still buffers, before an
/// operation that may depend on it.
fn write_buffered_wal() -> c_int {
    let file = BUFFERING.with(Cell::get);
    if file.is_null() {
        return ffi::SQLITE_OK;
    }
    // SAFETY: a file clears this pointer when it writes its buffer and when
    // it closes, so a non-null pointer names an open file of this thread.
    unsafe { (*file).write_buffered() }
}

/// The file behind `file`, with the WAL's buffer written first.
///
/// # Safety
/// `file` must be a handle opened by [`open`].
unsafe fn settled<'a>(file: *mut ffi::sqlite3_file) -> Result<&'a mut GatheredFile, c_int> {
    let file = unsafe { &mut *file.cast::<GatheredFile>() };
    let rc = if file.wal { file.write_buffered() } else { write_buffered_wal() };
    if rc == ffi::SQLITE_OK { Ok(file) } else { Err(rc) }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite allocated `szOsFile` bytes at `file`, room for this
    // handle and the default VFS's after it.
    unsafe {
        let inner = file.cast::<u8>().add(inner_offset()).cast::<ffi::sqlite3_file>();
        let inner_vfs = inner_vfs();
        let Some(inner_open) = (*inner_vfs).xOpen else { return ffi::SQLITE_CANTOPEN };
        let rc = inner_open(inner_vfs, name, inner, flags, out_flags);
        if (*inner).pMethods.is_null() {
            // Nothing to close: SQLite must not call this handle's methods.
            (*file).pMethods = std::ptr::null();
            return rc;
        }
        std::ptr::write(
            file.cast::<GatheredFile>(),
            GatheredFile {
                base: ffi::sqlite3_file { pMethods: &METHODS },
                inner,
                wal: flags & ffi::SQLITE_OPEN_WAL != 0,
                buffered: Vec::new(),
                buffered_at: 0,
                commit_pending: false,
            },
        );
        rc
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a handle once; it was opened by `open`.
    unsafe {
        let gathered = file.cast::<GatheredFile>();
        let written = (*gathered).write_buffered();
        let closed = match (*gathered).methods().xClose {
            Some(close) => close((*gathered).inner),
            None => ffi::SQLITE_OK,
        };
        std::ptr::drop_in_place(gathered);
        (*file).pMethods = std::ptr::null();
        if written != ffi::SQLITE_OK { written } else { closed }
    }
}

/// Forwards a method to the inner handle once the buffer is written.
macro_rules! forward {
    ($file:expr, $method:ident, $missing:expr $(, $arg:expr)*) => {{
        // SAFETY: SQLite calls these methods on a handle `open` opened.
        unsafe {
            match settled($file) {
                Ok(gathered) => match gathered.methods().$method {
                    Some(method) => method(gathered.inner $(, $arg)*),
                    None => $missing,
                },
                Err(rc) => rc,
            }
        }
    }};
}

unsafe extern "C" fn read(file: *mut ffi::sqlite3_file, buf: *mut c_void, amount: c_int, offset: i64) -> c_int {
    forward!(file, xRead, ffi::SQLITE_IOERR_READ, buf, amount, offset)
}

unsafe extern "C" fn write(file: *mut ffi::sqlite3_file, buf: *const c_void, amount: c_int, offset: i64) -> c_int {
    // SAFETY: SQLite passes `amount` readable bytes at `buf`.
    unsafe {
        let gathered = &mut *file.cast::<GatheredFile>();
        if gathered.wal && amount > 0 {
            let bytes = std::slice::from_raw_parts(buf.cast::<u8>(), amount as usize);
            return gathered.buffer(bytes, offset);
        }
    }
    forward!(file, xWrite, ffi::SQLITE_IOERR_WRITE, buf, amount, offset)
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    forward!(file, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, size)
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    forward!(file, xSync, ffi::SQLITE_IOERR_FSYNC, flags)
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    forward!(file, xFileSize, ffi::SQLITE_IOERR_FSTAT, size)
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(file, xLock, ffi::SQLITE_IOERR_LOCK, level)
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(file, xUnlock, ffi::SQLITE_IOERR_UNLOCK, level)
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    forward!(file, xCheckReservedLock, ffi::SQLITE_IOERR_CHECKRESERVEDLOCK, out)
}

unsafe extern "C" fn file_control(file: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    forward!(file, xFileControl, ffi::SQLITE_NOTFOUND, op, arg)
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as for the other methods; no buffer is involved.
    unsafe {
        let gathered = &*file.cast::<GatheredFile>();
        gathered.methods().xSectorSize.map_or(4096, |method| method(gathered.inner))
    }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as for the other methods; no buffer is involved.
    unsafe {
        let gathered = &*file.cast::<GatheredFile>();
        gathered.methods().xDeviceCharacteristics.map_or(0, |method| method(gathered.inner))
    }
}

unsafe extern "C" fn shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    forward!(file, xShmMap, ffi::SQLITE_IOERR_SHMMAP, region, size, extend, out)
}

unsafe extern "C" fn shm_lock(file: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    forward!(file, xShmLock, ffi::SQLITE_IOERR_SHMLOCK, offset, n, flags)
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: as for the other methods.
    unsafe {
        match settled(file) {
            Ok(gathered) => {
                if let Some(barrier) = gathered.methods().xShmBarrier {
                    barrier(gathered.inner);
                }
            }
            // The barrier publishes a commit and cannot fail: frames that
            // readers would be told of but that never reached the file
            // would be read as garbage. Stopping here loses nothing that
            // was acknowledged; the commit has not returned yet.
            Err(rc) => {
                eprintln!("paygate: the SQLite WAL could not be written (code {rc}); stopping");
                std::process::abort();
            }
        }
    }
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    forward!(file, xShmUnmap, ffi::SQLITE_OK, delete)
}

unsafe extern "C" fn fetch(file: *mut ffi::sqlite3_file, offset: i64, amount: c_int, out: *mut *mut c_void) -> c_int {
    // SAFETY: SQLite passes a valid `out`; no mapping is a valid answer.
    unsafe {
        match settled(file) {
            Ok(gathered) => match gathered.methods().xFetch {
                Some(fetch) => fetch(gathered.inner, offset, amount, out),
                None => {
                    *out = std::ptr::null_mut();
                    ffi::SQLITE_OK
                }
            },
            Err(rc) => rc,
        }
    }
}

unsafe extern "C" fn unfetch(file: *mut ffi::sqlite3_file, offset: i64, page: *mut c_void) -> c_int {
    forward!(file, xUnfetch, ffi::SQLITE_OK, offset, page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, OpenFlags};
    use std::path::Path;

    fn open_gathered(path: &Path) -> Connection {
        register().expect("register");
        let conn = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), NAME).expect("open");
        conn.pragma_update(None, "page_size", 2048).expect("page size");
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).expect("wal");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "NORMAL").expect("synchronous");
        conn.pragma_update(None, "wal_autocheckpoint", 0).expect("autocheckpoint");
        conn.execute_batch("CREATE TABLE rows (n INTEGER PRIMARY KEY, body TEXT NOT NULL)").expect("table");
        conn
    }

    fn insert(conn: &Connection, from: i64, to: i64, body: &str) {
        let mut statement = conn.prepare_cached("INSERT INTO rows VALUES (?, ?)").expect("prepare");
        for n in from..to {
            statement.execute(rusqlite::params![n, format!("{n}:{body}")]).expect("insert");
        }
    }

    /// The rows as a connection through the default VFS reads them.
    fn rows_seen_elsewhere(path: &Path) -> Vec<(i64, String)> {
        let conn = Connection::open(path).expect("open");
        let mut statement = conn.prepare("SELECT n, body FROM rows ORDER BY n").expect("prepare");
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("query").map(|r| r.expect("row")).collect()
    }

    fn integrity(path: &Path) -> String {
        Connection::open(path).expect("open").query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("check")
    }

    fn buffer_writes() -> u64 {
        BUFFER_WRITES.with(Cell::get)
    }

    fn wal_frames(path: &Path) -> i64 {
        let conn = Connection::open(path).expect("open");
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1)).expect("checkpoint")
    }

    #[test]
    fn a_commit_of_many_pages_reaches_the_wal_in_one_write_and_reads_back_elsewhere() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite3");
        let conn = open_gathered(&path);
        let body = "x".repeat(600);
        let before = buffer_writes();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        insert(&conn, 0, 60, &body);
        conn.execute_batch("COMMIT").expect("commit");
        assert_eq!(buffer_writes() - before, 1, "one commit, one write");
        // Sixty rows of 600 bytes fill about twenty 2 KiB pages: all of
        // them went through that one write.
        assert!(wal_frames(&path) >= 20, "{} frames", wal_frames(&path));
        let seen = rows_seen_elsewhere(&path);
        assert_eq!(seen.len(), 60);
        assert_eq!(seen[59], (59, format!("59:{body}")));
        assert_eq!(integrity(&path), "ok");
    }

    #[test]
    fn a_transaction_larger_than_the_page_cache_spills_and_commits_whole_or_rolls_back_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite3");
        let conn = open_gathered(&path);
        // A cache of a few pages: the transaction writes frames before its
        // commit, and SQLite overwrites some of them in place as it goes.
        conn.pragma_update(None, "cache_size", 8).expect("cache size");
        let body = "y".repeat(900);
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        insert(&conn, 0, 400, &body);
        conn.execute("UPDATE rows SET body = body || '!' WHERE n % 3 = 0", []).expect("update");
        conn.execute_batch("COMMIT").expect("commit");
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        insert(&conn, 400, 800, &body);
        conn.execute_batch("ROLLBACK").expect("rollback");
        insert(&conn, 400, 401, "after");
        let seen = rows_seen_elsewhere(&path);
        assert_eq!(seen.len(), 401, "the rolled-back rows are gone, the committed ones are all there");
        assert_eq!(seen[3].1, format!("3:{body}!"));
        assert_eq!(seen[4].1, format!("4:{body}"));
        assert_eq!(seen[400].1, "400:after");
        assert_eq!(integrity(&path), "ok");
    }

    #[test]
    fn a_commit_larger_than_one_write_is_written_in_pieces_and_a_restarted_wal_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite3");
        let conn = open_gathered(&path);
        // About 600 KiB of pages: the unix VFS takes less than 128 KiB a
        // write, so the buffer goes in pieces.
        let body = "z".repeat(3000);
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        insert(&conn, 0, 200, &body);
        conn.execute_batch("COMMIT").expect("commit");
        // Every frame copied back, the next commit starts the WAL over
        // from its header.
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("restart");
        assert_eq!(busy, 0);
        insert(&conn, 200, 210, &body);
        drop(conn);
        let seen = rows_seen_elsewhere(&path);
        assert_eq!(seen.len(), 210);
        assert_eq!(seen[209], (209, format!("209:{body}")));
        assert_eq!(integrity(&path), "ok");
    }
}
