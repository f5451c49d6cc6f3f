"""The pages before the desk: first-run setup in one pass (the administrator, then the clinic's
details) and login (pages of the main window, not modal dialogs, so nothing blocks start-up),
and the dialog in which a user changes their own password. Password hashing runs off the GUI
thread. Every input carries the dynamic property `field` (see README, "Inputs by name")."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QApplication, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from desktop.gui.clock import Clock
from desktop.gui.i18n import Tr, store_text
from desktop.gui.widgets import ErrorLabel, FormDialog, SecretField, TextField
from desktop.gui.worker import Worker


class _CardFrame(QFrame):
    """The card: never shorter than its contents at its width (the wrapped title, hint and
    messages need more height than their one-line size hints say)."""

    def event(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest and self.layout() is not None:
            needed = self.heightForWidth(self.width())
            if needed > 0 and needed != self.minimumHeight():
                self.setMinimumHeight(needed)
        return super().event(event)


class _Card(QWidget):
    """A centred card with a title, a hint, a form and one button."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.card = _CardFrame()
        self.card.setObjectName("card")
        self.card.setFixedWidth(460)
        self.heading = QLabel()
        self.heading.setObjectName("cardTitle")
        self.heading.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.form_box = QWidget()
        self.form_box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)   # never squeezed
        self.form = QFormLayout(self.form_box)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.form.setVerticalSpacing(10)
        self.error = ErrorLabel()
        self.button = QPushButton()
        self.button.setObjectName("primary")
        self.button.setDefault(True)
        inner = QVBoxLayout(self.card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addWidget(self.heading)
        inner.addWidget(self.hint)
        inner.addWidget(self.form_box)
        self.extra = QVBoxLayout()
        inner.addLayout(self.extra)
        inner.addWidget(self.error)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.button)
        inner.addLayout(self.buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.card, 0, Qt.AlignHCenter)
        outer.addStretch(2)
        self.labels: list[tuple[QLabel, str]] = []

    def say(self, message, kind: str = "error") -> None:
        """Show a message under the form: (catalogue key, fields) — shown again in the new
        language after a switch — or a plain string, or None to clear."""
        self._message = (message, kind) if message else None
        self._show_message()

    def _show_message(self) -> None:
        if getattr(self, "_message", None) is None:
            self.error.show_message(None)
            return
        message, kind = self._message
        text = self.tr(message[0], **message[1]) if isinstance(message, tuple) else str(message)
        self.error.show_message(text, kind)

    def row(self, key: str, widget: QWidget, field: str | None = None) -> None:
        if field:
            widget.setProperty("field", field)
        label = QLabel()
        self.labels.append((label, key))
        self.form.addRow(label, widget)


def password_key(error: Exception):
    """(catalogue key, fields) for a password the store refused, else the error's text."""
    from desktop.store.errors import PasswordRejected

    if isinstance(error, PasswordRejected):
        return (f"password.{error.reason}", {})
    return str(error)


def password_problem(tr: Tr, error: Exception) -> str:
    """The message for a password the store refused (PasswordRejected), else str(error)."""
    from desktop.store.errors import PasswordRejected

    if isinstance(error, PasswordRejected):
        return tr(f"password.{error.reason}")
    return store_text(error, tr.lang)


