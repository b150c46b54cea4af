"""The phased computation: one aggregation per run, in the action of the last arrival, equal
to the sum of the partials; a crash retries its phase with a restarted worker; past the
retry limit the run fails in order; a straggler's cost shows as measured waiting time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan, SpecError
from app.scenes import registry
from app.scenes.phases.model import (
    FAULT_KINDS,
    Phase,
    PhasedComputation,
    PhasesConfig,
    expected_aggregate,
    partial_of,
    partial_value,
)
from app.scenes.phases.spec import phase_violations
from app.scenes.phases.view import DONE, PhasesView
from app.scenes.scenario import load_scenario
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for

ROOT = Path(__file__).resolve().parents[1]
MAP_REDUCE = ROOT / "resources" / "scenarios" / "map-reduce.toml"


def make(speed: float | None = None, faults: str = "", **config: object) -> PhasedComputation:
    rec = TraceRecorder(capacity=1_000_000)
    cfg = PhasesConfig(faults=FaultPlan.parse(faults, FAULT_KINDS), **config)  # type: ignore[arg-type]
    return PhasedComputation(cfg, clock=SimClock(speed, recorder=rec), recorder=rec)


@pytest.fixture
def sims():
    yield from stopping(make)


def finish(sim: PhasedComputation, timeout: float = 20.0) -> dict:
    sim.start()
    wait_for(sim.finished, timeout)
    assert sim.stop(sim.end_reason) == []
    return sim.summary()


def kinds(sim: PhasedComputation, *names: str) -> list[dict]:
    return sim.recorder.of_kind(*names)


def assert_sound(sim: PhasedComputation) -> None:
    """Exactly once, the scene's own promises, and the window's view agrees."""
    s = sim.summary()
    assert s["placed"] == s["served"] + s["cancelled"] and s["open"] == 0
    assert s["violations"] == [] and s["errors"] == []
    records = sim.recorder.snapshot()
    assert phase_violations(records) == []
    view = PhasesView.for_config(sim.config)
    for r in records:
        view.apply(r)
    assert view.totals() == {k: s[k] for k in ("placed", "served", "cancelled")}
    assert view.retries == s["retries"] and view.phases_completed == s["phases_completed"]
    assert [round(w, 2) for w in view.waits] == pytest.approx(
        [round(w, 2) for w in s["wait_s_by_phase"].values()], abs=0.01
    )


# -- the aggregate -------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 4, 16])
def test_each_run_aggregates_once_in_the_last_arrival_and_equals_the_sum(sims, workers):
    sim = sims(workers=workers, runs=6, seed=5)
    s = finish(sim)
    assert s["served"] == s["runs_completed"] == 6 and s["aggregations"] == 6
    assert_sound(sim)
    records = sim.recorder.snapshot()
    expected = sum(partial_of(sim.config, w) for w in range(1, workers + 1))
    assert s["aggregate"] == s["expected_aggregate"] == expected == expected_aggregate(sim.config)
    computed = kinds(sim, "aggregate.computed")
    assert Counter(r["run"] for r in computed) == dict.fromkeys(range(1, 7), 1)
    # Each aggregate is the sum of that run's partials as the workers reported them.
    reported: dict[int, int] = Counter()
    for r in kinds(sim, "phase.done"):
        if r["partial"] is not None:
            reported[r["run"]] += r["partial"]
    assert {r["run"]: r["value"] for r in computed} == dict(reported)
    # In the barrier action: the thread of the last arrival (index parties - 1) of the
    # aggregate barrier's round, before anyone of that round passed.
    for c in computed:
        at = records.index(c)
        arrivals = [
            r for r in records[:at] if r["kind"] == "barrier.arrive" and r["barrier"] == "phase-aggregate"
        ]
        last = arrivals[-1]
        assert last["index"] == last["parties"] - 1 == workers - 1 and last["thread"] == c["thread"]
        gen = last["gen"]
        passed = [
            r
            for r in records[:at]
            if r["kind"] == "barrier.pass" and r["barrier"] == "phase-aggregate" and r["gen"] == gen
        ]
        assert passed == []


def test_partials_depend_only_on_seed_worker_and_phase(sims):
    calm = finish(sims(workers=5, runs=4, seed=9))
    faulty = sims(
        workers=5, runs=4, seed=9, faults="crash=0.2,slow=0.3", restart=RestartPolicy(max_restarts=50)
    )
    s = finish(faulty)
    assert s["retries"] > 0 and s["faults_by_kind"].get("slow", 0) > 0  # the seed makes both happen
    assert s["aggregate"] == calm["aggregate"] == s["expected_aggregate"] and s["aggregates_wrong"] == 0
    for r in kinds(faulty, "phase.done"):
        if r["partial"] is not None:
            index = faulty.config.phase_names.index(r["phase"])
            assert r["partial"] == partial_value(9, r["worker"], index)
    assert finish(sims(workers=5, runs=1, seed=10))["aggregate"] != calm["aggregate"]
    assert_sound(faulty)


# -- crash: the phase breaks, a restarted worker retries it --------------------------------


def test_a_crash_breaks_its_phase_and_a_restarted_worker_retries_it_from_its_start(sims):
    sim = sims(workers=4, runs=2, seed=3)

    def crash_in_run_one_aggregate(r: dict) -> None:
        if r["kind"] == "phase.opened" and (r["run"], r["phase"], r["attempt"]) == (1, "aggregate", 1):
            sim.inject("crash", "W3")  # taken by W3 as it starts its share of this phase

    sim.recorder.subscribe(crash_in_run_one_aggregate)
    s = finish(sim)
    assert_sound(sim)
    assert s["served"] == 2 and s["restarts"] == 1 and s["retries"] == 1
    assert s["retries_by_phase"] == {"load": 0, "process": 0, "aggregate": 1, "cleanup": 0}
    (crashed,) = kinds(sim, "worker.crashed")
    assert (crashed["thread"], crashed["worker"], crashed["run"], crashed["phase"]) == (
        "worker-3",
        3,
        1,
        "aggregate",
    )
    # The crashed worker aborts the phase's barrier: the others leave at once, not by timeout.
    causes = {r["cause"] for r in kinds(sim, "barrier.broken") if r["barrier"] == "phase-aggregate"}
    assert causes == {"abort"}
    (broken,) = kinds(sim, "phase.broken")
    assert (broken["run"], broken["phase"], broken["cause"], broken["crashed"]) == (
        1,
        "aggregate",
        "crash",
        [3],
    )
    (retried,) = kinds(sim, "phase.retried")
    assert (retried["run"], retried["phase"], retried["attempt"]) == (1, "aggregate", 2)
    (restarted,) = kinds(sim, "worker.restarted")
    assert (restarted["thread"], restarted["worker_thread"]) == ("supervisor", "worker-3#2")
    # The retry is done by the restarted worker, from the phase's start, by everyone.
    retry = [r for r in kinds(sim, "phase.started") if r["run"] == 1 and r["attempt"] == 2]
    assert {r["phase"] for r in retry} == {"aggregate"}
    assert sorted(r["thread"] for r in retry) == ["worker-1", "worker-2", "worker-3#2", "worker-4"]
    # Only that phase: load and process of run 1 completed once and were not redone.
    completed = [(r["run"], r["phase"], r["attempt"]) for r in kinds(sim, "phase.completed")]
    assert completed[:4] == [(1, "load", 1), (1, "process", 1), (1, "aggregate", 2), (1, "cleanup", 1)]
    assert [r["run"] for r in kinds(sim, "aggregate.computed")] == [1, 2]


def test_a_crash_mid_work_stops_the_others_at_once(sims):
    """The others are still working when the crash lands: they stop their share at once (the
    phase is abandoned) instead of finishing a minute of work for a phase that has broken."""
    load = Phase("load", (60.0, 60.0))
    sim = sims(speed=1.0, workers=3, runs=1, barrier_timeout_s=300.0, phases=(load, Phase("aggregate")))
    abandoned: list[dict] = []
    both = threading.Event()

    def watch(r: dict) -> None:
        if r["kind"] == "phase.abandoned":
            abandoned.append(r)
            if len(abandoned) == 2:
                both.set()

    sim.recorder.subscribe(watch)
    sim.start()
    wait_for(lambda: len(kinds(sim, "phase.started")) == 3)
    assert sim.inject("crash", "1") == "W1"  # mid-work: it crashes now, not in a minute
    assert both.wait(5.0), "the others went on working in a phase that had broken"
    assert sim.stop() == []
    assert sorted(r["worker"] for r in abandoned) == [2, 3]
    assert {(r["phase"], r["attempt"], r["cause"]) for r in abandoned} == {("load", 1, "crash")}
    assert kinds(sim, "phase.done") == []  # nobody finished the broken attempt's work
    (crashed,) = kinds(sim, "worker.crashed")
    assert (crashed["thread"], crashed["phase"]) == ("worker-1", "load")
    assert_sound(sim)


def test_past_the_retry_limit_the_run_fails_in_order(sims):
    sim = sims(workers=3, runs=4, faults="crash=1.0", max_retries=2, restart=RestartPolicy(max_restarts=100))
    sim.start()
    wait_for(sim.finished)
    assert sim.stop() == []
    s = sim.summary()
    assert_sound(sim)
    assert s["served"] == 0 and s["cancelled"] == 4 and s["retries"] == 2
    # Two crashed workers were restarted for the retries; the third crash's worker may be
    # restarted too before the last worker out of its phase finds the limit passed.
    assert s["restarts"] in (2, 3)
    assert s["failed_run"] == "phase load of run 1 broke 3 times"
    assert s["escalated"].startswith(s["failed_run"]) and "retry limit 2" in s["escalated"]
    assert sim.failures() and sim.failures()[0].startswith("escalated")
    (failed,) = kinds(sim, "run.failed")
    assert (failed["run"], failed["phase"]) == (1, "load")
    assert [r["attempt"] for r in kinds(sim, "phase.opened")] == [1, 2, 3]
    assert s["cancel_reasons"] == {f"failed: {s['failed_run']}": 1, s["escalated"]: 3}
    assert kinds(sim, "aggregate.computed") == []


def test_the_cli_exits_1_when_the_retry_limit_fails_the_run():
    proc = run_cli("run", "phases", "--runs", "3", "--faults", "crash=1", "--max-restarts", "100", "--json")
    assert proc.returncode == 1, proc.stderr
    s = json.loads(proc.stdout)
    assert s["failed_run"] and s["served"] == 0 and s["cancelled"] == 3 and s["threads_alive"] == []
    human = run_cli("run", "phases", "--runs", "3", "--faults", "crash=1", "--max-restarts", "100")
    assert human.returncode == 1
    assert "failed: phase load of run 1 broke 4 times" in human.stdout


# -- slow: a straggler, and the waiting it costs --------------------------------------------


@pytest.mark.parametrize("speed", [None, 16.0], ids=["max", "16x"])
def test_a_straggler_makes_the_others_wait_and_the_wait_is_measured(sims, speed):
    clean = sims(workers=3, runs=1, seed=4)
    finish(clean)
    base = {r["worker"]: r["work_s"] for r in kinds(clean, "phase.done") if r["phase"] == "load"}
    sim = sims(speed=speed, workers=3, runs=1, seed=4)
    assert sim.inject("slow", "2") == "W2"
    s = finish(sim)
    assert_sound(sim)
    work = {r["worker"]: r["work_s"] for r in kinds(sim, "phase.done") if r["phase"] == "load"}
    assert work == {1: base[1], 2: pytest.approx(3 * base[2]), 3: base[3]}
    (load,) = [r for r in kinds(sim, "phase.completed") if r["phase"] == "load"]
    waits = {int(w): v for w, v in load["waits"].items()}
    assert waits[2] == 0 and load["slowest"] == 2
    assert waits == {w: pytest.approx(3 * base[2] - work[w], abs=1e-3) for w in (1, 2, 3)}
    assert s["wait_s_by_phase"]["load"] == pytest.approx(sum(waits.values()), abs=2e-3)
    clean_load = clean.summary()["wait_s_by_phase"]["load"]
    assert s["wait_s_by_phase"]["load"] > clean_load
    # Phases without the straggler wait exactly as long as without the fault.
    others = {k: v for k, v in s["wait_s_by_phase"].items() if k != "load"}
    assert others == {k: v for k, v in clean.summary()["wait_s_by_phase"].items() if k != "load"}


def test_slowing_a_worker_mid_phase_stretches_its_share(sims):
    sim = sims(speed=16.0, workers=3, runs=1, seed=2)

    def slow_w1_as_it_starts_processing(r: dict) -> None:
        if r["kind"] == "phase.started" and (r["phase"], r["worker"]) == ("process", 1):
            sim.inject("slow", "W1")  # W1 is already working: it is slowed mid-phase

    sim.recorder.subscribe(slow_w1_as_it_starts_processing)
    finish(sim)
    assert_sound(sim)
    (started,) = [r for r in kinds(sim, "phase.started") if (r["phase"], r["worker"]) == ("process", 1)]
    assert started["slow"] is False
    (slowed,) = kinds(sim, "phase.slowed")
    assert slowed["duration"] == pytest.approx(3 * started["duration"])
    (done,) = [r for r in kinds(sim, "phase.done") if (r["phase"], r["worker"]) == ("process", 1)]
    assert done["work_s"] == pytest.approx(slowed["duration"])


def test_a_shutdown_frees_the_workers_waiting_for_a_straggler(sims):
    """Three workers wait at the barrier for a straggler with 90 simulated seconds of work
    left: a forced shutdown breaks that barrier, so all four stop within the deadline."""
    load = Phase("load", (10.0, 10.0))
    phases = (load, Phase("aggregate"))
    sim = sims(speed=16.0, workers=4, runs=2, slow_x=10.0, barrier_timeout_s=300.0, phases=phases)
    sim.inject("slow", "4")
    sim.start()
    wait_for(lambda: len(kinds(sim, "barrier.arrive")) == 3, 30)
    t0 = time.monotonic()
    assert sim.stop("forced shutdown") == []
    assert time.monotonic() - t0 < 0.5
    breaks = [r for r in kinds(sim, "barrier.broken") if r["barrier"] == "phase-load"]
    assert {r["cause"] for r in breaks} == {"abort"} and len([r for r in breaks if not r["breaker"]]) == 3
    s = sim.summary()
    assert s["served"] == 0 and s["cancelled"] == 2 and s["cancel_reasons"] == {"forced shutdown": 2}
    assert_sound(sim)


def test_injecting_what_cannot_happen_says_why(sims):
    sim = sims(workers=2, runs=1)
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject("burn")
    with pytest.raises(ValueError, match="no worker 'W7'"):
        sim.inject("crash", "W7")
    assert sim.inject("slow", "w1") == "W1"
    with pytest.raises(ValueError, match="W1 already has a slow on the way"):
        sim.inject("crash", "1")
    finish(sim)
    with pytest.raises(ValueError, match="stopped"):
        sim.inject("slow")


# -- scenario files and the command line ---------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )


def test_the_shipped_scenario_names_its_own_phases():
    config = load_scenario(MAP_REDUCE).config
    assert config.phase_names == ("fetch", "map", "shuffle", "reduce", "publish")
    assert config.aggregate == "reduce" and config.aggregate_index == 3
    assert (config.workers, config.runs, config.seed, config.max_retries) == (6, 8, 11, 2)
    assert config.phases[1] == Phase("map", (1.0, 2.5))
    assert dict(config.faults.rates) == {"crash": 0.04, "slow": 0.15}
    # The partial results come from the three phases before reduce.
    assert expected_aggregate(config) == sum(partial_value(11, w, p) for w in range(1, 7) for p in range(3))
    proc = run_cli("run", str(MAP_REDUCE), "--runs", "3", "--json", "--max-restarts", "50")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["phases"] == list(config.phase_names) and s["aggregate_phase"] == "reduce"
    assert s["served"] == 3 and s["phases_completed"] == 15
    assert s["aggregate"] == s["expected_aggregate"] == expected_aggregate(config)
    assert list(s["wait_s_by_phase"]) == list(config.phase_names)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[[phase]]\nname = "a"\n[[phase]]\nname = "b"\n', "name the phase whose barrier action aggregates"),
        (
            '[computation]\naggregate = "a"\n[[phase]]\nname = "a"\n[[phase]]\nname = "b"\n',
            "needs a phase before it",
        ),
        (
            '[computation]\naggregate = "b"\n[[phase]]\nname = "a"\n[[phase]]\nname = "a"\n',
            "'a' is named twice",
        ),
        ('[computation]\naggregate = "b"\n[[phase]]\nname = "a"\n', "2 to 8 [[phase]] tables, got 1"),
        ('[[phase]]\nname = "Load Data"\n[[phase]]\nname = "aggregate"\n', "use 1 to 16 lowercase letters"),
        ('[[phase]]\nname = "a"\nduration_s = [2, 1]\n[[phase]]\nname = "aggregate"\n', "positive, ordered"),
        ('[[phase]]\nname = "a"\nsize = 3\n[[phase]]\nname = "aggregate"\n', "phase 'a': size: unknown key"),
        ("[computation]\nworkers = 17\n", "workers: must be from 1 to 16, got 17"),
        ("[faults]\nburn = 0.1\n", "burn: unknown key"),
    ],
)
def test_a_bad_scenario_is_one_clear_line(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text('scene = "phases"\n' + text)
    with pytest.raises(SpecError, match=None) as err:
        load_scenario(path)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_the_headless_run_reports_phases_retries_the_aggregate_and_the_waits(tmp_path):
    trace = tmp_path / "t.jsonl"
    proc = run_cli(
        "run", "phases", "--workers", "4", "--seed", "3",
        "--faults", "crash=0.05,slow=0.1", "--json", "--trace", str(trace),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["scenario"] == "phases" and s["placed"] == s["served"] == 5 and s["open"] == 0
    assert s["workers"] == 4 and s["phases_completed"] == 20
    assert s["aggregate"] == s["expected_aggregate"] and s["aggregations"] == 5
    assert set(s["wait_s_by_phase"]) == {"load", "process", "aggregate", "cleanup"}
    for key in ("retries", "retries_by_phase", "wait_s_by_worker", "failed_run"):
        assert key in s
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    seen = {r["kind"] for r in records}
    assert {"run.started", "phase.opened", "phase.started", "phase.done", "phase.completed"} <= seen
    assert {"aggregate.computed", "run.completed", "barrier.arrive"} <= seen
    assert phase_violations(records) == []
    human = run_cli("run", "phases", "--runs", "3", "--seed", "3", "--faults", "slow=0.3")
    assert human.returncode == 0, human.stderr
    out = human.stdout
    assert "phases completed: 12 (load 3, process 3, aggregate 3, cleanup 3); retries: 0" in out
    assert "(equal); computed 3 times in 3 completed runs, once each" in out
    assert "waiting at the barriers (simulated): load " in out
    assert "{" not in out and "[" not in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--workers", "17"], "--workers must be from 1 to 16"),
        (["--workers", "0"], "--workers must be from 1 to 16"),
        (["--runs", "2000000"], "--runs must be at most 1000000"),
        (["--faults", "burn=0.1"], "unknown fault kind 'burn'"),
        (["--players", "3"], "--players does not apply to the phases scene"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    proc = run_cli("run", "phases", *args)
    assert proc.returncode == 2 and words in proc.stderr and proc.stderr.count("\n") == 1


def test_the_scene_is_registered_with_its_flags():
    spec = registry.get("phases")
    assert spec.view == "app.gui.scenes.phases:PhasesScene" and spec.units_flag == "runs"
    config = spec.configure(spec.default_config(), {"workers": 7, "runs": 9})
    assert (config.workers, config.runs) == (7, 9)


# -- the window ------------------------------------------------------------------------------


@pytest.fixture
def phases_scene(qtbot):
    """The scene on its own, at 16x; at teardown no QThread or QTimer may be left running."""
    from PySide6.QtCore import QTimer

    from app.gui.qthreads import RoleThread
    from app.gui.scenes.phases import PhasesScene

    scene = PhasesScene(speed=1.0)
    qtbot.addWidget(scene, before_close_func=lambda w: w.close_scene())
    scene.resize(1200, 800)
    scene.show()
    scene.speed_slider.setValue(6)  # 16x keeps tests short
    yield scene
    scene.close_scene()
    running = [t.objectName() for t in list(RoleThread.instances) if t.isRunning()]
    timers = [t.objectName() or repr(t) for t in scene.findChildren(QTimer) if t.isActive()]
    assert not running, f"QThreads left running: {running}"
    assert not timers, f"QTimers left running: {timers}"


def widget(scene, kind, name: str):
    found = scene.findChild(kind, name)
    assert found is not None, name
    return found


def click(scene, name: str) -> None:
    from PySide6.QtWidgets import QPushButton

    button = widget(scene, QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled"
    button.click()


def test_the_window_runs_to_the_aggregate(qtbot, phases_scene):
    from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox, QWidget

    scene = phases_scene
    assert scene.objectName() == "phasesScene" and scene.hint()
    for name in ("crashWorkerButton", "slowWorkerButton", "forceShutdownButton", "pauseButton"):
        widget(scene, QPushButton, name)
    widget(scene, QSpinBox, "workersSpin").setValue(3)
    widget(scene, QSpinBox, "runsSpin").setValue(2)
    widget(scene, QSpinBox, "seedSpin").setValue(6)
    aggregate = widget(scene, QLabel, "aggregateLabel")
    assert not aggregate.text()
    click(scene, "startPhasesButton")

    def computed() -> None:
        assert aggregate.text(), scene.view.status

    qtbot.waitUntil(computed, timeout=20000)
    sim = scene.computation
    expected = expected_aggregate(sim.config)
    assert str(expected) in aggregate.text() and aggregate.isVisible()
    qtbot.waitUntil(lambda: sim.stopped, timeout=20000)  # all runs done: the workers are joined
    s = sim.summary()
    assert not scene.host.running() and s["served"] == 2 and s["aggregate"] == expected
    assert "Run 2: ∑ = " in aggregate.text()
    for w in range(1, 4):
        for phase in ("load", "process", "aggregate", "cleanup"):
            cell = widget(scene, QWidget, f"phaseCell_{w}_{phase}")
            assert cell.cell.state == DONE and cell.cell.wait_s is not None
    assert scene.findChild(QWidget, "phaseCell_4_load") is None
    assert widget(scene, QLabel, "runsCompletedCount").text() == "2"
    assert widget(scene, QLabel, "phasesCompletedCount").text() == "8"
    assert widget(scene, QLabel, "phaseWait_load").text().startswith("waited ")
    assert scene.start_button.isEnabled()


def test_crash_and_slow_from_the_window(qtbot, phases_scene):
    from PySide6.QtWidgets import QLabel, QSpinBox

    scene = phases_scene
    widget(scene, QSpinBox, "workersSpin").setValue(4)
    widget(scene, QSpinBox, "runsSpin").setValue(3)
    scene.worker_combo.setCurrentIndex(scene.worker_combo.findData("2"))
    click(scene, "startPhasesButton")
    click(scene, "crashWorkerButton")  # W2 crashes in its first phase
    scene.worker_combo.setCurrentIndex(scene.worker_combo.findData("4"))
    click(scene, "slowWorkerButton")
    qtbot.waitUntil(lambda: scene.view.retries >= 1 and scene.view.restarts >= 1, timeout=15000)
    qtbot.waitUntil(lambda: scene.computation.stopped, timeout=30000)
    s = scene.computation.summary()
    assert s["served"] == 3 and s["faults_by_kind"] == {"crash": 1, "slow": 1}
    assert widget(scene, QLabel, "retryCount").text() == "1"
    assert widget(scene, QLabel, "restartCount").text() == "1"
    assert scene.view.workers[2].thread == "worker-2#2"
    assert scene.view.aggregate == s["expected_aggregate"]


def test_force_shutdown_mid_phase_joins_every_worker(qtbot, phases_scene):
    import time

    from PySide6.QtWidgets import QLabel

    scene = phases_scene
    scene.speed_slider.setValue(2)  # 1x: surely mid-run
    click(scene, "startPhasesButton")
    qtbot.waitUntil(lambda: scene.view.barrier.waiting >= 1, timeout=15000)
    t0 = time.monotonic()
    with qtbot.waitSignal(scene.simulationStopped, timeout=2000) as blocker:
        click(scene, "forceShutdownButton")
    assert time.monotonic() - t0 < 0.5 and blocker.args == [[]]
    s = scene.computation.summary()
    assert s["cancelled"] == s["placed"] - s["served"] > 0
    assert widget(scene, QLabel, "cancelledCount").text() == str(s["cancelled"])
    assert scene.start_button.isEnabled() and not scene.crash_button.isEnabled()


def test_a_loaded_scenario_lays_out_its_own_phases(qtbot, phases_scene):
    from PySide6.QtWidgets import QWidget

    scene = phases_scene
    scene.load(load_scenario(MAP_REDUCE).config)
    assert (scene.workers_spin.value(), scene.runs_spin.value(), scene.seed_spin.value()) == (6, 8, 11)
    assert widget(scene, QWidget, "phaseCell_6_publish") is not None
    assert scene.findChild(QWidget, "phaseCell_1_load") is None
    assert [h.phase for h in scene.headers] == ["fetch", "map", "shuffle", "reduce", "publish"]
    assert scene.headers[3].aggregates


def test_the_scene_selftest_holds(qtbot, phases_scene):
    results: list[tuple[str, bool]] = []

    def wait(predicate, timeout_s: float) -> bool:
        try:
            qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout_s * 1000))
        except qtbot.TimeoutError:
            return bool(predicate())
        return True

    phases_scene.selftest(lambda name, ok: results.append((name, ok)), wait)
    assert results and all(ok for _, ok in results), results
