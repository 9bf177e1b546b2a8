#!/usr/bin/env bash
# Checks Paygate's metrics, dashboards and alerts as code:
#
#   - deploy/prometheus/alerts.yml passes `promtool check rules`, and its unit tests
#     (deploy/prometheus/alerts.test.yml) pass `promtool test rules`;
#   - a real `paygate all` (debug build, embedded store) with a little traffic (two payments,
#     a refund, IPN deliveries to a local receiver, one of them failing once) serves /metrics
#     on both edges and on core's and the PDF worker's HTTP listeners, and every scrape passes
#     `promtool check metrics`;
#   - deploy/grafana/paygate.json is valid JSON, and every metric its queries (and the alert
#     rules) reference is exported by the running services.
#
# Installs Debian's `prometheus` package for promtool when it is missing. Run on its own or as
# a phase of scripts/test.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

command -v promtool >/dev/null || apt_install prometheus
command -v promtool >/dev/null || die "promtool not found after installing prometheus"

echo "== promtool check rules"
promtool check rules deploy/prometheus/alerts.yml
echo "== promtool test rules"
promtool test rules deploy/prometheus/alerts.test.yml

workdir="$(mktemp -d "${TMPDIR:-/tmp}/paygate-observability.XXXXXX")"
server_pid=""
cleanup() {
    local status=$?
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT

prepare_local_gateway "$workdir/data"
core_metrics="127.0.0.1:$(free_port)"
pdf_metrics="127.0.0.1:$(free_port)"
export PAYGATE_CORE_METRICS_ADDR="$core_metrics" PAYGATE_PDF_METRICS_ADDR="$pdf_metrics"

credentials="$("$paygate" bootstrap --org "Observability" --site "Shop")"
"$paygate" all >"$workdir/paygate.log" 2>&1 &
server_pid=$!
for _ in $(seq 120); do
    kill -0 "$server_pid" 2>/dev/null || {
        tail -n 30 "$workdir/paygate.log" >&2
        die "paygate exited during startup"
    }
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$admin/readyz" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

echo "== traffic: payments, a refund, IPN deliveries (one failing once)"
python3 - "$admin" "$main" "$credentials" <<'EOF'
import http.server, json, sys, threading, time, urllib.request, urllib.error

admin, main, credentials = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
received = []

class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        received.append(self.path)
        # The first delivery to /flaky fails, so a retry follows.
        failing = self.path == "/flaky" and received.count("/flaky") == 1
        self.send_response(500 if failing else 200)
        self.end_headers()
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
receiver = f"http://127.0.0.1:{server.server_address[1]}"

def call(method, url, body=None, key=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if key:
        request.add_header("authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)

key, site = credentials["apiKey"], credentials["siteId"]
def checkout(path):
    return call("POST", f"{admin}/api/v1/checkouts/{site}/create",
                {"amount": 5000, "currency": "EUR", "ipnUrl": receiver + path}, key)["id"]
paid = call("POST", f"{main}/api/v1/checkouts/{checkout('/ok')}/pay", {"paymentMethod": "tok_visa"})
call("POST", f"{main}/api/v1/checkouts/{checkout('/flaky')}/pay", {"paymentMethod": "tok_chargeDeclined"})
txn = paid["transactionId"]
for _ in range(200):
    if call("GET", f"{admin}/api/v1/transactions/{txn}", key=key)["status"] == "succeeded":
        break
    time.sleep(0.05)
call("POST", f"{admin}/api/v1/transactions/{txn}/refunds", {"amount": 1000}, key)
try:
    urllib.request.urlopen(f"{main}/no/such/route")
except urllib.error.HTTPError:
    pass
for _ in range(200):
    if received.count("/flaky") >= 2 and received.count("/ok") >= 2:
        break
    time.sleep(0.05)
print(f"IPN requests received: {len(received)}")
# The queue and scheduler gauges are refreshed every 5 s.
time.sleep(6)
EOF

echo "== promtool check metrics"
for endpoint in "$admin" "$main" "http://$core_metrics" "http://$pdf_metrics"; do
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
        "$endpoint/metrics" >"$workdir/scrape.txt"
    promtool check metrics <"$workdir/scrape.txt"
    echo "$endpoint/metrics: $(grep -vc '^#' "$workdir/scrape.txt") samples, lint clean"
done
for endpoint in "http://$core_metrics" "http://$pdf_metrics"; do
    for path in /healthz /readyz; do
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$endpoint$path" ||
            die "$endpoint$path did not answer 200"
    done
done

echo "== dashboard and alert rules reference only exported metrics"
python3 - "$workdir/scrape.txt" deploy/grafana/paygate.json deploy/prometheus/alerts.yml <<'EOF'
import json, re, sys

scrape, dashboard_path, alerts_path = sys.argv[1:4]
exported = set()
for line in open(scrape):
    if line.startswith("#") or not line.strip():
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    exported.add(name)
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            exported.add(name[: -len(suffix)])

dashboard = json.load(open(dashboard_path))
assert dashboard.get("title") and isinstance(dashboard.get("panels"), list), "not a Grafana dashboard"
exprs = []
def walk(panels):
    for panel in panels:
        exprs.extend(target["expr"] for target in panel.get("targets", []) if "expr" in target)
        walk(panel.get("panels", []))
walk(dashboard["panels"])
for variable in dashboard.get("templating", {}).get("list", []):
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    if variable.get("type") == "query" and query:
        exprs.append(query)
assert exprs, "the dashboard has no queries"

alerts = open(alerts_path).read()
alert_exprs = re.findall(r"expr:\s*\|?\s*\n?((?:.*\n)*?)\s*for:", alerts)
assert alert_exprs, "no alert expressions found"

name_pattern = re.compile(r"\b((?:paygate|process)_[a-z0-9_]+)\b")
missing = {}
for source, texts in (("dashboard", exprs), ("alerts", alert_exprs)):
    for text in texts:
        for name in name_pattern.findall(text):
            if name not in exported:
                missing.setdefault(name, set()).add(source)
if missing:
    for name, sources in sorted(missing.items()):
        print(f"not exported: {name} (used by {', '.join(sorted(sources))})", file=sys.stderr)
    sys.exit(1)
used = sorted({n for t in exprs + alert_exprs for n in name_pattern.findall(t)})
print(f"{len(exprs)} dashboard queries and {len(alert_exprs)} alert rules use {len(used)} metrics, all exported")
EOF
echo "observability checks passed"
