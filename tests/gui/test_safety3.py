"""Data safety, third pass (issue 19) at the desk: small items."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("stored", ["1000000000000", "1e400", "-5", "nonsense"])
def test_a_huge_or_odd_inactivity_lock_is_clamped_at_sign_in(qtbot, settings, make_window, stored):
    """A lock timeout edited by hand in the settings file (a trillion minutes, an overflowing
    float, a negative or non-numeric value): signing in works and the timer runs with a value
    between one minute and a day, never an OverflowError."""
    from desktop.gui.settings import MAX_LOCK_MINUTES

    settings._q.setValue("lock_minutes", stored)   # as read back from a hand-edited file
    window = make_window("admin")
    assert window.lock_timer.isActive()
    assert 60_000 <= window.lock_timer.interval() <= MAX_LOCK_MINUTES * 60_000
    if stored == "1000000000000":
        assert window.lock_timer.interval() == MAX_LOCK_MINUTES * 60_000


def test_a_save_into_a_deleted_registry_file_is_refused_and_the_card_kept(qtbot, window, tmp_path):
    """The registry file deleted by another program while the desk is open: Save says so in
    words (not «Сохранено»), returns False, and the card stays on screen to be saved later."""
    import os

    from tests.gui.conftest import case_of

    case = case_of("p04")
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    for suffix in ("", "-wal", "-shm"):
        path = str(tmp_path / "registry.sqlite") + suffix
        if os.path.exists(path):
            os.unlink(path)
    window.form.set_case(dict(case, person=dict(case["person"], given_name="Другой")))
    window.dirty = True
    assert window.save() is False
    assert "удалён другой программой" in window.questions[-1]
    assert "удалён" in window.statusBar().currentMessage()
    assert window.dirty and window.form.case()["person"]["given_name"] == "Другой"
