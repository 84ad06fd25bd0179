#!/usr/bin/env python3
"""Generate LeadGate's tree-ensemble test fixtures (Tests/Fixtures/).

Everything here is synthetic: a seeded numpy generator builds a
real-estate-lead-like table, small models are trained with the real libraries
(xgboost / LightGBM, native `train` APIs), saved in their own formats, and the
outputs those libraries return (margin, prediction, TreeSHAP) are written next
to the exact input matrix that produced them.

    python3 scripts/make_fixtures.py            # regenerate every case
    python3 scripts/make_fixtures.py --check     # regenerate into a temp dir and
                                                 # compare with the committed files

File format (per case folder), see Tests/Fixtures/README.md:
    model.json      xgboost Booster.save_model / LightGBM json.dumps(dump_model())
    model.txt       LightGBM only: Booster.save_model (native text format)
    inputs.csv      feature matrix, header = model feature names, empty = NaN
    expected.csv    row,row_kind,margin,prediction,shap_<f>...,shap_bias
                    (multiclass: margin_c*, prob_c*, shap_c<k>_<f>..., shap_c<k>_bias)
    categories.csv  categorical cases: feature,feature_index,code,category

Generation is single-threaded and seeded, so re-running it with the same
library versions reproduces the files byte for byte.
"""
from __future__ import annotations

import argparse
import csv
import filecmp
import json
import math
import platform
import shutil
import sys
import tempfile
from fractions import Fraction
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb
import lightgbm as lgb

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "Tests" / "Fixtures"

POOL_ROWS = 4000        # synthetic leads generated per data set
TRAIN_ROWS = 3200       # the first TRAIN_ROWS are used for training
DATA_ROWS = 150         # data rows per fixture (drawn from the whole pool)
LGB_ZERO = 1.0000000180025095e-35   # LightGBM kZeroThreshold (1e-35f widened)

# Tolerances recommended for an evaluator (same as shared/golden/README.md).
TOL_CLASSIFIER = {"margin_abs": 5e-5, "prediction_abs": 1e-5, "shap_abs": 1e-4}
TOL_REGRESSION = {"margin_abs": 5e-3, "prediction_abs": 5e-3, "shap_abs": 5e-3}
TOL_LIGHTGBM = {"margin_abs": 1e-9, "prediction_abs": 1e-9, "shap_abs": 1e-9}


# ==========================================================================
# number formatting
# ==========================================================================

def fmt32(v) -> str:
    """Shortest decimal that parses back to exactly the same float32 ('' = NaN)."""
    f = np.float32(v)
    if np.isnan(f):
        return ""
    if np.isinf(f):
        raise ValueError("infinite value in a fixture")
    if f == 0:
        return "-0" if np.signbit(f) else "0"
    a = abs(float(f))
    if 1e-4 <= a < 1e9:
        s = np.format_float_positional(f, unique=True, trim="-")
    else:
        s = np.format_float_scientific(f, unique=True, trim="-")
    return s


def fmt64(v) -> str:
    """Shortest decimal that parses back to exactly the same float64 ('' = NaN)."""
    d = float(v)
    if math.isnan(d):
        return ""
    if math.isinf(d):
        raise ValueError("infinite value in a fixture")
    return repr(d)


def _float32_neighbours(f: np.float32):
    lo = np.nextafter(f, np.float32(-np.inf))
    hi = np.nextafter(f, np.float32(np.inf))
    return lo, hi


def decimal_is_float32(s: str, f: np.float32) -> bool:
    """True if correctly rounding the decimal string s to float32 gives f.

    Done in exact rational arithmetic, so it holds for a direct float32 parse
    (Swift `Float(s)`) as well as for parse-as-Double-then-round.
    """
    if s == "":
        return bool(np.isnan(f))
    q = Fraction(Decimal(s))
    if q == 0:
        return f == 0
    lo, hi = _float32_neighbours(np.float32(f))
    x = Fraction(float(f))
    mid_lo = (x + Fraction(float(lo))) / 2
    mid_hi = (x + Fraction(float(hi))) / 2
    if mid_lo < q < mid_hi:
        return True
    if q == mid_lo or q == mid_hi:   # tie: round half to even
        bits = np.array([f], dtype=np.float32).view(np.uint32)[0]
        return int(bits) % 2 == 0
    return False


def check_strings32(values: np.ndarray, strings: list[list[str]]) -> None:
    for vrow, srow in zip(values, strings):
        for v, s in zip(vrow, srow):
            v32 = np.float32(v)
            assert decimal_is_float32(s, v32), (v, s)
            assert np.float32(float(s) if s else np.nan).tobytes() == v32.tobytes() or (s == "" and np.isnan(v32)), (v, s)


def check_strings64(values: np.ndarray, strings: list[list[str]]) -> None:
    for vrow, srow in zip(values, strings):
        for v, s in zip(vrow, srow):
            if s == "":
                assert math.isnan(float(v))
            else:
                assert float(s) == float(v) and math.copysign(1, float(s)) == math.copysign(1, float(v)), (v, s)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        r = list(csv.reader(f))
    return r[0], r[1:]


# ==========================================================================
# synthetic real-estate leads
# ==========================================================================

NUMERIC = [
    "pricing_page_views",        # count
    "listing_views",             # count
    "saved_listings",            # count
    "email_opens",               # count, ~10% NaN (tracking pixel blocked)
    "email_clicks",              # count
    "days_since_last_activity",  # int days, ~8% NaN
    "budget_ratio",              # stated budget / median listing price, ~12% NaN
    "call_sentiment",            # [-1, 1], NaN (~18%) = never reached by phone
]
FLAGS = ["has_preapproval", "first_time_buyer", "requested_tour", "unsubscribed"]
FEATURES = NUMERIC + FLAGS
CATEGORICAL = {
    "lead_source": ["zillow", "realtor_com", "redfin", "referral", "open_house",
                    "website", "facebook_ads", "google_ads"],
    "property_type": ["single_family", "condo", "townhouse", "multi_family", "land"],
    "financing": ["mortgage", "cash", "undecided"],
}
SOURCE_EFFECT = {"zillow": 0.0, "realtor_com": 0.1, "redfin": 0.15, "referral": 0.9,
                 "open_house": 0.5, "website": 0.2, "facebook_ads": -0.6, "google_ads": -0.2}
PROPERTY_EFFECT = {"single_family": 0.2, "condo": 0.0, "townhouse": 0.1,
                   "multi_family": -0.3, "land": -0.7}
FINANCING_EFFECT = {"mortgage": 0.1, "cash": 0.6, "undecided": -0.5}


