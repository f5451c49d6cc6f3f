"""The desk at the screen sizes of clinics (issue 21 item 2), both languages, with a filled
card: docs/img/gui-size-WxH-LANG.png. Offscreen or under Xvfb:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/gui/screenshots_sizes.py [OUT]
"""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = ((1024, 768), (1280, 1024), (1366, 768), (1920, 1080))


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.settings import AppSettings
    from desktop.gui.style import STYLE
    from tests.gui.helpers import CLINIC, scratch_desk

    app = QApplication(sys.argv[:1])
    out = Path(argv[0]) if argv else ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref, clock, registry = scratch_desk(tmp, datetime(2026, 11, 22, 10, 30))
        registry.create_user("admin", "admin-pass-1", full_name="Айгерим Сапарова", role="admin", now=clock.now())
        registry.set_clinic_details(CLINIC, actor="admin", now=clock.now())
        window = MainWindow(registry, ref, AppSettings(tmp / "ws.ini"), clock, clock.now().date(),
                            db_path=tmp / "r.sqlite")
        app.setStyleSheet(STYLE)
        window.show()
        window.enter_desk(registry.get_user("admin"))
        case = json.loads((ROOT / "tests" / "cases" / "p04.json").read_text(encoding="utf-8"))["case"]
        case["person"].update({"iin": "900505300013", "latin_name": "TESTOV TEST", "phone": "+7 701 000 00 00"})
        for lang in ("ru", "kk"):
            window.switch_language(lang)
            window.form.set_case(case)
            window.recompute()
            for w, h in SIZES:
                window.resize(w, h)
                if window.tabs.indexOf(window.search) >= 0:       # the search folded: the card in front
                    window.tabs.setCurrentWidget(window.form_scroll)
                for _ in range(8):
                    app.processEvents()
                window.grab().save(str(out / f"gui-size-{w}x{h}-{lang}.png"))
        window.dirty = False
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
