//! Test clocks: a frozen time a test-mode merchant moves forward by hand.
//! Customers and subscriptions made on a clock live on its time; advancing
//! it runs, in time order, everything that falls due on them meanwhile
//! (trial ends, renewals, dunning retries, expiries, cancellations), each
//! step claimed by compare-and-swap, so advances that overlap or repeat
//! (after a crash, or from two callers at once) never do anything twice.

use std::{cmp::Reverse, collections::BinaryHeap, time::Duration};

use futures::StreamExt;

use super::billing::{Progress, step_due};
use super::*;
use crate::domain::{Core, auth::Principal, idempotency::Idempotent};
use crate::store::Page;

/// Furthest one advance may move a clock (three years).
pub const MAX_ADVANCE_MICROS: i64 = 3 * 366 * DAY_MICROS;
/// How long an advance waits for charges another runner holds.
const BLOCKED_WAIT: Duration = Duration::from_secs(90);
/// Subscriptions due at the same instant that one advance runs at once.
/// Enough to fill the store's group commits; each holds one subscription's
/// documents in memory, so memory stays flat however many are due.
const CLOCK_CONCURRENCY: usize = 256;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TestClockStatus {
    Ready,
    Advancing,
}

impl TestClockStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Advancing => "advancing",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TestClock {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub organization_id: String,
    /// Always false: clocks exist in test mode only.
    pub livemode: bool,
    #[serde(default)]
    pub name: String,
    /// The clock's time (microseconds, UTC).
    pub frozen_time: i64,
    pub status: TestClockStatus,
    /// While advancing: the furthest time an advance asked for.
    #[serde(default)]
    pub advancing_to: Option<i64>,
}

impl Entity for TestClock {
    const COLLECTION: &'static str = "test_clocks";
    const NAME: &'static str = "test clock";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
}

impl Owned for TestClock {
    const ID_PREFIX: &'static str = "clock";
    fn organization_id(&self) -> &str {
        &self.organization_id
    }
    fn livemode(&self) -> bool {
        self.livemode
    }
}

fn test_mode_only(principal: &Principal) -> CoreResult<()> {
    if principal.livemode() {
        return Err(CoreError::Forbidden {
            code: "live_mode_forbidden",
            message: "test clocks exist in test mode only: use a sk_test_ key".into(),
        });
    }
    Ok(())
}

impl Core {
    pub async fn create_test_clock(
        &self,
        principal: &Principal,
        idempotency_key: &str,
        frozen_time: i64,
        name: &str,
    ) -> CoreResult<Idempotent<TestClock>> {
        test_mode_only(principal)?;
        let name = crate::domain::validate::text("name", name.trim(), 200)?.to_owned();
        let fingerprint = crate::domain::idempotency::fingerprint(&(frozen_time, &name))?;
        self.idempotent(principal, "test_clock.create", idempotency_key, fingerprint, "clock", |id| async move {
            let clock = TestClock {
                id,
                version: 0,
                created_at: self.now(),
                organization_id: principal.organization_id.clone(),
                livemode: false,
                name: name.clone(),
                frozen_time,
                status: TestClockStatus::Ready,
                advancing_to: None,
            };
            self.insert(&clock).await
        })
        .await
    }

    pub async fn owned_test_clock(&self, principal: &Principal, id: &str) -> CoreResult<TestClock> {
        test_mode_only(principal)?;
        self.owned(principal, id).await
    }

    pub async fn list_test_clocks(&self, principal: &Principal, page: &Page) -> CoreResult<(Vec<TestClock>, bool)> {
        test_mode_only(principal)?;
        self.list(&principal.tenant_filter(), page).await
    }

    /// Moves the clock to `target` (later only) and runs everything due on
    /// it up to then, in time order; answers once the clock is `ready`.
    /// Advancing to the time it already shows is a no-op, so a retried
    /// request is safe.
    pub async fn advance_test_clock(&self, principal: &Principal, id: &str, target: i64) -> CoreResult<TestClock> {
        match self.begin_advance(principal, id, target).await? {
            Some(ready) => Ok(ready),
            None => self.finish_advance(id, target).await,
        }
    }

