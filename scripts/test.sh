#!/usr/bin/env bash
# Paygate's full check: formatting, lints, unused dependencies, compose.yaml against the Compose
# specification, then the tests twice: once on
# the embedded store with the in-process queue, and once more for the end-to-end suite on
# MongoDB + Redis; last, schemathesis fuzzes both REST APIs against their generated OpenAPI
# documents (scripts/fuzz.sh), the checkout page, checkout.js and the admin panel run in a real
# Chromium (scripts/browser.sh), and the SDKs are regenerated, compared with the committed
# files, linted and tested against a running gateway (scripts/sdks.sh --check); last, the alert
# rules, their unit tests, a live scrape and the Grafana dashboard are checked with promtool
# (scripts/observability-check.sh).
#
# Installs what is missing (redis-server, pdftotext, caddy, SecantusDB, cargo-machete,
# schemathesis; chromium and the pinned playwright-core for the browser phase; prometheus for
# promtool) and starts its own
# throwaway Redis and SecantusDB (a MongoDB-compatible server) on free loopback ports;
# everything it started is stopped on exit.
#
# Environment:
#   PAYGATE_REDIS_URL=redis://...   use this Redis instead of starting one
#   (exported to the tests: PAYGATE_REQUIRE_BACKENDS=1, so a Redis, MongoDB or crash test
#   that cannot find its server fails instead of skipping)
#   PAYGATE_TEST_ONLY_SERVICES=1    start the services, print their URLs, stop them, exit
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

banner() { printf '\n== %s ==\n' "$*"; }

# ---- cleanup: stop exactly what this script started ------------------------------------------

workdir="$(mktemp -d "${TMPDIR:-/tmp}/paygate-test.XXXXXX")"
started_pids=()

