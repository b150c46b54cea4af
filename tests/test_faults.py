"""Fault specs: readable, validated, and replayed exactly by a seed."""

from __future__ import annotations

import pytest

from app.engine.faults import FaultPlan, SpecError, round_rng
from app.scenes.restaurant.model import FAULT_KINDS


def test_parse_readable_spec():
    plan = FaultPlan.parse("crash=0.05, burn=0.02,stall=0.01,walkout=0.01", FAULT_KINDS)
    assert dict(plan.rates) == {"crash": 0.05, "burn": 0.02, "stall": 0.01, "walkout": 0.01}
    assert plan.describe() == "crash=0.05,burn=0.02,stall=0.01,walkout=0.01"


@pytest.mark.parametrize(
    "spec,words",
    [
        ("boom=0.1", "unknown fault kind 'boom'"),
        ("crash", "needs a rate"),
        ("crash=x", "must be a number"),
        ("crash=1.5", "from 0 to 1"),
        ("crash=-0.1", "from 0 to 1"),
        ("crash=0.6,burn=0.6", "add up to"),
        ("crash=0.1,crash=0.2", "given twice"),
    ],
)
def test_bad_specs_name_the_problem_in_one_line(spec, words):
    with pytest.raises(SpecError) as info:
        FaultPlan.parse(spec, FAULT_KINDS)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_same_seed_same_faults_and_different_seed_differs():
    plan = FaultPlan.parse("crash=0.2,burn=0.2,stall=0.1", FAULT_KINDS)
    targets = ["appetizer", "main", "dessert"]

    def draws(seed: int) -> list[object]:
        return [plan.draw(round_rng(seed, order, 1), targets) for order in range(200)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    kinds = {f.kind for f in draws(7) if f is not None}
    assert kinds == {"crash", "burn", "stall"}


def test_rates_are_roughly_honoured():
    plan = FaultPlan.parse("crash=0.25", FAULT_KINDS)
    hits = sum(plan.draw(round_rng(1, i), ["a"]) is not None for i in range(4000))
    assert 800 < hits < 1200


def test_empty_spec_means_no_faults():
    assert FaultPlan.parse("", FAULT_KINDS).draw(round_rng(0, 1), ["a"]) is None
