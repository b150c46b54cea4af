"""Where each thread is: a ``lab.line`` record for every line it runs in an experiment's file.

The code pane moves a thread's marker with these. ``sys.settrace`` is per thread: only the
lab's role threads are traced, and in them only frames of the experiment's own module (the
roles, their setup's closures such as a barrier action), not the library code they call.
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

Emit = Callable[[int, str, str], None]  # line, function, source text


class LineTracer:
    def __init__(self, files: frozenset[str], emit: Emit) -> None:
        self.files = files
        self._emit = emit
        self._text: dict[tuple[str, int], str] = {}

    def run(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` in this thread, its lines recorded."""
        previous = sys.gettrace()
        sys.settrace(self._call)
        try:
            fn(*args)
        finally:
            sys.settrace(previous)

    def _call(self, frame: FrameType, event: str, _arg: object) -> Callable[..., Any] | None:
        if event == "call" and frame.f_code.co_filename in self.files:
            return self._line
        return None

    def _line(self, frame: FrameType, event: str, _arg: object) -> Callable[..., Any] | None:
        if event == "line":
            code = frame.f_code
            key = (code.co_filename, frame.f_lineno)
            text = self._text.get(key)
            if text is None:
                text = self._text[key] = linecache.getline(*key).strip()
            self._emit(frame.f_lineno, code.co_name, text)
        return self._line


__all__ = ["LineTracer"]
