//! `bench`: drives Paygate the way merchants do and measures it end to end.
//!
//! N merchant loops each repeat: create a checkout on the Admin API → pay
//! it on the checkout API (202) → wait until the gateway's IPN for that
//! checkout reaches a local receiver with both signatures valid. The
//! gateway either runs in this process (`paygate::start`, listeners on
//! port 0, a fresh store and queue) or elsewhere (`--admin-url` …).
//!
//! With `--rate`, payments arrive on a fixed schedule instead (open loop):
//! one every 1/rate seconds, spread over the merchants in turn, whether or
//! not earlier ones have finished, and each latency counts from when its
//! payment was due. That is latency at a given load; the loops measure it
//! at the most the gateway can take, where every queue is full.
//!
//! `bench renewals` measures something else: subscriptions renewing on
//! one test clock (see `renewals`).
//!
//! `cargo run --release -p bench -- --help` lists the options.

mod ratio;
mod receiver;
mod renewals;
mod stats;
mod writer;

use std::{
    collections::{BTreeMap, HashMap},
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::body::Bytes;
use clap::{Parser, Subcommand, ValueEnum};
use paygate::{Running, Services, StackConfig};
use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinSet};

use crate::{
    receiver::Receiver,
    stats::{LoopStats, MachineCpu, MachineShare, Memory, Report, Setup},
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// Embedded SQLite in a temporary data directory.
    Embedded,
    /// MongoDB at PAYGATE_MONGODB_URI, in a fresh database.
    Mongodb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QueueKind {
    /// The in-process queue.
    Memory,
    /// Redis at PAYGATE_REDIS_URL, under a fresh key prefix.
    Redis,
}

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Load benchmark for Paygate: checkout → pay → verified IPN, per merchant loop",
    after_help = "Without --admin-url the gateway runs in this process on 127.0.0.1:0.\n\
                  With it, --main-url, --api-key, --site-id and --webhook-secret name an existing \
                  site; the target must accept http:// IPN URLs on 127.0.0.1 \
                  (PAYGATE_IPN_ALLOW_PRIVATE=1) and run on this machine.\n\
                  `bench renewals --help`: subscriptions renewing on one test clock.\n\
                  `bench create-ratio --help`: create-checkout against a bare axum server (wrk).",
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Concurrent merchant loops; in-process, each has its own organization,
    /// site and API key.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    merchants: u32,
    /// Open loop: start this many payments per second on a fixed schedule
    /// (over the merchants in turn) instead of running merchant loops.
    /// Latencies count from each payment's scheduled start, so a gateway
    /// falling behind shows in them.
    #[arg(long)]
    rate: Option<f64>,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring starts (not measured).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Store of the in-process gateway.
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    backend: Backend,
    /// Queue of the in-process gateway.
    #[arg(long, value_enum, default_value_t = QueueKind::Memory)]
    queue: QueueKind,
    /// PAYGATE_SANDBOX_LATENCY_MS: artificial latency of each provider call.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    provider_latency_ms: u64,
    /// PAYGATE_WORKERS (payment workers and IPN dispatchers each); default:
    /// the gateway's own default.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    workers: Option<u32>,
    /// Seconds a loop waits for its IPN before counting `ipn_timeout`.
    #[arg(long, default_value_t = 30.0)]
    ipn_timeout: f64,
    /// Checkout amount in minor units (EUR).
    #[arg(long, default_value_t = 11900, value_parser = clap::value_parser!(i64).range(1..))]
    amount: i64,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,

    /// Admin API of a running gateway (instead of starting one).
    #[arg(
        long,
        requires_all = ["main_url", "api_key", "site_id", "webhook_secret"],
        conflicts_with_all = ["backend", "queue", "provider_latency_ms", "workers"]
    )]
    admin_url: Option<String>,
    /// Checkout API of the running gateway.
    #[arg(long, requires = "admin_url")]
    main_url: Option<String>,
    /// API key (sk_…) with `checkout:create`, shared by every loop.
    #[arg(long, requires = "admin_url")]
    api_key: Option<String>,
    /// Site the checkouts are created for.
    #[arg(long, requires = "admin_url")]
    site_id: Option<String>,
    /// That site's webhook signing secret (whsec_…), to verify IPNs.
    #[arg(long, requires = "admin_url")]
    webhook_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Subscriptions on one test clock, all renewing in one advance of a
    /// month: renewals/s, invoices issued, peak RSS, and checks that each
    /// renewed exactly once with gap-free invoice numbers.
    Renewals(renewals::RenewalArgs),
    /// Create-checkout throughput with wrk against Paygate and against a
    /// bare axum server parsing the same JSON, in alternating runs: both
    /// figures and their ratio.
    CreateRatio(ratio::RatioArgs),
}

