"""Revision 3 of the rules (issue 20): a registry whose decisions were taken by the previous
product (its code and its reference release 2026-11-23-22f5dfe201: the stored decisions are kept
in tests/fixtures/registry-rev2-decisions.json, the compiled release beside them) — `recheck`
under the bundled release lists exactly the patients whose answer changes, and what changed."""
from __future__ import annotations

import gzip
import json
import shutil
from datetime import date, datetime
from pathlib import Path

from desktop.core.api import decide_data
from desktop.core.refdata import load_reference
from desktop.services import recheck
from desktop.store import open_registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PREVIOUS = "2026-11-23-22f5dfe201"
ON = date(2026, 12, 10)
# made by the previous product from these cases (see the "name" of each entry):
#   citizen_planned          an uninsured citizen who needs a specialist (9.1)
#   citizen_insured_planned  an insured citizen who needs a specialist: ОСМС now, not ГОБМП (9.1)
#   citizen_nothing_paid     paid_months [] (9.2)
#   tourist                  a tourist shown as insured (9.3)
#   child                    a child of 12 without a document (9.4)
#   citizen                  an attached citizen: unchanged
STORED = json.loads((FIXTURES / "registry-rev2-decisions.json").read_text(encoding="utf-8"))


def _registry(tmp_path):
    now = datetime(2026, 12, 10, 10, 0)
    reg = open_registry(tmp_path / "registry.sqlite", now=now)
    ids = {}
    for entry in STORED:
        assert entry["decision"]["reference"]["version"] == PREVIOUS
        pid = reg.save_patient(entry["case"], user="reg", now=now)
        reg.record_decision(pid, entry["decision"], user="reg", now=now)
        ids[pid] = entry["name"]
    return reg, ids


def test_recheck_lists_the_patients_whose_answer_changes(tmp_path, ref):
    reg, ids = _registry(tmp_path)
    with reg:
        changed = {ids[c["patient_id"]]: c for c in recheck(reg, ref, ON)}
    assert set(changed) == {"citizen_planned", "citizen_insured_planned", "citizen_nothing_paid", "tourist", "child"}
    assert all(c["old_reference"] == PREVIOUS and c["new_reference"] == ref.version for c in changed.values())
    ch = {k: v["changes"] for k, v in changed.items()}
    assert ch["citizen_planned"]["care.free"] == [True, False]
    assert ch["citizen_planned"]["care.payment"] == [None, "price_list"]
    assert ch["citizen_insured_planned"]["care.scheme"] == ["GOBMP", "OSMS"]
    assert "care.free" not in ch["citizen_insured_planned"]
    assert ch["citizen_nothing_paid"]["osms.insured"] == [None, False]
    assert ch["tourist"]["osms.insured"] == [True, None]
    assert ch["tourist"]["osms.source"] == ["stated", "not_applicable"]
    assert ch["child"]["attachment.missing_documents"] == [["id_card_kz"], ["birth_certificate"]]


def test_recheck_under_the_previous_release_lists_nothing_it_cannot_decide(tmp_path):
    """Today's engine still decides on the previous release (a clinic that has not installed the
    new one): no error, and the patients whose answer rests on revision 3's data are unchanged."""
    previous_path = tmp_path / "previous.sqlite"
    with gzip.open(FIXTURES / f"reference-{PREVIOUS}.sqlite.gz") as src, open(previous_path, "wb") as out:
        shutil.copyfileobj(src, out)
    previous = load_reference(previous_path)
    assert previous.version == PREVIOUS
    for entry in STORED:
        d = decide_data(entry["case"], previous, on=ON, default_date=ON).to_dict()
        assert d["reference"]["version"] == PREVIOUS
    reg, ids = _registry(tmp_path)
    with reg:
        changed = {ids[c["patient_id"]] for c in recheck(reg, previous, ON)}
    assert not changed & {"citizen_planned", "citizen_insured_planned", "citizen_nothing_paid", "citizen"}