def make_leads(n: int, seed: int):
    """Synthetic leads: numeric frame (float64, NaN = missing), categorical
    string frame (None = missing) and a dict of targets."""
    rng = np.random.default_rng(seed)
    intent = rng.normal(size=n)                       # hidden buying intent
    activity = rng.normal(size=n)                     # hidden browsing activity
    src = rng.choice(CATEGORICAL["lead_source"], size=n,
                     p=[0.26, 0.14, 0.1, 0.08, 0.07, 0.15, 0.12, 0.08])
    ptype = rng.choice(CATEGORICAL["property_type"], size=n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    fin = rng.choice(CATEGORICAL["financing"], size=n, p=[0.6, 0.15, 0.25])
    cat_eff = (np.vectorize(SOURCE_EFFECT.get)(src) + np.vectorize(PROPERTY_EFFECT.get)(ptype)
               + np.vectorize(FINANCING_EFFECT.get)(fin))

    eng = 0.8 * intent + 0.6 * activity
    pricing = rng.poisson(np.exp(0.4 + 0.6 * eng).clip(0, 40))
    listing = rng.poisson(np.exp(1.8 + 0.5 * activity + 0.2 * intent).clip(0, 200))
    saved = rng.poisson(np.exp(-0.3 + 0.7 * intent).clip(0, 30))
    opens = rng.poisson(np.exp(1.0 + 0.3 * eng).clip(0, 50)).astype(float)
    clicks = rng.binomial(opens.astype(int), (0.15 + 0.1 * (intent > 0)).clip(0, 1)).astype(float)
    days = np.round(rng.exponential(np.exp(2.5 - 0.6 * eng))).astype(float)
    budget = np.round(np.exp(rng.normal(0.0 + 0.1 * intent, 0.3)), 2)
    called = rng.random(n) < 0.82
    sentiment = np.round(np.tanh(0.7 * intent + 0.5 * rng.normal(size=n)), 3)
    preapproval = (rng.random(n) < 1 / (1 + np.exp(-(intent - 0.3)))).astype(float)
    first_time = (rng.random(n) < 0.4).astype(float)
    tour = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * intent - 1.0)))).astype(float)
    unsub = (rng.random(n) < 0.06).astype(float)

    opens_obs = np.where(rng.random(n) < 0.10, np.nan, opens)
    days_obs = np.where(rng.random(n) < 0.08, np.nan, days)
    budget_obs = np.where(rng.random(n) < 0.12, np.nan, budget)
    sentiment_obs = np.where(called, sentiment, np.nan)
    # a few leads came in through a form without a source field
    src_obs = np.where(rng.random(n) < 0.05, None, src).astype(object)
    fin_obs = np.where(rng.random(n) < 0.07, None, fin).astype(object)

    num = pd.DataFrame({
        "pricing_page_views": pricing.astype(float),
        "listing_views": listing.astype(float),
        "saved_listings": saved.astype(float),
        "email_opens": opens_obs,
        "email_clicks": clicks,
        "days_since_last_activity": days_obs,
        "budget_ratio": budget_obs,
        "call_sentiment": sentiment_obs,
        "has_preapproval": preapproval,
        "first_time_buyer": first_time,
        "requested_tour": tour,
        "unsubscribed": unsub,
    })
    cats = pd.DataFrame({"lead_source": src_obs, "property_type": ptype.astype(object),
                         "financing": fin_obs})

    # ---- targets --------------------------------------------------------
    score = (-2.0 + 1.1 * intent + 0.25 * np.log1p(pricing) + 0.15 * np.log1p(saved)
             + 0.6 * preapproval + 0.5 * tour - 1.2 * unsub + 0.9 * np.where(called, sentiment, -0.2)
             - 0.04 * np.minimum(days, 60) + cat_eff + 0.5 * (np.abs(budget - 1) < 0.25))
    converted = (rng.random(n) < 1 / (1 + np.exp(-score))).astype(float)
    days_to_close = np.round(np.exp(4.4 - 0.35 * score + 0.25 * rng.normal(size=n)).clip(3, 720), 1)
    stage_latent = score + 0.7 * rng.normal(size=n)
    stage = np.digitize(stage_latent, np.quantile(stage_latent, [0.5, 0.8])).astype(float)
    showings = rng.poisson(np.exp(-0.2 + 0.45 * intent + 0.4 * tour + 0.05 * np.minimum(saved, 10)))
    intent_rating = np.round(1 / (1 + np.exp(-(score + 0.8 * rng.normal(size=n)))), 4)
    targets = {
        "converted": converted,
        "days_to_close": days_to_close,
        "stage": stage,                      # 0 cold, 1 nurturing, 2 hot
        "showings_booked": showings.astype(float),
        "agent_intent_rating": intent_rating,  # fraction in [0, 1]
    }
    return num, cats, targets


def category_codes(cats: pd.DataFrame):
    """Sorted levels per column and a float64 code matrix (NaN = missing)."""
    levels, codes = {}, {}
    for c in cats.columns:
        vals = [None if pd.isna(v) else str(v) for v in cats[c]]
        lv = sorted(set(v for v in vals if v is not None))
        levels[c] = lv
        idx = {v: i for i, v in enumerate(lv)}
        codes[c] = np.array([np.nan if v is None else float(idx[v]) for v in vals])
    return levels, pd.DataFrame(codes)


# ==========================================================================
# model inspection helpers
# ==========================================================================

def xgb_trees(model: dict) -> list[dict]:
    gb = model["learner"]["gradient_booster"]
    if gb["name"] == "dart":
        gb = gb["gbtree"]
    return gb["model"]["trees"]


def xgb_max_depth(tree: dict) -> int:
    def depth(n):
        lc = tree["left_children"][n]
        if lc == -1:
            return 0
        return 1 + max(depth(lc), depth(tree["right_children"][n]))
    return depth(0)


def xgb_thresholds(model: dict) -> dict[int, list[float]]:
    out: dict[int, set] = {}
    for t in xgb_trees(model):
        for lc, f, st, c in zip(t["left_children"], t["split_indices"], t["split_type"],
                                t["split_conditions"]):
            if lc != -1 and st == 0:
                out.setdefault(f, set()).add(float(np.float32(c)))
    return {k: sorted(v) for k, v in out.items()}


def xgb_split_stats(model: dict) -> dict:
    n_num = n_cat = 0
    set_sizes = []
    for t in xgb_trees(model):
        for lc, st in zip(t["left_children"], t["split_type"]):
            if lc != -1:
                n_num += st == 0
                n_cat += st == 1
        set_sizes += list(t.get("categories_sizes", []))
    d = {"numeric_splits": int(n_num), "categorical_splits": int(n_cat)}
    if set_sizes:
        d["category_set_sizes"] = {str(k): set_sizes.count(k) for k in sorted(set(set_sizes))}
    return d


def lgb_walk(node, fn, depth=0):
    fn(node, depth)
    if "split_feature" in node:
        lgb_walk(node["left_child"], fn, depth + 1)
        lgb_walk(node["right_child"], fn, depth + 1)


def lgb_thresholds(dump: dict) -> dict[int, list[float]]:
    out: dict[int, set] = {}

    def fn(n, _):
        if "split_feature" in n and n["decision_type"] == "<=":
            out.setdefault(n["split_feature"], set()).add(float(n["threshold"]))
    for t in dump["tree_info"]:
        lgb_walk(t["tree_structure"], fn)
    return {k: sorted(v) for k, v in out.items()}


