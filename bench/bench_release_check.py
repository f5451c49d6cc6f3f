"""The cost of asking the clinic's server, before a decision, which release is in force.

`DeskReleases.check()` (one primary-key read on the server, nothing switched) against a
`SELECT 1` round trip through the same engine and against the decision itself (`decide_data`
for one case), on a PostgreSQL server started in a temporary folder as the tests do; and the
same check on an SQLite registry (the `active` file beside it). Medians of many calls.

    .venv/bin/python bench/bench_release_check.py [--calls N]

Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

NOW = datetime(2026, 11, 22, 10, 30)


def median_us(fn, calls: int) -> float:
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    from pgserver import PgServer

    from desktop.core.api import decide_data
    from desktop.core.refbuild import build_reference
    from desktop.store import open_registry
    from desktop.store.releases import DeskReleases

    work = Path(tempfile.mkdtemp(prefix="bench-release-"))
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    bundled = work / "reference.sqlite"
    build_reference(ROOT / "db" / "sources", bundled)
    case = json.loads((ROOT / "tests" / "cases" / "p04.json").read_text(encoding="utf-8"))["case"]
    out = {}
    server = PgServer.start_new()
    try:
        with open_registry(server.new_database(), now=NOW) as registry:
            releases = DeskReleases(registry, work / "desk" / "registry")
            ref = releases.start(bundled, now=NOW)
            out["pg_check_us"] = median_us(releases.check, args.calls)
            def select1():
                with registry.engine.connect() as c:
                    c.exec_driver_sql("SELECT 1")

            out["pg_select1_us"] = median_us(select1, args.calls)
            out["decide_us"] = median_us(lambda: decide_data(case, ref, default_date=NOW.date()),
                                         max(200, args.calls // 10))
        with open_registry(work / "registry.sqlite", now=NOW) as registry:
            releases = DeskReleases(registry, registry.path)
            releases.start(bundled, now=NOW)
            out["sqlite_check_us"] = median_us(releases.check, args.calls)
    finally:
        server.stop()
    out["pg_check_per_decision"] = round(out["pg_check_us"] / out["decide_us"], 2)
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in out.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
