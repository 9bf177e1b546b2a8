use super::documents::duplicate_field;
use super::*;
use crate::store::common::Scalar;
use crate::store::{CollectionSpec, Encoded, Page, PageResult, Store};
use futures::future::join_all;
use futures::poll;
use serde_json::Value;
use serde_json::json;
use std::path::PathBuf;
use std::pin::pin;
use std::time::Instant;

const WIDGETS: CollectionSpec =
    CollectionSpec { name: "widgets", unique: &["email"], indexed: &["status"], grouped: &[] };

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
    assert_eq!(queue.take(1, None, &mut taken), Take::Taken);
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
    assert!(store.get("widgets", "one too many").await.expect("get").is_none(), "the refused write changed nothing");
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
    assert_eq!(queue.take(4, None, &mut taken), Take::Taken);
    assert_eq!(taken, [("foreground", 0), ("foreground", 1), ("foreground", 2), ("background", 0)]);

    // Once closed, the queue refuses new items but hands out what it
    // holds before saying so.
    queue.close();
    assert!(matches!(queue.push(("foreground", 9), Priority::Foreground), Err(StoreError::Backend(_))));
    taken.clear();
    assert_eq!(queue.take(10, None, &mut taken), Take::Taken);
    assert_eq!(taken, [("background", 1), ("background", 2), ("background", 3), ("background", 4)]);
    assert_eq!(queue.take(10, None, &mut taken), Take::Closed);
}

/// Takes from `queue` on another thread, gathering as `gather` says.
fn take_gathering(queue: &Arc<Queue<u32>>, gather: Gather) -> std::thread::JoinHandle<Vec<u32>> {
    let queue = Arc::clone(queue);
    std::thread::spawn(move || {
        let mut taken = Vec::new();
        assert_eq!(queue.take(MAX_BATCH, Some(gather), &mut taken), Take::Taken);
        taken
    })
}

#[test]
fn a_gathering_take_waits_for_more_until_enough_are_queued() {
    let queue = Arc::new(Queue::new(64));
    queue.push(1, Priority::Foreground).expect("push");
    let taker = take_gathering(&queue, Gather { until: 3, linger: Duration::from_secs(600) });
    // Without gathering the taker would leave with the first item alone.
    std::thread::sleep(Duration::from_millis(50));
    queue.push(2, Priority::Background).expect("push");
    std::thread::sleep(Duration::from_millis(50));
    queue.push(3, Priority::Foreground).expect("push");
    assert_eq!(taker.join().expect("taker"), [1, 3, 2], "foreground first, all three in one take");
}

#[test]
fn a_gathering_take_leaves_with_what_it_has_once_the_oldest_has_lingered() {
    let queue = Arc::new(Queue::new(64));
    queue.push(1, Priority::Foreground).expect("push");
    let taker = take_gathering(&queue, Gather { until: 16, linger: Duration::from_millis(20) });
    assert_eq!(taker.join().expect("taker"), [1]);
    // A take that finds nothing queued waits for the first item as before,
    // and the linger counts from that item's arrival.
    let taker = take_gathering(&queue, Gather { until: 16, linger: Duration::from_millis(20) });
    std::thread::sleep(Duration::from_millis(50));
    queue.push(2, Priority::Foreground).expect("push");
    assert_eq!(taker.join().expect("taker"), [2]);
}

#[test]
fn the_writer_gathers_as_many_as_its_last_group_held_and_no_more_than_sixteen() {
    assert!(writer::gather_after(0).is_none());
    assert!(writer::gather_after(1).is_none(), "a lone write on a quiet store never waits");
    let sizes: Vec<usize> =
        [2, 5, 16, 40, MAX_BATCH].iter().filter_map(|&g| writer::gather_after(g)).map(|g| g.until).collect();
    assert_eq!(sizes, [2, 5, 16, 16, 16]);
    assert!([2, 40].iter().filter_map(|&g| writer::gather_after(g)).all(|g| g.linger <= Duration::from_millis(1)));
}

