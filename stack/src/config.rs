//! Typed configuration from the environment, validated at start-up. The
//! loader takes the environment as a map, so tests never touch the
//! process environment.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use paygate_contract::server::{HttpLimits, TrustedProxies};
use paygate_core::{CoreConfig, crypto::SecretString};
use paygate_edge_main::PayRateLimit;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    pub data_dir: PathBuf,
    pub core_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub main_addr: SocketAddr,
    pub pdf_addr: SocketAddr,
    /// `PAYGATE_CORE_METRICS_ADDR`: core's HTTP listener for `/metrics`,
    /// `/healthz` and `/readyz`; `None` (unset) = none.
    pub core_metrics_addr: Option<SocketAddr>,
    /// `PAYGATE_PDF_METRICS_ADDR`: the same for the PDF worker.
    pub pdf_metrics_addr: Option<SocketAddr>,
    /// Where edges find core when run apart; `None` = the local listener.
    pub core_url: Option<String>,
    pub pdf_url: Option<String>,
    pub mongodb_uri: Option<SecretString>,
    pub mongodb_database: String,
    pub redis_url: Option<SecretString>,
    pub redis_key_prefix: String,
    pub secret_key: Option<SecretString>,
    /// `None` = the local main edge.
    pub checkout_base_url: Option<String>,
    pub ipn_allow_private: bool,
    pub ipn_fast_retries: bool,
    /// `PAYGATE_EDGES_OVER_GRPC=1`: in `paygate all`, the edges call core
    /// over its gRPC listener as separate services do, instead of calling
    /// its services in process (for comparing the two).
    pub edges_over_grpc: bool,
    pub sandbox_latency: std::time::Duration,
    pub workers: usize,
    /// `PAYGATE_BACKGROUND_NICE`: the nice value of core's background
    /// threads (0 to 19; requests run at the process's own).
    pub background_nice: i32,
    /// EU VIES REST base; `None` when `PAYGATE_VIES_URL=off`.
    pub vies_url: Option<String>,
    /// `PAYGATE_PLATFORM_DOMAINS`: the gateway's own hostnames, comma
    /// separated, which Caddy's on-demand TLS `ask` must also approve.
    pub platform_domains: Vec<String>,
    /// Timeouts and limits of both edges' HTTP servers.
    pub http: HttpLimits,
    /// `POST /api/v1/checkouts/{id}/pay` per client address.
    pub pay_rate_limit: PayRateLimit,
    /// `PAYGATE_PDF_TOKEN`: when set, the PDF worker serves only callers
    /// presenting it, and core presents it.
    pub pdf_token: Option<SecretString>,
    /// `PAYGATE_HOOKS_BASE_URL`: the public base of edge-main's API, where
    /// providers send webhooks; `None` = the checkout base URL.
    pub hooks_base_url: Option<String>,
    pub stripe_api_base: Option<String>,
    pub gocardless_api_base: Option<String>,
    pub provider_allow_private: bool,
    /// `PAYGATE_ADMIN_PANEL_URL`: where the admin panel is reached (invitation
    /// links point there); default the Admin API edge itself.
    pub admin_panel_url: Option<String>,
    /// `PAYGATE_JWT_SECRET`: signs admin access tokens (default: derived
    /// from the sealing key).
    pub jwt_secret: Option<SecretString>,
    /// `PAYGATE_STRIPE_JS_URL`: where Stripe sites' checkout pages load
    /// Stripe.js from (default `https://js.stripe.com/v3/`).
    pub stripe_js: paygate_edge_main::StripeJs,
    /// Tests only: provider failures to inject (see
    /// `paygate_core::providers::faults`). Never read from the environment.
    pub provider_faults: Option<std::sync::Arc<paygate_core::providers::faults::FaultPlan>>,
    /// Tests only: where custom domains' TXT challenges are looked up
    /// instead of the system's DNS. Never read from the environment.
    pub dns_resolver: Option<std::sync::Arc<dyn paygate_core::dns::TxtResolver>>,
    /// Tests only: the clock core reads, moved forward by the test.
    pub clock: Option<paygate_core::clock::OffsetClock>,
}

