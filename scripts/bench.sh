#!/usr/bin/env bash
# Runs Paygate's benchmark with what it needs installed: wrk for `create-ratio`, perf and
# inferno for `--flamegraph`. Every argument goes to the bench, e.g.
#   scripts/bench.sh                                  complete payments (checkout → pay → IPN)
#   scripts/bench.sh create-ratio                     create-checkout vs a bare axum server
#   scripts/bench.sh renewals --subscriptions 10000   subscription renewals
#   scripts/bench.sh --flamegraph docs/flame.svg -- --duration 10
#       the same run under `perf record`, folded into an SVG flame graph
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

command -v wrk >/dev/null || apt_install wrk

flamegraph=
if [ "${1:-}" = "--flamegraph" ]; then
    flamegraph=${2:?--flamegraph needs an output .svg path}
    shift 2
    [ "${1:-}" = "--" ] && shift
    command -v perf >/dev/null || apt_install linux-perf
    command -v inferno-flamegraph >/dev/null || cargo install --quiet --locked inferno
fi

# Frame pointers for the profile (the release profile keeps line tables); no slower otherwise.
export RUSTFLAGS="${RUSTFLAGS:-} -C force-frame-pointers=yes"
cargo build --quiet --release -p bench
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
bench="$target_dir/release/bench"

if [ -z "$flamegraph" ]; then
    exec "$bench" "$@"
fi
perf_data="$(mktemp --suffix .perf.data)"
trap 'rm -f "$perf_data"' EXIT
perf record --quiet -F 499 -g -o "$perf_data" -- "$bench" "$@"
perf script -i "$perf_data" 2>/dev/null | inferno-collapse-perf | inferno-flamegraph --title "Paygate: bench $*" > "$flamegraph"
echo "flame graph: $flamegraph"
