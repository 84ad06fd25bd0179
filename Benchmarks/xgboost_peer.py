#!/usr/bin/env python3
"""Peer benchmark: how fast the real library scores a model.

LeadGate's Swift engine is compared against these numbers.

    python3 Benchmarks/xgboost_peer.py --model Tests/Fixtures/xgb-binary/model.json \\
        --input Tests/Fixtures/xgb-binary/inputs.csv --rows 10000 [--threads 1] [--repeat 5] [--json]

* `model.json` is loaded with xgboost (`xgb.Booster`), `model.txt` with LightGBM.
* `inputs.csv`: header = feature names, empty cell = NaN (float32 for xgboost,
  float64 for LightGBM). The rows are tiled until there are `--rows` of them.
* Every measurement is warmed up first, then run `--repeat` times; the median is reported.

Measured (xgboost / LightGBM):
  predict          booster.inplace_predict(X)          / booster.predict(X, num_threads=T)
  contribs         DMatrix(X) + predict(pred_contribs) / predict(X, pred_contrib=True)
  contribs excl.   predict(pred_contribs) on a DMatrix built beforehand
                   (LightGBM has no separate matrix step: same as contribs)
  single row       median wall time of one predict call on a 1-row array (~2000 calls)
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def read_inputs(path: Path, dtype) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if not body:
        sys.exit(f"{path}: no data rows")
    X = np.array([[float(v) if v != "" else np.nan for v in r] for r in body], dtype=np.float64)
    return header, X.astype(dtype)


def tile_rows(X: np.ndarray, n: int) -> np.ndarray:
    reps = -(-n // len(X))
    return np.ascontiguousarray(np.tile(X, (reps, 1))[:n])


def median_seconds(fn, repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def single_row_ns(fn, calls: int) -> float:
    for _ in range(min(200, calls)):
        fn()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return float(statistics.median(samples))


def bench_xgboost(model: Path, inputs: Path, rows: int, threads: int, repeat: int, calls: int) -> dict:
    import xgboost as xgb

    bst = xgb.Booster(model_file=str(model))
    bst.set_param({"nthread": threads})
    names, X0 = read_inputs(inputs, np.float32)
    if bst.feature_names is not None and list(bst.feature_names) != names:
        sys.exit("inputs.csv header does not match the model's feature names")
    X = tile_rows(X0, rows)
    types = bst.feature_types
    categorical = bool(types) and "c" in types

    def dmatrix(A):
        return xgb.DMatrix(A, missing=np.nan, feature_names=bst.feature_names, feature_types=types,
                           enable_categorical=categorical, nthread=threads)

    t_pred = median_seconds(lambda: bst.inplace_predict(X, missing=np.nan), repeat)
    t_contrib = median_seconds(lambda: bst.predict(dmatrix(X), pred_contribs=True), repeat)
    dm = dmatrix(X)
    t_contrib_excl = median_seconds(lambda: bst.predict(dm, pred_contribs=True), repeat)
    X1 = np.ascontiguousarray(X0[:1])
    t_single = single_row_ns(lambda: bst.inplace_predict(X1, missing=np.nan), calls)
    return _result("xgboost", xgb.__version__, rows, threads, t_pred, t_contrib, t_contrib_excl,
                   t_single, model, repeat)


def bench_lightgbm(model: Path, inputs: Path, rows: int, threads: int, repeat: int, calls: int) -> dict:
    import lightgbm as lgb

    bst = lgb.Booster(model_file=str(model))
    names, X0 = read_inputs(inputs, np.float64)
    if bst.feature_name() != names:
        sys.exit("inputs.csv header does not match the model's feature names")
    X = tile_rows(X0, rows)
    t_pred = median_seconds(lambda: bst.predict(X, num_threads=threads), repeat)
    t_contrib = median_seconds(lambda: bst.predict(X, pred_contrib=True, num_threads=threads), repeat)
    X1 = np.ascontiguousarray(X0[:1])
    t_single = single_row_ns(lambda: bst.predict(X1, num_threads=threads), calls)
    return _result("lightgbm", lgb.__version__, rows, threads, t_pred, t_contrib, t_contrib,
                   t_single, model, repeat)


def _result(library, version, rows, threads, t_pred, t_contrib, t_contrib_excl, t_single, model, repeat):
    return {
        "library": library,
        "version": version,
        "rows": rows,
        "threads": threads,
        "predict_rows_per_s": rows / t_pred,
        "predict_ns_per_row": t_pred * 1e9 / rows,
        "contribs_rows_per_s": rows / t_contrib,
        "contribs_excl_dmatrix_rows_per_s": rows / t_contrib_excl,
        "single_row_ns": t_single,
        "model": str(model),
        "repeat": repeat,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, type=Path, help="xgboost model.json or LightGBM model.txt")
    ap.add_argument("--input", required=True, type=Path, help="inputs.csv (empty cell = NaN)")
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--single-calls", type=int, default=2000, help="calls for the single-row latency")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args(argv)
    if a.rows < 1 or a.threads < 1 or a.repeat < 1:
        ap.error("--rows, --threads and --repeat must be >= 1")

    suffix = a.model.suffix.lower()
    if suffix == ".txt":
        r = bench_lightgbm(a.model, a.input, a.rows, a.threads, a.repeat, a.single_calls)
    elif suffix == ".json":
        head = json.loads(a.model.read_text())
        if "learner" not in head:
            ap.error("this .json is not an xgboost model (for LightGBM pass model.txt)")
        r = bench_xgboost(a.model, a.input, a.rows, a.threads, a.repeat, a.single_calls)
    else:
        ap.error("--model must end in .json (xgboost) or .txt (LightGBM)")

    if a.json:
        print(json.dumps(r))
        return 0
    excl = "(no separate matrix step)" if r["library"] == "lightgbm" else "(DMatrix built beforehand)"
    print(f"{r['library']} {r['version']}  model={r['model']}")
    print(f"rows={r['rows']}  threads={r['threads']}  repeat={r['repeat']} (median)")
    print(f"  {'predict':28s} {r['predict_rows_per_s']:>14,.0f} rows/s  {r['predict_ns_per_row']:>10,.1f} ns/row")
    print(f"  {'contribs (incl. DMatrix)':28s} {r['contribs_rows_per_s']:>14,.0f} rows/s  "
          f"{1e9 / r['contribs_rows_per_s']:>10,.1f} ns/row")
    print(f"  {'contribs (excl. DMatrix)':28s} {r['contribs_excl_dmatrix_rows_per_s']:>14,.0f} rows/s  "
          f"{1e9 / r['contribs_excl_dmatrix_rows_per_s']:>10,.1f} ns/row  {excl}")
    print(f"  {'single-row predict':28s} {r['single_row_ns']:>14,.0f} ns/call (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
