"""Every document, in both languages, read back with pypdf: the fields are printed."""
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from desktop import documents
from desktop.documents.labels import LABELS
from desktop.documents.words import amount_in_words
from docs_helpers import (ON, PRICES, cis_visitor, citizen_child, eaeu_needs_dms, eaeu_worker, foreign_visitor,
                          norm, pdf_text)

LANGS = ("ru", "kk")


def render(kind, case, decision, ref, clinic, lang, number="П-2026/000017", lines=None, on=ON):
    return documents.render(kind, case=case, decision=decision, ref=ref, clinic=clinic, number=number,
                            on=on, lang=lang, lines=lines)


def cite(ref, basis_id, lang):
    e = ref.basis_entry(basis_id, lang)
    return norm(f"{e['act']}, {e['article']}")


def squash(s):
    """Whitespace-free form: text extraction puts line breaks where the paragraph wrapped."""
    return re.sub(r"\s+", "", s)


def assert_in(needle, text):
    assert squash(needle) in squash(text), f"{needle!r} not printed"


def common(text, ref, clinic, lang, number="П-2026/000017"):
    L = LABELS[lang]
    assert_in(clinic["name"], text)
    assert_in(number, text)
    assert_in("22.11.2026", text)
    assert_in(f"{L['ref_version']}: {ref.version}", text)


@pytest.mark.parametrize("lang", LANGS)
def test_slip_fields(ref, clinic, lang):
    case, decision = eaeu_worker(ref, lang)
    L = LABELS[lang]
    t = pdf_text(render("slip", case, decision, ref, clinic, lang))
    common(t, ref, clinic, lang)
    # application
    assert_in(L["slip.title"], t)
    assert_in(L["slip.to_head"].format(clinic=clinic["name"]), t)
    assert_in(clinic["head"], t)
    assert_in("Иванов Иван Иванович", t)
    assert_in("IVANOV IVAN", t)
    assert_in(f"{L['iin']} 791028302728", t)
    assert_in(f"{L['birth_date']} 28.10.1979", t)
    assert_in(f"{L['sex']} {L['sex.male']}", t)
    assert_in(f"{L['citizenship']} {ref.country_name('RU', lang)}", t)
    assert_in(ref.category_name("eaeu_worker", lang), t)
    assert_in(f"{ref.document_kind_name('passport', lang)} № 75 1234567", t)
    assert_in("Астана, ул. Кенесары, 40, кв. 12", t)
    assert_in("+7 701 555 12 34", t)
    assert_in("Поликлиника № 2 г. Караганды", t)
    assert_in(f"{L['slip.reason']} переезд", t)
    assert_in(ref.document_kind_name("dms_contract", lang), t)
    assert_in(L["slip.consent_title"], t)
    assert_in(ref.text("slip.consent", lang, ON), t)
    assert_in(L["slip.applicant_signature"], t)
    # notice
    assert_in(f"{L['slip.notice_title']} {L['number_dated'].format(number='П-2026/000017', date='22.11.2026')}", t)
    assert_in(f"{L['bin']} {clinic['bin']}", t)
    assert_in(clinic["address"], t)
    assert_in(f"{L['slip.attached_on']} 22.11.2026", t)
    assert_in(f"{L['slip.attached_until']} 28.02.2027", t)
    assert_in(ref.text("slip.eaeu_term", lang, ON), t)
    assert_in(f"{L['scheme.DMS']} — {L['scope.contract']}", t)
    assert_in(f"{L['scheme.OSMS']} — {L['scope.full']} ({L['osms.active.true']})", t)
    assert_in(f"{L['scheme.GOBMP']} — {L['scope.dangerous_diseases']}", t)
    for b in ("fms-eaeu", "r665-9", "osms-law-2-3", "r665-12"):   # grouped by act on the notice
        e = ref.basis_entry(b, lang)
        assert_in(norm(e["act"]), t)
        assert_in(norm(e["article"]), t)


