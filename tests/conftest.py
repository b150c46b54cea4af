"""Test configuration: offscreen Qt, and no test may leave a thread running."""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONFAULTHANDLER", "1")

import pytest

from app.core.trace import TraceRecorder, set_default_recorder


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail a test that leaves a worker thread running (a leak would hang CI later)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leftover:
        t.join(max(deadline - time.monotonic(), 0))
    leftover = [t.name for t in leftover if t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def recorder():
    """A fresh recorder that is also the default, so primitives made in a test use it."""
    rec = TraceRecorder()
    previous = set_default_recorder(rec)
    yield rec
    set_default_recorder(previous)
