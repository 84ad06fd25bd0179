#!/usr/bin/env bash
# Builds LeadGate in release mode (installing missing system packages) and runs `leadgate` with the
# given arguments. Without arguments it serves the embedded default model on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product leadgate >&2
bin="$(swift build -c release --show-bin-path)/leadgate"
if [ "$#" -eq 0 ]; then
    set -- serve
fi
exec "$bin" "$@"