def lgb_split_stats(dump: dict) -> dict:
    stats = {"missing_type": {}, "decision_type": {}, "infinite_thresholds": 0,
             "max_depth": 0, "single_leaf_trees": 0}

    def fn(n, depth):
        stats["max_depth"] = max(stats["max_depth"], depth)
        if "split_feature" not in n:
            return
        for key in ("missing_type", "decision_type"):
            stats[key][n[key]] = stats[key].get(n[key], 0) + 1
        if n["decision_type"] == "<=" and abs(float(n["threshold"])) >= 1e300:
            stats["infinite_thresholds"] += 1
    for t in dump["tree_info"]:
        if "split_feature" not in t["tree_structure"]:
            stats["single_leaf_trees"] += 1
        lgb_walk(t["tree_structure"], fn)
    return stats


# ==========================================================================
# edge rows
# ==========================================================================

def make_edge_rows(X_data: np.ndarray, thresholds: dict[int, list[float]],
                   cat_sizes: dict[int, int], library: str, seed: int):
    """Synthetic rows that stress split semantics (see README)."""
    rng = np.random.default_rng(seed)
    nf = X_data.shape[1]
    dtype = np.float32 if library == "xgboost" else np.float64

    def data_value(j):
        col = X_data[:, j]
        col = col[~np.isnan(col)]
        return float(rng.choice(col)) if len(col) else 0.0

    def cat_value(j):
        r = rng.random()
        if r < 0.15:
            return np.nan
        if r < 0.3:
            return float(cat_sizes[j])          # unseen code k
        if r < 0.4:
            return -1.0                         # negative code
        return float(rng.integers(0, cat_sizes[j]))

    def thr_value(j, mode):
        if j in cat_sizes:
            return cat_value(j)
        ts = thresholds.get(j)
        if not ts:
            return data_value(j)
        t = dtype(rng.choice(ts))
        if mode == "at":
            return t
        if library == "xgboost":      # x < t: one float32 ulp below goes left
            return np.nextafter(t, dtype(-np.inf))
        return np.nextafter(t, dtype(np.inf))   # LightGBM x <= t: one double ulp above

    rows, kinds = [], []

    def add(kind, fn):
        rows.append([fn(j) for j in range(nf)])
        kinds.append(kind)

    add("all_missing", lambda j: np.nan)
    add("all_zero", lambda j: 0.0)
    add("all_minus_one", lambda j: -1.0)
    add("all_plus_1e30", lambda j: float(cat_sizes[j]) if j in cat_sizes else 1e30)
    add("all_minus_1e30", lambda j: np.nan if j in cat_sizes else -1e30)
    for _ in range(5):
        add("at_threshold", lambda j: thr_value(j, "at"))
    for _ in range(5):
        add("one_ulp_off_threshold", lambda j: thr_value(j, "ulp"))
    n_mixed = 5
    for _ in range(n_mixed):
        def mixed(j):
            r = rng.random()
            if j in cat_sizes:
                return cat_value(j)
            if r < 0.15:
                return np.nan
            if r < 0.3:
                return -abs(data_value(j)) - float(rng.integers(1, 5))   # negative value
            if r < 0.65:
                return thr_value(j, "at" if rng.random() < 0.5 else "ulp")
            return data_value(j)
        add("mixed", mixed)
    if cat_sizes:
        base = X_data[rng.integers(0, len(X_data))]
        add("unseen_category", lambda j: float(cat_sizes[j]) if j in cat_sizes else base[j])
        base2 = X_data[rng.integers(0, len(X_data))]
        add("negative_category", lambda j: (-1.0 if j % 2 else -3.0) if j in cat_sizes else base2[j])
    if library == "lightgbm":
        zs = [LGB_ZERO, -LGB_ZERO, 1e-36, -1e-36]
        add("near_zero", lambda j: (0.0 if j in cat_sizes else zs[j % 4]))
        # infinite LightGBM thresholds are dumped as 1e+300 in model.json
        add("above_1e300", lambda j: (0.0 if j in cat_sizes else
                                      (np.nextafter(1e300, np.inf) if j % 2 == 0 else 1e301)))
    return np.array(rows, dtype=dtype), kinds


# ==========================================================================
# shared case writing
# ==========================================================================

def write_categories(path: Path, names: list[str], levels: dict[str, list[str]]) -> None:
    rows = []
    for c, lv in levels.items():
        j = names.index(c)
        rows += [[c, str(j), str(k), v] for k, v in enumerate(lv)]
    write_csv(path, ["feature", "feature_index", "code", "category"], rows)


def expected_header(names: list[str], num_class: int) -> list[str]:
    h = ["row", "row_kind"]
    if num_class <= 1:
        return h + ["margin", "prediction"] + [f"shap_{n}" for n in names] + ["shap_bias"]
    h += [f"margin_c{k}" for k in range(num_class)] + [f"prob_c{k}" for k in range(num_class)]
    for k in range(num_class):
        h += [f"shap_c{k}_{n}" for n in names] + [f"shap_c{k}_bias"]
    return h


def expected_matrix(margin, pred, contrib, num_class: int) -> np.ndarray:
    """(n, cols) numeric part of expected.csv (everything after row_kind)."""
    n = margin.shape[0]
    if num_class <= 1:
        return np.column_stack([margin.reshape(n), pred.reshape(n), contrib.reshape(n, -1)])
    return np.column_stack([margin.reshape(n, num_class), pred.reshape(n, num_class),
                            contrib.reshape(n, -1)])


def write_expected(path: Path, names, num_class, kinds, M: np.ndarray, fmt) -> list[list[str]]:
    strings = [[fmt(v) for v in row] for row in M]
    rows = [[str(i), kinds[i]] + s for i, s in enumerate(strings)]
    write_csv(path, expected_header(names, num_class), rows)
    return strings


def link(objective: str, margin: list[float]) -> list[float]:
    """The documented margin -> prediction transform, in plain Python."""
    if objective in ("binary:logistic", "reg:logistic", "binary"):
        return [1 / (1 + math.exp(-m)) for m in margin]
    if objective == "count:poisson":
        return [math.exp(m) for m in margin]
    if objective in ("multi:softprob", "multiclass"):
        mx = max(margin)
        e = [math.exp(m - mx) for m in margin]
        return [v / sum(e) for v in e]
    return list(margin)   # reg:squarederror, binary:logitraw, regression


def pure_python_checks(case_dir: Path, objective: str, num_class: int, nf: int,
                       parse, tol: dict) -> dict:
    """Read expected.csv back as text and check its internal consistency."""
    header, rows = read_csv(case_dir / "expected.csv")
    k = max(num_class, 1)
    worst_shap = worst_link = 0.0
    for r in rows:
        vals = [parse(s) for s in r[2:]]
        margin, pred = vals[:k], vals[k:2 * k]
        shap = vals[2 * k:]
        assert len(shap) == k * (nf + 1)
        for c in range(k):
            s = math.fsum(shap[c * (nf + 1):(c + 1) * (nf + 1)])
            worst_shap = max(worst_shap, abs(s - margin[c]) / max(1.0, abs(margin[c])))
        want = link(objective, margin)
        worst_link = max(worst_link, max(abs(a - b) for a, b in zip(want, pred)))
    assert worst_shap <= 1e-4, (case_dir.name, worst_shap)
    assert worst_link <= tol["prediction_abs"], (case_dir.name, worst_link)
    return {"shap_sum_vs_margin_max_rel": worst_shap, "link_vs_prediction_max_abs": worst_link}


