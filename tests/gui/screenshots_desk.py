"""A new clinic from the first start to printed documents, as a new user goes through it, with
screenshots of every screen and page renders (pdftoppm) in Russian and Kazakh. Run under Xvfb:

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 .venv/bin/python tests/gui/screenshots_desk.py [OUT]

README images (docs/img): gui-setup-*, gui-login-*, gui-print-no-clinic-ru, gui-password-ru,
gui-admin-audit-ru, gui-admin-worklist-ru, gui-print-preview-kk, doc-*.png. Everything else
(every step, the renders of both languages, the page that came out of the CUPS queue when one
is configured: --queue NAME) goes to OUT (default /tmp/desk-walkthrough) for review.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.gui.helpers import CLINIC, scratch_desk  # noqa: E402


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.core.api import decide_data
    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from desktop.store import open_registry

    args = [a for a in argv if not a.startswith("--")]
    queue = argv[argv.index("--queue") + 1] if "--queue" in argv else None
    review = Path(args[0]) if args else Path("/tmp/desk-walkthrough")
    review.mkdir(parents=True, exist_ok=True)
    img = ROOT / "docs" / "img"
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE)

    def settle(n=8):
        for _ in range(n):
            app.processEvents()

    def type_text(widget, text):
        widget.setFocus()
        for ch in text:
            if ch.isascii():
                QTest.keyClicks(widget, ch)
            else:
                for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                    QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, ch))

    def shot(widget, name, *, readme=False):
        settle()
        widget.grab().save(str((img if readme else review) / f"{name}.png"))
        if readme:
            widget.grab().save(str(review / f"{name}.png"))

    def wait(cond, limit=3000):
        for _ in range(limit):
            if cond():
                return True
            QTest.qWait(10)
        return False

    def render(pdf_path, stem, dpi=60, first_only=False):
        cmd = ["pdftoppm", "-r", str(dpi), "-png"] + (["-f", "1", "-l", "1", "-singlefile"] if first_only else [])
        subprocess.run(cmd + [str(pdf_path), str(stem)], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref, clock, registry = scratch_desk(tmp, datetime(2026, 11, 22, 10, 30))
        settings = AppSettings(tmp / "s.ini")
        window = MainWindow(registry, ref, settings, clock, date(2026, 11, 22), db_path=tmp / "r.sqlite")
        window.resize(1560, 960)
        window.show()
        settle()

        # 1. first start: the administrator (a weak password first, as people do)
        page = window.setup_page
        shot(window, "gui-setup-admin-ru", readme=True)
        for w, t in ((page.full_name, "Сапарова Айгерим Маратовна"), (page.login, "saparova"),
                     (page.password, "12345"), (page.repeat, "12345")):
            type_text(w, t)
        QTest.mouseClick(page.button, Qt.LeftButton)
        wait(lambda: page.error.isVisible() and not window.worker.busy())
        shot(window, "01-setup-weak-password-ru")
        for w in (page.password, page.repeat):
            w.clear()
            type_text(w, "Регистратура-2026")
        QTest.mouseClick(page.button, Qt.LeftButton)
        wait(lambda: page.clinic.isVisible())
        shot(window, "02-setup-clinic-empty-ru")
        # 2. the clinic: a wrong БИН first
        for name, value in {**CLINIC, "bin": "123456789012"}.items():
            type_text(page.clinic.inputs[name], value)
        QTest.mouseClick(page.button, Qt.LeftButton)
        settle()
        shot(window, "gui-setup-clinic-ru", readme=True)
        page.clinic.inputs["bin"].clear()
        type_text(page.clinic.inputs["bin"], CLINIC["bin"])
        QTest.mouseClick(page.button, Qt.LeftButton)
        wait(lambda: window.stack.currentWidget() is window.login_page)
        shot(window, "gui-login-ru", readme=True)
        type_text(window.login_page.password, "Регистратура-2026")
        QTest.keyClick(window.login_page.password, Qt.Key_Return)
        wait(lambda: window.stack.currentIndex() == window.PAGE_DESK)
        shot(window, "03-desk-empty-ru")
        # a registrar's account
        registry.create_user("nurlan", "Тіркеуші-2026", full_name="Ахметов Нурлан Серикович",
                             role="registrar", now=clock.now(), actor="saparova")

        # 3. a patient, the slip: preview, print (CUPS queue when given), documents in both languages
        case = json.loads((ROOT / "tests" / "cases" / "p04.json").read_text(encoding="utf-8"))["case"]
        case["person"].update({"iin": "900505300013", "phone": "+7 701 000 00 00"})
        case["attachment_channel"] = "clinic"
        for lang in ("ru", "kk"):
            window.switch_language(lang)
            window.form.set_case(case)
            window.recompute()
            shot(window, f"04-desk-p04-{lang}")
            window.print_panel.open_kind("slip")
            dialog = window.print_panel.dialog
            wait(lambda: dialog.pdf is not None and not dialog.worker.busy())
            dialog.resize(900, 980)
            shot(dialog, "gui-print-preview-kk" if lang == "kk" else f"05-preview-{lang}",
                 readme=lang == "kk")
            if queue:
                from PySide6.QtPrintSupport import QPrinter

                def to_queue(_parent):
                    printer = QPrinter(QPrinter.HighResolution)
                    printer.setPrinterName(queue)
                    return printer
                dialog.choose_printer = to_queue
                QTest.mouseClick(dialog.print_button, Qt.LeftButton)
            else:
                dialog.choose_path = lambda _p, _s, lang=lang: str(review / f"slip-{lang}.pdf")
                dialog.save_clicked()
            wait(lambda: dialog.stored is not None and not dialog.worker.busy())
            (review / f"slip-{lang}.pdf").write_bytes(dialog.stored.pdf)
            render(review / f"slip-{lang}.pdf", review / f"06-slip-{lang}", dpi=70)
            dialog.close()
            window.dirty = False
        # the other documents (Russian, for the README) straight from the services
        from desktop import services

        window.switch_language("ru")
        on = date(2026, 11, 22)
        samples = {"slip": ("p04", {"iin": "900505300013"}), "refusal": ("p06", {}),
                   "referral": ("p09", {}), "estimate": ("p07", {})}
        for kind, (name, person) in samples.items():
            c = json.loads((ROOT / "tests" / "cases" / f"{name}.json").read_text(encoding="utf-8"))["case"]
            c["person"].update(person)
            if kind == "referral":
                c["referral"] = {"purpose": "consultation", "urgency": "urgent",
                                 "services": ["Консультация инфекциониста"],
                                 "diagnosis_text": "Корь?"}
            for lang in ("ru", "kk"):
                d = decide_data(c, ref, default_date=on, lang=lang).to_dict()
                try:
                    printed = services.print_document(registry, ref, kind=kind, case=c, decision=d, lang=lang,
                                                      on=on, now=clock.now(), user="saparova",
                                                      services=[("CONS-GP", 1), ("RAD-FLG", 1)] if kind == "estimate" else None)
                except ValueError as e:
                    print(f"{kind} {name} {lang}: {e}", file=sys.stderr)
                    continue
                pdf = review / f"{kind}-{lang}.pdf"
                pdf.write_bytes(printed.pdf)
                render(pdf, review / f"07-{kind}-{lang}", dpi=70)
                if lang == "ru":
                    render(pdf, img / f"doc-{kind}", dpi=60, first_only=True)

        # 4. Service: the password dialog, the lock and another user, the lockout
        dialog = window.change_password()
        shot(dialog, "gui-password-ru", readme=True)
        dialog.reject()
        window.form.set_case(case)
        window.dirty = True
        window.lock("idle")
        shot(window, "gui-login-locked-ru", readme=True)
        window.login_page.login.clear()
        type_text(window.login_page.login, "nurlan")
        type_text(window.login_page.password, "Тіркеуші-2026")
        QTest.keyClick(window.login_page.password, Qt.Key_Return)
        wait(lambda: window.stack.currentIndex() == window.PAGE_DESK)
        shot(window, "08-desk-after-handover-ru")
        window.lock("manual")
        for _ in range(5):
            registry.login("nurlan", "wrong-password", now=clock.now())
        window.login_page.login.clear()
        type_text(window.login_page.login, "nurlan")
        type_text(window.login_page.password, "Тіркеуші-2026")
        QTest.keyClick(window.login_page.password, Qt.Key_Return)
        wait(lambda: "5:00" in window.login_page.error.text() or "4:" in window.login_page.error.text())
        shot(window, "gui-login-lockout-ru", readme=True)
        window.switch_language("kk")
        shot(window, "gui-login-kk", readme=True)
        window.switch_language("ru")
        window.login_page.login.clear()
        type_text(window.login_page.login, "saparova")
        type_text(window.login_page.password, "Регистратура-2026")
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QMessageBox

        def answer_draft(tries=0):
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
            if not boxes:
                if tries < 300:
                    QTimer.singleShot(20, lambda: answer_draft(tries + 1))
                return
            boxes[0].grab().save(str(img / "gui-draft-offer-ru.png"))
            boxes[0].buttons()[0].click()
        QTimer.singleShot(20, answer_draft)
        QTest.keyClick(window.login_page.password, Qt.Key_Return)
        wait(lambda: window.stack.currentIndex() == window.PAGE_DESK)
        settle()
        shot(window, "09-draft-restored-ru")

        # 5. administration: audit in words, worklist as a call list
        audit = window.admin_menu.open("audit")
        audit.resize(1200, 620)
        shot(audit, "gui-admin-audit-ru", readme=True)
        audit.close()
        c = json.loads((ROOT / "tests" / "cases" / "p04.json").read_text(encoding="utf-8"))["case"]
        c["person"]["phone"] = "+7 701 234 56 78"
        for doc in c["documents"]:
            if doc["kind"] == "dms_contract":
                doc["valid_until"] = "2026-12-10"
        pid = registry.save_patient(c, user="saparova", now=clock.now())
        registry.record_decision(pid, decide_data(c, ref, default_date=on).to_dict(), user="saparova",
                                 now=clock.now())
        worklist = window.admin_menu.open("worklist")
        worklist.resize(1000, 420)
        shot(worklist, "gui-admin-worklist-ru", readme=True)
        worklist.write_pdf(review / "worklist.pdf")
        render(review / "worklist.pdf", review / "10-worklist", dpi=60)
        worklist.close()
        settings_dialog = window.open_settings()
        settle()
        shot(settings_dialog, "gui-admin-clinic-ru", readme=True)
        settings_dialog.reject()

        # 6. printing before the clinic's details exist (a second, empty registry)
        registry2 = open_registry(tmp / "r2.sqlite", now=clock.now())
        registry2.create_user("admin", "Администратор-1", full_name="Админ", role="admin", now=clock.now())
        w2 = MainWindow(registry2, ref, AppSettings(tmp / "s2.ini"), clock, on, db_path=tmp / "r2.sqlite")
        w2.resize(1560, 960)
        w2.show()
        w2.enter_desk(registry2.get_user("admin"))
        w2.form.set_case(case)
        w2.recompute()
        w2.print_panel.open_kind("slip")
        settle()
        w2.print_panel.clinic_box.grab().save(str(img / "gui-print-no-clinic-ru.png"))
        shot(w2, "11-print-no-clinic-ru")
        w2.print_panel.clinic_box.close()
        w2.dirty = window.dirty = False
        w2.close()
        window.close()
        registry2.close()
        registry.close()
    print(f"review images in {review}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
