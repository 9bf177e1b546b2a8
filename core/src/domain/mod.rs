//! Paygate's rules. Nothing here knows about gRPC or HTTP.

pub mod api_keys;
pub mod auth;
pub mod cache;
pub mod checkout_domains;
pub mod checkouts;
mod countries;
pub mod customers;
pub mod documents_pdf;
pub mod idempotency;
pub mod identity;
pub mod inline;
pub mod invoices;
pub mod ipn;
pub mod livemode;
pub mod locale;
mod migrations;
pub mod numbering;
pub mod organizations;
pub mod plans;
pub mod portal;
pub mod provider_accounts;
pub mod provider_events;
pub mod reports;
pub mod sites;
pub mod state_log;
pub mod subscriptions;
pub mod tax_rules;
pub mod taxation;
pub mod transactions;
pub mod validate;

use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};

use crate::{
    clock::Clock,
    crypto::SealingKey,
    error::{CoreError, CoreResult},
    providers::Provider,
    queue::Queue,
    store::{CollectionSpec, DUE_AT, Document, DueCursor, Encoded, Filter, Page, Store, StoreError},
};

/// Every collection Paygate keeps, with its unique and queried fields.
pub const COLLECTIONS: &[CollectionSpec] = &[
    CollectionSpec { name: "organizations", unique: &[], indexed: &[], grouped: &[] },
    CollectionSpec {
        name: "api_keys",
        unique: &["keyHash"],
        indexed: &["organizationId", "livemode"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "sites",
        unique: &["checkoutDomain"],
        indexed: &["organizationId", "livemode", "providerId"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "providers",
        unique: &[],
        indexed: &["organizationId", "livemode"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec { name: "provider_events", unique: &[], indexed: &["providerId"], grouped: &[] },
    CollectionSpec {
        name: "customers",
        unique: &[],
        indexed: &["organizationId", "livemode", "email"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "plans",
        unique: &[],
        indexed: &["organizationId", "livemode", "active"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "subscriptions",
        unique: &[],
        indexed: &["organizationId", "livemode", "customerId", "status", "testClockId"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "test_clocks",
        unique: &[],
        indexed: &["organizationId", "livemode"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec { name: "checkout_domains", unique: &[], indexed: &["organizationId", "siteId"], grouped: &[] },
    CollectionSpec {
        name: "checkouts",
        unique: &[],
        indexed: &["organizationId", "livemode", "siteId", "status"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec { name: "idempotency", unique: &[], indexed: &[], grouped: &[] },
    CollectionSpec {
        name: "transactions",
        unique: &[],
        indexed: &[
            "organizationId",
            "livemode",
            "siteId",
            "status",
            "checkoutId",
            "providerReference",
            "currency",
            "amount",
            "customerEmailKey",
        ],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "ipn_deliveries",
        unique: &[],
        indexed: &["organizationId", "livemode", "siteId", "status", "transactionId", "checkoutId"],
        grouped: &TENANT_FIELDS,
    },
    crate::providers::sandbox::COLLECTION,
    CollectionSpec {
        name: "tax_rules",
        unique: &[],
        indexed: &["organizationId", "livemode", "country"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "invoices",
        unique: &["numberKey"],
        indexed: &["organizationId", "livemode", "siteId", "transactionId", "customerId"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec {
        name: "credit_notes",
        unique: &["numberKey"],
        indexed: &["organizationId", "livemode", "siteId", "transactionId", "customerId"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec { name: "sequences", unique: &[], indexed: &[], grouped: &[] },
    CollectionSpec {
        name: "portal_sessions",
        unique: &["tokenHash"],
        indexed: &["organizationId", "livemode", "customerId"],
        grouped: &TENANT_FIELDS,
    },
    CollectionSpec { name: "portal_browser_sessions", unique: &["secretHash"], indexed: &[], grouped: &[] },
    CollectionSpec { name: "migrations", unique: &[], indexed: &[], grouped: &[] },
    CollectionSpec {
        name: "users",
        unique: &["email", "invitationHash"],
        indexed: &["organizationId", "role"],
        grouped: &[],
    },
    CollectionSpec { name: "admin_sessions", unique: &[], indexed: &["userId"], grouped: &[] },
    CollectionSpec { name: "login_throttles", unique: &[], indexed: &[], grouped: &[] },
    CollectionSpec { name: "audit_log", unique: &[], indexed: &["organizationId"], grouped: &[] },
];

/// Settings the domain needs at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of `paymentUrl`, without a trailing slash.
    pub checkout_base_url: String,
    /// Allows `http://` and private addresses for IPN URLs (development).
    pub ipn_allow_private: bool,
    /// How long a running idempotent request holds its key before a retry
    /// may take over (the first attempt is presumed dead).
    pub idempotency_lock_micros: i64,
    /// Turns every IPN retry delay from minutes into seconds (tests).
    pub ipn_fast_retries: bool,
    /// Concurrent payment workers and IPN dispatchers.
    pub workers: usize,
    /// The gateway's own hostnames (lowercase), approved for TLS alongside
    /// sites' custom checkout domains.
    pub platform_domains: Vec<String>,
    /// Presented to the PDF worker when it requires a token.
    pub pdf_token: Option<crate::crypto::SecretString>,
    /// Public base of edge-main's API, where providers send webhooks
    /// (`{hooks_base_url}/hooks/{type}/{id}`).
    pub hooks_base_url: String,
    /// Stripe's API base unless a provider record overrides it
    /// (`PAYGATE_STRIPE_API_BASE`).
    pub stripe_api_base: String,
    /// GoCardless's API base for every record (`PAYGATE_GOCARDLESS_API_BASE`);
    /// `None` picks live or sandbox by the record's mode.
    pub gocardless_api_base: Option<String>,
    /// Lets provider records point `apiBase` at http or private addresses
    /// (stand-ins in development).
    pub provider_allow_private: bool,
    /// Signs admin access tokens; `None` derives a key from the sealing
    /// key, which every replica shares anyway.
    pub jwt_secret: Option<crate::crypto::SecretString>,
    /// Where the admin panel is reached: invitation links point there.
    pub admin_panel_url: String,
}

/// The domain's handle on everything it needs; cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub sealing: SealingKey,
    pub settings: Arc<Settings>,
    pub provider: Arc<dyn Provider>,
    /// Shared client for outbound calls that need no per-call DNS pinning.
    pub http: reqwest::Client,
    /// IPN clients, one per host and set of addresses that passed the
    /// SSRF check, reused across attempts.
    pub ipn_clients: Arc<ipn::IpnClients>,
    /// EU VIES; `None` checks VAT IDs offline only.
    pub vies: Option<Arc<crate::vat::ViesClient>>,
    /// Where invoices are rendered.
    pub pdf: Option<tonic::transport::Channel>,
    /// What every due time, lease and expiry is measured against.
    pub clock: Arc<dyn Clock>,
    /// Looks up custom checkout domains' ownership proofs.
    pub dns: Arc<dyn crate::dns::TxtResolver>,
    /// Calls to providers' APIs (timeouts, no redirects).
    pub provider_http: reqwest::Client,
    /// Provider clients built from provider records.
    pub provider_clients: Arc<provider_accounts::ProviderClients>,
    /// Issuers of numbered documents, queued per sequence.
    pub numbering: Arc<numbering::Numbering>,
    /// Recently read API keys, sites and organizations.
    pub cache: Arc<cache::ReadCache>,
    /// IPN first attempts made without the queue.
    pub inline_ipn: Arc<inline::InlineWork>,
    /// Payments charged straight after their pay request, without the
    /// queue.
    pub inline_payments: Arc<inline::InlineWork>,
    /// Where workers and the work requests start without the queue run.
    pub background: crate::background::Background,
}

/// Microseconds since the Unix epoch: the store's `createdAt` unit.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A document type kept in one collection. `id`, `version` and `createdAt`
/// are ordinary serde fields of the implementing struct.
pub trait Entity: Serialize + DeserializeOwned + Clone + Send + Sync {
    const COLLECTION: &'static str;
    /// What a 404 calls it.
    const NAME: &'static str;
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    /// Sets the version the store gave the stored copy: a write hands back
    /// the entity it wrote with that version, instead of parsing the stored
    /// form back (the same fields, at the cost of a JSON conversion).
    fn set_version(&mut self, version: i64);

    /// When the scheduler should next look at this entity (microseconds,
    /// on [`Core::now`]'s clock), or `None` when nothing about it is due.
    /// Stored as the indexed `dueAt` at every write, so the scheduler finds
    /// due work without scanning what is not due.
    fn due_at(&self) -> Option<i64> {
        None
    }

    /// Writes of this kind feed metrics: [`Core::update`] and
    /// [`Core::modify`] keep the stored form from before the change and hand
    /// it to [`Entity::observe_change`] once the write succeeded.
    const OBSERVED: bool = false;

    /// Records what one successful write changed (`before`: the stored
    /// form it replaced). Runs once per write that took effect, never for
    /// an attempt that lost a race.
    fn observe_change(_before: &serde_json::Value, _after: &Self) {}

    /// Read on nearly every request and rarely written: reads through
    /// [`Core::get_cached`] may be served from [`cache::ReadCache`] (at most
    /// [`cache::ReadCache::TTL`] old), and every write through [`Core`]
    /// forgets the collection's cached entries.
    const CACHED: bool = false;

    /// Whether writes compare the state before and after and log the
    /// changes ([`Entity::state_changes`]).
    const LOGS_STATE: bool = false;

    /// The state changes between two stored versions, for the log
    /// (`before` is `None` for a new entity).
    fn state_changes(_before: Option<&Self>, _after: &Self) -> Vec<state_log::StateChange> {
        Vec::new()
    }
}

/// A merchant object: it belongs to one organization, in one mode (test or
/// live). [`auth::Principal::owns`] is the one rule deciding whether a
/// caller may see or touch it, and [`Core::owned`] the one lookup by id.
pub trait Owned: Entity {
    /// What its ids start with (`site`, `chk`, …): anything else is not
    /// found without a store round trip.
    const ID_PREFIX: &'static str;
    fn organization_id(&self) -> &str;
    /// Set once, from the key that created the object or from its parent,
    /// and never changed.
    fn livemode(&self) -> bool;
}

/// The store fields every tenant-owned document carries and every list of
/// them is filtered on.
pub const TENANT_FIELDS: [&str; 2] = ["organizationId", "livemode"];

/// Lists' base filter: one organization's objects of one mode.
pub fn tenant_filter(organization_id: &str, livemode: bool) -> Filter {
    vec![(TENANT_FIELDS[0], organization_id.into()), (TENANT_FIELDS[1], livemode.into())]
}

/// A stored field as the tenant rule reads it: a document written before
/// modes existed has no `livemode` and counts as test.
fn tenant_field(body: &serde_json::Value, field: &str) -> serde_json::Value {
    match body.get(field) {
        Some(value) => value.clone(),
        None if field == TENANT_FIELDS[1] => false.into(),
        None => serde_json::Value::Null,
    }
}

/// The stored form of an entity: its fields plus `dueAt`.
pub(super) fn stored_body<T: Entity>(entity: &T) -> CoreResult<serde_json::Value> {
    let mut body = to_body(entity)?;
    if let serde_json::Value::Object(fields) = &mut body {
        match entity.due_at() {
            Some(due_at) => fields.insert(DUE_AT.to_owned(), due_at.into()),
            None => fields.remove(DUE_AT),
        };
    }
    Ok(body)
}

/// The layout of `T`'s collection.
fn spec_of<T: Entity>() -> CoreResult<&'static CollectionSpec> {
    COLLECTIONS
        .iter()
        .find(|spec| spec.name == T::COLLECTION)
        .ok_or_else(|| CoreError::Internal(format!("collection {:?} is not declared", T::COLLECTION)))
}

/// [`stored_body`] encoded once, as the store writes it, at `version`.
pub(super) fn encoded<T: Entity>(entity: &T, version: i64) -> CoreResult<Encoded> {
    Ok(Encoded::new(entity, spec_of::<T>()?, version, entity.due_at())?)
}

fn observed<T: Entity>(before: Option<serde_json::Value>, written: CoreResult<T>) -> CoreResult<T> {
    if let (Some(before), Ok(after)) = (&before, &written) {
        T::observe_change(before, after);
    }
    written
}

/// The entity as the store wrote it: what was written, with the version
/// it has now.
fn written<T: Entity>(entity: &T, version: i64) -> T {
    let mut stored = entity.clone();
    stored.set_version(version);
    stored
}

pub fn to_body<T: Serialize>(value: &T) -> CoreResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|err| CoreError::Internal(format!("serialising: {err}")))
}

pub fn from_document<T: DeserializeOwned>(document: Document) -> CoreResult<T> {
    serde_json::from_value(document.body)
        .map_err(|err| CoreError::Internal(format!("stored document {} does not parse: {err}", document.id)))
}

/// An entity of its own: the one behind `shared` when nothing else holds
/// it (one just read), a copy when the read cache holds it too.
fn unshared<T: Clone>(shared: Arc<T>) -> T {
    Arc::try_unwrap(shared).unwrap_or_else(|shared| T::clone(&shared))
}

impl Core {
    pub async fn insert<T: Entity>(&self, entity: &T) -> CoreResult<T> {
        let inserted = self.store.insert_encoded(T::COLLECTION, encoded(entity, 1)?).await;
        self.forget_cached::<T>();
        inserted?;
        self.inserted(entity)
    }

    /// What every insert does once the store has the document (the cache
    /// forgotten first, by the caller, whatever the store answered).
    fn inserted<T: Entity>(&self, entity: &T) -> CoreResult<T> {
        Ok(self.inserted_owned(entity.clone()))
    }

    /// [`Core::inserted`] for an entity the caller no longer needs.
    fn inserted_owned<T: Entity>(&self, mut entity: T) -> T {
        entity.set_version(1);
        if T::LOGS_STATE {
            state_log::log_changes(None, &entity);
        }
        entity
    }

    pub async fn get<T: Entity>(&self, id: &str) -> CoreResult<Option<T>> {
        match self.store.get(T::COLLECTION, id).await? {
            Some(document) => from_document(document).map(Some),
            None => Ok(None),
        }
    }

    /// Compare-and-swap: succeeds only if nobody changed the entity since it
    /// was read. Returns the stored entity with its new version.
    pub async fn replace<T: Entity>(&self, entity: &T) -> CoreResult<T> {
        let version = entity.version().checked_add(1).ok_or_else(|| CoreError::Internal("version overflow".into()))?;
        let swapped = self
            .store
            .compare_and_swap_encoded(T::COLLECTION, entity.id(), entity.version(), encoded(entity, version)?)
            .await;
        self.forget_cached::<T>();
        swapped?;
        Ok(written(entity, version))
    }

    /// After a write to a cached collection, even a failed one (it may have
    /// taken effect before the error was seen).
    fn forget_cached<T: Entity>(&self) {
        if T::CACHED {
            self.cache.forget(T::COLLECTION);
        }
    }

    /// [`Core::get`] through the read cache for the entities that allow it
    /// ([`Entity::CACHED`]); a plain read for the others.
    pub async fn get_cached<T: Entity + Clone + 'static>(&self, id: &str) -> CoreResult<Option<T>> {
        Ok(self.get_shared::<T>(id).await?.map(unshared))
    }

    /// [`Core::get_cached`] without copying what the cache holds.
    pub async fn get_shared<T: Entity + 'static>(&self, id: &str) -> CoreResult<Option<Arc<T>>> {
        if !T::CACHED {
            return Ok(self.get(id).await?.map(Arc::new));
        }
        if let Some(hit) = self.cache.get::<T>(T::COLLECTION, id) {
            return Ok(Some(hit));
        }
        let read_at = std::time::Instant::now();
        let found = self.get::<T>(id).await?.map(Arc::new);
        if let Some(entity) = &found {
            self.cache.put(T::COLLECTION, id, Arc::clone(entity), read_at);
        }
        Ok(found)
    }

    /// [`Core::replace`] for a caller holding the copy it changed: logs the
    /// state changes from `before` once the write succeeded.
    pub async fn replace_from<T: Entity>(&self, before: &T, entity: &T) -> CoreResult<T> {
        let stored = self.replace(entity).await?;
        if T::LOGS_STATE {
            state_log::log_changes(Some(before), &stored);
        }
        Ok(stored)
    }

    /// Reads, applies `change`, and writes back with compare-and-swap,
    /// retrying on a lost race. `change` decides from the fresh state each
    /// time, so a rule checked there holds at the moment of the write.
    pub async fn update<T, F>(&self, id: &str, mut change: F) -> CoreResult<T>
    where
        T: Entity,
        F: FnMut(&mut T) -> CoreResult<()> + Send,
    {
        for _ in 0..64 {
            let document = self.store.get(T::COLLECTION, id).await?.ok_or(CoreError::NotFound(T::NAME))?;
            let mut entity: T = from_document(document)?;
            // The state this write replaces, for the log.
            let before = T::LOGS_STATE.then(|| Box::new(entity.clone()));
            let observed_before = if T::OBSERVED { Some(to_body(&entity)?) } else { None };
            change(&mut entity)?;
            match self.replace(&entity).await {
                Err(CoreError::Store(StoreError::VersionConflict)) => continue,
                Ok(stored) => {
                    if let Some(before) = &before {
                        state_log::log_changes(Some(before.as_ref()), &stored);
                    }
                    return observed(observed_before, Ok(stored));
                }
                Err(err) => return Err(err),
            }
        }
        Err(CoreError::Internal(format!("{} {id}: too much contention", T::NAME)))
    }

    /// Like [`Core::update`], starting from a copy the caller already holds:
    /// no read when nobody changed the entity since, a fresh read and retry
    /// when somebody did.
    pub async fn modify<T, F>(&self, mut entity: T, mut change: F) -> CoreResult<T>
    where
        T: Entity + Clone,
        F: FnMut(&mut T) -> CoreResult<()> + Send,
    {
        let id = entity.id().to_owned();
        let before = T::LOGS_STATE.then(|| Box::new(entity.clone()));
        let observed_before = if T::OBSERVED { Some(to_body(&entity)?) } else { None };
        change(&mut entity)?;
        match self.replace(&entity).await {
            Err(CoreError::Store(StoreError::VersionConflict)) => self.update(&id, change).await,
            Ok(stored) => {
                if let Some(before) = &before {
                    state_log::log_changes(Some(before.as_ref()), &stored);
                }
                observed(observed_before, Ok(stored))
            }
            Err(err) => Err(err),
        }
    }

    /// Due entities of one kind, oldest first, after `after`. Each comes
    /// with its position (to resume from) and its own parse result, so one
    /// unreadable document costs only itself.
    pub async fn due<T: Entity>(
        &self,
        up_to: i64,
        after: Option<&DueCursor>,
        limit: usize,
    ) -> CoreResult<Vec<(DueCursor, CoreResult<T>)>> {
        let documents = self.store.find_due(T::COLLECTION, up_to, after, limit).await?;
        Ok(documents
            .into_iter()
            .filter_map(|document| Some((document.due_cursor()?, from_document(document))))
            .collect())
    }

    /// The time on this core's clock, in microseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.clock.now_micros()
    }

    pub async fn list<T: Entity>(&self, filter: &Filter, page: &Page) -> CoreResult<(Vec<T>, bool)> {
        self.list_in(filter, &[], page).await
    }

    /// [`Core::list`] narrowed to documents inside every range.
    pub async fn list_in<T: Entity>(
        &self,
        filter: &Filter,
        ranges: &[crate::store::Range],
        page: &Page,
    ) -> CoreResult<(Vec<T>, bool)> {
        self.check_cursor_tenant(T::COLLECTION, filter, page).await?;
        let result = self.store.find_in(T::COLLECTION, filter, ranges, page).await?;
        let items = result.data.into_iter().map(from_document).collect::<CoreResult<Vec<T>>>()?;
        Ok((items, result.has_more))
    }
}

impl Core {
    /// The caller's object of kind `T` with this id. Another organization's
    /// object, or one of the other mode, answers exactly like an unknown id,
    /// so no caller learns that it exists.
    pub async fn owned<T: Owned + Clone + 'static>(&self, principal: &auth::Principal, id: &str) -> CoreResult<T> {
        Ok(unshared(self.owned_shared::<T>(principal, id).await?))
    }

    /// [`Core::owned`] without copying what the read cache holds.
    pub async fn owned_shared<T: Owned + 'static>(&self, principal: &auth::Principal, id: &str) -> CoreResult<Arc<T>> {
        if !crate::ids::is_id(T::ID_PREFIX, id) {
            return Err(CoreError::NotFound(T::NAME));
        }
        match self.get_shared::<T>(id).await? {
            Some(item) if principal.owns(&*item) => Ok(item),
            _ => Err(CoreError::NotFound(T::NAME)),
        }
    }

    /// A cursor must name an item the list itself could show: another
    /// organization's id, or one of the other mode, answers exactly like an
    /// unknown one, so a list never confirms that a foreign id exists.
    async fn check_cursor_tenant(&self, collection: &str, filter: &Filter, page: &Page) -> CoreResult<()> {
        let Some(cursor) = &page.starting_after else {
            return Ok(());
        };
        let tenant: Vec<&(&str, serde_json::Value)> =
            filter.iter().filter(|(field, _)| TENANT_FIELDS.contains(field)).collect();
        if tenant.is_empty() {
            return Ok(());
        }
        match self.store.get(collection, cursor).await? {
            Some(document) if tenant.iter().all(|(field, value)| tenant_field(&document.body, field) == *value) => {
                Ok(())
            }
            _ => Err(StoreError::UnknownCursor.into()),
        }
    }

    /// Lists' base filter: the caller's organization and mode, narrowed to
    /// one of its sites when `site_id` is given (a site the caller does not
    /// own is a 404, as everywhere).
    pub async fn scoped_filter(&self, principal: &auth::Principal, site_id: &str) -> CoreResult<Filter> {
        let mut filter = principal.tenant_filter();
        if !site_id.is_empty() {
            self.owned_site(principal, site_id).await?;
            filter.push(("siteId", site_id.into()));
        }
        Ok(filter)
    }
}

/// `limit` 1..=100 (absent → 10) and an optional cursor, as API.md's
/// lists.
pub fn page(limit: Option<u32>, starting_after: &str) -> CoreResult<Page> {
    let limit = match limit {
        None => 10,
        Some(limit @ 1..=100) => limit as usize,
        _ => return Err(CoreError::field("limit", "limit_invalid", "limit must be between 1 and 100")),
    };
    let starting_after = (!starting_after.is_empty()).then(|| starting_after.to_owned());
    Ok(Page { limit, starting_after })
}

/// A core over `store` with test settings: private IPN targets allowed,
/// fast retries, one worker, no VIES or PDF worker.
#[cfg(test)]
pub(crate) fn test_core(store: Arc<dyn Store>, idempotency_lock_micros: i64) -> Core {
    Core {
        provider: Arc::new(crate::providers::sandbox::SandboxProvider::new(store.clone(), Default::default())),
        http: reqwest::Client::new(),
        provider_http: reqwest::Client::new(),
        provider_clients: Default::default(),
        numbering: Default::default(),
        cache: Default::default(),
        inline_ipn: Arc::new(inline::InlineWork::new(ipn::INLINE_FIRST_ATTEMPTS)),
        inline_payments: Arc::new(inline::InlineWork::new(transactions::INLINE_PAYMENTS)),
        background: Default::default(),
        ipn_clients: Default::default(),
        clock: Arc::new(crate::clock::SystemClock),
        dns: Arc::new(crate::dns::PublishedTxtRecords::default()),
        vies: None,
        pdf: None,
        store,
        queue: Arc::new(crate::queue::MemoryQueue::new(3)),
        sealing: crate::crypto::SealingKey::parse(&"11".repeat(32)).expect("key"),
        settings: Arc::new(Settings {
            checkout_base_url: "http://localhost".into(),
            ipn_allow_private: true,
            idempotency_lock_micros,
            ipn_fast_retries: true,
            workers: 1,
            platform_domains: Vec::new(),
            pdf_token: None,
            hooks_base_url: "http://localhost".into(),
            stripe_api_base: provider_accounts::STRIPE_API.into(),
            gocardless_api_base: None,
            provider_allow_private: true,
            jwt_secret: None,
            admin_panel_url: "http://localhost".into(),
        }),
    }
}
