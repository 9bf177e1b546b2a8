# Shell helpers shared by Paygate's test scripts (test.sh, fuzz.sh, browser.sh). Source it
# after `cd`-ing to the repository root; `die` names the sourcing script.

die() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    # `apt-get update` is slow, so it runs only when the install fails without it (a fresh
    # machine has no package lists yet).
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}

pip_install() {
    # A Debian-managed Python refuses system-wide installs (PEP 668); a user install is fine.
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
    python3 -m pip install --quiet "$@" || python3 -m pip install --quiet --user --break-system-packages "$@"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Builds the `paygate` binary and prepares the environment of a throwaway `paygate all`
# (embedded store and in-process queue under `$1`, every listener on a free loopback port,
# IPN to private addresses allowed, fast retries, VIES off). Sets `paygate`, `target_dir`,
# `admin` and `main` (the two edges' base URLs).
prepare_local_gateway() {
    local data_dir=$1 admin_port main_port
    target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
    # PAYGATE_PREBUILT_BIN: a paygate binary built already (no build here).
    if [ -n "${PAYGATE_PREBUILT_BIN:-}" ]; then
        paygate="$PAYGATE_PREBUILT_BIN"
    else
        cargo build --quiet -p paygate
        paygate="$target_dir/debug/paygate"
    fi
    admin_port="$(free_port)"
    main_port="$(free_port)"
    export PAYGATE_DATA_DIR="$data_dir"
    export PAYGATE_CORE_ADDR="127.0.0.1:$(free_port)"
    export PAYGATE_PDF_ADDR="127.0.0.1:$(free_port)"
    export PAYGATE_ADMIN_ADDR="127.0.0.1:$admin_port"
    export PAYGATE_MAIN_ADDR="127.0.0.1:$main_port"
    export PAYGATE_VIES_URL=off
    export PAYGATE_IPN_ALLOW_PRIVATE=1
    export PAYGATE_IPN_FAST_RETRIES=1
    unset PAYGATE_MONGODB_URI PAYGATE_REDIS_URL
    admin="http://127.0.0.1:$admin_port"
    main="http://127.0.0.1:$main_port"
}
