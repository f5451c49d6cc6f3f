"""Issue 21 item 8: a document that proves identity (documents.yaml `number_required`) without
its number is noted by the core (interface.md keeps `number` optional, so the case is still
decided); other documents — a kandas certificate as in case p02, contracts — are not."""
from __future__ import annotations

import json
import pytest

from tests.core.core_helpers import case, decide, doc


@pytest.mark.parametrize("kind", ["id_card_kz", "passport_kz", "passport", "birth_certificate",
                                  "residence_permit", "stateless_certificate", "refugee_certificate"])
def test_an_identity_document_without_number_is_noted(ref, kind):
    d = decide(ref, case("KZ", [{"kind": kind}]))
    assert {"field": "documents[0].number", "code": "number_missing"}.items() <= \
        next(n for n in d["input_notes"] if n["code"] == "number_missing").items()


@pytest.mark.parametrize("kind", ["kandas_certificate", "employment_contract", "dms_contract",
                                  "medical_certificate_hiv_tb", "temporary_registration"])
def test_other_documents_need_no_number(ref, kind):
    d = decide(ref, case("KZ", [doc("id_card_kz", number="012345678"), doc(kind)]))
    assert [n for n in d["input_notes"] if n["code"] == "number_missing"] == []


def test_the_reference_lists_the_kinds_that_need_a_number(ref):
    assert {"id_card_kz", "passport", "residence_permit"} <= ref.number_required
    assert "kandas_certificate" not in ref.number_required <= set(ref.document_kind_codes)


def test_the_command_line_says_it_too(tmp_path):
    """`decide` prints the note (exit 0: the case is still decided)."""
    from cli_helpers import run_cli

    path = tmp_path / "case.json"
    path.write_text(json.dumps({"as_of": "2026-11-22", "person": {"citizenship": "KZ"},
                                "documents": [{"kind": "id_card_kz"}]}), encoding="utf-8")
    out = run_cli(["decide", str(path)], tmp_path / "r.sqlite")
    assert out.returncode == 0, out.stderr
    notes = json.loads(out.stdout)["input_notes"]
    assert [n["field"] for n in notes if n["code"] == "number_missing"] == ["documents[0].number"]
