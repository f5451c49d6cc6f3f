"""DejaVu Sans registration (embedded TrueType, so Kazakh letters print anywhere).

reportlab's font registry is process-wide; ``register_fonts`` is idempotent and is the
only place that touches it.
"""
from __future__ import annotations

import sys
from pathlib import Path

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


def font_dir() -> Path:
    """resources/fonts next to the package (source tree), else inside a PyInstaller bundle."""
    candidates = [Path(__file__).resolve().parents[2] / "resources" / "fonts"]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "resources" / "fonts")
    for c in candidates:
        if (c / _FILES[REGULAR]).is_file() and (c / _FILES[BOLD]).is_file():
            return c
    raise FileNotFoundError(
        "DejaVu fonts not found; looked in: " + ", ".join(str(c) for c in candidates))


def clinic_line(clinic: dict | None) -> str:
    """The clinic's one-line page header of the lists and reports: name · БИН · address."""
    clinic = clinic or {}
    return " · ".join(str(x) for x in (clinic.get("name"), clinic.get("bin") and f"БИН {clinic['bin']}",
                                       clinic.get("address")) if x)


def register_fonts() -> tuple[str, str]:
    """Register DejaVu Sans regular and bold once; returns (regular, bold) font names."""
    from reportlab.lib.fonts import addMapping  # here: the desk's font check needs only font_dir
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = set(pdfmetrics.getRegisteredFontNames())
    if REGULAR not in registered or BOLD not in registered:
        d = font_dir()
        for name, file in _FILES.items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(d / file)))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR, BOLD
