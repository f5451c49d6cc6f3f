"""The pages before the desk: first-run administrator setup and login (pages of the main
window, not modal dialogs, so nothing blocks start-up). Password hashing runs off the GUI thread."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.gui.clock import Clock
from desktop.gui.i18n import Tr
from desktop.gui.widgets import ErrorLabel, SecretField, TextField
from desktop.gui.worker import Worker


class _Card(QWidget):
    """A centred card with a title, a hint, a form and one button."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.card = QFrame()
        self.card.setObjectName("card")
        self.card.setFixedWidth(460)
        self.heading = QLabel()
        self.heading.setObjectName("cardTitle")
        self.heading.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.form = QFormLayout()
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
        inner.addLayout(self.form)
        inner.addWidget(self.error)
        inner.addWidget(self.button, 0, Qt.AlignRight)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.card, 0, Qt.AlignHCenter)
        outer.addStretch(2)
        self.labels: list[tuple[QLabel, str]] = []

    def row(self, key: str, widget: QWidget) -> None:
        label = QLabel()
        self.labels.append((label, key))
        self.form.addRow(label, widget)


class SetupPage(_Card):
    """First run: create the administrator (the store allows this once, without an actor)."""

    created = Signal(str)   # login

    def __init__(self, registry, tr: Tr, clock: Clock, worker: Worker, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr, self.clock, self.worker = registry, tr, clock, worker
        self.setObjectName("setupPage")
        self.full_name = TextField(field="setup.full_name")
        self.login = TextField(field="setup.login")
        self.password = SecretField(field="setup.password")
        self.repeat = SecretField(field="setup.repeat")
        self.row("setup.full_name", self.full_name)
        self.row("setup.login", self.login)
        self.row("setup.password", self.password)
        self.row("setup.repeat", self.repeat)
        self.button.clicked.connect(self.submit)
        for w in (self.full_name, self.login, self.password, self.repeat):
            w.returnPressed.connect(self.submit)
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(self.tr("setup.title"))
        self.hint.setText(self.tr("setup.hint"))
        self.button.setText(self.tr("setup.create"))
        for label, key in self.labels:
            label.setText(self.tr(key))

    def submit(self) -> None:
        if self.worker.busy():
            return
        full_name, login = self.full_name.text().strip(), self.login.text().strip()
        password = self.password.text()
        if not (full_name and login and password):
            self.error.show_message(self.tr("setup.required"))
            return
        if password != self.repeat.text():
            self.error.show_message(self.tr("setup.mismatch"))
            return
        self.error.show_message(None)
        self.button.setEnabled(False)
        now = self.clock.now()
        self.worker.submit(lambda: self.registry.create_user(
            login, password, full_name=full_name, role="admin", now=now), self._done)

    def _done(self, _result, error) -> None:
        self.button.setEnabled(True)
        if error is not None:
            self.error.show_message(str(error))
            return
        self.password.clear()
        self.repeat.clear()
        self.created.emit(self.login.text().strip())


class LoginPage(_Card):
    """Login; also the page shown when the desk locks after inactivity."""

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
        self.button.clicked.connect(self.submit)
        self.login.returnPressed.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(self.tr("login.title"))
        self.hint.setText(self.tr("login.locked") if self.locked else "")
        self.hint.setVisible(self.locked)
        self.button.setText(self.tr("login.button"))
        for label, key in self.labels:
            label.setText(self.tr(key))

    def prepare(self, login: str = "", locked: bool = False) -> None:
        self.locked = locked
        if login:
            self.login.setText(login)
        self.password.clear()
        self.error.show_message(None)
        self.retranslate()
        (self.password if self.login.text() else self.login).setFocus()

    def submit(self) -> None:
        if self.worker.busy():
            return
        login, password = self.login.text().strip(), self.password.text()
        self.button.setEnabled(False)
        self.error.show_message(self.tr("login.checking"), "note")
        now = self.clock.now()
        self.worker.submit(lambda: self.registry.login(login, password, now=now), self._done)

    def _done(self, user, error) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        if error is not None or user is None:
            self.error.show_message(self.tr("login.failed"))
            self.password.setFocus()
            return
        self.error.show_message(None)
        self.logged_in.emit(user)
