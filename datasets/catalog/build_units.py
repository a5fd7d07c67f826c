#!/usr/bin/env python3
"""Generate units.csv and canonical_units.csv: the unit registry of METHODOLOGY section 2.

The registry is data: the engine embeds the two CSV files this script writes. The script
only expands compact component tables (numerator units x population bases x time bases) so
that every spelling is listed explicitly and reviewable. Run it after editing the tables:

    python3 datasets/catalog/build_units.py

Spellings are matched by the engine after normalisation (see src/catalog/units.rs):
lower case, trimmed, spaces collapsed, digit grouping removed inside numbers
("100 000" and "100,000" -> "100000"), "/" read as "per", micro sign -> "u", superscripts
-> digits. So one spelling here covers its spacing and grouping variants.

Columns of units.csv:
  canonical_unit  the catalogue's canonical unit code this spelling converts to
  spelling        the reported unit text (display form)
  factor, offset  canonical = reported x factor + offset (exact decimal text)
  per_denominator true when the spelling is a total (e.g. "number", "km") that must come
                  with a denominator (population or a number) to become the canonical rate
  applies_to      empty = every data point with this canonical unit; else ';'-separated ids
  conversion      the text recorded on every converted row
"""
import csv
import os
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))

# canonical unit -> (quantity description, display label, denominator scale, denominator kind)
CANONICAL = {
    "pct": ("percentage", "%", 100, "population"),
    "pct_of_gdp": ("percentage of city GDP", "% of GDP", None, ""),
    "per_100k_pop": ("rate per 100 000 inhabitants", "per 100 000 inhabitants", 100000, "population"),
    "per_100k_live_births": ("rate per 100 000 live births", "per 100 000 live births", 100000, "number"),
    "km_per_100k_pop": ("length per 100 000 inhabitants", "km per 100 000 inhabitants", 100000, "population"),
    "ha_per_100k_pop": ("area per 100 000 inhabitants", "ha per 100 000 inhabitants", 100000, "population"),
    "m2_per_capita": ("area per inhabitant", "m2 per capita", 1, "population"),
    "kwh_per_capita_year": ("energy per inhabitant per year", "kWh per capita per year", 1, "population"),
    "gj_per_capita_year": ("energy per inhabitant per year", "GJ per capita per year", 1, "population"),
    "kwh_per_m2_year": ("energy per floor area per year", "kWh per m2 per year", 1, "number"),
    "l_per_capita_day": ("water volume per inhabitant per day", "litres per capita per day", 1, "population"),
    "m3_per_capita_year": ("water volume per inhabitant per year", "m3 per capita per year", 1, "population"),
    "t_co2e_per_capita": ("emissions per inhabitant per year", "tonnes CO2e per capita", 1, "population"),
    "ug_per_m3": ("mass concentration in air", "ug/m3", None, ""),
    "minutes": ("duration in minutes", "minutes", None, ""),
    "years": ("duration in years", "years", None, ""),
    "count": ("count", "number", None, ""),
    "interruptions_per_customer_year": ("interruptions per customer per year", "interruptions per customer per year", None, ""),
    "ratio": ("ratio", "ratio", None, ""),
    "gini_0_1": ("Gini coefficient on a 0-1 scale", "Gini (0-1)", None, ""),
    "bool": ("yes/no", "yes/no", None, ""),
}

rows = []


def fmt(f):
    """Exact decimal text of a Fraction (or a repeating decimal rounded to 17 sig. digits)."""
    f = F(f)
    if f.denominator == 1:
        return str(f.numerator)
    d = f.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        s = "{:.20f}".format(float(f)) if False else None
        num, den = f.numerator, f.denominator
        digits = 0
        while den != 1 and digits < 40:
            num *= 10
            g = 10
            digits += 1
            f10 = F(num, f.denominator)
            if f10.denominator == 1:
                break
        out = str(F(f.numerator * 10**digits, f.denominator).numerator)
        neg = out.startswith("-")
        out = out.lstrip("-").rjust(digits + 1, "0")
        res = out[:-digits] + "." + out[-digits:]
        return ("-" if neg else "") + res.rstrip("0").rstrip(".")
    return repr(float(f))