@pytest.mark.parametrize("lang", LANGS)
def test_slip_child_has_representative(ref, clinic, lang):
    case, decision = citizen_child(ref, lang)
    L = LABELS[lang]
    t = pdf_text(render("slip", case, decision, ref, clinic, lang))
    assert_in(L["slip.request_child"], t)
    assert_in(f"{L['slip.rep_name']} Сәрсенбаев Ғалым Шаһмұратұлы", t)
    assert_in(f"{L['slip.rep_relation']} {L['relation.father']}", t)
    assert_in("ҚР жеке куәлігі № 041234567", t)
    assert_in("Сәрсенбаева Әйгерім", t)
    assert_in(f"{L['scheme.OSMS']} — {L['scope.full']} ({L['osms.active.none']})", t)
    assert L["slip.attached_until"] not in t  # a citizen's attachment has no end date
    assert ref.text("slip.eaeu_term", lang, ON)[:40] not in t


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_not_allowed(ref, clinic, lang):
    case, decision = foreign_visitor(ref, lang, icd="A15.0")
    L = LABELS[lang]
    t = pdf_text(render("refusal", case, decision, ref, clinic, lang))
    common(t, ref, clinic, lang)
    assert_in(L["refusal.title"], t)
    assert_in(L["refusal.status_not_allowed"], t)
    assert_in("Kumar Raj", t)
    assert_in(ref.country_name("IN", lang), t)
    assert_in(decision["explanation"][0], t)
    assert_in(decision["warnings"][0]["message"], t)
    assert_in(cite(ref, "r665-14", lang), t)
    for b in ("fms-not-attach", "hc-83-2", "dsm-121", "r665-12"):
        assert_in(cite(ref, b, lang), t)
    assert_in(L["refusal.care"], t)
    assert_in(f"{L['scheme.GOBMP']} — {L['scope.dangerous_diseases']}", t)
    assert_in(f"{L['scheme.PAID']} — {L['scope.planned']}", t)
    assert_in(ref.text("care.paid_services", lang, ON), t)
    assert_in(L["refusal.appeal"], t)
    assert_in(ref.text("refusal.appeal", lang, ON), t)
    assert L["refusal.missing"] not in t


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_needs_documents_lists_them(ref, clinic, lang):
    case, decision = eaeu_needs_dms(ref, lang)
    L = LABELS[lang]
    t = pdf_text(render("refusal", case, decision, ref, clinic, lang))
    assert_in(L["refusal.title_docs"], t)
    assert_in(L["refusal.status_needs_documents"], t)
    assert_in(f"{L['refusal.missing']} 1. {ref.document_kind_name('dms_contract', lang)}", t)
    assert_in(ref.text("refusal.appeal", lang, ON), t)


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_cis_prints_planned_care_rule(ref, clinic, lang):
    case, decision = cis_visitor(ref, lang)
    t = pdf_text(render("refusal", case, decision, ref, clinic, lang))
    assert_in(ref.text("care.cis_planned", lang, ON), t)


@pytest.mark.parametrize("lang", LANGS)
def test_referral_dangerous_disease_is_free(ref, clinic, lang):
    case, decision = foreign_visitor(ref, lang, icd="A15.0")
    L = LABELS[lang]
    t = pdf_text(render("referral", case, decision, ref, clinic, lang))
    common(t, ref, clinic, lang)
    title = L["referral.title"].format(purpose=L["referral.purpose.diagnostics"])
    assert_in(title[0].upper() + title[1:], t)
    assert_in(f"{L['referral.diagnosis']} Подозрение на туберкулёз лёгких", t)
    assert_in(f"{L['referral.icd10']} A15.0", t)
    assert_in(f"{L['referral.urgency']} {L['referral.urgency.urgent']}", t)
    assert_in("1. Рентгенография органов грудной клетки", t)
    assert_in("2. Посев мокроты", t)
    assert_in(L["referral.funding.free_dangerous"], t)
    assert_in(ref.text("care.dangerous_free", lang, ON), t)
    assert_in(cite(ref, "dsm-121", lang), t)
    assert_in({"ru": "Туберкулёз", "kk": "Туберкулез"}[lang], t)
    assert L["referral.funding.paid"] not in t
    assert_in(L["referral.doctor"], t)


