"""The documents over the real decision core and the reference data built from db/sources
(so texts.yaml and acts_documents.yaml compile, and every key the documents use exists)."""
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desktop import documents
from desktop.documents.labels import LABELS
from docs_helpers import CLINIC, pdf_text

refbuild = pytest.importorskip("desktop.core.refbuild")
refdata = pytest.importorskip("desktop.core.refdata")
case_mod = pytest.importorskip("desktop.core.case")
rules = pytest.importorskip("desktop.core.rules")

ROOT = Path(__file__).resolve().parents[2]
ON = date(2026, 11, 22)


@pytest.fixture(scope="module")
def real_ref(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "reference.sqlite"
    refbuild.build_reference(ROOT / "db" / "sources", out)
    return refdata.load_reference(out)


def load(name):
    return json.loads((ROOT / "tests" / "cases" / f"{name}.json").read_text(encoding="utf-8"))["case"]


def decide(case, ref, lang):
    return rules.decide(case_mod.parse_case(case), ref, ON, lang).to_dict()


def squash(s):
    return "".join(s.split())


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("name", [f"p{i:02d}" for i in range(1, 11)])
def test_slip_or_refusal_for_every_example(real_ref, name, lang):
    case = load(name)
    d = decide(case, real_ref, lang)
    kind = "slip" if d["attachment"]["status"] == "allowed" else "refusal"
    t = squash(pdf_text(documents.render(kind, case=case, decision=d, ref=real_ref, clinic=CLINIC,
                                         number="2026-000001", on=ON, lang=lang)))
    assert squash(real_ref.version) in t
    assert squash(real_ref.category_name(d["category"], lang)) in t
    assert squash(real_ref.text("slip.consent" if kind == "slip" else "refusal.appeal", lang, ON)) in t
    for b in d["basis"]:   # a refusal cites "act, article"; the notice groups articles by act
        assert squash(f"{b['act']}, {b['article']}" if kind == "refusal" else f"{b['act']}") in t
        assert squash(b["article"]) in t
    if kind == "refusal":
        for k in d["attachment"]["missing_documents"]:
            assert squash(real_ref.document_kind_name(k, lang)) in t
    if d["attachment"].get("until"):
        u = date.fromisoformat(d["attachment"]["until"]).strftime("%d.%m.%Y")
        assert squash(f"{LABELS[lang]['slip.attached_until']} {u}") in t


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_referral_dangerous_disease(real_ref, lang):
    case = load("p09")
    case["referral"] = {"purpose": "consultation", "services": ["Инфекционист"], "urgency": "urgent",
                        "diagnosis_text": "Корь"}
    d = decide(case, real_ref, lang)
    t = squash(pdf_text(documents.render("referral", case=case, decision=d, ref=real_ref, clinic=CLINIC,
                                         number="R-1", on=ON, lang=lang)))
    assert squash(LABELS[lang]["referral.funding.free_dangerous"]) in t
    assert squash(real_ref.text("care.dangerous_free", lang, ON)) in t
    assert squash(real_ref.disease_for("B05.9", ON).name[lang]) in t


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_estimate_cis_exam_and_prepayment(real_ref, lang):
    case = load("p07")
    case["documents"] = [x for x in case["documents"] if x["kind"] != "medical_certificate_hiv_tb"]
    d = decide(case, real_ref, lang)
    codes = {w["code"] for w in d["warnings"]}
    assert "prepayment_required" in codes
    lines = documents.exam_lines(real_ref, ON) if "medical_exam_required" in codes else [("CONS-GP", 1)]
    pdf = documents.render("estimate", case=case, decision=d, ref=real_ref, clinic=CLINIC, number="E-1",
                           on=ON, lang=lang, lines=lines)
    prices = {p.code: p.price for p in real_ref.prices_on(ON)}
    total = sum((prices[c] * q for c, q in lines), Decimal(0))
    t = squash(pdf_text(pdf))
    assert squash(documents.amount_in_words(total, lang)) in t
    assert squash(real_ref.text("care.cis_planned", lang, ON)) in t
    assert squash(real_ref.text("estimate.vat", lang, ON)) in t


def test_texts_and_acts_compile(real_ref):
    for key in ("slip.consent", "slip.eaeu_term", "refusal.appeal", "care.paid_services", "care.cis_planned",
                "care.dangerous_free", "estimate.exam", "estimate.vat"):
        for lang in ("ru", "kk"):
            assert real_ref.text(key, lang, ON)
    for act in ("appc-91", "pd-law-7-8", "tax-code-2017-394", "tax-code-2026-479"):
        assert real_ref.basis_entry(act, "kk")["act"]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_refusal_names_its_ground_from_the_closed_list(real_ref, lang):
    """rev. 3 (rules.md 9.8): the printed refusal names its ground — the patient does not meet
    the requirements (which rule) — or, when documents are missing, that they are incomplete."""
    L = LABELS[lang]
    tourist = {"person": {"surname": "Smith", "given_name": "John", "birth_date": "1980-01-01", "sex": "male",
                          "citizenship": "US"},
               "purpose_of_stay": "tourism", "documents": [{"kind": "passport", "valid_until": "2030-01-01"}]}
    d = decide(tourist, real_ref, lang)
    assert d["attachment"]["refusal_ground"] == "requirements"
    t = squash(pdf_text(documents.render("refusal", case=tourist, decision=d, ref=real_ref, clinic=CLINIC,
                                         number="1", on=ON, lang=lang)))
    assert squash(L["refusal.ground"]) in t
    assert t.count(squash(d["attachment"]["refusal_rule"]["text"])) == 1
    assert squash(real_ref.acts["fms-not-attach"].article[lang]) in t
    child = {"person": {"surname": "Ким", "given_name": "Ая", "birth_date": "2015-02-02", "sex": "female",
                        "citizenship": "KZ"}, "documents": []}
    d = decide(child, real_ref, lang)
    assert (d["attachment"]["refusal_ground"], d["attachment"]["missing_documents"]) == ("documents", ["birth_certificate"])
    t = squash(pdf_text(documents.render("refusal", case=child, decision=d, ref=real_ref, clinic=CLINIC,
                                         number="2", on=ON, lang=lang)))
    assert squash(d["attachment"]["refusal_rule"]["text"]) in t
    assert squash("Основание отказа" if lang == "ru" else "Бас тарту негізі") in t
