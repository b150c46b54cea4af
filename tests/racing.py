"""Forcing one interleaving on purpose: a click that lands between a worker's read of a
pending fault and its write, the moment that loses the click when the two are not one
step under the scene lock."""

from __future__ import annotations

import threading
from collections.abc import Callable


def click_between_read_and_write(obj: object, lock: object, click: Callable[[], None]) -> list[str]:
    """The first time a worker reads ``obj.pending`` while it is set, without holding
    ``lock``, run ``click`` in another thread (the window's) and let it finish first.

    Returns a list that records where it fired (empty if no such read ever happened).
    """
    owner = threading.current_thread()
    fired: list[str] = []

    def read(self: object) -> str:
        value = self.__dict__["pending"]
        reader = threading.current_thread()
        if value and not fired and reader is not owner and not lock._is_owned():  # type: ignore[attr-defined]
            fired.append(reader.name)
            window = threading.Thread(target=click, name="window")
            window.start()
            window.join(5)
        return value

    def write(self: object, value: str) -> None:
        self.__dict__["pending"] = value

    racy = type(f"Racy{type(obj).__name__}", (type(obj),), {"pending": property(read, write)})
    obj.__class__ = racy
    return fired
