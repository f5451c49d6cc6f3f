"""Search benchmark on a registry of 1,000,000 patients.

Generates the patients straight into SQLite (executemany in large transactions, indexes
built after the load), then times, through the Registry API the GUI uses:
ИИН exact, surname prefix in Cyrillic and in Latin, document number, and the worklist.
Prints the median of several runs and its ratio to a baseline measured in the same run
(a `SELECT 1` round trip through the same engine), so figures compare across machines.

    .venv/bin/python bench/bench_search.py [--patients N] [--runs K] [--keep DIR]

Target: every search under 50 ms. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.store.registry import open_registry  # noqa: E402
from desktop.store.text import document_key, latin_key, name_key  # noqa: E402

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone(timedelta(hours=5)))
AS_OF = date(2026, 11, 22)

SURNAMES = """Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров
Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев
Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев
Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин
Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов
Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов
Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин
Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов
Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров
Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров
Әбенов Ахметов Омаров Әлиев Сейітов Нұрланов Қасымов Мұратов Жұмабаев Сүлейменов Оспанов
Бекмұханбетов Төлеуов Ғабитов Иманғалиев Серікбаев Ибраһимов Есенов Қайратов Әбдірахманов
Ким Пак Цой Ли Тен Хегай Югай Шин Smith Müller Schmidt Wang Li Zhang Nguyen Khan Singh
Karimov Rakhimov Yusupov Tashkentov Aliyev Mammadov Hasanov Gasparyan Petrosyan Beridze""".split()
GIVEN = """Иван Пётр Алексей Мария Анна Елена Ольга Сергей Дмитрий Андрей Айгерім Әсел Нұржан
Ерлан Асқар Дана Жанар Гүлнар Қанат Бауыржан Арман Айдана Ләззат Мадина Тимур Рустам John
Wei Ahmed Fatima""".split()
KINDS = ("dms_contract", "vms_contract", "residence_permit", "employment_contract")


def iin_of(i: int) -> str:
    return f"{(i * 9973 + 100_000_000_000) % 10 ** 12:012d}"  # a bijection: unique ИИН


def passport_of(i: int) -> str:
    return f"N{(i * 7919) % 10 ** 8:08d}"


def generate(path: Path, patients: int, seed: int = 1) -> float:
    """Fill a registry created by open_registry with `patients` patients; seconds taken."""
    open_registry(path, now=NOW).close()  # schema by the migrations
    rng = random.Random(seed)
    started = time.perf_counter()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' "
                          "AND sql IS NOT NULL AND tbl_name IN ('patient', 'patient_document', "
                          "'decision')").fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    keys = {s: (name_key(s), latin_key(s)) for s in SURNAMES}
    given_keys = {g: name_key(g) for g in GIVEN}
    stamp = NOW.isoformat()
    day0 = date(2026, 1, 1).toordinal()
    batch = 100_000
    for start in range(1, patients + 1, batch):
        p_rows, d_rows, x_rows = [], [], []
        for i in range(start, min(start + batch, patients + 1)):
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
            iin = iin_of(i)
            birth = date.fromordinal(date(1950, 1, 1).toordinal() + rng.randrange(25000)).isoformat()
            docs = [("passport", passport_of(i), None)]
            if rng.random() < 0.5:
                docs.append((rng.choice(KINDS), None,
                             date.fromordinal(day0 + rng.randrange(1100)).isoformat()))
            case = {"person": {"iin": iin, "surname": surname, "given_name": given,
                               "birth_date": birth, "citizenship": "KZ"},
                    "documents": [{"kind": k, "number": n, "valid_until": u} for k, n, u in docs]}
            sk, lk = keys[surname]
            p_rows.append((i, iin, surname, given, birth, "KZ", sk, given_keys[given], lk,
                           json.dumps(case, ensure_ascii=False), stamp, "bench", stamp, "bench"))
            for pos, (kind, number, until) in enumerate(docs):
                d_rows.append((i, pos, kind, number, document_key(number) or None, until))
            if rng.random() < 0.3:
                osms = date.fromordinal(day0 + rng.randrange(1100)).isoformat()
                x_rows.append((i, "2026-11-01", stamp, "bench", "allowed", osms,
                               '{"attachment": {"status": "allowed"}}'))
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO patient (id, iin, surname, given_name, birth_date, citizenship, "
            "surname_key, given_key, latin_key, case_json, created_at, created_by, updated_at, "
            "updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", p_rows)
        con.executemany(
            "INSERT INTO patient_document (patient_id, position, kind, number, number_key, "
            "valid_until) VALUES (?,?,?,?,?,?)", d_rows)
        con.executemany(
            "INSERT INTO decision (patient_id, as_of, taken_at, user, attachment_status, "
            "osms_until, decision_json) VALUES (?,?,?,?,?,?,?)", x_rows)
        con.execute("COMMIT")
    for _, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def search_cases(rng, pick: list[int], n: int) -> dict[str, list[tuple]]:
    """The four searches a registrar makes, `n` of each, over patients numbered in `pick`."""
    return {
        "ИИН exact": [(iin_of(i),) for i in pick],
        "surname prefix, Cyrillic": [(q,) for q in rng.choices(
            ["Иван", "Сок", "Әбен", "Фёдор", "Жұма", "кузн", "Ким"], k=n)],
        "surname prefix, Latin": [(q,) for q in rng.choices(
            ["ivan", "sok", "fedor", "kuzn", "zhuma", "Smi", "yakov"], k=n)],
        "document number": [(f"N {passport_of(i)[1:5]}-{passport_of(i)[5:]}",) for i in pick],
    }


def median_ms(fn, args_list) -> float:
    times = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", type=Path, help="build the database in DIR and keep it")
    args = parser.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.sqlite"
    if path.exists():
        print(f"using existing {path}")
    else:
        seconds = generate(path, args.patients)
        print(f"generated {args.patients:,} patients in {seconds:.1f} s "
              f"({path.stat().st_size / 2**20:.0f} MiB)")

    from desktop.store import db as store_db

    t = time.perf_counter()
    store_db.quick_check(path)  # cold-ish: the first read of the file in this process
    first_check = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    registry = open_registry(path, now=NOW)
    open_ms = (time.perf_counter() - t) * 1000
    print(f"open_registry: {open_ms:.0f} ms (includes the quick integrity check)")
    checks = []
    for _ in range(3):
        t = time.perf_counter()
        store_db.quick_check(path)
        checks.append((time.perf_counter() - t) * 1000)
    print(f"quick integrity check at open ({path.stat().st_size / 2**20:.0f} MiB): first {first_check:.0f} ms, "
          f"warm median {statistics.median(checks):.0f} ms")
    rng = random.Random(2)
    n = args.runs
    with registry.engine.connect() as connection:
        def select_one():
            connection.exec_driver_sql("SELECT 1").scalar()
        for _ in range(50):
            select_one()  # warm the connection
        baseline = median_ms(select_one, [()] * max(n, 51))

    def search(query):
        found = registry.search(query)
        assert found, query

    registry.search("Иван")  # warm the pool and the page cache a little
    pick = [rng.randrange(1, args.patients + 1) for _ in range(n)]
    cases = search_cases(rng, pick, n)
    print(f"\nbaseline SELECT 1 round trip: {baseline:.3f} ms (median of {max(n, 51)})")
    print(f"{'operation':28} {'median ms':>10} {'× baseline':>12}  target")
    for name, arglist in cases.items():
        ms = median_ms(search, arglist)
        print(f"{name:28} {ms:10.2f} {ms / baseline:12.0f}  {'ok' if ms < 50 else 'OVER 50 ms'}")
    sizes = []

    def worklist(days):
        sizes.append(len(registry.worklist(AS_OF, days)))

    for days in (7, 30):
        sizes.clear()
        ms = median_ms(worklist, [(days,)] * n)
        print(f"{f'worklist {days} days':28} {ms:10.2f} {ms / baseline:12.0f}  "
              f"({sizes[0]:,} items)")
    registry.close()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
