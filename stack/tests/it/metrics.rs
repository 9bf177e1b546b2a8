//! `/metrics` of a real `paygate all` process (its own process, so the
//! process-wide registry holds only this test's traffic), and the health
//! endpoints of every service.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::Stdio,
    sync::Arc,
};

use prometheus_parse::{Scrape, Value as Sample};
use serde_json::{Value, json};

use crate::binary::paygate;
use crate::helpers::{IpnReceiver, eventually};

/// Kills the gateway when the test ends, however it ends.
struct Gateway(std::process::Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start-up lines naming each listener, and the key they are stored under.
const LISTENERS: [(&str, &str); 6] = [
    ("core listening", "core"),
    ("pdf-worker listening", "pdf"),
    ("edge-admin listening", "admin"),
    ("edge-main listening", "main"),
    ("core metrics and health listening", "core-metrics"),
    ("pdf-worker metrics and health listening", "pdf-metrics"),
];

/// Reads the start-up log until every listener reported its address, then
/// keeps draining it so the gateway never blocks on a full pipe.
fn addresses(stderr: std::process::ChildStderr) -> HashMap<&'static str, String> {
    let mut lines = BufReader::new(stderr).lines();
    let mut found = HashMap::new();
    while found.len() < LISTENERS.len() {
        let line = lines.next().expect("the gateway exited during start-up").unwrap();
        for (marker, key) in LISTENERS {
            if line.contains(marker) {
                let addr = line.split("addr=").nth(1).unwrap().split_whitespace().next().unwrap();
                found.insert(key, format!("http://{addr}"));
            }
        }
    }
    std::thread::spawn(move || for _ in lines {});
    found
}

async fn scrape(client: &reqwest::Client, base: &str) -> Scrape {
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    Scrape::parse(protect_braces(&text).lines().map(|line| Ok(line.to_owned()))).unwrap()
}

/// prometheus-parse ends a label set at the first `}`, even inside a quoted
/// value, and so drops every series whose route template has a parameter
/// (`/checkouts/{id}`). Braces inside quoted values are swapped for
/// stand-ins before parsing and restored by [`label`]. (The exposition
/// itself is checked by `promtool check metrics` in
/// scripts/observability-check.sh.)
fn protect_braces(text: &str) -> String {
    let mut quoted = false;
    let mut escaped = false;
    text.chars()
        .map(|c| {
            if quoted && !escaped && c == '"' {
                quoted = false;
            } else if !quoted && c == '"' {
                quoted = true;
            } else if c == '\n' {
                quoted = false;
            }
            escaped = quoted && !escaped && c == '\\';
            match c {
                '{' if quoted => OPEN,
                '}' if quoted => CLOSE,
                other => other,
            }
        })
        .collect()
}

const OPEN: char = '\u{2983}';
const CLOSE: char = '\u{2984}';

/// A label's value as the gateway wrote it.
fn label(sample: &prometheus_parse::Sample, name: &str) -> Option<String> {
    sample.labels.get(name).map(|value| value.replace(OPEN, "{").replace(CLOSE, "}"))
}

/// Sum of the counter (or gauge) samples of `name` whose labels include
/// every pair of `labels`.
fn total(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| label(s, k).as_deref() == Some(*v)))
        .map(|s| match s.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

fn delta(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    total(after, name, labels) - total(before, name, labels)
}

/// Observations of the histogram `name` whose labels include every pair of
/// `labels` (its `+Inf` bucket).
fn observations(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| label(s, k).as_deref() == Some(*v)))
        .filter_map(|s| match &s.value {
            Sample::Histogram(buckets) => buckets.iter().find(|b| b.less_than.is_infinite()).map(|b| b.count),
            _ => None,
        })
        .sum()
}

