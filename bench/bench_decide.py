"""Decision speed: one decision from the command line, and --batch decisions per second.

Prints figures with ratios against baselines measured in the same run:
- one decision: `polyclinic decide` wall time vs. a bare `python -c pass` start;
- batch: decisions per second vs. only parsing and re-serialising the same JSON lines.
Targets (issue 18): one decision within 3x the bare start, a batch within 5x the JSON
reading and writing alone (issue 2's absolute targets are printed too).
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


TARGET_ONE, TARGET_BATCH = 3.0, 5.0


def wall(cmd, env, runs=7, cpu_times=None) -> float:
    """Median wall seconds of `runs` starts; the children's CPU seconds (user + system, from
    wait4: what the process itself costs, whatever else loads the machine) go to `cpu_times`."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, _status, usage = os.wait4(p.pid, 0)
        times.append(time.perf_counter() - t)
        if cpu_times is not None:
            cpu_times.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(times)


def main() -> int:
    # compiled as an installation compiles it (PYTHONDONTWRITEBYTECODE=1 would otherwise make
    # every start compile the app's own modules, which the bare baseline does not have)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "desktop")],
                   stdout=subprocess.DEVNULL, check=False)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, POLYCLINIC_DB=str(tmp / "registry.sqlite"))
        cases = [json.loads(p.read_text(encoding="utf-8"))["case"] for p in CASES]
        cases = [c for c in cases if c["person"].get("iin") != "12345"]
        one = tmp / "case.json"
        one.write_text(json.dumps(cases[3], ensure_ascii=False), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "desktop", "decide", str(one)], env=env, cwd=ROOT,
                       capture_output=True, check=True)  # first start installs the reference data
        bases, singles, base_cpu, single_cpu = [], [], [], []
        for _ in range(3):              # interleaved rounds: both see the same machine state
            bases.append(wall([sys.executable, "-c", "pass"], env, cpu_times=base_cpu))
            singles.append(wall([sys.executable, "-m", "desktop", "decide", str(one)], env,
                                cpu_times=single_cpu))
        base, single = statistics.median(bases), statistics.median(singles)
        ratio = single / base
        print(f"one decision (CLI, wall, median of 3 rounds of 7): {single * 1000:.0f} ms; "
              f"python start alone {base * 1000:.0f} ms; ratio {ratio:.1f}x; target < {TARGET_ONE:.0f}x"
              f"{'' if ratio < TARGET_ONE else ': NOT met'} (and < 500 ms)")
        cpu_ratio = statistics.median(single_cpu) / statistics.median(base_cpu)
        print(f"              CPU time of the process (user+system, median of 21): "
              f"{statistics.median(single_cpu) * 1000:.0f} ms vs {statistics.median(base_cpu) * 1000:.0f} ms; "
              f"ratio {cpu_ratio:.1f}x{'' if cpu_ratio < TARGET_ONE else ': NOT met'}")

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
        ratio = elapsed / io_only
        print(f"batch: {n} decisions in {elapsed:.2f} s = {n / elapsed:,.0f} decisions/s "
              f"(JSON read+write alone: {n / io_only:,.0f} lines/s); ratio {ratio:.1f}x; "
              f"target < {TARGET_BATCH:.0f}x{'' if ratio < TARGET_BATCH else ': NOT met'} (and >= 5,000/s)")
        # CPU time (wait4: user + system of the child), interleaved rounds: what each costs,
        # whatever else loads the machine
        batch_cpu, io_cpu = [], []
        for _ in range(3):
            wall([sys.executable, "-m", "desktop", "decide", str(batch), "--batch"], env, runs=1,
                 cpu_times=batch_cpu)
            wall([sys.executable, "-c", code, str(batch)], env, runs=1, cpu_times=io_cpu)
        cpu_ratio = statistics.median(batch_cpu) / statistics.median(io_cpu)
        print(f"       CPU time (user+system, median of 3 interleaved rounds): batch "
              f"{statistics.median(batch_cpu):.2f} s vs JSON read+write {statistics.median(io_cpu):.2f} s; "
              f"ratio {cpu_ratio:.1f}x{'' if cpu_ratio < TARGET_BATCH else ': NOT met'}")
        out = tmp / "out.jsonl"
        with open(out, "wb") as sink:
            subprocess.run([sys.executable, "-m", "desktop", "decide", str(batch), "--batch"], env=env,
                           cwd=ROOT, stdout=sink, stderr=subprocess.DEVNULL, check=False)
        size_in, size_out = batch.stat().st_size, out.stat().st_size
        enc = json.JSONEncoder(ensure_ascii=False).encode
        sample = 5000                   # encoding the output alone, on a tenth of it, scaled
        with open(out, encoding="utf-8") as f:
            decisions = [json.loads(next(f)) for _ in range(sample)]
        t = time.perf_counter()
        for d in decisions:
            enc(d)
        encode_out = (time.perf_counter() - t) * n / sample
        print(f"       the floor: the output is {size_out / size_in:.0f}x the input's bytes "
              f"({size_out / n:,.0f} vs {size_in / n:,.0f} bytes a line); encoding it alone takes "
              f"{encode_out / io_only:.1f}x the JSON read+write baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
