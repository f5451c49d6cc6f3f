"""The patient's form: sections in the order the documents are read at the desk.

`case()` builds the case dict of interface.md from the widgets (empty fields left out);
`set_case()` fills the widgets from one; `show_errors()` puts the core's validation messages
beside the fields they name. The form holds no rules: every judgement is the core's.
"""
from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QEvent, QRegularExpression, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QCompleter, QFrame, QGridLayout, QHeaderView,
                               QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from desktop.core import iin as iin_mod
from desktop.core.case import (ATTACHMENT_CHANNELS, NEEDS, OSMS_STATUSES, PAYERS, REFERRAL_PURPOSES, RELATIONS, SEXES,
                               URGENCIES, default_urgency)
from desktop.gui.desk.documents import DocumentDialog, DocumentsModel
from desktop.gui.i18n import Tr, error_text, note_text
from desktop.gui.tables import table
from desktop.gui.widgets import (STATELESS, CaseDateField, CheckField, ChoiceCombo, CountryCombo,
                                 ErrorLabel, MonthsEditor, TextField, char_words, name_problem)

_DOC_PATH = re.compile(r"^documents\[(\d+)\]")

PERSON_TEXT = ("surname", "given_name", "patronymic", "latin_name", "address", "phone")


def _icd_code(key: str) -> str:
    """A reference ICD key ("A011") written the usual way ("A01.1")."""
    return key if len(key) <= 3 else f"{key[:3]}.{key[3:]}"


class _DocumentsView(QTableView):
    """The documents table; `value()` is the case's document list (None when empty)."""

    def value(self):
        docs = self.model().documents() if self.model() is not None else []
        return docs or None


