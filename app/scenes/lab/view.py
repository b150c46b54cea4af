"""What the lab's window draws, folded from trace records (no Qt): the run under way, a
marker per thread (the line it is at and what it is doing), and the verdicts so far."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from app.trace.recorder import Record

# A thread's state, as its marker shows it.
RUNNING, WORKING, SLEEPING, HELD = "running", "working", "sleeping", "held by the lab"
AT_BARRIER, ON_EVENT, ON_LOCK = "waiting at barrier", "waiting on event", "waiting for lock"
DONE, FAILED, STUCK = "done", "error", "deadlocked"
STATES = (RUNNING, WORKING, SLEEPING, HELD, AT_BARRIER, ON_EVENT, ON_LOCK, DONE, FAILED, STUCK)


@dataclass
class Marker:
    thread: str
    role: str
    seat: int  # 1-based, the thread's colour
    line: int = 0  # the file line it is at (0: not started)
    state: str = RUNNING
    detail: str = ""


@dataclass
class RunView:
    run: int
    experiment: str
    variant: str
    interleaving: str
    says: str
    expected: str
    fault: str | None = None
    markers: dict[str, Marker] = field(default_factory=dict)
    outcome: str = ""
    explanation: str = ""
    as_taught: bool | None = None
    given_up: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)


@dataclass
class LabView:
    placed: int = 0
    served: int = 0
    cancelled: int = 0
    as_taught: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    current: RunView | None = None
    history: deque[RunView] = field(default_factory=lambda: deque(maxlen=100))
    _owner: dict[str, RunView] = field(default_factory=dict)  # thread -> its run

    def totals(self) -> dict[str, int]:
        return {"placed": self.placed, "served": self.served, "cancelled": self.cancelled}

    @property
    def last(self) -> RunView | None:
        """The latest run that has a verdict."""
        return self.history[-1] if self.history else None

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        if kind == "lab.placed":
            self.placed += rec["count"]
        elif kind == "lab.cancelled":
            self.cancelled += rec["count"]
        elif kind == "lab.run":
            self._run(rec)
        elif kind == "lab.outcome":
            self._outcome(rec)
        elif kind == "watchdog.deadlock":
            for w in rec.get("waits", ()):
                m = self._marker(w["thread"])
                if m is None:
                    continue
                m.state = STUCK
                if w["on"] == "barrier":
                    m.detail = (
                        f"at barrier '{w['name']}', {len(w.get('arrived', ()))} of {w.get('parties')} here"
                    )
                else:
                    m.detail = f"on event '{w['name']}'"
        else:
            run = self._owner.get(rec["thread"])
            if run is None or (run.outcome and kind != "worker.stopped"):
                return  # a judged run keeps its picture (a deadlock stays drawn as it was)
            m = run.markers.get(rec["thread"])
            if m is not None:
                _fold_marker(m, rec)

    def _marker(self, thread: str) -> Marker | None:
        run = self._owner.get(thread)
        return run.markers.get(thread) if run is not None else None

    def _run(self, r: Record) -> None:
        run = RunView(
            r["run"],
            r["experiment"],
            r["variant"],
            r["interleaving"],
            r["says"],
            r["expected"],
            r.get("fault"),
        )
        for seat, (thread, role) in enumerate(r["threads"].items(), 1):
            run.markers[thread] = Marker(thread, role, seat)
            self._owner[thread] = run
        self.current = run

    def _outcome(self, r: Record) -> None:
        run = self.current if self.current is not None and self.current.run == r["run"] else None
        self.served += 1
        self.outcomes[r["outcome"]] += 1
        if r["as_taught"]:
            self.as_taught += 1
        if run is None:
            return
        run.outcome, run.explanation, run.as_taught = r["outcome"], r["explanation"], r["as_taught"]
        run.given_up = tuple(r.get("given_up", ()))
        self.history.append(run)
        # Threads of older runs are not drawn any more: forget them (memory stays flat).
        for thread in [t for t, owner in self._owner.items() if owner is not run]:
            del self._owner[thread]


def _fold_marker(m: Marker, r: Record) -> None:
    kind = r["kind"]
    if kind == "lab.line":
        m.line, m.state, m.detail = r["line"], RUNNING, ""
    elif kind == "lab.work":
        m.state, m.detail = WORKING, f"{r['seconds']:g} s of work"
    elif kind == "lab.sleep":
        m.state, m.detail = SLEEPING, f"sleep({r['seconds']:g})"
    elif kind == "lab.step":
        m.line = r["line"]
        if r["held"]:
            m.state, m.detail = HELD, f"held until {r['until']}"
    elif kind == "lab.release":
        m.state = RUNNING
        m.detail = "" if r["forced"] else "the forced order cannot happen here: let go"
    elif kind == "lab.lock":
        if r["phase"] == "wait":
            m.state, m.detail = ON_LOCK, f"'{r['lock']}'"
        else:
            m.state, m.detail = RUNNING, ""
    elif kind == "barrier.arrive":
        last = r["index"] + 1 >= r["parties"]
        m.state = RUNNING if last else AT_BARRIER
        m.detail = f"'{r['barrier']}', index {r['index']}" + (": runs the action" if last else "")
    elif kind in ("barrier.pass", "barrier.broken"):
        if r["thread"] == m.thread and m.state in (AT_BARRIER, RUNNING, STUCK):
            m.state = RUNNING
            m.detail = "broken" if kind == "barrier.broken" else f"passed with index {r['index']}"
    elif kind == "event.wait":
        phase = r.get("phase")
        if phase == "begin":
            m.state, m.detail = ON_EVENT, f"'{r['event']}'"
        elif phase == "instant":
            m.state, m.detail = RUNNING, f"'{r['event']}' was set: straight through"
        else:
            m.state, m.detail = RUNNING, ""
    elif kind == "lab.error":
        m.state, m.detail = FAILED, r["error"]
        if r.get("line"):
            m.line = r["line"]
    elif kind == "worker.stopped" and m.state not in (FAILED, STUCK):
        m.state, m.detail = DONE, ""


__all__ = ["STATES", "LabView", "Marker", "RunView"]
