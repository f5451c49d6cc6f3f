"""The service picker of a paid-service estimate (смета): the clinic's price list in force,
searched by code or name as you type, the chosen lines with editable quantities and an exact
running total (Decimal), and the R665 p.13 immigrant exam in one action.

Prices come from `services.clinic_prices`, the exam's codes from `documents.exam_lines`, the
prepayment note from the reference data; the picker judges nothing itself.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QEvent, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QStyledItemDelegate,
                               QWidget)

from desktop.documents.words import format_money
from desktop.gui.tables import RIGHT, TableModel, table
from desktop.gui.widgets import FitsScreen, hbox, vbox

MAX_QTY = 999


def _dmy(d: date) -> str:
    return d.strftime("%d.%m.%Y")


class _ServicesModel(TableModel):
    """Services under the picker's column headers, in the language of `tr`."""

    HEADER = "svc.col.{}"

    def __init__(self, lang: str, tr, parent=None):
        super().__init__(tr, parent)
        self.lang = lang

    def set_language(self, lang: str, tr) -> None:
        self.beginResetModel()
        self.lang, self.tr = lang, tr
        self.endResetModel()

    def shown(self, item, column: str, qty: int = 1):
        return {"code": item.code, "service": item.name(self.lang), "unit": item.unit(self.lang),
                "price": format_money(item.price), "qty": qty,
                "amount": format_money(item.price * qty)}[column]


class PriceListModel(_ServicesModel):
    """The price list in force (core PriceItems): code, service, unit, price."""

    COLUMNS = ("code", "service", "unit", "price")

    def __init__(self, items: list, lang: str, tr, parent=None):
        super().__init__(lang, tr, parent)
        self.rows = list(items)

    @property
    def items(self) -> list:
        return self.rows

    def cell(self, item, column: str, role):
        if role == Qt.DisplayRole:
            return self.shown(item, column)
        if role == Qt.TextAlignmentRole and column == "price":
            return RIGHT
        if role == Qt.UserRole:
            return item
        return None


