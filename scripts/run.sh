#!/usr/bin/env bash
# Builds LeadGate in release mode (installing missing system packages) and runs `leadgate` with the
# given arguments. Without arguments it scores the committed example leads with TreeSHAP reasons.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product leadgate >&2
bin="$(swift build -c release --show-bin-path)/leadgate"
if [ "$#" -eq 0 ]; then
    set -- predict --model Tests/Fixtures/xgb-binary/model.json --input Tests/Fixtures/xgb-binary/inputs.csv --contribs
fi
exec "$bin" "$@"
