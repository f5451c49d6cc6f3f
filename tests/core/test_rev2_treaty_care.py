"""rules.md revision 2: the treaty layer, trafficking victims, viral haemorrhagic fevers, HIV,
`care` (the answer to today's need) and the citations of section 8 item 8."""
from __future__ import annotations

from datetime import date

import pytest

from core_helpers import case, codes, decide, doc, pairs

GOBMP_EMERGENCY = ("GOBMP", "emergency")
DANGEROUS = ("GOBMP", "dangerous_diseases")


def _ids(d) -> set[str]:
    return {b["id"] for b in d["basis"]}


# --- treaty layer (rules.md section 3) --------------------------------------------------------
@pytest.mark.parametrize("country,purpose", [("BY", "tourism"), ("AM", "study"), ("KG", "tourism")])
def test_eaeu_visitor_of_a_cis_list_country_gets_emergency(ref, country, purpose):
    """A Belarusian, Armenian or Kyrgyz visitor gets ГОБМП emergency care through the CIS agreement."""
    d = decide(ref, case(country, [doc("passport")], purpose_of_stay=purpose))
    assert d["category"] == "eaeu_visitor"
    assert GOBMP_EMERGENCY in pairs(d) and "cis-agreement-1997" in _ids(d)


def test_russian_visitor_gets_the_dangerous_disease_list_only(ref):
    """Russia is not on the FMS CIS list: a Russian tourist gets no free emergency care."""
    d = decide(ref, case("RU", [doc("passport")], purpose_of_stay="tourism", needs="emergency"))
    assert pairs(d) == {DANGEROUS, ("PAID", "planned")}
    assert d["care"]["free"] is False and d["care"]["payment"] == "price_list"


@pytest.mark.parametrize("country,emergency", [("UZ", True), ("UA", True), ("MD", True), ("TJ", True),
                                               ("RU", False), ("AF", False), ("CN", False)])
def test_asylum_seeker_gets_emergency_by_citizenship(ref, country, emergency):
    """An asylum seeker from a CIS-list country gets emergency care; others the dangerous list only."""
    d = decide(ref, case(country, [doc("asylum_seeker_certificate")]))
    assert d["category"] == "asylum_seeker"
    assert (GOBMP_EMERGENCY in pairs(d)) is emergency


def test_trafficking_victim_of_a_cis_list_country_gets_emergency(ref):
    """A trafficking victim from Uzbekistan gets emergency care, the dangerous list and the special list."""
    d = decide(ref, case("UZ", [doc("trafficking_victim_notice")]))
    assert {GOBMP_EMERGENCY, DANGEROUS, ("GOBMP", "special_list")} <= pairs(d)


def test_trafficking_victim_gets_the_dangerous_disease_list(ref):
    """Trafficking victims get the dangerous-disease list as well as the special list (art. 83 p.2)."""
    d = decide(ref, case("NP", [doc("trafficking_victim_notice")]))
    assert pairs(d) == {DANGEROUS, ("GOBMP", "special_list")}


@pytest.mark.parametrize("country", ["KG", "UZ"])
def test_prepayment_rule_follows_the_treaty_not_the_category(ref, country):
    """Planned care without a guarantee letter: prepayment_required for an EAEU or CIS visitor alike."""
    d = decide(ref, case(country, [doc("passport")], needs="planned"))
    assert "prepayment_required" in codes(d)
    assert d["care"] == {"need": "planned", "free": False, "scheme": "PAID", "scope": None,
                         "payment": "prepayment", "basis": d["care"]["basis"]}


def test_guarantee_letter_removes_the_prepayment(ref):
    """With a valid guarantee letter planned care is paid by it: no prepayment warning."""
    d = decide(ref, case("BY", [doc("passport"), doc("guarantee_letter")], needs="planned"))
    assert "prepayment_required" not in codes(d) and d["care"]["payment"] == "guarantee_letter"


def test_russian_planned_care_has_no_prepayment_rule(ref):
    """No treaty layer for a Russian visitor: planned care at the price list, no prepayment warning."""
    d = decide(ref, case("RU", [doc("passport")], needs="planned"))
    assert "prepayment_required" not in codes(d) and d["care"]["payment"] == "price_list"


