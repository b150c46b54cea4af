"""The GUI thread under load: 16 chef stations at 16x, offscreen.

    python tests/benchmarks/gui_frames.py [--seconds 5]

Measures, in this run, for an idle kitchen (baseline) and a busy one:
- frame time: the frame handler plus the paints it causes (canvas, timeline), p50/p99/max;
- longest GUI-thread stall: the largest lateness of a 5 ms heartbeat timer;
- worker -> view latency: from a record's enqueue in a worker to its batch applied, p99.
Bars (docs/quality-bars.md): frame p99 <= 16 ms, stall <= 50 ms, latency p99 <= 20 ms. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import _common  # noqa: F401

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(int(q * len(s)), len(s) - 1)]


def measure(app, scene, seconds: float, busy: bool) -> dict[str, float]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtGui import QPixmap

    handler: list[float] = []
    paints: dict[str, list[float]] = {"canvas": [], "timeline": []}
    original_frame = scene._frame
    targets = (("canvas", scene.canvas), ("timeline", scene.timeline_view))

    def timed_frame():
        t0 = time.perf_counter()
        original_frame()
        handler.append((time.perf_counter() - t0) * 1000)
        # What the paint of this frame costs: render each view into a pixmap of its size
        # (the offscreen platform has no screen to flush to; the painting is the same).
        for key, widget in targets:
            pixmap = QPixmap(widget.size() * widget.devicePixelRatioF())
            t1 = time.perf_counter()
            widget.render(pixmap)
            paints[key].append((time.perf_counter() - t1) * 1000)

    scene.frame_timer.timeout.disconnect()
    scene.frame_timer.timeout.connect(timed_frame)
    if busy:
        scene.place_order(3000)  # before the heartbeat: a user never places thousands at once
    lateness: list[float] = []
    beat = QTimer()
    beat.setInterval(5)
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def on_beat():
        now = clock.nsecsElapsed()
        lateness.append(max((now - last[0]) / 1e6 - 5.0, 0.0))
        last[0] = now

    beat.timeout.connect(on_beat)
    beat.start()
    scene.bridge.latencies.clear()
    end = time.monotonic() + seconds
    next_click = time.monotonic()
    while time.monotonic() < end:
        if busy and time.monotonic() >= next_click:
            scene.place_order(5)  # a user clicking "Place 5" ten times a second
            next_click += 0.1
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    beat.stop()
    # A frame costs its handler plus the paints it causes: sum the p99s (an upper bound).
    p99 = pct(handler, 0.99) + pct(paints["canvas"], 0.99) + pct(paints["timeline"], 0.99)
    p50 = (
        statistics.median(handler or [0])
        + statistics.median(paints["canvas"] or [0])
        + statistics.median(paints["timeline"] or [0])
    )
    lat = [x * 1000 for x in scene.bridge.latencies]
    return {
        "frames": len(handler),
        "paints": len(paints["canvas"]),
        "frame_p50_ms": round(p50, 2),
        "frame_p99_ms": round(p99, 2),
        "canvas_paint_max_ms": round(max(paints["canvas"], default=0.0), 2),
        "p99_parts_ms": {
            "handler": round(pct(handler, 0.99), 2),
            "canvas": round(pct(paints["canvas"], 0.99), 2),
            "timeline": round(pct(paints["timeline"], 0.99), 2),
        },
        "stall_max_ms": round(max(lateness, default=0.0), 2),
        "latency_p99_ms": round(pct(lat, 0.99), 2),
        "served": scene.view.served,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    from PySide6.QtCore import QStandardPaths

    from app.gui.application import create_window, ensure_app
    from app.scenes.restaurant.model import KitchenConfig

    QStandardPaths.setTestModeEnabled(True)  # never read or write the user's own settings

    app, _ = ensure_app()
    window = create_window()
    window.resize(1280, 820)
    window.show()
    scene = window.scene("restaurant")
    scene.speed_slider.setValue(6)  # 16x
    scene.restart_kitchen(KitchenConfig.with_station_count(16, rehire_after_s=None))
    idle = measure(app, scene, args.seconds / 2, busy=False)
    busy = measure(app, scene, args.seconds, busy=True)
    window.close()
    print(
        json.dumps(
            {
                "benchmark": "gui_frames",
                "stations": 16,
                "speed": 16,
                "idle": idle,
                "busy": busy,
                "frame_p99_ratio_vs_idle": round(busy["frame_p99_ms"] / max(idle["frame_p99_ms"], 1e-3), 2),
                "bars": {"frame_p99_ms": 16, "stall_max_ms": 50, "latency_p99_ms": 20},
                "held": busy["frame_p99_ms"] <= 16
                and busy["stall_max_ms"] <= 50
                and busy["latency_p99_ms"] <= 20,
            }
        )
    )


if __name__ == "__main__":
    main()
