"""What every administration dialog shares: the role check at opening (a registrar sees the
dialog disabled with the reason), a status line that speaks the current language, slow work
on a worker thread, and a small sortable table model."""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from PySide6.QtCore import SIGNAL, QModelIndex, Qt
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QDialog, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from desktop.gui import tables
from desktop.gui.i18n import store_text
from desktop.gui.strings import STRINGS
from desktop.gui.tables import RIGHT, SORT_ROLE, TableModel
from desktop.gui.widgets import FitsScreen, hbox, keyed, retranslate_keyed, vbox
from desktop.gui.worker import Worker


def now_of(clock) -> datetime:
    """The caller's clock: a `Clock` (with .now()) or a plain callable."""
    return clock.now() if hasattr(clock, "now") else clock()


def today_of(today) -> date:
    """`today` as given: a date, or a callable returning one (a window open past midnight)."""
    return today() if callable(today) else today


def dmy(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


class RowsModel(TableModel):
    """Rows of (display values, sort values, key) under translated headers (the column
    definitions are the headers' catalogue keys); UserRole is the row's key."""

    def __init__(self, header_keys: list[str], tr, parent=None):
        super().__init__(tr, parent, columns=header_keys)
        self.align_right: set[int] = set()

    @property
    def header_keys(self) -> list[str]:
        return list(self.COLUMNS)

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        shown, sort, key = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):   # the tip: a cell cut at the column's edge
            return shown[index.column()]
        if role == SORT_ROLE:
            return sort[index.column()]
        if role == Qt.UserRole:
            return key
        if role == Qt.TextAlignmentRole and index.column() in self.align_right:
            return RIGHT
        return None

    def column(self, column: int) -> list:
        return [r[0][column] for r in self.rows]


def table(model: RowsModel, *, sortable: bool = True, stretch: int | None = None, name: str = "") -> QTableView:
    """The administration's tables: sortable unless said otherwise."""
    return tables.table(model, sortable=sortable, stretch=stretch, name=name)


def selected_key(view: QTableView):
    index = view.currentIndex()
    return index.data(Qt.UserRole) if index.isValid() else None


def error_message(tr, exc: BaseException) -> str:
    """What went wrong, in the interface's language: a refused reference package by its reason
    (the catalogue's words); a store or core message written "по-русски — in English" by its
    Kazakh text at a Kazakh desk, else its Russian half (the English half never reaches the
    desk)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and f"refpkg.{reason}" in STRINGS:
        return tr(f"refpkg.{reason}")
    return store_text(exc, tr.lang)


def _buddies(layout) -> None:
    """A label standing just before an input in a row is that input's label (its buddy): the
    input's accessible name, and Alt+letter focus when the label has one."""
    if layout is None:
        return
    items = [layout.itemAt(i) for i in range(layout.count())]
    for item, after in zip(items, items[1:] + [None]):
        if item.layout() is not None:
            _buddies(item.layout())
        widget = item.widget()
        nxt = after.widget() if after is not None else None
        if isinstance(widget, QLabel) and nxt is not None and widget.buddy() is None \
                and isinstance(nxt, (QLineEdit, QComboBox, QAbstractSpinBox)):
            widget.setBuddy(nxt)
        elif widget is not None and widget.layout() is not None:
            _buddies(widget.layout())


def confirm(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Question, title, text, QMessageBox.Yes | QMessageBox.No, parent)
    box.setDefaultButton(QMessageBox.No)
    return box.exec() == QMessageBox.Yes


