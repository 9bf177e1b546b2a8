//! Outbound IPN: every transaction state change (and checkout expiry) of a
//! checkout with an `ipnUrl` becomes an event, recorded idempotently from
//! the state it describes (its id is derived from the change, so recording
//! twice records once), then delivered by the dispatcher with both
//! signature header sets, retries on API.md's schedule, `Retry-After`, a
//! 10 s timeout, no redirects, and the SSRF guard at every attempt.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use paygate_contract::wire;
use serde::{Deserialize, Serialize};

use super::{
    Core, Entity, Owned,
    auth::Principal,
    checkouts::{Checkout, CheckoutStatus},
    sites::Site,
    subscriptions::Subscription,
    transactions::{RefundStatus, Transaction, TransactionStatus},
};
use crate::{
    api::convert,
    error::{CoreError, CoreResult},
    ids::derived_id,
    store::{Page, StoreError},
};

pub const IPN_QUEUE: &str = "ipn.deliver";
/// Delay before each retry after the first attempt (API.md): immediately,
/// 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h; then the delivery fails.
pub const RETRY_SCHEDULE_SECONDS: [i64; 8] = [0, 60, 300, 1800, 7200, 18000, 36000, 86400];
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const DELIVERY_LEASE_MICROS: i64 = 30_000_000;
/// A delivery job published this long ago without an attempt since is
/// presumed lost (or stuck behind a backlog that long), and published again.
pub const REQUEUE_AFTER_MICROS: i64 = 30_000_000;
const EXCERPT_CHARS: usize = 512;
/// The most of a receiver's answer that is read: enough for the excerpt in
/// any encoding, and a receiver streaming without end costs nothing more.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Pinned IPN clients kept for reuse; past this the least recently used
/// goes.
const MAX_IPN_CLIENTS: usize = 256;
const MAX_RETRY_AFTER_SECONDS: i64 = 86400;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed].into_iter().find(|s| s.as_str() == value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub at: i64,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub response_excerpt: String,
}

/// One event and its delivery to the checkout's `ipnUrl`. The id is the
/// event id (`evt_…`), stable across retries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IpnDelivery {
    pub id: String,
    /// The W3C `traceparent` of the request behind the event: each
    /// delivery attempt's span links there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_context: Option<String>,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Its checkout's mode.
    #[serde(default)]
    pub livemode: bool,
    pub site_id: String,
    pub checkout_id: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub event_type: String,
    pub url: String,
    /// The exact body, fixed when the event is recorded, so every retry
    /// sends the same bytes.
    pub payload: String,
    pub status: DeliveryStatus,
    #[serde(default)]
    pub attempts: Vec<DeliveryAttempt>,
    pub next_attempt_at: i64,
    #[serde(default)]
    pub lease_until: i64,
    /// Until when a published job is trusted to reach a dispatcher; the
    /// scheduler publishes again only after that.
    #[serde(default)]
    pub queued_until: i64,
    /// Indexed: pending deliveries, for lists and status counts.
    #[serde(default)]
    pub needs_work: bool,
}

impl Entity for IpnDelivery {
    const COLLECTION: &'static str = "ipn_deliveries";
    const NAME: &'static str = "IPN delivery";
    const LOGS_STATE: bool = true;