def holdout_metric(objective: str, y: np.ndarray, pred: np.ndarray) -> dict:
    """A sanity metric on the held-out rows (so the models are real, working ones)."""
    if objective in ("binary:logistic", "binary:logitraw", "binary"):
        order = np.argsort(pred, kind="mergesort")
        ranks = np.empty(len(pred))
        ranks[order] = np.arange(1, len(pred) + 1)
        pos = y == 1
        n1, n0 = pos.sum(), (~pos).sum()
        return {"holdout_auc": float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))}
    if objective in ("multi:softprob", "multiclass"):
        return {"holdout_accuracy": float(np.mean(np.argmax(pred, axis=1) == y))}
    return {"holdout_rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
            "holdout_rmse_of_mean": float(np.std(y))}


def pick_data_rows(n_pool: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_pool, size=DATA_ROWS, replace=False))


# ==========================================================================
# xgboost cases
# ==========================================================================

def xgb_outputs(bst: xgb.Booster, X: np.ndarray, categorical: bool):
    dm = xgb.DMatrix(X, missing=np.nan, feature_names=bst.feature_names,
                     feature_types=bst.feature_types, enable_categorical=categorical, nthread=1)
    return (bst.predict(dm, output_margin=True), bst.predict(dm),
            bst.predict(dm, pred_contribs=True))


def xgb_base_margin(model: dict) -> list[float]:
    """The margin xgboost starts from, measured: zero every leaf, then predict."""
    m = json.loads(json.dumps(model))
    for t in xgb_trees(m):
        t["split_conditions"] = [0.0 if lc == -1 else c
                                 for lc, c in zip(t["left_children"], t["split_conditions"])]
        t["base_weights"] = [0.0 if lc == -1 else c
                             for lc, c in zip(t["left_children"], t["base_weights"])]
    b = xgb.Booster(model_file=bytearray(json.dumps(m).encode()))
    b.set_param({"nthread": 1})
    nf = int(m["learner"]["learner_model_param"]["num_feature"])
    X = np.full((1, nf), np.nan, dtype=np.float32)
    out = b.predict(xgb.DMatrix(X, feature_names=b.feature_names, feature_types=b.feature_types,
                                enable_categorical=True), output_margin=True)
    return [float(v) for v in np.asarray(out).reshape(-1)]


def build_xgb_case(out: Path, spec: dict, data) -> dict:
    num, cats, targets, levels, codes = data
    name = spec["name"]
    case_dir = out / name
    case_dir.mkdir(parents=True, exist_ok=True)
    categorical = spec.get("categorical", False)
    y = targets[spec["target"]]
    tr = np.arange(TRAIN_ROWS)
    params = {"nthread": 1, "seed": spec["seed"], **spec["params"]}

    if categorical:
        names = FEATURES + list(CATEGORICAL)
        frame = num.astype(np.float32).copy()
        for c in CATEGORICAL:
            frame[c] = pd.Categorical(cats[c], categories=levels[c])
        dtrain = xgb.DMatrix(frame.iloc[tr], label=y[tr], enable_categorical=True, nthread=1)
        X_all = np.column_stack([num.to_numpy(), codes.to_numpy()]).astype(np.float32)
        cat_sizes = {names.index(c): len(levels[c]) for c in CATEGORICAL}
    else:
        names = FEATURES
        X_all = num.to_numpy().astype(np.float32)
        dtrain = xgb.DMatrix(X_all[tr], label=y[tr], missing=np.nan, feature_names=names,
                             feature_types=["float"] * len(names), nthread=1)
        cat_sizes = {}
    bst_mem = xgb.train(params, dtrain, num_boost_round=spec["rounds"])
    model_path = case_dir / "model.json"
    bst_mem.save_model(str(model_path))
    model = json.loads(model_path.read_text())
    bst = xgb.Booster(model_file=str(model_path))
    bst.set_param({"nthread": 1})
    assert bst.feature_names == names, (bst.feature_names, names)
    te = np.arange(TRAIN_ROWS, len(y))
    if categorical:
        p_te = bst.predict(xgb.DMatrix(frame.iloc[te], enable_categorical=True))
    else:
        p_te = bst.predict(xgb.DMatrix(X_all[te], feature_names=names, feature_types=["float"] * len(names)))
    quality = holdout_metric(spec["objective"], y[te], p_te)

    data_idx = pick_data_rows(len(X_all), spec["seed"] + 1000)
    X_data = X_all[data_idx]
    X_edge, edge_kinds = make_edge_rows(X_all[tr], xgb_thresholds(model), cat_sizes,
                                        "xgboost", spec["seed"] + 2000)
    X = np.vstack([X_data, X_edge]).astype(np.float32)
    kinds = ["data"] * len(X_data) + edge_kinds

    margin, pred, contrib = xgb_outputs(bst, X, categorical)
    checks = dict(quality)
    m_mem, _, _ = xgb_outputs(bst_mem, X, categorical)
    checks["reload_vs_in_memory_max_abs_margin"] = float(np.max(np.abs(m_mem - margin)))
    inplace = bst.inplace_predict(X, predict_type="margin", missing=np.nan)
    checks["inplace_vs_dmatrix_max_abs_margin"] = float(np.max(np.abs(inplace - margin)))
    assert checks["reload_vs_in_memory_max_abs_margin"] == 0.0
    if spec["params"].get("booster") == "dart":
        # DART: DMatrix predict accumulates in float32 as margin += float32(weight_drop[i] * leaf),
        # in tree order, starting from the base margin (verified bit-exact); inplace_predict
        # rounds differently, so the two differ by a few float32 ulps.
        assert checks["inplace_vs_dmatrix_max_abs_margin"] <= 1e-5
    else:
        assert checks["inplace_vs_dmatrix_max_abs_margin"] == 0.0
    if categorical:
        # the pandas path (names re-coded by xgboost) must agree with the codes
        df = pd.DataFrame(X_data[:, :len(FEATURES)], columns=FEATURES)
        for c in CATEGORICAL:
            col = X_data[:, names.index(c)]
            df[c] = pd.Categorical.from_codes(np.where(np.isnan(col), -1, col).astype(int),
                                              categories=levels[c])
        m_df = bst.predict(xgb.DMatrix(df, enable_categorical=True), output_margin=True)
        checks["dataframe_vs_codes_max_abs_margin"] = float(np.max(np.abs(m_df - margin[:len(X_data)])))
        assert checks["dataframe_vs_codes_max_abs_margin"] == 0.0
        write_categories(case_dir / "categories.csv", names, levels)
        # model.json `cats` must name the same categories in the same order
        enc = model["learner"]["gradient_booster"]["model"]["cats"]["enc"]
        for c in CATEGORICAL:
            e = enc[names.index(c)]
            vals = bytes(e["values"])
            got = [vals[e["offsets"][i]:e["offsets"][i + 1]].decode() for i in range(len(e["offsets"]) - 1)]
            assert got == levels[c], (c, got, levels[c])

    # inputs.csv
    in_strings = [[fmt32(v) for v in row] for row in X]
    check_strings32(X, in_strings)
    write_csv(case_dir / "inputs.csv", names, in_strings)
    num_class = int(model["learner"]["learner_model_param"]["num_class"])
    if spec["objective"] == "multi:softprob":
        assert pred.shape == (len(X), num_class)
    M = expected_matrix(margin, pred, contrib, num_class)
    exp_strings = write_expected(case_dir / "expected.csv", names, num_class, kinds, M, fmt32)
    check_strings32(M, exp_strings)

    # read the files back: same inputs -> bit-identical outputs
    _, in_rows = read_csv(case_dir / "inputs.csv")
    X_back = np.array([[np.float32(s) if s else np.float32(np.nan) for s in r] for r in in_rows],
                      dtype=np.float32)
    assert np.array_equal(X_back, X, equal_nan=True)
    m2, p2, c2 = xgb_outputs(bst, X_back, categorical)
    _, exp_rows = read_csv(case_dir / "expected.csv")
    E = np.array([[np.float32(s) for s in r[2:]] for r in exp_rows], dtype=np.float32)
    assert np.array_equal(E, expected_matrix(m2, p2, c2, num_class).astype(np.float32))
    checks["csv_roundtrip_bit_exact"] = True
    tol = spec["tolerances"]
    checks.update(pure_python_checks(case_dir, spec["objective"], num_class, len(names),
                                     lambda s: float(np.float32(s)) if s else float("nan"), tol))

    trees = xgb_trees(model)
    depth = max(xgb_max_depth(t) for t in trees)
    assert len(trees) <= 40 and depth <= 5, (name, len(trees), depth)
    lp = model["learner"]["learner_model_param"]
    meta = {
        "case": name,
        "library": "xgboost",
        "description": spec["description"],
        "objective": model["learner"]["objective"]["name"],
        "booster": model["learner"]["gradient_booster"]["name"],
        "num_class": num_class,
        "num_features": len(names),
        "num_trees": len(trees),
        "max_depth": depth,
        "feature_names": names,
        "categorical_features": list(CATEGORICAL) if categorical else [],
        "rows": {"total": len(X), "data": len(X_data), "edge": len(X_edge)},
        "files": sorted(p.name for p in case_dir.iterdir()),
        "number_format": "float32 shortest round-trip",
        "base_score_json": lp["base_score"],
        "boost_from_average": lp.get("boost_from_average"),
        "base_margin": xgb_base_margin(model),
        "train_params": params,
        "num_boost_round": spec["rounds"],
        "splits": xgb_split_stats(model),
        "tolerances": tol,
        "checks": checks,
    }
    if model["learner"]["gradient_booster"]["name"] == "dart":
        wd = model["learner"]["gradient_booster"]["weight_drop"]
        meta["dart_weight_drop_distinct"] = len(set(wd))
    return meta


