#!/usr/bin/env bash
# Write the seed inputs of every fuzz target into fuzz/seeds/TARGET/ (small files: the
# fuzzer mutates them). Needs a citybench binary (CITYBENCH, default `citybench` on PATH)
# and a Python environment with DuckDB and pyarrow for the Parquet variants
# (FUZZ_VENV, default ~/.cache/citybench/venv-fuzz, created with the versions pinned in
# notebooks/requirements.txt when missing).
set -euo pipefail
cd "$(dirname "$0")"
cb=${CITYBENCH:-citybench}
venv=${FUZZ_VENV:-$HOME/.cache/citybench/venv-fuzz}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet \
    "$(grep '^duckdb==' ../notebooks/requirements.txt)" \
    "$(grep '^pyarrow==' ../notebooks/requirements.txt)"
fi
rm -rf seeds && mkdir -p seeds/{csv,json,ndjson,parquet,xlsx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

head='city_id,data_point_id,year,value,unit,source,quality,verified,confidential'
cat > seeds/csv/rows.csv <<CSV
$head
2660646,EC-ICT-ICT-1C,2023,85,%,OFS,measured,true,false
2660646,SC-SH-SA-8C,2023,1.2,per 1000 inhabitants,"Police, city",survey extrapolated,yes,no
3137115,EN-EN-AQ-1C-no2,2022,10,ppb,NILU,,1,0
2660646,EC-ICT-ICT-1C,2023,"95,4",percnt,s,bogus,maybe,2
CSV
printf '%s\r\n%s\r\n\r\n%s\r\n' "$head,denominator,notes" \
  '2660646,EC-ICT-ICT-2C,2023,180,%,s,measured,true,false,,n' \
  '3137115,SC-SH-SA-8C,2022,12,number,s,measured,true,false,population,' > seeds/csv/crlf.csv
rec='{"city_id":"2660646","data_point_id":"EC-ICT-ICT-1C","year":2023,"value":85,"unit":"%","source":"s","quality":"measured","verified":true,"confidential":false}'
bad='{"city_id":3137115,"data_point_id":"EN-EN-AQ-1C-no2","year":"2022","value":"1e400","unit":"ppb","source":null,"quality":"","verified":1,"confidential":[1]}'
printf '[%s,\n%s, 7]\n' "$rec" "$bad" > seeds/json/rows.json
printf '%s\n\n%s\n[1,2]\n' "$rec" "$bad" > seeds/ndjson/rows.ndjson

# Parquet: Polars (citybench generate) and DuckDB/pyarrow variants of the CSV rows
"$cb" generate --cities 1 --years 2023..2023 --seed 7 --out "$tmp/g" >/dev/null
cp "$tmp/g/submissions.parquet" seeds/parquet/generated.parquet
"$venv/bin/python" - seeds/csv/rows.csv seeds/parquet <<'PY'
import sys, duckdb, pyarrow.csv, pyarrow.parquet as pq
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{src}', all_varchar = true)")
text = "t"
typed = (f"(SELECT city_id::BIGINT AS city_id, data_point_id, year::INTEGER AS year, "
         f"TRY_CAST(value AS DOUBLE) AS value, unit, source, quality, "
         f"TRY_CAST(verified AS BOOLEAN) AS verified, TRY_CAST(confidential AS BOOLEAN) AS confidential "
         f"FROM {text})")
decimal = (f"(SELECT city_id, data_point_id, year, TRY_CAST(value AS DECIMAL(10,2)) AS value, "
           f"unit, source, quality, verified, confidential FROM {text})")
for name, frm, opts in [
    ("duckdb-uncompressed", text, "COMPRESSION uncompressed"),
    ("duckdb-snappy", text, "COMPRESSION snappy"),
    ("duckdb-zstd", text, "COMPRESSION zstd"),
    ("duckdb-gzip", text, "COMPRESSION gzip"),
    ("duckdb-row-groups", text, "COMPRESSION uncompressed, ROW_GROUP_SIZE 2"),
    ("duckdb-v2", text, "COMPRESSION uncompressed, PARQUET_VERSION V2"),
    ("duckdb-typed", typed, "COMPRESSION uncompressed"),
    ("duckdb-typed-v2-snappy", typed, "COMPRESSION snappy, PARQUET_VERSION V2"),
    ("duckdb-decimal", decimal, "COMPRESSION uncompressed"),
]:
    con.execute(f"COPY (SELECT * FROM {frm}) TO '{out}/{name}.parquet' (FORMAT parquet, {opts})")
t = pyarrow.csv.read_csv(src, convert_options=pyarrow.csv.ConvertOptions(strings_can_be_null=True))
for name, kw in [
    ("arrow-plain", dict(compression="none", use_dictionary=False)),
    ("arrow-dictionary-v2", dict(compression="none", data_page_version="2.0")),
    ("arrow-lz4-small-pages", dict(compression="lz4", data_page_size=64, row_group_size=2)),
    ("arrow-zstd-stats", dict(compression="zstd", write_statistics=True, write_page_index=True)),
]:
    pq.write_table(t, f"{out}/{name}.parquet", **kw)
PY

"$cb" init "$tmp/ws" >/dev/null
"$cb" -w "$tmp/ws" template --city 2660646 --year 2025 --out seeds/xlsx/template.xlsx >/dev/null
# the same workbook with its parts stored uncompressed: mutations then reach the XML
python3 - seeds/xlsx/template.xlsx seeds/xlsx/stored.xlsx <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as b:
    for i in a.infolist():
        b.writestr(i.filename, a.read(i.filename))
PY
ls -l seeds/*
