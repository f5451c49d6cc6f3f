"""The example cases (copied from ../shared/cases into tests/cases) decide as expected."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.core.api import decide_data
from desktop.core.case import CaseError

CASES = sorted((Path(__file__).resolve().parent.parent / "cases").glob("*.json"))


def check(expect: dict, d: dict) -> list[str]:
    """The comparison of ../shared/tools/check_cases.py, on a decision dict."""
    problems = []
    att, osms = d["attachment"], d["osms"]
    for key, got in [("category", d["category"]), ("attachment_status", att["status"]),
                     ("attachment_until", att["until"]), ("osms_insured", osms["insured"]),
                     ("osms_until", osms["until"])]:
        if key in expect and got != expect[key]:
            problems.append(f"{key}: got {got!r}, expected {expect[key]!r}")
    if "channels" in expect and set(att["channels"]) != set(expect["channels"]):
        problems.append(f"channels {att['channels']}")
    for m in expect.get("missing_includes", []):
        if m not in att["missing_documents"]:
            problems.append(f"missing lacks {m}")
    got = {(c["scheme"], c["scope"]) for c in d["coverage"] if c["scheme"] != "PAID"}
    if "coverage" in expect and got != {tuple(p) for p in expect["coverage"]}:
        problems.append(f"coverage {sorted(got)}")
    for p in expect.get("coverage_includes", []):
        if tuple(p) not in got:
            problems.append(f"coverage lacks {p}")
    w = {x["code"] for x in d["warnings"]}
    problems += [f"warning {c} missing" for c in expect.get("warnings_include", []) if c not in w]
    problems += [f"warning {c} unexpected" for c in expect.get("warnings_exclude", []) if c in w]
    ids = {b["id"] for b in d["basis"]}
    problems += [f"basis {b} unresolved" for c in d["coverage"] + d["warnings"] for b in c["basis"] if b not in ids]
    return problems


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_example_case(ref, path):
    """Each example case gives the decision (or the input errors) its `expect` names."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    expect = spec["expect"]
    if "exit" in expect:
        with pytest.raises(CaseError) as e:
            decide_data(spec["case"], ref, default_date=None)
        fields = {x["field"] for x in e.value.errors}
        assert set(expect.get("error_fields", [])) <= fields
        return
    d = decide_data(spec["case"], ref, default_date=None).to_dict()
    assert check(expect, d) == []
