#!/usr/bin/env bash
# LLM-step load test: LeadGate's POST /v1/leads/score with the LLM step on, against a mock
# OpenAI-compatible upstream (Benchmarks/load/mock_llm.py) on the same machine.
#   1. upstream answering in 100 ms: LeadGate's latency minus 100 ms is the gateway's overhead
#      (target p50 ≤ 2 ms), at 50 concurrent requests;
#   2. upstream that accepts and never answers: every response must still come within the 500 ms
#      budget (target p100 ≤ 515 ms) at 200 concurrent requests;
#   3. the same hanging upstream at 1,000 concurrent requests, with the gateway's thread count.
# Usage: Benchmarks/load/llm.sh [--no-build] [--duration S] [--only NAME]
set -euo pipefail
bench=llm
duration=15
options=(--only)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
only=${option[--only]:-}
# LLM_BENCH_NO_NICE: measure with wrk at normal priority.
if [ -n "${LLM_BENCH_NO_NICE:-}" ]; then client=""; fi
python3 -c "
import json; b=json.load(open('examples/lead.json')); b['lead_id']='__LEAD_ID__'
open('$work/body.json','w').write(json.dumps(b))"

# The breaker stays closed here, so that every request really waits on the upstream.
printf 'llm:\n  prompt: %s\n  breaker:\n    consecutive_failures: 0\n' "$root/prompts/lead-adjust.prompt" > "$work/leadgate.yaml"
printf '{"model":"m","messages":[{"role":"user","content":"x"}]}' > "$work/direct.json"

run_case() {  # name, upstream flags, connections
  local name=$1 flags=$2 conns=$3 up gw
  if [ -n "$only" ] && [ "$only" != "$name" ]; then return 0; fi
  up=$(port); gw=$(port)
  python3 "$here/mock_llm.py" --port "$up" $flags & pids+=($!)
  sleep 0.5
  if [ "$flags" != "--hang" ]; then
    # The upstream alone, same concurrency: what the gateway's overhead is measured against.
    LOAD_BODY="$work/direct.json" LOAD_PATH=/v1/chat/completions wrk -t2 -c"$conns" -d"${duration}s" --latency \
      -s "$here/direct.lua" "http://127.0.0.1:$up" > "$work/$name-direct.txt" 2>&1 || true
    echo "### $name: the upstream alone ($conns connections)"
    grep -E "Requests/sec|50%|99%" "$work/$name-direct.txt" | sed 's/^/    /'
  fi
  LEADGATE_LLM_BASE_URL="http://127.0.0.1:$up/v1" "$bin" serve --config "$work/leadgate.yaml" --port "$gw" \
    --models "$root/config/models" 2>"$work/$name.log" & pids+=($!)
  local gpid=$!
  wait_http "http://127.0.0.1:$gw/healthz"
  LOAD_BODY="$work/body.json" wrk -t2 -c"$conns" -d3s -s "$here/score.lua" "http://127.0.0.1:$gw" >/dev/null 2>&1 || true
  local before; before=$(ls /proc/$gpid/task | wc -l)
  # With tcpdump (root), the wire shows what wrk cannot: first requests of new connections apart.
  local capture=""
  if command -v tcpdump >/dev/null && [ "$(id -u)" -eq 0 ]; then
    tcpdump -i lo -nn -s 128 -w "$work/$name.pcap" "tcp port $gw" 2>/dev/null & capture=$!
    sleep 0.5
  fi
  LOAD_BODY="$work/body.json" $client wrk -t2 -c"$conns" -d"${duration}s" --timeout 5s --latency -s "$here/score.lua" "http://127.0.0.1:$gw" \
    > "$work/$name.txt" 2>&1
  local after; after=$(ls /proc/$gpid/task | wc -l)
  if [ -n "$capture" ]; then sleep 0.3; kill "$capture" 2>/dev/null || true; wait "$capture" 2>/dev/null || true; fi
  curl -s "http://127.0.0.1:$gw/metrics" > "$work/$name.metrics"
  echo "### $name ($conns connections, ${duration}s)"
  grep -E "Requests/sec|Latency |50%|99%|Non-2xx|Socket errors" "$work/$name.txt" | sed 's/^/    /'
  python3 - "$work/$name.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text)
print(f"    max latency (p100): {m.group(1) if m else '?'}")
PY
  grep -E '^leadgate_rerank_total' "$work/$name.metrics" | sed 's/^/    /'
  python3 - "$work/$name.log" <<'PY'
import json, sys
d = []
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("msg") == "request" and j.get("route") == "/v1/leads/score":
        d.append(float(j["duration_ms"]))
d.sort()
if d:
    n = len(d)
    print(f"    inside the gateway (its request log, {n} requests): p50 {d[n // 2]:.1f} ms, p99 {d[int(n * 0.99)]:.1f} ms, max {d[-1]:.1f} ms")
PY
  if [ -n "$capture" ]; then python3 "$here/wire_latency.py" "$work/$name.pcap" "$gw"; fi
  echo "    gateway threads: $before before the run, $after after"
  kill "$gpid" 2>/dev/null || true
  sleep 0.3
}

echo "## LLM step under load ($(date -u +%FT%TZ); $(nproc) cores; log and raw output: $work)"
run_case upstream-100ms "--delay-ms 100" 50
run_case upstream-hanging "--hang" 200
run_case upstream-hanging-1000 "--hang" 1000
