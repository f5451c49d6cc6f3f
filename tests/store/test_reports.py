"""The reports engine on both backends: figures checked against counts made here from the
registry the test builds (known patients, decisions at known times, printouts, audit)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from desktop.store.reports import ReportParamsError, patients_behind, run_report, to_json

from .support import make_case

TZ = timezone(timedelta(hours=5))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


# (surname, sex, birth, citizenship, [(day, hour, category, status, channels, user)])
PEOPLE = [
    ("Алиев", "male", "1990-05-01", "UZ", [(3, 9, "eaeu_worker", "allowed", ["clinic"], "reg")]),
    ("Бекова", "female", "2022-01-10", "KZ", [(3, 10, "citizen", "allowed", ["clinic", "egov"], "reg")]),
    ("Ванина", "female", "1950-12-31", "RU", [(3, 11, "eaeu_worker", "needs_documents", ["clinic"], "admin"),
                                              (3, 15, "eaeu_worker", "allowed", ["clinic"], "admin")]),
    ("Гусейнов", "male", "2010-11-03", "AZ", [(4, 9, "temporary_foreigner", "not_allowed", [], "reg")]),
    ("Дамиров", None, "2009-06-01", None, [(4, 12, "stateless", "needs_documents", ["clinic"], "reg")]),
    ("Ержанов", "male", "1985-03-03", "KZ", [(5, 9, "citizen", "allowed", ["clinic", "egov"], "reg"),
                                             (20, 9, "citizen", "allowed", ["clinic", "egov"], "reg")]),
    ("Жукова", "female", "1966-02-02", "RU", [(30, 9, "eaeu_worker", "allowed", ["clinic"], "reg")]),
]
# the channel each card says the application came through (the others do not say: the desk)
CHANNEL_OF = {"Бекова": "egov", "Ванина": "egov", "Гусейнов": "clinic"}
START, END = date(2026, 11, 3), date(2026, 11, 20)   # Жукова's decision is outside the period


def decision(category, status, channels, as_of, version="ref-1"):
    return {"as_of": as_of, "category": category,
            "attachment": {"status": status, "channels": channels, "until": "2027-02-28",
                           "missing_documents": ["dms_contract"] if status == "needs_documents" else []},
            "coverage": [{"scheme": "GOBMP", "scope": "emergency", "basis": []},
                         *([{"scheme": "OSMS", "scope": "full", "basis": []}] if category == "citizen" else [])],
            "osms": {"insured": None, "until": None, "source": "unknown"},
            "reference": {"version": version}}


@pytest.fixture
def built(registry, registrar):
    ids = {}
    for surname, sex, birth, citizenship, decisions in PEOPLE:
        case = make_case(surname=surname, given_name="Тест", birth_date=birth,
                         citizenship=citizenship, **({"sex": sex} if sex else {}))
        if surname in CHANNEL_OF:
            case["attachment_channel"] = CHANNEL_OF[surname]
        first = decisions[0]
        pid = registry.save_patient(case, user=first[5], now=at(first[0], first[1]))
        ids[surname] = pid
        for day, hour, category, status, channels, user in decisions:
            version = "ref-2" if day >= 20 else "ref-1"
            registry.record_decision(pid, decision(category, status, channels,
                                                   f"2026-11-{day:02d}", version),
                                     user=user, now=at(day, hour, 1))
    # printouts: a slip for Алиев on the 3rd; two estimates (one on the 4th, one after the period)
    lines = [{"code": "A01", "name_ru": "Флюорография", "name_kk": "Флюорография",
              "quantity": "1", "price": "2500.00", "amount": "2500.00"},
             {"code": "B02", "name_ru": "Анализ", "name_kk": "Талдау",
              "quantity": "2", "price": "1200.50", "amount": "2401.00"}]
    for n, (number, kind, pid, when, user, details) in enumerate([
            ("2026-000001", "slip", ids["Алиев"], at(3, 9, 5), "reg", None),
            ("2026-000002", "estimate", ids["Гусейнов"], at(4, 9, 10), "reg",
             {"lines": lines, "category": "temporary_foreigner", "reference_version": "ref-1"}),
            ("2026-000003", "estimate", ids["Алиев"], at(4, 10), "admin",
             {"lines": lines[:1], "category": "eaeu_worker", "reference_version": "ref-1"}),
            ("2026-000004", "estimate", ids["Жукова"], at(30, 10), "reg",
             {"lines": lines[:1], "category": "eaeu_worker", "reference_version": "ref-2"})]):
        registry.reserve_document_number(2026, when, kind=kind, user=user)
        registry.store_printed(number, kind, b"%PDF-1.4 test " + number.encode(), lang="ru",
                               user=user, now=when, patient_id=pid, details=details)
    return ids


def params():
    return {"from": START.isoformat(), "to": END.isoformat()}


def in_period(day):
    return START.day <= day <= END.day


def applications():
    """Independently: each patient's last decision of each day within the period."""
    out = []
    for surname, sex, birth, citizenship, decisions in PEOPLE:
        per_day = {}
        for d in decisions:
            if in_period(d[0]):
                per_day[d[0]] = d
        for d in per_day.values():
            out.append((surname, sex, birth, citizenship, *d))
    return out


