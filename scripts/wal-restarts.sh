#!/usr/bin/env bash
# Shows what the embedded store's WAL restarts are made of under load. A restart stops
# every write until it returns, so at a steady rate it sets create-checkout's tail.
#
# Starts `paygate all` (release build, embedded store, in-process queue, logging at
# `warn`), runs the complete-payment bench against it from another process at a fixed
# rate, and records the system calls of the store's writer thread that a restart makes
# with `perf trace` (whose cost, unlike strace's, does not slow the writer down): the
# `fdatasync`/`fsync` of the WAL before copying, of the database file after, and any
# sleep while it waits for a reader. Prints the bench's summary, then one line per
# restart and the medians.
#
#   scripts/wal-restarts.sh                    1,000 payments/s for 10 s
#   scripts/wal-restarts.sh --rate 600 --seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

rate=1000
seconds=10
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) rate=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        *) die "unknown argument: $1 (--rate N, --seconds S)" ;;
    esac
done
[ "$seconds" -ge 4 ] || die "--seconds must be at least 4"

command -v perf >/dev/null || apt_install linux-perf
command -v jq >/dev/null || apt_install jq

if [ -z "${PAYGATE_PREBUILT_BIN:-}" ]; then
    # The flags scripts/bench.sh builds with, so that the two share one release build.
    export RUSTFLAGS="${RUSTFLAGS:-} -C force-frame-pointers=yes"
    cargo build --quiet --release -p paygate -p bench
fi
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
export PAYGATE_PREBUILT_BIN="${PAYGATE_PREBUILT_BIN:-$target_dir/release/paygate}"
bench="$(dirname "$PAYGATE_PREBUILT_BIN")/bench"

out="$(mktemp -d --suffix .wal-restarts)"
prepare_local_gateway "$out/data"
export PAYGATE_PAY_RATE_LIMIT_PER_MINUTE=1000000
export RUST_LOG="${RUST_LOG:-warn}"
"$paygate" bootstrap --org "WAL restarts" --site "Shop" > "$out/merchant.json"
"$paygate" all > "$out/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$admin/healthz" && break
    kill -0 "$gateway" 2>/dev/null || die "the gateway did not start: $(tail -5 "$out/gateway.log")"
    sleep 0.2
done
writer="$(grep -lx sqlite-writer /proc/"$gateway"/task/*/comm | head -1 | cut -d/ -f5)"
[ -n "$writer" ] || die "no sqlite-writer thread in the gateway"

merchant="$out/merchant.json"
"$bench" --admin-url "$admin" --main-url "$main" --api-key "$(jq -r .apiKey "$merchant")" \
    --site-id "$(jq -r .siteId "$merchant")" --webhook-secret "$(jq -r .webhookSecret "$merchant")" \
    --rate "$rate" --duration "$seconds" > "$out/bench.txt" 2>&1 &
load=$!
# The bench warms up for 2 s; the trace covers the measured window but its last second.
sleep 3
timeout -s INT "$((seconds - 1))" perf trace -t "$writer" -e fsync,fdatasync,ftruncate,clock_nanosleep \
    -o "$out/trace.txt" > /dev/null 2>&1 || true
wait "$load" || die "the bench failed: $(tail -5 "$out/bench.txt")"
# Which descriptor is the WAL and which the database file, while the gateway still runs.
wal_fd="$(find /proc/"$gateway"/fd -lname '*-wal' -printf '%f\n' | head -1)"
# The database file has two descriptors: SQLite's and the checkpointer's, for its syncs.
db_fds="$(find /proc/"$gateway"/fd -lname '*.sqlite3' -printf '%f\n' | paste -sd,)"

grep -E 'complete payments|create checkout|WAL restarts' "$out/bench.txt"
python3 - "$out/trace.txt" "$wal_fd" "$db_fds" <<'PY'
import re, statistics, sys

trace, wal_fd, db_fds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
calls = []
for line in open(trace):
    m = re.match(r"\s*([\d.]+) \(\s*([\d.]+) ms\): (?:\S+ )?(\w+)\((?:fd: (\d+))?", line)
    if m:
        calls.append((float(m[1]), float(m[2]), m[3], m[4]))
# The writer syncs only around a restart (commits do not wait for the disk), and restarts
# are hundreds of milliseconds apart: a gap of 100 ms separates two of them.
restarts, current = [], []
for call in calls:
    if current and call[0] - current[-1][0] > 100:
        restarts.append(current)
        current = []
    current.append(call)
if current:
    restarts.append(current)

rows = []
for calls in restarts:
    db_syncs = [c for c in calls if c[2] in ("fsync", "fdatasync") and c[3] in db_fds]
    if not db_syncs:
        continue  # the trace began or ended inside this restart
    db_sync = db_syncs[-1]
    before = [c for c in calls if c[0] <= db_sync[0]]
    wal_sync = next((c for c in before if c[2] in ("fsync", "fdatasync") and c[3] == wal_fd), None)
    stop = db_sync[0] + db_sync[1] - before[0][0]
    sleeps = sum(c[1] for c in before if c[2] == "clock_nanosleep")
    wal = wal_sync[1] if wal_sync else 0.0
    rows.append((stop, wal, db_sync[1], sleeps, stop - wal - db_sync[1] - sleeps))

if not rows:
    sys.exit("no complete restart in the trace: run longer or at a higher rate")
print(f"\n{len(rows)} restarts traced (ms): until the database file is synced, of which")
print(f"{'stop':>8} {'WAL sync':>9} {'file sync':>10} {'sleeping':>9} {'copying':>8}")
for row in rows:
    print("".join(f"{v:>{w}.1f}" for v, w in zip(row, (8, 10, 11, 10, 9))))
medians = [statistics.median(column) for column in zip(*rows)]
print("median " + "".join(f"{v:>{w}.1f}" for v, w in zip(medians, (1, 10, 11, 10, 9))))
PY
echo "trace and bench output: $out"