    /// Creation, every attempt booked (a failed one that leaves the
    /// delivery pending is a change too: it is what an operator looks
    /// for), and a resend.
    fn state_changes(before: Option<&Self>, after: &Self) -> Vec<super::state_log::StateChange> {
        use super::state_log::{NONE, StateChange, error_class};
        let line = |from, to| {
            let mut change =
                StateChange::new("ipn_delivery", &after.id, &after.organization_id, after.livemode, from, to);
            change.parent_id = Some(after.transaction_id.clone().unwrap_or_else(|| after.checkout_id.clone()));
            change.event_type = Some(after.event_type.clone());
            change
        };
        let Some(before) = before else {
            return vec![line(NONE, after.status.as_str())];
        };
        let mut from = before.status.as_str();
        let mut changes = Vec::new();
        let new_attempts = after.attempts.len().saturating_sub(before.attempts.len());
        for (index, attempt) in after.attempts.iter().enumerate().skip(before.attempts.len()) {
            let last = index + 1 == after.attempts.len();
            let succeeded = attempt.status_code.is_some_and(|code| (200..300).contains(&code));
            let to = match (last, succeeded) {
                (true, _) => after.status.as_str(),
                (false, true) => DeliveryStatus::Succeeded.as_str(),
                (false, false) => DeliveryStatus::Pending.as_str(),
            };
            let mut change = line(from, to);
            change.attempt = Some(index + 1);
            change.http_status = attempt.status_code;
            change.error_class = match (attempt.status_code, attempt.error.as_deref()) {
                (_, Some(error)) => Some(error_class(error)),
                (Some(_), None) if !succeeded => Some("http_status"),
                _ => None,
            };
            change.failed = !succeeded;
            changes.push(change);
            from = to;
        }
        if new_attempts == 0 && before.status != after.status {
            changes.push(line(from, after.status.as_str()));
        }
        changes
    }

    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    /// A pending delivery is due at its next attempt, unless a dispatcher
    /// holds it or a job for it is on its way.
    fn due_at(&self) -> Option<i64> {
        (self.status == DeliveryStatus::Pending)
            .then(|| self.next_attempt_at.max(self.lease_until).max(self.queued_until))
    }
}

impl Owned for IpnDelivery {
    const ID_PREFIX: &'static str = "evt";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

/// At most this many first attempts run straight from the code that
/// recorded their events; beyond that, events go through the IPN queue.
pub const INLINE_FIRST_ATTEMPTS: usize = 64;

/// Whose an event is: the tenant, the site and the checkout (empty for a
/// subscription sold without one) its delivery is listed under.
struct EventScope<'a> {
    organization_id: &'a str,
    livemode: bool,
    site_id: &'a str,
    checkout_id: &'a str,
}

impl<'a> EventScope<'a> {
    fn of_checkout(checkout: &'a Checkout) -> Self {
        Self {
            organization_id: &checkout.organization_id,
            livemode: checkout.livemode,
            site_id: &checkout.site_id,
            checkout_id: &checkout.id,
        }
    }
}

/// The events a transaction's state implies, each with the seed of its id.
fn transaction_events(transaction: &Transaction) -> Vec<(String, &'static str, i64)> {
    let mut events = Vec::new();
    for change in &transaction.history {
        let kind = match change.status {
            TransactionStatus::RequiresCapture => "transaction.requires_capture",
            TransactionStatus::Succeeded => "transaction.succeeded",
            TransactionStatus::Failed => "transaction.failed",
            TransactionStatus::Canceled => "transaction.canceled",
            TransactionStatus::Pending | TransactionStatus::Processing => continue,
        };
        events.push((format!("{}:{kind}", transaction.id), kind, change.at));
    }
    for (n, failure) in transaction.action_failures.iter().enumerate() {
        let kind = failure.action.failed_event();
        events.push((format!("{}:{kind}:{n}", transaction.id), kind, failure.at));
    }
    for refund in transaction.refunds.iter().filter(|r| r.status == RefundStatus::Succeeded) {
        events.push((format!("{}:refund:{}", transaction.id, refund.id), "transaction.refunded", refund.created_at));
    }
    for dispute in &transaction.disputes {
        events.push((format!("{}:dispute:{}", transaction.id, dispute.id), "transaction.disputed", dispute.created_at));
        if dispute.closed() {
            events.push((
                format!("{}:dispute:{}:closed", transaction.id, dispute.id),
                "transaction.dispute_closed",
                dispute.updated_at,
            ));
        }
    }
    events
}

/// Delay before the retry that follows `failed_attempts` failures, or
/// `None` when the schedule is exhausted. Fast mode (tests) turns each
/// minute into a second.
pub fn retry_delay_micros(failed_attempts: usize, fast: bool) -> Option<i64> {
    let seconds = *RETRY_SCHEDULE_SECONDS.get(failed_attempts.checked_sub(1)?)?;
    let seconds = if fast { seconds / 60 } else { seconds };
    Some(seconds * 1_000_000)
}

/// `Retry-After` as seconds or an HTTP date, capped at 24 h.
fn retry_after_micros(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    let seconds = match value.parse::<i64>() {
        Ok(seconds) => seconds,
        Err(_) => {
            let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (date.timestamp_micros() - now) / 1_000_000
        }
    };
    Some(seconds.clamp(0, MAX_RETRY_AFTER_SECONDS) * 1_000_000)
}

fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

impl Core {
    /// Records the events the transaction's state implies (each once) and
    /// wakes the dispatcher for new ones.
    pub(crate) async fn record_transaction_events(
        &self,
        transaction: &Transaction,
        checkout: &Checkout,
    ) -> CoreResult<()> {
        let events = transaction_events(transaction);
        if events.is_empty() {
            return Ok(());
        }
        let Some(url) = self.ipn_target(checkout).await? else {
            return Ok(());
        };
        let data = wire::IpnEventData {
            transaction: Some(wire::Transaction::from(&convert::transaction(transaction.clone()))),
            checkout: Some(self.checkout_view(checkout).await?),
            subscription: None,
            invoice_id: None,
        };
        let scope = EventScope::of_checkout(checkout);
        for (seed, kind, at) in events {
            self.record_event(&scope, Some(&transaction.id), &url, &seed, kind, at, &data).await?;
        }
        Ok(())
    }

    /// Where a checkout's IPNs go: its own `ipnUrl`, else its site's
    /// default, read when the event is recorded.
    async fn ipn_target(&self, checkout: &Checkout) -> CoreResult<Option<String>> {
        if let Some(url) = &checkout.ipn_url {
            return Ok(Some(url.clone()));
        }
        Ok(self.get_cached::<super::sites::Site>(&checkout.site_id).await?.and_then(|site| site.ipn_url))
    }

