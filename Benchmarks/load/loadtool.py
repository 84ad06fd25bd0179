#!/usr/bin/env python3
"""Helpers for Benchmarks/load/run.sh (standard library only).

    loadtool.py free-port                         print a free loopback TCP port
    loadtool.py bodies LEAD_JSON MODEL OUT_DIR    write leadgate.json, peer.json and peer-string.json templates
    loadtool.py batch N SEED OUT                  write a deterministic batch-score body of N leads
    loadtool.py score-of FILE                     print "score base_score" of a score response
    loadtool.py batch-counts FILE                 print "count scored failed" of a batch response
    loadtool.py think-ms TARGET                   print the think time (ms) for a closed loop at TARGET req/s
    loadtool.py half-conns TARGET DELAY_MS P50_US print the connection count that offers ~TARGET req/s
    loadtool.py handler-ms LEADGATE_LOG           print p50/p99/max of LeadGate's logged score durations
    loadtool.py summary RESULTS_DIR JSON_OUT      print the Markdown summary and write the JSON

Templates carry the placeholder __LEAD_ID__, which the wrk script replaces per request.
"""
import json
import math
import os
import random
import socket
import sys

PLACEHOLDER = "__LEAD_ID__"
# The manifest's one_hot columns for lead_source (config/models/realestate/manifest.yaml).
SOURCES = ["zillow", "realtor_com", "referral", "open_house", "website", "paid_social"]
PTYPES = ["single_family", "condo", "townhouse", "multi_family", "land"]


def free_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def category_codes(model_path: str) -> dict[str, dict[str, int]]:
    """Category name -> code per categorical column, from the xgboost JSON `cats` block.

    xgboost 3.x writes one `enc` entry per feature (empty for numeric ones), in feature order."""
    with open(model_path) as fh:
        learner = json.load(fh)["learner"]
    names = learner.get("feature_names") or []
    types = learner.get("feature_types") or []
    enc = learner["gradient_booster"]["model"].get("cats", {}).get("enc", [])
    categorical = [i for i, t in enumerate(types) if t == "c"]
    pairs = zip(range(len(enc)), enc) if len(enc) == len(names) else zip(categorical, enc)
    codes = {}
    for i, e in pairs:
        values, offsets = bytes(e.get("values", [])), e.get("offsets", [])
        if len(offsets) > 1:
            codes[names[i]] = {values[offsets[k] : offsets[k + 1]].decode(): k for k in range(len(offsets) - 1)}
    return codes


def bodies(lead_path: str, model_path: str, out_dir: str) -> None:
    """LeadGate gets the example lead as is; the peer gets the same numbers keyed by model column.

    peer.json sends categorical values as the model's integer codes. The peer's encode() would map
    a string through its CATS table, but app.py builds that table by zipping the categorical
    features with `enc[0..]` while xgboost 3.x writes one `enc` entry per feature, so CATS ends up
    empty and every string becomes NaN (missing). peer-string.json keeps the string to show that.
    """
    with open(lead_path) as fh:
        lead = json.load(fh)
    codes = category_codes(model_path)
    features = dict(lead["features"])
    gateway = {"lead_id": PLACEHOLDER, "features": features, "options": {"rerank": False}}
    if "notes" in lead:
        gateway["notes"] = lead["notes"]
    # The peer's encode() keys by model column and leaves absent columns NaN. LeadGate's one_hot
    # plan writes 1 to the chosen column and 0 to the other five, so the peer gets all six.
    peer_features = {k: v for k, v in features.items() if k != "lead_source"}
    source = features.get("lead_source")
    if source is not None:
        for s in SOURCES:
            peer_features[f"lead_source={s}"] = 1 if s == source else 0
    peer_string = {"lead_id": PLACEHOLDER, "features": dict(peer_features), "options": {"rerank": False}}
    for name, table in codes.items():
        value = peer_features.get(name)
        if isinstance(value, str):
            if value not in table:
                sys.exit(f"`{value}` is not a category of model column {name}: {sorted(table)}")
            peer_features[name] = table[value]
    peer = {"lead_id": PLACEHOLDER, "features": peer_features, "options": {"rerank": False}}
    if "notes" in lead:
        peer["notes"] = peer_string["notes"] = lead["notes"]
    for name, body in (("leadgate.json", gateway), ("peer.json", peer), ("peer-string.json", peer_string)):
        with open(os.path.join(out_dir, name), "w") as fh:
            json.dump(body, fh, separators=(",", ":"))


def weighted(rng: random.Random, values: list, weights: list):
    return rng.choices(values, weights=weights, k=1)[0]