class AdminDialog(FitsScreen, QDialog):
    """Base of the administration dialogs. Subclasses build into `self.body` and implement
    `retranslate_body()` and `refresh()`. For a user who is not an active administrator
    (`registry.require_admin`) the body is disabled and the reason shown; the store checks the
    role again on every change, and a refusal there is shown in the status line."""

    title_key = ""
    admin_only = True
    # Enter presses this button (an attribute name) and no other: a safe one — it opens a form,
    # applies a filter or closes the dialog. Destructive actions (lock, reset, rollback, restore)
    # ask first and are never the default; no button becomes default by having the focus.
    default_button = "close_button"
    refresh_on_language = True     # shown values (dates, words) are made in the language

    def __init__(self, registry, tr, clock, user: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr, self.clock, self.user = registry, tr, clock, user
        self.worker = Worker(self)
        self.allowed = (not self.admin_only) or self.is_admin()
        self.denied = QLabel()
        self.denied.setObjectName("adminDenied")
        self.denied.setStyleSheet("#adminDenied { background: #fdecea; border: 1px solid #e5a29b; "
                                  "border-radius: 6px; padding: 8px; color: #8a1c12; font-weight: 600; }")
        self.denied.setVisible(not self.allowed)
        self.body = QWidget()
        self.close_button = keyed(QPushButton(), "print.close")
        self.close_button.setObjectName("adminClose")
        self.close_button.clicked.connect(self.reject)
        self.status = QLabel()
        self.status.setObjectName("adminStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._status: tuple[str, str, dict] | None = None
        box = QVBoxLayout(self)
        box.addWidget(self.denied)
        box.addWidget(self.body, 1)
        box.addLayout(hbox((self.status, 1), self.close_button))

    def lay_out_body(self, *items) -> None:
        """The body's column of `items` (widgets, layouts, stretches; see widgets.vbox)."""
        vbox(*items, parent=self.body, margins=0)

    def finish_setup(self) -> None:
        """Call at the end of a subclass's __init__."""
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        getattr(self, self.default_button).setDefault(True)
        _buddies(self.layout())
        self._enter_taken = False
        for edit in self.findChildren(QLineEdit):
            if edit.receivers(SIGNAL("returnPressed()")) > 0:
                edit.returnPressed.connect(self._take_enter)
        self.body.setEnabled(self.allowed)
        self.retranslate(self.tr)
        if self.allowed:
            self.refresh()

    def is_admin(self) -> bool:
        from desktop.store import PermissionDenied

        try:
            self.registry.require_admin(self.user)
        except PermissionDenied:
            return False
        return True

    # --- language and status -------------------------------------------------------------------
    def retranslate(self, tr) -> None:
        """The window's title, every `keyed` text and table (`TableModel`) of the body, then the
        subclass's own texts (`retranslate_body`), the data again when `refresh_on_language`."""
        self.tr = tr
        if self.title_key:
            self.setWindowTitle(tr(self.title_key))
        self.denied.setText(tr("admin.denied"))
        retranslate_keyed(self, tr)
        for model in self.findChildren(TableModel):
            model.set_tr(tr)
        for view in self.findChildren(QTableView):     # a screen reader names the table
            view.setAccessibleName(tr(self.title_key) if self.title_key else "")
        self.retranslate_body()
        if self.refresh_on_language and self.allowed:
            self.refresh()
        if self._status:
            self.show_status(*self._status[:2], **self._status[2])

    def retranslate_body(self) -> None:  # pragma: no cover - subclasses
        pass

    def refresh(self) -> None:  # pragma: no cover - subclasses
        pass

    def show_status(self, key: str, kind: str = "ok", **fields) -> None:
        self._status = (key, kind, fields)
        color = {"ok": "#14532d", "error": "#8a1c12", "busy": "#5b6472"}[kind]
        self.status.setProperty("kind", kind)
        self.status.setStyleSheet(f"#adminStatus {{ color: {color}; }}")
        self.status.setText(self.tr(key, **fields))

    def status_kind(self) -> str | None:
        return self._status[1] if self._status else None

    # --- running actions -----------------------------------------------------------------------
    def guarded(self, fn: Callable[[], object]) -> tuple[bool, object]:
        """Run `fn` now; a refusal or error goes to the status line. (ok, result)."""
        try:
            return True, fn()
        except Exception as exc:  # shown to the administrator, never a traceback
            self.show_error(exc)
            return False, None

    def run(self, fn: Callable[[], object], on_ok: Callable[[object], None],
            on_error: Callable[[Exception], None] | None = None) -> None:
        """Run `fn` on the worker thread; `on_ok(result)` or the error in the GUI thread."""
        self.show_status("admin.working", "busy")
        self.body.setEnabled(False)

        def done(result, error):
            self.body.setEnabled(self.allowed)
            if error is not None:
                (on_error or self.show_error)(error)
            else:
                on_ok(result)

        self.worker.submit(fn, done)

    def show_error(self, exc: Exception) -> None:
        from desktop.store import PermissionDenied

        from desktop.store.errors import AccountLocked, PasswordRejected

        if isinstance(exc, PasswordRejected):
            self.show_status(f"password.{exc.reason}", "error")
        elif getattr(exc, "reason", None) == "not_signed_in":   # the server did not confirm
            self.show_status("admin.not_signed_in", "error")
        elif isinstance(exc, PermissionDenied) and not isinstance(exc, AccountLocked):
            self.show_status("admin.denied", "error")
        else:
            self.show_status("admin.error", "error", message=error_message(self.tr, exc))

    def _take_enter(self) -> None:
        self._enter_taken = True

    def keyPressEvent(self, event) -> None:
        """Enter in a field that acts on Enter itself (a passphrase) is that field's alone: it
        does not press the default button as well; Enter on a button in focus presses that
        button (as Space does); anywhere else Enter presses the default button."""
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            taken, self._enter_taken = getattr(self, "_enter_taken", False), False
            if taken:
                event.accept()
                return
            focus = self.focusWidget()
            if isinstance(focus, QPushButton) and focus.isEnabled() and focus.isVisible():
                event.accept()
                focus.click()
                return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self.worker.wait()
        super().done(result)
