"""The pitfalls lab: every wrong variant fails as taught every time (its interleaving is
forced, not hoped for), every right variant holds in every interleaving the lab can force,
deadlocks are the watchdog's verdict, an experiment's exception is its verdict and never a
crash, the code pane shows the real source with a marker per thread, and the CLI reports."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.engine.clock import SimClock
from app.scenes import registry
from app.scenes.lab.experiment import DEADLOCK, ERROR, OK, RIGHT, WRONG, WRONG_RESULT, sources
from app.scenes.lab.experiments import EXPERIMENTS, get, lost_wakeup
from app.scenes.lab.model import LabBench, LabConfig
from app.scenes.lab.view import DONE, STUCK, LabView
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for

ROOT = Path(__file__).resolve().parents[1]
EACH = pytest.mark.parametrize("exp", EXPERIMENTS, ids=[e.name for e in EXPERIMENTS])


def make_bench(speed: float | None = None, quiet_s: float = 0.03, **config: object) -> LabBench:
    rec = TraceRecorder(capacity=1_000_000)
    bench = LabBench(LabConfig(runs=0, **config), clock=SimClock(speed, recorder=rec), recorder=rec)  # type: ignore[arg-type]
    bench.watchdog.quiet_s = quiet_s  # a wrong variant's deadlock is named in ~50 ms, not ~200
    bench.watchdog.interval_s = 0.01
    return bench


@pytest.fixture
def benches():
    yield from stopping(make_bench)


def play(bench: LabBench, runs: list[tuple[str, str, int]], timeout: float = 60.0) -> list[dict]:
    bench.start()
    for exp, variant, interleaving in runs:
        bench.queue(exp, variant, interleaving)
    wait_for(bench.finished, timeout)
    assert bench.stop(bench.end_reason) == []
    s = bench.summary()
    assert s["placed"] == s["served"] == len(runs) and s["cancelled"] == 0 and s["errors"] == []
    return [r for r in bench.history]


@EACH
def test_the_wrong_variant_fails_as_taught_every_time(benches, exp):
    bench = benches()
    results = play(bench, [(exp.name, WRONG, 0)] * 20)
    assert [r["outcome"] for r in results] == [exp.teaches] * 20, [r["explanation"] for r in results]
    # Forced, not lucky: every edge of the interleaving came into play and held, none was given up.
    edges = sorted(str(e) for e in exp.interleavings[0].edges)
    for o in bench.recorder.of_kind("lab.outcome"):
        assert sorted(o["engaged"]) == edges and o["given_up"] == []


@EACH
def test_the_right_variant_holds_in_every_interleaving(benches, exp):
    runs = [(exp.name, RIGHT, i) for i in range(len(exp.interleavings)) for _ in range(3)]
    results = play(benches(), runs)
    bad = [(r["interleaving"], r["outcome"], r["explanation"]) for r in results if r["outcome"] != OK]
    assert not bad


@EACH
def test_the_right_variant_holds_under_jitter_and_reordering(benches, exp):
    bench = benches(faults=_plan("reorder=0.5,jitter=0.5"), seed=11)
    results = play(bench, [(exp.name, RIGHT, 0)] * 6)
    assert {r["outcome"] for r in results} == {OK}
    assert bench.summary()["faults"] == 6


def _plan(text: str):
    from app.engine.faults import FaultPlan
    from app.scenes.lab.model import FAULT_KINDS

    return FaultPlan.parse(text, FAULT_KINDS)


def test_the_forced_order_is_the_order_in_the_trace(benches):
    """Lost wake-up, wrong: the producer's set lands between the worker's check and its clear."""
    bench = benches()
    play(bench, [("lost-wakeup", WRONG, 0)])
    kinds = [
        (r["thread"], r["kind"], r.get("step") or r.get("event"))
        for r in bench.recorder.snapshot()
        if r["kind"] in ("lab.step", "event.set", "event.clear")
    ]
    checked = kinds.index(("worker", "lab.step", "checked"))
    produced = kinds.index(("producer", "lab.step", "produce"))
    set_at = kinds.index(("producer", "event.set", "ready"))
    cleared = kinds.index(("worker", "event.clear", "ready"))
    assert checked < produced < set_at < cleared


def test_a_right_variant_makes_the_forced_order_impossible_and_the_lab_says_so(benches):
    bench = benches()
    play(bench, [("lost-wakeup", RIGHT, 0)])
    (outcome,) = bench.recorder.of_kind("lab.outcome")
    assert outcome["outcome"] == OK
    assert outcome["given_up"] == ["worker reaches 'checked' only after producer reaches 'set'"]
    releases = [r for r in bench.recorder.of_kind("lab.release") if not r["forced"]]
    assert [(r["thread"], r["step"]) for r in releases] == [("worker", "checked")]
    assert bench.recorder.of_kind("lab.lock")[0]["thread"] == "producer"  # it waited for the lock


def test_the_watchdog_names_the_party_mismatch_within_a_second(benches):
    bench = benches(quiet_s=0.2)  # the watchdog as it runs everywhere
    results = play(bench, [("party-mismatch", WRONG, 0)])
    assert results[0]["outcome"] == DEADLOCK
    (d,) = bench.recorder.of_kind("watchdog.deadlock")
    last_arrival = max(r["ts"] for r in bench.recorder.of_kind("barrier.arrive"))
    assert d["ts"] - last_arrival < 1.0
    assert {(w["thread"], w["name"], w["parties"]) for w in d["waits"]} == {
        ("Ada", "table", 3),
        ("Basil", "table", 3),
    }
    assert results[0]["explanation"].startswith("Ada and Basil wait at barrier 'table' for 3 parties")
    assert results[0]["diagnosis"]["waits"][0]["missing"] == 1


def test_an_experiments_exception_is_its_verdict_not_a_crash(benches):
    bench = benches()
    results = play(bench, [("no-timeout-error", WRONG, 0), ("basics", RIGHT, 0)])
    assert [r["outcome"] for r in results] == [ERROR, OK]  # and the lab went on
    assert (
        "AttributeError: module 'threading' has no attribute 'BarrierTimeoutError'"
        in results[0]["explanation"]
    )
    errors = bench.recorder.of_kind("lab.error")
    source, first = inspect.getsourcelines(get("no-timeout-error").wrong.roles[0].fn)
    except_line = first + next(i for i, line in enumerate(source) if "BarrierTimeoutError" in line)
    assert {e["line"] for e in errors} == {except_line}
    assert not bench.recorder.of_kind("worker.crashed")
    assert [r["reason"] for r in bench.recorder.of_kind("shutdown.requested")] == ["runs done"]


def test_markers_follow_each_thread_to_the_line_it_is_at(benches):
    bench = benches()
    play(bench, [("lost-wakeup", WRONG, 0)])
    view = LabView()
    path: list[int] = []  # the worker's marker, after every record
    for r in bench.recorder.snapshot():
        view.apply(r)
        if view.current is not None and "worker" in view.current.markers:
            line = view.current.markers["worker"].line
            if line and (not path or path[-1] != line):
                path.append(line)
    run = view.last
    assert run is not None and run.outcome == DEADLOCK
    lines, first = inspect.getsourcelines(lost_wakeup.worker_wrong)
    wait_line = first + next(i for i, line in enumerate(lines) if "k.ready.wait()" in line)
    worker = run.markers["worker"]
    assert (worker.line, worker.state, worker.detail) == (wait_line, STUCK, "on event 'ready'")
    body = [first + i for i, line in enumerate(lines) if line.strip() and not line.strip().startswith("def")]
    assert path == [body[0], body[1], body[4], body[5], body[6]]  # while, if, step, clear, wait
    assert run.markers["producer"].state == DONE
    # Every line recorded is a line of the experiment's own file, with its text.
    for r in bench.recorder.of_kind("lab.line"):
        assert r["src"] == Path(lost_wakeup.__file__).read_text().splitlines()[r["line"] - 1].strip()


def test_runs_queue_one_after_another_and_a_shutdown_cancels_the_rest(benches):
    bench = benches(speed=1.0)
    bench.start()
    for _ in range(3):
        bench.queue("sleep-as-sync", RIGHT)
    wait_for(lambda: bench.recorder.of_kind("lab.work"))
    t0 = time.monotonic()
    assert bench.stop("forced shutdown") == []
    assert time.monotonic() - t0 < 0.5
    s = bench.summary()
    assert (s["placed"], s["served"], s["cancelled"]) == (3, 0, 3)
    assert s["cancel_reasons"] == {"forced shutdown": 3}
    bench.queue("basics", RIGHT)  # after the stop: cancelled at once, never dropped
    assert bench.summary()["cancelled"] == 4


def test_a_run_held_at_the_gate_stops_at_once(benches):
    bench = benches(speed=1.0)
    bench.start()
    bench.queue("index-zero", RIGHT, 0)  # soup waits at the barrier, main and dessert are held
    wait_for(lambda: any(r["held"] for r in bench.recorder.of_kind("lab.step")))
    assert bench.stop("forced shutdown") == []
    assert bench.summary()["cancelled"] == 1


def test_the_config_and_its_flags():
    spec = registry.get("lab")
    config = spec.configure(
        spec.default_config(), {"experiment": "lost-wakeup", "variant": "wrong", "runs": 3}
    )
    assert (config.experiment, config.variant, config.runs, config.interleaving) == (
        "lost-wakeup",
        "wrong",
        3,
        0,
    )
    assert hasattr(config, "seed") and hasattr(config, "faults") and hasattr(config, "restart")
    from app.engine.faults import SpecError

    with pytest.raises(SpecError, match="unknown experiment"):
        LabConfig(experiment="nope")
    with pytest.raises(SpecError, match="interleavings 0 to 1"):
        LabConfig(experiment="party-mismatch", interleaving=2)


def test_every_experiment_shows_real_functions_and_names_its_lesson():
    for exp in EXPERIMENTS:
        assert exp.teaches in (DEADLOCK, WRONG_RESULT, ERROR)
        assert exp.interleavings[0].says and exp.watch and exp.lesson
        for variant in (WRONG, RIGHT):
            for src in sources(exp.variant(variant)):
                text = Path(src.file).read_text().splitlines()
                assert list(src.lines) == text[src.first_line - 1 : src.first_line - 1 + len(src.lines)]


# -- the command line -------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "run", "lab", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_list_prints_the_experiments():
    proc = run_cli("--list")
    assert proc.returncode == 0 and proc.stderr == ""
    assert [line.split()[0] for line in proc.stdout.splitlines()] == [e.name for e in EXPERIMENTS]


def test_the_party_mismatch_hang_ends_headless_with_its_diagnosis_within_two_seconds():
    t0 = time.monotonic()
    proc = run_cli("--experiment", "party-mismatch", "--variant", "wrong", "--json")
    took = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr  # the deadlock is what the lesson teaches
    s = json.loads(proc.stdout)
    assert s["outcome"] == DEADLOCK and s["as_taught"] and s["wall_s"] < 2.0
    assert "barrier 'table'" in s["explanation"] and s["threads_alive"] == []
    assert took < 5.0  # interpreter start and imports included


@pytest.mark.parametrize(
    ("args", "outcome", "code"),
    [
        (("--experiment", "index-zero", "--variant", "wrong"), WRONG_RESULT, 0),
        (("--experiment", "index-zero", "--variant", "right"), OK, 0),
        (("--experiment", "no-timeout-error", "--variant", "wrong"), ERROR, 0),
        (("--experiment", "lost-wakeup", "--variant", "right", "--runs", "3"), OK, 0),
        # not forced, the wrong kitchen can get lucky: not what the lesson teaches, so exit 1
        (("--experiment", "index-zero", "--variant", "wrong", "--interleaving", "2"), OK, 1),
    ],
)
def test_the_exit_code_says_whether_the_outcome_is_the_lesson(args, outcome, code):
    proc = run_cli(*args, "--json")
    assert proc.returncode == code, proc.stderr
    assert json.loads(proc.stdout)["outcome"] == outcome


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--experiment", "nope"), "unknown experiment 'nope'"),
        (("--variant", "maybe"), "variant must be wrong or right"),
        (("--experiment", "party-mismatch", "--interleaving", "7"), "interleavings 0 to 1"),
    ],
)
def test_bad_lab_flags_are_one_line_and_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1


# -- the window --------------------------------------------------------------------------------------
@pytest.fixture
def lab_scene(qtbot):
    from app.gui.scenes.lab import LabScene

    scene = LabScene()
    qtbot.addWidget(scene, before_close_func=lambda w: w.close_scene())
    scene.resize(1200, 800)
    scene.show()
    scene.speed_slider.setValue(scene.speed_slider.maximum())  # 16x
    return scene


def test_the_window_has_its_automation_names(lab_scene):
    from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QWidget

    assert lab_scene.objectName() == "labScene"
    for cls, name in [
        (QListWidget, "experimentList"),
        (QPushButton, "runWrongButton"),
        (QPushButton, "runRightButton"),
        (QWidget, "codePane"),
        (QLabel, "watchdogBanner"),
        (QLabel, "outcomeLabel"),
    ]:
        assert lab_scene.findChild(cls, name) is not None, name
    assert lab_scene.findChild(QListWidget, "experimentList").count() == len(EXPERIMENTS)


def test_the_code_pane_shows_the_real_source_and_moves_the_markers(qtbot, lab_scene):
    from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton

    lab_scene.select_experiment("lost-wakeup")
    wrong = lab_scene.findChild(QPlainTextEdit, "codeWrong")
    for fn in (lost_wakeup.setup_wrong, lost_wakeup.worker_wrong, lost_wakeup.producer_wrong):
        assert inspect.getsource(fn).rstrip() in wrong.toPlainText()
    lines, first = inspect.getsourcelines(lost_wakeup.worker_wrong)
    wait_line = first + next(i for i, line in enumerate(lines) if "k.ready.wait()" in line)
    assert wrong.file_lines[wrong.block_of(wait_line)] == wait_line  # the gutter's real numbers
    lab_scene.findChild(QPushButton, "runWrongButton").click()
    qtbot.waitUntil(lambda: lab_scene.view.last is not None, timeout=10_000)
    assert lab_scene.view.last.outcome == DEADLOCK
    qtbot.waitUntil(lambda: any(m.alarm for m in wrong.marks_on(wait_line)), timeout=5_000)
    (stuck,) = wrong.marks_on(wait_line)
    assert stuck.label == "worker" and "deadlocked" in stuck.text
    banner = lab_scene.findChild(QLabel, "watchdogBanner")
    assert banner.isVisible() and "'ready'" in banner.text()
    outcome = lab_scene.findChild(QLabel, "outcomeLabel").text()
    assert "DEADLOCK" in outcome and "as the lesson says" in outcome
    lab_scene.findChild(QPushButton, "runRightButton").click()
    qtbot.waitUntil(lambda: lab_scene.view.served == 2, timeout=10_000)
    assert lab_scene.view.last.outcome == OK and banner.isHidden()
    right = lab_scene.findChild(QPlainTextEdit, "codeRight")
    assert right.changed, "the lines the fix adds are marked"
    assert lab_scene.close_scene() == []


def test_the_scene_selftest_holds(qtbot, lab_scene):
    results: list[tuple[str, bool]] = []

    def wait(predicate, timeout_s: float) -> bool:
        try:
            qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout_s * 1000))
        except qtbot.TimeoutError:
            return bool(predicate())
        return True

    lab_scene.selftest(lambda name, ok: results.append((name, ok)), wait)
    assert results and all(ok for _, ok in results), results
