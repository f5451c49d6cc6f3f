"""Printing at the desk: the buttons under the decision panel, the preview of the real PDF
pages (QtPdf) with Print and Save as PDF, and re-printing a stored document unchanged.

The number is taken only when the registrar confirms printing or saving
(`services.print_document`, which stores the exact PDF); a preview is rendered with the
word "ПРЕДПРОСМОТР" in place of the number, so looking costs no number. Rendering, numbering
and rasterising run on a worker thread and never touch widgets; painting on the printer is
done in the GUI thread from the finished page images.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (QDialog, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.gui.printing.picker import ServicePicker
from desktop.gui.worker import Worker
from desktop.gui.widgets import FitsScreen

KINDS = ("slip", "refusal", "referral", "estimate")
# Printed in place of the number on a preview (no number is spent on looking).
PREVIEW_NUMBER = {"ru": "ПРЕДПРОСМОТР", "kk": "АЛДЫН АЛА ҚАРАУ"}
MAX_PRINT_DPI = 300


def now_of(clock) -> object:
    """The time from the caller's clock: a `Clock` (with .now()) or a plain callable."""
    return clock.now() if hasattr(clock, "now") else clock()


@dataclass
class PrintRequest:
    """What to print: the document kind, the case and decision (a dict in `lang`), the
    document date, the estimate's lines and the patient (if saved)."""

    kind: str
    case: dict
    decision: dict
    lang: str
    on: date
    services: list[tuple[str, Decimal]] = field(default_factory=list)
    patient_id: int | None = None


def kinds_for(case: dict | None, decision: dict | None) -> dict[str, bool]:
    """Which document buttons to show for a decision, and whether each is usable now:
    the slip only for an allowed attachment, the refusal for not_allowed/needs_documents,
    the referral when the case names its purpose, the estimate always."""
    if not decision:
        return {}
    status = (decision.get("attachment") or {}).get("status")
    shown = {"estimate": True}
    if status == "allowed":
        shown["slip"] = True
    if status in ("not_allowed", "needs_documents"):
        shown["refusal"] = True
    referral = (case or {}).get("referral")
    # rev. 2: a need other than attachment (emergency, planned care, a diagnosis) is offered
    # the referral too, its purpose taken from the need
    shown["referral"] = (isinstance(referral, dict) and bool(referral.get("purpose"))) \
        or bool(decision.get("care"))
    return {k: shown[k] for k in KINDS if k in shown}


def render_preview(registry, ref, request: PrintRequest) -> bytes:
    """The document as it will print, with PREVIEW_NUMBER for the number; nothing is stored.
    Same clinic details and price list as `services.print_document`."""
    from desktop import documents, services

    lines = None
    if request.kind == "estimate":
        prices = {p.code: p for p in services.clinic_prices(registry, ref, request.on)}
        wanted = list(request.services) or documents.exam_lines(ref, request.on)
        lines = []
        for code, qty in wanted:
            if code not in prices:
                raise services.ServiceError(f"unknown service code {code!r}")
            lines.append((prices[code], qty))
    clinic = services.clinic_for_print(registry, request.lang)
    return documents.render(request.kind, case=request.case, decision=request.decision, ref=ref,
                            clinic=clinic, number=PREVIEW_NUMBER.get(request.lang, PREVIEW_NUMBER["ru"]),
                            on=request.on, lang=request.lang, lines=lines)


