"""Scenario files (TOML): a scene, its parts, timings, fault rates and restart budget.

Every problem becomes one ``SpecError`` line that names the file, the key and what is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine.budget import RestartPolicy
from app.engine.faults import FaultPlan, SpecError
from app.scenes.orchestrator.model import FAULT_KINDS as SYSTEM_FAULTS
from app.scenes.orchestrator.model import ComponentSpec, SystemConfig
from app.scenes.restaurant.model import FAULT_KINDS as KITCHEN_FAULTS
from app.scenes.restaurant.model import KitchenConfig


@dataclass(frozen=True)
class Scenario:
    scene: str  # "restaurant" or "orchestrator"
    config: KitchenConfig | SystemConfig
    orders: int | None  # the file's own run length, if it gives one
    title: str


class _Reader:
    """Typed access to one table, remembering which keys were read to reject the rest."""

    def __init__(self, path: Path, table: dict[str, Any], where: str) -> None:
        self.path, self.table, self.where = path, table, where
        self.seen: set[str] = set()

    def fail(self, key: str, problem: str) -> SpecError:
        return SpecError(f"{self.path.name}: {self.where}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.seen.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"expected {_names(kinds)}, got true/false")
        if not isinstance(value, kinds):
            raise self.fail(key, f"expected {_names(kinds)}, got {type(value).__name__} {value!r}")
        return value

    def number(self, key: str, default: float, lo: float, hi: float) -> float:
        value = float(self.get(key, (int, float), default))
        if not lo <= value <= hi:
            raise self.fail(key, f"must be from {lo:g} to {hi:g}, got {value:g}")
        return value

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        value = self.get(key, int, default)
        if not lo <= value <= hi:
            raise self.fail(key, f"must be from {lo} to {hi}, got {value}")
        return int(value)

    def table_of(self, key: str) -> _Reader | None:
        value = self.get(key, dict, None)
        return None if value is None else _Reader(self.path, value, f"{self.where}{key}.")

    def done(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            raise self.fail(extra[0], "unknown key")


def _names(kinds: tuple[type, ...]) -> str:
    words = {
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
        bool: "true or false",
    }
    if int in kinds and float in kinds:
        kinds = tuple(k for k in kinds if k is not int)
    return " or ".join(dict.fromkeys(words.get(k, k.__name__) for k in kinds))


def _faults(r: _Reader | None, kinds: tuple[str, ...]) -> dict[str, float]:
    if r is None:
        return {}
    rates = {k: r.number(k, 0.0, 0.0, 1.0) for k in kinds if k in r.table}
    r.done()
    if sum(rates.values()) > 1.0 + 1e-9:
        raise r.fail("", f"rates add up to {sum(rates.values()):g}; at most 1 is possible")
    return rates


def _restart(r: _Reader | None) -> RestartPolicy:
    if r is None:
        return RestartPolicy()
    policy = RestartPolicy(
        max_restarts=r.integer("max_restarts", 5, 0, 1000),
        window_s=r.number("window_s", 30.0, 0.1, 86400),
        backoff_s=r.number("backoff_s", 0.5, 0.0, 600),
        backoff_max_s=r.number("backoff_max_s", 4.0, 0.0, 600),
    )
    r.done()
    return policy


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such scenario file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name}: not a text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML: {exc}") from None
    top = _Reader(path, data, "")
    scene = top.get("scene", str)
    if scene is None:
        raise top.fail("scene", 'missing: say scene = "restaurant" or scene = "orchestrator"')
    title = top.get("title", str, path.stem)
    try:
        if scene == "orchestrator":
            return _orchestrator(top, title)
        if scene == "restaurant":
            return _restaurant(top, title)
    except SpecError as exc:
        if str(exc).startswith(path.name):
            raise
        raise SpecError(f"{path.name}: {exc}") from None
    raise top.fail("scene", f'must be "restaurant" or "orchestrator", got {scene!r}')


def _orchestrator(top: _Reader, title: str) -> Scenario:
    system = top.table_of("system") or _Reader(top.path, {}, "system.")
    requests = system.integer("requests", 30, 0, 10_000_000)
    readiness = system.number("readiness_timeout_s", 5.0, 0.01, 3600)
    heartbeat = system.number("heartbeat_timeout_s", 3.0, 0.01, 3600)
    hold = system.number("ready_hold_s", 0.5, 0.0, 3600)
    seed = system.integer("seed", 0, 0, 2**63 - 1)
    system.done()
    plan = FaultPlan(SYSTEM_FAULTS, _faults(top.table_of("faults"), SYSTEM_FAULTS))
    restart = _restart(top.table_of("restart"))
    raw = top.get("component", list)
    if not raw:
        raise top.fail("component", "at least one [[component]] is needed")
    specs = []
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            raise top.fail("component", "each entry must be a [[component]] table")
        r = _Reader(top.path, table, f"component[{i + 1}].")
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
                faults=_faults(r.table_of("faults"), SYSTEM_FAULTS),
            )
        )
        r.done()
    top.done()
    config = SystemConfig(
        components=tuple(specs),
        requests=requests,
        readiness_timeout_s=readiness,
        heartbeat_timeout_s=heartbeat,
        ready_hold_s=hold,
        faults=plan,
        restart=restart,
        seed=seed,
    )
    return Scenario("orchestrator", config, requests, title)


def _restaurant(top: _Reader, title: str) -> Scenario:
    k = top.table_of("kitchen") or _Reader(top.path, {}, "kitchen.")
    stations = k.get("stations", list, None)
    if stations is not None and not all(isinstance(s, str) for s in stations):
        raise k.fail("stations", "must be a list of station names")
    prep = k.get("prep_s", list, [0.6, 2.0])
    if len(prep) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in prep):
        raise k.fail("prep_s", "must be two numbers [shortest, longest]")
    orders = k.integer("orders", 20, 0, 10_000_000)
    kw: dict[str, Any] = {
        "prep_s": (float(prep[0]), float(prep[1])),
        "barrier_timeout_s": k.number("barrier_timeout_s", 4.0, 0.01, 3600),
        "max_attempts": k.integer("max_attempts", 5, 1, 1000),
        "seed": k.integer("seed", 0, 0, 2**63 - 1),
    }
    rehire = k.get("rehire_after_s", (int, float), 3.0)
    kw["rehire_after_s"] = float(rehire)
    if stations is not None:
        kw["stations"] = tuple(stations)
    k.done()
    kw["faults"] = FaultPlan(KITCHEN_FAULTS, _faults(top.table_of("faults"), KITCHEN_FAULTS))
    kw["restart"] = _restart(top.table_of("restart"))
    top.done()
    return Scenario("restaurant", KitchenConfig(**kw), orders, title)
