"""Warnings the registrar must see (rules.md section 5): each when it applies, and not otherwise."""
from __future__ import annotations

from datetime import date

import pytest

from core_helpers import CERT, DMS, VMS, WORKER_DOCS, case, codes, decide, doc


def test_document_expired(ref):
    """A document whose validity ended before the date gives document_expired."""
    assert "document_expired" in codes(decide(ref, case("KZ", [doc("id_card_kz", valid_until="2026-11-21")])))


def test_document_valid_today_is_not_expired(ref):
    """A document valid through the decision date is not expired."""
    assert "document_expired" not in codes(decide(ref, case("KZ", [doc("id_card_kz", valid_until="2026-11-22")])))


def test_vms_required_for_foreign_worker(ref):
    """A temporarily staying foreign worker without ВМС gets vms_required."""
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract")], purpose_of_stay="work"))
    assert "vms_required" in codes(d)


def test_vms_required_also_with_dms_only(ref):
    """A ДМС does not replace the ВМС a foreign worker must hold."""
    assert "vms_required" in codes(decide(ref, case("KG", WORKER_DOCS + [DMS], purpose_of_stay="work")))


def test_no_vms_warning_with_vms(ref):
    """A valid ВМС clears vms_required and insurance_required."""
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"), VMS], purpose_of_stay="work"))
    assert not {"vms_required", "insurance_required"} & codes(d)


def test_vms_not_covering_phc_does_not_clear_vms_required(ref):
    """A ВМС marked covers_phc: false does not meet seed 000 (ВМС covering ПМСП): vms_required stays."""
    vms = dict(VMS, covers_phc=False)
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"), vms],
                         purpose_of_stay="work"))
    assert "vms_required" in codes(d) and "vms_expires_before_contract" not in codes(d)


def test_vms_without_covers_phc_stated_clears_vms_required(ref):
    """A ВМС that does not state covers_phc covers ПМСП by law: no vms_required."""
    vms = {k: v for k, v in VMS.items() if k != "covers_phc"}
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"), vms],
                         purpose_of_stay="work"))
    assert "vms_required" not in codes(d)


def test_vms_expiry_judged_on_the_vms_covering_phc(ref):
    """When only a ВМС covering ПМСП counts, its end (not a non-covering one's) is compared with the contract."""
    short = dict(VMS, valid_until="2027-01-31")
    long_no_phc = dict(VMS, covers_phc=False)
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"),
                                short, long_no_phc], purpose_of_stay="work"))
    assert "vms_expires_before_contract" in codes(d) and "vms_required" not in codes(d)


def test_no_vms_warning_for_permanent_resident(ref):
    """A permanent resident who works is not temporarily staying: no vms_required."""
    d = decide(ref, case("KR", [doc("residence_permit"), doc("employment_contract")], purpose_of_stay="work"))
    assert "vms_required" not in codes(d)


def test_employment_contract_implies_work(ref):
    """With no purpose stated, a valid employment contract of a visitor means work."""
    assert "vms_required" in codes(decide(ref, case("KG", WORKER_DOCS)))


def test_vms_expires_before_contract(ref):
    """A ВМС ending before the employment contract gives vms_expires_before_contract."""
    vms = dict(VMS, valid_until="2027-01-31")
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"), vms], purpose_of_stay="work"))
    assert "vms_expires_before_contract" in codes(d)


def test_vms_for_full_contract_term_is_fine(ref):
    """A ВМС ending with the contract gives no such warning."""
    d = decide(ref, case("IN", [doc("passport"), doc("employment_contract", valid_until="2027-03-31"), VMS], purpose_of_stay="work"))
    assert "vms_expires_before_contract" not in codes(d)


@pytest.mark.parametrize("purpose", ["family_reunification", "study", "work", "humanitarian"])
def test_insurance_required_for_purposes(ref, purpose):
    """Temporary immigrants for family, study, work or humanitarian reasons must be insured."""
    assert "insurance_required" in codes(decide(ref, case("CN", [doc("passport")], purpose_of_stay=purpose)))


@pytest.mark.parametrize("purpose", ["tourism", "political", "return_to_homeland", "other"])
def test_no_insurance_warning_for_other_purposes(ref, purpose):
    """Other purposes do not require insurance."""
    assert "insurance_required" not in codes(decide(ref, case("CN", [doc("passport")], purpose_of_stay=purpose)))


def test_insurance_required_cleared_by_dms(ref):
    """A valid ДМС satisfies the insurance requirement."""
    assert "insurance_required" not in codes(decide(ref, case("CN", [doc("passport"), DMS], purpose_of_stay="study")))


