"""Every benchmark, one after another, each printing its one JSON line.

    python tests/benchmarks/run_all.py [--quick] [--only NAME ...]

``--quick`` passes ``--quick`` to each (a cheap smoke run: CI uses it so no benchmark rots).
Exits 1 if a benchmark failed or did not print exactly one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "run_all")


def run(name: str, quick: bool, timeout: float) -> tuple[bool, str]:
    cmd = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, json.dumps({"benchmark": name, "error": f"no result within {timeout:g} s"})
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or len(lines) != 1:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return False, json.dumps({"benchmark": name, "error": f"exit {proc.returncode}: {tail}"})
    try:
        json.loads(lines[0])
    except ValueError:
        return False, json.dumps({"benchmark": name, "error": "did not print a JSON object"})
    return True, lines[0]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    args = ap.parse_args()
    timeout = args.timeout or (120.0 if args.quick else 1800.0)
    ok = True
    for name in args.only or benchmarks():
        good, line = run(name, args.quick, timeout)
        print(line, flush=True)
        ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
