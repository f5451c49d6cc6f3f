"""`audit verify` reports every break, not only the first, and checks each printout against
the number ledger and its print entry (issue 19, item 8, the part done) — on a file and on
the server."""

from __future__ import annotations

import sqlalchemy as sa

from .support import NOW, make_case


def _tamper(registry, *statements):
    """Run statements as whoever could reach the tables directly (the append-only triggers
    lifted as an attacker with the owner's rights would)."""
    with registry.engine.begin() as con:
        if registry.location.is_server:
            con.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            con.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        for statement in statements:
            con.execute(sa.text(statement))
        if registry.location.is_server:
            con.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


def _printed(registry, admin, n):
    numbers = []
    for _ in range(n):
        number = registry.reserve_document_number(2026, NOW, kind="slip", user=admin)
        registry.store_printed(number, "slip", b"%PDF-1.4 " + number.encode(), lang="ru",
                               user=admin, now=NOW)
        numbers.append(number)
    return numbers


def test_every_break_of_the_chain_is_reported(registry, admin):
    """Two rows edited far apart: both are listed (first_broken is still the first)."""
    for n in range(6):
        registry.save_patient(make_case(f"Пациент{n}"), user=admin, now=NOW)
    ids = [e.id for e in registry.audit_entries(limit=100)][::-1]
    _tamper(registry, f"UPDATE audit_log SET \"user\" = 'x' WHERE id = {ids[1]}",
            f"UPDATE audit_log SET \"user\" = 'y' WHERE id = {ids[4]}")
    result = registry.verify_audit()
    assert not result["ok"] and result["first_broken"] == ids[1]
    assert [b["at"] for b in result["breaks"] if b["reason"] == "hash"] == [ids[1], ids[4]]


def test_a_printout_missing_from_the_ledger_or_without_its_entry_is_a_break(registry, admin):
    """A printout whose ledger row says void, another whose print entry was rewritten to name
    something else: each is reported with its number."""
    first, second, third = _printed(registry, admin, 3)
    assert registry.verify_audit()["ok"]
    _tamper(registry, f"UPDATE document_number SET status = 'void' WHERE number = '{first}'",
            f"UPDATE audit_log SET object = 'printed:X' WHERE object = 'printed:{third}'")
    breaks = registry.verify_audit()["breaks"]
    reasons = {(b["at"], b["reason"]) for b in breaks}
    assert (f"printed:{first}", "printed document is not in the number ledger as stored") in reasons
    assert (f"printed:{third}", "printed document has no print entry") in reasons
    assert not any(b["at"] == f"printed:{second}" for b in breaks)
