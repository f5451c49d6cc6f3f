"""Data entry that cannot mislead: the blank card, citizenship, dates, names, the keyboard path,
the MRZ scan, the documents dialog and the contract of `field` properties (issue 12)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLineEdit, QWidget

from tests.core.test_mrz import TD3_ICAO, kz_id_card
from tests.gui.helpers import key_text, pick, pick_country, type_date, type_into


def settle(qtbot, window):
    qtbot.waitUntil(lambda: not window.recompute_timer.isActive(), timeout=2000)


# --- 1. nothing is filled in that the registrar did not enter ---------------------------------
def test_blank_card_after_login_has_every_choice_unset(window):
    """After login: ОСМС «не проверено», sex, payer, purpose unset; the case says status unknown."""
    form = window.form
    assert form.osms_status.currentData() is None and form.osms_status.currentText() == "не проверено"
    for combo in (form.sex, form.payer, form.purpose, form.citizenship, form.relation, form.ref_purpose):
        assert combo.currentData() is None
    case = form.case()
    assert case["osms"] == {"status": "unknown"} and case["person"] == {}


def test_card_after_ctrl_n_is_the_same_blank_card(qtbot, window):
    """Ctrl+N after a filled card gives exactly the card shown after login."""
    blank = window.form.case()
    type_into(qtbot, window.form.surname, "Тестов")
    pick(qtbot, window.form.osms_status, "застрахован")
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    assert window.form.case() == blank
    assert window.form.osms_status.currentData() is None


# --- 2. citizenship ----------------------------------------------------------------------------
def test_typing_over_the_placeholder_then_down_enter_picks_the_country(qtbot, window):
    """«Росс» typed where «— не указано —» shows, Down, Enter: Russia, never «без гражданства»."""
    combo = window.form.citizenship
    combo.setFocus()
    combo.lineEdit().setText(combo.itemText(0))       # the placeholder text, cursor inside it
    combo.lineEdit().setCursorPosition(3)
    key_text(qtbot, combo.lineEdit(), "Росс")
    assert combo.lineEdit().text() == "Росс"
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Down)
    popup = combo.popup_completer.popup()
    if popup.isVisible():
        qtbot.keyClick(popup, Qt.Key_Down)
        qtbot.keyClick(popup, Qt.Key_Return)
    else:
        qtbot.keyClick(combo.lineEdit(), Qt.Key_Return)
    assert combo.currentData() == "RU"


@pytest.mark.parametrize("typed, code", [
    ("США", "US"), ("Соединенные Штаты", "US"), ("сша", "US"), ("РФ", "RU"), ("ОАЭ", "AE"),
    ("Англия", "GB"), ("Великобритания", "GB"), ("Киргизия", "KG"), ("Кыргызстан", "KG"),
    ("kg", "KG"), ("Germany", "DE"), ("Қазақстан", "KZ"), ("Ресей", "RU"), ("Тадж", "TJ"),
])
def test_citizenship_finds_the_country_meant(qtbot, window, typed, code):
    """Names in three languages, codes and short names people say find the country meant."""
    pick_country(qtbot, window.form.citizenship, typed)
    assert window.form.citizenship.currentData() == code


def test_the_first_match_of_usa_is_the_united_states(window):
    """«США» lists the United States before the Virgin Islands (США)."""
    combo = window.form.citizenship
    assert combo.itemData(combo.matches("США")[0]) == "US"


def test_stateless_is_never_chosen_by_a_fragment(qtbot, window):
    """«без» typed and left: no country, no statelessness; the field says so and nothing is decided."""
    pick_country(qtbot, window.form.citizenship, "без")
    settle(qtbot, window)
    assert window.form.citizenship.currentData() is None
    assert "person" not in window.form.case() or "citizenship" not in window.form.case()["person"]


def test_ambiguous_country_is_an_error_beside_the_field(qtbot, window):
    """«Ко» (Korea, Congo, Colombia…) chooses nothing and asks to pick one."""
    type_into(qtbot, window.form.surname, "Тестов")
    pick_country(qtbot, window.form.citizenship, "Ко")
    settle(qtbot, window)
    label = window.form.error_label("person.citizenship")
    assert window.form.citizenship.currentData() is None and "несколько" in label.text()
    assert window.decision is None


def test_full_country_name_fits_the_field(window):
    """The chosen country's full name is not clipped in the field."""
    combo = window.form.citizenship
    combo.set_code("US")
    metrics = combo.lineEdit().fontMetrics()
    assert metrics.horizontalAdvance(combo.lineEdit().text()) <= combo.lineEdit().width()


