"""The desk's link to its registry while it works: a lost server connection, the clinic's
reference release, the connection settings in the menu.

- When the server cannot be reached during work, a banner (ru/kk) says so and a background
  thread retries with backoff (0.5 s doubling to 10 s); the card being edited stays on screen,
  unsaved and dirty, and is saved by the registrar once the banner has gone by itself.
- Before each decision the release in force is checked (`DeskReleases.check`, on a thread, at
  most every `CHECK_EVERY_S`: about 1 ms on the LAN, never blocking the window if the server
  hangs); a switch made at another desk is taken up, decided with, and said in the status bar.
- Сервис → «Подключение к базе…» opens the connection dialog; the choice applies at the next
  start, and the dialog says so.

`attach(window)` wires it into the main window (called by MainWindow itself).
"""
from __future__ import annotations

import sys
import threading
import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from desktop.gui.widgets import vbox

CHECK_EVERY_S = 2.0          # the release check before a decision, at most this often
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 10.0)


def is_connection_error(registry, exc: BaseException) -> bool:
    """A server registry's error (unreachable, dropped): the desk waits, nothing is damaged."""
    from desktop.store import RegistryError

    return registry.location.is_server and isinstance(exc, RegistryError)


class ServerLink(QObject):
    """The banner, the background reconnection, the per-decision release check."""

    restored = Signal()
    _reached = Signal()           # from the retry thread to the GUI thread
    _switched = Signal(object)    # from the check thread: the new release
    _check_failed = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window, self.releases = window, None
        self.offline = False
        self._last_check = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.banner = QLabel()
        self.banner.setObjectName("connectionBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fdecea; color: #8a1c1c; padding: 8px; "
                                  "font-weight: bold;")
        self.banner.hide()
        self._reached.connect(self._back, Qt.QueuedConnection)
        self._switched.connect(self._take_up, Qt.QueuedConnection)
        self._check_failed.connect(self._not_checked, Qt.QueuedConnection)
        self._checking = False
        self.action_connection = QAction(window)
        self.action_connection.setObjectName("connectionSettings")
        self.action_connection.triggered.connect(self.open_connection_dialog)

    # --- a lost connection ------------------------------------------------------------------------
    def lost(self, error=None) -> None:
        """The server did not answer: show the banner and retry in the background."""
        self.banner.setText(self.window.tr("link.lost"))
        self.banner.show()
        if self.offline:
            return
        self.offline = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._retry, daemon=True, name="server-retry")
        self._thread.start()

    def _retry(self) -> None:
        engine = self.window.registry.engine
        attempt = 0
        while not self._stop.is_set():
            self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            if self._stop.is_set():
                return
            attempt += 1
            try:
                with engine.connect() as c:
                    c.exec_driver_sql("SELECT 1")
            except Exception:  # still unreachable: wait longer, try again
                continue
            self._reached.emit()
            return

    def _back(self) -> None:
        self.offline = False
        self.banner.hide()
        self.window.say_status("link.back", 8000)
        self.restored.emit()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def guard(self, fn, *args, **kwargs):
        """Run `fn`; a server connection error shows the banner and returns (False, error)."""
        try:
            return True, fn(*args, **kwargs)
        except Exception as exc:
            if is_connection_error(self.window.registry, exc):
                self.lost(exc)
                return False, exc
            raise

    # --- the clinic's release ---------------------------------------------------------------------
    def before_decision(self) -> bool:
        """Ask (on a thread, at most every CHECK_EVERY_S) whether another desk switched the
        clinic's release; a switch is taken up when the answer comes (`_take_up`: the window
        decides again with it). Returns True when the window was given a new release now."""
        if self.releases is None or self.offline or self._checking:
            return False
        now = time.monotonic()
        if now - self._last_check < CHECK_EVERY_S:
            return False
        self._last_check, self._checking = now, True
        threading.Thread(target=self._check, daemon=True, name="release-check").start()
        return False

    def _check(self) -> None:
        try:
            new = self.releases.check()
        except Exception as exc:  # reported in the GUI thread
            self._check_failed.emit(exc)
        else:
            if new is not None:
                self._switched.emit(new)
        finally:
            self._checking = False

    def _take_up(self, new) -> None:
        self.window.set_reference(new)
        self.window.say_status("link.release", 12000, version=new.version)

    def _not_checked(self, error) -> None:
        if is_connection_error(self.window.registry, error):
            self.lost(error)
        else:  # e.g. a release that will not load: the desk keeps the one it has, and says why
            self.window.say_status("refdata.failed", 12000, message=error)

    def release_switched_here(self) -> bool:
        """After this desk's own import or rollback: take it up now (in this thread)."""
        if self.releases is None:
            return False
        self._last_check = time.monotonic()
        ok, new = self.guard(self.releases.check)   # not reached: the banner; taken up later
        if ok and new is not None:
            self._take_up(new)
        return True

    # --- the connection settings ------------------------------------------------------------------
    def open_connection_dialog(self):
        from desktop.gui.admin.connection import ConnectionDialog

        dialog = ConnectionDialog(self.window.settings, self.window.tr, self.window)

        def saved():
            box = QMessageBox(QMessageBox.Information, self.window.tr("conn.title"),
                              self.window.tr("conn.next_start"), parent=self.window)
            box.setObjectName("connectionNextStart")
            box.open()
            self.window.say_status("conn.next_start", 12000)

        dialog.accepted.connect(saved)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.show()
        return dialog

    def retranslate(self) -> None:
        self.action_connection.setText(self.window.tr("conn.menu"))
        if self.banner.isVisible():
            self.banner.setText(self.window.tr("link.lost"))


def attach(window) -> ServerLink:
    """Wire the link into `window`: the banner above the pages, the menu entry, the hook that
    turns a server's connection error anywhere into the banner instead of an error box."""
    link = ServerLink(window)
    box = getattr(window, "central_box", None)
    if box is not None:           # the window's holder of its pages: the banner goes above them
        box.insertWidget(0, link.banner)
    else:
        central = window.takeCentralWidget()
        holder = QWidget()
        holder.setObjectName("centralHolder")
        vbox(link.banner, (central, 1), parent=holder, margins=0, spacing=0)
        window.setCentralWidget(holder)
    window.menu_service.insertAction(window.action_quit, link.action_connection)
    window.menu_service.insertSeparator(window.action_quit)
    previous = sys.excepthook

    def hook(kind, value, tb):
        try:
            alive = window.registry is not None and link.banner is not None
        except RuntimeError:  # the window is gone
            alive = False
        if alive and is_connection_error(window.registry, value):
            link.lost(value)
            return
        previous(kind, value, tb)

    sys.excepthook = hook
    link.retranslate()
    return link
