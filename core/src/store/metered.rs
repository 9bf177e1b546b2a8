//! Times every store operation into
//! `paygate_store_operation_duration_seconds{operation}`, whichever backend
//! runs underneath.

use std::{sync::Arc, time::Instant};

use async_trait::async_trait;
use serde_json::Value;

use super::{
    CollectionSpec, Document, DueCursor, Encoded, Filter, Page, PageResult, Range, Store, StoreError, StoreResult,
};

pub struct MeteredStore {
    inner: Arc<dyn Store>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner }
    }
}

/// Failed operations are timed too: a slow failure is what an operator
/// looks for.
async fn timed<T>(operation: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let result = call.await;
    metrics::histogram!("paygate_store_operation_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    result
}

#[async_trait]
impl Store for MeteredStore {
    async fn migrate(&self, specs: &[CollectionSpec]) -> StoreResult<()> {
        timed("migrate", self.inner.migrate(specs)).await
    }

    async fn insert(&self, collection: &str, body: Value) -> StoreResult<Document> {
        timed("insert", self.inner.insert(collection, body)).await
    }

    /// Delegated, so a backend's one-round-trip run is kept (the default
    /// would insert one at a time through this wrapper).
    async fn insert_ordered(&self, collection: &str, bodies: Vec<Value>) -> (Vec<Document>, Option<StoreError>) {
        timed("insert_ordered", self.inner.insert_ordered(collection, bodies)).await
    }

    /// Delegated, for the same reason as `insert_ordered`.
    async fn insert_each(&self, inserts: Vec<(&str, Value)>) -> (Vec<Document>, Option<StoreError>) {
        timed("insert_each", self.inner.insert_each(inserts)).await
    }

    async fn insert_encoded(&self, collection: &str, document: Encoded) -> StoreResult<()> {
        timed("insert", self.inner.insert_encoded(collection, document)).await
    }

    async fn insert_each_encoded(&self, inserts: Vec<(&str, Encoded)>) -> (usize, Option<StoreError>) {
        timed("insert_each", self.inner.insert_each_encoded(inserts)).await
    }

    async fn compare_and_swap_encoded(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        document: Encoded,
    ) -> StoreResult<()> {
        timed("compare_and_swap", self.inner.compare_and_swap_encoded(collection, id, expected_version, document)).await
    }

    async fn get(&self, collection: &str, id: &str) -> StoreResult<Option<Document>> {
        timed("get", self.inner.get(collection, id)).await
    }

    async fn find(&self, collection: &str, filter: &Filter, page: &Page) -> StoreResult<PageResult> {
        timed("find", self.inner.find(collection, filter, page)).await
    }

    async fn find_in(
        &self,
        collection: &str,
        filter: &Filter,
        ranges: &[Range],
        page: &Page,
    ) -> StoreResult<PageResult> {
        timed("find", self.inner.find_in(collection, filter, ranges, page)).await
    }

    async fn count(&self, collection: &str, filter: &Filter, up_to: u64) -> StoreResult<u64> {
        timed("count", self.inner.count(collection, filter, up_to)).await
    }

    async fn count_in(&self, collection: &str, filter: &Filter, ranges: &[Range], up_to: u64) -> StoreResult<u64> {
        timed("count", self.inner.count_in(collection, filter, ranges, up_to)).await
    }

    async fn find_one(&self, collection: &str, field: &str, value: &Value) -> StoreResult<Option<Document>> {
        timed("find_one", self.inner.find_one(collection, field, value)).await
    }

    async fn compare_and_swap(
        &self,
        collection: &str,
        id: &str,
        expected_version: i64,
        body: Value,
    ) -> StoreResult<Document> {
        timed("compare_and_swap", self.inner.compare_and_swap(collection, id, expected_version, body)).await
    }

    async fn find_due(
        &self,
        collection: &str,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Document>> {
        timed("find_due", self.inner.find_due(collection, up_to, after, limit)).await
    }

    async fn delete(&self, collection: &str, id: &str) -> StoreResult<bool> {
        timed("delete", self.inner.delete(collection, id)).await
    }

    async fn delete_version(&self, collection: &str, id: &str, expected_version: i64) -> StoreResult<()> {
        timed("delete_version", self.inner.delete_version(collection, id, expected_version)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        timed("ping", self.inner.ping()).await
    }
}
