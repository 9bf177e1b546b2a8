//! Gap-free numbers for issued documents, many at a time.
//!
//! A number is taken only by the unique insert of the document carrying it,
//! always as "last issued + 1" (see `invoices`). Issued one at a time, every
//! document waits for the insert of the one before it; issued concurrently
//! from one process, all but one issuer lose every race and retry, so a
//! number costs as many failed inserts as there are issuers. Instead, the
//! issuers of one process queue up per sequence, and whoever holds the
//! sequence's turn numbers everything queued at once: consecutive numbers,
//! stored by one ordered insert ([`crate::store::Store::insert_ordered`])
//! that stores a prefix of the run or nothing, so a crash never leaves a
//! gap, and one counter update for the run. Other processes are still kept
//! apart by the unique number key alone: a number one of them took ends the
//! run there, and the rest are numbered again after it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::Value;
use tokio::sync::oneshot;

use super::{Core, now_micros};
use crate::{
    error::{CoreError, CoreResult},
    store::{Document, StoreError},
};

/// Most documents numbered by one insert.
const MOST_AT_ONCE: usize = 256;

/// How one document's number reads, and its unique key.
pub(crate) struct NumberFormat {
    /// `sequence` → (`number`, `numberKey`).
    pub(crate) render: Box<dyn Fn(i64) -> (String, String) + Send>,
}

/// A document waiting for its number.
struct Claim {
    /// The document, its `sequence`, `number` and `numberKey` still open.
    body: Value,
    format: NumberFormat,
    reply: oneshot::Sender<CoreResult<Document>>,
}

impl Claim {
    fn id(&self) -> String {
        self.body.get("id").and_then(Value::as_str).unwrap_or_default().to_owned()
    }

    fn numbered(&self, sequence: i64) -> Value {
        let (number, number_key) = (self.format.render)(sequence);
        let mut body = self.body.clone();
        if let Value::Object(fields) = &mut body {
            fields.insert("sequence".into(), sequence.into());
            fields.insert("number".into(), number.into());
            fields.insert(NUMBER_KEY.into(), number_key.into());
        }
        body
    }
}

/// One sequence's queue and turn.
#[derive(Default)]
struct Line {
    waiting: Mutex<Vec<Claim>>,
    /// Held while numbering; the counter as last written or read, so a
    /// turn usually starts without reading it.
    turn: Arc<tokio::sync::Mutex<Option<Counter>>>,
}

/// The counter document of one sequence: the last number issued.
#[derive(Debug, Clone)]
struct Counter {
    version: i64,
    created_at: i64,
    last: i64,
}

/// Every sequence this process issues numbers in.
#[derive(Default)]
pub struct Numbering {
    lines: Mutex<HashMap<String, Arc<Line>>>,
}

impl Numbering {
    fn line(&self, sequence_id: &str) -> Arc<Line> {
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(lines.entry(sequence_id.to_owned()).or_default())
    }
}

