"""What a scene declares, once: the one place the runner, the CLI, scenario files, the
timeline, the exports, the event log and the window learn about it.

A scene is a Qt-free model package under ``app/scenes/`` whose ``SCENE`` is a ``SceneSpec``,
one view module under ``app/gui/scenes/`` (named here as a string, so this layer never
imports Qt), and one line in ``app/scenes/registry.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.engine.clock import SimClock
from app.engine.faults import FaultPlan, SpecError
from app.engine.invariants import barrier_violations
from app.engine.simulation import Simulation
from app.engine.toml_reader import TableReader
from app.engine.workers import WorkerHost
from app.trace import Record, TraceRecorder
from app.trace.export import Span


class SceneConfig(Protocol):
    """Every scene's config is a frozen dataclass with at least these two fields."""

    seed: int
    faults: FaultPlan


class ViewModel(Protocol):
    """What a window draws, folded from trace records only (never from live objects)."""

    def apply(self, rec: Record) -> None: ...

    def totals(self) -> dict[str, int]:
        """``placed``, ``served`` and ``cancelled`` as the records tell them; must equal
        the simulation's own summary once the run has ended (the contract tests check)."""
        ...


@dataclass(frozen=True)
class Flag:
    """A command-line flag of a scene, ``--NAME VALUE``; ``parse`` raises ``ValueError``
    with a message for bad text. Scenes that share a flag name share the flag.

    A flag with ``prints`` takes no value: given, the run prints what ``prints()`` returns
    and exits 0 without starting anything (like ``--version``; e.g. the lab's ``--list``)."""

    name: str
    help: str
    parse: Callable[[str], Any] = int
    metavar: str = "N"
    prints: Callable[[], str] | None = None

    def read(self, text: str) -> Any:
        """The value of ``--NAME text``; a ``ValueError`` with a one-line message if bad."""
        try:
            value = self.parse(text)
        except ValueError as exc:
            if self.parse is int:
                raise ValueError(f"expected a whole number, got {text!r}") from None
            raise ValueError(str(exc)) from None
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value


def flag_uses(specs: Iterable[SceneSpec]) -> dict[str, list[tuple[str, Flag]]]:
    """Every flag name of ``specs`` -> the (scene, flag) pairs that use it, in order."""
    uses: dict[str, list[tuple[str, Flag]]] = {}
    for spec in specs:
        for flag in spec.flags:
            uses.setdefault(flag.name, []).append((spec.name, flag))
    return uses


def read_late(uses: list[tuple[str, Flag]]) -> bool:
    """A flag name that scenes read differently (the phases scene's ``--workers 4``, the
    pipeline's ``--workers load=2,save=1``) is taken as text on the command line and read
    by ``SceneSpec.read_flags`` once the scene is known."""
    return len({flag.parse for _, flag in uses}) > 1


@dataclass(frozen=True)
class SceneSpec:
    name: str  # the CLI word and the settings key
    title: str  # what the window's navigation shows
    summary: str  # one line: what the scene shows
    unit: str  # what its unit of work is called, plural ("orders", "rounds")
    unit_done: str  # what a unit that ended well is ("served", "played")
    fault_kinds: tuple[str, ...]
    #: Defaults for a headless run.
    default_config: Callable[[], Any]
    #: Apply the scene's own flags (only those the user gave) to a config; raises SpecError.
    configure: Callable[[Any, Mapping[str, Any]], Any]
    #: Read a scenario file's tables (everything but ``scene`` and ``title``); returns the
    #: config. Raise ``reader.fail(...)`` for any problem.
    from_toml: Callable[[TableReader], Any]
    #: Build the simulation. ``host`` is None for plain threads (headless).
    build: Callable[[Any, SimClock, TraceRecorder, WorkerHost | None], Simulation]
    #: A fresh view-model for a config (the window's, and a trace's when read back).
    view_model: Callable[[Any], ViewModel]
    #: "module:Class" of the window's tab for this scene (imported only by the GUI).
    view: str
    #: The flag (one of ``flags``) that sets how many units a run is for.
    units_flag: str
    flags: tuple[Flag, ...] = ()
    #: Record kind -> the state it starts on its thread's timeline lane (beyond the
    #: barrier, event and worker kinds every scene has).
    lanes: Mapping[str, str] = field(default_factory=dict)
    #: Spans in the Chrome trace beyond barrier and event waits.
    spans: tuple[Span, ...] = ()
    #: Record kind prefixes worth a filter in the event log (beyond the common ones).
    log_filters: tuple[str, ...] = ()
    #: Extra plain-text report lines for a finished run's summary.
    report: Callable[[Mapping[str, Any]], list[str]] = lambda _summary: []
    #: What must hold in any run's trace, beyond exactly-once (a list of violations).
    invariants: Callable[[Iterable[Record]], list[str]] = barrier_violations
    #: The scene's own state names -> a shared tone the window colours ("working",
    #: "waiting", "event", "idle", "crashed", "restarting", "gone", "stopped", "info").
    tones: Mapping[str, str] = field(default_factory=dict)

    def with_common(self, config: Any, *, seed: int | None, faults: str | None) -> Any:
        """The flags every scene has: ``--seed`` and ``--faults``."""
        changes: dict[str, Any] = {}
        if seed is not None:
            changes["seed"] = seed
        if faults:
            changes["faults"] = FaultPlan.parse(faults, self.fault_kinds)
        return dataclasses.replace(config, **changes) if changes else config

    def read_flags(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` with the values still in text (see ``read_late``) read by this scene's
        own flags; a bad one is a one-line ``SpecError``."""
        mine = {f.name: f for f in self.flags}
        out = dict(given)
        for name, value in given.items():
            flag = mine.get(name)
            if flag is not None and isinstance(value, str) and flag.parse is not str:
                try:
                    out[name] = flag.read(value)
                except ValueError as exc:
                    raise SpecError(f"--{name}: {exc}") from None
        return out

    def check_flags(self, given: Mapping[str, Any]) -> None:
        """A flag of another scene given to this one is a mistake, said in one line."""
        mine = {f.name for f in self.flags}
        for name in given:
            if name not in mine:
                raise SpecError(f"--{name} does not apply to the {self.name} scene")


__all__ = ["Flag", "SceneConfig", "SceneSpec", "Span", "ViewModel", "flag_uses", "read_late"]
