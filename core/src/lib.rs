//! Paygate core: owns every payment rule and is the only process that
//! touches the store and the queue. Serves gRPC (plus gRPC-web, health and
//! reflection) to the edges and to internal clients.

pub mod api;
pub mod background;
pub mod clock;
pub mod crypto;
pub mod dns;
pub mod domain;
pub mod error;
pub mod ids;
mod in_process;
pub mod money;
pub mod providers;
pub mod queue;
pub mod signing;
pub mod ssrf;
pub mod store;
pub mod tax;
pub mod vat;
pub mod workers;

use std::{future::Future, path::PathBuf, sync::Arc, time::Duration};

use paygate_contract::client::CoreChannel;
use paygate_contract::proto::v1::{
    api_key_service_server::ApiKeyServiceServer, audit_service_server::AuditServiceServer,
    auth_service_server::AuthServiceServer, checkout_service_server::CheckoutServiceServer,
    customer_service_server::CustomerServiceServer, invoice_service_server::InvoiceServiceServer,
    ipn_service_server::IpnServiceServer, operations_service_server::OperationsServiceServer,
    organization_service_server::OrganizationServiceServer, plan_service_server::PlanServiceServer,
    portal_service_server::PortalServiceServer, provider_hook_service_server::ProviderHookServiceServer,
    provider_service_server::ProviderServiceServer, report_service_server::ReportServiceServer,
    site_service_server::SiteServiceServer, subscription_service_server::SubscriptionServiceServer,
    tax_service_server::TaxServiceServer, test_clock_service_server::TestClockServiceServer,
    transaction_service_server::TransactionServiceServer, user_service_server::UserServiceServer,
    vat_service_server::VatServiceServer,
};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

pub use domain::Core;
pub use error::{CoreError, CoreResult};

use crate::{
    crypto::{SealingKey, SecretString},
    domain::Settings,
    queue::Queue,
    store::Store,
};

/// The official EU VIES REST API.
pub const DEFAULT_VIES_URL: &str = "https://ec.europa.eu/taxation_customs/vies/rest-api";
/// How long checkout creation waits for VIES before calling the ID
/// unverified.
pub const VIES_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one provider API call may take before it counts as a
/// transient failure (retried with the same idempotency key).
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a job is delivered before it is declared dead.
pub const MAX_JOB_ATTEMPTS: u32 = 10;

