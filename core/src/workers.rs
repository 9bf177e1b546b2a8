//! Core's background work: payment workers, IPN dispatchers and the
//! sweeper. Every replica runs all three against the shared store and
//! queue; leases and compare-and-swap keep them from doing anything twice.

use std::{future::Future, time::Duration};

use tokio::{sync::watch, task::JoinSet};

use crate::{
    domain::{
        Core, Entity,
        checkouts::{Checkout, CheckoutStatus},
        ipn::{IPN_QUEUE, IpnDelivery},
        now_micros,
        transactions::{PAYMENT_QUEUE, Transaction},
    },
    error::CoreResult,
    queue::Delivery,
    store::Page,
};

/// Queue lease: longer than a worker's store lease, so the store lease
/// decides who owns the work.
const JOB_LEASE: Duration = Duration::from_secs(60);
const CONSUME_WAIT: Duration = Duration::from_secs(1);
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// Work untouched for this long is presumed abandoned by its worker.
const STALE_MICROS: i64 = 2_000_000;
const SWEEP_BATCH: usize = 100;
const SWEEP_MAX_PAGES: usize = 20;

/// The queues core consumes.
pub const QUEUES: [&str; 2] = [PAYMENT_QUEUE, IPN_QUEUE];

/// Starts the workers; they stop taking new work when `stop` turns true
/// and finish the job in hand.
pub fn spawn(core: Core, stop: watch::Receiver<bool>) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    for _ in 0..core.settings.workers.max(1) {
        tasks.spawn(consume(core.clone(), stop.clone(), PAYMENT_QUEUE, |core, job| async move {
            core.process_payment(&job).await
        }));
        tasks.spawn(consume(core.clone(), stop.clone(), IPN_QUEUE, |core, job| async move {
            // An immediate retry (API.md's first retry) runs at once.
            while core.deliver_ipn(&job).await? {}
            Ok(())
        }));
    }
    tasks.spawn(sweep_forever(core, stop));
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
        match crate::store::background(handle(core.clone(), job.clone())).await {
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

async fn sweep_forever(core: Core, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_INTERVAL) => {}
            _ = stop.changed() => return,
        }
        if let Err(err) = crate::store::background(sweep(&core)).await {
            tracing::warn!(error = %err, "sweep failed");
        }
    }
}

/// Pages through an indexed equality query, newest first.
async fn scan<T: Entity>(core: &Core, field: &'static str, value: serde_json::Value) -> CoreResult<Vec<T>> {
    let mut out = Vec::new();
    let mut page = Page { limit: SWEEP_BATCH, starting_after: None };
    for _ in 0..SWEEP_MAX_PAGES {
        let (items, has_more) = core.list::<T>(&vec![(field, value.clone())], &page).await?;
        page.starting_after = items.last().map(|t| t.id().to_owned());
        out.extend(items);
        if !has_more {
            break;
        }
    }
    Ok(out)
}

/// One pass: re-drives stalled transactions, expires checkouts, records
/// their events, and wakes due IPN deliveries.
pub async fn sweep(core: &Core) -> CoreResult<()> {
    let now = now_micros();
    for transaction in scan::<Transaction>(core, "needsWork", true.into()).await? {
        let stale = transaction.updated_at.max(transaction.created_at) + STALE_MICROS <= now;
        if transaction.lease_until <= now && stale {
            let id = transaction.id.clone();
            if let Err(err) = core.resume_transaction(transaction).await {
                tracing::warn!(transaction = %id, error = %err, "re-drive failed");
            }
        }
    }
    for checkout in scan::<Checkout>(core, "status", CheckoutStatus::Open.as_str().into()).await? {
        if checkout.expires_at <= now {
            core.expire_checkout(&checkout.id).await?;
        }
    }
    for checkout in scan::<Checkout>(core, "followUp", true.into()).await? {
        core.follow_up_checkout(checkout).await?;
    }
    for delivery in scan::<IpnDelivery>(core, "needsWork", true.into()).await? {
        if delivery.next_attempt_at <= now && delivery.lease_until <= now {
            core.queue.publish(IPN_QUEUE, delivery.id.as_bytes()).await?;
        }
    }
    Ok(())
}
