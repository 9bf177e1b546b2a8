//! Test mode and live mode. Every merchant object carries `livemode`, set
//! from the key that created it or inherited from its parent; the rule that
//! keeps the modes apart is [`super::auth::Principal::owns`]. Objects
//! stored before modes existed are test objects: start-up writes
//! `livemode: false` into them once, so the store's filters find them.

use serde_json::Value;

use super::{
    Core, Entity, api_keys::ApiKey, checkout_domains::CheckoutDomain, checkouts::Checkout, invoices, ipn::IpnDelivery,
    sites::Site, tax_rules::TaxRule, transactions::Transaction,
};
use crate::{
    error::CoreResult,
    store::{Document, Page, StoreError},
};

/// Every collection of merchant objects: each document carries `livemode`.
pub const MODED_COLLECTIONS: [&str; 9] = [
    ApiKey::COLLECTION,
    Site::COLLECTION,
    CheckoutDomain::COLLECTION,
    Checkout::COLLECTION,
    Transaction::COLLECTION,
    IpnDelivery::COLLECTION,
    TaxRule::COLLECTION,
    invoices::Invoice::COLLECTION,
    invoices::CreditNote::COLLECTION,
];

/// The record that the migration ran to its end.
const MIGRATION_ID: &str = "mig_livemode";

/// How many documents the migration reads at a time.
const PAGE: usize = 200;

/// The mode of a document stored before modes existed: API keys always had
/// one; everything else ran on the sandbox, so it is test.
fn legacy_livemode(collection: &str, body: &Value) -> bool {
    collection == ApiKey::COLLECTION && body.get("mode").and_then(Value::as_str) == Some("live")
}

impl Core {
    /// Writes `livemode` into every merchant object stored without it.
    /// Runs once: when it has run to its end it records so and returns
    /// `None` at every later start. Safe to run from several cores at once
    /// and to interrupt (each document is one compare-and-swap, and what is
    /// done is skipped on the next run). Returns how many documents it
    /// changed.
    pub async fn migrate_livemode(&self) -> CoreResult<Option<u64>> {
        if self.migration_done(MIGRATION_ID).await? {
            return Ok(None);
        }
        let mut documents = 0;
        for collection in MODED_COLLECTIONS {
            documents += self.add_livemode(collection).await?;
        }
        self.record_migration(MIGRATION_ID, documents).await?;
        Ok(Some(documents))
    }

    /// Walks one collection, newest first, adding `livemode` where it is
    /// missing.
    async fn add_livemode(&self, collection: &'static str) -> CoreResult<u64> {
        let mut changed = 0;
        // The ids of the page just handled: a cursor deleted meanwhile is
        // replaced by the one before it (everything up to there is done).
        let mut resume: Vec<String> = Vec::new();
        loop {
            let page = Page { limit: PAGE, starting_after: resume.last().cloned() };
            let result = match self.store.find(collection, &Vec::new(), &page).await {
                Err(StoreError::UnknownCursor) => {
                    resume.pop();
                    continue;
                }
                other => other?,
            };
            for document in &result.data {
                if self.add_livemode_to(collection, document.clone()).await? {
                    changed += 1;
                }
            }
            if !result.has_more {
                return Ok(changed);
            }
            resume = result.data.into_iter().map(|document| document.id).collect();
        }
    }

