#!/usr/bin/env bash
# Installs the system packages LeadGate builds and tests against, when they are missing.
# Debian/Ubuntu only; uses sudo when not root. Swift 6 itself must already be installed.
set -euo pipefail

# libxgboost-dev: `leadgate train` trains with the real xgboost through its C API.
# postgresql: the tests start their own server (initdb in a temporary folder, a free loopback port);
# the package's own cluster is not needed, so it is stopped if the install started it.
packages=(libcurl4-openssl-dev libhiredis-dev libssl-dev libxgboost-dev redis-server postgresql pkg-config curl python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
        $sudo service postgresql stop >/dev/null 2>&1 || true
    fi
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH; install Swift 6 (https://www.swift.org/install/linux/) first" >&2
    exit 1
fi
