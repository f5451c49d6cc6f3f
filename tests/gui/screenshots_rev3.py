"""Screenshots of revision 3 (issue 20) for docs/img, both languages: an uninsured citizen who
needs a specialist (paid by the price list) and who comes to the district doctor (free under
ГОБМП), and the ОСМС section with «нет платежей». Run under a real X server:

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 .venv/bin/python tests/gui/screenshots_rev3.py
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

UNINSURED = {"as_of": "2026-11-22",
             "person": {"iin": "800404300013", "citizenship": "KZ", "surname": "Ахметов", "given_name": "Болат",
                        "patronymic": "Серикович", "birth_date": "1980-04-04", "sex": "male"},
             "documents": [{"kind": "id_card_kz", "number": "040512345", "valid_until": "2030-01-01"}],
             "osms": {"status": "not_insured"}}


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference
    from desktop.gui.clock import fixed_clock
    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from desktop.store import open_registry
    from tests.gui.screenshots_desk import CLINIC

    app = QApplication(sys.argv[:1])
    out = ROOT / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_reference(ROOT / "db" / "sources", tmp / "ref.sqlite")
        ref = load_reference(tmp / "ref.sqlite")
        clock = fixed_clock(datetime(2026, 11, 22, 10, 30))
        registry = open_registry(tmp / "r.sqlite", now=clock.now())
        registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=clock.now())
        registry.set_clinic_details(CLINIC, actor="admin", now=clock.now())
        window = MainWindow(registry, ref, AppSettings(tmp / "s.ini"), clock, date(2026, 11, 22),
                            db_path=tmp / "r.sqlite")
        app.setStyleSheet(STYLE)
        window.resize(1560, 960)
        window.show()
        window.enter_desk(registry.get_user("admin"))

        def settle():
            for _ in range(6):
                app.processEvents()

        for lang in ("ru", "kk"):
            window.switch_language(lang)
            for need, name in (("planned", "specialist"), ("phc", "district-doctor")):
                window.dirty = False
                window.new_patient()
                window.form.set_case({**UNINSURED, "needs": need})
                window.recompute()
                settle()
                # the card scrolled to the ОСМС status and today's need, as the registrar sets them
                window.form_scroll.ensureWidgetVisible(window.form.visit_box, 0, 0)
                window.form_scroll.ensureWidgetVisible(window.form.osms_box, 0, 0)
                settle()
                window.grab().save(str(out / f"gui-uninsured-{name}-{lang}.png"))
                window.form_scroll.verticalScrollBar().setValue(0)
                window.panel.grab().save(str(out / f"gui-panel-uninsured-{name}-{lang}.png"))
            window.form.set_case({**UNINSURED, "osms": {"status": "unknown", "payer": "employee", "paid_months": []},
                                  "needs": "planned"})
            window.recompute()
            settle()
            window.form.osms_box.grab().save(str(out / f"gui-osms-no-payments-{lang}.png"))
            window.dirty = False
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
