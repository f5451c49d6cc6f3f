"""rules.md revision 3 (section 9): each rule, and on the day before, the day of and the day
after every date it turns on."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core_helpers import case, codes, decide, doc

ID = [doc("id_card_kz")]


def _ids(d) -> set[str]:
    return {b["id"] for b in d["basis"]}


def around(day: date):
    return [day - timedelta(days=1), day, day + timedelta(days=1)]


def citizen(osms=None, **kw):
    return case("KZ", ID, osms=osms or {"status": "unknown"}, **kw)


def resident(cat_docs, osms, needs):
    return case("TR", [doc("passport"), *cat_docs], osms=osms, needs=needs)


CITIZEN_LIKE = {
    "citizen": lambda o, n: case("KZ", ID, osms=o, needs=n),
    "kandas": lambda o, n: resident([doc("kandas_certificate")], o, n),
    "refugee": lambda o, n: resident([doc("refugee_certificate")], o, n),
    "permanent_resident": lambda o, n: resident([doc("residence_permit")], o, n),
}


# --- 9.1 today's need ---------------------------------------------------------------------
@pytest.mark.parametrize("cat", sorted(CITIZEN_LIKE))
@pytest.mark.parametrize("status", ["insured", "not_insured", "unknown"])
def test_phc_is_free_under_gobmp_whatever_the_osms_status(ref, cat, status):
    d = decide(ref, CITIZEN_LIKE[cat]({"status": status}, "phc"))
    assert d["category"] == cat
    assert (d["care"]["free"], d["care"]["scheme"], d["care"]["scope"]) == (True, "GOBMP", "full")
    assert "prepayment_required" not in codes(d)


@pytest.mark.parametrize("cat", sorted(CITIZEN_LIKE))
@pytest.mark.parametrize("status,free,scheme,payment", [("insured", True, "OSMS", None),
                                                        ("not_insured", False, "PAID", "price_list"),
                                                        ("unknown", None, "OSMS", None)])
def test_planned_care_of_the_citizen_like_follows_the_osms_status(ref, cat, status, free, scheme, payment):
    d = decide(ref, CITIZEN_LIKE[cat]({"status": status}, "planned"))
    c = d["care"]
    assert (c["free"], c["scheme"], c["payment"]) == (free, scheme, payment)
    assert set(c["basis"]) <= _ids(d)


@pytest.mark.parametrize("lang,words", [("ru", ("социально значимых", "хронических", "сверяет")),
                                        ("kk", ("әлеуметтік мәні бар", "созылмалы", "тіркеуші"))])
def test_uninsured_planned_care_says_gobmp_still_covers_socially_significant(ref, lang, words):
    d = decide(ref, citizen({"status": "not_insured"}, needs="planned"), lang=lang)
    text = " ".join(d["explanation"])
    assert all(w in text for w in words)
    assert "gov-672" in d["care"]["basis"]


def test_uninsured_citizen_with_a_dms_contract_pays_by_the_insurance(ref):
    d = decide(ref, case("KZ", ID + [doc("dms_contract", covers_phc=True)], osms={"status": "not_insured"},
                         needs="planned"))
    assert (d["care"]["free"], d["care"]["payment"]) == (False, "insurance")


@pytest.mark.parametrize("on,free,payment", [(date(2026, 11, 29), True, None), (date(2026, 11, 30), True, None),
                                             (date(2026, 12, 1), False, "price_list")])
def test_planned_care_turns_paid_the_day_after_the_computed_status_ends(ref, on, free, payment):
    """Last paid August 2026 (employee): insured through 30.11.2026; planned care is paid from 1.12."""
    d = decide(ref, citizen({"payer": "employee", "paid_months": ["2026-06", "2026-07", "2026-08"]},
                            needs="planned"), on=on)
    assert (d["care"]["free"], d["care"]["payment"]) == (free, payment)


@pytest.mark.parametrize("on", around(date(2026, 11, 30)))
def test_phc_stays_free_across_the_end_of_the_status(ref, on):
    d = decide(ref, citizen({"payer": "employee", "paid_months": ["2026-08"]}, needs="phc"), on=on)
    assert d["care"]["free"] is True and d["care"]["scheme"] == "GOBMP"


@pytest.mark.parametrize("on,free", [(date(2019, 12, 31), True), (date(2020, 1, 1), None), (date(2020, 1, 2), None)])
def test_planned_rule_starts_with_its_parameter(ref, on, free):
    """gobmp_phc_categories is in force from 01.01.2020; before it (as in a release before
    revision 3) the ГОБМП package answers every need of a citizen."""
    d = decide(ref, citizen(needs="planned"), on=on)
    assert d["care"]["free"] is free


def _worker(osms, needs, insurance=True):
    docs = [doc("passport", country="KG"), doc("employment_contract", valid_from="2026-01-01", valid_until="2027-01-31")]
    if insurance:
        docs.append(doc("dms_contract", covers_phc=True, valid_from="2026-01-01", valid_until="2027-01-31"))
    return case("KG", docs, osms=osms, needs=needs)


@pytest.mark.parametrize("need", ["phc", "planned"])
@pytest.mark.parametrize("status,insurance,free,scheme,payment", [
    ("insured", True, True, "OSMS", None),
    ("not_insured", True, False, "DMS", "insurance"),
    ("not_insured", False, False, "PAID", "price_list"),
    ("unknown", True, None, "OSMS", None),
])
def test_eaeu_worker_phc_and_planned(ref, need, status, insurance, free, scheme, payment):
    d = decide(ref, _worker({"status": status}, need, insurance))
    assert d["category"] == "eaeu_worker"
    assert (d["care"]["free"], d["care"]["scheme"], d["care"]["payment"]) == (free, scheme, payment)


@pytest.mark.parametrize("country,payment", [("UZ", "prepayment"), ("US", "price_list"), ("RU", "price_list")])
def test_phc_of_a_visitor_is_as_planned(ref, country, payment):
    d = decide(ref, case(country, [doc("passport")], purpose_of_stay="tourism", needs="phc"))
    assert (d["care"]["free"], d["care"]["payment"]) == (False, payment)
    assert ("prepayment_required" in codes(d)) is (payment == "prepayment")


@pytest.mark.parametrize("need", ["phc", "planned", "diagnosis"])
def test_prepayment_always_carries_the_warning(ref, need):
    d = decide(ref, case("UZ", [doc("passport")], needs=need, diagnosis_icd10="K29" if need == "diagnosis" else None))
    assert d["care"]["payment"] == "prepayment" and "prepayment_required" in codes(d)


@pytest.mark.parametrize("need", ["planned", "diagnosis", "phc"])
def test_a_free_need_never_carries_prepayment(ref, need):
    """A CIS visitor with a listed disease: free under ГОБМП, no prepayment whatever the treaty says."""
    d = decide(ref, case("UZ", [doc("passport")], needs=need, diagnosis_icd10="A15"))
    assert d["care"]["free"] is True and "prepayment_required" not in codes(d)


@pytest.mark.parametrize("code", ["B20", "Z21", "A15", "A16.2"])
@pytest.mark.parametrize("cat", sorted(CITIZEN_LIKE))
def test_hiv_and_tb_diagnostics_are_gobmp_for_the_citizen_like(ref, code, cat):
    d = decide(ref, CITIZEN_LIKE[cat]({"status": "not_insured"}, "diagnosis") | {"diagnosis_icd10": code})
    assert (d["care"]["free"], d["care"]["scheme"]) == (True, "GOBMP")


def test_other_diagnosis_of_a_citizen_is_as_phc(ref):
    d = decide(ref, citizen({"status": "not_insured"}, needs="diagnosis", diagnosis_icd10="K29"))
    assert (d["care"]["free"], d["care"]["scheme"]) == (True, "GOBMP")


def test_hiv_of_a_tourist_is_paid(ref):
    """HIV is not on the dangerous list: a tourist's HIV care is paid (as planned)."""
    d = decide(ref, case("US", [doc("passport")], purpose_of_stay="tourism", needs="diagnosis", diagnosis_icd10="B20"))
    assert (d["care"]["free"], d["care"]["payment"]) == (False, "price_list")


