//! Core's background work: payment workers, IPN dispatchers and the
//! scheduler. Every replica runs all three against the shared store and
//! queue; leases and compare-and-swap keep them from doing anything twice.
//!
//! The scheduler finds its work through the store's due index: every
//! entity with something time-driven ahead of it carries `dueAt` (see
//! [`Entity::due_at`]), and a pass walks what is due on the core's clock,
//! oldest first, with a cursor per kind. A pass handles at most
//! [`PASS_BUDGET`] items of a kind; the next pass resumes from the cursor,
//! so a backlog is worked through in due order and a pass costs what is
//! due, never what exists. Waking an item pushes its `dueAt` forward
//! (a claim written before the job is published), so a job is published
//! again only once the previous one is stale.

use std::{fmt::Display, future::Future, time::Duration};

use tokio::{sync::watch, task::JoinSet};

use crate::{
    domain::{
        Core, Entity,
        checkouts::{Checkout, CheckoutStatus},
        ipn::{IPN_QUEUE, IpnDelivery, REQUEUE_AFTER_MICROS},
        provider_events::{EventStatus, PROVIDER_EVENT_QUEUE, ProviderEventRecord},
        state_log::{self, Actor},
        subscriptions::Subscription,
        transactions::{PAYMENT_QUEUE, Transaction, WORK_LEASE_MICROS},
    },
    error::{CoreError, CoreResult},
    queue::Delivery,
    store::{DueCursor, StoreError},
};

/// Queue lease: longer than a worker's store lease, so the store lease
/// decides who owns the work.
const JOB_LEASE: Duration = Duration::from_secs(60);
const CONSUME_WAIT: Duration = Duration::from_secs(1);
const PASS_INTERVAL: Duration = Duration::from_secs(1);
/// Due items read from the store at a time.
const PAGE_SIZE: usize = 100;
/// Most items of one kind a pass handles; the next pass goes on from there.
pub const PASS_BUDGET: usize = 1_000;

/// The queues core consumes.
pub const QUEUES: [&str; 3] = [PAYMENT_QUEUE, IPN_QUEUE, PROVIDER_EVENT_QUEUE];

/// Starts the workers on `runtime`; they stop taking new work when `stop`
/// turns true and finish the job in hand.
pub fn spawn(core: Core, stop: watch::Receiver<bool>, runtime: &tokio::runtime::Handle) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    for _ in 0..core.settings.workers.max(1) {
        tasks.spawn_on(
            consume(
                core.clone(),
                stop.clone(),
                PAYMENT_QUEUE,
                |core, job| async move { core.process_payment(&job).await },
            ),
            runtime,
        );
        tasks.spawn_on(
            consume(core.clone(), stop.clone(), IPN_QUEUE, |core, job| async move {
                // An immediate retry (API.md's first retry) runs at once.
                while core.deliver_ipn(&job).await? {}
                Ok(())
            }),
            runtime,
        );
    }
    // Provider events are few next to payments: a handful of appliers.
    for _ in 0..core.settings.workers.clamp(1, 4) {
        tasks.spawn_on(
            consume(core.clone(), stop.clone(), PROVIDER_EVENT_QUEUE, |core, job| async move {
                core.apply_provider_event(&job).await
            }),
            runtime,
        );
    }
    tasks.spawn_on(schedule_forever(core, stop), runtime);
    tasks
}