# ==========================================================================
# LightGBM cases
# ==========================================================================

def lgb_outputs(bst: lgb.Booster, X: np.ndarray):
    return (bst.predict(X, raw_score=True, num_threads=1),
            bst.predict(X, num_threads=1),
            bst.predict(X, pred_contrib=True, num_threads=1))


def build_lgb_case(out: Path, spec: dict, data) -> dict:
    num, cats, targets, levels, codes = data
    name = spec["name"]
    case_dir = out / name
    case_dir.mkdir(parents=True, exist_ok=True)
    categorical = spec.get("categorical", False)
    y = targets[spec["target"]]
    tr = np.arange(TRAIN_ROWS)
    if categorical:
        names = FEATURES + list(CATEGORICAL)
        X_all = np.column_stack([num.to_numpy(), codes.to_numpy()]).astype(np.float64)
        cat_idx = [names.index(c) for c in CATEGORICAL]
        cat_sizes = {names.index(c): len(levels[c]) for c in CATEGORICAL}
    else:
        names = FEATURES
        X_all = num.to_numpy().astype(np.float64)
        cat_idx, cat_sizes = [], {}
    params = {"num_threads": 1, "deterministic": True, "force_col_wise": True, "verbose": -1,
              "seed": spec["seed"], **spec["params"]}
    ds = lgb.Dataset(X_all[tr], label=y[tr], feature_name=names,
                     categorical_feature=cat_idx if cat_idx else "auto", free_raw_data=False)
    bst_mem = lgb.train(params, ds, num_boost_round=spec["rounds"])
    bst_mem.save_model(str(case_dir / "model.txt"))
    bst = lgb.Booster(model_file=str(case_dir / "model.txt"))
    dump = bst.dump_model()
    (case_dir / "model.json").write_text(json.dumps(dump))
    assert bst.feature_name() == names
    te = np.arange(TRAIN_ROWS, len(y))
    quality = holdout_metric(spec["objective"], y[te], bst.predict(X_all[te], num_threads=1))

    data_idx = pick_data_rows(len(X_all), spec["seed"] + 1000)
    X_data = X_all[data_idx]
    X_edge, edge_kinds = make_edge_rows(X_all[tr], lgb_thresholds(dump), cat_sizes,
                                        "lightgbm", spec["seed"] + 2000)
    X = np.vstack([X_data, X_edge])
    kinds = ["data"] * len(X_data) + edge_kinds

    margin, pred, contrib = lgb_outputs(bst, X)
    m_mem, _, _ = lgb_outputs(bst_mem, X)
    checks = {**quality, "reload_vs_in_memory_max_abs_margin": float(np.max(np.abs(m_mem - margin)))}
    assert checks["reload_vs_in_memory_max_abs_margin"] == 0.0
    num_class = int(dump.get("num_class", 1))
    if num_class <= 1:
        num_class = 0 if spec["objective"] != "multiclass" else num_class
    if categorical:
        write_categories(case_dir / "categories.csv", names, levels)

    in_strings = [[fmt64(v) for v in row] for row in X]
    check_strings64(X, in_strings)
    write_csv(case_dir / "inputs.csv", names, in_strings)
    M = expected_matrix(np.asarray(margin), np.asarray(pred), np.asarray(contrib), num_class)
    exp_strings = write_expected(case_dir / "expected.csv", names, num_class, kinds, M, fmt64)
    check_strings64(M, exp_strings)

    _, in_rows = read_csv(case_dir / "inputs.csv")
    X_back = np.array([[float(s) if s else np.nan for s in r] for r in in_rows])
    assert np.array_equal(X_back, X, equal_nan=True)
    m2, p2, c2 = lgb_outputs(bst, X_back)
    _, exp_rows = read_csv(case_dir / "expected.csv")
    E = np.array([[float(s) for s in r[2:]] for r in exp_rows])
    assert np.array_equal(E, expected_matrix(np.asarray(m2), np.asarray(p2), np.asarray(c2), num_class))
    checks["csv_roundtrip_bit_exact"] = True
    tol = spec["tolerances"]
    checks.update(pure_python_checks(case_dir, spec["objective"], num_class, len(names),
                                     lambda s: float(s) if s else float("nan"), tol))

    stats = lgb_split_stats(dump)
    n_trees = len(dump["tree_info"])
    assert n_trees <= 40 and stats["max_depth"] <= 5, (name, n_trees, stats)
    return {
        "case": name,
        "library": "lightgbm",
        "description": spec["description"],
        "objective": dump["objective"],
        "num_class": num_class,
        "num_features": len(names),
        "num_trees": n_trees,
        "max_depth": stats["max_depth"],
        "feature_names": names,
        "categorical_features": list(CATEGORICAL) if categorical else [],
        "rows": {"total": len(X), "data": len(X_data), "edge": len(X_edge)},
        "files": sorted(p.name for p in case_dir.iterdir()),
        "number_format": "float64 shortest round-trip",
        "train_params": params,
        "num_boost_round": spec["rounds"],
        "splits": stats,
        "tolerances": tol,
        "checks": checks,
    }


