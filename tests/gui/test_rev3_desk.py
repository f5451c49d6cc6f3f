"""Revision 3 at the desk (issue 20): the card offers the PHC visit as a need and the headline
answers it in Russian and Kazakh; the ОСМС section says «нет платежей» on purpose."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.helpers import pick

UNINSURED = {"as_of": "2026-11-22",
             "person": {"citizenship": "KZ", "surname": "Ахметов", "given_name": "Болат", "birth_date": "1980-04-04",
                        "sex": "male"},
             "documents": [{"kind": "id_card_kz", "valid_until": "2030-01-01"}],
             "osms": {"status": "not_insured"}}


def test_the_card_offers_the_district_doctor_in_both_languages(qtbot, window):
    items = [window.form.needs.itemText(i) for i in range(window.form.needs.count())]
    assert "Приём участкового врача" in items
    window.switch_language("kk")
    items = [window.form.needs.itemText(i) for i in range(window.form.needs.count())]
    assert "Учаскелік дәрігердің қабылдауы" in items


def test_headline_answers_the_district_doctor(qtbot, window):
    """An uninsured citizen at the district doctor: free under ГОБМП, the headline names the need."""
    window.form.set_case(UNINSURED)
    pick(qtbot, window.form.needs, "Приём участкового врача")
    window.recompute()
    assert window.form.case()["needs"] == "phc"
    assert (window.decision["care"]["free"], window.decision["care"]["scheme"]) == (True, "GOBMP")
    text = window.panel.status_text.text()
    assert text.startswith("ПОМОЩЬ БЕСПЛАТНО") and "Приём участкового врача: ГОБМП — в полном объеме" in text
    window.switch_language("kk")
    text = window.panel.status_text.text()
    assert text.startswith("КӨМЕК ТЕГІН") and "Учаскелік дәрігердің қабылдауы: ТМККК — толық көлемде" in text


def test_headline_of_an_uninsured_citizen_needing_a_specialist_is_paid(qtbot, window):
    window.form.set_case({**UNINSURED, "needs": "planned"})
    window.recompute()
    assert (window.decision["care"]["free"], window.decision["care"]["payment"]) == (False, "price_list")
    text = window.panel.status_text.text()
    assert text.startswith("ПОМОЩЬ ПЛАТНО") and "по прейскуранту" in text
    assert window.panel.status_icon.text() == "!"
    assert any("социально значимых" in s for s in window.decision["explanation"])


def test_no_payments_is_said_on_purpose(qtbot, window):
    """Empty months: nothing known (status unknown); «нет платежей» checked: nothing paid, not insured."""
    case = {**UNINSURED, "osms": {"status": "unknown", "payer": "employee"}}
    window.form.set_case(case)
    window.recompute()
    assert "paid_months" not in window.form.case()["osms"]
    assert window.decision["osms"]["insured"] is None
    window.form.no_payments.setFocus()
    qtbot.keyClick(window.form.no_payments, Qt.Key_Space)
    assert window.form.no_payments.isChecked()
    window.recompute()
    assert window.form.case()["osms"]["paid_months"] == []
    assert not window.form.paid_months.isEnabled()
    o = window.decision["osms"]
    assert (o["insured"], o["source"], o["regain"]["months"]) == (False, "computed", 12)
    # a stored card with an empty list comes back with the box checked
    stored = window.form.case()
    window.form.set_case({**UNINSURED})
    assert not window.form.no_payments.isChecked() and window.form.paid_months.isEnabled()
    window.form.set_case(stored)
    assert window.form.no_payments.isChecked()
    window.switch_language("kk")
    assert window.form.no_payments.text().startswith("Төлемдер жоқ")
