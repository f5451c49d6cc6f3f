"""Screenshots of Администрирование → «Возможные дубли» (the pairs with the merge preview, a
field taken from the second record; the merge history with a refused Undo) in Russian and
Kazakh, and the registrar's «Возможный дубль» banner on a stored card:
docs/img/gui-admin-duplicates-{ru,kk}.png, gui-admin-merge-history-{ru,kk}.png,
gui-card-possible-duplicate-ru.png.

    Xvfb :96 -screen 0 1600x1000x24 &  DISPLAY=:96 .venv/bin/python tests/gui/screenshots_duplicates.py [OUT_DIR]
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _case(surname, given, iin=None, docs=(), birth="1979-10-28", **person):
    return {"as_of": "2026-11-22", "needs": "attachment",
            "person": {"surname": surname, "given_name": given, "iin": iin, "birth_date": birth,
                       "citizenship": "RU", **person},
            "documents": [{"kind": k, "number": n, "country": c} for k, n, c in docs]}


def main(out: Path) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import desktop.gui.admin.duplicates as dups
    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference
    from desktop.gui.clock import fixed_clock
    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.i18n import Tr
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from desktop.store import open_registry

    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE)
    out.mkdir(parents=True, exist_ok=True)
    dups.confirm = lambda *args: True

    def settle(dialog=None):
        for _ in range(5):
            app.processEvents()
        while dialog is not None and dialog.worker.busy():
            app.processEvents()
        for _ in range(5):
            app.processEvents()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_reference(ROOT / "db" / "sources", tmp / "ref.sqlite")
        ref = load_reference(tmp / "ref.sqlite")
        clock = fixed_clock(datetime(2026, 11, 22, 10, 30))
        now = clock.now()
        registry = open_registry(tmp / "registry.sqlite", now=now)
        registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=now)
        registry.create_user("reg", "reg-pass-01", full_name="Дана Ержанова", role="registrar", now=now,
                             actor="admin")
        a = registry.save_patient(_case("Yakovlev", "Ivan", docs=[("passport", "75 1234567", "RU")],
                                        sex="male", phone="+7 701 000 00 01"), user="reg", now=now)
        b = registry.save_patient(_case("Яковлев", "Иван", "791028302728", patronymic="Петрович", sex="male",
                                        docs=[("passport", "751234567", "RU"),
                                              ("residence_permit", "RP 0042", "KZ")]), user="reg", now=now)
        registry.record_decision(b, {"as_of": "2026-11-22", "attachment": {"status": "allowed"}},
                                 user="reg", now=now)
        c = registry.save_patient(_case("Хасанов", "Рустам", birth="1990-01-01", citizenship="UZ"),
                                  user="reg", now=now)
        registry.save_patient(_case("Хассанов", "Рустам", birth="1990-01-01", patronymic="Ильдарович"),
                              user="reg", now=now)
        e = registry.save_patient(_case("Семёнова", "Ольга", birth="1985-03-03"), user="reg", now=now)
        f = registry.save_patient(_case("Семенова", "Ольга", birth="1985-03-03", patronymic="Игоревна"),
                                  user="reg", now=now)
        registry.flag_duplicate(f, e, user="reg", now=now)
        for lang in ("ru", "kk"):
            dialog = dups.DuplicatesDialog(registry, ref, Tr(lang), clock, "admin", date(2026, 11, 22))
            dialog.resize(1000, 700)
            dialog.show()
            settle(dialog)
            dialog.view.setCurrentIndex(dialog.model.index(1, 0))   # the Latin/Cyrillic pair
            settle()
            dialog.compare.setFocus()
            dialog.compare.setCurrentCell(1, 3)
            QTest.keyClick(dialog.compare, Qt.Key_Space)           # Фамилия from the second record
            settle()
            dialog.grab().save(str(out / f"gui-admin-duplicates-{lang}.png"))
            dialog.close()
        dialog = dups.DuplicatesDialog(registry, ref, Tr("ru"), clock, "admin", date(2026, 11, 22))
        dialog.show()
        settle(dialog)
        dialog.view.setCurrentIndex(dialog.model.index(1, 0))
        settle()
        dialog.merge()
        settle(dialog)
        registry.record_decision(a, {"as_of": "2026-11-23", "attachment": {"status": "allowed"}},
                                 user="reg", now=now + timedelta(days=1))
        for lang in ("ru", "kk"):
            dialog.retranslate(Tr(lang))
            dialog.tabs.setCurrentIndex(1)
            dialog.history_view.setCurrentIndex(dialog.history_model.index(0, 0))
            dialog.undo()                                          # refused: a decision after it
            settle(dialog)
            dialog.resize(1000, 500)
            dialog.grab().save(str(out / f"gui-admin-merge-history-{lang}.png"))
        dialog.close()
        window = MainWindow(registry, ref, AppSettings(tmp / "s.ini"), clock, date(2026, 11, 22),
                            db_path=tmp / "registry.sqlite")
        window.resize(1366, 768)
        window.show()
        window.enter_desk(registry.get_user("reg"))
        settle()
        window.open_patient(c)
        settle()
        window.grab().save(str(out / "gui-card-possible-duplicate-ru.png"))
        window.dirty = False
        window.close()
        registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"))
