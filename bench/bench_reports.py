"""Reports benchmark: the month's summary and the day's journal on a registry of 1,000,000
patients with a year of decisions, on an SQLite file and on the PostgreSQL server.

Generates the registry straight into the tables (indexes built after the load): patients of
mixed sex, age and citizenship, one to two decisions each over 2026 with a stored decision
JSON of realistic size, printouts for a third of them. Then times, through the same engine the
GUI and `polyclinic report` use (desktop.store.reports.run_report): the summary of November,
the journal of 16 November, paid services, lapsing and registrars for the month. Prints the
median of several runs and its ratio to a baseline measured in the same run on the same engine
(`SELECT COUNT(*)` of the month's decisions by the period index), so figures compare across
machines.

    .venv/bin/python bench/bench_reports.py [--patients N] [--runs K] [--no-pg] [--keep DIR]

Targets: the month's summary under 2 s, the day's journal under 0.5 s. Not part of the tests.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from desktop.store.registry import open_registry  # noqa: E402
from desktop.store.reports import run_report  # noqa: E402

TZ = timezone(timedelta(hours=5))
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)
CATEGORIES = [("citizen", "KZ", ["clinic", "egov"]), ("kandas", "UZ", ["clinic", "egov"]),
              ("permanent_resident", "RU", ["clinic"]), ("eaeu_worker", "KG", ["clinic"]),
              ("eaeu_family", "BY", ["clinic"]), ("temporary_foreigner", "CN", ["clinic"]),
              ("stateless", None, ["clinic"]), ("refugee", "AF", ["clinic"])]
WEIGHTS = [70, 4, 5, 8, 3, 6, 2, 2]
STATUSES = ["allowed", "needs_documents", "not_allowed"]
EXPLANATION = ["Гражданин Республики Казахстан прикрепляется к организации ПМСП по выбору "
               "(Закон об ОСМС, ст. 6 п. 1; приказ ҚР ДСМ-194/2020)."] * 4


def decision_json(category, status, channels, as_of, version) -> str:
    return json.dumps({
        "as_of": as_of, "category": category,
        "attachment": {"status": status, "channels": channels if status != "not_allowed" else [],
                       "required_documents": ["passport", "dms_contract"],
                       "missing_documents": ["dms_contract"] if status == "needs_documents" else [],
                       "until": "2027-12-31"},
        "coverage": [{"scheme": "GOBMP", "scope": "emergency", "basis": ["r665-12"]},
                     {"scheme": "OSMS", "scope": "full", "active": True, "basis": ["osms-law-2-3"]}],
        "osms": {"insured": True, "until": "2027-01-31", "source": "computed"},
        "warnings": [], "basis": [{"id": "r665-12", "act": "Правила 665", "article": "п. 12"}],
        "explanation": EXPLANATION, "reference": {"version": version}}, ensure_ascii=False)


def rows(patients: int, seed: int = 1):
    """Batches of (patients, decisions, printouts) rows."""
    rng = random.Random(seed)
    day0 = date(2026, 1, 1).toordinal()
    batch = 50_000
    doc_id = 0
    for start in range(1, patients + 1, batch):
        p_rows, d_rows, x_rows = [], [], []
        for i in range(start, min(start + batch, patients + 1)):
            category, country, channels = rng.choices(CATEGORIES, WEIGHTS)[0]
            sex = rng.choice(("male", "female"))
            birth = date.fromordinal(date(1940, 1, 1).toordinal() + rng.randrange(31000)).isoformat()
            stamp = NOW.isoformat()
            p_rows.append((i, f"{(i * 9973 + 100_000_000_000) % 10 ** 12:012d}", f"Пациент{i % 997}",
                           "Тест", birth, sex, country, "пациент", "тест", "pacient",
                           '{"person": {}}', stamp, "bench", stamp, "bench"))
            last_of_day = {}
            for _ in range(1 if rng.random() < 0.8 else 2):
                day = date.fromordinal(day0 + rng.randrange(365))
                taken = datetime(day.year, day.month, day.day, 8 + rng.randrange(10),
                                 rng.randrange(60), tzinfo=TZ).isoformat()
                status = rng.choices(STATUSES, (85, 10, 5))[0]
                version = "2026.1" if day.month < 7 else "2026.2"
                chans = "+".join(sorted(channels)) if status != "not_allowed" else ""
                row = [i, day.isoformat(), taken, f"reg{rng.randrange(8)}", version, category,
                       status, decision_json(category, status, channels, day.isoformat(), version),
                       chans, rng.choices(("clinic", "egov"), (7, 3))[0], "GOBMP+OSMS", sex, birth,
                       country, 1]
                prior = last_of_day.get(day)
                if prior is not None:   # two the same day: the later one is the application
                    (prior if prior[2] < taken else row)[-1] = 0
                last_of_day[day] = row if prior is None or prior[2] < taken else prior
                d_rows.append(row)
                if rng.random() < 0.35:
                    doc_id += 1
                    x_rows.append((f"2026-{doc_id:06d}", rng.choice(("slip", "refusal", "estimate")),
                                   2026, i, "ru", b"%PDF-1.4 bench", "0" * 64, version, taken, "reg1"))
        yield p_rows, d_rows, x_rows


P_COLS = ("id, iin, surname, given_name, birth_date, sex, citizenship, surname_key, given_key, "
          "latin_key, case_json, created_at, created_by, updated_at, updated_by")
D_COLS = ('patient_id, as_of, taken_at, "user", reference_version, category, attachment_status, '
          "decision_json, channels, channel, schemes, sex, birth_date, citizenship, day_last")
X_COLS = "number, kind, year, patient_id, lang, pdf, sha256, reference_version, created_at, \"user\""


def generate_sqlite(path: Path, patients: int) -> float:
    open_registry(path, now=NOW).close()
    started = time.perf_counter()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT "
                          "NULL AND tbl_name IN ('patient', 'decision', 'printed_document')").fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    for p_rows, d_rows, x_rows in rows(patients):
        con.execute("BEGIN")
        con.executemany(f"INSERT INTO patient ({P_COLS}) VALUES ({','.join('?' * 15)})", p_rows)
        con.executemany(f"INSERT INTO decision ({D_COLS}) VALUES ({','.join('?' * 15)})", d_rows)
        con.executemany(f"INSERT INTO printed_document ({X_COLS}) VALUES ({','.join('?' * 10)})", x_rows)
        con.execute("COMMIT")
    for _, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def _copy_line(values) -> str:
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif isinstance(v, bytes):
            out.append("\\\\x" + v.hex())
        else:
            out.append(str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
    return "\t".join(out) + "\n"


def generate_pg(url: str, patients: int) -> float:
    import psycopg

    open_registry(url, now=NOW).close()
    started = time.perf_counter()
    with psycopg.connect(url) as con:
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('patient', "
            "'decision', 'printed_document') AND indexname NOT LIKE '%pkey' "
            "AND indexdef NOT LIKE '%UNIQUE%'").fetchall()
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        for p_rows, d_rows, x_rows in rows(patients):
            with con.cursor() as cur:
                for table, cols, data in (("patient", P_COLS, p_rows), ("decision", D_COLS, d_rows),
                                          ("printed_document", X_COLS, x_rows)):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        copy.write("".join(_copy_line(r) for r in data))
            con.commit()
        for _, sql in indexes:
            con.execute(sql)
        for table in ("patient", "decision", "printed_document"):
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        con.commit()
        con.autocommit = True
        con.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(location, label: str, runs: int) -> dict:
    registry = open_registry(location, now=NOW)
    month = {"from": "2026-11-01", "to": "2026-11-30"}
    try:
        with registry.engine.connect() as connection:
            def baseline():
                connection.exec_driver_sql(
                    "SELECT COUNT(*) FROM decision WHERE taken_at >= '2026-11-01' "
                    "AND taken_at < '2026-12-01'").scalar()
            baseline()
            base = median_s(baseline, runs)
        cases = [("summary, November", "summary", month, 2.0),
                 ("journal, 16 November", "journal", {"on": "2026-11-16"}, 0.5),
                 ("paid services, November", "paid-services", month, None),
                 ("lapsing, November", "lapsing", month, None),
                 ("registrars, November", "registrars", month, None)]
        print(f"\n{label}: baseline COUNT(*) of the month's decisions {base * 1000:.1f} ms "
              f"(median of {runs})")
        print(f"{'report':28} {'median s':>9} {'× baseline':>11} {'rows':>7}  target")
        out = {}
        for name, report, params, target in cases:
            result = run_report(registry, report, params, user="bench", now=NOW)
            seconds = median_s(lambda: run_report(registry, report, params, user="bench", now=NOW), runs)
            n = sum(len(s["rows"]) for s in result["sections"])
            verdict = "" if target is None else ("ok" if seconds < target else f"OVER {target} s")
            print(f"{name:28} {seconds:9.3f} {seconds / base:11.1f} {n:7d}  {verdict}")
            out[name] = seconds
        total = run_report(registry, "summary", month, user="bench", now=NOW)["totals"]["total"]
        print(f"(November's applications counted: {total:,})")
        return out
    finally:
        registry.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--keep", type=Path, help="build the SQLite file in DIR and keep it")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.sqlite"
    if path.exists():
        print(f"using existing {path}")
    else:
        seconds = generate_sqlite(path, args.patients)
        print(f"generated {args.patients:,} patients with a year of decisions on SQLite in "
              f"{seconds:.0f} s ({path.stat().st_size / 2**20:.0f} MiB)")
    bench(path, "SQLite file", args.runs)
    if not args.no_pg:
        from pgserver import PgServer

        server = PgServer.start_new(("-c shared_buffers=512MB",))
        try:
            url = server.new_database("reports")
            seconds = generate_pg(url, args.patients)
            print(f"\ngenerated the same registry on PostgreSQL in {seconds:.0f} s (COPY)")
            bench(url, "PostgreSQL server", args.runs)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
