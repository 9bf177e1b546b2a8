//! What the merchant loops measure, how their figures are merged, and the
//! report (text or one JSON object).

use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Microseconds, 1 µs to 10 min at three significant digits: enough range
/// for a stalled request without clamping.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("constant, valid bounds"))
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// One merchant loop's figures; merged once at the end, so the loops never
/// contend on shared counters.
pub struct LoopStats {
    pub create: Histogram<u64>,
    pub pay: Histogram<u64>,
    pub end_to_end: Histogram<u64>,
    /// IPNs verified inside the measured window: the throughput figure.
    pub completed_in_window: u64,
    /// Payments begun inside the measured window.
    pub started_in_window: u64,
    /// Errors of payments begun inside the measured window, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Errors of payments begun during the warm-up.
    pub warmup_errors: u64,
}

impl LoopStats {
    pub fn new() -> Self {
        Self {
            create: histogram(),
            pay: histogram(),
            end_to_end: histogram(),
            completed_in_window: 0,
            started_in_window: 0,
            errors: BTreeMap::new(),
            warmup_errors: 0,
        }
    }

    pub fn record(&mut self, create: Duration, pay: Duration, end_to_end: Duration) {
        self.create.saturating_record(micros(create));
        self.pay.saturating_record(micros(pay));
        self.end_to_end.saturating_record(micros(end_to_end));
    }

    pub fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        // Same bounds everywhere, so adding cannot fail.
        let _ = self.create.add(&other.create);
        let _ = self.pay.add(&other.pay);
        let _ = self.end_to_end.add(&other.end_to_end);
        self.completed_in_window += other.completed_in_window;
        self.started_in_window += other.started_in_window;
        for (kind, count) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += count;
        }
        self.warmup_errors += other.warmup_errors;
    }
}

/// How the run was set up, for the report.
pub struct Setup {
    /// How payments are started: merchant loops or a fixed rate.
    pub arrivals: String,
    pub target: String,
    pub backend: String,
    pub queue: String,
    pub merchants: usize,
    pub merchants_note: String,
    pub warmup: Duration,
    pub duration: Duration,
    pub provider_latency_ms: Option<u64>,
    pub workers: Option<String>,
    pub cores: usize,
    pub ipn_timeout: Duration,
}

/// `VmHWM` and `VmRSS` of this process, in KiB.
pub struct Memory {
    pub peak_kib: u64,
    pub current_kib: u64,
}

impl Memory {
    /// Reads /proc/self/status; `None` where there is no procfs.
    pub fn read() -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        };
        Some(Self { peak_kib: field("VmHWM:")?, current_kib: field("VmRSS:")? })
    }
}

/// What this process has used so far: CPU time (user + system, all
/// threads) and bytes it caused to be written to storage. Read before and
/// after a run, the difference divided by the requests served is a cost
/// per request that the machine's other tenants disturb far less than a
/// rate does.
#[derive(Debug, Clone, Copy)]
pub struct ProcessCounters {
    pub cpu_micros: u64,
    pub storage_bytes: u64,
}

/// Linux reports CPU time in `/proc/*/stat` in ticks of its fixed
/// `USER_HZ`, 100 per second on every architecture it supports.
const MICROS_PER_TICK: u64 = 10_000;

impl ProcessCounters {
    /// Reads `/proc/self/stat` and `/proc/self/io`; `None` where there is
    /// no procfs.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // After the command name (in parentheses, and it may hold spaces)
        // come the state, then 10 more fields, then utime and stime.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok());
        let io = std::fs::read_to_string("/proc/self/io").ok()?;
        let storage_bytes =
            io.lines().find_map(|line| line.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok())?;
        Some(Self { cpu_micros: (ticks(11)? + ticks(12)?) * MICROS_PER_TICK, storage_bytes })
    }

    /// What was used between `earlier` and `self`, per request.
    pub fn per_request(&self, earlier: &Self, requests: u64) -> RequestCost {
        let requests = requests.max(1) as f64;
        RequestCost {
            cpu_micros: self.cpu_micros.saturating_sub(earlier.cpu_micros) as f64 / requests,
            storage_bytes: self.storage_bytes.saturating_sub(earlier.storage_bytes) as f64 / requests,
        }
    }
}

/// The whole machine's CPU time as the first line of `/proc/stat` counts it,
/// in ticks over all cores: all of it, the part spent running anything, and
/// the part the hypervisor gave to other guests while this one had work to
/// run ("steal"). On a shared VM a slow minute is often stolen time; read
/// over a measured window, it tells a slow host from a slow build.
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu {
    total_ticks: u64,
    busy_ticks: u64,
    steal_ticks: u64,
}

impl MachineCpu {
    /// Reads `/proc/stat`; `None` where there is no procfs.
    pub fn read() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// The `cpu` line: user, nice, system, idle, iowait, irq, softirq,
    /// steal, then guest time, which user time already includes.
    fn parse(stat: &str) -> Option<Self> {
        let fields = stat.lines().next()?.strip_prefix("cpu ")?;
        let ticks: Vec<u64> = fields.split_whitespace().take(8).map(str::parse).collect::<Result<_, _>>().ok()?;
        let &[user, nice, system, _idle, _iowait, irq, softirq, steal] = ticks.as_slice() else {
            return None;
        };
        Some(Self {
            total_ticks: ticks.iter().sum(),
            busy_ticks: user + nice + system + irq + softirq,
            steal_ticks: steal,
        })
    }

