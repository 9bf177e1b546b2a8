//! One conformance suite for every `Store` backend.
//!
//! Each case in `suite` is written once against `Arc<dyn Store>`; the
//! `conformance!` macro turns it into `sqlite::<case>` (a fresh database in a
//! temporary directory) and `mongodb::<case>` (a fresh database on the server
//! named by `PAYGATE_MONGODB_URI`). When that variable is unset the MongoDB
//! cases say so and return (unless the run requires every backend: `CI` or
//! `PAYGATE_REQUIRE_BACKENDS=1`, then they fail); when it is set but the
//! server cannot be reached they fail.

use std::sync::Arc;

use paygate_core::store::{
    CollectionSpec, Document, DueCursor, Encoded, Filter, MongoStore, Page, Range, SqliteStore, Store, StoreError,
};
use serde_json::{Value, json};

const WIDGETS: CollectionSpec = CollectionSpec {
    name: "widgets",
    unique: &["email", "externalRef"],
    indexed: &["status", "livemode", "amount", "owner"],
    grouped: &["owner", "livemode"],
};

const LEDGER: CollectionSpec = CollectionSpec { name: "ledger", unique: &[], indexed: &["account"], grouped: &[] };

const SPECS: &[CollectionSpec] = &[WIDGETS, LEDGER];

/// What a case gets: the store, migrated with `SPECS`, and how many
/// concurrent tasks the concurrency cases should use (the MongoDB test
/// server is far slower than SQLite).
struct Ctx {
    store: Arc<dyn Store>,
    tasks: usize,
}

mod suite {
    use super::*;
    use tokio::sync::Barrier;

    fn widget(id: &str, created_at: i64, extra: Value) -> Value {
        let mut body = json!({ "id": id, "createdAt": created_at });
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        body
    }

    fn ids(docs: &[Document]) -> Vec<&str> {
        docs.iter().map(|d| d.id.as_str()).collect()
    }

    fn first_page(limit: usize) -> Page {
        Page { limit, starting_after: None }
    }

    async fn find_ids(store: &dyn Store, filter: Filter) -> Vec<String> {
        let page = store.find("widgets", &filter, &first_page(100)).await.expect("find");
        assert!(!page.has_more);
        page.data.into_iter().map(|d| d.id).collect()
    }

    /// Every document matching `filter`, walking pages of `limit`; also
    /// checks that `has_more` is true exactly on the pages before the last.
    async fn walk(store: &dyn Store, collection: &str, filter: &Filter, limit: usize) -> Vec<Document> {
        let mut all = Vec::new();
        let mut page = first_page(limit);
        loop {
            let result = store.find(collection, filter, &page).await.expect("find page");
            assert!(result.data.len() <= limit);
            let has_more = result.has_more;
            if has_more {
                assert_eq!(result.data.len(), limit, "a page before the last is full");
            }
            all.extend(result.data);
            if !has_more {
                return all;
            }
            page.starting_after = all.last().map(|d| d.id.clone());
        }
    }

    pub async fn insert_sets_version_and_rejects_duplicate_id(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let doc =
            store.insert("widgets", widget("w1", 10, json!({"status": "open", "version": 7}))).await.expect("insert");
        assert_eq!((doc.id.as_str(), doc.version, doc.created_at), ("w1", 1, 10));
        assert_eq!(doc.body, json!({"id": "w1", "createdAt": 10, "status": "open", "version": 1}));

        let again = store.insert("widgets", widget("w1", 20, json!({"status": "paid"}))).await;
        assert!(matches!(&again, Err(StoreError::Duplicate { field }) if field == "id"), "duplicate id: {again:?}");
        let stored = store.get("widgets", "w1").await.expect("get").expect("present");
        assert_eq!(stored, doc, "the clash left the first document alone");

        // The same id in another collection is a different document.
        store.insert("ledger", widget("w1", 10, json!({}))).await.expect("same id, other collection");
    }

    pub async fn insert_rejects_malformed_bodies(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        for body in [
            json!(["not", "an", "object"]),
            json!({"createdAt": 1}),
            json!({"id": "", "createdAt": 1}),
            json!({"id": 5, "createdAt": 1}),
            json!({"id": "x"}),
            json!({"id": "x", "createdAt": "yesterday"}),
        ] {
            let result = store.insert("widgets", body.clone()).await;
            assert!(matches!(result, Err(StoreError::Backend(_))), "{body}: {result:?}");
        }
    }

    pub async fn duplicate_unique_field(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        store
            .insert("widgets", widget("a", 1, json!({"email": "x@example.com", "externalRef": "r1"})))
            .await
            .expect("insert a");

        let clash = store.insert("widgets", widget("b", 2, json!({"email": "x@example.com"}))).await;
        assert!(matches!(&clash, Err(StoreError::Duplicate { field }) if field == "email"), "email clash: {clash:?}");
        let clash =
            store.insert("widgets", widget("c", 3, json!({"email": "y@example.com", "externalRef": "r1"}))).await;
        assert!(
            matches!(&clash, Err(StoreError::Duplicate { field }) if field == "externalRef"),
            "externalRef clash: {clash:?}"
        );
        assert!(store.get("widgets", "b").await.expect("get").is_none());
        assert!(store.get("widgets", "c").await.expect("get").is_none());

        // A compare-and-swap that would take another document's value is
        // refused too, and changes nothing.
        let d = store.insert("widgets", widget("d", 4, json!({"email": "d@example.com"}))).await.expect("insert d");
        let mut body = d.body.clone();
        body["email"] = json!("x@example.com");
        let clash = store.compare_and_swap("widgets", "d", d.version, body).await;
        assert!(
            matches!(&clash, Err(StoreError::Duplicate { field }) if field == "email"),
            "email clash on swap: {clash:?}"
        );
        assert_eq!(store.get("widgets", "d").await.expect("get"), Some(d));
    }

