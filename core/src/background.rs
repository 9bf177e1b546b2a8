//! Where core's background work runs: the payment and IPN workers, the
//! scheduler, and the work a request starts without the queue (a charge
//! after its pay request, an IPN's first attempt).
//!
//! Requests wait on the CPU; background work only has to keep up. When the
//! two compete for the cores, a request that waits behind a worker's
//! invoice or IPN delivery is slower for nothing. So in a running gateway
//! background work has threads of its own ([`Background::threads`]) at a
//! lower priority (a higher nice value): when the CPU is short the kernel
//! gives it to requests first, and background work catches up in the time
//! they leave. It is never starved: at nice 10 its threads still get about
//! a tenth of a busy CPU. Where work is spawned without such threads (tests,
//! embedding), it runs on the caller's runtime.

use std::{future::Future, sync::Arc};

use tokio::{
    runtime::{Handle, Runtime},
    task::JoinHandle,
};

/// The nice value of background threads unless configured otherwise
/// (`PAYGATE_BACKGROUND_NICE`). Request threads run at the process's own
/// (normally 0).
pub const DEFAULT_NICE: i32 = 10;

/// Where background work is spawned. Cloning it is one reference count.
#[derive(Clone, Default)]
pub struct Background(Option<Arc<Threads>>);

struct Threads {
    handle: Handle,
    /// Taken in `drop`: the runtime is told to stop without waiting, which
    /// is allowed from any thread, async or not.
    runtime: Option<Runtime>,
}

impl Drop for Threads {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Background(own threads)" } else { "Background(caller's runtime)" })
    }
}

impl Background {
    /// `threads` threads of their own at nice value `nice` (0 to 19). A
    /// thread whose priority cannot be lowered runs at the process's.
    pub fn threads(threads: usize, nice: i32) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("paygate-background")
            .on_thread_start(move || lower_priority(nice))
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self(Some(Arc::new(Threads { handle, runtime: Some(runtime) }))))
    }

    /// Runs `work` on the background threads, or on the current runtime
    /// when there are none.
    ///
    /// The work is boxed first: a payment's or an IPN delivery's state
    /// machine is tens of kilobytes, and a task copies its future when it
    /// is spawned and again when it finishes; boxed, both copy a pointer.
    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let work = Box::pin(work);
        match &self.0 {
            Some(threads) => threads.handle.spawn(work),
            None => tokio::spawn(work),
        }
    }

    /// The runtime background work is spawned on.
    pub fn handle(&self) -> Handle {
        match &self.0 {
            Some(threads) => threads.handle.clone(),
            None => Handle::current(),
        }
    }
}

/// Sets the calling thread's nice value (Linux keeps one per thread).
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice) {
        tracing::debug!(%err, nice, "background thread keeps the process's priority");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn background_threads_run_work_at_the_lower_priority() {
        let background = Background::threads(1, 7).expect("runtime");
        let caller = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (nice, name) = caller.block_on(async {
            background
                .spawn(async {
                    let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("nice");
                    (nice, std::thread::current().name().map(str::to_owned))
                })
                .await
                .expect("ran")
        });
        assert_eq!(nice, 7);
        assert_eq!(name.as_deref(), Some("paygate-background"));
        // Dropped from inside a runtime: it must not block or panic.
        caller.block_on(async move { drop(background) });
    }

    #[tokio::test]
    async fn without_threads_work_runs_on_the_callers_runtime() {
        let background = Background::default();
        let here = Handle::current().id();
        let ran_on = background.spawn(async { Handle::current().id() }).await.expect("ran");
        assert_eq!(ran_on, here);
        assert_eq!(background.handle().id(), here);
    }
}
