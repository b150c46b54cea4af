"""The pitfalls lab: experiments run wrong and right, one run at a time.

A unit of work is one *run*: one experiment's variant under one forced interleaving. A run
sets up the experiment's shared state, starts a thread per role (through
``Simulation.spawn``, so the watchdog, the timeline and a forced shutdown see them like any
scene's workers), and ends with one verdict:

* ``deadlock``: the watchdog named one (every live thread of the run blocked for good). The
  lab records the verdict, then wakes the threads (aborts the barriers, sets the events) and
  they leave at their next step;
* ``error``: a thread raised (``AttributeError`` from a made-up exception name, say): the
  experiment's error, recorded as ``lab.error``, never a crash of the scene;
* ``wrong-result`` or ``ok``: what the experiment's judge says once every thread has ended.

A run is *served* once it has its verdict and *cancelled* when a shutdown ends it first.
Whether the verdict is the one the experiment teaches (the failure for a wrong variant, ok for
a right one) is ``as_taught``; a run that is not counts as the lab's failure.

Faults perturb a run without making a right variant wrong: ``reorder`` forces another of the
experiment's interleavings, ``jitter`` stretches or shrinks each thread's simulated work.
"""

from __future__ import annotations

import itertools
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from app.engine.budget import RestartPolicy
from app.engine.clock import ShutdownRequested, SimClock
from app.engine.faults import FaultPlan, SpecError, round_rng
from app.engine.simulation import Simulation
from app.engine.workers import WorkerHost
from app.scenes.lab.experiment import (
    ANY_ORDER,
    DEADLOCK,
    ERROR,
    OK,
    RIGHT,
    VARIANTS,
    WRONG_RESULT,
    Experiment,
    Role,
    Verdict,
)
from app.scenes.lab.experiments import EXPERIMENTS, get
from app.scenes.lab.gate import Gate, RunEnded
from app.scenes.lab.kit import Kit, Lock
from app.scenes.lab.lines import LineTracer
from app.sync import Barrier, Event
from app.trace.recorder import Record, TraceRecorder

FAULT_KINDS = ("reorder", "jitter")
MAX_RUNS = 100_000
#: Records a run keeps for its judge (a run makes a few hundred).
RUN_RECORDS = 20_000
HISTORY = 200


@dataclass(frozen=True)
class LabConfig:
    experiment: str = "basics"
    variant: str = RIGHT
    runs: int = 1
    #: Which of the experiment's interleavings (0: the one it teaches with); ``ANY_ORDER``
    #: (-1, ``--interleaving any``): none forced and no simulated durations.
    interleaving: int = 0
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = field(default_factory=RestartPolicy)  # the lab restarts nothing
    seed: int = 0

    def __post_init__(self) -> None:
        try:
            exp = get(self.experiment)
        except ValueError as exc:
            raise SpecError(str(exc)) from None
        if self.variant not in VARIANTS:
            raise SpecError(f"variant must be wrong or right, got {self.variant!r}")
        if not 0 <= self.runs <= MAX_RUNS:
            raise SpecError(f"runs must be from 0 to {MAX_RUNS}, got {self.runs}")
        if self.interleaving != ANY_ORDER and not 0 <= self.interleaving < len(exp.interleavings):
            raise SpecError(
                f"{exp.name} has interleavings 0 to {len(exp.interleavings) - 1}, got {self.interleaving}"
            )


@dataclass
class Run:
    id: int
    experiment: Experiment
    variant: str
    interleaving: int
    fault: str = ""
    stretch: dict[str, float] = field(default_factory=dict)
    kit: Kit | None = None
    gate: Gate | None = None
    threads: dict[str, str] = field(default_factory=dict)  # thread -> role
    alive: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    records: deque[Record] = field(default_factory=lambda: deque(maxlen=RUN_RECORDS))
    verdict: Verdict | None = None
    diagnosis: dict[str, Any] | None = None
    accounted: bool = False  # served or cancelled: exactly once
    unsubscribe: Any = None

    @property
    def expected(self) -> str:
        return self.experiment.expected(self.variant)

    @property
    def over(self) -> bool:
        return self.verdict is not None or self.accounted

    def result(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "run": self.id,
            "experiment": self.experiment.name,
            "variant": self.variant,
            "interleaving": self.experiment.interleaving(self.interleaving).name,
            "fault": self.fault or None,
            "outcome": v.outcome if v else None,
            "expected": self.expected,
            "as_taught": v is not None and v.outcome == self.expected,
            "explanation": v.explanation if v else "",
            "diagnosis": self.diagnosis,
        }


