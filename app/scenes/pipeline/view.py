"""What the pipeline window draws, folded from trace records (no Qt, testable alone): the
stages with their workers and batch barriers, the queues, the dead letters, and per-second
figures over the last minute for the plots."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from app.engine.barrier_view import BarrierView
from app.scenes.pipeline.metrics import LogHistogram
from app.scenes.pipeline.model import DONE_KINDS, STAGES, PipelineConfig
from app.trace.recorder import Record

# Worker states, as the window shows them.
IDLE, WORKING, BLOCKED, AT_BARRIER, JOINING, CRASHED, RESTARTING, LEFT, STOPPED = (
    "idle",
    "working",
    "blocked",
    "at barrier",
    "joining",
    "crashed",
    "restarting",
    "left",
    "stopped",
)
WORKER_STATES = (IDLE, WORKING, BLOCKED, AT_BARRIER, JOINING, CRASHED, RESTARTING, LEFT, STOPPED)
# The pipeline's status.
READY, RUNNING, DRAINING, STOPPING, HALTED = "ready", "running", "draining", "stopping", "stopped"
#: How far back the plots look, in seconds of the records' clock.
WINDOW_S = 60
#: Items/s and utilisation are averaged over this many seconds (a second alone is spiky).
SMOOTH_S = 5
DEAD_LETTER_ROWS = 200
_GONE = (CRASHED, RESTARTING, LEFT)


@dataclass
class WorkerView:
    name: str  # the thread's trace name
    stage: str
    state: str = IDLE
    since: float = 0.0
    item: int = 0  # the item it works on (0: none)
    done: int = 0  # items it did its part of
    slow_left: int = 0  # items it will still take slowly


@dataclass
class StageView:
    name: str
    index: int
    target: int = 0  # the pool size asked for
    workers: dict[str, WorkerView] = field(default_factory=dict)
    done: int = 0  # items this stage did its part of
    passed: int = 0  # items published on to the next stage (for Save: saved)
    failed: int = 0
    crashes: int = 0
    batches: int = 0
    last_batch: int = 0  # items in the batch published last
    barrier: BarrierView = field(default_factory=BarrierView)

    def count(self, *states: str) -> int:
        return sum(w.state in states for w in self.workers.values())

    @property
    def alive(self) -> int:
        return sum(w.state not in (*_GONE, STOPPED) for w in self.workers.values())


@dataclass
class QueueView:
    capacity: int
    depth: int = 0
    peak: int = 0

    def set(self, depth: int) -> None:
        self.depth = max(depth, 0)
        self.peak = max(self.peak, self.depth)


@dataclass(frozen=True)
class DeadLetter:
    item: int
    stage: str
    reason: str
    attempts: int
    worker: str
    ts: float


class Second:
    """What happened in one second of the records' clock."""

    __slots__ = ("busy", "depth", "done", "latency", "sec", "workers")

    def __init__(self, sec: int, depth: list[int], workers: list[int]) -> None:
        self.sec = sec
        self.done = [0] * len(STAGES)  # items each stage did its part of (Save: saved)
        self.busy = [0.0] * len(STAGES)  # seconds its workers worked
        self.depth = list(depth)  # the deepest each queue was
        self.workers = list(workers)  # the most workers each stage had
        self.latency = LogHistogram()


@dataclass(frozen=True)
class Series:
    """One plotted line: ``points`` are (seconds before now, value)."""

    name: str
    points: tuple[tuple[float, float], ...]


