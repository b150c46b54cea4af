"""Where roles run: the core asks a host for a worker; headless runs use threads, the
window uses QThreads. The core never knows which."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from app.sync.control import DONE, Scheduler, Task


class WorkerHandle(Protocol):
    name: str

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True when the worker has ended."""

    def is_alive(self) -> bool: ...


class WorkerHost(Protocol):
    def spawn(self, name: str, target: Callable[[], None]) -> WorkerHandle:
        """Start ``target`` in a new worker named ``name`` and return its handle."""


class _ThreadHandle:
    def __init__(self, thread: threading.Thread) -> None:
        self.name = thread.name
        self._thread = thread

    def join(self, timeout: float) -> bool:
        self._thread.join(max(timeout, 0.0))
        return not self._thread.is_alive()

    def is_alive(self) -> bool:
        return self._thread.is_alive()


class ThreadHost:
    """Plain ``threading.Thread`` workers, for headless runs and core tests."""

    def spawn(self, name: str, target: Callable[[], None]) -> WorkerHandle:
        # Daemon: a worker that fails to stop is reported, and never keeps the process alive.
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return _ThreadHandle(thread)


class ControlledHost:
    """Workers that are tasks of a controlled-mode scheduler: each waits for its turn.

    Registration happens here, in the spawning thread, so tasks are numbered in the order
    the scene starts them: the order every strategy sees them in.
    """

    def __init__(self, inner: WorkerHost, scheduler: Scheduler) -> None:
        self.inner = inner
        self.scheduler = scheduler

    def spawn(self, name: str, target: Callable[[], None]) -> WorkerHandle:
        sched = self.scheduler
        task = sched.register(name)
        handle = self.inner.spawn(name, lambda: sched.run_task(task, target))
        return _ControlledHandle(handle, task, sched)


class _ControlledHandle:
    def __init__(self, inner: WorkerHandle, task: Task, scheduler: Scheduler) -> None:
        self.name = inner.name
        self._inner = inner
        self._task = task
        self._sched = scheduler

    def join(self, timeout: float) -> bool:
        task = self._task
        if self._sched.is_managed():
            # A task must not block in the OS: it waits for the other task's end, in turn.
            # One that has ended is joined without a scheduling point: whether its thread has
            # left yet is the OS's business, and must not change the schedule.
            if task.state != DONE and not self._sched.wait_until(
                lambda: task.state == DONE, timeout, f"join {self.name}"
            ):
                return False
            timeout = max(timeout, 1.0)  # it has ended its body: the thread is leaving
        return self._inner.join(timeout)

    def is_alive(self) -> bool:
        return self._inner.is_alive()
