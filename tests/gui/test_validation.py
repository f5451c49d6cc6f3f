"""Inline validation beside the fields, in the interface's language."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.helpers import pick, type_date, type_into


@pytest.mark.parametrize("typed, message", [
    ("900505300014", "Неверная контрольная цифра ИИН"),
    ("9005053", "ИИН — ровно 12 цифр"),
])
def test_bad_iin_message_beside_the_field(qtbot, window, typed, message):
    """A wrong ИИН shows the reason beside the ИИН field."""
    type_into(qtbot, window.form.iin, typed)
    qtbot.waitUntil(lambda: not window.recompute_timer.isActive(), timeout=2000)
    label = window.form.error_label("person.iin")
    assert label.isVisible() and message in label.text()


def test_citizen_iin_with_impossible_date_is_refused_beside_the_field(qtbot, window):
    """A citizen's ИИН with month 13 passes the check digit but is refused beside the field."""
    window.form.citizenship.set_code("KZ")
    type_into(qtbot, window.form.iin, "791328302709")
    qtbot.waitUntil(lambda: not window.recompute_timer.isActive(), timeout=2000)
    label = window.form.error_label("person.iin")
    assert window.decision is None
    assert label.isVisible() and "начинается с даты рождения" in label.text()


def test_valid_iin_fills_birth_date_and_sex(qtbot, window):
    """A valid ИИН is confirmed and fills an empty birth date and sex from its layout."""
    type_into(qtbot, window.form.iin, "900505300013")
    assert window.form.birth_date.value() == "1990-05-05"
    assert window.form.sex.code() == "male"
    assert "корректен" in window.form.error_label("person.iin").text()


def test_valid_until_before_issued_is_refused_in_the_dialog(qtbot, window):
    """A document valid until before its issue date: message beside the date, OK disabled."""
    qtbot.mouseClick(window.form.doc_add, Qt.LeftButton)
    dialog = window.form.dialog
    pick(qtbot, dialog.kind, "Иностранный паспорт")
    type_date(qtbot, dialog.issued_on, "10012026")
    type_date(qtbot, dialog.valid_until, "01012025")
    assert dialog.error.isVisible()
    assert "раньше даты выдачи" in dialog.error.text()
    assert not dialog.ok_button.isEnabled()


def test_impossible_stored_document_dates_are_marked_in_the_table(qtbot, window):
    """A case with a document ending before it starts: the documents section names the row."""
    window.form.set_case({"person": {"citizenship": "KG"}, "documents": [
        {"kind": "passport", "valid_from": "2026-05-01", "valid_until": "2026-01-01"}]})
    window.recompute()
    label = window.form.error_label("documents[0].valid_until")
    assert label.isVisible() and "Документ 1" in label.text()
    assert window.decision is None


def test_date_field_may_stay_empty_and_clears_with_delete(qtbot, window):
    """A date typed as digits is read; Delete empties it again."""
    field = window.form.birth_date
    type_date(qtbot, field, "29022000")
    assert field.value() == "2000-02-29"
    qtbot.keyClick(field, Qt.Key_Delete)
    assert field.value() is None


def test_paid_months_editor_keeps_sorted_unique_months(qtbot, tr):
    """The months editor accepts YYYY-MM, sorts, ignores repeats, refuses other text."""
    from desktop.gui.widgets import MonthsEditor

    editor = MonthsEditor(tr)
    qtbot.addWidget(editor)
    for month in ("202610", "202609", "202610"):
        editor.entry.setFocus()
        qtbot.keyClicks(editor.entry, month)
        qtbot.keyClick(editor.entry, Qt.Key_Return)
    assert editor.months() == ["2026-09", "2026-10"]
    qtbot.keyClicks(editor.entry, "202613")
    qtbot.keyClick(editor.entry, Qt.Key_Return)
    assert not editor.error.isHidden()
    assert editor.months() == ["2026-09", "2026-10"]


def test_tab_order_walks_the_form_in_reading_order(qtbot, window):
    """Tab from the surname reaches given name, patronymic, Latin name, birth date, sex, ИИН."""
    form = window.form
    seen, widget = [], form.surname
    while len(seen) < 7:
        widget = widget.nextInFocusChain()
        if widget.focusPolicy() & Qt.TabFocus and widget.isVisible() and widget.isEnabled():
            seen.append(widget)
    assert seen[:4] == [form.given_name, form.patronymic, form.latin_name, form.birth_date]
    assert form.sex in seen and form.iin in seen
