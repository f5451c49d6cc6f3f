"""The one table model of the GUI (Qt model/view) and the read-only table view over it.

`TableModel` keeps a list of rows under column definitions: `COLUMNS` names the columns, each
header is `tr(HEADER.format(column))` in the current language, and a subclass says what a cell
shows in `cell(row, column, role)` (column is the column's name, row the stored object).
`set_rows` replaces the rows, `set_tr` switches the language (headers and cells again)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

SORT_ROLE = Qt.UserRole + 1
RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)


class TableModel(QAbstractTableModel):
    """Rows under translated column headers; see the module's note."""

    COLUMNS: tuple[str, ...] = ()
    HEADER = "{}"          # the catalogue key of a column's header

    def __init__(self, tr, parent=None, columns=None):
        super().__init__(parent)
        self.tr = tr
        if columns is not None:
            self.COLUMNS = tuple(columns)
        self.rows: list = []

    # --- what a subclass says ------------------------------------------------------------------
    def cell(self, row, column: str, role):  # pragma: no cover - subclasses
        return None

    def header(self, column: str) -> str:
        return self.tr(self.HEADER.format(column))

    # --- the model -----------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.header(self.COLUMNS[section])
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        return self.cell(self.rows[index.row()], self.COLUMNS[index.column()], role)

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def set_tr(self, tr=None) -> None:
        """The language switched: the headers and every cell again."""
        if tr is not None:
            self.tr = tr
        if self.COLUMNS:
            self.headerDataChanged.emit(Qt.Horizontal, 0, len(self.COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))

    retranslate = set_tr


def table(model, *, sortable: bool = False, stretch: int | None = None, name: str = "",
          multi: bool = False, compact: bool = True, wrap: bool = True,
          view: QTableView | None = None) -> QTableView:
    """A read-only, row-selecting table over `model` (sorted through a proxy on SORT_ROLE when
    `sortable`; column `stretch` takes the spare width, the others fit their contents). `view`:
    a QTableView subclass's instance to set up instead of a new one."""
    view = QTableView() if view is None else view
    if name:
        view.setObjectName(name)
    if sortable:
        proxy = QSortFilterProxyModel(view)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(0, Qt.AscendingOrder)
    else:
        view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.ExtendedSelection if multi else QAbstractItemView.SingleSelection)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(wrap)
    view.verticalHeader().hide()
    if compact:
        view.verticalHeader().setDefaultSectionSize(26)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.Stretch)
    return view