#[test]
fn closing_the_queue_ends_a_gathering_take() {
    let queue = Arc::new(Queue::new(64));
    queue.push(1, Priority::Foreground).expect("push");
    let taker = take_gathering(&queue, Gather { until: 16, linger: Duration::from_secs(600) });
    std::thread::sleep(Duration::from_millis(50));
    queue.close();
    assert_eq!(taker.join().expect("taker"), [1], "what was queued is still handed out");
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
fn duplicate_field_comes_from_the_column_name() {
    assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: widgets.ix_email"), "email");
    assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: widgets.ix_key_hash2"), "key_hash2");
    assert_eq!(duplicate_field("widgets", "UNIQUE constraint failed: widgets.id"), "id");
}

/// A database written before fields had columns: documents in `body` only,
/// expression indexes on `json_extract`.
fn write_expression_layout(path: &Path) {
    let conn = Connection::open(path).expect("open");
    conn.execute_batch(
        r#"CREATE TABLE widgets (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,
               created_at INTEGER NOT NULL, body TEXT NOT NULL);
           CREATE INDEX "widgets:order" ON widgets (created_at DESC, id DESC);
           CREATE INDEX "widgets:due" ON widgets (json_extract(body, '$.dueAt'), id)
               WHERE json_extract(body, '$.dueAt') IS NOT NULL;
           CREATE UNIQUE INDEX "widgets:unique:email" ON widgets (json_extract(body, '$.email'));
           CREATE INDEX "widgets:index:status" ON widgets (json_extract(body, '$.status'), created_at DESC, id DESC);
           INSERT INTO widgets VALUES
               ('a', 1, 1, '{"id":"a","version":1,"createdAt":1,"email":"a@x","status":"open","dueAt":50}'),
               ('b', 3, 2, '{"id":"b","version":3,"createdAt":2,"status":true,"dueAt":7.5}'),
               ('c', 1, 3, '{"id":"c","version":1,"createdAt":3,"status":7,"email":null}');"#,
    )
    .expect("old layout");
}

