"""Controlled mode in every scene: the same scene, seed and strategy give the same trace record
for record (apart from wall-clock fields), a replay reproduces it, a replay that no longer fits
says so, guests (threads that are not tasks) neither hang a run nor lose a unit, and every
scene keeps its promises under faults. Runs go through the real CLI entry (``app.cli.main``)
where the brief is the command line; small runs, so the whole file takes seconds."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.cli import main
from app.engine.clock import SimClock
from app.engine.contract import SceneSpec
from app.engine.controlled import supervise
from app.scenes import registry
from app.sync import control
from app.sync.control import STRATEGIES, RandomStrategy, Scheduler, make_strategy
from app.trace.format import WALL_FIELDS, read_trace, without_wall
from app.trace.recorder import TraceRecorder, thread_name
from tests.scene_driver import config_for, fault_any, judge, some_faults

pytestmark = pytest.mark.timeout(60)


#: Every scene in the registry: controlled mode is for all of them (a new one is adopted when
#: it is added, or these fail for it).
SCENES = pytest.mark.parametrize("spec", registry.SCENES, ids=lambda s: s.name)
#: Units for a small run (default 6): enough for a few faults, short enough to be cheap.
UNITS = {"dice": 3, "phases": 2, "pipeline": 20, "lab": 12}
SEED = 1  # every scene draws at least one fault with it at these rates (asserted below)


def scene_args(spec: SceneSpec, seed: int = SEED, faults: str | None = None) -> list[str]:
    return [
        spec.name,
        f"--{spec.units_flag}",
        str(UNITS.get(spec.name, 6)),
        "--faults",
        some_faults(spec, 0.1) if faults is None else faults,
        "--seed",
        str(seed),
        "--max-restarts",
        "50",
    ]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def load(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, records = read_trace(path)
    assert header is not None
    return without_wall(header), [without_wall(r) for r in records]


def first_difference(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"record {i} differs:\n  {x}\n  {y}"
    return f"{len(a)} records against {len(b)}" if len(a) != len(b) else ""


def test_wall_fields_are_the_wall_clock_ones() -> None:
    assert {"ts", "created", "elapsed_ms", "accounted_ms"} <= WALL_FIELDS
    assert not WALL_FIELDS & {"seq", "sim", "thread", "kind"} - {"ts"}
    assert without_wall({"seq": 3, "ts": 1.5, "sim": 2.0, "elapsed_ms": 4}) == {"seq": 3, "sim": 2.0}
    deadlock = {"kind": "watchdog.deadlock", "waits": [{"thread": "Ada", "since": 0.25}]}
    assert without_wall(deadlock) == {"kind": "watchdog.deadlock", "waits": [{"thread": "Ada"}]}


# -- (a) same seed, same strategy: the same trace; (b) a replay reproduces it ---------------------
@SCENES
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_and_strategy_give_the_same_trace_and_a_replay_reproduces_it(
    spec: SceneSpec, strategy: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = scene_args(spec)
    runs = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        code, _, _ = cli(capsys, *args, "--schedule", strategy, "--trace", str(path))
        runs.append((code, *load(path)))
    (code_a, header_a, a), (code_b, header_b, b) = runs
    assert header_a == header_b and header_a["schedule"]["strategy"] == strategy
    assert not first_difference(a, b)
    assert code_a == code_b
    kinds = {r["kind"] for r in a}
    assert "sched.choice" in kinds, "no choice among two runnable tasks: nothing was scheduled"
    assert "fault.injected" in kinds, "the run drew no fault: pick another seed or rate"
    assert "shutdown.completed" in kinds

    replayed = tmp_path / "replayed.jsonl"
    code, out, err = cli(capsys, *args, "--replay", str(tmp_path / "a.jsonl"), "--trace", str(replayed))
    header_r, r = load(replayed)
    assert code == code_a, out + err
    assert "diverged" not in (out + err).lower()
    assert not first_difference(a, r)
    assert header_r.pop("schedule") == {**header_a.pop("schedule"), "replayed": True}
    assert header_r == header_a


# -- (c) a replay that no longer fits: exit 2 for other settings, exit 1 for another schedule -----
@pytest.fixture
def recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def make(spec: SceneSpec) -> Path:
        path = tmp_path / "recorded.jsonl"
        cli(capsys, *scene_args(spec), "--schedule", "pos", "--trace", str(path))
        return path

    return make


@SCENES
def test_a_replay_with_other_settings_is_refused_in_one_line(
    spec: SceneSpec, recorded: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = str(recorded(spec))
    for changed, word in (
        (scene_args(spec, seed=SEED + 1), "seed"),
        (scene_args(spec, faults=some_faults(spec, 0.05)), "config"),
    ):
        code, out, err = cli(capsys, *changed, "--replay", trace)
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("kitchen-sync: error: --replay:")
        assert f"made with another {word}" in err


def _rewrite(path: Path, change: Any) -> None:
    lines = path.read_bytes().splitlines()
    out = [lines[0]]
    choices = 0
    for line in lines[1:]:
        rec = orjson.loads(line)
        if rec["kind"] == "sched.choice":
            choices += 1
            rec = change(choices, rec)
            if rec is None:
                continue
        out.append(orjson.dumps(rec))
    path.write_bytes(b"\n".join(out) + b"\n")


@SCENES
@pytest.mark.parametrize("how", ["tampered", "truncated", "code changed"])
def test_a_replay_whose_schedule_no_longer_fits_says_where_it_diverged(
    spec: SceneSpec,
    how: str,
    recorded: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trace = recorded(spec)
    if how == "tampered":  # the tenth choice was among other tasks than this run can pick from
        _rewrite(trace, lambda n, rec: {**rec, "of": [*rec["of"], "nobody"]} if n == 10 else rec)
    elif how == "truncated":  # the trace ends before the run does
        _rewrite(trace, lambda n, rec: rec if n <= 10 else None)
    else:  # the code changed: every worker passes one more scheduling point as it starts
        from app.engine import simulation

        spawn = simulation.Simulation.spawn_named

        def spawn_named(self: Any, name: str, body: Any, **fields: object) -> None:
            def stepped() -> None:
                control.step("new code")
                body()

            spawn(self, name, stepped, **fields)

        monkeypatch.setattr(simulation.Simulation, "spawn_named", spawn_named)
    code, out, err = cli(capsys, *scene_args(spec), "--replay", str(trace))
    assert code == 1, out + err
    assert "REPLAY DIVERGED: diverged at step" in out


# -- (d) guests: threads that are not tasks feed and inject while the run goes on -----------------
def _controlled(
    spec: SceneSpec, units: int, faults: str, seed: int, strategy: str = "random", speed: float | None = None
) -> Any:
    """A scene whose recorder carries a scheduler (as ``--schedule STRATEGY`` makes it)."""
    rec = TraceRecorder(capacity=2_000_000)
    rec.scheduler = Scheduler(make_strategy(strategy, seed), recorder=rec)
    return spec.build(config_for(spec, units, faults, seed=seed), SimClock(speed, recorder=rec), rec, None)


@pytest.mark.parametrize("name", ["restaurant", "pipeline", "dice"])
def test_guests_feeding_and_injecting_mid_run_neither_hang_it_nor_lose_a_unit(name: str) -> None:
    spec = registry.get(name)
    units = UNITS.get(name, 6)
    # Paced (200 simulated seconds a wall second): idle simulated time passes in wall time too,
    # so the guests land mid-run.
    sim = _controlled(spec, units, some_faults(spec, 0.05), seed=2, speed=200.0)
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(end=supervise(sim)), name="supervising")
    runner.start()
    fed = 0
    try:
        for _ in range(3):
            sim.feed(2)  # this thread is no task: each call enters as a guest
            fed += 2
            fault_any(sim, spec)
    finally:
        runner.join(30)
    assert not runner.is_alive(), "the controlled run hung with guests about"
    _, alive = result["end"]
    summary = sim.summary()
    assert summary["placed"] == units + fed
    assert summary["placed"] == summary["served"] + summary["cancelled"]
    assert judge(spec, sim, alive) == []
    records = sim.recorder.snapshot()
    stop = min(r["seq"] for r in records if r["kind"] == "shutdown.requested")
    mine = [r for r in records if r["thread"] == thread_name() and r["seq"] < stop]
    assert mine, "no guest operation landed before the run stopped"


# -- (e) every scene keeps its promises under faults in controlled mode -----------------------------
@SCENES
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_scene_keeps_its_promises_under_faults_in_controlled_mode(
    spec: SceneSpec, strategy: str
) -> None:
    for seed in (1, 2):
        sim = _controlled(spec, UNITS.get(spec.name, 6), some_faults(spec, 0.1), seed, strategy)
        reason, alive = supervise(sim)
        assert reason == sim.end_reason or sim.summary().get("escalated"), reason
        assert alive == []
        summary = sim.summary()
        assert summary["placed"] == summary["served"] + summary["cancelled"] and not summary.get("open")
        assert not summary.get("violations")
        assert judge(spec, sim, alive) == [], (seed, strategy)


# -- the scheduler's condition: a waiter that times out takes only its own place ------------------
def test_a_timed_out_condition_waiter_does_not_take_an_earlier_waiters_wake_up() -> None:
    sched = Scheduler(RandomStrategy(0))
    cond = control.CCondition(sched, name="cond:test")
    woke: list[str] = []

    def waiter(name: str, timeout: float | None) -> None:
        with cond:
            woke.append(f"{name} {cond.wait(timeout)}")

    with sched.attach("main"):
        tasks = []
        for name, timeout in (("first", None), ("second", 1.0)):
            task = sched.register(name)
            th = threading.Thread(
                target=sched.run_task, args=(task, lambda n=name, t=timeout: waiter(n, t)), daemon=True
            )
            th.start()
            tasks.append((th, task))
            waiting = len(tasks)
            assert sched.wait_until(lambda w=waiting: len(cond._waiters) == w, 10.0, f"{name} waits")
        # Both wait, the first in front; then the second times out (simulated time moves
        # while everyone waits) and must take its own place in the queue, not the first's.
        assert sched.wait_until(lambda: woke == ["second False"], 10.0, "second times out")
        with cond:
            cond.notify()  # the one waiter left is the first
        first_woke = sched.wait_until(lambda: tasks[0][1].state == control.DONE, 10.0, "first wakes")
        if not first_woke:  # let it go so the test ends cleanly, then fail
            with cond:
                cond.notify_all()
            sched.wait_until(lambda: tasks[0][1].state == control.DONE, 10.0, "first wakes")
    for th, _ in tasks:
        th.join(5)
    assert first_woke, f"the first waiter's wake-up was lost: {woke}"
    assert woke == ["second False", "first True"]


# -- deadlines in simulated time ------------------------------------------------------------------
@pytest.mark.timeout(30)
def test_a_controlled_orchestrator_names_hangs_at_their_deadlines_and_ends() -> None:
    """The supervisor sleeps until exactly the next deadline; in simulated time it then wakes
    at it (no wall time has crept past), so a deadline must count as due when the clock is at
    it, or it waits 0 s again and again and the run never ends."""
    spec = registry.get("orchestrator")
    sim = _controlled(spec, 6, "hang=0.3", seed=2)
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(end=supervise(sim)), daemon=True)
    runner.start()
    runner.join(15)
    assert not runner.is_alive(), "the controlled run never ended (a deadline was never due?)"
    assert result["end"] == (sim.end_reason, [])
    timeouts = sim.recorder.of_kind("component.timeout")
    # Each timeout is a hang seen at its deadline (a hang superseded by a restart is not).
    assert timeouts and 0 < len(timeouts) <= sim.summary()["faults_by_kind"]["hang"]