    /// Like [`Core::advance_test_clock`], but answers after `within` at the
    /// latest: an advance still running then (a long stretch of time, or a
    /// charge held by a runner that died, whose lease must run out first)
    /// goes on in the background and the clock answers `advancing`. A
    /// client polls the clock until it is `ready`; an advance cut short by
    /// a crash is finished by the next advance call.
    pub async fn advance_test_clock_answering_within(
        &self,
        principal: &Principal,
        id: &str,
        target: i64,
        within: Duration,
    ) -> CoreResult<TestClock> {
        if let Some(ready) = self.begin_advance(principal, id, target).await? {
            return Ok(ready);
        }
        let core = self.clone();
        let clock_id = id.to_owned();
        let mut advancing = tokio::spawn(async move {
            let outcome = core.finish_advance(&clock_id, target).await;
            if let Err(err) = &outcome {
                tracing::warn!(clock = %clock_id, error = %err, "test clock advance stopped; the next advance resumes it");
            }
            outcome
        });
        match tokio::time::timeout(within, &mut advancing).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join)) => Err(CoreError::Internal(format!("test clock advance failed: {join}"))),
            Err(_) => self.owned_test_clock(principal, id).await,
        }
    }

    /// Checks the request and marks the clock advancing; `Some` when there
    /// is nothing to do (the clock already shows `target` and is ready).
    async fn begin_advance(&self, principal: &Principal, id: &str, target: i64) -> CoreResult<Option<TestClock>> {
        let clock = self.owned_test_clock(principal, id).await?;
        if target < clock.frozen_time {
            return Err(CoreError::field(
                "frozenTime",
                "frozen_time_invalid",
                "a test clock only moves forward: frozenTime must not be before the clock's time",
            ));
        }
        if target - clock.frozen_time > MAX_ADVANCE_MICROS {
            return Err(CoreError::field(
                "frozenTime",
                "frozen_time_invalid",
                "one advance moves a test clock at most three years",
            ));
        }
        if target == clock.frozen_time && clock.status == TestClockStatus::Ready {
            return Ok(Some(clock));
        }
        self.modify(clock, |c| {
            c.status = TestClockStatus::Advancing;
            c.advancing_to = Some(c.advancing_to.unwrap_or(target).max(target));
            Ok(())
        })
        .await?;
        Ok(None)
    }

    /// Runs everything due up to `target` and moves the clock there.
    async fn finish_advance(&self, id: &str, target: i64) -> CoreResult<TestClock> {
        self.run_clock(id, target).await?;
        self.update::<TestClock, _>(id, |c| {
            c.frozen_time = c.frozen_time.max(target);
            if c.advancing_to.is_none_or(|to| to <= c.frozen_time) {
                c.status = TestClockStatus::Ready;
                c.advancing_to = None;
            }
            Ok(())
        })
        .await
    }

    /// Runs every step due up to `target` on the clock's subscriptions,
    /// strictly in time order across them: a heap of each subscription's
    /// next due time, one subscription's steps at a time up to the next
    /// one's. Subscriptions due at the same instant have no order between
    /// them, so their steps at that instant run side by side
    /// ([`CLOCK_CONCURRENCY`] at a time): a clock with a hundred thousand
    /// renewals on one day costs what the store can do at once, not the
    /// sum of each renewal's round trips.
    pub(crate) async fn run_clock(&self, clock_id: &str, target: i64) -> CoreResult<usize> {
        let mut heap: BinaryHeap<Reverse<(i64, String)>> = BinaryHeap::new();
        let filter = vec![("testClockId", serde_json::Value::from(clock_id))];
        let mut page = Page { limit: 500, starting_after: None };
        loop {
            let result = self.store.find(Subscription::COLLECTION, &filter, &page).await?;
            page.starting_after = result.data.last().map(|d| d.id.clone());
            for document in result.data {
                let subscription: Subscription = crate::domain::from_document(document)?;
                if let Some((at, _)) = step_due(&subscription, true)
                    && at <= target
                {
                    heap.push(Reverse((at, subscription.id)));
                }
            }
            if !result.has_more {
                break;
            }
        }
        let mut steps = 0;
        let waiting_since = std::time::Instant::now();
        while let Some(Reverse((at, first))) = heap.pop() {
            let mut group = vec![first];
            while let Some(Reverse((next, _))) = heap.peek()
                && *next == at
            {
                let Some(Reverse((_, id))) = heap.pop() else { break };
                group.push(id);
            }
            // Alone at its instant, a subscription runs on up to the next
            // one's; side by side, each runs only what falls due now.
            let bound = match group.len() {
                1 => heap.peek().map_or(target, |Reverse((next, _))| (*next).max(at)).min(target),
                _ => at,
            };
            let mut outcomes = futures::stream::iter(group)
                .map(|id| async move {
                    let (ran, progress) = self.run_due_steps(&id, bound, true).await?;
                    let next = self
                        .get::<Subscription>(&id)
                        .await?
                        .and_then(|subscription| step_due(&subscription, true))
                        .map(|(next, _)| next);
                    CoreResult::Ok((id, ran, progress, next))
                })
                .buffer_unordered(CLOCK_CONCURRENCY);
            let mut blocked = false;
            while let Some(outcome) = outcomes.next().await {
                let (id, ran, progress, next) = outcome?;
                steps += ran;
                blocked |= progress == Progress::Blocked;
                if let Some(next) = next.filter(|next| *next <= target) {
                    heap.push(Reverse((next.max(at), id)));
                }
            }
            if blocked {
                if waiting_since.elapsed() > BLOCKED_WAIT {
                    return Err(CoreError::conflict(
                        "test_clock_busy",
                        "another advance is still charging on this clock; try again shortly",
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(steps)
    }
}
