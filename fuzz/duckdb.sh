#!/usr/bin/env bash
# Run DuckDB's Parquet reader (the engine citybench bundles, through the Python package of
# the same version) on every file of a directory, one process per file with a timeout, as
# `citybench index --data FILE.parquet` reads it (every column cast to text); print how many
# were read, failed with an error, or crashed/hung. Without citybench's checks in front:
# this measures DuckDB itself on a fuzz corpus.
#
#   fuzz/duckdb.sh DIR
set -uo pipefail
dir=${1:?usage: fuzz/duckdb.sh DIR}
venv=${FUZZ_VENV:-$HOME/.cache/citybench/venv-fuzz}
read=0 error=0 crashed=0
for f in "$dir"/*; do
  out=$(timeout 30 "$venv/bin/python" -c '
import sys, duckdb
p = sys.argv[1].replace("'"'"'", "'"''"'")
try:
    n = duckdb.connect().execute(f"SELECT count(*) FROM (SELECT COLUMNS(*)::VARCHAR FROM read_parquet('"'"'{p}'"'"'))").fetchone()[0]
    print("read", n)
except Exception as e:
    print("error", type(e).__name__)
' "$f" 2>/dev/null)
  rc=$?
  case "$rc:$out" in
    0:read*) read=$((read + 1)) ;;
    0:error*) error=$((error + 1)) ;;
    *) crashed=$((crashed + 1)); echo "crash or hang (exit $rc): $f" ;;
  esac
done
echo "DuckDB on $dir: read $read, error $error, crashed or hung $crashed"
[ "$crashed" -eq 0 ]
