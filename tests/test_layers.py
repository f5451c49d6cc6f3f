"""The layers of desktop/ as import-linter contracts (pyproject.toml): core < store, documents <
services < cli, gui, and no import cycle among the modules of any package."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    command = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    return subprocess.run([*command, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_every_import_contract_is_kept():
    """lint-imports finds every contract kept (a broken one is printed with its import chain)."""
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "2 kept" in result.stdout


def test_the_contracts_name_every_layer():
    """The layers contract covers every top-level part of desktop/ that holds code."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for c in contracts if c["type"] == "layers"
               for layer in c["layers"] for name in layer.replace(":", "|").split("|")}
    parts = {f"desktop.{p.stem if p.is_file() else p.name}" for p in (ROOT / "desktop").iterdir()
             if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
             or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == layered
