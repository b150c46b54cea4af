"""Playing a JSONL trace back: the whole file in memory, and a cursor over its records.

Qt-free and scene-free (it imports only ``app.trace``): the window drives a ``Cursor`` and
folds what it hands out into a scene's view; a test, or a headless tool, can drive the same
cursor without a window.

The cursor's position ``pos`` is how many records have been applied: 0 is before the first
record, ``len(records)`` after the last. Moving forward hands out the records to apply;
moving back cannot un-apply a record, so it says "start again from an empty view" and hands
out every record up to the new position (a refold; fast enough at tens of thousands of
records, see README "Playing a trace back").
"""

from __future__ import annotations

import bisect
import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.trace.format import TraceFormatError, read_trace
from app.trace.recorder import Record


@dataclass(frozen=True)
class Trace:
    """A trace file read whole: its header (never None here) and its records, in order."""

    path: Path
    header: dict[str, Any]
    records: list[Record]

    @property
    def scene(self) -> str:
        return str(self.header["scene"])


def load_trace(path: str | Path) -> Trace:
    """Read a JSONL trace for playback. A trace needs its header (it names the scene).

    Raises ``TraceFormatError`` (one line, naming the file) for a file that is not a trace
    with a header, ``OSError`` for one that cannot be read.
    """
    path = Path(path)
    try:
        header, records = read_trace(path)
        listed = list(records)
    except UnicodeDecodeError:  # orjson reports bad UTF-8 as a decode error; be safe anyway
        raise TraceFormatError(f"{path}:1: not a text file") from None
    if header is None:
        if not listed:
            raise TraceFormatError(f"{path}: empty, not a trace")
        raise TraceFormatError(f"{path}:1: no trace header, so no scene to play it back in")
    return Trace(path, header, listed)


class Cursor:
    """A position over ``records`` and the records each move hands out to apply."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records
        self.pos = 0
        self._sims = [float(r["sim"]) for r in records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def at_end(self) -> bool:
        return self.pos >= len(self.records)

    def seek(self, k: int) -> tuple[bool, Sequence[Record]]:
        """Move to position ``k`` (clamped): ``(refold, records)``. ``refold`` False: apply
        ``records`` on top of what is shown; True: start from an empty view, apply them all."""
        k = max(0, min(int(k), len(self.records)))
        pos, self.pos = self.pos, k
        if k >= pos:
            return False, self.records[pos:k]
        return True, self.records[:k]

    def step(self) -> tuple[bool, Sequence[Record]]:
        """One record forward (nothing at the end)."""
        return self.seek(self.pos + 1)

    def step_back(self) -> tuple[bool, Sequence[Record]]:
        """One record back: a refold up to the record before the last one applied."""
        return self.seek(self.pos - 1)

    # -- time -----------------------------------------------------------------------------
    @property
    def sim_start(self) -> float:
        return self._sims[0] if self._sims else 0.0

    @property
    def sim_end(self) -> float:
        return self._sims[-1] if self._sims else 0.0

    def sim_now(self) -> float:
        """The simulated time of the last record applied (the start before the first)."""
        return self._sims[self.pos - 1] if self.pos else self.sim_start

    def due(self, sim: float) -> int:
        """The position once every record with ``sim`` at most ``sim`` has been applied."""
        return max(bisect.bisect_right(self._sims, sim), self.pos)

    def ts_at(self, sim: float) -> float:
        """The wall-clock ``ts`` at simulated time ``sim``, between the records around it
        (what a scene's animations take as "now" while playback runs between records)."""
        recs = self.records
        if not recs:
            return 0.0
        i = bisect.bisect_right(self._sims, sim)
        if i == 0:
            return float(recs[0]["ts"])
        if i >= len(recs):
            return float(recs[-1]["ts"])
        s0, s1 = self._sims[i - 1], self._sims[i]
        t0, t1 = float(recs[i - 1]["ts"]), float(recs[i]["ts"])
        if s1 <= s0:
            return t0
        return t0 + (t1 - t0) * (sim - s0) / (s1 - s0)

    def ts_now(self) -> float:
        """The ``ts`` of the last record applied (of the first before any)."""
        recs = self.records
        if not recs:
            return 0.0
        return float(recs[self.pos - 1]["ts"] if self.pos else recs[0]["ts"])


# -- a header's config back into its dataclass -----------------------------------------------
def from_plain(cls: Any, data: Any, where: str = "config") -> Any:
    """The inverse of ``app.trace.format.plain`` for a type: ``data`` (JSON values) as an
    instance of ``cls`` (a dataclass, a tuple, a mapping, a number...), following the type
    hints. Fields ``data`` leaves out keep their defaults. Raises ``ValueError`` naming the
    field (``config.faults.rates``) when ``data`` does not fit."""
    origin = typing.get_origin(cls)
    args = typing.get_args(cls)
    if cls is Any or cls is object:
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_plain(arg, data, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if errors else f"{where}: no type fits {data!r}")
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}")
        kwargs = {
            name: from_plain(hints[name], data[name], f"{where}.{name}") for name in known if name in data
        }
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
    if origin in (tuple, list, set, frozenset) or origin in (Sequence, typing.Sequence):
        if not isinstance(data, list | tuple):
            raise ValueError(f"{where}: expected an array, got {type(data).__name__}")
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if args and len(args) != len(data):
                raise ValueError(f"{where}: expected {len(args)} values, got {len(data)}")
            items = [
                from_plain(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=False))
            ]
        else:
            inner = args[0] if args else Any
            items = [from_plain(inner, v, f"{where}[{i}]") for i, v in enumerate(data)]
        return (list if origin in (list, Sequence, typing.Sequence) else origin)(items)
    if origin in (dict, Mapping) or cls in (dict, Mapping):
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        value_type = args[1] if len(args) == 2 else Any
        return {k: from_plain(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if cls is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        raise ValueError(f"{where}: expected a number, got {data!r}")
    if cls is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise ValueError(f"{where}: expected a whole number, got {data!r}")
    if cls in (str, bool):
        if isinstance(data, cls):
            return data
        raise ValueError(f"{where}: expected {cls.__name__}, got {data!r}")
    return data


__all__ = ["Cursor", "Trace", "from_plain", "load_trace"]
