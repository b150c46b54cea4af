"""Small helpers for threaded tests: start, join with a bound, never sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_threads(n: int, target: Callable[[int], object], timeout: float = 10.0) -> list[object]:
    """Run ``target(i)`` in ``n`` threads; return results (or exceptions) in order."""
    results: list[object] = [None] * n

    def body(i: int) -> None:
        try:
            results[i] = target(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads did not finish within {timeout}s: {stuck}"
    return results


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Block until ``predicate()`` is true, waking on a short event timeout (no sleep)."""
    tick = threading.Event()
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not predicate():
            assert not deadline.is_set(), "condition not met in time"
            tick.wait(0.005)
    finally:
        timer.cancel()
        timer.join()


def stopping(make: Callable[..., object]):
    """A fixture body: yields a factory like ``make`` whose products are stopped at teardown."""
    made: list = []

    def factory(*args, **kw):
        sim = make(*args, **kw)
        made.append(sim)
        return sim

    yield factory
    for sim in made:
        sim.stop()