class Metrics:
    """Per-second figures over the last ``WINDOW_S`` seconds (memory stays flat)."""

    def __init__(self, queues: int) -> None:
        self.seconds: deque[Second] = deque(maxlen=WINDOW_S + 2)
        self._depth = [0] * queues
        self._workers = [0] * len(STAGES)

    def _now(self, ts: float) -> Second:
        sec = int(ts)
        if not self.seconds or self.seconds[-1].sec < sec:
            self.seconds.append(Second(sec, self._depth, self._workers))
        return self.seconds[-1]  # a record a hair late from another thread counts as now

    def done(self, stage: int, busy: float, ts: float) -> None:
        s = self._now(ts)
        if stage < len(STAGES) - 1:
            s.done[stage] += 1
        s.busy[stage] += busy

    def saved(self, latency: float, ts: float) -> None:
        s = self._now(ts)
        s.done[-1] += 1
        s.latency.add(latency)

    def depth(self, queue: int, depth: int, ts: float) -> None:
        self._depth[queue] = depth
        s = self._now(ts)
        s.depth[queue] = max(s.depth[queue], depth)

    def workers(self, stage: int, n: int, ts: float) -> None:
        self._workers[stage] = n
        s = self._now(ts)
        s.workers[stage] = max(s.workers[stage], n)

    def _complete(self, now: float) -> list[Second]:
        """Every whole second of the window up to ``now``; quiet ones filled in."""
        last = int(now) - 1
        first = last - WINDOW_S + 1
        have = {s.sec: s for s in self.seconds if first <= s.sec <= last}
        out: list[Second] = []
        depth, workers = self._depth, self._workers
        for sec in range(first, last + 1):
            s = have.get(sec)
            if s is None:
                s = Second(sec, depth if sec > max(have, default=first - 1) else [0] * len(depth), workers)
                if out:
                    s.depth, s.workers = list(out[-1].depth), list(out[-1].workers)
            out.append(s)
        return out

    def series(self, now: float) -> dict[str, list[Series]]:
        """The plots' lines over the last minute: items/s per stage and utilisation per
        stage (0..1), both averaged over ``SMOOTH_S`` seconds; the deepest each queue was
        each second; item latency p50/p95 (seconds) of the items saved each second (only
        the seconds in which some were saved)."""
        secs = self._complete(now)
        xs = [float(s.sec - now) for s in secs]

        def line(name: str, values: list[float]) -> Series:
            return Series(name, tuple(zip(xs, values, strict=True)))

        def smooth(values: list[float]) -> list[float]:
            out, total = [], 0.0
            for k, value in enumerate(values):
                total += value
                if k >= SMOOTH_S:
                    total -= values[k - SMOOTH_S]
                out.append(total / min(k + 1, SMOOTH_S))
            return out

        rate = [line(st, smooth([float(s.done[i]) for s in secs])) for i, st in enumerate(STAGES)]
        depth = [
            line(f"{STAGES[q]}→{STAGES[q + 1]}", [float(s.depth[q]) for s in secs])
            for q in range(len(self._depth))
        ]
        util = []
        for i, st in enumerate(STAGES):
            busy = smooth([s.busy[i] for s in secs])
            pool = smooth([float(s.workers[i]) for s in secs])
            util.append(line(st, [min(b / n, 1.0) if n else 0.0 for b, n in zip(busy, pool, strict=True)]))
        saved = [s for s in secs if s.latency.count]  # a second with nothing saved has no latency
        latency = [
            Series(name, tuple((float(s.sec - now), s.latency.quantile(q)) for s in saved))
            for name, q in (("p50", 0.5), ("p95", 0.95))
        ]
        return {"rate": rate, "depth": depth, "utilisation": util, "latency": latency}


