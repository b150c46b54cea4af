"""Launch to first paint: Kitchen Sync from source (and frozen, if built) vs a bare PySide6
window, all measured in this run.

    python tests/benchmarks/startup.py [--runs 5] [--frozen dist/kitchen-sync/kitchen-sync] [--quick]

Prints one JSON line: median seconds for each, and ratios against the bare window.
Bar (docs/quality-bars.md): the window painted within 1 s of launch from source.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _common

BARE = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            print(f"first-paint {time.monotonic():.6f}", flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False
app = QApplication(sys.argv)
w = QLabel("hello"); p = Probe(); w.installEventFilter(p); w.show()
app.exec()
"""


def launch(cmd: list[str]) -> float:
    env = {
        **os.environ,
        "KITCHEN_SYNC_EXIT_AFTER_PAINT": "1",
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "PYTHONPATH": str(_common.ROOT),
    }
    t0 = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd=_common.ROOT).stdout
    for line in out.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - t0
    raise RuntimeError(f"{cmd[0]} never painted: {out[-500:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    default_frozen = _common.ROOT / "dist" / "kitchen-sync" / "kitchen-sync"
    ap.add_argument("--frozen", type=Path, default=default_frozen)
    ap.add_argument("--quick", action="store_true", help="one run of each (a CI smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.runs = 1
    cases = {"bare_pyside6": [sys.executable, "-c", BARE], "source": [sys.executable, "-m", "app"]}
    if args.frozen.exists():
        cases["frozen"] = [str(args.frozen)]
    results: dict[str, list[float]] = {name: [] for name in cases}
    launch(cases["source"])  # warm the file cache once, for every case alike
    for _ in range(args.runs):  # interleaved, so load drift hits every case alike
        for name, cmd in cases.items():
            results[name].append(launch(cmd))
    med = {k: round(statistics.median(v), 3) for k, v in results.items()}
    base = med["bare_pyside6"]
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "median_s": med,
                "ratio_vs_bare": {k: round(v / base, 2) for k, v in med.items() if k != "bare_pyside6"},
                "bar_s": 1.0,
                "source_within_bar": med["source"] <= 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
