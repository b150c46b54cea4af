"""The phased computation as the registry sees it: flags, scenario tables, views, lanes."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec, Span
from app.engine.faults import FaultPlan, SpecError
from app.engine.invariants import barrier_violations
from app.engine.timeline import IDLE, WORKING
from app.engine.toml_reader import TableReader, fault_rates, restart_policy
from app.engine.workers import WorkerHost
from app.scenes.phases.model import (
    FAULT_KINDS,
    MAX_PHASES,
    MAX_RETRIES,
    MAX_RUNS,
    MAX_WORKERS,
    MIN_PHASES,
    MIN_WORKERS,
    Phase,
    PhasedComputation,
    PhasesConfig,
)
from app.scenes.phases.view import PhasesView
from app.trace import Record, TraceRecorder


def _configure(config: PhasesConfig, given: Mapping[str, Any]) -> PhasesConfig:
    changes: dict[str, Any] = {}
    if "workers" in given:
        n = given["workers"]
        if not MIN_WORKERS <= n <= MAX_WORKERS:
            raise SpecError(f"--workers must be from {MIN_WORKERS} to {MAX_WORKERS}, got {n}")
        changes["workers"] = n
    if "runs" in given:
        n = given["runs"]
        if n > MAX_RUNS:
            raise SpecError(f"--runs must be at most {MAX_RUNS}, got {n}")
        changes["runs"] = n
    return dataclasses.replace(config, **changes)


def _from_toml(top: TableReader) -> PhasesConfig:
    r = top.table_or_empty("computation")
    kw: dict[str, Any] = {
        "workers": r.integer("workers", 4, MIN_WORKERS, MAX_WORKERS),
        "runs": r.integer("runs", 5, 0, MAX_RUNS),
        "seed": r.integer("seed", 0, 0, 2**63 - 1),
        "slow_x": r.number("slow_x", 3.0, 1.01, 10),
        "max_retries": r.integer("max_retries", 3, 0, MAX_RETRIES),
        "barrier_timeout_s": r.number("barrier_timeout_s", 60.0, 0.01, 3600),
    }
    aggregate = r.get("aggregate", str)
    r.done()
    raw = top.get("phase", list)
    if raw is not None:
        if not MIN_PHASES <= len(raw) <= MAX_PHASES:
            raise top.fail(
                "phase", f"a run has {MIN_PHASES} to {MAX_PHASES} [[phase]] tables, got {len(raw)}"
            )
        phases = []
        for i, table in enumerate(raw):
            if not isinstance(table, dict):
                raise top.fail("phase", "each entry must be a [[phase]] table")
            pr = TableReader(top.path, table, f"phase[{i + 1}].")
            name = pr.get("name", str)
            if not name:
                raise pr.fail("name", "missing or empty")
            pr.where = f"phase {name!r}: "
            span = pr.get("duration_s", list, [0.5, 1.5])
            if len(span) != 2 or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in span
            ):
                raise pr.fail("duration_s", "must be two numbers [shortest, longest]")
            pr.done()
            phases.append(Phase(name, (float(span[0]), float(span[1]))))
        kw["phases"] = tuple(phases)
    if aggregate is not None:
        kw["aggregate"] = aggregate
    elif raw is not None and "aggregate" not in {p.name for p in kw["phases"]}:
        raise r.fail(
            "aggregate", 'name the phase whose barrier action aggregates (no phase is called "aggregate")'
        )
    kw["faults"] = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    kw["restart"] = restart_policy(top.table_of("restart"))
    return PhasesConfig(**kw)


def _build(
    config: PhasesConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None
) -> PhasedComputation:
    return PhasedComputation(config, clock=clock, recorder=recorder, host=host)


def _seconds(values: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f} s" for name, value in values.items())


def _report(s: Mapping[str, Any]) -> list[str]:
    done = s["phases_completed_by_phase"]
    retried = {k: n for k, n in s["retries_by_phase"].items() if n}
    lines = [
        f"phases completed: {s['phases_completed']} ("
        + ", ".join(f"{name} {n}" for name, n in done.items())
        + f"); retries: {s['retries']}"
        + (" (" + ", ".join(f"{k} {n}" for k, n in retried.items()) + ")" if retried else ""),
    ]
    if s["aggregations"]:
        ok = "equal" if not s["aggregates_wrong"] else f"WRONG in {s['aggregates_wrong']} runs"
        lines.append(
            f"aggregate: {s['aggregate']}, expected {s['expected_aggregate']} ({ok}); "
            f"computed {s['aggregations']} times in {s['served']} completed runs, once each"
        )
    else:
        lines.append(f"aggregate: not computed (expected {s['expected_aggregate']})")
    lines.append(f"waiting at the barriers (simulated): {_seconds(s['wait_s_by_phase'])}")
    lines.append(f"waiting per worker (simulated): {_seconds(s['wait_s_by_worker'])}")
    if s["failed_run"]:
        lines.append(f"failed: {s['failed_run']}")
    return lines


def phase_violations(records: Iterable[Record]) -> list[str]:
    """Beyond the barrier's own promises: each run aggregates exactly once, to the expected
    sum, before it completes, and completes each phase once, in order. Runs are judged from
    their ``run.started`` (a bounded ring may have dropped the start of older ones)."""
    records = list(records)
    out = barrier_violations(records)
    seen: set[int] = set()
    aggregated: Counter[int] = Counter()
    completed: dict[int, list[int]] = {}
    for r in records:
        kind = r["kind"]
        if kind == "run.started":
            seen.add(r["run"])
            completed[r["run"]] = []
        elif r.get("run") not in seen:
            continue
        elif kind == "aggregate.computed":
            aggregated[r["run"]] += 1
            if r["value"] != r["expected"] or r["value"] != sum(r["partials"].values()):
                out.append(f"run {r['run']}: aggregate {r['value']}, expected {r['expected']}")
        elif kind == "phase.completed":
            done = completed[r["run"]]
            if r["index"] != len(done):
                out.append(f"run {r['run']}: phase {r['phase']} completed out of order")
            done.append(r["index"])
        elif kind == "run.completed" and aggregated[r["run"]] != 1:
            out.append(f"run {r['run']}: completed with {aggregated[r['run']]} aggregations")
    out += [f"run {run}: aggregated {n} times" for run, n in aggregated.items() if n > 1]
    return out


SCENE = SceneSpec(
    name="phases",
    title="Phased computation",
    summary="Workers pass phase after phase together, a barrier per phase; one aggregation per run",
    unit="runs",
    unit_done="completed",
    fault_kinds=FAULT_KINDS,
    default_config=PhasesConfig,
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=PhasesView.for_config,
    units_flag="runs",
    view="app.gui.scenes.phases:PhasesScene",
    flags=(
        Flag("workers", f"workers, {MIN_WORKERS} to {MAX_WORKERS} (default 4)"),
        Flag("runs", "runs through every phase (default 5)"),
    ),
    lanes={"phase.started": WORKING, "phase.abandoned": IDLE},
    spans=(Span("phase.started", ("phase.done", "phase.abandoned", "worker.crashed"), "{phase}, run {run}"),),
    log_filters=("run", "phase", "aggregate"),
    report=_report,
    invariants=phase_violations,
    tones={
        "between phases": "idle",
        "working": "working",
        "at barrier": "waiting",
        "crashed": "crashed",
        "restarting": "restarting",
        "stopped": "stopped",
        "pending": "idle",
        "waiting": "waiting",
        "done": "info",
        "broken": "crashed",
    },
)