/// Where core keeps its data and how it reaches its neighbours.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Embedded store and development key live here.
    pub data_dir: PathBuf,
    /// MongoDB instead of the embedded store.
    pub mongodb_uri: Option<SecretString>,
    pub mongodb_database: String,
    /// Redis-protocol queue instead of the in-process one.
    pub redis_url: Option<SecretString>,
    pub redis_key_prefix: String,
    /// `PAYGATE_SECRET_KEY`; without it a key is generated in `data_dir`.
    pub secret_key: Option<SecretString>,
    pub checkout_base_url: String,
    pub ipn_allow_private: bool,
    pub ipn_fast_retries: bool,
    /// Artificial latency of every sandbox provider call.
    pub sandbox_latency: Duration,
    /// Concurrent payment and IPN workers in this core.
    pub workers: usize,
    /// `Some(nice)`: background work (workers, scheduler, charges and IPN
    /// attempts started by requests) runs on threads of its own at that
    /// nice value, so requests get the CPU first (see [`background`]).
    /// `None`: it runs on the caller's runtime.
    pub background_nice: Option<i32>,
    /// EU VIES REST base URL; `None` disables VIES (offline checks only).
    pub vies_url: Option<String>,
    /// The PDF worker; `None` makes PDF requests answer 503.
    pub pdf_url: Option<String>,
    /// The gateway's own hostnames (`PAYGATE_PLATFORM_DOMAINS`).
    pub platform_domains: Vec<String>,
    /// Shared token the PDF worker requires (`PAYGATE_PDF_TOKEN`).
    pub pdf_token: Option<SecretString>,
    /// Public base of edge-main's API (`PAYGATE_HOOKS_BASE_URL`), where
    /// providers send webhooks; `None` = `checkout_base_url` (one edge
    /// serves both without a proxy).
    pub hooks_base_url: Option<String>,
    /// `PAYGATE_STRIPE_API_BASE`; `None` = Stripe's own.
    pub stripe_api_base: Option<String>,
    /// `PAYGATE_GOCARDLESS_API_BASE`; `None` = live or sandbox by mode.
    pub gocardless_api_base: Option<String>,
    /// `PAYGATE_PROVIDER_ALLOW_PRIVATE`: provider records may point at
    /// http or private addresses (development stand-ins).
    pub provider_allow_private: bool,
    /// `PAYGATE_JWT_SECRET`: signs admin access tokens. `None` derives the
    /// key from the sealing key.
    pub jwt_secret: Option<SecretString>,
    /// Where the admin panel is reached: invitation links point there.
    pub admin_panel_url: String,
    /// Tests only: provider failures to inject in front of the sandbox.
    /// No environment variable sets it.
    pub provider_faults: Option<Arc<providers::faults::FaultPlan>>,
    /// Tests only: where custom domains' TXT challenges are looked up
    /// instead of the system's DNS. No environment variable sets it.
    pub dns_resolver: Option<Arc<dyn dns::TxtResolver>>,
    /// Tests only: a clock the test moves forward, read instead of the
    /// system's. No environment variable sets it.
    pub clock: Option<clock::OffsetClock>,
}

impl CoreConfig {
    /// Embedded defaults under `data_dir`.
    pub fn embedded(data_dir: PathBuf, checkout_base_url: String) -> Self {
        Self {
            data_dir,
            mongodb_uri: None,
            mongodb_database: "paygate".into(),
            redis_url: None,
            redis_key_prefix: "paygate".into(),
            secret_key: None,
            checkout_base_url,
            ipn_allow_private: false,
            ipn_fast_retries: false,
            sandbox_latency: Duration::ZERO,
            workers: 32,
            background_nice: None,
            vies_url: Some(DEFAULT_VIES_URL.to_owned()),
            pdf_url: None,
            platform_domains: Vec::new(),
            pdf_token: None,
            hooks_base_url: None,
            stripe_api_base: None,
            gocardless_api_base: None,
            provider_allow_private: false,
            jwt_secret: None,
            admin_panel_url: "http://127.0.0.1:8081".into(),
            provider_faults: None,
            dns_resolver: None,
            clock: None,
        }
    }

    pub fn store_description(&self) -> &'static str {
        if self.mongodb_uri.is_some() { "mongodb" } else { "embedded sqlite" }
    }

    pub fn queue_description(&self) -> &'static str {
        if self.redis_url.is_some() { "redis" } else { "in-process" }
    }
}

