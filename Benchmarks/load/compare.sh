#!/usr/bin/env bash
# Before/after benchmark of POST /v1/leads/score: two leadgate binaries measured interleaved in one
# run, so that the machine's noise (a shared 2-core VM) falls on both alike.
#
# Usage: Benchmarks/load/compare.sh --before BIN --after BIN [--rounds N] [--duration S]
#          [--warmup S] [--before-root DIR] [--after-root DIR] [--before-env VARS] [--after-env VARS]
#   --before, --after  the two release binaries (e.g. a worktree's .build-release/release/leadgate)
#   --rounds N         rounds (default 3); each round measures both binaries, the order alternating
#                      by round (before/after, then after/before, ...) so a drift in load cancels
#   --duration S       seconds per measured wrk run (default 10)
#   --warmup S         seconds of warm-up after each start, before the peak run (default 5)
#   --before-root, --after-root  the checkout each binary runs from (its config/ and examples/;
#                      default: this checkout for both)
#   --before-env, --after-env  space-separated NAME=VALUE settings for that side's gateway, e.g.
#                      "LEADGATE_RECORDS_URL=off" against "LEADGATE_RECORDS_URL=postgres://..." to
#                      measure one binary with and without a feature (give the same binary twice)
# Each binary serves as run.sh's LeadGate does: `leadgate serve` from the checkout, the embedded
# default model (config/models/realestate), the in-memory store, no LLM (no LEADGATE_* variables).
# Only one gateway runs at a time: each round starts it, warms up, measures the peak
# (wrk -t2 -c64 with score.lua), then p50/p99 at half of that peak (paced connections with a think
# time, calibrated as run.sh does), and stops it. /metrics is fetched once per binary.
# Prints a Markdown table (medians over rounds, ranges in brackets, ratio after/before) on stdout;
# progress on stderr; raw wrk output and logs stay in the /tmp/leadgate-compare.* folder it prints.
# Each run also records the CPU the gateway, wrk and all other processes used (from /proc/stat):
# the "other processes" row shows how much the machine's noise weighed on each side.
set -euo pipefail
bench=compare
options=(--before --after --rounds --warmup --before-root --after-root --before-env --after-env)
for a in "$@"; do case "$a" in -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;; esac; done
# This script builds nothing: the binaries are given.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" --no-build "$@"

before_bin=${option[--before]:-}
after_bin=${option[--after]:-}
rounds=${option[--rounds]:-3}
warmup=${option[--warmup]:-5}
threads=2
connections=64
tool=(python3 "$here/loadtool.py")
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

[ -n "$before_bin" ] && [ -n "$after_bin" ] || die "--before BIN and --after BIN are required (see --help)"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive integer"
declare -A bin_of=([before]=$(realpath "$before_bin") [after]=$(realpath "$after_bin"))
declare -A env_of=([before]=${option[--before-env]:-} [after]=${option[--after-env]:-})
declare -A root_of=([before]=$(realpath "${option[--before-root]:-$root}") [after]=$(realpath "${option[--after-root]:-$root}"))
for side in before after; do
  [ -x "${bin_of[$side]}" ] || die "$side: ${bin_of[$side]} is not an executable"
  [ -f "${root_of[$side]}/config/models/realestate/model.json" ] || die "$side: no config/models/realestate in ${root_of[$side]}"
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

say "results folder: $work"
for side in before after; do
  echo "$side: ${bin_of[$side]} ($(stat -c '%y' "${bin_of[$side]}" | cut -d. -f1)), from ${root_of[$side]}${env_of[$side]:+, with ${env_of[$side]}}" >&2
done
"${tool[@]}" bodies "$root/examples/lead.json" "$root/config/models/realestate/model.json" "$work"
body=$work/leadgate.json
sed 's/__LEAD_ID__/L-check-1/' "$body" >"$work/check-body.json"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
loadavg_start=$(loadavg)

