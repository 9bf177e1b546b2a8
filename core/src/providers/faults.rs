//! A provider wrapper that makes chosen calls fail: transiently (as a
//! timeout or a 5xx would) or with a refusal, a set number of times, then
//! hands every call to the real provider. It also counts the calls that
//! reached the provider and succeeded there.
//!
//! Tests use it to drive the "provider failed after Paygate reserved the
//! work" paths end to end: it is installed through
//! `CoreConfig::provider_faults` (and `StackConfig::provider_faults`), a
//! field that only code sets — no environment variable turns it on, so a
//! deployed gateway never runs with it.

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use async_trait::async_trait;

use super::{
    ChargeOutcome, ChargeRequest, ChargeStatus, PaymentMethod, Provider, ProviderError, RefundOutcome, RefundRequest,
};

/// The provider calls a fault can be planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Authorize,
    Capture,
    Cancel,
    Refund,
}

const OPERATIONS: usize = 4;

impl Operation {
    fn index(self) -> usize {
        match self {
            Self::Authorize => 0,
            Self::Capture => 1,
            Self::Cancel => 2,
            Self::Refund => 3,
        }
    }
}

/// What the next calls of each operation do, shared between the test and
/// the wrapped provider.
#[derive(Debug, Default)]
pub struct FaultPlan {
    transient: [AtomicU32; OPERATIONS],
    refusals: [AtomicU32; OPERATIONS],
    succeeded: [AtomicU32; OPERATIONS],
    attempts: [AtomicU32; OPERATIONS],
    /// The name of the thread each call ran on, in call order.
    threads: [std::sync::Mutex<Vec<String>>; OPERATIONS],
}

/// Takes one from `counter` if it is above zero.
fn take(counter: &AtomicU32) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

impl FaultPlan {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The next `times` calls of `operation` fail as if the provider could
    /// not be reached, without reaching it.
    pub fn fail_transiently(&self, operation: Operation, times: u32) {
        self.transient[operation.index()].store(times, Ordering::SeqCst);
    }

    /// The next `times` calls of `operation` are refused
    /// (`code: "test_refusal"`), without reaching the provider.
    pub fn refuse(&self, operation: Operation, times: u32) {
        self.refusals[operation.index()].store(times, Ordering::SeqCst);
    }

    /// Calls of `operation` the real provider answered with success.
    pub fn succeeded(&self, operation: Operation) -> u32 {
        self.succeeded[operation.index()].load(Ordering::SeqCst)
    }

    /// Every call of `operation`, failed or not.
    pub fn attempts(&self, operation: Operation) -> u32 {
        self.attempts[operation.index()].load(Ordering::SeqCst)
    }