# --- 9.2 ОСМС from payments ----------------------------------------------------------------
@pytest.mark.parametrize("payer", ["employee", "entrepreneur", "self_payer", "esp", None])
def test_empty_paid_months_is_nothing_paid(ref, payer):
    d = decide(ref, citizen({"payer": payer, "paid_months": []} if payer else {"paid_months": []}))
    o = d["osms"]
    assert (o["insured"], o["source"]) == (False, "computed")
    assert o["regain"]["months"] == 12 and o["regain"]["amount"] == "51000"


def test_missing_paid_months_is_nothing_known(ref):
    for osms in ({"payer": "employee"}, {"payer": "employee", "paid_months": None}):
        assert decide(ref, citizen(osms))["osms"]["insured"] is None


def test_empty_paid_months_of_a_preferential_payer_is_insured(ref):
    assert decide(ref, citizen({"payer": "preferential", "paid_months": []}))["osms"]["insured"] is True


@pytest.mark.parametrize("on,first,last", [(date(2026, 10, 31), "2025-10", "2026-09"),
                                           (date(2026, 11, 1), "2025-11", "2026-10"),
                                           (date(2026, 11, 2), "2025-11", "2026-10")])
def test_nothing_paid_regain_is_the_twelve_months_before_the_decision_month(ref, on, first, last):
    r = decide(ref, citizen({"payer": "employee", "paid_months": []}), on=on)["osms"]["regain"]
    assert (r["months"], r["from_month"], r["to_month"]) == (12, first, last)


