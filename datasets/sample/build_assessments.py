#!/usr/bin/env python3
"""Build datasets/sample/assessments.csv: synthetic maturity self-assessments for the demo.

No city made these assessments: levels are drawn with a fixed seed. 40 sample cities of
Europe and Asia answer the EU-China smart city assessment framework (nine characteristics,
levels not yet addressed .. state of the art, or not assessed) in 2022 and 2024, and 20 of
them the ITU-T Y.4904 achievements table (five dimensions, levels 0..5) in 2024. Each city
has a base level; characteristics scatter one level around it, a few rise two levels between
the assessments (the staircase checks flag them). Run from the repository root (needs the
duckdb Python package):  python3 datasets/sample/build_assessments.py
"""
import csv
import os
import random

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
EU_CHINA = ["strategy", "stakeholders", "governance", "funding", "value_assessment",
            "business_models", "ict_infrastructure", "services", "legal_and_regulatory"]
EU_LEVELS = ["not yet addressed", "basic", "average", "more advanced", "state of the art"]
Y4904 = ["strategy", "infrastructure", "data", "services_and_applications", "assessment"]


def main():
    rng = random.Random(2024)
    con = duckdb.connect()
    rows = con.sql(f"""
        SELECT DISTINCT s.city_id, c.continent
        FROM read_parquet('{HERE}/submissions.parquet') AS s
        JOIN read_csv('{HERE}/../registry/cities.csv', all_varchar = true, quote = '"') AS c USING (city_id)
        WHERE c.continent IN ('Europe', 'Asia')
        ORDER BY s.city_id
    """).fetchall()
    europe = [c for c, k in rows if k == "Europe"][:20]
    asia = [c for c, k in rows if k == "Asia"][:20]
    out = []
    for i, city in enumerate(europe + asia):
        base = rng.choice([1, 2, 2, 3])
        for ch in EU_CHINA:
            level22 = min(4, max(0, base + rng.choice([-1, 0, 0, 1])))
            rise = rng.choices([0, 1, 2], weights=[6, 3, 1])[0]
            level24 = min(4, level22 + rise)
            for date, level in (("2022-06-30", level22), ("2024-06-30", level24)):
                answer = "not assessed" if rng.random() < 0.06 else EU_LEVELS[level]
                out.append([city, "eu_china", ch, answer, date,
                            f"synthetic sample answer ({ch}, {date[:4]})"])
        if i % 2 == 0:
            ybase = rng.choice([1, 2, 3])
            for dim in Y4904:
                level = min(5, max(0, ybase + rng.choice([-1, 0, 0, 1])))
                out.append([city, "y4904", dim, str(level), "2024-06-30",
                            f"synthetic sample achievement ({dim})"])
    with open(os.path.join(HERE, "assessments.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["city_id", "framework", "characteristic", "level", "assessment_date", "evidence"])
        w.writerows(out)
    print(f"{len(out)} rows")


if __name__ == "__main__":
    main()
