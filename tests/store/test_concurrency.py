"""Several desks at once on the clinic's server: real processes against the real PostgreSQL
server the tests start. 0 duplicates, 0 lost writes, every refusal a clear message."""

from __future__ import annotations

import multiprocessing

import pytest
import sqlalchemy as sa

from desktop.store import open_registry

from .support import NOW, make_case, make_decision

pytestmark = pytest.mark.postgresql
DESKS = 6


@pytest.fixture(scope="module")
def desks():
    """Six desk processes (spawned: each imports and connects on its own), reused by the tests."""
    with multiprocessing.get_context("spawn").Pool(DESKS) as pool:
        yield pool


def _first_start(url):
    with open_registry(url, now=NOW) as registry:
        return registry.schema_revision()


def _seed_at_start(args):
    import time

    url, start = args
    with open_registry(url, now=NOW) as registry:
        registry.search("0")
        time.sleep(max(0.0, start - time.time()))
        return registry.seed_prices([{"code": f"P{n}", "name_ru": f"Услуга {n}", "price": "100",
                                      "valid_from": "2026-01-01"} for n in range(5)], now=NOW)


def test_desks_starting_at_once_seed_the_price_list_once(pg_url, desks):
    """Six desks seeding the price list at the same moment on a new server registry: one desk
    loads it, the others find it there (5 prices, not 30)."""
    import time

    open_registry(pg_url, now=NOW).close()
    start = time.time() + 3
    added = desks.map(_seed_at_start, [(pg_url, start)] * DESKS)
    with open_registry(pg_url, now=NOW) as registry:
        with registry.engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM price_item").scalar()
    assert sorted(added) == [0] * (DESKS - 1) + [5] and count == 5


def _save_same_people(args):
    """One desk saving the same new people the other desks save."""
    from desktop.store import Conflict

    import time

    url, iins, start = args
    outcomes = []
    with open_registry(url, now=NOW) as registry:
        registry.search("0")           # connected and warm before the start signal
        time.sleep(max(0.0, start - time.time()))
        for iin in iins:
            try:
                outcomes.append(("saved", registry.save_patient(make_case(iin=iin), user="reg",
                                                                now=NOW)))
            except Conflict as exc:
                outcomes.append(("conflict", str(exc)))
    return outcomes


def _take_numbers(args):
    import time

    url, count, start = args
    with open_registry(url, now=NOW) as registry:
        registry.search("0")           # connected and warm before the start signal
        time.sleep(max(0.0, start - time.time()))
        return [registry.reserve_document_number(2026, NOW, kind="slip", user=f"desk{i}")
                for i in range(count)]


def _export(args):
    url, folder, desk = args
    with open_registry(url, now=NOW) as registry:
        result = registry.export_attachments(f"{folder}/{desk}.csv", f"{folder}/{desk}.json",
                                             now=NOW, user="admin")
    return 0 if result.get("resumed") else result["count"]


def _iins(n):
    """n valid citizens' ИИН (date 79-10-28, century digit 3, serial, check digit)."""
    out = []
    serial = 0
    while len(out) < n:
        serial += 1
        body = f"7910283{serial:04d}"
        digits = [int(c) for c in body]
        check = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
        if check == 10:
            check = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
        if check != 10:
            out.append(body + str(check))
    return out


def test_desks_starting_at_once_migrate_once(pg_url, desks):
    """Six desks opening a new server database at once: one schema, one version row."""
    revisions = desks.map(_first_start, [pg_url] * DESKS)
    assert len(set(revisions)) == 1 and revisions[0] is not None
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    engine.dispose()


def test_desks_saving_the_same_new_iin_make_one_patient(pg_url, desks):
    """Six desks saving the same 20 new ИИН at once: 20 patients; a desk that lost a race
    is told the patient was just saved at another desk (the unique index refused it) or, when
    the other desk's save was already committed, who holds the ИИН (IinTaken)."""
    open_registry(pg_url, now=NOW).close()
    iins = _iins(20)
    import time

    start = time.time() + 3
    results = desks.map(_save_same_people, [(pg_url, iins, start)] * DESKS)
    with open_registry(pg_url, now=NOW) as registry:
        with registry.engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM patient").scalar()
    assert count == 20
    conflicts = [message for desk in results for kind, message in desk if kind == "conflict"]
    assert conflicts and all(("другом окне" in m and "another desk" in m)
                             or ("уже у пациента" in m and "already belongs to patient" in m)
                             for m in conflicts), conflicts


