"""Per-thread lanes of states over time, folded from trace records (no Qt)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.trace.recorder import Record

WORKING, WAITING_BARRIER, WAITING_EVENT, CRASHED, STOPPED, IDLE = (
    "working",
    "waiting at barrier",
    "waiting on event",
    "crashed",
    "stopped",
    "idle",
)
LANE_STATES = (WORKING, WAITING_BARRIER, WAITING_EVENT, CRASHED, STOPPED, IDLE)

# What each record kind every scene has starts on its thread's lane; scenes add their own.
COMMON_LANES: dict[str, str] = {
    "worker.started": IDLE,
    "barrier.arrive": WAITING_BARRIER,
    "barrier.pass": IDLE,
    "worker.crashed": CRASHED,
    "worker.stopped": STOPPED,
}


@dataclass
class Segment:
    start: float
    state: str
    end: float | None = None  # None while it lasts


@dataclass
class Lane:
    thread: str
    segments: deque[Segment] = field(default_factory=lambda: deque(maxlen=400))

    @property
    def state(self) -> str:
        return self.segments[-1].state if self.segments else IDLE


class Timeline:
    """Lanes keyed by thread name, in order of first appearance; old segments drop off.

    For views that redraw only what changed: ``lanes_version`` counts changes to the set of
    lanes, and ``changed_since`` is the earliest trace time any lane changed at since a view
    last called ``take_changes`` (infinity when nothing did).
    """

    def __init__(
        self, lanes: Mapping[str, str] | None = None, horizon_s: float = 120.0, max_lanes: int = 64
    ) -> None:
        self._starts = {**(lanes or {}), **COMMON_LANES}
        self.horizon_s = horizon_s
        self.max_lanes = max_lanes
        self.lanes: dict[str, Lane] = {}
        self.lanes_version = 0
        self.changed_since = float("inf")

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        state = self._starts.get(kind)
        if kind == "barrier.broken":
            state = IDLE if not rec.get("waiting") else None  # an abort from outside changes no lane
        elif kind == "event.wait":
            state = {"begin": WAITING_EVENT, "end": IDLE}.get(rec.get("phase", ""))
        if state is None:
            return
        lane = self.lanes.get(rec["thread"])
        if lane is None:
            if kind.startswith("shutdown") or (kind == "event.wait" and rec["thread"] == "MainThread"):
                return
            lane = self.lanes[rec["thread"]] = Lane(rec["thread"])
            self.lanes_version += 1
            self._trim_lanes()
        ts = rec["ts"]
        if lane.segments:
            last = lane.segments[-1]
            if last.state in (STOPPED, CRASHED):
                return  # a lane ends there; a restarted worker gets a lane of its own
            if last.state == state:
                return
            last.end = ts
        lane.segments.append(Segment(ts, state))
        if ts < self.changed_since:
            self.changed_since = ts

    def take_changes(self) -> float:
        """The earliest time changed since the last call (infinity if none); resets it."""
        since, self.changed_since = self.changed_since, float("inf")
        return since

    def _trim_lanes(self) -> None:
        while len(self.lanes) > self.max_lanes:
            stopped = [n for n, lane in self.lanes.items() if lane.state in (STOPPED, CRASHED)]
            del self.lanes[stopped[0] if stopped else next(iter(self.lanes))]

    def prune(self, now: float) -> None:
        """Forget segments that ended before the horizon (memory stays flat)."""
        cutoff = now - self.horizon_s
        for lane in self.lanes.values():
            segs = lane.segments
            while len(segs) > 1 and segs[0].end is not None and segs[0].end < cutoff:
                segs.popleft()
