#!/usr/bin/env bash
# Drives Paygate's hosted checkout page, checkout.js, the customer portal and the admin panel in a
# real Chromium.
#
# Starts a real `paygate all` (debug build, embedded store, in-process queue) with a
# bootstrapped organization and an owner made with `paygate user create`, then runs
# stack/tests/browser/run.mjs and stack/tests/browser/admin-panel.mjs: Playwright (the pinned
# `playwright-core` from stack/tests/browser/package-lock.json) drives Debian's `chromium`,
# never a downloaded browser. Each scenario saves a screenshot under
# target/browser-artifacts/ (or $PAYGATE_BROWSER_ARTIFACTS).
#
# Stripe's flow runs against the Stripe stand-in (`paygate-standins stripe`, a separate
# process): it serves the Stripe API for a second site's Stripe provider record, a Stripe.js
# stand-in at /v3/ (PAYGATE_STRIPE_JS_URL), its 3-D Secure page, and delivers its events as
# signed webhooks to that record's webhook URL, as Stripe would.
#
# Installs Debian's chromium and Node.js when missing. Run on its own or as a phase of
# scripts/test.sh. PAYGATE_BROWSER_SCENARIOS=<regular expression> runs only the scenarios whose
# names match (`PAYGATE_BROWSER_SCENARIOS=portal scripts/browser.sh`).
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
standin_pid=""
cleanup() {
    local status=$?
    for pid in "$server_pid" "$standin_pid"; do
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ "$status" -ne 0 ] && [ -f "$workdir/paygate.log" ]; then
        tail -n 30 "$workdir/paygate.log" >&2
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT

prepare_local_gateway "$workdir/data"
cargo build --quiet -p paygate-standins --bin paygate-standins
standins="$target_dir/debug/paygate-standins"
artifacts="${PAYGATE_BROWSER_ARTIFACTS:-$target_dir/browser-artifacts}"
rm -rf "$artifacts"

# Long enough that the page shows its progress and two tabs really overlap.
export PAYGATE_SANDBOX_LATENCY_MS=300
# The stand-in's port is chosen now: the page's policy names Stripe.js's origin from start-up,
# and the stand-in starts only once its webhook URL (the provider record's) is known.
stripe_port="$(free_port)"
stripe_base="http://127.0.0.1:$stripe_port"
export PAYGATE_STRIPE_JS_URL="$stripe_base/v3/"
export PAYGATE_PROVIDER_ALLOW_PRIVATE=1
stripe_secret_key="sk_test_paygate_browser_standin"
stripe_webhook_secret="whsec_paygate_browser_standin"

credentials="$("$paygate" bootstrap --org "Browser test" --site "Alpine Outfitters")"
api_key="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$credentials")"
site_id="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["siteId"])' <<<"$credentials")"
org_id="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["organizationId"])' <<<"$credentials")"
# The admin panel's first user, as an operator makes one.
owner_email="owner@browser-test.example"
owner_password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
printf '%s' "$owner_password" |
    "$paygate" user create --org "$org_id" --email "$owner_email" --role owner --password-stdin >/dev/null

"$paygate" all >"$workdir/paygate.log" 2>&1 &
server_pid=$!
for _ in $(seq 120); do
    kill -0 "$server_pid" 2>/dev/null || die "paygate exited during startup"
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$main/readyz" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

# A second site charging through a Stripe provider record on the stand-in.
admin_post() {
    python3 - "$admin/api/v1$1" "$api_key" "$2" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), method="POST", headers={
    "Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(urllib.request.urlopen(request, timeout=10).read().decode())
PY
}
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
provider="$(admin_post /providers "{\"type\": \"stripe\", \"name\": \"Stripe stand-in\",
    \"credentials\": {\"secretKey\": \"$stripe_secret_key\", \"publishableKey\": \"pk_test_paygate_browser\"},
    \"webhookSecret\": \"$stripe_webhook_secret\", \"apiBase\": \"$stripe_base\"}")"
provider_id="$(json_field id <<<"$provider")"
webhook_url="$(json_field webhookUrl <<<"$provider")"
stripe_site_id="$(admin_post /sites "{\"name\": \"Alpine Outfitters Cards\", \"providerId\": \"$provider_id\"}" |
    json_field id)"

"$standins" stripe --listen "127.0.0.1:$stripe_port" --secret-key "$stripe_secret_key" \
    --webhook "$webhook_url" "$stripe_webhook_secret" >"$workdir/standin.out" 2>&1 &
standin_pid=$!
for _ in $(seq 60); do
    kill -0 "$standin_pid" 2>/dev/null || die "the Stripe stand-in exited: $(cat "$workdir/standin.out")"
    [ "$(head -n 1 "$workdir/standin.out")" = "$stripe_base" ] && break
    sleep 0.2
done
[ "$(head -n 1 "$workdir/standin.out")" = "$stripe_base" ] || die "the Stripe stand-in did not start"

export PAYGATE_ADMIN_URL="$admin" PAYGATE_MAIN_URL="$main" PAYGATE_API_KEY="$api_key" \
    PAYGATE_SITE_ID="$site_id" PAYGATE_STRIPE_SITE_ID="$stripe_site_id" PAYGATE_STRIPE_STANDIN_URL="$stripe_base" \
    PAYGATE_ARTIFACTS="$artifacts" PAYGATE_STRIPE_SECRET_KEY="$stripe_secret_key" \
    PAYGATE_OWNER_EMAIL="$owner_email" PAYGATE_OWNER_PASSWORD="$owner_password"
# Both suites run even when the first fails, so one run reports everything.
failed=0
node stack/tests/browser/run.mjs || failed=1
node stack/tests/browser/admin-panel.mjs || failed=1
exit "$failed"