    pub async fn unique_field_absent_or_null_does_not_clash(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        for (i, extra) in [json!({}), json!({}), json!({"email": null}), json!({"email": null})].into_iter().enumerate()
        {
            let id = format!("n{i}");
            store.insert("widgets", widget(&id, 1, extra)).await.unwrap_or_else(|e| panic!("insert {id}: {e:?}"));
        }
        store
            .insert("widgets", widget("present", 1, json!({"email": "p@example.com"})))
            .await
            .expect("a present value next to absent ones");
    }

    pub async fn get_present_and_absent(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let inserted = store
            .insert("widgets", widget("g1", 5, json!({"nested": {"list": [1, "two", 3.5, false]}})))
            .await
            .expect("insert");
        let got = store.get("widgets", "g1").await.expect("get").expect("present");
        assert_eq!(got, inserted);
        assert_eq!(got.body["nested"], json!({"list": [1, "two", 3.5, false]}));
        assert!(store.get("widgets", "nope").await.expect("get").is_none());
        assert!(store.get("ledger", "g1").await.expect("get").is_none());
    }

    pub async fn indexed_equality_filters(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        for body in [
            widget("a", 1, json!({"status": "open", "livemode": true, "amount": 100, "owner": "o1"})),
            widget("b", 2, json!({"status": "open", "livemode": false, "amount": 100, "owner": "o2"})),
            widget("c", 3, json!({"status": "paid", "livemode": true, "amount": 250, "owner": "o1"})),
            // Look-alikes of another type that must not match.
            widget("d", 4, json!({"status": "open", "livemode": 1, "amount": "100", "owner": "o1"})),
            widget("e", 5, json!({"status": "open", "livemode": 0, "amount": true})),
        ] {
            store.insert("widgets", body).await.expect("insert");
        }

        assert_eq!(find_ids(store, vec![("status", json!("open"))]).await, ["e", "d", "b", "a"]);
        assert_eq!(find_ids(store, vec![("livemode", json!(true))]).await, ["c", "a"]);
        assert_eq!(find_ids(store, vec![("livemode", json!(false))]).await, ["b"]);
        assert_eq!(find_ids(store, vec![("amount", json!(100))]).await, ["b", "a"]);
        assert_eq!(find_ids(store, vec![("amount", json!(1))]).await, Vec::<String>::new());
        assert_eq!(find_ids(store, vec![("status", json!("open")), ("livemode", json!(true))]).await, ["a"]);
        assert_eq!(
            find_ids(store, vec![("status", json!("open")), ("owner", json!("o1")), ("amount", json!(100))]).await,
            ["a"]
        );
        assert_eq!(find_ids(store, vec![("owner", json!("o1")), ("livemode", json!(true))]).await, ["c", "a"]);
        assert_eq!(find_ids(store, vec![("status", json!("void"))]).await, Vec::<String>::new());
        assert_eq!(find_ids(store, vec![]).await, ["e", "d", "c", "b", "a"]);

        let found = store.find_one("widgets", "status", &json!("paid")).await.expect("find_one");
        assert_eq!(found.map(|d| d.id), Some("c".to_owned()));
        let found = store.find_one("widgets", "livemode", &json!(false)).await.expect("find_one");
        assert_eq!(found.map(|d| d.id), Some("b".to_owned()));
        let found = store.find_one("widgets", "email", &json!("none@example.com")).await;
        assert!(found.expect("find_one").is_none());

        // Unindexed fields and unsupported values are refused, not scanned.
        let unindexed = store.find("widgets", &vec![("colour", json!("red"))], &first_page(10)).await;
        assert!(matches!(unindexed, Err(StoreError::Backend(_))), "{unindexed:?}");
        let unindexed = store.find_one("widgets", "colour", &json!("red")).await;
        assert!(matches!(unindexed, Err(StoreError::Backend(_))), "{unindexed:?}");
        let float = store.find("widgets", &vec![("amount", json!(1.5))], &first_page(10)).await;
        assert!(matches!(float, Err(StoreError::Backend(_))), "{float:?}");
    }