def test_eaeu_worker_keeps_own_row_without_treaty_terms(ref):
    """An EAEU worker may attach: emergency is his own row (annex 30), no CIS prepayment terms."""
    docs = [doc("passport"), doc("employment_contract", valid_from="2026-01-01", valid_until="2027-01-01"),
            doc("vms_contract", valid_from="2026-01-01", valid_until="2027-01-01")]
    d = decide(ref, case("BY", docs, needs="planned"))
    assert d["category"] == "eaeu_worker" and "prepayment_required" not in codes(d)
    assert not any(c.get("payment") for c in d["coverage"])


@pytest.mark.parametrize("on,emergency", [(date(2000, 2, 28), False), (date(2000, 2, 29), True),
                                          (date(2000, 3, 1), True)])
def test_treaty_layer_follows_membership_on_the_date(ref, on, emergency):
    """The layer is keyed by membership of the CIS agreement on the decision date (from 29.02.2000)."""
    d = decide(ref, case("TJ", [doc("passport")]), on=on)
    assert (GOBMP_EMERGENCY in pairs(d)) is emergency


def test_treaty_layer_is_reference_data(ref):
    """The treaty layer lives in the reference data, keyed by a union of countries.yaml."""
    assert {(t.union, t.scheme, t.scope) for t in ref.treaty_layers} >= {("CIS", "GOBMP", "emergency"),
                                                                         ("CIS", "PAID", "planned")}
    assert not ref.is_member("CIS", "RU", date(2026, 1, 1))


# --- viral haemorrhagic fevers and HIV -----------------------------------------------------
@pytest.mark.parametrize("code,listed", [("A91", True), ("A95", True), ("A96.0", True), ("A98.0", True),
                                         ("A99", True), ("A92.3", False), ("A93.0", False), ("A94", False)])
def test_viral_haemorrhagic_fevers_codes(ref, code, listed):
    """VHF are A91, A96, A98, A99 (yellow fever A95); A92-A94 are not haemorrhagic."""
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10=code, needs="diagnosis"))
    assert ("dangerous_disease_notice" in codes(d)) is listed
    assert d["care"]["free"] is listed


@pytest.mark.parametrize("code,warned", [("B20", True), ("B23.0", True), ("B24", True), ("Z21", True),
                                         ("B19", False), ("B25", False), ("Z22", False)])
def test_hiv_investigation_for_immigrants(ref, code, warned):
    """An immigrant with HIV (B20-B24, Z21): hiv_investigation, and no dangerous-disease care from it
    (rev. 3, rules.md 9.5: an immigrant's basis is R665 p.14 sp.3)."""
    d = decide(ref, case("TJ", [doc("passport")], diagnosis_icd10=code, purpose_of_stay="study"))
    assert ("hiv_investigation" in codes(d)) is warned
    if warned:
        assert "dangerous_disease_notice" not in codes(d) and {"r665-14-3", "dsm-231"} <= _ids(d)


def test_no_hiv_investigation_warning_for_a_citizen(ref):
    """hiv_investigation is for immigrants: not for a citizen of Kazakhstan."""
    d = decide(ref, case("KZ", [doc("id_card_kz")], diagnosis_icd10="B20"))
    assert "hiv_investigation" not in codes(d)


def test_dangerous_disease_warning_names_observation_and_medicines(ref):
    """The dangerous-disease warning names dynamic observation and medicines (R665 p.14 sp.2)."""
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10="A15", purpose_of_stay="study"))
    msg = next(w["message"] for w in d["warnings"] if w["code"] == "dangerous_disease_notice")
    assert "динамическое наблюдение" in msg and "лекарственными средствами" in msg


# --- care ---------------------------------------------------------------------------------
def test_measles_of_a_tourist_is_free_care(ref):
    """A tourist's measles visit reads as free ГОБМП care for a dangerous disease, not a refusal."""
    d = decide(ref, case("US", [doc("passport")], purpose_of_stay="tourism", diagnosis_icd10="B05",
                         needs="diagnosis"))
    assert d["attachment"]["status"] == "not_allowed"
    assert d["care"]["free"] is True and (d["care"]["scheme"], d["care"]["scope"]) == DANGEROUS
    assert set(d["care"]["basis"]) <= _ids(d)