def conv_text(factor, spelling, canonical, per_den=False):
    label = CANONICAL[canonical][1]
    if per_den:
        return "x{} / denominator x {} ({} -> {})".format(
            fmt(factor), CANONICAL[canonical][2], spelling, label)
    if F(factor) == 1:
        return "x1 ({} -> {})".format(spelling, label) if spelling.lower() != label.lower() else "none"
    f = F(factor)
    if f.numerator == 1 and f.denominator != 1:
        t = "/{}".format(fmt(F(f.denominator)))
    else:
        t = "x{}".format(fmt(f))
    return "{} ({} -> {})".format(t, spelling, label)


def add(canonical, spelling, factor, applies_to="", per_den=False, offset=0):
    assert canonical in CANONICAL, canonical
    rows.append({
        "canonical_unit": canonical,
        "spelling": spelling,
        "factor": fmt(factor),
        "offset": fmt(offset),
        "per_denominator": "true" if per_den else "false",
        "applies_to": applies_to,
        "conversion": conv_text(factor, spelling, canonical, per_den),
    })


# ---------------------------------------------------------------- percentages
PCT_SAME = ["%", "percent", "per cent", "percentage", "pct", "percent (%)"]
PCT_FRACTION = ["fraction", "share", "proportion", "decimal fraction"]
PERMILLE = ["‰", "per mille", "permille", "per mil"]
for s in PCT_SAME:
    add("pct", s, 1)
for s in PCT_FRACTION:
    add("pct", s, 100)
for s in PERMILLE:
    add("pct", s, F(1, 10))
# unemployment as reports print it
for s in ["% of labour force", "% of labor force", "% of the labour force", "% of the labor force",
          "percent of labour force", "percent of labor force", "% of youth labour force",
          "% of youth labor force"]:
    add("pct", s, 1, applies_to="EC-P-EM-1C;EC-P-EM-2C")
for s in ["number", "count"]:  # a count of the numerator with a denominator count
    add("pct", s, 1, per_den=True)

for s in ["% of GDP", "% GDP", "% / city GDP", "% of city GDP", "percent of GDP", "percentage of GDP"] + PCT_SAME:
    add("pct_of_gdp", s, 1)
for s in ["fraction of GDP", "share of GDP"] + PCT_FRACTION:
    add("pct_of_gdp", s, 100)
for s in ["‰ of GDP", "per mille of GDP"] + PERMILLE:
    add("pct_of_gdp", s, F(1, 10))

# ---------------------------------------------------------------- population rates
POP_WORDS = ["inhabitants", "population", "people", "residents", "persons"]
# base -> factor to "per 100 000"
POP_BASES = [("100 000", 1), ("100k", 1), ("1000", 100), ("1 000", None), ("10 000", 10),
             ("1 000 000", F(1, 10)), ("million", F(1, 10))]
NOUNS = ["", "FTE ", "degrees ", "deaths ", "beds ", "physicians ", "subscriptions ", "patents ",
         "crimes ", "cases ", "facilities ", "vehicles ", "bicycles ", "officers ", "firefighters ",
         "number ", "number of people "]


def pop_rate_spellings(prefix, canonical, scale_to_canonical, words=POP_WORDS):
    """prefix: numerator text ('' or 'km ' ...); scale: numerator factor to canonical numerator."""
    for base, f in POP_BASES:
        if f is None:
            continue  # "1 000" normalises to "1000": listed once
        for w in [""] + words:
            sp = "{}per {}{}".format(prefix, base, (" " + w) if w else "")
            add(canonical, sp.strip(), F(scale_to_canonical) * f)
    for w in ["capita", "inhabitant", "person", "resident"]:
        add(canonical, "{}per {}".format(prefix, w).strip(), F(scale_to_canonical) * 100000)


