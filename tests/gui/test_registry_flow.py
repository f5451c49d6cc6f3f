"""Saving, finding, duplicates, history and re-deciding an opened patient."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import NOW, case_of
from tests.gui.helpers import key_text, type_into


def saved_p04(window) -> int:
    case = case_of("p04")
    case["person"]["latin_name"] = "TESTOV TEST"
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    return window.patient_id


@pytest.mark.parametrize("query", ["", "Testo", "Тест", "N123"])
def test_saved_patient_is_found_again(qtbot, window, query):
    """After Save the patient is found by ИИН, Latin or Cyrillic surname prefix, document number."""
    case = case_of("p04")
    case["person"]["iin"] = "900505300013"
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    type_into(qtbot, window.search.query, query or "900505300013")
    qtbot.keyClick(window.search.query, Qt.Key_Return)
    assert window.search.model.rowCount() == 1
    assert window.search.model.rows[0].id == window.patient_id


def test_save_stores_the_decision_with_user_and_time(qtbot, window, registry):
    """One Save stores the patient and the decision on screen, as the user, at the clock's time."""
    patient_id = saved_p04(window)
    stored = registry.latest_decision(patient_id)
    assert stored.user == "admin" and stored.taken_at == NOW
    assert stored.category == "eaeu_worker" and stored.attachment_status == "allowed"
    assert window.dirty is False


def test_history_lists_the_saved_decision(qtbot, window):
    """The history tab lists the decision just saved, newest first."""
    saved_p04(window)
    model = window.history.model
    assert model.rowCount() == 1
    assert "трудящийся" in model.data(model.index(0, 3))


def test_duplicate_banner_when_leaving_the_name(qtbot, window):
    """Same name and birth date as a stored patient: a banner offers to open that record."""
    patient_id = saved_p04(window)
    window.new_patient()
    form = window.form
    type_into(qtbot, form.surname, "Тестов")
    type_into(qtbot, form.given_name, "Тест")
    form.birth_date.setValue("1990-05-05")
    form.given_name.setFocus()
    qtbot.keyClick(form.given_name, Qt.Key_Tab)   # leaving the field
    assert form.banner.isVisible()
    qtbot.mouseClick(form.banner_open, Qt.LeftButton)
    assert window.patient_id == patient_id


def test_save_warns_about_a_likely_duplicate(qtbot, window):
    """Saving a new record that looks like a stored one asks first; "open" opens the stored one."""
    patient_id = saved_p04(window)
    window.new_patient()
    window.form.set_case(case_of("p04"))
    window.answer = 0    # "open the existing record"
    assert window.save() is False
    assert window.questions and "Тестов" in window.questions[-1]
    assert window.patient_id == patient_id


def test_opened_patient_is_redecided_today_with_changes_highlighted(qtbot, window, registry):
    """Opening a patient re-takes the decision as of today; a change from the stored one is shown."""
    case = case_of("p04")
    case["as_of"] = "2027-06-01"   # stored when the contracts had lapsed
    window.form.set_case(case)
    window.dirty = True
    window.save()
    window.new_patient()
    window.open_patient(window.patient_id or registry.search("Тестов")[0].id)
    assert window.form.as_of.value() == "2026-11-22"
    assert window.decision["attachment"]["status"] == "allowed"
    assert window.panel.changes.isVisible()
    assert "было" in window.panel.changes.text()


def test_unsaved_changes_prompt_on_new(qtbot, window):
    """Ctrl+N with unsaved changes asks; "cancel" keeps the form."""
    key_text(qtbot, window.form.surname, "Иванов")
    window.answer = 2
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    assert window.questions
    assert window.form.surname.text() == "Иванов"


def test_new_card_with_a_stored_iin_is_refused_naming_the_holder(qtbot, window, registry):
    """A new card carrying the ИИН of a stored patient (another name): no «save as new», the
    save is refused naming the holder, only «Открыть карту» or cancel; he stays as he was."""
    case = case_of("p04")
    case["person"]["iin"] = "900505300013"
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    holder = window.patient_id
    window.new_patient()
    other = case_of("p04")
    other["person"].update(iin="900505300013", surname="Сидорова", given_name="Анна",
                           birth_date="1985-01-01", sex="female")
    window.form.set_case(other)
    window.dirty = True
    offered = []
    window._ask = lambda title, text, buttons: (offered.append((text, [b[0] for b in buttons])), 1)[1]
    assert window.save() is False
    text, buttons = offered[-1]
    assert "Тестов Тест" in text and "900505300013" in text
    assert buttons == ["Открыть карту", "Отмена"]
    assert window.patient_id is None and window.form.case()["person"]["surname"] == "Сидорова"
    stored = registry.get_patient(holder)
    assert (stored.surname, stored.version) == ("Тестов", 1)
    assert registry.search("Сидорова") == []
    window._ask = lambda title, text, buttons: 0      # «Открыть карту»
    assert window.save() is False
    assert window.patient_id == holder
    assert window.form.case()["person"]["surname"] == "Тестов"