def test_care_is_absent_for_attachment(ref):
    """needs attachment (the default): no care answer."""
    assert decide(ref, case("KZ", [doc("id_card_kz")]))["care"] is None


def test_citizen_planned_care_hangs_on_the_osms_status(ref):
    """rev. 3 (rules.md 9.1): a citizen's planned specialised care is ОСМС; status unknown: free null."""
    d = decide(ref, case("KZ", [doc("id_card_kz")], needs="planned"))
    assert d["care"]["free"] is None and d["care"]["scheme"] == "OSMS"


def test_cis_visitor_emergency_is_free(ref):
    """A CIS-list visitor's emergency: free ГОБМП emergency care."""
    d = decide(ref, case("UZ", [doc("passport")], needs="emergency"))
    assert (d["care"]["free"], d["care"]["scope"]) == (True, "emergency")


def test_eaeu_worker_planned_care_hangs_on_unknown_osms(ref):
    """An EAEU worker's planned care with ОСМС status unknown: free is null."""
    docs = [doc("passport"), doc("employment_contract", valid_from="2026-01-01", valid_until="2027-01-01"),
            doc("dms_contract", covers_phc=True, valid_from="2026-01-01", valid_until="2027-01-01")]
    d = decide(ref, case("KG", docs, needs="planned"))
    assert d["care"]["free"] is None and d["care"]["scheme"] == "OSMS"


def test_eaeu_worker_not_insured_pays_by_insurance(ref):
    """Not insured, with a ДМС: planned care is paid by the insurance."""
    docs = [doc("passport"), doc("employment_contract", valid_from="2026-01-01", valid_until="2027-01-01"),
            doc("dms_contract", covers_phc=True, valid_from="2026-01-01", valid_until="2027-01-01")]
    d = decide(ref, case("KG", docs, needs="planned", osms={"status": "not_insured"}))
    assert (d["care"]["free"], d["care"]["payment"]) == (False, "insurance")


# --- citations (rules.md section 8 item 8) -------------------------------------------------
def test_citizen_attachment_and_osms_citations(ref):
    """A citizen: attachment on ОСМС Law art. 6 p.1 and ҚР ДСМ-194/2020, ОСМС on art. 5 p.1; no art. 83, no 2 p.2."""
    d = decide(ref, case("KZ", [doc("id_card_kz")], diagnosis_icd10="A15"))
    assert {"osms-law-6-1", "dsm-194-attach"} <= set(d["attachment"]["basis"])
    osms = next(c for c in d["coverage"] if c["scheme"] == "OSMS")
    assert "osms-law-5-1" in osms["basis"]
    assert not {"hc-83-1", "osms-law-2-2", "r665-5"} & _ids(d)


def test_refugee_osms_rests_on_r665_p4(ref):
    """A refugee's ОСМС rests on R665 p.4."""
    d = decide(ref, case("AF", [doc("refugee_certificate")]))
    osms = next(c for c in d["coverage"] if c["scheme"] == "OSMS")
    assert "r665-4" in osms["basis"] and "osms-law-2-2" not in osms["basis"]


def test_state_insured_citations(ref):
    """State-insured (preferential) status rests on art. 5 p.1 with art. 28 p.7 and leaflet 004."""
    d = decide(ref, case("KZ", [doc("id_card_kz")], osms={"payer": "preferential"}))
    assert {"osms-law-5-1", "osms-law-28-7", "osms-leaflet-004"} <= _ids(d)


def test_every_basis_id_resolves(ref):
    """Every basis id in coverage, care, regain and warnings resolves in the top-level basis."""
    d = decide(ref, case("KG", [doc("passport")], needs="planned", diagnosis_icd10="B20",
                         osms={"payer": "self_payer", "paid_months": ["2025-01", "2025-02", "2025-03"]}))
    ids = _ids(d)
    used = {b for c in d["coverage"] for b in c["basis"]} | set(d["care"]["basis"]) \
        | {b for w in d["warnings"] for b in w["basis"]}
    assert used <= ids