# ---- one gateway at a time
gw_pid=""
gw_port=""
# start SIDE LOG: `leadgate serve` from SIDE's checkout, without any LEADGATE_* variable.
start() {
  local side=$1 log=$2 dir=${root_of[$1]} unset=() v extra=()
  for v in $(compgen -e); do [[ "$v" == LEADGATE_* ]] && unset+=(-u "$v"); done
  read -r -a extra <<<"${env_of[$side]}"
  gw_port=$(port)
  (cd "$dir" && exec env "${unset[@]}" "${extra[@]}" "${bin_of[$side]}" serve --config "$dir/config/leadgate.yaml" \
    --port "$gw_port" --models "$dir/config/models") >"$log" 2>&1 &
  gw_pid=$!
  pids+=("$gw_pid")
  wait_http "http://127.0.0.1:$gw_port/healthz"
  kill -0 "$gw_pid" 2>/dev/null || { tail -n 20 "$log" >&2; die "$side exited (log: $log)"; }
}
stop() {
  [ -n "$gw_pid" ] || return 0
  kill "$gw_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$gw_pid" 2>/dev/null || true
  wait "$gw_pid" 2>/dev/null || true
  pids=()
  gw_pid=""
}

# CPU accounting around a wrk run, to see how busy the rest of the machine was: /proc/stat's busy
# time (user nice system irq softirq) minus the gateway's and wrk's own (wrk is this shell's only
# child reaped during the run, so `times` gives its CPU). In seconds; divided by the run's length,
# "other cores" is the CPU the rest of the machine used (e.g. a build, at nice or not).
tck=$(getconf CLK_TCK)
cpu_snap() { # sets snap (not in a subshell: `times` must see this shell's children)
  local busy gw kids
  busy=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  gw=$(awk '{print $14+$15}' "/proc/$gw_pid/stat" 2>/dev/null || echo 0)
  times >"$work/.times"
  kids=$(awk 'NR==2{t=0; for(i=1;i<=2;i++){x=$i; sub(/s$/,"",x); split(x,a,"m"); t+=a[1]*60+a[2]} print t}' "$work/.times")
  snap="$busy $gw $kids $EPOCHREALTIME"
}
# run_wrk NAME CONNECTIONS SECONDS [DELAY_MS TARGET]: the JSON summary goes to $work/NAME.json, the
# CPU figures to $work/NAME.cpu.json
run_wrk() {
  local name=$1 conns=$2 secs=$3 delay=${4:-0} target=${5:-} s0 s1
  cpu_snap; s0=$snap
  LOAD_BODY=$body LOAD_OUT=$work/$name.json LOAD_DELAY_MS=$delay LOAD_TARGET=$target LOAD_CONNS=$conns \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/score.lua" "http://127.0.0.1:$gw_port/v1/leads/score" \
    >"$work/$name.txt" 2>&1 || { cat "$work/$name.txt" >&2; die "wrk failed ($name)"; }
  cpu_snap; s1=$snap
  awk -v tck="$tck" -v a="$s0" -v b="$s1" 'BEGIN{split(a,x," "); split(b,y," "); el=y[4]-x[4];
      busy=(y[1]-x[1])/tck; gw=(y[2]-x[2])/tck; wrk=y[3]-x[3]; other=busy-gw-wrk; if(other<0) other=0;
      printf "{\"elapsed_s\":%.2f,\"gateway_cores\":%.2f,\"wrk_cores\":%.2f,\"other_cores\":%.2f}\n", el, gw/el, wrk/el, other/el}' \
    >"$work/$name.cpu.json"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
show() {
  python3 - "$1" <<'EOF' >&2
import json, sys
r = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[1][:-5] + ".cpu.json"))
print(f"   {r['requests_per_s']:,.0f} req/s  p50 {r['p50_us']/1000:.2f} ms  p99 {r['p99_us']/1000:.2f} ms  errors {r['errors_total']}"
      f"  (CPU cores: gateway {c['gateway_cores']:.2f}, wrk {c['wrk_cores']:.2f}, other processes {c['other_cores']:.2f})")
