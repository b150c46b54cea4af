"""The data pipeline: Load → Transform → Save, each stage a pool of worker threads, bounded
queues between them, and a batch barrier per stage.

An item is loaded from the source, transformed and saved. A stage's workers take items from
its input into the stage's current *batch*; when the batch is full (or nothing more can come,
or the next queue has no room left) its workers meet at the stage's batch barrier, a
``Phaser``, and the barrier's action, run by the last worker to arrive, publishes the batch:
into the next stage's queue, or, for Save, commits it (only then is an item saved).

Back-pressure: a worker takes an item only if the next queue has room for it, counting the
room its stage's batch has already claimed there (``reserved``). So publishing never waits,
and a full queue stops the stage before it, visibly.

Exactly once: at every moment an item is in exactly one place: the source (a count, made
into an item only when loaded), a stage's retry lane, the queue into a stage, a stage's
batch, or the monitor's inbox; it leaves the pipeline once, saved, dead-lettered, or
cancelled with a reason.

Events: ``error`` (a worker that fails an item hands it to the monitor and sets it; the
monitor retries the item, dead-letters it after ``max_attempts``, restarts a crashed worker
within the restart budget, or stops the pipeline when the budget is spent), ``shutdown``
(the clock's) and ``drained`` (set while everything fed has ended).

Scaling: a stage's pool grows and shrinks while it runs. A new worker registers with the
stage's phaser and joins at the next batch; a leaving one arrives for the batch under way and
deregisters, so a batch's party count never changes while it is under way.

Faults, drawn per item from the seed (or asked for on demand): ``crash`` (the worker raises
mid-item; the item goes back to its stage and the worker is restarted after a backoff),
``poison`` (the item fails every attempt and ends in the dead-letter list), ``slow`` (the
worker takes ``slow_x`` times as long for its next ``slow_items`` items).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import Counter, deque

from app.engine.budget import RestartBudget
from app.engine.clock import ShutdownRequested, SimClock
from app.engine.faults import round_rng
from app.engine.simulation import Simulation
from app.engine.workers import WorkerHost
from app.scenes.pipeline.config import (
    DEAD_LETTERS_KEPT,
    DEFAULT_RESTART,
    DONE_KINDS,
    FAULT_KINDS,
    MAX_ITEMS,
    MAX_WORKERS,
    MIN_WORKERS,
    STAGES,
    PipelineConfig,
    ScaleStep,
    parse_workers,
    queue_name,
)
from app.scenes.pipeline.metrics import Level, LogHistogram
from app.scenes.pipeline.parts import Batch, Buffer, Item, Stage, WorkerSlot
from app.sync import BrokenBarrierError, Event, Phaser, control
from app.trace.recorder import TraceRecorder


class _Crash(Exception):
    """The injected fault: a worker's code raises mid-item."""


