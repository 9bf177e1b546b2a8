//! Runs Paygate's services — all in one process or one at a time — and the
//! operator commands. `main` only parses the command line.

pub mod config;

use std::{future::Future, net::SocketAddr};

use paygate_contract::client::CoreChannel;
use paygate_core::{
    CoreError,
    domain::api_keys::{KeyMode, scopes},
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

pub use config::{ConfigError, StackConfig};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("binding {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{service}: {message}")]
    Service { service: &'static str, message: String },
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Which services this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    All,
    Core,
    EdgeAdmin,
    EdgeMain,
    PdfWorker,
}

/// Services started in this process, with the addresses they listen on.
pub struct Running {
    pub core_addr: Option<SocketAddr>,
    pub admin_addr: Option<SocketAddr>,
    pub main_addr: Option<SocketAddr>,
    pub pdf_addr: Option<SocketAddr>,
    /// Core's `/metrics`, `/healthz` and `/readyz` listener, when configured.
    pub core_metrics_addr: Option<SocketAddr>,
    /// The PDF worker's, when configured.
    pub pdf_metrics_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<Result<(), StackError>>,
}

impl Running {
    /// Asks every service to stop accepting work and waits until in-flight
    /// requests have finished.
    pub async fn shutdown(mut self) -> Result<(), StackError> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits for every service to end; the first failure is returned after
    /// the others were asked to stop.
    pub async fn wait(&mut self) -> Result<(), StackError> {
        let mut outcome = Ok(());
        while let Some(joined) = self.tasks.join_next().await {
            let result =
                joined.unwrap_or_else(|err| Err(StackError::Service { service: "task", message: err.to_string() }));
            if let Err(err) = result {
                let _ = self.shutdown.send(true);
                if outcome.is_ok() {
                    outcome = Err(err);
                }
            }
        }
        outcome
    }

