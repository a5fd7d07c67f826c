#!/usr/bin/env bash
# Bounded, nightly-style fuzzing of citybench's readers.
#
#   fuzz/run.sh SECONDS [TARGET...]     (targets: csv json ndjson parquet xlsx; default all)
#
# Builds the targets with the nightly toolchain (cargo-fuzz, no sanitizer, release: what
# ships), writes the seeds if missing (fuzz/seeds.sh), then runs each target for SECONDS.
# New inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET, logs to
# fuzz/logs/TARGET.log. Exit status 1 when any target found a crash, timeout or OOM.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv json ndjson parquet xlsx)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/citybench/target-fuzz}
# jobs: one fuzzing process per target at a time (libFuzzer -jobs would multiply memory)
[ -d seeds ] || ./seeds.sh || exit 2
cargo +nightly fuzz build -O -s none || exit 2
mkdir -p logs
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  # inputs up to a little more than the largest seed (the XLSX template stored uncompressed)
  max_len=65536
  [ "$t" = xlsx ] && max_len=524288
  cargo +nightly fuzz run -O -s none "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  echo "$t: exit $rc, ${execs:-?} executions in ${secs}s, corpus $(ls "corpus/$t" | wc -l) inputs, $(ls "artifacts/$t" | wc -l) artifacts"
  [ $rc -ne 0 ] && failed=1
done
exit $failed
