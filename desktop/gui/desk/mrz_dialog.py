"""The MRZ scan: a keyboard-wedge reader types the zone's lines, each followed by Enter (or the
registrar pastes them); when every line is there the zone is parsed by the core and, only if
every check digit holds, handed to the form. A bad read fills nothing and names its line."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout,
                               QWidget)

from desktop.core import mrz as mrz_mod
from desktop.gui.i18n import Tr
from desktop.gui.widgets import ErrorLabel


def mrz_error_text(error: mrz_mod.MrzError, tr: Tr) -> str:
    reason = tr(f"mrz.r.{error.reason}")
    if error.line:
        return tr("mrz.line", n=error.line, reason=reason)
    return tr("mrz.zone", reason=reason[:1].upper() + reason[1:])


class MrzDialog(QDialog):
    """`read(Mrz)` is emitted once with a zone whose every check digit holds."""

    read = Signal(object)

    def __init__(self, tr: Tr, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.tr, self.today = tr, today
        self.result_mrz: mrz_mod.Mrz | None = None
        self.setObjectName("mrzDialog")
        self.setWindowTitle(tr("mrz.title"))
        self.hint = QLabel(tr("mrz.hint"))
        self.hint.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("mrzText")
        self.text.setProperty("field", "mrz.text")
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setPointSize(12)             # the style sheet's #mrzText size, at the desk's scale
        font.setStyleHint(QFont.Monospace)
        self.text.setFont(font)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.text.setTabChangesFocus(True)
        self.error = ErrorLabel(reserve=True)
        self._fit_text()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setText(tr("mrz.fill"))
        self.ok_button.setAutoDefault(False)
        buttons.button(QDialogButtonBox.Cancel).setText(tr("mrz.cancel"))
        buttons.button(QDialogButtonBox.Cancel).setAutoDefault(False)
        buttons.accepted.connect(self.try_fill)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.hint)
        box.addWidget(self.text)
        box.addWidget(self.error)
        box.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._maybe_complete)
        self.text.textChanged.connect(self._timer.start)
        self._bad = False                 # a bad read is on screen: the next scan replaces it
        self.text.installEventFilter(self)
        self.text.setFocus()

    def _fit_text(self) -> None:
        """The zone's box as wide as a TD3 line (44 characters) and four lines high, in the
        font of the moment: again when the desk's text grows or shrinks (Ctrl+= / Ctrl+−)."""
        self.text.ensurePolished()
        metrics = self.text.fontMetrics()
        self.text.setMinimumWidth(metrics.horizontalAdvance("M" * 46) + 30)
        self.text.setFixedHeight(metrics.lineSpacing() * 4 + 16)

    def _maybe_complete(self) -> None:
        """Every line typed (the reader's last Enter, or a paste): parse at once; a zone that
        ended (Enter after its last line) but is wrong is reported."""
        raw = self.text.toPlainText()
        lines = mrz_mod.split_lines(raw)
        want = 3 if mrz_mod.expected_layout(lines) == "TD1" else 2
        if mrz_mod.is_complete(raw) or (raw.endswith("\n") and len(lines) >= want):
            self.try_fill()

    def try_fill(self) -> bool:
        try:
            zone = mrz_mod.parse(self.text.toPlainText(), self.today)
        except mrz_mod.MrzError as e:
            self.error.show_message(mrz_error_text(e, self.tr))
            self._bad = True
            return False
        self.error.show_message(None)
        self.result_mrz = zone
        self.read.emit(zone)
        self.accept()
        return True

    def eventFilter(self, obj, event):
        if obj is self.text and event.type() == QEvent.FontChange:
            self._fit_text()              # the style sheet gave it the desk's new text size
            return False
        if obj is self.text and event.type() == event.Type.KeyPress and self._bad:
            if event.key() in (Qt.Key_Return, Qt.Key_Enter):
                return True               # the reader's last Enter after a bad read
            if event.text() and event.text().isprintable() and not event.modifiers() & Qt.ControlModifier:
                self._bad = False
                self.text.clear()         # a new scan starts over
        return False

    def keyPressEvent(self, event) -> None:
        # Enter belongs to the text (the reader ends each line with it); never closes the dialog
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & Qt.ControlModifier:
            return
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.try_fill()
            return
        super().keyPressEvent(event)