class ServiceFilter(QSortFilterProxyModel):
    """Rows whose code or name (Russian or Kazakh) holds every typed word, in any case."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.words: list[str] = []

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):   # Qt >= 6.10
            self.beginFilterChange()
            self.words = text.casefold().replace("ё", "е").split()
            self.endFilterChange()
        else:
            self.words = text.casefold().replace("ё", "е").split()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        if not self.words:
            return True
        item = self.sourceModel().items[row]
        hay = " ".join((item.code, item.name_ru, item.name_kk)).casefold().replace("ё", "е")   # приём = прием
        return all(w in hay for w in self.words)


class EstimateModel(_ServicesModel):
    """The chosen lines: (PriceItem, quantity); the quantity column is editable."""

    COLUMNS = ("code", "service", "qty", "price", "amount")
    changed = Signal()

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        if index.isValid() and self.COLUMNS[index.column()] == "qty":
            return base | Qt.ItemIsEditable
        return base

    def cell(self, line, column: str, role):
        if role in (Qt.DisplayRole, Qt.EditRole):
            return self.shown(line[0], column, line[1])
        if role == Qt.TextAlignmentRole and column in ("qty", "price", "amount"):
            return RIGHT
        return None

    def setData(self, index: QModelIndex, value, role=Qt.EditRole) -> bool:
        if role != Qt.EditRole or self.COLUMNS[index.column()] != "qty":
            return False
        qty = int(value)
        if not 1 <= qty <= MAX_QTY:
            return False
        self.rows[index.row()][1] = qty
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.COLUMNS) - 1))
        self.changed.emit()
        return True

    def add(self, item, qty: int = 1) -> int:
        """Add `item` (or one more of it when already chosen); returns its row."""
        for row, line in enumerate(self.rows):
            if line[0].code == item.code:
                self.setData(self.index(row, self.COLUMNS.index("qty")), min(MAX_QTY, line[1] + qty))
                return row
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append([item, qty])
        self.endInsertRows()
        self.changed.emit()
        return len(self.rows) - 1

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()
            self.changed.emit()

    def total(self) -> Decimal:
        return sum((item.price * qty for item, qty in self.rows), Decimal("0.00"))

    def lines(self) -> list[tuple[str, Decimal]]:
        return [(item.code, Decimal(qty)) for item, qty in self.rows]

class QuantityDelegate(QStyledItemDelegate):
    """A spin box 1…999 for the quantity column."""

    def createEditor(self, parent, option, index):
        spin = QSpinBox(parent)
        spin.setRange(1, MAX_QTY)
        spin.setAlignment(Qt.AlignRight)
        return spin

    def setEditorData(self, editor, index):
        editor.setValue(int(index.data(Qt.EditRole) or 1))

    def setModelData(self, editor, model, index):
        editor.interpretText()
        model.setData(index, editor.value(), Qt.EditRole)


class ServicePicker(FitsScreen, QDialog):
    """Choose the services of an estimate. `lines()` after acceptance: [(code, Decimal qty)].

    `prices` is the clinic's list in force on `on` (core PriceItems); `exam` the R665 p.13
    exam as (code, qty) pairs (None when the reference data has none on that date);
    `warnings` the decision's warning codes: medical_exam_required pre-fills the exam,
    prepayment_required shows the prepayment note (text from `ref`)."""

    def __init__(self, prices: list, ref, tr, on: date, *, exam: list | None = None,
                 warnings: tuple[str, ...] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("servicePicker")
        self.prices, self.ref, self.tr, self.on = list(prices), ref, tr, on
        self.exam = [(code, q) for code, q in (exam or []) if any(p.code == code for p in self.prices)]
        self.warnings = tuple(warnings)
        self.resize(860, 620)

        self.search = QLineEdit()
        self.search.setObjectName("serviceSearch")
        self.search.setClearButtonEnabled(True)
        self.caption = QLabel()
        self.caption.setObjectName("hint")
        self.source = PriceListModel(self.prices, tr.lang, tr, self)
        self.proxy = ServiceFilter(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setSortCaseSensitivity(Qt.CaseInsensitive)
        self.list = table(self.proxy, stretch=1, name="priceList")
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(0, Qt.AscendingOrder)

        self.estimate = EstimateModel(tr.lang, tr, self)
        self.chosen = table(self.estimate, stretch=1, name="chosenServices")
        self.chosen.setItemDelegateForColumn(EstimateModel.COLUMNS.index("qty"), QuantityDelegate(self.chosen))
        self.chosen.setEditTriggers(QAbstractItemView.AllEditTriggers)
        self.chosen_title = QLabel()
        self.chosen_title.setObjectName("sectionHead")

        self.add_button = QPushButton()
        self.remove_button = QPushButton()
        self.exam_button = QPushButton()
        self.exam_button.setObjectName("examButton")
        self.exam_button.setVisible(bool(self.exam))
        self.note = QLabel()
        self.note.setObjectName("pickerNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("#pickerNote { background: #fff4db; border: 1px solid #e8b44c; "
                                "border-radius: 6px; padding: 6px; }")
        self.total_label = QLabel()
        self.total_label.setObjectName("estimateTotal")
        self.total_label.setStyleSheet("#estimateTotal { font-size: 12.5pt; font-weight: 700; }")
        self.keys = QLabel()
        self.keys.setObjectName("hint")
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.hide()
        self.ok = QPushButton()
        self.ok.setObjectName("primary")
        self.ok.setAutoDefault(False)
        self.cancel = QPushButton()
        self.cancel.setAutoDefault(False)
        for b in (self.add_button, self.remove_button, self.exam_button):
            b.setAutoDefault(False)

        vbox(self.caption, hbox((self.search, 1), self.add_button), (self.list, 3),
             hbox(self.chosen_title, 1, self.exam_button, self.remove_button), (self.chosen, 2), self.note,
             hbox((self.keys, 1), self.total_label), hbox(self.error, 1, self.cancel, self.ok), parent=self)

        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.chosen.installEventFilter(self)
        self.list.doubleClicked.connect(lambda _i: self.add_current())
        self.add_button.clicked.connect(self.add_current)
        self.remove_button.clicked.connect(self.remove_current)
        self.exam_button.clicked.connect(self.add_exam)
        self.estimate.changed.connect(self._update_total)
        self.ok.clicked.connect(self.accept)
        self.cancel.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)

        if "medical_exam_required" in self.warnings and self.exam:
            self.add_exam()
        self._select_first()
        self.retranslate(tr)
        self.search.setFocus()

    # --- language ----------------------------------------------------------------------------
    def retranslate(self, tr) -> None:
        self.tr = tr
        self.setWindowTitle(tr("picker.title"))
        self.caption.setText(tr("picker.prices_on", date=_dmy(self.on)))
        self.search.setPlaceholderText(tr("picker.search"))
        self.add_button.setText(tr("picker.add"))
        self.remove_button.setText(tr("picker.remove"))
        self.exam_button.setText(tr("picker.exam"))
        self.exam_button.setToolTip(tr("picker.exam_tip"))
        self.chosen_title.setText(tr("picker.chosen").upper())
        self.keys.setText(tr("picker.keys"))
        self.ok.setText(tr("picker.ok"))
        self.cancel.setText(tr("print.close"))
        self.source.set_language(tr.lang, tr)
        self.estimate.set_language(tr.lang, tr)
        notes = []
        if "medical_exam_required" in self.warnings and self.exam:
            notes.append(tr("picker.exam_prefilled"))
        if "prepayment_required" in self.warnings:
            text = self._warning_text("prepayment_required", tr.lang)
            notes.append(f"{tr('picker.prepayment')}: {text}")
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        if self.error.isVisible():
            self.error.setText(tr("picker.empty"))
        self._update_total()

    def _warning_text(self, code: str, lang: str) -> str:
        entry = getattr(self.ref, "warnings", {}).get(code) or {}
        return entry.get(lang) or entry.get("ru") or code

    # --- actions -----------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self._select_first()

    def _select_first(self) -> None:
        if self.proxy.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.proxy.index(0, 0))
        elif self.proxy.rowCount():
            self.list.selectRow(self.list.currentIndex().row())

    def add_current(self) -> bool:
        """Add the highlighted service of the list (the first match when none is)."""
        index = self.list.currentIndex()
        if not index.isValid() and self.proxy.rowCount():
            index = self.proxy.index(0, 0)
        if not index.isValid():
            return False
        item = self.proxy.data(index, Qt.UserRole)
        row = self.estimate.add(item)
        self.chosen.selectRow(row)
        self.search.selectAll()
        return True

    def add_exam(self) -> None:
        by_code = {p.code: p for p in self.prices}
        for code, qty in self.exam:
            if not any(line[0].code == code for line in self.estimate.rows):
                self.estimate.add(by_code[code], int(qty))

    def remove_current(self) -> None:
        index = self.chosen.currentIndex()
        row = index.row() if index.isValid() else self.estimate.rowCount() - 1
        self.estimate.remove(row)

    def _update_total(self) -> None:
        self.total_label.setText(self.tr("picker.total", amount=format_money(self.estimate.total())))
        if self.estimate.rowCount():
            self.error.hide()

    def total(self) -> Decimal:
        return self.estimate.total()

    def lines(self) -> list[tuple[str, Decimal]]:
        return self.estimate.lines()

    def accept(self) -> None:
        if not self.estimate.rowCount():
            self.error.setText(self.tr("picker.empty"))
            self.error.show()
            self.search.setFocus()
            return
        super().accept()

    # --- keyboard ----------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.KeyPress:
            return False
        key = event.key()
        if obj is self.search:
            if key in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & Qt.ControlModifier:
                self.add_current()
                return True
            if key in (Qt.Key_Down, Qt.Key_Up, Qt.Key_PageDown, Qt.Key_PageUp):
                rows = self.proxy.rowCount()
                if rows:
                    current = self.list.currentIndex().row() if self.list.currentIndex().isValid() else -1
                    step = {Qt.Key_Down: 1, Qt.Key_Up: -1, Qt.Key_PageDown: 10, Qt.Key_PageUp: -10}[key]
                    row = max(0, min(rows - 1, current + step))
                    self.list.setCurrentIndex(self.proxy.index(row, 0))
                return True
        if obj is self.chosen and key == Qt.Key_Delete and self.chosen.state() != QAbstractItemView.EditingState:
            self.remove_current()
            return True
        return False
