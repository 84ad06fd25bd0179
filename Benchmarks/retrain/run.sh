#!/usr/bin/env bash
# Retraining-from-records benchmark for LeadGate (X Education leads).
# Usage: run.sh /path/to/leads_xeducation.csv [runs]
# Env: LEADGATE (binary, default the repository's .build-release), BENCH (scratch dir, default a new
# temporary folder). Scores 70 % of the rows through a gateway whose champion trained on the first
# 30 %, posts their outcomes, then times POST /v1/admin/models/{id}/retrain (the retraining loop's
# step) and the same training as a `leadgate train` run.
# Uses only the prebuilt release binary, curl and python3 (stdlib).
set -euo pipefail
DATA=${1:?usage: run.sh DATASET.csv [runs]}
RUNS=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
LEADGATE=${LEADGATE:-$root/.build-release/release/leadgate}
BENCH=${BENCH:-$(mktemp -d /tmp/leadgate-retrain-bench.XXXXXX)}
DATA=$(readlink -f "$DATA")
mkdir -p "$BENCH"
cd "$BENCH"
# Fresh state (only this benchmark's own files).
rm -rf models work records.sqlite* records.journal* out-cli results
mkdir -p models work results

# ---- embedded python helper (stdlib only) ----
cat > drive.py <<'PY'
#!/usr/bin/env python3
"""Helpers for run.sh (stdlib only). Subcommands:
  split CSV TRAIN LIVE FRACTION          split rows in file order
  score BASE MANIFEST LIVE               batch-score live rows (chunks of 2000)
  outcomes BASE LIVE                     post outcomes for live rows (chunks of 2000)
  wait BASE EXPECTED                     wait until records.written >= EXPECTED and the queue is empty
  retrain BASE ID                        time one POST .../retrain, print JSON summary
"""
import csv, json, sys, time, urllib.request, urllib.error

LABEL = "Converted"
ID_COL = "Prospect ID"

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]

def http(method, url, body=None, timeout=600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except Exception:
            return e.code, raw.decode(errors="replace")

def parse_manifest_fields(path):
    """Minimal reader of the generated manifest.yaml: field name -> (type, label)."""
    fields, cur, in_fields = {}, None, False
    for line in open(path, encoding="utf-8"):
        s = line.rstrip("\n")
        if s.startswith("fields:"):
            in_fields = True; continue
        if in_fields and s and not s.startswith(" "):
            in_fields = False
        if not in_fields:
            continue
        if s.startswith("  ") and not s.startswith("   ") and s.strip().endswith(":"):
            cur = json.loads(s.strip()[:-1]) if s.strip().startswith('"') else s.strip()[:-1]
            fields[cur] = {"type": None, "label": cur}
        elif cur and s.startswith("    ") and not s.startswith("     "):
            k, _, v = s.strip().partition(":")
            v = v.strip()
            if k in ("type", "label") and v:
                fields[cur][k] = json.loads(v) if v.startswith('"') else v
    return fields

def convert(row, header, fields):
    idx = {h: i for i, h in enumerate(header)}
    out = {}
    for name, f in fields.items():
        col = f["label"] if f["label"] in idx else name
        if col not in idx:
            continue
        cell = row[idx[col]].strip()
        if cell == "":
            continue
        t = f["type"]
        if t == "number":
            try:
                x = float(cell)
            except ValueError:
                continue
            out[name] = int(x) if x.is_integer() else x
        elif t == "boolean":
            low = cell.lower()
            if low in ("yes", "true", "1", "y"):
                out[name] = True
            elif low in ("no", "false", "0", "n"):
                out[name] = False
        else:  # one_hot / categorical
            out[name] = cell
    return out

def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]

def cmd_split(src, train, live, frac):
    header, rows = read_csv(src)
    n = int(len(rows) * float(frac))
    for path, part in ((train, rows[:n]), (live, rows[n:])):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f); w.writerow(header); w.writerows(part)
    li = header.index(LABEL)
    print(f"dataset_rows={len(rows)} columns={len(header)} train_rows={n} live_rows={len(rows)-n} "
          f"train_pos={sum(r[li]=='1' for r in rows[:n])} live_pos={sum(r[li]=='1' for r in rows[n:])}")

