"""The documents table of the form: a table model over the case's documents and the dialog
that adds or edits one document (kind, number, country, dates, covers ПМСП)."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout,
                               QVBoxLayout, QWidget)

from desktop.core.api import parse_for
from desktop.core.case import CaseError
from desktop.gui.i18n import Tr, dmy, error_text, note_text
from desktop.gui.tables import TableModel
from desktop.gui.widgets import CaseDateField, CheckField, ChoiceCombo, CountryCombo, ErrorLabel, TextField

COLUMNS = ("kind", "number", "country", "issued_on", "validity", "covers_phc")
_HEADERS = {"kind": "doc.kind", "number": "doc.number", "country": "doc.country_short",
            "issued_on": "doc.issued", "validity": "doc.validity", "covers_phc": "doc.phc_short"}
INSURANCE = ("dms_contract", "vms_contract")


class DocumentsModel(TableModel):
    """The documents of one case (a list of dicts in the shape of interface.md)."""

    COLUMNS = COLUMNS

    def __init__(self, ref, tr: Tr, parent=None):
        super().__init__(tr, parent)
        self.ref = ref
        self._bad_rows: set[int] = set()

    # --- Qt model ---------------------------------------------------------------------------
    def header(self, column: str) -> str:
        # a header of two words on two lines («Берілген / күні», «Қолданылу / мерзімі»): the
        # columns are as wide as their dates, the spare width goes to the kind
        text = self.tr(_HEADERS[column])
        return text.replace(" ", "\n", 1) if column != "kind" else text

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Vertical:
            return str(section + 1)
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if role == Qt.BackgroundRole and index.isValid() and index.row() in self._bad_rows:
            return QBrush(QColor("#fde8e8"))
        return super().data(index, role)

    def cell(self, doc: dict, column: str, role):
        if role == Qt.DisplayRole:
            value = doc.get(column)
            if column == "kind":
                return self.ref.document_kind_name(value, self.tr.lang)
            if column == "country":
                return value or ""
            if column == "issued_on":
                return dmy(value) if value else ""
            if column == "validity":
                start, end = doc.get("valid_from"), doc.get("valid_until")
                if not start and not end:
                    return ""
                # on two lines: the column is a date wide, the rest is the kind's room
                return f"{dmy(start) if start else '…'} –\n{dmy(end) if end else '…'}"
            if column == "covers_phc":
                if doc.get("kind") not in INSURANCE:
                    return ""
                return self.tr("doc.yes") if value else self.tr("doc.no")
            return value or ""
        if role == Qt.ToolTipRole and column == "kind":
            return self.ref.document_kind_name(doc.get("kind"), self.tr.lang)
        if role == Qt.ToolTipRole and column == "country" and doc.get("country"):
            return self.ref.country_name(doc["country"], self.tr.lang)
        return None

    # --- content ----------------------------------------------------------------------------
    def documents(self) -> list[dict]:
        return [dict(d) for d in self.rows]

    def set_documents(self, docs: list[dict]) -> None:
        self._bad_rows = set()
        self.set_rows(dict(d) for d in docs if isinstance(d, dict))

    def add(self, doc: dict) -> int:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append(dict(doc))
        self.endInsertRows()
        return row

    def replace(self, row: int, doc: dict) -> None:
        self.rows[row] = dict(doc)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.rows[row]
        self.endRemoveRows()

    def mark_bad_rows(self, rows: set[int]) -> None:
        if rows != self._bad_rows:
            self._bad_rows = set(rows)
            if self.rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))


class DocumentDialog(QDialog):
    """Add or edit one document. The dates may stay empty; "valid until" before "issued" or
    "valid from" is shown beside the field (the core's own check, in the interface's words)."""

    def __init__(self, ref, tr: Tr, today: date, doc: dict | None = None, parent: QWidget | None = None,
                 citizenship: str | None = None):
        super().__init__(parent)
        self.ref, self.tr = ref, tr
        self.setWindowTitle(tr("doc.dialog"))
        self.setObjectName("documentDialog")
        self.kind = ChoiceCombo()
        self.kind.set_items([(k, v[tr.lang]) for k, v in ref.document_kinds.items()])
        self.kind.setMinimumContentsLength(34)
        # the longest kind whole in the box (never «…медицинского страхова»): as wide as it and
        # the arrow, at the text size of this desk (the style sheet's font, once polished)
        self.kind.ensurePolished()
        longest = max((self.kind.fontMetrics().horizontalAdvance(self.kind.itemText(i))
                       for i in range(self.kind.count())), default=0)
        self.kind.setMinimumWidth(min(longest + 48, 1180))   # 150 % on a 1366 px screen: still whole
        # the kind the person most likely holds comes first: a citizen's identity card, else a passport
        self.kind.set_code("id_card_kz" if citizenship == "KZ" else "passport")
        self.number = TextField()
        self.country = CountryCombo(with_stateless=False)
        self.country.fill(ref.countries, tr, getattr(ref, "country_aliases", {}))
        self.country.lineEdit().setPlaceholderText(tr("ph.citizenship"))
        self.issued_on = CaseDateField(today)
        self.valid_from = CaseDateField(today)
        self.valid_until = CaseDateField(today)
        self.covers_phc = CheckField(tr("doc.covers_phc"))
        for field in (self.issued_on, self.valid_from, self.valid_until):
            field.setPlaceholderText(tr("ph.date"))
        self.error = ErrorLabel(reserve=True)
        for name in ("kind", "number", "country", "issued_on", "valid_from", "valid_until", "covers_phc"):
            getattr(self, name).setProperty("field", f"documents[].{name}")
        form = QFormLayout()
        form.addRow(tr("doc.kind"), self.kind)
        form.addRow(tr("doc.number"), self.number)
        form.addRow(tr("doc.country"), self.country)
        form.addRow(tr("doc.issued"), self.issued_on)
        form.addRow(tr("doc.valid_from"), self.valid_from)
        form.addRow(tr("doc.valid_until"), self.valid_until)
        form.addRow("", self.covers_phc)
        form.addRow("", self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(tr("doc.ok"))
        buttons.button(QDialogButtonBox.Cancel).setText(tr("doc.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(buttons)
        self._tried = False         # OK pressed once: from then on a missing number is said
        self.number.textChanged.connect(lambda _t: self._tried and self.check())
        self._phc_touched = bool(doc)
        if doc:
            self.set_document(doc)
        self.covers_phc.clicked.connect(lambda: setattr(self, "_phc_touched", True))
        for w in (self.issued_on, self.valid_from, self.valid_until):
            w.changed.connect(self.check)
        self.country.changed.connect(self.check)
        self.kind.changed.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        """«Покрывает ПМСП» exists only for insurance contracts."""
        self.covers_phc.setVisible(self.kind.code() in INSURANCE)
        if not self._phc_touched:
            # a ВМС contract covers ПМСП unless it says otherwise (the core reads it so too)
            self.covers_phc.setChecked(self.kind.code() == "vms_contract")
        if self._tried:
            self.check()

    def set_document(self, doc: dict) -> None:
        self.kind.set_code(doc.get("kind"))
        self.number.setText(doc.get("number") or "")
        self.country.set_code(doc.get("country") or "")
        self.issued_on.setValue(doc.get("issued_on"))
        self.valid_from.setValue(doc.get("valid_from"))
        self.valid_until.setValue(doc.get("valid_until"))
        self.covers_phc.setChecked(bool(doc.get("covers_phc")))

    def document(self) -> dict:
        doc: dict = {"kind": self.kind.code()}
        if self.number.text().strip():
            doc["number"] = self.number.text().strip()
        if self.country.country():
            doc["country"] = self.country.country()
        for name in ("issued_on", "valid_from", "valid_until"):
            value = getattr(self, name).iso()
            if value:
                doc[name] = value
        if doc["kind"] in INSURANCE:
            doc["covers_phc"] = self.covers_phc.isChecked()
        return doc

    def problem(self) -> str | None:
        """What the core finds wrong with this document, in words; None when it is consistent."""
        for w in (self.issued_on, self.valid_from, self.valid_until):
            typed = w.problem()
            if typed and not (typed == "incomplete" and w.hasFocus()):
                return self.tr(f"date.{typed}")
        if self.country.problem():
            return self.tr(f"country.{self.country.problem()}")
        try:
            case = parse_for({"person": {"citizenship": None}, "documents": [self.document()]}, self.ref)
        except CaseError as e:
            return "; ".join(error_text(err, self.tr) for err in e.errors)
        if self._tried:     # said once OK is pressed, not while the dialog is being filled in
            missing = [n for n in case.input_notes if n.get("code") == "number_missing"]
            if missing:
                return note_text(missing[0], self.tr)
        return None

    def check(self) -> bool:
        problem = self.problem()
        self.error.show_message(problem)
        self.ok_button.setEnabled(problem is None)
        return problem is None

    def accept(self) -> None:
        self._tried = True
        if self.check():
            super().accept()
        elif not self.number.text().strip():
            self.number.setFocus()          # what is missing is where the cursor goes
