"""Decision speed: one decision from the command line, and --batch decisions per second.

Prints figures with ratios against baselines measured in the same run:
- one decision: `polyclinic decide` wall time vs. a bare `python -c pass` start;
- batch: decisions per second vs. only parsing and re-serialising the same JSON lines.
Targets (issue 2): one decision under 0.5 s wall; batch at least 5,000 decisions a second.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "cases").glob("p*.json"))


def wall(cmd, env, runs=7) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, POLYCLINIC_DB=str(tmp / "registry.sqlite"))
        cases = [json.loads(p.read_text(encoding="utf-8"))["case"] for p in CASES]
        cases = [c for c in cases if c["person"].get("iin") != "12345"]
        one = tmp / "case.json"
        one.write_text(json.dumps(cases[3], ensure_ascii=False), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "desktop", "decide", str(one)], env=env, cwd=ROOT,
                       capture_output=True, check=True)  # first start installs the reference data
        base = wall([sys.executable, "-c", "pass"], env)
        single = wall([sys.executable, "-m", "desktop", "decide", str(one)], env)
        print(f"one decision (CLI, wall, median of 7): {single * 1000:.0f} ms; "
              f"python start alone {base * 1000:.0f} ms; ratio {single / base:.1f}x; target < 500 ms")

        n = 50_000
        lines = [json.dumps(cases[i % len(cases)], ensure_ascii=False) for i in range(n)]
        batch = tmp / "cases.jsonl"
        batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "desktop", "decide", str(batch), "--batch"], env=env,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - t
        if p.returncode != 0:
            print(p.stderr.decode()[-500:])
            return 1
        code = ("import json,sys\nfor l in open(sys.argv[1],encoding='utf-8'):\n"
                " sys.stdout.write(json.dumps(json.loads(l),ensure_ascii=False)+'\\n')")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(batch)], stdout=subprocess.DEVNULL, check=True)
        io_only = time.perf_counter() - t
        print(f"batch: {n} decisions in {elapsed:.2f} s = {n / elapsed:,.0f} decisions/s "
              f"(JSON read+write alone: {n / io_only:,.0f} lines/s; decisions cost {elapsed / io_only:.1f}x); "
              f"target >= 5,000/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
