"""Attachment to the polyclinic (rules.md section 2)."""
from __future__ import annotations

import pytest

from core_helpers import DMS, VMS, WORKER_DOCS, case, decide, doc

FAMILY = {"relation": "child", "lives_together": True}


@pytest.mark.parametrize("data,channels,required", [
    (case("KZ", [doc("id_card_kz")]), {"egov", "clinic"}, ["id_card_kz"]),
    (case("KZ", [doc("passport_kz")]), {"egov", "clinic"}, ["passport_kz"]),
    (case("MN", [doc("kandas_certificate")]), {"egov", "clinic"}, ["kandas_certificate"]),
    (case("AF", [doc("refugee_certificate")]), {"egov", "clinic"}, ["refugee_certificate"]),
    (case("KR", [doc("residence_permit")]), {"egov", "clinic"}, ["residence_permit"]),
    (case(None, [doc("stateless_certificate")]), {"egov", "clinic"}, ["stateless_certificate"]),
    (case("KG", WORKER_DOCS + [DMS]), {"clinic"}, ["passport", "employment_contract", "dms_contract"]),
    (case("KG", [doc("birth_certificate"), DMS], family_of_eaeu_worker=FAMILY), {"clinic"}, ["birth_certificate", "dms_contract"]),
])
def test_may_attach_rows(ref, data, channels, required):
    """Categories that may attach are allowed, by their channels, with their documents."""
    d = decide(ref, data)["attachment"]
    assert d["status"] == "allowed"
    assert set(d["channels"]) == channels
    assert d["required_documents"] == required
    assert d["missing_documents"] == []


@pytest.mark.parametrize("data", [
    case("SY", [doc("asylum_seeker_certificate")]),
    case("NP", [doc("trafficking_victim_notice")]),
    case("BY", [doc("passport")]),
    case("UZ", [doc("passport")]),
    case("US", [doc("passport"), VMS]),
])
def test_all_others_may_not_attach(ref, data):
    """Every other category is not allowed, with no channels."""
    d = decide(ref, data)["attachment"]
    assert d["status"] == "not_allowed" and d["channels"] == [] and d["missing_documents"] == []


def test_worker_without_insurance_needs_the_contract(ref):
    """An EAEU worker without ДМС/ВМС needs documents, and the missing kind is dms_contract."""
    d = decide(ref, case("AM", WORKER_DOCS))["attachment"]
    assert d["status"] == "needs_documents" and d["missing_documents"] == ["dms_contract"]
    assert d["until"] is None


def test_dms_not_covering_phc_does_not_count(ref):
    """A ДМС that does not cover ПМСП does not allow attachment."""
    dms = dict(DMS, covers_phc=False)
    d = decide(ref, case("KG", WORKER_DOCS + [dms]))
    assert d["attachment"]["missing_documents"] == ["dms_contract"]


def test_dms_silent_on_phc_does_not_count(ref):
    """A ДМС that does not state it covers ПМСП is not enough."""
    dms = {k: v for k, v in DMS.items() if k != "covers_phc"}
    assert decide(ref, case("KG", WORKER_DOCS + [dms]))["attachment"]["status"] == "needs_documents"


def test_vms_counts_for_attachment(ref):
    """A ВМС covers ПМСП by law and allows an EAEU worker to attach."""
    d = decide(ref, case("KG", WORKER_DOCS + [VMS]))["attachment"]
    assert d["status"] == "allowed" and d["required_documents"][-1] == "vms_contract"


def test_attachment_lasts_until_insurance_ends(ref):
    """The EAEU worker's attachment ends with the ДМС/ВМС contract."""
    dms = dict(DMS, valid_until="2027-01-31")
    assert decide(ref, case("KG", WORKER_DOCS + [dms]))["attachment"]["until"] == "2027-01-31"


def test_expired_insurance_means_documents_needed(ref):
    """An expired ДМС is not counted: the worker needs a new contract."""
    dms = dict(DMS, valid_until="2026-11-21")
    d = decide(ref, case("KG", WORKER_DOCS + [dms]))["attachment"]
    assert d["status"] == "needs_documents"


def test_worker_without_passport_needs_it(ref):
    """The foreign passport is required for an EAEU worker."""
    docs = [doc("employment_contract", valid_until="2027-03-31"), DMS]
    assert decide(ref, case("KG", docs))["attachment"]["missing_documents"] == ["passport"]


def test_family_member_without_contract_needs_it(ref):
    """A family member attaches only with the same kind of contract."""
    d = decide(ref, case("RU", [doc("passport")], family_of_eaeu_worker=FAMILY))["attachment"]
    assert d["status"] == "needs_documents" and d["missing_documents"] == ["dms_contract"]


def test_citizen_without_identity_document_needs_it(ref):
    """A citizen with no valid identity card, passport or birth certificate needs one."""
    d = decide(ref, case("KZ", [doc("id_card_kz", valid_until="2025-01-01")]))["attachment"]
    assert d["status"] == "needs_documents" and d["missing_documents"] == ["id_card_kz"]


def test_child_of_permanent_resident_is_told_about_egov(ref):
    """For a child, the explanation says children attach via egov with a parent's ЭЦП."""
    d = decide(ref, case("KR", [doc("residence_permit")], person={"birth_date": "2020-01-01"}))
    assert any("ЭЦП родителя" in s for s in d["explanation"])
