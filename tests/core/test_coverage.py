"""What care is covered: the coverage matrix and the layers (rules.md section 3)."""
from __future__ import annotations

import pytest

from core_helpers import DMS, VMS, WORKER_DOCS, case, decide, doc, pairs

INSURED = {"status": "insured"}
FAMILY = {"relation": "spouse", "lives_together": True}


@pytest.mark.parametrize("data,expected", [
    (case("KZ", [doc("id_card_kz")]), {("GOBMP", "full"), ("OSMS", "full")}),
    (case("MN", [doc("kandas_certificate")]), {("GOBMP", "full"), ("OSMS", "full")}),
    (case("AF", [doc("refugee_certificate")]), {("GOBMP", "full"), ("OSMS", "full")}),
    (case("KR", [doc("residence_permit")]), {("GOBMP", "full"), ("OSMS", "full")}),
    (case("KG", WORKER_DOCS, osms=INSURED), {("GOBMP", "dangerous_diseases"), ("GOBMP", "emergency"), ("OSMS", "full")}),
    (case("RU", [doc("passport")], family_of_eaeu_worker=FAMILY, osms=INSURED),
     {("GOBMP", "dangerous_diseases"), ("GOBMP", "emergency"), ("OSMS", "full")}),
    (case("BY", [doc("passport")]), {("GOBMP", "dangerous_diseases"), ("GOBMP", "emergency"), ("PAID", "planned")}),
    (case("MD", [doc("passport")]), {("GOBMP", "dangerous_diseases"), ("GOBMP", "emergency"), ("PAID", "planned")}),
    (case("US", [doc("passport")]), {("GOBMP", "dangerous_diseases"), ("PAID", "planned")}),
    (case("SY", [doc("asylum_seeker_certificate")]), {("GOBMP", "dangerous_diseases"), ("PAID", "planned")}),
    (case("NP", [doc("trafficking_victim_notice")]), {("GOBMP", "dangerous_diseases"), ("GOBMP", "special_list")}),
])
def test_matrix_rows(ref, data, expected):
    """Each row of the coverage matrix gives exactly its schemes and scopes."""
    assert pairs(decide(ref, data)) == expected


@pytest.mark.parametrize("osms,active", [("insured", True), ("not_insured", False), ("unknown", None)])
def test_osms_entry_carries_the_insured_status(ref, osms, active):
    """The ОСМС entry's `active` is the insured status: true, false or null."""
    d = decide(ref, case("KZ", [doc("id_card_kz")], osms={"status": osms}))
    entry = next(c for c in d["coverage"] if c["scheme"] == "OSMS")
    assert entry["active"] is active


def test_uninsured_eaeu_worker_pays_for_planned_care(ref):
    """An uninsured EAEU worker pays actual cost once the threat to life is removed."""
    d = decide(ref, case("KG", WORKER_DOCS + [DMS], osms={"status": "not_insured"}))
    assert ("PAID", "planned") in pairs(d)
    assert ("DMS", "contract") in pairs(d)


def test_insured_eaeu_worker_has_no_paid_entry(ref):
    """An insured EAEU worker's planned care is under ОСМС, not paid."""
    assert ("PAID", "planned") not in pairs(decide(ref, case("KG", WORKER_DOCS, osms=INSURED)))


def test_no_osms_entry_for_visitors(ref):
    """Categories that cannot use ОСМС have no ОСМС entry."""
    for cit in ("BY", "MD", "US"):
        assert not any(c["scheme"] == "OSMS" for c in decide(ref, case(cit, [doc("passport")]))["coverage"])


def test_valid_vms_adds_minimal_list(ref):
    """A valid ВМС adds VMS/minimal_list whatever the category."""
    assert ("VMS", "minimal_list") in pairs(decide(ref, case("IN", [doc("passport"), VMS])))


def test_valid_dms_adds_contract(ref):
    """A valid ДМС adds DMS/contract, also for a citizen."""
    assert ("DMS", "contract") in pairs(decide(ref, case("KZ", [doc("id_card_kz"), DMS])))


def test_expired_insurance_adds_nothing(ref):
    """An expired ДМС adds no coverage."""
    d = decide(ref, case("US", [doc("passport"), dict(DMS, valid_until="2026-11-21")]))
    assert ("DMS", "contract") not in pairs(d)


def test_cis_emergency_is_limited_until_threat_removed(ref):
    """The CIS emergency entry says it lasts only until the threat is removed."""
    d = decide(ref, case("TJ", [doc("passport")]))
    em = next(c for c in d["coverage"] if c["scope"] == "emergency")
    assert "угроз" in em["note"]


def test_every_basis_resolves(ref):
    """Every basis id in coverage and warnings is in the top-level basis list with act and article."""
    d = decide(ref, case("KG", WORKER_DOCS, osms=INSURED, needs="planned", diagnosis_icd10="A15.0"))
    ids = {b["id"] for b in d["basis"]}
    for item in d["coverage"] + d["warnings"]:
        assert set(item["basis"]) <= ids
    assert all(b["act"] and b["article"] for b in d["basis"])


def test_category_and_attachment_carry_their_basis(ref):
    """The category and the attachment name the acts they rest on, resolvable in the basis list."""
    d = decide(ref, case("KG", WORKER_DOCS + [DMS]))
    ids = {b["id"] for b in d["basis"]}
    assert d["category_basis"] and set(d["category_basis"]) <= ids
    assert d["attachment"]["basis"] and set(d["attachment"]["basis"]) <= ids