/// Opens the store (creating collections and indexes), the queue and the
/// sealing key.
pub async fn open(config: &CoreConfig) -> CoreResult<Core> {
    if config.mongodb_uri.is_none() || config.secret_key.is_none() {
        prepare_data_dir(&config.data_dir, config.mongodb_uri.is_none())?;
    }
    let store: Arc<dyn Store> = match &config.mongodb_uri {
        Some(uri) => Arc::new(store::mongo::MongoStore::connect(uri.expose(), &config.mongodb_database).await?),
        None => Arc::new(store::sqlite::SqliteStore::open(&config.data_dir.join(SQLITE_FILE))?),
    };
    let store: Arc<dyn Store> = Arc::new(store::MeteredStore::new(store));
    store.migrate(domain::COLLECTIONS).await?;
    let queue: Arc<dyn Queue> = match &config.redis_url {
        Some(url) => Arc::new(
            queue::redis_queue::RedisQueue::connect(url.expose(), &config.redis_key_prefix, MAX_JOB_ATTEMPTS).await?,
        ),
        None => Arc::new(queue::memory::MemoryQueue::new(MAX_JOB_ATTEMPTS)),
    };
    let sealing = match &config.secret_key {
        Some(key) => SealingKey::parse(key.expose())?,
        None => SealingKey::load_or_create(&config.data_dir.join(SEALING_KEY_FILE))?,
    };
    let settings = Settings {
        checkout_base_url: config.checkout_base_url.trim_end_matches('/').to_owned(),
        ipn_allow_private: config.ipn_allow_private,
        idempotency_lock_micros: 30_000_000,
        ipn_fast_retries: config.ipn_fast_retries,
        workers: config.workers,
        platform_domains: config
            .platform_domains
            .iter()
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect(),
        pdf_token: config.pdf_token.clone(),
        hooks_base_url: config
            .hooks_base_url
            .as_deref()
            .unwrap_or(&config.checkout_base_url)
            .trim_end_matches('/')
            .to_owned(),
        stripe_api_base: config
            .stripe_api_base
            .as_deref()
            .unwrap_or(domain::provider_accounts::STRIPE_API)
            .trim_end_matches('/')
            .to_owned(),
        gocardless_api_base: config.gocardless_api_base.as_ref().map(|base| base.trim_end_matches('/').to_owned()),
        provider_allow_private: config.provider_allow_private,
        jwt_secret: config.jwt_secret.clone(),
        admin_panel_url: config.admin_panel_url.trim_end_matches('/').to_owned(),
    };
    let mut provider: Arc<dyn providers::Provider> =
        Arc::new(providers::sandbox::SandboxProvider::new(store.clone(), config.sandbox_latency));
    if let Some(plan) = &config.provider_faults {
        provider = Arc::new(providers::faults::FaultyProvider::new(provider, plan.clone()));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(domain::ipn::REQUEST_TIMEOUT)
        .build()
        .map_err(|err| CoreError::Internal(format!("http client: {err}")))?;
    let provider_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(PROVIDER_TIMEOUT)
        .build()
        .map_err(|err| CoreError::Internal(format!("http client: {err}")))?;
    let vies = match &config.vies_url {
        Some(url) => Some(Arc::new(
            vat::ViesClient::new(url, VIES_TIMEOUT).map_err(|err| CoreError::Config(format!("VIES: {err}")))?,
        )),
        None => None,
    };
    let pdf = match &config.pdf_url {
        Some(url) => {
            Some(paygate_contract::client::lazy_channel(url).map_err(|err| CoreError::Config(err.to_string()))?)
        }
        None => None,
    };
    let background = match config.background_nice {
        Some(nice) => {
            let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
            background::Background::threads(threads, nice)
                .map_err(|err| CoreError::Internal(format!("background threads: {err}")))?
        }
        None => background::Background::default(),
    };
    let core = Core {
        background,
        store,
        queue,
        sealing,
        settings: Arc::new(settings),
        provider,
        http,
        ipn_clients: Arc::new(domain::ipn::IpnClients::default()),
        vies,
        pdf,
        clock: match &config.clock {
            Some(clock) => Arc::new(clock.clone()),
            None => Arc::new(clock::SystemClock),
        },
        provider_http,
        provider_clients: Default::default(),
        numbering: Default::default(),
        cache: Default::default(),
        inline_ipn: Arc::new(domain::inline::InlineWork::new(domain::ipn::INLINE_FIRST_ATTEMPTS)),
        inline_payments: Arc::new(domain::inline::InlineWork::new(domain::transactions::INLINE_PAYMENTS)),
        dns: match &config.dns_resolver {
            Some(resolver) => resolver.clone(),
            None => Arc::new(dns::SystemResolver::default()),
        },
    };
    if let Some(documents) = core.migrate_livemode().await? {
        tracing::info!(documents, "objects stored before test and live mode existed are now test objects");
    }
    let migrated = core.migrate_unproven_checkout_domains().await?;
    if migrated > 0 {
        tracing::warn!(
            sites = migrated,
            "custom checkout domains granted without proof are pending verification again"
        );
    }
    Ok(core)
}

/// The embedded database and the generated sealing key live in the data
/// directory: only the owner may enter it (0700) and read them (0600).
/// SQLite gives its `-wal` and `-shm` files the database file's mode, so
/// creating that file 0600 covers them; files an older version left
/// readable are tightened.
fn prepare_data_dir(dir: &std::path::Path, embedded_store: bool) -> CoreResult<()> {
    let failed = |what: &std::path::Path, err: std::io::Error| {
        CoreError::Config(format!("preparing the data directory {}: {err}", what.display()))
    };
    std::fs::create_dir_all(dir).map_err(|err| failed(dir, err))?;
    #[cfg(not(unix))]
    let _ = embedded_store;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|err| failed(dir, err))?;
        if embedded_store {
            let database = dir.join(SQLITE_FILE);
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&database)
                .map_err(|err| failed(&database, err))?;
        }
        for name in [SQLITE_FILE, "paygate.sqlite3-wal", "paygate.sqlite3-shm", SEALING_KEY_FILE] {
            let path = dir.join(name);
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(failed(&path, err)),
                _ => {}
            }
        }
    }
    Ok(())
}