# --- 3. dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, shown, message", [
    ("31022021", "31.02.2021", "нет в календаре"), ("01011850", "01.01.1850", "от 1900 до 2100")])
def test_impossible_date_stays_as_typed_with_an_error(qtbot, window, typed, shown, message):
    """31.02.2021 and 01.01.1850 are never changed: the text stays, the error is beside it."""
    type_into(qtbot, window.form.surname, "Тестов")
    type_date(qtbot, window.form.birth_date, typed)
    qtbot.keyClick(window.form.birth_date, Qt.Key_Tab)
    settle(qtbot, window)
    assert window.form.birth_date.text() == shown and window.form.birth_date.value() is None
    assert message in window.form.error_label("person.birth_date").text()
    assert window.decision is None


def test_empty_date_lets_tab_through_at_once(qtbot, window):
    """Tab in an empty date field moves on with one press and leaves it empty."""
    field = window.form.birth_date
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClick(field, Qt.Key_Tab)
    assert not field.hasFocus() and QApplication.focusWidget() is window.form.sex
    assert field.text() == "" and field.value() is None


def test_date_typed_with_dots_or_single_digits(qtbot, window):
    """«5.5.1990» and «05051990» give the same date; the dots come by themselves."""
    field = window.form.birth_date
    type_date(qtbot, field, "5.5.1990")
    assert field.text() == "05.05.1990" and field.value() == "1990-05-05"
    type_date(qtbot, field, "05051990")
    assert field.text() == "05.05.1990"


# --- 4. required names, characters ----------------------------------------------------------------
def test_card_without_a_name_is_not_saved(qtbot, window):
    """Ctrl+S on a card without surname and given name saves nothing and says why."""
    pick_country(qtbot, window.form.citizenship, "KZ")
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert window.patient_id is None and window.registry.search("") == []
    assert "фамилию и имя" in window.statusBar().currentMessage()
    assert "Обязательное" in window.form.error_label("person.surname").text()


@pytest.mark.parametrize("typed", ["Тест\tов", "Тестов😀", "Test$"])
def test_name_refuses_control_characters_and_symbols(qtbot, window, typed):
    """A tab pasted in, an emoji or a dollar sign in a name is refused beside the field."""
    QApplication.clipboard().setText(typed)
    window.form.surname.setFocus()
    qtbot.keyClick(window.form.surname, Qt.Key_V, Qt.ControlModifier)
    pick_country(qtbot, window.form.citizenship, "KZ")
    settle(qtbot, window)
    assert "Недопустимый символ" in window.form.error_label("person.surname").text()
    assert window.decision is None


def test_messages_reserve_their_space(qtbot, window):
    """An inline error appearing does not move the buttons under it."""
    before = window.form.doc_add.mapTo(window.form, window.form.doc_add.rect().topLeft())
    type_into(qtbot, window.form.iin, "9005053")
    settle(qtbot, window)
    QApplication.processEvents()
    assert window.form.error_label("person.iin").text()
    assert window.form.doc_add.mapTo(window.form, window.form.doc_add.rect().topLeft()) == before


# --- 5. the keyboard path -----------------------------------------------------------------------
def saved_patient(qtbot, window, surname="Тестов"):
    type_into(qtbot, window.form.surname, surname)
    type_into(qtbot, window.form.given_name, "Тест")
    pick_country(qtbot, window.form.citizenship, "KZ")
    assert window.save()
    return window.patient_id


def test_search_down_reaches_results_and_enter_opens(qtbot, window):
    """Ctrl+F, type, Down to the results, Enter: the patient is open, cursor in the surname."""
    pid = saved_patient(qtbot, window, "Тестов")
    saved_patient(qtbot, window.__class__ and window, "Тестерова") if False else None
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_F, Qt.ControlModifier)
    key_text(qtbot, window.search.query, "Тест")
    qtbot.keyClick(window.search.query, Qt.Key_Down)
    assert window.search.view.hasFocus()
    qtbot.keyClick(window.search.view, Qt.Key_Return)
    assert window.patient_id == pid
    assert window.form.surname.hasFocus()
    assert window.form_scroll.verticalScrollBar().value() == 0


