"""``explore``: every wrong lab variant is found within 100 schedules and shrunk to a trace that
replays it; every right variant and every scene survives; the strategy that follows a
shrunk list is lenient; the command's exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.engine.exploring import FollowStrategy, run_schedule, shrink
from app.explore import DEFAULT_STRATEGY, strategy_for, target
from app.scenes import registry
from app.scenes.lab.experiments import EXPERIMENTS
from app.sync.control import ReplayStrategy, Task
from app.trace.format import read_trace

ROOT = Path(__file__).resolve().parents[1]
EACH = pytest.mark.parametrize("exp", EXPERIMENTS, ids=[e.name for e in EXPERIMENTS])
pytestmark = pytest.mark.timeout(120)


def explore_in_process(name: str, n: int, variant: str | None = None, strategy: str = DEFAULT_STRATEGY):
    """(index of the first failure or None, its outcome, how many failed) over n schedules."""
    t = target(name, variant, "")
    first, failed = None, 0
    for i in range(n):
        out = run_schedule(t.build(i), strategy_for(strategy, i, None), t.spec.invariants, hang_s=20)
        if out.failed:
            failed += 1
            if first is None:
                first = (i, out)
    return first, failed


@EACH
def test_the_wrong_variant_is_found_within_100_schedules(exp):
    first, _ = explore_in_process(f"lab:{exp.name}", 100, "wrong")
    assert first is not None, f"{DEFAULT_STRATEGY} did not find {exp.name}'s mistake in 100 schedules"
    _, out = first
    assert out.failed == "assertion"
    assert out.summary["outcomes"] == {exp.teaches: 1}  # the failure the lesson teaches


@EACH
def test_the_right_variant_survives_100_schedules(exp):
    first, _ = explore_in_process(f"lab:{exp.name}", 100, "right")
    assert first is None, first[1].failures if first else ""


@pytest.mark.parametrize("scene", registry.names())
def test_every_scene_survives_100_schedules(scene):
    first, _ = explore_in_process(scene, 100 if scene != "lab" else 30)
    assert first is None, first[1].failures if first else ""


def test_the_same_schedule_runs_the_same_way_twice():
    t = target("restaurant", None, "")
    a = run_schedule(t.build(5), strategy_for("random", 5, None), t.spec.invariants)
    b = run_schedule(t.build(5), strategy_for("random", 5, None), t.spec.invariants)
    assert a.chosen == b.chosen and len(a.chosen) > 20
    # Following what it chose is the same run again; so is a strict replay of it.
    c = run_schedule(t.build(5), FollowStrategy(a.chosen), t.spec.invariants)
    assert c.chosen == a.chosen


def _task(name: str, index: int) -> Task:
    return Task(name, index)


def test_follow_skips_what_cannot_be_chosen_then_runs_the_current_task_on():
    a, b, c = _task("a", 0), _task("b", 1), _task("c", 2)
    f = FollowStrategy(["c", "zz", "b"])
    assert f.choose(0, [a, b, c], a) is c
    assert f.choose(1, [a, b], a) is a  # "zz" cannot run: the current task goes on
    assert f.choose(2, [a, b], a) is b
    assert f.choose(3, [a, b, c], b) is b  # used up: the current task runs on
    assert f.choose(4, [a, c], b) is a  # the current one cannot: the first in start order
    assert f.describe()["forced"] == ["c", "zz", "b"]


def test_shrink_keeps_the_shortest_list_that_still_fails():
    # A synthetic bug: it needs "x" chosen somewhere before a "y".
    def fails(choices: list[str]) -> bool:
        return "x" in choices and "y" in choices[choices.index("x") :]

    chosen = ["a", "b", "x", "c", "d", "e", "y", "f", "g", "h"]
    best, tries = shrink(chosen, fails)
    assert best == ["x", "y"] and 0 < tries <= 300


def test_the_shrunk_trace_replays_with_the_strict_replay(tmp_path):
    t = target("lab:lost-wakeup", "wrong", "")
    first, _ = explore_in_process("lab:lost-wakeup", 100, "wrong")
    assert first is not None
    index, out = first
    build = t.build(index)

    def fails(choices: list[str]) -> bool:
        return run_schedule(build, FollowStrategy(choices), t.spec.invariants).failed == out.failed

    forced, _ = shrink(out.chosen, fails)
    assert len(forced) <= len(out.chosen)
    # Record the shrunk run's every choice, then replay them strictly: the same failure.
    records: list[dict] = []
    run_schedule(
        build,
        FollowStrategy(forced),
        t.spec.invariants,
        record_choices=True,
        subscribe=lambda rec: rec.subscribe(records.append),
    )
    choices = [r for r in records if r["kind"] == "sched.choice"]
    again = run_schedule(build, ReplayStrategy(choices), t.spec.invariants)
    assert again.failed == out.failed


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=100, cwd=cwd
    )


def test_the_command_finds_shrinks_writes_and_the_replay_command_reruns_it(tmp_path):
    out = tmp_path / "lw.jsonl"
    proc = _cli(
        "explore", "lab:lost-wakeup", "--variant", "wrong", "--schedules", "50", "--json", "--out", str(out)
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    f = report["first_failure"]
    assert report["failures"] > 0 and f["check"] == "assertion"
    assert f["reproduced"] and f["replayed"] and f["shrunk_choices"] <= f["choices"]
    header, records = read_trace(out)
    assert header is not None and header["scene"] == "lab" and header["schedule"]["strategy"] == "follow"
    assert header["config"]["experiment"] == "lost-wakeup" and any(
        r["kind"] == "sched.choice" for r in records
    )
    replay = f["replay"].split()[3:]  # after "python -m app"
    again = _cli(*replay, "--json")
    assert again.returncode == 0, again.stderr  # the wrong variant failed as the lesson teaches
    summary = json.loads(again.stdout)
    assert summary["outcome"] == "deadlock" and summary["schedule"]["diverged"] is None


def test_the_command_exits_0_when_nothing_fails_and_prints_a_summary(tmp_path):
    proc = _cli("explore", "lab:start-gun", "--schedules", "20", "--strategy", "random")
    assert proc.returncode == 0, proc.stderr
    assert "20 schedules" in proc.stdout and "no failure" in proc.stdout


@pytest.mark.parametrize(
    "args, says",
    [
        (["nowhere"], "unknown scene"),
        (["lab:nope"], "unknown experiment"),
        (["restaurant", "--variant", "wrong"], "--variant goes with the lab"),
        (["restaurant:x"], "only the lab has experiments"),
        (["restaurant", "--faults", "melt=0.5"], "melt"),
        (["restaurant", "--strategy", "bfs"], "invalid choice"),
        (["restaurant", "--schedules", "-3"], "must not be negative"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, says):
    proc = _cli("explore", *args)
    assert proc.returncode == 2
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
