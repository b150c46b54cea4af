"""What the restaurant window draws, folded from trace records (no Qt, testable alone).

The window never reads the kitchen's live objects: it sees only records that crossed the
thread boundary, so what it shows is exactly what the trace says happened.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from app.engine.barrier_view import BarrierView as SharedBarrierView
from app.trace.recorder import Record

PREPARING, WAITING, IDLE, CRASHED, RESTARTING, WALKED_OUT, STOPPED, SERVING = (
    "preparing",
    "waiting",
    "idle",
    "crashed",
    "restarting",
    "walked out",
    "stopped",
    "serving",
)


@dataclass
class StationView:
    name: str
    state: str = IDLE
    chef: str = ""
    order: int = 0
    since: float = 0.0
    duration: float = 0.0  # simulated seconds of the part being prepared
    restart_at: float = 0.0  # trace time of a pending restart
    stalled: bool = False


@dataclass
class BarrierView:
    name: str = "kitchen"
    parties: int = 0
    arrived: int = 0
    gen: int = 0
    opened_at: float = -1e9
    broken_at: float = -1e9
    cause: str = ""


@dataclass
class KitchenView:
    stations: dict[str, StationView] = field(default_factory=dict)
    barrier: BarrierView = field(default_factory=BarrierView)
    #: The kitchen barrier as every barrier scene shows it (arrival order, action runner).
    gate: SharedBarrierView = field(default_factory=SharedBarrierView)
    queue: OrderedDict[int, float] = field(default_factory=OrderedDict)  # order -> placed ts
    placed_at: dict[int, float] = field(default_factory=dict)  # open orders only
    cooking: int = 0
    cooking_since: float = 0.0
    served_recent: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=6))
    placed: int = 0
    served: int = 0
    cancelled: int = 0
    restarts: int = 0
    faults: int = 0
    status: str = "open"  # open, shutting down, closed
    reason: str = ""
    last_fault: str = ""
    #: The station each chef thread works at (its ``chef``): a record finds its station in
    #: one look-up, not a scan of every station (that made a round cost stations squared).
    by_chef: dict[str, StationView] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_stations(cls, names: list[str] | tuple[str, ...]) -> KitchenView:
        view = cls()
        for n in names:
            view.stations[n] = StationView(n)
        view.barrier.parties = len(names)
        return view

    def totals(self) -> dict[str, int]:
        return {"placed": self.placed, "served": self.served, "cancelled": self.cancelled}

    @property
    def queued(self) -> int:
        return len(self.queue)

    @property
    def short_handed(self) -> bool:
        """A crashed chef holds up the next round (it starts only with every chef on duty)."""
        return any(s.state in (CRASHED, RESTARTING) for s in self.stations.values())

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        if kind.startswith("barrier."):
            self.gate.apply(rec)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, rec)

    def _station(self, rec: Record) -> StationView | None:
        name = rec.get("station")
        if name is None:
            return None
        st = self.stations.get(name)
        if st is None:
            st = self.stations[name] = StationView(name)
        return st


def _placed(v: KitchenView, r: Record) -> None:
    v.placed += 1
    v.queue[r["order"]] = v.placed_at[r["order"]] = r["ts"]


def _started(v: KitchenView, r: Record) -> None:
    v.queue.pop(r["order"], None)
    v.cooking, v.cooking_since = r["order"], r["ts"]
    v.barrier.parties = len(r.get("stations", ())) or v.barrier.parties
    v.barrier.arrived = 0


def _requeued(v: KitchenView, r: Record) -> None:
    v.queue[r["order"]] = v.placed_at.get(r["order"], r["ts"])  # it keeps ageing
    v.queue.move_to_end(r["order"], last=False)  # back at the front
    if v.cooking == r["order"]:
        v.cooking = 0


def _served(v: KitchenView, r: Record) -> None:
    v.served += 1
    v.placed_at.pop(r["order"], None)
    v.served_recent.append((r["order"], r["ts"]))
    if v.cooking == r["order"]:
        v.cooking = 0


def _cancelled(v: KitchenView, r: Record) -> None:
    v.cancelled += 1
    v.placed_at.pop(r["order"], None)
    v.queue.pop(r["order"], None)
    if v.cooking == r["order"]:
        v.cooking = 0


def _worker_started(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is not None:
        if v.by_chef.get(st.chef) is st:
            del v.by_chef[st.chef]  # the station's previous chef no longer works there
        st.state, st.chef, st.order, st.since, st.stalled = IDLE, r["thread"], 0, r["ts"], False
        v.by_chef[st.chef] = st


def _chef_station(v: KitchenView, r: Record) -> StationView | None:
    """The station whose chef made ``r``, if any."""
    thread = r["thread"]
    st = v.by_chef.get(thread)
    if st is not None and st.chef == thread:
        return st
    for st in v.stations.values():  # a chef set by other means than worker.started: rare
        if st.chef == thread:
            v.by_chef[thread] = st
            return st
    return None


def _part_started(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is not None:
        st.state, st.order, st.since = PREPARING, r["order"], r["ts"]
        st.duration, st.stalled = r.get("duration", 1.0), False


def _arrive(v: KitchenView, r: Record) -> None:
    v.barrier.name, v.barrier.parties, v.barrier.gen = r["barrier"], r["parties"], r["gen"]
    v.barrier.arrived = r["index"] + 1
    st = _chef_station(v, r)
    if st is not None:
        st.state, st.since, st.stalled = WAITING, r["ts"], False
        if r["index"] + 1 == r["parties"]:
            st.state = SERVING


def _pass(v: KitchenView, r: Record) -> None:
    if r["index"] + 1 == r["parties"]:
        v.barrier.opened_at = r["ts"]
    v.barrier.arrived = 0
    st = _chef_station(v, r)
    if st is not None:
        st.state, st.order, st.since = IDLE, 0, r["ts"]


def _broken(v: KitchenView, r: Record) -> None:
    if r.get("breaker") or r.get("cause") == "abort":
        v.barrier.broken_at, v.barrier.cause = r["ts"], r.get("cause", "")
    v.barrier.arrived = 0
    st = _chef_station(v, r)
    if st is not None and st.state in (WAITING, SERVING, PREPARING):
        st.state, st.order, st.since = IDLE, 0, r["ts"]


def _reset(v: KitchenView, r: Record) -> None:
    v.barrier.arrived = 0
    v.barrier.gen = r["gen"]


def _fault(v: KitchenView, r: Record) -> None:
    v.faults += 1
    where = f" at {r['station']}" if r.get("station") else ""
    v.last_fault = f"{r['fault']}{where} (order {r.get('order')})"
    st = v._station(r)
    if st is not None and r["fault"] == "stall":
        st.stalled = True


def _crashed(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is not None and r.get("error") is not None:
        st.state, st.since, st.order = CRASHED, r["ts"], 0


def _restarting(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is not None:
        st.state, st.restart_at = RESTARTING, r["ts"] + r.get("wall_s", 0.0)


def _restarted(v: KitchenView, r: Record) -> None:
    v.restarts += 1


def _stopped(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is None or st.chef != r["thread"]:
        return
    if r.get("reason") == "walkout" or st.state == WALKED_OUT:
        st.state = WALKED_OUT
    elif st.state not in (CRASHED, RESTARTING):
        st.state = STOPPED
    st.since = r["ts"]


def _walkout(v: KitchenView, r: Record) -> None:
    st = v._station(r)
    if st is not None:
        st.state, st.since, st.order = WALKED_OUT, r["ts"], 0


def _shutdown_requested(v: KitchenView, r: Record) -> None:
    v.status, v.reason = "shutting down", r.get("reason", "")


def _shutdown_completed(v: KitchenView, r: Record) -> None:
    v.status = "closed"
    for st in v.stations.values():
        if st.state not in (WALKED_OUT,):
            st.state = STOPPED


_HANDLERS = {
    "order.placed": _placed,
    "order.started": _started,
    "order.requeued": _requeued,
    "order.served": _served,
    "order.cancelled": _cancelled,
    "worker.started": _worker_started,
    "part.started": _part_started,
    "barrier.arrive": _arrive,
    "barrier.pass": _pass,
    "barrier.broken": _broken,
    "barrier.reset": _reset,
    "fault.injected": _fault,
    "worker.crashed": _crashed,
    "worker.restarting": _restarting,
    "worker.restarted": _restarted,
    "worker.stopped": _stopped,
    "worker.walked_out": _walkout,
    "shutdown.requested": _shutdown_requested,
    "shutdown.completed": _shutdown_completed,
}
