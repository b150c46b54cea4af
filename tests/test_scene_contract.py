"""The contract every scene in the registry keeps, run against each of them: it stops within
0.5 s in any state at any speed, every unit of work ends exactly once, its view-model folds
its own trace to the summary's totals, its tab paints, and its trace export reads back.
Per-scene test files keep only what is specific to their scene."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.simulation import STOP_DEADLINE_S
from app.scenes import registry
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.format import read_trace, trace_header
from tests.scene_driver import (
    build,
    config_for,
    fault_any,
    judge,
    play,
    some_faults,
    steps,
    wait_finished,
    wait_records,
    working_kinds,
)

SCENES = pytest.mark.parametrize("spec", registry.SCENES, ids=registry.names())
SPEEDS = [0.25, 1.0, 16.0, None]
STATES = ["idle", "busy", "paused", "mid-fault"]


def test_every_scene_declares_what_the_registry_needs():
    for spec in registry.SCENES:
        assert spec.units_flag in {f.name for f in spec.flags}, spec.name
        assert working_kinds(spec), f"{spec.name}: no record kind puts a worker to work"
        assert spec.fault_kinds and spec.unit and spec.unit_done and spec.title
        assert spec.view.startswith("app.gui.scenes.")
    assert len(set(registry.names())) == len(registry.SCENES)


@SCENES
@pytest.mark.parametrize("speed", SPEEDS, ids=["0.25x", "1x", "16x", "max"])
@pytest.mark.parametrize("state", STATES)
def test_stops_within_half_a_second(spec, speed, state):
    sim = build(spec, config_for(spec, 0), speed)
    sim.start()
    try:
        if state != "idle":
            sim.feed(50)
            assert wait_records(sim, working_kinds(spec), 1, 10), "the scene never got to work"
        if state == "paused":
            sim.clock.pause()
        elif state == "mid-fault":
            assert fault_any(sim, spec), "no fault kind could be injected"
    finally:
        alive = sim.stop("forced shutdown")
    assert alive == []
    completed = sim.recorder.of_kind("shutdown.completed")[-1]
    assert completed["elapsed_ms"] < STOP_DEADLINE_S * 1000
    assert judge(spec, sim, alive) == []


@SCENES
@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faulty"])
def test_every_unit_ends_exactly_once_and_the_view_folds_the_trace(spec, faults):
    sim = build(spec, config_for(spec, 40, some_faults(spec) if faults else "", seed=5))
    sim.start()
    try:
        assert wait_finished(sim, 30)
    finally:
        alive = sim.stop(sim.end_reason)
    summary = sim.summary()
    assert summary["placed"] == 40 and summary["served"] > 0
    if not faults:
        assert summary["served"] == 40 and summary["faults"] == 0
    assert judge(spec, sim, alive) == []


@SCENES
def test_a_shutdown_mid_run_cancels_what_is_left_exactly_once(spec):
    sim = build(spec, config_for(spec, 30), 16.0)
    sim.start()
    try:
        assert wait_records(sim, working_kinds(spec), 2, 10)
    finally:
        alive = sim.stop("forced shutdown")
    summary = sim.summary()
    assert summary["cancelled"] > 0, "a shutdown at 16x this early leaves work to cancel"
    assert judge(spec, sim, alive) == []


@SCENES
def test_trace_export_reads_back_into_the_view_model(spec, tmp_path):
    """What ``--trace`` writes (header first, then every record) loads back, record for
    record, and folds into the scene's view-model to the run's own totals."""
    sim = build(spec, config_for(spec, 12, some_faults(spec, 0.05), seed=3))
    header = trace_header(spec.name, sim.config, sim.config.seed)
    jsonl = JsonlWriter(tmp_path / "t.jsonl", header=header)
    chrome = ChromeTraceWriter(tmp_path / "t.json", spans=spec.spans, header=header)
    sim.recorder.subscribe(jsonl)
    sim.recorder.subscribe(chrome)
    sim.start()
    try:
        assert wait_finished(sim, 30)
    finally:
        sim.stop(sim.end_reason)
        jsonl.close()
        chrome.close()
    head, records = read_trace(tmp_path / "t.jsonl")
    assert head is not None and head["scene"] == spec.name and head["seed"] == 3
    read = list(records)
    made = [r for r in sim.recorder.snapshot() if r["seq"] >= read[0]["seq"]]
    assert [r["seq"] for r in read] == [r["seq"] for r in made], "a record was lost or reordered"
    assert read == json.loads(json.dumps(made, default=str))
    view = spec.view_model(sim.config)
    for rec in read:
        view.apply(rec)
    assert view.totals() == {k: sim.summary()[k] for k in view.totals()}
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    depth: dict[int, int] = {}
    for e in events:
        depth[e["tid"]] = depth.get(e["tid"], 0) + {"B": 1, "E": -1}.get(e["ph"], 0)
        assert depth[e["tid"]] >= 0, "a span closed that never opened"
    assert all(d == 0 for d in depth.values())


@SCENES
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_schedule_keeps_the_promises(spec, data):
    schedule = data.draw(st.lists(steps(spec), max_size=10), label="schedule")
    faults = data.draw(st.sampled_from(["", some_faults(spec, 0.05)]), label="faults")
    sim = build(spec, config_for(spec, 2, faults))
    sim.start()
    try:
        for step in schedule:
            play(sim, spec, step)
    finally:
        alive = sim.stop("schedule ended")
    assert judge(spec, sim, alive) == []


@SCENES
def test_its_tab_paints_what_the_trace_says(spec, qtbot):
    from app.gui.main_window import view_class

    scene = view_class(spec.view)()
    qtbot.addWidget(scene, before_close_func=lambda w: w.close_scene())
    scene.resize(1100, 720)
    scene.show()
    blank = scene.timeline_view.grab().toImage()
    scene.load(config_for(spec, 6))
    scene.sim.start()
    qtbot.waitUntil(lambda: len(scene.timeline.lanes) >= 2, timeout=10_000)
    qtbot.waitUntil(lambda: scene.event_log.model.rowCount() > 10, timeout=10_000)
    qtbot.waitUntil(lambda: scene.timeline_view.grab().toImage() != blank, timeout=5_000)
    image = scene.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)}
    assert len(colours) > 40, "the tab shows hardly anything"
    assert scene.close_scene() == []
    assert scene.objectName() == f"{spec.name}Scene"
    assert scene.hint()
