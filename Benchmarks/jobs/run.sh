#!/usr/bin/env bash
# Bulk-job benchmark: LEADS leads (default 1,000,000) from an NDJSON file, scored and explained with
# the LLM off, by two gateways on one Redis (this machine's two cores shared by both, Redis and the
# uploader). Reports the end-to-end time (upload start to the job's end, then the results read
# back), leads per second, each gateway's peak RSS, Redis's peak memory, and the bytes one live lead
# takes in Redis (measured first, at 100,000 live leads).
# Usage: run.sh [LEADS]
# Env: LEADGATE (binary, default the repository's .build-release), BENCH (scratch dir), RECORDS
# (on|off, default on: each gateway records every decision in its own SQLite file, as by default).
set -euo pipefail
LEADS=${1:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
LEADGATE=${LEADGATE:-$root/.build-release/release/leadgate}
BENCH=${BENCH:-$(mktemp -d /tmp/leadgate-jobs-bench.XXXXXX)}
RECORDS=${RECORDS:-on}
mkdir -p "$BENCH"
cd "$BENCH"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# ---- leads: varied copies of the example lead, one per line ----
make_leads() {
    python3 - "$1" "$2" <<'PY'
import json, random, sys
count, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(2026)
sources = ["zillow", "referral", "website", "open_house", "paid_social", "realtor_com"]
types = ["single_family", "condo", "townhouse", "multi_family"]
with open(path, "w") as f:
    for i in range(count):
        lead = {"lead_id": f"B-{i}", "features": {
            "pricing_page_views": rng.randint(0, 12), "listing_views": rng.randint(0, 80), "saved_listings": rng.randint(0, 15),
            "email_opens": rng.randint(0, 30), "email_clicks": rng.randint(0, 10), "property_searches": rng.randint(0, 50),
            "days_since_last_activity": rng.randint(0, 60), "budget_to_price_ratio": round(rng.uniform(0.5, 1.5), 2),
            "call_sentiment": round(rng.uniform(-1, 1), 2), "tour_requested": rng.random() < 0.3,
            "mortgage_preapproved": rng.random() < 0.4, "lead_source": rng.choice(sources), "property_type": rng.choice(types)}}
        f.write(json.dumps(lead, separators=(",", ":")) + "\n")
PY
}
[ -s "leads-$LEADS.ndjson" ] || { echo "== writing $LEADS leads" >&2; make_leads "$LEADS" "leads-$LEADS.ndjson"; }
[ -s leads-100000.ndjson ] || make_leads 100000 leads-100000.ndjson
ls -l "leads-$LEADS.ndjson" >&2

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$BENCH" --loglevel warning >redis.log 2>&1 &
pids+=($!)
sleep 0.5
rcli() { redis-cli -p "$redis_port" "$@"; }

start_gateway() {  # name
    local port; port=$(free_port)
    rm -rf "gw-$1"; mkdir -p "gw-$1"
    local records="$BENCH/gw-$1/leadgate.sqlite"
    [ "$RECORDS" = off ] && records=off
    LEADGATE_REDIS_URL="redis://127.0.0.1:$redis_port/0" LEADGATE_RECORDS_URL="$records" LEADGATE_LOG_LEVEL=warning \
        "$LEADGATE" serve --port "$port" --models "$root/config/models" >"gw-$1/log" 2>&1 &
    pids+=($!)
    echo "$port $!"
}
read -r port_a pid_a < <(start_gateway a)
read -r port_b pid_b < <(start_gateway b)
for port in "$port_a" "$port_b"; do
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done

run_job() {  # file -> prints "id seconds"
    local t0 t1 id
    t0=$(date +%s.%N)
    id=$("$LEADGATE" jobs submit "$1" --url "http://127.0.0.1:$port_a" --wait 2>>progress.log | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    t1=$(date +%s.%N)
    echo "$id $(python3 -c "print(round($t1 - $t0, 1))")"
}

# ---- 1. bytes per live lead at 100,000 live leads ----
base=$(rcli info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
read -r id100 secs100 < <(run_job leads-100000.ndjson)
rcli --scan --pattern 'leadgate:job:*' | xargs -r -n 500 redis-cli -p "$redis_port" unlink >/dev/null
rcli del leadgate:jobs:stream >/dev/null
sleep 1
after=$(rcli info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
live=$(rcli --scan --pattern 'leadgate:live:*' | wc -l)
echo "== 100,000 leads: job in ${secs100} s; Redis used_memory +$(( (after - base) / 1048576 )) MiB for $live live keys: $(( (after - base) / 100000 )) bytes per live lead" | tee summary.txt

# ---- 2. the big job ----
rcli flushall >/dev/null
read -r id secs < <(run_job "leads-$LEADS.ndjson")
t0=$(date +%s.%N)
"$LEADGATE" jobs results "$id" --url "http://127.0.0.1:$port_a" -o results.ndjson
t1=$(date +%s.%N)
read_secs=$(python3 -c "print(round($t1 - $t0, 1))")
lines=$(wc -l < results.ndjson)
state=$(curl -fsS "http://127.0.0.1:$port_a/v1/jobs/$id")
rss() { awk '/VmHWM/{print int($2/1024)}' "/proc/$1/status"; }
peak_redis=$(rcli info memory | awk -F: '/^used_memory_peak:/{print int($2/1048576)}' | tr -d '\r')
{
    echo "== $LEADS leads, explained, LLM off, records $RECORDS, two gateways on one Redis"
    echo "   submit to succeeded: ${secs} s ($(python3 -c "print(round($LEADS / $secs))") leads/s); results read back in ${read_secs} s ($lines lines, $(du -m results.ndjson | cut -f1) MiB)"
    echo "   end to end: $(python3 -c "print(round($secs + $read_secs, 1))") s"
    echo "   peak RSS: gateway a $(rss "$pid_a") MiB, gateway b $(rss "$pid_b") MiB; Redis peak used_memory ${peak_redis} MiB"
    echo "   chunks scored: a $(curl -fsS "http://127.0.0.1:$port_a/metrics" | awk '/^leadgate_job_chunks_total /{print $2}'), b $(curl -fsS "http://127.0.0.1:$port_b/metrics" | awk '/^leadgate_job_chunks_total /{print $2}')"
    echo "   job: $state"
} | tee -a summary.txt

# ---- 3. the peer: the same leads through POST /v1/leads/batch-score, 10,000 per request, on one gateway ----
rcli flushall >/dev/null
python3 - "leads-$LEADS.ndjson" "$port_a" <<'PY' | tee -a summary.txt
import http.client, sys, time
path, port = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def post(lines):
    body = ('{"leads":[' + ",".join(lines) + '],"options":{"rerank":false}}').encode()
    conn.request("POST", "/v1/leads/batch-score", body, {"Content-Type": "application/json"})
    reply = conn.getresponse()
    data = reply.read()
    assert reply.status == 200, (reply.status, data[:200])
    return len(data)
t0 = time.time(); total = 0; batch = []; out = 0
with open(path) as f:
    for line in f:
        batch.append(line.rstrip("\n")); total += 1
        if len(batch) == 10000:
            out += post(batch); batch = []
    if batch:
        out += post(batch)
secs = time.time() - t0
print(f"== peer: the same {total} leads as batches of 10,000 to one gateway: {secs:.1f} s ({total / secs:.0f} leads/s, {out >> 20} MiB of answers)")
PY