def test_desks_taking_numbers_at_once_never_share_one(pg_url, desks):
    """Six desks taking 30 numbers each at once, starting on the same signal before the year's
    counter row exists: 180 different numbers, none skipped, each reserved once in the ledger."""
    import time

    open_registry(pg_url, now=NOW).close()
    start = time.time() + 3
    numbers = [n for desk in desks.map(_take_numbers, [(pg_url, 30, start)] * DESKS) for n in desk]
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, 181)]
    with open_registry(pg_url, now=NOW) as registry:
        ledger = [r.number for r in registry.document_numbers()]
    assert sorted(ledger) == sorted(numbers)


def _audit_and_save(args):
    import time

    url, desk, start = args
    with open_registry(url, now=NOW) as registry:
        registry.search("0")
        time.sleep(max(0.0, start - time.time()))
        for n in range(15):
            pid = registry.save_patient(make_case(surname=f"Журнал{desk}-{n}"), user=f"d{desk}",
                                        now=NOW)
            registry.log(user=f"d{desk}", action="view", obj=f"patient:{pid}", now=NOW)
    return desk


def test_desks_writing_at_once_keep_one_audit_chain(pg_url, desks):
    """Six desks appending to the audit log at once (saves and views): every row chained to the
    one before, none lost, and the chain verifies."""
    import time

    open_registry(pg_url, now=NOW).close()
    start = time.time() + 3
    desks.map(_audit_and_save, [(pg_url, d, start) for d in range(DESKS)])
    with open_registry(pg_url, now=NOW) as registry:
        result = registry.verify_audit()
        views = registry.audit_entries(action="view", limit=None)
    assert result["ok"], result
    assert len(views) == DESKS * 15


def test_desks_exporting_at_once_send_each_attachment_once(pg_url, tmp_path, desks):
    """Four desks exporting 50 allowed attachments at once: 50 outbox rows, each decision
    once, and the counts of the batches they staged add up to 50 (a desk that finds another's
    batch staged finishes that one: resumed, not counted again)."""
    with open_registry(pg_url, now=NOW) as registry:
        registry.create_user("admin", "pw-admin-secret", full_name="A", role="admin", now=NOW)
        for n in range(50):
            pid = registry.save_patient(make_case(surname=f"Иванов{n}"), user="admin", now=NOW)
            registry.record_decision(pid, make_decision(), user="admin", now=NOW)
    counts = desks.map(_export, [(pg_url, str(tmp_path), d) for d in range(4)], chunksize=1)
    with open_registry(pg_url, now=NOW) as registry:
        decisions = [row.decision_id for row in registry.exported()]
    assert sum(counts) == 50 and len(decisions) == 50 and len(set(decisions)) == 50


def test_the_desk_that_loses_the_race_for_an_iin_is_told_so(pg_url):
    """Another desk's insert of the same ИИН, committed while this desk's insert waits on the
    unique index: this desk gets a Conflict saying so, and one patient stays."""
    import threading
    import time

    import psycopg

    from desktop.store import Conflict

    with open_registry(pg_url, now=NOW) as registry:
        other = psycopg.connect(pg_url)
        other.execute("INSERT INTO patient (iin, surname_key, given_key, latin_key, case_json, "
                      "created_at, created_by, updated_at, updated_by) VALUES ('791028302728', "
                      "'', '', '', '{}', '2026-11-22T09:30:00+05:00', 'desk2', '2026-11-22T09:30:00+05:00', "
                      "'desk2')")
        outcome = {}

        def save():
            try:
                outcome["id"] = registry.save_patient(make_case(iin="791028302728"), user="desk1",
                                                      now=NOW)
            except Conflict as exc:
                outcome["conflict"] = str(exc)

        thread = threading.Thread(target=save)
        thread.start()
        time.sleep(1.0)               # desk 1 is now waiting on the unique index
        other.commit()
        other.close()
        thread.join(30)
        assert "другом окне" in outcome.get("conflict", "")
        assert len(registry.search("791028302728")) == 1


