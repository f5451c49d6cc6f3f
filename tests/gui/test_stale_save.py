"""Two desks on one registry: saving over a newer version of the card is refused and the card
offers to reload it."""
from __future__ import annotations

from desktop.store import open_registry
from tests.gui.conftest import NOW, case_of


def test_stale_save_is_refused_and_reload_shows_the_other_desks_card(qtbot, window, registry):
    """Another desk saved the card meanwhile: Save names who, changes nothing, and Reload shows theirs."""
    case = case_of("p04")
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    patient_id = window.patient_id
    other = dict(case, person=dict(case["person"], given_name="Другой"))
    with open_registry(registry.path, now=NOW) as desk2:
        desk2.save_patient(other, user="reg2", now=NOW, patient_id=patient_id,
                           expected_version=desk2.get_patient(patient_id).version)
    mine = dict(case, person=dict(case["person"], given_name="Мой"))
    window.form.set_case(mine)
    window.dirty = True
    window.answer = 0                      # "Reload"
    assert window.save() is False
    assert "reg2" in window.questions[-1]
    assert registry.get_patient(patient_id).given_name == "Другой"
    assert window.form.case()["person"]["given_name"] == "Другой"
