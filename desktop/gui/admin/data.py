"""Administration of the data itself: reference-data releases (import a signed package from a
file, rollback), backups (now, to a chosen file; restore with confirmation) and the export for
the national register. Verification, copying and writing run on the worker thread."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFrame, QGridLayout, QLabel, QLineEdit,
                               QPushButton, QWidget)

from desktop.gui.admin.base import AdminDialog, RowsModel, confirm, dmy, error_message, now_of, selected_key, table
from desktop.gui.widgets import hbox, keyed


def default_keys_dir():
    from desktop.paths import trusted_key_dirs

    return trusted_key_dirs()


class ReferenceDataDialog(AdminDialog):
    """Installed reference-data releases and the one in force; import from a file; rollback.
    `reference_changed(version)` fires after a switch: the caller reloads the release in force
    (`load_reference(refinstall.active_path(db_path))`)."""

    title_key = "refdata.title"
    reference_changed = Signal(str)

    def __init__(self, registry, tr, clock, user: str, db_path: Path, *, keys_dir: Path | None = None,
                 choose_file: Callable | None = None, ask: Callable | None = None,
                 parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("referenceDataDialog")
        self.db_path, self.keys_dir = Path(db_path), keys_dir if keys_dir else default_keys_dir()
        self.choose_file = choose_file or (lambda parent: QFileDialog.getOpenFileName(
            parent, self.tr("refdata.open_title"), "", self.tr("refdata.filter"))[0] or None)
        self.ask = ask or confirm
        from desktop.store.releases import DeskReleases

        self.releases = DeskReleases(registry, self.db_path)  # on a server: the clinic's releases
        self.resize(720, 420)
        self.model = RowsModel(["refdata.version", "refdata.issued", "refdata.active"], tr, self)
        self.view = table(self.model, stretch=0)
        self.import_button = keyed(QPushButton(), "refdata.import")
        self.import_button.setObjectName("primary")
        self.rollback_button = keyed(QPushButton(), "refdata.rollback")
        self.lay_out_body((self.view, 1), hbox(1, self.rollback_button, self.import_button))
        self.import_button.clicked.connect(self.import_clicked)
        self.rollback_button.clicked.connect(self.rollback_clicked)
        self.finish_setup()

    def refresh(self) -> None:
        rows = []
        for r in self.releases.listing():
            mark = "✔ " + self.tr("refdata.in_force") if r["active"] else ""
            rows.append(([r["version"], dmy(datetime.fromisoformat(r["issued"]).date()), mark],
                         [r["version"], r["issued"], int(r["active"])], r["version"]))
        self.model.set_rows(rows)

    def active_version(self) -> str | None:
        return next((r[2] for r in self.model.rows if r[1][2]), None)

    def import_clicked(self) -> None:
        path = self.choose_file(self)
        if path:
            self.import_file(Path(path))

    def import_file(self, package: Path) -> None:
        """Verify `package` and switch to it (worker); a refusal shows its reason, changes nothing."""
        from desktop.core.refpackage import PackageError

        ok, _ = self.guarded(lambda: self.registry.require_admin(self.user))
        if not ok:
            return
        releases, keys_dir, registry, user, now = self.releases, self.keys_dir, self.registry, self.user, now_of(self.clock)

        def work():
            result = releases.import_package(package, keys_dir, user=user, now=now, today=now.date())
            registry.log(user=user, action="refdata_import", obj=f"refdata:{result.version}", now=now,
                         details={"previous": result.previous, "file": str(package)})
            return result

        def ok_(result):
            self.refresh()
            self.show_status("refdata.imported", "ok", version=result.version, previous=result.previous or "—")
            self.reference_changed.emit(result.version)

        def failed(error):
            if isinstance(error, PackageError):
                self.show_status("refdata.refused", "error", message=error_message(self.tr, error))
            else:
                self.show_error(error)

        self.run(work, ok_, failed)

    def rollback_clicked(self) -> None:
        if self.ask(self, self.tr("refdata.title"), self.tr("refdata.confirm_rollback")):
            self.rollback()

    def rollback(self) -> None:
        ok, _ = self.guarded(lambda: self.registry.require_admin(self.user))
        if not ok:
            return
        before = self.active_version()
        ok, version = self.guarded(lambda: self.releases.rollback(user=self.user, now=now_of(self.clock)).version)
        if not ok:
            return
        self.registry.log(user=self.user, action="refdata_rollback", obj=f"refdata:{version}",
                          now=now_of(self.clock), details={"from": before})
        self.refresh()
        self.show_status("refdata.rolled_back", "ok", version=version)
        self.reference_changed.emit(version)


PASSPHRASE_MIN = 12   # an encrypted copy leaves the PC: longer than an account password (10)


def passphrase_problem(first: str, second: str, login: str) -> tuple[str, dict] | None:
    """Why (`first`, `second`) may not protect an encrypted backup made by `login`: a string
    key and its fields, or None. At least PASSPHRASE_MIN characters, then the account password
    rule (not the login, not digits only), then both entries equal."""
    from desktop.store.errors import PasswordRejected
    from desktop.store.passwords import check_password

    if not first:
        return "backup.pass_empty", {}
    if len(first) < PASSPHRASE_MIN:
        return "backup.pass_short", {"n": PASSPHRASE_MIN}
    try:
        check_password(first, login)
    except PasswordRejected as exc:
        return f"backup.pass_{exc.reason}", {}
    if first != second:
        return "backup.pass_mismatch", {}
    return None


def secret_field(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.Password)
    edit.setProperty("field", name)
    edit.setMinimumWidth(260)
    return edit


class BackupDialog(AdminDialog):
    """Back up now to a chosen file (verified copy), plainly or encrypted with a passphrase typed
    twice; restore from a file or one of the automatic backups, after confirmation (an encrypted
    file asks its passphrase first; a wrong one replaces nothing and may be typed again).
    `restored(path)` fires after a restore: the caller re-opens whatever it shows (the same
    Registry object reads the restored file). A passphrase lives only in its field until used."""

    title_key = "backup.title"
    refresh_on_language = False
    restored = Signal(str)

    def __init__(self, registry, tr, clock, user: str, db_path: Path, *, backups_dir: Path | None = None,
                 choose_save: Callable | None = None, choose_open: Callable | None = None,
                 ask: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("backupDialog")
        self.db_path = Path(db_path)
        self.backups_dir = Path(backups_dir) if backups_dir else None
        save_filter = lambda suggested: self.tr(  # noqa: E731
            "backup.filter_enc" if str(suggested).endswith(".enc") else "backup.filter")
        self.choose_save = choose_save or (lambda parent, suggested: QFileDialog.getSaveFileName(
            parent, self.tr("backup.now"), suggested, save_filter(suggested))[0] or None)
        self.choose_open = choose_open or (lambda parent: QFileDialog.getOpenFileName(
            parent, self.tr("backup.restore"), str(self.backups_dir or ""), self.tr("backup.filter_open"))[0] or None)
        self.ask = ask or confirm
        self.pending_restore: Path | None = None
        self.resize(820, 560)
        self.backup_button = QPushButton()
        self.backup_button.setObjectName("primary")
        self.restore_button = QPushButton()
        self.restore_selected_button = QPushButton()
        # encrypted backup: the choice and the passphrase twice
        self.encrypt = QCheckBox()
        self.encrypt.setProperty("field", "backup.encrypt")
        self.passphrase = secret_field("backup.passphrase")
        self.passphrase2 = secret_field("backup.passphrase2")
        self.passphrase_label, self.passphrase2_label = QLabel(), QLabel()
        self.passphrase_label.setBuddy(self.passphrase)
        self.passphrase2_label.setBuddy(self.passphrase2)
        self.pass_rule = QLabel()
        self.pass_rule.setObjectName("hint")
        self.pass_rule.setWordWrap(True)
        self.pass_error = self.error_label("backupPassError")
        self.encrypt_panel = QWidget()
        grid = QGridLayout(self.encrypt_panel)
        grid.setContentsMargins(24, 0, 0, 0)
        grid.addWidget(self.passphrase_label, 0, 0)
        grid.addWidget(self.passphrase, 0, 1)
        grid.addWidget(self.passphrase2_label, 1, 0)
        grid.addWidget(self.passphrase2, 1, 1)
        grid.addWidget(self.pass_error, 0, 2, 2, 1)
        grid.addWidget(self.pass_rule, 2, 1, 1, 2)
        grid.setColumnStretch(2, 1)
        self.encrypt_panel.setVisible(False)
        # restoring an encrypted file: its passphrase, before the confirmation
        self.restore_prompt = QLabel()
        self.restore_prompt.setWordWrap(True)
        self.restore_passphrase = secret_field("restore.passphrase")
        self.restore_continue = QPushButton()
        self.restore_cancel = QPushButton()
        self.restore_error = self.error_label("restorePassError")
        self.restore_panel = QFrame()
        self.restore_panel.setObjectName("restorePanel")
        self.restore_panel.setStyleSheet("#restorePanel { border: 1px solid #c9d3e0; border-radius: 6px; }")
        panel = QGridLayout(self.restore_panel)
        panel.addWidget(self.restore_prompt, 0, 0, 1, 4)
        panel.addWidget(self.restore_passphrase, 1, 0)
        panel.addWidget(self.restore_continue, 1, 1)
        panel.addWidget(self.restore_cancel, 1, 2)
        panel.addWidget(self.restore_error, 2, 0, 1, 4)
        panel.setColumnStretch(3, 1)
        self.restore_panel.setVisible(False)
        self.auto_title = QLabel()
        self.auto_title.setObjectName("sectionHead")
        self.model = RowsModel(["backup.file", "backup.when", "backup.size"], tr, self)
        self.model.align_right = {2}
        self.view = table(self.model, stretch=0)
        self.lay_out_body(self.encrypt, self.encrypt_panel, hbox(self.backup_button, 1, self.restore_button),
                          self.restore_panel, self.auto_title, (self.view, 1),
                          hbox(1, self.restore_selected_button))
        order = (self.encrypt, self.passphrase, self.passphrase2, self.backup_button, self.restore_button,
                 self.restore_passphrase, self.restore_continue, self.restore_cancel, self.view,
                 self.restore_selected_button)
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)
        self.encrypt.toggled.connect(self.encrypt_toggled)
        self.passphrase.returnPressed.connect(self.passphrase2.setFocus)
        self.passphrase2.returnPressed.connect(self.backup_clicked)
        self.passphrase.textEdited.connect(lambda _: self.pass_error.clear())
        self.passphrase2.textEdited.connect(lambda _: self.pass_error.clear())
        self.backup_button.clicked.connect(self.backup_clicked)
        self.restore_button.clicked.connect(lambda: self.restore_clicked())
        self.restore_selected_button.clicked.connect(
            lambda: selected_key(self.view) and self.restore_clicked(selected_key(self.view)))
        self.restore_passphrase.returnPressed.connect(self.restore_passphrase_given)
        self.restore_passphrase.textEdited.connect(lambda _: self.restore_error.clear())
        self.restore_continue.clicked.connect(self.restore_passphrase_given)
        self.restore_cancel.clicked.connect(self.cancel_restore)
        self.finish_setup()

    @staticmethod
    def error_label(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setStyleSheet(f"#{name} {{ color: #8a1c12; font-weight: 600; }}")
        return label

    def retranslate_body(self) -> None:
        for widget, key in ((self.backup_button, "backup.now"), (self.restore_button, "backup.restore"),
                            (self.restore_selected_button, "backup.restore_selected"),
                            (self.encrypt, "backup.encrypt"), (self.passphrase_label, "backup.passphrase"),
                            (self.passphrase2_label, "backup.passphrase2"),
                            (self.restore_continue, "backup.continue"), (self.restore_cancel, "btn.cancel")):
            widget.setText(self.tr(key))
        self.auto_title.setText(self.tr("backup.auto").upper())
        self.pass_rule.setText(self.tr("backup.pass_rule", n=PASSPHRASE_MIN))
        for label in (self.pass_error, self.restore_error):
            if label.property("key"):
                label.setText(self.tr(label.property("key"), **(label.property("fields") or {})))
        if self.pending_restore is not None:
            self.restore_prompt.setText(self.tr("backup.restore_encrypted", name=self.pending_restore.name))

    def set_error(self, label: QLabel, key: str | None, **fields) -> None:
        """A message beside the fields (kept in the current language on a language switch)."""
        label.setProperty("key", key or "")
        label.setProperty("fields", fields)
        label.setText(self.tr(key, **fields) if key else "")

    def automatic_backups(self) -> list[Path]:
        if self.backups_dir is None or not self.backups_dir.is_dir():
            return []
        import re

        pattern = re.compile(re.escape(self.db_path.stem) + r"-\d{8}-\d{6}(-\d+)?\.sqlite$")
        return sorted((p for p in self.backups_dir.iterdir() if pattern.fullmatch(p.name)),
                      key=lambda p: p.name, reverse=True)

    def refresh(self) -> None:
        rows = []
        for p in self.automatic_backups():
            stat = p.stat()
            when = datetime.strptime(p.name[len(self.db_path.stem) + 1:][:15], "%Y%m%d-%H%M%S")
            rows.append(([p.name, dmy(when), self.tr("backup.kb", n=f"{stat.st_size / 1024:,.0f}".replace(",", " "))],
                         [p.name, when.isoformat(), stat.st_size], str(p)))
        self.model.set_rows(rows)

    # --- backing up ----------------------------------------------------------------------------
    def encrypt_toggled(self, on: bool) -> None:
        self.encrypt_panel.setVisible(on)
        self.set_error(self.pass_error, None)
        if on:
            self.passphrase.setFocus()
        else:
            self.passphrase.clear()
            self.passphrase2.clear()

    def clear_passphrases(self) -> None:
        self.passphrase.clear()
        self.passphrase2.clear()

    def backup_clicked(self) -> None:
        passphrase = None
        if self.encrypt.isChecked():
            problem = passphrase_problem(self.passphrase.text(), self.passphrase2.text(), self.user)
            if problem:
                key, fields = problem
                self.set_error(self.pass_error, key, **fields)
                if key == "backup.pass_mismatch":
                    self.clear_passphrases()
                target = self.passphrase
                target.setFocus()
                target.selectAll()
                return
            self.set_error(self.pass_error, None)
            passphrase = self.passphrase.text()
        now = now_of(self.clock)
        suffix = ".enc" if passphrase is not None else ".sqlite"
        path = self.choose_save(self, f"{self.db_path.stem}-{now:%Y%m%d-%H%M}{suffix}")
        if path:
            self.backup_to(Path(path), passphrase=passphrase)

    def backup_to(self, out: Path, *, passphrase: str | None = None) -> None:
        """Back up to `out` on the worker (the store verifies the copy); with `passphrase`,
        encrypted (AES-256-GCM, key by scrypt) — the passphrase is neither kept nor logged."""
        from desktop.store import backups

        registry, user, now = self.registry, self.user, now_of(self.clock)
        if passphrase is None:
            self.run(lambda: backups.backup(registry, out, actor=user, now=now),
                     lambda counts: self.show_status("backup.done", "ok", path=str(out),
                                                     patients=counts.get("patient", 0)))
            return

        def ok_(counts):
            self.clear_passphrases()
            self.show_status("backup.done_encrypted", "ok", path=str(out), patients=counts.get("patient", 0))

        self.run(lambda: backups.backup_encrypted(registry, out, passphrase, actor=user, now=now), ok_)

    # --- restoring -----------------------------------------------------------------------------
    def restore_clicked(self, path: str | None = None) -> None:
        from desktop.store.crypt import is_encrypted

        path = path or self.choose_open(self)
        if not path:
            return
        if is_encrypted(Path(path)):
            self.ask_restore_passphrase(Path(path))
            return
        self.pending_restore = None
        self.restore_passphrase.clear()
        self.restore_panel.setVisible(False)
        if self.ask(self, self.tr("backup.title"), self.tr("backup.confirm", path=path)):
            self.restore_from(Path(path))

    def ask_restore_passphrase(self, backup: Path) -> None:
        """Show the passphrase field for the encrypted `backup` (Enter goes on, Esc cancels)."""
        self.pending_restore = backup
        self.restore_prompt.setText(self.tr("backup.restore_encrypted", name=backup.name))
        self.restore_passphrase.clear()
        self.set_error(self.restore_error, None)
        self.restore_panel.setVisible(True)
        self.restore_passphrase.setFocus()

    def restore_passphrase_given(self) -> None:
        backup, passphrase = self.pending_restore, self.restore_passphrase.text()
        if backup is None:
            return
        if not passphrase:
            self.set_error(self.restore_error, "backup.pass_empty")
            self.restore_passphrase.setFocus()
            return
        if self.ask(self, self.tr("backup.title"), self.tr("backup.confirm", path=str(backup))):
            self.restore_from(backup, passphrase=passphrase)
        else:
            self.cancel_restore()

    def cancel_restore(self) -> None:
        """Leave everything as it is: the field is emptied and hidden."""
        self.pending_restore = None
        self.restore_passphrase.clear()
        self.set_error(self.restore_error, None)
        self.restore_panel.setVisible(False)
        self.show_status("backup.restore_cancelled", "ok")

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self.restore_panel.isVisible():
            self.cancel_restore()
            return
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.focusWidget() in (
                self.passphrase, self.passphrase2, self.restore_passphrase):
            event.accept()   # handled by the field (returnPressed): never also a default button
            return
        super().keyPressEvent(event)

    def restore_from(self, backup: Path, *, passphrase: str | None = None) -> None:
        """Replace the registry by `backup` (decrypted with `passphrase` if encrypted, verified
        first; the current file is kept aside). A wrong passphrase replaces nothing."""
        from desktop.store import restore
        from desktop.store.crypt import BackupCryptError

        ok, _ = self.guarded(lambda: self.registry.require_admin(self.user))
        if not ok:
            return
        registry, db_path, user, now = self.registry, self.db_path, self.user, now_of(self.clock)
        registry.close()   # no pooled connection may hold the file while it is replaced
        details = {"encrypted": True} if passphrase is not None else {}

        def work():
            aside = restore(backup, getattr(registry, "location", None) or db_path, now=now,
                            passphrase=passphrase)
            registry.log(user=user, action="restore", obj=f"backup:{backup.name}", now=now,
                         details={"previous_kept_as": str(aside) if aside else None, **details})
            return aside

        def ok_(aside):
            if passphrase is not None:
                self.pending_restore = None
                self.restore_passphrase.clear()
                self.restore_panel.setVisible(False)
            self.show_status("backup.restored", "ok", path=str(backup), aside=str(aside or "—"))
            self.restored.emit(str(backup))

        def failed(error):
            if isinstance(error, BackupCryptError) and passphrase is not None:
                self.show_status("backup.not_restored", "error")
                self.set_error(self.restore_error, "backup.wrong_passphrase")
                self.restore_panel.setVisible(True)
                self.restore_passphrase.clear()
                self.restore_passphrase.setFocus()
            else:
                self.show_error(error)

        self.run(work, ok_, failed)


class ExportDialog(AdminDialog):
    """Allowed attachments not yet exported → CSV + JSON in a folder, recorded in the outbox;
    "again" writes every current allowed attachment once more."""

    title_key = "export.title"
    default_button = "export_button"

    def __init__(self, registry, tr, clock, user: str, *, folder: Path | None = None,
                 choose_folder: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("exportDialog")
        self.choose_folder = choose_folder or (lambda parent: QFileDialog.getExistingDirectory(
            parent, self.tr("export.folder")) or None)
        self.resize(640, 240)
        self.folder_label = keyed(QLabel(), "export.folder")
        self.folder = QLineEdit(str(folder) if folder else "")
        self.browse = keyed(QPushButton(), "export.choose")
        self.again = keyed(QCheckBox(), "export.again")
        self.export_button = keyed(QPushButton(), "export.run")
        self.export_button.setObjectName("primary")
        self.outbox = QLabel()
        self.outbox.setObjectName("hint")
        self.lay_out_body(hbox(self.folder_label, (self.folder, 1), self.browse), self.again, 1,
                          hbox((self.outbox, 1), self.export_button))
        self.browse.clicked.connect(self._browse)
        self.export_button.clicked.connect(self.export)
        self.finish_setup()

    def refresh(self) -> None:
        self.outbox.setText(self.tr("export.outbox", n=len(self.registry.exported())))

    def _browse(self) -> None:
        folder = self.choose_folder(self)
        if folder:
            self.folder.setText(folder)

    def export(self) -> None:
        folder = self.folder.text().strip()
        if not folder:
            self.show_status("export.no_folder", "error")
            return
        now = now_of(self.clock)
        stem = Path(folder) / f"attachments-{now:%Y%m%d-%H%M%S}"
        registry, user, again = self.registry, self.user, self.again.isChecked()

        def ok_(result):
            self.refresh()
            if result["count"]:
                self.show_status("export.done", "ok", n=result["count"], csv=result["csv"], json=result["json"])
            else:
                self.show_status("export.nothing", "ok")

        self.run(lambda: registry.export_attachments(stem.with_suffix(".csv"), stem.with_suffix(".json"),
                                                     now=now, user=user, again=again), ok_)
