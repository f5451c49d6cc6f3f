"""Start the GUI: the application, the registry (with a way back from a damaged file), the
reference data in force, the main window. `run` is called by desktop/cli/gui.py."""
from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

ORGANISATION = "Polyclinic"
APPLICATION = "polyclinic"


def _message(kind, title: str, text: str, buttons=None) -> int:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(kind, title, text)
    made = [box.addButton(label, role) for label, role in (buttons or [])]
    if not made:
        box.addButton(QMessageBox.Close)
    box.exec()
    return made.index(box.clickedButton()) if box.clickedButton() in made else -1


def ensure_interface_font(app) -> str | None:
    """Kazakh and Russian letters on screen where the system has no font for them (a Windows
    without its fonts, as under Wine; a minimal Linux): the font shipped with the app for the
    printouts becomes the interface's font. Returns the family set, or None when the system's
    font already has the letters (a real Windows: Segoe UI)."""
    from PySide6.QtGui import QFontDatabase, QFontMetrics

    if all(QFontMetrics(app.font()).inFontUcs4(ord(ch)) for ch in "Жқә"):
        return None
    from desktop.documents.fonts import font_dir   # the printouts' font (no reportlab import)

    families = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        found = QFontDatabase.addApplicationFont(str(font_dir() / name))
        families += QFontDatabase.applicationFontFamilies(found) if found >= 0 else []
    if not families:
        return None
    font = app.font()
    font.setFamily(families[0])
    app.setFont(font)
    return families[0]


class _Opener:
    """Opens the registry on a thread while the login page is shown: imports the store, runs the
    checks at open (the quick integrity check of a large file included), installs the
    reference data in force, and imports the core the desk decides with. The GUI thread polls
    `done()` and takes `result()` (registry, error, ref, ref_error) without ever waiting."""

    def __init__(self, db_path, now: datetime, local: Path, bundled_reference: Path):
        import threading

        self.registry, self.error, self.ref, self.ref_error = None, None, None, None
        self._thread = threading.Thread(target=self._open, args=(db_path, now, local, bundled_reference),
                                        daemon=True, name="registry-open")
        self._thread.start()

    def _open(self, db_path, now: datetime, local: Path, bundled_reference: Path) -> None:
        try:
            from desktop.store import open_registry

            self.registry = open_registry(db_path, now=now)
        except Exception as exc:  # RegistryError and friends are handled in the GUI thread
            self.error = exc
        try:
            from desktop.core.refdata import RefDataError
            from desktop.core.refinstall import ensure_reference

            try:
                self.ref = ensure_reference(local, bundled_reference)
            except RefDataError as exc:
                self.ref_error = exc
            import desktop.core.api  # noqa: F401 - the desk decides with it: imported here, not
            import desktop.core.case  # noqa: F401 - in the GUI thread
        except Exception as exc:  # noqa: BLE001 - reported by the GUI thread
            self.ref_error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self):
        self._thread.join()
        return self.registry, self.error


class _StartTrace:
    """POLYCLINIC_START_TRACE=FILE: when the login page is on screen and the event loop runs
    (keys are taken), and when the desk is ready, as wall-clock times (time.time()), with the
    modules loaded by then — for bench/bench_gui.py and the start-up tests."""

    WATCHED = ("alembic", "reportlab", "psycopg", "desktop.gui.admin", "desktop.documents")

    def __init__(self):
        import os

        self.path = os.environ.get("POLYCLINIC_START_TRACE")
        self.events: dict = {}

    def mark(self, event: str) -> None:
        if not self.path:
            return
        import json
        import time

        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "reportlab", "psycopg")
                        or m.startswith(self.WATCHED[3:]))
        self.events[event] = {"t": time.time(), "modules": loaded}
        Path(self.path).write_text(json.dumps(self.events), encoding="utf-8")


