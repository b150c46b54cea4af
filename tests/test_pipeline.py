"""The data pipeline: every item ends once (saved, dead-lettered or cancelled with a reason)
under crashes, poison, scaling and both shutdowns; batches are published by the last
arrival; queues never hold more than their capacity; pools change only between batches."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.scenes import registry
from app.scenes.pipeline.model import DONE_KINDS, FAULT_KINDS, STAGES, Pipeline, PipelineConfig, ScaleStep
from app.scenes.pipeline.view import PipelineView
from app.scenes.scenario import load_scenario
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for

ROOT = Path(__file__).resolve().parents[1]
SPEC = registry.get("pipeline")


def make(speed: float | None = None, faults: str = "", **config: object) -> Pipeline:
    rec = TraceRecorder(capacity=2_000_000)
    cfg = PipelineConfig(faults=FaultPlan.parse(faults, FAULT_KINDS), **config)  # type: ignore[arg-type]
    return Pipeline(cfg, clock=SimClock(speed, recorder=rec), recorder=rec)


@pytest.fixture
def pipelines():
    yield from stopping(make)


def run(p: Pipeline, timeout: float = 30.0) -> dict:
    p.start()
    wait_for(p.finished, timeout)
    assert p.stop(p.end_reason) == []
    return p.summary()


def kinds(p: Pipeline, *names: str) -> list[dict]:
    return p.recorder.of_kind(*names)


def when(p: Pipeline, predicate, timeout: float = 10.0, then=None) -> None:
    """Run ``then()`` (e.g. ``p.start``), and block until ``predicate(record)`` holds for a
    record made after it started."""
    seen = threading.Event()
    unsubscribe = p.recorder.subscribe(lambda r: predicate(r) and seen.set())
    try:
        if then is not None:
            then()
        assert seen.wait(timeout), "the awaited record never came"
    finally:
        unsubscribe()


def assert_exactly_once(p: Pipeline) -> dict:
    """Every item fed ended once: saved, dead-lettered, or cancelled with a reason; the
    window's view folds the trace to the same totals; the barrier invariants hold."""
    s = p.summary()
    assert s["placed"] == s["served"] + s["cancelled"] and s["open"] == 0, s
    assert s["violations"] == [] and s["errors"] == []
    saved = Counter(r["item"] for r in kinds(p, "item.saved"))
    dead = Counter(r["item"] for r in kinds(p, "item.dead_lettered"))
    cancelled: Counter[int] = Counter()
    unloaded = 0
    for r in kinds(p, "item.cancelled"):
        assert r["reason"]
        if "items" in r:
            cancelled.update(r["items"])
            assert len(r["items"]) == r["count"]
        else:
            assert r["stage"] == "source"
            unloaded += r["count"]
    for ended in (saved, dead, cancelled):
        assert set(ended.values()) <= {1}, ended.most_common(3)
    assert not (saved.keys() & dead.keys()) and not (saved.keys() & cancelled.keys())
    assert not (dead.keys() & cancelled.keys())
    loaded = saved.keys() | dead.keys() | cancelled.keys()
    assert loaded == set(range(1, len(loaded) + 1))  # ids are handed out as items are loaded
    assert (len(saved), len(dead), sum(cancelled.values()) + unloaded) == (
        s["saved"],
        s["dead_lettered"],
        s["cancelled_unfinished"],
    )
    assert SPEC.invariants(p.recorder.snapshot()) == []
    view = PipelineView.for_config(p.config)
    for r in p.recorder.snapshot():
        view.apply(r)
    assert view.totals() == {k: s[k] for k in ("placed", "served", "cancelled")}
    return s


