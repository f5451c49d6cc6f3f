"""Printed documents, second pass: the signature block kept with the last lines, the foreign
passport's number and the channel used on the notice, citations grouped by act, and the
Kazakh clinic name on Kazakh documents."""
from __future__ import annotations

import io
import re

import pytest

from desktop import documents
from desktop.documents.labels import LABELS
from docs_helpers import ON, eaeu_worker, foreign_visitor, pdf_text

LANGS = ("ru", "kk")


def _pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]


def _render(kind, case, decision, ref, clinic, lang):
    return documents.render(kind, case=case, decision=decision, ref=ref, clinic=clinic,
                            number="П-2026/000017", on=ON, lang=lang)


def _notice(pdf: bytes, lang: str) -> str:
    return _pages(pdf)[-1]


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_signatures_never_stand_alone(ref, clinic, lang):
    """Whatever the length of the reasons, the page with the signatures also carries the
    appeal heading before them."""
    L = LABELS[lang]
    case, decision = foreign_visitor(ref, lang)
    for n in range(1, 45):
        decision["explanation"] = [f"Причина номер {i} " * 6 for i in range(n)]
        pages = _pages(_render("refusal", case, decision, ref, clinic, lang))
        signed = [p for p in pages if L["registrar"] in p]
        assert len(signed) == 1, n
        assert L["refusal.appeal"] in signed[0], f"signatures alone on a page with {n} reasons"


@pytest.mark.parametrize("lang", LANGS)
def test_notice_carries_the_foreign_passport_number(ref, clinic, lang):
    """The notice (the patient's page) names the identity document with its number."""
    case, decision = eaeu_worker(ref, lang)
    notice = _notice(_render("slip", case, decision, ref, clinic, lang), lang)
    assert "75 1234567" in notice
    assert LABELS[lang]["identity_document"].split()[0] in notice


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("channel", ["clinic", "egov"])
def test_notice_prints_the_channel_used(ref, clinic, lang, channel):
    """The notice prints the attachment channel recorded on the card, not every allowed one."""
    L = LABELS[lang]
    case, decision = eaeu_worker(ref, lang)
    decision["attachment"]["channels"] = ["egov", "clinic"]
    case["attachment_channel"] = channel
    notice = re.sub(r"\s+", "", _notice(_render("slip", case, decision, ref, clinic, lang), lang))
    other = "egov" if channel == "clinic" else "clinic"
    assert re.sub(r"\s+", "", L[f"channel.{channel}"]) in notice
    assert re.sub(r"\s+", "", L[f"channel.{other}"]) not in notice


def test_unknown_channel_is_refused(ref, clinic):
    """A channel other than clinic/egov is an input error naming the field."""
    case, decision = eaeu_worker(ref, "ru")
    case["attachment_channel"] = "fax"
    with pytest.raises(ValueError, match="attachment_channel"):
        _render("slip", case, decision, ref, clinic, "ru")


@pytest.mark.parametrize("lang", LANGS)
def test_notice_citations_are_grouped_by_act(ref, clinic, lang):
    """Two articles of one act are one line on the notice: the act once, its articles after."""
    case, decision = eaeu_worker(ref, lang)
    ids = ["r665-9", "r665-12"]
    decision["basis"] = [ref.basis_entry(i, lang) for i in ids]
    act = ref.basis_entry("r665-9", lang)["act"]
    assert act == ref.basis_entry("r665-12", lang)["act"]
    notice = _notice(_render("slip", case, decision, ref, clinic, lang), lang)
    squashed = re.sub(r"\s+", "", notice)
    assert squashed.count(re.sub(r"\s+", "", act)) == 1
    for i in ids:
        assert re.sub(r"\s+", "", ref.basis_entry(i, lang)["article"]) in squashed


def test_kazakh_document_uses_the_kazakh_name_and_address(ref):
    """services.clinic_for_print gives a Kazakh document the Kazakh name and address."""
    from desktop.store.clinic import for_language

    details = {"name_ru": "ГП № 5", "name_kk": "№ 5 ҚЕ", "bin": "990340001230",
               "address_ru": "ул. Абая, 1", "address_kk": "Абай к-сі, 1", "head": "Х"}
    case, decision = eaeu_worker(ref, "kk")
    text = pdf_text(_render("slip", case, decision, ref, for_language(details, "kk"), "kk"))
    assert "№ 5 ҚЕ" in text and "Абай к-сі, 1" in text
    assert "ГП № 5" not in text and "ул. Абая" not in text
