//! gRPC channels from one service to another.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tonic::transport::{Channel, Endpoint};
use tower::{Service, ServiceExt};

#[derive(Debug, thiserror::Error)]
#[error("invalid service URL {url:?}: {reason}")]
pub struct InvalidServiceUrl {
    pub url: String,
    pub reason: String,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a call to core failed below gRPC (connection, timeout). A named
/// type rather than a boxed error: the generated clients' bounds on a boxed
/// error trip the compiler's higher-ranked `Send` checks in handlers.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CoreCallError(pub BoxError);

/// How long one call to core may take before the caller gives up.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

type CallFuture = Pin<Box<dyn Future<Output = Result<http::Response<tonic::body::Body>, CoreCallError>> + Send>>;

/// One way of making calls to core.
trait CoreCalls: Send + Sync {
    fn call(&self, request: http::Request<tonic::body::Body>) -> CallFuture;
}

/// How the edges reach core: the generated gRPC clients run over it
/// unchanged. Apart, it is a gRPC [`Channel`] ([`remote`]); in one
/// process (`paygate all`), core's own gRPC services called directly
/// ([`CoreChannel::in_process`]): the same protobuf messages, metadata,
/// interceptors, spans and metrics, without a socket or HTTP/2 framing.
/// Cloning it is one reference count: the edges clone their clients for
/// every request.
#[derive(Clone)]
pub struct CoreChannel(Arc<dyn CoreCalls>);

impl std::fmt::Debug for CoreChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CoreChannel")
    }
}

struct Remote(Channel);

impl CoreCalls for Remote {
    fn call(&self, request: http::Request<tonic::body::Body>) -> CallFuture {
        let channel = self.0.clone();
        Box::pin(async move { channel.oneshot(request).await.map_err(|err| CoreCallError(err.into())) })
    }
}

struct InProcess<S>(S);

impl<S> CoreCalls for InProcess<S>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    fn call(&self, request: http::Request<tonic::body::Body>) -> CallFuture {
        let service = self.0.clone();
        Box::pin(async move { service.oneshot(request).await.map_err(|err| CoreCallError(err.into())) })
    }
}

impl CoreChannel {
    /// Calls `service` (core's gRPC routes) in this process.
    pub fn in_process<S>(service: S) -> Self
    where
        S: Service<http::Request<tonic::body::Body>, Response = http::Response<tonic::body::Body>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Self(Arc::new(InProcess(service)))
    }
}

impl Service<http::Request<tonic::body::Body>> for CoreChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = CoreCallError;
    type Future = CallFuture;

    /// Always ready: readiness is awaited per call, inside the future.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        self.0.call(request)
    }
}

/// A [`CoreChannel`] over the network.
pub fn remote(channel: Channel) -> CoreChannel {
    CoreChannel(Arc::new(Remote(channel)))
}

/// A lazily connecting channel: services start in any order and reconnect
/// on their own when a peer restarts.
pub fn lazy_channel(url: &str) -> Result<Channel, InvalidServiceUrl> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|err| InvalidServiceUrl { url: url.to_owned(), reason: err.to_string() })?;
    Ok(endpoint
        .connect_timeout(Duration::from_secs(2))
        .timeout(CALL_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .connect_lazy())
}
