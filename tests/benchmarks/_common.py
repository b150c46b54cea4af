"""Shared by the benchmarks: run from the repository root or anywhere."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run_cli(argv: list[str]) -> tuple[float, int, dict]:
    """One whole ``app.main(argv)`` call with ``--json`` in this process: (seconds, exit
    code, the summary it printed)."""
    import contextlib
    import io
    import json
    import time

    import app

    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = app.main(argv)
    return time.perf_counter() - t0, code, json.loads(out.getvalue())