    /// The thread each call of `operation` ran on (its name, or `""`), in
    /// call order.
    pub fn threads(&self, operation: Operation) -> Vec<String> {
        self.threads[operation.index()].lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn injected(&self, operation: Operation) -> Option<ProviderError> {
        let i = operation.index();
        self.attempts[i].fetch_add(1, Ordering::SeqCst);
        let thread = std::thread::current().name().unwrap_or_default().to_owned();
        self.threads[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(thread);
        if take(&self.transient[i]) {
            return Some(ProviderError::Transient("injected transient failure".into()));
        }
        if take(&self.refusals[i]) {
            return Some(ProviderError::Refused {
                code: "test_refusal".into(),
                message: "the provider refused this operation".into(),
            });
        }
        None
    }

    fn count<T>(&self, operation: Operation, result: Result<T, ProviderError>) -> Result<T, ProviderError> {
        if result.is_ok() {
            self.succeeded[operation.index()].fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

/// `inner` with the failures of `plan` in front of it.
pub struct FaultyProvider {
    inner: Arc<dyn Provider>,
    plan: Arc<FaultPlan>,
}

impl FaultyProvider {
    pub fn new(inner: Arc<dyn Provider>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }
}

#[async_trait]
impl Provider for FaultyProvider {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn accepts(&self, method: &PaymentMethod) -> bool {
        self.inner.accepts(method)
    }

    async fn authorize(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        if let Some(err) = self.plan.injected(Operation::Authorize) {
            return Err(err);
        }
        self.plan.count(Operation::Authorize, self.inner.authorize(request).await)
    }

    async fn capture(&self, idempotency_key: &str, reference: &str, amount: i64) -> Result<(), ProviderError> {
        if let Some(err) = self.plan.injected(Operation::Capture) {
            return Err(err);
        }
        self.plan.count(Operation::Capture, self.inner.capture(idempotency_key, reference, amount).await)
    }

    async fn cancel(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError> {
        if let Some(err) = self.plan.injected(Operation::Cancel) {
            return Err(err);
        }
        self.plan.count(Operation::Cancel, self.inner.cancel(idempotency_key, reference).await)
    }

    async fn retrieve_charge(&self, reference: &str) -> Result<Option<ChargeStatus>, ProviderError> {
        self.inner.retrieve_charge(reference).await
    }

    fn accepts_currency(&self, currency: &str) -> bool {
        self.inner.accepts_currency(currency)
    }

    fn supports_manual_capture(&self) -> bool {
        self.inner.supports_manual_capture()
    }

    async fn verify_reusable(&self, method: &PaymentMethod) -> Result<PaymentMethod, ProviderError> {
        self.inner.verify_reusable(method).await
    }

    /// Saving a method is the charge of a trial's checkout: it fails as
    /// planned for `Authorize`.
    async fn save_payment_method(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        if let Some(err) = self.plan.injected(Operation::Authorize) {
            return Err(err);
        }
        self.plan.count(Operation::Authorize, self.inner.save_payment_method(request).await)
    }

    async fn refund_details(&self, refund_reference: &str) -> Result<super::RefundDetails, ProviderError> {
        self.inner.refund_details(refund_reference).await
    }

    async fn charge_transaction_id(&self, reference: &str) -> Result<Option<String>, ProviderError> {
        self.inner.charge_transaction_id(reference).await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        if let Some(err) = self.plan.injected(Operation::Refund) {
            return Err(err);
        }
        self.plan.count(Operation::Refund, self.inner.refund(request).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct AlwaysRefunds;

    #[async_trait]
    impl Provider for AlwaysRefunds {
        fn name(&self) -> &'static str {
            "stub"
        }
        fn accepts(&self, _: &PaymentMethod) -> bool {
            true
        }
        async fn authorize(&self, _: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
            Err(ProviderError::Transient("unused".into()))
        }
        async fn capture(&self, _: &str, _: &str, _: i64) -> Result<(), ProviderError> {
            Ok(())
        }
        async fn cancel(&self, _: &str, _: &str) -> Result<(), ProviderError> {
            Ok(())
        }
        async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
            Ok(RefundOutcome { reference: format!("re_{}", request.idempotency_key), settled: true })
        }
    }

    #[tokio::test]
    async fn fails_the_planned_number_of_times_then_delegates() {
        let plan = FaultPlan::new();
        let provider = FaultyProvider::new(Arc::new(AlwaysRefunds), plan.clone());
        plan.fail_transiently(Operation::Refund, 2);
        plan.refuse(Operation::Refund, 1);
        let request = RefundRequest {
            idempotency_key: "k".into(),
            reference: "ch".into(),
            amount: 1,
            currency: "EUR".into(),
            refund_id: "k".into(),
        };
        assert!(matches!(provider.refund(&request).await, Err(ProviderError::Transient(_))));
        assert!(matches!(provider.refund(&request).await, Err(ProviderError::Transient(_))));
        assert!(matches!(provider.refund(&request).await, Err(ProviderError::Refused { .. })));
        assert_eq!(provider.refund(&request).await, Ok(RefundOutcome { reference: "re_k".into(), settled: true }));
        assert_eq!(plan.attempts(Operation::Refund), 4);
        assert_eq!(plan.succeeded(Operation::Refund), 1);
        assert_eq!(plan.succeeded(Operation::Capture), 0);
        assert!(provider.capture("c", "ch", 1).await.is_ok());
        assert_eq!(plan.succeeded(Operation::Capture), 1);
    }
}