    /// One document; true when this call wrote it.
    async fn add_livemode_to(&self, collection: &'static str, mut document: Document) -> CoreResult<bool> {
        loop {
            let Value::Object(fields) = &document.body else {
                return Ok(false);
            };
            if fields.contains_key("livemode") {
                return Ok(false);
            }
            let mut fields = fields.clone();
            fields.insert("livemode".into(), legacy_livemode(collection, &document.body).into());
            match self.store.compare_and_swap(collection, &document.id, document.version, Value::Object(fields)).await {
                Ok(_) => return Ok(true),
                // Changed meanwhile (by code that may have set the field
                // itself): judge the fresh copy.
                Err(StoreError::VersionConflict) => match self.store.get(collection, &document.id).await? {
                    Some(fresh) => document = fresh,
                    None => return Ok(false),
                },
                Err(StoreError::NotFound) => return Ok(false),
                Err(err) => return Err(err.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{
        domain::{COLLECTIONS, api_keys::KeyMode, auth::Principal, tenant_filter},
        store::Store,
    };

    fn core_on(store: Arc<dyn Store>) -> Core {
        crate::domain::test_core(store, 30_000_000)
    }

    async fn sqlite_core() -> (Core, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> =
            Arc::new(crate::store::SqliteStore::open(&dir.path().join("db.sqlite3")).expect("store"));
        store.migrate(COLLECTIONS).await.expect("migrate");
        (core_on(store), dir)
    }

    /// In CI (`CI` set) or with `PAYGATE_REQUIRE_BACKENDS=1` a missing
    /// server fails the test, so a green run there means MongoDB was tested.
    async fn mongo_core() -> Option<(Core, Arc<crate::store::MongoStore>)> {
        let required = ["CI", "PAYGATE_REQUIRE_BACKENDS"]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"));
        let Ok(uri) = std::env::var("PAYGATE_MONGODB_URI") else {
            assert!(!required, "PAYGATE_MONGODB_URI is not set, and this run requires every backend");
            println!("skipped: PAYGATE_MONGODB_URI not set");
            return None;
        };
        let database = format!("paygate_test_{:016x}", rand::random::<u64>());
        let store = Arc::new(crate::store::MongoStore::connect(&uri, &database).await.expect("MongoDB"));
        store.migrate(COLLECTIONS).await.expect("migrate");
        Some((core_on(store.clone()), store))
    }

    fn principal(organization_id: &str, mode: KeyMode) -> Principal {
        Principal {
            organization_id: organization_id.into(),
            key_id: "key_x".into(),
            scopes: Arc::from([]),
            mode,
            user: None,
            client_ip: String::new(),
        }
    }

    /// Rewrites a stored document the way versions before modes wrote it:
    /// without `livemode`.
    async fn make_old_shaped(core: &Core, collection: &str, id: &str) {
        let document = core.store.get(collection, id).await.expect("get").expect("stored");
        let mut body = document.body.clone();
        body.as_object_mut().expect("object").remove("livemode");
        core.store.compare_and_swap(collection, id, document.version, body).await.expect("rewrite");
    }

    async fn ids_found(core: &Core, collection: &str, organization_id: &str, livemode: bool) -> Vec<String> {
        let page = Page { limit: 100, starting_after: None };
        let found = core.store.find(collection, &tenant_filter(organization_id, livemode), &page).await.expect("find");
        found.data.into_iter().map(|document| document.id).collect()
    }

    async fn old_documents_become_test_objects_once(core: &Core) {
        let org = core.create_organization("Acme").await.expect("org");
        let (site, _) = core.create_site(&org.id, "Shop", "").await.expect("site");
        let all = vec!["sites:read".to_owned()];
        let (test_key, _) = core.create_api_key(&org.id, "t", KeyMode::Test, &all).await.expect("key");
        let (live_key, _) = core.create_api_key(&org.id, "l", KeyMode::Live, &all).await.expect("key");
        // More than a page, so the walk goes on from a cursor.
        let mut rules = Vec::new();
        for n in 0..PAGE + 5 {
            let input = crate::domain::tax_rules::TaxRuleInput {
                country: "DE".into(),
                rate_bps: Some(1900),
                name: format!("VAT {n}"),
                ..Default::default()
            };
            rules.push(core.create_tax_rule(&principal(&org.id, KeyMode::Test), &input).await.expect("rule").id);
        }
        make_old_shaped(core, Site::COLLECTION, &site.id).await;
        make_old_shaped(core, ApiKey::COLLECTION, &test_key.id).await;
        make_old_shaped(core, ApiKey::COLLECTION, &live_key.id).await;
        for id in &rules {
            make_old_shaped(core, TaxRule::COLLECTION, id).await;
        }

        // Read by id, an old document is already a test object…
        let tester = principal(&org.id, KeyMode::Test);
        assert_eq!(core.owned::<Site>(&tester, &site.id).await.expect("test site").id, site.id);
        assert!(core.owned::<Site>(&principal(&org.id, KeyMode::Live), &site.id).await.is_err());
        // …but the store's filters do not find it until it says so.
        assert!(ids_found(core, Site::COLLECTION, &org.id, false).await.is_empty());

        assert_eq!(core.migrate_livemode().await.expect("migrate"), Some(3 + rules.len() as u64));
        assert_eq!(ids_found(core, Site::COLLECTION, &org.id, false).await, [site.id.as_str()]);
        assert_eq!(ids_found(core, ApiKey::COLLECTION, &org.id, false).await, [test_key.id.as_str()]);
        assert_eq!(ids_found(core, ApiKey::COLLECTION, &org.id, true).await, [live_key.id.as_str()]);
        let (listed, _) = core.list_sites(&tester, &Page { limit: 10, starting_after: None }).await.expect("list");
        assert_eq!(listed.len(), 1);
        let mut test_rules = Vec::new();
        let mut page = Page { limit: 100, starting_after: None };
        loop {
            let (found, more) = core.list_tax_rules(&tester, "", &page).await.expect("list");
            page.starting_after = found.last().map(|rule| rule.id.clone());
            test_rules.extend(found.into_iter().map(|rule| rule.id));
            if !more {
                break;
            }
        }
        assert_eq!(test_rules.len(), rules.len());

        // Recorded: a later start neither rescans nor rewrites anything.
        make_old_shaped(core, Site::COLLECTION, &site.id).await;
        assert_eq!(core.migrate_livemode().await.expect("migrate again"), None);
        assert!(ids_found(core, Site::COLLECTION, &org.id, false).await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite_old_documents_become_test_objects_once() {
        let (core, _dir) = sqlite_core().await;
        old_documents_become_test_objects_once(&core).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn mongodb_old_documents_become_test_objects_once() {
        let Some((core, store)) = mongo_core().await else { return };
        old_documents_become_test_objects_once(&core).await;
        store.drop_database().await.expect("drop test database");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_document_changed_during_the_migration_keeps_the_change() {
        let (core, _dir) = sqlite_core().await;
        let org = core.create_organization("Acme").await.expect("org");
        let (site, _) = core.create_site(&org.id, "Shop", "").await.expect("site");
        make_old_shaped(&core, Site::COLLECTION, &site.id).await;
        let stale = core.store.get(Site::COLLECTION, &site.id).await.expect("get").expect("stored");
        core.update::<Site, _>(&site.id, |site| {
            site.name = "Renamed".into();
            Ok(())
        })
        .await
        .expect("rename");
        assert!(core.add_livemode_to(Site::COLLECTION, stale).await.is_ok_and(|wrote| !wrote));
        let stored = core.store.get(Site::COLLECTION, &site.id).await.expect("get").expect("stored");
        assert_eq!(stored.body["name"], "Renamed");
        assert_eq!(stored.body["livemode"], false);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_other_mode_and_the_other_organization_answer_like_an_unknown_id() {
        let (core, _dir) = sqlite_core().await;
        let org = core.create_organization("Acme").await.expect("org");
        let other = core.create_organization("Other").await.expect("org");
        let (test_site, _) =
            core.create_site_with_origins(&principal(&org.id, KeyMode::Test), "Test", "", &[], "").await.expect("site");
        let (live_site, _) =
            core.create_site_with_origins(&principal(&org.id, KeyMode::Live), "Live", "", &[], "").await.expect("site");
        let tester = principal(&org.id, KeyMode::Test);
        let liver = principal(&org.id, KeyMode::Live);
        let stranger = principal(&other.id, KeyMode::Test);

        assert!(tester.owns(&test_site) && !tester.owns(&live_site));
        assert!(liver.owns(&live_site) && !liver.owns(&test_site));
        assert!(!stranger.owns(&test_site) && !stranger.owns(&live_site));

        // The last character changed: well formed, but nobody's.
        let last = if test_site.id.ends_with('x') { 'y' } else { 'x' };
        let unknown = format!("{}{last}", &test_site.id[..test_site.id.len() - 1]);
        let answer = |result: CoreResult<Site>| match result {
            Ok(site) => format!("found {}", site.id),
            Err(err) => format!("{err:?}"),
        };
        let not_found = answer(core.owned::<Site>(&tester, &unknown).await);
        assert!(not_found.contains("NotFound"), "{not_found}");
        assert_eq!(answer(core.owned::<Site>(&tester, &live_site.id).await), not_found);
        assert_eq!(answer(core.owned::<Site>(&liver, &test_site.id).await), not_found);
        assert_eq!(answer(core.owned::<Site>(&stranger, &test_site.id).await), not_found);
        assert_eq!(answer(core.owned::<Site>(&liver, &live_site.id).await), format!("found {}", live_site.id));

        // Lists: only the caller's mode, and the other mode's id is no cursor.
        let first = Page { limit: 10, starting_after: None };
        let (tests, _) = core.list_sites(&tester, &first).await.expect("list");
        assert_eq!(tests.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [test_site.id.as_str()]);
        let (lives, _) = core.list_sites(&liver, &first).await.expect("list");
        assert_eq!(lives.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [live_site.id.as_str()]);
        let after = |id: &str| Page { limit: 10, starting_after: Some(id.to_owned()) };
        let cursor_answer = |result: CoreResult<(Vec<Site>, bool)>| match result {
            Ok((sites, _)) => format!("{} sites", sites.len()),
            Err(err) => format!("{err:?}"),
        };
        let unknown_cursor = cursor_answer(core.list_sites(&tester, &after(&unknown)).await);
        assert!(unknown_cursor.contains("UnknownCursor"), "{unknown_cursor}");
        assert_eq!(cursor_answer(core.list_sites(&tester, &after(&live_site.id)).await), unknown_cursor);
        assert_eq!(cursor_answer(core.list_sites(&liver, &after(&test_site.id)).await), unknown_cursor);
        assert_eq!(cursor_answer(core.list_sites(&tester, &after(&test_site.id)).await), "0 sites");
        // A test object stored before modes existed is a valid test cursor.
        make_old_shaped(&core, Site::COLLECTION, &test_site.id).await;
        assert!(core.list_sites(&tester, &after(&test_site.id)).await.is_ok());
        assert_eq!(cursor_answer(core.list_sites(&liver, &after(&test_site.id)).await), unknown_cursor);
    }
}