@pytest.mark.parametrize("on,insured,regain", [(date(2026, 10, 31), True, None),
                                               (date(2026, 11, 1), False, "2026-11"),
                                               (date(2026, 11, 2), False, "2026-11")])
def test_esp_payer_pays_the_decision_month(ref, on, insured, regain):
    """ЕСП paid for October: insured through 31.10; from 1.11 the November payment is due, no amount."""
    o = decide(ref, citizen({"payer": "esp", "paid_months": ["2026-09", "2026-10"]}), on=on)["osms"]
    assert o["insured"] is insured
    if regain is None:
        assert o.get("regain") is None
    else:
        r = o["regain"]
        assert (r["months"], r["from_month"], r["to_month"], r["amount"]) == (1, regain, regain, None)


@pytest.mark.parametrize("on,due", [(date(2026, 10, 31), ("2026-08", "2026-08", 1)),
                                    (date(2026, 11, 1), ("2026-11", "2026-11", 1)),
                                    (date(2026, 11, 2), ("2026-11", "2026-11", 1))])
def test_self_payer_completes_three_months(ref, on, due):
    """Self-payer paid September and October only: the months ending with the decision's month
    that complete three consecutive months are due, never 0."""
    o = decide(ref, citizen({"payer": "self_payer", "paid_months": ["2026-09", "2026-10"]}), on=on)["osms"]
    assert o["insured"] is False
    r = o["regain"]
    assert (r["from_month"], r["to_month"], r["months"]) == due and r["amount"] == "4250"


def test_self_payer_with_one_month_completes_two(ref):
    o = decide(ref, citizen({"payer": "self_payer", "paid_months": ["2026-11"]}))["osms"]
    assert (o["regain"]["months"], o["regain"]["from_month"], o["regain"]["to_month"]) == (2, "2026-09", "2026-10")


@pytest.mark.parametrize("paid,payer", [([], "employee"), (["2026-10"], "esp"), (["2026-10", "2026-11"], "self_payer"),
                                        (["2025-01"], "employee"), (["2026-11"], "self_payer")])
def test_the_regain_is_never_zero_months(ref, paid, payer):
    o = decide(ref, citizen({"payer": payer, "paid_months": paid}))["osms"]
    assert o["insured"] is False and o["regain"]["months"] >= 1


# --- 9.3 ОСМС for those who may not use it --------------------------------------------------
@pytest.mark.parametrize("country,docs,purpose", [
    ("US", [doc("passport")], "tourism"),
    ("RU", [doc("passport")], "tourism"),
    ("UZ", [doc("passport")], "study"),
    ("AF", [doc("asylum_seeker_certificate")], None),
    ("NP", [doc("trafficking_victim_notice")], None),
])
@pytest.mark.parametrize("osms", [{"status": "insured"}, {"payer": "employee", "paid_months": ["2026-09", "2026-10"]},
                                  {"paid_months": []}, {"status": "not_insured"}])
def test_osms_not_applicable(ref, country, docs, purpose, osms):
    d = decide(ref, case(country, docs, purpose_of_stay=purpose, osms=osms))
    o = d["osms"]
    assert (o["insured"], o["source"]) == (None, "not_applicable") and not o.get("regain")
    assert not any(c["scheme"] == "OSMS" for c in d["coverage"])
    assert any("не может пользоваться системой ОСМС" in s for s in d["explanation"])