const SQLITE_FILE: &str = "paygate.sqlite3";
const SEALING_KEY_FILE: &str = "secret.key";

/// Largest header block (metadata) core decodes per call. Under it, a call
/// with oversized credentials fails alone (401); over it HTTP/2 leaves no
/// choice but to close the whole connection, because the HPACK state the
/// connection's calls share cannot be skipped. hyper's default (16 KiB)
/// turned a 20 KiB `authorization` into a GOAWAY for every call on the
/// connection. The edges forward at most 8 KiB per header, 32 KiB in all.
const MAX_HEADER_LIST_BYTES: u32 = 256 * 1024;

/// Core's gRPC API, the same services in two tables: the route table
/// [`serve`] answers on its listener, and the one
/// [`GrpcServices::in_process`] hands to the edges of `paygate all`. Both
/// share one health reporter.
pub struct GrpcServices {
    core: Core,
    routes: tonic::service::Routes,
    in_process: in_process::InProcessServices,
    health: tonic_health::server::HealthReporter,
}

/// Builds every gRPC service of core (health and reflection included).
pub fn grpc_services(core: Core) -> CoreResult<GrpcServices> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(paygate_contract::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|err| CoreError::Internal(format!("reflection: {err}")))?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(paygate_contract::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|err| CoreError::Internal(format!("reflection: {err}")))?;
    let api = api::GrpcApi::new(core.clone());
    let mut services = in_process::ServiceSet::default();
    services
        .add(health_service)
        .add(reflection)
        .add(reflection_alpha)
        .add(OrganizationServiceServer::new(api.clone()))
        .add(ApiKeyServiceServer::new(api.clone()))
        .add(SiteServiceServer::new(api.clone()))
        .add(CheckoutServiceServer::new(api.clone()))
        .add(TransactionServiceServer::new(api.clone()))
        .add(IpnServiceServer::new(api.clone()))
        .add(ReportServiceServer::new(api.clone()))
        .add(OperationsServiceServer::new(api.clone()))
        .add(TaxServiceServer::new(api.clone()))
        .add(VatServiceServer::new(api.clone()))
        .add(ProviderServiceServer::new(api.clone()))
        .add(ProviderHookServiceServer::new(api.clone()))
        .add(CustomerServiceServer::new(api.clone()))
        .add(PlanServiceServer::new(api.clone()))
        .add(PortalServiceServer::new(api.clone()))
        .add(SubscriptionServiceServer::new(api.clone()))
        .add(TestClockServiceServer::new(api.clone()))
        .add(AuthServiceServer::new(api.clone()))
        .add(UserServiceServer::new(api.clone()))
        .add(AuditServiceServer::new(api.clone()))
        .add(InvoiceServiceServer::new(api));
    let (routes, in_process) = services.build();
    Ok(GrpcServices { core, routes, in_process, health })
}