def page_images(pdf: bytes, dpi: int) -> list[QImage]:
    """Every page of `pdf` as an image at `dpi` (safe on a worker thread: its own document)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.ReadOnly)
    doc = QPdfDocument()
    doc.load(buffer)
    images = []
    for i in range(doc.pageCount()):
        points = doc.pagePointSize(i)
        size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
        images.append(doc.render(i, size))
    doc.close()
    return images


def paint_pages(images: list[QImage], printer: QPrinter) -> None:
    """Paint finished page images on the printer, one page each, scaled to the paper."""
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer cannot be opened")
    try:
        for i, image in enumerate(images):
            if i:
                printer.newPage()
            area = QRectF(printer.pageLayout().fullRectPixels(printer.resolution()))
            scale = min(area.width() / image.width(), area.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            painter.drawImage(QRectF(area.x() + (area.width() - w) / 2, area.y(), w, h), image)
    finally:
        painter.end()


def ask_printer(parent: QWidget) -> QPrinter | None:
    """The system print dialog; the chosen printer or None."""
    printer = QPrinter(QPrinter.HighResolution)
    dialog = QPrintDialog(printer, parent)
    return printer if dialog.exec() == QDialog.Accepted else None


_NOT_IN_FILE_NAMES = set('<>:"/\\|?*')
_RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                   *(f"LPT{i}" for i in range(1, 10))}


def safe_file_name(name: str, limit: int = 150) -> str:
    """`name` as a file name Windows accepts: no <>:"/\\|?* or control characters (each
    becomes "_"), no trailing dots or spaces, not a reserved device name, not too long."""
    cleaned = " ".join(name.split())           # tabs and line breaks: one space
    cleaned = "".join("_" if ch in _NOT_IN_FILE_NAMES or ord(ch) < 32 else ch for ch in cleaned)
    cleaned = cleaned[:limit].rstrip(" .")
    if not cleaned or cleaned.split(".")[0].upper() in _RESERVED_NAMES:
        cleaned = f"_{cleaned}"
    return cleaned


def suggested_pdf_path(who: str | None, document: str, number: str | None) -> str:
    """«Фамилия Имя — Документ № 2026-000001.pdf» in the user's Documents folder."""
    from PySide6.QtCore import QStandardPaths

    parts = [p for p in (who, document) if p]
    name = " — ".join(parts) + (f" № {number}" if number else "")
    folder = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    if not folder or not Path(folder).is_dir():     # no Documents folder (a fresh account):
        folder = str(Path.home())                   # home, not the program's working folder
    return str(Path(folder) / f"{safe_file_name(name or 'document')}.pdf")


def ask_save_path(parent: QWidget, suggested: str, tr) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, tr("print.save_title"), suggested,
                                          tr("print.pdf_filter"))
    return path or None