fn index_names(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).expect("open");
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'widgets' ORDER BY name")
        .expect("prepare");
    statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_a_database_from_expression_indexes_to_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_expression_layout(&dir.path().join("db.sqlite3"));
    let (store, path) = open_store(&dir).await;

    let ids = |page: PageResult| page.data.into_iter().map(|doc| doc.id).collect::<Vec<_>>();
    let page = Page { limit: 10, starting_after: None };
    let open = store.find("widgets", &vec![("status", json!("open"))], &page).await.expect("find");
    assert_eq!(ids(open), ["a"]);
    // Type-strict as before: `true` is not 1, 7 is a number.
    let flagged = store.find("widgets", &vec![("status", json!(true))], &page).await.expect("find");
    assert_eq!(ids(flagged), ["b"]);
    assert!(store.find("widgets", &vec![("status", json!(1))], &page).await.expect("find").data.is_empty());
    let ranged = store
        .find_in("widgets", &vec![], &[crate::store::Range::new("status", Some(0), None)], &page)
        .await
        .expect("range");
    assert_eq!(ids(ranged), ["c"]);
    // Only an integer dueAt is due.
    let due = store.find_due("widgets", 100, None, 10).await.expect("due");
    assert_eq!(due.iter().map(|doc| doc.id.as_str()).collect::<Vec<_>>(), ["a"]);
    // The unique field is still unique, null still stays out of it.
    let clash = store.insert("widgets", widget("d", json!({"email": "a@x"}))).await;
    assert!(matches!(clash, Err(StoreError::Duplicate { ref field }) if field == "email"), "{clash:?}");
    store.insert("widgets", widget("e", json!({"email": null}))).await.expect("null email");
    // A document written before the move updates like any other.
    let b = store.get("widgets", "b").await.expect("get").expect("b");
    let mut body = b.body.clone();
    body["status"] = json!("open");
    store.compare_and_swap("widgets", "b", 3, body).await.expect("cas");
    let open = store.find("widgets", &vec![("status", json!("open"))], &page).await.expect("find");
    assert_eq!(ids(open), ["b", "a"]);

    drop(store);
    let names = index_names(&path);
    assert!(!names.iter().any(|name| name.contains(":unique:") || name.contains(":index:") || name.ends_with(":due")));
    for expected in ["widgets:order", "widgets:dueAt", "widgets:u:email", "widgets:i:status"] {
        assert!(names.iter().any(|name| name == expected), "{expected} missing from {names:?}");
    }
    // Opening it again finds nothing left to move.
    let (store, _) = open_store(&dir).await;
    assert_eq!(store.count("widgets", &vec![("status", json!("open"))], 10).await.expect("count"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_sets_only_the_columns_that_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, path) = open_store(&dir).await;
    let doc = store.insert("widgets", widget("w", json!({"email": "w@x", "status": "open", "note": 1}))).await;
    let doc = doc.expect("insert");
    // A trigger counts the updates that touched each indexed column: an
    // UPDATE naming a column rewrites that column's indexes.
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(
        r#"CREATE TABLE touched (what TEXT);
           CREATE TRIGGER status_touched AFTER UPDATE OF ix_status ON widgets
               BEGIN INSERT INTO touched VALUES ('status'); END;
           CREATE TRIGGER email_touched AFTER UPDATE OF ix_email ON widgets
               BEGIN INSERT INTO touched VALUES ('email'); END;
           CREATE TRIGGER order_touched AFTER UPDATE OF created_at ON widgets
               BEGIN INSERT INTO touched VALUES ('created_at'); END;"#,
    )
    .expect("triggers");
    let touched = || -> Vec<String> {
        let mut statement = conn.prepare("SELECT what FROM touched ORDER BY rowid").expect("prepare");
        statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
    };

    let mut body = doc.body.clone();
    body["note"] = json!(2);
    let doc = store.compare_and_swap("widgets", "w", 1, body).await.expect("cas");
    assert!(touched().is_empty(), "an update of an unindexed field touched {:?}", touched());

    let mut body = doc.body.clone();
    body["status"] = json!("paid");
    store.compare_and_swap("widgets", "w", 2, body).await.expect("cas");
    assert_eq!(touched(), ["status"]);
    let page = Page { limit: 10, starting_after: None };
    assert!(store.find("widgets", &vec![("status", json!("open"))], &page).await.expect("find").data.is_empty());
    assert_eq!(store.find("widgets", &vec![("status", json!("paid"))], &page).await.expect("find").data.len(), 1);
}

fn page_size(path: &Path) -> i64 {
    let conn = Connection::open(path).expect("open");
    conn.pragma_query_value(None, "page_size", |row| row.get(0)).expect("page_size")
}

#[tokio::test]
async fn a_file_with_another_page_size_keeps_it_and_restarts_its_wal_by_size() {
    // A file written elsewhere with 8 KiB pages.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("db.sqlite3");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; CREATE TABLE earlier (x);")
        .expect("create the file");
    drop(conn);
    let (store, path) = open_store(&dir).await;
    store.insert("widgets", widget("w", json!({"status": "kept"}))).await.expect("insert");
    assert_eq!(store.get("widgets", "w").await.expect("get").expect("found").body["status"], "kept");
    assert_eq!(page_size(&path), 8192);
    assert_eq!(checkpointer::wal_restart_frames(8192) * 8192, checkpointer::WAL_RESTART_BYTES);
}

#[tokio::test]
async fn a_new_file_gets_small_pages_and_keeps_them_when_reopened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    store.insert("widgets", widget("w", json!({"status": "new"}))).await.expect("insert");
    drop(store);
    assert_eq!(page_size(&path), NEW_FILE_PAGE_SIZE);
    let (store, path) = open_store(&dir).await;
    assert_eq!(store.get("widgets", "w").await.expect("get").expect("found").body["status"], "new");
    assert_eq!(page_size(&path), NEW_FILE_PAGE_SIZE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_once_it_passes_its_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    // Twice the limit, in documents of about 4 KB written in groups.
    let filler = "x".repeat(4000);
    let total = 2 * checkpointer::WAL_RESTART_BYTES as usize / filler.len();
    for start in (0..total).step_by(64) {
        let writes = (start..(start + 64).min(total))
            .map(|n| store.insert("widgets", widget(&format!("w{n:06}"), json!({ "filler": filler }))));
        for written in join_all(writes).await {
            written.expect("insert");
        }
    }
    // The frames the WAL holds now (a restart starts it over from its
    // first frame; the file itself keeps its size). Never restarted, it
    // would hold every frame written: more than twice the limit.
    let conn = Connection::open(&path).expect("open");
    let (_, frames) = checkpointer::wal_checkpoint(&conn, "PASSIVE").expect("checkpoint");
    let wal_bytes = frames * page_size(&path);
    assert!(
        wal_bytes < 2 * checkpointer::WAL_RESTART_BYTES,
        "the WAL holds {wal_bytes} bytes of frames: it never started over"
    );
    assert_eq!(store.get("widgets", "w000000").await.expect("get").expect("first").body["filler"], filler.as_str());
}

