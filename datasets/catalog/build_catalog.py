#!/usr/bin/env python3
"""Build datasets/catalog/u4ssc_kpis.csv from the reference catalogue.

    python3 datasets/catalog/build_catalog.py [path/to/reference/u4ssc_kpis.csv]

Copies every column of the reference (91 KPIs, 112 data points; `direction_source` says
whether a direction was stated on an ITU page or inferred) and adds the hard physical bounds
that ingest enforces (METHODOLOGY section 3):

  hard_min  0 for every data point (all U4SSC quantities are non-negative: shares, rates,
            counts, durations, concentrations, energy, emissions)
  hard_max  100 for percentage shares the catalogue caps at 100 (plausible_max = 100 and
            canonical unit pct or pct_of_gdp); 1 for yes/no and the 0-1 Gini coefficient;
            empty otherwise (school enrolment and child care can exceed 100 %).

The plausible range (plausible_min/max) stays a warning, never a rejection.

One data point is added to the reference's 112 (EXTRA_DATA_POINTS, with its source):
EN-EN-WS-3C-pct, Freshwater Consumption as the percentage U4SSC verification reports print
(33 %, 100 %), beside the reference's EN-EN-WS-3C in m3 per capita per year. The Collection
Methodology (2017, p. 79) gives both readings: its rationale is the degree to which total
freshwater resources are exploited (withdrawals relative to available resources, a share)
and it then says "This indicator is measured in m3 per capita". A share cannot be converted
to a volume per capita, so each form is its own data point of the one KPI. The percentage
form is neutral (not scored): the page states a direction for the exploitation ratio, but
reports also use the percentage for the share of the city's water drawn from freshwater
sources, where no direction is stated; no hard maximum, since withdrawals can exceed the
renewable resources (SDG 6.4.2 water stress above 100 %).
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "reference", "u4ssc_kpis.csv")
rows = list(csv.DictReader(open(src, encoding="utf-8")))
fields = list(rows[0].keys()) + ["hard_min", "hard_max"]
EXTRA_DATA_POINTS = {
    # inserted after the data point named by the key
    "EN-EN-WS-3C": {
        "data_point_id": "EN-EN-WS-3C-pct",
        "data_point": "Percentage (as verification reports print it)",
        "unit": "%",
        "canonical_unit": "pct",
        "direction": "neutral",
        "sdg_refs": "6.4.2",
        "plausible_min": "0",
        "plausible_max": "",
        "summary": "Freshwater consumption as a percentage, as U4SSC verification reports print it: withdrawals relative to available freshwater resources (the page's rationale), or the share of the city's water drawn from freshwater sources; not convertible to m3 per capita, so a data point of its own; neutral (no direction stated for the percentage).",
        "direction_source": "inferred",
        "value_type": "number",
    },
}
with_extra = []
for r in rows:
    with_extra.append(r)
    extra = EXTRA_DATA_POINTS.get(r["data_point_id"])
    if extra:
        e = dict(r)
        e.update(extra)
        with_extra.append(e)
rows = with_extra
ids = set()
for r in rows:
    if r["data_point_id"] in ids:
        raise SystemExit("duplicate data_point_id " + r["data_point_id"])
    ids.add(r["data_point_id"])
    r["hard_min"] = "0"
    if r["canonical_unit"] == "bool" or r["canonical_unit"] == "gini_0_1":
        r["hard_max"] = "1"
    elif r["canonical_unit"] in ("pct", "pct_of_gdp") and r["plausible_max"] == "100":
        r["hard_max"] = "100"
    else:
        r["hard_max"] = ""
out = os.path.join(HERE, "u4ssc_kpis.csv")
with open(out, "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
print("{} data points, {} KPIs -> {}".format(len(rows), len({r['kpi_id'] for r in rows}), out))