EOF
}

# measure SIDE ROUND: start, check one request, warm up, peak, half peak, stop.
declare -A metrics_done=()
measure() {
  local side=$1 r=$2 tag="$1-r$2" status target think_ms conns achieved i
  say "round $r/$rounds, $side: start (load average $(loadavg))"
  start "$side" "$work/$tag.log"
  status=$(curl -sS -o "$work/$tag-check.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$work/check-body.json" "http://127.0.0.1:$gw_port/v1/leads/score")
  read -r score base < <("${tool[@]}" score-of "$work/$tag-check.json" 2>/dev/null || echo "None None")
  [ "$status" = 200 ] && [ "$score" != None ] || { cat "$work/$tag-check.json" >&2; die "$side did not score the lead (HTTP $status)"; }
  echo "   check: HTTP $status, score $score, base_score $base" >&2
  echo "$score $base" >"$work/$side-check-score.txt"

  echo "   warm-up ${warmup}s, then peak: wrk -t$threads -c$connections -d${duration}s" >&2
  run_wrk "$tag-warmup" "$connections" "$warmup"
  run_wrk "$tag-peak" "$connections" "$duration"
  show "$work/$tag-peak.json"

  # half of this binary's peak, this round: paced connections, calibrated with two 5 s runs
  target=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["requests_per_s"] / 2))' "$work/$tag-peak.json")
  think_ms=$("${tool[@]}" think-ms "$target")
  conns=$("${tool[@]}" half-conns "$target" "$think_ms" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["p50_us"] / 4)' "$work/$tag-peak.json")")
  for i in 1 2; do
    run_wrk "$tag-half-calibrate$i" "$conns" 5 "$think_ms" "$target"
    achieved=$(field "$work/$tag-half-calibrate$i.json" requests_per_s)
    echo "   calibration $i: $conns connections -> $achieved req/s (target $target)" >&2
    conns=$(python3 -c 'import sys; t,a,c=map(float,sys.argv[1:]); n=max(2,min(4000,round(c*t/a))) if a>0 else int(c); print(n+n%2)' "$target" "$achieved" "$conns")
  done
  echo "   half peak: target $target req/s, $conns connections, ${think_ms} ms think time, ${duration}s" >&2
  run_wrk "$tag-half" "$conns" "$duration" "$think_ms" "$target"
  show "$work/$tag-half.json"

  if [ -z "${metrics_done[$side]:-}" ]; then
    curl -sS -o "$work/$side-metrics.txt" -w '%{http_code}' "http://127.0.0.1:$gw_port/metrics" >"$work/$side-metrics.status" || true
    metrics_done[$side]=1
    echo "   /metrics: HTTP $(cat "$work/$side-metrics.status"), $(wc -c <"$work/$side-metrics.txt") bytes" >&2
  fi
  kill -0 "$gw_pid" 2>/dev/null || die "$side died during the run (log: $work/$tag.log)"
  stop
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order=(before after); else order=(after before); fi
  for side in "${order[@]}"; do measure "$side" "$r"; done
done
loadavg_end=$(loadavg)
say "done (load average at start $loadavg_start, at end $loadavg_end)"

# ---- the table
python3 - "$work" "$rounds" "$duration" "$loadavg_start" "$loadavg_end" "${bin_of[before]}" "${bin_of[after]}" <<'EOF' | tee "$work/summary.md"
import json, os, re, statistics, sys
work, rounds, duration, la0, la1, bin_before, bin_after = sys.argv[1:]
rounds = int(rounds)
def load(side, r, kind):
    with open(os.path.join(work, f"{side}-r{r}-{kind}.json")) as fh:
        return json.load(fh)
