#!/usr/bin/env bash
# Store load test, on a real redis-server started here, with LeadGate and the FastAPI + xgboost peer
# (../shared/peers/fastapi-xgboost) in the same run:
#   1. the cached path: the same lead again and again with the LLM step on (every answer is a cache
#      hit) against the same lead with options.rerank false (no LLM step at all), same pacing; the
#      difference of the p50s is what a cache hit adds (target ≤ 0.3 ms). The peer does the same.
#   2. live-score reads: GET /v1/leads/{id}/score over 1,000 leads at about 5,000 requests/s
#      (target p99 ≤ 2 ms).
#   3. a batch's lookups: 10,000 cached answers in one round trip (leadgate store-bench), against the
#      peer's Redis client (Benchmarks/load/peer_store.py) on the same Redis.
# Usage: Benchmarks/load/store.sh [--no-build] [--duration S]
set -euo pipefail
bench=store
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
summary() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"{d['requests_per_s']:.0f} req/s, p50 {d['p50_us']/1000:.3f} ms, p99 {d['p99_us']/1000:.3f} ms, errors {d['errors_total']}\")" "$1"; }
p50() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['p50_us']/1000)" "$1"; }

rport=$(port); up=$(port); gw=$(port); gw2=$(port); pp=$(port)
start_redis "$rport"
python3 "$here/mock_llm.py" --port "$up" --delay-ms 50 & pids+=($!)
printf 'llm:\n  prompt: %s\n  breaker:\n    consecutive_failures: 0\nredis:\n  pool_size: %s\n' "$root/prompts/lead-adjust.prompt" "${STORE_POOL_SIZE:-4}" > "$work/leadgate.yaml"
start_gateway "$gw" "$work/leadgate.yaml" "$work/leadgate.log" "$rport" "$up"
# The same gateway without its near copy of cached answers: every hit is a Redis round trip.
{ cat "$work/leadgate.yaml"; printf 'cache:\n  local_ttl_s: 0\n'; } > "$work/leadgate-redis-only.yaml"
start_gateway "$gw2" "$work/leadgate-redis-only.yaml" "$work/leadgate-redis-only.log" "$rport" "$up"
start_peer "$pp" "$rport" "$up"
wait_http "http://127.0.0.1:$gw/healthz"
wait_http "http://127.0.0.1:$gw2/healthz"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
lead = json.load(open("examples/lead.json"))
lead["lead_id"] = "BENCH-CACHED"
json.dump(lead, open(f"{work}/cached.json", "w"))
lead["options"] = dict(lead.get("options") or {}, rerank=False)
json.dump(lead, open(f"{work}/skipped.json", "w"))
batch = {"leads": [dict(json.load(open("examples/lead.json")), lead_id=f"LIVE-{i}", options={"rerank": False}) for i in range(1, 1001)]}
json.dump(batch, open(f"{work}/live-batch.json", "w"))
PY
if [ "$peer" = 1 ]; then wait_http "http://127.0.0.1:$pp/docs"; fi

