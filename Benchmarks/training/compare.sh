#!/usr/bin/env bash
# LeadGate's `leadgate train` against Python xgboost on the same split, encoding and parameters, on
# both real datasets in ../shared/datasets (X Education leads, UCI bank marketing calls).
#
#   Benchmarks/training/compare.sh [--rounds N] [--peer-version V] [--no-build]
#
# Each round trains LeadGate (release build, xgboost through the C API of Debian's libxgboost-dev)
# and then the Python peer (pip xgboost, by default the same version as the system library) on the
# matrices LeadGate exported; the order alternates between rounds. Prints one table per dataset:
# holdout AUC, precision@20, the seconds inside the boosting loop (LeadGate) and xgboost.train
# (Python), and each whole command's seconds (reading the CSV included).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rounds=3
peer_version=$(dpkg-query -W -f='${Version}' libxgboost-dev 2>/dev/null | sed 's/-.*//')
build=1
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --peer-version) peer_version=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
datasets=${LEADGATE_DATASETS_DIR:-$root/../shared/datasets}
[ -f "$datasets/leads_xeducation.csv" ] || { echo "error: $datasets/leads_xeducation.csv not found" >&2; exit 1; }
if [ "$build" = 1 ]; then swift build -c release --scratch-path .build-release --product leadgate >&2; fi
bin=$root/.build-release/release/leadgate
venv=$root/.build/venv-xgboost-$peer_version
if [ ! -x "$venv/bin/python" ]; then
    echo "== installing Python xgboost $peer_version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "xgboost==$peer_version" numpy
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

train_ours() {
    local out=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" train "$@" --out "$out/model" --export-matrices "$out/m" > "$out.summary" 2> "$out.log"
    t1=$(date +%s.%N)
    python3 -c "print($t1 - $t0)" > "$out.wall"
}

train_peer() {
    "$venv/bin/python" Benchmarks/training/xgboost_train_peer.py "$2/m" "$2/model/model-card.json" > "$1.peer"
}

run_dataset() {
    local name=$1; shift
    echo "== $name" >&2
    for ((i = 1; i <= rounds; i++)); do
        local out=$work/$name-$i
        mkdir -p "$out"
        # Rounds alternate which runs first; the split and parameters are the same every round, so
        # the peer may train on the previous round's exported matrices.
        if ((i % 2)); then
            train_ours "$out" "$@"
            train_peer "$out" "$out"
        else
            train_peer "$out" "$work/$name-$((i - 1))"
            train_ours "$out" "$@"
        fi
        python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
card = json.load(open(f"{out}/model/model-card.json"))
peer = json.loads(open(f"{out}.peer").read())
wall = float(open(f"{out}.wall").read())
at20 = next((a["precision"] for a in card["holdout"]["at_k"] if a["k"] == 20 and a["label"] == "top 20"), None)
print(json.dumps({
    "leadgate": {"auc": card["holdout"]["auc"], "auc_uncalibrated": card["holdout"]["auc_xgboost_uncalibrated"],
                 "precision_at_20": at20, "best_round": card["training"]["best_round"],
                 "train_seconds": card["training"]["training_seconds"], "command_seconds": wall,
                 "badges": card["holdout"]["badges"], "xgboost": card["xgboost_version"]},
    "python": peer}))
PY
    done > "$work/$name.jsonl"
    python3 - "$name" "$work/$name.jsonl" <<'PY'
import json, statistics, sys
name, path = sys.argv[1], sys.argv[2]
runs = [json.loads(l) for l in open(path)]
def med(f): return statistics.median(f(r) for r in runs)
lg, py = runs[-1]["leadgate"], runs[-1]["python"]
print(f"\n### {name} ({len(runs)} rounds, medians; rows train/validation/holdout {py['rows']})\n")
print(f"| | LeadGate (xgboost {lg['xgboost']} C API) | Python xgboost {py['xgboost']} | ratio |")
print("|---|---:|---:|---:|")
print(f"| holdout AUC | {med(lambda r: r['leadgate']['auc']):.4f} | {med(lambda r: r['python']['holdout_auc']):.4f} | Δ {med(lambda r: r['leadgate']['auc'] - r['python']['holdout_auc']):+.4f} |")
print(f"| precision@20 | {med(lambda r: r['leadgate']['precision_at_20']):.3f} | {med(lambda r: r['python']['precision_at_20']):.3f} | |")
print(f"| best round | {lg['best_round']} | {py['best_round']} | |")
t_lg, t_py = med(lambda r: r['leadgate']['train_seconds']), med(lambda r: r['python']['train_seconds'])
print(f"| boosting seconds | {t_lg:.3f} | {t_py:.3f} | {t_lg / t_py:.2f}× |")
c_lg, c_py = med(lambda r: r['leadgate']['command_seconds']), med(lambda r: r['python']['script_seconds'])
print(f"| whole command seconds | {c_lg:.2f} (train + card + checks) | {c_py:.2f} (load + train + predict) | |")
b = lg["badges"]
print("\nLeadGate holdout conversion per badge (hot > %d, cold < %d): " % (b["hot_above"], b["cold_below"]) + ", ".join(
    f"{k} {b[k]['leads']} leads, {b[k]['conversion_rate'] if b[k]['conversion_rate'] is not None else '–'}" for k in ("hot", "warm", "cold")))
PY
}

if [ "$rounds" -lt 1 ]; then echo "error: --rounds must be at least 1" >&2; exit 2; fi
run_dataset "X Education leads" --data "$datasets/leads_xeducation.csv" --label Converted --missing-value Select
run_dataset "UCI bank marketing (without duration)" --data "$datasets/bank_marketing.csv" --label y --exclude duration