def test_enter_in_search_opens_the_patient(qtbot, window):
    """Typing an ИИН-less surname and Enter opens the single match."""
    pid = saved_patient(qtbot, window)
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    type_into(qtbot, window.search.query, "Тестов")
    qtbot.keyClick(window.search.query, Qt.Key_Return)
    assert window.patient_id == pid


def test_new_card_scrolls_to_top_with_cursor_in_first_field(qtbot, window):
    """Ctrl+N from a card scrolled down: top of the card, cursor in the surname."""
    window.form_scroll.verticalScrollBar().setValue(window.form_scroll.verticalScrollBar().maximum())
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    assert window.form_scroll.verticalScrollBar().value() == 0
    assert window.form.surname.hasFocus()


def test_tab_walks_the_whole_card(qtbot, window):
    """Tab from the surname visits every input of the card in reading order."""
    form = window.form
    form.surname.setFocus()
    seen = []
    for _ in range(60):
        w = QApplication.focusWidget()
        while w is not None and w.property("field") is None and w is not form:
            w = w.parentWidget()
        if w is not None and w.property("field") and w.property("field") not in seen:
            seen.append(w.property("field"))
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
    wanted = [w.property("field") for w in form.findChildren(QWidget)
              if w.property("field") and w.isEnabled() and w.isVisibleTo(form)]
    assert set(wanted) <= set(seen), set(wanted) - set(seen)
    assert seen[:3] == ["person.surname", "person.given_name", "person.patronymic"]


def test_f1_shows_the_keys(qtbot, window):
    """F1 shows the desk's keys."""
    qtbot.keyClick(window, Qt.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "keys_box", None) is not None and window.keys_box.isVisible())
    assert "Ctrl+N" in window.keys_box.text() and "F2" in window.keys_box.text()
    window.keys_box.close()


# --- 6. the MRZ scan ------------------------------------------------------------------------------
def wedge(qtbot, widget, lines):
    """A keyboard-wedge reader: each line typed, then Enter."""
    for line in lines:
        qtbot.keyClicks(widget, line)
        qtbot.keyClick(widget, Qt.Key_Return)


def test_scanning_a_kazakh_id_card_fills_identity_and_document(qtbot, window):
    """F2 and a reader typing the TD1 zone: names, birth date, sex, ИИН, citizenship and the card."""
    qtbot.keyClick(window, Qt.Key_F2)
    dialog = window.form.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.text.hasFocus)
    wedge(qtbot, dialog.text, kz_id_card())
    qtbot.waitUntil(lambda: window.form.dialog is None)
    settle(qtbot, window)
    form = window.form
    assert (form.surname.text(), form.given_name.text(), form.latin_name.text()) == ("Testov", "Test", "TESTOV TEST")
    assert form.birth_date.value() == "1990-05-05" and form.sex.currentData() == "male"
    assert form.iin.text() == "900505300013" and form.citizenship.currentData() == "KZ"
    assert form.case()["documents"] == [{"kind": "id_card_kz", "number": "043123456", "country": "KZ",
                                         "valid_until": "2031-01-01"}]
    assert window.decision is not None


def test_pasted_passport_zone_fills_a_passport_row(qtbot, window):
    """Pasting a TD3 zone (no Enter) fills a passport row and the Latin name."""
    dialog = window.scan_mrz()
    QApplication.clipboard().setText("\n".join(TD3_ICAO))
    dialog.text.setFocus()
    qtbot.keyClick(dialog.text, Qt.Key_V, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.form.dialog is None)
    assert window.form.latin_name.text() == "ERIKSSON ANNA MARIA"
    assert window.form.case()["documents"][0]["kind"] == "passport"
    assert window.form.citizenship.currentData() is None        # UTO is no real country


