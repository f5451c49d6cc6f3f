"""Screenshots of the administrator's Backups dialog with the passphrase fields (encrypted
backup; restoring an encrypted copy after a wrong passphrase), in Russian and Kazakh:
docs/img/gui-admin-backup-encrypt-{ru,kk}.png and gui-admin-backup-restore-{ru,kk}.png.

    Xvfb :97 -screen 0 1600x1000x24 &  DISPLAY=:97 .venv/bin/python tests/gui/screenshots_backup.py [OUT_DIR]
"""
from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(out: Path) -> int:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.gui.admin.data import BackupDialog
    from desktop.gui.clock import fixed_clock
    from desktop.gui.i18n import Tr
    from desktop.gui.style import STYLE
    from desktop.store import backups as store_backups, open_registry

    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE)
    out.mkdir(parents=True, exist_ok=True)

    def settle(dialog=None):
        for _ in range(5):
            app.processEvents()
        while dialog is not None and dialog.worker.busy():
            app.processEvents()

    def type_text(widget, text):
        for ch in text:
            for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, ch))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clock = fixed_clock(datetime(2026, 11, 22, 10, 30))
        registry = open_registry(tmp / "registry.sqlite", now=clock.now())
        registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=clock.now())
        folder = tmp / "backups"
        for stamp in ("20261120-080000", "20261121-080000", "20261122-080000"):
            store_backups.backup(registry, folder / f"registry-{stamp}.sqlite", actor="admin", now=clock.now())
        secret = tmp / "registry-20261122-1030.enc"
        store_backups.backup_encrypted(registry, secret, "зимний-вокзал-47", actor="admin", now=clock.now())
        for lang in ("ru", "kk"):
            dialog = BackupDialog(registry, Tr(lang), clock, "admin", tmp / "registry.sqlite",
                                  backups_dir=folder, choose_open=lambda _p: str(secret),
                                  ask=lambda *_: True)
            dialog.show()
            settle()
            QTest.keyClick(dialog.encrypt, Qt.Key_Space)
            type_text(dialog.passphrase, "зимний-вокзал-47")
            type_text(dialog.passphrase2, "зимний-вокзал")
            QTest.keyClick(dialog.passphrase2, Qt.Key_Return)      # refused: the entries differ
            settle()
            dialog.grab().save(str(out / f"gui-admin-backup-encrypt-{lang}.png"))
            QTest.keyClick(dialog.encrypt, Qt.Key_Space)
            dialog.restore_button.click()
            type_text(dialog.restore_passphrase, "летний-вокзал")
            QTest.keyClick(dialog.restore_passphrase, Qt.Key_Return)   # wrong: nothing replaced
            settle(dialog)
            settle()
            dialog.grab().save(str(out / f"gui-admin-backup-restore-{lang}.png"))
            dialog.close()
        registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"))
