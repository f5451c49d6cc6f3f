"""Screenshots for docs/img/gui-*.png under a real X server (Xvfb), both languages.

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 .venv/bin/python tests/gui/screenshots.py
"""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from tests.gui.helpers import scratch_desk

    app = QApplication(sys.argv[:1])
    out = ROOT / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref, clock, registry = scratch_desk(tmp, datetime(2026, 11, 22, 10, 30))
        registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=clock.now())
        from tests.gui.screenshots_desk import CLINIC

        registry.set_clinic_details(CLINIC, actor="admin", now=clock.now())
        for name, iin in (("p04", "900505300013"), ("p05", None)):
            case = json.loads((ROOT / "tests" / "cases" / f"{name}.json").read_text(encoding="utf-8"))["case"]
            if iin:
                case["person"]["iin"] = iin
            registry.save_patient(case, user="admin", now=clock.now())
        window = MainWindow(registry, ref, AppSettings(tmp / "s.ini"), clock, date(2026, 11, 22),
                            db_path=tmp / "r.sqlite")
        app.setStyleSheet(STYLE)
        window.resize(1560, 960)
        window.show()
        window.enter_desk(registry.get_user("admin"))

        def settle():
            for _ in range(5):
                app.processEvents()

        for lang in ("ru", "kk"):
            window.switch_language(lang)
            window.new_patient()
            window.search.query.setText("Тест")
            window.search.search()
            settle()
            window.grab().save(str(out / f"gui-main-empty-{lang}.png"))
            case = json.loads((ROOT / "tests" / "cases" / "p04.json").read_text(encoding="utf-8"))["case"]
            case["person"].update({"iin": "900505300013", "latin_name": "TESTOV TEST", "phone": "+7 701 000 00 00"})
            window.form.set_case(case)
            window.recompute()
            settle()
            window.grab().save(str(out / f"gui-main-p04-{lang}.png"))
            window.form.grab().save(str(out / f"gui-form-{lang}.png"))
            window.panel.grab().save(str(out / f"gui-panel-p04-{lang}.png"))
            case = json.loads((ROOT / "tests" / "cases" / "p05.json").read_text(encoding="utf-8"))["case"]
            window.form.set_case(case)
            window.recompute()
            settle()
            window.panel.grab().save(str(out / f"gui-panel-p05-{lang}.png"))
            window.dirty = False
        # a new user's first minutes, typed with real key presses (the screen is grabbed, so
        # popups and dialogs show as the registrar sees them)
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from tests.core.test_mrz import kz_id_card

        def screen(name):
            settle()
            app.primaryScreen().grabWindow(0).copy(window.frameGeometry()).save(str(out / name))

        for lang in ("ru", "kk"):
            window.switch_language(lang)
            window.dirty = False
            window.new_patient()
            window.activateWindow()
            settle()
            QTest.keyClicks(window.form.surname, "Smith")
            window.form.citizenship.setFocus()
            settle()
            from PySide6.QtCore import QEvent
            from PySide6.QtGui import QKeyEvent

            for ch in ("США" if lang == "ru" else "АҚШ"):       # Cyrillic: key events with text
                for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                    app.sendEvent(window.form.citizenship.lineEdit(), QKeyEvent(kind, 0, Qt.NoModifier, ch))
            screen(f"gui-citizenship-{lang}.png")
            QTest.keyClick(window.form.citizenship.popup_completer.popup(), Qt.Key_Escape)
            window.form.birth_date.setFocus()
            QTest.keyClicks(window.form.birth_date, "31022021")
            QTest.keyClick(window.form.birth_date, Qt.Key_Tab)
            settle()
            screen(f"gui-date-error-{lang}.png")
            window.dirty = False
            window.new_patient()
            settle()
            dialog = window.scan_mrz()
            lines = kz_id_card()
            lines[1] = lines[1][:6] + "9" + lines[1][7:]
            for line in lines:
                QTest.keyClicks(dialog.text, line)
                QTest.keyClick(dialog.text, Qt.Key_Return)
            screen(f"gui-mrz-bad-{lang}.png")
            for line in kz_id_card():
                QTest.keyClicks(dialog.text, line)
                QTest.keyClick(dialog.text, Qt.Key_Return)
            settle()
            screen(f"gui-mrz-filled-{lang}.png")
            doc_dialog = window.form.add_document()
            doc_dialog.kind.set_code("dms_contract")
            QTest.keyClicks(doc_dialog.number, "DMS-2026/118")
            doc_dialog.valid_from.setFocus()
            QTest.keyClicks(doc_dialog.valid_from, "15012026")
            screen(f"gui-document-dialog-{lang}.png")
            doc_dialog.reject()
            box = window.show_keys()
            screen(f"gui-keys-{lang}.png")
            box.close()
            window.dirty = False
            window.new_patient()
        window.switch_language("ru")
        # printing: the preview of the real pages, the estimate's service picker, the history
        window.switch_language("ru")
        window.open_patient(window.search.model.rows[0].id)
        settle()
        window.print_panel.open_kind("slip")
        dialog = window.print_panel.dialog
        while dialog.pdf is None or dialog.worker.busy():
            settle()
        dialog.resize(900, 980)
        settle()
        dialog.grab().save(str(out / "gui-print-preview.png"))
        dialog.close()
        for lang in ("ru", "kk"):
            window.switch_language(lang)
            picker = window.print_panel.open_picker()
            picker.resize(900, 620)
            settle()
            picker.grab().save(str(out / ("gui-print-picker.png" if lang == "ru" else "gui-print-picker-kk.png")))
            picker.reject()
        window.switch_language("ru")
        from desktop import services

        services.print_document(registry, ref, kind="slip", case=window.form.case(), decision=window.decision,
                                lang="ru", on=date(2026, 11, 22), now=clock.now(), user="admin",
                                patient_id=window.patient_id)
        window.history.set_items(registry.history(window.patient_id))
        window.tabs.setCurrentIndex(1)
        window.history.view.selectRow(0)
        settle()
        window.grab().save(str(out / "gui-history-ru.png"))
        window.tabs.setCurrentIndex(0)
        prices = window.admin_menu.open("prices")
        prices.resize(980, 620)
        settle()
        prices.grab().save(str(out / "gui-admin-prices.png"))
        prices.close()
        window.menuBar().setActiveAction(window.admin_menu.menu.menuAction())
        settle()
        menu = window.admin_menu.menu
        menu.popup(window.mapToGlobal(window.menuBar().geometry().bottomLeft()))
        settle()
        menu.grab().save(str(out / "gui-admin-menu-ru.png"))
        menu.hide()
        window.dirty = False
        window.show_login("admin", locked=False)
        settle()
        window.grab().save(str(out / "gui-login-kk.png"))
        window.close()
        registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
