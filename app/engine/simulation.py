"""What every scene shares: a clock, a trace, workers it owns, and an orderly stop."""

from __future__ import annotations

import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from app.engine.clock import ShutdownRequested, SimClock
from app.engine.watchdog import Watchdog
from app.engine.workers import ControlledHost, ThreadHost, WorkerHandle, WorkerHost
from app.sync import control
from app.trace.recorder import TraceRecorder, bind_thread_name

#: Every worker must have ended this long after a forced shutdown (docs/quality-bars.md).
STOP_DEADLINE_S = 0.5


class Simulation(ABC):
    """Owns the workers of one scene: only it starts them, and ``stop`` joins them all.

    A scene implements the abstract API (start, feed, inject, finished, summary) and the
    hooks ``_wake_all_locked``/``_wake_all_unlocked`` (wake whatever its workers wait on)
    and ``_after_stop`` (account for unfinished work). A worker body that raises an
    unexpected exception is recorded as ``worker.crashed`` and never takes the app down.

    Every simulation runs a ``Watchdog`` from its first worker on: when every live worker
    is blocked for good on a traced barrier or event, it records ``watchdog.deadlock`` and
    calls ``on_deadlock``.
    """

    #: The scene's name (its ``SceneSpec.name``), as summaries and traces give it.
    scenario = "simulation"
    #: Why a headless run that ended by itself stops its workers.
    end_reason = "run complete"
    #: The scene's frozen config dataclass (set by the subclass).
    config: Any
    #: Names of events that code outside the workers sets (``feed``, ``resume``, a click):
    #: a worker waiting on one is waiting for the user, not deadlocked. The clock's pause
    #: gate and shutdown event always count.
    external_events: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        self.recorder = recorder or TraceRecorder()
        self.clock = clock or SimClock(1.0, recorder=self.recorder)
        self.host: WorkerHost = host or ThreadHost()
        #: The controlled-mode scheduler (None: a free run, the operating system schedules).
        self.scheduler = control.scheduler_of(self.recorder)
        if self.scheduler is not None:
            self.host = ControlledHost(self.host, self.scheduler)
        self._lock = control.rlock(self.recorder, "lock:scene")
        self._cv = control.condition(self._lock, self.recorder, "cond:scene")
        self._workers: list[WorkerHandle] = []
        self._names: dict[str, int] = {}
        self.shutdown_reason = ""
        self.started_at = time.monotonic()
        self.stopped = False
        self.errors: list[str] = []
        #: The watchdog's diagnosis once it has found a deadlock (``on_deadlock``), else None.
        self.deadlock: dict[str, Any] | None = None
        self.watchdog = Watchdog(self)

    # -- the API every scene implements ---------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Start the workers (once; later calls do nothing). Work fed before starts first."""

    @abstractmethod
    def feed(self, units: int = 1) -> None:
        """Ask for ``units`` more units of work (orders, requests, rounds, items). After a
        shutdown they are accounted for as cancelled, never dropped."""

    @abstractmethod
    def inject(self, kind: str, target: str | None = None) -> str:
        """Ask for a fault of one of the scene's kinds now; returns what it hits.
        Raises ``ValueError`` with a message a user can read when it cannot be done."""

    @abstractmethod
    def finished(self) -> bool:
        """True once all work fed has ended, or the scene is shutting down."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Counters of the whole run (never read back from the bounded trace ring): at
        least ``scenario``, ``placed``, ``served``, ``cancelled``, ``open``, ``faults``,
        ``faults_by_kind``, ``restarts``, ``escalated``, ``violations``, ``errors``, ``seed``."""

    def failures(self) -> list[str]:
        """Why the run failed, from its summary (empty when it did not)."""
        s = self.summary()
        out = []
        if s.get("escalated"):
            out.append(f"escalated: {s['escalated']}")
        out += [f"violation: {v}" for v in s.get("violations") or ()]
        if s.get("open"):
            out.append(f"{s['open']} units left open")
        if self.deadlock is not None:
            out.append(self.deadlock["reason"])
        return out

    def on_deadlock(self, diagnosis: dict[str, Any]) -> None:
        """The watchdog found every live worker blocked for good (it has recorded
        ``watchdog.deadlock`` already; runs in the watchdog's thread). By default the run has
        failed: a headless run ends, the window shows the banner. A scene that deadlocks on
        purpose (the lab's wrong variants) overrides this."""
        self.deadlock = diagnosis

    # -- workers -------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """``base`` the first time, then ``base#2``, ``base#3``: two workers never share a lane."""
        with self._lock:
            n = self._names.get(base, 0) + 1
            self._names[base] = n
        return base if n == 1 else f"{base}#{n}"

    def spawn(self, base: str, body: Callable[[], None], **fields: object) -> str:
        """Run ``body`` in a new worker with a unique name; returns that name."""
        name = self.unique_name(base)
        self.spawn_named(name, body, **fields)
        return name

    def spawn_named(self, name: str, body: Callable[[], None], **fields: object) -> None:
        """Run ``body`` in a new worker called ``name`` (from ``unique_name``)."""
        rec = self.recorder.record

        def run() -> None:
            bind_thread_name(name)
            rec("worker.started", **fields)
            reason = "done"
            try:
                body()
            except ShutdownRequested:
                reason = "shutdown"
            except Exception as exc:  # a worker's exception never kills the app
                reason = "error"
                self.errors.append(f"{name}: {exc!r}")
                rec("worker.crashed", error=repr(exc), trace=traceback.format_exc(limit=4), **fields)
                self.on_worker_error(name, exc)
            rec("worker.stopped", reason=reason, **fields)

        with self._lock:
            # Checked under the lock that request_shutdown takes, so stop() joins every
            # worker that was started: none can slip in after the shutdown.
            if self.shutting_down:
                raise ShutdownRequested
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(self.host.spawn(name, run))
        self.watchdog.ensure_running()

    def on_worker_error(self, name: str, exc: Exception) -> None:
        """An unexpected error in a worker: by default, shut the scene down in order."""
        self.request_shutdown(f"unexpected error in {name}: {exc}")

    def alive_workers(self) -> list[str]:
        with self._lock:
            return [w.name for w in self._workers if w.is_alive()]

    # -- stopping ------------------------------------------------------------------
    @property
    def shutting_down(self) -> bool:
        return self.clock.shutdown.is_set()

    def request_shutdown(self, reason: str = "shutdown") -> None:
        """Ask every worker to stop; safe from any thread, returns at once."""
        if self.scheduler is not None:
            self.scheduler.release()  # a run held for stepping must be free to wind down
        with self._lock:
            if self.shutting_down:
                return
            self.shutdown_reason = reason
            self.recorder.record("shutdown.requested", reason=reason)
            self.clock.request_shutdown()
            self._wake_all_locked()
            self._cv.notify_all()
        self._wake_all_unlocked()

    def _wake_all_locked(self) -> None:  # noqa: B027 - an optional hook
        """Wake workers blocked on the scene's own events (called with the lock held)."""

    def _wake_all_unlocked(self) -> None:  # noqa: B027 - an optional hook
        """Wake workers blocked on barriers (abort must not run under the scene lock)."""

    def stop(self, reason: str = "shutdown", deadline_s: float = STOP_DEADLINE_S) -> list[str]:
        """Forced shutdown: stop, join every worker within the deadline, account for work.

        Returns the names of workers still alive (empty when the stop was clean).
        """
        if self.stopped:
            return self.alive_workers()
        t0 = time.monotonic()
        # The deadline's time line: wall time, or simulated time when a controlled run's task
        # stops it (its joins wait in simulated time, so the stop replays exactly).
        sched = self.scheduler
        now = self.clock.wall if sched is not None and sched.is_managed() else time.monotonic
        self.request_shutdown(reason)
        end = now() + deadline_s
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            w.join(max(end - now(), 0.0))
        alive = self.alive_workers()
        joined = time.monotonic()
        self.watchdog.stop(max(end - now(), 0.0))
        self.stopped = True
        self._after_stop()
        self.recorder.record(
            "shutdown.completed",
            reason=self.shutdown_reason,
            # The bar is on the threads: every worker joined this long after the request.
            elapsed_ms=round((joined - t0) * 1000, 1),
            # Then unfinished work is accounted for (cancelled, with records of its own).
            accounted_ms=round((time.monotonic() - joined) * 1000, 1),
            alive=alive,
        )
        return alive

    def _after_stop(self) -> None:  # noqa: B027 - an optional hook
        """Account for unfinished work once the workers are gone."""
