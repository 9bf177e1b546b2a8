#!/usr/bin/env bash
# Paygate's client SDKs: regenerates them from the Admin API's OpenAPI document and tests them
# against a real `paygate all`.
#
#   scripts/sdks.sh            regenerate sdks/openapi.json and every SDK, build, test
#   scripts/sdks.sh --check    the same, then fail if a regenerated file differs from the
#                              committed one (the document or an SDK was not regenerated)
#
# Phases, one function each: openapi_phase (writes sdks/openapi.json from `paygate openapi`,
# lints it with Redocly CLI and openapi-spec-validator), then per SDK a generate function (from
# scratch, into the SDK's generated folder) and a test function (run while a throwaway gateway
# is up; see start_gateway for the environment it passes). An SDK is added by writing its two
# functions and naming them in `generators` and `testers` below.
#
# Installs only from npm and PyPI, through lockfiles (`npm ci`) and pinned versions. Uses
# $PAYGATE_PREBUILT_BIN when set, otherwise builds `paygate` with cargo.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

check=0
for arg in "$@"; do
    case "$arg" in
    --check) check=1 ;;
    *) die "unknown argument: $arg (usage: scripts/sdks.sh [--check])" ;;
    esac
done

generators=(generate_typescript generate_python)
testers=(test_typescript test_docs_examples test_shop_example test_python)

command -v npm >/dev/null || apt_install nodejs npm
# Playwright must use the system browser: nothing may download one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
npm_ci() { (cd "$1" && npm ci --no-audit --no-fund --loglevel=error); }

workdir="$(mktemp -d "${TMPDIR:-/tmp}/paygate-sdks.XXXXXX")"
server_pid=""
cleanup() {
    local status=$?
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$workdir/paygate.log" ]; then
        tail -n 30 "$workdir/paygate.log" >&2
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT

# Sets `paygate`, `admin`, `main` and the gateway's environment (scripts/lib.sh).
prepare_local_gateway "$workdir/data"

# ---- the OpenAPI document ---------------------------------------------------------------------

openapi_phase() {
    echo "sdks: sdks/openapi.json from paygate openapi"
    "$paygate" openapi >sdks/openapi.json
    npm_ci sdks/tools
    # The rules and why some are relaxed: sdks/redocly.yaml.
    (cd sdks && tools/node_modules/.bin/redocly lint --config redocly.yaml openapi.json)
    local venv="$target_dir/sdks-venv"
    [ -x "$venv/bin/openapi-spec-validator" ] || {
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            apt_install python3-venv
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r sdks/tools/requirements.txt
    }
    "$venv/bin/openapi-spec-validator" sdks/openapi.json
}

# ---- TypeScript: sdks/typescript (@paygate/sdk) -----------------------------------------------

generate_typescript() {
    echo "sdks: TypeScript SDK"
    npm_ci sdks/typescript
    rm -rf sdks/typescript/src/generated sdks/typescript/dist
    (cd sdks/typescript && npm run --silent generate && npm run --silent build)
}

generate_python() {
    echo "sdks: Python SDK"
    scripts/sdk-python.sh --generate
}

# The Python SDK's own checks (generated code, ruff, mypy --strict) and its tests, which start
# their own gateway from the same binary.
test_python() {
    scripts/sdk-python.sh --check && PAYGATE_PREBUILT_BIN="$paygate" scripts/sdk-python.sh --test
}

test_typescript() {
    (cd sdks/typescript && node --test --test-reporter=spec test/)
}

test_docs_examples() {
    (cd sdks/typescript && node scripts/run-docs-examples.mjs ../../docs/sdks.md)
}

test_shop_example() {
    [ -x /usr/bin/chromium ] || apt_install chromium
    npm_ci examples/shop
    PAYGATE_ARTIFACTS="${PAYGATE_BROWSER_ARTIFACTS:-$target_dir/browser-artifacts}" \
        node examples/shop/test/shop.browser.mjs
}

# ---- the gateway the tests run against ---------------------------------------------------------

start_gateway() {
    local credentials
    credentials="$("$paygate" bootstrap --org "SDK test" --site "SDK Shop")"
    json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$credentials"; }
    export PAYGATE_ADMIN_URL="$admin" PAYGATE_MAIN_URL="$main"
    PAYGATE_API_KEY="$(json apiKey)" PAYGATE_SITE_ID="$(json siteId)"
    PAYGATE_WEBHOOK_SECRET="$(json webhookSecret)"
    export PAYGATE_API_KEY PAYGATE_SITE_ID PAYGATE_WEBHOOK_SECRET
    "$paygate" all >"$workdir/paygate.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 120); do
        kill -0 "$server_pid" 2>/dev/null || die "paygate exited during startup"
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
            "$main/readyz" 2>/dev/null; then
            return
        fi
        sleep 0.5
    done
    die "paygate did not start"
}

openapi_phase
for generate in "${generators[@]}"; do "$generate"; done

if [ "$check" -eq 1 ]; then
    # Untracked files count too: a generator that writes a new file must have it committed.
    if ! git diff --exit-code --stat -- sdks/ || [ -n "$(git status --porcelain --untracked-files=all -- sdks/)" ]; then
        git status --short -- sdks/ >&2
        die "sdks/ differs from what the generators write: run scripts/sdks.sh and commit the result"
    fi
fi

start_gateway
# Every suite runs even when one fails, so one run reports everything.
failed=0
for run_tests in "${testers[@]}"; do
    echo "sdks: $run_tests"
    "$run_tests" || { echo "sdks: $run_tests FAILED" >&2; failed=1; }
done
exit "$failed"