    /// Records a subscription's pending events (each once: the id derives
    /// from the subscription and the event's sequence number).
    pub(crate) async fn record_subscription_events(&self, subscription: &Subscription) -> CoreResult<()> {
        let url = match &subscription.ipn_url {
            Some(url) => Some(url.clone()),
            None => self.get_cached::<super::sites::Site>(&subscription.site_id).await?.and_then(|site| site.ipn_url),
        };
        let Some(url) = url else { return Ok(()) };
        let scope = EventScope {
            organization_id: &subscription.organization_id,
            livemode: subscription.livemode,
            site_id: &subscription.site_id,
            checkout_id: subscription.checkout_id.as_deref().unwrap_or_default(),
        };
        let view = wire::Subscription::from(&convert::subscription(subscription.clone()));
        for event in &subscription.pending_events {
            let transaction = match &event.transaction_id {
                Some(id) => self.get::<Transaction>(id).await?,
                None => None,
            };
            let data = wire::IpnEventData {
                transaction: transaction
                    .as_ref()
                    .map(|transaction| wire::Transaction::from(&convert::transaction(transaction.clone()))),
                checkout: None,
                subscription: Some(view.clone()),
                invoice_id: event.invoice_id.clone(),
            };
            let seed = format!("{}:event:{}", subscription.id, event.seq);
            let transaction_id = event.transaction_id.as_deref();
            self.record_event(&scope, transaction_id, &url, &seed, &event.kind, event.at, &data).await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_event(
        &self,
        scope: &EventScope<'_>,
        transaction_id: Option<&str>,
        url: &str,
        seed: &str,
        kind: &str,
        at: i64,
        data: &wire::IpnEventData,
    ) -> CoreResult<()> {
        // An event recorded before is found by its id: the insert reports
        // the duplicate.
        let id = derived_id("evt", seed);
        let event = wire::IpnEvent {
            id: id.clone(),
            event_type: kind.to_owned(),
            livemode: scope.livemode,
            created_at: paygate_contract::http::rfc3339(Some(&convert::timestamp(at))),
            data: data.clone(),
        };
        let payload =
            serde_json::to_string(&event).map_err(|err| CoreError::Internal(format!("IPN payload: {err}")))?;
        let now = self.now();
        let inline = self.inline_ipn.try_start();
        let delivery = IpnDelivery {
            id,
            trace_context: paygate_contract::telemetry::origin_traceparent(),
            version: 0,
            created_at: at,
            organization_id: scope.organization_id.to_owned(),
            livemode: scope.livemode,
            site_id: scope.site_id.to_owned(),
            checkout_id: scope.checkout_id.to_owned(),
            transaction_id: transaction_id.map(str::to_owned),
            event_type: kind.to_owned(),
            url: url.to_owned(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: now,
            // Claimed by this process for the first attempt, which starts
            // right below; the lease runs out if it dies first.
            lease_until: if inline.is_some() { now + DELIVERY_LEASE_MICROS } else { 0 },
            // Otherwise published right below.
            queued_until: if inline.is_some() { 0 } else { now + REQUEUE_AFTER_MICROS },
            needs_work: true,
        };
        match self.insert(&delivery).await {
            Ok(stored) => {
                match inline {
                    Some(permit) => {
                        self.background.spawn(self.clone().first_attempt(stored, permit));
                    }
                    None => {
                        if let Err(err) = self.queue.publish(IPN_QUEUE, delivery.id.as_bytes()).await {
                            tracing::warn!(error = %err, event = %delivery.id, "IPN job not published; the scheduler will");
                        }
                    }
                }
                Ok(())
            }
            Err(CoreError::Store(StoreError::Duplicate { .. })) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The checkout as `GET /api/v1/checkouts/{id}` shows it now.
    async fn checkout_view(&self, checkout: &Checkout) -> CoreResult<wire::Checkout> {
        let payment_url = self.payment_url(checkout).await?;
        Ok(wire::Checkout::from(&convert::checkout(checkout.clone(), payment_url, self.now())))
    }

    /// Expires an open checkout past its `expiresAt` and records
    /// `checkout.expired`. Idempotent.
    pub async fn expire_checkout(&self, id: &str) -> CoreResult<()> {
        let result = self
            .update::<Checkout, _>(id, |checkout| {
                let now = self.now();
                if checkout.status != CheckoutStatus::Open || checkout.expires_at > now {
                    return Err(CoreError::conflict("checkout_not_expiring", "not open past expiry"));
                }
                checkout.status = CheckoutStatus::Expired;
                checkout.follow_up = true;
                Ok(())
            })
            .await;
        let checkout = match result {
            Ok(checkout) => checkout,
            Err(CoreError::Conflict { code: "checkout_not_expiring", .. }) => return Ok(()),
            Err(err) => return Err(err),
        };
        self.follow_up_checkout(checkout).await
    }

    pub async fn follow_up_checkout(&self, checkout: Checkout) -> CoreResult<()> {
        if !checkout.follow_up {
            return Ok(());
        }
        let url = self.ipn_target(&checkout).await?;
        if checkout.status == CheckoutStatus::Expired
            && let Some(url) = url.clone()
        {
            let data = wire::IpnEventData::of_checkout(self.checkout_view(&checkout).await?);
            let seed = format!("{}:checkout.expired", checkout.id);
            self.record_event(
                &EventScope::of_checkout(&checkout),
                None,
                &url,
                &seed,
                "checkout.expired",
                checkout.expires_at,
                &data,
            )
            .await?;
        }
        // Closed after too many failed attempts.
        if checkout.status == CheckoutStatus::Canceled
            && checkout.failed_attempts >= super::checkouts::MAX_FAILED_ATTEMPTS
            && let Some(url) = url
        {
            let now = self.now();
            let data = wire::IpnEventData::of_checkout(self.checkout_view(&checkout).await?);
            let seed = format!("{}:checkout.canceled", checkout.id);
            self.record_event(&EventScope::of_checkout(&checkout), None, &url, &seed, "checkout.canceled", now, &data)
                .await?;
        }
        let mut done = checkout;
        done.follow_up = false;
        match self.replace(&done).await {
            Ok(_) | Err(CoreError::Store(StoreError::VersionConflict)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Makes one delivery attempt if it is due and nobody else is on it,
    /// and books the outcome. Returns whether another attempt is due now.
    pub async fn deliver_ipn(&self, id: &str) -> CoreResult<bool> {
        let Some(delivery) = self.get::<IpnDelivery>(id).await? else {
            return Ok(false);
        };
        let now = self.now();
        if delivery.status != DeliveryStatus::Pending || delivery.next_attempt_at > now || delivery.lease_until > now {
            return Ok(false);
        }
        let mut claimed = delivery;
        claimed.lease_until = now + DELIVERY_LEASE_MICROS;
        let claimed = match self.replace(&claimed).await {
            Ok(claimed) => claimed,
            Err(CoreError::Store(StoreError::VersionConflict)) => return Ok(false),
            Err(err) => return Err(err),
        };
        self.attempt_and_book(claimed).await
    }

    /// The first attempt of a delivery recorded with this process's lease:
    /// no queue round trip and no claim, since the lease was taken with
    /// the insert. Runs like a dispatcher's job (background store lane,
    /// the scheduler as actor); if it fails or the process dies, the lease
    /// runs out and the scheduler hands the delivery to a dispatcher.
    async fn first_attempt(self, delivery: IpnDelivery, _running: tokio::sync::OwnedSemaphorePermit) {
        let id = delivery.id.clone();
        let attempts = async {
            let mut retry_now = self.attempt_and_book(delivery).await?;
            while retry_now {
                retry_now = self.deliver_ipn(&id).await?;
            }
            CoreResult::Ok(())
        };
        let outcome = crate::store::background(super::state_log::acting(super::state_log::Actor::Scheduler, attempts));
        if let Err(err) = outcome.await {
            tracing::warn!(event = %id, error = %err, "first IPN attempt not booked; the scheduler retries it");
        }
    }

    /// Makes one attempt of a delivery this process holds the lease of and
    /// books the outcome. Returns whether another attempt is due now.
    async fn attempt_and_book(&self, claimed: IpnDelivery) -> CoreResult<bool> {
        // One span per attempt, linked to the request behind the event.
        let span = tracing::info_span!(
            "ipn.deliver",
            otel.kind = "client",
            paygate.ipn_delivery_id = %claimed.id,
            paygate.event_type = %claimed.event_type,
            paygate.organization_id = %claimed.organization_id,
            paygate.attempt = claimed.attempts.len() + 1,
            http.response.status_code = tracing::field::Empty,
        );
        paygate_contract::telemetry::link_to_origin(&span, claimed.trace_context.as_deref());
        let attempt = tracing::Instrument::instrument(self.attempt_delivery(&claimed), span.clone()).await;
        if let Some(code) = attempt.record.status_code {
            span.record("http.response.status_code", code);
        }
        let mut retry_now = false;
        let fast = self.settings.ipn_fast_retries;
        let written = self
            .modify(claimed, |delivery| {
                let now = self.now();
                delivery.attempts.push(attempt.record.clone());
                delivery.lease_until = 0;
                // The job that brought this attempt is used up: the next
                // attempt is due on its own time.
                delivery.queued_until = 0;
                if attempt.record.status_code.is_some_and(|code| (200..300).contains(&code)) {
                    delivery.status = DeliveryStatus::Succeeded;
                } else {
                    match retry_delay_micros(delivery.attempts.len(), fast) {
                        Some(delay) => {
                            let wait = attempt.retry_after.map_or(delay, |after| after.max(delay));
                            delivery.next_attempt_at = now + wait;
                            retry_now = wait == 0;
                        }
                        None => delivery.status = DeliveryStatus::Failed,
                    }
                }
                delivery.needs_work = delivery.status == DeliveryStatus::Pending;
                Ok(())
            })
            .await?;
        count_attempt(&written);
        Ok(retry_now)
    }

    async fn attempt_delivery(&self, delivery: &IpnDelivery) -> Attempt {
        let started = Instant::now();
        let at = self.now();
        let failed = |error: String| Attempt {
            record: DeliveryAttempt {
                at,
                status_code: None,
                latency_ms: started.elapsed().as_millis() as u64,
                error: Some(error),
                response_excerpt: String::new(),
            },
            retry_after: None,
        };
        let (secret, previous) = match self.get_cached::<Site>(&delivery.site_id).await {
            Ok(Some(site)) => match (self.webhook_secret(&site), self.previous_webhook_secret(&site)) {
                (Ok(secret), Ok(previous)) => (secret, previous),
                _ => return failed("the site's signing secret could not be opened".into()),
            },
            Ok(None) => return failed("the site no longer exists".into()),
            Err(err) => return failed(format!("store: {err}")),
        };
        // DNS is checked again at every attempt, and the connection goes to
        // exactly the addresses that passed the check.
        let client = match self.ipn_client(&delivery.url).await {
            Ok(client) => client,
            Err(err) => return failed(err),
        };
        let timestamp = self.now().div_euclid(1_000_000);
        let mut request = client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("user-agent", concat!("Paygate-IPN/", env!("CARGO_PKG_VERSION")))
            .body(delivery.payload.clone());
        let previous = previous.as_ref().map(|previous| previous.expose());
        for (name, value) in
            crate::signing::headers(secret.expose(), previous, &delivery.id, timestamp, delivery.payload.as_bytes())
        {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after_micros(v, self.now()));
                let body = read_capped(response, MAX_RESPONSE_BYTES).await;
                Attempt {
                    record: DeliveryAttempt {
                        at,
                        status_code: Some(status),
                        latency_ms: started.elapsed().as_millis() as u64,
                        error: None,
                        response_excerpt: excerpt(&String::from_utf8_lossy(&body)),
                    },
                    retry_after,
                }
            }
            Err(err) if err.is_timeout() => failed(format!("timed out after {}s", REQUEST_TIMEOUT.as_secs())),
            Err(err) if err.is_connect() => failed("connection failed".into()),
            Err(err) => failed(format!("request failed: {}", excerpt(&err.to_string()))),
        }
    }

    async fn ipn_client(&self, url: &str) -> Result<reqwest::Client, String> {
        if self.settings.ipn_allow_private {
            return Ok(self.http.clone());
        }
        let addresses =
            crate::ssrf::check_resolves_public("ipnUrl", url, false).await.map_err(|err| err.to_string())?;
        let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        self.ipn_clients.pinned(&host, addresses)
    }

    pub async fn list_ipn_deliveries(
        &self,
        principal: &Principal,
        site_id: &str,
        status: Option<DeliveryStatus>,
        object_id: &str,
        page: &Page,
    ) -> CoreResult<(Vec<IpnDelivery>, bool)> {
        let mut filter = self.scoped_filter(principal, site_id).await?;
        if let Some(status) = status {
            filter.push(("status", status.as_str().into()));
        }
        // Another organization's id simply matches nothing here: the
        // tenant filter already excludes its deliveries.
        match object_id.trim() {
            "" => {}
            id if id.starts_with("txn_") => filter.push(("transactionId", id.into())),
            id if id.starts_with("chk_") => filter.push(("checkoutId", id.into())),
            _ => {
                return Err(CoreError::field(
                    "objectId",
                    "object_id_invalid",
                    "objectId must be a transaction (txn_…) or checkout (chk_…) id",
                ));
            }
        }
        self.list(&filter, page).await
    }

    /// Queues a delivery again now (after a failure, or to repeat a
    /// success); the attempt log is kept.
    pub async fn resend_ipn(&self, principal: &Principal, id: &str) -> CoreResult<IpnDelivery> {
        let delivery: IpnDelivery = self.owned(principal, id).await?;
        let delivery = self
            .modify(delivery, |delivery| {
                delivery.status = DeliveryStatus::Pending;
                delivery.next_attempt_at = self.now();
                delivery.queued_until = delivery.next_attempt_at + REQUEUE_AFTER_MICROS;
                delivery.needs_work = true;
                Ok(())
            })
            .await?;
        self.queue.publish(IPN_QUEUE, delivery.id.as_bytes()).await?;
        Ok(delivery)
    }
}

struct Attempt {
    record: DeliveryAttempt,
    retry_after: Option<i64>,
}

/// Reads at most `limit` bytes of the answer and drops the rest unread: the
/// connection closes instead of draining a body that may never end.
/// `paygate_ipn_deliveries_total` for the attempt just booked on `delivery`:
/// delivered, failed (a retry follows) or dead (no retry left). Attempt
/// numbers past the retry schedule share one label.
fn count_attempt(delivery: &IpnDelivery) {
    const LABELS: [&str; 8] = ["1", "2", "3", "4", "5", "6", "7", "8"];
    let attempt = delivery.attempts.len().checked_sub(1).and_then(|index| LABELS.get(index)).copied().unwrap_or("9+");
    let outcome = match delivery.status {
        DeliveryStatus::Succeeded => "delivered",
        DeliveryStatus::Pending => "failed",
        DeliveryStatus::Failed => "dead",
    };
    metrics::counter!("paygate_ipn_deliveries_total", "outcome" => outcome, "attempt" => attempt).increment(1);
}

async fn read_capped(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// Where a pinned client connects: the host and exactly the addresses that
/// passed the SSRF check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PinnedAddresses {
    host: String,
    addresses: Vec<SocketAddr>,
}

/// Reuses one client (and so its connection pool and TLS sessions) per
/// host and pinned address set, instead of building one per attempt. A new
/// DNS answer is a new key: a client never connects anywhere its key did
/// not pass the SSRF check for.
#[derive(Default)]
pub struct IpnClients {
    clients: Mutex<ClientCache>,
}

#[derive(Default)]
struct ClientCache {
    entries: HashMap<PinnedAddresses, (reqwest::Client, u64)>,
    uses: u64,
}

impl IpnClients {
    pub fn pinned(&self, host: &str, mut addresses: Vec<SocketAddr>) -> Result<reqwest::Client, String> {
        addresses.sort_unstable();
        addresses.dedup();
        let key = PinnedAddresses { host: host.to_owned(), addresses };
        // Nothing under this lock panics midway through a change.
        let mut cache = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        cache.uses += 1;
        let now = cache.uses;
        if let Some((client, last_use)) = cache.entries.get_mut(&key) {
            *last_use = now;
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .resolve_to_addrs(&key.host, &key.addresses)
            .build()
            .map_err(|err| format!("client: {err}"))?;
        if cache.entries.len() >= MAX_IPN_CLIENTS
            && let Some(oldest) =
                cache.entries.iter().min_by_key(|(_, (_, last_use))| *last_use).map(|(k, _)| k.clone())
        {
            cache.entries.remove(&oldest);
        }
        cache.entries.insert(key, (client.clone(), now));
        Ok(client)
    }

    pub fn len(&self) -> usize {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_api_md() {
        let delays: Vec<_> = (1..=9).map(|n| retry_delay_micros(n, false).map(|d| d / 1_000_000)).collect();
        assert_eq!(
            delays,
            [Some(0), Some(60), Some(300), Some(1800), Some(7200), Some(18000), Some(36000), Some(86400), None]
        );
        assert_eq!(retry_delay_micros(2, true), Some(1_000_000));
    }

    #[test]
    fn pinned_clients_are_reused_per_host_and_address_set() {
        let clients = IpnClients::default();
        let a: SocketAddr = "203.0.113.1:443".parse().expect("addr");
        let b: SocketAddr = "203.0.113.2:443".parse().expect("addr");
        clients.pinned("shop.example", vec![a, b]).expect("client");
        // Same host and addresses, in another order: the same client.
        clients.pinned("shop.example", vec![b, a, a]).expect("client");
        assert_eq!(clients.len(), 1);
        // Another DNS answer, or another host: another client.
        clients.pinned("shop.example", vec![a]).expect("client");
        clients.pinned("other.example", vec![a, b]).expect("client");
        assert_eq!(clients.len(), 3);
    }

    #[test]
    fn the_client_cache_is_bounded_and_keeps_what_is_in_use() {
        let clients = IpnClients::default();
        let address = |n: usize| -> SocketAddr { format!("203.0.113.1:{}", 1000 + n).parse().expect("addr") };
        clients.pinned("hot.example", vec![address(0)]).expect("client");
        for n in 1..=2 * MAX_IPN_CLIENTS {
            clients.pinned("cold.example", vec![address(n)]).expect("client");
            // Used all along, so never the least recently used.
            clients.pinned("hot.example", vec![address(0)]).expect("client");
        }
        assert_eq!(clients.len(), MAX_IPN_CLIENTS);
        let cache = clients.clients.lock().expect("lock");
        let hot = PinnedAddresses { host: "hot.example".into(), addresses: vec![address(0)] };
        assert!(cache.entries.contains_key(&hot));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now =
            chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT").expect("date").timestamp_micros();
        assert_eq!(retry_after_micros("120", now), Some(120_000_000));
        assert_eq!(retry_after_micros("Wed, 21 Oct 2015 07:30:00 GMT", now), Some(120_000_000));
        assert_eq!(retry_after_micros("999999999", now), Some(86_400_000_000));
        assert_eq!(retry_after_micros("soon", now), None);
    }
}
