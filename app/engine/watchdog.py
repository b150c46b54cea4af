"""The deadlock watchdog every simulation runs: a diagnosis, not a hang.

It fires when every live worker is blocked on a traced primitive with no timeout, and
nothing that is not blocked can wake it: a barrier waits for more parties than can still
arrive, or an event waits for a set that no live thread will make. Everything is read from
the trace (``barrier.arrive`` without its pass or break, ``event.wait`` begin without its
end) and from the simulation's list of live workers, and it errs on the side of silence:

* a worker with no record in the trace ring, or whose last record is not a blocking wait
  (it is working, sleeping, or waiting on something untraced such as a plain
  ``threading.Condition``) counts as able to act;
* a wait with a timeout ends by itself, so it is not a deadlock;
* an event that code outside the workers sets (the clock's pause gate and shutdown, and a
  scene's ``Simulation.external_events``, e.g. one that ``feed`` sets) may still be set.

It costs the workers nothing: no subscriber on the trace. A thread of its own polls the
recorder's record count; only once the count has stood still for ``quiet_s`` (no thread
has recorded anything, as in a deadlock) does it look at the ring, once per quiet spell.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from app.engine.clock import SimClock
from app.engine.waits import BARRIER, EVENT, Wait, WaitFold
from app.trace.recorder import Record, TraceRecorder, bind_thread_name

#: How often the watchdog looks at the record count (wall seconds).
INTERVAL_S = 0.05
#: How long nothing must have been recorded before it judges (wall seconds). A deadlock is
#: named about this long after its last record: well within the 2 s the quality bar allows.
QUIET_S = 0.2


def _blocking(rec: Record) -> bool:
    kind = rec["kind"]
    if kind == "event.wait":
        return rec.get("phase") == "begin"
    if kind == "barrier.arrive":
        return rec["index"] + 1 < rec["parties"]
    return False


def _names(threads: Sequence[str]) -> str:
    if len(threads) <= 1:
        return "".join(threads)
    return ", ".join(threads[:-1]) + " and " + threads[-1]


def diagnose(records: Sequence[Record], alive: Iterable[str], external: Iterable[str] = ()) -> dict | None:
    """The deadlock in ``records`` (in order) among the live workers ``alive``, or None.

    Returns ``{"reason": one line, "waits": [...], "alive": [...]}``: per blocked thread
    what it waits on and who could have woken it (the threads that set that event or used
    that barrier before, and what became of them).
    """
    alive = list(alive)
    if not alive:
        return None
    wanted = set(alive)
    last: dict[str, int] = {}
    # Walking back, the first record of each thread is its latest: most healthy runs are
    # told apart here, at the first worker that is not waiting.
    for i in range(len(records) - 1, -1, -1):
        thread = records[i]["thread"]
        if thread in wanted and thread not in last:
            if not _blocking(records[i]):
                return None
            last[thread] = i
            if len(last) == len(wanted):
                break
    if len(last) < len(wanted):
        return None  # a worker whose latest record left the ring (or has none yet): unknown
    fold = WaitFold()
    for rec in records[min(last.values()) :]:
        fold.apply(rec)
    outside = set(external)
    waits: list[Wait] = []
    for thread in alive:
        w = fold.blocked(thread)
        if w is None or not w.forever or (w.on == EVENT and w.name in outside):
            return None
        waits.append(w)
    return _picture(records, waits, alive)


def _picture(records: Sequence[Record], waits: list[Wait], alive: list[str]) -> dict:
    """Who waits on what, and who could have woken them: one pass over the ring, from the
    start of the oldest live worker (what happened before it is another story, e.g. an
    earlier lab run with primitives of the same names)."""
    live = set(alive)
    start = next(
        (i for i, r in enumerate(records) if r["kind"] == "worker.started" and r["thread"] in live), 0
    )
    history = WaitFold()
    for rec in records[start:]:
        history.apply(rec)

    def fate(thread: str) -> str:
        if thread in history.ended:
            return "ended"
        if thread in live:
            w = history.blocked(thread)
            return f"waits on {w.on} '{w.name}'" if w is not None else "live"
        return "not a worker"

    out: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], list[Wait]] = {}
    for w in waits:
        groups.setdefault((w.on, w.name), []).append(w)
        entry: dict[str, Any] = {"thread": w.thread, "on": w.on, "name": w.name, "since": round(w.since, 6)}
        users = history.users.get((w.on, w.name), [])
        if w.on == BARRIER:
            arrived = history.arrived.get((w.name, w.gen), [])
            entry.update(
                gen=w.gen, parties=w.parties, arrived=list(arrived), missing=w.parties - len(arrived)
            )
            users = [t for t in users if t not in arrived]
        else:
            users = [t for t in users if t != w.thread]
        entry["wakers"] = [{"thread": t, "state": fate(t)} for t in users]
        out.append(entry)
    reasons = []
    for (on, name), group in groups.items():
        who = _names([w.thread for w in group])
        verb = "waits" if len(group) == 1 else "wait"
        if on == BARRIER:
            w = group[0]
            reasons.append(
                f"{who} {verb} at barrier '{name}' for {w.parties} parties with "
                f"{len(history.arrived.get((name, w.gen), []))} arrived; no other live thread can arrive"
            )
        else:
            setters = [t for t in history.users.get((EVENT, name), []) if t not in {w.thread for w in group}]
            before = f" (set before by {_names([f'{t}, {fate(t)}' for t in setters])})" if setters else ""
            reasons.append(f"{who} {verb} on event '{name}', which no live thread will set{before}")
    return {"reason": "deadlock: " + "; ".join(reasons), "waits": out, "alive": alive}


class Watched(Protocol):
    """What the watchdog reads of a simulation (``Simulation`` is one)."""

    scenario: str
    recorder: TraceRecorder
    clock: SimClock
    external_events: tuple[str, ...]

    @property
    def shutting_down(self) -> bool: ...

    def alive_workers(self) -> list[str]: ...

    def on_deadlock(self, diagnosis: dict[str, Any]) -> None: ...


class Watchdog:
    """Watches one simulation. ``Simulation`` starts it with its first worker and stops it
    in ``stop``; its thread also ends by itself once no worker is alive."""

    def __init__(self, sim: Watched, interval_s: float = INTERVAL_S, quiet_s: float = QUIET_S) -> None:
        self.sim = sim
        self.interval_s = interval_s
        self.quiet_s = quiet_s
        self.fired = 0  # deadlocks named so far
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._kicks = 0
        self._stop = threading.Event()

    def external(self) -> tuple[str, ...]:
        clock = self.sim.clock
        return (clock.shutdown.name, clock.pause_gate.name, *self.sim.external_events)

    def check(self) -> dict | None:
        """Judge the simulation now: the diagnosis if it is deadlocked, else None."""
        sim = self.sim
        if sim.shutting_down:
            return None
        alive = sim.alive_workers()
        if not alive:
            return None
        return diagnose(sim.recorder.snapshot(), alive, self.external())

    def ensure_running(self) -> None:
        """A worker was started: watch (again), unless stopped."""
        with self._lock:
            self._kicks += 1
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name=f"watchdog-{self.sim.scenario}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 0.5) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        bind_thread_name("watchdog")
        recorder = self.sim.recorder
        last_total, quiet_since, judged = -1, time.monotonic(), -1
        while not self._stop.wait(self.interval_s):
            with self._lock:
                kicks = self._kicks
            if self.sim.shutting_down:
                break
            if not self.sim.alive_workers():
                with self._lock:
                    if kicks == self._kicks:  # no worker started since we looked
                        self._thread = None
                        return
                continue
            total, now = recorder.total, time.monotonic()
            if total != last_total:
                last_total, quiet_since = total, now
                continue
            if now - quiet_since < self.quiet_s or judged == total:
                continue
            judged = total  # once per quiet spell: nothing has changed since
            diagnosis = self.check()
            if diagnosis is not None:
                self.fired += 1
                recorder.record("watchdog.deadlock", **diagnosis)
                self.sim.on_deadlock(diagnosis)
                last_total = recorder.total  # our own record is not progress
                judged = last_total
        with self._lock:
            self._thread = None


__all__ = ["INTERVAL_S", "QUIET_S", "Watchdog", "Watched", "diagnose"]