def test_summary_results_by_category_channel(registry, built, now):
    """By the channel the application came through (the card's), not the ones the decision
    allowed: Ержанов may attach through eGov too, but his card was made at the desk."""
    result = run_report(registry, "summary", params(), user="admin", now=now)
    section = result["sections"][0]
    expected = Counter()
    for surname, _, _, _, day, hour, category, status, allowed, _ in applications():
        expected[(category, CHANNEL_OF.get(surname, "clinic"), status)] += 1
    got = Counter()
    for row in section["rows"]:
        for status in ("allowed", "needs_documents", "not_allowed"):
            if row[status]:
                got[(row["category"], row["channel"], status)] += row[status]
        assert row["total"] == row["allowed"] + row["needs_documents"] + row["not_allowed"]
    assert got == expected
    assert section["totals"]["total"] == len(applications()) == 7
    assert result["reference_versions"] == ["ref-1", "ref-2"]
    assert result["made_by"] == "admin" and result["params"] == params()


def test_summary_sex_age_citizenship_grounds_days(registry, built, now):
    result = run_report(registry, "summary", params(), user="admin", now=now)
    sections = {s["key"]: s for s in result["sections"]}
    bands = ((0, 4), (5, 14), (15, 17), (18, 39), (40, 59), (60, 200))
    expected_age = Counter()
    expected_cit, expected_ground, expected_days = Counter(), Counter(), Counter()
    for surname, sex, birth, citizenship, day, hour, category, status, channels, _ in applications():
        b = date.fromisoformat(birth)
        on = date(2026, 11, day)
        age = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
        lo, hi = next(x for x in bands if x[0] <= age <= x[1])
        expected_age[(sex, f"{lo}+" if hi == 200 else f"{lo}-{hi}")] += 1
        if citizenship != "KZ":
            expected_cit[(citizenship, status)] += 1
        if status != "allowed":
            expected_ground[("documents_incomplete" if status == "needs_documents"
                             else "requirements_not_met", category)] += 1
        expected_days[on] += 1
    got_age = Counter()
    for row in sections["age"]["rows"]:
        for key, value in row.items():
            if key not in ("sex", "total", "unknown_age") and value:
                got_age[(row["sex"], key)] += value
    assert got_age == expected_age
    got_cit = Counter({(r["citizenship"], s): r[s] for r in sections["foreigners"]["rows"]
                       for s in ("allowed", "needs_documents", "not_allowed") if r[s]})
    assert got_cit == expected_cit
    assert Counter({(r["ground"], r["category"]): r["count"]
                    for r in sections["grounds"]["rows"]}) == expected_ground
    assert {r["day"]: r["total"] for r in sections["days"]["rows"]} == dict(expected_days)


def test_journal_lists_every_decision_of_the_day(registry, built, now):
    result = run_report(registry, "journal", {"on": "2026-11-03"}, user="reg", now=now)
    rows = result["rows"]
    expected = sorted((datetime(2026, 11, d[0], d[1], 1, tzinfo=TZ), s, d[3], d[5])
                      for s, _, _, _, ds in PEOPLE for d in ds if d[0] == 3)
    assert [(r["time"], r["patient"].split()[0], r["status"], r["user"]) for r in rows] == expected
    alijev = next(r for r in rows if r["patient"].startswith("Алиев"))
    assert alijev["documents"] == "slip № 2026-000001"
    assert alijev["schemes"] == "GOBMP" and alijev["channel"] == "clinic"
    bekova = next(r for r in rows if r["patient"].startswith("Бекова"))
    assert bekova["channel"] == "egov"
    assert result["totals"]["decisions"] == 4 and result["totals"]["patients"] == 3
    assert result["totals"]["printed"] == 1
    assert result["reference_versions"] == ["ref-1"]


