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
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "reference", "u4ssc_kpis.csv")
rows = list(csv.DictReader(open(src, encoding="utf-8")))
fields = list(rows[0].keys()) + ["hard_min", "hard_max"]
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
