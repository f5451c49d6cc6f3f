"""Screenshots of the reports (docs/img/gui-report-*.png) and their PDFs rendered to PNG
(docs/img/doc-report-*.png) under a real X server (Xvfb):

    Xvfb :99 -screen 0 1600x1000x24 &  DISPLAY=:99 .venv/bin/python tests/gui/screenshots_reports.py

A registry of about a hundred patients decided by the core over November, with printouts.
"""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SURNAMES = ("Ахметов", "Сапарова", "Иванов", "Ким", "Омаров", "Петрова", "Нұрланов", "Алиев",
            "Цой", "Есенова", "Karimov", "Smith", "Жұмабаев", "Беридзе", "Юсупова")


def build(tmp: Path):
    from desktop.core.api import decide_data
    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference
    from desktop.services import print_document, seed_prices_from_reference
    from desktop.store import open_registry
    from tests.gui.screenshots_desk import CLINIC

    build_reference(ROOT / "db" / "sources", tmp / "ref.sqlite")
    ref = load_reference(tmp / "ref.sqlite")
    start = datetime(2026, 11, 2, 9, 0)
    registry = open_registry(tmp / "r.sqlite", now=start)
    registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=start)
    registry.create_user("reg1", "reg-pass-123", full_name="Дана Омарова", role="registrar", now=start, actor="admin")
    registry.create_user("reg2", "reg-pass-123", full_name="Ерлан Ким", role="registrar", now=start, actor="admin")
    seed_prices_from_reference(registry, ref, start)
    registry.set_clinic_details(CLINIC, actor="admin", now=start)
    cases = [json.loads(p.read_text(encoding="utf-8"))["case"] for p in sorted((ROOT / "tests" / "cases").glob("p*.json"))]
    rng = random.Random(7)
    n = 0
    for day in range(2, 23):
        if date(2026, 11, day).weekday() == 6:
            continue
        for _ in range(rng.randrange(3, 9)):
            case = copy.deepcopy(rng.choice(cases))
            case["person"]["iin"] = None
            case["person"]["surname"] = rng.choice(SURNAMES)
            case["person"]["given_name"] = f"Тест{n}"
            case["person"]["sex"] = rng.choice(("male", "female"))
            on = date(2026, 11, day)
            case["as_of"] = on.isoformat()
            try:
                decision = decide_data(case, ref, on=on, default_date=on, lang="ru").to_dict()
            except Exception:
                continue
            moment = datetime(2026, 11, day, 9 + rng.randrange(8), rng.randrange(60))
            user = rng.choice(("reg1", "reg2"))
            pid = registry.save_patient(case, user=user, now=moment)
            registry.record_decision(pid, decision, user=user, now=moment)
            n += 1
            status = decision["attachment"]["status"]
            kind = "slip" if status == "allowed" else "refusal"
            try:
                print_document(registry, ref, kind=kind, case=case, decision=decision, lang="ru", on=on,
                               now=moment + timedelta(minutes=2), user=user, patient_id=pid)
                if rng.random() < 0.3:
                    print_document(registry, ref, kind="estimate", case=case, decision=decision, lang="ru",
                                   on=on, now=moment + timedelta(minutes=3), user=user, patient_id=pid,
                                   services=[("CONS-SPEC", 1), ("LAB-CBC", rng.randrange(1, 3))])
            except Exception as e:  # noqa: BLE001
                print("print skipped:", e)
    return registry, ref


def main() -> int:
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    from desktop.gui.admin.reports import ReportsDialog
    from desktop.gui.clock import fixed_clock
    from desktop.gui.i18n import Tr
    from desktop.gui.style import STYLE
    from desktop.services import render_report, run_report

    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE)
    out = ROOT / "docs" / "img"
    clock = fixed_clock(datetime(2026, 11, 22, 17, 30))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        registry, ref = build(tmp)

        def settle():
            for _ in range(10):
                app.processEvents()

        shots = [("summary", "ru", 0), ("summary", "kk", 0), ("summary", "ru", 4), ("summary", "ru", 1),
                 ("summary", "ru", 3), ("journal", "ru", 0), ("journal", "kk", 0), ("paid-services", "ru", 0),
                 ("lapsing", "ru", 0), ("registrars", "ru", 0)]
        for name, lang, tab in shots:
            dialog = ReportsDialog(registry, ref, Tr(lang), clock, "admin", date(2026, 11, 22))
            dialog.resize(1280, 760)
            dialog.show()
            dialog.select(name)
            dialog.on.setDate(QDate(2026, 11, 20))
            dialog.start.setDate(QDate(2026, 11, 1))
            dialog.end.setDate(QDate(2026, 11, 22) if name != "lapsing" else QDate(2027, 2, 28))
            dialog.run_report()
            dialog.wait()
            settle()
            dialog.tabs.setCurrentIndex(tab)
            settle()
            dialog._align_totals()
            settle()
            key = dialog.result["sections"][tab]["key"]
            dialog.grab().save(str(out / f"gui-report-{name}-{key}-{lang}.png"))
            if name == "summary" and tab == 0 and lang == "ru":
                dialog.figure(dialog.result["sections"][0], dialog.views["results"][1].model(),
                              dialog.views["results"][1].model().index(0, 4), True)
                settle()
                dialog.patients_dialog.grab().save(str(out / "gui-report-patients-ru.png"))
                dialog.patients_dialog.close()
            dialog.close()
        for name, lang, params in (("summary", "ru", {"from": "2026-11-01", "to": "2026-11-22"}),
                                   ("summary", "kk", {"from": "2026-11-01", "to": "2026-11-22"}),
                                   ("journal", "ru", {"on": "2026-11-20"}),
                                   ("paid-services", "ru", {"from": "2026-11-01", "to": "2026-11-22"}),
                                   ("lapsing", "ru", {"from": "2026-11-22", "to": "2027-02-28"}),
                                   ("registrars", "kk", {"from": "2026-11-01", "to": "2026-11-22"})):
            result = run_report(registry, name, params, user="admin", now=clock.now(), fmt="pdf")
            pdf = tmp / f"{name}-{lang}.pdf"
            pdf.write_bytes(render_report(registry, ref, result, "pdf", lang))
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf),
                            str(out / f"doc-report-{name}-{lang}")], check=True)
        registry.close()
    print("written to", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