def metrics(side):
    path = os.path.join(work, f"{side}-metrics.txt")
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
        status = open(os.path.join(work, f"{side}-metrics.status")).read().strip()
    except OSError:
        return None
    samples = [l for l in text.splitlines() if l and not l.startswith("#")]
    families = {m.group(1) for l in text.splitlines() if (m := re.match(r"# TYPE (\S+)", l))}
    return status, len(text.encode()), len(samples), len(families)
measures = [  # label, kind, key, scale, format
    ("peak req/s (64 connections) ↑", "peak", "requests_per_s", 1, "{:,.0f}"),
    ("p50 at peak, ms", "peak", "p50_us", 1e-3, "{:.2f}"),
    ("p99 at peak, ms", "peak", "p99_us", 1e-3, "{:.2f}"),
    ("half peak: achieved req/s", "half", "requests_per_s", 1, "{:,.0f}"),
    ("half peak: p50, ms", "half", "p50_us", 1e-3, "{:.2f}"),
    ("**half peak: p99, ms** ↓", "half", "p99_us", 1e-3, "{:.2f}"),
    ("errors (peak + half)", None, "errors_total", 1, "{:,.0f}"),
    ("gateway CPU, cores (mean of peak, half)", "cpu", "gateway_cores", 1, "{:.2f}"),
    ("other processes' CPU, cores (noise)", "cpu", "other_cores", 1, "{:.2f}"),
]
def values(side, kind, key, scale):
    if kind == "cpu":
        return [sum(json.load(open(os.path.join(work, f"{side}-r{r}-{k}.cpu.json")))[key] for k in ("peak", "half")) / 2
                for r in range(1, rounds + 1)]
    if kind is None:
        return [load(side, r, "peak")[key] + load(side, r, "half")[key] for r in range(1, rounds + 1)]
    return [load(side, r, kind)[key] * scale for r in range(1, rounds + 1)]
def cell(v, fmt):
    m = statistics.median(v)
    return fmt.format(m) if len(v) == 1 else f"{fmt.format(m)} [{fmt.format(min(v))}–{fmt.format(max(v))}]"
print(f"| `POST /v1/leads/score`, median of {rounds} round{'s' if rounds > 1 else ''} [range] | before | after | ratio (after/before) |")
print("|---|---:|---:|---:|")
for label, kind, key, scale, fmt in measures:
    b, a = values("before", kind, key, scale), values("after", kind, key, scale)
    mb, ma = statistics.median(b), statistics.median(a)
    ratio = f"{ma / mb:.3f}" if mb else "–"
    if kind == "cpu" and key == "other_cores":
        ratio = ""
    elif len(b) > 1 and mb and kind is not None:  # per-round ratios (both measured in the same round)
        rr = [x / y for x, y in zip(a, b) if y]
        ratio += f" [{min(rr):.3f}–{max(rr):.3f}]"
    print(f"| {label} | {cell(b, fmt)} | {cell(a, fmt)} | {ratio} |")
mb_, ma_ = metrics("before"), metrics("after")
def mcell(m):
    return "not fetched" if m is None else f"HTTP {m[0]}, {m[1]:,} bytes, {m[3]} families, {m[2]} samples"
print(f"| `/metrics` after round 1 | {mcell(mb_)} | {mcell(ma_)} | |")
def check(side):
    return open(os.path.join(work, f"{side}-check-score.txt")).read().split()
cb, ca = check("before"), check("after")
print()
print(f"Ratios: > 1 is better for req/s, < 1 for latency. Bracketed ratio: range of the per-round ratios. "
      f"wrk -t2, {duration} s per measured run; half peak = paced connections at half of each binary's own peak "
      f"of that round. Example lead: score/base {cb[0]}/{cb[1]} before, {ca[0]}/{ca[1]} after"
      f"{'' if cb == ca else ' (DIFFERENT)'}. Load average {la0} at start, {la1} at end. "
      f"before = {bin_before}; after = {bin_after}.")
EOF
echo "raw output and logs: $work" >&2