impl Core {
    /// Stores `body` (a document of `collection`) under the next number of
    /// the sequence `sequence_id`; a document whose id is stored already
    /// was issued before and is returned as it is.
    pub(crate) async fn issue_numbered(
        &self,
        collection: &'static str,
        sequence_id: &str,
        body: Value,
        format: NumberFormat,
    ) -> CoreResult<Document> {
        let line = self.numbering.line(sequence_id);
        let (reply, mut answer) = oneshot::channel();
        line.waiting.lock().unwrap_or_else(PoisonError::into_inner).push(Claim { body, format, reply });
        loop {
            // The turn is free only once the run before has answered all it
            // took: then either this claim was answered, or it still waits.
            let mut turn = Arc::clone(&line.turn).lock_owned().await;
            match answer.try_recv() {
                Ok(outcome) => return outcome,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(CoreError::Internal(format!("{sequence_id}: numbering stopped")));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let claims: Vec<Claim> = {
                let mut waiting = line.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                let take = waiting.len().min(MOST_AT_ONCE);
                waiting.drain(..take).collect()
            };
            // The run goes on by itself, holding the turn, so an issuer
            // that stops waiting (a dropped request) cannot strand the
            // claims it took.
            let (core, sequence_id) = (self.clone(), sequence_id.to_owned());
            tokio::spawn(async move { core.number_run(collection, &sequence_id, &mut turn, claims).await });
        }
    }

    /// Numbers `claims` in order and answers each.
    async fn number_run(
        &self,
        collection: &'static str,
        sequence_id: &str,
        counter: &mut Option<Counter>,
        mut claims: Vec<Claim>,
    ) {
        let mut lost_races = 0;
        while !claims.is_empty() {
            let known = match counter.take() {
                Some(known) => Ok(Some(known)),
                None => self.read_counter(sequence_id).await,
            };
            let known = match known {
                Ok(known) => known,
                Err(err) => return answer_all(claims, &err),
            };
            let last = known.as_ref().map_or(0, |c| c.last);
            let bodies = claims.iter().enumerate().map(|(i, claim)| claim.numbered(last + 1 + i as i64)).collect();
            let (stored, failure) = self.store.insert_ordered(collection, bodies).await;
            let issued = stored.len();
            let rest = claims.split_off(issued);
            for (claim, document) in claims.into_iter().zip(stored) {
                let _ = claim.reply.send(Ok(document));
            }
            claims = rest;
            let moved = if issued > 0 || failure.is_some() {
                // A number another process took counts as issued too: the
                // counter moves past it for everyone.
                let to = last
                    + issued as i64
                    + i64::from(matches!(&failure, Some(StoreError::Duplicate { field }) if field != "id"));
                self.advance_counter(sequence_id, known, to).await
            } else {
                Ok(known)
            };
            match moved {
                Ok(now) => *counter = now,
                Err(err) => return answer_all(claims, &err),
            }
            match failure {
                None => {}
                Some(StoreError::Duplicate { field }) if field == "id" => {
                    // Issued already (a retry, or another process): answer
                    // it with what is stored; the rest follow it.
                    let claim = claims.remove(0);
                    let stored =
                        self.store.get(collection, &claim.id()).await.map_err(CoreError::from).and_then(|found| {
                            found.ok_or_else(|| CoreError::Internal(format!("{collection}: issued, then gone")))
                        });
                    let _ = claim.reply.send(stored);
                }
                Some(StoreError::Duplicate { .. }) => {
                    // The number key is the only unique field besides the
                    // id, so another process took the number: read the
                    // counter again and number the rest after it.
                    *counter = None;
                    lost_races += 1;
                    if lost_races > 1000 {
                        let err = CoreError::Internal(format!("{sequence_id}: too much contention"));
                        return answer_all(claims, &err);
                    }
                }
                Some(err) => {
                    *counter = None;
                    return answer_all(claims, &CoreError::from(err));
                }
            }
        }
    }

    async fn read_counter(&self, sequence_id: &str) -> CoreResult<Option<Counter>> {
        let stored = self.store.get(SEQUENCES, sequence_id).await?;
        Ok(stored.map(|document| Counter {
            version: document.version,
            created_at: document.created_at,
            last: document.body.get("last").and_then(Value::as_i64).unwrap_or(0),
        }))
    }

    /// Moves the counter up to `to` (never down), starting from the copy
    /// known and re-reading only on a lost race; returns it as written.
    async fn advance_counter(&self, sequence_id: &str, known: Option<Counter>, to: i64) -> CoreResult<Option<Counter>> {
        let mut current = known;
        let mut first = true;
        loop {
            if !std::mem::take(&mut first) {
                current = self.read_counter(sequence_id).await?;
            }
            match current.take() {
                None => {
                    let body = serde_json::json!({ "id": sequence_id, "createdAt": now_micros(), "last": to });
                    match self.store.insert(SEQUENCES, body).await {
                        Ok(document) => {
                            let created_at = document.created_at;
                            return Ok(Some(Counter { version: document.version, created_at, last: to }));
                        }
                        Err(StoreError::Duplicate { .. }) => continue,
                        Err(err) => return Err(err.into()),
                    }
                }
                Some(counter) if counter.last >= to => return Ok(Some(counter)),
                Some(counter) => {
                    let created_at = counter.created_at;
                    let body = serde_json::json!({ "id": sequence_id, "createdAt": created_at, "last": to });
                    match self.store.compare_and_swap(SEQUENCES, sequence_id, counter.version, body).await {
                        Ok(document) => return Ok(Some(Counter { version: document.version, created_at, last: to })),
                        Err(StoreError::VersionConflict | StoreError::NotFound) => continue,
                        Err(err) => return Err(err.into()),
                    }
                }
            }
        }
    }
}

/// The counters' collection.
const SEQUENCES: &str = "sequences";
/// The unique field that makes a number taken.
const NUMBER_KEY: &str = "numberKey";

/// Answers every claim with `err`: an overloaded store stays a reason to
/// come back shortly, anything else is the gateway's own failure.
fn answer_all(claims: Vec<Claim>, err: &CoreError) {
    for claim in claims {
        let answer = match err {
            CoreError::Store(StoreError::Overloaded) => CoreError::Store(StoreError::Overloaded),
            other => CoreError::Internal(format!("issuing a numbered document failed: {other}")),
        };
        let _ = claim.reply.send(Err(answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::COLLECTIONS;
    use crate::store::Store;
    use std::collections::HashSet;

    const COLLECTION: &str = "invoices";
    const SEQUENCE: &str = "seq_invoice_org_n";

    async fn cores_on_one_store(processes: usize) -> (Vec<Core>, Arc<dyn Store>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> =
            Arc::new(crate::store::SqliteStore::open(&dir.path().join("db.sqlite3")).expect("store"));
        store.migrate(COLLECTIONS).await.expect("migrate");
        // Each core has its own `Numbering`, as separate processes do.
        let cores = (0..processes).map(|_| crate::domain::test_core(store.clone(), 30_000_000)).collect();
        (cores, store, dir)
    }

    fn invoice(id: &str) -> Value {
        let mut document = crate::domain::invoices::tests::document();
        document.id = id.to_owned();
        document.organization_id = "org_n".into();
        serde_json::to_value(document).expect("serializes")
    }

    fn format() -> NumberFormat {
        NumberFormat { render: Box::new(|sequence| (format!("N-{sequence}"), format!("org_n:Invoice:{sequence}"))) }
    }

    async fn issue(core: &Core, id: &str) -> CoreResult<Document> {
        core.issue_numbered(COLLECTION, SEQUENCE, invoice(id), format()).await
    }

    /// Every stored number, and the counter.
    async fn numbers(store: &Arc<dyn Store>) -> (Vec<i64>, i64) {
        let filter = vec![("organizationId", Value::from("org_n"))];
        let mut page = crate::store::Page { limit: 1000, starting_after: None };
        let mut numbers = Vec::new();
        loop {
            let found = store.find(COLLECTION, &filter, &page).await.expect("find");
            page.starting_after = found.data.last().map(|d| d.id.clone());
            numbers.extend(found.data.iter().map(|d| d.body["sequence"].as_i64().expect("sequence")));
            if !found.has_more {
                break;
            }
        }
        numbers.sort_unstable();
        let counter = store.get(SEQUENCES, SEQUENCE).await.expect("get").expect("counter");
        (numbers, counter.body["last"].as_i64().expect("last"))
    }

    #[tokio::test]
    async fn concurrent_issuers_in_two_processes_get_every_number_once_without_a_gap() {
        let (cores, store, _dir) = cores_on_one_store(2).await;
        let mut issuers = tokio::task::JoinSet::new();
        for n in 0..600 {
            let core = cores[n % 2].clone();
            issuers.spawn(async move { issue(&core, &format!("inv_{n}")).await.expect("issued") });
        }
        let mut ids = HashSet::new();
        while let Some(document) = issuers.join_next().await {
            let document = document.expect("joined");
            assert_eq!(document.body["number"], Value::from(format!("N-{}", document.body["sequence"])));
            assert!(ids.insert(document.id));
        }
        let (numbers, counter) = numbers(&store).await;
        assert_eq!(numbers, (1..=600).collect::<Vec<_>>(), "every number once, none skipped");
        assert_eq!(counter, 600);
    }

    #[tokio::test]
    async fn issuing_a_document_again_returns_it_with_its_number() {
        let (cores, store, _dir) = cores_on_one_store(1).await;
        let first = issue(&cores[0], "inv_a").await.expect("issued");
        issue(&cores[0], "inv_b").await.expect("issued");
        // Issued again, alone and among new ones: the same number, and the
        // new ones go on after it.
        let again = issue(&cores[0], "inv_a").await.expect("issued again");
        assert_eq!((again.id.as_str(), &again.body["sequence"]), ("inv_a", &first.body["sequence"]));
        let mut issuers = tokio::task::JoinSet::new();
        for id in ["inv_a", "inv_c", "inv_b", "inv_d"] {
            let core = cores[0].clone();
            issuers.spawn(async move { issue(&core, id).await.expect("issued") });
        }
        while issuers.join_next().await.is_some() {}
        let (numbers, counter) = numbers(&store).await;
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(counter, 4);
    }

    #[tokio::test]
    async fn a_counter_left_behind_by_a_crash_is_caught_up() {
        let (cores, store, _dir) = cores_on_one_store(1).await;
        // A process stored numbers 1 and 2 and died before moving the
        // counter past 1.
        for (id, sequence) in [("inv_x", 1), ("inv_y", 2)] {
            let mut body = invoice(id);
            body["sequence"] = sequence.into();
            body["numberKey"] = format!("org_n:Invoice:{sequence}").into();
            store.insert(COLLECTION, body).await.expect("stored");
        }
        store.insert(SEQUENCES, serde_json::json!({"id": SEQUENCE, "createdAt": 1, "last": 1})).await.expect("counter");
        let next = issue(&cores[0], "inv_z").await.expect("issued");
        assert_eq!(next.body["sequence"], 3);
        assert_eq!(numbers(&store).await, (vec![1, 2, 3], 3));
    }

    #[tokio::test]
    async fn an_ordered_insert_stores_the_run_up_to_its_first_failure() {
        let (_, store, _dir) = cores_on_one_store(0).await;
        store.insert(COLLECTION, invoice("inv_taken")).await.expect("stored");
        let mut bodies = vec![invoice("inv_1"), invoice("inv_2"), invoice("inv_taken"), invoice("inv_4")];
        for (i, body) in bodies.iter_mut().enumerate() {
            body["numberKey"] = format!("k{i}").into();
        }
        let (stored, failure) = store.insert_ordered(COLLECTION, bodies).await;
        assert_eq!(stored.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["inv_1", "inv_2"]);
        assert!(matches!(failure, Some(StoreError::Duplicate { ref field }) if field == "id"), "{failure:?}");
        assert!(store.get(COLLECTION, "inv_4").await.expect("get").is_none(), "nothing after the failure");
        assert!(store.get(COLLECTION, "inv_2").await.expect("get").is_some());
    }
}
