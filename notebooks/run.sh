#!/usr/bin/env bash
# Execute the citybench notebooks against a fresh demo workspace.
#
#   CITYBENCH_BIN=target/release/citybench notebooks/run.sh [NOTEBOOK.ipynb ...]
#   notebooks/run.sh --setup-only      # only the venv; prints its bin directory last
#
# Environment:
#   CITYBENCH_BIN           the citybench binary (required unless --setup-only)
#   CITYBENCH_VENV          the virtual environment (default ~/.cache/citybench/venv)
#   CITYBENCH_PYTHON        the interpreter that creates it (default python3)
#   CITYBENCH_CELL_TIMEOUT  seconds per cell (default 300)
#   CITYBENCH_CITY, CITYBENCH_DIMENSION   passed to the notebooks
set -euo pipefail

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

setup_only=0
notebooks=()
for arg in "$@"; do
    case "$arg" in
        --setup-only) setup_only=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "run.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
        *) notebooks+=("$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")") ;;
    esac
done

# (ii) the binary: CITYBENCH_BIN, relative to the caller's directory, resolved before leaving it.
bin="${CITYBENCH_BIN:-}"
if [[ $setup_only -eq 0 ]]; then
    if [[ -z "$bin" ]]; then
        echo "run.sh: CITYBENCH_BIN is not set; point it at a citybench binary, e.g." >&2
        echo "  CITYBENCH_BIN=target/release/citybench notebooks/run.sh" >&2
        exit 2
    fi
    if [[ "$bin" != */* ]]; then
        bin="$(command -v "$bin" || true)"
    elif [[ "$bin" != /* ]]; then
        bin="$PWD/$bin"
    fi
    if [[ -z "$bin" || ! -f "$bin" || ! -x "$bin" ]]; then
        echo "run.sh: CITYBENCH_BIN=${CITYBENCH_BIN} is not an executable file" >&2
        exit 2
    fi
fi

venv="${CITYBENCH_VENV:-$HOME/.cache/citybench/venv}"
[[ "$venv" == /* ]] || venv="$PWD/$venv"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# (i) the virtual environment, created once and brought up to requirements.txt each time.
py="$venv/bin/python"
if ! "$py" -c 'import sys' >/dev/null 2>&1; then
    echo "run.sh: creating the virtual environment $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "${CITYBENCH_PYTHON:-python3}" -m venv "$venv"
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "run.sh: $venv has Python $("$py" -c 'import platform; print(platform.python_version())');" \
        "the pinned packages need 3.11 or newer: remove it and set CITYBENCH_PYTHON" >&2
    exit 2
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$py" -m pip install -q -r notebooks/requirements.txt >&2
# The kernel the runner uses: this venv's python, kept inside the venv (no ~/.local writes).
if ! out="$("$py" -m ipykernel install --sys-prefix --name citybench --display-name "Python (citybench)" 2>&1)"; then
    echo "$out" >&2
    exit 1
fi

if [[ $setup_only -eq 1 ]]; then
    echo "$venv/bin"
    exit 0
fi

# (iii) a fresh demo workspace, removed on exit.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/citybench-notebooks.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start=$SECONDS
if ! "$bin" demo --dir "$tmp/ws" >"$tmp/demo.log" 2>&1; then
    echo "run.sh: '$bin demo --dir $tmp/ws' failed:" >&2
    tail -n 40 "$tmp/demo.log" >&2
    exit 1
fi
echo "demo workspace built in $((SECONDS - start))s with $bin"

# (iv) every notebook, top to bottom, never written back.
export CITYBENCH_WORKSPACE="$tmp/ws"
export MPLBACKEND=Agg
"$py" notebooks/run_notebooks.py --kernel citybench ${notebooks[@]+"${notebooks[@]}"}
