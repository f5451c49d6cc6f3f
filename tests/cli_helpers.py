"""Running the command line as a registrar's script would, for the CLI tests of every folder
(`from cli_helpers import …`, as `pgserver`): the program in a child process with the registry
named by POLYCLINIC_DB, and a case of tests/cases written out as the CLI's input file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"


def run_cli(args, db: Path, stdin=None, env_extra=None) -> subprocess.CompletedProcess:
    """`python -m desktop ARGS` with the registry at `db` (and `env_extra` in the environment)."""
    env = dict(os.environ, POLYCLINIC_DB=str(db), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def case_file(tmp_path, name) -> Path:
    """The case of tests/cases/NAME.json written to a file in `tmp_path`."""
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))["case"],
                            ensure_ascii=False), encoding="utf-8")
    return p