class Pipeline(Simulation):
    scenario = "pipeline"
    end_reason = "run complete"

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or PipelineConfig()
        # One lock for items, queues and batches (the stages' conditions share it). Lock
        # order: a phaser's lock, then this one (the batch action publishes under both);
        # never a phaser call while holding it. In controlled mode it is the scheduler's: an
        # event is set under it (error, drained), a scheduling point.
        self._plock = control.lock(self.recorder, "lock:pipeline")
        #: The metrics clock (latency, busy time, levels): wall time in a free run, simulated
        #: time in a controlled one, where a wall reading would make the trace unrepeatable.
        self._perf = time.perf_counter if self.scheduler is None else self.clock.now
        now = self._perf()
        queues = [Buffer(self.config.queue_capacity, now) for _ in STAGES[1:]]
        self.stages = [
            Stage(
                i,
                control.condition(self._plock, self.recorder, f"cond:{STAGES[i]}"),
                queues[i - 1] if i else None,
                queues[i] if i < len(queues) else None,
            )
            for i in range(len(STAGES))
        ]
        for st, n in zip(self.stages, self.config.workers, strict=True):
            st.target = st.peak_target = n
            st.pool = Level(now)
            st.phaser = Phaser(
                n, action=lambda st=st: self._publish(st), name=f"{st.name}-batch", recorder=self.recorder
            )
        self._emit = self.recorder.emit  # the hot path: literal dicts, the cheapest way in
        self.error = Event(name="error", recorder=self.recorder)
        self.drained = Event(name="drained", recorder=self.recorder)
        self._batch_size = self.config.batch_size
        #: Room in a queue that wakes a worker of the stage before it (see _take_locked).
        self._room_wake = max(min(self.config.batch_size, self.config.queue_capacity) // 2, 1)
        self._source = 0  # items fed and not loaded yet: a count, not objects
        self._next_id = 1
        self._at = [0] * len(STAGES)  # items belonging to each stage (stage 0: the source too)
        self._failures: list[tuple[Item, int, str, str]] = []  # the monitor's inbox
        self._intake_open = True
        self._draining = False
        self._drain_done = False
        self._accounts_closed = False
        self._poison_next = 0  # poison asked for on demand: the next items loaded
        self.placed = 0
        self.saved = 0
        self.dead_lettered = 0
        self.cancelled = 0
        self.requeued = 0
        self.cancel_reasons: Counter[str] = Counter()
        self.dead_reasons: Counter[str] = Counter()
        self.dead_letters: deque[dict[str, object]] = deque(maxlen=DEAD_LETTERS_KEPT)
        self.latency = LogHistogram()
        self.faults: Counter[str] = Counter()
        self.scale_events: deque[dict[str, object]] = deque(maxlen=50)
        self.scale_count = 0
        self.violations: list[str] = []
        self.escalated = ""
        self.started = False
        self._t_start = now
        self._t_end: float | None = None
        self._budget = RestartBudget(self.config.restart)
        self._demand_rng = round_rng(self.config.seed, "demand")
        # Restarts waiting for their backoff: (due, seq, stage, the crashed worker).
        self._agenda: list[tuple[float, int, int, str]] = []
        self._agenda_seq = itertools.count()
        self._steps: deque[ScaleStep] = deque(sorted(self.config.scale, key=lambda s: s.at_s))
        # Set on shutdown: a slow item at "max" waits on it in wall time (untraced).
        self._stop_wall = control.flag(self.recorder, "stop_wall")
        # The pause gate's plain flag, read between items (the traced Event's is_set is a
        # call more; a read records nothing either way).
        self._running = self.clock.pause_gate._event.is_set

    # -- public controls (any thread) -------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            self._t_start = self._perf()
            for st in self.stages:
                st.pool = Level(self._t_start)
                for _ in range(st.target):
                    self._spawn_worker(st, joining=False)
            self.spawn("monitor", self._monitor, role="monitor")
        self.feed(self.config.items)

    def feed(self, units: int = 1) -> None:
        """Ask for ``units`` more items. They wait in the source as a count and are made into
        items as Load takes them; once the intake is closed they are cancelled at once."""
        if units <= 0:
            return
        with self._plock:
            self.placed += units
            self.recorder.record("item.placed", count=units, total=self.placed)
            if not self._intake_open or self.shutting_down:
                reason = "not accepted: " + (self.shutdown_reason or "graceful shutdown")
                self._cancel_count_locked(units, reason, "source")
                return
            self._source += units
            self._at[0] += units
            if self.drained.is_set():
                self.drained.clear()
            self._notify_locked(self.stages[0])

    def scale(self, stage: str, workers: int, source: str = "window") -> int:
        """Ask for ``workers`` workers in ``stage``; returns the count asked for. New workers
        join at the stage's next batch; leaving ones sign off at the batch under way."""
        if stage not in STAGES:
            raise ValueError(f"no stage named {stage!r} (known: {', '.join(STAGES)})")
        if not MIN_WORKERS <= workers <= MAX_WORKERS:
            raise ValueError(f"a stage has {MIN_WORKERS} to {MAX_WORKERS} workers, got {workers}")
        st = self.stages[STAGES.index(stage)]
        with self._lock:
            if self.shutting_down:
                raise ValueError("the pipeline has stopped")
            if not self.started:  # nobody uses the phaser yet: it starts with the new count
                st.target = st.peak_target = workers
                st.phaser = Phaser(
                    workers, action=lambda: self._publish(st), name=st.phaser.name, recorder=self.recorder
                )
                return workers
            with self._plock:
                before = st.target
                if workers == before:
                    return workers
                st.target = workers
                st.peak_target = max(st.peak_target, workers)
                self.scale_count += 1
                at_s = round(self.clock.now(), 3) if self.started else 0.0
                self.scale_events.append({"stage": stage, "from": before, "to": workers, "source": source})
                self.recorder.record(
                    "worker.scaled", stage=stage, to=workers, source=source, at_s=at_s, **{"from": before}
                )
                new = workers - before
                if new < 0:
                    # Crashed workers not restarted yet are the first to go; then living ones.
                    spared = min(-new, st.restarts_pending)
                    st.restarts_pending -= spared
                    st.leave_pending += -new - spared
                    self._notify_locked(st)
                    new = 0
                else:
                    kept = min(new, st.leave_pending)
                    st.leave_pending -= kept
                    new -= kept
            for _ in range(new):
                self._spawn_worker(st, joining=True)
        return workers

    def shutdown_gracefully(self, reason: str = "graceful shutdown") -> None:
        """Stop accepting (items not loaded yet are cancelled), drain every queue and batch,
        then stop. Returns at once; ``drained`` is set and the workers stop when it is done."""
        with self._plock:
            if self._draining or self.shutting_down:
                return
            self._draining = True
            self._intake_open = False
            left = self._source
            self.recorder.record("pipeline.draining", reason=reason, in_flight=self._open_locked() - left)
            if left:
                self._source = 0
                self._at[0] -= left
                self._cancel_count_locked(left, f"not loaded: {reason}", "source")
            done = self._check_drained_locked()
            self._notify_all_locked()
        if done:
            self._finish_drain()

    def inject(self, kind: str, target: str | None = None) -> str:
        """Ask for a fault now; returns what it hits.

        ``crash`` hits a worker (a worker's name, a stage's, or any) mid-item if it is
        working, else on its next item; ``slow`` makes a worker slow for its next items;
        ``poison`` makes the next item loaded a poison one.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._plock:
            if self.shutting_down:
                raise ValueError("the pipeline has stopped")
            if kind == "poison":
                if not self._intake_open:
                    raise ValueError("the pipeline loads no more items")
                self._poison_next += 1
                return "the next item loaded"
            slot = self._pick_worker_locked(target, kind)
            if kind == "crash":
                if slot.pending:
                    raise ValueError(f"{slot.name} already has a crash on the way")
                slot.pending = "crash"
                return slot.name
            slot.slow_left = self.config.slow_items
            self.faults["slow"] += 1
            self.recorder.record(
                "fault.injected", fault="slow", stage=STAGES[slot.stage], worker=slot.name, source="demand"
            )
            return slot.name

    def _pick_worker_locked(self, target: str | None, kind: str) -> WorkerSlot:
        slots = [s for st in self.stages for s in st.slots.values() if s.alive]
        if target in STAGES:
            slots = [s for s in slots if STAGES[s.stage] == target]
        elif target is not None:
            slots = [s for s in slots if s.name == target]
            if not slots:
                raise ValueError(f"no worker named {target!r} is running")
        if not slots:
            raise ValueError(f"no {target} worker is running" if target else "no worker is running")
        if target is None or target in STAGES:
            busy = [s for s in slots if s.busy] or slots  # a crash is most telling mid-item
            return busy[int(self._demand_rng.random() * len(busy))]
        return slots[0]

    def finished(self) -> bool:
        """True once every item fed has ended, or the pipeline is stopping."""
        if self.shutting_down:
            return True
        with self._plock:
            return self.started and self._open_locked() == 0

    @property
    def restarts(self) -> int:
        return self._budget.total

    @property
    def draining(self) -> bool:
        return self._draining

    def queue_depths(self) -> list[int]:
        with self._plock:
            return [len(st.inbox.items) for st in self.stages if st.inbox is not None]

    # -- the worker role ----------------------------------------------------------------------
    def _spawn_worker(self, st: Stage, joining: bool, base: str = "") -> str:
        """Start a worker for ``st`` (a restart: in the place called ``base``, named
        ``base#2``, ``base#3``...); returns its name. Call with ``self._lock`` held, never
        ``_plock``."""
        name = self.unique_name(base or f"{st.name}-{next(st.numbers)}")
        slot = WorkerSlot(name, st.index)
        with self._plock:
            st.slots[name] = slot
            st.pool.set(len(st.slots), self._perf())
        try:
            self.spawn_named(name, lambda: self._worker(st, slot, joining), stage=st.name, role="worker")
        except ShutdownRequested:
            with self._plock:
                st.slots.pop(name, None)
            raise
        return name

    def _worker(self, st: Stage, w: WorkerSlot, joining: bool) -> None:
        phaser = st.phaser
        try:
            if joining:
                joins = phaser.register()
                if phaser.phase < joins:
                    phaser.await_advance(joins - 1)  # the batch under way goes on without it
            self.clock.check()
            while True:
                got = self._claim(st, w)
                if got is _LEAVE:
                    self._leave(st, w)
                    return
                if not isinstance(got, Item):  # the batch is complete: meet the others
                    phaser.arrive_and_await()
                    if self._drain_done:
                        self._finish_drain()
                    continue
                self._started(st, w, got)
                self._items(st, w, got)
        except _Crash as exc:
            self._crashed(st, w, exc)
        except BrokenBarrierError:
            self.clock.check()  # aborted for the shutdown: leave quietly
            raise
        finally:
            with self._plock:
                w.alive = False
                st.done += w.done
                st.busy_s += w.busy_s
                w.done, w.busy_s = 0, 0.0
                if st.slots.pop(w.name, None) is not None:
                    st.pool.set(len(st.slots), self._perf())

    def _claim(self, st: Stage, w: WorkerSlot) -> Item | object | None:
        """The next item of the stage's batch for ``w``; None when the batch is complete
        (go to the barrier); ``_LEAVE`` when ``w`` is to leave the pool. Blocks while there
        is nothing to take, or no room for it downstream."""
        cv = st.cv
        gate = self.clock.pause_gate  # is_set() records nothing
        stop = self.clock.shutdown
        out = st.outbox
        blocked_on = ""
        while True:
            with cv:
                while True:
                    if stop.is_set():
                        raise ShutdownRequested
                    if st.leave_pending:
                        st.leave_pending -= 1
                        return _LEAVE
                    b = st.batch
                    if b.closing:
                        return None
                    paused = not gate.is_set()
                    room = out is None or out.capacity - len(out.items) - out.reserved > 0
                    if not paused and room and b.taken < self._batch_size:
                        item = self._take_locked(st)
                        if item is not None:
                            if st.inbox is not None:
                                w.depth = len(st.inbox.items)
                            b.taken += 1
                            b.items.add(item)
                            if out is not None:
                                out.reserved += 1
                            w.busy = True
                            return item
                        if b.taken and not self._upstream_locked(st.index):
                            b.closing = True  # nothing more can come: publish what we have
                            self._notify_locked(st)
                            return None
                        why = "input"
                    elif b.taken and (paused or b.taken >= self._batch_size or not (out and out.items)):
                        # Full, or paused; or the next queue's room is all this batch's
                        # own: publish, and the next stage can take from it.
                        b.closing = True
                        self._notify_locked(st)
                        return None
                    elif paused:
                        break
                    else:
                        why = "room"  # the next stage takes what is published, room comes
                    if why != blocked_on:
                        blocked_on = why
                        self.recorder.record(
                            "worker.blocked",
                            stage=st.name,
                            worker=w.name,
                            on="queue full" if why == "room" else "no input",
                        )
                    st.waiters += 1
                    cv.wait()
                    st.waiters -= 1
            self.recorder.record("worker.blocked", stage=st.name, worker=w.name, on="paused")
            self.clock.wait_gate()  # paused: nothing new starts until resumed
            blocked_on = ""

    def _take_locked(self, st: Stage) -> Item | None:
        if st.retry:
            return st.retry.popleft()
        inbox = st.inbox
        if inbox is not None:
            if not inbox.items:
                return None
            item = inbox.items.popleft()
            inbox.level.set(len(inbox.items), self._perf())  # for the mean depth
            up = self.stages[st.index - 1]
            if up.waiters and inbox.capacity - len(inbox.items) - inbox.reserved >= self._room_wake:
                # Room came free. Wake one worker of the stage before once there is room
                # for a good part of a batch, not for every single place (that would wake
                # it, let it take one item and block again, item after item). A stage's
                # waiters all wait on the same state: whoever wakes can go on if any can.
                up.cv.notify()
            return item
        if not self._source or not self._intake_open:
            return None
        self._source -= 1
        item_id = self._next_id
        self._next_id += 1
        fault, where = "", 0
        if self._poison_next:
            self._poison_next -= 1
            fault, where = "poison", 1
        elif self.config.faults.rates:
            drawn = self.config.faults.draw(round_rng(self.config.seed, item_id), list(STAGES))
            if drawn is not None:
                fault, where = drawn.kind, STAGES.index(drawn.target)
        item = Item(item_id, fault, where)
        item.t0 = self._perf()
        return item

    def _upstream_locked(self, index: int) -> int:
        """Items that may still reach stage ``index`` from before it."""
        return sum(self._at[:index])

    def _started(self, st: Stage, w: WorkerSlot, item: Item) -> None:
        """``w`` starts working after a pause in its work (a start, a barrier, a wait).
        Items it takes back to back are not announced again: each one's done record names
        the next (``next``), so a stage's part of an item costs one record."""
        fields: dict[str, object] = {
            "item": item.id,
            "stage": st.name,
            "worker": w.name,
            "attempt": item.attempts + 1,
        }
        if w.depth >= 0:
            fields["depth"] = w.depth
        self.recorder.record("item.started", **fields)

    def _items(self, st: Stage, w: WorkerSlot, item: Item) -> None:
        """Work on ``item``, then on every item ``w`` can take at once after it: the hot
        loop of a run at "max" (every lookup it can, made once)."""
        lock = self._plock  # the stage's condition wraps it; taken plainly here, no waiting
        out = st.outbox
        batch_size = self._batch_size
        running = self._running
        stopping = self._stop_wall.is_set
        take = self._take_locked
        emit = self._emit
        perf = self._perf
        clock = self.clock
        timeless = clock.timeless
        kind, stage, name = DONE_KINDS[st.index], st.name, w.name
        while True:
            t0 = perf()
            # No fault, nothing asked for, no time to spend: the straight line; else the long way.
            if (item.fault or w.pending or w.slow_left or not timeless) and not self._do(
                st, w, item, item.attempts + 1
            ):
                return  # it failed: the monitor has it
            busy = perf() - t0
            # No lock: the batch cannot be published (nor replaced) before this worker
            # arrives at the barrier; the phaser's lock orders these writes before the action.
            b = st.batch
            item.worker = name
            b.done.append(item)
            w.done += 1
            w.busy_s += busy
            # The next item, if it can be taken at once; else _claim decides (block, close
            # the batch, leave, pause).
            nxt = None
            with lock:
                if not (
                    b.closing
                    or st.leave_pending
                    or b.taken >= batch_size
                    or (out is not None and out.capacity - len(out.items) - out.reserved <= 0)
                    or not running()
                    or stopping()
                ):
                    nxt = take(st)
                    if nxt is not None:
                        b.taken += 1
                        b.items.add(nxt)
                        if out is not None:
                            out.reserved += 1
                        if st.inbox is not None:
                            w.depth = len(st.inbox.items)
                        w.busy = True
            rec = {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": kind,
                "item": item.id,
                "stage": stage,
                "worker": name,
                "busy": busy,
            }
            if nxt is None:
                w.busy = False
                emit(rec)
                return
            rec["next"] = nxt.id
            if w.depth >= 0:
                rec["depth"] = w.depth
            emit(rec)
            item = nxt

    def _do(self, st: Stage, w: WorkerSlot, item: Item, attempt: int) -> bool:
        """Spend the item's work time and carry out its faults; False when it failed (it is
        then the monitor's); raises ``_Crash`` when the worker crashes."""
        kind, source = "", "plan"
        if item.fault and item.fault_stage == st.index and (item.fault == "poison" or attempt == 1):
            kind = item.fault
        if w.pending:
            demanded = self._take_pending(w)
            if demanded:
                kind, source = demanded, "demand"
        if kind == "slow":
            w.slow_left = self.config.slow_items
            self._count_fault("slow", st, w, item, source)
            kind = ""
        if kind == "crash":
            self._count_fault("crash", st, w, item, source)
            self._work(st, w, item, attempt, 0.5, interruptible=False)
            self._fail(st, w, item, "crash")
            raise _Crash(f"{w.name} crashed on item {item.id}")
        if not self._work(st, w, item, attempt, 1.0, interruptible=True):
            self._count_fault("crash", st, w, item, "demand")
            self._fail(st, w, item, "crash")
            raise _Crash(f"{w.name} crashed on item {item.id}")
        if kind == "poison":
            if item.attempts == 0:
                self._count_fault("poison", st, w, item, source)
            self._fail(st, w, item, "poison")
            return False
        return True

    def _work(
        self, st: Stage, w: WorkerSlot, item: Item, attempt: int, share: float, interruptible: bool
    ) -> bool:
        """Spend the item's work time (``share`` of it); False if a crash asked for on
        demand cut it short. Slow workers take ``slow_x`` times as long."""
        slow = w.slow_left > 0
        if slow:
            w.slow_left -= 1
        if self.clock.timeless:
            if slow and self._stop_wall.wait(self.config.max_speed_slow_s * share):
                raise ShutdownRequested  # at "max" a slow worker is slow in wall time
            return not (interruptible and w.pending and self._take_pending(w))
        lo, hi = self.config.work_s[st.index]
        duration = round_rng(self.config.seed, item.id, st.index, attempt).uniform(lo, hi) * share
        if slow:
            duration *= self.config.slow_x
        check = (lambda: bool(w.pending)) if interruptible else None
        if self.clock.sleep(duration, check):
            return True
        return not self._take_pending(w)

    def _take_pending(self, w: WorkerSlot) -> str:
        """A fault asked for on demand, taken under the lock ``inject`` sets it under."""
        with self._plock:
            kind, w.pending = w.pending, ""
            return kind

    def _count_fault(self, kind: str, st: Stage, w: WorkerSlot, item: Item, source: str) -> None:
        with self._plock:
            self.faults[kind] += 1
        self.recorder.record(
            "fault.injected", fault=kind, stage=st.name, worker=w.name, item=item.id, source=source
        )

    def _fail(self, st: Stage, w: WorkerSlot, item: Item, cause: str) -> None:
        """``item`` failed in ``w``: out of the batch, into the monitor's inbox."""
        with self._plock:
            w.busy = False
            st.batch.items.discard(item)
            if st.outbox is not None:
                st.outbox.reserved -= 1
            item.attempts += 1
            item.worker = w.name
            st.failed += 1
            self._failures.append((item, st.index, w.name, cause))
            self.recorder.record(
                "item.failed", item=item.id, stage=st.name, worker=w.name, attempt=item.attempts, cause=cause
            )
            self.error.set()  # set under the lock the monitor clears it under: never missed
            self._notify_locked(st)  # a lingering batch may now be complete

    def _crashed(self, st: Stage, w: WorkerSlot, exc: Exception) -> None:
        with self._plock:
            st.crashes += 1
            w.alive = False
        self.recorder.record("worker.crashed", stage=st.name, worker=w.name, error=str(exc))
        # Its arrival counts for the batch under way (whatever it finished is published with
        # it); it is not a party of the next one. Its restart joins later, by register().
        self._sign_off(st)

    def _leave(self, st: Stage, w: WorkerSlot) -> None:
        self.recorder.record("worker.left", stage=st.name, worker=w.name)
        self._sign_off(st)

    def _sign_off(self, st: Stage) -> None:
        try:
            st.phaser.arrive_and_deregister()
        except BrokenBarrierError:
            self.clock.check()  # aborted for the shutdown: nothing left to sign off from
            raise
        if self._drain_done:
            self._finish_drain()

    # -- the batch barrier's action -------------------------------------------------------------
    def _publish(self, st: Stage) -> None:
        """Run by the last worker to arrive at ``st``'s batch barrier, before anyone is
        released: hand the batch to the next queue (its room was reserved), or commit it."""
        now = self._perf()
        rec = self.recorder.record
        with self._plock:
            b = st.batch
            done = b.done
            n = len(done)
            st.batch = Batch(b.number + 1)
            st.batches += 1
            if self._accounts_closed:
                self.violations.append(f"{st.name} batch {b.number} published after the run was closed")
                return
            if len(b.items) != n:
                self.violations.append(f"{st.name} batch {b.number}: {len(b.items) - n} items not done")
            i = st.index
            out = st.outbox
            self._at[i] -= n
            if out is not None:
                out.reserved -= n
                out.items.extend(done)
                out.level.set(len(out.items), now)
                self._at[i + 1] += n
                rec("batch.published", stage=st.name, batch=b.number, items=n, to=STAGES[i + 1],
                    depth=len(out.items))  # fmt: skip
                nxt = self.stages[i + 1]
                if nxt.waiters:
                    nxt.cv.notify_all()  # input for it (and less upstream of it: nothing
                    # upstream of the stages after it changed)
            else:
                self.saved += n
                latency = self.latency
                emit = self._emit
                for item in done:
                    wait = now - item.t0
                    latency.add(wait)
                    emit(
                        {
                            "seq": 0,
                            "ts": 0.0,
                            "sim": 0.0,
                            "thread": "",
                            "kind": "item.saved",
                            "item": item.id,
                            "stage": "save",
                            "worker": item.worker,
                            "latency": wait,
                            "batch": b.number,
                        }
                    )
                rec("batch.published", stage=st.name, batch=b.number, items=n, to="store", depth=0)
                self._check_drained_locked()

    # -- the monitor: retries, dead letters, restarts, scheduled scaling -----------------------
    def _monitor(self) -> None:
        while True:
            with self._plock:
                if self.shutting_down:
                    return
                failures, self._failures = self._failures, []
                if self.error.is_set() and not self._failures:
                    self.error.clear()  # under the lock workers set it under: nothing slips past
            for failure in failures:
                self._decide(*failure)
            if self._drain_done:
                self._finish_drain()
            timeout = self._run_agenda()
            if self.shutting_down:
                return
            self.error.wait(timeout)

    def _decide(self, item: Item, index: int, worker: str, cause: str) -> None:
        """Retry ``item`` at its stage, or dead-letter it; restart a crashed worker."""
        st = self.stages[index]
        with self._plock:
            if self._accounts_closed or self.shutting_down:
                self._failures.append((item, index, worker, cause))  # _after_stop cancels it
                return
            if item.attempts >= self.config.max_attempts:
                if cause == "poison":
                    reason = f"poison: failed all {item.attempts} attempts at {st.name}"
                else:
                    reason = f"crashed a {st.name} worker {item.attempts} times"
                self.dead_lettered += 1
                self._at[index] -= 1
                self.dead_reasons[cause] += 1
                self.dead_letters.append(
                    {"item": item.id, "stage": st.name, "reason": reason, "attempts": item.attempts}
                )
                self.recorder.record(
                    "item.dead_lettered",
                    item=item.id,
                    stage=st.name,
                    worker=worker,
                    reason=reason,
                    attempts=item.attempts,
                )
                self._check_drained_locked()
                self._notify_all_locked()
            else:
                st.retry.append(item)
                self.requeued += 1
                self.recorder.record(
                    "item.requeued",
                    item=item.id,
                    stage=st.name,
                    worker=worker,
                    attempt=item.attempts + 1,
                    cause=cause,
                )
                self._notify_locked(st)
        if cause == "crash":
            self._restart_later(st, worker)

    def _restart_later(self, st: Stage, worker: str) -> None:
        with self._lock:
            if self.shutting_down:
                return
            if not self._budget.allow(self.clock.now()):
                self.escalated = f"restart budget exhausted ({self._budget.describe()})"
                self.recorder.record("supervisor.escalated", reason=self.escalated)
                self.request_shutdown(self.escalated)
                return
            backoff = self._budget.backoff()
            with self._plock:
                st.restarts_pending += 1
            self.recorder.record(
                "worker.restarting",
                stage=st.name,
                worker=worker,
                backoff_s=backoff,
                wall_s=self.clock.to_wall(backoff),
            )
            due = self.clock.wall() + self.clock.to_wall(backoff)
            heapq.heappush(self._agenda, (due, next(self._agenda_seq), st.index, worker))

    def _run_agenda(self) -> float | None:
        """Carry out the scale steps and restarts that are due; returns wall seconds until
        the next one (None: nothing to wait for)."""
        while True:
            with self._lock:
                if self.shutting_down:
                    return None
                waits = []
                if self._steps:
                    step = self._steps[0]
                    left = self.clock.to_wall(step.at_s - self.clock.now())
                    if left <= 0:
                        self._steps.popleft()
                        self.scale(step.stage, step.workers, source="scenario")
                        continue
                    waits.append(left)
                if self._agenda:
                    due, _, index, old = self._agenda[0]
                    now = self.clock.wall()
                    if due <= now:
                        heapq.heappop(self._agenda)
                        self._restart(self.stages[index], old)
                        continue
                    waits.append(due - now)
                return min(waits) if waits else None

    def _restart(self, st: Stage, old: str) -> None:
        with self._plock:
            if not st.restarts_pending:
                return  # a scale-down took its place
            st.restarts_pending -= 1
        name = self._spawn_worker(st, joining=True, base=old.partition("#")[0])
        self.recorder.record("worker.restarted", stage=st.name, worker=name, replaces=old)

    # -- bookkeeping ----------------------------------------------------------------------------
    def _open_locked(self) -> int:
        return self.placed - self.saved - self.dead_lettered - self.cancelled

    def _check_drained_locked(self) -> bool:
        """Set ``drained`` when everything fed has ended; True when a graceful shutdown may finish."""
        if self._open_locked() == 0:
            if not self.drained.is_set():
                self.drained.set()
            if self._draining and not self._drain_done:
                self._drain_done = True
                return True
        return False

    def _finish_drain(self) -> None:
        """Every queue has drained after a graceful shutdown: stop (never from inside a
        batch action, where aborting the phasers would deadlock)."""
        self.request_shutdown("graceful shutdown: drained")

    def _notify_locked(self, st: Stage) -> None:
        if st.waiters:
            st.cv.notify_all()

    def _notify_all_locked(self) -> None:
        for st in self.stages:
            if st.waiters:
                st.cv.notify_all()

    def _cancel_count_locked(self, n: int, reason: str, stage: str, items: list[int] | None = None) -> None:
        if n <= 0:
            return
        self.cancelled += n
        self.cancel_reasons[reason] += n
        fields: dict[str, object] = {"count": n, "reason": reason, "stage": stage}
        if items:
            fields["items"] = items
        self.recorder.record("item.cancelled", **fields)

    # -- shutdown -------------------------------------------------------------------------------
    def _wake_all_locked(self) -> None:
        with self._plock:
            self._intake_open = False
            self._notify_all_locked()
        self._stop_wall.set()
        self.error.set()  # the monitor waits on it; it sees the shutdown and leaves

    def _wake_all_unlocked(self) -> None:
        for st in self.stages:
            st.phaser.abort()  # workers at a batch barrier, or waiting to join one, leave

    def _after_stop(self) -> None:
        reason = self.shutdown_reason or "shutdown"
        with self._plock:
            self._accounts_closed = True
            self._t_end = self._perf()
            for st in self.stages:
                # In its batch (working, or done and not published), then waiting to be taken.
                lanes = [("batch", list(st.batch.items)), ("retry", list(st.retry))]
                if st.inbox is not None:
                    lanes.append(("queue", list(st.inbox.items)))
                    st.inbox.items.clear()
                    st.inbox.reserved = 0
                    st.inbox.level.set(0, self._t_end)
                st.batch.items.clear()
                st.batch.done.clear()
                st.retry.clear()
                for where, items in lanes:
                    self._cancel_items_locked(st.index, items, f"{reason} ({where})")
            by_stage: dict[int, list[Item]] = {}
            for item, index, _, _ in self._failures:
                by_stage.setdefault(index, []).append(item)
            self._failures.clear()
            for index, items in by_stage.items():
                self._cancel_items_locked(index, items, f"{reason} (awaiting retry)")
            left, self._source = self._source, 0
            self._at[0] -= left
            self._cancel_count_locked(left, f"not loaded: {reason}", "source")

    def _cancel_items_locked(self, index: int, items: list[Item], reason: str) -> None:
        if items:
            self._at[index] -= len(items)
            self._cancel_count_locked(len(items), reason, STAGES[index], sorted(i.id for i in items))

    # -- reporting ------------------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        with self._plock:
            now = self._t_end or self._perf()
            elapsed = max(now - self._t_start, 1e-9) if self.started else 0.0
            stages = {}
            for st in self.stages:
                worker_s = st.pool.area(now)
                done = st.done + sum(w.done for w in st.slots.values())
                busy_s = st.busy_s + sum(w.busy_s for w in st.slots.values())
                stages[st.name] = {
                    "workers": st.target,
                    "workers_peak": st.peak_target,
                    "done": done,
                    "failed": st.failed,
                    "crashes": st.crashes,
                    "batches": st.batches,
                    "items_per_s": round(done / elapsed, 1) if elapsed else 0.0,
                    "utilisation": round(busy_s / worker_s, 3) if worker_s > 0 else 0.0,
                }
            queues = {
                queue_name(st.index): {
                    "capacity": st.inbox.capacity,
                    "depth": len(st.inbox.items),
                    "max_depth": st.inbox.level.peak,
                    "mean_depth": round(st.inbox.level.mean(now), 2),
                }
                for st in self.stages
                if st.inbox is not None
            }
            placed, saved, dead, cancelled = self.placed, self.saved, self.dead_lettered, self.cancelled
            faults = dict(self.faults)
            violations = list(self.violations)
            lat = self.latency
            return {
                "scenario": self.scenario,
                "placed": placed,
                "served": saved,
                "cancelled": dead + cancelled,
                "open": placed - saved - dead - cancelled,
                "faults": sum(faults.values()),
                "faults_by_kind": faults,
                "restarts": self.restarts,
                "escalated": self.escalated or None,
                "violations": violations,
                "errors": list(self.errors),
                "seed": self.config.seed,
                "saved": saved,
                "dead_lettered": dead,
                "cancelled_unfinished": cancelled,
                "requeued": self.requeued,
                "throughput_per_s": round(saved / elapsed, 1) if elapsed else 0.0,
                "latency_s": {
                    "p50": round(lat.quantile(0.5), 6),
                    "p95": round(lat.quantile(0.95), 6),
                    "max": round(lat.max, 6),
                },
                "stages": stages,
                "queues": queues,
                "workers": {st.name: st.target for st in self.stages},
                "batch_size": self._batch_size,
                "scaled": self.scale_count,
                "scale_events": list(self.scale_events),
                "dead_letters": list(self.dead_letters)[-20:],
                "dead_letter_causes": dict(self.dead_reasons),
                "cancel_reasons": dict(self.cancel_reasons),
                "drained": self.drained.is_set(),
                "graceful": self._draining,
                "elapsed_s": round(elapsed, 3),
            }


_LEAVE = object()


__all__ = [
    "DEAD_LETTERS_KEPT",
    "DEFAULT_RESTART",
    "DONE_KINDS",
    "FAULT_KINDS",
    "MAX_ITEMS",
    "MAX_WORKERS",
    "MIN_WORKERS",
    "STAGES",
    "Pipeline",
    "PipelineConfig",
    "ScaleStep",
    "parse_workers",
    "queue_name",
]
