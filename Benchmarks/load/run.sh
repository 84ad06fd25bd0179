#!/usr/bin/env bash
# HTTP load test: LeadGate's POST /v1/leads/score (rerank off) against the seeds' FastAPI + xgboost
# peer (../shared/peers/fastapi-xgboost), both serving config/models/realestate/model.json on this
# machine in the same run, driven by the same wrk settings. Then a 10,000-lead batch-score.
#
# Usage: Benchmarks/load/run.sh [--no-build] [--no-peer-half] [--duration S] [--warmup S]
#   --no-build      use the existing .build-release/release/leadgate
#   --no-peer-half  skip the peer's half-peak latency run
#   --duration S    seconds per measured wrk run (default 20)
#   --warmup S      seconds of warm-up before each peak run (default 5)
# Environment: PEER_DIR (default ../shared/peers/fastapi-xgboost), VENV (the peer's venv, default
#   /tmp/peer-fastapi-venv), LOAD_JSON_OUT (default /tmp/leadgate-load.json).
# Prints a Markdown summary and writes the same figures as JSON to LOAD_JSON_OUT. Every process it
# starts is stopped on exit. Raw wrk output and server logs stay in the /tmp/leadgate-load.* folder
# it prints.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

build=1
peer_half=1
duration=20
warmup=5
threads=2
connections=64
batch_leads=10000
batch_seed=20261122
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --no-peer-half) peer_half=0 ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

