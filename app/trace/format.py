"""The JSONL trace format (version 2, docs/trace-format.md): its header and a reader.

A version 2 file is a ``trace.header`` line, then one record per line with ``seq`` strictly
increasing. Version 1 files (no header, no ``seq`` or ``sim``) are read too: each record
gets ``seq`` from its position and ``sim`` equal to its ``ts``, and the header is ``None``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from app.trace.recorder import Record

#: The format this app writes, and the newest it reads.
FORMAT = 2
HEADER_KIND = "trace.header"

#: Fields that carry wall-clock time (or a measure of it), in the header or in records, at any
#: depth. Two controlled runs with the same scene, settings, seed and schedule give the same
#: trace record for record once these are left out (docs/trace-format.md, "Controlled runs").
WALL_FIELDS = frozenset(
    {
        "ts",  # every record: wall seconds since the recorder was made
        "created",  # the header: when it was written
        "elapsed_ms",  # shutdown.completed: wall time from the request until every worker joined
        "accounted_ms",  # shutdown.completed: wall time spent cancelling unfinished work
        "since",  # watchdog.deadlock, in each of its waits: the ts the wait began
    }
)


def without_wall(value: Any) -> Any:
    """``value`` (a record, a header, or anything in one) without its ``WALL_FIELDS``, at any
    depth: what two controlled runs of the same command must agree on."""
    if isinstance(value, Mapping):
        return {k: without_wall(v) for k, v in value.items() if k not in WALL_FIELDS}
    if isinstance(value, list):
        return [without_wall(v) for v in value]
    return value


class TraceFormatError(ValueError):
    """A file that is not a trace this app can read; the message is one line naming the
    file and the line: ``FILE:LINE: what is wrong``."""


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses and mappings as objects (field by field),
    sequences and sets as arrays, numbers, strings, booleans and None as they are, anything
    else as its ``str()`` (``dataclasses.asdict`` is no use here: it deep-copies, and
    refuses what cannot be copied)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def trace_header(scene: str, config: Any, seed: int, *, app_version: str | None = None) -> dict[str, Any]:
    """The first line of a JSONL trace (and the ``otherData`` of a Chrome trace).

    ``config`` is the scene's configuration: a dict, or the config dataclass itself (made
    plain data by ``plain``). ``app_version`` defaults to the running app's version.
    """
    if app_version is None:
        from app.version import version  # a leaf module outside the layers: allowed here

        app_version = version()
    return {
        "kind": HEADER_KIND,
        "format": FORMAT,
        "app_version": app_version,
        "scene": scene,
        "seed": seed,
        "config": plain(config),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def read_trace(path: str | Path) -> tuple[dict[str, Any] | None, Iterator[Record]]:
    """Open a JSONL trace: ``(header, records)``.

    The header (``None`` for a version 1 file or one written without it) is read and checked
    at once; records are read and checked as the iterator is consumed, and the file is closed
    when it is exhausted. Raises ``TraceFormatError`` (a ``ValueError``) for a file that is
    not a trace, ``OSError`` for one that cannot be read.
    """
    name = str(path)
    f = open(path, "rb")  # noqa: SIM115 - the generator closes it
    try:
        first = f.readline()
        if not first:
            f.close()
            return None, iter(())
        obj = _parse(name, 1, first)
        if obj.get("kind") == HEADER_KIND:
            header: dict[str, Any] | None = _check_header(name, obj)
            return header, _records(f, name, 2, None, v2=True)
        v2 = "seq" in obj
        return None, _records(f, name, 1, obj, v2=v2)
    except BaseException:
        f.close()
        raise


def _parse(name: str, lineno: int, line: bytes) -> dict[str, Any]:
    if not line.strip():
        raise TraceFormatError(f"{name}:{lineno}: empty line")
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise TraceFormatError(f"{name}:{lineno}: not JSON ({_first_line(str(exc))})") from None
    if not isinstance(obj, dict):
        raise TraceFormatError(f"{name}:{lineno}: not a JSON object")
    return obj


def _check_header(name: str, h: dict[str, Any]) -> dict[str, Any]:
    fmt = h.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 2:
        raise TraceFormatError(f"{name}:1: header has no valid format number (got {fmt!r})")
    if fmt > FORMAT:
        raise TraceFormatError(
            f"{name}:1: trace format {fmt} is newer than this app reads ({FORMAT}); "
            f"written by version {h.get('app_version', '?')}"
        )
    for key, typ in (("scene", str), ("seed", int), ("config", dict), ("app_version", str)):
        if not isinstance(h.get(key), typ):
            raise TraceFormatError(f"{name}:1: header field {key!r} missing or not {typ.__name__}")
    return h


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _records(
    f: BinaryIO, name: str, lineno: int, first: dict[str, Any] | None, *, v2: bool
) -> Iterator[Record]:
    with f:
        last_seq = -1
        pending = [first] if first is not None else []
        position = 0
        while True:
            if pending:
                obj = pending.pop()
            else:
                line = f.readline()
                if not line:
                    return
                obj = _parse(name, lineno, line)
            where = f"{name}:{lineno}"
            kind = obj.get("kind")
            if not isinstance(kind, str):
                raise TraceFormatError(f"{where}: no 'kind' string")
            if kind == HEADER_KIND:
                raise TraceFormatError(f"{where}: a header may only be line 1")
            if not _is_number(obj.get("ts")):
                raise TraceFormatError(f"{where}: no 'ts' number")
            if not isinstance(obj.get("thread"), str):
                raise TraceFormatError(f"{where}: no 'thread' string")
            if v2:
                seq = obj.get("seq")
                if not isinstance(seq, int) or isinstance(seq, bool):
                    raise TraceFormatError(f"{where}: no 'seq' integer (the lines before had one)")
                if seq <= last_seq:
                    raise TraceFormatError(f"{where}: seq {seq} does not follow {last_seq}")
                if not _is_number(obj.get("sim")):
                    raise TraceFormatError(f"{where}: no 'sim' number")
                last_seq = seq
            else:
                if "seq" in obj:
                    raise TraceFormatError(f"{where}: has 'seq' but line 1 had none (a mixed file)")
                obj = {"seq": position, "sim": obj["ts"], **obj}  # v1 upgraded on read
            position += 1
            lineno += 1
            yield obj


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text


__all__ = [
    "FORMAT",
    "HEADER_KIND",
    "WALL_FIELDS",
    "TraceFormatError",
    "plain",
    "read_trace",
    "trace_header",
    "without_wall",
]
