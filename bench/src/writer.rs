//! Where the embedded store's writer spent a write's time during the
//! measured window, read from the gateway's own metrics (`/metrics` of the
//! Admin API edge, before and after): how long writes waited for the
//! writer, how long its transactions took and how many writes each held,
//! and the WAL restarts that stopped every write. A MongoDB-backed gateway
//! has no such writer, and the report leaves these figures out.
//!
//! The metrics are Prometheus histograms, so each figure is the upper bound
//! of the bucket the quantile fell in (`≤ 2.5 ms`), not an exact value.

use serde_json::{Value, json};

/// One histogram's observations in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub count: f64,
    /// Bucket upper bounds, in milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriterFigures {
    pub foreground_wait: Option<Spread>,
    pub background_wait: Option<Spread>,
    pub transaction: Spread,
    pub writes_per_transaction: f64,
    pub wal_restarts: Option<Spread>,
}

/// The cumulative buckets (`le`, count) of one series of `name`, whose
/// labels include `label` when given.
fn buckets(text: &str, name: &str, label: Option<&str>) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{");
    let mut found: Vec<(f64, f64)> = text
        .lines()
        .filter(|line| line.starts_with(&prefix) && label.is_none_or(|label| line.contains(label)))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let le = series.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((le, value.parse().ok()?))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found
}

/// A counter-like sample (`name` alone on its line, no labels).
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The observations between two scrapes of the histogram `name`.
fn spread(before: &str, after: &str, name: &str, label: Option<&str>) -> Option<Spread> {
    let earlier = buckets(before, name, label);
    let window: Vec<(f64, f64)> = buckets(after, name, label)
        .into_iter()
        .map(|(le, count)| {
            let then = earlier.iter().find(|(other, _)| *other == le).map_or(0.0, |(_, count)| *count);
            (le, count - then)
        })
        .collect();
    let count = window.last()?.1;
    if count <= 0.0 {
        return None;
    }
    // Milliseconds, rounded to the microsecond: `0.00025 * 1000.0` is not
    // quite 0.25.
    let bound = |share: f64| {
        window
            .iter()
            .find(|(_, below)| *below >= share * count)
            .map_or(f64::INFINITY, |(le, _)| (le * 1_000_000.0).round() / 1000.0)
    };
    Some(Spread { count, p50_ms: bound(0.5), p99_ms: bound(0.99), max_ms: bound(1.0) })
}

impl WriterFigures {
    /// `None` when the gateway has no embedded store writer (or wrote
    /// nothing in the window).
    pub fn between(before: &str, after: &str) -> Option<Self> {
        let transaction = spread(before, after, "paygate_store_commit_duration_seconds", None)?;
        let delta = |name: &str| Some(sample(after, name)? - sample(before, name).unwrap_or(0.0));
        let writes = delta("paygate_store_commit_writes_sum")?;
        let committed = delta("paygate_store_commit_writes_count").filter(|n| *n > 0.0)?;
        Some(Self {
            foreground_wait: spread(before, after, "paygate_store_write_wait_seconds", Some("lane=\"foreground\"")),
            background_wait: spread(before, after, "paygate_store_write_wait_seconds", Some("lane=\"background\"")),
            transaction,
            writes_per_transaction: writes / committed,
            wal_restarts: spread(before, after, "paygate_store_wal_restart_duration_seconds", None),
        })
    }

    pub fn to_json(&self) -> Value {
        let spread = |spread: &Option<Spread>| {
            spread.as_ref().map(|s| json!({"count": s.count, "p50Ms": s.p50_ms, "p99Ms": s.p99_ms, "maxMs": s.max_ms}))
        };
        json!({
            "note": "bucket upper bounds of the gateway's store-writer histograms over the measured window",
            "foregroundWait": spread(&self.foreground_wait),
            "backgroundWait": spread(&self.background_wait),
            "transaction": spread(&Some(self.transaction.clone())),
            "writesPerTransaction": self.writes_per_transaction,
            "walRestarts": spread(&self.wal_restarts),
        })
    }