@dataclass
class PipelineView:
    stages: list[StageView] = field(default_factory=list)
    queues: list[QueueView] = field(default_factory=list)
    metrics: Metrics = field(default_factory=lambda: Metrics(len(STAGES) - 1))
    threads: dict[str, int] = field(default_factory=dict)  # worker thread -> stage index
    status: str = READY
    placed: int = 0
    saved: int = 0
    dead: int = 0
    cancelled: int = 0  # cancelled unfinished (dead letters not included)
    requeued: int = 0
    restarts: int = 0
    faults: int = 0
    dead_letters: deque[DeadLetter] = field(default_factory=lambda: deque(maxlen=DEAD_LETTER_ROWS))
    events: dict[str, bool] = field(
        default_factory=lambda: {"error": False, "drained": False, "shutdown": False}
    )
    monitor: str = IDLE  # the monitor's state: idle, "waiting on error", deciding
    last_fault: str = ""
    reason: str = ""
    slow_items: int = 4

    @classmethod
    def for_config(cls, config: PipelineConfig) -> PipelineView:
        view = cls(slow_items=config.slow_items)
        for i, name in enumerate(STAGES):
            bv = BarrierView(name=f"{name}-batch")
            bv.parties = config.workers[i]
            view.stages.append(StageView(name, i, target=config.workers[i], barrier=bv))
        view.queues = [QueueView(config.queue_capacity) for _ in STAGES[1:]]
        return view

    def totals(self) -> dict[str, int]:
        return {"placed": self.placed, "served": self.saved, "cancelled": self.cancelled + self.dead}

    @property
    def open(self) -> int:
        return self.placed - self.saved - self.dead - self.cancelled

    def stage(self, name: str) -> StageView:
        return self.stages[STAGES.index(name)]

    def worker(self, thread: str) -> WorkerView | None:
        i = self.threads.get(thread)
        return self.stages[i].workers.get(thread) if i is not None else None

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        if kind.startswith("barrier."):
            for st in self.stages:
                if st.barrier.apply(rec):
                    break
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, rec)

    def _set(self, thread: str, state: str, ts: float) -> WorkerView | None:
        w = self.worker(thread)
        if w is not None and w.state != state and w.state not in (*_GONE, STOPPED):
            w.state, w.since = state, ts
        return w

    def _workers_changed(self, st: StageView, ts: float) -> None:
        self.metrics.workers(st.index, st.alive, ts)


def _stage_of(v: PipelineView, r: Record) -> StageView | None:
    name = r.get("stage")
    return v.stages[STAGES.index(name)] if name in STAGES else None


def _worker_started(v: PipelineView, r: Record) -> None:
    st = _stage_of(v, r)
    if st is None or r.get("role") != "worker":
        if r.get("role") == "monitor" and v.status == READY:
            v.status = RUNNING
        return
    thread = r["thread"]
    v.threads[thread] = st.index
    w = st.workers.get(thread)
    if w is None:
        st.workers[thread] = WorkerView(thread, st.name, IDLE, r["ts"])
    elif w.state not in (JOINING, WORKING, BLOCKED, AT_BARRIER):  # a restart, placed already
        w.state, w.since = IDLE, r["ts"]
    _trim(v, st)
    v._workers_changed(st, r["ts"])


def _trim(v: PipelineView, st: StageView) -> None:
    """At most a pool's worth of departed workers stay on show (and in memory)."""
    gone = [n for n, w in st.workers.items() if w.state in (LEFT, STOPPED)]
    while len(st.workers) > 12 and gone:
        name = gone.pop(0)
        del st.workers[name]
        v.threads.pop(name, None)


def _register(v: PipelineView, r: Record) -> None:
    if r["joins"] > r["gen"]:
        v._set(r["thread"], JOINING, r["ts"])


def _deregister(v: PipelineView, r: Record) -> None:
    for st in v.stages:
        bv = st.barrier
        if bv.barrier == r["barrier"] and bv.gen == r["gen"]:
            bv.passed += 1  # it does not wait: its arrival stands for its pass


def _item_started(v: PipelineView, r: Record) -> None:
    w = v._set(r["thread"], WORKING, r["ts"])
    if w is not None:
        w.item = r["item"]
    st = _stage_of(v, r)
    if st is not None and st.index and "depth" in r:  # the queue it was taken from, after
        v.queues[st.index - 1].set(r["depth"])
        v.metrics.depth(st.index - 1, r["depth"], r["ts"])