    pub async fn pagination_is_stable_newest_first(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        // Ties on createdAt are broken by id, descending; ids are inserted
        // out of order so that insertion order cannot pass for that.
        let rows = [
            ("p3", 200, "open"),
            ("p1", 100, "open"),
            ("p7", 400, "paid"),
            ("p5", 300, "open"),
            ("p2", 200, "paid"),
            ("p6", 300, "open"),
            ("p4", 200, "open"),
        ];
        for (id, created_at, status) in rows {
            store.insert("widgets", widget(id, created_at, json!({"status": status}))).await.expect("insert");
        }
        let everything = ["p7", "p6", "p5", "p4", "p3", "p2", "p1"];

        for limit in [1, 2, 3, 6, 7, 50] {
            let all = walk(store, "widgets", &vec![], limit).await;
            assert_eq!(ids(&all), everything, "limit {limit}");
        }
        let open = walk(store, "widgets", &vec![("status", json!("open"))], 2).await;
        assert_eq!(ids(&open), ["p6", "p5", "p4", "p3", "p1"]);

        let exact = store.find("widgets", &vec![], &first_page(7)).await.expect("find");
        assert_eq!((exact.data.len(), exact.has_more), (7, false));
        let short = store.find("widgets", &vec![], &first_page(6)).await.expect("find");
        assert_eq!((short.data.len(), short.has_more), (6, true));

        // The cursor need not match the filter: it only marks a position.
        let after_paid = Page { limit: 10, starting_after: Some("p2".into()) };
        let rest = store.find("widgets", &vec![("status", json!("open"))], &after_paid).await.expect("find");
        assert_eq!((ids(&rest.data), rest.has_more), (vec!["p1"], false));

        let last = Page { limit: 10, starting_after: Some("p1".into()) };
        let tail = store.find("widgets", &vec![], &last).await.expect("find");
        assert!(tail.data.is_empty() && !tail.has_more);

        let unknown = Page { limit: 10, starting_after: Some("nope".into()) };
        let result = store.find("widgets", &vec![], &unknown).await;
        assert!(matches!(result, Err(StoreError::UnknownCursor)), "{result:?}");
        // An id of another collection is no cursor here either.
        store.insert("ledger", widget("l1", 1, json!({}))).await.expect("insert");
        let foreign = Page { limit: 10, starting_after: Some("l1".into()) };
        let result = store.find("widgets", &vec![], &foreign).await;
        assert!(matches!(result, Err(StoreError::UnknownCursor)), "{result:?}");
    }

    pub async fn compare_and_swap_bumps_version(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let v1 = store.insert("widgets", widget("s", 7, json!({"status": "open", "amount": 1}))).await.expect("insert");
        let mut body = v1.body.clone();
        body["status"] = json!("paid");
        let v2 = store.compare_and_swap("widgets", "s", 1, body).await.expect("swap");
        assert_eq!((v2.version, v2.created_at), (2, 7));
        assert_eq!(v2.body["version"], json!(2));
        assert_eq!(v2.body["status"], json!("paid"));
        assert_eq!(store.get("widgets", "s").await.expect("get"), Some(v2.clone()));
        // The indexes follow the new body.
        assert_eq!(find_ids(store, vec![("status", json!("paid"))]).await, ["s"]);
        assert!(find_ids(store, vec![("status", json!("open"))]).await.is_empty());

        // The body may leave `id` out; it is the document's.
        let v3 = store
            .compare_and_swap("widgets", "s", 2, json!({"createdAt": 7, "status": "void"}))
            .await
            .expect("swap without id");
        assert_eq!(v3.body, json!({"id": "s", "createdAt": 7, "status": "void", "version": 3}));

        let wrong_id = store.compare_and_swap("widgets", "s", 3, json!({"id": "t", "createdAt": 7})).await;
        assert!(matches!(wrong_id, Err(StoreError::Backend(_))), "{wrong_id:?}");
    }

    pub async fn compare_and_swap_stale_version_conflicts(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let v1 = store.insert("widgets", widget("s", 7, json!({"amount": 1}))).await.expect("insert");
        let mut first = v1.body.clone();
        first["amount"] = json!(2);
        let v2 = store.compare_and_swap("widgets", "s", v1.version, first).await.expect("first writer wins");

        let mut second = v1.body.clone();
        second["amount"] = json!(3);
        for stale in [v1.version, 0, 99] {
            let lost = store.compare_and_swap("widgets", "s", stale, second.clone()).await;
            assert!(matches!(lost, Err(StoreError::VersionConflict)), "{stale}: {lost:?}");
        }
        assert_eq!(store.get("widgets", "s").await.expect("get"), Some(v2));
    }

    pub async fn compare_and_swap_missing_is_not_found(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let missing = store.compare_and_swap("widgets", "ghost", 1, widget("ghost", 1, json!({}))).await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
        assert!(store.get("widgets", "ghost").await.expect("get").is_none());
    }