    /// Shares of the machine's CPU time between `earlier` and `self`.
    pub fn since(&self, earlier: &Self) -> MachineShare {
        let total = self.total_ticks.saturating_sub(earlier.total_ticks).max(1) as f64;
        MachineShare {
            busy: self.busy_ticks.saturating_sub(earlier.busy_ticks) as f64 / total,
            stolen: self.steal_ticks.saturating_sub(earlier.steal_ticks) as f64 / total,
        }
    }
}

/// Fractions (0–1) of the machine's CPU time over a window: spent running
/// anything on this guest, and stolen by the host.
#[derive(Debug, Clone, Copy)]
pub struct MachineShare {
    pub busy: f64,
    pub stolen: f64,
}

impl MachineShare {
    pub fn to_json(self) -> Value {
        json!({ "busyPercent": self.busy * 100.0, "stolenPercent": self.stolen * 100.0 })
    }

    pub fn describe(self) -> String {
        format!(
            "{:.1} % busy, {:.1} % stolen by the host  (all cores, the whole machine, over the measured window)",
            self.busy * 100.0,
            self.stolen * 100.0
        )
    }
}

/// CPU time and bytes written to storage per request.
#[derive(Debug, Clone, Copy)]
pub struct RequestCost {
    pub cpu_micros: f64,
    pub storage_bytes: f64,
}

pub struct Report {
    pub setup: Setup,
    pub stats: LoopStats,
    /// Receiver-side errors no loop was waiting for.
    pub stray_errors: BTreeMap<String, u64>,
    /// Loops still busy when the drain deadline passed.
    pub unfinished_loops: usize,
    /// `None` when the gateway runs in another process.
    pub memory: Option<Memory>,
    /// `None` where there is no procfs.
    pub machine: Option<MachineShare>,
    /// `None` without an embedded store (or its metrics).
    pub writer: Option<crate::writer::WriterFigures>,
}

