"""Connection settings of this desk: the registry on this PC, or the clinic's server.

The server is host, port, database and user (kept in the workstation settings); the password
goes to libpq's password file (readable by this user only), never into the settings or the
URL. `saved_location(settings)` gives what the app opens when neither --db nor POLYCLINIC_DB
says otherwise.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QRadioButton, QSpinBox, QVBoxLayout, QWidget)



def saved_location(settings) -> str | None:
    """The server URL this desk was set to (no password in it), or None for this PC."""
    from desktop.store.backend import server_url

    server = settings.server()
    if server is None:
        return None
    return server_url(server["host"], server["port"], server["database"], server["user"])


class ConnectionDialog(QDialog):
    """"This PC" or "the clinic's server"; on OK the choice is saved (`location()` tells it)."""

    def __init__(self, settings, tr, parent: QWidget | None = None, *, pgpass=None, keyring=None):
        super().__init__(parent)
        self.setObjectName("connectionDialog")
        # the password goes to the OS keyring where there is one, else the password file
        self.settings, self.tr, self.pgpass, self.keyring = settings, tr, pgpass, keyring
        self.setWindowTitle(tr("conn.title"))
        self.this_pc = QRadioButton(tr("conn.this_pc"))
        self.server = QRadioButton(tr("conn.server"))
        group = QButtonGroup(self)
        group.addButton(self.this_pc)
        group.addButton(self.server)
        self.host, self.database, self.user = QLineEdit(), QLineEdit(), QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        for name, widget in (("connection.this_pc", self.this_pc), ("connection.server", self.server),
                             ("connection.host", self.host), ("connection.port", self.port),
                             ("connection.database", self.database), ("connection.user", self.user),
                             ("connection.password", self.password)):
            widget.setProperty("field", name)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("conn.host"), self.host)
        form.addRow(tr("conn.port"), self.port)
        form.addRow(tr("conn.database"), self.database)
        form.addRow(tr("conn.user"), self.user)
        from desktop.store.backend import os_keyring

        ring = keyring if keyring is not None else os_keyring()
        form.addRow(tr("conn.password_keyring" if ring else "conn.password"), self.password)
        self.server_fields = QWidget()
        self.server_fields.setLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.this_pc, self.server, self.server_fields, self.error, buttons):
            layout.addWidget(widget)
        saved = settings.server()
        self.server.setChecked(saved is not None)
        self.this_pc.setChecked(saved is None)
        saved = saved or {"host": "", "port": 5432, "database": "polyclinic",
                          "user": "polyclinic_desk"}
        self.host.setText(saved["host"])
        self.port.setValue(int(saved["port"]))
        self.database.setText(saved["database"])
        self.user.setText(saved["user"])
        self.server.toggled.connect(self.server_fields.setEnabled)
        self.server_fields.setEnabled(self.server.isChecked())

    def accept(self) -> None:
        from desktop.store.backend import remember_password

        if self.this_pc.isChecked():
            self.settings.set_server(None)
            self.settings.sync()
            super().accept()
            return
        host, database, user = (w.text().strip() for w in (self.host, self.database, self.user))
        if not host or not database or not user:
            self.error.setText(self.tr("conn.required"))
            return
        self.settings.set_server({"host": host, "port": self.port.value(), "database": database,
                                  "user": user})
        self.settings.sync()
        if self.password.text():
            remember_password(host, self.port.value(), database, user, self.password.text(),
                              path=self.pgpass, keyring=self.keyring)
        super().accept()

    def location(self) -> str | None:
        return saved_location(self.settings)