def _item_done(v: PipelineView, r: Record) -> None:
    """A stage's part of an item is done; ``next`` is the item its worker took straight
    after (with ``depth``, the queue it took it from), if any."""
    st = _stage_of(v, r)
    if st is None:
        return
    st.done += 1
    nxt = r.get("next", 0)
    w = v._set(r["thread"], WORKING if nxt else IDLE, r["ts"])
    if w is not None:
        w.item = nxt
        w.done += 1
        if w.slow_left:
            w.slow_left -= 1
    if nxt and st.index and "depth" in r:
        v.queues[st.index - 1].set(r["depth"])
        v.metrics.depth(st.index - 1, r["depth"], r["ts"])
    v.metrics.done(st.index, r.get("busy", 0.0), r["ts"])


def _item_saved(v: PipelineView, r: Record) -> None:
    v.saved += 1
    v.metrics.saved(r.get("latency", 0.0), r["ts"])


def _published(v: PipelineView, r: Record) -> None:
    st = _stage_of(v, r)
    if st is None:
        return
    st.batches += 1
    st.last_batch = r["items"]
    st.passed += r["items"]
    if st.index < len(v.queues):
        v.queues[st.index].set(r["depth"])
        v.metrics.depth(st.index, r["depth"], r["ts"])


def _item_failed(v: PipelineView, r: Record) -> None:
    st = _stage_of(v, r)
    if st is not None:
        st.failed += 1
    w = v.worker(r["thread"])
    if w is not None:
        w.item = 0


def _requeued(v: PipelineView, r: Record) -> None:
    v.requeued += 1


def _dead_lettered(v: PipelineView, r: Record) -> None:
    v.dead += 1
    v.dead_letters.append(
        DeadLetter(r["item"], r["stage"], r["reason"], r["attempts"], r.get("worker", ""), r["ts"])
    )


def _placed(v: PipelineView, r: Record) -> None:
    v.placed += r["count"]
    if v.status == HALTED:
        return
    if v.status == READY and v.placed:
        v.status = RUNNING


def _cancelled(v: PipelineView, r: Record) -> None:
    v.cancelled += r["count"]


def _blocked(v: PipelineView, r: Record) -> None:
    v._set(r["thread"], BLOCKED if r.get("on") == "queue full" else IDLE, r["ts"])


def _arrive(v: PipelineView, r: Record) -> None:
    v._set(r["thread"], AT_BARRIER, r["ts"])


def _left_barrier(v: PipelineView, r: Record) -> None:
    w = v.worker(r["thread"])
    if w is not None and w.state == AT_BARRIER:
        w.state, w.since = IDLE, r["ts"]


def _crashed(v: PipelineView, r: Record) -> None:
    w = v.worker(r["thread"])
    if w is None or w.state == CRASHED:
        return
    w.state, w.since, w.item = CRASHED, r["ts"], 0
    st = v.stages[v.threads[r["thread"]]]
    st.crashes += 1
    v._workers_changed(st, r["ts"])


def _restarting(v: PipelineView, r: Record) -> None:
    w = v.worker(r["worker"])
    if w is not None:
        w.state, w.since = RESTARTING, r["ts"]


def _restarted(v: PipelineView, r: Record) -> None:
    """The restart takes the crashed worker's place (its chip, in the same spot)."""
    v.restarts += 1
    old, new = r.get("replaces", ""), r["worker"]
    i = v.threads.get(old)
    if i is None:
        return
    st = v.stages[i]
    fresh = st.workers.pop(new, None) or WorkerView(new, st.name, JOINING, r["ts"])
    v.threads[new] = i
    v.threads.pop(old, None)
    st.workers = {(new if n == old else n): (fresh if n == old else w) for n, w in st.workers.items()}
    if new not in st.workers:
        st.workers[new] = fresh


def _left(v: PipelineView, r: Record) -> None:
    w = v.worker(r["thread"])
    if w is not None:
        w.state, w.since = LEFT, r["ts"]
        st = v.stages[v.threads[r["thread"]]]
        v._workers_changed(st, r["ts"])


