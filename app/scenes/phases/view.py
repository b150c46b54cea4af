"""What the phases window draws, folded from trace records (no Qt, testable alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.barrier_view import BarrierView
from app.scenes.phases.model import (
    AT_BARRIER,
    CRASHED,
    IDLE,
    RESTARTING,
    STOPPED,
    WORKING,
    PhasesConfig,
    expected_aggregate,
    worker_label,
)
from app.trace.recorder import Record

# Cell states: one worker in one phase of the run under way.
PENDING, WORK, WAIT, DONE, BROKE, CRASH = "pending", "working", "waiting", "done", "broken", "crashed"
# The computation's status, as the window shows it.
READY, RUNNING, ALL_DONE, FAILED, STOPPING, STOPPED_ALL = (
    "ready",
    "running",
    "done",
    "failed",
    "stopping",
    "stopped",
)


@dataclass
class Cell:
    state: str = PENDING
    since: float = 0.0  # trace time the state began
    duration: float = 0.0  # simulated seconds of work planned (a straggler's included)
    attempt: int = 0
    slow: bool = False
    index: int | None = None  # arrival index at the phase's barrier (parties - 1 ran the action)
    wait_s: float | None = None  # simulated seconds waited, once the phase completed
    partial: int | None = None  # what this phase added to the worker's partial result


@dataclass
class WorkerView:
    n: int
    thread: str = ""
    state: str = IDLE
    since: float = 0.0
    restarts: int = 0

    @property
    def label(self) -> str:
        return worker_label(self.n)


@dataclass
class PhasesView:
    phases: tuple[str, ...]
    aggregate_index: int
    workers: dict[int, WorkerView]
    expected: int
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    barrier: BarrierView = field(default_factory=BarrierView)
    threads: dict[str, int] = field(default_factory=dict)  # thread name -> worker
    status: str = READY
    run: int = 0
    phase: int = -1  # index of the phase under way (-1 before the first)
    attempt: int = 0
    completed: list[bool] = field(default_factory=list)  # per phase, in the run under way
    placed: int = 0
    served: int = 0
    cancelled: int = 0
    phases_completed: int = 0
    retries: int = 0
    crashes: int = 0
    slowdowns: int = 0
    restarts: int = 0
    waits: list[float] = field(default_factory=list)  # per phase, simulated s, every run
    phase_retries: list[int] = field(default_factory=list)  # per phase, every run
    aggregate: int | None = None
    aggregate_run: int = 0
    aggregate_thread: str = ""  # the thread whose barrier action computed it
    partials: dict[int, int] = field(default_factory=dict)
    aggregations: int = 0
    last_fault: str = ""
    failure: str = ""
    reason: str = ""

    @classmethod
    def for_config(cls, config: PhasesConfig) -> PhasesView:
        n = len(config.phases)
        view = cls(
            config.phase_names,
            config.aggregate_index,
            {w: WorkerView(w) for w in range(1, config.workers + 1)},
            expected_aggregate(config),
            completed=[False] * n,
            waits=[0.0] * n,
            phase_retries=[0] * n,
        )
        view._clear_cells()
        view.barrier.parties = config.workers
        return view

    def totals(self) -> dict[str, int]:
        return {"placed": self.placed, "served": self.served, "cancelled": self.cancelled}

    def cell(self, worker: int, phase: int) -> Cell:
        return self.cells[(worker, phase)]

    def worker_of(self, thread: str) -> WorkerView | None:
        n = self.threads.get(thread)
        return self.workers.get(n) if n is not None else None

    def phase_index(self, name: str) -> int:
        return self.phases.index(name) if name in self.phases else -1

    @property
    def at_barrier(self) -> int:
        return sum(self.cells[(w, self.phase)].state == WAIT for w in self.workers) if self.phase >= 0 else 0

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        if kind.startswith("barrier."):
            self.barrier.apply(rec)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, rec)

    def _clear_cells(self) -> None:
        for w in self.workers:
            for p in range(len(self.phases)):
                self.cells[(w, p)] = Cell()
        self.completed = [False] * len(self.phases)


def _cell(v: PhasesView, r: Record) -> Cell | None:
    p = v.phase_index(r.get("phase", ""))
    w = r.get("worker")
    if p < 0 or w not in v.workers:
        return None
    return v.cells[(w, p)]


def _worker_started(v: PhasesView, r: Record) -> None:
    w = r.get("worker")
    if w in v.workers:
        wv = v.workers[w]
        v.threads[r["thread"]] = w
        wv.thread, wv.state, wv.since = r["thread"], IDLE, r["ts"]


def _placed(v: PhasesView, r: Record) -> None:
    v.placed += r["count"]


def _cancelled(v: PhasesView, r: Record) -> None:
    v.cancelled += r["count"]


def _run_started(v: PhasesView, r: Record) -> None:
    v.run, v.phase, v.attempt, v.status = r["run"], -1, 0, RUNNING
    v._clear_cells()


def _phase_opened(v: PhasesView, r: Record) -> None:
    v.phase, v.attempt = r["index"], r["attempt"]
    v.barrier.expect(r["barrier"], r["parties"])
    for w in v.workers:
        c = v.cells[(w, v.phase)]
        if c.state != PENDING:  # a retry starts the phase over
            v.cells[(w, v.phase)] = Cell(attempt=r["attempt"], since=r["ts"])


def _phase_started(v: PhasesView, r: Record) -> None:
    c = _cell(v, r)
    if c is None:
        return
    c.state, c.since, c.duration, c.attempt, c.slow = WORK, r["ts"], r["duration"], r["attempt"], r["slow"]
    c.wait_s, c.index, c.partial = None, None, None
    wv = v.workers[r["worker"]]
    wv.state, wv.since = WORKING, r["ts"]


def _phase_slowed(v: PhasesView, r: Record) -> None:
    c = _cell(v, r)
    if c is not None:
        c.slow, c.duration = True, r["duration"]


def _phase_done(v: PhasesView, r: Record) -> None:
    c = _cell(v, r)
    if c is not None:
        c.duration, c.partial = r["work_s"], r.get("partial")


def _phase_abandoned(v: PhasesView, r: Record) -> None:
    c = _cell(v, r)
    if c is not None:
        c.state, c.since = BROKE, r["ts"]
    wv = v.workers.get(r["worker"])
    if wv is not None and wv.thread == r["thread"]:
        wv.state, wv.since = IDLE, r["ts"]


def _arrive(v: PhasesView, r: Record) -> None:
    wv = v.worker_of(r["thread"])
    p = v.phase_index(r["barrier"].removeprefix("phase-"))
    if wv is None or p < 0:
        return
    c = v.cells[(wv.n, p)]
    c.state, c.since, c.index = WAIT, r["ts"], r["index"]
    wv.state, wv.since = AT_BARRIER, r["ts"]


def _left_barrier(v: PhasesView, r: Record) -> None:
    wv = v.worker_of(r["thread"])
    if wv is not None and wv.thread == r["thread"] and wv.state == AT_BARRIER:
        wv.state, wv.since = IDLE, r["ts"]


def _phase_completed(v: PhasesView, r: Record) -> None:
    p = r["index"]
    v.phases_completed += 1
    v.completed[p] = True
    v.waits[p] += r["wait_s"]
    for w, wait in r["waits"].items():
        c = v.cells.get((int(w), p))
        if c is not None:
            c.state, c.since, c.wait_s = DONE, r["ts"], wait


def _phase_broken(v: PhasesView, r: Record) -> None:
    p = v.phase_index(r["phase"])
    if p < 0:
        return
    for w in v.workers:
        c = v.cells[(w, p)]
        if c.state in (WORK, WAIT):
            c.state, c.since = BROKE, r["ts"]


def _phase_retried(v: PhasesView, r: Record) -> None:
    v.retries += 1
    p = v.phase_index(r["phase"])
    if p >= 0:
        v.phase_retries[p] += 1


def _aggregate(v: PhasesView, r: Record) -> None:
    v.aggregate, v.aggregate_run, v.aggregate_thread = r["value"], r["run"], r["thread"]
    v.partials = {int(w): value for w, value in r["partials"].items()}
    v.aggregations += 1


def _run_completed(v: PhasesView, r: Record) -> None:
    v.served += 1


def _run_failed(v: PhasesView, r: Record) -> None:
    v.status, v.failure = FAILED, r["reason"]


def _crashed(v: PhasesView, r: Record) -> None:
    w = r.get("worker")
    if w not in v.workers:
        return
    v.crashes += 1
    wv = v.workers[w]
    wv.state, wv.since = CRASHED, r["ts"]
    c = _cell(v, r)
    if c is not None:
        c.state, c.since = CRASH, r["ts"]


def _restarting(v: PhasesView, r: Record) -> None:
    wv = v.workers.get(r["worker"])
    if wv is not None:
        wv.state, wv.since = RESTARTING, r["ts"]


def _restarted(v: PhasesView, r: Record) -> None:
    v.restarts += 1
    wv = v.workers.get(r["worker"])
    if wv is not None:
        wv.restarts += 1


def _fault(v: PhasesView, r: Record) -> None:
    if r["fault"] == "slow":
        v.slowdowns += 1
    v.last_fault = f"{r['fault']} ({worker_label(r['worker'])}, {r['phase']} of run {r['run']})"


def _stopped(v: PhasesView, r: Record) -> None:
    wv = v.worker_of(r["thread"])
    if wv is not None and wv.thread == r["thread"] and wv.state not in (CRASHED, RESTARTING):
        wv.state, wv.since = STOPPED, r["ts"]


def _shutdown_requested(v: PhasesView, r: Record) -> None:
    if v.status not in (ALL_DONE, FAILED):
        v.status = STOPPING
    v.reason = r.get("reason", "")


def _shutdown_completed(v: PhasesView, r: Record) -> None:
    if v.status != FAILED:
        v.status = ALL_DONE if v.placed and v.served == v.placed else STOPPED_ALL
    for wv in v.workers.values():
        wv.state = STOPPED
    for c in v.cells.values():
        if c.state in (WORK, WAIT):
            c.state, c.since = BROKE, r["ts"]


_HANDLERS = {
    "worker.started": _worker_started,
    "run.placed": _placed,
    "run.cancelled": _cancelled,
    "run.started": _run_started,
    "phase.opened": _phase_opened,
    "phase.started": _phase_started,
    "phase.slowed": _phase_slowed,
    "phase.done": _phase_done,
    "phase.abandoned": _phase_abandoned,
    "barrier.arrive": _arrive,
    "barrier.pass": _left_barrier,
    "barrier.broken": _left_barrier,
    "phase.completed": _phase_completed,
    "phase.broken": _phase_broken,
    "phase.retried": _phase_retried,
    "aggregate.computed": _aggregate,
    "run.completed": _run_completed,
    "run.failed": _run_failed,
    "worker.crashed": _crashed,
    "worker.restarting": _restarting,
    "worker.restarted": _restarted,
    "fault.injected": _fault,
    "worker.stopped": _stopped,
    "shutdown.requested": _shutdown_requested,
    "shutdown.completed": _shutdown_completed,
}


__all__ = [
    "ALL_DONE",
    "BROKE",
    "CRASH",
    "DONE",
    "FAILED",
    "PENDING",
    "READY",
    "RUNNING",
    "STOPPED_ALL",
    "STOPPING",
    "WAIT",
    "WORK",
    "Cell",
    "PhasesView",
    "WorkerView",
]