peer_dir=${PEER_DIR:-$root/../shared/peers/fastapi-xgboost}
venv=${VENV:-/tmp/peer-fastapi-venv}
json_out=${LOAD_JSON_OUT:-/tmp/leadgate-load.json}
model=$root/config/models/realestate/model.json
bin=$root/.build-release/release/leadgate
tool=(python3 "$here/loadtool.py")

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---- processes we start, stopped on exit (each runs in its own process group: uvicorn has workers)
pids=()
cleanup() {
  local pid i
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
apt_updated=0
apt_install() {
  [ "$apt_updated" -eq 1 ] || { "${sudo[@]}" apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}
command -v wrk >/dev/null || { say "installing wrk"; apt_install wrk; }
command -v curl >/dev/null || { say "installing curl"; apt_install curl; }
command -v python3 >/dev/null || { say "installing python3"; apt_install python3 python3-venv; }
if [ ! -x "$venv/bin/uvicorn" ] && ! python3 -c 'import ensurepip' 2>/dev/null; then
  say "installing python3-venv (the peer's start.sh makes a venv)"
  apt_install python3-venv
fi
[ -x "$peer_dir/start.sh" ] || die "no peer at $peer_dir (set PEER_DIR)"
[ -f "$model" ] || die "no model at $model"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- build
if [ "$build" -eq 1 ]; then
  say "building LeadGate (release, scratch path .build-release; about 11 minutes the first time)"
  swift build -c release --scratch-path .build-release --product leadgate
fi
[ -x "$bin" ] || die "$bin is missing: run without --no-build"

results=$(mktemp -d /tmp/leadgate-load.XXXXXX)
say "results folder: $results"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
loadavg_before=$(loadavg)

# wait_http NAME URL PID TIMEOUT_S LOG: until URL answers 2xx; fails when the process dies.
wait_http() {
  local name=$1 url=$2 pid=$3 timeout=$4 log=$5 start=$SECONDS
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2 || true
      die "$name exited before answering $url (log: $log)"
    fi
    [ $((SECONDS - start)) -lt "$timeout" ] || { tail -n 30 "$log" >&2 || true; die "$name did not answer $url within ${timeout}s"; }
    sleep 0.5
  done
  echo "$name is up after $((SECONDS - start)) s: $url" >&2
}

# ---- the peer (first use: start.sh creates its venv, which takes a few minutes)
peer_port=$("${tool[@]}" free-port)
peer_timeout=90
[ -x "$venv/bin/uvicorn" ] || { peer_timeout=1800; say "the peer's venv is missing: start.sh will create $venv"; }
say "starting the peer on 127.0.0.1:$peer_port (WORKERS=2)"
PEER_MODEL=$model PORT=$peer_port WORKERS=2 VENV=$venv setsid "$peer_dir/start.sh" >"$results/peer.log" 2>&1 &
peer_pid=$!
pids+=("$peer_pid")
# app.py has no health route; FastAPI's generated /openapi.json answers once the workers are up.
wait_http peer "http://127.0.0.1:$peer_port/openapi.json" "$peer_pid" "$peer_timeout" "$results/peer.log"

# ---- LeadGate (serves config/models/realestate by default)
lg_port=$("${tool[@]}" free-port)
lg_log=$results/leadgate.log
say "starting LeadGate on 127.0.0.1:$lg_port (log: $lg_log)"
setsid "$bin" serve --port "$lg_port" >"$lg_log" 2>&1 &
lg_pid=$!
pids+=("$lg_pid")
wait_http leadgate "http://127.0.0.1:$lg_port/healthz" "$lg_pid" 60 "$lg_log"

lg_url=http://127.0.0.1:$lg_port/v1/leads/score
peer_url=http://127.0.0.1:$peer_port/v1/leads/score

# ---- bodies and the check that both answer 200 with the same base score
"${tool[@]}" bodies examples/lead.json "$model" "$results"
say "check: one request each"
post() { # post URL BODY_FILE RESPONSE_FILE -> prints the HTTP status
  curl -sS -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$2" "$1"
}
for side in leadgate peer peer-string; do
  sed 's/__LEAD_ID__/L-check-1/' "$results/$side.json" >"$results/$side-check-body.json"
done
lg_status=$(post "$lg_url" "$results/leadgate-check-body.json" "$results/leadgate-check.json")
peer_status=$(post "$peer_url" "$results/peer-check-body.json" "$results/peer-check.json")
read -r lg_score lg_base < <("${tool[@]}" score-of "$results/leadgate-check.json" 2>/dev/null || echo "None None")
read -r peer_score peer_base < <("${tool[@]}" score-of "$results/peer-check.json" 2>/dev/null || echo "None None")
# The same lead with property_type as a string: the peer's CATS table is empty (see loadtool.py bodies).
post "$peer_url" "$results/peer-string-check-body.json" "$results/peer-string-check.json" >/dev/null
read -r _ peer_string_base < <("${tool[@]}" score-of "$results/peer-string-check.json" 2>/dev/null || echo "None None")
echo "LeadGate: HTTP $lg_status score $lg_score base_score $lg_base" >&2
echo "peer:     HTTP $peer_status score $peer_score base_score $peer_base (property_type as its code)" >&2
echo "peer:     base_score $peer_string_base with property_type as the string" >&2
[ "$lg_status" = 200 ] && [ "$lg_score" != None ] || { cat "$results/leadgate-check.json" >&2; die "LeadGate did not score the lead"; }
[ "$peer_status" = 200 ] && [ "$peer_score" != None ] || { cat "$results/peer-check.json" >&2; die "the peer did not score the lead"; }
match=false
if [ "$lg_base" = "$peer_base" ]; then match=true; else echo "WARNING: base scores differ (LeadGate $lg_base, peer $peer_base)" >&2; fi
printf '{"leadgate_status":%s,"peer_status":%s,"leadgate_score":%s,"leadgate_base_score":%s,"peer_score":%s,"peer_base_score":%s,"match":%s,"peer_string_base_score":%s}\n' \
  "$lg_status" "$peer_status" "$lg_score" "$lg_base" "$peer_score" "$peer_base" "$match" "${peer_string_base/None/null}" >"$results/check.json"

# ---- wrk runs
# run_wrk NAME URL BODY CONNECTIONS SECONDS [DELAY_MS TARGET]: the JSON summary goes to $results/NAME.json
run_wrk() {
  local name=$1 url=$2 body=$3 conns=$4 secs=$5 delay=${6:-0} target=${7:-}
  LOAD_BODY=$body LOAD_OUT=$results/$name.json LOAD_DELAY_MS=$delay LOAD_TARGET=$target LOAD_CONNS=$conns \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/score.lua" "$url" >"$results/$name.txt" 2>&1 ||
    { cat "$results/$name.txt" >&2; die "wrk failed ($name)"; }
  grep -E 'Requests/sec|Non-2xx|Socket errors' "$results/$name.txt" >&2 || true
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
show() {
  python3 - "$1" <<'EOF' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print(f"  {r['requests_per_s']:,.0f} req/s  p50 {r['p50_us']/1000:.2f} ms  p99 {r['p99_us']/1000:.2f} ms  errors {r['errors_total']}")
EOF
}

peak() { # peak SIDE URL
  say "$1: warm-up ${warmup}s, then wrk -t$threads -c$connections -d${duration}s --latency"
  run_wrk "$1-warmup" "$2" "$results/$1.json" "$connections" "$warmup"
  run_wrk "$1-peak" "$2" "$results/$1.json" "$connections" "$duration"
  show "$results/$1-peak.json"
}

# half SIDE URL: closed loop with a think time; the connection count is calibrated with short runs
# so that the offered rate is about half of SIDE's measured peak.
half() {
  local side=$1 url=$2 target conns achieved round think_ms
  target=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["requests_per_s"] / 2))' "$results/$side-peak.json")
  think_ms=$("${tool[@]}" think-ms "$target")
  # first guess: at peak the p50 is mostly queueing, so take a quarter of it as the unloaded latency
  conns=$("${tool[@]}" half-conns "$target" "$think_ms" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["p50_us"] / 4)' "$results/$side-peak.json")")
  for round in 1 2; do
    run_wrk "$side-half-calibrate$round" "$url" "$results/$side.json" "$conns" 5 "$think_ms" "$target"
    achieved=$(field "$results/$side-half-calibrate$round.json" requests_per_s)
    echo "calibration $round: $conns connections -> $achieved req/s (target $target)" >&2
    conns=$(python3 -c 'import sys; t,a,c=map(float,sys.argv[1:]); n=max(2,min(4000,round(c*t/a))) if a>0 else int(c); print(n+n%2)' "$target" "$achieved" "$conns")
  done
  say "$side at half its peak: target $target req/s, $conns connections, ${think_ms} ms think time, ${duration}s"
  run_wrk "$side-half" "$url" "$results/$side.json" "$conns" "$duration" "$think_ms" "$target"
  show "$results/$side-half.json"
}

peak leadgate "$lg_url"
peak peer "$peer_url"
half leadgate "$lg_url"
[ "$peer_half" -eq 0 ] || half peer "$peer_url"

# ---- batch
say "batch: $batch_leads leads to /v1/leads/batch-score, three times"
"${tool[@]}" batch "$batch_leads" "$batch_seed" "$results/batch-body.json"
batch_url=http://127.0.0.1:$lg_port/v1/leads/batch-score
# `Expect:` turns off curl's `Expect: 100-continue` for large bodies. LeadGate answers 100 Continue at
# once (a server that did not would cost curl's 1 s wait); one extra request with the header checks it.
times=() codes=()
for i in 1 2 3; do
  read -r code t < <(curl -sS -o "$results/batch-response-$i.json" -w '%{http_code} %{time_total}\n' -H 'Expect:' \
    -H 'Content-Type: application/json' --data-binary "@$results/batch-body.json" "$batch_url")
  read -r count scored failed < <("${tool[@]}" batch-counts "$results/batch-response-$i.json")
  echo "  #$i: HTTP $code in $t s; count $count scored $scored failed $failed" >&2
  times+=("$t") codes+=("$code")
done
read -r expect_code expect_t expect_start < <(curl -sS -o /dev/null -w '%{http_code} %{time_total} %{time_starttransfer}\n' \
  -H 'Content-Type: application/json' --data-binary "@$results/batch-body.json" "$batch_url")
echo "  with curl's default Expect: 100-continue: HTTP $expect_code in $expect_t s (first response byte at $expect_start s)" >&2
printf '{"leads":%d,"body_bytes":%d,"response_bytes":%d,"times_s":[%s],"http_codes":[%s],"count":%s,"scored":%s,"failed":%s,"expect_100_continue":{"http_code":%s,"time_s":%s,"starttransfer_s":%s}}\n' \
  "$batch_leads" "$(stat -c %s "$results/batch-body.json")" "$(stat -c %s "$results/batch-response-3.json")" \
  "$(IFS=,; echo "${times[*]}")" "$(IFS=,; echo "${codes[*]}")" "$count" "$scored" "$failed" \
  "$expect_code" "$expect_t" "$expect_start" >"$results/batch.json"

# ---- LeadGate's health after the run, then the summary
lg_alive=false
kill -0 "$lg_pid" 2>/dev/null && curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$lg_port/healthz" && lg_alive=true
log_lines=$(wc -l <"$lg_log")
log_errors=$(grep -cE '"level":"(error|critical)"' "$lg_log" || true)
python3 - "$results/meta.json" <<EOF
import json, sys
json.dump({
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
    "nproc": $(nproc), "loadavg_before": "$loadavg_before", "loadavg_after": "$(loadavg)",
    "wrk_peak_args": "-t$threads -c$connections -d${duration}s --latency", "warmup_s": $warmup,
    "peer_workers": 2, "model": "config/models/realestate/model.json",
    "leadgate_log_lines": $log_lines, "leadgate_handler_ms": $("${tool[@]}" handler-ms "$lg_log"), "leadgate_log_errors": ${log_errors:-0},
    "leadgate_alive": $( [ "$lg_alive" = true ] && echo True || echo False ), "results_dir": "$results",
}, open(sys.argv[1], "w"), indent=2)
EOF
say "summary"
"${tool[@]}" summary "$results" "$json_out" | tee "$results/summary.md"
echo >&2
echo "JSON: $json_out; raw output and logs: $results" >&2
