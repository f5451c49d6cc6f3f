"""The desk walked by keyboard only, as a new registrar would, in Russian and Kazakh at
1024×768 and 1920×1080 (issue 21): sign-in typed without pausing (login, Enter, password,
Enter, the search typed at once), then a new card by Ctrl+N, Tab and typing. Screenshots of
each step go to OUT (default /tmp/desk-keyboard); the card of each size and language also to
docs/img/gui-walk-WxH-LANG.png. Offscreen or under Xvfb:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/gui/screenshots_keyboard.py [OUT]
"""
from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from tests.gui.helpers import CLINIC, scratch_desk

    app = QApplication(sys.argv[:1])
    out = Path(argv[0]) if argv else Path("/tmp/desk-keyboard")
    out.mkdir(parents=True, exist_ok=True)
    img = ROOT / "docs" / "img"

    def settle(n=10):
        for _ in range(n):
            app.processEvents()

    def keys(text, key=None, mods=Qt.NoModifier):
        """Type into whatever has the focus ("\\n" Enter, "\\t" Tab), as fast as the keys come."""
        events = [(key, "", mods)] if key is not None else [
            (Qt.Key_Return, "\r", Qt.NoModifier) if ch == "\n" else (Qt.Key_Tab, "\t", Qt.NoModifier) if ch == "\t"
            else (0, ch, Qt.NoModifier) for ch in text]
        for k, t, m in events:
            widget = app.focusWidget() or window
            for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                app.sendEvent(widget, QKeyEvent(kind, k, m, t))

    def wait(cond, limit=5000):
        import time
        end = time.monotonic() + limit / 1000
        while not cond() and time.monotonic() < end:
            settle(1)
            time.sleep(0.01)
        return cond()

    for lang in ("ru", "kk"):
        for w, h in ((1024, 768), (1920, 1080)):
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                ref, clock, registry = scratch_desk(tmp, datetime(2026, 11, 22, 10, 30))
                registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin",
                                     now=clock.now())
                registry.set_clinic_details(CLINIC, actor="admin", now=clock.now())
                settings = AppSettings(tmp / "ws.ini")
                settings.language = lang
                window = MainWindow(registry, ref, settings, clock, clock.now().date(), db_path=tmp / "r.sqlite")
                app.setStyleSheet(STYLE)
                window.resize(w, h)
                window.show()
                window.activateWindow()
                window.login_page.login.setFocus()
                settle()
                stem = f"{w}x{h}-{lang}"
                keys("admin\nadmin-pass-1\nТест")              # typed ahead while the password is checked
                window.grab().save(str(out / f"{stem}-1-login-checking.png"))
                assert wait(lambda: window.stack.currentIndex() == window.PAGE_DESK)
                settle()
                window.grab().save(str(out / f"{stem}-2-desk-typed-ahead.png"))
                keys("", Qt.Key_N, Qt.ControlModifier)
                settle()
                keys("Сейткалиев\tНурлан\t\tSEITKALIYEV NURLAN\t05051990\t")
                settle()
                window.grab().save(str(out / f"{stem}-3-card.png"))
                window.grab().save(str(img / f"gui-walk-{stem}.png"))
                keys("", Qt.Key_F, Qt.ControlModifier)
                keys("seitkaliyev")
                settle(30)
                window.grab().save(str(out / f"{stem}-4-search.png"))
                window.dirty = False
                window.search.live.stop()       # the live search would ask a registry about to go
                window.close()
                window.deleteLater()
                settle()
                registry.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