def lead_id(row, header, i):
    return row[header.index(ID_COL)] if ID_COL in header and row[header.index(ID_COL)] else f"row-{i}"

def cmd_score(base, manifest, live):
    fields = parse_manifest_fields(manifest)
    header, rows = read_csv(live)
    leads = [{"lead_id": lead_id(r, header, i), "features": convert(r, header, fields)} for i, r in enumerate(rows)]
    ok = err = 0; errors = {}; t0 = time.time(); http_fail = 0; warns = 0; srv_scored = srv_failed = 0
    for part in chunks(leads, 2000):
        status, body = http("POST", base + "/v1/leads/batch-score", {"leads": part})
        if status != 200 or not isinstance(body, dict):
            http_fail += 1
            print(f"batch-score HTTP {status}: {str(body)[:500]}", file=sys.stderr)
            continue
        srv_scored += body.get("scored", 0); srv_failed += body.get("failed", 0)
        items = body.get("results") or body.get("leads") or body.get("scores") or []
        for it in items:
            if isinstance(it, dict) and (it.get("error") or it.get("problem") or it.get("status") == "error"):
                err += 1
                e = it.get("error") or it.get("problem")
                key = json.dumps(e)[:200]
                errors[key] = errors.get(key, 0) + 1
            else:
                ok += 1
                if isinstance(it, dict) and it.get("warnings"):
                    warns += 1
        if not items:
            print("unexpected batch-score answer keys: " + ",".join(body.keys()), file=sys.stderr)
    print(f"scored_ok={ok} per_lead_errors={err} http_failures={http_fail} leads_with_warnings={warns} "
          f"(server says scored={srv_scored} failed={srv_failed}) seconds={time.time()-t0:.2f}")
    for k, v in sorted(errors.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  error x{v}: {k}")

def cmd_outcomes(base, live):
    header, rows = read_csv(live)
    li = header.index(LABEL)
    outs = [{"lead_id": lead_id(r, header, i), "outcome": "converted" if r[li] == "1" else "lost"} for i, r in enumerate(rows)]
    stored = 0; fail = 0
    for part in chunks(outs, 2000):
        status, body = http("POST", base + "/v1/outcomes", {"outcomes": part})
        if status != 200:
            fail += 1; print(f"outcomes HTTP {status}: {str(body)[:500]}", file=sys.stderr); continue
        stored += len(part)
    conv = sum(o["outcome"] == "converted" for o in outs)
    print(f"outcomes_posted={stored} converted={conv} lost={stored-conv} http_failures={fail}")

def records_state(base):
    _, body = http("GET", base + "/readyz")
    return body.get("records") if isinstance(body, dict) else None

def cmd_wait(base, expected):
    expected = int(expected); t0 = time.time()
    while True:
        r = records_state(base) or {}
        if r.get("written", 0) >= expected and r.get("queue_depth", 1) == 0:
            break
        if time.time() - t0 > 120:
            print("timed out waiting for records: " + json.dumps(r), file=sys.stderr); break
        time.sleep(0.5)
    print("records: " + json.dumps(r))

def cmd_retrain(base, model):
    t0 = time.time()
    status, body = http("POST", f"{base}/v1/admin/models/{model}/retrain", {})
    wall = time.time() - t0
    print(f"retrain HTTP {status} wall_s={wall:.3f}")
    print(json.dumps(body, indent=1) if not isinstance(body, str) else body)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"split": cmd_split, "score": cmd_score, "outcomes": cmd_outcomes, "wait": cmd_wait, "retrain": cmd_retrain}[cmd](*args)
PY

echo "== machine: $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== dataset: $DATA"

# 1. Split in file order: first 30 % train, last 70 % live.
python3 drive.py split "$DATA" train.csv live.csv 0.3
T0=$(date +%s.%N)
"$LEADGATE" train --data train.csv --label Converted --positive 1 --id xedu --model-version 1 --threads 2 \
  --out models/xedu-1 > results/champion-train.out 2> results/champion-train.err
