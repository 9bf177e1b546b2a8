//! One log line per stored state change of a checkout, transaction, refund,
//! subscription or IPN delivery, under the target [`TARGET`]. With the audit
//! log they tell an operator a payment's whole story.
//!
//! The lines come from the generic write paths ([`super::Core::insert`],
//! [`super::Core::update`], [`super::Core::modify`] and
//! [`super::Core::replace_from`]), after the compare-and-swap succeeded and
//! from the state actually read before it: a lost race that is retried
//! compares against the fresh copy, so a change is logged once however
//! often the write is attempted.
//!
//! Who caused the change comes from the task: the gRPC layer opens a scope
//! per call and authentication fills it in; the workers open theirs. Only
//! ids are logged, never secrets, tokens or email addresses.

use std::{cell::RefCell, future::Future};

/// The `tracing` target every state-change line uses.
pub const TARGET: &str = "paygate::state";

/// Who caused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    ApiKey(String),
    User(String),
    Customer,
    ProviderWebhook,
    Scheduler,
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(id) => write!(f, "api_key:{id}"),
            Self::User(id) => write!(f, "user:{id}"),
            Self::Customer => f.write_str("customer"),
            Self::ProviderWebhook => f.write_str("provider_webhook"),
            Self::Scheduler => f.write_str("scheduler"),
            Self::System => f.write_str("system"),
        }
    }
}

tokio::task_local! {
    static ACTOR: RefCell<Actor>;
}

/// Runs `future` with `actor` as the cause of the changes it makes, until
/// something inside names a more precise one ([`set_actor`]).
pub fn acting<F: Future>(actor: Actor, future: F) -> impl Future<Output = F::Output> {
    ACTOR.scope(RefCell::new(actor), future)
}

/// Names the cause for the rest of the current scope; outside any scope
/// (tools, tests) changes are the system's.
pub fn set_actor(actor: Actor) {
    let _ = ACTOR.try_with(|current| *current.borrow_mut() = actor);
}

pub fn current_actor() -> Actor {
    ACTOR.try_with(|current| current.borrow().clone()).unwrap_or(Actor::System)
}

/// The status an object had before it existed.
pub const NONE: &str = "none";

/// One change, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateChange {
    pub object: &'static str,
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub from: &'static str,
    pub to: &'static str,
    /// A failure: logged at `warn`.
    pub failed: bool,
    /// The parent object (a refund's transaction, a transaction's checkout,
    /// an IPN delivery's transaction or checkout).
    pub parent_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub failure_code: Option<String>,
    pub attempt: Option<usize>,
    pub http_status: Option<u16>,
    pub error_class: Option<&'static str>,
    pub event_type: Option<String>,
}

impl StateChange {
    pub(crate) fn new(
        object: &'static str,
        id: &str,
        organization_id: &str,
        livemode: bool,
        from: &'static str,
        to: &'static str,
    ) -> Self {
        Self {
            object,
            id: id.to_owned(),
            organization_id: organization_id.to_owned(),
            livemode,
            from,
            to,
            ..Self::default()
        }
    }

    pub fn emit(&self) {
        // Fields are only evaluated for a line that is written: the actor's
        // name is not built when nothing listens.
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    target: TARGET,
                    event = "state_change",
                    object = self.object,
                    id = %self.id,
                    organization_id = %self.organization_id,
                    livemode = self.livemode,
                    from = self.from,
                    to = self.to,
                    actor = %current_actor(),
                    parent_id = self.parent_id.as_deref(),
                    amount = self.amount,
                    currency = self.currency.as_deref(),
                    failure_code = self.failure_code.as_deref(),
                    attempt = self.attempt.map(|n| n as u64),
                    http_status = self.http_status.map(u64::from),
                    error_class = self.error_class,
                    event_type = self.event_type.as_deref(),
                    "{} {} {} -> {}",
                    self.object,
                    self.id,
                    self.from,
                    self.to,
                )
            };
        }
        if self.failed {
            line!(warn);
        } else {
            line!(info);
        }
    }
}

/// Logs every change from `before` (`None`: just created) to `after`.
pub(crate) fn log_changes<T: super::Entity>(before: Option<&T>, after: &T) {
    // Nothing is logged below `warn`'s level when nothing listens at it:
    // the changes are not even worked out.
    if !tracing::enabled!(target: TARGET, tracing::Level::WARN) {
        return;
    }
    for change in T::state_changes(before, after) {
        change.emit();
    }
}

/// The class of an IPN attempt's transport error, never its text (which may
/// carry the receiver's address).
pub(crate) fn error_class(error: &str) -> &'static str {
    if error.starts_with("timed out") {
        "timeout"
    } else if error.starts_with("connection failed") {
        "connect"
    } else if error.starts_with("the site") {
        "site"
    } else if error.starts_with("store") {
        "store"
    } else if error.starts_with("request failed") {
        "request"
    } else {
        "refused_target"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_actor_is_the_scope_s_until_authentication_names_one() {
        assert_eq!(current_actor(), Actor::System);
        acting(Actor::Scheduler, async {
            assert_eq!(current_actor(), Actor::Scheduler);
            set_actor(Actor::ApiKey("key_1".into()));
            assert_eq!(current_actor().to_string(), "api_key:key_1");
        })
        .await;
        set_actor(Actor::Customer);
        assert_eq!(current_actor(), Actor::System);
    }
}
