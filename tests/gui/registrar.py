"""The registrar at the keyboard: a case entered into the real desk by key presses alone (Tab
between fields, arrows in lists, the document dialog by Space and Enter, save with Ctrl+S,
search with Ctrl+F, Down and Enter). Used by the registrar's-hour test and bench/bench_gui.py;
`Keys` counts the keystrokes and measures, for each one, the time until the decision panel
has been redrawn with the decision it caused."""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox


class Keys:
    """Real key events into the focused widget; `latencies` (s) from each key to the panel."""

    def __init__(self, window):
        self.window = window
        self.count = 0
        self.latencies: list[float] = []
        self._decided = 0
        window.decided.connect(self._on_decided)

    def _on_decided(self) -> None:
        self._decided += 1

    def _settle(self, t0: float) -> None:
        before = self._decided
        QApplication.processEvents()
        while self.window.recompute_timer.isActive():
            QApplication.processEvents()
        if self._decided != before:
            self.latencies.append(time.perf_counter() - t0)

    def focus(self):
        if QApplication.focusWidget() is None:         # a dialog closed (offscreen: no window manager)
            self.window.activateWindow()
            QApplication.processEvents()
        return QApplication.focusWidget()

    def key(self, key, modifiers=Qt.NoModifier, widget=None) -> None:
        widget = widget or self.focus() or self.window
        t0 = time.perf_counter()
        QTest.keyClick(widget, key, modifiers)
        self.count += 1
        self._settle(t0)

    def text(self, text: str, widget=None) -> None:
        for ch in text:
            w = widget or self.focus()
            t0 = time.perf_counter()
            if ch.isascii() and ch.isprintable():
                QTest.keyClicks(w, ch)
            else:
                for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                    QApplication.sendEvent(w, QKeyEvent(kind, 0, Qt.NoModifier, ch))
            self.count += 1
            self._settle(t0)

    def tab_to(self, target, limit: int = 90) -> None:
        """Tab until `target` (or its line edit) has the focus."""
        for _ in range(limit):
            f = self.focus()
            if f is target or (isinstance(target, QComboBox) and target.isEditable() and f is target.lineEdit()):
                return
            self.key(Qt.Key_Tab)
        raise AssertionError(f"Tab never reached {target!r} (focus: {self.focus()!r})")

    def choose(self, combo, code) -> None:
        """A closed list: Home, then Down to the item with `code`."""
        index = next(i for i in range(combo.count()) if combo.itemData(i) == code)
        self.key(Qt.Key_Home, widget=combo)
        for _ in range(index):
            self.key(Qt.Key_Down, widget=combo)
        assert combo.currentData() == code, (combo.currentData(), code)


def ddmmyyyy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}{m}{y}"


def enter_document(k: Keys, form, doc: dict) -> None:
    k.tab_to(form.doc_add)
    k.key(Qt.Key_Space)
    dialog = form.dialog
    assert dialog is not None
    dialog.activateWindow()
    dialog.kind.setFocus(Qt.TabFocusReason) if k.focus() is not dialog.kind else None
    k.choose(dialog.kind, doc["kind"])
    if doc.get("number"):
        k.tab_to(dialog.number)
        k.text(doc["number"])
    if doc.get("country"):
        k.tab_to(dialog.country)
        k.text(doc["country"])
        k.key(Qt.Key_Return)
    for name in ("issued_on", "valid_from", "valid_until"):
        if doc.get(name):
            k.tab_to(getattr(dialog, name))
            k.text(ddmmyyyy(doc[name]))
    if dialog.covers_phc.isVisible():
        wanted = doc.get("covers_phc")
        if wanted is None and doc["kind"] == "vms_contract":
            wanted = True
        if bool(wanted) != dialog.covers_phc.isChecked():
            k.tab_to(dialog.covers_phc)
            k.key(Qt.Key_Space)
    k.tab_to(dialog.valid_until)
    k.key(Qt.Key_Return)
    assert form.dialog is None, dialog.error.text()