@pytest.mark.parametrize("lang", LANGS)
def test_referral_paid_without_disease(ref, clinic, lang):
    case, decision = foreign_visitor(ref, lang, icd="J06.9")
    L = LABELS[lang]
    t = pdf_text(render("referral", case, decision, ref, clinic, lang))
    assert_in(L["referral.funding.paid"], t)
    assert_in(ref.text("care.paid_services", lang, ON), t)
    assert L["referral.funding.free_dangerous"] not in t


@pytest.mark.parametrize("lang", LANGS)
def test_referral_insured_worker_funding(ref, clinic, lang):
    case, decision = eaeu_worker(ref, lang)
    case["referral"] = {"purpose": "consultation", "services": ["Кардиолог"], "diagnosis_text": "Гипертензия"}
    case["diagnosis_icd10"] = "I10"
    L = LABELS[lang]
    t = pdf_text(render("referral", case, decision, ref, clinic, lang))
    assert_in(f"{L['scheme.OSMS']} — {L['scope.full']}", t)
    assert_in(f"{L['scheme.DMS']} — {L['scope.contract']}", t)
    assert_in(f"{L['referral.urgency']} {L['referral.urgency.routine']}", t)
    assert_in(cite(ref, "osms-law-2-3", lang), t)
    assert L["referral.funding.paid"] not in t