cleanup() {
    local status=$?
    local pid
    for pid in "${started_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${started_pids[@]}"; do
        # A clean shutdown takes SecantusDB a few seconds; past 15 s it is forced.
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to 30 s for `check` to succeed while the service `pid` is alive.
wait_until_up() {
    local name=$1 pid=$2 log=$3
    shift 3
    for _ in $(seq 60); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$log" >&2 || true
            die "$name exited during startup"
        fi
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    tail -n 30 "$log" >&2 || true
    die "$name did not answer within 30 s"
}

# ---- room on disk -----------------------------------------------------------------------------

# From an empty target directory the run writes about 16 GiB of build output (debug builds of
# the workspace and its tests, and the gateway the later phases start). With less room the
# compiler fails late with "No space left on device", in whichever phase it reaches first; said
# here first so the cause is plain. A warning only: a warm target directory needs far less.
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
free_kib="$(df -Pk "$target_dir" | awk 'NR == 2 { print $4 }')"
if [ "${free_kib:-0}" -lt $((20 * 1024 * 1024)) ]; then
    printf 'warning: %s MiB free under %s; a run from an empty target directory needs about 20 GiB\n' \
        "$((${free_kib:-0} / 1024))" "$target_dir" >&2
fi

# ---- tools ------------------------------------------------------------------------------------

command -v pdftotext >/dev/null || apt_install poppler-utils
# Finds dependencies no code uses; built from crates.io on a fresh machine.
CARGO_MACHETE_VERSION=0.9.2
if ! cargo machete --version 2>/dev/null | grep -q "$CARGO_MACHETE_VERSION"; then
    cargo install --locked --quiet cargo-machete --version "$CARGO_MACHETE_VERSION"
fi
# The end-to-end suite runs the repository's Caddyfile in a real Caddy.
command -v caddy >/dev/null || apt_install caddy
if [ -z "${PAYGATE_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null; then
    apt_install redis-server
fi

secantusd="$(command -v secantusd-py || true)"
if [ -z "$secantusd" ]; then
    pip_install secantusdb
    # pip may put the script where PATH (or a pyenv shim) does not reach yet.
    for dir in "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')" \
        "$(python3 -m site --user-base)/bin"; do
        if [ -x "$dir/secantusd-py" ]; then
            secantusd="$dir/secantusd-py"
            break
        fi
    done
    [ -n "$secantusd" ] || die "secantusdb installed but secantusd-py not found"
fi
# The readiness check below speaks to SecantusDB with pymongo, a dependency of secantusdb.
python3 -c 'import pymongo' 2>/dev/null || pip_install pymongo

# ---- services ---------------------------------------------------------------------------------

if [ -n "${PAYGATE_REDIS_URL:-}" ]; then
    echo "using Redis at $PAYGATE_REDIS_URL"
    if command -v redis-cli >/dev/null; then
        redis-cli -u "$PAYGATE_REDIS_URL" ping >/dev/null || die "no answer from $PAYGATE_REDIS_URL"
    fi
else
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$workdir" --daemonize no >"$workdir/redis.log" 2>&1 &
    started_pids+=("$!")
    wait_until_up redis "$!" "$workdir/redis.log" redis-cli -p "$redis_port" ping
    export PAYGATE_REDIS_URL="redis://127.0.0.1:$redis_port"
fi

mongo_port="$(free_port)"
# TMPDIR: SecantusDB keeps its ':memory:' store in a temporary directory; putting that inside
# $workdir means it is removed with it even if the server has to be killed.
TMPDIR="$workdir" "$secantusd" --host 127.0.0.1 --port "$mongo_port" --storage-path :memory: \
    >"$workdir/secantusdb.log" 2>&1 &
started_pids+=("$!")
export PAYGATE_MONGODB_URI="mongodb://127.0.0.1:$mongo_port/?directConnection=true"
wait_until_up SecantusDB "$!" "$workdir/secantusdb.log" python3 -c '
import sys
from pymongo import MongoClient
MongoClient(sys.argv[1], serverSelectionTimeoutMS=1000).admin.command("ping")
' "$PAYGATE_MONGODB_URI"

# Every backend is up now: a test that finds its variable unset must fail, not skip.
export PAYGATE_REQUIRE_BACKENDS=1
echo "PAYGATE_REDIS_URL=$PAYGATE_REDIS_URL"
echo "PAYGATE_MONGODB_URI=$PAYGATE_MONGODB_URI"
if [ "${PAYGATE_TEST_ONLY_SERVICES:-}" = 1 ]; then
    exit 0
fi

# ---- checks -----------------------------------------------------------------------------------

# compose.yaml checked by a real Compose implementation where one runs, else against the vendored
# Compose Specification schema. Either way a deliberately broken copy must be refused, so a
# validator that accepts anything cannot pass the phase.
CHECK_JSONSCHEMA_VERSION=0.33.0
check_compose() {
    local broken="$workdir/compose-broken.yaml"
    sed 's/^services:/servics:/' compose.yaml >"$broken"
    if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        echo "validating with docker compose"
        # Placeholders for the variables compose.yaml requires (${VAR:?}).
        local -a vars=(PAYGATE_SECRET_KEY=placeholder ADMIN_BACKEND_DOMAIN=admin-api.example
            MAIN_BACKEND_DOMAIN=api.example MAIN_FRONTEND_DOMAIN=pay.example ADMIN_FRONTEND_DOMAIN=admin.example)
        env "${vars[@]}" docker compose -f compose.yaml config -q || return 1
        env "${vars[@]}" docker compose -f compose.yaml --profile observability config -q || return 1
        if env "${vars[@]}" docker compose -f "$broken" config -q >/dev/null 2>&1; then
            echo "docker compose accepted a broken file" >&2
            return 1
        fi
    else
        echo "no Docker engine with compose: validating against scripts/compose-spec/compose-spec.json"
        if ! check-jsonschema --version 2>/dev/null | grep -q "$CHECK_JSONSCHEMA_VERSION"; then
            pip_install "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
        fi
        local schema=scripts/compose-spec/compose-spec.json
        python3 -m check_jsonschema --schemafile "$schema" compose.yaml || return 1
        if python3 -m check_jsonschema --schemafile "$schema" "$broken" >/dev/null 2>&1; then
            echo "check-jsonschema accepted a broken file" >&2
            return 1
        fi
    fi
    # The observability profile's own files (collector, Prometheus, Grafana provisioning), which
    # neither validator reads; a collector config whose pipeline names an undefined exporter must
    # be refused.
    python3 -c 'import yaml' 2>/dev/null || pip_install pyyaml
    python3 scripts/check_observability.py compose.yaml || return 1
    local broken_collector="$workdir/otel-collector-broken.yaml"
    sed 's/exporters: \[otlp\/jaeger, debug\]/exporters: [undefined]/' deploy/otel-collector.yaml >"$broken_collector"
    if python3 scripts/check_observability.py compose.yaml "$broken_collector" >/dev/null 2>&1; then
        echo "check_observability.py accepted a broken collector config" >&2
        return 1
    fi
}

failed=()
# Runs one phase and records a failure instead of stopping, so a single run reports every
# broken phase.
phase() {
    local name=$1
    shift
    banner "$name"
    "$@" || failed+=("$name")
}

if command -v cargo-nextest >/dev/null; then
    test_cmd=(cargo nextest run --no-fail-fast)
else
    test_cmd=(cargo test --no-fail-fast)
fi

phase "format" cargo fmt --all -- --check
phase "clippy" cargo clippy --workspace --all-targets -- -D warnings
phase "unused dependencies" cargo machete
phase "compose.yaml" check_compose
phase "tests: embedded store + in-process queue" \
    env PAYGATE_TEST_BACKEND=embedded PAYGATE_TEST_QUEUE=memory "${test_cmd[@]}" --workspace
if [ "${test_cmd[1]}" = nextest ]; then
    # nextest does not run doc tests.
    phase "doc tests" cargo test --workspace --doc
fi
phase "tests: MongoDB + Redis" \
    env PAYGATE_TEST_BACKEND=mongodb PAYGATE_TEST_QUEUE=redis "${test_cmd[@]}" -p paygate
phase "API fuzzing (schemathesis)" scripts/fuzz.sh
phase "checkout page in Chromium (Playwright)" scripts/browser.sh
phase "SDKs: regenerated without drift, linted, tested against a gateway" scripts/sdks.sh --check
phase "metrics, dashboard and alerts (promtool)" scripts/observability-check.sh

if [ "${#failed[@]}" -gt 0 ]; then
    banner "FAILED: ${failed[*]}"
    exit 1
fi
banner "all checks passed"
