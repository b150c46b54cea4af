"""PySide6-Essentials 6.12.0 on CPython 3.11 leaks a reference to True per emit() and
the process dies with bool_dealloc; this catches that (or any similar drift) early."""

from __future__ import annotations

import sys

import pytest

QtCore = pytest.importorskip("PySide6.QtCore")


class _Emitter(QtCore.QObject):
    fired = QtCore.Signal(int)


def test_true_refcount_stays_flat_over_many_emits(qapp):
    emitter = _Emitter()
    received: list[int] = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(1000):
        emitter.fired.emit(i)
    drift = before - sys.getrefcount(True)
    assert len(received) == 1000
    assert abs(drift) < 50, f"sys.getrefcount(True) drifted by {drift} over 1000 emits"


def test_pinned_version_keeps_the_broken_release_out():
    import PySide6

    assert PySide6.__version__ != "6.12.0"