fn seconds(value: f64, name: &str, allow_zero: bool) -> Result<Duration, BoxError> {
    let valid = value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0)) && value <= 86_400.0;
    if !valid {
        return Err(format!(
            "--{name} must be a number of seconds (up to a day){}",
            if allow_zero { "" } else { " above 0" }
        )
        .into());
    }
    Ok(Duration::from_secs_f64(value))
}

/// Credentials of one merchant (organization, site, key).
#[derive(Clone)]
struct Merchant {
    api_key: String,
    site_id: String,
    webhook_secret: String,
}

/// The gateway under test and how to reach it.
struct Target {
    admin: String,
    main: String,
    /// One per loop.
    merchants: Vec<Merchant>,
    /// Set when the gateway runs in this process.
    running: Option<Running>,
    setup: Setup,
    /// Kept so the temporary data directory outlives the gateway.
    _data_dir: Option<tempfile::TempDir>,
}

/// A name no earlier run used, for the MongoDB database and Redis prefix.
fn run_name() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    format!("paygate_bench_{}_{millis}", std::process::id())
}

fn required_env(name: &str, option: &str) -> Result<String, BoxError> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| format!("{option} needs {name}").into())
}

/// One organization, site and key per merchant loop, so the run looks like
/// many merchants rather than one merchant with many connections.
async fn bootstrap(config: &StackConfig, count: u32) -> Result<Vec<Merchant>, BoxError> {
    let mut merchants = Vec::with_capacity(count as usize);
    for i in 0..count {
        let created = paygate::bootstrap(config, &format!("Bench merchant {i}"), &format!("Bench shop {i}")).await?;
        merchants.push(Merchant {
            api_key: created.api_key,
            site_id: created.site_id,
            webhook_secret: created.webhook_secret,
        });
    }
    Ok(merchants)
}

