"""The restaurant as the registry sees it: flags, scenario tables, views, lanes and spans."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec, Span
from app.engine.faults import FaultPlan, SpecError
from app.engine.timeline import IDLE, WORKING
from app.engine.toml_reader import TableReader, fault_rates, restart_policy
from app.engine.workers import WorkerHost
from app.scenes.restaurant.model import FAULT_KINDS, MAX_STATIONS, Kitchen, KitchenConfig
from app.scenes.restaurant.view import KitchenView
from app.trace import TraceRecorder


def _configure(config: KitchenConfig, given: Mapping[str, Any]) -> KitchenConfig:
    changes: dict[str, Any] = {}
    if "orders" in given:
        changes["orders"] = given["orders"]
    if "stations" in given:
        n = given["stations"]
        if not 1 <= n <= MAX_STATIONS:
            raise SpecError(f"--stations must be from 1 to {MAX_STATIONS}, got {n}")
        changes["stations"] = KitchenConfig.with_station_count(n).stations
    return dataclasses.replace(config, **changes)


def _from_toml(top: TableReader) -> KitchenConfig:
    k = top.table_or_empty("kitchen")
    stations = k.get("stations", list, None)
    if stations is not None and not all(isinstance(s, str) for s in stations):
        raise k.fail("stations", "must be a list of station names")
    prep = k.get("prep_s", list, [0.6, 2.0])
    if len(prep) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in prep):
        raise k.fail("prep_s", "must be two numbers [shortest, longest]")
    kw: dict[str, Any] = {
        "orders": k.integer("orders", 20, 0, 10_000_000),
        "prep_s": (float(prep[0]), float(prep[1])),
        "barrier_timeout_s": k.number("barrier_timeout_s", 4.0, 0.01, 3600),
        "max_attempts": k.integer("max_attempts", 5, 1, 1000),
        "seed": k.integer("seed", 0, 0, 2**63 - 1),
        "rehire_after_s": float(k.get("rehire_after_s", (int, float), 3.0)),
    }
    if stations is not None:
        kw["stations"] = tuple(stations)
    k.done()
    kw["faults"] = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    kw["restart"] = restart_policy(top.table_of("restart"))
    return KitchenConfig(**kw)


def _build(
    config: KitchenConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None
) -> Kitchen:
    return Kitchen(config, clock=clock, recorder=recorder, host=host)


def _report(s: Mapping[str, Any]) -> list[str]:
    return [
        f"walk-outs: {s['walkouts']}, hires: {s['hires']}",
        f"rounds: {s['rounds']}, of which broken: {s['broken_rounds']}",
    ]


SCENE = SceneSpec(
    name="restaurant",
    title="Restaurant",
    summary="Chefs prepare one part of each order and meet at the kitchen barrier",
    unit="orders",
    unit_done="served",
    fault_kinds=FAULT_KINDS,
    default_config=lambda: KitchenConfig(orders=20),
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=lambda config: KitchenView.for_stations(config.stations),
    units_flag="orders",
    view="app.gui.scenes.restaurant:RestaurantScene",
    flags=(
        Flag("orders", "orders to serve (default 20)"),
        Flag("stations", f"stations, 1 to {MAX_STATIONS} (default 3)"),
    ),
    lanes={"part.started": WORKING, "part.done": IDLE},
    spans=(Span("part.started", ("part.done",), "prepare order {order}"),),
    log_filters=("order",),
    report=_report,
    tones={
        "preparing": "working",
        "waiting": "waiting",
        "serving": "info",
        "idle": "idle",
        "crashed": "crashed",
        "restarting": "restarting",
        "walked out": "gone",
        "stopped": "stopped",
    },
)
