#!/usr/bin/env python3
"""Build datasets/real/what_a_waste_2.csv: the World Bank What a Waste 2.0 city-level table in
citybench's long submission format, on registry city ids.

Reads (no network, standard library only):
  - <src>/city_level_data.csv      367 cities x 113 columns, wide
  - <src>/city_level_codebook.csv  per city x measurement: units, year, source
  (default <src>: ../shared/open-data/what_a_waste_2 relative to the repository root)

Matches the city names with the engine's matcher, `citybench cities --match` (so any table a
user brings is matched the same way), then writes:
  - datasets/real/what_a_waste_2.csv          the submission (ingest it with citybench ingest)
  - datasets/real/what_a_waste_2_matches.csv  citybench's match output, one row per source city

Deterministic: rows in source order, values summed in decimal (no float rounding); two runs
write byte-identical files. The mapping and every choice are documented in README.md here.

Usage: python3 datasets/real/build_what_a_waste.py [--src DIR] [--citybench PATH]
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTPUT = HERE / "what_a_waste_2.csv"
MATCHES = HERE / "what_a_waste_2_matches.csv"
DEFAULT_SRC = ROOT.parent / "shared" / "open-data" / "what_a_waste_2"

#: The submission columns (src/schema.rs `submission`).
HEADER = ["city_id", "data_point_id", "year", "value", "unit", "source", "quality",
          "verified", "confidential", "notes"]
SOURCE = ("World Bank, What a Waste 2.0 city-level data (Kaza, Yao, Bhada-Tata, Van Woerden "
          "2018), CC BY 4.0")
#: What a Waste states no collection method per value: the U4SSC level for "not stated".
QUALITY = "unknown"

T = "waste_treatment_"
#: data point -> the What a Waste columns summed into it (README.md, "Mapping").
TREATMENT = [
    ("EN-EN-WA-1C-landfill", [T + "sanitary_landfill_landfill_gas_system_percent",
                              T + "controlled_landfill_percent",
                              T + "landfill_unspecified_percent"]),
    ("EN-EN-WA-1C-incinerated", [T + "incineration_percent"]),
    ("EN-EN-WA-1C-opendump", [T + "open_dump_percent"]),
    ("EN-EN-WA-1C-recycled", [T + "recycling_percent"]),
    ("EN-EN-WA-1C-other", [T + "other_percent", T + "compost_percent",
                           T + "anaerobic_digestion_percent",
                           T + "advanced_thermal_treatment_percent",
                           T + "waterways_marine_percent"]),
]
COLLECTION = "EC-I-WA-1C"
HOUSEHOLDS = "waste_collection_coverage_total_percent_of_households_percent_of_households"
POPULATION = "waste_collection_coverage_total_percent_of_population_percent_of_population"
#: Codebook measurements whose year and source date a city's values, in order of preference.
YEAR_FROM = ["total_msw_total_msw_generated_tons_year", "population_population_number_of_people"]
#: `cities --match --most-populous`: an ambiguous name goes to a city at least this many times
#: as populous as every other candidate (README.md, "City names -> registry ids").
MOST_POPULOUS = 10
#: The published city_level_data.csv ends with this line, an artefact of the export.
TRAILER = "System.IO.MemoryStream"


def repair(text: str) -> str:
    """Undo mojibake: city_level_data.csv has UTF-8 names decoded as Windows-1252 and encoded
    again (`BogotÃ¡`, `HiratÂ\\xa0`); the codebook has them right. A name that does not
    round-trip is kept as is. Surrounding white space (including no-break spaces) dropped."""
    for enc in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        text = fixed
        break
    return text.strip()


def one_line(s: str) -> str:
    return " ".join(s.split())


def read_data(src: Path):
    with open(src / "city_level_data.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if body and body[-1] == [TRAILER]:
        body = body[:-1]
    out = []
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            raise SystemExit(f"city_level_data.csv:{i}: {len(r)} fields, header has {len(header)}")
        d = dict(zip(header, r))
        d["city_name"] = repair(d["city_name"])
        d["_line"] = i
        out.append(d)
    return out


def read_codebook(src: Path):
    """(iso3c, city name) -> measurement -> (year, source)."""
    with open(src / "city_level_codebook.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("iso3c")]
    out = {}
    for r in rows:
        key = (r["iso3c"], repair(r["city_name"]))
        out.setdefault(key, {})[r["measurement"]] = (r["year"].strip(), one_line(r["source"] or ""))
    return out


def match(cities, citybench: str):
    """Run `citybench cities --match` on (iso3c, city_name): its output rows, in input order."""
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "cities.csv", Path(tmp) / "matches.csv"
        with open(inp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["iso3c", "city_name"])
            for c in cities:
                w.writerow([c["iso3c"], c["city_name"]])
        p = subprocess.run([citybench, "cities", "--match", str(inp), "--country-column", "iso3c",
                            "--name-column", "city_name", "--most-populous", str(MOST_POPULOUS),
                            "--format", "csv", "--out", str(out)],
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            raise SystemExit(f"citybench cities --match failed ({p.returncode}): {p.stderr}")
        sys.stderr.write(p.stderr)
        text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != len(cities):
        raise SystemExit(f"citybench matched {len(rows)} rows for {len(cities)} cities")
    return text, rows


def value(s: str):
    s = s.strip()
    return Decimal(s) if s else None


def fmt(d: Decimal) -> str:
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--citybench", default=os.environ.get("CITYBENCH", "citybench"))
    a = ap.parse_args(argv)
    cities = read_data(a.src)
    codebook = read_codebook(a.src)
    match_text, matches = match(cities, a.citybench)
    status = Counter(m["status"] for m in matches)
    out_rows = []
    per_dp = Counter()
    no_year = []
    for c, m in zip(cities, matches):
        if m["status"] != "matched":
            continue
        cb = codebook.get((c["iso3c"], c["city_name"]), {})
        dated = [(k, cb[k]) for k in YEAR_FROM if k in cb and cb[k][0]]
        obs = []
        hh, pop = value(c[HOUSEHOLDS]), value(c[POPULATION])
        if hh is not None:
            obs.append((COLLECTION, hh, f"{HOUSEHOLDS}={c[HOUSEHOLDS].strip()}"))
        elif pop is not None:
            obs.append((COLLECTION, pop, f"{POPULATION}={c[POPULATION].strip()} (share of "
                        "population; What a Waste gives no household share for this city)"))
        for dp, cols in TREATMENT:
            parts = [(col, value(c[col])) for col in cols if value(c[col]) is not None]
            if parts:
                obs.append((dp, sum((v for _, v in parts), Decimal(0)),
                            " + ".join(f"{col}={fmt(v)}" for col, v in parts)))
        if not obs:
            continue
        if not dated:
            no_year.append((c["iso3c"], c["city_name"], len(obs)))
            continue
        measurement, (year, ref) = dated[0]
        for dp, v, what in obs:
            notes = (f"What a Waste 2.0: {what}; year: of the city's {measurement} in the "
                     f"codebook (What a Waste dates no other value); reference: {ref or 'none given'}")
            out_rows.append([m["city_id"], dp, year, fmt(v), "%", SOURCE, QUALITY, "false",
                             "false", notes])
            per_dp[dp] += 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(out_rows)
    write_atomic(OUTPUT, buf.getvalue())
    write_atomic(MATCHES, match_text)
    print(f"{len(cities)} cities: {status['matched']} matched, {status['ambiguous']} ambiguous, "
          f"{status['unmatched']} unmatched")
    print(f"{OUTPUT.name}: {len(out_rows)} rows from "
          f"{len({r[0] for r in out_rows})} cities")
    for dp, n in sorted(per_dp.items()):
        print(f"  {dp}: {n}")
    for iso3, name, n in no_year:
        print(f"  left out (no year in the codebook): {iso3} {name}, {n} values")
    print("not matched:")
    for m in matches:
        if m["status"] != "matched":
            print(f"  | {m['line']} | {m['country']} | {m['name']} | {m['status']} | {m['reason']} | "
                  f"{m['candidates']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
