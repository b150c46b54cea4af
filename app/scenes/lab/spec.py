"""The lab as the registry sees it: flags, scenario tables, views, lanes and spans."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec, Span
from app.engine.faults import FaultPlan, SpecError
from app.engine.invariants import barrier_violations
from app.engine.timeline import IDLE, WORKING
from app.engine.toml_reader import TableReader, fault_rates, restart_policy
from app.engine.workers import WorkerHost
from app.scenes.lab.experiment import ANY_ORDER, VARIANTS
from app.scenes.lab.experiments import get, listing, names
from app.scenes.lab.model import FAULT_KINDS, MAX_RUNS, LabBench, LabConfig
from app.scenes.lab.view import LabView
from app.trace import Record, TraceRecorder


def _experiment(text: str) -> str:
    return get(text.strip()).name  # ValueError names the known ones


def _variant(text: str) -> str:
    if text.strip() not in VARIANTS:
        raise ValueError(f"variant must be wrong or right, got {text!r}")
    return text.strip()


def _interleaving(text: str) -> int | str:
    """A number, or ``any`` (nothing forced: the schedule alone orders the threads)."""
    if text.strip() == "any":
        return "any"
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number or any, got {text!r}") from None


def _configure(config: LabConfig, given: Mapping[str, Any]) -> LabConfig:
    changes: dict[str, Any] = {}
    if "experiment" in given:
        changes["experiment"] = given["experiment"]
        changes["interleaving"] = 0  # the new experiment's teaching one, unless given too
    if "variant" in given:
        changes["variant"] = given["variant"]
    if "runs" in given:
        if given["runs"] > MAX_RUNS:
            raise SpecError(f"--runs must be at most {MAX_RUNS}, got {given['runs']}")
        changes["runs"] = given["runs"]
    if "interleaving" in given:
        value = given["interleaving"]
        changes["interleaving"] = ANY_ORDER if value == "any" else value
    return dataclasses.replace(config, **changes)


def _from_toml(top: TableReader) -> LabConfig:
    t = top.table_or_empty("lab")
    experiment = t.get("experiment", str, "basics")
    if experiment not in names():
        raise t.fail("experiment", f"unknown experiment {experiment!r} (known: {', '.join(names())})")
    variant = t.get("variant", str, "right")
    if variant not in VARIANTS:
        raise t.fail("variant", f"must be wrong or right, got {variant!r}")
    kw: dict[str, Any] = {
        "experiment": experiment,
        "variant": variant,
        "runs": t.integer("runs", 1, 0, MAX_RUNS),
        "interleaving": t.integer("interleaving", 0, 0, len(get(experiment).interleavings) - 1),
        "seed": t.integer("seed", 0, 0, 2**63 - 1),
    }
    t.done()
    kw["faults"] = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    kw["restart"] = restart_policy(top.table_of("restart"))
    return LabConfig(**kw)


def _invariants(records: Iterable[Record]) -> list[str]:
    """The barrier promises, run by run: every run makes its barriers afresh, under the same
    names (the code says ``name="table"``), and runs never overlap."""
    out: list[str] = []
    run: list[Record] = []
    for rec in records:
        if rec["kind"] == "lab.run":
            out += barrier_violations(run)
            run = []
        run.append(rec)
    return out + barrier_violations(run)


def _build(config: LabConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None) -> LabBench:
    return LabBench(config, clock=clock, recorder=recorder, host=host)


def _report(s: Mapping[str, Any]) -> list[str]:
    lines = [f"experiment: {s['experiment']} ({s['variant']}), interleaving: {s['interleaving']}"]
    for r in s["runs"][-5:]:
        verdict = "as taught" if r["as_taught"] else f"NOT as taught (the lesson wants {r['expected']})"
        lines.append(f"run {r['run']}: {r['outcome']}, {verdict}: {r['explanation']}")
    return lines


SCENE = SceneSpec(
    name="lab",
    title="Pitfalls lab",
    summary="Each classic mistake with barriers and events, run wrong and right, with its real code",
    unit="runs",
    unit_done="judged",
    fault_kinds=FAULT_KINDS,
    default_config=LabConfig,
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=lambda _config: LabView(),
    units_flag="runs",
    view="app.gui.scenes.lab:LabScene",
    flags=(
        Flag("experiment", "the experiment to run (see --list; default basics)", _experiment, "NAME"),
        Flag("variant", "wrong or right (default right)", _variant, "wrong|right"),
        Flag("runs", "runs of it (default 1)"),
        Flag(
            "interleaving",
            "which forced interleaving, from 0 (default 0: the one the lesson uses); any: none "
            "forced and work takes no simulated time, so with --schedule the strategy alone "
            "orders the threads (what explore runs)",
            _interleaving,
            "N|any",
        ),
        Flag("list", "list the experiments and exit", prints=listing),
    ),
    lanes={"lab.line": WORKING, "lab.work": WORKING, "lab.sleep": IDLE, "lab.step": WORKING},
    spans=(Span("lab.work", ("lab.line", "lab.step", "worker.stopped"), "work"),),
    log_filters=("lab", "watchdog"),
    report=_report,
    invariants=_invariants,
    tones={
        "running": "working",
        "working": "working",
        "sleeping": "idle",
        "held by the lab": "info",
        "waiting at barrier": "waiting",
        "waiting on event": "event",
        "waiting for lock": "restarting",
        "done": "stopped",
        "error": "crashed",
        "deadlocked": "crashed",
    },
)