    /// `tasks` writers read, increment and swap the same document, retrying
    /// on conflict: with no lost update the counter ends at `tasks`.
    pub async fn concurrent_compare_and_swap_loses_no_update(ctx: &Ctx) {
        ctx.store.insert("widgets", widget("race", 1, json!({"hits": 0}))).await.expect("insert");
        let barrier = Arc::new(Barrier::new(ctx.tasks));
        let writers: Vec<_> = (0..ctx.tasks)
            .map(|_| {
                let store = Arc::clone(&ctx.store);
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut conflicts = 0_usize;
                    loop {
                        let doc = store.get("widgets", "race").await.expect("get").expect("present");
                        let mut body = doc.body.clone();
                        body["hits"] = json!(body["hits"].as_i64().expect("hits") + 1);
                        match store.compare_and_swap("widgets", "race", doc.version, body).await {
                            Ok(_) => return conflicts,
                            Err(StoreError::VersionConflict) => conflicts += 1,
                            Err(other) => panic!("swap failed: {other:?}"),
                        }
                    }
                })
            })
            .collect();
        let mut conflicts = 0;
        for writer in writers {
            conflicts += writer.await.expect("writer task");
        }
        let doc = ctx.store.get("widgets", "race").await.expect("get").expect("present");
        let tasks = i64::try_from(ctx.tasks).expect("small");
        assert_eq!(doc.body["hits"], json!(tasks));
        assert_eq!(doc.version, tasks + 1);
        println!("{} writers, {conflicts} conflicts retried", ctx.tasks);
    }

    pub async fn concurrent_inserts_all_land(ctx: &Ctx) {
        let barrier = Arc::new(Barrier::new(ctx.tasks));
        let inserters: Vec<_> = (0..ctx.tasks)
            .map(|i| {
                let store = Arc::clone(&ctx.store);
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let account = if i % 2 == 0 { "even" } else { "odd" };
                    let created_at = i64::try_from(i / 3).expect("small");
                    let body = widget(&format!("l{i:04}"), created_at, json!({"account": account}));
                    store.insert("ledger", body).await.expect("insert");
                })
            })
            .collect();
        for inserter in inserters {
            inserter.await.expect("inserter task");
        }
        let all = walk(ctx.store.as_ref(), "ledger", &vec![], 7).await;
        let mut got: Vec<String> = all.into_iter().map(|d| d.id).collect();
        got.sort_unstable();
        let expected: Vec<String> = (0..ctx.tasks).map(|i| format!("l{i:04}")).collect();
        assert_eq!(got, expected);
        let even = walk(ctx.store.as_ref(), "ledger", &vec![("account", json!("even"))], 5).await;
        assert_eq!(even.len(), ctx.tasks.div_ceil(2));
    }

    /// Many concurrent writes where some must fail (duplicate id, duplicate
    /// unique field, stale version, missing document) next to others that
    /// must land: a backend that groups writes into one transaction must
    /// still give each its own outcome, and keep exactly the successes.
    pub async fn concurrent_mixed_writes_each_get_their_own_outcome(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let operations = 4 * ctx.tasks;
        let originals = operations.div_ceil(5);
        for k in 0..originals {
            store
                .insert("widgets", widget(&format!("m{k:03}"), 1, json!({"email": format!("m{k}@example.com")})))
                .await
                .expect("insert original");
        }
        let barrier = Arc::new(Barrier::new(operations));
        let writers: Vec<_> = (0..operations)
            .map(|i| {
                let store = Arc::clone(&ctx.store);
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let original = format!("m{:03}", i / 5);
                    let email = format!("m{}@example.com", i / 5);
                    match i % 5 {
                        0 => {
                            let body = widget(&format!("n{i:03}"), 2, json!({"email": format!("n{i}@example.com")}));
                            store.insert("widgets", body).await.expect("a new document lands");
                        }
                        1 => {
                            let clash = store.insert("widgets", widget(&original, 2, json!({}))).await;
                            assert!(
                                matches!(&clash, Err(StoreError::Duplicate { field }) if field == "id"),
                                "{clash:?}"
                            );
                        }
                        2 => {
                            let body = widget(&format!("e{i:03}"), 2, json!({"email": email}));
                            let clash = store.insert("widgets", body).await;
                            assert!(
                                matches!(&clash, Err(StoreError::Duplicate { field }) if field == "email"),
                                "{clash:?}"
                            );
                        }
                        3 => {
                            let body = widget(&original, 1, json!({"email": email, "status": "swapped"}));
                            let swapped = store.compare_and_swap("widgets", &original, 1, body).await;
                            assert_eq!(swapped.expect("the only swap of its document").version, 2);
                        }
                        _ => {
                            let stale =
                                store.compare_and_swap("widgets", &original, 99, widget(&original, 1, json!({})));
                            assert!(matches!(stale.await, Err(StoreError::VersionConflict)));
                            let ghost = format!("ghost{i}");
                            let missing = store.compare_and_swap("widgets", &ghost, 1, widget(&ghost, 1, json!({})));
                            assert!(matches!(missing.await, Err(StoreError::NotFound)));
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer task");
        }

        let mut got: Vec<String> = walk(store, "widgets", &vec![], 50).await.into_iter().map(|d| d.id).collect();
        got.sort_unstable();
        let mut expected: Vec<String> = (0..originals).map(|k| format!("m{k:03}")).collect();
        expected.extend((0..operations).filter(|i| i % 5 == 0).map(|i| format!("n{i:03}")));
        expected.sort_unstable();
        assert_eq!(got, expected, "exactly the originals and the new documents");
        let swapped = find_ids(store, vec![("status", json!("swapped"))]).await;
        assert_eq!(swapped.len(), (0..operations).filter(|i| i % 5 == 3).count());
        for id in swapped {
            let doc = store.get("widgets", &id).await.expect("get").expect("present");
            assert_eq!(doc.version, 2, "{id}: one swap, none of the stale ones");
        }
    }

    pub async fn delete_removes_once(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        store
            .insert("widgets", widget("x", 1, json!({"email": "x@example.com", "status": "open"})))
            .await
            .expect("insert");
        assert!(store.delete("widgets", "x").await.expect("delete"));
        assert!(store.get("widgets", "x").await.expect("get").is_none());
        assert!(!store.delete("widgets", "x").await.expect("second delete"));
        assert!(!store.delete("widgets", "never").await.expect("delete missing"));
        assert!(find_ids(store, vec![("status", json!("open"))]).await.is_empty());
        // Its id and unique values are free again.
        let again =
            store.insert("widgets", widget("x", 2, json!({"email": "x@example.com"}))).await.expect("re-insert");
        assert_eq!(again.version, 1);
    }

    /// Every due document, walking pages of `limit` with the cursor.
    async fn walk_due(store: &dyn Store, up_to: i64, limit: usize) -> Vec<String> {
        let mut all = Vec::new();
        let mut after: Option<DueCursor> = None;
        loop {
            let page = store.find_due("widgets", up_to, after.as_ref(), limit).await.expect("find_due");
            assert!(page.len() <= limit);
            let Some(last) = page.last() else { return all };
            after = Some(last.due_cursor().expect("a due document has a due position"));
            all.extend(page.into_iter().map(|d| d.id));
        }
    }

    pub async fn find_due_walks_oldest_first_from_a_cursor(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        // Created newest-first on purpose: due order has nothing to do with
        // creation order.
        let due = [("d1", 30), ("d2", 10), ("d3", 20), ("d4", 10), ("d5", 40), ("d6", 50)];
        for (n, (id, due_at)) in due.iter().enumerate() {
            let created_at = 100 - i64::try_from(n).expect("small");
            store.insert("widgets", widget(id, created_at, json!({ "dueAt": due_at }))).await.expect("insert");
        }
        // Not due: no field, null, and values that are not integers.
        for (id, extra) in [
            ("n1", json!({})),
            ("n2", json!({"dueAt": null})),
            ("n3", json!({"dueAt": "5"})),
            ("n4", json!({"dueAt": true})),
            ("n5", json!({"dueAt": 5.5})),
        ] {
            store.insert("widgets", widget(id, 1, extra)).await.expect("insert");
        }
        // Ties on dueAt go by id; the bound is inclusive.
        assert_eq!(walk_due(store, 40, 2).await, ["d2", "d4", "d3", "d1", "d5"]);
        assert_eq!(walk_due(store, 40, 100).await, ["d2", "d4", "d3", "d1", "d5"]);
        assert_eq!(walk_due(store, 9, 10).await, Vec::<String>::new());
        let after = DueCursor { due_at: 10, id: "d2".into() };
        let page = store.find_due("widgets", 1_000, Some(&after), 3).await.expect("find_due");
        assert_eq!(ids(&page), ["d4", "d3", "d1"]);
        assert_eq!(page[0].due_at(), Some(10));
        // A cursor whose document is gone still marks a position.
        store.delete("widgets", "d3").await.expect("delete");
        let after = DueCursor { due_at: 20, id: "d3".into() };
        let page = store.find_due("widgets", 1_000, Some(&after), 10).await.expect("find_due");
        assert_eq!(ids(&page), ["d1", "d5", "d6"]);

        // Moving a document's dueAt moves it in due order; removing the
        // field takes it out.
        let d6 = store.get("widgets", "d6").await.expect("get").expect("d6");
        store
            .compare_and_swap("widgets", "d6", d6.version, widget("d6", d6.created_at, json!({"dueAt": 1})))
            .await
            .expect("swap");
        let d1 = store.get("widgets", "d1").await.expect("get").expect("d1");
        store
            .compare_and_swap("widgets", "d1", d1.version, widget("d1", d1.created_at, json!({})))
            .await
            .expect("swap");
        assert_eq!(walk_due(store, 1_000, 2).await, ["d6", "d2", "d4", "d5"]);
        assert!(matches!(store.find_due("gadgets", 1, None, 1).await, Err(StoreError::Backend(_))));
    }

    pub async fn count_matches_the_filter_up_to_a_bound(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        for n in 0..7 {
            let status = if n < 5 { "open" } else { "paid" };
            let owner = if n % 2 == 0 { "a" } else { "b" };
            store
                .insert("widgets", widget(&format!("c{n}"), n, json!({"status": status, "owner": owner})))
                .await
                .expect("insert");
        }
        let count = |filter: Filter, up_to| async move { store.count("widgets", &filter, up_to).await.expect("count") };
        assert_eq!(count(vec![("status", json!("open"))], 100).await, 5);
        assert_eq!(count(vec![("status", json!("open")), ("owner", json!("a"))], 100).await, 3);
        assert_eq!(count(vec![("status", json!("open"))], 2).await, 2, "counting stops at the bound");
        assert_eq!(count(vec![("status", json!("gone"))], 100).await, 0);
        assert_eq!(count(vec![], 100).await, 7);
        let refused = store.count("widgets", &vec![("color", json!("red"))], 10).await;
        assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
    }

    pub async fn ranges_narrow_finds_and_counts(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        for (n, amount) in [(1, json!(100)), (2, json!(250)), (3, json!(500)), (4, json!(750)), (5, json!(1000))] {
            let owner = if n % 2 == 0 { "even" } else { "odd" };
            store
                .insert("widgets", widget(&format!("r{n}"), n * 10, json!({"amount": amount, "owner": owner})))
                .await
                .expect("insert");
        }
        // Look-alikes of another type never fall in a range.
        store.insert("widgets", widget("s", 30, json!({"amount": "300", "owner": "odd"}))).await.expect("insert");
        store.insert("widgets", widget("t", 30, json!({"amount": true, "owner": "odd"}))).await.expect("insert");
        store.insert("widgets", widget("u", 35, json!({"owner": "odd"}))).await.expect("insert");

        let find = |filter: Filter, ranges: Vec<Range>| async move {
            let page = store.find_in("widgets", &filter, &ranges, &first_page(100)).await.expect("find_in");
            page.data.into_iter().map(|d| d.id).collect::<Vec<_>>()
        };
        let amount = |min, max| Range::new("amount", min, max);
        let created = |min, max| Range::new("createdAt", min, max);
        assert_eq!(find(vec![], vec![amount(Some(250), Some(750))]).await, ["r4", "r3", "r2"]);
        assert_eq!(find(vec![], vec![amount(Some(501), None)]).await, ["r5", "r4"]);
        assert_eq!(find(vec![], vec![amount(None, Some(100))]).await, ["r1"]);
        assert_eq!(find(vec![], vec![amount(Some(1), Some(2))]).await, Vec::<String>::new());
        assert_eq!(find(vec![], vec![amount(Some(750), Some(250))]).await, Vec::<String>::new(), "empty range");
        assert_eq!(find(vec![], vec![created(Some(20), Some(40))]).await, ["r4", "u", "t", "s", "r3", "r2"]);
        assert_eq!(find(vec![], vec![created(None, Some(10))]).await, ["r1"]);
        assert_eq!(
            find(vec![("owner", json!("odd"))], vec![created(Some(20), None), amount(Some(0), None)]).await,
            ["r5", "r3"]
        );
        // A field both filtered by equality and ranged keeps both.
        assert_eq!(find(vec![("amount", json!(500))], vec![amount(Some(400), Some(600))]).await, ["r3"]);
        assert_eq!(find(vec![("amount", json!(500))], vec![amount(Some(600), None)]).await, Vec::<String>::new());

        // Pages walk the ranged set exactly: full pages, nothing skipped.
        let ranges = vec![amount(Some(100), Some(1000))];
        let mut seen = Vec::new();
        let mut page = first_page(2);
        loop {
            let result = store.find_in("widgets", &vec![], &ranges, &page).await.expect("page");
            if result.has_more {
                assert_eq!(result.data.len(), 2, "a page before the last is full");
            }
            seen.extend(result.data.iter().map(|d| d.id.clone()));
            if !result.has_more {
                break;
            }
            page.starting_after = seen.last().cloned();
        }
        assert_eq!(seen, ["r5", "r4", "r3", "r2", "r1"]);

        let count = store.count_in("widgets", &vec![("owner", json!("odd"))], &[amount(Some(100), None)], 100).await;
        assert_eq!(count.expect("count_in"), 3);
        let count = store.count_in("widgets", &vec![], &[created(Some(30), Some(35))], 2).await;
        assert_eq!(count.expect("count_in"), 2, "counting stops at the bound");

        // Ranges on undeclared fields are refused, not scanned.
        let refused = store.find_in("widgets", &vec![], &[Range::new("colour", Some(1), None)], &first_page(10)).await;
        assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
        let refused = store.count_in("widgets", &vec![], &[Range::new("colour", None, Some(1))], 10).await;
        assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
    }

    pub async fn delete_version_removes_only_the_version_judged(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let first = store.insert("widgets", widget("v", 1, json!({"status": "old"}))).await.expect("insert");
        let second = store
            .compare_and_swap("widgets", "v", first.version, widget("v", 1, json!({"status": "new"})))
            .await
            .expect("swap");
        let stale = store.delete_version("widgets", "v", first.version).await;
        assert!(matches!(stale, Err(StoreError::VersionConflict)), "{stale:?}");
        assert!(store.get("widgets", "v").await.expect("get").is_some());
        store.delete_version("widgets", "v", second.version).await.expect("delete current version");
        assert!(store.get("widgets", "v").await.expect("get").is_none());
        let gone = store.delete_version("widgets", "v", second.version).await;
        assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    }

    pub async fn unmigrated_collection_is_refused(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let body = widget("u", 1, json!({}));
        let results = [
            store.insert("gadgets", body.clone()).await.err(),
            store.get("gadgets", "u").await.err(),
            store.find("gadgets", &vec![], &first_page(10)).await.err(),
            store.compare_and_swap("gadgets", "u", 1, body).await.err(),
            store.delete("gadgets", "u").await.err(),
            store.delete_version("gadgets", "u", 1).await.err(),
            store.find_due("gadgets", 1, None, 1).await.err(),
        ];
        for result in results {
            assert!(matches!(&result, Some(StoreError::Backend(message)) if message.contains("gadgets")), "{result:?}");
        }
        let bad = CollectionSpec { name: "bad name\"; --", unique: &[], indexed: &[], grouped: &[] };
        assert!(matches!(store.migrate(&[bad]).await, Err(StoreError::Backend(_))));
        let bad_field = CollectionSpec { name: "fine", unique: &["a.b"], indexed: &[], grouped: &[] };
        assert!(matches!(store.migrate(&[bad_field]).await, Err(StoreError::Backend(_))));
    }

    pub async fn insert_each_stores_a_prefix_across_collections(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let entry = |id: &str| json!({ "id": id, "createdAt": 5, "account": "acct_1" });
        let (stored, failure) = store
            .insert_each(vec![
                ("widgets", widget("e1", 5, json!({"email": "e1@example.com"}))),
                ("ledger", entry("l1")),
            ])
            .await;
        assert!(failure.is_none(), "{failure:?}");
        assert_eq!(ids(&stored), ["e1", "l1"]);
        assert!(stored.iter().all(|d| d.version == 1));
        assert_eq!(store.get("ledger", "l1").await.expect("get").expect("stored").body["account"], "acct_1");

        // The second clashes: the first stands, the third is never written.
        let (stored, failure) = store
            .insert_each(vec![
                ("widgets", widget("e2", 6, json!({}))),
                ("ledger", entry("l1")),
                ("ledger", entry("l3")),
            ])
            .await;
        assert_eq!(ids(&stored), ["e2"]);
        assert!(matches!(&failure, Some(StoreError::Duplicate { field }) if field == "id"), "{failure:?}");
        assert!(store.get("widgets", "e2").await.expect("get").is_some());
        assert!(store.get("ledger", "l3").await.expect("get").is_none());

        // A collection nobody migrated stops the run where it stands.
        let (stored, failure) =
            store.insert_each(vec![("ledger", entry("l4")), ("gadgets", widget("g1", 7, json!({})))]).await;
        assert_eq!(ids(&stored), ["l4"]);
        assert!(matches!(&failure, Some(StoreError::Backend(message)) if message.contains("gadgets")), "{failure:?}");
        let (stored, failure) = store.insert_each(Vec::new()).await;
        assert!(stored.is_empty() && failure.is_none());
    }

    /// A widget as a caller's own type, for the encoded path.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TypedWidget {
        id: &'static str,
        version: i64,
        created_at: i64,
        status: &'static str,
        owner: &'static str,
        livemode: bool,
        amount: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'static str>,
        notes: Vec<&'static str>,
    }

    fn typed(id: &'static str, created_at: i64, status: &'static str) -> TypedWidget {
        TypedWidget {
            id,
            version: 0,
            created_at,
            status,
            owner: "org_1",
            livemode: true,
            amount: 700,
            email: None,
            notes: vec!["a", "b"],
        }
    }

    fn encode(widget: &TypedWidget, version: i64, due_at: Option<i64>) -> Encoded {
        Encoded::new(widget, &WIDGETS, version, due_at).expect("encoded")
    }

    pub async fn encoded_writes_read_back_and_are_indexed_as_values(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let mut first = typed("t1", 10, "open");
        first.email = Some("t1@example.com");
        store.insert_encoded("widgets", encode(&first, 1, Some(50))).await.expect("insert");
        let stored = store.get("widgets", "t1").await.expect("get").expect("stored");
        assert_eq!((stored.version, stored.created_at), (1, 10));
        assert_eq!(
            stored.body,
            json!({"id": "t1", "version": 1, "createdAt": 10, "status": "open", "owner": "org_1",
                   "livemode": true, "amount": 700, "email": "t1@example.com", "notes": ["a", "b"], "dueAt": 50})
        );
        let open = vec![("status", json!("open")), ("owner", json!("org_1")), ("livemode", json!(true))];
        assert_eq!(find_ids(store, open.clone()).await, ["t1"]);
        assert_eq!(find_ids(store, vec![("amount", json!(700))]).await, ["t1"]);
        assert_eq!(ids(&store.find_due("widgets", 50, None, 10).await.expect("due")), ["t1"]);
        // Unique fields clash across the two paths, both ways.
        let clash = store.insert("widgets", widget("v1", 11, json!({"email": "t1@example.com"}))).await;
        assert!(matches!(&clash, Err(StoreError::Duplicate { field }) if field == "email"), "{clash:?}");
        store.insert("widgets", widget("v2", 12, json!({"email": "v2@example.com"}))).await.expect("insert value");
        let mut second = typed("t2", 13, "open");
        second.email = Some("v2@example.com");
        let clash = store.insert_encoded("widgets", encode(&second, 1, None)).await;
        assert!(matches!(&clash, Err(StoreError::Duplicate { field }) if field == "email"), "{clash:?}");
        let clash = store.insert_encoded("widgets", encode(&typed("t1", 14, "open"), 1, None)).await;
        assert!(matches!(&clash, Err(StoreError::Duplicate { field }) if field == "id"), "{clash:?}");
        // A new document is version 1.
        let refused = store.insert_encoded("widgets", encode(&typed("t3", 15, "open"), 2, None)).await;
        assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
        assert!(store.get("widgets", "t3").await.expect("get").is_none());

        // A swap moves the indexed fields and the due time with the text.
        first.version = 1;
        first.status = "paid";
        store.compare_and_swap_encoded("widgets", "t1", 1, encode(&first, 2, None)).await.expect("swap");
        let swapped = store.get("widgets", "t1").await.expect("get").expect("stored");
        assert_eq!((swapped.version, &swapped.body["status"], swapped.body.get("dueAt")), (2, &json!("paid"), None));
        assert!(find_ids(store, open).await.is_empty());
        assert_eq!(find_ids(store, vec![("status", json!("paid"))]).await, ["t1"]);
        assert!(store.find_due("widgets", i64::MAX, None, 10).await.expect("due").is_empty());
        // A stale version loses; a version that is not the next one, or
        // another document's id, is refused and changes nothing.
        let stale = store.compare_and_swap_encoded("widgets", "t1", 1, encode(&first, 2, None)).await;
        assert!(matches!(stale, Err(StoreError::VersionConflict)), "{stale:?}");
        let skipped = store.compare_and_swap_encoded("widgets", "t1", 2, encode(&first, 4, None)).await;
        assert!(matches!(skipped, Err(StoreError::Backend(_))), "{skipped:?}");
        let other = store.compare_and_swap_encoded("widgets", "v2", 1, encode(&first, 2, None)).await;
        assert!(matches!(other, Err(StoreError::Backend(_))), "{other:?}");
        let missing = store.compare_and_swap_encoded("widgets", "t9", 1, encode(&typed("t9", 1, "x"), 2, None)).await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
        assert_eq!(store.get("widgets", "t1").await.expect("get").expect("stored").version, 2);
        assert_eq!(store.get("widgets", "v2").await.expect("get").expect("stored").version, 1);
    }

    pub async fn insert_each_encoded_stores_a_prefix_across_collections(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        let entry = |id: &str| json!({ "id": id, "createdAt": 5, "account": "acct_1" });
        let ledger = |id: &str| Encoded::new(&entry(id), &LEDGER, 1, None).expect("encoded");
        let (stored, failure) = store
            .insert_each_encoded(vec![("widgets", encode(&typed("x1", 5, "open"), 1, None)), ("ledger", ledger("k1"))])
            .await;
        assert_eq!((stored, failure.is_none()), (2, true), "{failure:?}");
        assert_eq!(store.get("ledger", "k1").await.expect("get").expect("stored").body["account"], "acct_1");
        // The second clashes: the first stands, the third is never written.
        let (stored, failure) = store
            .insert_each_encoded(vec![
                ("widgets", encode(&typed("x2", 6, "open"), 1, None)),
                ("ledger", ledger("k1")),
                ("ledger", ledger("k3")),
            ])
            .await;
        assert_eq!(stored, 1);
        assert!(matches!(&failure, Some(StoreError::Duplicate { field }) if field == "id"), "{failure:?}");
        assert!(store.get("widgets", "x2").await.expect("get").is_some());
        assert!(store.get("ledger", "k3").await.expect("get").is_none());
    }

    pub async fn migrate_is_idempotent(ctx: &Ctx) {
        let store = ctx.store.as_ref();
        store.insert("widgets", widget("m", 1, json!({"email": "m@example.com"}))).await.expect("insert");
        store.migrate(SPECS).await.expect("second migrate");
        store.ping().await.expect("ping");
        assert!(store.get("widgets", "m").await.expect("get").is_some());
        let clash = store.insert("widgets", widget("n", 2, json!({"email": "m@example.com"}))).await;
        assert!(matches!(clash, Err(StoreError::Duplicate { .. })), "{clash:?}");
    }
}

async fn sqlite_ctx() -> (Ctx, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    // A nested path checks that `open` creates the parent directory.
    let path = dir.path().join("data").join("paygate.db");
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .expect("open task")
        .expect("open SQLite store");
    store.migrate(SPECS).await.expect("migrate");
    (Ctx { store: Arc::new(store), tasks: 64 }, dir)
}

/// In CI (`CI` set) or with `PAYGATE_REQUIRE_BACKENDS=1`, a backend whose
/// variable is missing fails the test: a green run must mean it ran.
fn backends_required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("PAYGATE_REQUIRE_BACKENDS")
}