# -- the flow ------------------------------------------------------------------------------------
def test_every_item_is_loaded_transformed_and_saved_once_in_that_order(pipelines):
    p = pipelines(items=400, batch_size=8, queue_capacity=16)
    s = run(p)
    assert s["saved"] == 400 and s["dead_lettered"] == s["cancelled_unfinished"] == 0
    assert_exactly_once(p)
    order: dict[int, list[str]] = defaultdict(list)
    for r in p.recorder.snapshot():
        if r["kind"] in (*DONE_KINDS, "item.saved"):
            order[r["item"]].append(r["kind"])
            assert r["stage"] and r["worker"]
    assert all(k == [*DONE_KINDS, "item.saved"] for k in order.values())
    assert [st["done"] for st in s["stages"].values()] == [400, 400, 400]


def test_each_batch_is_published_by_its_last_arrival_and_holds_at_most_a_batch(pipelines):
    p = pipelines(items=300, batch_size=8, queue_capacity=16)
    run(p)
    last: dict[tuple[str, int], str] = {}
    for r in kinds(p, "barrier.arrive"):
        if r["index"] == r["parties"] - 1:
            last[(r["barrier"], r["gen"])] = r["thread"]
    published = kinds(p, "batch.published")
    assert published
    for r in published:
        assert 1 <= r["items"] <= 8
        # The action runs in the last worker to arrive (index parties - 1), never index 0.
        assert r["thread"] == last[(f"{r['stage']}-batch", r["batch"])]
    per_stage = Counter()
    for r in published:
        per_stage[r["stage"]] += r["items"]
    assert per_stage == dict.fromkeys(STAGES, 300)


def test_no_queue_ever_holds_more_than_its_capacity_and_a_full_one_holds_the_stage_back(pipelines):
    # Save is slow: its queue fills, then Transform's workers wait for room (back-pressure).
    p = pipelines(
        speed=16.0,
        items=60,
        batch_size=2,
        queue_capacity=4,
        workers=(2, 2, 1),
        work_s=((0.01, 0.02), (0.01, 0.02), (0.15, 0.2)),
    )
    s = run(p)
    assert_exactly_once(p)
    depths = [r["depth"] for r in p.recorder.snapshot() if "depth" in r and r["kind"] != "batch.published"]
    depths += [r["depth"] for r in kinds(p, "batch.published")]
    assert max(depths) <= 4
    assert s["queues"]["transform->save"]["max_depth"] == 4  # it did fill up
    held = [r for r in kinds(p, "worker.blocked") if r["on"] == "queue full"]
    assert {r["stage"] for r in held} >= {"transform"}


# -- faults ----------------------------------------------------------------------------------------
def test_poison_items_fail_every_attempt_and_end_in_the_dead_letter_list(pipelines):
    p = pipelines(items=400, faults="poison=0.05", seed=4, max_attempts=3)
    s = run(p)
    assert_exactly_once(p)
    dead = kinds(p, "item.dead_lettered")
    assert s["dead_lettered"] == len(dead) > 5 and s["dead_letter_causes"] == {"poison": len(dead)}
    failed = Counter((r["item"], r["stage"], r["cause"]) for r in kinds(p, "item.failed"))
    requeued = Counter(r["item"] for r in kinds(p, "item.requeued"))
    for r in dead:
        assert r["attempts"] == 3 and r["reason"].startswith("poison") and r["worker"]
        assert failed[(r["item"], r["stage"], "poison")] == 3  # every attempt failed, at its stage
        assert requeued[r["item"]] == 2  # retried twice, then given up
    assert [d["item"] for d in s["dead_letters"]] == [r["item"] for r in dead][-20:]
    again = pipelines(items=400, faults="poison=0.05", seed=4, max_attempts=3)
    run(again)
    assert [r["item"] for r in kinds(again, "item.dead_lettered")] != [] and sorted(
        r["item"] for r in kinds(again, "item.dead_lettered")
    ) == sorted(r["item"] for r in dead)  # the same seed, the same poison