def test_next_scan_after_a_bad_read_replaces_it(qtbot, window):
    """After a bad read the reader's next scan starts over and fills the card."""
    lines = kz_id_card()
    bad = [lines[0], lines[1][:14] + ("1" if lines[1][14] != "1" else "2") + lines[1][15:], lines[2]]
    dialog = window.scan_mrz()
    wedge(qtbot, dialog.text, bad)
    qtbot.waitUntil(lambda: "Строка 2" in dialog.error.text())
    wedge(qtbot, dialog.text, lines)
    qtbot.waitUntil(lambda: window.form.dialog is None)
    assert window.form.iin.text() == "900505300013"


def test_bad_read_fills_nothing_and_names_the_line(qtbot, window):
    """A zone with a wrong check digit in line 2 fills nothing and says «Строка 2»."""
    lines = kz_id_card()
    lines[1] = lines[1][:6] + ("1" if lines[1][6] != "1" else "2") + lines[1][7:]
    dialog = window.scan_mrz()
    wedge(qtbot, dialog.text, lines)
    qtbot.waitUntil(lambda: dialog.error.text() != "")
    assert window.form.dialog is dialog and dialog.isVisible()
    assert "Строка 2" in dialog.error.text() and "даты рождения" in dialog.error.text()
    assert window.form.case()["person"] == {} and window.form.case()["documents"] == []
    dialog.reject()


# --- 7. the documents dialog and the panel ------------------------------------------------------
@pytest.mark.parametrize("country, kind", [("KZ", "id_card_kz"), ("RU", "passport"), (None, "passport")])
def test_documents_dialog_starts_with_the_likely_kind(qtbot, window, country, kind):
    """A citizen of Kazakhstan: identity card first; others: passport."""
    if country:
        pick_country(qtbot, window.form.citizenship, country)
    qtbot.mouseClick(window.form.doc_add, Qt.LeftButton)
    assert window.form.dialog.kind.currentData() == kind
    window.form.dialog.reject()


def test_covers_phc_only_for_insurance_contracts(qtbot, window):
    """«Покрывает ПМСП» is shown for a ДМС contract and hidden for a passport."""
    qtbot.mouseClick(window.form.doc_add, Qt.LeftButton)
    dialog = window.form.dialog
    pick(qtbot, dialog.kind, "Иностранный паспорт")
    assert not dialog.covers_phc.isVisible()
    pick(qtbot, dialog.kind, "(ДМС)")
    assert dialog.covers_phc.isVisible()
    dialog.reject()


def test_panel_says_dms_does_not_cover_phc(qtbot, window):
    """A ДМС contract without ПМСП: the panel says so instead of «нет»."""
    from tests.gui.conftest import case_of

    case = case_of("p04")
    for d in case["documents"]:
        if d["kind"] == "dms_contract":
            d["covers_phc"] = False
    window.form.set_case(case)
    window.recompute()
    assert window.decision["attachment"]["missing_documents"] == ["dms_contract"]
    assert "договор ДМС не покрывает ПМСП" in window.panel.bodies["documents"].text()


# --- 8. the empty desk ---------------------------------------------------------------------------
def test_empty_desk_invites_without_errors(window):
    """The desk after login: an invitation to search or start, no red error anywhere."""
    assert window.panel.message.property("kind") == "empty"
    assert "Ctrl+N" in window.panel.message.text()
    assert not any(label.text() for label in window.form._errors.values())
    assert window.search.query.hasFocus()


# --- 9. the contract of `field` properties --------------------------------------------------------
CARD_FIELDS = {
    "person.surname", "person.given_name", "person.patronymic", "person.latin_name",
    "person.birth_date", "person.sex", "person.iin", "person.citizenship", "documents",
    "purpose_of_stay", "family_of_eaeu_worker", "family_of_eaeu_worker.relation",
    "family_of_eaeu_worker.lives_together", "family_of_eaeu_worker.worker_contract_until",
    "osms.status", "osms.payer", "osms.paid_months", "needs", "as_of", "diagnosis_icd10",
    "person.address", "person.phone"}