def test_paid_services(registry, built, now):
    result = run_report(registry, "paid-services", params(), user="admin", now=now)
    by_code = {r["code"]: r for r in result["sections"][0]["rows"]}
    assert by_code["A01"]["estimates"] == 2 and by_code["A01"]["amount"] == Decimal("5000.00")
    assert by_code["B02"]["quantity"] == Decimal("2") and by_code["B02"]["amount"] == Decimal("2401.00")
    assert result["totals"]["amount"] == Decimal("7401.00")
    assert result["totals"]["estimates"] == 2
    cats = {r["category"]: r["amount"] for r in result["sections"][1]["rows"]}
    assert cats == {"temporary_foreigner": Decimal("4901.00"), "eaeu_worker": Decimal("2500.00")}
    assert result["vocab"]["service"]["B02"] == ("Анализ", "Талдау")


def test_registrars_from_the_audit_log(registry, built, now):
    result = run_report(registry, "registrars", params(), user="admin", now=now)
    rows = {(r["user"], r["day"]): r for r in result["rows"]}
    # independently: cards created, decisions and printouts per user and day
    expected = Counter()
    for surname, _, _, _, decisions in PEOPLE:
        first = decisions[0]
        if in_period(first[0]):
            expected[(first[5], first[0], "new_cards")] += 1
        for d in decisions:
            if in_period(d[0]):
                expected[(d[5], d[0], "decisions")] += 1
    expected[("reg", 3, "printouts")] += 1
    expected[("reg", 4, "printouts")] += 1
    expected[("admin", 4, "printouts")] += 1
    got = Counter()
    for (user, day), r in rows.items():
        for key in ("new_cards", "decisions", "printouts"):
            if r[key]:
                got[(user, day.day, key)] += r[key]
    assert got == expected
    assert rows[("reg", date(2026, 11, 3))]["patients"] == 2    # Алиев, Бекова
    assert rows[("admin", date(2026, 11, 4))]["patients"] == 1  # Алиев's estimate


def test_lapsing_is_the_worklist(registry, built, now):
    pid = registry.save_patient(make_case(surname="Контрактов", documents=[
        {"kind": "dms_contract", "valid_until": "2026-11-10"}]), user="reg", now=at(1, 9))
    result = run_report(registry, "lapsing", params(), user="reg", now=now)
    items = registry.worklist(START, (END - START).days)
    assert [(r["until"], r["ends"]) for r in result["rows"]] == [(i.until, i.ends) for i in items]
    assert any(r["patient"].startswith("Контрактов") for r in result["rows"])
    assert patients_behind(registry, "lapsing", params(), "worklist")[0]["patient_id"] == pid


def test_patients_behind_a_figure(registry, built, now):
    p = params()
    behind = patients_behind(registry, "summary", p, "results",
                             {"category": "eaeu_worker", "channel": "clinic"}, "allowed")
    assert [x["name"].split()[0] for x in behind] == ["Алиев"]
    behind = patients_behind(registry, "summary", p, "results",
                             {"category": "eaeu_worker", "channel": "egov"}, "allowed")
    assert [x["name"].split()[0] for x in behind] == ["Ванина"]
    refused = patients_behind(registry, "summary", p, "results", None, "not_allowed")
    assert [x["patient_id"] for x in refused] == [built["Гусейнов"]]
    all_ = patients_behind(registry, "summary", p, "results")
    assert len(all_) == 6   # Жукова is outside the period


def test_same_figures_later_and_json(registry, built, now):
    first = to_json(run_report(registry, "summary", params(), user="admin", now=now))
    # a later decision for another day does not change the period's figures
    registry.record_decision(built["Алиев"], decision("eaeu_worker", "not_allowed", [], "2026-11-25"),
                             user="reg", now=at(25, 9))
    again = to_json(run_report(registry, "summary", params(), user="admin", now=now))
    assert first == again
    assert set(first) >= {"report", "params", "columns", "rows", "totals"}


def test_bad_parameters(registry, now):
    with pytest.raises(ReportParamsError, match="--to"):
        run_report(registry, "summary", {"from": "2026-11-10", "to": "2026-11-01"}, user="a", now=now)
    with pytest.raises(ReportParamsError, match="no report"):
        run_report(registry, "nonesuch", {}, user="a", now=now)
    with pytest.raises(ReportParamsError, match="--on"):
        run_report(registry, "journal", {"on": "03.11.2026"}, user="a", now=now)


