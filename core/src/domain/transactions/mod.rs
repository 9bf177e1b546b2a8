//! Transactions: one attempt to pay a checkout, and everything that
//! happens to the money afterwards (capture, cancel, refunds).
//!
//! State lives in one document per transaction and every change is a
//! compare-and-swap on it, so a rule checked while deciding still holds when
//! the change is written. Work that must follow a change (provider calls,
//! checkout status, IPN records) is marked on the document (`needsWork`,
//! `leaseUntil`) before it starts, so a core that dies mid-way leaves a
//! trail the scheduler picks up; each step is idempotent.
//!
//! - `model`: the document, its states and transitions;
//! - `pay`: the request that starts a payment;
//! - `worker`: the charge itself, and the re-drive of unfinished work;
//! - `actions`: capture (whole or partial) and cancel;
//! - `refunds`: refunds;
//! - `follow_up`: the checkout and IPN records that follow each change.

mod actions;
mod follow_up;
mod model;
mod pay;
mod refunds;
mod worker;

pub use model::*;

/// At most this many payments are charged straight from their pay
/// requests at once; beyond that, they go through the payment queue.
pub const INLINE_PAYMENTS: usize = 64;
pub use pay::parse_payment_method;

use crate::domain::{Core, auth::Principal};
use crate::error::CoreResult;

impl Core {
    /// The caller's transaction (see [`Core::owned`]).
    pub async fn owned_transaction(&self, principal: &Principal, id: &str) -> CoreResult<Transaction> {
        self.owned(principal, id).await
    }
}