def test_every_card_input_carries_its_case_path(window):
    """Every input of the card has `field`; choices give the code by currentData(), others value()."""
    found = {w.property("field"): w for w in window.form.findChildren(QWidget) if w.property("field")}
    assert CARD_FIELDS <= set(found)
    for path, w in found.items():
        if isinstance(w, QComboBox):
            assert w.currentData() is None or path in ("needs", "referral.urgency"), path
        else:
            assert callable(getattr(w, "value", None)), path
    inputs = [w for t in (QLineEdit, QComboBox, QAbstractButton) for w in window.form.findChildren(t)
              if w.isVisibleTo(window.form) and not isinstance(w.parentWidget(), QComboBox)
              and w.objectName() not in ("scanButton",) and w.parentWidget().property("field") is None]
    missing = [w for w in inputs if w.property("field") is None and not isinstance(w, type(window.form.doc_add))]
    assert missing == []


def test_values_are_the_case_values(qtbot, window):
    """value() gives ISO dates and text, None when empty or invalid."""
    form = window.form
    assert form.surname.value() is None and form.birth_date.value() is None
    type_into(qtbot, form.surname, "  Тестов ")
    type_date(qtbot, form.birth_date, "05051990")
    assert form.surname.value() == "Тестов" and form.birth_date.value() == "1990-05-05"
    type_date(qtbot, form.birth_date, "31021990")
    assert form.birth_date.value() is None


def test_login_and_setup_inputs_carry_fields(make_window):
    """The login and first-run pages: login.login, login.password, setup.admin.*, setup.clinic.*,
    each with value() None while empty."""
    window = make_window(None)
    for page, names in ((window.login_page, ("login.login", "login.password")),
                        (window.setup_page, ("setup.admin.full_name", "setup.admin.login", "setup.admin.password",
                                              "setup.admin.repeat", "setup.clinic.name_ru", "setup.clinic.name_kk",
                                              "setup.clinic.bin", "setup.clinic.address_ru",
                                              "setup.clinic.address_kk", "setup.clinic.head"))):
        found = {w.property("field"): w for w in page.findChildren(QLineEdit) if w.property("field")}
        assert set(names) <= set(found)
        assert all(found[n].value() is None for n in names)


def test_stateless_is_chosen_on_purpose_from_its_own_words(qtbot, window):
    """«Без гр», Down, Enter in the list: statelessness, chosen on purpose; the case says null."""
    combo = window.form.citizenship
    combo.setFocus()
    key_text(qtbot, combo.lineEdit(), "Без гр")
    assert combo.itemText(1) in combo._matches.stringList()
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Down)
    popup = combo.popup_completer.popup()
    if popup.isVisible():
        qtbot.keyClick(popup, Qt.Key_Down)
        qtbot.keyClick(popup, Qt.Key_Return)
    else:                                   # no window manager: choose as the popup would
        combo.popup_completer.activated[str].emit(combo.itemText(1))
    assert window.form.case()["person"]["citizenship"] is None


def test_new_vms_contract_starts_as_covering_phc(qtbot, window):
    """A new ВМС contract starts with «Покрывает ПМСП» ticked (the core's reading of an unstated
    one); a ДМС contract starts unticked."""
    qtbot.mouseClick(window.form.doc_add, Qt.LeftButton)
    dialog = window.form.dialog
    pick(qtbot, dialog.kind, "(ВМС)")
    assert dialog.covers_phc.isChecked()
    pick(qtbot, dialog.kind, "(ДМС)")
    assert not dialog.covers_phc.isChecked()
    dialog.reject()


def test_the_referral_urgency_follows_the_need_until_chosen(qtbot, window):
    """Issue 21 item 15: emergency care makes the referral «срочная» by itself; once the
    registrar chooses the urgency, a later change of the need leaves it as chosen."""
    form = window.form
    assert form.ref_urgency.code() == "routine"
    pick(qtbot, form.needs, "экстренная помощь")
    assert form.ref_urgency.code() == "urgent"
    pick(qtbot, form.needs, "плановая помощь")
    assert form.ref_urgency.code() == "routine"
    pick(qtbot, form.needs, "экстренная помощь")
    pick(qtbot, form.ref_urgency, "плановая")          # the registrar's own choice
    pick(qtbot, form.needs, "плановая помощь")
    pick(qtbot, form.needs, "экстренная помощь")
    assert form.ref_urgency.code() == "routine"
    form.clear_case()                                   # a new card follows the need again
    pick(qtbot, form.needs, "экстренная помощь")
    assert form.ref_urgency.code() == "urgent"