def test_a_crashed_worker_puts_its_item_back_and_is_restarted(pipelines):
    p = pipelines(items=600, faults="crash=0.03", seed=2)
    s = run(p)
    assert_exactly_once(p)
    crashed = kinds(p, "worker.crashed")
    assert len(crashed) == s["restarts"] == s["faults_by_kind"]["crash"] > 5
    assert s["saved"] == 600  # a crash hits an item's first attempt only: all are saved
    restarted = kinds(p, "worker.restarted")
    restarting = {r["worker"]: r for r in kinds(p, "worker.restarting")}
    assert sorted(restarting) == sorted(r["thread"] for r in crashed)
    assert {r["replaces"] for r in restarted} <= restarting.keys()
    # A restart is missing only if its backoff had not run out when the run ended.
    (stop,) = kinds(p, "shutdown.requested")
    for name in restarting.keys() - {r["replaces"] for r in restarted}:
        assert stop["ts"] - restarting[name]["ts"] < restarting[name]["wall_s"] + 0.5
    for r in restarted:
        assert r["worker"].split("#")[0] == r["replaces"].split("#")[0]  # in the same place
    failed = {r["item"]: r for r in kinds(p, "item.failed") if r["cause"] == "crash"}
    requeued = {r["item"]: r for r in kinds(p, "item.requeued") if r["cause"] == "crash"}
    assert failed.keys() == requeued.keys() and len(failed) == len(crashed)
    for item, r in requeued.items():
        assert r["stage"] == failed[item]["stage"] and r["attempt"] == 2


def test_a_crash_asked_for_mid_item_sends_that_item_back(pipelines):
    p = pipelines(
        speed=8.0, items=30, batch_size=4, queue_capacity=8, work_s=((0.05, 0.1), (0.6, 0.8), (0.05, 0.1))
    )
    when(p, lambda r: r["kind"] == "item.started" and r["stage"] == "transform", then=p.start)
    hit = p.inject("crash", "transform")
    assert hit.startswith("transform-")
    wait_for(p.finished, 20)
    assert p.stop() == []
    assert_exactly_once(p)
    (crash,) = [r for r in kinds(p, "worker.crashed")]
    assert crash["thread"] == hit
    (fault,) = kinds(p, "fault.injected")
    assert (fault["fault"], fault["worker"], fault["source"]) == ("crash", hit, "demand")
    (back,) = kinds(p, "item.requeued")
    assert back["item"] == fault["item"] and back["stage"] == "transform"
    (restarted,) = kinds(p, "worker.restarted")
    assert restarted["worker"] == f"{hit}#2"


def test_a_crash_loop_spends_the_restart_budget_and_stops_the_pipeline(pipelines):
    p = pipelines(items=500, faults="crash=1.0", restart=RestartPolicy(max_restarts=3, window_s=3600))
    s = run(p)
    assert_exactly_once(p)
    assert s["escalated"] and "restart budget" in s["escalated"] and s["restarts"] == 3
    assert p.failures() and s["cancelled_unfinished"] > 0
    assert kinds(p, "supervisor.escalated")


def test_a_slow_worker_takes_longer_and_its_batch_waits_for_it(pipelines):
    p = pipelines(
        speed=16.0, items=80, workers=(1, 2, 1), batch_size=4, queue_capacity=8, slow_x=8.0, slow_items=3
    )
    when(p, lambda r: r["kind"] == "item.transformed", then=p.start)
    slow = p.inject("slow", "transform")
    wait_for(p.finished, 30)
    assert p.stop() == []
    assert_exactly_once(p)
    busy = defaultdict(list)
    for r in kinds(p, "item.transformed"):
        busy[r["thread"] == slow].append(r["busy"])
    assert min(sorted(busy[True], reverse=True)[:3]) > 3 * statistics.median(busy[False])
    (fault,) = kinds(p, "fault.injected")
    assert (fault["fault"], fault["worker"]) == ("slow", slow)