def _edit_same_card(args):
    """One desk editing the same card over and over: read its version, save over it; a stale
    save is refused and the desk reloads. Returns (saves that went through, refusals)."""
    import time

    from desktop.store.registry import StaleRecord

    url, pid, desk, start = args
    saved = refused = 0
    with open_registry(url, now=NOW) as registry:
        registry.search("0")
        time.sleep(max(0.0, start - time.time()))
        for n in range(20):
            version = registry.get_patient(pid).version
            try:
                registry.save_patient(make_case(given_name=f"Desk{desk}-{n}"), user=f"d{desk}",
                                      now=NOW, patient_id=pid, expected_version=version)
                saved += 1
            except StaleRecord:
                refused += 1
    return saved, refused


def test_desks_editing_one_card_at_once_lose_no_edit(pg_url, desks):
    """Six desks saving the same card 20 times each at once: every save that went through made
    its own version (none overwritten unseen), every other one was refused as stale."""
    import time

    with open_registry(pg_url, now=NOW) as registry:
        pid = registry.save_patient(make_case(), user="reg", now=NOW)
    start = time.time() + 3
    results = desks.map(_edit_same_card, [(pg_url, pid, d, start) for d in range(DESKS)])
    saved = sum(r[0] for r in results)
    with open_registry(pg_url, now=NOW) as registry:
        version = registry.get_patient(pid).version
        updates = registry.audit_entries(action="update", obj=f"patient:{pid}", limit=None)
    assert saved + sum(r[1] for r in results) == DESKS * 20
    assert version == saved + 1 and len(updates) == saved


def _first_admin(args):
    """One desk's first run: create the first administrator (no one signed in)."""
    import time

    from desktop.store import PermissionDenied

    url, desk, start = args
    with open_registry(url, now=NOW) as registry:
        registry.password_log2n = 10   # the race is the transaction, not the hashing before it
        registry.search("0")
        time.sleep(max(0.0, start - time.time()))
        try:
            registry.create_user(f"admin{desk}", f"first-admin-{desk}x", full_name=f"A{desk}",
                                 role="admin", now=NOW)
            return "created"
        except PermissionDenied as exc:
            return str(exc)


def test_desks_at_first_run_at_once_make_one_administrator(pg_url, desks):
    """Six desks at the first-run page creating the first administrator at the same moment
    (10 rounds on a new registry): one account is made without signing in; the others are told
    only an administrator may create accounts (first run is over)."""
    import time

    for _ in range(10):
        with open_registry(pg_url, now=NOW) as registry, registry.engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE app_user")  # a registry that never had one
        start = time.time() + 1.5
        outcomes = desks.map(_first_admin, [(pg_url, d, start) for d in range(DESKS)])
        with open_registry(pg_url, now=NOW) as registry:
            admins = [u.login for u in registry.users() if u.role == "admin"]
        assert outcomes.count("created") == 1 and len(admins) == 1, (outcomes, admins)
        assert all("администратор" in o for o in outcomes if o != "created")


def _lock_the_other(args):
    import time

    from desktop.store import Conflict, PermissionDenied

    url, me, other, start = args
    with open_registry(url, now=NOW) as registry:
        registry.search("0")
        if registry.login(me, f"{me}-secret-1", now=NOW) is None:  # the server checks who acts
            return f"{me} could not sign in"
        time.sleep(max(0.0, start - time.time()))
        try:
            registry.set_user_active(other, False, actor=me, now=NOW)
            return "locked"
        except (Conflict, PermissionDenied) as exc:
            return str(exc)


def test_two_administrators_locking_each_other_at_once_leave_one_active(pg_url, desks):
    """The only two administrators lock each other at two desks at the same moment, 10 rounds:
    one lock goes through, the other is refused; an active administrator always remains."""
    import time

    with open_registry(pg_url, now=NOW) as registry:
        registry.create_user("anna", "anna-secret-1", full_name="A", role="admin", now=NOW)
        registry.create_user("bota", "bota-secret-1", full_name="B", role="admin", now=NOW,
                             actor="anna")
    for _ in range(10):
        start = time.time() + 1.5
        outcomes = desks.map(_lock_the_other, [(pg_url, "anna", "bota", start),
                                               (pg_url, "bota", "anna", start)], chunksize=1)
        with open_registry(pg_url, now=NOW) as registry:
            active = [u.login for u in registry.users() if u.role == "admin" and u.active]
            assert outcomes.count("locked") == 1 and len(active) == 1, (outcomes, active)
            locked = ({"anna", "bota"} - set(active)).pop()
            assert registry.login(active[0], f"{active[0]}-secret-1", now=NOW)
            registry.set_user_active(locked, True, actor=active[0], now=NOW)