fn address(env: &HashMap<String, String>, variable: &'static str, default: &str) -> Result<SocketAddr, ConfigError> {
    let value = env.get(variable).map(String::as_str).filter(|v| !v.is_empty()).unwrap_or(default);
    value.parse().map_err(|_| ConfigError {
        variable,
        reason: format!("{value:?} is not a listen address such as 127.0.0.1:8080"),
    })
}

fn optional_address(env: &HashMap<String, String>, variable: &'static str) -> Result<Option<SocketAddr>, ConfigError> {
    match env.get(variable).filter(|v| !v.is_empty()) {
        Some(_) => address(env, variable, "").map(Some),
        None => Ok(None),
    }
}

fn service_url(env: &HashMap<String, String>, variable: &'static str) -> Result<Option<String>, ConfigError> {
    let Some(value) = env.get(variable).filter(|v| !v.is_empty()) else { return Ok(None) };
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(Some(value.trim_end_matches('/').to_owned()))
        }
        _ => Err(ConfigError { variable, reason: format!("{value:?} is not an http(s) URL") }),
    }
}

fn number(env: &HashMap<String, String>, variable: &'static str, default: u64, max: u64) -> Result<u64, ConfigError> {
    let Some(value) = env.get(variable).filter(|v| !v.is_empty()) else { return Ok(default) };
    match value.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ConfigError { variable, reason: format!("{value:?} must be a whole number from 0 to {max}") }),
    }
}

fn seconds(
    env: &HashMap<String, String>,
    variable: &'static str,
    default: std::time::Duration,
) -> Result<std::time::Duration, ConfigError> {
    let Some(value) = env.get(variable).filter(|v| !v.is_empty()) else { return Ok(default) };
    match value.parse::<u64>() {
        Ok(n) if (1..=3600).contains(&n) => Ok(std::time::Duration::from_secs(n)),
        _ => {
            Err(ConfigError { variable, reason: format!("{value:?} must be a whole number of seconds from 1 to 3600") })
        }
    }
}

fn count(
    env: &HashMap<String, String>,
    variable: &'static str,
    default: usize,
    max: u64,
) -> Result<usize, ConfigError> {
    match number(env, variable, default as u64, max)? {
        0 => Err(ConfigError { variable, reason: format!("must be a whole number from 1 to {max}") }),
        n => Ok(n as usize),
    }
}

fn http_limits(env: &HashMap<String, String>) -> Result<HttpLimits, ConfigError> {
    let defaults = HttpLimits::default();
    Ok(HttpLimits {
        header_timeout: seconds(env, "PAYGATE_HTTP_HEADER_TIMEOUT_SECS", defaults.header_timeout)?,
        body_timeout: seconds(env, "PAYGATE_HTTP_BODY_TIMEOUT_SECS", defaults.body_timeout)?,
        request_timeout: seconds(env, "PAYGATE_HTTP_REQUEST_TIMEOUT_SECS", defaults.request_timeout)?,
        max_connections: count(env, "PAYGATE_HTTP_MAX_CONNECTIONS", defaults.max_connections, 1_000_000)?,
        max_concurrent_requests: count(
            env,
            "PAYGATE_HTTP_MAX_CONCURRENT_REQUESTS",
            defaults.max_concurrent_requests,
            1_000_000,
        )?,
    })
}

fn flag(env: &HashMap<String, String>, variable: &'static str) -> Result<bool, ConfigError> {
    match env.get(variable).map(String::as_str) {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(ConfigError { variable, reason: format!("{other:?} must be 1, 0, true or false") }),
    }
}

