"""Promises every run must keep, checked from its trace and summary (Qt-free), so tests,
soaks and explorers all judge a run the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine.states import LEGAL
from app.trace import Record


def unit_violations(summary: Mapping[str, Any]) -> list[str]:
    """Every unit of work ended exactly once: served or cancelled, none open, none twice."""
    out = [f"the scene reported: {v}" for v in summary.get("violations") or ()]
    placed, served, cancelled = summary["placed"], summary["served"], summary["cancelled"]
    if served + cancelled != placed:
        out.append(f"{placed} placed but {served} served + {cancelled} cancelled")
    if summary.get("open"):
        out.append(f"{summary['open']} units still open after the run")
    return out


def barrier_violations(records: Iterable[Record]) -> list[str]:
    """A barrier round passes only after all its parties arrived, passes each of them once,
    keeps its party count from first arrival to last, and a broken round passes no one.
    Rounds seen from their first arrival are judged (a bounded ring may have dropped the
    start of older ones). A phaser party that arrived and deregistered
    (``phaser.deregister`` with ``arrived``) does not wait: its arrival stands for its pass."""
    arrived: Counter[tuple[str, int]] = Counter()
    passes: Counter[tuple[str, int]] = Counter()
    left: Counter[tuple[str, int]] = Counter()
    parties: dict[tuple[str, int], int] = {}
    broken: set[tuple[str, int]] = set()
    out: list[str] = []
    for r in records:
        kind = r["kind"]
        if kind == "phaser.deregister" and r.get("arrived"):
            left[(r["barrier"], r["gen"])] += 1
            continue
        if not kind.startswith("barrier."):
            continue
        key = (r["barrier"], r["gen"])
        if kind == "barrier.arrive":
            if r["index"] == 0:
                parties[key] = r["parties"]
            elif key in parties and r["parties"] != parties[key]:
                out.append(f"{key[0]} gen {key[1]}: parties changed from {parties[key]} to {r['parties']}")
            arrived[key] += 1
        elif kind == "barrier.broken":
            broken.add(key)
        elif kind == "barrier.pass" and key in parties:
            passes[key] += 1
            if arrived[key] != r["parties"]:
                out.append(f"{key[0]} gen {key[1]}: passed with {arrived[key]} of {r['parties']} arrived")
    for key, n in passes.items():
        if key in broken:
            out.append(f"{key[0]} gen {key[1]}: both passed and broke")
        if n + left[key] != parties[key]:
            out.append(f"{key[0]} gen {key[1]}: passed {n} of {parties[key]} parties")
    return out


def transition_violations(records: Iterable[Record]) -> list[str]:
    """Only the state machine's legal transitions, each from the state it left."""
    out: list[str] = []
    state = None
    for r in records:
        if r["kind"] != "state.changed":
            continue
        if state is not None and r["from"] != state:
            out.append(f"transition from {r['from']} while in {state}")
        if r["to"] not in LEGAL.get(r["from"], ()):
            out.append(f"illegal transition {r['from']} -> {r['to']}")
        state = r["to"]
    return out
