"""The core's roles run in QThreads: a WorkerHost whose workers are QThread objects."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable

from PySide6.QtCore import QThread

log = logging.getLogger(__name__)


class RoleThread(QThread):
    """Runs one core role (a plain callable) in ``run``; no event loop, no signals.

    The role talks to the window only through the trace bridge, never through this object.
    """

    #: Every RoleThread made; tests check that none is left running.
    instances: weakref.WeakSet[RoleThread] = weakref.WeakSet()

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName(name)
        self._target = target
        RoleThread.instances.add(self)

    def run(self) -> None:
        try:
            self._target()
        except BaseException:  # the role records its own errors; this is the last guard
            log.exception("worker %s ended with an error", self.objectName())


class _QThreadHandle:
    def __init__(self, thread: RoleThread) -> None:
        self.name = thread.objectName()
        self._thread = thread

    def join(self, timeout: float) -> bool:
        return self._thread.wait(max(int(timeout * 1000), 0))

    def is_alive(self) -> bool:
        return not self._thread.isFinished()


class QThreadHost:
    """Keeps a reference to every QThread until it has finished (a QThread destroyed while
    running aborts the process)."""

    def __init__(self) -> None:
        self._threads: list[RoleThread] = []

    def spawn(self, name: str, target: Callable[[], None]) -> _QThreadHandle:
        self._threads = [t for t in self._threads if not t.isFinished()]
        thread = RoleThread(name, target)
        self._threads.append(thread)
        thread.start()
        return _QThreadHandle(thread)

    def running(self) -> list[str]:
        return [t.objectName() for t in self._threads if not t.isFinished()]

    def join_all(self, timeout: float) -> list[str]:
        """Wait for every thread (bounded); returns the names of any still running."""
        for t in self._threads:
            t.wait(max(int(timeout * 1000), 0))
        still = self.running()
        for name in still:
            log.error("thread %s still running after shutdown", name)
        return still