def money_words(total, lang):
    return amount_in_words(total, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_estimate_table_and_totals(ref, clinic, lang):
    case, decision = eaeu_worker(ref, lang)
    lines = [("CONS-SPEC", 2), ("DRESS", D("3")), ("LAB-HIV", 1), ("DRESS", D("0.5"))]
    # 2*8500 + 3*2000.35 + 3200 + 0.5*2000.35 (=1000.175 -> 1000.18)
    total = D("17000.00") + D("6001.05") + D("3200.00") + D("1000.18")
    assert total == D("27201.23")
    L = LABELS[lang]
    t = pdf_text(render("estimate", case, decision, ref, clinic, lang, lines=lines))
    common(t, ref, clinic, lang)
    assert_in(L["estimate.title"], t)
    assert_in(f"{L['bin']} {clinic['bin']}", t)
    assert_in("Иванов Иван Иванович", t)
    assert_in(f"{L['estimate.basis_text']} 22.11.2026", t)
    for h in ("no", "code", "service", "unit", "qty", "price", "amount"):
        assert_in(L[f"estimate.col.{h}"], t)
    name = {p.code: (p.name_kk if lang == "kk" else p.name_ru) for p in PRICES}
    unit = {p.code: p.unit(lang) for p in PRICES}
    assert_in(f"1 CONS-SPEC {name['CONS-SPEC']} {unit['CONS-SPEC']} 2 8 500,00 17 000,00", t)
    assert_in(f"2 DRESS {name['DRESS']} {unit['DRESS']} 3 2 000,35 6 001,05", t)
    assert_in(f"3 LAB-HIV {name['LAB-HIV']}", t)
    assert_in(f"4 DRESS {name['DRESS']} {unit['DRESS']} 0,5 2 000,35 1 000,18", t)
    assert_in(f"{L['estimate.total']} 27 201,23", t)
    assert_in(money_words(total, lang), t)
    assert_in(f"{L['estimate.valid_until']} {(ON + timedelta(days=10)).strftime('%d.%m.%Y')}", t)
    assert_in(ref.text("estimate.vat", lang, ON), t)
    assert_in(ref.text("care.paid_services", lang, ON), t)
    assert L["estimate.prepayment"] not in t
    model = documents.content("estimate", case=case, decision=decision, ref=ref, clinic=clinic,
                              number="E-1", on=ON, lang=lang, lines=lines)
    assert model["total"] == "27201.23"


def test_estimate_vat_text_follows_the_date(ref, clinic):
    case, decision = eaeu_worker(ref, "ru")
    t25 = pdf_text(render("estimate", case, decision, ref, clinic, "ru", lines=[("DRESS", 1)], on=date(2025, 6, 1)))
    t26 = pdf_text(render("estimate", case, decision, ref, clinic, "ru", lines=[("DRESS", 1)]))
    assert_in(ref.text("estimate.vat", "ru", date(2025, 6, 1)), t25)
    assert_in(ref.text("estimate.vat", "ru", ON), t26)
    assert ref.text("estimate.vat", "ru", date(2025, 6, 1)) != ref.text("estimate.vat", "ru", ON)


@pytest.mark.parametrize("lang", LANGS)
def test_estimate_cis_prepayment_and_exam_prefill(ref, clinic, lang):
    case, decision = cis_visitor(ref, lang)
    L = LABELS[lang]
    assert documents.exam_lines(ref, ON) == [("RAD-FLG", 1), ("LAB-HIV", 1), ("LAB-TPHA", 1)]
    t = pdf_text(render("estimate", case, decision, ref, clinic, lang, lines=None))
    total = D("2500") + D("3200") + D("2800")
    assert_in("RAD-FLG", t) and assert_in("LAB-HIV", t) and assert_in("LAB-TPHA", t)
    assert_in(f"{L['estimate.total']} 8 500,00", t)
    assert_in(f"{L['estimate.prepayment']}: {L['estimate.prepayment_amount']} 8 500,00 {L['estimate.tenge']} "
              f"({money_words(total, lang)})", t)
    assert_in(ref.text("care.cis_planned", lang, ON), t)
    assert_in(ref.text("estimate.exam", lang, ON), t)


def test_estimate_explicit_price_items(ref, clinic):
    case, decision = eaeu_worker(ref, "ru")
    item = PRICES[0].__class__("X-1", "Особая услуга", "Ерекше қызмет", "шт.", "дана", D("0.10"))
    t = pdf_text(render("estimate", case, decision, ref, clinic, "kk", lines=[(item, 3)]))
    assert_in("1 X-1 Ерекше қызмет дана 3 0,10 0,30", t)
    assert_in("Нөл теңге 30 тиын", t)


# --------------------------------------------------------------------------- integrity

def test_same_inputs_same_bytes(ref, clinic):
    for lang in LANGS:
        case, decision = eaeu_worker(ref, lang)
        a = render("estimate", case, decision, ref, clinic, lang, lines=[("DRESS", 2)])
        b = render("estimate", case, decision, ref, clinic, lang, lines=[("DRESS", 2)])
        assert a == b
        s1 = render("slip", case, decision, ref, clinic, lang)
        assert s1 == render("slip", case, decision, ref, clinic, lang)
        assert s1 != render("slip", case, decision, ref, clinic, lang, number="П-2026/000018")


def test_metadata_dates_qr_payload_and_hash(ref, clinic):
    case, decision = eaeu_worker(ref, "ru")
    kw = dict(case=case, decision=decision, ref=ref, clinic=clinic, number="N-7", on=ON, lang="ru")
    pdf = documents.render("slip", **kw)
    h = documents.content_hash("slip", **kw)
    assert len(h) == 64 and h == documents.content_hash("slip", **kw)
    reader = PdfReader(io.BytesIO(pdf))
    info = reader.metadata
    assert info["/CreationDate"].startswith("D:20261122000000")
    assert info["/ModDate"].startswith("D:20261122000000")
    payload = json.loads(info["/Subject"])
    assert payload == {"kind": "slip", "n": "N-7", "d": "2026-11-22", "h": h}
    assert f"SHA-256 {h[:16]}" in reader.pages[0].extract_text()
    # the hash covers what is printed: another address gives another hash
    case2 = json.loads(json.dumps(case))
    case2["person"]["address"] = "Алматы"
    assert documents.content_hash("slip", **{**kw, "case": case2}) != h


def test_fonts_embedded(ref, clinic):
    case, decision = citizen_child(ref, "kk")
    reader = PdfReader(io.BytesIO(render("slip", case, decision, ref, clinic, "kk")))
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref_ in fonts.values():
            font = ref_.get_object()
            assert font["/Subtype"] == "/TrueType" or "/DescendantFonts" in font, font
            desc = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in desc, f"{font['/BaseFont']} is not embedded"
            seen.add(str(font["/BaseFont"]).split("+")[-1])
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}


