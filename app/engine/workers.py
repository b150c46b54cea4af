"""Where roles run: the core asks a host for a worker; headless runs use threads, the
window uses QThreads. The core never knows which."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


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
