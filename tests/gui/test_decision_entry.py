"""Entering the example cases by keyboard and mouse, and reading the decision panel."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import case_of
from tests.gui.helpers import add_document, key_text, pick, pick_country, type_date, type_into


def enter_p04_identity(qtbot, form) -> None:
    type_into(qtbot, form.surname, "Тестов")
    type_into(qtbot, form.given_name, "Тест")
    type_date(qtbot, form.birth_date, "05051990")
    pick(qtbot, form.sex, "мужской")
    pick_country(qtbot, form.citizenship, "Кыргыз")
    pick(qtbot, form.purpose, "Трудовая")


def wait_decision(qtbot, window):
    qtbot.waitUntil(lambda: not window.recompute_timer.isActive(), timeout=2000)
    return window.decision


def test_p04_kyrgyz_worker_with_dms_is_allowed_until_contract_end(qtbot, window):
    """p04 typed field by field: eaeu_worker, allowed, until 31.03.2027 shown in words and icon."""
    form = window.form
    enter_p04_identity(qtbot, form)
    add_document(qtbot, form, "Иностранный паспорт", number="N123", country="KG", valid_until="01012031")
    add_document(qtbot, form, "Трудовой договор", valid_from="15012026", valid_until="31032027")
    add_document(qtbot, form, "(ДМС)", valid_from="15012026", valid_until="31032027", covers_phc=True)
    add_document(qtbot, form, "ВИЧ", issued="10012026")
    decision = wait_decision(qtbot, window)
    assert window.form.case()["documents"] == case_of("p04")["documents"]
    assert decision["category"] == "eaeu_worker"
    assert decision["attachment"]["status"] == "allowed"
    assert decision["attachment"]["until"] == "2027-03-31"
    panel = window.panel
    assert panel.status_icon.text() == "✔"
    assert "ПРИКРЕПЛЕНИЕ ВОЗМОЖНО" in panel.status_text.text()
    assert "31.03.2027" in panel.status_text.text()
    assert panel.category.text() == window.ref.category_name("eaeu_worker", "ru")


def test_p05_armenian_worker_needs_dms(qtbot, window):
    """p05: needs documents, with the ДМС contract marked missing in the checklist."""
    form = window.form
    type_into(qtbot, form.surname, "Тестов")
    type_into(qtbot, form.given_name, "Тест")
    type_date(qtbot, form.birth_date, "05051990")
    pick_country(qtbot, form.citizenship, "Армения")
    pick(qtbot, form.purpose, "Трудовая")
    add_document(qtbot, form, "Иностранный паспорт", number="N123", country="AM", valid_until="01012031")
    add_document(qtbot, form, "Трудовой договор", valid_from="15012026", valid_until="30062027")
    decision = wait_decision(qtbot, window)
    assert decision["attachment"]["status"] == "needs_documents"
    assert "dms_contract" in decision["attachment"]["missing_documents"]
    assert window.panel.status_icon.text() == "!"
    checklist = window.panel.bodies["documents"].text()
    dms = window.ref.document_kind_name("dms_contract", "ru")
    assert f"✖ {dms}" in checklist


def test_form_errors_replace_the_decision(qtbot, window):
    """With an invalid ИИН the panel says no decision was taken and lists the error."""
    form = window.form
    enter_p04_identity(qtbot, form)
    type_into(qtbot, form.iin, "900505300001")
    wait_decision(qtbot, window)
    assert window.decision is None
    assert "Решение не принято" in window.panel.message.text()
    assert not window.panel.status.isVisible()


def test_citation_link_shows_act_and_article(qtbot, window, ref):
    """Clicking a basis link shows the act's title and the article."""
    from tests.gui.conftest import case_of

    window.form.set_case(case_of("p04"))
    window.recompute()
    basis_id = window.decision["basis"][0]["id"]
    window.panel.bodies["basis"].linkActivated.emit(f"basis:{basis_id}")
    entry = ref.basis_entry(basis_id, "ru")
    dialog = window.panel.citation_dialog
    assert dialog is not None and dialog.isVisible()
    assert entry["article"] in dialog.article.text() and dialog.act.text()
    dialog.reject()


def test_reference_version_and_date_shown(qtbot, window, ref):
    """The panel names the decision date and the reference version used."""
    from tests.gui.conftest import case_of

    window.form.set_case(case_of("p04"))
    window.recompute()
    assert ref.version in window.panel.reference.text()
    assert "22.11.2026" in window.panel.reference.text()


def test_typing_recomputes_after_a_pause(qtbot, window):
    """A change in the form schedules a recompute (debounced), not one per keystroke."""
    key_text(qtbot, window.form.surname, "Ив")
    assert window.recompute_timer.isActive()
    qtbot.waitUntil(lambda: not window.recompute_timer.isActive(), timeout=2000)
    assert window.errors  # no citizenship yet: the panel lists the error
    assert window.form.error_label("person.citizenship").isVisible()
