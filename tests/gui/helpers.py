"""Keyboard and mouse steps shared by the GUI tests."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication


def key_text(qtbot, widget, text: str) -> None:
    """Type any text (Cyrillic too: QTest's keyClicks knows ASCII only) as key events."""
    for ch in text:
        if ch.isascii() and ch.isprintable():
            qtbot.keyClicks(widget, ch)
            continue
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, ch))


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll() if hasattr(widget, "selectAll") else None
    key_text(qtbot, widget, text)


def type_date(qtbot, field, ddmmyyyy: str) -> None:
    """Type a date as the registrar does: Delete clears the field, then the digits."""
    field.setFocus()
    qtbot.keyClick(field, Qt.Key_Delete)
    qtbot.keyClicks(field, ddmmyyyy)


def pick(qtbot, combo, label_part: str) -> None:
    """Choose the item whose text contains `label_part`, by keyboard (arrow keys)."""
    combo.setFocus()
    target = next(i for i in range(combo.count()) if label_part in combo.itemText(i))
    qtbot.keyClick(combo, Qt.Key_Home)
    for _ in range(target):
        qtbot.keyClick(combo, Qt.Key_Down)
    assert combo.currentIndex() == target


def pick_country(qtbot, combo, typed: str) -> None:
    """Type part of a country's name (or its code) into the searchable list and leave it."""
    combo.setFocus()
    combo.lineEdit().selectAll()
    key_text(qtbot, combo.lineEdit(), typed)
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Return)


def add_document(qtbot, form, kind: str, *, number=None, country=None, issued=None,
                 valid_from=None, valid_until=None, covers_phc=False) -> None:
    """Press "Add document", fill the dialog by keyboard, press the OK button with the mouse."""
    qtbot.mouseClick(form.doc_add, Qt.LeftButton)
    dialog = form.dialog
    assert dialog is not None
    pick(qtbot, dialog.kind, kind)
    if number:
        type_into(qtbot, dialog.number, number)
    if country:
        pick_country(qtbot, dialog.country, country)
    for field, value in ((dialog.issued_on, issued), (dialog.valid_from, valid_from),
                         (dialog.valid_until, valid_until)):
        if value:
            type_date(qtbot, field, value)
    if covers_phc:
        dialog.covers_phc.setFocus()
        qtbot.keyClick(dialog.covers_phc, Qt.Key_Space)
        assert dialog.covers_phc.isChecked()
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: form.dialog is None)


def visible_texts(root) -> list[str]:
    """Every text a person sees in `root`: labels, buttons, group titles, tabs, table headers."""
    from PySide6.QtWidgets import (QAbstractButton, QGroupBox, QHeaderView, QLabel, QTabWidget)

    out = []
    widgets = root.findChildren(QLabel) + root.findChildren(QAbstractButton) + root.findChildren(QGroupBox)
    for w in widgets:
        if not w.isVisibleTo(root):
            continue
        if isinstance(w, QGroupBox):
            out.append(w.title())
        elif w.text():
            out.append(w.text())
    for tabs in root.findChildren(QTabWidget):
        if tabs.isVisibleTo(root):
            out += [tabs.tabText(i) for i in range(tabs.count())]
    for header in root.findChildren(QHeaderView):
        if header.isVisibleTo(root) and header.model() is not None:
            model = header.model()
            if header.orientation() == Qt.Horizontal:
                out += [str(model.headerData(i, Qt.Horizontal)) for i in range(model.columnCount())]
    return out


def pdf_printer(path):
    """A choose_printer stand-in: a PDF file instead of the system print dialog's printer
    (screen resolution: fast)."""
    from PySide6.QtPrintSupport import QPrinter

    def choose(_parent):
        printer = QPrinter(QPrinter.ScreenResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(path))
        return printer
    return choose


# The details of a configured clinic (the БИН has a correct check digit).
CLINIC = {"name_ru": "ГКП на ПХВ «Городская поликлиника № 5»",
          "name_kk": "«№ 5 қалалық емхана» ШЖҚ МКК",
          "bin": "990340001230",
          "address_ru": "г. Астана, ул. Бейбітшілік, 10",
          "address_kk": "Астана қ., Бейбітшілік к-сі, 10",
          "head": "Әбілқасымова Ә. Ғ."}


def scratch_desk(tmp, now):
    """A reference built from db/sources and a new registry in folder `tmp` with the clinic's
    prices seeded from the reference, for the screenshot walks: (ref, clock, registry)."""
    from pathlib import Path

    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference
    from desktop.gui.clock import fixed_clock
    from desktop.services import seed_prices_from_reference
    from desktop.store import open_registry

    tmp = Path(tmp)
    build_reference(Path(__file__).resolve().parents[2] / "db" / "sources", tmp / "ref.sqlite")
    ref = load_reference(tmp / "ref.sqlite")
    clock = fixed_clock(now)
    registry = open_registry(tmp / "r.sqlite", now=clock.now())
    seed_prices_from_reference(registry, ref, clock.now())
    return ref, clock, registry
