//! gRPC channels from one service to another.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

#[derive(Debug, thiserror::Error)]
#[error("invalid service URL {url:?}: {reason}")]
pub struct InvalidServiceUrl {
    pub url: String,
    pub reason: String,
}

/// A lazily connecting channel: services start in any order and reconnect
/// on their own when a peer restarts.
pub fn lazy_channel(url: &str) -> Result<Channel, InvalidServiceUrl> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|err| InvalidServiceUrl { url: url.to_owned(), reason: err.to_string() })?;
    Ok(endpoint
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .connect_lazy())
}