for noun in NOUNS:
    pop_rate_spellings(noun, "per_100k_pop", 1)
for s in ["number", "count", "total"]:
    add("per_100k_pop", s, 1, per_den=True)
# live births
for base, f in POP_BASES:
    if f is None:
        continue
    for noun in ["", "deaths ", "maternal deaths "]:
        add("per_100k_live_births", "{}per {} live births".format(noun, base), f)
for s in ["number", "count", "deaths", "maternal deaths"]:
    add("per_100k_live_births", s, 1, per_den=True)

LENGTH = [("km", 1), ("kilometres", 1), ("kilometers", 1), ("m", F(1, 1000)), ("metres", F(1, 1000)),
          ("meters", F(1, 1000)), ("miles", F(1609344, 1000000)), ("mi", F(1609344, 1000000))]
for u, f in LENGTH:
    pop_rate_spellings(u + " ", "km_per_100k_pop", f, words=["inhabitants", "population"])
    add("km_per_100k_pop", u, f, per_den=True)

AREA_HA = [("ha", 1), ("hectares", 1), ("km2", 100), ("sq km", 100), ("m2", F(1, 10000)), ("sq m", F(1, 10000))]
for u, f in AREA_HA:
    pop_rate_spellings(u + " ", "ha_per_100k_pop", f, words=["inhabitants", "population"])
    add("ha_per_100k_pop", u, f, per_den=True)

AREA_M2 = [("m2", 1), ("sq m", 1), ("square metres", 1), ("square meters", 1), ("ha", 10000), ("km2", 1000000)]
for u, f in AREA_M2:
    for w in ["capita", "inhabitant", "person", "resident"]:
        add("m2_per_capita", "{} per {}".format(u, w), f)
    add("m2_per_capita", "{} per 100 000 inhabitants".format(u), F(f) / 100000)
    add("m2_per_capita", "{} per 1000 inhabitants".format(u), F(f) / 1000)
    add("m2_per_capita", u, f, per_den=True)

# ---------------------------------------------------------------- energy
# kWh per unit: 1 kWh = 3.6 MJ; 1 toe = 41.868 GJ = 11 630 kWh (IEA)
# ekWh: "kWh equivalent" (other fuels expressed in kWh), as verification reports print it
ENERGY_KWH = [("kWh", F(1)), ("MWh", F(1000)), ("GWh", F(1000000)), ("GJ", F(1000, 36) * 10),
              ("MJ", F(1, 36) * 10), ("toe", F(11630)), ("ekWh", F(1))]
TIME_YEAR = [("per year", 1), ("/year", None), ("per annum", 1), ("per yr", 1), ("per day", 365), ("", 1)]


def energy(canonical, base_kwh_in_canonical):
    for u, kwh in ENERGY_KWH:
        f = kwh / base_kwh_in_canonical
        for w in ["capita", "inhabitant", "person"]:
            for t, tf in TIME_YEAR:
                if tf is None:
                    continue
                sp = "{} per {} {}".format(u, w, t).strip()
                add(canonical, sp, f * tf)
                if t.startswith("per "):
                    # the time base first: "kWh/year/capita"
                    add(canonical, "{} {} per {}".format(u, t, w), f * tf)
        for t, tf in TIME_YEAR:
            if tf is None:
                continue
            add(canonical, "{} {}".format(u, t).strip(), f * tf, per_den=True)


energy("kwh_per_capita_year", F(1))
energy("gj_per_capita_year", F(1000, 36) * 10)
for u, kwh in ENERGY_KWH:
    for area, af in [("m2", F(1)), ("sq m", F(1))]:
        for t, tf in TIME_YEAR:
            if tf is None:
                continue
            add("kwh_per_m2_year", "{} per {} {}".format(u, area, t).strip(), kwh * tf)
        add("kwh_per_m2_year", "e-{} per {} per year".format(u, area), kwh) if u == "kWh" else None
    for t, tf in TIME_YEAR:
        if tf is None:
            continue
        add("kwh_per_m2_year", "{} {}".format(u, t).strip(), kwh * tf, per_den=True)