def open_registry_or_restore(db_path: Path, clock, tr, *, interactive: bool, opened=None,
                             settings=None):
    """Open the registry; a damaged file → a clear message offering the latest backup.
    Returns the Registry, or None when it cannot be opened (the user was told why).
    `opened` is an already attempted (registry, error) pair from `_Opener`."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.gui.i18n import store_text
    from desktop.store import RegistryError, default_backups_dir, latest_backup, open_registry, restore

    registry, error = opened if opened is not None else (None, None)
    if registry is not None:
        return registry
    if error is None:
        try:
            return open_registry(db_path, now=clock.now())
        except RegistryError as e:
            error = e
    if not isinstance(error, RegistryError):
        raise error
    message = store_text(error, tr.lang)
    text = tr("corrupt.text", message=message, path=error.path)
    if isinstance(db_path, str):  # the clinic's server: nothing to restore from this desk
        from desktop.store.backend import parse_location

        text = tr("conn.failed", message=message, path=parse_location(db_path).display)
        if not interactive:
            print(text, file=sys.stderr)
            return None
        if settings is None:
            _message(QMessageBox.Critical, tr("conn.title"), text)
            return None
        from desktop.gui.admin.connection import ConnectionDialog

        choice = _message(QMessageBox.Critical, tr("conn.title"), text,
                          [(tr("conn.settings_btn"), QMessageBox.AcceptRole),
                           (tr("btn.close"), QMessageBox.RejectRole)])
        dialog = ConnectionDialog(settings, tr) if choice == 0 else None
        if dialog is None or not dialog.exec():
            return None
        from desktop.paths import default_db

        return open_registry_or_restore(dialog.location() or default_db(), clock, tr,
                                        interactive=True, settings=settings)
    backup = error.backup or latest_backup(db_path, default_backups_dir(db_path))
    if not interactive:
        print(text, file=sys.stderr)
        return None
    if backup is None:
        _message(QMessageBox.Critical, tr("corrupt.title"), text + "\n\n" + tr("corrupt.no_backup"))
        return None
    when = datetime.fromtimestamp(backup.stat().st_mtime).strftime("%d.%m.%Y %H:%M")
    choice = _message(QMessageBox.Critical, tr("corrupt.title"),
                      text + "\n\n" + tr("corrupt.restore", when=when, backup=backup),
                      [(tr("corrupt.restore_btn"), QMessageBox.AcceptRole),
                       (tr("btn.close"), QMessageBox.RejectRole)])
    if choice != 0:
        return None
    try:
        restore(backup, db_path, now=clock.now())
        return open_registry(db_path, now=clock.now())
    except Exception as exc:  # a failed restore is reported, never a traceback
        _message(QMessageBox.Critical, tr("corrupt.title"), tr("corrupt.failed", message=exc))
        return None


def _show_registry_errors(tr) -> None:
    """Damage found while the desk is in use (the store then refuses every write) is shown as
    the damaged-registry message, never as a traceback."""
    from desktop.store import RegistryError

    previous = sys.excepthook

    def hook(kind, value, tb):
        if isinstance(value, RegistryError):
            from PySide6.QtWidgets import QMessageBox

            from desktop.gui.i18n import store_text
            from desktop.store.backend import is_url

            message = store_text(value, tr.lang)
            if is_url(getattr(value, "where", "")):  # the server refused or is gone: not damage
                _message(QMessageBox.Critical, tr("conn.title"),
                         tr("conn.failed", message=message, path=value.where))
                return
            _message(QMessageBox.Critical, tr("corrupt.title"),
                     tr("corrupt.text", message=message, path=value.path))
            return
        previous(kind, value, tb)

    sys.excepthook = hook


def start_backup(window, clock, keep: int = 10):
    """The automatic backup at start, on a thread of its own (sign-in does not wait for it): a
    verified copy in the backups folder — of the registry file at every start, of the clinic's
    server once a day by the first desk to start (see desktop.store.backups.start_backup). The status bar
    says how it went. Returns the worker (the app waits for it before closing)."""
    from desktop.gui.worker import Worker
    from desktop.store import backups

    folder, now = window.backups_dir, clock.now()
    worker = Worker(window)

    def done(path, error):
        if error is not None:
            window.say_status("backup.auto_failed", 15000, message=error)   # again after Ctrl+L
        elif path is not None:
            window.say_status("backup.auto_done", 8000, path=path)

    worker.submit(lambda: backups.start_backup(window.registry, folder, now, keep=keep), done)
    return worker


def run(db_path: Path, bundled_reference: Path, exit_after_start: bool, today: date,
        settings_path: Path | None = None) -> int:
    """Show the front desk; with `exit_after_start`, exit 0 once the window is shown and idle."""
    import gc

    gc.disable()                  # start-up allocates much and frees little: collect once, later
    hook = sys.excepthook
    try:
        return _run(db_path, bundled_reference, exit_after_start, today, settings_path)
    finally:
        gc.enable()
        sys.excepthook = hook


# What the desk is built from, imported in the GUI thread while the registry opens (after the
# login page is on screen), one module a pass of the event loop so that keys keep flowing.
_DESK_MODULES = ("desktop.gui.desk.documents", "desktop.gui.desk.form", "desktop.gui.desk.panel",
                 "desktop.gui.desk.search", "desktop.gui.printing.picker",
                 "desktop.gui.printing.preview", "desktop.gui.admin.base", "desktop.gui.admin.clinic",
                 "desktop.gui.admin.data", "desktop.gui.admin.people", "desktop.gui.admin.prices",
                 "desktop.gui.admin.menu", "desktop.gui.desk.server_link")


def _run(db_path, bundled_reference, exit_after_start, today, settings_path) -> int:
    import gc

    from desktop.gui.clock import Clock

    trace = _StartTrace()
    clock = Clock(datetime.now)   # the one clock of the GUI: "now" for what it saves
    from desktop.paths import db_location, default_db, local_path

    if db_path is None:                 # neither --db nor POLYCLINIC_DB: this desk's setting
        from desktop.gui.settings import AppSettings
        from desktop.store.backend import server_url

        server = AppSettings(settings_path).server()
        db_path = server_url(**server) if server else default_db()

    db_path = db_location(db_path)      # a file, or the clinic's server (postgresql:// URL)
    local = local_path(db_path)         # the file, or the desk's folder for a server
    # PySide6's first import (shiboken's signature bootstrap) puts a finder into sys.meta_path and
    # takes it out again; an import on another thread walking that list meanwhile skips the finder
    # after it and fails ("No module named '_posixsubprocess'", seen once in CI): Qt's own import
    # is done before the registry's thread starts importing the store.
    import shiboken6  # noqa: F401
    if isinstance(db_path, str):
        # The server's driver takes longer to load: import the store here, so that its import
        # never overlaps PySide6's (shiboken's import hook trips over a half-imported pydantic).
        import desktop.store.registry  # noqa: F401
    opener = _Opener(db_path, clock.now(), local, Path(bundled_reference))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.gui.i18n import Tr
    from desktop.gui.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    ensure_interface_font(app)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    settings = AppSettings(settings_path)
    tr = Tr(settings.language)
    _show_registry_errors(tr)
    from desktop.gui.desk.main_window import MainWindow

    # The login page first: shown (and typed into) while the registry opens on its thread.
    window = MainWindow(None, None, settings, clock, today, db_path=local)
    window.apply_font_scale()  # the style sheet once, after the widgets exist: one polish pass
                               # instead of many, at this workstation's text size
    window.show()
    QTimer.singleShot(0, lambda: trace.mark("login_shown"))
    state: dict = {"registry": None, "error": None}
    backups = []

    desk_modules = list(_DESK_MODULES)

    def finish() -> None:
        if not opener.done():           # the event loop keeps running: typing is never held up
            if desk_modules:            # meanwhile the desk's modules, one a pass of the loop
                import importlib

                importlib.import_module(desk_modules.pop(0))
            QTimer.singleShot(0 if desk_modules else 10, finish)
            return
        try:
            code = _attach(window, opener, db_path, local, bundled_reference, clock, tr, settings,
                           exit_after_start, state)
        except BaseException as exc:  # noqa: BLE001 - re-raised after the event loop ends
            state["error"] = exc
            app.exit(1)
            return
        if code is not None:
            window.hide()
            app.exit(code)
            return
        trace.mark("ready")
        if not exit_after_start:
            QTimer.singleShot(0, lambda: backups.append(start_backup(window, clock)))
        gc.enable()
        gc.freeze()                   # the start-up objects live as long as the app: never rescan them
        if exit_after_start:
            import os

            login = os.environ.get("POLYCLINIC_TOUR")
            if login:                   # the bundle's smoke test: every window once
                def tour() -> None:
                    from desktop.gui.tour import run_tour

                    code = run_tour(window, login)
                    if code:
                        app.exit(code)
                    else:
                        leave_when_shown()

                QTimer.singleShot(0, tour)
            else:
                QTimer.singleShot(0, leave_when_shown)

    def leave_when_shown(tries: int = 0) -> None:
        handle = window.windowHandle()
        exposed = handle is not None and (handle.isExposed() or app.platformName() == "offscreen")
        if (window.isVisible() and exposed) or tries > 500:
            shot = os.environ.get("POLYCLINIC_SCREENSHOT")  # the Windows smoke test's picture
            if shot:
                window.grab().save(shot)
            QTimer.singleShot(0, lambda: app.exit(0))   # idle: after pending events
        else:
            QTimer.singleShot(10, lambda: leave_when_shown(tries + 1))

    QTimer.singleShot(0, finish)
    code = app.exec()
    window.worker.wait()
    for worker in backups:      # a copy half-written is no copy: let it finish
        worker.wait()
    registry = state["registry"]
    if registry is not None:
        registry.close()
    window.deleteLater()          # tear the widgets down now, in order, not at interpreter exit
    del window
    app.processEvents()
    if state["error"] is not None:
        raise state["error"]
    return code


def _attach(window, opener, db_path, local, bundled_reference, clock, tr, settings,
            exit_after_start, state) -> int | None:
    """The registry's thread is done: the registry (or the way back from a damaged one), the
    reference data, the desk. Returns an exit code when the app cannot go on, else None."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.core.refdata import RefDataError
    from desktop.core.refinstall import ensure_reference

    ref, ref_error = opener.ref, opener.ref_error
    registry = open_registry_or_restore(db_path, clock, tr, interactive=not exit_after_start,
                                        opened=opener.result(), settings=settings)
    if registry is not None and Path(registry.path) != local:  # another registry was chosen
        local = Path(registry.path)
        window._db_path = local
        try:
            ref = ensure_reference(local, Path(bundled_reference))
        except RefDataError as e:
            ref, ref_error = None, e
    if registry is None:
        return 1
    state["registry"] = registry
    releases = None
    if registry.location.is_server:  # the clinic's release in force lives on the server
        from desktop.store import RegistryError
        from desktop.store.releases import DeskReleases

        releases = DeskReleases(registry, local)
        try:
            ref = releases.start(Path(bundled_reference), now=clock.now())
        except (RefDataError, RegistryError) as e:
            ref, ref_error = None, e
    if ref is None:
        if exit_after_start:
            print(tr("refdata.failed", message=ref_error), file=sys.stderr)
        else:
            _message(QMessageBox.Critical, tr("app.title"), tr("refdata.failed", message=ref_error))
        return 1

    from desktop.services import seed_prices_from_reference

    seed_prices_from_reference(registry, ref, clock.now())   # first start: the demo price list
    window.attach(registry, ref)
    window.link.releases = releases   # checked before each decision (a server registry)
    return None