def make_lead(rng: random.Random, i: int) -> dict:
    """One plausible real-estate lead inside the manifest's bounds; None = not known."""
    intent = rng.gauss(0.0, 1.0)
    activity = math.exp(0.4 * intent + rng.gauss(0.0, 0.5))
    listing = min(300, int(rng.expovariate(1.0 / (20 * activity))))
    searches = min(150, int(rng.expovariate(1.0 / (2 + 0.4 * listing))))
    saved = min(40, int(rng.expovariate(1.0 / (1 + 0.08 * listing))))
    pricing = min(200, int(rng.expovariate(1.0 / (1 + math.exp(0.6 * intent)))))
    opens = min(60, int(rng.expovariate(1.0 / (6 * math.exp(0.3 * intent)))))
    clicks = sum(1 for _ in range(opens) if rng.random() < 0.2)
    days = rng.randint(60, 365) if rng.random() < 0.12 else min(365, int(rng.expovariate(1.0 / 18)))
    preapproved = rng.random() < 0.3 + 0.1 * max(-2, min(2, intent))
    ptype = weighted(rng, PTYPES, [46, 22, 14, 7, 11])
    features = {
        "pricing_page_views": None if rng.random() < 0.02 else pricing,
        "listing_views": listing,
        "saved_listings": saved,
        "email_opens": opens,
        "email_clicks": clicks,
        "property_searches": searches,
        "days_since_last_activity": days,
        "budget_to_price_ratio": None
        if rng.random() < 0.08
        else round(min(1.8, max(0.4, math.exp(rng.gauss(0.03, 0.3)))), 2),
        "call_sentiment": round(math.tanh(0.4 * intent + rng.gauss(0, 0.5)), 2) if rng.random() < 0.45 else None,
        "tour_requested": rng.random() < 0.25 + 0.05 * min(saved, 10) / 2,
        "mortgage_preapproved": preapproved,
        "lead_source": weighted(rng, SOURCES, [30, 18, 8, 7, 20, 17]),
        "property_type": ptype,
    }
    if rng.random() < 0.04:  # email tracking off
        features["email_opens"] = features["email_clicks"] = None
    lead = {"lead_id": f"B-{i:05d}", "features": features}
    if rng.random() < 0.5:
        lead["notes"] = rng.choice(
            [
                "Asked about school districts.",
                "Wants a second showing this weekend.",
                "Relocating for work in the spring.",
                "Only browsing for now.",
                "Needs to sell their current home first.",
            ]
        )
    return lead


def batch(n: int, seed: int, out: str) -> None:
    rng = random.Random(seed)
    body = {"leads": [make_lead(rng, i) for i in range(n)], "options": {"rerank": False}}
    with open(out, "w") as fh:
        json.dump(body, fh, separators=(",", ":"))


def score_of(path: str) -> None:
    with open(path) as fh:
        r = json.load(fh)
    print(r.get("score"), r.get("base_score"))


def batch_counts(path: str) -> None:
    try:
        with open(path) as fh:
            r = json.load(fh)
        print(r.get("count"), r.get("scored"), r.get("failed"))
    except (OSError, ValueError):
        print("null null null")


def think_ms(target: float) -> None:
    """Think time for a closed loop at TARGET req/s: 10 ms, longer when that would need < 4 connections."""
    print(max(10, int(4000 / max(target, 1e-9))))


def half_conns(target: float, delay_ms: float, p50_us: float) -> None:
    """Closed loop: each connection sends one request per (delay + latency + ~1 ms timer slack)."""
    cycle_s = (delay_ms + 1.0 + p50_us / 1000.0) / 1000.0
    conns = max(2, int(round(target * cycle_s)))
    print(conns + conns % 2)  # an even number, so both wrk threads get the same share


def load(path: str):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def fmt_ms(us) -> str:
    return "—" if us is None else f"{us / 1000:.2f} ms"


def fmt_rate(r) -> str:
    return "—" if r is None else f"{r:,.0f}"