# ---------------------------------------------------------------- water volume
VOL_L = [("litres", F(1)), ("liters", F(1)), ("l", F(1)), ("litre", F(1)), ("liter", F(1)),
         ("m3", F(1000)), ("cubic metres", F(1000)), ("megalitres", F(1000000)), ("megaliters", F(1000000))]
for canonical, base_l, per_day_factor, per_year_factor in [
        ("l_per_capita_day", F(1), F(1), F(1, 365)),
        ("m3_per_capita_year", F(1000), F(365), F(1))]:
    for u, lf in VOL_L:
        f = lf / base_l
        for w in ["capita", "inhabitant", "person"]:
            add(canonical, "{} per {} per day".format(u, w), f * per_day_factor)
            add(canonical, "{} per {} per year".format(u, w), f * per_year_factor)
            if canonical == "l_per_capita_day":
                add(canonical, "{} per {} daily".format(u, w), f * per_day_factor)
            else:
                add(canonical, "{} per {}".format(u, w), f * per_year_factor)
        add(canonical, "{} per day".format(u), f * per_day_factor, per_den=True)
        add(canonical, "{} per year".format(u), f * per_year_factor, per_den=True)
add("l_per_capita_day", "lpcd", 1)

# ---------------------------------------------------------------- emissions
MASS_T = [("tonnes", F(1)), ("t", F(1)), ("tons", F(1)), ("metric tons", F(1)), ("kg", F(1, 1000))]
for u, f in MASS_T:
    for gas in ["", " CO2e", " CO2 eq", " eCO2", " CO2-eq", " CO2"]:
        for w in ["capita", "inhabitant", "person"]:
            for t, tf in [("", 1), (" per year", 1)]:
                add("t_co2e_per_capita", "{}{} per {}{}".format(u, gas, w, t), f)
        add("t_co2e_per_capita", "{}{} per year".format(u, gas), f, per_den=True)
        add("t_co2e_per_capita", "{}{}".format(u, gas), f, per_den=True)
add("t_co2e_per_capita", "tCO2e per capita", 1)
add("t_co2e_per_capita", "tCO2e", 1, per_den=True)

# ---------------------------------------------------------------- air quality
for s in ["ug/m3", "μg/m3", "µg/m³", "micrograms per cubic metre", "micrograms per m3", "ug per m3"]:
    add("ug_per_m3", s, 1)
add("ug_per_m3", "mg/m3", 1000)
# Gas conversions used by the U4SSC verification manual (25 C, 1 atm)
GASES = {"EN-EN-AQ-1C-no2": F(19, 10), "EN-EN-AQ-1C-so2": F(262, 100), "EN-EN-AQ-1C-o3": F(196, 100)}
for dp, f in GASES.items():
    add("ug_per_m3", "ppb", f, applies_to=dp)
    add("ug_per_m3", "ppm", f * 1000, applies_to=dp)

# ---------------------------------------------------------------- durations and counts
for s in ["minutes", "minute", "min", "mins"]:
    add("minutes", s, 1)
for s in ["hours", "hour", "h", "hr", "hrs"]:
    add("minutes", s, 60)
for s in ["seconds", "second", "s", "sec", "secs"]:
    add("minutes", s, F(1, 60))
for s in ["years", "year", "yr", "yrs"]:
    add("years", s, 1)
for s in ["number", "count", "#", "units", "no."]:
    add("count", s, 1)