# ==========================================================================
# case list
# ==========================================================================

XGB_TREE = {"max_depth": 4, "eta": 0.3, "subsample": 0.8, "colsample_bytree": 0.8,
            "tree_method": "hist"}
LGB_TREE = {"num_leaves": 15, "max_depth": 5, "learning_rate": 0.2, "min_data_in_leaf": 20,
            "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1}

CASES = [
    dict(name="xgb-binary", library="xgboost", objective="binary:logistic", target="converted",
         rounds=30, seed=11, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "objective": "binary:logistic"},
         description="binary:logistic, 30 trees depth<=4, numeric + 0/1 features with NaN kept "
                     "(default directions matter); base_score estimated by xgboost."),
    dict(name="xgb-regression", library="xgboost", objective="reg:squarederror",
         target="days_to_close", rounds=30, seed=12, tolerances=TOL_REGRESSION,
         params={**XGB_TREE, "max_depth": 5, "objective": "reg:squarederror"},
         description="reg:squarederror predicting days_to_close (3..720 days); identity link, "
                     "base_score = target mean."),
    dict(name="xgb-multiclass", library="xgboost", objective="multi:softprob", target="stage",
         rounds=12, seed=13, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "objective": "multi:softprob", "num_class": 3},
         description="multi:softprob, 3 lead stages (0 cold, 1 nurturing, 2 hot), 12 rounds = 36 trees; "
                     "vector base_score (already margins), softmax, per-class SHAP."),
    dict(name="xgb-categorical", library="xgboost", objective="binary:logistic", target="converted",
         rounds=30, seed=14, tolerances=TOL_CLASSIFIER, categorical=True,
         params={**XGB_TREE, "objective": "binary:logistic", "max_cat_to_onehot": 4},
         description="binary:logistic with native categorical splits (pandas category dtype, "
                     "enable_categorical, hist). lead_source (8) and property_type (5) use partition "
                     "splits; financing (3 < max_cat_to_onehot=4) uses one-hot splits. inputs.csv holds "
                     "integer codes (categories.csv); model.json stores the names in `cats`."),
    dict(name="xgb-dart", library="xgboost", objective="binary:logistic", target="converted",
         rounds=25, seed=15, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "booster": "dart", "rate_drop": 0.1, "skip_drop": 0.0,
                 "objective": "binary:logistic"},
         description="DART booster (rate_drop 0.1): model.json nests gbtree under "
                     "gradient_booster.gbtree and each tree's output is scaled by weight_drop[i]."),
    dict(name="xgb-poisson", library="xgboost", objective="count:poisson", target="showings_booked",
         rounds=25, seed=16, tolerances={**TOL_CLASSIFIER, "prediction_abs": 1e-4},
         params={**XGB_TREE, "objective": "count:poisson"},
         description="count:poisson predicting showings_booked; prediction = exp(margin); "
                     "base_score stored as the mean count, base margin = log(base_score)."),
    dict(name="xgb-logitraw", library="xgboost", objective="binary:logitraw", target="converted",
         rounds=20, seed=17, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "objective": "binary:logitraw"},
         description="binary:logitraw: prediction = raw margin (no sigmoid). NOTE base_score is "
                     "used as the margin as is (no logit)."),
    dict(name="xgb-reglogistic", library="xgboost", objective="reg:logistic",
         target="agent_intent_rating", rounds=20, seed=18, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "objective": "reg:logistic"},
         description="reg:logistic on a fractional target in [0,1]; sigmoid link, base_score is a "
                     "probability (base margin = logit)."),
    dict(name="xgb-base-score", library="xgboost", objective="binary:logistic", target="converted",
         rounds=20, seed=19, tolerances=TOL_CLASSIFIER,
         params={**XGB_TREE, "objective": "binary:logistic", "base_score": 0.25},
         description="binary:logistic with an explicit base_score=0.25 (base margin = logit(0.25))."),
    dict(name="lgb-binary", library="lightgbm", objective="binary", target="converted",
         rounds=30, seed=21, tolerances=TOL_LIGHTGBM,
         params={**LGB_TREE, "objective": "binary"},
         description="LightGBM binary with NaN in 4 columns: missing_type NaN (incl. 'missing vs. "
                     "rest' split with an infinite threshold: inf in model.txt, 1e+300 in model.json) and None."),
    dict(name="lgb-zero-missing", library="lightgbm", objective="binary", target="converted",
         rounds=30, seed=22, tolerances=TOL_LIGHTGBM,
         params={**LGB_TREE, "objective": "binary", "zero_as_missing": True},
         description="LightGBM binary trained with zero_as_missing=True: missing_type Zero "
                     "(0 and NaN both follow default_left)."),
    dict(name="lgb-regression", library="lightgbm", objective="regression", target="days_to_close",
         rounds=30, seed=23, tolerances=TOL_LIGHTGBM,
         params={**LGB_TREE, "objective": "regression"},
         description="LightGBM regression (L2) predicting days_to_close; the average is folded "
                     "into the first tree."),
    dict(name="lgb-multiclass", library="lightgbm", objective="multiclass", target="stage",
         rounds=12, seed=24, tolerances=TOL_LIGHTGBM,
         params={**LGB_TREE, "objective": "multiclass", "num_class": 3},
         description="LightGBM multiclass (softmax), 3 stages, 12 rounds = 36 trees; tree i "
                     "belongs to class i % 3."),
    dict(name="lgb-categorical", library="lightgbm", objective="binary", target="converted",
         rounds=30, seed=25, tolerances=TOL_LIGHTGBM, categorical=True,
         params={**LGB_TREE, "objective": "binary", "min_data_per_group": 20, "cat_smooth": 5,
                 "max_cat_to_onehot": 4},
         description="LightGBM binary with categorical_feature on integer codes: '==' splits "
                     "whose threshold lists the codes that go left; financing (3 categories) is "
                     "split one-vs-rest."),
]


