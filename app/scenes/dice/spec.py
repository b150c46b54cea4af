"""The dice game as the registry sees it: flags, scenario tables, views, lanes and spans."""

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
from app.scenes.dice.model import FAULT_KINDS, MAX_PLAYERS, MAX_ROUNDS, MIN_PLAYERS, DiceConfig, DiceGame
from app.scenes.dice.view import DiceView, join_names
from app.trace import TraceRecorder


def _configure(config: DiceConfig, given: Mapping[str, Any]) -> DiceConfig:
    changes: dict[str, Any] = {}
    if "players" in given:
        n = given["players"]
        if not MIN_PLAYERS <= n <= MAX_PLAYERS:
            raise SpecError(f"--players must be from {MIN_PLAYERS} to {MAX_PLAYERS}, got {n}")
        changes["players"] = n
    if "rounds" in given:
        n = given["rounds"]
        if n > MAX_ROUNDS:
            raise SpecError(f"--rounds must be at most {MAX_ROUNDS}, got {n}")
        changes["rounds"] = n
    return dataclasses.replace(config, **changes)


def _from_toml(top: TableReader) -> DiceConfig:
    g = top.table_or_empty("game")
    roll = g.get("roll_s", list, [0.6, 1.6])
    if len(roll) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in roll):
        raise g.fail("roll_s", "must be two numbers [shortest, longest]")
    kw: dict[str, Any] = {
        "players": g.integer("players", 4, MIN_PLAYERS, MAX_PLAYERS),
        "rounds": g.integer("rounds", 5, 0, MAX_ROUNDS),
        "countdown_s": g.number("countdown_s", 1.5, 0, 60),
        "roll_s": (float(roll[0]), float(roll[1])),
        "barrier_timeout_s": g.number("barrier_timeout_s", 4.0, 0.01, 3600),
        "seed": g.integer("seed", 0, 0, 2**63 - 1),
    }
    g.done()
    kw["faults"] = FaultPlan(FAULT_KINDS, fault_rates(top.table_of("faults"), FAULT_KINDS))
    kw["restart"] = restart_policy(top.table_of("restart"))
    return DiceConfig(**kw)


def _build(config: DiceConfig, clock: SimClock, recorder: TraceRecorder, host: WorkerHost | None) -> DiceGame:
    return DiceGame(config, clock=clock, recorder=recorder, host=host)


def _report(s: Mapping[str, Any]) -> list[str]:
    lines = [
        f"rounds: {s['rounds_played']} of {s['placed']} played; "
        f"{s['rounds_broken']} broke, {s['replays']} replayed",
        "scores: " + ", ".join(f"{name} {score}" for name, score in s["scores"].items()),
    ]
    winners = s["winners"]
    if len(winners) == 1:
        lines.append(f"winner: {winners[0]} with {s['scores'][winners[0]]}")
    elif winners:
        lines.append(f"tie: {join_names(winners)} with {s['scores'][winners[0]]} each")
    else:
        lines.append(f"no winner: the game stopped after {s['rounds_played']} of {s['placed']} rounds")
    away = f" ({join_names(s['disconnected'])})" if s["disconnected"] else ""
    back = f" ({join_names(s['rejoined'])})" if s["rejoined"] else ""
    lines.append(f"disconnects: {s['disconnects']}{away}; rejoins: {s['rejoins']}{back}")
    return lines


SCENE = SceneSpec(
    name="dice",
    title="Dice game",
    summary="Players roll together each round and meet at the round barrier",
    unit="rounds",
    unit_done="played",
    fault_kinds=FAULT_KINDS,
    default_config=DiceConfig,
    configure=_configure,
    from_toml=_from_toml,
    build=_build,
    view_model=lambda config: DiceView.for_players(config.players),
    units_flag="rounds",
    view="app.gui.scenes.dice:DiceScene",
    flags=(
        Flag("players", f"players, {MIN_PLAYERS} to {MAX_PLAYERS} (default 4)"),
        Flag("rounds", "rounds to play (default 5)"),
    ),
    lanes={"player.rolling": WORKING, "player.rolled": IDLE},
    spans=(Span("player.rolling", ("player.rolled", "player.disconnected"), "roll, round {round}"),),
    log_filters=("game", "player", "round"),
    report=_report,
    tones={
        "waiting for start": "event",
        "between rounds": "idle",
        "rolling": "working",
        "at barrier": "waiting",
        "disconnected": "gone",
        "done": "info",
        "crashed": "crashed",
        "stopped": "stopped",
    },
)