@pytest.mark.sqlite_only
def test_migration_0007_fills_the_report_columns_from_stored_decisions(tmp_path, now):
    """A registry of schema 0004 with decisions: after the upgrade each decision has its
    channels, schemes, the patient's sex, birth date, citizenship, and only the day's last
    decision of a patient counts as the application."""
    import json
    import sqlite3

    from desktop.store import db, open_registry

    path = tmp_path / "old.sqlite"
    engine = db.make_engine(path)
    db.migrate(engine, "0004")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO patient (id, surname, sex, birth_date, citizenship, case_json, created_at, "
                "created_by, updated_at, updated_by) VALUES (1, 'Тестов', 'female', '1990-01-02', 'RU', "
                "'{}', '2026-11-03T09:00:00+05:00', 'u', '2026-11-03T09:00:00+05:00', 'u')")
    for i, (hour, status) in enumerate(((9, "needs_documents"), (11, "allowed"))):
        d = decision("eaeu_worker", status, ["egov", "clinic"], "2026-11-03")
        con.execute("INSERT INTO decision (id, patient_id, as_of, taken_at, user, category, "
                    "attachment_status, decision_json) VALUES (?, 1, '2026-11-03', ?, 'u', "
                    "'eaeu_worker', ?, ?)", (i + 1, f"2026-11-03T{hour:02d}:00:00+05:00", status,
                                             json.dumps(d)))
    con.commit()
    con.close()
    with open_registry(path, now=now) as registry:
        result = run_report(registry, "summary", {"from": "2026-11-03", "to": "2026-11-03"},
                            user="u", now=now)
    con = sqlite3.connect(path)
    rows = con.execute("SELECT id, channels, schemes, sex, birth_date, citizenship, day_last "
                       "FROM decision ORDER BY id").fetchall()
    con.close()
    assert rows == [(1, "clinic+egov", "GOBMP", "female", "1990-01-02", "RU", 0),
                    (2, "clinic+egov", "GOBMP", "female", "1990-01-02", "RU", 1)]
    assert result["totals"]["total"] == 1 and result["rows"][0]["allowed"] == 1


def _engine_at(location, revision):
    """The registry at `location` (file or server) built only up to `revision`."""
    from desktop.store import db
    from desktop.store.backend import make_pg_engine, parse_location

    engine = (make_pg_engine(parse_location(location)) if isinstance(location, str)
              else db.make_engine(location))
    db.migrate(engine, revision)
    return engine


def test_migrations_0007_0008_fill_the_report_columns_on_both_backends(db_location, now):
    """Decisions stored at schema 0006 (before the reports): the upgrade fills their channels
    allowed, schemes, the patient's sex, birth date, citizenship, the day's last decision and
    the channel the card names (its `attachment_channel`; "clinic" when it does not say), on
    SQLite and on the server alike; the summary then counts them."""
    import json

    from desktop.store import open_registry

    engine = _engine_at(db_location, "0006")
    cards = {1: {"attachment_channel": "egov"}, 2: {}}
    with engine.begin() as con:
        for pid, case in cards.items():
            con.execute(sa.text(
                "INSERT INTO patient (id, surname, sex, birth_date, citizenship, case_json, created_at, "
                "created_by, updated_at, updated_by) VALUES (:id, 'Тестов', 'female', '1990-01-02', "
                "'RU', :case, '2026-11-03T09:00:00+05:00', 'u', '2026-11-03T09:00:00+05:00', 'u')"),
                {"id": pid, "case": json.dumps(case)})
        rows = [(1, 1, 9, "needs_documents"), (2, 1, 11, "allowed"), (3, 2, 10, "allowed")]
        for did, pid, hour, status in rows:
            con.execute(sa.text(
                "INSERT INTO decision (id, patient_id, as_of, taken_at, \"user\", category, "
                "attachment_status, decision_json) VALUES (:id, :pid, '2026-11-03', :at, 'u', "
                "'eaeu_worker', :status, :d)"),
                {"id": did, "pid": pid, "at": f"2026-11-03T{hour:02d}:00:00+05:00", "status": status,
                 "d": json.dumps(decision("eaeu_worker", status, ["egov", "clinic"], "2026-11-03"))})
    engine.dispose()
    with open_registry(db_location, now=now) as registry:
        result = run_report(registry, "summary", {"from": "2026-11-03", "to": "2026-11-03"},
                            user="u", now=now)
    engine = _engine_at(db_location, "head")
    with engine.connect() as con:
        stored = con.execute(sa.text(
            "SELECT id, channels, schemes, sex, birth_date, citizenship, day_last, channel "
            "FROM decision ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in stored] == [
        (1, "clinic+egov", "GOBMP", "female", "1990-01-02", "RU", 0, "egov"),
        (2, "clinic+egov", "GOBMP", "female", "1990-01-02", "RU", 1, "egov"),
        (3, "clinic+egov", "GOBMP", "female", "1990-01-02", "RU", 1, "clinic")]
    section = result["sections"][0]
    assert section["totals"]["total"] == 2
    assert sorted((r["channel"], r["allowed"]) for r in section["rows"]) == [("clinic", 1), ("egov", 1)]
