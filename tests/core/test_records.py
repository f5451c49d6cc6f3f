"""desktop.core.records.record makes the core's value classes as dataclasses.dataclass would
(issue 18 part B, item 6: the decide path no longer imports dataclasses): the same __init__
signature and defaults, repr, equality, hashing and frozenness, checked against real
dataclasses built from the same declarations."""
from __future__ import annotations

import dataclasses
import inspect
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.core.records import FrozenInstanceError, factory, record

ROOT = Path(__file__).resolve().parents[2]


def _pair(frozen: bool):
    def body():
        class Item:
            kind: str
            number: str | None = None
            until: date | None = None
            index: int = 0
            notes: list = factory(list)
        return Item

    rec = record(frozen=frozen)(body())
    plain = body()
    plain.notes = dataclasses.field(default_factory=list)
    return rec, dataclasses.dataclass(frozen=frozen)(plain)


@pytest.mark.parametrize("frozen", [False, True])
def test_record_behaves_as_a_dataclass(frozen):
    rec, dc = _pair(frozen)
    def params(cls):
        return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(cls.__init__).parameters.values()]
    assert params(rec) == params(dc)
    a, b = rec("passport", until=date(2030, 1, 1)), dc("passport", until=date(2030, 1, 1))
    assert repr(a) == repr(b)
    assert repr(a).endswith(".Item(kind='passport', number=None, until=datetime.date(2030, 1, 1), "
                                  "index=0, notes=[])")
    assert a == rec("passport", None, date(2030, 1, 1)) and a != rec("visa")
    assert (a == b) is False                      # another class: never equal, as dataclasses
    assert rec("x").notes is not rec("x").notes   # a new list each time
    assert rec.__match_args__ == dc.__match_args__
    assert hasattr(rec, "number") and not hasattr(rec, "notes") and not hasattr(dc, "notes")
    with pytest.raises(TypeError):
        rec()
    if frozen:
        for item in (a, b):               # a list field: unhashable in both
            with pytest.raises(TypeError):
                hash(item)
        from desktop.core.iin import IinLayout
        assert hash(IinLayout(None, "male")) == hash(IinLayout(None, "male")) == hash((None, "male"))
        with pytest.raises(FrozenInstanceError):
            a.kind = "visa"
        with pytest.raises(AttributeError):
            del a.kind
    else:
        a.kind = "visa"
        assert a.kind == "visa"
        with pytest.raises(TypeError):
            hash(a)
        assert dc.__hash__ is None and rec.__hash__ is None


def test_a_default_before_a_required_field_is_refused():
    class Bad:
        a: int = 0
        b: int

    with pytest.raises(TypeError):
        record(Bad)


def test_the_decide_path_imports_no_dataclasses(tmp_path):
    """One decision from the command line loads neither dataclasses (nor inspect), the store's
    backend, shutil (argparse's formatter), typing nor decimal."""
    case = tmp_path / "case.json"
    case.write_text('{"as_of": "2026-11-22", "person": {"citizenship": "KZ"}}', encoding="utf-8")
    code = ("import sys, runpy\nsys.argv = ['desktop', 'decide', sys.argv[1]]\n"
            "try:\n    runpy.run_module('desktop', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert e.code == 0, e.code\n"
            "bad = [m for m in ('dataclasses', 'inspect', 'desktop.store.backend', 'shutil', 'typing', 'decimal')"
            " if m in sys.modules]\nsys.stderr.write(repr(bad))\n")
    env = {**os.environ, "POLYCLINIC_DB": str(tmp_path / "r.sqlite")}
    for start in ("first", "next"):   # the first start installs the reference data (copies files)
        p = subprocess.run([sys.executable, "-c", code, str(case)], capture_output=True, text=True,
                           cwd=ROOT, env=env, timeout=120)
        assert p.returncode == 0, p.stderr
    assert p.stderr.strip().endswith("[]"), p.stderr
