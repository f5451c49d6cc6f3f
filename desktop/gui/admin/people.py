"""Accounts, the audit log and the worklist: users (add with a role, lock/unlock, reset a
password — hashing on the worker), the audit browser (filter by user, action, dates; export
CSV) and the patients whose basis for attachment ends within N days (any signed-in user)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from desktop.gui.admin.base import AdminDialog, RowsModel, confirm, dmy, now_of, selected_key, table, today_of
from desktop.gui.widgets import ChoiceCombo, DateField, FormDialog, hbox, keyed

AUDIT_ACTIONS = ("login", "login_failed", "login_refused", "account_locked", "create", "update", "view",
                 "decide", "print", "reprint", "link_printed", "backup", "restore", "export",
                 "refdata_import", "refdata_rollback", "seed", "migrate", "merge", "unmerge",
                 "flag_duplicate")


class UserDialog(FormDialog):
    """Add an account (login, name, role, password twice) or, with `login`, reset its password."""

    def __init__(self, tr, *, login: str | None = None, parent: QWidget | None = None):
        super().__init__(tr, parent)
        self.reset = login is not None
        self.setWindowTitle(tr("users.reset" if self.reset else "users.add").rstrip("…"))
        self.login = QLineEdit(login or "")
        self.login.setReadOnly(self.reset)
        self.full_name = QLineEdit()
        self.full_name.ensurePolished()           # the style sheet's font, at this desk's text size
        # a full name whole: surname, given name and patronymic of 36 wide letters
        self.full_name.setMinimumWidth(self.full_name.fontMetrics().horizontalAdvance("М" * 36) + 20)
        self.role = QComboBox()
        for role in ("registrar", "admin"):
            self.role.addItem(tr(f"users.role.{role}"), role)
        self.password, self.repeat = QLineEdit(), QLineEdit()
        for w in (self.password, self.repeat):
            w.setEchoMode(QLineEdit.Password)
        self.rule = self.rule_label("password.rule")
        self.form.addRow(tr("users.login"), self.login)
        if not self.reset:
            self.form.addRow(tr("users.name"), self.full_name)
            self.form.addRow(tr("users.role"), self.role)
        self.form.addRow(tr("users.password"), self.password)
        self.form.addRow(tr("users.repeat"), self.repeat)
        self.lay_out(after=[self.rule])

    def values(self) -> dict | None:
        from desktop.store.errors import PasswordRejected
        from desktop.store.passwords import check_password

        if not self.password.text() or self.password.text() != self.repeat.text():
            self.error.show_message(self.tr("users.mismatch"))
            return None
        if not self.login.text().strip() or (not self.reset and not self.full_name.text().strip()):
            self.error.show_message(self.tr("users.required"))
            return None
        try:                      # the store's rule, shown before the dialog closes
            check_password(self.password.text(), self.login.text().strip())
        except PasswordRejected as e:
            self.error.show_message(self.tr(f"password.{e.reason}"))
            return None
        return {"login": self.login.text().strip(), "full_name": self.full_name.text().strip(),
                "role": self.role.currentData(), "password": self.password.text()}


class UsersDialog(AdminDialog):
    """The accounts of the clinic (never deleted: locked instead)."""

    title_key = "users.title"
    default_button = "add_button"

    def __init__(self, registry, tr, clock, user: str, parent: QWidget | None = None, *,
                 ask: Callable | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.ask = ask or confirm
        self.setObjectName("usersDialog")
        self.resize(720, 420)
        self.model = RowsModel(["users.login", "users.name", "users.role", "users.active"], tr, self)
        self.view = table(self.model, stretch=1)
        self.add_button = keyed(QPushButton(), "users.add")
        self.add_button.setObjectName("primary")
        self.toggle_button = QPushButton()
        self.reset_button = keyed(QPushButton(), "users.reset")
        self.lay_out_body((self.view, 1), hbox(self.toggle_button, self.reset_button, 1, self.add_button))
        self.add_button.clicked.connect(self.add_dialog)
        self.toggle_button.clicked.connect(self.toggle_selected)
        self.reset_button.clicked.connect(self.reset_dialog)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_toggle())
        self.finish_setup()

    def retranslate_body(self) -> None:
        self._update_toggle()

    def refresh(self) -> None:
        rows = []
        for u in self.registry.users():
            active = self.tr("admin.yes" if u.active else "admin.no")
            rows.append(([u.login, u.full_name, self.tr(f"users.role.{u.role}"), active],
                         [u.login, u.full_name.casefold(), u.role, int(u.active)], u.login))
        self.model.set_rows(rows)
        self._update_toggle()

    def _is_active(self, login: str | None) -> bool:
        return any(r[2] == login and r[1][3] for r in self.model.rows)

    def _update_toggle(self) -> None:
        login = selected_key(self.view)
        key = "users.deactivate" if login is None or self._is_active(login) else "users.activate"
        self.toggle_button.setText(self.tr(key))

    # --- changes ---------------------------------------------------------------------------------
    def add_user(self, login: str, full_name: str, role: str, password: str) -> None:
        registry, actor, now = self.registry, self.user, now_of(self.clock)

        def ok_(_):
            self.refresh()
            self.show_status("users.done", "ok", login=login)

        self.run(lambda: registry.create_user(login, password, full_name=full_name, role=role, now=now,
                                              actor=actor), ok_)

    def set_active(self, login: str, active: bool) -> bool:
        if login == self.user and not active:
            self.show_status("users.self", "error")
            return False
        ok, _ = self.guarded(lambda: self.registry.set_user_active(login, active, actor=self.user,
                                                                   now=now_of(self.clock)))
        if ok:
            self.refresh()
            self.show_status("users.done", "ok", login=login)
        return ok

    def reset_password(self, login: str, password: str) -> None:
        registry, actor, now = self.registry, self.user, now_of(self.clock)
        self.run(lambda: registry.set_password(login, password, actor=actor, now=now),
                 lambda _: self.show_status("users.done", "ok", login=login))

    def toggle_selected(self) -> None:
        """Lock (after a question, «Нет» by default) or unlock the selected account."""
        login = selected_key(self.view)
        if not login:
            return
        active = self._is_active(login)
        if active and not self.ask(self, self.tr("users.deactivate"), self.tr("users.lock_confirm", login=login)):
            return
        self.set_active(login, not active)

    def add_dialog(self) -> UserDialog:
        dialog = UserDialog(self.tr, parent=self)
        dialog.accepted.connect(lambda: self.add_user(**dialog.values()))
        dialog.open()
        return dialog

    def reset_dialog(self) -> UserDialog | None:
        login = selected_key(self.view)
        if not login:
            return None
        dialog = UserDialog(self.tr, login=login, parent=self)
        dialog.accepted.connect(lambda: self.reset_password(login, dialog.values()["password"]))
        dialog.open()
        return dialog


class AuditDialog(AdminDialog):
    """The audit log, newest first, filtered by user, action and dates; exported as CSV."""

    title_key = "audit.title"
    default_button = "apply_button"
    refresh_on_language = False    # the filters are filled again instead
    LIMIT = 2000

    def __init__(self, registry, tr, clock, user: str, today, *, choose_save: Callable | None = None,
                 parent: QWidget | None = None, ref=None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("auditDialog")
        self.ref = ref            # names of categories and statuses in the details (else codes)
        self.today = today
        self.choose_save = choose_save or (lambda parent, suggested: QFileDialog.getSaveFileName(
            parent, self.tr("audit.export"), suggested, self.tr("audit.csv_filter"))[0] or None)
        self.resize(1000, 600)
        # the filters as wide as a short name, their lists as wide as the longest (a 1024 px
        # screen holds the whole row: the longest action's words no longer widen the dialog)
        self.user_filter = ChoiceCombo()
        self.action_filter = ChoiceCombo()
        self.user_filter.setMinimumContentsLength(10)
        self.action_filter.setMinimumContentsLength(14)
        self.since = DateField(today_of(today))
        self.until = DateField(today_of(today))
        self.labels = {k: keyed(QLabel(), k) for k in ("audit.user", "audit.action", "audit.from", "audit.to")}
        self.apply_button = keyed(QPushButton(), "audit.apply")
        self.export_button = keyed(QPushButton(), "audit.export")
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.model = RowsModel(["audit.at", "audit.user", "audit.sentence", "audit.details"], tr, self)
        self.view = table(self.model, stretch=4)
        row = QHBoxLayout()
        for key, w in (("audit.user", self.user_filter), ("audit.action", self.action_filter),
                       ("audit.from", self.since), ("audit.to", self.until)):
            row.addWidget(self.labels[key])
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.apply_button)
        self.lay_out_body(row, (self.view, 1), hbox((self.count, 1), self.export_button))
        self.apply_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self.export_clicked)
        self.user_filter.activated.connect(lambda _i: self.refresh())
        self.action_filter.activated.connect(lambda _i: self.refresh())
        self.finish_setup()

    def retranslate_body(self) -> None:
        self._fill_filters()

    def _fill_filters(self) -> None:
        user, action = self.user_filter.currentData(), self.action_filter.currentData()
        self.user_filter.clear()
        self.user_filter.addItem(self.tr("audit.any"), None)
        if self.allowed:
            for u in self.registry.users():
                self.user_filter.addItem(f"{u.full_name} ({u.login})", u.login)
            self.user_filter.addItem(self.tr("auditw.system"), "system")
        self.action_filter.clear()
        self.action_filter.addItem(self.tr("audit.any"), None)
        for a in AUDIT_ACTIONS:
            self.action_filter.addItem(self.tr(f"auditw.{a}").replace("{a}", "(а)"), a)
        self.set_filters(user=user, action=action)

    def set_filters(self, *, user: str | None = None, action: str | None = None, since=None, until=None) -> None:
        for combo, value in ((self.user_filter, user), (self.action_filter, action)):
            i = combo.findData(value)
            combo.setCurrentIndex(i if i >= 0 else 0)
        self.since.setValue(since)
        self.until.setValue(until)

    def filters(self) -> dict:
        out = {}
        if self.user_filter.currentData():
            out["user"] = self.user_filter.currentData()
        if self.action_filter.currentData():
            out["action"] = self.action_filter.currentData()
        if self.since.value():
            out["since"] = datetime.combine(self.since.value(), time())
        if self.until.value():
            out["until"] = datetime.combine(self.until.value() + timedelta(days=1), time())
        return out

    def refresh(self) -> None:
        from desktop.gui.admin.audit_words import AuditWords

        words = AuditWords(self.registry, self.tr, self.ref)
        entries = self.registry.audit_entries(limit=self.LIMIT, **self.filters())
        words.prepare(entries)
        rows = []
        for e in entries:
            sentence, details = words.sentence(e), words.details(e)
            rows.append(([dmy(e.at), words.who(e.user), sentence, details],
                         [e.at.isoformat(), e.user, sentence, details], e.id))
        self.model.set_rows(rows)
        self.view.sortByColumn(0, Qt.DescendingOrder)
        self.count.setText(self.tr("audit.count", n=len(entries)))

    def export_clicked(self) -> None:
        path = self.choose_save(self, f"audit-{now_of(self.clock):%Y%m%d-%H%M}.csv")
        if path:
            self.export_to(Path(path))

    def export_to(self, out: Path) -> None:
        registry, actor, now, filters = self.registry, self.user, now_of(self.clock), self.filters()
        self.run(lambda: registry.export_audit(out, actor=actor, now=now, **filters),
                 lambda n: (self.show_status("audit.exported", "ok", n=n, path=str(out)), self.refresh()))


class WorklistDialog(AdminDialog):
    """Patients whose ДМС/ВМС, residence permit, employment contract or ОСМС grace ends within N
    days of today, soonest first; sortable by any column. Read-only: any signed-in user."""

    title_key = "worklist.title"
    default_button = "refresh_button"
    admin_only = False
    open_patient = Signal(int)   # double-click or Enter on a row

    def __init__(self, registry, ref, tr, clock, user: str, today, *, days: int = 30,
                 choose_save: Callable | None = None, parent: QWidget | None = None):
        super().__init__(registry, tr, clock, user, parent)
        self.setObjectName("worklistDialog")
        self.ref, self.today = ref, today
        self.choose_save = choose_save or (lambda parent, suggested, filter_key: QFileDialog.getSaveFileName(
            parent, self.tr("worklist.save_title"), suggested, self.tr(filter_key))[0] or None)
        self.items: list = []
        self.resize(1000, 560)            # within a 1024×768 screen
        self.days_label = keyed(QLabel(), "worklist.days")
        self.days = QSpinBox()
        self.days.setRange(0, 365)
        self.days.setValue(days)
        self.refresh_button = keyed(QPushButton(), "worklist.refresh")
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.model = RowsModel(["worklist.patient", "worklist.iin", "worklist.phone", "worklist.ends",
                                "worklist.until"], tr, self)
        # the name whole (the registrar calls the patient by it); what ends takes the rest,
        # cut in its middle when the window is narrow, so «(ДМС)» stays (its tip says it whole)
        self.view = table(self.model, stretch=3)
        self.view.setWordWrap(False)          # one line a patient: elided, not wrapped out of sight
        self.view.setTextElideMode(Qt.ElideMiddle)
        self.view.doubleClicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        self.pdf_button = keyed(QPushButton(), "worklist.pdf")
        self.pdf_button.setObjectName("worklistPdf")
        self.csv_button = keyed(QPushButton(), "worklist.csv")
        self.csv_button.setObjectName("worklistCsv")
        self.pdf_button.clicked.connect(self.pdf_clicked)
        self.csv_button.clicked.connect(self.csv_clicked)
        self.hint = keyed(QLabel(), "worklist.hint")
        self.hint.setObjectName("hint")
        self.lay_out_body(hbox(self.days_label, self.days, self.refresh_button, 1, self.count), (self.view, 1),
                          hbox((self.hint, 1), self.pdf_button, self.csv_button))
        self.days.valueChanged.connect(lambda _v: self.refresh())
        self.refresh_button.clicked.connect(self.refresh)
        self.finish_setup()

    def _ends(self, ends: str) -> str:
        if ends == "osms":
            return self.tr("worklist.osms")
        return self.ref.document_kind_name(ends, self.tr.lang)

    def refresh(self) -> None:
        items = self.registry.worklist(today_of(self.today), self.days.value())
        self.items = [(i, i.phone) for i in items]
        self.model.set_rows([([i.name, i.iin or "", phone, self._ends(i.ends), dmy(i.until)],
                              [i.name.casefold(), i.iin or "", phone, i.ends, i.until.isoformat()], i.patient_id)
                             for i, phone in self.items])
        self.count.setText(self.tr("worklist.count", n=len({i.patient_id for i in items})))

    def _activated(self, index) -> None:
        pid = index.data(Qt.UserRole) if index.isValid() else None
        if pid is not None:
            self.open_patient.emit(pid)

    def table_rows(self) -> tuple[list[str], list[list[str]]]:
        """The header and rows as shown (sorted as the table is), for the PDF and the CSV."""
        header = [self.tr(k) for k in self.model.header_keys]
        view_model = self.view.model()
        rows = [[str(view_model.index(r, c).data() or "") for c in range(view_model.columnCount())]
                for r in range(view_model.rowCount())]
        return header, rows

    def pdf_clicked(self) -> None:
        path = self.choose_save(self, f"worklist-{today_of(self.today):%Y%m%d}.pdf", "print.pdf_filter")
        if path:
            self.write_pdf(Path(path))

    def csv_clicked(self) -> None:
        path = self.choose_save(self, f"worklist-{today_of(self.today):%Y%m%d}.csv", "audit.csv_filter")
        if path:
            self.write_csv(Path(path))

    def write_pdf(self, out: Path) -> None:
        """The call list as a PDF (to print or keep)."""
        from desktop.documents.table import render_table
        from desktop.services import clinic_for_print

        header, rows = self.table_rows()
        on = today_of(self.today)
        subtitle = self.tr("worklist.subtitle", days=self.days.value(), date=dmy(on))
        pdf = render_table(self.tr("worklist.title"), subtitle, header, rows, on=on,
                           widths=[0.30, 0.14, 0.16, 0.26, 0.14],
                           clinic=clinic_for_print(self.registry, self.tr.lang),
                           page_word=self.tr("worklist.page"))
        self._write(out, pdf, len(rows))

    def write_csv(self, out: Path) -> None:
        """The call list as CSV (UTF-8 with BOM, for spreadsheet programs); cells that a
        spreadsheet would run as a formula are prefixed with an apostrophe."""
        import csv
        import io

        header, rows = self.table_rows()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [header] + rows:
            writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in row])
        self._write(out, ("\ufeff" + buffer.getvalue()).encode("utf-8"), len(rows))

    def _write(self, out: Path, data: bytes, n: int) -> None:
        try:
            out.write_bytes(data)
        except OSError as exc:
            self.show_status("admin.error", "error", message=exc)
            return
        self.registry.log(user=self.user, action="export", obj=f"worklist:{out.name}",
                          now=now_of(self.clock), details={"entries": n})
        self.show_status("worklist.written", "ok", n=n, path=str(out))
