"""The one source of "now" for timestamps the GUI hands to the store (injectable for tests)."""
from __future__ import annotations

from datetime import datetime
from typing import Callable


class Clock:
    """Wraps a function returning the current time; `run` builds it once, tests pass a fixed one."""

    def __init__(self, now: Callable[[], datetime]):
        self._now = now

    def now(self) -> datetime:
        return self._now()


def fixed_clock(at: datetime) -> Clock:
    """A clock that always says `at` (tests, screenshots)."""
    return Clock(lambda: at)
