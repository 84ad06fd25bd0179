#!/usr/bin/env bash
# Voice-agent load test, on a real redis-server started here, with the FastAPI + xgboost peer
# (../shared/peers/fastapi-xgboost) in the same run:
#   1. event → new score: POST /v1/leads/{id}/events (one event per request, unique ids, 1,000 leads)
#      at about 1,000 requests/s, with the LLM step on (a 200 ms stand-in LLM refreshes every lead in
#      the background): the response carries the new model score (target p99 ≤ 20 ms). The peer has
#      no events: its way to a new score is to POST the lead again (options.rerank false, so it does
#      not wait on its LLM either), at the same pacing.
#   2. live-score reads: GET /v1/leads/{id}/score over 1,000 leads at about 5,000 requests/s, alone and
#      while the events of 1. keep arriving (target p99 ≤ 2 ms), against GET /healthz (the floor of a
#      request on this machine with wrk on the same cores).
#   3. score streams: the time from sending an event to its new score arriving on an open stream
#      (Benchmarks/load/stream_latency.py), on the same gateway and through a second gateway on the
#      same Redis (pub/sub).
# Usage: Benchmarks/load/voice.sh [--no-build] [--duration S]
set -euo pipefail
bench=voice
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
line() { grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors" "$1" | tr -s ' ' | tr '\n' ' '; }

rport=$(port); up=$(port); gw=$(port); gw2=$(port); pp=$(port)
start_redis "$rport"
python3 "$here/mock_llm.py" --port "$up" --delay-ms 200 & pids+=($!)
printf 'llm:\n  prompt: %s\n  breaker:\n    consecutive_failures: 0\n' "$root/prompts/lead-adjust.prompt" > "$work/leadgate.yaml"
start_gateway "$gw" "$work/leadgate.yaml" "$work/leadgate.log" "$rport" "$up"
start_gateway "$gw2" "$work/leadgate.yaml" "$work/leadgate2.log" "$rport" "$up"
start_peer "$pp" "$rport" "$up"
wait_http "http://127.0.0.1:$gw/healthz"
wait_http "http://127.0.0.1:$gw2/healthz"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
base = json.load(open("examples/lead.json"))
for prefix in ("EV", "LIVE"):
    batch = {"leads": [dict(base, lead_id=f"{prefix}-{i}", options={"rerank": False}) for i in range(1, 1001)]}
    json.dump(batch, open(f"{work}/{prefix.lower()}-batch.json", "w"))
lead = dict(base, lead_id="__LEAD_ID__", options={"rerank": False})
json.dump(lead, open(f"{work}/peer-lead.json", "w"))
PY
for prefix in ev live; do
  curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$work/$prefix-batch.json" "http://127.0.0.1:$gw/v1/leads/batch-score"
done
if [ "$peer" = 1 ]; then wait_http "http://127.0.0.1:$pp/docs"; fi
sleep 0.5

echo "## Voice agents under load ($(date -u +%FT%TZ); $(nproc) cores; redis-server $(redis-server --version | grep -o 'v=[0-9.]*'); raw output: $work)"
echo "### 1. event → new score (8 connections, 8 ms think time; the LLM refreshes in the background)"
LOAD_IDS=1000 LOAD_DELAY_MS=8 wrk -t2 -c8 -d3s -s "$here/events.lua" "http://127.0.0.1:$gw" >/dev/null 2>&1 || true
LOAD_IDS=1000 LOAD_DELAY_MS=8 $client wrk -t2 -c8 -d"${duration}s" --latency -s "$here/events.lua" "http://127.0.0.1:$gw" >"$work/events.txt" 2>&1
echo "    leadgate events:     $(line "$work/events.txt")"
curl -s "http://127.0.0.1:$gw/metrics" | grep -E '^leadgate_(events_total|rerank_total)' | sed 's/^/      /'
if [ "$peer" = 1 ]; then
  LOAD_BODY="$work/peer-lead.json" LOAD_DELAY_MS=8 wrk -t2 -c8 -d3s -s "$here/score.lua" "http://127.0.0.1:$pp" >/dev/null 2>&1 || true
  LOAD_BODY="$work/peer-lead.json" LOAD_DELAY_MS=8 $client wrk -t2 -c8 -d"${duration}s" --latency -s "$here/score.lua" "http://127.0.0.1:$pp" >"$work/peer-score.txt" 2>&1
  echo "    peer, the lead again: $(line "$work/peer-score.txt")"
fi

echo "### 2. live-score reads (1,000 leads, 56 connections, 10 ms think time: about 5,000 req/s)"
LOAD_IDS=1000 LOAD_DELAY_MS=10 wrk -t2 -c50 -d3s -s "$here/live.lua" "http://127.0.0.1:$gw" >/dev/null 2>&1 || true
LOAD_IDS=1000 LOAD_DELAY_MS=10 $client wrk -t2 -c56 -d"${duration}s" --latency -s "$here/live.lua" "http://127.0.0.1:$gw" >"$work/live.txt" 2>&1
LOAD_DELAY_MS=10 $client wrk -t2 -c56 -d"${duration}s" --latency -s "$here/health.lua" "http://127.0.0.1:$gw" >"$work/health.txt" 2>&1
echo "    live alone:          $(line "$work/live.txt")"
echo "    /healthz (floor):    $(line "$work/health.txt")"
LOAD_IDS=1000 LOAD_DELAY_MS=10 $client wrk -t2 -c20 -d"${duration}s" --latency -s "$here/live.lua" "http://127.0.0.1:$gw" >"$work/live-20.txt" 2>&1
LOAD_DELAY_MS=10 $client wrk -t2 -c20 -d"${duration}s" --latency -s "$here/health.lua" "http://127.0.0.1:$gw" >"$work/health-20.txt" 2>&1
echo "    at about 2,000 req/s (20 connections): live $(line "$work/live-20.txt")"
echo "                                        /healthz $(line "$work/health-20.txt")"
LOAD_IDS=1000 LOAD_DELAY_MS=8 wrk -t1 -c4 -d"${duration}s" -s "$here/events.lua" "http://127.0.0.1:$gw" >"$work/events-mixed.txt" 2>&1 &
mixed=$!
LOAD_IDS=1000 LOAD_DELAY_MS=10 $client wrk -t2 -c56 -d"${duration}s" --latency -s "$here/live.lua" "http://127.0.0.1:$gw" >"$work/live-mixed.txt" 2>&1
wait $mixed || true
echo "    live, with ~450 events/s arriving: $(line "$work/live-mixed.txt")"
echo "    (the events meanwhile:            $(line "$work/events-mixed.txt"))"
if [ "$peer" = 1 ]; then
  echo "    peer: no live-score read (the nearest is a score request; see 1.)"
fi

echo "### 3. score streams: event sent → its new score on an open stream (200 changes each)"
for lead in STREAM-1 STREAM-2; do
  curl -s -o /dev/null -H 'Content-Type: application/json' \
    --data-binary "$(python3 -c 'import json,sys; d=json.load(open("examples/lead.json")); d["lead_id"]=sys.argv[1]; d["options"]={"rerank": False}; print(json.dumps(d))' $lead)" \
    "http://127.0.0.1:$gw/v1/leads/score"
done
echo "    same gateway:          $(python3 "$here/stream_latency.py" --stream "http://127.0.0.1:$gw" --post "http://127.0.0.1:$gw" --lead STREAM-1)"
echo "    through another gateway (Redis pub/sub): $(python3 "$here/stream_latency.py" --stream "http://127.0.0.1:$gw2" --post "http://127.0.0.1:$gw" --lead STREAM-2)"