# what verification reports print for a count (each only for the data point it counts)
for dp, nouns in [
        ("EC-ICT-ICT-5C", ["spots", "hotspots", "hot spots", "wifi spots", "wi-fi spots",
                           "wifi hotspots", "wi-fi hotspots", "access points", "locations", "sites"]),
        ("EC-ICT-PS-2A", ["services", "e-services", "online services", "e-government services"]),
        ("EC-ICT-PS-1A-num", ["sets", "data sets", "datasets", "open data sets"])]:
    for s in nouns:
        add("count", s, 1, applies_to=dp)
for s in ["interruptions per customer per year", "interruptions per customer", "per customer per year",
          "number", "count", "saifi"]:
    add("interruptions_per_customer_year", s, 1)
for s in ["ratio", "index", "x", "times"]:
    add("ratio", s, 1)
# gender income equity as reports print it: female to male earnings
for s in ["ratio female: male", "ratio female:male", "female: male", "female:male", "female/male",
          "female to male", "ratio female to male", "ratio of average hourly earnings",
          "ratio of average hourly earnings of female to male employees"]:
    add("ratio", s, 1, applies_to="SC-SH-SI-1C")
add("ratio", "%", F(1, 100))
add("ratio", "percent", F(1, 100))
for s in ["gini", "gini coefficient", "coefficient", "ratio", "index (0-1)", "0-1"]:
    add("gini_0_1", s, 1)
for s in ["gini index", "index (0-100)", "0-100", "%", "percent", "points"]:
    add("gini_0_1", s, F(1, 100))
for s in ["yes/no", "yes or no", "y/n", "boolean", "bool", "true/false", "1/0", "0/1", "binary"]:
    add("bool", s, 1)

# ------------------------------------------------------------------ dedupe
def normalise(s):
    """Mirror of citybench::catalog::units::normalise_spelling (kept in sync by a test)."""
    s = s.strip().lower().replace("\u00b5", "u").replace("\u03bc", "u")
    s = s.replace("\u00b3", "3").replace("\u00b2", "2").replace("\u2113", "l")
    s = " ".join(s.split())  # spaces first: a doubled space between digit groups is one
    s = re.sub(r"(?<=\d)[ ,'\u00a0\u202f\u2009](?=\d{3}(?!\d))", "", s)
    s = s.replace("/", " per ")
    # a power printed apart from its length unit ("m 3" as a PDF text layer copies m3)
    t, out, i = s.split(), [], 0
    while i < len(t):
        if t[i] in ("m", "km") and i + 1 < len(t) and t[i + 1] in ("2", "3") \
                and (i + 2 == len(t) or t[i + 2] == "per"):
            out.append(t[i] + t[i + 1])
            i += 2
        else:
            out.append(t[i])
            i += 1
    return " ".join(out)


import re
uniq, seen = [], {}
for r in rows:
    key = (r["canonical_unit"], r["applies_to"], normalise(r["spelling"]))
    if key in seen:
        prev = seen[key]
        if (prev["factor"], prev["per_denominator"]) != (r["factor"], r["per_denominator"]):
            raise SystemExit("ambiguous spelling {!r}: {} vs {}".format(key, prev, r))
        continue
    seen[key] = r
    uniq.append(r)
rows = uniq

# ------------------------------------------------------------------ write
# Short display symbols (at most 10 characters) for tables and charts, e.g. a snapshot row at
# 100 terminal columns.
SYMBOL = {
    "pct": "%", "pct_of_gdp": "% of GDP", "per_100k_pop": "/100k pop",
    "per_100k_live_births": "/100k brth", "km_per_100k_pop": "km/100k", "ha_per_100k_pop": "ha/100k",
    "m2_per_capita": "m²/cap", "kwh_per_capita_year": "kWh/cap/y", "gj_per_capita_year": "GJ/cap/y",
    "kwh_per_m2_year": "kWh/m²/y", "l_per_capita_day": "L/cap/d", "m3_per_capita_year": "m³/cap/y",
    "t_co2e_per_capita": "tCO2e/cap", "ug_per_m3": "µg/m³", "minutes": "min", "years": "years",
    "count": "count", "interruptions_per_customer_year": "/cust/y", "ratio": "ratio",
    "gini_0_1": "Gini 0-1", "bool": "yes/no",
}
assert set(SYMBOL) == set(CANONICAL), set(CANONICAL) ^ set(SYMBOL)
assert all(len(v) <= 10 for v in SYMBOL.values())