def build_rejects(out: Path, data) -> dict:
    num, cats, targets, levels, codes = data
    d = out / "reject"
    d.mkdir(parents=True, exist_ok=True)
    X = num.to_numpy().astype(np.float32)[:TRAIN_ROWS]
    y = targets["converted"][:TRAIN_ROWS]
    dtrain = xgb.DMatrix(X, label=y, feature_names=FEATURES, feature_types=["float"] * len(FEATURES),
                         nthread=1)
    b = xgb.train({"booster": "gblinear", "objective": "binary:logistic", "nthread": 1, "seed": 31},
                  dtrain, num_boost_round=5)
    b.save_model(str(d / "gblinear.json"))

    ds = xgb.DMatrix(X, label=targets["stage"][:TRAIN_ROWS], feature_names=FEATURES,
                     feature_types=["float"] * len(FEATURES), nthread=1)
    b = xgb.train({"objective": "multi:softprob", "num_class": 3, "multi_strategy": "multi_output_tree",
                   "tree_method": "hist", "max_depth": 3, "nthread": 1, "seed": 32}, ds, num_boost_round=3)
    b.save_model(str(d / "vector-leaf.json"))
    vl = json.loads((d / "vector-leaf.json").read_text())
    assert xgb_trees(vl)[0]["tree_param"]["size_leaf_vector"] == "3"

    X64 = num.to_numpy()[:TRAIN_ROWS]
    lds = lgb.Dataset(X64, label=y, feature_name=FEATURES, free_raw_data=False)
    lb = lgb.train({"objective": "binary", "linear_tree": True, "num_leaves": 7, "num_threads": 1,
                    "deterministic": True, "force_col_wise": True, "verbose": -1, "seed": 33},
                   lds, num_boost_round=3)
    lb.save_model(str(d / "lgb-linear.txt"))
    assert "is_linear=1" in (d / "lgb-linear.txt").read_text()
    return {
        "gblinear.json": "xgboost booster 'gblinear' (linear model, no trees): reject",
        "vector-leaf.json": "xgboost multi:softprob with multi_strategy='multi_output_tree' "
                            "(tree_param.size_leaf_vector = 3): reject (or support without SHAP)",
        "lgb-linear.txt": "LightGBM linear_tree=True (is_linear=1, leaves hold linear models): reject",
    }


# ==========================================================================
# README / manifest
# ==========================================================================

def versions() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "xgboost": xgb.__version__, "lightgbm": lgb.__version__}


