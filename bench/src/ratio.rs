//! `bench create-ratio`: create-checkout throughput as a fraction of what a
//! bare axum server does with the same requests on the same machine.
//!
//! Two servers run in this process, on the same tokio runtime:
//! - the **reference**: axum alone, on the same route, parsing the same JSON
//!   body into typed fields, checking that an `Authorization` header is
//!   there, and answering 201 with a small JSON object;
//! - **Paygate** (`paygate::start`, every service, embedded store, in-process
//!   queue), with one bootstrapped merchant.
//!
//! `wrk` (an external process, so the load generator's cost is the same for
//! both) sends the README's create-checkout body to each in turn: a short
//! warm-up, then `--rounds` measured runs alternating reference and Paygate.
//! The figures to read are the ratio of the medians and each round's ratio
//! (Paygate's run over the reference run just before it): both sides see
//! the same noise of a shared machine, and a round's two runs see the same
//! minute of it. `wrk` is used because it is a real
//! HTTP/1.1 load tool with keep-alive connections and a fixed cost per
//! request that does not depend on the server; `scripts/bench.sh` installs
//! it.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    process::Stdio,
    sync::atomic::{AtomicU64, Ordering},
};

use axum::{
    Json, Router,
    extract::Path as RoutePath,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use clap::Args;
use paygate::{Services, StackConfig};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    BoxError,
    stats::{MachineCpu, MachineShare, Memory, ProcessCounters, RequestCost},
};

/// The README's example order: what a merchant's server sends.
const ORDER: &str = r#"{"amount": 11900, "currency": "EUR", "description": "Pro plan", "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}]}"#;

#[derive(Debug, Args)]
pub struct RatioArgs {
    /// wrk threads (`-t`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// wrk connections (`-c`).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    connections: u32,
    /// Seconds of each measured run.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=3600))]
    duration: u32,
    /// Seconds of the warm-up run against each server (not measured).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=600))]
    warmup: u32,
    /// Measured runs per server, alternating reference and Paygate.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,
    /// Send a unique `Idempotency-Key` with every request (merchants should;
    /// it adds the idempotency record's writes to each create).
    #[arg(long)]
    idempotency_keys: bool,
    /// The wrk executable.
    #[arg(long, default_value = "wrk")]
    wrk: String,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
}

/// What one wrk run reported (wrk's `done` hook prints it as JSON).
#[derive(Debug, Clone, Deserialize)]
struct WrkRun {
    requests: u64,
    duration_us: u64,
    /// Responses other than 201, connect/read/write errors and timeouts.
    status_errors: u64,
    socket_errors: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
}

impl WrkRun {
    fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }

    fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "requestsPerSecond": self.per_second(),
            "errors": self.status_errors + self.socket_errors,
            "p50Ms": self.p50_us as f64 / 1000.0,
            "p90Ms": self.p90_us as f64 / 1000.0,
            "p99Ms": self.p99_us as f64 / 1000.0,
            "maxMs": self.max_us as f64 / 1000.0,
        })
    }
}

/// One measured run: which server, what wrk saw, what this process spent
/// per request, and how the machine's CPU went meanwhile.
struct Run {
    server: &'static str,
    wrk: WrkRun,
    cost: Option<RequestCost>,
    machine: Option<MachineShare>,
}

