#!/usr/bin/env python3
"""Run LeadGate's engine and the real library on the same model and rows, in the same run, and
print the ratios as a Markdown table (for Benchmarks/README.md).

    python3 Benchmarks/compare.py                     # seed-config (../shared/golden) or a fixture
    python3 Benchmarks/compare.py --model M --input I --rows 10000 --threads 1 --repeat 5

Needs a release build (`swift build -c release`) and the peer libraries
(`pip install xgboost==3.2.0 lightgbm==4.7.0 numpy`).
"""
from __future__ import annotations

import argparse
import json
import platform
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT.parent / "shared" / "golden"


def run_json(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    default_case = GOLDEN / "seed-config" if (GOLDEN / "seed-config").exists() else ROOT / "Tests/Fixtures/xgb-binary"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=default_case / "model.json")
    ap.add_argument("--input", type=Path, default=default_case / "inputs.csv")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    # LEADGATE_BIN names a release binary built elsewhere (Benchmarks/load/run.sh builds into .build-release).
    binary = os.environ.get("LEADGATE_BIN") or subprocess.run(
        ["swift", "build", "-c", "release", "--show-bin-path"], check=True, capture_output=True, text=True,
        cwd=ROOT).stdout.strip() + "/leadgate"
    common = ["--model", str(a.model), "--input", str(a.input), "--rows", str(a.rows), "--threads", str(a.threads),
              "--repeat", str(a.repeat)]
    ours = run_json([binary, "bench", *common, "--contribs", "--json"])
    peer = run_json([sys.executable, str(ROOT / "Benchmarks/xgboost_peer.py"), *common, "--json"])

    rows = [
        ("predict, batch (rows/s)", ours["predict_rows_per_s"], peer["predict_rows_per_s"], True),
        ("predict, one row (ns/call)", ours["single_row_ns"], peer["single_row_ns"], False),
        ("TreeSHAP, batch (rows/s)", ours["contribs_rows_per_s"], peer["contribs_rows_per_s"], True),
        ("TreeSHAP excl. DMatrix (rows/s)", ours["contribs_rows_per_s"], peer.get("contribs_excl_dmatrix_rows_per_s",
                                                                               peer["contribs_rows_per_s"]), True),
    ]
    print(f"model `{a.model.relative_to(ROOT.parent) if a.model.is_relative_to(ROOT.parent) else a.model}`, "
          f"{a.rows} rows, {a.threads} thread(s), median of {a.repeat}; {peer['library']} {peer['version']}; "
          f"{platform.processor() or platform.machine()}, {platform.python_version()}\n")
    print(f"| measure | LeadGate | {peer['library']} | ratio |")
    print("|---|---:|---:|---:|")
    for name, mine, theirs, higher_is_better in rows:
        ratio = mine / theirs if higher_is_better else theirs / mine
        print(f"| {name} | {mine:,.0f} | {theirs:,.0f} | **{ratio:.2f}×** |")
    print(f"\nLeadGate load time of this model: {ours['load_ms']:.1f} ms")


if __name__ == "__main__":
    main()
