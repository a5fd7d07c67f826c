"""Execute citybench notebooks top to bottom, headless, without writing them back.

    python notebooks/run_notebooks.py [--timeout SECONDS] [--kernel NAME] [NOTEBOOK ...]

Every notebook (default: notebooks/*.ipynb) runs in a fresh kernel whose working directory
is the notebook's folder, with this process's environment (CITYBENCH_WORKSPACE, ...).
Prints one line per notebook with its time; when a cell raises, prints the notebook, the
cell and its error, goes on with the other notebooks and exits 1. The executed copy stays
in memory: the stored notebooks are never modified.

The kernel must be this interpreter: run.sh installs a kernelspec named "citybench" into
the virtual environment (`python -m ipykernel install --sys-prefix --name citybench`), and
this script refuses a kernelspec that would start another Python.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def check_kernel(name: str) -> None:
    """Fail unless the kernelspec `name` starts this very interpreter (the venv's python)."""
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        sys.exit(
            f"run_notebooks: no Jupyter kernel named {name!r}; install it with\n"
            f"  {sys.executable} -m ipykernel install --sys-prefix --name {name}"
        )
    exe = spec.argv[0]
    if exe != sys.executable and Path(exe).absolute() != Path(sys.executable).absolute():
        sys.exit(
            f"run_notebooks: kernel {name!r} ({spec.resource_dir}) starts {exe},\n"
            f"  not this interpreter {sys.executable}; reinstall it with\n"
            f"  {sys.executable} -m ipykernel install --sys-prefix --name {name}"
        )


def describe(nb: nbformat.NotebookNode, index: int | None) -> str:
    """'cell N (first line)' for the cell at `index` (0-based), counted as Jupyter shows them."""
    if index is None:
        return "before the first cell"
    lines = nb.cells[index].source.strip().splitlines()
    return f"cell {index + 1} of {len(nb.cells)} ({(lines[0] if lines else '')[:60]!r})"


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _indent(text: str, limit: int = 80) -> str:
    lines = ANSI.sub("", text).splitlines()  # IPython colours its tracebacks; CI logs are plain
    if len(lines) > limit:  # nbclient repeats the cell source; keep the error readable
        lines = lines[:20] + ["    ..."] + lines[-(limit - 21):]
    return "\n".join("    " + line for line in lines)


def run(path: Path, kernel: str, timeout: int) -> bool:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=kernel,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    current: dict[str, int | None] = {"index": None}

    def started(cell, cell_index, **_):
        current["index"] = cell_index

    client.on_cell_start = started
    start = time.monotonic()
    # The kernel's own stderr (startup notices, warnings) goes to a scratch file, shown only
    # when the notebook fails; cell output is collected by nbclient and never printed.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as kernel_log:
        try:
            client.execute(stderr=kernel_log)
        except Exception as err:  # a cell raised or timed out, or the kernel died or never started
            elapsed = time.monotonic() - start
            print(f"FAIL {path.name:<36} {elapsed:6.1f}s  {describe(nb, current['index'])}: "
                  f"{type(err).__name__}", flush=True)
            print(_indent(str(err).strip() or repr(err)), flush=True)
            if not isinstance(err, CellExecutionError):
                kernel_log.seek(0)
                tail = kernel_log.read()[-1500:].strip()
                if tail:
                    print("    kernel stderr:\n" + _indent(tail, limit=40), flush=True)
            return False
    elapsed = time.monotonic() - start
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"ok   {path.name:<36} {elapsed:6.1f}s  ({cells} code cells)", flush=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("CITYBENCH_CELL_TIMEOUT", "300")),
                        help="seconds per cell (default 300, or CITYBENCH_CELL_TIMEOUT)")
    parser.add_argument("--kernel", default="citybench", help="kernelspec name (default citybench)")
    args = parser.parse_args()

    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    if not paths:
        print(f"run_notebooks: no notebooks in {HERE}", file=sys.stderr)
        return 1
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"run_notebooks: no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    check_kernel(args.kernel)

    workspace = os.environ.get("CITYBENCH_WORKSPACE", "(unset: the notebooks' default)")
    print(f"executing {len(paths)} notebook(s), kernel {args.kernel} ({sys.executable}), "
          f"workspace {workspace}, {args.timeout}s per cell", flush=True)
    start = time.monotonic()
    failed = [p.name for p in paths if not run(p.resolve(), args.kernel, args.timeout)]
    total = time.monotonic() - start
    passed = len(paths) - len(failed)
    print(f"total {total:.1f}s", flush=True)
    # the plain closing line CI logs are read for
    print(f"notebooks: {passed} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
