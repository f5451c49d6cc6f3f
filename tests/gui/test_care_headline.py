"""Revision 2: when the need is not attachment, the panel's headline answers the need (`care`)."""
from __future__ import annotations

from desktop.gui.printing.preview import kinds_for

MEASLES = {"as_of": "2026-11-22", "person": {"citizenship": "US", "surname": "Smith", "given_name": "John"},
           "purpose_of_stay": "tourism", "documents": [{"kind": "passport", "valid_until": "2030-01-01"}],
           "diagnosis_icd10": "B05", "needs": "diagnosis"}


def test_measles_of_a_tourist_reads_as_free_care(qtbot, window):
    """A tourist's measles visit: the headline says free care, the attachment refusal comes second."""
    window.form.set_case(MEASLES)
    window.recompute()
    decision = window.decision
    assert decision["care"]["free"] is True
    text = window.panel.status_text.text()
    assert text.startswith("ПОМОЩЬ БЕСПЛАТНО") and "прикрепление невозможно" in text
    assert window.panel.status_icon.text() == "✔"
    assert kinds_for(MEASLES, decision)["referral"] is True


def test_attachment_need_keeps_the_attachment_headline(qtbot, window):
    """needs attachment: the headline stays the attachment status."""
    window.form.set_case({**MEASLES, "needs": "attachment"})
    window.recompute()
    decision = window.decision
    assert decision["care"] is None
    assert window.panel.status_text.text().startswith("ПРИКРЕПЛЕНИЕ НЕВОЗМОЖНО")
