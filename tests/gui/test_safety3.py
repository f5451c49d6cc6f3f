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