@pytest.mark.parametrize("on,source", [(date(2026, 12, 30), "computed"), (date(2026, 12, 31), "computed"),
                                       (date(2027, 1, 1), "not_applicable")])
def test_family_member_loses_osms_the_day_after_the_worker_contract(ref, on, source):
    d = decide(ref, case("KG", [doc("passport"), doc("dms_contract", covers_phc=True)],
                         family_of_eaeu_worker={"relation": "spouse", "lives_together": True,
                                                "worker_contract_until": "2026-12-31"},
                         osms={"payer": "employee", "paid_months": ["2026-10"]}), on=on)
    assert d["osms"]["source"] == source


# --- 9.4 the child's document ----------------------------------------------------------------
@pytest.mark.parametrize("on,missing", [(date(2026, 5, 4), "birth_certificate"), (date(2026, 5, 5), "id_card_kz"),
                                        (date(2026, 5, 6), "id_card_kz")])
def test_missing_identity_document_by_age(ref, on, missing):
    """Born 05.05.2010: under 16 the missing document is the birth certificate; from 16 the ID card."""
    d = decide(ref, case("KZ", [], person={"birth_date": "2010-05-05"}), on=on)
    assert d["attachment"]["missing_documents"] == [missing]
    assert d["attachment"]["refusal_ground"] == "documents"


def test_no_birth_date_names_the_id_card(ref):
    d = decide(ref, case("KZ", [], person={"birth_date": None}))
    assert d["attachment"]["missing_documents"] == ["id_card_kz"]


# --- 9.5 warnings --------------------------------------------------------------------------
@pytest.mark.parametrize("code,tb", [("A15", True), ("A19.9", True), ("B05", False), ("A00", False)])
@pytest.mark.parametrize("lang,hours", [("ru", "24 час"), ("kk", "24 сағат")])
def test_24_hours_only_for_tuberculosis(ref, code, tb, lang, hours):
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10=code, purpose_of_stay="study"), lang=lang)
    w = next(w for w in d["warnings"] if w["code"] == "dangerous_disease_notice")
    assert (hours in w["message"]) is tb
    assert "ҚР ДСМ-153/2020" in w["message"] and "dsm-153" in w["basis"]


@pytest.mark.parametrize("on,listed", [(date(2020, 10, 23), False), (date(2020, 10, 24), True), (date(2020, 10, 25), True)])
def test_dangerous_notice_with_its_list(ref, on, listed):
    d = decide(ref, case("KZ", ID, diagnosis_icd10="A15"), on=on)
    assert ("dangerous_disease_notice" in codes(d)) is listed


@pytest.mark.parametrize("country,docs,purpose,immigrant", [
    ("TJ", [doc("passport")], "study", True),
    ("TJ", [doc("passport")], "permanent", True),
    ("TR", [doc("passport"), doc("residence_permit")], None, True),
    ("AF", [doc("asylum_seeker_certificate")], None, True),
    ("US", [doc("passport")], "tourism", False),
    ("US", [doc("passport")], None, False),
    ("RU", [doc("passport")], "other", False),
])
@pytest.mark.parametrize("on", around(date(2021, 8, 17)))
def test_hiv_investigation_basis(ref, country, docs, purpose, immigrant, on):
    d = decide(ref, case(country, docs, purpose_of_stay=purpose, diagnosis_icd10="B20"), on=on)
    warned = [w for w in d["warnings"] if w["code"] == "hiv_investigation"]
    if on < date(2021, 8, 17):
        assert not warned
        return
    (w,) = warned
    assert w["basis"] == (["r665-14-3", "dsm-231"] if immigrant else ["dsm-231"])
    assert ("иммигрант" in w["message"]) is immigrant


def test_no_hiv_investigation_for_a_citizen(ref):
    assert "hiv_investigation" not in codes(decide(ref, citizen(diagnosis_icd10="B20")))


# --- 9.6 citations -------------------------------------------------------------------------
@pytest.mark.parametrize("purpose,p5", [("family_reunification", True), ("study", True), ("work", True),
                                        ("humanitarian", True), ("tourism", False), ("other", False),
                                        ("return_to_homeland", False), ("political", False), (None, False)])