    /// The report's lines, indented like the rest of it.
    pub fn lines(&self) -> Vec<String> {
        let bound = |ms: f64| if ms.is_finite() { format!("≤ {ms} ms") } else { "above every bucket".into() };
        let spread = |name: &str, spread: &Option<Spread>, what: &str| match spread {
            Some(s) => format!(
                "    {name:<17} p50 {}, p99 {}, longest {}  ({:.0} {what})",
                bound(s.p50_ms),
                bound(s.p99_ms),
                bound(s.max_ms),
                s.count
            ),
            None => format!("    {name:<17} none"),
        };
        vec![
            "  store writer        (the gateway's metrics, measured window; bucket upper bounds)".into(),
            spread("foreground wait", &self.foreground_wait, "API writes"),
            spread("background wait", &self.background_wait, "background writes"),
            format!(
                "{}, {:.2} writes each",
                spread("transaction", &Some(self.transaction.clone()), "transactions"),
                self.writes_per_transaction
            ),
            spread("WAL restarts", &self.wal_restarts, "restarts; every write waited"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(foreground: [u32; 3], transactions: [u32; 3], writes: u32, restarts: u32) -> String {
        let [f1, f2, f3] = foreground;
        let [t1, t2, t3] = transactions;
        format!(
            r#"# TYPE paygate_store_write_wait_seconds histogram
paygate_store_write_wait_seconds_bucket{{lane="foreground",le="0.0001"}} {f1}
paygate_store_write_wait_seconds_bucket{{lane="foreground",le="0.0025"}} {f2}
paygate_store_write_wait_seconds_bucket{{lane="foreground",le="+Inf"}} {f3}
paygate_store_write_wait_seconds_bucket{{lane="background",le="0.0001"}} 7
paygate_store_write_wait_seconds_bucket{{lane="background",le="+Inf"}} 7
paygate_store_commit_duration_seconds_bucket{{le="0.0005"}} {t1}
paygate_store_commit_duration_seconds_bucket{{le="0.001"}} {t2}
paygate_store_commit_duration_seconds_bucket{{le="+Inf"}} {t3}
paygate_store_commit_writes_sum {writes}
paygate_store_commit_writes_count {t3}
paygate_store_wal_restart_duration_seconds_bucket{{le="0.01"}} {restarts}
paygate_store_wal_restart_duration_seconds_bucket{{le="+Inf"}} {restarts}
"#
        )
    }

    #[test]
    fn figures_cover_only_the_window_between_the_two_scrapes() {
        let before = scrape([10, 10, 10], [5, 5, 5], 6, 1);
        // In the window: 100 foreground writes, 98 within 100 µs and 2 within
        // 2.5 ms; 50 transactions, 49 within 0.5 ms, one slower than 1 ms,
        // holding 75 writes; no background write; two restarts.
        let after = scrape([108, 110, 110], [54, 54, 55], 81, 3);
        let figures = WriterFigures::between(&before, &after).expect("an embedded writer's metrics");
        assert_eq!(figures.foreground_wait, Some(Spread { count: 100.0, p50_ms: 0.1, p99_ms: 2.5, max_ms: 2.5 }));
        assert_eq!(figures.background_wait, None);
        assert_eq!(
            figures.transaction,
            Spread { count: 50.0, p50_ms: 0.5, p99_ms: f64::INFINITY, max_ms: f64::INFINITY }
        );
        assert_eq!(figures.writes_per_transaction, 1.5);
        assert_eq!(figures.wal_restarts.as_ref().map(|r| r.count), Some(2.0));
        assert!(figures.lines().iter().any(|line| line.contains("1.50 writes each")));
    }

    #[test]
    fn a_gateway_without_the_embedded_writer_has_no_figures() {
        let mongodb = "# TYPE paygate_store_operation_duration_seconds histogram\n\
                       paygate_store_operation_duration_seconds_bucket{operation=\"get\",le=\"+Inf\"} 3\n";
        assert_eq!(WriterFigures::between(mongodb, mongodb), None);
        // Nothing written in the window: nothing to report either.
        let idle = scrape([1, 1, 1], [1, 1, 1], 1, 0);
        assert_eq!(WriterFigures::between(&idle, &idle), None);
    }
}