# -- scaling ---------------------------------------------------------------------------------------
def test_pools_change_only_between_batches_and_nothing_is_lost(pipelines):
    # At 16x with short work, so the steps below land while items flow.
    p = pipelines(speed=16.0, items=1500, batch_size=8, queue_capacity=16, work_s=((0.01, 0.02),) * 3)
    p.start()
    for stage, workers, after in [
        ("transform", 1, 100),
        ("load", 5, 300),
        ("transform", 6, 500),
        ("save", 1, 700),
        ("transform", 2, 900),
        ("save", 3, 1100),
    ]:
        wait_for(lambda n=after: p.saved >= n, 20)
        assert p.scale(stage, workers) == workers
    wait_for(p.finished, 30)
    assert p.stop() == []
    s = assert_exactly_once(p)  # with the barrier invariant: a round's party count never changes
    assert s["workers"] == {"load": 5, "transform": 2, "save": 3}
    scaled = [(r["stage"], r["from"], r["to"]) for r in kinds(p, "worker.scaled")]
    assert scaled == [
        ("transform", 4, 1),
        ("load", 2, 5),
        ("transform", 1, 6),
        ("save", 2, 1),
        ("transform", 6, 2),
        ("save", 1, 3),
    ]
    # Parties of each stage's barrier, round by round: a change only where a worker joined
    # (register: from the next round) or signed off (arrive and deregister: after this one).
    parties: dict[str, dict[int, int]] = defaultdict(dict)
    for r in kinds(p, "barrier.arrive"):
        parties[r["barrier"]][r["gen"]] = r["parties"]
    changes: dict[str, Counter[int]] = defaultdict(Counter)
    for r in kinds(p, "phaser.register"):
        if r["joins"] > r["gen"]:
            changes[r["barrier"]][r["joins"]] += 1
    for r in kinds(p, "phaser.deregister"):
        changes[r["barrier"]][r["gen"] + 1] -= 1
    for barrier, by_gen in parties.items():
        gens = sorted(by_gen)
        for a, b in itertools.pairwise(gens):
            moved = sum(n for g, n in changes[barrier].items() if a < g <= b)
            assert by_gen[b] - by_gen[a] == moved, (barrier, a, b)
    left = kinds(p, "worker.left")
    assert Counter(r["stage"] for r in left) == {"transform": 3 + 4, "save": 1}


def test_scale_down_while_idle_signs_off_at_once(pipelines):
    p = pipelines(items=0)
    p.start()
    p.scale("transform", 1)
    wait_for(lambda: len(kinds(p, "worker.left")) == 3)
    p.feed(50)
    wait_for(p.finished, 20)
    assert p.stop() == []
    s = assert_exactly_once(p)
    assert s["saved"] == 50 and s["workers"]["transform"] == 1


def test_a_scenario_file_scales_stages_at_given_times(pipelines, tmp_path):
    path = tmp_path / "scaled.toml"
    path.write_text(
        'scene = "pipeline"\n[pipeline]\nitems = 400\nbatch_size = 4\nqueue_capacity = 8\n'
        "[pipeline.workers]\nload = 1\ntransform = 1\nsave = 1\n"
        "[pipeline.work_s]\nload = [0.02, 0.03]\ntransform = [0.02, 0.03]\nsave = [0.02, 0.03]\n"
        '[[scale]]\nat_s = 0.4\nstage = "transform"\nworkers = 3\n'
        '[[scale]]\nat_s = 0.2\nstage = "load"\nworkers = 2\n'
        '[[scale]]\nat_s = 0.8\nstage = "transform"\nworkers = 2\n'
    )
    config = load_scenario(path).config
    assert config.scale == (
        ScaleStep(0.4, "transform", 3),
        ScaleStep(0.2, "load", 2),
        ScaleStep(0.8, "transform", 2),
    )
    rec = TraceRecorder(capacity=1_000_000)
    p = Pipeline(config, clock=SimClock(4.0, recorder=rec), recorder=rec)
    when(
        p, lambda r: r["kind"] == "worker.scaled" and r["to"] == 2 and r["stage"] == "transform", 20, p.start
    )
    p.stop()
    scaled = kinds(p, "worker.scaled")
    assert [(r["stage"], r["from"], r["to"], r["source"]) for r in scaled] == [
        ("load", 1, 2, "scenario"),
        ("transform", 1, 3, "scenario"),
        ("transform", 3, 2, "scenario"),
    ]
    assert [r["at_s"] >= at for r, at in zip(scaled, (0.2, 0.4, 0.8), strict=True)] == [True] * 3
    assert_exactly_once(p)


