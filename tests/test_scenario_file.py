"""Scenario files: the shipped ones load; every kind of mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.faults import SpecError
from app.scenes.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "resources" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_load(path):
    s = load_scenario(path)
    assert isinstance(s.config, type(s.spec.default_config()))


def test_web_stack_is_the_default_system():
    s = load_scenario(next(p for p in SCENARIOS if p.stem == "web-stack"))
    assert [c.name for c in s.config.components] == ["Database", "Cache", "API server"]
    assert s.config.components[2].depends_on == ("Database", "Cache")


GOOD = """
scene = "orchestrator"
[[component]]
name = "A"
[[component]]
name = "B"
depends_on = ["A"]
"""


@pytest.mark.parametrize(
    "text,words",
    [
        ('scene = "orchestrator"\ncolour = 1\n[[component]]\nname = "A"', "colour: unknown key"),
        (GOOD.replace('name = "B"', 'name = "B"\nspeed = 2'), "component 'B': speed: unknown key"),
        (GOOD.replace('["A"]', '["C"]'), "depends on 'C', which does not exist"),
        (GOOD.replace('name = "A"', 'name = "A"\ndepends_on = ["B"]'), "dependency cycle"),
        (
            GOOD.replace('name = "A"', 'name = "A"\ninit_s = "slow"'),
            "init_s: expected a number",
        ),
        (GOOD.replace('name = "A"', 'name = "A"\ninit_s = -1'), "init_s: must be from"),
        (GOOD + "[faults]\ncrash = 2\n", "faults.crash: must be from 0 to 1"),
        (GOOD + "[faults]\nflood = 0.1\n", "faults.flood: unknown key"),
        (GOOD + "[restart]\nmax_restarts = 1.5\n", "restart.max_restarts: expected a whole number"),
        ('scene = "orchestrator"', "at least one [[component]]"),
        ('title = "x"', "scene: missing"),
        ('scene = "zoo"', "scene: must be one of restaurant, orchestrator"),
        ("scene = ", "not valid TOML"),
        ('scene = "restaurant"\n[kitchen]\nstations = ["a", "a"]', "unique"),
        ('scene = "restaurant"\n[kitchen]\nprep_s = [1]', "prep_s: must be two numbers"),
        ('scene = "restaurant"\n[kitchen]\nstations = "a"', "stations: expected a list"),
        ('scene = "restaurant"\n[kitchen]\nbarrier_timeout_s = true', "expected a number"),
    ],
)
def test_mistakes_name_the_file_the_key_and_the_problem(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith("bad.toml") and words in message and "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
