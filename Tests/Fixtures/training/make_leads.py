"""Writes leads.csv: 800 synthetic real-estate leads for the training tests (deterministic).

Semicolon-separated with quoted strings (one category holds a `;`-free comma, one value a doubled
quote), CRLF line ends, a few missing cells. Conversion follows a known logistic model of the
engagement fields, so a trained model must reach a clear holdout AUC. `lead_id` is an identifier,
`country` is constant and `closed_stage` is filled in after the outcome: inference must leave all
three out.
"""

import math
import random

rng = random.Random(7)
sources = ["Zillow", "Referral", "Open house", "Facebook, Instagram", 'Agent "walk-in"']
weights = [0.35, 0.2, 0.2, 0.2, 0.05]
effect = {"Zillow": 0.0, "Referral": 1.0, "Open house": 0.5, "Facebook, Instagram": -0.6, 'Agent "walk-in"': 0.3}
rows = []
for i in range(800):
    pricing = rng.randint(0, 12)
    listings = rng.randint(0, 40)
    ratio = round(rng.uniform(0.5, 1.5), 3)
    pre = rng.random() < 0.4
    source = rng.choices(sources, weights)[0] if i % 267 else "Billboard"
    z = -2.2 + 0.25 * pricing + 0.03 * listings + 1.1 * (ratio - 1) * 2 + (1.2 if pre else 0) + effect.get(source, 0)
    converted = rng.random() < 1 / (1 + math.exp(-z))
    stage = ("Won" if converted else "Lost") if rng.random() < 0.97 else ("Lost" if converted else "Won")
    day = 1 + i * 364 // 800
    created = f"2026-{1 + (day - 1) // 31 % 12:02d}-{1 + (day - 1) % 28:02d}"
    rows.append([
        f"L{100000 + i}", created, str(pricing), "" if i % 53 == 0 else str(listings), str(ratio),
        "Yes" if pre else "No", source, "US", stage, "yes" if converted else "no",
    ])
rows.sort(key=lambda r: r[1])


def q(text):
    return text if text.replace(".", "").replace("-", "").isdigit() or text == "" else '"' + text.replace('"', '""') + '"'


with open("leads.csv", "w", newline="") as f:
    f.write(";".join(q(h) for h in ["lead_id", "created_at", "pricing_page_views", "listing_views", "budget_to_price_ratio",
                                    "Mortgage Preapproved", "Lead Source", "country", "closed_stage", "converted"]) + "\r\n")
    for r in rows:
        f.write(";".join(q(c) for c in r) + "\r\n")