    pub fn trigger_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

fn shutdown_signal(receiver: &watch::Receiver<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut receiver = receiver.clone();
    async move {
        let _ = receiver.wait_for(|stop| *stop).await;
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StackError> {
    TcpListener::bind(addr).await.map_err(|source| StackError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, StackError> {
    listener.local_addr().map_err(|err| StackError::Service { service: "listener", message: err.to_string() })
}

fn core_channel(in_process: Option<&CoreChannel>, url: &str) -> Result<CoreChannel, StackError> {
    if let Some(channel) = in_process {
        return Ok(channel.clone());
    }
    paygate_contract::client::lazy_channel(url)
        .map(paygate_contract::client::remote)
        .map_err(|err| StackError::Service { service: "client", message: err.to_string() })
}

/// Binds every listener first (so a port clash fails start-up, and port 0
/// works), then serves.
pub async fn start(config: &StackConfig, services: Services) -> Result<Running, StackError> {
    // Before any service starts, so nothing they record is lost.
    paygate_contract::metrics::install();
    let wants = |s: Services| services == Services::All || services == s;
    let core_listener = if wants(Services::Core) { Some(bind(config.core_addr).await?) } else { None };
    let pdf_listener = if wants(Services::PdfWorker) { Some(bind(config.pdf_addr).await?) } else { None };
    let admin_listener = if wants(Services::EdgeAdmin) { Some(bind(config.admin_addr).await?) } else { None };
    let main_listener = if wants(Services::EdgeMain) { Some(bind(config.main_addr).await?) } else { None };
    let core_metrics_listener = match config.core_metrics_addr.filter(|_| wants(Services::Core)) {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let pdf_metrics_listener = match config.pdf_metrics_addr.filter(|_| wants(Services::PdfWorker)) {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let core_metrics_addr = core_metrics_listener.as_ref().map(local_addr).transpose()?;
    let pdf_metrics_addr = pdf_metrics_listener.as_ref().map(local_addr).transpose()?;

    let core_addr = core_listener.as_ref().map(local_addr).transpose()?;
    let pdf_addr = pdf_listener.as_ref().map(local_addr).transpose()?;
    let admin_addr = admin_listener.as_ref().map(local_addr).transpose()?;
    let main_addr = main_listener.as_ref().map(local_addr).transpose()?;

    // In one process the edges talk to the core listener just bound;
    // apart, they use PAYGATE_CORE_URL (default: the default core address).
    let core_url = match (services, core_addr) {
        (Services::All, Some(addr)) => format!("http://{addr}"),
        _ => config.core_url.clone().unwrap_or_else(|| format!("http://{}", config.core_addr)),
    };

    let (shutdown, receiver) = watch::channel(false);
    let mut tasks = JoinSet::new();
    // In one process the edges call core's services directly; apart, over
    // gRPC at core_url.
    let mut in_process_core = None;

    if let Some(listener) = core_listener {
        let local_pdf = if services == Services::All { pdf_addr } else { None };
        let core_config = config.core_config_with_pdf(main_addr.unwrap_or(config.main_addr), local_pdf);
        let core = paygate_core::open(&core_config).await?;
        tracing::info!(
            addr = %local_addr(&listener)?,
            store = core_config.store_description(),
            queue = core_config.queue_description(),
            "core listening (gRPC, gRPC-web, health, reflection)"
        );
        if let Some(metrics_listener) = core_metrics_listener {
            tracing::info!(addr = %local_addr(&metrics_listener)?, "core metrics and health listening (HTTP)");
            let core = core.clone();
            let ready: paygate_contract::metrics::ReadyCheck = std::sync::Arc::new(move || {
                let core = core.clone();
                Box::pin(async move { core.ready().await })
            });
            let stop = shutdown_signal(&receiver);
            tasks.spawn(async move {
                paygate_contract::metrics::serve_ops(metrics_listener, ready, stop)
                    .await
                    .map_err(|err| StackError::Service { service: "core metrics", message: err.to_string() })
            });
        }
        let grpc = paygate_core::grpc_services(core)?;
        if services == Services::All && !config.edges_over_grpc {
            in_process_core = Some(grpc.in_process());
        }
        let stop = shutdown_signal(&receiver);
        tasks.spawn(async move { Ok(paygate_core::serve_services(grpc, listener, stop).await?) });
    }
    if let Some(metrics_listener) = pdf_metrics_listener {
        tracing::info!(addr = %local_addr(&metrics_listener)?, "pdf-worker metrics and health listening (HTTP)");
        let stop = shutdown_signal(&receiver);
        tasks.spawn(async move {
            paygate_contract::metrics::serve_ops(metrics_listener, paygate_pdf_worker::ready_check(), stop)
                .await
                .map_err(|err| StackError::Service { service: "pdf-worker metrics", message: err.to_string() })
        });
    }
    if let Some(listener) = pdf_listener {
        tracing::info!(addr = %local_addr(&listener)?, "pdf-worker listening (gRPC)");
        let stop = shutdown_signal(&receiver);
        let pdf_token = config.pdf_token.as_ref().map(|token| token.expose().to_owned());
        tasks.spawn(async move {
            paygate_pdf_worker::serve(listener, pdf_token, stop)
                .await
                .map_err(|err| StackError::Service { service: "pdf-worker", message: err.to_string() })
        });
    }
    if let Some(listener) = admin_listener {
        tracing::info!(addr = %local_addr(&listener)?, core = %core_url, "edge-admin listening (Admin API)");
        let channel = core_channel(in_process_core.as_ref(), &core_url)?;
        let stop = shutdown_signal(&receiver);
        let http = config.http;
        let trusted_proxies = config.pay_rate_limit.trusted_proxies.clone();
        tasks.spawn(async move {
            paygate_edge_admin::serve(channel, listener, http, trusted_proxies, stop)
                .await
                .map_err(|err| StackError::Service { service: "edge-admin", message: err.to_string() })
        });
    }
    if let Some(listener) = main_listener {
        tracing::info!(addr = %local_addr(&listener)?, core = %core_url, "edge-main listening (checkout API)");
        let channel = core_channel(in_process_core.as_ref(), &core_url)?;
        let stop = shutdown_signal(&receiver);
        let options = paygate_edge_main::MainEdgeOptions {
            http: config.http,
            pay_rate_limit: config.pay_rate_limit.clone(),
            stripe_js: config.stripe_js.clone(),
        };
        tasks.spawn(async move {
            paygate_edge_main::serve(channel, listener, options, stop)
                .await
                .map_err(|err| StackError::Service { service: "edge-main", message: err.to_string() })
        });
    }
    Ok(Running { core_addr, admin_addr, main_addr, pdf_addr, core_metrics_addr, pdf_metrics_addr, shutdown, tasks })
}

/// What `paygate bootstrap` prints.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrap {
    pub organization_id: String,
    pub site_id: String,
    pub api_key: String,
    pub webhook_secret: String,
}

/// Creates a new organization with one site and one test-mode API key
/// holding every scope. Talks to the store directly, so it works whether
/// or not a server is running.
pub async fn bootstrap(config: &StackConfig, organization: &str, site: &str) -> Result<Bootstrap, StackError> {
    let core = paygate_core::open(&config.core_config(config.main_addr)).await?;
    let org = core.create_organization(organization).await?;
    let (site, webhook_secret) = core.create_site(&org.id, site, "").await?;
    let all: Vec<String> = scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (_, api_key) = core.create_api_key(&org.id, "bootstrap", KeyMode::Test, &all).await?;
    Ok(Bootstrap {
        organization_id: org.id,
        site_id: site.id,
        api_key: api_key.expose().to_owned(),
        webhook_secret: webhook_secret.expose().to_owned(),
    })
}

/// What `paygate user create` prints.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    pub organization_id: String,
    pub user_id: String,
    pub email: String,
    pub role: String,
    /// Where the user sets a password; absent when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_password_url: Option<String>,
}

/// Creates an admin panel user, with a password or a one-time link to set
/// one. Talks to the store directly, like `bootstrap`.
pub async fn create_user(
    config: &StackConfig,
    organization_id: &str,
    email: &str,
    role: &str,
    name: &str,
    password: Option<&str>,
) -> Result<CreatedUser, StackError> {
    let core = paygate_core::open(&config.core_config(config.main_addr)).await?;
    if core.get::<paygate_core::domain::organizations::Organization>(organization_id).await?.is_none() {
        return Err(paygate_core::error::CoreError::NotFound("organization").into());
    }
    let role = paygate_core::domain::identity::users::Role::parse(role)?;
    if let Some(password) = password {
        paygate_core::domain::identity::sessions::check_password_strength(password)?;
    }
    let invited = core.create_user(organization_id, email, name, role).await?;
    let set_password_url = match password {
        Some(password) => {
            core.accept_invitation(&invited.token, password, None).await?;
            None
        }
        None => Some(core.invitation_url(&invited.token)),
    };
    Ok(CreatedUser {
        organization_id: invited.user.organization_id,
        user_id: invited.user.id,
        email: invited.user.email,
        role: role.as_str().to_owned(),
        set_password_url,
    })
}

/// What `paygate live-key` prints.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveKey {
    pub organization_id: String,
    pub key_id: String,
    pub api_key: String,
}

/// Mints an organization's live-mode API key holding every scope: the
/// operator's way into live mode, since a test key may never create one.
/// Talks to the store directly, like `bootstrap`.
pub async fn live_key(config: &StackConfig, organization_id: &str, name: &str) -> Result<LiveKey, StackError> {
    let core = paygate_core::open(&config.core_config(config.main_addr)).await?;
    let exists = paygate_core::ids::is_id("org", organization_id)
        && core.get::<paygate_core::domain::organizations::Organization>(organization_id).await?.is_some();
    if !exists {
        return Err(StackError::Service { service: "live-key", message: format!("no organization {organization_id}") });
    }
    let all: Vec<String> = scopes::ALL.iter().map(|s| (*s).to_owned()).collect();
    let (key, secret) = core.create_api_key(organization_id, name, KeyMode::Live, &all).await?;
    Ok(LiveKey { organization_id: organization_id.to_owned(), key_id: key.id, api_key: secret.expose().to_owned() })
}