async fn start_in_process(args: &Args, setup: Setup) -> Result<Target, BoxError> {
    let data_dir = tempfile::Builder::new().prefix("paygate-bench-").tempdir()?;
    let mut env = HashMap::new();
    env.insert("PAYGATE_DATA_DIR".to_owned(), data_dir.path().display().to_string());
    for var in ["PAYGATE_CORE_ADDR", "PAYGATE_ADMIN_ADDR", "PAYGATE_MAIN_ADDR", "PAYGATE_PDF_ADDR"] {
        env.insert(var.to_owned(), "127.0.0.1:0".to_owned());
    }
    // The receiver is http://127.0.0.1, which the SSRF guard refuses
    // unless development mode allows it.
    env.insert("PAYGATE_IPN_ALLOW_PRIVATE".to_owned(), "1".to_owned());
    // Every simulated customer pays from 127.0.0.1: the per-address limit
    // on pay attempts (against card testing) would stop the run.
    env.insert("PAYGATE_PAY_RATE_LIMIT_PER_MINUTE".to_owned(), "0".to_owned());
    if let Ok(value) = std::env::var("PAYGATE_EDGES_OVER_GRPC") {
        env.insert("PAYGATE_EDGES_OVER_GRPC".to_owned(), value);
    }
    env.insert("PAYGATE_SANDBOX_LATENCY_MS".to_owned(), args.provider_latency_ms.to_string());
    if let Some(workers) = args.workers {
        env.insert("PAYGATE_WORKERS".to_owned(), workers.to_string());
    }
    let name = run_name();
    if args.backend == Backend::Mongodb {
        env.insert("PAYGATE_MONGODB_URI".to_owned(), required_env("PAYGATE_MONGODB_URI", "--backend mongodb")?);
        env.insert("PAYGATE_MONGODB_DATABASE".to_owned(), name.clone());
    }
    if args.queue == QueueKind::Redis {
        env.insert("PAYGATE_REDIS_URL".to_owned(), required_env("PAYGATE_REDIS_URL", "--queue redis")?);
        env.insert("PAYGATE_REDIS_PREFIX".to_owned(), name.clone());
    }
    let config = StackConfig::from_env(&env)?;
    let running = paygate::start(&config, Services::All).await?;
    let url = |addr: Option<std::net::SocketAddr>| {
        addr.map(|a| format!("http://{a}")).ok_or_else(|| BoxError::from("a listener did not start"))
    };
    let (admin, main) = (url(running.admin_addr)?, url(running.main_addr)?);

    let merchants = match bootstrap(&config, args.merchants).await {
        Ok(merchants) => merchants,
        Err(err) => {
            running.shutdown().await?;
            return Err(err);
        }
    };

    let backend = match args.backend {
        Backend::Embedded => format!("embedded SQLite (temporary {})", data_dir.path().display()),
        Backend::Mongodb => format!("MongoDB (database {name})"),
    };
    let queue = match args.queue {
        QueueKind::Memory => "in-process".to_owned(),
        QueueKind::Redis => format!("Redis (key prefix {name})"),
    };
    let workers = match args.workers {
        Some(n) => format!("{n} (--workers)"),
        None => format!("{} (gateway default)", config.workers),
    };
    Ok(Target {
        admin,
        main,
        merchants,
        running: Some(running),
        setup: Setup {
            target: "in-process (paygate::start, Services::All, 127.0.0.1:0; shares this process's tokio runtime)"
                .into(),
            backend,
            queue,
            merchants_note: "each its own organization, site and API key".into(),
            provider_latency_ms: Some(args.provider_latency_ms),
            workers: Some(workers),
            ..setup
        },
        _data_dir: Some(data_dir),
    })
}

fn external(args: &Args, setup: Setup) -> Result<Target, BoxError> {
    let missing = || BoxError::from("--admin-url needs --main-url, --api-key, --site-id and --webhook-secret");
    let merchant = Merchant {
        api_key: args.api_key.clone().ok_or_else(missing)?,
        site_id: args.site_id.clone().ok_or_else(missing)?,
        webhook_secret: args.webhook_secret.clone().ok_or_else(missing)?,
    };
    let admin = args.admin_url.clone().ok_or_else(missing)?;
    let main = args.main_url.clone().ok_or_else(missing)?;
    Ok(Target {
        admin: admin.trim_end_matches('/').to_owned(),
        main: main.trim_end_matches('/').to_owned(),
        merchants: vec![merchant; args.merchants as usize],
        running: None,
        setup: Setup {
            target: format!("external (admin {admin}, main {main})"),
            backend: "as configured on the target".into(),
            queue: "as configured on the target".into(),
            merchants_note: "loops sharing the one given site and key".into(),
            ..setup
        },
        _data_dir: None,
    })
}

/// Everything a merchant loop shares with the others.
struct Shared {
    client: reqwest::Client,
    receiver: Arc<Receiver>,
    admin: String,
    main: String,
    ipn_url: String,
    amount: i64,
    ipn_timeout: Duration,
    warmup_end: Instant,
    end: Instant,
}

/// One payment's timings.
struct Completed {
    create: Duration,
    pay: Duration,
    end_to_end: Duration,
    ipn_at: Instant,
}

/// POST with a JSON body; the body is read in full so the latency covers
/// the whole response.
async fn post(
    client: &reqwest::Client,
    url: &str,
    api_key: Option<&str>,
    body: Bytes,
    step: &str,
) -> Result<(reqwest::StatusCode, Bytes), String> {
    let mut request = client.post(url).header("content-type", "application/json").body(body);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.map_err(|err| transport_error(step, &err))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|err| transport_error(step, &err))?;
    Ok((status, body))
}

fn transport_error(step: &str, err: &reqwest::Error) -> String {
    let why = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else {
        "transport"
    };
    format!("{step}_{why}")
}

