"""The clinic's details (name, БИН, address, head) — administrator only, kept in the registry —
and the workstation's lock timeout."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QSpinBox,
                               QVBoxLayout, QWidget)

from desktop.gui.clock import Clock
from desktop.gui.i18n import Tr
from desktop.gui.settings import AppSettings
from desktop.gui.widgets import ErrorLabel


class ClinicDialog(QDialog):
    """Edit the clinic's details; saving goes through `registry.set_settings` as `user`."""

    def __init__(self, registry, tr: Tr, clock: Clock, user: str, settings: AppSettings,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.tr, self.clock, self.user, self.settings = registry, tr, clock, user, settings
        self.setObjectName("clinicDialog")
        self.setWindowTitle(tr("settings.title"))
        self.setMinimumWidth(520)
        details = registry.clinic_details()
        self.name = QLineEdit(details.get("name", ""))
        self.bin = QLineEdit(details.get("bin", ""))
        self.bin.setInputMask("000000000000;_")
        self.bin.setText(details.get("bin", ""))
        self.bin_error = ErrorLabel()
        self.address = QLineEdit(details.get("address", ""))
        self.head = QLineEdit(details.get("head", ""))
        self.lock = QSpinBox()
        self.lock.setRange(1, 240)
        self.lock.setValue(settings.lock_minutes)
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(tr("settings.name"), self.name)
        form.addRow(tr("settings.bin"), self.bin)
        form.addRow("", self.bin_error)
        form.addRow(tr("settings.address"), self.address)
        form.addRow(tr("settings.head"), self.head)
        form.addRow(tr("settings.lock"), self.lock)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Save).setText(tr("btn.save"))
        buttons.button(QDialogButtonBox.Cancel).setText(tr("btn.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {"clinic.name": self.name.text().strip(), "clinic.bin": self.bin.text().strip(),
                "clinic.address": self.address.text().strip(), "clinic.head": self.head.text().strip()}

    def accept(self) -> None:
        bin_ = self.bin.text().strip()
        if bin_ and not (len(bin_) == 12 and bin_.isdigit()):
            self.bin_error.show_message(self.tr("settings.bad_bin"))
            return
        self.bin_error.show_message(None)
        from desktop.store import PermissionDenied

        try:
            self.registry.set_settings(self.values(), actor=self.user, now=self.clock.now())
        except PermissionDenied:
            self.error.show_message(self.tr("settings.denied"))
            return
        self.settings.lock_minutes = self.lock.value()
        super().accept()
