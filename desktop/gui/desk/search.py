"""Patient search (left column) and a patient's history (a tab beside the form): table models
over what the store returns, and the widgets that show them."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QPushButton, QWidget

from desktop.gui.i18n import STRINGS, Tr, dmy
from desktop.gui.tables import TableModel, table
from desktop.gui.widgets import hbox, keyed, retranslate_keyed, vbox


class PatientsModel(TableModel):
    """Search results: name, birth date, ИИН, citizenship."""

    COLUMNS = ("col.name", "col.birth", "col.iin", "col.citizenship")

    def __init__(self, ref, tr: Tr, parent=None):
        super().__init__(tr, parent)
        self.ref = ref

    def cell(self, p, column: str, role):
        if role not in (Qt.DisplayRole, Qt.ToolTipRole):
            return None
        if column == "col.name":
            name = p.full_name or "—"
            return f"{name}\n{p.latin_name}" if role == Qt.ToolTipRole and p.latin_name else name
        if column == "col.birth":
            return dmy(p.birth_date.isoformat()) if p.birth_date else ""
        if column == "col.iin":
            return p.iin or ""
        if p.citizenship is None:
            return "—" if role == Qt.DisplayRole else self.tr("choice.stateless")
        # the code in the narrow column, the country's name on hover
        return p.citizenship if role == Qt.DisplayRole else self.ref.country_name(p.citizenship, self.tr.lang)

    def patient_id(self, row: int) -> int:
        return self.rows[row].id


class SearchPanel(QWidget):
    """Search box (Enter searches) and the results; a double click or Enter opens a patient."""

    open_patient = Signal(int)
    new_patient = Signal()

    def __init__(self, registry, ref, tr: Tr, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr = registry, tr
        self.setObjectName("searchPanel")
        self.title = keyed(QLabel(), "search.title")
        self.title.setObjectName("columnTitle")
        self.query = QLineEdit()
        self.query.setObjectName("searchBox")
        self.query.setClearButtonEnabled(True)
        self.button = keyed(QPushButton(), "action.search")
        self.model = PatientsModel(ref, tr, self)
        self.view = table(self.model, stretch=0, name="results", compact=False, wrap=True)
        # a long name wraps at its words onto a second line, the row as tall as it needs
        self.view.setTextElideMode(Qt.ElideNone)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.view.horizontalHeader().sectionResized.connect(
            lambda column, _old, _new: column == 0 and self.view.resizeRowsToContents())
        self.view.setTabKeyNavigation(False)
        self.view.horizontalHeader().setMinimumSectionSize(36)
        self.setMinimumWidth(330)
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.new_button = keyed(QPushButton(), "action.new")
        row = hbox((self.query, 1), self.button)
        row.setSpacing(6)
        box = vbox(self.title, row, self.count, (self.view, 1), self.new_button, parent=self, spacing=8)
        box.setContentsMargins(12, 12, 6, 12)
        self._shown_for: str | None = None       # the query whose results are on screen
        self.live = QTimer(self)
        self.live.setSingleShot(True)
        self.live.setInterval(150)
        self.live.timeout.connect(self.search)
        self.query.textEdited.connect(lambda _t: self.live.start())
        self.query.returnPressed.connect(self.enter)
        self.query.installEventFilter(self)
        self.button.clicked.connect(self.search)
        self.view.doubleClicked.connect(lambda i: self.open_patient.emit(self.model.patient_id(i.row())))
        self.view.activated.connect(lambda i: self.open_patient.emit(self.model.patient_id(i.row())))
        self.new_button.clicked.connect(self.new_patient)
        QWidget.setTabOrder(self.query, self.button)
        QWidget.setTabOrder(self.button, self.view)
        QWidget.setTabOrder(self.view, self.new_button)
        self._searched = False
        self.retranslate()

    def retranslate(self) -> None:
        retranslate_keyed(self, self.tr)
        self.query.setPlaceholderText(self.tr("search.placeholder"))
        self.query.setAccessibleName(self.tr("search.title"))            # what a screen reader says
        self.query.setAccessibleDescription(self.tr("search.placeholder"))
        self.view.setAccessibleName(self.tr("search.results"))
        self.model.retranslate(self.tr)
        self._show_count()

    def _show_count(self) -> None:
        if not self._searched:
            self.count.setText("")
        elif self.model.rows:
            self.count.setText(self.tr("search.count", n=len(self.model.rows)))
        else:
            self.count.setText(self.tr("search.none"))

    def enter(self) -> None:
        """Enter in the search box: the selected patient of the results on screen opens; if
        the results are not yet those of the typed text, search first (one match opens)."""
        fresh = self._shown_for != self.query.text() or self.live.isActive()
        if fresh:
            self.search()
        rows = self.view.selectionModel().selectedRows()
        if self.model.rows and (not fresh or len(self.model.rows) == 1):
            row = rows[0].row() if rows else 0
            self.open_patient.emit(self.model.patient_id(row))

    def eventFilter(self, obj, event):
        if obj is self.query and event.type() == QEvent.KeyPress and event.key() == Qt.Key_Down:
            if self.live.isActive() or self._shown_for != self.query.text():
                self.search()
            if self.model.rows:          # Down goes to the results
                self.view.setFocus(Qt.TabFocusReason)
                if not self.view.selectionModel().selectedRows():
                    self.view.selectRow(0)
                return True
        return False

    def search(self) -> None:
        """Ask the store (ИИН exact, surname prefix in either script, document number)."""
        self.live.stop()
        self._shown_for = self.query.text()
        rows = self.registry.search(self.query.text())
        self._searched = bool(self.query.text().strip())
        self.model.set_rows(rows)
        self._show_count()
        if rows:
            self.view.selectRow(0)

    def refresh(self) -> None:
        """Ask the store again for the results on screen (after a save: a changed ИИН, name or
        birth date is shown as stored now, never as it was); the selected patient stays selected."""
        if not self._searched or self._shown_for is None:
            return
        rows = self.view.selectionModel().selectedRows()
        selected = self.model.patient_id(rows[0].row()) if rows and rows[0].row() < len(self.model.rows) else None
        found = self.registry.search(self._shown_for)
        self.model.set_rows(found)
        self._show_count()
        ids = [p.id for p in found]
        if selected in ids:
            self.view.selectRow(ids.index(selected))
        elif found:
            self.view.selectRow(0)

    def clear_results(self) -> None:
        """No query, no results, no count («Найдено: 1» is never left over an empty list)."""
        self.live.stop()
        self.query.clear()
        self.model.set_rows([])
        self._searched, self._shown_for = False, None
        self._show_count()

    def focus_query(self) -> None:
        self.query.setFocus(Qt.ShortcutFocusReason)
        self.query.selectAll()


class HistoryModel(TableModel):
    """A patient's decisions and printed documents, newest first (the store's order)."""

    COLUMNS = ("history.at", "history.user", "history.kind", "history.details")

    def __init__(self, ref, tr: Tr, parent=None):
        super().__init__(tr, parent)
        self.ref = ref

    @property
    def items(self) -> list:
        return self.rows

    def set_items(self, items: list) -> None:
        self.set_rows(items)

    def cell(self, item, column: str, role):
        if role != Qt.DisplayRole:
            return None
        if column == "history.at":
            return f"{dmy(item.at.date().isoformat())} {item.at:%H:%M}"
        if column == "history.user":
            return item.user
        if column == "history.kind":
            return self.tr(f"history.{item.kind}")
        s = item.summary
        lang = self.tr.lang
        if item.kind == "decision":
            category = self.ref.category_name(s["category"], lang) if s.get("category") in self.ref.category_by_id else s.get("category")
            status = self.ref.text(f"status.{s['attachment_status']}", lang) if s.get("attachment_status") else "—"
            return self.tr("history.decision_text", as_of=dmy(s.get("as_of")), category=category, status=status)
        kind = self.tr(f"print.kind.{s.get('kind')}") if f"print.kind.{s.get('kind')}" in STRINGS else s.get("kind")
        return self.tr("history.printed_text", number=s.get("number"), kind=kind, lang=s.get("lang"))


class HistoryView(QWidget):
    """The history tab of the opened patient. `reprint(number)`: a printed document was chosen
    (double click, Enter or the button) to be opened and printed again unchanged."""

    reprint = Signal(str)

    def __init__(self, ref, tr: Tr, parent: QWidget | None = None):
        super().__init__(parent)
        self.tr = tr
        self.model = HistoryModel(ref, tr, self)
        self.view = table(self.model, stretch=3, name="history", multi=True, compact=False)
        self.empty = keyed(QLabel(), "history.empty")
        self.empty.setObjectName("hint")
        self.reprint_button = keyed(QPushButton(), "history.reprint")
        self.reprint_button.setObjectName("reprintButton")
        self.reprint_button.setEnabled(False)
        vbox(self.empty, (self.view, 1), hbox(1, self.reprint_button), parent=self, margins=12)
        self.view.activated.connect(lambda _i: self._reprint())     # double click or Enter
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.reprint_button.clicked.connect(self._reprint)
        self.retranslate()

    def set_items(self, items: list) -> None:
        self.model.set_items(items)
        self.empty.setVisible(not items)
        self._selection_changed()

    def selected_number(self) -> str | None:
        """The number of the printed document selected, if a printed document is selected."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.model.items[rows[0].row()]
        return item.summary.get("number") if item.kind == "printed" else None

    def _selection_changed(self) -> None:
        self.reprint_button.setEnabled(self.selected_number() is not None)

    def _reprint(self) -> None:
        number = self.selected_number()
        if number:
            self.reprint.emit(number)

    def retranslate(self) -> None:
        retranslate_keyed(self, self.tr)
        self.reprint_button.setToolTip(self.tr("history.reprint_tip"))
        self.model.retranslate(self.tr)