async fn one_payment(
    shared: &Shared,
    merchant: &Merchant,
    create_url: &str,
    create_body: &Bytes,
    started: Instant,
) -> Result<Completed, String> {
    let (status, body) =
        post(&shared.client, create_url, Some(&merchant.api_key), create_body.clone(), "create").await?;
    let created = Instant::now();
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("create_http_{}", status.as_u16()));
    }
    let checkout_id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| "create_response_invalid".to_owned())?;

    let arrival = shared.receiver.expect(&checkout_id);
    let pay_url = format!("{}/api/v1/checkouts/{checkout_id}/pay", shared.main);
    let pay_started = Instant::now();
    let paid =
        post(&shared.client, &pay_url, None, Bytes::from_static(br#"{"paymentMethod":"tok_visa"}"#), "pay").await;
    let pay_done = Instant::now();
    match paid {
        Ok((status, _)) if status == reqwest::StatusCode::ACCEPTED => {}
        Ok((status, _)) => {
            shared.receiver.forget(&checkout_id);
            return Err(format!("pay_http_{}", status.as_u16()));
        }
        Err(kind) => {
            shared.receiver.forget(&checkout_id);
            return Err(kind);
        }
    }

    let ipn_at = match tokio::time::timeout(shared.ipn_timeout, arrival).await {
        Ok(Ok(Ok(at))) => at,
        Ok(Ok(Err(kind))) => return Err(kind),
        Ok(Err(_)) => return Err("ipn_receiver_gone".into()),
        Err(_) => {
            shared.receiver.forget(&checkout_id);
            return Err("ipn_timeout".into());
        }
    };
    Ok(Completed {
        create: created - started,
        pay: pay_done - pay_started,
        end_to_end: ipn_at.saturating_duration_since(started),
        ipn_at,
    })
}

/// A typical small order; the same bytes every time (no Idempotency-Key,
/// so each request creates a new checkout).
fn order_body(shared: &Shared) -> Bytes {
    let order = json!({
        "amount": shared.amount,
        "currency": "EUR",
        "description": "Benchmark order",
        "lineItems": [{"name": "Benchmark item", "quantity": 1, "amount": shared.amount}],
        "metadata": {"source": "bench"},
        "ipnUrl": shared.ipn_url,
    });
    Bytes::from(order.to_string())
}

fn create_url(shared: &Shared, merchant: &Merchant) -> String {
    format!("{}/api/v1/checkouts/{}/create", shared.admin, merchant.site_id)
}

/// Counts one payment begun at `started` in `stats`.
fn account(stats: &mut LoopStats, shared: &Shared, started: Instant, outcome: Result<Completed, String>) {
    let measured = started >= shared.warmup_end;
    if measured {
        stats.started_in_window += 1;
    }
    match outcome {
        Ok(done) => {
            if measured {
                stats.record(done.create, done.pay, done.end_to_end);
            }
            if done.ipn_at >= shared.warmup_end && done.ipn_at <= shared.end {
                stats.completed_in_window += 1;
            }
        }
        Err(kind) if measured => stats.error(kind),
        Err(_) => stats.warmup_errors += 1,
    }
}

async fn merchant_loop(shared: Arc<Shared>, merchant: Merchant) -> LoopStats {
    let mut stats = LoopStats::new();
    let create_url = create_url(&shared, &merchant);
    let create_body = order_body(&shared);
    loop {
        let started = Instant::now();
        if started >= shared.end {
            break;
        }
        let outcome = one_payment(&shared, &merchant, &create_url, &create_body, started).await;
        let failed = outcome.is_err();
        account(&mut stats, &shared, started, outcome);
        if failed {
            // A failing gateway answers fast; pausing keeps a broken run
            // from turning into a busy loop of errors.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stats
}

/// Payments in flight at once in an open-loop run before further ones are
/// counted as `rate_not_kept` instead of started: a gateway that cannot
/// keep up would otherwise pile up tasks without bound.
const MAX_IN_FLIGHT: usize = 10_000;

/// Open loop: payment `n` is due `n / rate` seconds after the start, on
/// merchant `n mod merchants`, and is started then whatever the others
/// are doing.
async fn open_loop(shared: Arc<Shared>, merchants: Vec<Merchant>, rate: f64) -> LoopStats {
    let stats = Arc::new(std::sync::Mutex::new(LoopStats::new()));
    let merchants: Arc<Vec<(Merchant, String)>> =
        Arc::new(merchants.into_iter().map(|m| (create_url(&shared, &m), m)).map(|(url, m)| (m, url)).collect());
    let create_body = order_body(&shared);
    let first = Instant::now();
    let mut in_flight = JoinSet::new();
    for n in 0u64.. {
        let due = first + Duration::from_secs_f64(n as f64 / rate);
        if due >= shared.end {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        while in_flight.try_join_next().is_some() {}
        if in_flight.len() >= MAX_IN_FLIGHT {
            account(&mut lock(&stats), &shared, due, Err("rate_not_kept".into()));
            continue;
        }
        let (shared, merchants, stats, body) =
            (Arc::clone(&shared), Arc::clone(&merchants), Arc::clone(&stats), create_body.clone());
        in_flight.spawn(async move {
            let (merchant, url) = &merchants[(n % merchants.len() as u64) as usize];
            let outcome = one_payment(&shared, merchant, url, &body, due).await;
            account(&mut lock(&stats), &shared, due, outcome);
        });
    }
    while in_flight.join_next().await.is_some() {}
    let mut total = LoopStats::new();
    total.merge(&lock(&stats));
    total
}

fn lock(stats: &std::sync::Mutex<LoopStats>) -> std::sync::MutexGuard<'_, LoopStats> {
    // A panicking payment task leaves figures that are still counts.
    stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn run(args: Args) -> Result<Report, BoxError> {
    let warmup = seconds(args.warmup, "warmup", true)?;
    let duration = seconds(args.duration, "duration", false)?;
    let ipn_timeout = seconds(args.ipn_timeout, "ipn-timeout", false)?;
    let arrivals = match args.rate {
        Some(rate) if rate.is_finite() && rate > 0.0 && rate <= 100_000.0 => format!(
            "open loop: {rate} payments/s on a fixed schedule over the merchants in turn; latencies count from each payment's scheduled start"
        ),
        Some(_) => return Err("--rate must be a number of payments per second above 0 (up to 100000)".into()),
        None => format!(
            "closed loop: {} merchant loops, each starting its next payment when its last one ends",
            args.merchants
        ),
    };
    let setup = Setup {
        arrivals,
        target: String::new(),
        backend: String::new(),
        queue: String::new(),
        merchants: args.merchants as usize,
        merchants_note: String::new(),
        warmup,
        duration,
        provider_latency_ms: None,
        workers: None,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        ipn_timeout,
    };
    let mut target =
        if args.admin_url.is_some() { external(&args, setup)? } else { start_in_process(&args, setup).await? };
    // Whatever happens while measuring, the in-process gateway is shut down
    // (in-flight work drained) before the process exits.
    let measured = measure(&args, &mut target, ipn_timeout).await;
    if let Some(running) = target.running.take() {
        running.shutdown().await?;
    }
    let measured = measured?;
    Ok(Report {
        setup: target.setup,
        stats: measured.stats,
        stray_errors: measured.stray_errors,
        unfinished_loops: measured.unfinished_loops,
        memory: measured.memory,
        machine: measured.machine,
        writer: measured.writer,
    })
}

/// What one measurement produced.
struct Measured {
    stats: LoopStats,
    stray_errors: BTreeMap<String, u64>,
    unfinished_loops: usize,
    memory: Option<Memory>,
    machine: Option<MachineShare>,
    writer: Option<writer::WriterFigures>,
}

/// Starts the receiver and the merchant loops, waits for them, and stops
/// the receiver.
async fn measure(args: &Args, target: &mut Target, ipn_timeout: Duration) -> Result<Measured, BoxError> {
    let (warmup, duration) = (target.setup.warmup, target.setup.duration);
    let secrets = target.merchants.iter().map(|m| (m.site_id.clone(), m.webhook_secret.clone())).collect();
    let receiver = Receiver::new(secrets);
    let (stop_receiver, receiver_stopped) = oneshot::channel();
    let (receiver_addr, receiver_task) = receiver.serve(receiver_stopped).await?;

    let loops = target.merchants.len();
    let client = reqwest::Client::builder()
        // Keep-alive connections for every loop on both edges, never a new
        // connection per request.
        .pool_max_idle_per_host(if args.rate.is_some() { 1024 } else { loops * 2 })
        .pool_idle_timeout(Duration::from_secs(90))
        .http1_only()
        .tcp_nodelay(true)
        // Measure the gateway, not a proxy picked up from the environment.
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;

    let started = Instant::now();
    let shared = Arc::new(Shared {
        client,
        receiver: Arc::clone(&receiver),
        admin: target.admin.clone(),
        main: target.main.clone(),
        ipn_url: format!("http://{receiver_addr}/ipn"),
        amount: args.amount,
        ipn_timeout,
        warmup_end: started + warmup,
        end: started + warmup + duration,
    });
    eprintln!(
        "bench: {}, {:.1} s warm-up + {:.1} s measured …",
        target.setup.arrivals,
        warmup.as_secs_f64(),
        duration.as_secs_f64()
    );
    // The gateway's metrics as the measured window opens, for the store
    // writer's figures over that window.
    let metrics_url = format!("{}/metrics", target.admin);
    let metrics_at_start = tokio::spawn({
        let (shared, url) = (Arc::clone(&shared), metrics_url.clone());
        async move {
            tokio::time::sleep_until(shared.warmup_end.into()).await;
            scrape_metrics(&shared.client, &url).await
        }
    });
    // The machine's CPU over exactly the measured window.
    let machine = tokio::spawn({
        let shared = Arc::clone(&shared);
        async move {
            tokio::time::sleep_until(shared.warmup_end.into()).await;
            let start = MachineCpu::read();
            tokio::time::sleep_until(shared.end.into()).await;
            start.zip(MachineCpu::read()).map(|(start, end)| end.since(&start))
        }
    });
    let mut tasks = JoinSet::new();
    match args.rate {
        Some(rate) => {
            tasks.spawn(open_loop(Arc::clone(&shared), target.merchants.drain(..).collect(), rate));
        }
        None => {
            for merchant in target.merchants.drain(..) {
                tasks.spawn(merchant_loop(Arc::clone(&shared), merchant));
            }
        }
    }

    // Payments begun before the end may finish afterwards (their latency
    // counts, their IPN not towards throughput); wait for them, but not
    // beyond the longest a payment can legitimately take.
    let mut stats = LoopStats::new();
    let drain_deadline = shared.end + ipn_timeout + Duration::from_secs(60);
    let mut unfinished_loops = tasks.len();
    while let Ok(Some(joined)) = tokio::time::timeout_at(drain_deadline.into(), tasks.join_next()).await {
        unfinished_loops -= 1;
        match joined {
            Ok(loop_stats) => stats.merge(&loop_stats),
            Err(err) => stats.error(format!("loop_panicked: {err}")),
        }
    }
    tasks.abort_all();

    // Read before shutdown: the figures of the gateway under load.
    let memory = target.running.as_ref().and_then(|_| Memory::read());
    let writer = match (metrics_at_start.await.ok().flatten(), scrape_metrics(&shared.client, &metrics_url).await) {
        (Some(before), Some(after)) => writer::WriterFigures::between(&before, &after),
        _ => None,
    };

    let machine = machine.await.ok().flatten();

    let _ = stop_receiver.send(());
    receiver_task.await??;
    Ok(Measured { stats, stray_errors: receiver.stray_errors(), unfinished_loops, memory, machine, writer })
}

/// The gateway's Prometheus metrics; `None` when they cannot be read (the
/// report then leaves out what they would have given).
async fn scrape_metrics(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.text().await.ok()
}

/// The same allocator as the `paygate` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    let mode_outcome = match args.mode.take() {
        Some(Mode::Renewals(renewal_args)) => Some(renewals::run(renewal_args).await),
        Some(Mode::CreateRatio(ratio_args)) => Some(ratio::run(ratio_args).await),
        None => None,
    };
    if let Some(outcome) = mode_outcome {
        return match outcome {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(err) => {
                eprintln!("bench: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let json = args.json;
    match run(args).await {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}
