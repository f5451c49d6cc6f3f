"""`polyclinic --exit-after-start` with POLYCLINIC_TOUR=LOGIN: once the desk is ready, sign in
as LOGIN (an administrator of the registry, password not asked: the tour is started by whoever
starts the program) and open every window of the desk once — each administration dialog, the
clinic's details, the password dialog, the keys, the MRZ and document dialogs, a PDF shown
with QtPdf and painted to a QPrinter, the print and file dialogs — closing each again.

It exists for scripts/smoke_bundle.sh: a bundle missing a Qt library, plugin or module that
one of these windows loads fails here (a message on stderr, exit 1), not at a clinic's desk.
Each window opened is printed on stdout as "tour: NAME ok".
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def run_tour(window, login: str) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    user = window.registry.get_user(login)
    if user is None or user.role != "admin":
        print(f"tour: {login!r} is not an administrator of this registry", file=sys.stderr)
        return 1
    window.enter_desk(user)
    app.processEvents()
    seen: list[str] = []

    def ok(name: str, widget=None) -> None:
        app.processEvents()
        if widget is not None:
            widget.close()
            app.processEvents()
        seen.append(name)
        print(f"tour: {name} ok", flush=True)

    try:
        for name in list(window.admin_menu.actions):
            ok(f"admin.{name}", window.admin_menu.open(name))
        window.admin_menu.dialogs.clear()
        ok("clinic", window.open_settings())
        ok("password", window.change_password())
        ok("keys", window.show_keys())
        ok("mrz", window.scan_mrz())
        ok("document", window.form.add_document())
        window.switch_language()
        window.switch_language()
        ok("language")
        _pdf_and_printer(ok)
    except Exception as exc:  # noqa: BLE001 - the tour reports what failed, and fails
        print(f"tour: failed after {seen[-1] if seen else 'the start'}: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1
    window.dirty = False
    return 0


def _pdf_and_printer(ok) -> None:
    """A document rendered (reportlab), shown (QtPdf, QPdfView), painted to a PDF printer
    (QtPrintSupport), and the print and file dialogs built."""
    from datetime import date

    from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    from PySide6.QtWidgets import QFileDialog

    from desktop.gui.printing.preview import PdfPreview, page_images, paint_pages
    from reportlab.pdfgen.canvas import Canvas
    import io

    from desktop.documents.fonts import register_fonts

    regular, _bold = register_fonts()
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=1)
    canvas.setFont(regular, 12)
    canvas.drawString(72, 720, f"Тексеру — проверка {date(2026, 1, 1).isoformat()}")
    canvas.showPage()
    canvas.save()
    pdf = buf.getvalue()
    view = PdfPreview()
    view.show()
    if view.set_pdf(pdf) != 1:
        raise RuntimeError("QtPdf did not read the test PDF")
    ok("pdf view", view)
    images = page_images(pdf, 72)
    with tempfile.TemporaryDirectory() as tmp:
        printer = QPrinter(QPrinter.HighResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(Path(tmp) / "tour.pdf"))
        paint_pages(images, printer)
        if not (Path(tmp) / "tour.pdf").is_file():
            raise RuntimeError("the PDF printer wrote nothing")
    ok("printer")
    ok("print dialog", QPrintDialog(QPrinter()))
    ok("file dialog", QFileDialog(None, "tour", str(Path.home())))