fn millis(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

fn latency_json(histogram: &Histogram<u64>) -> Value {
    if histogram.is_empty() {
        return Value::Null;
    }
    json!({
        "count": histogram.len(),
        "p50": millis(histogram, 0.50),
        "p95": millis(histogram, 0.95),
        "p99": millis(histogram, 0.99),
        "max": histogram.max() as f64 / 1000.0,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Report {
    fn errors(&self) -> BTreeMap<String, u64> {
        let mut all = self.stats.errors.clone();
        for (kind, count) in &self.stray_errors {
            *all.entry(kind.clone()).or_default() += count;
        }
        all
    }

    pub fn payments_per_second(&self) -> f64 {
        self.stats.completed_in_window as f64 / self.setup.duration.as_secs_f64()
    }

    pub fn to_json(&self) -> Value {
        let setup = &self.setup;
        json!({
            "config": {
                "target": setup.target,
                "backend": setup.backend,
                "queue": setup.queue,
                "merchants": setup.merchants,
                "arrivals": setup.arrivals,
                "warmupSeconds": setup.warmup.as_secs_f64(),
                "durationSeconds": setup.duration.as_secs_f64(),
                "providerLatencyMs": setup.provider_latency_ms,
                "workers": setup.workers,
                "cores": setup.cores,
                "ipnTimeoutSeconds": setup.ipn_timeout.as_secs_f64(),
            },
            "completePayments": self.stats.completed_in_window,
            "completePaymentsPerSecond": self.payments_per_second(),
            "paymentsStarted": self.stats.started_in_window,
            "latencyMs": {
                "create": latency_json(&self.stats.create),
                "pay": latency_json(&self.stats.pay),
                "createToIpn": latency_json(&self.stats.end_to_end),
            },
            "errors": self.errors(),
            "warmupErrors": self.stats.warmup_errors,
            "unfinishedLoops": self.unfinished_loops,
            "memory": self.memory.as_ref().map(|m| json!({
                "scope": "whole bench process: in-process gateway plus the load generator and IPN receiver",
                "peakRssMiB": mib(m.peak_kib),
                "currentRssMiB": mib(m.current_kib),
            })),
            "machineCpu": self.machine.map(MachineShare::to_json),
            "storeWriter": self.writer.as_ref().map(crate::writer::WriterFigures::to_json),
        })
    }

    pub fn to_text(&self) -> String {
        let setup = &self.setup;
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line("Paygate benchmark".into());
        line("Configuration".into());
        line(format!("  target              {}", setup.target));
        line(format!("  backend             {}", setup.backend));
        line(format!("  queue               {}", setup.queue));
        line(format!("  merchants           {} ({})", setup.merchants, setup.merchants_note));
        line(format!("  arrivals            {}", setup.arrivals));
        line(format!(
            "  duration            {:.1} s measured, after {:.1} s warm-up (not measured)",
            setup.duration.as_secs_f64(),
            setup.warmup.as_secs_f64()
        ));
        line(format!(
            "  provider latency    {}",
            setup.provider_latency_ms.map_or_else(|| "as configured on the target".into(), |ms| format!("{ms} ms"))
        ));
        line(format!(
            "  workers             {}",
            setup.workers.clone().unwrap_or_else(|| "as configured on the target".into())
        ));
        line(format!("  cores               {}", setup.cores));
        line(format!("  IPN timeout         {:.0} s", setup.ipn_timeout.as_secs_f64()));
        line("Results".into());
        line(format!(
            "  complete payments   {} in {:.1} s = {:.1} payments/s  (create → pay 202 → IPN received, both signatures verified)",
            self.stats.completed_in_window,
            setup.duration.as_secs_f64(),
            self.payments_per_second()
        ));
        line(format!("  payments started    {} in the measured window", self.stats.started_in_window));
        line(format!("  latency (ms)        {:>9} {:>9} {:>9} {:>9} {:>9}", "p50", "p95", "p99", "max", "count"));
        for (name, histogram) in [
            ("create checkout", &self.stats.create),
            ("pay", &self.stats.pay),
            ("create → IPN", &self.stats.end_to_end),
        ] {
            if histogram.is_empty() {
                line(format!("    {name:<17} no samples"));
            } else {
                line(format!(
                    "    {name:<17} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9}",
                    millis(histogram, 0.50),
                    millis(histogram, 0.95),
                    millis(histogram, 0.99),
                    histogram.max() as f64 / 1000.0,
                    histogram.len()
                ));
            }
        }
        let errors = self.errors();
        if errors.is_empty() {
            line("  errors              none".into());
        } else {
            line(format!("  errors              {} in total", errors.values().sum::<u64>()));
            for (kind, count) in &errors {
                line(format!("    {kind:<32} {count}"));
            }
        }
        if self.stats.warmup_errors > 0 {
            line(format!("  warm-up errors      {} (not in the figures above)", self.stats.warmup_errors));
        }
        if self.unfinished_loops > 0 {
            line(format!("  unfinished loops    {} still busy at the drain deadline", self.unfinished_loops));
        }
        match &self.memory {
            Some(memory) => {
                line(format!(
                    "  peak RSS (VmHWM)    {:.1} MiB  (whole bench process: in-process gateway + load generator + IPN receiver)",
                    mib(memory.peak_kib)
                ));
                line(format!("  current RSS (VmRSS) {:.1} MiB", mib(memory.current_kib)));
            }
            None => line("  memory              not measured (the gateway runs in another process)".into()),
        }
        if let Some(machine) = self.machine {
            line(format!("  machine CPU         {}", machine.describe()));
        }
        if let Some(writer) = &self.writer {
            writer.lines().into_iter().for_each(&mut line);
        }
        out
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn counters_grow_with_cpu_time_and_writes_to_storage() {
        let before = ProcessCounters::read().expect("procfs is readable");
        // Spins until 100 ms of CPU time show up; a busy machine may take
        // longer to give them, so the bound is on wall time.
        let started = std::time::Instant::now();
        let mut spin = 0u64;
        loop {
            for _ in 0..1_000_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
            let now = ProcessCounters::read().expect("procfs is readable");
            if now.cpu_micros >= before.cpu_micros + 100_000 {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(30), "CPU time did not grow while spinning");
        }
        // A buffered write to a disk-backed file counts when its pages are
        // dirtied (a tmpfs would count nothing, so not /tmp).
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("a directory beside the crate");
        std::fs::write(dir.path().join("data"), vec![7u8; 1 << 20]).expect("written");
        let after = ProcessCounters::read().expect("procfs is readable");
        let cost = after.per_request(&before, 1);
        assert!(cost.storage_bytes >= (1 << 20) as f64, "1 MiB written counted as {} bytes", cost.storage_bytes);
    }

    #[test]
    fn machine_shares_come_from_the_cpu_line_and_leave_guest_time_out() {
        let earlier = MachineCpu::parse("cpu  100 0 50 800 10 0 10 30 999 999\ncpu0 1 2 3\n").expect("parsed");
        let later = MachineCpu::parse("cpu  300 0 100 1430 10 0 30 130 999 999\n").expect("parsed");
        // 1,000 ticks passed: 270 busy (200 user, 50 system, 20 softirq),
        // 100 stolen, 630 idle; guest ticks are inside user already.
        let share = later.since(&earlier);
        assert!((share.busy - 0.27).abs() < 1e-9, "busy {}", share.busy);
        assert!((share.stolen - 0.10).abs() < 1e-9, "stolen {}", share.stolen);
        assert!(MachineCpu::parse("intr 1 2 3\n").is_none());
        assert!(MachineCpu::parse("cpu  1 2 3\n").is_none(), "a kernel without steal is not read as no steal");
        assert!(MachineCpu::read().is_some(), "this machine's /proc/stat is readable");
    }
}