/// A store on a database of its own, or `None` when no server is configured.
async fn mongo_ctx() -> Option<(Ctx, Arc<MongoStore>)> {
    let Ok(uri) = std::env::var("PAYGATE_MONGODB_URI") else {
        assert!(!backends_required(), "PAYGATE_MONGODB_URI is not set, and this run requires every backend");
        println!("skipped: PAYGATE_MONGODB_URI not set");
        return None;
    };
    let database = format!("paygate_test_{:016x}", rand::random::<u64>());
    let store = MongoStore::connect(&uri, &database)
        .await
        .unwrap_or_else(|e| panic!("PAYGATE_MONGODB_URI is set but unusable: {e}"));
    store.migrate(SPECS).await.expect("migrate");
    let store = Arc::new(store);
    let ctx = Ctx { store: Arc::clone(&store) as Arc<dyn Store>, tasks: 24 };
    Some((ctx, store))
}

macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (ctx, _dir) = super::sqlite_ctx().await;
                    super::suite::$case(&ctx).await;
                }
            )+
        }

        mod mongodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some((ctx, store)) = super::mongo_ctx().await else { return };
                    super::suite::$case(&ctx).await;
                    store.drop_database().await.expect("drop test database");
                }
            )+
        }
    };
}

conformance!(
    insert_sets_version_and_rejects_duplicate_id,
    insert_rejects_malformed_bodies,
    duplicate_unique_field,
    unique_field_absent_or_null_does_not_clash,
    get_present_and_absent,
    indexed_equality_filters,
    pagination_is_stable_newest_first,
    compare_and_swap_bumps_version,
    compare_and_swap_stale_version_conflicts,
    compare_and_swap_missing_is_not_found,
    concurrent_compare_and_swap_loses_no_update,
    concurrent_inserts_all_land,
    concurrent_mixed_writes_each_get_their_own_outcome,
    delete_removes_once,
    find_due_walks_oldest_first_from_a_cursor,
    delete_version_removes_only_the_version_judged,
    count_matches_the_filter_up_to_a_bound,
    ranges_narrow_finds_and_counts,
    unmigrated_collection_is_refused,
    migrate_is_idempotent,
    insert_each_stores_a_prefix_across_collections,
    encoded_writes_read_back_and_are_indexed_as_values,
    insert_each_encoded_stores_a_prefix_across_collections,
);

