"""The GUI thread under load: the restaurant window, offscreen, at 16x with orders queued.

    python tests/benchmarks/gui_frames.py [--seconds 4] [--quick]

One run measures, one after the other in the same window: an idle kitchen of 16 stations
(the baseline), then 16 and 32 stations busy (60 orders kept queued, "Place 5" clicked as a
user would). The GUI thread runs its ordinary event loop throughout. For each:

- lateness of a 5 ms heartbeat timer on the GUI thread, p50/p99/max: what a user feels; and
  (Linux) how long the GUI thread was ready to run but got no CPU, in the worst stall and
  overall: the part of the lateness the machine's other work decides;
- worker -> view latency, p99: from a record's enqueue in a worker to its batch applied;
- what the GUI thread spends its time on: paints of the canvas and the timeline (wall p50/p99
  and CPU per paint), folding records (microseconds per record), and its CPU share;
- records folded, frames, served orders.

Bars (docs/quality-bars.md): busy at 16 and 32 stations, lateness p99 <= 16 ms and max
<= 50 ms, latency p99 <= 20 ms. Lateness is wall-clock: on a machine busy with other work it
grows whatever the window does, so the JSON also gives the load average and the busy/idle
ratios. ``--quick`` is a smoke run of about a second (CI); its figures are not the bars'.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import _common  # noqa: F401

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SPEED_INDEX = 6  # 16x
QUEUED = 60
BARS = {"lateness_p99_ms": 16.0, "lateness_max_ms": 50.0, "latency_p99_ms": 20.0}


def runqueue_ms() -> float | None:
    """Milliseconds this thread has spent runnable but not running (Linux), or None."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return None


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(int(q * len(s)), len(s) - 1)]