class LabBench(Simulation):
    scenario = "lab"
    end_reason = "runs done"

    def __init__(
        self,
        config: LabConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or LabConfig()
        self.started = False
        self._pending: deque[tuple[Experiment, str, int | None]] = deque()
        self._active: Run | None = None
        self._ids = itertools.count(1)
        self._demand: list[str] = []  # faults asked for, for the next runs
        self.placed = 0
        self.served = 0
        self.cancelled = 0
        self.cancel_reasons: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.as_taught = 0
        self.faults: Counter[str] = Counter()
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.not_as_taught: list[dict[str, Any]] = []  # the first few, for failures()

    # -- the API every scene has ---------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
        self.feed(self.config.runs)

    def feed(self, units: int = 1) -> None:
        """``units`` more runs of the configured experiment and variant."""
        exp = get(self.config.experiment)
        for _ in range(max(units, 0)):
            self.queue(exp.name, self.config.variant, self.config.interleaving)

    def queue(self, experiment: str, variant: str, interleaving: int | None = None) -> int:
        """One run of ``experiment``'s ``variant`` (the window's Run buttons); returns how many
        runs wait before it. After a shutdown it is cancelled at once."""
        exp = get(experiment)
        exp.variant(variant)  # raises ValueError for a bad name
        with self._lock:
            self.placed += 1
            self.recorder.record("lab.placed", count=1, experiment=exp.name, variant=variant)
            if self.shutting_down or self.stopped:
                self._cancel_locked(1, self.shutdown_reason or "lab stopped")
                return 0
            self._pending.append((exp, variant, interleaving))
            ahead = len(self._pending) - 1 + (self._active is not None)
            self._start_next_locked()
            return ahead

    def inject(self, kind: str, target: str | None = None) -> str:
        """A fault for the next run that has not started: ``reorder`` or ``jitter``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            if self.shutting_down:
                raise ValueError("the lab has stopped")
            self._demand.append(kind)
            return "the next run"

    def finished(self) -> bool:
        with self._lock:
            return self.shutting_down or (self.started and self._active is None and not self._pending)

    @property
    def active(self) -> Run | None:
        return self._active

    # -- runs ------------------------------------------------------------------------------------
    def _start_next_locked(self) -> None:
        while self._active is None and self._pending and not self.shutting_down:
            exp, variant, interleaving = self._pending.popleft()
            run = Run(
                next(self._ids),
                exp,
                variant,
                self.config.interleaving if interleaving is None else interleaving,
            )
            self._draw_fault(run)
            self._active = run
            try:
                self._launch_locked(run)
            except ShutdownRequested:
                self._account_locked(run, cancel=self.shutdown_reason or "shutdown")
            except Exception as exc:  # the experiment's setup failed: its error, not ours
                run.errors.append(f"setup: {exc!r}")
                self._verdict_locked(run, Verdict(ERROR, f"the setup raised {exc!r}"))
                self._close_locked(run)

    def _draw_fault(self, run: Run) -> None:
        rng = round_rng(self.config.seed, run.id)
        kind = self._demand.pop(0) if self._demand else ""
        if not kind:
            fault = self.config.faults.draw(rng, ["run"])
            kind = fault.kind if fault else ""
        if not kind:
            return
        exp = run.experiment
        if kind == "reorder" and len(exp.interleavings) > 1 and run.interleaving != ANY_ORDER:
            others = [i for i in range(len(exp.interleavings)) if i != run.interleaving]
            run.interleaving = others[int(rng.random() * len(others))]
        elif kind == "jitter":
            run.stretch = {r.name: round(rng.uniform(0.2, 3.0), 2) for r in exp.variant(run.variant).roles}
        run.fault = kind
        self.faults[kind] += 1
        self.recorder.record("fault.injected", fault=kind, run=run.id)

    def _launch_locked(self, run: Run) -> None:
        exp = run.experiment
        variant = exp.variant(run.variant)
        kit = Kit(
            self.recorder,
            self.clock,
            run.id,
            stretch=lambda thread: run.stretch.get(run.threads.get(thread, ""), 1.0),
            over=lambda: run.over,
            timed=run.interleaving != ANY_ORDER,
        )
        run.kit = kit
        variant.setup(kit)
        run.threads = {self.unique_name(role.name): role.name for role in variant.roles}
        locks = {v.name: v for v in kit.shared().values() if isinstance(v, Lock)}
        interleaving = exp.interleaving(run.interleaving)
        run.gate = gate = Gate(
            run.id,
            interleaving,
            self.recorder,
            self.clock,
            run.threads,
            lock_free=lambda name: name not in locks or not locks[name].locked(),
        )

        def sink(rec: Record) -> None:
            run.records.append(rec)
            gate.on_record(rec)

        run.unsubscribe = self.recorder.subscribe(sink)
        self.recorder.record(
            "lab.run",
            run=run.id,
            experiment=exp.name,
            variant=run.variant,
            interleaving=interleaving.name,
            says=interleaving.says,
            edges=[str(e) for e in interleaving.edges],
            expected=run.expected,
            threads=dict(run.threads),
            fault=run.fault or None,
        )
        files = frozenset(s for fn in variant.functions if (s := fn.__code__.co_filename))
        tracer = LineTracer(
            files,
            lambda line, fn, src: self.recorder.record("lab.line", run=run.id, line=line, fn=fn, src=src),
        )
        run.alive = set(run.threads)
        for (thread, _), role in zip(run.threads.items(), variant.roles, strict=True):
            self.spawn_named(thread, self._body(run, role, thread, tracer), run=run.id, role=role.name)

    def _body(self, run: Run, role: Role, thread: str, tracer: LineTracer) -> Any:
        def body() -> None:
            gate, kit = run.gate, run.kit
            assert gate is not None and kit is not None
            gate.enter()
            try:
                tracer.run(role.fn, kit, *role.args)
            except RunEnded:
                pass
            except Exception as exc:  # the experiment's error: a verdict, never a crash
                if not run.over:
                    self._error(run, thread, exc, tracer)
            finally:
                gate.leave(thread)
                self._thread_done(run, thread)

        return body

    def _error(self, run: Run, thread: str, exc: Exception, tracer: LineTracer) -> None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in tracer.files]
        line = frames[-1].lineno if frames else 0
        text = f"{type(exc).__name__}: {exc}"
        with self._lock:
            run.errors.append(f"{thread}, line {line}: {text}")
        self.recorder.record("lab.error", run=run.id, error=text, line=line)

    def _thread_done(self, run: Run, thread: str) -> None:
        # Subscribers may get records a moment after they are made (whichever thread is
        # delivering hands them over): the judge must see every record of the run.
        self.recorder.flush()
        with self._lock:
            run.alive.discard(thread)
            if run.alive:
                return
            if run.verdict is None and not run.accounted:
                if self.shutting_down:
                    self._account_locked(run, cancel=self.shutdown_reason or "shutdown")
                else:
                    self._verdict_locked(run, self._judge(run))
            self._close_locked(run)

    def _judge(self, run: Run) -> Verdict:
        if run.errors:
            more = f" (and {len(run.errors) - 1} more)" if len(run.errors) > 1 else ""
            return Verdict(ERROR, run.errors[0] + more)
        assert run.kit is not None
        try:
            return run.experiment.variant(run.variant).judge(run.kit, list(run.records))
        except Exception as exc:
            return Verdict(ERROR, f"the lab could not judge the run: {exc!r}")

    def _verdict_locked(self, run: Run, verdict: Verdict) -> None:
        run.verdict = verdict
        gate = run.gate
        result = run.result()
        self.recorder.record(
            "lab.outcome",
            run=run.id,
            outcome=verdict.outcome,
            expected=run.expected,
            as_taught=result["as_taught"],
            explanation=verdict.explanation,
            engaged=[str(e) for e in gate.engaged] if gate else [],
            enforced=[str(e) for e in gate.enforced] if gate else [],
            given_up=[str(e) for e in gate.given_up] if gate else [],
        )
        self._account_locked(run)
        self.outcomes[verdict.outcome] += 1
        self.history.append(result)
        if result["as_taught"]:
            self.as_taught += 1
        elif len(self.not_as_taught) < 20:
            self.not_as_taught.append(result)
        if gate is not None:
            gate.end()

    def _account_locked(self, run: Run, cancel: str = "") -> None:
        if run.accounted:
            return
        run.accounted = True
        if cancel:
            self._cancel_locked(1, cancel)
        else:
            self.served += 1

    def _cancel_locked(self, n: int, reason: str) -> None:
        self.cancelled += n
        self.cancel_reasons[reason] += n
        self.recorder.record("lab.cancelled", count=n, reason=reason)

    def _close_locked(self, run: Run) -> None:
        if run.unsubscribe is not None:
            run.unsubscribe()
            run.unsubscribe = None
        if self._active is run:
            self._active = None
        self._cv.notify_all()
        self._start_next_locked()

    # -- deadlocks are verdicts here ----------------------------------------------------------------
    def on_deadlock(self, diagnosis: dict[str, Any]) -> None:
        """A wrong variant that hangs: the verdict is the watchdog's diagnosis; then the lab
        wakes the run's threads so the next run can start."""
        with self._lock:
            run = self._active
            if run is None or run.over:
                return
            run.diagnosis = diagnosis
            if run.errors:
                self._verdict_locked(run, self._judge(run))
            else:
                variant = run.experiment.variant(run.variant)
                extra = variant.stuck(run.kit) if run.kit is not None else ""
                reason = by_role(diagnosis["reason"].removeprefix("deadlock: "), run.threads)
                self._verdict_locked(run, Verdict(DEADLOCK, reason + (f"; {extra}" if extra else "")))
        self._wake(run)

    @staticmethod
    def _wake(run: Run) -> None:
        """Let a run's threads go: they leave at their next step (RunEnded)."""
        if run.gate is not None:
            run.gate.end()
        if run.kit is None:
            return
        for value in run.kit.shared().values():
            if isinstance(value, Barrier):
                value.abort()
            elif isinstance(value, Event):
                value.set()

    # -- shutdown ---------------------------------------------------------------------------------
    def _wake_all_locked(self) -> None:
        if self._active is not None and self._active.gate is not None:
            self._active.gate.end()

    def _wake_all_unlocked(self) -> None:
        run = self._active
        if run is not None:
            self._wake(run)

    def _after_stop(self) -> None:
        reason = self.shutdown_reason or "shutdown"
        with self._lock:
            if self._pending:
                self._cancel_locked(len(self._pending), reason)
                self._pending.clear()
            run = self._active
            if run is not None:
                self._account_locked(run, cancel=reason)
                if run.unsubscribe is not None:
                    run.unsubscribe()
                    run.unsubscribe = None

    # -- reporting ----------------------------------------------------------------------------------
    def failures(self) -> list[str]:
        out = super().failures()
        for r in self.not_as_taught:
            out.append(
                f"run {r['run']} ({r['experiment']}, {r['variant']}, {r['interleaving']}): "
                f"the lesson wants {r['expected']}, got {r['outcome']}: {r['explanation']}"
            )
        extra = self.served - self.as_taught - len(self.not_as_taught)
        if extra > 0:
            out.append(f"and {extra} more runs not as taught")
        return out

    def summary(self) -> dict[str, Any]:
        with self._lock:
            last = self.history[-1] if self.history else None
            exp = get(self.config.experiment)
            return {
                "scenario": self.scenario,
                "placed": self.placed,
                "served": self.served,
                "cancelled": self.cancelled,
                "open": self.placed - self.served - self.cancelled,
                "faults": sum(self.faults.values()),
                "faults_by_kind": dict(self.faults),
                "restarts": 0,
                "escalated": None,
                "violations": [],
                "errors": list(self.errors),
                "seed": self.config.seed,
                "experiment": exp.name,
                "variant": self.config.variant,
                "interleaving": exp.interleaving(self.config.interleaving).name,
                "taught": exp.expected(self.config.variant),
                "outcome": last["outcome"] if last else None,
                "explanation": last["explanation"] if last else "",
                "as_taught": self.served > 0 and self.as_taught == self.served,
                "runs_as_taught": self.as_taught,
                "outcomes": {
                    k: self.outcomes[k] for k in (DEADLOCK, WRONG_RESULT, ERROR, OK) if self.outcomes[k]
                },
                "runs": list(self.history)[-20:],
                "cancel_reasons": dict(self.cancel_reasons),
            }


def by_role(text: str, threads: dict[str, str]) -> str:
    """``Basil#2`` (the thread of the second run) as the code calls it: ``Basil``."""
    for thread in sorted(threads, key=len, reverse=True):
        text = text.replace(thread, threads[thread])
    return text


__all__ = ["EXPERIMENTS", "FAULT_KINDS", "MAX_RUNS", "LabBench", "LabConfig", "Run", "by_role"]
