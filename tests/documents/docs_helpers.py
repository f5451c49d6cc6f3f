"""Fixtures for the document tests: a small in-memory reference (legal texts and acts read
from db/sources, so the YAML we ship is what is printed), hand-made decisions, and a PDF
text extractor."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "db" / "sources"
ON = date(2026, 11, 22)

COUNTRIES = {"KZ": ("Казахстан", "Қазақстан"), "RU": ("Россия", "Ресей"),
             "UZ": ("Узбекистан", "Өзбекстан"), "IN": ("Индия", "Үндістан")}
KINDS = {"passport": ("Иностранный паспорт", "Шетелдік төлқұжат"),
         "id_card_kz": ("Удостоверение личности РК", "ҚР жеке куәлігі"),
         "birth_certificate": ("Свидетельство о рождении", "Туу туралы куәлік"),
         "employment_contract": ("Трудовой договор", "Еңбек шарты"),
         "dms_contract": ("Договор ДМС", "ЕМС шарты"),
         "vms_contract": ("Договор ВМС", "ММС шарты"),
         "guarantee_letter": ("Гарантийное письмо", "Кепілдік хат")}
CATEGORIES = {"citizen": ("гражданин РК", "ҚР азаматы"),
              "eaeu_worker": ("трудящийся государства — члена ЕАЭС", "ЕАЭО мүше мемлекетінің еңбекшісі"),
              "cis_visitor": ("гражданин страны СНГ", "ТМД елінің азаматы"),
              "foreign_visitor": ("временно пребывающий иностранец", "уақытша болатын шетелдік")}


@dataclass(frozen=True)
class Price:
    code: str
    name_ru: str
    name_kk: str
    unit_ru: str
    unit_kk: str
    price: Decimal

    def unit(self, lang):
        return self.unit_kk if lang == "kk" else self.unit_ru


PRICES = [
    Price("RAD-FLG", "Флюорография органов грудной клетки", "Кеуде қуысы ағзаларының флюорографиясы",
          "исследование", "зерттеу", Decimal("2500")),
    Price("LAB-HIV", "Исследование на ВИЧ-инфекцию (ИФА)", "АИТВ-инфекциясына зерттеу (ИФТ)",
          "исследование", "зерттеу", Decimal("3200")),
    Price("LAB-TPHA", "Трепонемный тест на сифилис (РПГА)", "Мерезге трепонемалық тест (ТПГР)",
          "исследование", "зерттеу", Decimal("2800")),
    Price("CONS-SPEC", "Консультация врача-специалиста", "Бейінді маман дәрігердің консультациясы",
          "прием", "қабылдау", Decimal("8500")),
    Price("DRESS", "Перевязка", "Таңу", "процедура", "рәсім", Decimal("2000.35")),
]


def _d(v):
    return v if v is None or isinstance(v, date) else date.fromisoformat(str(v))


class FakeRef:
    """The subset of desktop.core.refdata.RefData the documents use."""
    version = "test-2026-11-22-abc"

    def __init__(self):
        self.acts = {}
        for f in sorted(SOURCES.glob("acts*.yaml")):
            for a in yaml.safe_load(f.read_text(encoding="utf-8"))["acts"]:
                self.acts[a["id"]] = a
        self.texts = []
        for f in sorted(SOURCES.glob("texts*.yaml")):
            self.texts += yaml.safe_load(f.read_text(encoding="utf-8"))["texts"]

    def text(self, key, lang, on=None):
        for t in self.texts:
            if t["key"] == key and (_d(t.get("valid_from")) or date.min) <= on <= (_d(t.get("valid_until")) or date.max):
                return t[lang]
        raise KeyError(key)

    def basis_entry(self, act_id, lang):
        a = self.acts[act_id]
        return {"id": act_id, "act": a["act"][lang], "article": a["article"][lang]}

    def country_name(self, code, lang):
        return COUNTRIES[code][lang == "kk"]

    def document_kind_name(self, kind, lang):
        return KINDS[kind][lang == "kk"]

    def category_name(self, cat, lang):
        return CATEGORIES[cat][lang == "kk"]

    def disease_for(self, icd, on):
        if icd and icd[:3] in ("A15", "A16", "A17", "A18", "A19"):
            return SimpleNamespace(name={"ru": "Туберкулёз", "kk": "Туберкулез"})
        return None

    def prices_on(self, on):
        return list(PRICES)

    def parameter(self, name, on):
        return {"immigrant_exam_services": ["RAD-FLG", "LAB-HIV", "LAB-TPHA"],
                "estimate_validity_days": 10}.get(name)


CLINIC = {"name": "ГКП «Қалалық емхана № 5»", "bin": "050140000123",
          "address": "Астана, Сарыарқа даңғылы, 15", "head": "Әбілқасымова Ә. Ғ."}


def _reference(ref):
    return {"version": ref.version, "valid_from": "2020-01-01", "valid_until": "2026-12-31"}


def _basis(ref, ids, lang):
    return [ref.basis_entry(i, lang) for i in ids]


def eaeu_worker(ref, lang):
    case = {
        "as_of": "2026-11-22",
        "person": {"iin": "791028302728", "surname": "Иванов", "given_name": "Иван", "patronymic": "Иванович",
                   "birth_date": "1979-10-28", "sex": "male", "citizenship": "RU",
                   "address": "Астана, ул. Кенесары, 40, кв. 12", "phone": "+7 701 555 12 34",
                   "latin_name": "IVANOV IVAN"},
        "purpose_of_stay": "work",
        "documents": [
            {"kind": "passport", "number": "75 1234567", "country": "RU", "valid_until": "2030-01-01"},
            {"kind": "employment_contract", "valid_from": "2026-03-01", "valid_until": "2027-02-28"},
            {"kind": "dms_contract", "covers_phc": True, "valid_from": "2026-03-01", "valid_until": "2027-02-28"}],
        "previous_clinic": "Поликлиника № 2 г. Караганды",
        "reason": "переезд",
        "needs": "attachment",
    }
    decision = {
        "as_of": "2026-11-22", "category": "eaeu_worker",
        "attachment": {"status": "allowed", "channels": ["clinic"],
                       "required_documents": ["passport", "employment_contract", "dms_contract"],
                       "missing_documents": [], "until": "2027-02-28"},
        "coverage": [{"scheme": "GOBMP", "scope": "dangerous_diseases", "basis": ["fms-eaeu"]},
                     {"scheme": "GOBMP", "scope": "emergency", "basis": ["fms-eaeu"]},
                     {"scheme": "OSMS", "scope": "full", "active": True, "basis": ["osms-law-2-3"]},
                     {"scheme": "DMS", "scope": "contract", "basis": ["r665-12"]}],
        "osms": {"insured": True, "until": "2027-01-31", "source": "computed"},
        "warnings": [],
        "basis": _basis(ref, ["fms-eaeu", "r665-9", "osms-law-2-3", "r665-12"], lang),
        "explanation": ["step one" if lang == "ru" else "бірінші қадам"],
        "reference": _reference(ref),
    }
    return case, decision


def citizen_child(ref, lang):
    case = {
        "person": {"iin": "150101500003", "surname": "Сәрсенбаева", "given_name": "Әйгерім",
                   "birth_date": "2015-01-01", "sex": "female", "citizenship": "KZ"},
        "documents": [{"kind": "birth_certificate", "number": "I-АА 123456"}],
        "representative": {"full_name": "Сәрсенбаев Ғалым Шаһмұратұлы", "relation": "father",
                           "document": "ҚР жеке куәлігі № 041234567"},
    }
    decision = {
        "category": "citizen",
        "attachment": {"status": "allowed", "channels": ["egov", "clinic"], "required_documents": ["birth_certificate"],
                       "missing_documents": [], "until": None},
        "coverage": [{"scheme": "GOBMP", "scope": "full", "basis": ["gov-672"]},
                     {"scheme": "OSMS", "scope": "full", "active": None, "basis": ["osms-law-5-4"]}],
        "osms": {"insured": None, "until": None, "source": "unknown"},
        "warnings": [], "basis": _basis(ref, ["gov-672", "osms-law-5-4"], lang),
        "explanation": [], "reference": _reference(ref),
    }
    return case, decision


def foreign_visitor(ref, lang, icd=None):
    case = {
        "person": {"surname": "Kumar", "given_name": "Raj", "birth_date": "1990-05-05", "sex": "male",
                   "citizenship": "IN", "phone": "+91 98 7654 3210"},
        "documents": [{"kind": "passport", "number": "N123", "country": "IN", "valid_until": "2031-01-01"}],
        "purpose_of_stay": "tourism",
        "diagnosis_icd10": icd,
        "referral": {"purpose": "diagnostics", "services": ["Рентгенография органов грудной клетки", "Посев мокроты"],
                     "urgency": "urgent", "diagnosis_text": "Подозрение на туберкулёз лёгких"},
    }
    msg = {"ru": "Категория не даёт права на прикрепление.", "kk": "Санат тіркелуге құқық бермейді."}[lang]
    decision = {
        "category": "foreign_visitor",
        "attachment": {"status": "not_allowed", "channels": [], "required_documents": [], "missing_documents": [],
                       "until": None},
        "coverage": [{"scheme": "GOBMP", "scope": "dangerous_diseases", "basis": ["hc-83-2", "dsm-121"]},
                     {"scheme": "PAID", "scope": "planned", "basis": ["r665-12"]}],
        "osms": {"insured": None, "until": None, "source": "unknown"},
        "warnings": [{"code": "dangerous_disease_notice", "message": {"ru": "Экстренное извещение в течение 24 часов.",
                                                                     "kk": "24 сағат ішінде шұғыл хабарлама."}[lang],
                      "basis": ["r665-14"]}] if icd else [],
        "basis": _basis(ref, ["fms-not-attach", "hc-83-2", "dsm-121", "r665-12"], lang),
        "explanation": [msg], "reference": _reference(ref),
    }
    return case, decision


def eaeu_needs_dms(ref, lang):
    case, decision = eaeu_worker(ref, lang)
    case["documents"] = case["documents"][:2]
    decision = dict(decision)
    decision["attachment"] = {"status": "needs_documents", "channels": ["clinic"],
                              "required_documents": ["passport", "employment_contract", "dms_contract"],
                              "missing_documents": ["dms_contract"], "until": None}
    decision["coverage"] = decision["coverage"][:3]
    return case, decision


def cis_visitor(ref, lang):
    case = {
        "person": {"surname": "Рахимов", "given_name": "Жасур", "birth_date": "1988-02-03", "sex": "male",
                   "citizenship": "UZ"},
        "documents": [{"kind": "passport", "number": "FA1234567", "country": "UZ", "valid_until": "2030-05-05"}],
        "purpose_of_stay": "work", "needs": "planned",
    }
    w = {"ru": ("Плановая помощь — после предоплаты.", "Нужен медицинский осмотр."),
         "kk": ("Жоспарлы көмек — алдын ала төлемнен кейін.", "Медициналық тексеру қажет.")}[lang]
    decision = {
        "category": "cis_visitor",
        "attachment": {"status": "not_allowed", "channels": [], "required_documents": [], "missing_documents": [],
                       "until": None},
        "coverage": [{"scheme": "GOBMP", "scope": "dangerous_diseases", "basis": ["fms-cis"]},
                     {"scheme": "GOBMP", "scope": "emergency", "basis": ["fms-cis"]},
                     {"scheme": "PAID", "scope": "planned", "basis": ["fms-cis"]}],
        "osms": {"insured": None, "until": None, "source": "unknown"},
        "warnings": [{"code": "prepayment_required", "message": w[0], "basis": ["fms-cis"]},
                     {"code": "medical_exam_required", "message": w[1], "basis": ["r665-13"]}],
        "basis": _basis(ref, ["fms-cis", "r665-13"], lang),
        "explanation": [w[0]], "reference": _reference(ref),
    }
    return case, decision


def pdf_text(pdf: bytes) -> str:
    """The text layer, page footers (number · date · version · hash, page N) left out so that
    a paragraph running over a page break reads as one."""
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(pdf))
    pages = []
    for p in reader.pages:
        lines = (p.extract_text() or "").splitlines()
        if lines and "SHA-256" in lines[0] and " · " in lines[0]:
            lines = lines[2:] if len(lines) > 1 and re.fullmatch(r"(Стр\.|Бет) \d+", lines[1]) else lines[1:]
        pages.append(" ".join(lines))
    text = " ".join(pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)
