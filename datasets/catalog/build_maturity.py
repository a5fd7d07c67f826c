#!/usr/bin/env python3
"""Build datasets/catalog/maturity_matrix.csv, the default ITU-T Y.4904 performance matrix.

Y.4904 step 3 asks each city to set interim target values per maturity level (2..5; level 1
is "baseline collected"). citybench ships a documented default that a workspace
`maturity_matrix.csv` overrides (per data point, or per city with a `city_id` column). Rows:

1. The two rows of Y.4904's own performance-matrix example (Household Internet access
   30/40/60/80 %, Electricity system outage time -/30/25/15 minutes).
2. WHO Global Air Quality Guidelines 2021, annual means: the interim targets IT-1, IT-2 and
   IT-3 as levels 2-4 and the guideline level as level 5 (PM2.5 IT-4 = 10 and PM10 IT-4 = 20
   are not used: the matrix has four target levels; a city can adopt them as its own).
3. Every other data point with a sourced default target in targets.csv (higher_better or
   lower_better): levels 2, 3, 4 at the U4SSC attainment band edges (33 %, 66 %, 95 % of
   the target, METHODOLOGY section 6) and level 5 at the target itself, so that a KPI's
   maturity level and its U4SSC band tell the same story. Ratio method: higher_better
   f x target, lower_better target / f. A target of 0 uses the bounded method with the
   row's worst value: worst + f x (target - worst). Booleans have only level 5 (= 1).
   Target-band and neutral data points have no row (a level needs a better direction).

Data points without a row are not mapped into the maturity model (Y.4904 step 1) and get
no level. Run from the repository root:  python3 datasets/catalog/build_maturity.py
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
EDGES = (0.33, 0.66, 0.95)

Y4904 = "ITU-T Y.4904 (12/2019) performance matrix example"
WHO = "WHO Global Air Quality Guidelines 2021, annual mean"
FIXED = {
    "EC-ICT-ICT-1C": (["30", "40", "60", "80"], Y4904 + ": Household Internet access, interim targets 30 %, 40 %, 60 %, target 80 %"),
    "EC-I-ES-2C": (["-", "30", "25", "15"], Y4904 + ": Electricity system outage time, no level-2 target, interim 30 and 25 minutes, target 15 minutes"),
    "EN-EN-AQ-1C-pm25": (["35", "25", "15", "5"], WHO + " PM2.5: interim targets IT-1 35, IT-2 25, IT-3 15 ug/m3, guideline level 5 ug/m3"),
    "EN-EN-AQ-1C-pm10": (["70", "50", "30", "15"], WHO + " PM10: interim targets IT-1 70, IT-2 50, IT-3 30 ug/m3, guideline level 15 ug/m3"),
    "EN-EN-AQ-1C-no2": (["40", "30", "20", "10"], WHO + " NO2: interim targets IT-1 40, IT-2 30, IT-3 20 ug/m3, guideline level 10 ug/m3"),
}


def fmt(v):
    s = f"{v:.6g}"
    return s


def main():
    kpis = {r["data_point_id"]: r for r in csv.DictReader(open(os.path.join(HERE, "u4ssc_kpis.csv"), encoding="utf-8"))}
    targets = list(csv.DictReader(open(os.path.join(HERE, "targets.csv"), encoding="utf-8")))
    rows = []
    for t in targets:
        dp = t["data_point_id"]
        k = kpis[dp]
        if dp in FIXED:
            levels, source = FIXED[dp]
            rows.append([dp, *levels, source])
            continue
        if not t["target"] or k["direction"] not in ("higher_better", "lower_better"):
            continue
        target = float(t["target"])
        src = f"derived: U4SSC band edges 33/66/95 % of the default target {t['target']} (targets.csv: {t['source']})"
        if k["value_type"] == "boolean":
            rows.append([dp, "-", "-", "-", fmt(target), f"derived: level 5 = the default target {t['target']} (targets.csv: {t['source']})"])
            continue
        if target == 0:
            worst = float(t["worst"])
            levels = [worst + f * (target - worst) for f in EDGES]
        elif k["direction"] == "higher_better":
            levels = [f * target for f in EDGES]
        else:
            levels = [target / f for f in EDGES]
        rows.append([dp, *[fmt(v) for v in levels], fmt(target), src])
    with open(os.path.join(HERE, "maturity_matrix.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["data_point_id", "level_2", "level_3", "level_4", "level_5", "source"])
        w.writerows(rows)
    print(f"{len(rows)} rows")


if __name__ == "__main__":
    main()
