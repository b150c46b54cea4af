"""Typed reading of one TOML table: every problem is one ``SpecError`` line naming the file,
the key and what is wrong; keys nobody read are rejected as unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine.budget import RestartPolicy
from app.engine.faults import SpecError


class TableReader:
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
            raise self.fail(key, f"expected {_type_names(kinds)}, got true/false")
        if not isinstance(value, kinds):
            raise self.fail(key, f"expected {_type_names(kinds)}, got {type(value).__name__} {value!r}")
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

    def table_of(self, key: str) -> TableReader | None:
        value = self.get(key, dict, None)
        return None if value is None else TableReader(self.path, value, f"{self.where}{key}.")

    def table_or_empty(self, key: str) -> TableReader:
        """The table ``key``, or an empty one (so its defaults apply) when it is absent."""
        return self.table_of(key) or TableReader(self.path, {}, f"{self.where}{key}.")

    def done(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            raise self.fail(extra[0], "unknown key")


def _type_names(kinds: tuple[type, ...]) -> str:
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


def fault_rates(r: TableReader | None, kinds: tuple[str, ...]) -> dict[str, float]:
    if r is None:
        return {}
    rates = {k: r.number(k, 0.0, 0.0, 1.0) for k in kinds if k in r.table}
    r.done()
    if sum(rates.values()) > 1.0 + 1e-9:
        raise r.fail("", f"rates add up to {sum(rates.values()):g}; at most 1 is possible")
    return rates


def restart_policy(r: TableReader | None) -> RestartPolicy:
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
