"""Python xgboost on exactly the rows and parameters `leadgate train` used.

Reads the matrices `leadgate train --export-matrices DIR` wrote (train.csv, valid.csv, holdout.csv:
the encoded model columns and `label`) and the parameters from the model card, trains with
xgboost.train (early stopping on the same validation rows and metric), and prints one JSON line:
holdout AUC, precision@20, the seconds inside xgboost.train, and the whole script's seconds.
"""

import csv
import json
import sys
import time

started = time.perf_counter()
import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402


def load(path):
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float32, missing_values="", filling_values=np.nan)
    data = data.reshape(-1, len(header))
    return data[:, :-1], data[:, -1], header[:-1]


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    y = labels[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    pos = y.sum()
    neg = len(y) - pos
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def main():
    matrices, card_path = sys.argv[1], sys.argv[2]
    card = json.load(open(card_path))
    p = card["parameters"]
    xt, yt, names = load(f"{matrices}/train.csv")
    xv, yv, _ = load(f"{matrices}/valid.csv")
    xh, yh, _ = load(f"{matrices}/holdout.csv")
    dtrain = xgb.DMatrix(xt, label=yt, missing=np.nan, nthread=int(p["nthread"]))
    dvalid = xgb.DMatrix(xv, label=yv, missing=np.nan, nthread=int(p["nthread"]))
    dhold = xgb.DMatrix(xh, label=yh, missing=np.nan, nthread=int(p["nthread"]))
    metric = p["early_stopping_metric"]
    other = "logloss" if metric == "auc" else "auc"
    params = {k: v for k, v in p.items() if k not in ("num_boost_round", "early_stopping_rounds", "early_stopping_metric", "verbosity")}
    params["eval_metric"] = [other, metric]
    params["verbosity"] = 0
    t0 = time.perf_counter()
    booster = xgb.train(
        params, dtrain, num_boost_round=int(p["num_boost_round"]), evals=[(dvalid, "valid")],
        early_stopping_rounds=int(p["early_stopping_rounds"]), verbose_eval=False,
    )
    train_seconds = time.perf_counter() - t0
    best = booster.best_iteration + 1
    pred = booster.predict(dhold, iteration_range=(0, best))
    top = np.argsort(-pred, kind="mergesort")[:20]
    print(json.dumps({
        "xgboost": xgb.__version__, "best_round": best, "holdout_auc": auc(pred.astype(np.float64), yh),
        "precision_at_20": float(yh[top].mean()), "train_seconds": train_seconds,
        "script_seconds": time.perf_counter() - started, "rows": [len(yt), len(yv), len(yh)],
    }))


if __name__ == "__main__":
    main()