def write_manifest(out: Path, metas: list[dict], rejects: dict) -> None:
    manifest = {
        "generator": "scripts/make_fixtures.py",
        "versions": versions(),
        "cases": [{k: m[k] for k in (
            "case", "library", "objective", "num_class", "num_features", "num_trees", "max_depth",
            "categorical_features", "rows", "files", "number_format", "tolerances", "description")
            if k in m} | ({"booster": m["booster"], "base_score_json": m["base_score_json"],
                           "base_margin": m["base_margin"]} if m["library"] == "xgboost" else {})
            | {"checks": m["checks"], "splits": m["splits"]}
            for m in metas],
        "reject": [{"file": f"reject/{k}", "why": v} for k, v in rejects.items()],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


README_HEAD = """# Tree-ensemble test fixtures

Synthetic, self-contained ground truth for LeadGate's tree-ensemble engine.
Each folder holds one small model saved by the **real library** and what that
library returned for a fixed input matrix. An evaluator passes a case when it
loads the model file alone and reproduces `expected.csv` from `inputs.csv`
within the case's tolerances (`manifest.json`).

The data are **synthetic real-estate leads** drawn by a seeded numpy generator
(`make_leads` in the script): browsing and e-mail counts, days since last
activity, a budget ratio, a call sentiment score in [-1, 1] (negative values
occur), four 0/1 flags and, for the categorical cases, `lead_source` (8 levels),
`property_type` (5) and `financing` (3). NaN appears in `email_opens` (~10%),
`days_since_last_activity` (~8%), `budget_ratio` (~12%), `call_sentiment`
(~18%, "never reached by phone", which is predictive) and in `lead_source` /
`financing`. No real data are used, so the repository stands alone.

## Regenerating

```sh
python3 scripts/make_fixtures.py            # rewrites Tests/Fixtures/ (about 10 s)
python3 scripts/make_fixtures.py --check    # regenerate into a temp dir, diff with the committed files
```

Training is single-threaded (`nthread=1`, `num_threads=1`, `deterministic=True`)
and seeded, so the output is byte-identical for the same library versions. Other
xgboost/LightGBM versions give different models: regenerate all cases together.
The script also checks itself and aborts on failure: the reloaded model equals the
in-memory one, `inplace_predict` equals `DMatrix` predict, the CSV files parse back
to the exact matrices and outputs, every decimal parses to the intended float32
(checked in exact rational arithmetic), SHAP rows sum to the margin (1e-4
relative), and `prediction` equals the documented link applied to `margin`.

Generated with:

{versions}

## Files in each case

| file | contents |
|---|---|
| `model.json` | xgboost: `Booster.save_model("model.json")`. LightGBM: `json.dumps(booster.dump_model())` of the booster reloaded from `model.txt`. |
| `model.txt` | LightGBM only: `Booster.save_model`, the native text format. |
| `inputs.csv` | The exact matrix fed to the library. Header = the model's feature names in model order. **Empty cell = NaN.** |
| `expected.csv` | `row,row_kind,margin,prediction,shap_<feature>...,shap_bias`. Multiclass: `row,row_kind,margin_c0..2,prob_c0..2,shap_c0_<feature>...,shap_c0_bias,shap_c1_...`. |
| `categories.csv` | Categorical cases: `feature,feature_index,code,category` (codes are the integers in `inputs.csv`; categories sorted). |

`margin` is `predict(output_margin=True)` (LightGBM `raw_score=True`),
`prediction` is `predict()` and the `shap_*` columns are `pred_contribs=True`
(LightGBM `pred_contrib=True`), all computed by a booster **re-loaded from the
committed model file**. `shap_bias` includes the base margin.

### Number format

* **xgboost cases**: every number in `inputs.csv` and `expected.csv` is a float32,
  printed as the shortest decimal that parses back to the same float32 (`0.87`,
  `1e+30`, `-2.0554915e-05`). Parse as `Float`. Do not compare raw `Double`s.
* **LightGBM cases**: float64, shortest round-trip repr (`0.87`, `3.0`, `1e+300`). Parse as `Double`.
* The empty string means NaN. No cell holds `nan` or `inf`.

### Rows

Rows `0 … 149` (`row_kind = data`) are synthetic leads drawn from the whole
generated pool (training and held-out alike). They are followed by edge rows built from the
model's own split thresholds:

| row_kind | contents |
|---|---|
| `all_missing`, `all_zero`, `all_minus_one` | every feature NaN / 0 / -1 (-1 is a negative category code) |
| `all_plus_1e30`, `all_minus_1e30` | ±1e30 (categoricals: unseen code `k`, NaN) |
| `at_threshold` | every numeric feature exactly equal to one of its split thresholds |
| `one_ulp_off_threshold` | xgboost: one **float32** ulp **below** a threshold (`x < t` goes left); LightGBM: one **double** ulp **above** (`x <= t`) |
| `mixed` | NaN, negative values, thresholds, ulp-off values and data values; categoricals also get unseen and negative codes |
| `unseen_category` | categorical cases: every categorical = code `k` (number of training categories), numerics from a data row |
| `negative_category` | categorical cases: categorical codes -1 / -3 |
| `near_zero` | LightGBM: `±1.0000000180025095e-35` (kZeroThreshold) and `±1e-36`, which LightGBM snaps to 0 |
| `above_1e300` | LightGBM: values just above 1e300, which catch a loader that reads a dumped `1e+300` threshold literally instead of as +inf |

## Cases

"""

README_TAIL = """
## base_score and the base margin (xgboost)

`learner.learner_model_param.base_score` is a **string** holding a bracketed
list. How it turns into the starting margin depends on the objective. The
`base margin` column below was **measured** by zeroing every leaf of the model
and predicting; `manifest.json` has it per case (`base_margin`).

{base_table}

* `binary:logistic` / `reg:logistic`: `base_score` is a probability, margin = logit(b) (float32).
* `count:poisson`: `base_score` is the mean count, margin = log(b), **correctly rounded**:
  `Float(log(Double(b)))` gives xgboost's value, while numpy's float32 `log` is one ulp off here.
* `reg:squarederror`: identity.
* **`binary:logitraw`: identity.** The stored value is the training label mean (a
  probability-like number) but xgboost 3.2 uses it as the margin *as is*. No logit is applied.
* `multi:softprob`: one entry per class, already margins (centred log priors).
* `dart`: the trees live under `gradient_booster.gbtree.model`, and tree `i`'s leaf
  value is multiplied by `gradient_booster.weight_drop[i]`. `expected.csv` (DMatrix
  predict) is reproduced **bit for bit** by a float32 accumulator:
  `m = base_margin; for i in tree order: m = Float(m + Float(weight_drop[i] * leaf_i))`.
  (xgboost's own `inplace_predict` rounds differently for DART and differs by up to a few
  float32 ulps; it is exact for every gbtree case.) SHAP also uses the weighted leaves.

## Rejection fixtures (`reject/`)

Model files only. A loader should refuse them with a clear error:

{reject_table}

## Tolerances

Same as the recommended ones for shared/golden: binary/multiclass margin abs 5e-5,
prediction abs 1e-5, SHAP abs 1e-4; xgboost regression 5e-3 for all three (values in the 100s);
LightGBM 1e-9. `xgb-poisson` predictions (`exp(margin)`, up to about 7) use abs 1e-4.
`num_class` in `manifest.json` is 0 for single-output models (as in xgboost's `learner_model_param`).
Each case's tolerances are in `manifest.json`.
"""


def write_readme(out: Path, metas: list[dict], rejects: dict) -> None:
    v = versions()
    vt = "| package | version |\n|---|---|\n" + "\n".join(
        f"| {k} | {v[k]} |" for k in ("xgboost", "lightgbm", "numpy", "pandas", "python"))
    lines = ["| folder | library / objective | trees | features | rows (data + edge) | what it exercises |",
             "|---|---|---:|---:|---|---|"]
    for m in metas:
        obj = f"`{m['objective']}`" + (" (booster `dart`)" if m.get("booster") == "dart" else "")
        lines.append(f"| `{m['case']}` | {m['library']} {obj} | {m['num_trees']} | {m['num_features']} "
                     f"| {m['rows']['data']} + {m['rows']['edge']} | {m['description']} |")
    bt = ["| case | objective | `base_score` in model.json | base margin (float32) |", "|---|---|---|---|"]
    for m in metas:
        if m["library"] == "xgboost":
            bm = ", ".join(fmt32(x) for x in m["base_margin"])
            bt.append(f"| `{m['case']}` | `{m['objective']}` | `\"{m['base_score_json']}\"` | {bm} |")
    rt = "\n".join(f"* `reject/{k}`: {w}" for k, w in rejects.items())
    text = (README_HEAD.replace("{versions}", vt) + "\n".join(lines) + "\n"
            + README_TAIL.replace("{base_table}", "\n".join(bt)).replace("{reject_table}", rt))
    (out / "README.md").write_text(text)


# ==========================================================================
# main
# ==========================================================================

def generate(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    num, cats, targets = make_leads(POOL_ROWS, seed=20240601)
    levels, codes = category_codes(cats)
    data = (num, cats, targets, levels, codes)
    metas = []
    for spec in CASES:
        shutil.rmtree(out / spec["name"], ignore_errors=True)
        build = build_xgb_case if spec["library"] == "xgboost" else build_lgb_case
        metas.append(build(out, spec, data))
    shutil.rmtree(out / "reject", ignore_errors=True)
    rejects = build_rejects(out, data)
    write_manifest(out, metas, rejects)
    write_readme(out, metas, rejects)
    return metas


def print_summary(metas: list[dict]) -> None:
    print(f"{'case':18s} {'objective':18s} {'trees':>5s} {'depth':>5s} {'rows':>5s} "
          f"{'shap-sum rel':>12s} {'link err':>9s} {'holdout':>16s}  base_score")
    for m in metas:
        c = m["checks"]
        print(f"{m['case']:18s} {m['objective'][:18]:18s} {m['num_trees']:5d} {m['max_depth']:5d} "
              f"{m['rows']['total']:5d} {c['shap_sum_vs_margin_max_rel']:12.2e} "
              f"{c['link_vs_prediction_max_abs']:9.1e} {quality_str(c):>16s}  {m.get('base_score_json', '')}")


def quality_str(c: dict) -> str:
    if "holdout_auc" in c:
        return f"auc {c['holdout_auc']:.3f}"
    if "holdout_accuracy" in c:
        return f"acc {c['holdout_accuracy']:.3f}"
    return f"rmse {c['holdout_rmse']:.3g}/{c['holdout_rmse_of_mean']:.3g}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary folder and compare with --out")
    a = ap.parse_args(argv)
    out = Path(a.out)
    if a.check:
        with tempfile.TemporaryDirectory() as tmp:
            metas = generate(Path(tmp))
            diffs = []
            for p in sorted(Path(tmp).rglob("*")):
                if p.is_file():
                    q = out / p.relative_to(tmp)
                    if not q.exists() or not filecmp.cmp(p, q, shallow=False):
                        diffs.append(str(p.relative_to(tmp)))
            print_summary(metas)
            if diffs:
                print("DIFFERENT:", *diffs, sep="\n  ")
                return 1
            print("all fixture files are identical to", out)
            return 0
    metas = generate(out)
    print_summary(metas)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