def test_r665_p5_only_for_the_purposes_of_p3_sp2_5(ref, purpose, p5):
    d = decide(ref, case("US", [doc("passport")], purpose_of_stay=purpose))
    line = next(c for c in d["coverage"] if c["scope"] == "dangerous_diseases")
    assert ("r665-5" in line["basis"]) is p5
    assert {"hc-83-2", "dsm-121"} <= set(line["basis"])


@pytest.mark.parametrize("on,p5", [(date(2019, 12, 31), False), (date(2020, 1, 1), True), (date(2020, 1, 2), True)])
def test_r665_p5_parameter_dates(ref, on, p5):
    d = decide(ref, case("US", [doc("passport")], purpose_of_stay="study"), on=on)
    assert ("r665-5" in _ids(d)) is p5


def test_asylum_seeker_category_rests_on_the_definition(ref):
    d = decide(ref, case("AF", [doc("asylum_seeker_certificate")], needs="planned"))
    assert d["category_basis"][0] == "r665-2-7"
    paid = next(c for c in d["coverage"] if c["scheme"] == "PAID")
    assert "r665-12" in paid["basis"]


@pytest.mark.parametrize("extra", [{}, {"diagnosis_icd10": "A15"}, {"diagnosis_icd10": "B20"},
                                   {"needs": "planned"}, {"documents_extra": "dms"}])
@pytest.mark.parametrize("on", around(date(2026, 11, 22)))
def test_never_r665_for_a_citizen(ref, extra, on):
    docs = ID + ([doc("dms_contract", covers_phc=True), doc("vms_contract")] if extra.pop("documents_extra", None) else [])
    d = decide(ref, case("KZ", docs, purpose_of_stay="work", **extra), on=on)
    everything = repr(d)
    assert not any(i.startswith("r665") for i in _ids(d))
    assert "'r665" not in everything
    assert d["category_basis"] == []
    assert d["attachment"]["basis"] == ["osms-law-6-1", "dsm-194-attach"]


def test_tb_notice_of_a_citizen_cites_dsm_153(ref):
    d = decide(ref, citizen(diagnosis_icd10="A15"))
    w = next(w for w in d["warnings"] if w["code"] == "dangerous_disease_notice")
    assert w["basis"] == ["dsm-153", "dsm-121"]


def test_acts_of_revision_3(ref):
    for act_id in ("dsm-153", "dsm-231"):
        a = ref.acts[act_id]
        assert act_id.split("-")[1] in a.act["ru"] and act_id.split("-")[1] in a.act["kk"]
    assert "26.10.2020" in ref.acts["dsm-153"].act["ru"]
    assert "санитарно-эпидемиологического благополучия" in ref.acts["dsm-153"].act["ru"]
    assert "среди населения" in ref.acts["dsm-231"].act["ru"]
    a111 = ref.acts["moh-111-vms"]
    assert "07.06.2023" in a111.act["ru"] and "7 маусымдағы" in a111.act["kk"]
    assert "20 июня 2023" in a111.source


# --- 9.8 the refusal names its ground ------------------------------------------------------
@pytest.mark.parametrize("on,status,ground", [(date(2027, 1, 30), "allowed", None), (date(2027, 1, 31), "allowed", None),
                                              (date(2027, 2, 1), "not_allowed", "requirements")])
def test_refusal_ground_the_day_after_the_work_contract(ref, on, status, ground):
    d = decide(ref, _worker({"status": "unknown"}, "attachment"), on=on)
    att = d["attachment"]
    assert (att["status"], att["refusal_ground"]) == (status, ground)
    if ground:
        assert att["refusal_rule"]["basis"] and set(att["refusal_rule"]["basis"]) <= _ids(d)
        assert "не соответствует требованиям" in att["refusal_rule"]["text"]


def test_documents_ground(ref):
    d = decide(ref, _worker({"status": "unknown"}, "attachment", insurance=False))
    att = d["attachment"]
    assert (att["status"], att["refusal_ground"]) == ("needs_documents", "documents")
    assert att["refusal_rule"]["missing"] == ["dms_contract"]


@pytest.mark.parametrize("lang,word", [("ru", "Основание отказа"), ("kk", "Бас тарту негізі")])
def test_requirements_ground_names_the_rule(ref, lang, word):
    d = decide(ref, case("US", [doc("passport")], purpose_of_stay="tourism"), lang=lang)
    text = d["attachment"]["refusal_rule"]["text"]
    assert text.startswith(word) and "fms.kz" in text and text in d["explanation"]