# Magnitude bound of every canonical unit (METHODOLOGY section 3; docs/methodology.md
# section 2 gives the basis of each): a value whose absolute value in the canonical unit
# exceeds it is rejected at ingest, so one typo (1.7976931348623157e308, a value in the
# wrong unit) cannot make every published mean and sd infinite. Each bound is 10-100 times
# the largest real city value of the quantity (or its definition's end), generous enough
# never to refuse a real city, and small enough that sums, means and sums of squares over
# 100 000 cities stay finite (1e12 x 1e5 = 1e17; squares 1e29). The reason is quoted in the
# rejection message.
MAX_ABS = {
    "pct": (1e4, "50 x the largest shares above 100 %, about 200 %"),
    "pct_of_gdp": (1e4, "50 x the largest disaster losses, about 200 % of GDP"),
    "per_100k_pop": (1e8, "1 000 per inhabitant"),
    "per_100k_live_births": (1e5, "one per live birth"),
    "km_per_100k_pop": (1e6, "10 km per inhabitant"),
    "ha_per_100k_pop": (1e8, "1 000 ha per inhabitant"),
    "m2_per_capita": (1e5, "10 ha per inhabitant"),
    "kwh_per_capita_year": (1e7, "100 x the highest real consumption, about 100 000 kWh"),
    "gj_per_capita_year": (1e4, "50 x the highest real residential use, about 200 GJ"),
    "kwh_per_m2_year": (1e6, "100 x data centres and laboratories, about 10 000 kWh/m2"),
    "l_per_capita_day": (1e5, "30 x the highest real supply, about 3 000 L a day"),
    "m3_per_capita_year": (1e6, "100 x the highest real withdrawals, about 10 000 m3"),
    "t_co2e_per_capita": (1e5, "100 x a small city with a large power plant, about 1 000 t"),
    "ug_per_m3": (1e5, "10 x dust-storm peaks, about 10 000 ug/m3"),
    "minutes": (1e7, "19 years; a whole year is 525 600 minutes"),
    "years": (1e4, "100 x a human lifetime"),
    "count": (1e12, "100 x the largest real city counts, about 1e10"),
    "interruptions_per_customer_year": (1e5, "100 x the worst real supply, about 1 000 a year"),
    "ratio": (1e4, "1 000 x the largest real ratios, below 10"),
    "gini_0_1": (1, "a Gini coefficient is at most 1"),
    "bool": (1, "yes/no is 0 or 1"),
}
assert set(MAX_ABS) == set(CANONICAL), set(CANONICAL) ^ set(MAX_ABS)
assert all(0 < b <= 1e12 for b, _ in MAX_ABS.values())


def bound_text(b):
    """1e8 -> '1e8', 1 -> '1' (the text the engine parses)."""
    if b >= 1e6:
        m, e = "{:e}".format(b).split("e")
        m = m.rstrip("0").rstrip(".")
        return "{}e{}".format(m, int(e))
    return fmt(F(b).limit_denominator())

os.makedirs(HERE, exist_ok=True)
with open(os.path.join(HERE, "units.csv"), "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
with open(os.path.join(HERE, "canonical_units.csv"), "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["canonical_unit", "quantity", "label", "denominator_scale", "denominator_kind", "symbol",
                "max_abs", "max_abs_reason"])
    for k, (q, label, scale, kind) in CANONICAL.items():
        bound, reason = MAX_ABS[k]
        w.writerow([k, q, label, "" if scale is None else scale, kind, SYMBOL[k], bound_text(bound), reason])
print(len(rows), "spellings;", len(CANONICAL), "canonical units")
