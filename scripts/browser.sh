#!/usr/bin/env bash
# Drives Paygate's hosted checkout page and checkout.js in a real Chromium.
#
# Starts a real `paygate all` (debug build, embedded store, in-process queue) with a
# bootstrapped organization, then runs stack/tests/browser/run.mjs: Playwright (the pinned
# `playwright-core` from stack/tests/browser/package-lock.json) drives Debian's `chromium`,
# never a downloaded browser. Each scenario saves a screenshot under
# target/browser-artifacts/ (or $PAYGATE_BROWSER_ARTIFACTS).
#
# Installs Debian's chromium and Node.js when missing. Run on its own or as a phase of
# scripts/test.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

[ -x /usr/bin/chromium ] || apt_install chromium
command -v npm >/dev/null || apt_install nodejs npm
# Playwright must use the system browser: nothing may download one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd stack/tests/browser && npm ci --no-audit --no-fund --loglevel=error)

workdir="$(mktemp -d "${TMPDIR:-/tmp}/paygate-browser.XXXXXX")"
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

prepare_local_gateway "$workdir/data"
artifacts="${PAYGATE_BROWSER_ARTIFACTS:-$target_dir/browser-artifacts}"
rm -rf "$artifacts"

# Long enough that the page shows its progress and two tabs really overlap.
export PAYGATE_SANDBOX_LATENCY_MS=300

credentials="$("$paygate" bootstrap --org "Browser test" --site "Alpine Outfitters")"
api_key="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$credentials")"
site_id="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["siteId"])' <<<"$credentials")"

"$paygate" all >"$workdir/paygate.log" 2>&1 &
server_pid=$!
for _ in $(seq 120); do
    kill -0 "$server_pid" 2>/dev/null || die "paygate exited during startup"
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$main/healthz" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

PAYGATE_ADMIN_URL="$admin" PAYGATE_MAIN_URL="$main" PAYGATE_API_KEY="$api_key" \
    PAYGATE_SITE_ID="$site_id" PAYGATE_ARTIFACTS="$artifacts" \
    node stack/tests/browser/run.mjs
