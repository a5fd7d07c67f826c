#!/usr/bin/env bash
# End-to-end timing (issue 21): `ingest` then `run` on a fresh workspace, as a user meets
# them, for one or more citybench binaries, interleaved. Each repetition starts from an
# empty workspace after a pause, so no command finds memory another one just freed (on a
# virtual machine that changes the figures: docs/performance.md, "fifth pass").
#
#   benches/end_to_end.sh [--cities N] [--seed S] [--reps R] [--pause SECONDS] BIN [BIN...]
#
# The submission is generated once (2005..2024, by the first BIN) under
# $CITYBENCH_E2E_DIR (default /tmp/citybench-e2e). Needs GNU time (/usr/bin/time).
# Prints one line per command: wall, user and system seconds, peak resident MB.
set -euo pipefail

cities=5000 seed=42 reps=3 pause=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cities) cities=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --pause) pause=$2; shift 2 ;;
    *) break ;;
  esac
done
if [[ $# -lt 1 ]]; then
  echo "usage: $0 [--cities N] [--seed S] [--reps R] [--pause SECONDS] BIN [BIN...]" >&2
  exit 2
fi

dir=${CITYBENCH_E2E_DIR:-/tmp/citybench-e2e}
data=$dir/cities-$cities-seed-$seed
mkdir -p "$dir"
if [[ ! -f $data/submissions.parquet ]]; then
  "$1" generate --cities "$cities" --years 2005..2024 --seed "$seed" --out "$data" -q
fi

measure() {
  /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1
}

printf "%-24s %-7s %7s %7s %7s %8s\n" binary command wall_s user_s sys_s peak_MB
for _ in $(seq "$reps"); do
  for bin in "$@"; do
    ws=$dir/ws
    rm -rf "$ws"
    "$bin" init "$ws" -q >/dev/null
    sleep "$pause"
    for cmd in ingest run; do
      if [[ $cmd == ingest ]]; then
        args=(ingest "$data/submissions.parquet")
      else
        args=(run)
      fi
      read -r wall user sys kb < <(measure "$bin" -w "$ws" "${args[@]}" -q)
      printf "%-24s %-7s %7s %7s %7s %8d\n" "$(basename "$bin")" "$cmd" "$wall" "$user" "$sys" $((kb / 1024))
    done
  done
done
rm -rf "$dir/ws"
