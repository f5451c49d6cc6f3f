"""Printing through a real print queue: a CUPS server with a cups-pdf printer (Debian packages
`cups` and `printer-driver-cups-pdf`, installed by scripts/setup.sh --test). The preview's
Print goes through QPrinter to the queue; the PDF that cups-pdf writes is read back and its
pages compared with the stored document's.

The fixture starts cupsd when it is not running (as root, in a container without systemd) and
adds a queue with lpadmin. It skips, saying why, only where CUPS cannot be started."""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

try:
    from .conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401
except ImportError:
    from conftest_extra import NOW, TODAY, clock, db_path, decision_for, load_case, registry, tr  # noqa: F401

QUEUE = "PolyclinicTestPDF"
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")


def _run(*args, timeout=20) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def _scheduler_running() -> bool:
    return shutil.which("lpstat") is not None and "is running" in _run("lpstat", "-r").stdout


def _cups_pdf_ppd() -> str | None:
    """The cups-pdf driver the package installs (lpinfo -m), as an lpadmin -m name."""
    listing = _run("lpinfo", "-m").stdout
    for line in listing.splitlines():
        name = line.split(" ", 1)[0]
        if "CUPS-PDF" in name.upper():
            return name
    return None


def _out_dir() -> Path:
    """cups-pdf's Out directory for this user (${HOME} expanded), from cups-pdf.conf."""
    out = "/var/spool/cups-pdf/${USER}"
    if CUPS_PDF_CONF.is_file():
        for line in CUPS_PDF_CONF.read_text(errors="replace").splitlines():
            m = re.match(r"\s*Out\s+(\S+)", line)
            if m:
                out = m.group(1)
    user = pwd.getpwuid(os.getuid())
    return Path(out.replace("${HOME}", user.pw_dir).replace("${USER}", user.pw_name))


@pytest.fixture(scope="module")
def cups_queue():
    """A running CUPS scheduler with the PDF queue QUEUE; skipped (with the reason) otherwise."""
    if shutil.which("cupsd") is None and not Path("/usr/sbin/cupsd").exists():
        pytest.skip("CUPS is not installed (scripts/setup.sh --test installs cups and printer-driver-cups-pdf)")
    if not _scheduler_running():
        if os.geteuid() != 0:
            pytest.skip("cupsd is not running and only root can start it here")
        cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
        result = _run(cupsd)                       # daemonises; no systemd in a container
        for _ in range(50):
            if _scheduler_running():
                break
            time.sleep(0.2)
        else:
            pytest.skip(f"cupsd could not be started: {result.stderr.strip() or result.returncode}")
    ppd = _cups_pdf_ppd()
    if ppd is None:
        pytest.skip("the cups-pdf driver is not installed (printer-driver-cups-pdf)")
    added = _run("lpadmin", "-p", QUEUE, "-E", "-v", "cups-pdf:/", "-m", ppd)
    if added.returncode != 0:
        pytest.skip(f"lpadmin could not add the queue: {added.stderr.strip()}")
    yield QUEUE
    _run("lpadmin", "-x", QUEUE)


def _queue_printer(name):
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    def choose(_parent):
        assert name in QPrinterInfo.availablePrinterNames()
        printer = QPrinter(QPrinter.HighResolution)
        printer.setPrinterName(name)
        printer.setResolution(150)              # enough to compare pages; 300 dpi doubles the time
        return printer
    return choose


def _pages_gray(pdf: Path, folder: Path, stem: str) -> list:
    """Every page rendered by pdftoppm at 40 dpi, as Pillow grey images."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(folder / stem)], check=True, timeout=60)
    return [Image.open(p).convert("L") for p in sorted(folder.glob(f"{stem}-*.pgm"))]


def _correlation(a, b) -> float:
    from PIL import ImageChops, ImageStat

    sa, sb = ImageStat.Stat(a), ImageStat.Stat(b)
    product = ImageStat.Stat(ImageChops.multiply(a, b)).mean[0] * 255   # E[ab] (multiply divides by 255)
    return (product - sa.mean[0] * sb.mean[0]) / (sa.stddev[0] * sb.stddev[0] or 1)


def _likeness(a, b) -> float:
    """Pearson correlation of two grey pages (1: the same ink in the same places), after a
    slight blur, at the best of small shifts (the printer's margins move the raster by a few
    pixels); b is resized to a."""
    from PIL import ImageChops, ImageFilter

    a, b = a.filter(ImageFilter.GaussianBlur(1)), b.resize(a.size).filter(ImageFilter.GaussianBlur(1))
    return max(_correlation(a, ImageChops.offset(b, dx, dy)) for dx in range(-4, 5) for dy in range(-4, 5))


def test_preview_prints_through_cups_to_a_pdf_printer(qtbot, cups_queue, registry, ref, tr, clock, tmp_path):
    """Print in the preview sends the document through QPrinter to the CUPS queue; the PDF that
    cups-pdf writes has the document's pages, each the same as the stored document's page."""
    from desktop.gui.printing.preview import PrintPanel

    out_dir = _out_dir()
    # by name and time: a job named like an earlier run's (the same number) overwrites its file
    before = {p: p.stat().st_mtime_ns for p in out_dir.glob("*.pdf")} if out_dir.is_dir() else {}
    case = load_case("p01")
    panel = PrintPanel(registry, ref, tr, clock, "reg", choose_printer=_queue_printer(cups_queue))
    qtbot.addWidget(panel)
    panel.set_context(case, decision_for(case, ref, "ru"))
    panel.show()
    panel.open_kind("slip")
    dialog = panel.dialog
    qtbot.waitUntil(lambda: dialog.pdf is not None and not dialog.worker.busy()
                    and dialog.print_button.isEnabled(), timeout=30000)
    with qtbot.waitSignal(dialog.done, timeout=60000):
        qtbot.mouseClick(dialog.print_button, Qt.LeftButton)
    stored = registry.get_printed("2026-000001")
    assert stored is not None and stored.kind == "slip"

    deadline = time.monotonic() + 90
    made = []
    while time.monotonic() < deadline:
        made = [p for p in (out_dir.glob("*.pdf") if out_dir.is_dir() else ())
                if before.get(p) != p.stat().st_mtime_ns and p.stat().st_size > 0]
        if made and time.time() - max(p.stat().st_mtime for p in made) > 1:   # cups-pdf done writing
            break
        time.sleep(0.5)
    assert made, f"cups-pdf wrote nothing to {out_dir} (see /var/log/cups/)"
    printed = max(made, key=lambda p: p.stat().st_mtime)
    assert "2026-000001" in printed.name          # the job carries the document number

    original = tmp_path / "stored.pdf"
    original.write_bytes(stored.pdf)
    got = _pages_gray(printed, tmp_path, "queue")
    want = _pages_gray(original, tmp_path, "stored")
    assert len(got) == len(want) > 0
    likeness = [_likeness(a, b) for a, b in zip(want, got)]
    other = _likeness(want[0], got[1]) if len(want) > 1 else 0.0
    print(f"likeness of printed to stored pages: {likeness}; of two different pages: {other}")
    assert all(v > 0.8 for v in likeness), f"printed pages differ from the stored document: {likeness}"
    assert other < 0.6                                 # the measure tells two different pages apart
    printed.unlink()
