"""The lab in controlled mode: a forced interleaving is a schedule the scheduler runs. Under
every strategy and seed the wrong variant fails as taught with every edge held, the right one
holds in every interleaving, and the same seed gives the same run, record for record."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.clock import SimClock
from app.engine.controlled import supervise
from app.scenes.lab.experiment import ANY_ORDER, OK, RIGHT, WRONG
from app.scenes.lab.experiments import EXPERIMENTS
from app.scenes.lab.model import LabBench, LabConfig
from app.sync.control import Scheduler, make_strategy
from app.trace.format import without_wall
from app.trace.recorder import TraceRecorder

EACH = pytest.mark.parametrize("exp", EXPERIMENTS, ids=[e.name for e in EXPERIMENTS])
SCHEDULES = [("random", 1), ("random", 2), ("pos", 3), ("pct", 4)]


pytestmark = pytest.mark.timeout(60)


def controlled_run(strategy: str, seed: int, **config: Any) -> LabBench:
    rec = TraceRecorder(capacity=1_000_000)
    rec.scheduler = Scheduler(make_strategy(strategy, seed), recorder=rec)
    bench = LabBench(LabConfig(**config), clock=SimClock(None, recorder=rec), recorder=rec)
    _, alive = supervise(bench)
    assert alive == []
    s = bench.summary()
    assert s["placed"] == s["served"] + s["cancelled"] and s["cancelled"] == 0
    return bench


@EACH
@pytest.mark.parametrize("strategy, seed", SCHEDULES)
def test_the_wrong_variant_fails_as_taught_under_every_schedule(exp, strategy, seed):
    bench = controlled_run(strategy, seed, experiment=exp.name, variant=WRONG, runs=2)
    assert [r["outcome"] for r in bench.history] == [exp.teaches] * 2
    edges = sorted(str(e) for e in exp.interleavings[0].edges)
    for o in bench.recorder.of_kind("lab.outcome"):
        assert sorted(o["engaged"]) == edges and o["given_up"] == []


@EACH
@pytest.mark.parametrize("strategy, seed", SCHEDULES[:2])
def test_the_right_variant_holds_in_every_interleaving_under_a_schedule(exp, strategy, seed):
    for i in [*range(len(exp.interleavings)), ANY_ORDER]:
        bench = controlled_run(strategy, seed, experiment=exp.name, variant=RIGHT, interleaving=i)
        assert bench.history[-1]["outcome"] == OK, (i, bench.history[-1]["explanation"])


@pytest.mark.parametrize("exp", [e for e in EXPERIMENTS if e.name in ("basics", "lost-wakeup", "index-zero")])
def test_same_seed_same_run_record_for_record(exp):
    def records() -> list[dict]:
        bench = controlled_run("pos", 5, experiment=exp.name, variant=WRONG)
        return [without_wall(r) for r in bench.recorder.snapshot()]

    a, b = records(), records()
    assert a == b and any(r["kind"] == "sched.choice" for r in a)