def test_kazakh_letters_in_text_layer(ref, clinic):
    case, decision = citizen_child(ref, "kk")
    t = pdf_text(render("slip", case, decision, ref, clinic, "kk"))
    for ch in "әғқңөұүһі":
        assert ch in t, ch


# --------------------------------------------------------------------------- wrong input

def kwargs(ref, cl, **over):
    case, decision = eaeu_worker(ref, "ru")
    kw = dict(case=case, decision=decision, ref=ref, clinic=cl, number="N-1", on=ON, lang="ru")
    kw.update(over)
    return kw


@pytest.mark.parametrize("over,kind,match", [
    ({}, "invoice", "unknown document kind"),
    ({"lines": [("NOPE", 1)]}, "estimate", "unknown price code 'NOPE'"),
    ({"lines": [("DRESS", 0)]}, "estimate", "greater than zero"),
    ({"lines": [("DRESS", -2)]}, "estimate", "greater than zero"),
    ({"lines": [("DRESS", 1.5)]}, "estimate", "int or Decimal"),
    ({"lines": [("DRESS",)]}, "estimate", "pair"),
    ({"lines": []}, "estimate", "at least one"),
    ({}, "estimate", "needs service lines"),
    ({"lang": "en"}, "slip", "unknown language"),
    ({"number": ""}, "slip", "number"),
    ({"clinic": {}}, "slip", "clinic"),
    ({"on": "2026-11-22"}, "slip", "datetime.date"),
    ({}, "refusal", "not_allowed or needs_documents"),
    ({}, "referral", "case.referral"),
    ({"lines": [("DRESS", 1)]}, "slip", "only for an estimate"),
])
def test_wrong_input_raises_clear_value_error(ref, clinic, over, kind, match):
    with pytest.raises(ValueError, match=match):
        documents.render(kind, **kwargs(ref, clinic, **over))


def test_slip_for_refused_decision(ref, clinic):
    case, decision = foreign_visitor(ref, "ru")
    with pytest.raises(ValueError, match="slip is only for an allowed attachment"):
        render("slip", case, decision, ref, clinic, "ru")


def test_decision_from_other_reference_version(ref, clinic):
    kw = kwargs(ref, clinic)
    kw["decision"]["reference"]["version"] = "older"
    with pytest.raises(ValueError, match="reference data"):
        documents.render("slip", **kw)


def test_referral_bad_purpose(ref, clinic):
    kw = kwargs(ref, clinic)
    kw["case"]["referral"] = {"purpose": "spa"}
    with pytest.raises(ValueError, match="unknown referral purpose 'spa'"):
        documents.render("referral", **kw)


@pytest.mark.parametrize("lang", LANGS)
def test_an_emergency_referral_is_urgent_unless_the_case_says(ref, clinic, lang):
    """Issue 21 item 15: a referral for emergency care whose case gives no urgency is printed
    «срочная», not «плановая»; an urgency the case gives is printed as given."""
    case, decision = eaeu_worker(ref, lang)
    case["needs"] = "emergency"
    case["referral"] = {"purpose": "consultation", "diagnosis_text": "Боль в груди"}
    L = LABELS[lang]
    t = pdf_text(render("referral", case, decision, ref, clinic, lang))
    assert_in(f"{L['referral.urgency']} {L['referral.urgency.urgent']}", t)
    case["referral"]["urgency"] = "routine"
    t = pdf_text(render("referral", case, decision, ref, clinic, lang))
    assert_in(f"{L['referral.urgency']} {L['referral.urgency.routine']}", t)