/// The wrk script: the POST, optionally a fresh idempotency key per request,
/// and a machine-readable summary. Non-201 answers count as errors (wrk
/// itself only counts status ≥ 400).
fn wrk_script(api_key: &str, idempotency_keys: bool) -> String {
    let body = ORDER.replace('\\', "\\\\").replace('\'', "\\'");
    let request = if idempotency_keys {
        r#"
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. run_tag .. "-" .. thread_tag .. "-" .. counter
  return wrk.format()
end
"#
    } else {
        ""
    };
    format!(
        r#"wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {api_key}"
{request}
local threads = {{}}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("thread_tag", tostring(#threads))
end
init = function(args)
  unexpected = 0
  run_tag = args[1] or "0"
end
response = function(status, headers, body)
  if status ~= 201 then
    unexpected = unexpected + 1
  end
end
done = function(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    '\nWRK-JSON {{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}}\n',
    summary.requests, summary.duration, unexpected_total, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"#
    )
}

/// Runs wrk once; `run` keeps idempotency keys of different runs apart.
async fn run_wrk(args: &RatioArgs, script: &Path, url: &str, seconds: u32, run: usize) -> Result<WrkRun, BoxError> {
    let output = tokio::process::Command::new(&args.wrk)
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout")
        .arg("30s")
        .arg("-s")
        .arg(script)
        .arg(url)
        .arg("--")
        .arg(run.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|err| format!("could not run {:?} ({err}): install wrk (scripts/bench.sh does)", args.wrk))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().find_map(|line| line.strip_prefix("WRK-JSON ")).ok_or_else(|| {
        format!("wrk printed no summary (exit {}): {}", output.status, String::from_utf8_lossy(&output.stderr))
    })?;
    Ok(serde_json::from_str(summary)?)
}

/// The order as the reference parses it: the same fields, typed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed to cost what parsing costs; never read")]
struct ReferenceOrder {
    amount: i64,
    currency: String,
    description: Option<String>,
    #[serde(default)]
    line_items: Vec<ReferenceLine>,
    #[serde(default)]
    metadata: HashMap<String, String>,
    ipn_url: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "parsed to cost what parsing costs; never read")]
struct ReferenceLine {
    name: String,
    quantity: i64,
    amount: i64,
}

static REFERENCE_IDS: AtomicU64 = AtomicU64::new(0);

async fn reference_create(
    RoutePath(site_id): RoutePath<String>,
    headers: HeaderMap,
    Json(order): Json<ReferenceOrder>,
) -> (StatusCode, Json<Value>) {
    if !headers.contains_key("authorization") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "api_key_missing"}})));
    }
    let id = REFERENCE_IDS.fetch_add(1, Ordering::Relaxed);
    (
        StatusCode::CREATED,
        Json(json!({
            "id": format!("chk_{id:024}"),
            "siteId": site_id,
            "status": "open",
            "amount": order.amount,
            "currency": order.currency,
        })),
    )
}

async fn start_reference() -> Result<(SocketAddr, tokio::task::JoinHandle<()>), BoxError> {
    let app = Router::new().route("/api/v1/checkouts/{site_id}/create", post(reference_create));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] }
}

/// Each round's ratio: Paygate's run over the reference run just before
/// it. Two adjacent runs share the host's speed of that minute, which on a
/// shared VM drifts by a third or more over a few minutes; the ratio of the
/// medians mixes minutes, these do not. Runs are `(server, req/s)` in the
/// order they ran; a Paygate run with no reference run before it has no
/// round.
fn round_ratios(runs: &[(&str, f64)]) -> Vec<f64> {
    runs.windows(2)
        .filter(|pair| pair[0].0 == "reference" && pair[1].0 == "paygate")
        .map(|pair| pair[1].1 / pair[0].1.max(f64::MIN_POSITIVE))
        .collect()
}

