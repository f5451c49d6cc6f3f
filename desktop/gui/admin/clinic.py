"""The clinic's details (names and addresses in Russian and Kazakh, БИН, head) — administrator
only, kept in the registry — and the workstation's lock timeout.

`ClinicForm` is the form itself (used by the first-run setup and by the settings dialog); the
same checks as the store (desktop/store/clinic.py) run before saving, with a message under the
field in the language of the interface."""
from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QSizePolicy, QSpinBox, QWidget

from desktop.gui.clock import Clock
from desktop.gui.i18n import Tr
from desktop.gui.settings import AppSettings
from desktop.gui.widgets import ErrorLabel, FormDialog, TextField

FIELDS = ("name_ru", "name_kk", "bin", "address_ru", "address_kk", "head")


def problem_text(tr: Tr, problem: dict) -> str:
    """One problem from desktop.store.clinic.errors in the interface's language."""
    reason = problem.get("reason")
    if problem.get("field") == "bin" and reason in ("format", "check_digit"):
        return tr(f"clinic.err.bin_{reason}")
    return tr(f"clinic.err.{reason}") if reason in ("required", "too_long", "control") \
        else problem.get("message", "")


class ClinicForm(QWidget):
    """The six fields of the clinic's details, each with its error line. Inputs carry the
    dynamic property `field` = `{prefix}{name}` (e.g. "clinic.bin", "setup.clinic.bin")."""

    def __init__(self, tr: Tr, details: dict | None = None, *, prefix: str = "clinic.",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.tr = tr
        details = details or {}
        self.inputs: dict[str, QLineEdit] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.labels: dict[str, QLabel] = {}
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setVerticalSpacing(6)
        for name in FIELDS:
            edit = TextField(field=f"{prefix}{name}")
            edit.setText(details.get(name, ""))
            edit.setObjectName(f"clinic_{name}")
            edit.setMaxLength(300)
            if name == "bin":
                edit.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9]{0,12}"), edit))
                edit.setMaxLength(12)
            edit.textEdited.connect(lambda _t, n=name: self._edited(n))
            label = QLabel()
            label.setBuddy(edit)
            error = ErrorLabel()               # objectName "fieldError" gives it the red style
            error.setProperty("for_field", f"{prefix}{name}")
            self.inputs[name], self.errors[name], self.labels[name] = edit, error, label
            self.form.addRow(label, edit)
            self.form.addRow("", error)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)   # never squeezed
        self.retranslate(tr)

    def __getattr__(self, name):   # form.bin, form.name_ru … for tests and callers
        inputs = self.__dict__.get("inputs") or {}
        if name in inputs:
            return inputs[name]
        raise AttributeError(name)

    def retranslate(self, tr: Tr) -> None:
        self.tr = tr
        for name, label in self.labels.items():
            label.setText(tr(f"clinic.{name}"))
        self.inputs["bin"].setPlaceholderText(tr("clinic.bin_hint"))
        if getattr(self, "problems", None):
            self.show_problems(self.problems, focus=False)

    def _edited(self, name: str) -> None:
        self.errors[name].show_message(None)
        self.problems = [p for p in getattr(self, "problems", []) if p.get("field") != name]

    def values(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.inputs.items()}

    def check(self) -> bool:
        """Show every problem under its field; True when there is none."""
        from desktop.store.clinic import errors

        problems = errors(self.values())
        self.show_problems(problems)
        return not problems

    def show_problems(self, problems: list[dict], focus: bool = True) -> None:
        self.problems = problems
        for label in self.errors.values():
            label.show_message(None)
        for p in problems:
            if p.get("field") in self.errors:
                self.errors[p["field"]].show_message(problem_text(self.tr, p))
        if focus and problems and problems[0].get("field") in self.inputs:
            self.inputs[problems[0]["field"]].setFocus()


class ClinicDialog(FormDialog):
    """Edit the clinic's details; saving goes through `registry.set_clinic_details` as `user`."""

    def __init__(self, registry, tr: Tr, clock: Clock, user: str, settings: AppSettings,
                 parent: QWidget | None = None):
        super().__init__(tr, parent, title="settings.title", name="clinicDialog", save=True, min_width=620)
        self.registry, self.clock, self.user, self.settings = registry, clock, user, settings
        self.details = ClinicForm(tr, registry.clinic_details())
        self.lock = QSpinBox()
        self.lock.setRange(1, 240)
        self.lock.setValue(settings.lock_minutes)
        self.lock.setProperty("field", "settings.lock_minutes")
        self.form.addRow(tr("settings.lock"), self.lock)
        self.lay_out(before=[self.details])

    # the old attribute names, kept for callers
    name, bin, address, head = (property(lambda self, k=k: self.details.inputs[k])
                                for k in ("name_ru", "bin", "address_ru", "head"))

    def values(self) -> dict[str, str]:
        return self.details.values()

    def check(self) -> bool:
        if not self.details.check():
            return False
        from desktop.store import PermissionDenied
        from desktop.store.errors import ClinicDetailsInvalid

        try:
            self.registry.set_clinic_details(self.values(), actor=self.user, now=self.clock.now())
        except PermissionDenied:
            self.error.show_message(self.tr("settings.denied"))
            return False
        except ClinicDetailsInvalid as e:
            self.details.show_problems(e.problems)
            return False
        self.settings.lock_minutes = self.lock.value()
        return True