async fn consume<F, Fut>(core: Core, mut stop: watch::Receiver<bool>, queue: &'static str, handle: F)
where
    F: Fn(Core, String) -> Fut,
    Fut: Future<Output = CoreResult<()>>,
{
    while !*stop.borrow() {
        let delivery = tokio::select! {
            delivery = core.queue.consume(queue, JOB_LEASE, CONSUME_WAIT) => delivery,
            _ = stop.changed() => break,
        };
        let delivery: Delivery = match delivery {
            Ok(Some(delivery)) => delivery,
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(%queue, error = %err, "queue unavailable");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let job = String::from_utf8_lossy(&delivery.payload).into_owned();
        // Background work yields the store to API requests.
        let actor = if queue == PROVIDER_EVENT_QUEUE { Actor::ProviderWebhook } else { Actor::Scheduler };
        match crate::store::background(state_log::acting(actor, handle(core.clone(), job.clone()))).await {
            Ok(()) => {
                if let Err(err) = core.queue.ack(&delivery).await {
                    tracing::warn!(%queue, %job, error = %err, "ack failed; the job will be redelivered");
                }
            }
            Err(err) => {
                tracing::warn!(%queue, %job, error = %err, "job failed; retrying later");
                let delay = Duration::from_millis(200 * u64::from(delivery.attempt.min(25)));
                if let Err(err) = core.queue.nack(&delivery, delay).await {
                    tracing::warn!(%queue, %job, error = %err, "nack failed");
                }
            }
        }
    }
}

async fn schedule_forever(core: Core, mut stop: watch::Receiver<bool>) {
    if let Err(err) = crate::store::background(backfill_due_times(&core)).await {
        tracing::warn!(error = %err, "due times of older documents not filled in; retried at the next start");
    }
    let mut scheduler = Scheduler::default();
    loop {
        // A pass that stopped at its budget left a backlog: the next one
        // goes on at once.
        let pause = if scheduler.caught_up() { PASS_INTERVAL } else { Duration::ZERO };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        crate::store::background(scheduler.pass(&core)).await;
    }
}

/// The record that [`backfill_due_times`] ran to its end.
const DUE_TIMES_MIGRATION: &str = "mig_due_times";

/// Documents written before the due index existed carry no `dueAt`, so the
/// scheduler would never see them: rewrite those that have work ahead, and
/// every write from then on keeps `dueAt` current. Walks every transaction,
/// IPN delivery and checkout once, newest first, and writes only those
/// with work ahead and still without a due time. The flags that used to
/// mark such work (`needsWork`, `followUp`) are no longer indexed: every
/// write paid for those indexes, and this walk was their only reader.
/// Runs to its end once per store: every later start skips it (it used to
/// read every open checkout at every start, which on a busy store took
/// seconds and mapped much of the database into memory). Returns `None`
/// when it had already run.
pub async fn backfill_due_times(core: &Core) -> CoreResult<Option<usize>> {
    if core.migration_done(DUE_TIMES_MIGRATION).await? {
        return Ok(None);
    }
    let mut filled = 0;
    filled += backfill::<Transaction>(core).await?;
    filled += backfill::<IpnDelivery>(core).await?;
    filled += backfill::<Checkout>(core).await?;
    if filled > 0 {
        tracing::info!(filled, "due times filled in on older documents");
    }
    core.record_migration(DUE_TIMES_MIGRATION, filled as u64).await?;
    Ok(Some(filled))
}

async fn backfill<T: Entity>(core: &Core) -> CoreResult<usize> {
    let filter = Vec::new();
    let mut page = crate::store::Page { limit: PAGE_SIZE, starting_after: None };
    let mut filled = 0;
    loop {
        let result = core.store.find(T::COLLECTION, &filter, &page).await?;
        page.starting_after = result.data.last().map(|document| document.id.clone());
        for document in result.data.into_iter().filter(|document| document.due_at().is_none()) {
            let id = document.id.clone();
            match crate::domain::from_document::<T>(document) {
                Ok(entity) if entity.due_at().is_some() => match claim(core, &entity).await {
                    Ok(Some(_)) => filled += 1,
                    Ok(None) => {}
                    Err(err) => log_skipped(T::NAME, &id, &err),
                },
                Ok(_) => {}
                Err(err) => log_skipped(T::NAME, &id, &err),
            }
        }
        if !result.has_more {
            return Ok(filled);
        }
    }
}

/// One organization's background work, shaped like a queue's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkStatus {
    pub queue: &'static str,
    /// Waiting to be worked on.
    pub depth: u64,
    /// Being worked on now.
    pub in_flight: u64,
    /// Waiting for a retry after a failed attempt.
    pub retried: u64,
    /// Given up on.
    pub dead: u64,
}

/// Counting stops here: a figure this high already says "a lot".
pub const MAX_STATUS_COUNT: u64 = 100_000;

impl Core {
    /// The caller's own background work (its organization, its mode),
    /// counted from its records in the store. Queue-wide figures would show other organizations' traffic,
    /// so they are never given out per key.
    pub async fn work_status(&self, principal: &crate::domain::auth::Principal) -> CoreResult<Vec<WorkStatus>> {
        use crate::domain::{ipn::DeliveryStatus, transactions::TransactionStatus};
        let count = |collection: &'static str, status: &'static str| {
            let mut filter = principal.tenant_filter();
            filter.push(("status", status.into()));
            async move { self.store.count(collection, &filter, MAX_STATUS_COUNT).await }
        };
        let payments = WorkStatus {
            queue: PAYMENT_QUEUE,
            depth: count(Transaction::COLLECTION, TransactionStatus::Pending.as_str()).await?,
            in_flight: count(Transaction::COLLECTION, TransactionStatus::Processing.as_str()).await?,
            // A payment is never dropped: a retry keeps it `processing` and
            // giving up ends it `failed`, like any declined charge.
            retried: 0,
            dead: 0,
        };
        let deliveries = WorkStatus {
            queue: IPN_QUEUE,
            depth: count(IpnDelivery::COLLECTION, DeliveryStatus::Pending.as_str()).await?,
            in_flight: 0,
            retried: 0,
            dead: count(IpnDelivery::COLLECTION, DeliveryStatus::Failed.as_str()).await?,
        };
        Ok(vec![payments, deliveries])
    }
}

/// What one pass of the scheduler did, per kind of work.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Transactions with abandoned work handed back to a worker.
    pub transactions: usize,
    /// Open checkouts expired and checkouts followed up.
    pub checkouts: usize,
    /// IPN delivery jobs published.
    pub deliveries: usize,
    /// Provider events not applied yet, handed to an applier, and finished
    /// ones past their retention, purged.
    pub provider_events: usize,
    /// Subscriptions whose due steps ran (renewals, retries, trial ends,
    /// notices, expiries, cancellations at period end).
    pub subscriptions: usize,
    /// Idempotency records purged.
    pub idempotency_records: usize,
    /// Documents that could not be read or handled, logged and skipped.
    pub skipped: usize,
}

