"""Duplicate list benchmark at 1,000,000 patients, on SQLite and on PostgreSQL.

Loads the patients with the generators of bench_search.py (SQLite) and bench_pg.py (the
server, COPY), plants duplicate pairs the way they happen at a front desk (the same person
registered again in Latin without an ИИН, with the same passport; or again with one letter of
the surname off and no documents), then times `Registry.duplicate_pairs` — the list the
administrator's «Возможные дубли» and `polyclinic patients duplicates` show — and checks that
every planted pair is on it. The baseline, measured in the same run on the same engine, is one
full read of the patient table (`SELECT id, latin_key, birth_date FROM patient`, every row
fetched): the list's time is printed as a ratio to it.

    .venv/bin/python bench/bench_duplicates.py [--patients N] [--planted K] [--backend sqlite|postgresql|both]

Target: under 60 s at 1,000,000 patients on each backend. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

from bench_search import NOW, iin_of, passport_of  # noqa: E402
from desktop.core.duplicates import weights_on  # noqa: E402
from desktop.core.refbuild import build_reference  # noqa: E402
from desktop.core.refdata import load_reference  # noqa: E402
from desktop.store.registry import open_registry  # noqa: E402
from desktop.store.text import document_key, latin_key, name_key  # noqa: E402


def plant(registry, patients: int, planted: int) -> set[tuple[int, int]]:
    """Add `planted` duplicates of existing patients straight into the tables; their pairs."""
    pairs = set()
    with registry.engine.begin() as c:
        start = c.execute(sa.text("SELECT MAX(id) FROM patient")).scalar_one() + 1
        step = max(1, patients // planted)
        rows = c.execute(sa.text("SELECT id, surname, given_name, birth_date FROM patient "
                                 "WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                         {"ids": list(range(1, patients + 1, step))[:planted]}).all()
        for n, (pid, surname, given, birth) in enumerate(rows):
            new = start + n
            latin = n % 2 == 0
            if latin:  # again, in Latin, no ИИН, the same passport
                s, g = latin_key(surname).capitalize(), latin_key(given).capitalize()
                docs = [("passport", passport_of(pid))]
            else:      # again, one letter of the surname doubled, no documents
                s, g = surname[:2] + surname[1:], given
                docs = []
            case = {"person": {"surname": s, "given_name": g, "birth_date": birth}, "documents": [
                {"kind": k, "number": num} for k, num in docs]}
            c.execute(sa.text(
                "INSERT INTO patient (id, surname, given_name, birth_date, surname_key, given_key, "
                "latin_key, case_json, created_at, created_by, updated_at, updated_by, version) "
                "VALUES (:id, :s, :g, :b, :sk, :gk, :lk, :case, :t, 'bench', :t, 'bench', 1)"),
                {"id": new, "s": s, "g": g, "b": birth, "sk": name_key(s), "gk": name_key(g),
                 "lk": latin_key(s), "case": json.dumps(case, ensure_ascii=False),
                 "t": NOW.isoformat()})
            for pos, (kind, number) in enumerate(docs):
                c.execute(sa.text("INSERT INTO patient_document (patient_id, position, kind, number, "
                                  "number_key) VALUES (:p, :pos, :k, :n, :nk)"),
                          {"p": new, "pos": pos, "k": kind, "n": number, "nk": document_key(number)})
            pairs.add((pid, new))
        if registry.engine.dialect.name == "postgresql":
            c.execute(sa.text("SELECT setval(pg_get_serial_sequence('patient', 'id'), "
                              "(SELECT max(id) FROM patient))"))
    return pairs


def measure(label: str, registry, weights: dict, planted: set) -> None:
    def baseline():
        with registry.engine.connect() as c:
            return len(c.execute(sa.text("SELECT id, latin_key, birth_date FROM patient")).all())

    baseline()  # warm the cache as the list is warmed below
    t = time.perf_counter()
    rows = baseline()
    base = time.perf_counter() - t
    t = time.perf_counter()
    candidates = registry.candidate_pairs()
    blocking = time.perf_counter() - t
    registry.duplicate_pairs(weights)  # warm
    t = time.perf_counter()
    pairs = registry.duplicate_pairs(weights)
    took = time.perf_counter() - t
    found = {(p["keep"], p["other"]) for p in pairs}
    missing = planted - found
    print(f"\n[{label}] {rows:,} patients")
    print(f"  baseline: read every patient row            {base:8.2f} s")
    print(f"  candidate pairs by blocking keys            {blocking:8.2f} s  ({len(candidates):,} pairs)")
    print(f"  duplicate list (blocking + scoring)         {took:8.2f} s  = {took / base:.1f} × baseline"
          f"  {'ok' if took < 60 else 'OVER 60 s'}")
    print(f"  pairs at or above {weights['min_score']}: {len(pairs):,}; planted found "
          f"{len(planted) - len(missing)}/{len(planted)}")
    print(f"  peak memory of this process so far: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    assert not missing, sorted(missing)[:5]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-dups-"))
    try:
        build_reference(ROOT / "db" / "sources", folder / "ref.sqlite")
        weights = weights_on(load_reference(folder / "ref.sqlite"), date(2026, 11, 22))
        if args.backend in ("sqlite", "both"):
            import bench_search

            path = folder / "registry.sqlite"
            seconds = bench_search.generate(path, args.patients)
            print(f"SQLite: generated {args.patients:,} patients in {seconds:.0f} s")
            with open_registry(path, now=NOW) as registry:
                planted = plant(registry, args.patients, args.planted)
                measure("SQLite", registry, weights, planted)
            path.unlink()
        if args.backend in ("postgresql", "both"):
            import bench_pg
            from pgserver import PgServer

            server = PgServer.start_new(("-c shared_buffers=256MB",))
            try:
                url = server.new_database()
                seconds = bench_pg.generate(url, args.patients)
                print(f"PostgreSQL: generated {args.patients:,} patients in {seconds:.0f} s")
                with open_registry(url, now=NOW) as registry:
                    planted = plant(registry, args.patients, args.planted)
                    measure("PostgreSQL", registry, weights, planted)
            finally:
                server.stop()
                shutil.rmtree(server.root, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
