"""Administration of the data itself: reference-data releases (import a signed package from a
file, rollback), backups (now, to a chosen file; restore with confirmation) and the export for
the national register. Verification, copying and writing run on the worker thread."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.gui.admin.base import AdminDialog, RowsModel, confirm, dmy, now_of, selected_key, table


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
        self.import_button = QPushButton()
        self.import_button.setObjectName("primary")
        self.rollback_button = QPushButton()
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.rollback_button)
        row.addWidget(self.import_button)
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view, 1)
        box.addLayout(row)
        self.import_button.clicked.connect(self.import_clicked)
        self.rollback_button.clicked.connect(self.rollback_clicked)
        self.finish_setup()

    def retranslate_body(self) -> None:
        self.import_button.setText(self.tr("refdata.import"))
        self.rollback_button.setText(self.tr("refdata.rollback"))
        self.model.set_tr(self.tr)
        if self.allowed:
            self.refresh()

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
                self.show_status("refdata.refused", "error", message=str(error))
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


class BackupDialog(AdminDialog):
    """Back up now to a chosen file (verified copy); restore from a file or one of the automatic
    backups, after confirmation. `restored(path)` fires after a restore: the caller re-opens
    whatever it shows (the same Registry object reads the restored file)."""

    title_key = "backup.title"
    restored = Signal(str)

    def __init__(self, registry, tr, clock, user: str, db_path: Path, *, backups_dir: Path | None = None,
                 choose_save: Callable | None = None, choose_open: Callable | None = None,
                 ask: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("backupDialog")
        self.db_path = Path(db_path)
        self.backups_dir = Path(backups_dir) if backups_dir else None
        flt = lambda: self.tr("backup.filter")  # noqa: E731
        self.choose_save = choose_save or (lambda parent, suggested: QFileDialog.getSaveFileName(
            parent, self.tr("backup.now"), suggested, flt())[0] or None)
        self.choose_open = choose_open or (lambda parent: QFileDialog.getOpenFileName(
            parent, self.tr("backup.restore"), str(self.backups_dir or ""), flt())[0] or None)
        self.ask = ask or confirm
        self.resize(760, 440)
        self.backup_button = QPushButton()
        self.backup_button.setObjectName("primary")
        self.restore_button = QPushButton()
        self.restore_selected_button = QPushButton()
        self.auto_title = QLabel()
        self.auto_title.setObjectName("sectionHead")
        self.model = RowsModel(["backup.file", "backup.when", "backup.size"], tr, self)
        self.model.align_right = {2}
        self.view = table(self.model, stretch=0)
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addStretch(1)
        row.addWidget(self.restore_button)
        lower = QHBoxLayout()
        lower.addStretch(1)
        lower.addWidget(self.restore_selected_button)
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.auto_title)
        box.addWidget(self.view, 1)
        box.addLayout(lower)
        self.backup_button.clicked.connect(self.backup_clicked)
        self.restore_button.clicked.connect(self.restore_clicked)
        self.restore_selected_button.clicked.connect(
            lambda: selected_key(self.view) and self.restore_clicked(selected_key(self.view)))
        self.finish_setup()

    def retranslate_body(self) -> None:
        self.backup_button.setText(self.tr("backup.now"))
        self.restore_button.setText(self.tr("backup.restore"))
        self.restore_selected_button.setText(self.tr("backup.restore_selected"))
        self.auto_title.setText(self.tr("backup.auto").upper())
        self.model.set_tr(self.tr)

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
            rows.append(([p.name, dmy(when), f"{stat.st_size / 1024:,.0f} KB".replace(",", " ")],
                         [p.name, when.isoformat(), stat.st_size], str(p)))
        self.model.set_rows(rows)

    def backup_clicked(self) -> None:
        now = now_of(self.clock)
        path = self.choose_save(self, f"{self.db_path.stem}-{now:%Y%m%d-%H%M}.sqlite")
        if path:
            self.backup_to(Path(path))

    def backup_to(self, out: Path) -> None:
        """Back up to `out` on the worker (the store verifies the copy)."""
        registry, user, now = self.registry, self.user, now_of(self.clock)
        self.run(lambda: registry.backup(out, actor=user, now=now),
                 lambda counts: self.show_status("backup.done", "ok", path=str(out),
                                                 patients=counts.get("patient", 0)))

    def restore_clicked(self, path: str | None = None) -> None:
        path = path or self.choose_open(self)
        if path and self.ask(self, self.tr("backup.title"), self.tr("backup.confirm", path=path)):
            self.restore_from(Path(path))

    def restore_from(self, backup: Path) -> None:
        """Replace the registry by `backup` (verified first; the current file is kept aside)."""
        from desktop.store import restore

        ok, _ = self.guarded(lambda: self.registry.require_admin(self.user))
        if not ok:
            return
        registry, db_path, user, now = self.registry, self.db_path, self.user, now_of(self.clock)
        registry.close()   # no pooled connection may hold the file while it is replaced

        def work():
            aside = restore(backup, getattr(registry, "location", None) or db_path, now=now)
            registry.log(user=user, action="restore", obj=f"backup:{backup.name}", now=now,
                         details={"previous_kept_as": str(aside) if aside else None})
            return aside

        def ok_(aside):
            self.show_status("backup.restored", "ok", path=str(backup), aside=str(aside or "—"))
            self.restored.emit(str(backup))

        self.run(work, ok_)


class ExportDialog(AdminDialog):
    """Allowed attachments not yet exported → CSV + JSON in a folder, recorded in the outbox;
    "again" writes every current allowed attachment once more."""

    title_key = "export.title"

    def __init__(self, registry, tr, clock, user: str, *, folder: Path | None = None,
                 choose_folder: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("exportDialog")
        self.choose_folder = choose_folder or (lambda parent: QFileDialog.getExistingDirectory(
            parent, self.tr("export.folder")) or None)
        self.resize(640, 240)
        self.folder_label = QLabel()
        self.folder = QLineEdit(str(folder) if folder else "")
        self.browse = QPushButton()
        self.again = QCheckBox()
        self.export_button = QPushButton()
        self.export_button.setObjectName("primary")
        self.outbox = QLabel()
        self.outbox.setObjectName("hint")
        row = QHBoxLayout()
        row.addWidget(self.folder_label)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.outbox, 1)
        bottom.addWidget(self.export_button)
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.again)
        box.addStretch(1)
        box.addLayout(bottom)
        self.browse.clicked.connect(self._browse)
        self.export_button.clicked.connect(self.export)
        self.finish_setup()

    def retranslate_body(self) -> None:
        self.folder_label.setText(self.tr("export.folder"))
        self.browse.setText(self.tr("export.choose"))
        self.again.setText(self.tr("export.again"))
        self.export_button.setText(self.tr("export.run"))
        if self.allowed:
            self.refresh()

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