/// The scheduler's place in each kind of due work. It lives as long as the
/// scheduler task; a fresh one (after a restart) simply starts from the
/// oldest due item.
#[derive(Debug, Default)]
pub struct Scheduler {
    transactions: Option<DueCursor>,
    checkouts: Option<DueCursor>,
    deliveries: Option<DueCursor>,
    provider_events: Option<DueCursor>,
    subscriptions: Option<DueCursor>,
    idempotency_records: Option<DueCursor>,
}

impl Scheduler {
    /// True when the last pass reached the end of every kind of due work.
    pub fn caught_up(&self) -> bool {
        self.transactions.is_none()
            && self.checkouts.is_none()
            && self.deliveries.is_none()
            && self.provider_events.is_none()
            && self.subscriptions.is_none()
            && self.idempotency_records.is_none()
    }

    /// One pass over everything due now. Failures are per item (logged,
    /// counted, skipped) or, when the store itself fails, per kind: one
    /// kind's trouble never stops the others.
    pub async fn pass(&mut self, core: &Core) -> PassReport {
        // Boxed: a pass is a large future, and callers (tests among them)
        // poll it on a thread's own stack.
        state_log::acting(Actor::Scheduler, Box::pin(self.run_pass(core))).await
    }

    async fn run_pass(&mut self, core: &Core) -> PassReport {
        let mut report = PassReport::default();
        let now = core.now();
        let (handled, skipped) = walk_due(core, now, &mut self.transactions, |t| wake_transaction(core, t, now)).await;
        report.transactions = handled;
        report.skipped += skipped;
        let (handled, skipped) = walk_due(core, now, &mut self.checkouts, |c| due_checkout(core, c, now)).await;
        report.checkouts = handled;
        report.skipped += skipped;
        let (handled, skipped) = walk_due(core, now, &mut self.deliveries, |d| wake_delivery(core, d, now)).await;
        report.deliveries = handled;
        report.skipped += skipped;
        let (handled, skipped) =
            walk_due(core, now, &mut self.provider_events, |e| wake_provider_event(core, e, now)).await;
        report.provider_events = handled;
        report.skipped += skipped;
        let (handled, skipped) = walk_due(core, now, &mut self.subscriptions, |s| due_subscription(core, s, now)).await;
        report.subscriptions = handled;
        report.skipped += skipped;
        match core.purge_idempotency_records(self.idempotency_records.as_ref(), PASS_BUDGET).await {
            Ok((reached, purged)) => {
                self.idempotency_records = reached;
                report.idempotency_records = purged;
            }
            Err(err) => tracing::warn!(error = %err, "idempotency purge failed; retrying next pass"),
        }
        report
    }
}

