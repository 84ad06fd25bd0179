#!/usr/bin/env bash
# Drives a release build of LeadGate with schemathesis (https://schemathesis.io), from its own
# /openapi.json: every operation, a few hundred generated requests, all checks (status codes and
# content types the document declares, response bodies against their schemas, no 5xx, ...), with
# auth on and a test key that has every scope. Exits non-zero when schemathesis finds a failure.
#
# Usage: scripts/schemathesis.sh [--no-build] [--max-examples N]
#   --no-build        reuse .build-release
#   --max-examples N  generated cases per operation (default 25)
# Needs python3 with venv; installs schemathesis into .build/venv-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
examples=25
while (($#)); do
    case "$1" in
    --no-build) build=0 ;;
    --max-examples) examples=$2; shift ;;
    *) echo "schemathesis.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

venv=.build/venv-tools
scripts/python-tools.sh "$venv" >&2
if ((build)); then
    echo "== building LeadGate (release)" >&2
    swift build -c release --build-path .build-release >&2
fi
bin=.build-release/release/leadgate

work=$(mktemp -d)
gateway=""
redis=""
cleanup() {
    if [ -n "$gateway" ]; then kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true; fi
    if [ -n "$redis" ]; then kill "$redis" 2>/dev/null || true; wait "$redis" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A Redis of its own, so that the job routes run for real (jobs are shared through it).
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis=$!
cp -R config/models "$work/models"  # promotions write rollout.json beside the models
key="schemathesis-$(date +%s)-$RANDOM"
cat >"$work/leadgate.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
auth:
  mode: api_key
  api_keys:
    - { name: schemathesis, key_env: LEADGATE_TEST_API_KEY, scopes: [crm.write.leads, crm.read.leads, prompts.admin] }
models:
  directory: $work/models
records:
  path: $work/records.sqlite
redis:
  url: redis://127.0.0.1:$redis_port/0
jobs:
  chunk_size: 50
logging:
  level: warning
YAML
echo "== starting LeadGate on 127.0.0.1:$port (auth on, Redis, records in a temporary SQLite file, no LLM)" >&2
LEADGATE_TEST_API_KEY=$key "$bin" serve --config "$work/leadgate.yaml" >"$work/gateway.log" 2>&1 &
gateway=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/gateway.log" >&2; echo "the gateway did not start" >&2; exit 1; }

echo "== schemathesis: every operation, $examples cases each, all checks" >&2
status=0
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$(pwd)/scripts" "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --header "X-API-Key: $key" --checks all --max-examples "$examples" --seed 2026 \
    --request-timeout 3 --no-color --warnings off || status=$?
if ! kill -0 "$gateway" 2>/dev/null; then
    echo "the gateway exited during the run:" >&2
    tail -20 "$work/gateway.log" >&2
    exit 1
fi
exit "$status"
