"""The registrar's «Возможный дубль» banner on a stored card, with «Сообщить администратору»."""
from __future__ import annotations

from tests.gui.conftest import NOW, TODAY

from .test_duplicates import _case


def test_registrar_reports_a_possible_duplicate_from_the_card(qtbot, make_window, registry):
    """A stored card with a likely duplicate shows «Возможный дубль» and «Сообщить
    администратору»; the report puts the pair first on the administrator's list."""
    from desktop.core.duplicates import weights_on

    window = make_window("reg")
    c = registry.save_patient(_case("Хасанов", "Рустам", birth_date="1990-01-01"), user="reg", now=NOW)
    d = registry.save_patient(_case("Петров", "Пётр", birth_date="1990-01-01"), user="reg", now=NOW)
    twin = window.registry.save_patient(_case("Хасанов", "Рустам", birth_date="1990-01-01",
                                              patronymic="Ильдарович"), user="reg", now=NOW)
    window.open_patient(twin)
    assert window.form.banner.isVisibleTo(window) and window.form.banner_report.isVisibleTo(window)
    assert window.form.banner_text.text().startswith("Возможный дубль")
    window.form.banner_report.click()
    assert not window.form.banner_report.isEnabled()
    flags = registry.open_flags()
    assert [(f.patient_id, f.flagged_by) for f in flags] == [(twin, "reg")]
    pairs = registry.duplicate_pairs(weights_on(window.ref, TODAY))
    assert (pairs[0]["keep"], pairs[0]["other"], pairs[0]["flagged"]) == (c, twin, True)
    assert d not in {p["keep"] for p in pairs} | {p["other"] for p in pairs}