fn has_histogram(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> bool {
    scrape.samples.iter().any(|s| {
        s.metric == name
            && labels.iter().all(|(k, v)| label(s, k).as_deref() == Some(*v))
            && matches!(&s.value, Sample::Histogram(buckets) if buckets.len() > 1)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_exactly_what_a_flow_did() {
    let data = tempfile::tempdir().unwrap();
    let mut env = crate::helpers::test_env(data.path());
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("RUST_LOG".into(), "info".into());
    env.insert("PAYGATE_CORE_METRICS_ADDR".into(), "127.0.0.1:0".into());
    env.insert("PAYGATE_PDF_METRICS_ADDR".into(), "127.0.0.1:0".into());

    let output = paygate().args(["bootstrap", "--org", "Acme", "--site", "Shop"]).envs(&env).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let org: Value = serde_json::from_slice(&output.stdout).unwrap();
    let (key, site) = (org["apiKey"].as_str().unwrap().to_owned(), org["siteId"].as_str().unwrap().to_owned());

    let mut child = paygate().arg("all").envs(&env).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let gateway = Gateway(child);
    let at = tokio::task::spawn_blocking(move || addresses(stderr)).await.unwrap();
    let client = reqwest::Client::new();
    eventually(20, "edges ready", || async {
        for edge in ["admin", "main"] {
            let response = client.get(format!("{}/readyz", at[edge])).send().await.ok()?;
            (response.status() == 200).then_some(())?;
        }
        Some(())
    })
    .await;
    // Every HTTP listener is alive and ready; gRPC services through their
    // own small listeners.
    for base in ["admin", "main", "core-metrics", "pdf-metrics"] {
        for path in ["/healthz", "/readyz"] {
            let response = client.get(format!("{}{path}", at[base])).send().await.unwrap();
            assert_eq!(response.status(), 200, "{base}{path}");
        }
    }

    let ok = IpnReceiver::always_ok().await;
    // The first request it gets fails; every later one is accepted.
    let flaky = IpnReceiver::start(Arc::new(|n| (if n == 0 { 500 } else { 200 }, vec![]))).await;
    let before = scrape(&client, &at["admin"]).await;

    let create = |ipn_url: String| {
        let client = client.clone();
        let url = format!("{}/api/v1/checkouts/{site}/create", at["admin"]);
        let key = key.clone();
        async move {
            let response =
                client.post(url).bearer_auth(key).json(&json!({"amount": 5000, "currency": "EUR", "ipnUrl": ipn_url}));
            let response = response.send().await.unwrap();
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    let pay = |checkout: String, method: &'static str| {
        let client = client.clone();
        let url = format!("{}/api/v1/checkouts/{checkout}/pay", at["main"]);
        async move {
            let response = client.post(url).json(&json!({"paymentMethod": method})).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body["transactionId"].as_str().unwrap().to_owned())
        }
    };
    let paid = create(ok.url.clone()).await;
    let declined = create(flaky.url.clone()).await;
    let (paid_status, paid_txn) = pay(paid, "tok_visa").await;
    let (declined_status, _) = pay(declined, "tok_chargeDeclined").await;
    // Settlement is read from the Admin API: a known number of requests.
    let transaction = |txn: String| {
        let client = client.clone();
        let url = format!("{}/api/v1/transactions/{txn}", at["admin"]);
        let key = key.clone();
        async move { client.get(url).bearer_auth(key).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mut transaction_reads = 0;
    loop {
        transaction_reads += 1;
        if transaction(paid_txn.clone()).await["status"] == "succeeded" {
            break;
        }
        assert!(transaction_reads < 200, "the payment never succeeded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let response = client
        .post(format!("{}/api/v1/transactions/{paid_txn}/refunds", at["admin"]))
        .bearer_auth(&key)
        .json(&json!({"amount": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "succeeded");
    let unmatched = client.get(format!("{}/no/such/route", at["main"])).send().await.unwrap();
    assert_eq!(unmatched.status(), 404);

    // IPN attempts: every request a receiver got is one attempt, and the
    // flaky one's first answer is one failure. Waits for the refund's IPN
    // and the declined payment's retry.
    let after = eventually(30, "IPN attempts counted", || async {
        let refunded = ok.all().iter().any(|ipn| ipn.json()["type"] == "transaction.refunded");
        if !refunded || flaky.all().len() < 2 {
            return None;
        }
        let after = scrape(&client, &at["admin"]).await;
        let attempts = (ok.all().len() + flaky.all().len()) as f64;
        (delta(&before, &after, "paygate_ipn_deliveries_total", &[]) == attempts).then_some(after)
    })
    .await;
    let attempts = (ok.all().len() + flaky.all().len()) as f64;
    assert_eq!(delta(&before, &after, "paygate_ipn_deliveries_total", &[("outcome", "delivered")]), attempts - 1.0);
    assert_eq!(delta(&before, &after, "paygate_ipn_deliveries_total", &[("outcome", "failed"), ("attempt", "1")]), 1.0);
    assert_eq!(
        delta(&before, &after, "paygate_ipn_deliveries_total", &[("outcome", "delivered"), ("attempt", "2")]),
        1.0,
        "the flaky receiver's retry"
    );
    assert_eq!(delta(&before, &after, "paygate_ipn_deliveries_total", &[("outcome", "dead")]), 0.0);

    // Payments and refunds: once each, by outcome and provider.
    let sandbox = ("provider", "sandbox");
    assert_eq!(delta(&before, &after, "paygate_payments_total", &[("outcome", "succeeded"), sandbox]), 1.0);
    assert_eq!(delta(&before, &after, "paygate_payments_total", &[("outcome", "failed"), sandbox]), 1.0);
    assert_eq!(delta(&before, &after, "paygate_payments_total", &[]), 2.0);
    assert_eq!(delta(&before, &after, "paygate_refunds_total", &[("outcome", "succeeded"), sandbox]), 1.0);
    assert_eq!(delta(&before, &after, "paygate_refunds_total", &[]), 1.0);

    // HTTP requests by route template, method and status.
    let http = |service: &'static str, route: &'static str, method: &'static str, status: String| {
        delta(
            &before,
            &after,
            "paygate_http_requests_total",
            &[("service", service), ("route", route), ("method", method), ("status", &status)],
        )
    };
    assert_eq!(http("edge-admin", "/api/v1/checkouts/{site_id}/create", "POST", "201".into()), 2.0);
    assert_eq!(
        http("edge-main", "/api/v1/checkouts/{id}/pay", "POST", paid_status.to_string()),
        1.0 + f64::from(paid_status == declined_status)
    );
    assert_eq!(http("edge-admin", "/api/v1/transactions/{id}", "GET", "200".into()), f64::from(transaction_reads));
    assert_eq!(http("edge-admin", "/api/v1/transactions/{id}/refunds", "POST", "201".into()), 1.0);
    assert_eq!(http("edge-main", "unmatched", "GET", "404".into()), 1.0);
    assert_eq!(
        delta(&before, &after, "paygate_http_requests_total", &[("service", "edge-main")]),
        3.0,
        "two payments and one unmatched request on edge-main"
    );
    // The core calls behind them, and their latency.
    assert!(delta(&before, &after, "paygate_grpc_requests_total", &[("service", "core"), ("code", "OK")]) >= 5.0);
    assert!(has_histogram(&after, "paygate_grpc_request_duration_seconds", &[("service", "core")]));
    assert!(has_histogram(
        &after,
        "paygate_http_request_duration_seconds",
        &[("service", "edge-admin"), ("route", "/api/v1/checkouts/{site_id}/create")]
    ));
    for operation in ["insert", "get", "compare_and_swap", "find_due"] {
        assert!(
            has_histogram(&after, "paygate_store_operation_duration_seconds", &[("operation", operation)]),
            "{operation}"
        );
    }
    if !env.contains_key("PAYGATE_MONGODB_URI") {
        // The embedded store's group commits: each holds at least one write.
        let commits = delta(&before, &after, "paygate_store_commits_total", &[]);
        assert!(commits >= 5.0, "{commits} commits");
        let writes = after.samples.iter().find_map(|s| match &s.value {
            Sample::Histogram(buckets) if s.metric == "paygate_store_commit_writes" => {
                buckets.iter().find(|b| b.less_than == 1.0).map(|b| b.count)
            }
            _ => None,
        });
        assert!(writes.is_some_and(|single| single > 0.0), "groups of one write in the buckets: {writes:?}");
        // Where those writes spent their time on the writer's side: the
        // creates waited in the foreground lane, the charges behind them in
        // the background lane, and each transaction was timed.
        let waited = |lane| {
            let labels = [("lane", lane)];
            observations(&after, "paygate_store_write_wait_seconds", &labels)
                - observations(&before, "paygate_store_write_wait_seconds", &labels)
        };
        assert!(waited("foreground") >= 2.0, "foreground writes: {}", waited("foreground"));
        assert!(waited("background") >= 1.0, "background writes: {}", waited("background"));
        let transactions = observations(&after, "paygate_store_commit_duration_seconds", &[])
            - observations(&before, "paygate_store_commit_duration_seconds", &[]);
        assert!(transactions >= 5.0, "{transactions} timed transactions");
        assert!(waited("foreground") + waited("background") >= transactions, "each transaction holds a write");
        // Sub-millisecond buckets: most embedded writes take less than 1 ms.
        let finest = after.samples.iter().find_map(|s| match &s.value {
            Sample::Histogram(buckets) if s.metric == "paygate_store_commit_duration_seconds" => {
                buckets.iter().map(|b| b.less_than).reduce(f64::min)
            }
            _ => None,
        });
        assert_eq!(finest, Some(0.0001));
    }
    // Gauges: every queue, the scheduler, the process, the connections.
    for queue in ["payment.initiated", "ipn.deliver", "provider.event"] {
        for gauge in ["paygate_queue_depth", "paygate_queue_in_flight", "paygate_queue_dead"] {
            assert!(after.samples.iter().any(|s| s.metric == gauge && s.labels.get("queue") == Some(queue)), "{gauge}");
        }
    }
    assert!(after.samples.iter().any(|s| s.metric == "paygate_scheduler_lag_seconds"));
    assert!(total(&after, "process_resident_memory_bytes", &[]) > 1_000_000.0);
    assert!(total(&after, "process_open_fds", &[]) > 3.0);
    assert!(total(&after, "paygate_open_connections", &[("service", "edge-admin")]) >= 1.0);

    // Bounded labels: no ids, no emails, no raw paths.
    for sample in &after.samples {
        for name in sample.labels.keys() {
            let value = label(sample, name).unwrap();
            let id_like = ["chk_", "txn_", "org_", "site_", "re_", "ipn_", "sk_", "cus_"].iter().any(|prefix| {
                // An id is its prefix and a long random tail; `{site_id}`
                // in a route template is not one.
                value.match_indices(prefix).any(|(at, _)| {
                    value[at + prefix.len()..].chars().take_while(char::is_ascii_alphanumeric).count() >= 8
                })
            });
            assert!(!id_like && !value.contains('@'), "{} {name}={value}", sample.metric);
            assert!(!value.contains(&paid_txn), "{} {name}={value}", sample.metric);
        }
    }

    // One registry per process: core's and the PDF worker's listeners
    // serve the same series as the edges.
    let from_core = scrape(&client, &at["core-metrics"]).await;
    assert_eq!(total(&from_core, "paygate_payments_total", &[]), total(&after, "paygate_payments_total", &[]));
    let from_pdf = scrape(&client, &at["pdf-metrics"]).await;
    assert!(from_pdf.samples.iter().any(|s| s.metric == "paygate_http_requests_total"));
    drop(gateway);
}