/// Walks the due items of one kind from `cursor`, at most [`PASS_BUDGET`]
/// of them, calling `handle` on each. Leaves `cursor` where the next pass
/// should go on (`None` once the end was reached). Returns how many items
/// `handle` acted on (it answers true) and how many were skipped.
async fn walk_due<T, F, Fut>(core: &Core, now: i64, cursor: &mut Option<DueCursor>, mut handle: F) -> (usize, usize)
where
    T: Entity,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = CoreResult<bool>>,
{
    let (mut seen, mut handled, mut skipped) = (0, 0, 0);
    while seen < PASS_BUDGET {
        let page = match core.due::<T>(now, cursor.as_ref(), PAGE_SIZE.min(PASS_BUDGET - seen)).await {
            Ok(page) => page,
            Err(err) => {
                // The cursor stays: the next pass retries from here.
                tracing::warn!(kind = T::NAME, error = %err, "due work could not be read; retrying next pass");
                return (handled, skipped);
            }
        };
        let last_page = page.len() < PAGE_SIZE.min(PASS_BUDGET - seen);
        for (position, item) in page {
            seen += 1;
            let outcome = match item {
                Ok(item) => handle(item).await,
                Err(err) => Err(err),
            };
            match outcome {
                Ok(true) => handled += 1,
                Ok(false) => {}
                Err(err) => {
                    skipped += 1;
                    log_skipped(T::NAME, &position.id, &err);
                }
            }
            *cursor = Some(position);
        }
        if last_page {
            *cursor = None;
            break;
        }
    }
    (handled, skipped)
}

fn log_skipped(kind: &str, id: &str, err: &impl Display) {
    tracing::warn!(kind, id, error = %err, "due item skipped; it stays due");
}

/// Writes the scheduler's claim before waking anything: whoever loses the
/// race (another replica's scheduler, or a worker that just moved the item
/// on) leaves it alone.
async fn claim<T: Entity>(core: &Core, claimed: &T) -> CoreResult<Option<T>> {
    match core.replace(claimed).await {
        Ok(claimed) => Ok(Some(claimed)),
        Err(CoreError::Store(StoreError::VersionConflict | StoreError::NotFound)) => Ok(None),
        Err(err) => Err(err),
    }
}

async fn wake_transaction(core: &Core, transaction: Transaction, now: i64) -> CoreResult<bool> {
    let mut claimed = transaction;
    claimed.swept_until = now + WORK_LEASE_MICROS;
    let Some(claimed) = claim(core, &claimed).await? else { return Ok(false) };
    core.resume_transaction(claimed).await?;
    Ok(true)
}

