#!/usr/bin/env bash
# Counts the CPU instructions one checkout create and one complete payment cost in
# `paygate all` (embedded store, in-process queue), under valgrind's callgrind.
#
# Instructions are not time, but on a shared machine whose speed changes by half from one
# hour to the next they are the figure that repeats: the same build, the same requests and
# the same count, whatever else the machine does. Compare two builds with it; read time
# from `scripts/bench.sh`. System calls (socket writes, `fsync`) are not counted.
#
#   scripts/instructions.sh                       1,000 creates, then 30 s of payments
#   scripts/instructions.sh --creates 2000 --payment-seconds 0
#
# The callgrind files stay in the output directory it prints, for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

creates=1000
payment_seconds=30
while [ $# -gt 0 ]; do
    case "$1" in
        --creates) creates=${2:?}; shift 2 ;;
        --payment-seconds) payment_seconds=${2:?}; shift 2 ;;
        *) die "unknown argument: $1 (--creates N, --payment-seconds S)" ;;
    esac
done

command -v valgrind >/dev/null || apt_install valgrind
command -v jq >/dev/null || apt_install jq

# Line tables for callgrind_annotate come with the release profile.
cargo build --quiet --release -p paygate -p bench
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
export PAYGATE_PREBUILT_BIN="$target_dir/release/paygate"

out="$(mktemp -d --suffix .instructions)"
prepare_local_gateway "$out/data"
export PAYGATE_PAY_RATE_LIMIT_PER_MINUTE=1000000
# The figure is the request path's, not the log's: logging at `warn`, as the bench's
# in-process gateway has none.
export RUST_LOG="${RUST_LOG:-warn}"
"$paygate" bootstrap --org "Instructions" --site "Shop" > "$out/merchant.json"

valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" "$paygate" all > "$out/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$admin/healthz" && break
    kill -0 "$gateway" 2>/dev/null || die "the gateway did not start: $(tail -5 "$out/gateway.log")"
    sleep 0.5
done

creates_over_one_connection() {
    python3 - "$out/merchant.json" "$admin" "$1" <<'PY'
import http.client, json, sys, urllib.parse
merchant = json.load(open(sys.argv[1]))
admin = urllib.parse.urlsplit(sys.argv[2])
body = '{"amount": 11900, "currency": "EUR", "description": "Pro plan", "lineItems": [{"name": "Pro plan", "quantity": 1, "amount": 11900}]}'
connection = http.client.HTTPConnection(admin.hostname, admin.port)
for _ in range(int(sys.argv[3])):
    connection.request("POST", f"/api/v1/checkouts/{merchant['siteId']}/create", body,
                       {"Authorization": "Bearer " + merchant["apiKey"], "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"create answered {response.status}")
PY
}

# Counts from zero at the start of each part and writes a numbered file at its end.
counted() {
    local name=$1 file
    shift
    callgrind_control --zero "$gateway" >/dev/null 2>&1
    "$@"
    callgrind_control --dump="$name" "$gateway" >/dev/null 2>&1
    sleep 1
    file="$(grep -l "^desc: Trigger: dump $name\$" "$out"/callgrind.out.* | head -1)"
    grep '^summary:' "$file" | awk '{print $2}'
}

creates_over_one_connection 300
create_total="$(counted creates creates_over_one_connection "$creates")"
printf 'create checkout    %9d instructions each (%d creates, one connection, one at a time)\n' \
    "$((create_total / creates))" "$creates"

if [ "$payment_seconds" -gt 0 ]; then
    bench_args=(--admin-url "$admin" --main-url "$main"
        --api-key "$(jq -r .apiKey "$out/merchant.json")" --site-id "$(jq -r .siteId "$out/merchant.json")"
        --webhook-secret "$(jq -r .webhookSecret "$out/merchant.json")"
        --merchants 2 --warmup 0 --ipn-timeout 120 --json)
    payments() { "$target_dir/release/bench" "${bench_args[@]}" --duration "$payment_seconds" > "$out/payments.json"
        sleep 2; }
    payment_total="$(counted payments payments)"
    completed="$(jq .completePayments "$out/payments.json")"
    [ "$completed" -gt 0 ] || die "no payment completed under callgrind"
    printf 'complete payment   %9d instructions each (%d payments, 2 merchant loops, %d s)\n' \
        "$((payment_total / completed))" "$completed" "$payment_seconds"
fi
echo "callgrind files: $out (callgrind_annotate --inclusive=yes FILE)"