#[tokio::test]
async fn a_passive_checkpoint_syncs_what_it_copied_into_the_database_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    for n in 0..32 {
        store.insert("widgets", widget(&format!("w{n:02}"), json!({"status": "new"}))).await.expect("insert");
    }
    let conn = checkpointer::open_checkpointer(&path).expect("checkpointer");
    // The descriptor the store opens for the checkpointer's syncs: read-only.
    let mut database = DatabaseSync::new(Arc::new(checkpointer::open_for_sync(&path).expect("database file")));
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let frames = metrics::with_local_recorder(&recorder, || {
        checkpointer::passive_checkpoint(&conn, &mut database).expect("checkpoint")
    });
    assert!(frames > 0, "the WAL held no frames to copy");
    // Recorded only once the sync succeeded: a descriptor that cannot be
    // synced would be reported, and the restart would sync it all again.
    let exposition = recorder.handle().render();
    assert!(
        exposition.contains("paygate_store_checkpoint_sync_duration_seconds_count 1"),
        "no successful sync recorded:\n{exposition}"
    );
    drop(store);
    assert_eq!(
        Connection::open(&path)
            .expect("open")
            .query_row("SELECT count(*) FROM widgets", [], |row| row.get::<_, i64>(0))
            .expect("count"),
        32
    );
}

/// Log lines written through a subscriber, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("captured").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_database_sync_is_reported_once_not_at_every_checkpoint() {
    // A pipe cannot be synced (EINVAL): a stand-in for a failing disk.
    let (pipe, _other_end) = std::io::pipe().expect("pipe");
    let mut database = DatabaseSync::new(Arc::new(File::from(std::os::fd::OwnedFd::from(pipe))));
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..5 {
            database.sync();
        }
    });
    let logged = String::from_utf8(captured.0.lock().expect("captured").clone()).expect("utf-8");
    assert_eq!(logged.matches("syncing the SQLite database file after a checkpoint failed").count(), 1, "{logged}");
    assert!(logged.contains("WARN"), "{logged}");
}

const TENANTED: CollectionSpec =
    CollectionSpec { name: "tenanted", unique: &[], indexed: &["org", "mode", "status"], grouped: &["org", "mode"] };

/// How SQLite would run `filter` on the tenanted collection.
fn query_plan(path: &Path, filter: &[(&str, Scalar)]) -> String {
    query_plan_of_page(path, filter, false)
}

/// How SQLite would run `filter` on the tenanted collection, for the first
/// page or for one after a cursor.
fn query_plan_of_page(path: &Path, filter: &[(&str, Scalar)], after_cursor: bool) -> String {
    let (sql, mut values) = SqliteStore::select(&TENANTED, filter, &[], after_cursor);
    if after_cursor {
        values.extend([rusqlite::types::Value::Integer(3), rusqlite::types::Value::Text("t3".into())]);
    }
    values.push(rusqlite::types::Value::Integer(10));
    let conn = Connection::open(path).expect("open");
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("prepare");
    let details: Vec<String> = statement
        .query_map(rusqlite::params_from_iter(values), |row| row.get(3))
        .expect("plan")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    details.join("; ")
}

