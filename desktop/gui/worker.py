"""Slow work (password hashing, backups) off the GUI thread; the result comes back as a signal."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object, object)   # (result, exception)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay):
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result, error = self.fn(), None
        except Exception as exc:  # reported to the GUI thread, never swallowed
            result, error = None, exc
        self.relay.done.emit(result, error)


class Worker(QObject):
    """Runs one function at a time on a thread pool; `on_done(result, error)` runs in the GUI thread."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._relays: set[_Relay] = set()

    def submit(self, fn: Callable[[], object], on_done: Callable[[object, object], None]) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def finish(result, error, relay=relay):
            self._relays.discard(relay)
            on_done(result, error)

        relay.done.connect(finish)
        self.pool.start(_Job(fn, relay))

    def busy(self) -> bool:
        return bool(self._relays)

    def wait(self) -> None:
        self.pool.waitForDone()
