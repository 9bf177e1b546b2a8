//! Per-client limit on payment attempts: one address may start only so many
//! payments a minute, whichever checkouts they are for, so a card tester
//! cannot try card after card.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use paygate_contract::{
    error::{ErrorType, HttpError},
    server::TrustedProxies,
};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked clients, expired windows are swept out, so
/// memory follows the number of clients active in the last minute.
const SWEEP_ABOVE: usize = 10_000;

/// How `POST /api/v1/checkouts/{id}/pay` is limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRateLimit {
    /// Attempts per client address per minute; 0 turns the limit off.
    pub per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

impl Default for PayRateLimit {
    fn default() -> Self {
        Self { per_minute: 30, trusted_proxies: TrustedProxies::default() }
    }
}

#[derive(Clone)]
pub(crate) struct PayLimiter {
    config: Arc<PayRateLimit>,
    /// Client → (start of its current window, attempts in it).
    windows: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
}

impl PayLimiter {
    pub(crate) fn new(config: PayRateLimit) -> Self {
        Self { config: Arc::new(config), windows: Arc::default() }
    }

    /// Counts an attempt; `Err` carries how long until the client may try
    /// again.
    fn attempt(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(client).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.config.per_minute {
            return Err(WINDOW.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        Ok(())
    }
}

/// One IPv6 host usually owns a whole /64, so that is what one client is.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
    }
}

pub(crate) async fn limit_pay(State(limiter): State<PayLimiter>, request: Request, next: Next) -> Response {
    if limiter.config.per_minute == 0 {
        return next.run(request).await;
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        // Served without a socket (an in-memory router): nothing to key on.
        return next.run(request).await;
    };
    let client = client_key(limiter.config.trusted_proxies.client_address(peer, request.headers()));
    match limiter.attempt(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorType::RateLimit,
                "rate_limited",
                "too many payment attempts from this address; retry after the time in Retry-After",
            )
            .into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_quota_then_refuses_until_it_ends() {
        let limiter = PayLimiter::new(PayRateLimit { per_minute: 2, trusted_proxies: TrustedProxies::default() });
        let client: IpAddr = "203.0.113.1".parse().expect("ip");
        let start = Instant::now();
        assert!(limiter.attempt(client, start).is_ok());
        assert!(limiter.attempt(client, start).is_ok());
        let wait = limiter.attempt(client, start + Duration::from_secs(20)).expect_err("over quota");
        assert_eq!(wait, Duration::from_secs(40));
        assert!(limiter.attempt("203.0.113.2".parse().expect("ip"), start).is_ok());
        assert!(limiter.attempt(client, start + WINDOW).is_ok());
    }

    #[test]
    fn ipv6_clients_are_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key("2001:db8:1:3::1".parse().expect("ip")));
    }
}