async fn due_checkout(core: &Core, checkout: Checkout, now: i64) -> CoreResult<bool> {
    if checkout.status == CheckoutStatus::Open && checkout.expires_at <= now {
        core.expire_checkout(&checkout.id).await?;
    } else if checkout.follow_up {
        core.follow_up_checkout(checkout).await?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

async fn wake_delivery(core: &Core, delivery: IpnDelivery, now: i64) -> CoreResult<bool> {
    let mut claimed = delivery;
    claimed.queued_until = now + REQUEUE_AFTER_MICROS;
    let Some(claimed) = claim(core, &claimed).await? else { return Ok(false) };
    core.queue.publish(IPN_QUEUE, claimed.id.as_bytes()).await?;
    Ok(true)
}

async fn due_subscription(core: &Core, subscription: Subscription, now: i64) -> CoreResult<bool> {
    let (ran, _) = core.run_due_steps(&subscription.id, now, false).await?;
    Ok(ran > 0)
}

async fn wake_provider_event(core: &Core, event: ProviderEventRecord, now: i64) -> CoreResult<bool> {
    if event.status != EventStatus::Received {
        // Kept long enough to recognise the provider's retries; due now
        // means its retention is over.
        return match core.store.delete_version(ProviderEventRecord::COLLECTION, &event.id, event.version).await {
            Ok(()) => Ok(true),
            Err(StoreError::VersionConflict | StoreError::NotFound) => Ok(false),
            Err(err) => Err(err.into()),
        };
    }
    let mut claimed = event;
    claimed.retry_at = now + WORK_LEASE_MICROS;
    let Some(claimed) = claim(core, &claimed).await? else { return Ok(false) };
    core.queue.publish(PROVIDER_EVENT_QUEUE, claimed.id.as_bytes()).await?;
    Ok(true)
}

/// How often the queue and scheduler gauges are refreshed.
const GAUGE_INTERVAL: Duration = Duration::from_secs(5);

/// Keeps `paygate_queue_depth`, `paygate_queue_in_flight`,
/// `paygate_queue_dead` and `paygate_scheduler_lag_seconds` current, until
/// aborted. A failing backend leaves the last values in place (the health
/// checks report it).
pub async fn refresh_gauges(core: Core) {
    loop {
        for queue in QUEUES {
            match core.queue.stats(queue).await {
                Ok(stats) => {
                    metrics::gauge!("paygate_queue_depth", "queue" => queue).set(stats.depth as f64);
                    metrics::gauge!("paygate_queue_in_flight", "queue" => queue).set(stats.in_flight as f64);
                    metrics::gauge!("paygate_queue_dead", "queue" => queue).set(stats.dead as f64);
                }
                Err(err) => tracing::debug!(queue, error = %err, "queue figures not read"),
            }
        }
        if let Some(lag) = scheduler_lag(&core).await {
            metrics::gauge!("paygate_scheduler_lag_seconds").set(lag);
        }
        tokio::time::sleep(GAUGE_INTERVAL).await;
    }
}

/// Seconds since the oldest item the scheduler walks became due without
/// being taken (taking an item moves its `dueAt` forward); 0 when nothing
/// is due. `None` when the store did not answer.
async fn scheduler_lag(core: &Core) -> Option<f64> {
    let now = core.now();
    let mut oldest: Option<i64> = None;
    for collection in [
        Transaction::COLLECTION,
        Checkout::COLLECTION,
        IpnDelivery::COLLECTION,
        ProviderEventRecord::COLLECTION,
        Subscription::COLLECTION,
    ] {
        let due = core.store.find_due(collection, now, None, 1).await.ok()?;
        if let Some(due_at) = due.first().and_then(|document| document.due_at()) {
            oldest = Some(oldest.map_or(due_at, |o| o.min(due_at)));
        }
    }
    Some(oldest.map_or(0.0, |due_at| (now - due_at).max(0) as f64 / 1_000_000.0))
}