def test_the_bundled_scenario_runs_headless_with_its_scaling():
    proc = _cli(
        "run", "resources/scenarios/pipeline-rush-hour.toml", "--items", "80", "--speed", "16", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["placed"] == 80 and s["open"] == 0
    assert s["scale_events"][0] == {"stage": "transform", "from": 2, "to": 4, "source": "scenario"}


# -- shutdowns -------------------------------------------------------------------------------------
def test_a_forced_shutdown_cancels_unfinished_items_with_where_they_were(pipelines):
    p = pipelines(speed=16.0, items=300, batch_size=8, queue_capacity=16)
    p.start()
    wait_for(lambda: p.saved >= 20, 20)
    t0 = time.monotonic()
    assert p.stop("forced shutdown") == []
    assert time.monotonic() - t0 < 0.5
    s = assert_exactly_once(p)
    assert s["saved"] >= 20 and s["cancelled_unfinished"] > 0
    reasons = s["cancel_reasons"]
    assert reasons.get("not loaded: forced shutdown", 0) > 0
    assert any(r.startswith("forced shutdown (") for r in reasons)  # a batch, a queue, a retry
    p.feed(5)  # after the stop: cancelled at once, never dropped
    s = p.summary()
    assert s["open"] == 0 and s["placed"] == 305


def test_a_graceful_shutdown_drains_every_queue_then_stops_by_itself(pipelines):
    p = pipelines(speed=16.0, items=300, batch_size=8, queue_capacity=16)
    p.start()
    wait_for(lambda: p.saved >= 20, 20)
    p.shutdown_gracefully()
    p.feed(7)  # not accepted any more: cancelled with the reason
    wait_for(lambda: p.shutting_down, 20)
    assert p.shutdown_reason == "graceful shutdown: drained"
    assert p.stop() == []
    s = assert_exactly_once(p)
    (draining,) = kinds(p, "pipeline.draining")
    assert draining["in_flight"] > 0
    assert set(s["cancel_reasons"]) == {"not loaded: graceful shutdown", "not accepted: graceful shutdown"}
    assert s["cancel_reasons"]["not accepted: graceful shutdown"] == 7
    # Everything loaded before the drain ended well: saved (no poison here).
    loaded = {r["item"] for r in kinds(p, "item.loaded")}
    assert loaded == {r["item"] for r in kinds(p, "item.saved")}
    records = p.recorder.snapshot()
    drain_at = next(i for i, r in enumerate(records) if r["kind"] == "pipeline.draining")
    set_at = [i for i, r in enumerate(records) if r["kind"] == "event.set" and r["event"] == "drained"]
    stop_at = next(i for i, r in enumerate(records) if r["kind"] == "shutdown.requested")
    assert any(drain_at < i < stop_at for i in set_at)  # drained, then stopped
    assert s["drained"] and s["graceful"]


def _let_run(p: Pipeline, n: int) -> None:
    """Until ``n`` more parts of items are done (or 0.3 s pass)."""
    seen = threading.Event()
    count = [0]

    def tick(r: dict) -> None:
        if r["kind"] in DONE_KINDS:
            count[0] += 1
            if count[0] >= n:
                seen.set()

    off = p.recorder.subscribe(tick)
    seen.wait(0.3)
    off()


# -- any schedule --------------------------------------------------------------------------------------
STEPS = st.one_of(
    st.tuples(st.just("feed"), st.integers(1, 40)),
    st.tuples(st.just("fault"), st.sampled_from(FAULT_KINDS), st.sampled_from([None, *STAGES])),
    st.tuples(st.just("scale"), st.sampled_from(STAGES), st.integers(1, 6)),
    st.tuples(st.just("run"), st.integers(1, 20)),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedule=st.lists(STEPS, max_size=12),
    ending=st.sampled_from(["force", "graceful", "finish"]),
    faults=st.sampled_from(["", "crash=0.05,poison=0.05,slow=0.05"]),
)
def test_any_schedule_of_feeds_faults_scaling_and_shutdowns_ends_every_item_once(schedule, ending, faults):
    p = make(faults=faults, items=20, batch_size=4, queue_capacity=8)
    p.start()
    try:
        for step in schedule:
            name = step[0]
            if name == "feed":
                p.feed(step[1])
            elif name == "fault":
                with contextlib.suppress(ValueError):  # e.g. none of that stage is running now
                    p.inject(step[1], step[2])
            elif name == "scale":
                p.scale(step[1], step[2])
            elif name == "pause":
                p.clock.pause()
            elif name == "resume":
                p.clock.resume()
            else:
                _let_run(p, step[1])
        p.clock.resume()
        if ending == "graceful":
            p.shutdown_gracefully()
            wait_for(lambda: p.shutting_down, 20)
        elif ending == "finish":
            wait_for(p.finished, 20)
    finally:
        alive = p.stop("schedule ended")
    assert alive == []
    assert_exactly_once(p)


# -- the command line ---------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )


def test_the_headless_run_reports_its_metrics_and_traces_every_kind(tmp_path):
    trace = tmp_path / "t.jsonl"
    proc = _cli(
        "run", "pipeline", "--items", "3000", "--workers", "load=2,transform=4,save=2",
        "--faults", "crash=0.01,poison=0.002,slow=0.01", "--seed", "1", "--json", "--trace", str(trace),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["scenario"] == "pipeline" and s["saved"] + s["dead_lettered"] == 3000 and s["open"] == 0
    assert s["restarts"] > 0 and s["dead_lettered"] > 0
    for stage in STAGES:
        figures = s["stages"][stage]
        assert figures["done"] > 0 and figures["items_per_s"] > 0 and 0 <= figures["utilisation"] <= 1
    for q in s["queues"].values():
        assert 0 < q["max_depth"] <= q["capacity"] and 0 <= q["mean_depth"] <= q["capacity"]
    lat = s["latency_s"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    assert s["throughput_per_s"] > 0 and s["workers"] == {"load": 2, "transform": 4, "save": 2}
    records = [json.loads(line) for line in trace.read_text().splitlines()][1:]
    seen = {r["kind"] for r in records}
    assert {"item.loaded", "item.transformed", "item.saved", "item.requeued", "item.dead_lettered"} <= seen
    assert "batch.published" in seen
    for r in records:
        if r["kind"] in (
            "item.loaded",
            "item.transformed",
            "item.saved",
            "item.requeued",
            "item.dead_lettered",
        ):
            assert {"item", "stage", "worker"} <= r.keys(), r


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("load=9", "workers for 'load' must be from 1 to 8, got 9"),
        ("fetch=2", "unknown stage 'fetch'"),
        ("load", "needs a count"),
        ("load=2,load=3", "given twice"),
        ("load=two", "must be a whole number"),
        ("", "at least one stage"),
    ],
)
def test_bad_workers_are_one_line(value, message):
    proc = _cli("run", "pipeline", "--items", "5", "--workers", value)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert message in line


def test_workers_flag_sets_only_the_stages_it_names():
    # The phases scene has a --workers too (a number): the text is read by the scene's own flag.
    given = SPEC.read_flags({"workers": "transform=6", "items": 5})
    assert given == {"workers": {"transform": 6}, "items": 5}
    config = SPEC.configure(SPEC.default_config(), given)
    assert config.workers == (2, 6, 2) and config.items == 5


# -- the window ------------------------------------------------------------------------------------
@pytest.fixture
def pipeline_tab(main_window):
    from app.gui.scene_base import SPEEDS

    tab = main_window.scene("pipeline")
    main_window.tabs.setCurrentWidget(tab)
    tab.speed_slider.setValue(SPEEDS.index(16.0))
    return tab


def test_the_window_has_its_controls_by_name(pipeline_tab):
    from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSpinBox, QToolButton

    tab = pipeline_tab
    assert tab.objectName() == "pipelineScene"
    for name in ("startPipelineButton", "gracefulShutdownButton", "forceShutdownButton"):
        assert tab.findChild(QPushButton, name) is not None, name
    assert tab.findChild(QSpinBox, "itemsSpin") is not None
    for stage in STAGES:
        assert tab.findChild(QToolButton, f"addWorker_{stage}") is not None
        assert tab.findChild(QToolButton, f"removeWorker_{stage}") is not None
        assert tab.findChild(QProgressBar, f"stageProgress_{stage}") is not None
    for name in ("savedCount", "deadLetterCount"):
        assert tab.findChild(QLabel, name).text() == "0"


def test_the_window_runs_items_through_and_scales_a_stage(pipeline_tab, qtbot):
    from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSpinBox, QToolButton

    tab = pipeline_tab
    tab.findChild(QSpinBox, "itemsSpin").setValue(30)
    tab.findChild(QPushButton, "startPipelineButton").click()
    saved = tab.findChild(QLabel, "savedCount")
    qtbot.waitUntil(lambda: saved.text() == "30", timeout=20_000)
    progress = tab.findChild(QProgressBar, "stageProgress_save")
    qtbot.waitUntil(lambda: progress.value() == progress.maximum() == 30, timeout=2_000)
    assert tab.findChild(QLabel, "deadLetterCount").text() == "0"
    tab.findChild(QToolButton, "addWorker_transform").click()
    tab.findChild(QToolButton, "removeWorker_save").click()

    def scaled() -> None:
        stages = tab.view.stages
        assert (stages[1].target, stages[2].target) == (5, 1)
        assert stages[2].alive == 1

    qtbot.waitUntil(scaled, timeout=10_000)
    tab.findChild(QPushButton, "feedItemsButton").click()
    qtbot.waitUntil(lambda: saved.text() == "60", timeout=20_000)
    assert tab.view.stages[1].alive == 5  # the new worker joined at a batch
    assert "PySide6.QtCharts" in sys.modules and tab.plots.built  # shown: the plots are there


def test_the_graceful_shutdown_button_drains_and_stops(pipeline_tab, qtbot):
    from PySide6.QtWidgets import QPushButton, QSpinBox

    tab = pipeline_tab
    tab.findChild(QSpinBox, "itemsSpin").setValue(400)
    tab.findChild(QPushButton, "startPipelineButton").click()
    qtbot.waitUntil(lambda: tab.view.saved >= 10, timeout=20_000)
    graceful = tab.findChild(QPushButton, "gracefulShutdownButton")
    assert graceful.isEnabled()
    graceful.click()
    qtbot.waitUntil(lambda: tab.view.status == "stopped" and not tab.host.running(), timeout=30_000)
    v = tab.view
    assert v.open == 0 and v.cancelled > 0 and "drained" in v.reason
    assert tab.lights["drained"].property("lit") is True
    assert not graceful.isEnabled()


def test_qt_charts_is_not_imported_until_the_pipeline_tab_is_shown():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtCore import QStandardPaths; QStandardPaths.setTestModeEnabled(True)\n"
        "from app.gui.application import create_window, ensure_app\n"
        "app, _ = ensure_app(); w = create_window()\n"
        "w.tabs.setCurrentWidget(w.scene('restaurant')); w.show()\n"
        "app.processEvents(); before = 'PySide6.QtCharts' in sys.modules\n"
        "w.tabs.setCurrentWidget(w.scene('pipeline')); app.processEvents()\n"
        "print(before, 'PySide6.QtCharts' in sys.modules); w.close()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KITCHEN_SYNC_CONFIG_DIR": os.environ.get("KITCHEN_SYNC_CONFIG_DIR", ""),
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