class SetupPage(_Card):
    """First run in one pass: step 1 creates the administrator (the store allows this once,
    without an actor), step 2 the clinic's details (saved as that administrator; "later"
    leaves them for Сервис → Реквизиты). `created(login)` when both steps are done."""

    created = Signal(str)   # login
    STEP_ADMIN, STEP_CLINIC = 1, 2

    def __init__(self, registry, tr: Tr, clock: Clock, worker: Worker, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr, self.clock, self.worker = registry, tr, clock, worker
        self.setObjectName("setupPage")
        self.full_name = TextField(field="setup.admin.full_name")
        self.login = TextField(field="setup.admin.login")
        self.password = SecretField(field="setup.admin.password")
        self.repeat = SecretField(field="setup.admin.repeat")
        self.row("setup.full_name", self.full_name)
        self.row("setup.login", self.login)
        self.row("setup.password", self.password)
        self.row("setup.repeat", self.repeat)
        from desktop.gui.admin.clinic import ClinicForm

        self.step = self.STEP_ADMIN
        self.admin_login = ""
        self.clinic = ClinicForm(tr, prefix="setup.clinic.")
        self.clinic.hide()
        self.extra.addWidget(self.clinic)
        self.later = QPushButton()
        self.later.setObjectName("setupLater")
        self.later.setAutoDefault(False)
        self.later.hide()
        self.later.clicked.connect(self.finish)
        self.buttons.insertWidget(1, self.later)
        self.button.clicked.connect(self.submit)
        for w in (self.full_name, self.login, self.password, self.repeat):
            w.returnPressed.connect(self.submit)
            w.textChanged.connect(self._filled_in)
        for w in self.clinic.inputs.values():
            w.returnPressed.connect(self.submit)
        self.retranslate()

    def retranslate(self) -> None:
        clinic_step = self.step == self.STEP_CLINIC
        self.heading.setText(self.tr("setup.clinic_title" if clinic_step else "setup.title"))
        self.hint.setText(self.tr("setup.clinic_hint" if clinic_step else "setup.hint"))
        self.button.setText(self.tr("setup.clinic_save" if clinic_step else "setup.create"))
        self.later.setText(self.tr("setup.later"))
        for label, key in self.labels:
            label.setText(self.tr(key))
        self.clinic.retranslate(self.tr)
        self._show_message()

    def show_clinic_step(self, login: str) -> None:
        """Step 2: the clinic's details, entered as the administrator just created."""
        self.step, self.admin_login = self.STEP_CLINIC, login
        self.card.setFixedWidth(620)
        self.form_box.hide()
        self.clinic.show()
        self.later.show()
        self.say(None)
        self.retranslate()
        self.clinic.inputs["name_ru"].setFocus()

    def finish(self) -> None:
        self.created.emit(self.admin_login)

    def _filled_in(self) -> None:
        """«Заполните все поля» goes once every field is filled (it never outlives its cause)."""
        message = getattr(self, "_message", None)
        if message and message[0] == ("setup.required", {}) and all(
                w.text().strip() for w in (self.full_name, self.login, self.password, self.repeat)):
            self.say(None)

    def submit(self) -> None:
        if self.worker.busy():
            return
        if self.step == self.STEP_CLINIC:
            self._save_clinic()
            return
        full_name, login = self.full_name.text().strip(), self.login.text().strip()
        password = self.password.text()
        if not (full_name and login and password):
            self.say(("setup.required", {}))
            return
        if password != self.repeat.text():
            self.say(("setup.mismatch", {}))
            return
        self.say(None)
        self.button.setEnabled(False)
        now = self.clock.now()
        self.worker.submit(lambda: self.registry.create_user(
            login, password, full_name=full_name, role="admin", now=now), self._done)

    def _done(self, _result, error) -> None:
        self.button.setEnabled(True)
        if error is not None:
            self.say(password_key(error))
            (self.password if hasattr(error, "reason") else self.login).setFocus()
            return
        self.password.clear()
        self.repeat.clear()
        self.show_clinic_step(self.login.text().strip())

    def _save_clinic(self) -> None:
        if not self.clinic.check():
            return
        from desktop.store.errors import ClinicDetailsInvalid

        try:
            self.registry.set_clinic_details(self.clinic.values(), actor=self.admin_login,
                                             now=self.clock.now())
        except ClinicDetailsInvalid as e:
            self.clinic.show_problems(e.problems)
            return
        self.finish()


class LoginPage(_Card):
    """Login; also the page shown when the desk locks after inactivity.

    Keys, for a fast typist (login, Enter, password, Enter): Enter in «Логин» moves to the
    password; an empty login or password is never sent to the store (nor counted as a failed
    try); while the password is being checked, every key typed is held back and then delivered
    where it belongs — to the password field again after a refusal, to the desk's focused
    field after a successful sign-in — so nothing is lost or shown in the wrong field."""

    logged_in = Signal(object)   # the store's User

    def __init__(self, registry, tr: Tr, clock: Clock, worker: Worker, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr, self.clock, self.worker = registry, tr, clock, worker
        self.setObjectName("loginPage")
        self.login = TextField(field="login.login")
        self.password = SecretField(field="login.password")
        self.row("setup.login", self.login)
        self.row("setup.password", self.password)
        self.locked = False
        self.reason = ""          # why the desk was locked: "manual" or "idle"
        self._pending = False     # submitted before the registry was open
        self.prefilled = False    # the login came filled in: the hint says the password is asked
        self._held: list[QKeyEvent] | None = None   # keys typed while the check runs
        self.button.clicked.connect(self.submit)
        self.login.returnPressed.connect(self._login_entered)
        self.password.returnPressed.connect(self.submit)
        self.retranslate()

    def _login_entered(self) -> None:
        """Enter in «Логин»: on to the password, never a sign-in attempt."""
        self.password.setFocus(Qt.TabFocusReason)
        self.password.selectAll()

    # --- keys typed while the password is checked ------------------------------------------------
    def _hold_keys(self) -> None:
        self._held = []
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if self._held is not None and event.type() in (QEvent.KeyPress, QEvent.KeyRelease) \
                and isinstance(obj, QWidget):
            # a key reaches its widget in focus first, then (unaccepted) its parents: held once
            if event.type() == QEvent.KeyPress and obj is (QApplication.focusWidget() or obj.window()):
                self._held.append(QKeyEvent(QEvent.KeyPress, event.key(), event.modifiers(), event.text(),
                                            event.isAutoRepeat(), event.count()))
            return True                       # held back: delivered once the check is done
        return super().eventFilter(obj, event)

    def _release_keys(self):
        """Stop holding keys; the keys held, to be delivered by the caller."""
        QApplication.instance().removeEventFilter(self)
        held, self._held = self._held or [], None
        return held

    @staticmethod
    def _deliver(keys, target: QWidget | None) -> None:
        for press in keys:
            widget = QApplication.focusWidget() or target
            if widget is None:
                return
            QApplication.sendEvent(widget, press)
            QApplication.sendEvent(widget, QKeyEvent(QEvent.KeyRelease, press.key(), press.modifiers(),
                                                     press.text()))

    def retranslate(self) -> None:
        self.heading.setText(self.tr("login.title"))
        self.hint.setText(self.tr(f"login.locked_{self.reason}" if self.reason in ("manual", "idle")
                                  else "login.locked") if self.locked else "")
        self.hint.setVisible(self.locked)
        self.button.setText(self.tr("login.button"))
        for label, key in self.labels:
            label.setText(self.tr(key))
        self._show_message()

    def prepare(self, login: str = "", locked: bool = False, reason: str = "") -> None:
        self.locked = locked
        self.reason = reason
        if login:
            self.login.setText(login)
        self.password.clear()
        self.prefilled = bool(self.login.text())
        self.say(("login.prefilled", {"login": self.login.text()}) if self.prefilled else None, "note")
        self.retranslate()
        (self.password if self.login.text() else self.login).setFocus()

    def typed(self) -> bool:
        """Something is typed into the page (kept when the registry opens)."""
        return bool(self.login.text() or self.password.text())

    def attach(self, registry) -> None:
        """The registry is open (the page is shown before it is): a login submitted while it
        was opening is checked now."""
        self.registry = registry
        if self._pending:
            self._pending = False
            self.submit()

    def submit(self) -> None:
        if self.worker.busy():
            return
        login, password = self.login.text().strip(), self.password.text()
        if not login:                 # nothing is asked of the store, nothing counted
            self.say(("login.empty_login", {}))
            self.login.setFocus(Qt.OtherFocusReason)
            return
        if not password:
            self.say(("login.empty_password", {}))
            self.password.setFocus(Qt.OtherFocusReason)
            return
        self.button.setEnabled(False)
        self.say(("login.checking", {}), "note")
        if self.registry is None:      # still opening: checked as soon as it is open
            self._pending = True
            return
        self.password.clear()         # the password sent is not kept in the field
        self._hold_keys()
        now = self.clock.now()
        self.worker.submit(lambda: self.registry.login(login, password, now=now), self._done)

    def _done(self, user, error) -> None:
        self.button.setEnabled(True)
        held = self._release_keys()
        from desktop.store.errors import AccountLocked

        if isinstance(error, AccountLocked):
            minutes, seconds = divmod(error.seconds_left, 60)
            self.say(("login.account_locked", {"left": f"{minutes}:{seconds:02d}"}))
        elif error is not None or user is None:
            self.say(("login.failed", {}))
        else:
            self.say(None)
            self.logged_in.emit(user)
            self._deliver(held, None)     # typed ahead: into the desk's field in focus
            return
        self.password.setFocus(Qt.OtherFocusReason)
        self._deliver(held, self.password)


class PasswordDialog(FormDialog):
    """Сервис → Сменить пароль: the signed-in user changes their own password (the current
    one, the new one twice); the store's rule is shown before and enforced on save."""

    def __init__(self, registry, tr: Tr, clock: Clock, login: str, parent: QWidget | None = None):
        super().__init__(tr, parent, title="password.title", name="passwordDialog", save=True, min_width=460)
        self.registry, self.clock, self.login = registry, clock, login
        self.current, self.new, self.repeat = QLineEdit(), QLineEdit(), QLineEdit()
        for edit, key, field in ((self.current, "password.current", "password.current"),
                                 (self.new, "password.new", "password.new"),
                                 (self.repeat, "password.repeat", "password.repeat")):
            edit.setEchoMode(QLineEdit.Password)
            edit.setProperty("field", field)
            self.form.addRow(tr(key), edit)
        self.rule = self.rule_label("password.rule")
        self.lay_out(after=[self.rule])

    def check(self) -> bool:
        from desktop.store import PermissionDenied
        from desktop.store.errors import PasswordRejected

        if not self.current.text():
            self.error.show_message(self.tr("password.empty_current"))
            self.current.setFocus()
            return False
        if self.new.text() != self.repeat.text():
            self.error.show_message(self.tr("setup.mismatch"))
            self.repeat.setFocus()
            return False
        try:
            self.registry.change_own_password(self.login, self.current.text(), self.new.text(),
                                              now=self.clock.now())
        except PasswordRejected as e:
            self.error.show_message(password_problem(self.tr, e))
            self.new.setFocus()
            return False
        except PermissionDenied:
            self.error.show_message(self.tr("password.wrong_current"))
            self.current.setFocus()
            return False
        return True