class Probe:
    """Times the paints of the canvas and timeline classes and the scene's record batches."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {"canvas": [], "timeline": []}
        self.cpu: dict[str, list[float]] = {"canvas": [], "timeline": []}
        self.fold_s = 0.0
        self.records = 0
        self.on = False

    def wrap_paint(self, cls: type, key: str) -> None:
        original = cls.paintEvent

        def timed(widget, event) -> None:
            w0, c0 = time.perf_counter(), time.thread_time()
            original(widget, event)
            if self.on:
                self.wall[key].append((time.perf_counter() - w0) * 1000)
                self.cpu[key].append((time.thread_time() - c0) * 1000)

        cls.paintEvent = timed

    def wrap_apply(self, scene) -> None:
        original = scene._apply

        def timed(records: list) -> None:
            c0 = time.thread_time()
            original(records)
            if self.on:
                self.fold_s += time.thread_time() - c0
                self.records += len(records)

        scene.bridge.batch.disconnect()
        scene.bridge.batch.connect(timed)  # emitted in the GUI thread (the bridge's drain)

    def reset(self) -> None:
        for d in (self.wall, self.cpu):
            for v in d.values():
                v.clear()
        self.fold_s, self.records = 0.0, 0


def measure(app, scene, probe: Probe, stations: int, busy: bool, seconds: float, warmup: float) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from app.scenes.restaurant.model import KitchenConfig

    scene.restart_kitchen(KitchenConfig.with_station_count(stations, rehire_after_s=None))

    def top_up() -> None:  # a user clicking "Place 5" while fewer than QUEUED wait
        if busy and scene.view.queued < QUEUED:
            scene.place_order(5 if scene.view.queued else QUEUED)

    clicker = QTimer()
    clicker.setInterval(100)
    clicker.timeout.connect(top_up)
    top_up()
    clicker.start()

    def run(s: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(s * 1000), loop.quit)
        loop.exec()

    run(warmup)
    probe.reset()
    lateness: list[float] = []
    waited: list[float] = []  # per beat: of that interval, how long the thread waited for a CPU
    beat = QTimer()
    beat.setInterval(5)
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]
    queued = [runqueue_ms()]

    def on_beat() -> None:
        now = clock.nsecsElapsed()
        lateness.append(max((now - last[0]) / 1e6 - 5.0, 0.0))
        last[0] = now
        rq = runqueue_ms()
        if rq is not None and queued[0] is not None:
            waited.append(rq - queued[0])
        queued[0] = rq

    beat.timeout.connect(on_beat)
    served0 = scene.view.served
    scene.bridge.latencies.clear()
    probe.on = True
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    beat.start()
    run(seconds)
    beat.stop()
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    probe.on = False
    clicker.stop()
    latency = [x * 1000 for x in scene.bridge.latencies]
    worst = max(range(len(lateness)), key=lateness.__getitem__, default=None)
    canvas, timeline = probe.wall["canvas"], probe.wall["timeline"]
    return {
        "stations": stations,
        "controlled": scene.sim.scheduler is not None,
        "busy": busy,
        "lateness_p50_ms": round(pct(lateness, 0.5), 2),
        "lateness_p99_ms": round(pct(lateness, 0.99), 2),
        "lateness_max_ms": round(max(lateness, default=0.0), 2),
        "latency_p99_ms": round(pct(latency, 0.99), 2),
        # How much of the worst stall the GUI thread was ready to run but had no CPU (other
        # processes on a busy machine), and that share over the whole run (Linux; else null).
        "lateness_max_waiting_for_cpu_ms": round(waited[worst], 2)
        if waited and worst is not None and worst < len(waited)
        else None,
        "waiting_for_cpu_share": round(sum(waited) / 1000 / wall, 3) if waited else None,
        "gui_cpu_share": round(cpu / wall, 3),
        "canvas_paint_ms": {
            "p50": round(pct(canvas, 0.5), 2),
            "p99": round(pct(canvas, 0.99), 2),
            "cpu_mean": round(sum(probe.cpu["canvas"]) / max(len(canvas), 1), 2),
        },
        "timeline_paint_ms": {
            "p50": round(pct(timeline, 0.5), 2),
            "p99": round(pct(timeline, 0.99), 2),
            "cpu_mean": round(sum(probe.cpu["timeline"]) / max(len(timeline), 1), 2),
        },
        "fold_us_per_record": round(probe.fold_s / max(probe.records, 1) * 1e6, 2),
        "records": probe.records,
        "paints": len(canvas),
        "served": scene.view.served - served0,
    }


def held(m: dict) -> bool:
    return (
        m["lateness_p99_ms"] <= BARS["lateness_p99_ms"]
        and m["lateness_max_ms"] <= BARS["lateness_max_ms"]
        and m["latency_p99_ms"] <= BARS["latency_p99_ms"]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0, help="measured seconds per busy kitchen")
    ap.add_argument("--quick", action="store_true", help="a smoke run of about a second")
    ap.add_argument(
        "--schedule",
        choices=("random", "pct", "pos"),
        default=None,
        help="run the kitchens in controlled mode under this strategy (default: free)",
    )
    args = ap.parse_args()
    seconds, warmup = (0.3, 0.1) if args.quick else (args.seconds, 0.5)
    from PySide6.QtCore import QStandardPaths

    # Never the user's own settings (nor a scene another run left selected).
    QStandardPaths.setTestModeEnabled(True)
    os.environ["KITCHEN_SYNC_CONFIG_DIR"] = tempfile.mkdtemp(prefix="gui-frames-")
    from app.gui.application import create_window, ensure_app
    from app.gui.scenes.restaurant_canvas import KitchenCanvas
    from app.gui.timeline_view import TimelineView

    app, _ = ensure_app()
    window = create_window()
    window.resize(1280, 820)
    window.show()
    scene = window.scene("restaurant")
    window.tabs.setCurrentWidget(scene)  # the restaurant is what is painted
    scene.speed_slider.setValue(SPEED_INDEX)
    if args.schedule:
        from PySide6.QtWidgets import QComboBox

        combo = scene.findChild(QComboBox, "strategyCombo")
        combo.setCurrentIndex(combo.findData(args.schedule))  # every kitchen below runs under it
    probe = Probe()
    probe.wrap_paint(KitchenCanvas, "canvas")
    probe.wrap_paint(TimelineView, "timeline")
    probe.wrap_apply(scene)
    load_before = os.getloadavg()[0]
    idle = measure(app, scene, probe, 16, False, seconds / 2, warmup)
    busy16 = measure(app, scene, probe, 16, True, seconds, warmup)
    busy32 = measure(app, scene, probe, 32, True, seconds, warmup)
    window.close()
    base = max(idle["lateness_p99_ms"], 0.5)
    print(
        json.dumps(
            {
                "benchmark": "gui_frames",
                "quick": args.quick,
                "speed": 16,
                "schedule": args.schedule or "free",
                "queued": QUEUED,
                "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "idle16": idle,
                "busy16": busy16,
                "busy32": busy32,
                "lateness_p99_vs_idle": {
                    "busy16": round(busy16["lateness_p99_ms"] / base, 2),
                    "busy32": round(busy32["lateness_p99_ms"] / base, 2),
                },
                "bars": BARS,
                "held": held(busy16) and held(busy32),
            }
        )
    )


if __name__ == "__main__":
    main()