pub async fn run(args: RatioArgs) -> Result<bool, BoxError> {
    let (reference_addr, reference_task) = start_reference().await?;

    let data_dir = tempfile::Builder::new().prefix("paygate-bench-ratio-").tempdir()?;
    let mut env = HashMap::new();
    env.insert("PAYGATE_DATA_DIR".to_owned(), data_dir.path().display().to_string());
    for var in ["PAYGATE_CORE_ADDR", "PAYGATE_ADMIN_ADDR", "PAYGATE_MAIN_ADDR", "PAYGATE_PDF_ADDR"] {
        env.insert(var.to_owned(), "127.0.0.1:0".to_owned());
    }
    if let Ok(value) = std::env::var("PAYGATE_EDGES_OVER_GRPC") {
        env.insert("PAYGATE_EDGES_OVER_GRPC".to_owned(), value);
    }
    let config = StackConfig::from_env(&env)?;
    let running = paygate::start(&config, Services::All).await?;
    let outcome = async {
        let merchant = paygate::bootstrap(&config, "Ratio merchant", "Ratio shop").await?;
        let admin = running.admin_addr.ok_or("edge-admin did not start")?;
        let path = format!("/api/v1/checkouts/{}/create", merchant.site_id);
        let targets =
            [("reference", format!("http://{reference_addr}{path}")), ("paygate", format!("http://{admin}{path}"))];

        let script_file = tempfile::Builder::new().suffix(".lua").tempfile()?;
        std::fs::write(script_file.path(), wrk_script(&merchant.api_key, args.idempotency_keys))?;
        let script = script_file.path();

        eprintln!(
            "bench: wrk -t{} -c{}, {} s warm-up each, then {} × {} s per server, alternating …",
            args.threads, args.connections, args.warmup, args.rounds, args.duration
        );
        let mut run_number = 0;
        if args.warmup > 0 {
            for (_, url) in &targets {
                run_wrk(&args, script, url, args.warmup, run_number).await?;
                run_number += 1;
            }
        }
        let mut runs: Vec<Run> = Vec::new();
        for _ in 0..args.rounds {
            for (name, url) in &targets {
                let (before, machine_before) = (ProcessCounters::read(), MachineCpu::read());
                let measured = run_wrk(&args, script, url, args.duration, run_number).await?;
                // wrk is another process: this one holds only the server
                // under test (the other one idles meanwhile).
                let cost = before.zip(ProcessCounters::read()).map(|(b, a)| a.per_request(&b, measured.requests));
                let machine = machine_before.zip(MachineCpu::read()).map(|(b, a)| a.since(&b));
                run_number += 1;
                eprintln!(
                    "bench:   {name:<9} {:>9.0} req/s  p99 {:>7.2} ms  errors {}",
                    measured.per_second(),
                    measured.p99_us as f64 / 1000.0,
                    measured.status_errors + measured.socket_errors
                );
                runs.push(Run { server: name, wrk: measured, cost, machine });
            }
        }
        Ok::<_, BoxError>(runs)
    }
    .await;
    let memory = Memory::read();
    running.shutdown().await?;
    reference_task.abort();
    let runs = outcome?;

    let of = |name: &str| runs.iter().filter(|r| r.server == name).map(|r| r.wrk.clone()).collect::<Vec<_>>();
    let (reference, paygate) = (of("reference"), of("paygate"));
    let costs = |name: &str| runs.iter().filter(|r| r.server == name).filter_map(|r| r.cost).collect::<Vec<_>>();
    let paygate_costs = costs("paygate");
    let median_cost = |pick: fn(&RequestCost) -> f64| {
        (!paygate_costs.is_empty()).then(|| median(&mut paygate_costs.iter().map(pick).collect::<Vec<_>>()))
    };
    let (paygate_cpu, paygate_storage) = (median_cost(|c| c.cpu_micros), median_cost(|c| c.storage_bytes));
    let rate = |runs: &[WrkRun]| median(&mut runs.iter().map(WrkRun::per_second).collect::<Vec<_>>());
    let p99 = |runs: &[WrkRun]| median(&mut runs.iter().map(|r| r.p99_us as f64 / 1000.0).collect::<Vec<_>>());
    let (reference_rate, paygate_rate) = (rate(&reference), rate(&paygate));
    let ratio = paygate_rate / reference_rate.max(f64::MIN_POSITIVE);
    let rounds = round_ratios(&runs.iter().map(|r| (r.server, r.wrk.per_second())).collect::<Vec<_>>());
    let lowest_round = rounds.iter().copied().reduce(f64::min);
    let median_round = (!rounds.is_empty()).then(|| median(&mut rounds.clone()));
    let errors: u64 = runs.iter().map(|r| r.wrk.status_errors + r.wrk.socket_errors).sum();
    let most_stolen = runs.iter().filter_map(|r| r.machine).map(|m| m.stolen).reduce(f64::max);

    if args.json {
        println!(
            "{}",
            json!({
                "mode": "create-ratio",
                "loadTool": format!("wrk -t{} -c{} -d{}s", args.threads, args.connections, args.duration),
                "idempotencyKeys": args.idempotency_keys,
                "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
                "reference": reference.iter().map(WrkRun::to_json).collect::<Vec<_>>(),
                "paygate": paygate.iter().map(WrkRun::to_json).collect::<Vec<_>>(),
                "referenceMedianRequestsPerSecond": reference_rate,
                "paygateMedianRequestsPerSecond": paygate_rate,
                "ratio": ratio,
                "roundRatios": rounds,
                "roundRatioMedian": median_round,
                "roundRatioLowest": lowest_round,
                "paygateMedianP99Ms": p99(&paygate),
                "paygateMedianCpuMicrosPerRequest": paygate_cpu,
                "paygateMedianStorageBytesPerRequest": paygate_storage,
                "errors": errors,
                "runs": runs.iter().map(|r| json!({
                    "server": r.server,
                    "machineCpu": r.machine.map(MachineShare::to_json),
                })).collect::<Vec<_>>(),
                "peakRssMiB": memory.as_ref().map(|m| m.peak_kib as f64 / 1024.0),
            })
        );
    } else {
        println!("Paygate benchmark: create-checkout against a bare axum server");
        println!("Configuration");
        println!(
            "  load                wrk -t{} -c{}, {} s per run, {} runs per server alternating",
            args.threads, args.connections, args.duration, args.rounds
        );
        println!("  request             POST /api/v1/checkouts/{{siteId}}/create, the README's order");
        println!("  idempotency keys    {}", if args.idempotency_keys { "a unique one per request" } else { "none" });
        println!("  Paygate             every service in this process, embedded SQLite, in-process queue");
        println!("  cores               {}", std::thread::available_parallelism().map_or(1, |n| n.get()));
        println!(
            "Runs                   req/s     p50 ms   p99 ms   max ms  errors   CPU µs/req  written B/req  machine busy/stolen %"
        );
        for Run { server: name, wrk: run, cost, machine } in &runs {
            let (cpu, storage) = cost.map_or_else(
                || ("—".to_owned(), "—".to_owned()),
                |c| (format!("{:.0}", c.cpu_micros), format!("{:.0}", c.storage_bytes)),
            );
            let machine =
                machine.map_or_else(|| "—".to_owned(), |m| format!("{:.1} / {:.1}", m.busy * 100.0, m.stolen * 100.0));
            println!(
                "  {name:<16} {:>9.0} {:>10.2} {:>8.2} {:>8.2} {:>7} {cpu:>12} {storage:>14} {machine:>22}",
                run.per_second(),
                run.p50_us as f64 / 1000.0,
                run.p99_us as f64 / 1000.0,
                run.max_us as f64 / 1000.0,
                run.status_errors + run.socket_errors
            );
        }
        println!("Result (medians)");
        println!("  reference           {reference_rate:.0} req/s, p99 {:.2} ms", p99(&reference));
        println!("  Paygate             {paygate_rate:.0} req/s, p99 {:.2} ms", p99(&paygate));
        println!("  ratio               {ratio:.3} (Paygate ÷ reference)");
        if let (Some(median_round), Some(lowest_round)) = (median_round, lowest_round) {
            let each = rounds.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ");
            println!(
                "  ratio per round     {each} (median {median_round:.3}, lowest {lowest_round:.3}; each Paygate run over the reference run just before it)"
            );
        }
        if let (Some(cpu), Some(storage)) = (paygate_cpu, paygate_storage) {
            println!(
                "  Paygate per create  {cpu:.0} µs of CPU, {:.1} KiB written to storage (WAL and checkpoints)",
                storage / 1024.0
            );
        }
        if let Some(memory) = memory {
            println!("  peak RSS            {:.0} MiB (this process: both servers)", memory.peak_kib as f64 / 1024.0);
        }
        if let Some(stolen) = most_stolen {
            println!(
                "  host steal          at most {:.1} % of the machine's CPU in any run (time the hypervisor ran other guests)",
                stolen * 100.0
            );
        }
        if errors > 0 {
            println!("  errors              {errors} (answers other than 201, or socket errors)");
        }
    }
    Ok(errors == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_divides_paygate_by_the_reference_run_just_before_it() {
        let runs = [("reference", 80_000.0), ("paygate", 24_000.0), ("reference", 60_000.0), ("paygate", 15_000.0)];
        assert_eq!(round_ratios(&runs), vec![0.3, 0.25]);
        // The ratio of the medians would pair 70,000 with 19,500 (0.279);
        // the rounds keep each minute's host speed together.
        assert!((median(&mut round_ratios(&runs)) - 0.275).abs() < 1e-12);
    }

    #[test]
    fn a_paygate_run_without_a_reference_run_before_it_is_no_round() {
        assert!(round_ratios(&[("paygate", 20_000.0), ("reference", 70_000.0)]).is_empty());
        assert!(round_ratios(&[("reference", 70_000.0)]).is_empty());
    }
}
