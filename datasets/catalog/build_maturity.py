#!/usr/bin/env python3
"""Build datasets/catalog/maturity_matrix_y4904_sample.csv, an opt-in ITU-T Y.4904 performance
matrix.

Y.4904 step 3 asks each city to set interim target values per maturity level (2..5; level 1
is "baseline collected"). citybench has no default matrix file: where neither a city nor the
workspace sets interim targets, a data point's level follows the reference its U4SSC state
uses (the target or the benchmark of attainment, METHODOLOGY section 8: level 5 at the 95 %+
band, 4 at 66-95 %, 3 at 33-66 %, 2 below 33 %, 1 a value without a reference), so that a
KPI's maturity level and its U4SSC state never disagree.

Y.4904's own example values are illustrations ("e.g."), not defaults. They ship here as a
sample a user opts into by copying it into the workspace as maturity_matrix.csv (it then
replaces the attainment reference for these data points, for every city: matrix_scope
'workspace'):

1. The two rows of Y.4904's performance-matrix example (Household Internet access
   30/40/60/80 %, Electricity system outage time -/30/25/15 minutes).
2. WHO Global Air Quality Guidelines 2021, annual means: the interim targets IT-1, IT-2 and
   IT-3 as levels 2-4 and the guideline level as level 5 (PM2.5 IT-4 = 10 and PM10 IT-4 = 20
   are not used: the matrix has four target levels; a city can adopt them as its own).

Run from the repository root:  python3 datasets/catalog/build_maturity.py
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = "maturity_matrix_y4904_sample.csv"

Y4904 = "ITU-T Y.4904 (12/2019) performance matrix example"
WHO = "WHO Global Air Quality Guidelines 2021, annual mean"
ROWS = [
    ("EC-ICT-ICT-1C", ["30", "40", "60", "80"], Y4904 + ": Household Internet access, interim targets 30 %, 40 %, 60 %, target 80 %"),
    ("EC-I-ES-2C", ["-", "30", "25", "15"], Y4904 + ": Electricity system outage time, no level-2 target, interim 30 and 25 minutes, target 15 minutes"),
    ("EN-EN-AQ-1C-pm10", ["70", "50", "30", "15"], WHO + " PM10: interim targets IT-1 70, IT-2 50, IT-3 30 ug/m3, guideline level 15 ug/m3"),
    ("EN-EN-AQ-1C-pm25", ["35", "25", "15", "5"], WHO + " PM2.5: interim targets IT-1 35, IT-2 25, IT-3 15 ug/m3, guideline level 5 ug/m3"),
    ("EN-EN-AQ-1C-no2", ["40", "30", "20", "10"], WHO + " NO2: interim targets IT-1 40, IT-2 30, IT-3 20 ug/m3, guideline level 10 ug/m3"),
]


def main():
    kpis = {r["data_point_id"]: r for r in csv.DictReader(open(os.path.join(HERE, "u4ssc_kpis.csv"), encoding="utf-8"))}
    for dp, _, _ in ROWS:
        assert kpis[dp]["direction"] in ("higher_better", "lower_better"), dp
    with open(os.path.join(HERE, OUT), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["data_point_id", "level_2", "level_3", "level_4", "level_5", "source"])
        for dp, levels, source in ROWS:
            w.writerow([dp, *levels, source])
    print(f"{OUT}: {len(ROWS)} rows")


if __name__ == "__main__":
    main()