impl StackConfig {
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let secret =
            |variable: &'static str| env.get(variable).filter(|v| !v.is_empty()).cloned().map(SecretString::new);
        let mongodb_uri = secret("PAYGATE_MONGODB_URI");
        if let Some(uri) = &mongodb_uri
            && !(uri.expose().starts_with("mongodb://") || uri.expose().starts_with("mongodb+srv://"))
        {
            return Err(ConfigError {
                variable: "PAYGATE_MONGODB_URI",
                reason: "must start with mongodb:// or mongodb+srv://".into(),
            });
        }
        let redis_url = secret("PAYGATE_REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            return Err(ConfigError {
                variable: "PAYGATE_REDIS_URL",
                reason: "must start with redis:// or rediss://".into(),
            });
        }
        let pdf_token = secret("PAYGATE_PDF_TOKEN");
        if let Some(token) = &pdf_token
            && !token.expose().bytes().all(|b| b.is_ascii_graphic())
        {
            // It travels as gRPC metadata: visible ASCII only.
            return Err(ConfigError {
                variable: "PAYGATE_PDF_TOKEN",
                reason: "must be printable ASCII without spaces".into(),
            });
        }
        let secret_key = secret("PAYGATE_SECRET_KEY");
        if let Some(key) = &secret_key {
            paygate_core::crypto::SealingKey::parse(key.expose())
                .map_err(|err| ConfigError { variable: "PAYGATE_SECRET_KEY", reason: err.to_string() })?;
        }
        Ok(Self {
            data_dir: PathBuf::from(
                env.get("PAYGATE_DATA_DIR").filter(|v| !v.is_empty()).map(String::as_str).unwrap_or("data"),
            ),
            core_addr: address(env, "PAYGATE_CORE_ADDR", "127.0.0.1:50051")?,
            admin_addr: address(env, "PAYGATE_ADMIN_ADDR", "127.0.0.1:8081")?,
            main_addr: address(env, "PAYGATE_MAIN_ADDR", "127.0.0.1:8080")?,
            pdf_addr: address(env, "PAYGATE_PDF_ADDR", "127.0.0.1:50052")?,
            core_metrics_addr: optional_address(env, "PAYGATE_CORE_METRICS_ADDR")?,
            pdf_metrics_addr: optional_address(env, "PAYGATE_PDF_METRICS_ADDR")?,
            core_url: service_url(env, "PAYGATE_CORE_URL")?,
            pdf_url: service_url(env, "PAYGATE_PDF_URL")?,
            mongodb_uri,
            mongodb_database: env
                .get("PAYGATE_MONGODB_DATABASE")
                .filter(|v| !v.is_empty())
                .cloned()
                .unwrap_or_else(|| "paygate".into()),
            redis_url,
            redis_key_prefix: env
                .get("PAYGATE_REDIS_PREFIX")
                .filter(|v| !v.is_empty())
                .cloned()
                .unwrap_or_else(|| "paygate".into()),
            secret_key,
            checkout_base_url: service_url(env, "PAYGATE_CHECKOUT_BASE_URL")?,
            ipn_allow_private: flag(env, "PAYGATE_IPN_ALLOW_PRIVATE")?,
            ipn_fast_retries: flag(env, "PAYGATE_IPN_FAST_RETRIES")?,
            edges_over_grpc: flag(env, "PAYGATE_EDGES_OVER_GRPC")?,
            sandbox_latency: std::time::Duration::from_millis(number(env, "PAYGATE_SANDBOX_LATENCY_MS", 0, 60_000)?),
            workers: number(env, "PAYGATE_WORKERS", 32, 1024)?.max(1) as usize,
            background_nice: i32::try_from(number(
                env,
                "PAYGATE_BACKGROUND_NICE",
                paygate_core::background::DEFAULT_NICE.unsigned_abs().into(),
                19,
            )?)
            .unwrap_or(paygate_core::background::DEFAULT_NICE),
            platform_domains: env
                .get("PAYGATE_PLATFORM_DOMAINS")
                .map(|v| v.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            http: http_limits(env)?,
            pay_rate_limit: PayRateLimit {
                per_minute: u32::try_from(number(
                    env,
                    "PAYGATE_PAY_RATE_LIMIT_PER_MINUTE",
                    u64::from(PayRateLimit::default().per_minute),
                    1_000_000,
                )?)
                .unwrap_or(u32::MAX),
                trusted_proxies: TrustedProxies::parse(
                    env.get("PAYGATE_TRUSTED_PROXIES").map(String::as_str).unwrap_or_default(),
                )
                .map_err(|reason| ConfigError { variable: "PAYGATE_TRUSTED_PROXIES", reason })?,
            },
            pdf_token,
            vies_url: match env.get("PAYGATE_VIES_URL").map(String::as_str) {
                Some("off") => None,
                None | Some("") => Some(paygate_core::DEFAULT_VIES_URL.to_owned()),
                Some(_) => service_url(env, "PAYGATE_VIES_URL")?,
            },
            hooks_base_url: service_url(env, "PAYGATE_HOOKS_BASE_URL")?,
            stripe_api_base: service_url(env, "PAYGATE_STRIPE_API_BASE")?,
            gocardless_api_base: service_url(env, "PAYGATE_GOCARDLESS_API_BASE")?,
            provider_allow_private: flag(env, "PAYGATE_PROVIDER_ALLOW_PRIVATE")?,
            admin_panel_url: service_url(env, "PAYGATE_ADMIN_PANEL_URL")?,
            jwt_secret: secret("PAYGATE_JWT_SECRET"),
            stripe_js: match env.get("PAYGATE_STRIPE_JS_URL").filter(|v| !v.is_empty()) {
                Some(value) => paygate_edge_main::StripeJs::parse(value)
                    .map_err(|reason| ConfigError { variable: "PAYGATE_STRIPE_JS_URL", reason })?,
                None => paygate_edge_main::StripeJs::default(),
            },
            provider_faults: None,
            dns_resolver: None,
            clock: None,
        })
    }

    /// Core's configuration, given where the main edge and the PDF worker
    /// really listen (in one process they may be on port 0).
    pub fn core_config(&self, main_edge: SocketAddr) -> CoreConfig {
        self.core_config_with_pdf(main_edge, None)
    }

    pub fn core_config_with_pdf(&self, main_edge: SocketAddr, local_pdf: Option<SocketAddr>) -> CoreConfig {
        CoreConfig {
            data_dir: self.data_dir.clone(),
            mongodb_uri: self.mongodb_uri.clone(),
            mongodb_database: self.mongodb_database.clone(),
            redis_url: self.redis_url.clone(),
            redis_key_prefix: self.redis_key_prefix.clone(),
            secret_key: self.secret_key.clone(),
            checkout_base_url: self.checkout_base_url.clone().unwrap_or_else(|| format!("http://{main_edge}")),
            ipn_allow_private: self.ipn_allow_private,
            ipn_fast_retries: self.ipn_fast_retries,
            sandbox_latency: self.sandbox_latency,
            workers: self.workers,
            background_nice: Some(self.background_nice),
            vies_url: self.vies_url.clone(),
            platform_domains: self.platform_domains.clone(),
            pdf_token: self.pdf_token.clone(),
            hooks_base_url: self.hooks_base_url.clone(),
            stripe_api_base: self.stripe_api_base.clone(),
            gocardless_api_base: self.gocardless_api_base.clone(),
            provider_allow_private: self.provider_allow_private,
            admin_panel_url: self.admin_panel_url.clone().unwrap_or_else(|| format!("http://{}", self.admin_addr)),
            jwt_secret: self.jwt_secret.clone(),
            provider_faults: self.provider_faults.clone(),
            dns_resolver: self.dns_resolver.clone(),
            clock: self.clock.clone(),
            pdf_url: Some(match local_pdf {
                Some(addr) => format!("http://{addr}"),
                None => self.pdf_url.clone().unwrap_or_else(|| format!("http://{}", self.pdf_addr)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_are_local() {
        let config = StackConfig::from_env(&HashMap::new()).expect("defaults");
        assert_eq!(config.main_addr.to_string(), "127.0.0.1:8080");
        assert!(config.mongodb_uri.is_none());
        let core = config.core_config(config.main_addr);
        assert_eq!(core.checkout_base_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err = StackConfig::from_env(&env(&[("PAYGATE_MAIN_ADDR", "nope")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_MAIN_ADDR");
        let err = StackConfig::from_env(&env(&[("PAYGATE_MONGODB_URI", "postgres://x")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_MONGODB_URI");
        let err = StackConfig::from_env(&env(&[("PAYGATE_SECRET_KEY", "short")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_SECRET_KEY");
        let err = StackConfig::from_env(&env(&[("PAYGATE_CORE_URL", "grpc:/x")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_CORE_URL");
        let err = StackConfig::from_env(&env(&[("PAYGATE_IPN_ALLOW_PRIVATE", "yes")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_IPN_ALLOW_PRIVATE");
        let err = StackConfig::from_env(&env(&[("PAYGATE_SANDBOX_LATENCY_MS", "-1")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_SANDBOX_LATENCY_MS");
        for variable in [
            "PAYGATE_HTTP_HEADER_TIMEOUT_SECS",
            "PAYGATE_HTTP_BODY_TIMEOUT_SECS",
            "PAYGATE_HTTP_REQUEST_TIMEOUT_SECS",
            "PAYGATE_HTTP_MAX_CONNECTIONS",
            "PAYGATE_HTTP_MAX_CONCURRENT_REQUESTS",
        ] {
            for bad in ["0", "-1", "ten", "99999999"] {
                let err = StackConfig::from_env(&env(&[(variable, bad)])).expect_err("invalid");
                assert_eq!(err.variable, variable, "{bad}");
            }
        }
        let err = StackConfig::from_env(&env(&[("PAYGATE_TRUSTED_PROXIES", "10.0.0.0/40")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_TRUSTED_PROXIES");
        let err = StackConfig::from_env(&env(&[("PAYGATE_PDF_TOKEN", "two words")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_PDF_TOKEN");
        let err = StackConfig::from_env(&env(&[("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE", "x")])).expect_err("invalid");
        assert_eq!(err.variable, "PAYGATE_PAY_RATE_LIMIT_PER_MINUTE");
        for bad in ["-1", "20", "low"] {
            let err = StackConfig::from_env(&env(&[("PAYGATE_BACKGROUND_NICE", bad)])).expect_err("invalid");
            assert_eq!(err.variable, "PAYGATE_BACKGROUND_NICE", "{bad}");
        }
    }

    #[test]
    fn core_runs_background_work_at_the_configured_nice_value() {
        let defaults = StackConfig::from_env(&HashMap::new()).expect("defaults");
        assert_eq!(defaults.core_config(defaults.main_addr).background_nice, Some(10));
        let config = StackConfig::from_env(&env(&[("PAYGATE_BACKGROUND_NICE", "0")])).expect("valid");
        assert_eq!(config.core_config(config.main_addr).background_nice, Some(0));
    }

    #[test]
    fn http_limits_come_from_the_environment() {
        let config = StackConfig::from_env(&HashMap::new()).expect("defaults");
        assert_eq!(config.http, HttpLimits::default());
        assert_eq!(config.pay_rate_limit, PayRateLimit::default());
        let config = StackConfig::from_env(&env(&[
            ("PAYGATE_HTTP_HEADER_TIMEOUT_SECS", "5"),
            ("PAYGATE_HTTP_BODY_TIMEOUT_SECS", "6"),
            ("PAYGATE_HTTP_REQUEST_TIMEOUT_SECS", "7"),
            ("PAYGATE_HTTP_MAX_CONNECTIONS", "8"),
            ("PAYGATE_HTTP_MAX_CONCURRENT_REQUESTS", "9"),
            ("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE", "0"),
            ("PAYGATE_TRUSTED_PROXIES", "10.0.0.0/8"),
        ]))
        .expect("valid");
        assert_eq!(config.http.header_timeout.as_secs(), 5);
        assert_eq!(config.http.body_timeout.as_secs(), 6);
        assert_eq!(config.http.request_timeout.as_secs(), 7);
        assert_eq!(config.http.max_connections, 8);
        assert_eq!(config.http.max_concurrent_requests, 9);
        assert_eq!(config.pay_rate_limit.per_minute, 0);
        assert!(config.pay_rate_limit.trusted_proxies.contains("10.2.3.4".parse().expect("ip")));
    }

    #[test]
    fn secrets_do_not_print() {
        let config =
            StackConfig::from_env(&env(&[("PAYGATE_REDIS_URL", "redis://:hunter2@localhost")])).expect("valid");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
