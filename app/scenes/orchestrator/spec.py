"""The system orchestrator as the registry sees it: flags, scenario tables, views, lanes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec, Span
from app.engine.faults import FaultPlan
from app.engine.invariants import barrier_violations, transition_violations
from app.engine.timeline import IDLE, WORKING
from app.engine.toml_reader import TableReader, fault_rates, restart_policy
from app.engine.workers import WorkerHost
from app.scenes.orchestrator.model import FAULT_KINDS, ComponentSpec, Orchestrator, SystemConfig
from app.scenes.orchestrator.view import SystemView
from app.trace import TraceRecorder


def _configure(config: SystemConfig, given: Mapping[str, Any]) -> SystemConfig:
    if "orders" in given:
        return dataclasses.replace(config, requests=given["orders"])
    return config


def _from_toml(top: TableReader) -> SystemConfig:
    system = top.table_or_empty("system")
    requests = system.integer("requests", 30, 0, 10_000_000)
    readiness = system.number("readiness_timeout_s", 5.0, 0.01, 3600)
    heartbeat = system.number("heartbeat_timeout_s", 3.0, 0.01, 3600)
    hold = system.number("ready_hold_s", 0.5, 0.0, 3600)
    seed = system.integer("seed", 0, 0, 2**63 - 1)
    system.done()
    plan = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    restart = restart_policy(top.table_of("restart"))
    raw = top.get("component", list)
    if not raw:
        raise top.fail("component", "at least one [[component]] is needed")
    specs = []
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            raise top.fail("component", "each entry must be a [[component]] table")
        r = TableReader(top.path, table, f"component[{i + 1}].")
        name = r.get("name", str)
        if not name or not name.strip():
            raise r.fail("name", "missing or empty")
        r.where = f"component {name!r}: "
        deps = r.get("depends_on", list, [])
        if not all(isinstance(d, str) for d in deps):
            raise r.fail("depends_on", "must be a list of component names")
        specs.append(
            ComponentSpec(
                name=name,
                init_s=r.number("init_s", 1.0, 0.001, 3600),
                work_s=r.number("work_s", 0.5, 0.001, 3600),
                depends_on=tuple(deps),
                faults=fault_rates(r.table_of("faults"), FAULT_KINDS),
            )
        )
        r.done()
    return SystemConfig(
        components=tuple(specs),
        requests=requests,
        readiness_timeout_s=readiness,
        heartbeat_timeout_s=heartbeat,
        ready_hold_s=hold,
        faults=plan,
        restart=restart,
        seed=seed,
    )


def _build(
    config: SystemConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None
) -> Orchestrator:
    return Orchestrator(config, clock=clock, recorder=recorder, host=host)


def _report(s: Mapping[str, Any]) -> list[str]:
    by = ", ".join(f"{name} {n}" for name, n in s["restarts_by_component"].items())
    return [
        f"restarts by component: {by}",
        "states: " + " -> ".join(s["states_visited"]),
        "time in state: " + ", ".join(f"{k} {v} s" for k, v in s["time_in_state_s"].items()),
    ]


SCENE = SceneSpec(
    name="orchestrator",
    title="System orchestrator",
    summary="Components start in dependency order; the system moves through its states",
    unit="requests",
    unit_done="processed",
    fault_kinds=FAULT_KINDS,
    default_config=SystemConfig,
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=lambda config: SystemView.for_components([(c.name, c.depends_on) for c in config.components]),
    units_flag="orders",
    view="app.gui.scenes.orchestrator:OrchestratorScene",
    flags=(Flag("orders", "work units before it shuts down (default 30)"),),
    lanes={"component.init": WORKING, "component.ready": IDLE, "component.work": WORKING},
    spans=(Span("component.init", ("component.ready",), "initialise {component}"),),
    log_filters=("state", "component", "system", "supervisor"),
    report=_report,
    invariants=lambda records: barrier_violations(records := list(records)) + transition_violations(records),
    tones={
        "not started": "idle",
        "waiting": "event",
        "starting": "working",
        "ready": "info",
        "working": "working",
        "failed": "crashed",
        "restarting": "restarting",
        "stopped": "stopped",
    },
)
