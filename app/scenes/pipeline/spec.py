"""The pipeline as the registry sees it: flags, scenario tables, views, lanes and spans."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec
from app.engine.faults import FaultPlan, SpecError
from app.engine.timeline import IDLE, WORKING
from app.engine.toml_reader import TableReader, fault_rates, restart_policy
from app.engine.workers import WorkerHost
from app.scenes.pipeline.model import (
    DEFAULT_RESTART,
    FAULT_KINDS,
    MAX_ITEMS,
    MAX_WORKERS,
    MIN_WORKERS,
    STAGES,
    Pipeline,
    PipelineConfig,
    ScaleStep,
    parse_workers,
)
from app.scenes.pipeline.view import PipelineView
from app.trace import TraceRecorder


def _configure(config: PipelineConfig, given: Mapping[str, Any]) -> PipelineConfig:
    changes: dict[str, Any] = {}
    if "items" in given:
        n = given["items"]
        if n > MAX_ITEMS:
            raise SpecError(f"--items must be at most {MAX_ITEMS}, got {n}")
        changes["items"] = n
    if "workers" in given:
        counts = dict(zip(STAGES, config.workers, strict=True)) | given["workers"]
        changes["workers"] = tuple(counts[s] for s in STAGES)
    return dataclasses.replace(config, **changes)


def _number_pair(r: TableReader, key: str, default: list[float]) -> tuple[float, float]:
    pair = r.get(key, list, default)
    if len(pair) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in pair):
        raise r.fail(key, "must be two numbers [shortest, longest]")
    if not 0 < pair[0] <= pair[1]:
        raise r.fail(key, f"must be positive and ordered, got {pair[0]}..{pair[1]}")
    return float(pair[0]), float(pair[1])


def _from_toml(top: TableReader) -> PipelineConfig:
    base = PipelineConfig()
    p = top.table_or_empty("pipeline")
    kw: dict[str, Any] = {
        "items": p.integer("items", 200, 0, MAX_ITEMS),
        "batch_size": p.integer("batch_size", base.batch_size, 1, 1000),
        "queue_capacity": p.integer("queue_capacity", base.queue_capacity, 1, 10_000),
        "max_attempts": p.integer("max_attempts", base.max_attempts, 1, 100),
        "slow_x": p.number("slow_x", base.slow_x, 1, 100),
        "slow_items": p.integer("slow_items", base.slow_items, 1, 1000),
        "seed": p.integer("seed", 0, 0, 2**63 - 1),
    }
    workers = p.table_of("workers")
    if workers is not None:
        kw["workers"] = tuple(
            workers.integer(s, n, MIN_WORKERS, MAX_WORKERS) for s, n in zip(STAGES, base.workers, strict=True)
        )
        workers.done()
    work = p.table_of("work_s")
    if work is not None:
        kw["work_s"] = tuple(_number_pair(work, s, list(r)) for s, r in zip(STAGES, base.work_s, strict=True))
        work.done()
    p.done()
    steps = []
    for i, table in enumerate(top.get("scale", list, [])):
        if not isinstance(table, dict):
            raise top.fail("scale", "must be tables: [[scale]] with at_s, stage and workers")
        s = TableReader(top.path, table, f"scale[{i + 1}].")
        stage = s.get("stage", str)
        if stage not in STAGES:
            raise s.fail("stage", f"must be one of {', '.join(STAGES)}, got {stage!r}")
        steps.append(
            ScaleStep(
                s.number("at_s", 0.0, 0, 86_400), stage, s.integer("workers", 1, MIN_WORKERS, MAX_WORKERS)
            )
        )
        s.done()
    kw["scale"] = tuple(steps)
    kw["faults"] = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    restart = top.table_of("restart")
    kw["restart"] = restart_policy(restart) if restart is not None else DEFAULT_RESTART
    return PipelineConfig(**kw)


def _build(
    config: PipelineConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None
) -> Pipeline:
    return Pipeline(config, clock=clock, recorder=recorder, host=host)


def _report(s: Mapping[str, Any]) -> list[str]:
    causes = ", ".join(f"{k} {n}" for k, n in s["dead_letter_causes"].items())
    lines = [
        f"items: {s['saved']} saved, {s['dead_lettered']} dead-lettered"
        + (f" ({causes})" if causes else "")
        + f", {s['cancelled_unfinished']} cancelled unfinished; {s['requeued']} retried",
    ]
    for name, st in s["stages"].items():
        lines.append(
            f"{name}: {st['done']} items, {st['items_per_s']}/s, {st['workers']} workers "
            f"(peak {st['workers_peak']}), utilisation {st['utilisation']:.0%}, {st['batches']} batches, "
            f"{st['crashes']} crashes"
        )
    for name, q in s["queues"].items():
        lines.append(f"queue {name}: capacity {q['capacity']}, peak {q['max_depth']}, mean {q['mean_depth']}")
    lat = s["latency_s"]
    lines.append(f"item latency: p50 {lat['p50'] * 1000:.2f} ms, p95 {lat['p95'] * 1000:.2f} ms")
    if s["scaled"]:
        lines.append(
            f"scaled {s['scaled']} times: "
            + "; ".join(f"{e['stage']} {e['from']}→{e['to']} ({e['source']})" for e in s["scale_events"][-5:])
        )
    return lines


SCENE = SceneSpec(
    name="pipeline",
    title="Data pipeline",
    summary="Worker pools load, transform and save items through bounded queues and batch barriers",
    unit="items",
    unit_done="saved",
    fault_kinds=FAULT_KINDS,
    default_config=lambda: PipelineConfig(items=200),
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=PipelineView.for_config,
    units_flag="items",
    view="app.gui.scenes.pipeline:PipelineScene",
    flags=(
        Flag("items", "items to push through (default 200)"),
        Flag(
            "workers",
            f"workers per stage, {MIN_WORKERS} to {MAX_WORKERS} each, e.g. load=2,transform=4,save=2",
            parse=parse_workers,
            metavar="SPEC",
        ),
    ),
    # A worker's lane: working from item.started (made when it starts after a pause in its
    # work; items back to back are named by the done record's ``next``) until it blocks
    # (worker.blocked) or arrives at its batch barrier. No item spans in the Chrome trace:
    # an item's start is recorded only after such a pause.
    lanes={"item.started": WORKING, "worker.blocked": IDLE},
    log_filters=("item", "batch", "pipeline"),
    report=_report,
    tones={
        "idle": "idle",
        "working": "working",
        "blocked": "event",
        "at barrier": "waiting",
        "joining": "info",
        "crashed": "crashed",
        "restarting": "restarting",
        "left": "gone",
        "stopped": "stopped",
    },
)