class PatientForm(QWidget):
    """The form of one patient. Signals: `changed` on any edit, `identity_left` when the
    registrar leaves the ИИН, name or birth date (to look for a likely duplicate),
    `open_duplicate(patient_id)` from the duplicate banner."""

    changed = Signal()
    identity_left = Signal()
    open_duplicate = Signal(int)
    report_duplicate = Signal(int)   # «Сообщить администратору» on a stored card's banner

    def __init__(self, ref, tr: Tr, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.ref, self.tr, self.today = ref, tr, today
        self.setObjectName("patientForm")
        self._labels: dict[str, QLabel] = {}
        self._errors: dict[str, ErrorLabel] = {}
        self._duplicate_id: int | None = None
        self.dialog: DocumentDialog | None = None
        self._loading = False
        self.scan_note: dict | None = None     # a country the MRZ named that the reference lacks

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(14)

        # duplicate banner -------------------------------------------------------------------
        self.banner = QFrame()
        self.banner.setObjectName("duplicateBanner")
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_open = QPushButton()
        self.banner_report = QPushButton()
        self.banner_report.setObjectName("reportDuplicate")
        self.banner_report.hide()
        row = QHBoxLayout(self.banner)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.banner_open)
        row.addWidget(self.banner_report)
        self.banner.hide()
        self._duplicate_stored = False
        self.banner_open.clicked.connect(self._open_duplicate)
        self.banner_report.clicked.connect(
            lambda: self._duplicate_id is not None and self.report_duplicate.emit(self._duplicate_id))
        outer.addWidget(self.banner)
        self.general_error = ErrorLabel()
        outer.addWidget(self.general_error)

        # 1. identity -------------------------------------------------------------------------
        self.identity_box = QGroupBox()
        grid = self._grid(self.identity_box)
        self.surname = TextField()
        self.given_name = TextField()
        self.patronymic = TextField()
        self.latin_name = TextField()
        self.birth_date = CaseDateField(date(1990, 1, 1))
        self.sex = ChoiceCombo()
        self.iin = TextField()
        self.iin.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}"), self))
        self.iin.setMaxLength(12)
        self.citizenship = CountryCombo(with_stateless=True)
        self._place(grid, 1, 0, "person.surname", "f.surname", self.surname)
        self._place(grid, 1, 1, "person.given_name", "f.given_name", self.given_name)
        self._place(grid, 2, 0, "person.patronymic", "f.patronymic", self.patronymic)
        self._place(grid, 2, 1, "person.latin_name", "f.latin_name", self.latin_name)
        self._place(grid, 3, 0, "person.birth_date", "f.birth_date", self.birth_date)
        self._place(grid, 3, 1, "person.sex", "f.sex", self.sex)
        self._place(grid, 4, 0, "person.iin", "f.iin", self.iin)
        self._place(grid, 4, 1, "person.citizenship", "f.citizenship", self.citizenship)
        self.scan_button = QPushButton()
        self.scan_button.setObjectName("scanButton")
        grid.addWidget(self.scan_button, 0, 0, 1, 1, Qt.AlignLeft)
        grid.setRowMinimumHeight(1, 10)
        self.scan_button.clicked.connect(lambda: self.scan_mrz())
        outer.addWidget(self.identity_box)

        # 2. documents ------------------------------------------------------------------------
        self.documents_box = QGroupBox()
        box = QVBoxLayout(self.documents_box)
        self.documents = DocumentsModel(ref, tr, self)
        self.documents_view = table(self.documents, view=_DocumentsView(), stretch=0, name="documentsTable",
                                    compact=False, wrap=False)
        self.documents_view.setProperty("field", "documents")
        header = self.documents_view.horizontalHeader()
        for signal in (self.documents.rowsInserted, self.documents.dataChanged, self.documents.modelReset,
                       self.documents.rowsRemoved):
            signal.connect(lambda *_a: self._fit_document_columns())   # numbers and dates never clipped
        # the kind wraps at its words (never «Договор добровольного медиц…»), each row as tall
        # as its lines; the table holds four rows of two lines at the text size of the desk
        self.documents_view.setWordWrap(True)
        self.documents_view.setTextElideMode(Qt.ElideNone)
        self.documents_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        header.sectionResized.connect(
            lambda column, _old, _new: column == 0 and self.documents_view.resizeRowsToContents())
        self._fit_documents_height()
        self.documents_view.setTabKeyNavigation(False)       # Tab leaves the table      # never grows or shrinks under the mouse
        self.documents_view.doubleClicked.connect(lambda _i: self.edit_document())
        box.addWidget(self.documents_view)
        buttons = QHBoxLayout()
        self.doc_add = QPushButton()
        self.doc_edit = QPushButton()
        self.doc_remove = QPushButton()
        for b in (self.doc_add, self.doc_edit, self.doc_remove):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self._errors["documents"] = ErrorLabel(reserve=True)
        box.addWidget(self._errors["documents"])
        self.doc_add.clicked.connect(lambda: self.add_document())
        self.doc_edit.clicked.connect(lambda: self.edit_document())
        self.doc_remove.clicked.connect(self.remove_document)
        outer.addWidget(self.documents_box)

        # 3. stay and family ------------------------------------------------------------------
        self.stay_box = QGroupBox()
        grid = self._grid(self.stay_box)
        self.purpose = ChoiceCombo()
        self.family = CheckField()
        self.relation = ChoiceCombo()
        self.lives_together = CheckField()
        self.lives_together.setChecked(True)
        self.worker_until = CaseDateField(today)
        self._place(grid, 0, 0, "purpose_of_stay", "f.purpose", self.purpose)
        self._place(grid, 1, 0, "family_of_eaeu_worker", None, self.family)
        self._place(grid, 2, 0, "family_of_eaeu_worker.relation", "f.relation", self.relation)
        self._place(grid, 2, 1, "family_of_eaeu_worker.lives_together", None, self.lives_together)
        self._place(grid, 3, 0, "family_of_eaeu_worker.worker_contract_until", "f.worker_until",
                    self.worker_until)
        self.family.toggled.connect(self._family_toggled)
        outer.addWidget(self.stay_box)

        # 4. ОСМС -----------------------------------------------------------------------------
        self.osms_box = QGroupBox()
        grid = self._grid(self.osms_box)
        self.osms_status = ChoiceCombo()
        self.payer = ChoiceCombo()
        self.paid_months = MonthsEditor(tr)
        self._place(grid, 0, 0, "osms.status", "f.osms_status", self.osms_status)
        self._place(grid, 0, 1, "osms.payer", "f.payer", self.payer)
        self._place(grid, 1, 0, "osms.paid_months", "f.paid_months", self.paid_months, span=3)
        # rev. 3 (rules.md 9.2): "no payments" (the Fund's record is empty, `paid_months: []`)
        # is said on purpose, apart from leaving the months empty (nothing known)
        self.no_payments = CheckField()
        self._place(grid, 2, 0, "osms.no_payments", None, self.no_payments, span=3)
        self.no_payments.toggled.connect(self._no_payments_toggled)
        outer.addWidget(self.osms_box)

        # 5. the visit ------------------------------------------------------------------------
        self.visit_box = QGroupBox()
        grid = self._grid(self.visit_box)
        self.needs = ChoiceCombo()
        self.diagnosis = TextField()
        self.diagnosis.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"[A-Za-z]\d{0,2}(\.\d{0,2})?"), self))
        self._icd_model = QStringListModel(self)
        completer = QCompleter(self._icd_model, self)
        completer.setFilterMode(Qt.MatchStartsWith)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        self.diagnosis.setCompleter(completer)
        completer.activated[str].connect(self._icd_chosen)
        self.diagnosis_name = QLabel()
        self.diagnosis_name.setObjectName("hint")
        self.as_of = CaseDateField(today)
        self.as_of.setValue(today)
        self._place(grid, 0, 0, "needs", "f.needs", self.needs)
        self._place(grid, 0, 1, "as_of", "f.as_of", self.as_of)
        self._place(grid, 1, 0, "diagnosis_icd10", "f.diagnosis", self.diagnosis)
        grid.addWidget(self.diagnosis_name, 4, 1, 1, 1)
        # the referral (направление), printed from the decision panel
        self.ref_purpose = ChoiceCombo()
        self.ref_urgency = ChoiceCombo()
        self.ref_diagnosis = TextField()
        self.ref_services = TextField()
        self._place(grid, 2, 0, "referral.purpose", "f.ref_purpose", self.ref_purpose)
        self._place(grid, 2, 1, "referral.urgency", "f.ref_urgency", self.ref_urgency)
        self._place(grid, 3, 0, "referral.diagnosis_text", "f.ref_diagnosis", self.ref_diagnosis, span=3)
        self._place(grid, 4, 0, "referral.services", "f.ref_services", self.ref_services, span=3)
        outer.addWidget(self.visit_box)

        # 6. contacts and representative -----------------------------------------------------
        self.contacts_box = QGroupBox()
        grid = self._grid(self.contacts_box)
        self.address = TextField()
        self.phone = TextField()
        self.rep_name = TextField()
        self.rep_relation = TextField()
        self.rep_document = TextField()
        self.previous_clinic = TextField()
        self.reason = TextField()
        self._place(grid, 0, 0, "person.address", "f.address", self.address)
        self._place(grid, 0, 1, "person.phone", "f.phone", self.phone)
        self._place(grid, 1, 0, "representative.full_name", "f.rep_name", self.rep_name)
        self._place(grid, 1, 1, "representative.relation", "f.rep_relation", self.rep_relation)
        self._place(grid, 2, 0, "representative.document", "f.rep_document", self.rep_document)
        self._place(grid, 2, 1, "previous_clinic", "f.previous_clinic", self.previous_clinic)
        self._place(grid, 3, 0, "reason", "f.reason", self.reason, span=3)
        self.attachment_channel = ChoiceCombo()     # printed on the notice: the channel used
        self._place(grid, 4, 0, "attachment_channel", "f.attachment_channel", self.attachment_channel)
        outer.addWidget(self.contacts_box)
        outer.addStretch(1)

        self._tab_chain = [self.scan_button, self.surname, self.given_name, self.patronymic, self.latin_name,
                           self.birth_date, self.sex, self.iin, self.citizenship,
                           self.documents_view, self.doc_add, self.doc_edit, self.doc_remove,
                           self.purpose, self.family, self.relation, self.lives_together,
                           self.worker_until,
                           self.osms_status, self.payer, self.paid_months.entry,
                           self.paid_months.add, self.paid_months.remove, self.paid_months.list,
                           self.no_payments, self.needs, self.as_of, self.diagnosis, self.ref_purpose, self.ref_urgency,
                           self.ref_diagnosis, self.ref_services, self.address, self.phone,
                           self.rep_name, self.rep_relation, self.rep_document,
                           self.previous_clinic, self.reason]
        self._tab_chain.append(self.attachment_channel)
        self.apply_tab_order()

        # change notifications ---------------------------------------------------------------
        for w in (self.surname, self.given_name, self.patronymic, self.latin_name, self.diagnosis,
                  self.address, self.phone, self.rep_name, self.rep_relation, self.rep_document,
                  self.previous_clinic, self.reason, self.ref_diagnosis, self.ref_services):
            w.textChanged.connect(self._edited)
        self.iin.textChanged.connect(self._iin_typed)
        for w in (self.birth_date, self.as_of, self.worker_until, self.sex, self.citizenship, self.purpose,
                  self.relation, self.osms_status, self.payer, self.needs, self.paid_months,
                  self.ref_purpose, self.ref_urgency):
            w.changed.connect(self._edited)
        for w in (self.family, self.lives_together, self.no_payments):
            w.toggled.connect(self._edited)
        self.attachment_channel.changed.connect(self._edited)
        # the referral's urgency follows the need (emergency: urgent) until the registrar chooses
        self._urgency_chosen = False
        self.needs.changed.connect(self._need_changed)
        self.ref_urgency.changed.connect(self._urgency_changed)
        for w in (self.iin, self.surname, self.given_name):
            w.editingFinished.connect(self.identity_left)
        self.birth_date.editingFinished.connect(self.identity_left)
        self.diagnosis.textChanged.connect(self._diagnosis_typed)
        self.retranslate()
        self._family_toggled(False)
        self.clear_case()

    # columns that hold nothing for every document of the card give their room to the kind
    # (in a narrow card the kind is otherwise a word a line, up to seven lines a row)
    OPTIONAL_DOCUMENT_COLUMNS = ("issued_on", "covers_phc")

    def _fit_document_columns(self) -> None:
        view, model = self.documents_view, self.documents
        for name in self.OPTIONAL_DOCUMENT_COLUMNS:
            column = model.COLUMNS.index(name)
            empty = not any(model.cell(doc, name, Qt.DisplayRole) for doc in model.rows)
            view.setColumnHidden(column, empty and bool(model.rows))
        view.horizontalHeader().resizeSections()

    def _fit_documents_height(self) -> None:
        """Four rows of two lines and the header, at the font of the moment."""
        view = self.documents_view
        view.ensurePolished()
        line = view.fontMetrics().lineSpacing()
        header = view.horizontalHeader().sizeHint().height() or line + 12
        view.setFixedHeight(header + 4 * (2 * line + 10) + 4)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange) and hasattr(self, "documents_view"):
            self._fit_documents_height()

    def apply_tab_order(self) -> None:
        """Tab walks the form in reading order (call again once the form sits in its window)."""
        for a, b in zip(self._tab_chain, self._tab_chain[1:]):
            QWidget.setTabOrder(a, b)

    # --- layout helpers -------------------------------------------------------------------------
    def _grid(self, box: QGroupBox) -> QGridLayout:
        """Two columns; each field has its label above it and its message below it."""
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(2)
        grid.setContentsMargins(12, 16, 12, 8)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        return grid

    def _place(self, grid: QGridLayout, row: int, col: int, path: str, label_key: str | None,
               widget: QWidget, span: int = 1) -> None:
        r, c, span = row * 3, col, (2 if span > 1 else 1)
        widget.setProperty("field", path)
        if label_key:
            label = QLabel()
            label.setProperty("i18n", label_key)
            label.setBuddy(widget)
            label.setAlignment(Qt.AlignLeft | Qt.AlignBottom)
            label.setObjectName("fieldLabel")
            self._labels[path] = label
            grid.addWidget(label, r, c, 1, span)
        grid.addWidget(widget, r + 1, c, 1, span)
        error = ErrorLabel(reserve=True)
        self._errors[path] = error
        grid.addWidget(error, r + 2, c, 1, span)

    # --- language ------------------------------------------------------------------------------
    def retranslate(self) -> None:
        tr, lang = self.tr, self.tr.lang
        for label in self._labels.values():
            label.setText(tr(label.property("i18n")))
        self.identity_box.setTitle(tr("sec.identity"))
        self.documents_box.setTitle(tr("sec.documents"))
        self.stay_box.setTitle(tr("sec.stay"))
        self.osms_box.setTitle(tr("sec.osms"))
        self.visit_box.setTitle(tr("sec.visit"))
        self.contacts_box.setTitle(tr("sec.contacts"))
        self.family.setText(tr("f.family"))
        self.lives_together.setText(tr("f.lives_together"))
        self.no_payments.setText(tr("f.no_payments"))
        self.no_payments.setToolTip(tr("f.no_payments_hint"))
        self.doc_add.setText(tr("doc.add"))
        self.doc_edit.setText(tr("doc.edit"))
        self.doc_remove.setText(tr("doc.remove"))
        self.banner_open.setText(tr("dup.open"))
        self.banner_report.setText(tr("dup.report"))
        for field in (self.birth_date, self.as_of, self.worker_until):
            field.setPlaceholderText(tr("ph.date"))
        self.scan_button.setText(tr("mrz.button"))
        self.scan_button.setToolTip(tr("mrz.hint"))
        self.latin_name.setPlaceholderText(tr("ph.latin"))
        self.diagnosis.setPlaceholderText(tr("ph.icd"))
        self.citizenship.lineEdit().setPlaceholderText(tr("ph.citizenship"))
        unset = [(None, tr("choice.unset"))]
        self.sex.set_items(unset + [(s, tr(f"sex.{s}")) for s in SEXES])
        self.purpose.set_items(unset + [(c, v[lang]) for c, v in self.ref.purposes.items()])
        self.relation.set_items(unset + [(r, tr(f"relation.{r}")) for r in RELATIONS])
        # «не проверено» is the unset item: the registrar states what the Fund's check showed
        self.osms_status.set_items([(None, tr("osms.unknown"))]
                                   + [(s, tr(f"osms.{s}")) for s in OSMS_STATUSES if s != "unknown"])
        self.payer.set_items(unset + [(p, tr(f"payer.{p}")) for p in PAYERS])
        self.needs.set_items([(n, tr(f"needs.{n}")) for n in NEEDS])
        self.ref_purpose.set_items(unset + [(r, tr(f"ref_purpose.{r}")) for r in REFERRAL_PURPOSES])
        self.ref_urgency.set_items([(u, tr(f"urgency.{u}")) for u in URGENCIES])
        self.attachment_channel.set_items(unset + [(c, tr(f"channel.{c}")) for c in ATTACHMENT_CHANNELS])
        self.ref_services.setPlaceholderText(tr("ph.ref_services"))
        was_loading, self._loading = self._loading, True
        self.citizenship.blockSignals(True)
        self.citizenship.fill(self.ref.countries, tr, getattr(self.ref, "country_aliases", {}))
        self.citizenship.blockSignals(False)
        self._loading = was_loading
        self._icd_model.setStringList([
            f"{_icd_code(d.icd_from)}{'' if d.icd_from == d.icd_to else '–' + _icd_code(d.icd_to)}"
            f"  {d.name[lang]}" for d in self.ref.diseases])
        self.paid_months.retranslate()
        self.documents.retranslate()
        self._diagnosis_typed()
        if self._duplicate_id is not None:
            self.banner_text.setText(tr("dup.possible" if self._duplicate_stored else "dup.banner",
                                        who=self._duplicate_who))

    # --- reactions --------------------------------------------------------------------------
    def _edited(self, *_args) -> None:
        if not self._loading:
            self.changed.emit()

    def _need_changed(self, *_args) -> None:
        if not self._loading and not self._urgency_chosen:
            self._urgency_chosen = None            # the change below is ours, not the registrar's
            self.ref_urgency.set_code(default_urgency(self.needs.code()))
            self._urgency_chosen = False

    def _urgency_changed(self, *_args) -> None:
        if not self._loading and self._urgency_chosen is False:
            self._urgency_chosen = True

    def _no_payments_toggled(self, on: bool) -> None:
        if on:
            self.paid_months.set_months([])
        self.paid_months.setEnabled(not on)

    def _family_toggled(self, on: bool) -> None:
        self.relation.setEnabled(on)
        self.lives_together.setEnabled(on)
        self.worker_until.setEnabled(on)

    def _iin_typed(self, text: str) -> None:
        """Live check of the ИИН (the core's check digit); a valid one fills empty birth date and sex."""
        error = self._errors["person.iin"]
        if len(text) == 12:
            problem = iin_mod.checksum_error(text)
            if problem is None:
                error.show_message(self.tr("err.iin_ok"), "ok")
                layout = iin_mod.layout(text)
                if not self._loading:
                    if layout.birth_date and not self.birth_date.text().strip():
                        self.birth_date.setValue(layout.birth_date)
                    if layout.sex and self.sex.code() is None:
                        self.sex.set_code(layout.sex)
            else:
                error.show_message(self.tr("err.iin_no_digit" if problem == "no_check_digit"
                                           else "err.iin_digit"))
        else:
            error.show_message(None)
        self._edited()

    def _icd_chosen(self, text: str) -> None:
        code = text.split()[0].split("–")[0]
        QTimer.singleShot(0, lambda: self.diagnosis.setText(code))

    def _diagnosis_typed(self, *_args) -> None:
        code = self.diagnosis.text().strip().upper()
        disease = self.ref.disease_for(code, self.as_of.date_value() or self.today) \
            if re.match(r"^[A-Z]\d\d(\.\d{1,2})?$", code) else None
        self.diagnosis_name.setText(disease.name[self.tr.lang] if disease else "")

    # --- the machine-readable zone -------------------------------------------------------------
    def scan_mrz(self):
        """Open the MRZ scan (F2); a good read fills the identity and a document row."""
        from desktop.gui.desk.mrz_dialog import MrzDialog

        dialog = MrzDialog(self.tr, self.today, self)
        dialog.read.connect(self.apply_mrz)
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModal)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.show()
        dialog.text.setFocus()
        return dialog

    def country_of(self, alpha3: str) -> str | None:
        """ISO alpha-2 of an ICAO code from the zone ('D' is Germany), if the reference knows it."""
        code = {"D": "DEU"}.get(alpha3, alpha3)
        found = getattr(self.ref, "alpha3", {}).get(code)
        return found if found in self.ref.countries else None

    def apply_mrz(self, zone) -> None:
        """Fill the identity and add (or update) the document row from a verified zone."""
        from desktop.core import mrz as mrz_mod

        self._loading = True
        try:
            self.latin_name.setText(zone.latin_name)
            if not self.surname.text().strip():
                self.surname.setText(zone.surname.title())
            if not self.given_name.text().strip():
                self.given_name.setText(zone.given_names.title())
            if zone.birth_date:
                self.birth_date.setValue(zone.birth_date)
            if zone.sex:
                self.sex.set_code(zone.sex)
            if zone.iin:
                self.iin.setText(zone.iin)
            citizenship = self.country_of(zone.nationality)
            if citizenship:
                self.citizenship.set_code(citizenship)
        finally:
            self._loading = False
        doc = {"kind": mrz_mod.document_kind(zone), "number": zone.number}
        issuer = self.country_of(zone.issuing_state)
        if issuer:
            doc["country"] = issuer
        if zone.valid_until:
            doc["valid_until"] = zone.valid_until.isoformat()
        docs = self.documents.documents()
        same = [i for i, d in enumerate(docs) if d.get("kind") == doc["kind"] and d.get("number") == doc["number"]]
        if same:
            self.documents.replace(same[0], {**docs[same[0]], **doc})
        else:
            self.documents.add(doc)
        self._edited()
        self.scan_note = None if citizenship else {
            "field": "person.citizenship", "message": self.tr("mrz.country_unknown", code=zone.nationality)}
        self.error_label("person.citizenship").show_message(
            self.scan_note and self.scan_note["message"], "note")

    # --- documents ----------------------------------------------------------------------------
    def selected_document(self) -> int | None:
        rows = self.documents_view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def add_document(self, doc: dict | None = None) -> DocumentDialog:
        """Open the document dialog (window-modal, not blocking); the row is added on OK."""
        dialog = DocumentDialog(self.ref, self.tr, self.today, doc, self,
                                citizenship=self.citizenship.code())
        dialog.accepted.connect(lambda: self._document_done(dialog, None))
        self._show_dialog(dialog)
        return dialog

    def edit_document(self, row: int | None = None) -> DocumentDialog | None:
        row = self.selected_document() if row is None else row
        if row is None:
            return None
        dialog = DocumentDialog(self.ref, self.tr, self.today, self.documents.documents()[row], self)
        dialog.accepted.connect(lambda: self._document_done(dialog, row))
        self._show_dialog(dialog)
        return dialog

    def _show_dialog(self, dialog: DocumentDialog) -> None:
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModal)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.finished.connect(lambda _r: self.doc_add.setFocus())   # the next document, or Tab on
        dialog.show()
        dialog.kind.setFocus()

    def _document_done(self, dialog: DocumentDialog, row: int | None) -> None:
        doc = dialog.document()
        if row is None:
            row = self.documents.add(doc)
        else:
            self.documents.replace(row, doc)
        self.documents_view.selectRow(row)
        self._edited()

    def remove_document(self) -> None:
        row = self.selected_document()
        if row is not None:
            self.documents.remove(row)
            self._edited()

    # --- the case ---------------------------------------------------------------------------
    def case(self) -> dict:
        """The case of interface.md as entered (empty fields left out)."""
        person: dict = {}
        for name in PERSON_TEXT:
            value = getattr(self, name).text().strip()
            if value:
                person[name] = value
        if self.iin.text().strip():
            person["iin"] = self.iin.text().strip()
        if self.birth_date.iso():
            person["birth_date"] = self.birth_date.iso()
        if self.sex.code():
            person["sex"] = self.sex.code()
        citizenship = self.citizenship.code()
        if citizenship == STATELESS:
            person["citizenship"] = None
        elif citizenship:
            person["citizenship"] = citizenship
        case: dict = {"person": person}
        if self.as_of.iso():
            case["as_of"] = self.as_of.iso()
        if self.purpose.code():
            case["purpose_of_stay"] = self.purpose.code()
        case["documents"] = self.documents.documents()
        if self.family.isChecked():
            case["family_of_eaeu_worker"] = {"relation": self.relation.code(),
                                             "lives_together": self.lives_together.isChecked()}
            if self.worker_until.iso():
                case["family_of_eaeu_worker"]["worker_contract_until"] = self.worker_until.iso()
        osms: dict = {"status": self.osms_status.code() or "unknown"}
        if self.payer.code():
            osms["payer"] = self.payer.code()
        if self.no_payments.isChecked():
            osms["paid_months"] = []
        elif self.paid_months.months():
            osms["paid_months"] = self.paid_months.months()
        case["osms"] = osms
        if self.diagnosis.text().strip():
            case["diagnosis_icd10"] = self.diagnosis.text().strip().upper()
        case["needs"] = self.needs.code() or "attachment"
        rep = {k: getattr(self, f"rep_{w}").text().strip()
               for k, w in (("full_name", "name"), ("relation", "relation"), ("document", "document"))}
        rep = {k: v for k, v in rep.items() if v}
        if rep:
            case["representative"] = rep
        for name in ("previous_clinic", "reason"):
            value = getattr(self, name).text().strip()
            if value:
                case[name] = value
        if self.attachment_channel.code():
            case["attachment_channel"] = self.attachment_channel.code()
        referral = {"purpose": self.ref_purpose.code(), "urgency": self.ref_urgency.code(),
                    "diagnosis_text": self.ref_diagnosis.text().strip(),
                    "services": [x.strip() for x in self.ref_services.text().split(";") if x.strip()]}
        if referral["purpose"] or referral["diagnosis_text"] or referral["services"]:
            case["referral"] = {k: v for k, v in referral.items() if v}
        return case

    def set_case(self, case: dict, *, as_of: date | None = None) -> None:
        """Fill the form from a stored case; `as_of` replaces the case's date (re-decide today)."""
        self._loading = True
        try:
            person = case.get("person") or {}
            for name in PERSON_TEXT:
                getattr(self, name).setText(person.get(name) or "")
            self.iin.setText(person.get("iin") or "")
            self.birth_date.setValue(person.get("birth_date"))
            self.sex.set_code(person.get("sex"))
            if "citizenship" in person:
                self.citizenship.set_code(STATELESS if person["citizenship"] is None
                                          else person["citizenship"])
            else:
                self.citizenship.set_code(None)
            self.as_of.setValue(as_of or case.get("as_of") or self.today)
            self.purpose.set_code(case.get("purpose_of_stay"))
            self.documents.set_documents(case.get("documents") or [])
            family = case.get("family_of_eaeu_worker")
            self.family.setChecked(bool(family))
            self.relation.set_code((family or {}).get("relation"))
            self.lives_together.setChecked((family or {}).get("lives_together", True))
            self.worker_until.setValue((family or {}).get("worker_contract_until"))
            osms = case.get("osms") or {}
            self.osms_status.set_code(osms.get("status"))
            self.payer.set_code(osms.get("payer"))
            self.paid_months.set_months(list(osms.get("paid_months") or []))
            self.no_payments.setChecked(osms.get("paid_months") == [])
            self.diagnosis.setText(case.get("diagnosis_icd10") or "")
            self.needs.set_code(case.get("needs") or "attachment")
            rep = case.get("representative") or {}
            self.rep_name.setText(rep.get("full_name") or "")
            self.rep_relation.setText(rep.get("relation") or "")
            self.rep_document.setText(rep.get("document") or "")
            self.previous_clinic.setText(case.get("previous_clinic") or "")
            self.reason.setText(case.get("reason") or "")
            self.attachment_channel.set_code(case.get("attachment_channel"))  # unset: the notice says "at the clinic"
            referral = case.get("referral") or {}
            self.ref_purpose.set_code(referral.get("purpose"))
            self.ref_urgency.set_code(referral.get("urgency") or default_urgency(case.get("needs")))
            self._urgency_chosen = bool(referral.get("urgency"))
            self.ref_diagnosis.setText(referral.get("diagnosis_text") or "")
            self.ref_services.setText("; ".join(referral.get("services") or []))
        finally:
            self._loading = False
        self.scan_note = None
        self.show_errors([])
        self.hide_duplicate()

    def clear_case(self) -> None:
        """The blank card: nothing chosen that the registrar did not enter."""
        self.set_case({"person": {}, "as_of": self.today.isoformat()})
        self.citizenship.set_code(None)
        self.family.setChecked(False)

    def is_blank(self) -> bool:
        """True while nothing has been entered (the desk invites instead of complaining)."""
        case = self.case()
        person = case["person"]
        return not person and not case["documents"] and "purpose_of_stay" not in case \
            and "family_of_eaeu_worker" not in case and case["osms"] == {"status": "unknown"} \
            and "diagnosis_icd10" not in case and case["needs"] == "attachment" \
            and not any(k in case for k in ("representative", "previous_clinic", "reason", "referral")) \
            and not self.input_errors()

    def input_errors(self) -> list[dict]:
        """What the form itself cannot turn into a case value: dates typed wrong, a country
        that names none or several, names with characters that cannot be printed. The texts
        are in the interface's language (error_text passes them through)."""
        out = []
        dates = [("person.birth_date", self.birth_date), ("as_of", self.as_of)]
        if self.family.isChecked():
            dates.append(("family_of_eaeu_worker.worker_contract_until", self.worker_until))
        for path, field in dates:
            problem = field.problem()
            if problem == "incomplete" and field.hasFocus():
                continue
            if problem:
                out.append({"field": path, "message": self.tr(f"date.{problem}")})
        problem = self.citizenship.problem()
        if problem:
            out.append({"field": "person.citizenship", "message": self.tr(f"country.{problem}")})
        for name in PERSON_TEXT[:4]:
            problem = name_problem(getattr(self, name).text())
            if problem:
                out.append({"field": f"person.{name}", "message": self.tr("name.bad_char", char=char_words(problem, self.tr))})
        return out

    def save_errors(self) -> list[dict]:
        """What must be there before a save: surname and given name."""
        return [{"field": f"person.{name}", "message": self.tr("name.required")}
                for name in ("surname", "given_name") if not getattr(self, name).text().strip()]

    def focus_first(self) -> None:
        """An opened or new card: scrolled to the top, the cursor in its first field."""
        self.surname.setFocus(Qt.OtherFocusReason)
        self.surname.selectAll()
        scroll = self.parent()
        while scroll is not None and not hasattr(scroll, "ensureVisible"):
            scroll = scroll.parent()
        if scroll is not None:
            scroll.verticalScrollBar().setValue(0)

    # --- messages beside the fields ------------------------------------------------------------
    def error_label(self, path: str) -> ErrorLabel:
        """The inline label that shows messages for a field path of the core."""
        if path in self._errors:
            return self._errors[path]
        if _DOC_PATH.match(path):
            return self._errors["documents"]
        prefix = path.split("[")[0]
        if prefix in self._errors:
            return self._errors[prefix]
        return self.general_error

    def show_errors(self, errors: list[dict], notes: list[dict] = ()) -> None:
        """Show the core's errors (and non-blocking notes) beside their fields; clear the rest."""
        grouped: dict[int, list[str]] = {}
        bad_rows: set[int] = set()
        for e in errors:
            label = self.error_label(e["field"])
            text = error_text(e, self.tr)
            m = _DOC_PATH.match(e["field"])
            if m:
                bad_rows.add(int(m.group(1)))
                text = f"{self.tr('doc.row', n=int(m.group(1)) + 1)}: {text}"
            grouped.setdefault(id(label), []).append(text)
        note_lines: dict[int, list[str]] = {}
        if self.scan_note:
            notes = list(notes) + [self.scan_note]
        for n in notes:
            note_lines.setdefault(id(self.error_label(n.get("field", ""))), []).append(note_text(n, self.tr))
        for label in list(self._errors.values()) + [self.general_error]:
            if label is self._errors["person.iin"] and id(label) not in grouped \
                    and id(label) not in note_lines and len(self.iin.text()) == 12:
                label.show_message(self.tr("err.iin_ok"), "ok")
                continue
            if id(label) in grouped:
                label.show_message("\n".join(dict.fromkeys(grouped[id(label)])), "error")
            elif id(label) in note_lines:
                label.show_message("\n".join(note_lines[id(label)]), "note")
            else:
                label.show_message(None)
        self.documents.mark_bad_rows(bad_rows)

    def show_duplicate(self, who: str, patient_id: int, *, stored: bool = False) -> None:
        """The banner: on a new card «already in the registry»; on a stored card (`stored`)
        «Возможный дубль» with «Сообщить администратору»."""
        self._duplicate_id, self._duplicate_who = patient_id, who
        self._duplicate_stored = stored
        self.banner_text.setText(self.tr("dup.possible" if stored else "dup.banner", who=who))
        self.banner_report.setVisible(stored)
        self.banner_report.setEnabled(True)
        self.banner.show()

    def hide_duplicate(self) -> None:
        self._duplicate_id = None
        self.banner.hide()

    def _open_duplicate(self) -> None:
        if self._duplicate_id is not None:
            self.open_duplicate.emit(self._duplicate_id)