/// An index of a field the layout no longer declares is dropped when the
/// collection is migrated; the others and the documents stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongodb_drops_a_field_index_the_layout_no_longer_declares() {
    let Some((_ctx, store)) = mongo_ctx().await else { return };
    let earlier =
        CollectionSpec { name: "retiring", unique: &["email"], indexed: &["status", "needsWork"], grouped: &[] };
    store.migrate(&[earlier]).await.expect("migrate");
    store
        .insert("retiring", json!({"id": "r1", "createdAt": 1, "status": "open", "needsWork": true}))
        .await
        .expect("insert");
    let names = store.index_names("retiring").await.expect("index names");
    assert!(names.contains(&"idx_needsWork".to_owned()), "{names:?}");

    let now = CollectionSpec { indexed: &["status"], ..earlier };
    store.migrate(&[now]).await.expect("migrate again");
    let names = store.index_names("retiring").await.expect("index names");
    assert!(!names.contains(&"idx_needsWork".to_owned()), "{names:?}");
    for kept in ["idx_status", "uniq_email", "order", "due", "_id_"] {
        assert!(names.contains(&kept.to_owned()), "{kept} missing from {names:?}");
    }
    let page = Page { limit: 10, starting_after: None };
    let open = store.find("retiring", &vec![("status", json!("open"))], &page).await.expect("find");
    assert_eq!(open.data.len(), 1);
    assert!(store.index_names("never_created").await.expect("index names").is_empty());
    store.drop_database().await.expect("drop test database");
}
