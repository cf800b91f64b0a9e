#!/usr/bin/env python3
"""`run_flow` from Python on the `wide` workload, side by side with the
`flowtoy` binary and (optionally) the Python flowtoy 0.1.0.

    cargo build --release -p flowtoy-cli
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install ./bindings/python
    python3 -m venv /tmp/seed && /tmp/seed/bin/pip install flowtoy==0.1.0   # optional
    python3 bench/python_wide.py --python /tmp/ft/bin/python --seed-python /tmp/seed/bin/python

Each measurement is a fresh process, the three kinds taking turns. For the Python packages it reports
both the `run_flow(...)` call alone (timed inside the process, after
`import flowtoy.cli`) and the whole process (interpreter start and import
included); for the binary, the whole `flowtoy run -q FILE` process. Medians
of `--runs` runs (at most 3 for the Python flowtoy, which is slow). Prints a
Markdown table.

The flow is the `wide` workload of `flowtoy-bench` (`bench/src/lib.rs`,
`Workload::Wide`): SIZE independent `env` steps with one `json` output each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent

# Runs run_flow once and prints how long the call took and how many steps
# have outputs (to check the run really happened).
CHILD = """
import json, sys, time
from flowtoy.cli import run_flow
start = time.perf_counter()
flows, status = run_flow([sys.argv[1]])
elapsed = time.perf_counter() - start
print(json.dumps({"call": elapsed, "steps": len(flows)}))
"""


def wide_yaml(size: int) -> str:
    """The `wide` workload, as `Workload::Wide.yaml(size)` writes it."""
    lines = [
        "sources:",
        "  home: {type: env, configuration: {vars: [HOME]}}",
        "flow:",
    ]
    lines += [
        f"  - {{name: s{i}, source: home, output: [{{name: v, type: json}}]}}"
        for i in range(size)
    ]
    return "\n".join(lines) + "\n"


def run_python(python: str, path: str, size: int) -> Tuple[float, float]:
    """(whole process seconds, run_flow call seconds) of one run."""
    start = time.perf_counter()
    out = subprocess.run(
        [python, "-c", CHILD, path],
        check=True,
        capture_output=True,
        text=True,
    )
    whole = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["steps"] != size:
        raise SystemExit(f"{python}: {result['steps']} steps have outputs, not {size}")
    return whole, result["call"]


def run_binary(flowtoy: str, path: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [flowtoy, "run", "-q", path],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def median(values: List[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flowtoy", default=str(REPO / "target/release/flowtoy"))
    parser.add_argument("--python", default=sys.executable, help="has this package")
    parser.add_argument("--seed-python", help="has the Python flowtoy 0.1.0 (optional)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flowtoy-python-wide-") as tmp:
        path = os.path.join(tmp, f"wide-{args.size}.yaml")
        Path(path).write_text(wide_yaml(args.size), encoding="utf-8")

        # Interleaved, so that a change in the machine's load weighs on all alike.
        binary: List[float] = []
        ours: List[Tuple[float, float]] = []
        seed: Optional[List[Tuple[float, float]]] = [] if args.seed_python else None
        for i in range(args.runs):
            binary.append(run_binary(args.flowtoy, path))
            ours.append(run_python(args.python, path, args.size))
            if seed is not None and i < 3:
                seed.append(run_python(args.seed_python, path, args.size))

    bin_s = median(binary)
    call_s = median([c for _, c in ours])
    whole_s = median([w for w, _ in ours])
    print(f"wide, {args.size} steps; medians of {args.runs} runs (Python flowtoy: {min(args.runs, 3)})")
    print()
    print("| what | median (s) | × the binary | Python flowtoy's ÷ this |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| `flowtoy run -q` (binary, whole process) | {bin_s:.3f} | 1.00 | |")
    seed_call = seed_whole = None
    if seed:
        seed_call = median([c for _, c in seed])
        seed_whole = median([w for w, _ in seed])
    print(
        f"| this package, `run_flow` call | {call_s:.3f} | {call_s / bin_s:.2f} | "
        + (f"{seed_call / call_s:.0f}× faster |" if seed_call else "|")
    )
    print(
        f"| this package, whole `python -c` process | {whole_s:.3f} | {whole_s / bin_s:.2f} | "
        + (f"{seed_whole / whole_s:.0f}× faster |" if seed_whole else "|")
    )
    if seed_call is not None and seed_whole is not None:
        print(f"| Python flowtoy 0.1.0, `run_flow` call | {seed_call:.3f} | {seed_call / bin_s:.0f} | |")
        print(f"| Python flowtoy 0.1.0, whole process | {seed_whole:.3f} | {seed_whole / bin_s:.0f} | |")


if __name__ == "__main__":
    main()