def _stopped(v: PipelineView, r: Record) -> None:
    w = v.worker(r["thread"])
    if w is None:
        v.threads.pop(r["thread"], None)  # replaced already by its restart
        return
    st = v.stages[v.threads[r["thread"]]]
    if w.state == LEFT:
        st.workers.pop(w.name, None)  # it has gone: its place is free
        v.threads.pop(w.name, None)
    elif w.state not in (CRASHED, RESTARTING):
        w.state, w.since = STOPPED, r["ts"]
    v._workers_changed(st, r["ts"])


def _scaled(v: PipelineView, r: Record) -> None:
    st = _stage_of(v, r)
    if st is not None:
        st.target = r["to"]


def _fault(v: PipelineView, r: Record) -> None:
    v.faults += 1
    kind = r["fault"]
    who = r.get("worker", "")
    v.last_fault = f"{kind} ({who})" if who else kind
    if r.get("item"):
        v.last_fault += f", item {r['item']}"
    if kind == "slow":
        w = v.worker(who)
        if w is not None:
            w.slow_left = v.slow_items


def _event(v: PipelineView, r: Record) -> None:
    name = r["event"]
    if name in v.events:
        v.events[name] = r["kind"] == "event.set"


def _event_wait(v: PipelineView, r: Record) -> None:
    if r.get("event") == "error" and r["thread"] == "monitor":
        v.monitor = "waiting on error" if r.get("phase") == "begin" else "deciding"


def _draining(v: PipelineView, r: Record) -> None:
    if v.status in (READY, RUNNING):
        v.status = DRAINING
    v.reason = r.get("reason", "")


def _escalated(v: PipelineView, r: Record) -> None:
    v.reason = r.get("reason", "")


def _shutdown_requested(v: PipelineView, r: Record) -> None:
    v.status = STOPPING
    v.reason = r.get("reason", "") or v.reason


def _shutdown_completed(v: PipelineView, r: Record) -> None:
    v.status = HALTED
    v.monitor = STOPPED
    for q in v.queues:
        q.depth = 0
    for st in v.stages:
        for w in st.workers.values():
            if w.state not in (CRASHED, RESTARTING):
                w.state, w.item = STOPPED, 0


_HANDLERS = {
    "worker.started": _worker_started,
    "phaser.register": _register,
    "phaser.deregister": _deregister,
    "item.started": _item_started,
    **{kind: _item_done for kind in DONE_KINDS},
    "item.saved": _item_saved,
    "item.failed": _item_failed,
    "item.requeued": _requeued,
    "item.dead_lettered": _dead_lettered,
    "item.placed": _placed,
    "item.cancelled": _cancelled,
    "batch.published": _published,
    "worker.blocked": _blocked,
    "barrier.arrive": _arrive,
    "barrier.pass": _left_barrier,
    "barrier.broken": _left_barrier,
    "worker.crashed": _crashed,
    "worker.restarting": _restarting,
    "worker.restarted": _restarted,
    "worker.left": _left,
    "worker.stopped": _stopped,
    "worker.scaled": _scaled,
    "fault.injected": _fault,
    "event.set": _event,
    "event.clear": _event,
    "event.wait": _event_wait,
    "pipeline.draining": _draining,
    "supervisor.escalated": _escalated,
    "shutdown.requested": _shutdown_requested,
    "shutdown.completed": _shutdown_completed,
}

__all__ = [
    "AT_BARRIER",
    "BLOCKED",
    "CRASHED",
    "DRAINING",
    "HALTED",
    "IDLE",
    "JOINING",
    "LEFT",
    "READY",
    "RESTARTING",
    "RUNNING",
    "STOPPED",
    "STOPPING",
    "WINDOW_S",
    "WORKER_STATES",
    "WORKING",
    "DeadLetter",
    "Metrics",
    "PipelineView",
    "QueueView",
    "Series",
    "StageView",
    "WorkerView",
]