/// The tenanted table as an earlier layout left it (`earlier`: its indexes
/// and rows), opened and migrated to [`TENANTED`].
async fn migrated_tenanted(path: &Path, earlier: &str) -> SqliteStore {
    Connection::open(path)
        .expect("open")
        .execute_batch(&format!(
            r#"CREATE TABLE tenanted (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,
                   created_at INTEGER NOT NULL, body TEXT NOT NULL, due_at, ix_org, ix_mode, ix_status);
               {earlier}"#
        ))
        .expect("earlier layout");
    let opened = path.to_owned();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&opened)).await.expect("task").expect("open");
    store.migrate(&[TENANTED]).await.expect("migrate");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_fields_share_one_index_and_a_tenant_list_reads_only_its_tenant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db.sqlite3");
    // A database from before grouping: an index per tenant field.
    let store = migrated_tenanted(
        &path,
        r#"CREATE INDEX "tenanted:i:org" ON tenanted (ix_org, created_at DESC, id DESC);
           CREATE INDEX "tenanted:i:mode" ON tenanted (ix_mode, created_at DESC, id DESC);"#,
    )
    .await;
    for (n, (org, mode, status)) in
        [("o1", true, "open"), ("o2", true, "open"), ("o1", false, "paid"), ("o1", true, "paid"), ("o1", true, "open")]
            .into_iter()
            .enumerate()
    {
        let body = json!({ "id": format!("t{n}"), "createdAt": n, "org": org, "mode": mode, "status": status });
        store.insert("tenanted", body).await.expect("insert");
    }

    let page = Page { limit: 10, starting_after: None };
    let ids = |page: PageResult| page.data.into_iter().map(|doc| doc.id).collect::<Vec<_>>();
    let tenant = vec![("org", json!("o1")), ("mode", json!(true))];
    assert_eq!(ids(store.find("tenanted", &tenant, &page).await.expect("find")), ["t4", "t3", "t0"]);
    let mut open = tenant.clone();
    open.push(("status", json!("open")));
    assert_eq!(ids(store.find("tenanted", &open, &page).await.expect("find")), ["t4", "t0"]);
    assert_eq!(store.count("tenanted", &vec![("org", json!("o1"))], 10).await.expect("count"), 4);
    drop(store);

    let names: Vec<String> = Connection::open(&path)
        .expect("open")
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tenanted'")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert!(names.contains(&"tenanted:g:org+mode".to_owned()), "{names:?}");
    assert!(!names.iter().any(|name| name == "tenanted:i:org" || name == "tenanted:i:mode"), "{names:?}");

    // One tenant's list reads that tenant's entries, in order, and no other.
    let tenant = [("org", Scalar::Str("o1".into())), ("mode", Scalar::Bool(true))];
    let plan = query_plan(&path, &tenant);
    assert!(plan.contains("USING INDEX tenanted:g:org+mode (ix_org=? AND ix_mode=?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    // A field of its own narrows more than the tenant does.
    let open = [tenant[0].clone(), tenant[1].clone(), ("status", Scalar::Str("open".into()))];
    let plan = query_plan(&path, &open);
    assert!(plan.contains("USING INDEX tenanted:i:status (ix_status=?)"), "{plan}");
}

/// Every stored column of the widget `id`, other than its key.
fn stored_row(path: &Path, id: &str) -> Vec<rusqlite::types::Value> {
    let conn = Connection::open(path).expect("open");
    let sql = "SELECT version, created_at, body, ix_email, ix_status, due_at FROM widgets WHERE id = ?";
    conn.query_row(sql, [id], |row| (0..6).map(|i| row.get(i)).collect()).expect("row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encoded_document_is_stored_as_its_value_would_be() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    let fields = json!({"createdAt": 1, "status": "open", "email": "a@example.com", "n": 1.5, "dueAt": 7});
    let body = |id: &str| {
        let mut body = widget(id, fields.clone());
        body["email"] = json!(format!("{id}@example.com"));
        body
    };
    store.insert("widgets", body("doc_v")).await.expect("value insert");
    store
        .insert_encoded("widgets", Encoded::new(&body("doc_e"), &WIDGETS, 1, Some(7)).expect("encoded"))
        .await
        .expect("encoded insert");
    let with_key = |id: &str, row: Vec<rusqlite::types::Value>| {
        let text = |value: &rusqlite::types::Value| match value {
            rusqlite::types::Value::Text(text) => text.replace(id, "ID"),
            other => format!("{other:?}"),
        };
        row.iter().map(text).collect::<Vec<_>>()
    };
    assert_eq!(with_key("doc_v", stored_row(&path, "doc_v")), with_key("doc_e", stored_row(&path, "doc_e")));

    let mut changed = body("doc_e");
    changed["status"] = json!("paid");
    store
        .compare_and_swap("widgets", "doc_v", 1, {
            let mut changed = body("doc_v");
            changed["status"] = json!("paid");
            changed.as_object_mut().expect("object").remove("dueAt");
            changed
        })
        .await
        .expect("value swap");
    changed.as_object_mut().expect("object").remove("dueAt");
    store
        .compare_and_swap_encoded("widgets", "doc_e", 1, Encoded::new(&changed, &WIDGETS, 2, None).expect("encoded"))
        .await
        .expect("encoded swap");
    assert_eq!(with_key("doc_v", stored_row(&path, "doc_v")), with_key("doc_e", stored_row(&path, "doc_e")));

    // Encoded for a layout without `email`, it would store no email and
    // escape the unique index: refused.
    let other = CollectionSpec { unique: &[], ..WIDGETS };
    let refused =
        store.insert_encoded("widgets", Encoded::new(&body("doc_x"), &other, 1, None).expect("encoded")).await;
    assert!(matches!(&refused, Err(StoreError::Backend(message)) if message.contains("layout")), "{refused:?}");
    let refused = store
        .compare_and_swap_encoded("widgets", "doc_e", 2, Encoded::new(&changed, &other, 3, None).expect("encoded"))
        .await;
    assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
    assert!(store.get("widgets", "doc_x").await.expect("get").is_none());
    assert_eq!(store.get("widgets", "doc_e").await.expect("get").expect("stored").version, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_the_layout_no_longer_declares_is_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    store.insert("widgets", widget("w", json!({"status": "open"}))).await.expect("insert");
    assert!(index_names(&path).contains(&"widgets:i:status".to_owned()));
    let without_status = CollectionSpec { indexed: &[], ..WIDGETS };
    store.migrate(&[without_status]).await.expect("migrate");
    let names = index_names(&path);
    assert!(!names.contains(&"widgets:i:status".to_owned()), "{names:?}");
    assert!(names.contains(&"widgets:u:email".to_owned()), "{names:?}");
    // Writes no longer touch it, and the documents are all there.
    store.insert("widgets", widget("v", json!({"status": "open"}))).await.expect("insert");
    assert_eq!(store.get("widgets", "w").await.expect("get").expect("stored").body["status"], "open");
    let filter = vec![("status", json!("open"))];
    let page = Page { limit: 10, starting_after: None };
    assert!(matches!(store.find("widgets", &filter, &page).await, Err(StoreError::Backend(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_first_indexes_are_rebuilt_ascending_and_lists_stay_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db.sqlite3");
    // The layout before 2026-12: every ordered index newest first.
    let store = migrated_tenanted(
        &path,
        r#"CREATE INDEX "tenanted:order" ON tenanted (created_at DESC, id DESC);
           CREATE INDEX "tenanted:g:org+mode" ON tenanted (ix_org, ix_mode, created_at DESC, id DESC);
           CREATE INDEX "tenanted:i:status" ON tenanted (ix_status, created_at DESC, id DESC);
           INSERT INTO tenanted VALUES
               ('t0', 1, 0, '{"id":"t0","version":1,"createdAt":0,"org":"o1","mode":true,"status":"open"}',
                NULL, 'o1', x'01', 'open'),
               ('t1', 1, 1, '{"id":"t1","version":1,"createdAt":1,"org":"o1","mode":true,"status":"paid"}',
                NULL, 'o1', x'01', 'paid');"#,
    )
    .await;
    for n in 2..6 {
        let body = json!({ "id": format!("t{n}"), "createdAt": n, "org": "o1", "mode": true, "status": "open" });
        store.insert("tenanted", body).await.expect("insert");
    }
    // Inserted out of order: the order is the creation time's, not the insert's.
    let late = json!({ "id": "t6", "createdAt": -1, "org": "o1", "mode": true, "status": "open" });
    store.insert("tenanted", late).await.expect("insert");

    let conn = Connection::open(&path).expect("open");
    let definitions: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tenanted' AND sql IS NOT NULL")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert_eq!(definitions.len(), 4, "{definitions:?}");
    assert!(definitions.iter().all(|sql| !sql.contains("DESC")), "{definitions:?}");

    // Page by page, newest first, through every index the lists use.
    let tenant = vec![("org", json!("o1")), ("mode", json!(true))];
    let mut open = tenant.clone();
    open.push(("status", json!("open")));
    for (filter, expected) in [
        (vec![], vec!["t5", "t4", "t3", "t2", "t1", "t0", "t6"]),
        (tenant, vec!["t5", "t4", "t3", "t2", "t1", "t0", "t6"]),
        (open, vec!["t5", "t4", "t3", "t2", "t0", "t6"]),
    ] {
        let mut seen = Vec::new();
        let mut starting_after = None;
        loop {
            let page = Page { limit: 2, starting_after: starting_after.clone() };
            let result = store.find("tenanted", &filter, &page).await.expect("find");
            seen.extend(result.data.iter().map(|doc| doc.id.clone()));
            if !result.has_more {
                break;
            }
            starting_after = result.data.last().map(|doc| doc.id.clone());
        }
        assert_eq!(seen, expected, "{filter:?}");
    }

    // Read backwards along the index: no sort of the tenant's entries.
    let tenant = [("org", Scalar::Str("o1".into())), ("mode", Scalar::Bool(true))];
    for after_cursor in [false, true] {
        let plan = query_plan_of_page(&path, &tenant, after_cursor);
        assert!(plan.contains("USING INDEX tenanted:g:org+mode (ix_org=? AND ix_mode=?"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        let plan = query_plan_of_page(&path, &[], after_cursor);
        assert!(plan.contains("tenanted:order"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

/// `.cargo/config.toml` builds the bundled SQLite without the process-wide
/// page cache and without memory statistics, each behind a global mutex
/// that the writer, the checkpointer and the readers took for every page
/// and every allocation. A build that loses that setting (another
/// directory, an overriding `LIBSQLITE3_FLAGS`) fails here.
#[test]
fn sqlite_is_built_without_the_shared_page_cache_or_memory_statistics() {
    let conn = Connection::open_in_memory().expect("open");
    let mut statement = conn.prepare("PRAGMA compile_options").expect("prepare");
    let options: Vec<String> =
        statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows");
    assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
}

/// Readers map none of the database file: a reader unmaps all it mapped
/// whenever another connection has committed since its last read, which
/// under load is before nearly every read. The writer keeps its mapping.
#[tokio::test(flavor = "multi_thread")]
async fn readers_read_the_database_file_without_mapping_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, path) = open_store(&dir).await;
    for n in 0..200 {
        store.insert("widgets", widget(&format!("w{n:03}"), json!({ "pad": "x".repeat(500) }))).await.expect("insert");
    }
    // Into the database file, so that reads come from it rather than the WAL.
    Connection::open(&path).expect("open").execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");

    let reads = (0..8 * READERS).map(|n| {
        let store = &store;
        async move {
            let id = format!("w{:03}", n * 7 % 200);
            assert!(store.get("widgets", &id).await.expect("get").is_some(), "{id} reads back");
            store
                .read("widgets", |conn| Ok(conn.query_row("PRAGMA mmap_size", [], |row| row.get::<_, i64>(0))?))
                .await
                .expect("pragma")
        }
    });
    assert!(join_all(reads).await.iter().all(|&size| size == 0), "every reader maps nothing");

    let file = path.to_str().expect("utf-8 path");
    let mappings = std::fs::read_to_string("/proc/self/maps").expect("maps");
    let mapped = mappings.lines().filter(|line| line.ends_with(file)).count();
    assert!(mapped <= 1, "only the writer maps the file: {mapped} mappings");
}