echo "## Store under load ($(date -u +%FT%TZ); $(nproc) cores; redis-server $(redis-server --version | grep -o 'v=[0-9.]*'); raw output: $work)"
run() {  # name, url, body, connections, delay ms
  for _ in 1 2; do curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$3" "$2/v1/leads/score"; done
  LOAD_BODY="$3" LOAD_DELAY_MS="$5" LOAD_OUT="$work/$1.json" wrk -t2 -c"$4" -d3s -s "$here/score.lua" "$2" >/dev/null 2>&1 || true
  LOAD_BODY="$3" LOAD_DELAY_MS="$5" LOAD_OUT="$work/$1.json" wrk -t2 -c"$4" -d"${duration}s" -s "$here/score.lua" "$2" >"$work/$1.txt" 2>&1
}
echo "### 1. cached path (the same lead, 8 connections, 2 ms think time)"
curl -s -H 'Content-Type: application/json' --data-binary @"$work/cached.json" "http://127.0.0.1:$gw/v1/leads/score" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["rerank"]; print("    leadgate first answer:", r["status"])'
run lg-cached "http://127.0.0.1:$gw" "$work/cached.json" 8 2
run lg-cached-redis "http://127.0.0.1:$gw2" "$work/cached.json" 8 2
run lg-skipped "http://127.0.0.1:$gw" "$work/skipped.json" 8 2
curl -s -H 'Content-Type: application/json' --data-binary @"$work/cached.json" "http://127.0.0.1:$gw/v1/leads/score" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["rerank"]; print("    leadgate answer under load:", r["status"])'
echo "    leadgate, cache hit (near copy):   $(summary "$work/lg-cached.json")"
echo "    leadgate, cache hit (Redis):       $(summary "$work/lg-cached-redis.json")"
echo "    leadgate, no LLM step:             $(summary "$work/lg-skipped.json")"
lg_delta=$(python3 -c "print(f'{$(p50 "$work/lg-cached.json") - $(p50 "$work/lg-skipped.json"):.3f}')")
lg_delta_redis=$(python3 -c "print(f'{$(p50 "$work/lg-cached-redis.json") - $(p50 "$work/lg-skipped.json"):.3f}')")
echo "    **leadgate: a cache hit adds $lg_delta ms at p50 from the near copy, $lg_delta_redis ms from Redis** (target ≤ 0.3 ms)"
if [ "$peer" = 1 ]; then
  run peer-cached "http://127.0.0.1:$pp" "$work/cached.json" 8 2
  run peer-skipped "http://127.0.0.1:$pp" "$work/skipped.json" 8 2
  curl -s -H 'Content-Type: application/json' --data-binary @"$work/cached.json" "http://127.0.0.1:$pp/v1/leads/score" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["rerank"]; print("    peer answer under load:", r["status"])'
  echo "    peer, cache hit:            $(summary "$work/peer-cached.json")"
  echo "    peer, no LLM step:          $(summary "$work/peer-skipped.json")"
  peer_delta=$(python3 -c "print(f'{$(p50 "$work/peer-cached.json") - $(p50 "$work/peer-skipped.json"):.3f}')")
  echo "    peer: a cache hit adds $peer_delta ms at p50"
  python3 -c "print(f'    cache-hit request p50, peer / leadgate: {$(p50 "$work/peer-cached.json") / $(p50 "$work/lg-cached.json"):.1f}x')"
fi

echo "### 2. live-score reads from Redis (1,000 leads), against GET /healthz (no store: the floor of a request here)"
curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$work/live-batch.json" "http://127.0.0.1:$gw/v1/leads/batch-score"
sleep 0.5
LOAD_IDS=1000 LOAD_DELAY_MS=10 wrk -t2 -c50 -d3s -s "$here/live.lua" "http://127.0.0.1:$gw" >/dev/null 2>&1 || true
for shape in "56 10" "12 1"; do  # connections, think time (ms): about 5,000 and 6,000 req/s
  set -- $shape
  echo "    $1 connections, $2 ms think time:"
  LOAD_IDS=1000 LOAD_DELAY_MS=$2 $client wrk -t2 -c"$1" -d"${duration}s" --latency -s "$here/live.lua" "http://127.0.0.1:$gw" >"$work/live-$1.txt" 2>&1
  LOAD_DELAY_MS=$2 $client wrk -t2 -c"$1" -d"${duration}s" --latency -s "$here/health.lua" "http://127.0.0.1:$gw" >"$work/health-$1.txt" 2>&1
  for name in live health; do
    printf '      %-7s %s\n' "$name" "$(grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" "$work/$name-$1.txt" | tr -s ' ' | tr '\n' ' ')"
  done
done

echo "### 3. a batch's lookups: 10,000 cached answers in one round trip"
"$bin" store-bench --redis "redis://127.0.0.1:$rport/2" --keys 10000 | sed 's/^/    leadgate: /'
if [ -x "$venv/bin/python" ]; then
  "$venv/bin/python" "$here/peer_store.py" --redis "redis://127.0.0.1:$rport/3" --keys 10000 | sed 's/^/    /'
fi