impl GrpcServices {
    /// A channel to these services in this process: each call goes through
    /// the same metrics layer and the same generated service code as a call
    /// over the network (metadata, authentication, spans, status mapping),
    /// minus the socket, HTTP/2 framing, the route table and a task hop per
    /// call.
    ///
    /// No deadline of its own: the edges call core only while answering a
    /// request, and the edge's request deadline (30 s unless configured)
    /// already bounds the call, the way a remote channel's
    /// [`paygate_contract::client::CALL_TIMEOUT`] does. A second timer per
    /// call would only cost its registration in the timer wheel.
    pub fn in_process(&self) -> CoreChannel {
        let metered =
            tower::Layer::layer(&paygate_contract::metrics::GrpcMetricsLayer("core"), self.in_process.clone());
        CoreChannel::in_process(metered)
    }
}

/// Serves core's gRPC API on `listener` until `shutdown` completes, then
/// finishes in-flight calls and returns.
pub async fn serve(
    core: Core,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> CoreResult<()> {
    serve_services(grpc_services(core)?, listener, shutdown).await
}

/// [`serve`] for services built already (whose in-process channel may be
/// in use too).
pub async fn serve_services(
    services: GrpcServices,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> CoreResult<()> {
    let GrpcServices { core, routes, health, .. } = services;
    let health_task = tokio::spawn(watch_health(core.clone(), health));
    let gauges_task = tokio::spawn(workers::refresh_gauges(core.clone()));
    let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
    let mut workers = workers::spawn(core.clone(), workers_stop, &core.background.handle());
    core.inline_ipn.open();
    core.inline_payments.open();
    let result = tonic::transport::Server::builder()
        .accept_http1(true)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .layer(tonic_web::GrpcWebLayer::new())
        // Inside gRPC-web, so it reads the gRPC trailers of both kinds of call.
        .layer(paygate_contract::metrics::GrpcMetricsLayer("core"))
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), shutdown)
        .await
        .map_err(|err| CoreError::Internal(format!("grpc server: {err}")));
    health_task.abort();
    gauges_task.abort();
    // Requests have drained; let workers finish the job in hand.
    let _ = stop_workers.send(true);
    let drained =
        tokio::time::timeout(Duration::from_secs(30), async { while workers.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("workers still busy after 30 s; stopping them");
    }
    if !core.inline_payments.finish(Duration::from_secs(10)).await {
        tracing::warn!("payments still running after 10 s; the scheduler hands them on");
    }
    if !core.inline_ipn.finish(Duration::from_secs(10)).await {
        tracing::warn!("IPN attempts still running after 10 s; their leases hand them on");
    }
    result
}

impl Core {
    /// Whether core can do its work: the store and the queue answer.
    pub async fn ready(&self) -> bool {
        self.store.ping().await.is_ok() && self.queue.ping().await.is_ok()
    }
}

/// SERVING while the store and the queue answer, NOT_SERVING otherwise.
async fn watch_health(core: Core, reporter: tonic_health::server::HealthReporter) {
    let mut serving = None;
    loop {
        let healthy = core.ready().await;
        if serving != Some(healthy) {
            let status =
                if healthy { tonic_health::ServingStatus::Serving } else { tonic_health::ServingStatus::NotServing };
            reporter.set_service_status("", status).await;
            if !healthy {
                tracing::warn!("store or queue not answering: reporting NOT_SERVING");
            }
            serving = Some(healthy);
        }
        tokio::time::sleep(Duration::from_secs(if healthy { 5 } else { 1 })).await;
    }
}