T1=$(date +%s.%N)
python3 - "$T0" "$T1" <<'PY'
import json, sys
c = json.load(open("models/xedu-1/model-card.json"))
h = c["holdout"]
print(f"champion xedu@1: wall_s={float(sys.argv[2])-float(sys.argv[1]):.2f} holdout rows={h['rows']} "
      f"AUC={h['auc']:.4f} ECE={h['ece']:.4f} fields_used={len(c.get('fields', []))} "
      f"excluded={[e.get('column', e) if isinstance(e, dict) else e for e in c.get('excluded', [])]}")
PY

# 2. Gateway on a free port.
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
cat > gateway.yaml <<EOF
server: { host: 127.0.0.1, port: $PORT }
models: { directory: $BENCH/models }
records: { path: $BENCH/records.sqlite }
logging: { level: warning }
learning:
  min_outcomes: 200
  retrain: { holdout_fraction: 0.2, challenger_share: 0.1, threads: 1, work_dir: $BENCH/work }
limits: { max_batch_leads: 10000, max_batch_body_bytes: 67108864 }
EOF
"$LEADGATE" serve --config gateway.yaml > results/gateway.log 2>&1 &
GW=$!
trap 'kill $GW 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "== gateway pid $GW on port $PORT"

python3 drive.py score "$BASE" models/xedu-1/manifest.yaml live.csv | tee results/score.txt
SCORED=$(sed -n 's/.*scored_ok=\([0-9]*\).*/\1/p' results/score.txt | head -1)
python3 drive.py wait "$BASE" "$SCORED"

# 3. Outcomes.
python3 drive.py outcomes "$BASE" live.csv

# 4. Retrain runs.
reset_trial() {
  rm -f models/rollout.json
  for d in models/xedu-*; do [ "$d" = models/xedu-1 ] || rm -rf "$d"; done
  curl -s -X POST "$BASE/v1/admin/models/reload" > results/reload.json
}
for i in $(seq "$RUNS"); do
  [ "$i" -gt 1 ] && reset_trial
  read -r CODE WALL < <(curl -s -o "results/retrain-$i.json" -w '%{http_code} %{time_total}\n' \
      -X POST -H 'content-type: application/json' -d '{}' "$BASE/v1/admin/models/xedu/retrain")
  python3 - "$i" "$CODE" "$WALL" "results/retrain-$i.json" <<'PY'
import json, sys
i, code, wall, path = sys.argv[1:]
try:
    b = json.load(open(path))
except Exception:
    b = {"raw": open(path).read()[:500]}
keep = {k: b.get(k) for k in ("type", "reason", "leads", "converted", "champion_auc", "challenger_auc",
                               "champion_ece", "challenger_ece", "candidate", "stage") if k in b}
print(f"retrain #{i}: HTTP {code} wall_s={wall} " + json.dumps(keep))
PY
done
# One more call with the last challenger still on trial (expected: skipped), for the record.
read -r CODE WALL < <(curl -s -o results/retrain-ontrial.json -w '%{http_code} %{time_total}\n' \
    -X POST -H 'content-type: application/json' -d '{}' "$BASE/v1/admin/models/xedu/retrain")
echo "retrain with a challenger on trial: HTTP $CODE wall_s=$WALL $(head -c 400 results/retrain-ontrial.json)"
echo "   (full answers: $BENCH/results/retrain-*.json)"

# 5. The same training as a CLI run, on the loop's exported records.
EXPORT=$(ls -t $(find work -name 'records.csv') 2>/dev/null | head -1 || true)
if [ -n "$EXPORT" ]; then
  T0=$(date +%s.%N)
  "$LEADGATE" train --data "$EXPORT" --label converted --positive 1 --time-column decided_at \
     --manifest models/xedu-1/manifest.yaml --out out-cli --threads 1 > results/cli-train.out 2> results/cli-train.err
  T1=$(date +%s.%N)
  python3 - "$T0" "$T1" "$EXPORT" <<'PY'
import json, sys
c = json.load(open("out-cli/model-card.json")); h = c["holdout"]
rows = sum(1 for _ in open(sys.argv[3])) - 1
print(f"CLI train on {sys.argv[3]} ({rows} rows): wall_s={float(sys.argv[2])-float(sys.argv[1]):.2f} "
      f"holdout AUC={h['auc']:.4f} ECE={h['ece']:.4f}")
PY
  grep -E 'boosting time|rows ' results/cli-train.out || true
else
  echo "no records.csv export found under $BENCH/work"
fi
echo "== load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
