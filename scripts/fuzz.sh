#!/usr/bin/env bash
# Fuzzes Paygate's REST APIs against their own OpenAPI documents.
#
# Starts a real `paygate all` (debug build, embedded store, in-process queue) with a
# bootstrapped organization, validates both generated documents (openapi-spec-validator),
# pays a few checkouts so transactions exist, then runs schemathesis against the Admin API
# and the checkout runtime API: examples, coverage, fuzzing and a stateful phase that
# follows the documents' OpenAPI links (checkout → transaction → capture/cancel/refund →
# transaction). Any server error, schema violation or undocumented status fails the run.
#
# Installs the pinned Python tools it needs. Run on its own or as a phase of scripts/test.sh.
#
# Environment:
#   PAYGATE_FUZZ_EXAMPLES=N   test cases per operation and phase (default 30)
#   PAYGATE_FUZZ_SEED=N       schemathesis seed (default 1; fixed so CI runs are reproducible)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SCHEMATHESIS_VERSION=4.32.5
SPEC_VALIDATOR_VERSION=0.9.0
examples="${PAYGATE_FUZZ_EXAMPLES:-30}"
seed="${PAYGATE_FUZZ_SEED:-1}"

python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" \
    2>/dev/null || pip_install "schemathesis==$SCHEMATHESIS_VERSION"
python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$SPEC_VALIDATOR_VERSION')" \
    2>/dev/null || pip_install "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/paygate-fuzz.XXXXXX")"
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

credentials="$("$paygate" bootstrap --org "Fuzz" --site "Fuzz shop")"
api_key="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$credentials")"
site_id="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["siteId"])' <<<"$credentials")"

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

# Both documents must be valid OpenAPI 3.1 before anything is generated from them.
python3 - "$admin" "$main" <<'EOF'
import json, sys, urllib.request
from openapi_spec_validator import validate
for base in sys.argv[1:]:
    document = json.load(urllib.request.urlopen(base + "/api/v1/openapi.json"))
    assert document["openapi"].startswith("3.1"), document["openapi"]
    validate(document)
    print(f"{base}/api/v1/openapi.json: valid OpenAPI {document['openapi']}, {len(document['paths'])} paths")
EOF

# Transactions in every state the stateful phase can act on: succeeded (refunds),
# requires_capture (capture, cancel) and failed; the paid ones for a customer record, who gets
# a subscription and a portal session, so the portal API is fuzzed with a real session.
seeded="$(python3 - "$admin" "$main" "$api_key" "$site_id" <<'EOF'
import json, sys, time, urllib.request
admin, main, key, site = sys.argv[1:]
def call(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request) as response:
        return json.load(response)
customer = call("POST", f"{admin}/api/v1/customers", {"name": "Fuzz customer"},
                {"Authorization": f"Bearer {key}"})["id"]
for capture, token in [("automatic", "tok_visa"), ("automatic", "tok_visa"), ("manual", "tok_visa"),
                       ("manual", "tok_visa"), ("automatic", "tok_chargeDeclined")]:
    # The IPN receiver refuses the POST: failed deliveries to list and resend.
    checkout = call("POST", f"{admin}/api/v1/checkouts/{site}/create",
                    {"amount": 5000, "currency": "EUR", "captureMethod": capture, "customerId": customer,
                     "ipnUrl": f"{main}/api/v1/openapi.json"},
                    {"Authorization": f"Bearer {key}"})
    call("POST", f"{main}/api/v1/checkouts/{checkout['id']}/pay", {"paymentMethod": token})
    for _ in range(100):
        status = call("GET", f"{main}/api/v1/checkouts/{checkout['id']}/status")
        if status["transaction"]["status"] not in ("pending", "processing"):
            break
        time.sleep(0.1)
open_checkout = call("POST", f"{admin}/api/v1/checkouts/{site}/create",
                     {"amount": 5000, "currency": "EUR", "lineItems": [{"name": "Fuzz", "amount": 5000}]},
                     {"Authorization": f"Bearer {key}"})
plan = call("POST", f"{admin}/api/v1/plans", {"name": "Fuzz plan", "amount": 900, "currency": "EUR",
                                              "interval": "month"}, {"Authorization": f"Bearer {key}"})
call("POST", f"{admin}/api/v1/subscriptions", {"customerId": customer, "planId": plan["id"], "siteId": site,
                                               "paymentMethod": "tok_visa"}, {"Authorization": f"Bearer {key}"})
portal = call("POST", f"{admin}/api/v1/portal/sessions", {"customerId": customer},
              {"Authorization": f"Bearer {key}"})
print(open_checkout["id"], portal["token"])
EOF
)"
read -r open_checkout portal_token <<<"$seeded"
echo "seeded 5 paid checkouts, the open checkout $open_checkout, a subscription and a portal session"

# The checkout runtime API has no route that creates a checkout: its id-taking routes get
# the open one (the first successful pay moves it on; later ones must answer 409).
cat >"$workdir/main.toml" <<EOF
[[operations]]
include-operation-id-regex = "^(getPublicCheckout|getCheckoutStatus|pay)\$"
parameters = { "path.id" = "$open_checkout" }
EOF

# The key revocation route is exercised with keys the run creates itself (stateful link
# from createApiKey); revoking the run's own key would turn every later call into a 401.
common=(
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance
    --max-examples "$examples"
    --seed "$seed"
    --workers 1
    --request-timeout 30
    --suppress-health-check too_slow,filter_too_much
)
status=0
# schemathesis and hypothesis keep caches in the working directory: keep them out of the
# repository, and start every run from nothing so a run depends only on its seed.
cd "$workdir"
echo "== schemathesis: Admin API =="
schemathesis run "$admin/api/v1/openapi.json" "${common[@]}" \
    --header "Authorization: Bearer $api_key" \
    --exclude-operation-id revokeApiKey \
    --report junit --report-dir "$workdir/report-admin" || status=1
echo "== schemathesis: checkout runtime API =="
# The portal token goes with every call (the checkout routes ignore it); logging out would end
# the session the rest of the run uses.
schemathesis --config-file "$workdir/main.toml" run "$main/api/v1/openapi.json" "${common[@]}" \
    --header "Authorization: Bearer $portal_token" \
    --exclude-operation-id logOutOfPortal \
    --report junit --report-dir "$workdir/report-main" || status=1

# A panic answered as a 500 is caught above; one on a background task only shows here.
if grep -q 'panicked' "$workdir/paygate.log"; then
    echo "paygate panicked during the run:" >&2
    grep -A 5 'panicked' "$workdir/paygate.log" | head -n 40 >&2
    status=1
fi
exit "$status"