def enter_case(k: Keys, window, case: dict) -> None:
    """Ctrl+N and the whole case typed into the card, field by field, by keyboard."""
    form = window.form
    k.key(Qt.Key_N, Qt.ControlModifier, widget=window)
    assert k.focus() is form.surname
    person = case.get("person") or {}
    for name in ("surname", "given_name", "patronymic", "latin_name"):
        if person.get(name):
            k.tab_to(getattr(form, name))
            k.text(person[name])
    if person.get("birth_date"):
        k.tab_to(form.birth_date)
        k.text(ddmmyyyy(person["birth_date"]))
    if person.get("sex"):
        k.tab_to(form.sex)
        k.choose(form.sex, person["sex"])
    if person.get("iin"):
        k.tab_to(form.iin)
        k.text(person["iin"])
    if "citizenship" in person and person["citizenship"]:
        k.tab_to(form.citizenship)
        k.text(person["citizenship"])
        k.key(Qt.Key_Return)
    for doc in case.get("documents") or []:
        enter_document(k, form, doc)
    if case.get("purpose_of_stay"):
        k.tab_to(form.purpose)
        k.choose(form.purpose, case["purpose_of_stay"])
    family = case.get("family_of_eaeu_worker")
    if family:
        k.tab_to(form.family)
        k.key(Qt.Key_Space)
        k.tab_to(form.relation)
        k.choose(form.relation, family.get("relation"))
        if family.get("lives_together") is False:
            k.tab_to(form.lives_together)
            k.key(Qt.Key_Space)
        if family.get("worker_contract_until"):
            k.tab_to(form.worker_until)
            k.text(ddmmyyyy(family["worker_contract_until"]))
    osms = case.get("osms") or {}
    if osms.get("status") and osms["status"] != "unknown":
        k.tab_to(form.osms_status)
        k.choose(form.osms_status, osms["status"])
    if osms.get("payer"):
        k.tab_to(form.payer)
        k.choose(form.payer, osms["payer"])
    for month in osms.get("paid_months") or []:
        k.tab_to(form.paid_months.entry)
        k.text(month.replace("-", ""))
        k.key(Qt.Key_Return)
    if case.get("needs") and case["needs"] != "attachment":
        k.tab_to(form.needs)
        k.choose(form.needs, case["needs"])
    if case.get("as_of"):
        k.tab_to(form.as_of)
        k.key(Qt.Key_Delete)
        k.text(ddmmyyyy(case["as_of"]))
    if case.get("diagnosis_icd10"):
        k.tab_to(form.diagnosis)
        k.text(case["diagnosis_icd10"])
        k.key(Qt.Key_Escape)              # the completer's list closes; the code stays


def search_and_open(k: Keys, window, query: str, patient_id: int) -> None:
    """Ctrl+F, the query, Down to the results, Down to the patient, Enter."""
    k.key(Qt.Key_F, Qt.ControlModifier, widget=window)
    k.text(query)
    k.key(Qt.Key_Down)
    view = window.search.view
    assert k.focus() is view
    for _ in range(len(window.search.model.rows)):
        rows = view.selectionModel().selectedRows()
        if rows and window.search.model.patient_id(rows[0].row()) == patient_id:
            break
        k.key(Qt.Key_Down)
    k.key(Qt.Key_Return)


def normalized(case: dict) -> dict:
    """A case without defaults and dates of the decision, for comparing what was entered."""
    out = {k: v for k, v in case.items() if k != "as_of"}
    if out.get("needs") == "attachment":
        del out["needs"]
    osms = dict(out.get("osms") or {})
    if osms.get("status") == "unknown":
        del osms["status"]
    if osms:
        out["osms"] = osms
    else:
        out.pop("osms", None)
    docs = []
    for d in out.get("documents") or []:
        d = dict(d)
        if d.get("kind") == "vms_contract" and d.get("covers_phc") is None:
            d["covers_phc"] = True          # the core reads an unstated ВМС as covering ПМСП
        docs.append(d)
    if docs:
        out["documents"] = docs
    else:
        out.pop("documents", None)
    out["person"] = {k: v for k, v in (out.get("person") or {}).items()}
    return out
