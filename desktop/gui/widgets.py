"""Small input widgets of the form: a date picker that may be empty, keyed choice lists, the
searchable country list, the paid-months editor and the inline error label."""
from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QCompleter, QDateEdit, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from desktop.gui.i18n import Tr

_EMPTY = QDate(1900, 1, 1)          # the minimum date stands for "no date"
_TYPING_BASE = QDate(2000, 1, 1)    # a leap year and a 31-day month: any day typed first fits
_SEPARATORS = {Qt.Key_Period, Qt.Key_Comma, Qt.Key_Slash, Qt.Key_Minus}


class DateField(QDateEdit):
    """A QDateEdit that may be empty: typed as ДДММГГГГ (dots optional), picked from a
    calendar, cleared with Delete. `value()` is a date or None; `changed` fires on edits."""

    changed = Signal()

    def __init__(self, page: date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._page = page
        self.setDisplayFormat("dd.MM.yyyy")
        self.setCalendarPopup(True)
        self.setMinimumDate(_EMPTY)
        self.setMaximumDate(QDate(2199, 12, 31))
        self.setSpecialValueText(" ")
        self.setButtonSymbols(QAbstractSpinBox.NoButtons)
        self.setDate(_EMPTY)
        self.setMinimumWidth(118)
        self.dateChanged.connect(lambda _d: self.changed.emit())
        self.calendarWidget().installEventFilter(self)

    def value(self) -> date | None:
        d = self.date()
        if d == _EMPTY or not d.isValid():
            return None
        return date(d.year(), d.month(), d.day())

    def setValue(self, value: date | str | None) -> None:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                value = None
        self.setDate(_EMPTY if value is None else QDate(value.year, value.month, value.day))

    def iso(self) -> str | None:
        v = self.value()
        return v.isoformat() if v else None

    def clear(self) -> None:  # noqa: D401 - QAbstractSpinBox.clear would leave the old date
        self.setDate(_EMPTY)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Show and self.value() is None and self._page is not None:
            self.calendarWidget().setCurrentPage(self._page.year, self._page.month)
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key_Delete:
            self.clear()
            return
        text = event.text()
        if text.isdigit() and self.value() is None:
            self.setDate(_TYPING_BASE)
            self.setSelectedSection(QDateEdit.DaySection)
        elif key in _SEPARATORS:
            # sections advance by themselves after two (four) digits; a separator typed after a
            # full section is swallowed, one typed after a single digit moves on
            le = self.lineEdit()
            pos = le.cursorPosition()
            if pos > 0 and le.text()[pos - 1:pos] == "." or le.hasSelectedText():
                return
            section = self.currentSectionIndex()
            if section < self.sectionCount() - 1:
                self.setCurrentSectionIndex(section + 1)
                self.setSelectedSection(self.sectionAt(section + 1))
            return
        super().keyPressEvent(event)


class ChoiceCombo(QComboBox):
    """A combo box whose items carry codes; `code()` is the chosen code or None."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)

    def set_items(self, items: list[tuple[object, str]]) -> None:
        """Replace the items, keeping the chosen code; `items` is [(code, label)]."""
        current = self.code()
        self.blockSignals(True)
        self.clear()
        for code, label in items:
            self.addItem(label, code)
        self.set_code(current)
        self.blockSignals(False)

    def code(self):
        return self.currentData() if self.currentIndex() >= 0 else None

    def set_code(self, code) -> None:
        for i in range(self.count()):
            if self.itemData(i) == code:
                self.setCurrentIndex(i)
                return
        self.setCurrentIndex(0 if self.count() else -1)


STATELESS = "__stateless__"


class CountryCombo(ChoiceCombo):
    """Citizenship or country of issue: type part of the name (Russian or Kazakh) or the code."""

    def __init__(self, with_stateless: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.with_stateless = with_stateless
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.NoInsert)
        self.setMinimumContentsLength(10)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchContains)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setCompletionMode(QCompleter.PopupCompletion)
        self.setCompleter(completer)
        completer.activated[str].connect(self._pick_text)
        self.lineEdit().editingFinished.connect(self._settle)

    def fill(self, countries: dict, tr: Tr) -> None:
        items: list[tuple[object, str]] = [("", tr("choice.unset"))]
        if self.with_stateless:
            items.append((STATELESS, tr("choice.stateless")))
        names = sorted(((c, v.get(tr.lang) or v.get("ru") or c) for c, v in countries.items()),
                       key=lambda x: x[1].casefold())
        items += [(c, f"{name} — {c}") for c, name in names]
        self.set_items(items)

    def _pick_text(self, text: str) -> None:
        i = self.findText(text, Qt.MatchExactly)
        if i >= 0:
            self.setCurrentIndex(i)

    def _settle(self) -> None:
        """After typing: the single match (by name or code) is chosen; otherwise keep the choice."""
        typed = self.lineEdit().text().strip()
        if not typed:
            self.setCurrentIndex(0)
            return
        if self.findText(typed, Qt.MatchExactly) >= 0:
            self.setCurrentIndex(self.findText(typed, Qt.MatchExactly))
            return
        folded = typed.casefold()
        exact_code = [i for i in range(self.count()) if str(self.itemData(i)).casefold() == folded]
        hits = exact_code or [i for i in range(self.count()) if folded in self.itemText(i).casefold()]
        if len(hits) >= 1:
            self.setCurrentIndex(hits[0])
        else:
            self.setEditText(self.itemText(self.currentIndex()))

    def country(self) -> str | None:
        code = self.code()
        return None if code in ("", STATELESS) else code


class ErrorLabel(QLabel):
    """An inline message beside a field (red for errors, amber for notes)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str | None, kind: str = "error") -> None:
        if not text:
            self.clear()
            self.hide()
            return
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.show()


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthsEditor(QWidget):
    """A compact editor of a list of months YYYY-MM (ОСМС contributions paid)."""

    changed = Signal()

    def __init__(self, tr: Tr, parent: QWidget | None = None):
        super().__init__(parent)
        self.tr = tr
        self.entry = QLineEdit()
        self.entry.setInputMask("0000-00;_")
        self.entry.setMaximumWidth(100)
        self.add = QPushButton()
        self.remove = QPushButton()
        self.list = QListWidget()
        self.list.setFlow(QListWidget.LeftToRight)
        self.list.setWrapping(True)
        self.list.setMaximumHeight(56)
        self.list.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.error = ErrorLabel()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry)
        top.addWidget(self.add)
        top.addWidget(self.remove)
        top.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addLayout(top)
        box.addWidget(self.list)
        box.addWidget(self.error)
        self.add.clicked.connect(self.add_typed)
        self.entry.returnPressed.connect(self.add_typed)
        self.remove.clicked.connect(self.remove_selected)
        self.retranslate()

    def retranslate(self) -> None:
        self.add.setText(self.tr("months.add"))
        self.remove.setText(self.tr("months.remove"))
        self.entry.setPlaceholderText(self.tr("ph.months"))
        self.entry.setToolTip(self.tr("ph.months"))
        if self.error.isVisible():
            self.error.show_message(self.tr("months.bad"))

    def add_typed(self) -> None:
        text = self.entry.text().strip()
        m = _MONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            self.error.show_message(self.tr("months.bad"))
            return
        self.error.show_message(None)
        months = set(self.months()) | {text}
        self.set_months(sorted(months))
        self.entry.clear()
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted((self.list.row(i) for i in self.list.selectedItems()), reverse=True)
        if not rows and self.list.count():
            rows = [self.list.count() - 1]
        for r in rows:
            self.list.takeItem(r)
        if rows:
            self.changed.emit()

    def months(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_months(self, months: list[str]) -> None:
        self.list.clear()
        for m in months:
            QListWidgetItem(str(m), self.list)
