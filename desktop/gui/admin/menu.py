"""Administration for the head registrar: price list, reference data, backups, users, audit
log, the worklist of lapsing attachments, the export for the national register, the
reports (journal, summary, paid services, lapsing, registrars) and the possible duplicate
records (duplicates.py).

`AdminMenu` builds the menu in one line; each entry opens one dialog (the dialogs live in
prices.py, data.py and people.py beside this module). For a registrar only the worklist and the reports (journal, lapsing) are
offered; every admin dialog also checks the role itself (`registry.require_admin`) and the
store checks it again on every change.

    self.admin_menu = AdminMenu(self, registry, ref, db_path, user.login, tr, clock, today)
    self.menuBar().addMenu(self.admin_menu.menu)
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop.gui.admin.base import AdminDialog
from desktop.gui.admin.data import BackupDialog, ExportDialog, ReferenceDataDialog
from desktop.gui.admin.duplicates import DuplicatesDialog
from desktop.gui.admin.people import AuditDialog, UsersDialog, WorklistDialog
from desktop.gui.admin.prices import PriceEditor
from desktop.gui.admin.reports import ReportsDialog

__all__ = ["AdminMenu", "AdminDialog", "PriceEditor", "ReferenceDataDialog", "BackupDialog",
           "UsersDialog", "AuditDialog", "WorklistDialog", "ExportDialog", "ReportsDialog",
           "DuplicatesDialog"]

# (name, string key, administrator only)
ENTRIES = (("worklist", "worklist.title", False), ("prices", "prices.title", True),
           ("refdata", "refdata.title", True), ("backup", "backup.title", True),
           ("users", "users.title", True), ("audit", "audit.title", True),
           ("export", "export.title", True), ("reports", "reports.title", False),
           ("duplicates", "dups.title", True))
# Each entry's keys (Ctrl+Shift+letter: none of the desk's Ctrl+N/S/P/F/L/Q, F1/F2, the print
# panel's F5-F7 nor the duplicates window's Ctrl+Enter/Ctrl+Z); listed in the F1 help.
SHORTCUTS = {"worklist": "Ctrl+Shift+W", "prices": "Ctrl+Shift+P", "refdata": "Ctrl+Shift+R",
             "backup": "Ctrl+Shift+B", "users": "Ctrl+Shift+U", "audit": "Ctrl+Shift+A",
             "export": "Ctrl+Shift+E", "reports": "Ctrl+Shift+O", "duplicates": "Ctrl+Shift+D"}


class AdminMenu(QObject):
    """The "Администрирование" menu. `reference_changed(version)`: a new release is in force
    (reload `ref`); `restored(path)`: the registry file was replaced from a backup (reload what
    is shown, ask for the login again)."""

    reference_changed = Signal(str)
    restored = Signal(str)
    open_patient = Signal(int)   # from the worklist (double-click on a row)

    def __init__(self, parent: QWidget, registry, ref, db_path, user: str, tr, clock, today, *,
                 keys_dir: Path | None = None, backups_dir: Path | None = None):
        super().__init__(parent)
        self.parent_widget = parent
        self.registry, self.ref, self.db_path, self.user = registry, ref, Path(db_path), user
        self.tr, self.clock, self.today = tr, clock, today
        self.keys_dir, self.backups_dir = keys_dir, backups_dir
        self.menu = QMenu(parent)
        self.menu.setObjectName("adminMenu")
        self.actions: dict[str, QAction] = {}
        self.dialogs: dict[str, AdminDialog] = {}
        self.available = True      # False off the desk (login page, lock): no entry opens
        for i, (name, _key, _admin) in enumerate(ENTRIES):
            if i == 1:
                self.menu.addSeparator()
            action = QAction(self.menu)
            action.setObjectName(f"admin_{name}")
            action.setShortcut(QKeySequence(SHORTCUTS[name]))
            action.setShortcutContext(Qt.WindowShortcut)
            action.triggered.connect(lambda _=False, n=name: self.open(n))
            self.menu.addAction(action)
            if parent is not None:      # the keys work while the menu is closed
                parent.addAction(action)
            self.actions[name] = action
        self.set_user(user)
        self.retranslate(tr)

    def set_user(self, user: str) -> None:
        """After a login: show the administrator's entries only to an administrator."""
        from desktop.store import PermissionDenied

        self.user = user
        try:
            registry_admin = bool(user) and self.registry.require_admin(user) is None
        except PermissionDenied:
            registry_admin = False
        for name, _key, admin_only in ENTRIES:
            self.actions[name].setVisible(registry_admin or not admin_only)
            self.actions[name].setEnabled(self.available and (registry_admin or not admin_only))

    def set_available(self, on: bool) -> None:
        """On the desk the entries (and their keys) work; on the login or lock page none does."""
        self.available = on
        for name, _key, _admin in ENTRIES:
            self.actions[name].setEnabled(on and self.actions[name].isVisible())

    def keys(self) -> list[tuple[str, str]]:
        """(entry's name as shown, its keys) of the entries this user has: for the F1 help."""
        return [(self.tr(key), self.actions[name].shortcut().toString(QKeySequence.NativeText))
                for name, key, _admin in ENTRIES if self.actions[name].isVisible()]

    def is_admin(self) -> bool:
        return self.actions["prices"].isVisible()

    def set_reference(self, ref) -> None:
        self.ref = ref

    def retranslate(self, tr) -> None:
        self.tr = tr
        self.menu.setTitle(tr("admin.menu"))
        for name, key, _admin in ENTRIES:
            self.actions[name].setText(tr(f"admin.item.{name}"))
        for dialog in self.dialogs.values():
            dialog.retranslate(tr)

    def make(self, name: str) -> AdminDialog:
        """The dialog behind an entry (not shown)."""
        p, r, tr, clock, user = self.parent_widget, self.registry, self.tr, self.clock, self.user
        if name == "prices":
            return PriceEditor(r, self.ref, tr, clock, user, self.today, parent=p)
        if name == "refdata":
            dialog = ReferenceDataDialog(r, tr, clock, user, self.db_path, keys_dir=self.keys_dir, parent=p)
            dialog.reference_changed.connect(self.reference_changed)
            return dialog
        if name == "backup":
            dialog = BackupDialog(r, tr, clock, user, self.db_path, backups_dir=self.backups_dir, parent=p)
            dialog.restored.connect(self.restored)
            return dialog
        if name == "users":
            return UsersDialog(r, tr, clock, user, parent=p)
        if name == "audit":
            return AuditDialog(r, tr, clock, user, self.today, parent=p, ref=self.ref)
        if name == "worklist":
            dialog = WorklistDialog(r, self.ref, tr, clock, user, self.today, parent=p)
            dialog.open_patient.connect(self.open_patient)
            return dialog
        if name == "export":
            return ExportDialog(r, tr, clock, user, parent=p)
        if name == "reports":
            dialog = ReportsDialog(r, self.ref, tr, clock, user, self.today, parent=p)
            dialog.open_patient.connect(self.open_patient)
            return dialog
        if name == "duplicates":
            return DuplicatesDialog(r, self.ref, tr, clock, user, self.today, parent=p)
        raise KeyError(name)

    def open(self, name: str) -> AdminDialog:
        """Open (non-blocking) the dialog of one entry; one window per entry."""
        old = self.dialogs.pop(name, None)
        if old is not None:
            old.close()
            old.deleteLater()
        dialog = self.make(name)
        self.dialogs[name] = dialog
        dialog.finished.connect(lambda _r, n=name, d=dialog: self.dialogs.get(n) is d and self.dialogs.pop(n))
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()      # its keys (Esc, Enter, Tab) go to it, with or without a window manager
        return dialog