class PdfPreview(QWidget):
    """The real pages of a PDF (QPdfDocument + QPdfView), fitted to the width."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self._buffer: QBuffer | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)

    def set_pdf(self, pdf: bytes) -> int:
        """Show `pdf`; returns its page count."""
        self.document.close()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        return self.document.pageCount()

    def page_count(self) -> int:
        return self.document.pageCount()


class PrintDialog(FitsScreen, QDialog):
    """Preview → Print (focused) or Save as PDF. Two ways in:

    * `request` (a PrintRequest): a preview rendered without a number; Print or Save takes
      the number through `services.print_document` once, then both use the stored bytes;
    * `number` (a printed document's number): the stored exact bytes, printed unchanged.

    `choose_printer(parent) -> QPrinter | None` and `choose_path(parent, suggested) -> str | None`
    default to the system dialogs (tests pass a PDF printer and a path)."""

    printed = Signal(str, str)      # (number, kind) once a number was taken
    done = Signal(str)              # "printed" | "saved" after output was written

    def __init__(self, registry, ref, tr, clock, user: str, request: PrintRequest | None = None, *,
                 number: str | None = None, choose_printer: Callable | None = None,
                 choose_path: Callable | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        if (request is None) == (number is None):
            raise ValueError("give either a print request or a stored document number")
        self.setObjectName("printDialog")
        self.registry, self.ref, self.tr, self.clock, self.user = registry, ref, tr, clock, user
        self.request, self.number = request, number
        self.choose_printer = choose_printer or ask_printer
        self.choose_path = choose_path or (lambda parent, suggested: ask_save_path(parent, suggested, self.tr))
        self.worker = Worker(self)
        self.pdf: bytes | None = None
        self.kind = request.kind if request else None
        self.stored = None              # PrintedDocument / services.Printed once numbered
        self._state: tuple[str, dict] = ("print.rendering", {})
        self.last_error: str | None = None
        self.resize(860, 960)

        self.banner = QLabel()
        self.banner.setObjectName("previewBanner")
        self.banner.setWordWrap(True)
        self.preview = PdfPreview(self)
        self.pages = QLabel()
        self.pages.setObjectName("hint")
        self.print_button = QPushButton()
        self.print_button.setObjectName("primary")
        self.print_button.setDefault(True)
        self.save_button = QPushButton()
        self.save_button.setAutoDefault(False)
        self.close_button = QPushButton()
        self.close_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.pages, 1)
        row.addWidget(self.close_button)
        row.addWidget(self.save_button)
        row.addWidget(self.print_button)
        box = QVBoxLayout(self)
        box.addWidget(self.banner)
        box.addWidget(self.preview, 1)
        box.addLayout(row)
        self.print_button.clicked.connect(self.print_clicked)
        self.save_button.clicked.connect(self.save_clicked)
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.Print, self, activated=self.print_clicked)
        QShortcut(QKeySequence.Save, self, activated=self.save_clicked)
        self._busy(True)
        self.retranslate(tr)
        self._load()

    # --- language ----------------------------------------------------------------------------
    def retranslate(self, tr) -> None:
        self.tr = tr
        self.setWindowTitle(tr("print.title"))
        self.print_button.setText(tr("print.print"))
        self.save_button.setText(tr("print.save_pdf"))
        self.close_button.setText(tr("print.close"))
        self._show_state()

    def _set_state(self, key: str, kind: str, **fields) -> None:
        self._state = (key, fields)
        self.banner.setProperty("kind", kind)
        self.banner.setStyleSheet({
            "preview": "#previewBanner { background: #fff4db; border: 1px solid #e8b44c; color: #7a4300; }",
            "numbered": "#previewBanner { background: #e3f4ea; border: 1px solid #1e7a46; color: #14532d; }",
            "error": "#previewBanner { background: #fdecea; border: 1px solid #e5a29b; color: #8a1c12; }",
            "busy": "#previewBanner { background: #eef4fb; border: 1px solid #b8cde6; }",
        }[kind].replace("}", " border-radius: 6px; padding: 8px; font-weight: 600; }"))
        self._show_state()

    def _show_state(self) -> None:
        key, fields = self._state
        self.banner.setText(self.tr(key, **fields))
        n = self.preview.page_count()
        self.pages.setText(self.tr("print.pages", n=n) if n else "")

    def _busy(self, busy: bool) -> None:
        ready = not busy and self.pdf is not None
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    # --- loading -------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.number is not None:
            row = self.registry.get_printed(self.number)
            if row is None:
                self._set_state("print.not_found", "error", number=self.number)
                return
            self.stored, self.kind = row, row.kind
            self._show_pdf(bytes(row.pdf))
            self._set_state("print.reprint_banner", "numbered", number=row.number,
                            when=row.created_at.strftime("%d.%m.%Y %H:%M"), user=row.user)
            self._ready()
            return
        self._set_state("print.rendering", "busy")
        request, registry, ref = self.request, self.registry, self.ref
        self.worker.submit(lambda: render_preview(registry, ref, request), self._preview_done)

    def _preview_done(self, pdf, error) -> None:
        if error is not None:
            self._fail(error)
            return
        self._show_pdf(pdf)
        self._set_state("print.preview_banner", "preview")
        self._ready()

    def _show_pdf(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.preview.set_pdf(pdf)

    def _ready(self) -> None:
        self._busy(False)
        self.print_button.setFocus()

    def _fail(self, error: Exception) -> None:
        self.last_error = str(error)
        self._set_state("print.failed", "error", message=error)
        self._busy(False)

    def is_preview(self) -> bool:
        return self.stored is None and self.pdf is not None

    # --- numbering -----------------------------------------------------------------------------
    def _numbered(self, then: Callable[[], None]) -> None:
        """Run `then` once the document has its number (taking it now if it has none)."""
        if self.stored is not None:
            then()
            return
        self._busy(True)
        self._set_state("print.rendering", "busy")
        from desktop import services

        r, registry, ref, user, now = self.request, self.registry, self.ref, self.user, now_of(self.clock)

        def take():
            return services.print_document(registry, ref, kind=r.kind, case=r.case, decision=r.decision,
                                           lang=r.lang, on=r.on, now=now, user=user,
                                           services=r.services or None, patient_id=r.patient_id)

        def finished(printed, error):
            if error is not None:
                self._fail(error)
                return
            self.stored = printed
            self._show_pdf(printed.pdf)
            self._set_state("print.numbered_banner", "numbered", number=printed.number)
            self._busy(False)
            self.printed.emit(printed.number, printed.kind)
            then()

        self.worker.submit(take, finished)

    # --- print and save ------------------------------------------------------------------------
    def print_clicked(self) -> None:
        if self.pdf is None or self.worker.busy():
            return
        printer = self.choose_printer(self)
        if printer is None:
            return
        self._numbered(lambda: self._print_to(printer))

    def _print_to(self, printer: QPrinter) -> None:
        pdf = self.stored.pdf
        dpi = max(72, min(MAX_PRINT_DPI, printer.resolution()))
        number = self.stored.number
        printer.setDocName(f"{number} {self.stored.kind}")   # the job's name in the print queue
        self._busy(True)

        def finished(images, error):
            if error is not None:
                self._fail(error)
                return
            try:
                paint_pages(images, printer)
            except OSError as exc:
                self._fail(exc)
                return
            if self.request is None:   # a re-print of a stored document: say so in the log
                self.registry.log(user=self.user, action="reprint", obj=f"printed:{number}",
                                  now=now_of(self.clock))
            self._set_state("print.printed_banner", "numbered", number=number)
            self._busy(False)
            self.done.emit("printed")

        self.worker.submit(lambda: page_images(pdf, dpi), finished)

    def save_clicked(self) -> None:
        """«Сохранить PDF…»: the document takes its number first (the number is in the file
        and in its suggested name), then the folder and name are asked — by default the
        Documents folder and «Фамилия Имя — Документ № N.pdf»."""
        if self.pdf is None or self.worker.busy():
            return
        self._numbered(self._ask_and_save)

    def _who(self) -> str | None:
        """The patient's name, for the file name."""
        if self.request is not None:
            person = (self.request.case or {}).get("person") or {}
            name = " ".join(p for p in (person.get("surname"), person.get("given_name"),
                                        person.get("patronymic")) if p)
            if name:
                return name
        patient_id = getattr(self.stored, "patient_id", None)
        if patient_id is not None:
            patient = self.registry.get_patient(patient_id)
            if patient is not None and patient.full_name:
                return patient.full_name
        return None

    def suggested_path(self) -> str:
        kind = self.stored.kind if self.stored is not None else self.kind
        key = f"print.kind.{kind}"
        from desktop.gui.i18n import STRINGS

        document = self.tr(key) if key in STRINGS else (kind or "")
        return suggested_pdf_path(self._who(), document, self.stored.number if self.stored else None)

    def _ask_and_save(self) -> None:
        path = self.choose_path(self, self.suggested_path())
        if path:
            self._save_to(Path(path))

    def _save_to(self, path: Path) -> None:
        from desktop.services import write_atomically

        pdf, number = self.stored.pdf, self.stored.number
        self._busy(True)

        def finished(_result, error):
            if error is not None:
                self._fail(error)
                return
            self._set_state("print.saved_banner", "numbered", number=number, path=str(path))
            self._busy(False)
            self.done.emit("saved")

        self.worker.submit(lambda: write_atomically(path, bytes(pdf)), finished)

    def reject(self) -> None:
        self.worker.wait()
        super().reject()


class PrintPanel(QWidget):
    """The document buttons at the bottom of the decision panel. One click on a kind opens the
    preview with Print focused (the estimate first asks for its services)."""

    printed = Signal(str, str)   # (number, kind)
    clinic_needed = Signal()     # "Реквизиты…" on the refusal to print without the clinic's details

    def __init__(self, registry, ref, tr, clock, user: str, parent: QWidget | None = None, *,
                 choose_printer: Callable | None = None, choose_path: Callable | None = None):
        super().__init__(parent)
        self.setObjectName("printPanel")
        self.registry, self.ref, self.tr, self.clock, self.user = registry, ref, tr, clock, user
        self.choose_printer, self.choose_path = choose_printer, choose_path
        self.case: dict | None = None
        self.decision: dict | None = None
        self.patient_id: int | None = None
        self.dialog: PrintDialog | None = None
        self.picker: ServicePicker | None = None
        self.clinic_box = None       # the refusal shown while the clinic's details are missing
        self.heading = QLabel()
        self.heading.setObjectName("sectionHead")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        # the main document (the application, or the refusal: never both) on a row of its own,
        # the referral and the estimate side by side below it: no label is ever cut
        row = QGridLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setHorizontalSpacing(6)
        row.setVerticalSpacing(4)
        places = {"slip": (0, 0, 1, 2), "refusal": (0, 0, 1, 2), "referral": (1, 0, 1, 1), "estimate": (1, 1, 1, 1)}
        for kind in KINDS:
            button = QPushButton()
            button.setObjectName(f"print_{kind}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=kind: self.open_kind(k))
            self.buttons[kind] = button
            row.addWidget(button, *places[kind])
        for key, kinds in (("F5", ("slip", "refusal")), ("F6", ("referral",)), ("F7", ("estimate",))):
            QShortcut(QKeySequence(key), self, activated=lambda ks=kinds: self._shortcut(ks),
                      context=Qt.WindowShortcut)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 6, 14, 6)
        box.setSpacing(4)
        box.addWidget(self.heading)
        box.addLayout(row)
        box.addWidget(self.hint)
        self.retranslate(tr)

    def set_context(self, case: dict | None, decision: dict | None, patient_id: int | None = None) -> None:
        """The case and decision now on screen (None when the form has errors)."""
        self.case, self.decision, self.patient_id = case, decision, patient_id
        self._update()

    def set_reference(self, ref) -> None:
        self.ref = ref

    def set_user(self, user: str) -> None:
        self.user = user

    def on_print_requested(self, payload: dict) -> PrintDialog | None:
        """MainWindow.print_requested (Ctrl+P): take the payload and open the preview of the
        main document (the slip, else the refusal) — Ctrl+P, then Enter prints."""
        if payload.get("user"):
            self.user = payload["user"]
        self.set_context(payload.get("case"), payload.get("decision"), payload.get("patient_id"))
        shown = kinds_for(self.case, self.decision)
        for kind in ("slip", "refusal"):
            if shown.get(kind):
                self.open_kind(kind)
                return self.dialog
        return None

    def retranslate(self, tr) -> None:
        self.tr = tr
        self.heading.setText(tr("print.heading").upper())
        self.hint.setText(tr("print.no_decision"))
        self._update()
        for w in (self.dialog, self.picker):
            if w is not None and w.isVisible():
                w.retranslate(tr)

    def _update(self) -> None:
        shown = kinds_for(self.case, self.decision)
        status = ((self.decision or {}).get("attachment") or {}).get("status")
        for kind, button in self.buttons.items():
            label = "print.kind.refusal_docs" if kind == "refusal" and status == "needs_documents" \
                else f"print.kind.{kind}"
            button.setText(self.tr(label))
            button.setVisible(kind in shown)
            button.setEnabled(bool(shown.get(kind)))
            tip = "print.tip.referral_none" if kind == "referral" and not shown.get(kind) else f"print.tip.{kind}"
            button.setToolTip(self.tr(tip))
        self.hint.setVisible(not shown)

    def _shortcut(self, kinds) -> None:
        for kind in kinds:
            button = self.buttons[kind]
            if button.isVisible() and button.isEnabled():
                self.open_kind(kind)
                return

    def _request(self, kind: str, services=None) -> PrintRequest:
        d = self.decision
        return PrintRequest(kind=kind, case=self.case or {}, decision=d, lang=d.get("lang") or self.tr.lang,
                            on=date.fromisoformat(d["as_of"]), services=list(services or []),
                            patient_id=self.patient_id)

    def open_kind(self, kind: str) -> None:
        """Click on a kind: the estimate asks for services first; then the preview."""
        if not kinds_for(self.case, self.decision).get(kind):
            return
        if not self.clinic_ready():
            return
        if kind == "estimate":
            self.open_picker()
            return
        self.open_preview(self._request(kind))

    def clinic_ready(self) -> bool:
        """True when the clinic's details are complete; else a refusal with a button that
        opens them (an administrator edits them; a registrar is told to ask one)."""
        from PySide6.QtWidgets import QMessageBox

        from desktop.store.clinic import complete

        if complete(self.registry.clinic_details()):
            return True
        box = QMessageBox(QMessageBox.Warning, self.tr("print.clinic_missing_title"),
                          self.tr("print.clinic_missing"), parent=self.window())
        box.setObjectName("clinicMissingBox")
        open_button = box.addButton(self.tr("print.clinic_open"), QMessageBox.AcceptRole)
        open_button.setObjectName("clinicOpen")
        box.addButton(self.tr("btn.close"), QMessageBox.RejectRole)
        box.buttonClicked.connect(lambda b: b is open_button and self.clinic_needed.emit())
        self.clinic_box = box
        box.open()
        return False

    def open_picker(self) -> ServicePicker:
        from desktop import documents, services

        on = date.fromisoformat(self.decision["as_of"])
        prices = services.clinic_prices(self.registry, self.ref, on)
        try:
            exam = documents.exam_lines(self.ref, on)
        except ValueError:
            exam = None
        warnings = tuple(w.get("code") for w in self.decision.get("warnings") or [])
        self.picker = ServicePicker(prices, self.ref, self.tr, on, exam=exam, warnings=warnings, parent=self)
        self.picker.accepted.connect(lambda p=self.picker: self.open_preview(self._request("estimate", p.lines())))
        self.picker.open()
        return self.picker

    def open_preview(self, request: PrintRequest) -> PrintDialog:
        self.dialog = PrintDialog(self.registry, self.ref, self.tr, self.clock, self.user, request,
                                  choose_printer=self.choose_printer, choose_path=self.choose_path,
                                  parent=self.window())
        self.dialog.printed.connect(self.printed)
        self.dialog.open()
        return self.dialog

    def open_stored(self, number: str) -> PrintDialog:
        """Re-print from the history: the stored exact bytes of document `number`."""
        self.dialog = PrintDialog(self.registry, self.ref, self.tr, self.clock, self.user, number=number,
                                  choose_printer=self.choose_printer, choose_path=self.choose_path,
                                  parent=self.window())
        self.dialog.open()
        return self.dialog