def test_no_insurance_warning_for_permanent_resident(ref):
    """Permanent residents are not temporary immigrants."""
    d = decide(ref, case("CN", [doc("residence_permit")], purpose_of_stay="family_reunification"))
    assert "insurance_required" not in codes(d)


@pytest.mark.parametrize("purpose", ["return_to_homeland", "family_reunification", "study", "work", "humanitarian", "political"])
def test_medical_exam_required_for_immigrants(ref, purpose):
    """An immigrant (R665 p.3 purposes) without the HIV/TB certificate needs the paid exam."""
    assert "medical_exam_required" in codes(decide(ref, case("CN", [doc("passport")], purpose_of_stay=purpose)))


def test_medical_exam_not_for_tourists(ref):
    """A tourist is not an immigrant: no exam warning."""
    assert "medical_exam_required" not in codes(decide(ref, case("CN", [doc("passport")], purpose_of_stay="tourism")))


def test_certificate_clears_medical_exam(ref):
    """The home-country certificate clears medical_exam_required."""
    assert "medical_exam_required" not in codes(decide(ref, case("CN", [doc("passport"), CERT], purpose_of_stay="study")))


def test_kandas_is_an_immigrant_returning_home(ref):
    """A kandas without the certificate needs the exam even with no purpose stated."""
    assert "medical_exam_required" in codes(decide(ref, case("MN", [doc("kandas_certificate")])))


def test_citizen_never_needs_the_exam(ref):
    """Citizens are not immigrants."""
    assert "medical_exam_required" not in codes(decide(ref, case("KZ", [doc("id_card_kz")], purpose_of_stay="work")))


@pytest.mark.parametrize("code,listed", [
    ("A36", True), ("B05.9", True), ("A01.0", True), ("A01.2", True), ("A01.4", False), ("A15.0", True),
    ("A19.9", True), ("F32.1", True), ("A22.1", True), ("A22.0", False), ("B17.2", True), ("B17.1", False),
    ("B54", True), ("J09", True), ("J10", False), ("U07.1", True), ("U07.2", True), ("U07.3", False), ("I10", False)])
def test_dangerous_disease_list(ref, code, listed):
    """Diagnoses on the ДСМ-121/2020 list (our ICD-10 mapping) give dangerous_disease_notice."""
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10=code, needs="diagnosis"))
    assert ("dangerous_disease_notice" in codes(d)) is listed


def test_tuberculosis_notice_mentions_phthisiology(ref):
    """For tuberculosis the notice adds the phthisiology organisation."""
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10="A16.2"))
    msg = next(w["message"] for w in d["warnings"] if w["code"] == "dangerous_disease_notice")
    assert "фтизиопульмонолог" in msg


def test_prepayment_for_cis_planned_care(ref):
    """A CIS visitor needing planned care without a guarantee letter must prepay."""
    assert "prepayment_required" in codes(decide(ref, case("UZ", [doc("passport")], needs="planned")))


def test_guarantee_letter_clears_prepayment(ref):
    """With the sending state's guarantee letter no prepayment is required."""
    d = decide(ref, case("UZ", [doc("passport"), doc("guarantee_letter")], needs="planned"))
    assert "prepayment_required" not in codes(d)


def test_no_prepayment_for_emergency(ref):
    """Emergency care of a CIS visitor needs no prepayment."""
    assert "prepayment_required" not in codes(decide(ref, case("UZ", [doc("passport")], needs="emergency")))


def test_no_prepayment_for_non_cis(ref):
    """The prepayment rule is the CIS agreement's: not for a US visitor."""
    assert "prepayment_required" not in codes(decide(ref, case("US", [doc("passport")], needs="planned")))


@pytest.mark.parametrize("on,outdated", [
    (date(2019, 12, 31), True), (date(2020, 1, 1), False), (date(2020, 1, 2), False),
    (date(2026, 12, 30), False), (date(2026, 12, 31), False), (date(2027, 1, 1), True)])
def test_reference_outdated_outside_the_period(ref, on, outdated):
    """A decision date outside the reference period gives reference_outdated."""
    d = decide(ref, case("KZ", [doc("id_card_kz", valid_until="2035-01-01")]), on=on)
    assert ("reference_outdated" in codes(d)) is outdated


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_warning_messages_in_language(ref, lang):
    """Warning messages come in the chosen language from the reference data."""
    d = decide(ref, case("UZ", [doc("passport")], needs="planned"), lang=lang)
    msg = next(w["message"] for w in d["warnings"] if w["code"] == "prepayment_required")
    assert msg == ref.warnings["prepayment_required"][lang]