def summary(results: str, json_out: str) -> None:
    meta = load(os.path.join(results, "meta.json")) or {}
    data: dict = {"meta": meta}
    for side in ("leadgate", "peer"):
        data[side] = {
            "peak": load(os.path.join(results, f"{side}-peak.json")),
            "half": load(os.path.join(results, f"{side}-half.json")),
        }
    lg, pr = data["leadgate"]["peak"], data["peer"]["peak"]
    ratio = None
    if lg and pr and pr.get("requests_per_s"):
        ratio = {
            "requests_per_s": lg["requests_per_s"] / pr["requests_per_s"],
            "p50": pr["p50_us"] / lg["p50_us"] if lg["p50_us"] else None,
            "p99": pr["p99_us"] / lg["p99_us"] if lg["p99_us"] else None,
        }
    data["ratio_leadgate_over_peer"] = ratio
    data["batch"] = load(os.path.join(results, "batch.json"))
    data["check"] = load(os.path.join(results, "check.json"))

    out = []
    out.append(f"## LeadGate vs FastAPI+xgboost peer — `POST /v1/leads/score`, rerank off ({meta.get('date', '')})")
    out.append("")
    out.append(
        f"Machine: {meta.get('nproc', '?')} cores, load average before {meta.get('loadavg_before', '?')}, "
        f"after {meta.get('loadavg_after', '?')}. wrk `{meta.get('wrk_peak_args', '')}` after a "
        f"{meta.get('warmup_s', '?')} s warm-up; peer WORKERS={meta.get('peer_workers', '?')}."
    )
    out.append("")
    out.append("| | LeadGate | peer | LeadGate ÷ peer |")
    out.append("|---|---:|---:|---:|")

    def cell(d, key, f):
        return f(d.get(key)) if d else "—"

    r = ratio or {}
    out.append(
        f"| requests/s | {cell(lg, 'requests_per_s', fmt_rate)} | {cell(pr, 'requests_per_s', fmt_rate)} | "
        f"{'%.1f×' % r['requests_per_s'] if r.get('requests_per_s') else '—'} |"
    )
    out.append(
        f"| p50 | {cell(lg, 'p50_us', fmt_ms)} | {cell(pr, 'p50_us', fmt_ms)} | "
        f"{'%.1f× lower' % r['p50'] if r.get('p50') else '—'} |"
    )
    out.append(
        f"| p99 | {cell(lg, 'p99_us', fmt_ms)} | {cell(pr, 'p99_us', fmt_ms)} | "
        f"{'%.1f× lower' % r['p99'] if r.get('p99') else '—'} |"
    )
    out.append(
        f"| errors (non-2xx, socket) | {cell(lg, 'errors_total', str)} | {cell(pr, 'errors_total', str)} | |"
    )
    out.append("")
    for side, name in (("leadgate", "LeadGate"), ("peer", "Peer")):
        h = data[side]["half"]
        if h:
            out.append(
                f"- **{name} at half its peak**: target {fmt_rate(h.get('target_per_s'))} req/s with "
                f"{h.get('connections')} connections and a {h.get('delay_ms')} ms think time; achieved "
                f"{fmt_rate(h.get('requests_per_s'))} req/s, p50 {fmt_ms(h.get('p50_us'))}, "
                f"p99 {fmt_ms(h.get('p99_us'))}, errors {h.get('errors_total')}."
            )
    b = data["batch"]
    if b:
        times = ", ".join(f"{t:.3f} s" for t in b.get("times_s", []))
        out.append(
            f"- **Batch** (`/v1/leads/batch-score`, {b.get('leads'):,} leads, {b.get('body_bytes', 0) / 1e6:.1f} MB): "
            f"{times}; HTTP {', '.join(map(str, b.get('http_codes', [])))}; "
            f"scored {b.get('scored')}, failed {b.get('failed')}; response {b.get('response_bytes', 0) / 1e6:.1f} MB. "
            f"Sent with `Expect:` (curl does not ask for 100-continue)."
        )
        e = b.get("expect_100_continue") or {}
        if e:
            out.append(
                f"- Batch with curl's default `Expect: 100-continue`: {e.get('time_s'):.3f} s, first response byte at "
                f"{e.get('starttransfer_s'):.3f} s (LeadGate answers `100 Continue` at once, so the body goes without curl's 1 s wait)."
            )
    c = data["check"]
    if c:
        out.append(
            f"- **Check**: LeadGate score {c.get('leadgate_score')} (base {c.get('leadgate_base_score')}), "
            f"peer score {c.get('peer_score')} (base {c.get('peer_base_score')}): "
            f"{'match' if c.get('match') else 'MISMATCH'}. (With `property_type` sent to the peer as the string, "
            f"the peer scores {c.get('peer_string_base_score')}: its CATS table is empty, so the string becomes NaN; "
            f"the peer is therefore sent the model's category code.)"
        )
    h = meta.get("leadgate_handler_ms")
    if h:
        out.append(
            f"- LeadGate's own per-request `duration_ms` (its request log, all score requests): p50 {h['p50']:.3f} ms, "
            f"p99 {h['p99']:.3f} ms, max {h['max']:.3f} ms over {h['n']:,} requests."
        )
    if meta.get("leadgate_log_errors") is not None:
        out.append(
            f"- LeadGate log: {meta.get('leadgate_log_lines')} lines, {meta.get('leadgate_log_errors')} at error/critical; "
            f"process {'alive' if meta.get('leadgate_alive') else 'DEAD'} after the run."
        )
    print("\n".join(out))
    with open(json_out, "w") as fh:
        json.dump(data, fh, indent=2)


def handler_ms(log_path: str) -> None:
    """p50/p99/max of the duration_ms that LeadGate logs for POST /v1/leads/score (JSON or null)."""
    values = []
    with open(log_path, errors="replace") as fh:
        for line in fh:
            if '"path":"/v1/leads/score"' not in line:
                continue
            try:
                values.append(float(json.loads(line)["duration_ms"]))
            except (ValueError, KeyError):
                pass
    if not values:
        print("null")
        return
    values.sort()
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(json.dumps({"n": len(values), "p50": pick(0.5), "p99": pick(0.99), "max": values[-1]}))


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "free-port":
        free_port()
    elif cmd == "bodies":
        bodies(args[0], args[1], args[2])
    elif cmd == "batch":
        batch(int(args[0]), int(args[1]), args[2])
    elif cmd == "score-of":
        score_of(args[0])
    elif cmd == "batch-counts":
        batch_counts(args[0])
    elif cmd == "think-ms":
        think_ms(float(args[0]))
    elif cmd == "half-conns":
        half_conns(float(args[0]), float(args[1]), float(args[2]))
    elif cmd == "handler-ms":
        handler_ms(args[0])
    elif cmd == "summary":
        summary(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
