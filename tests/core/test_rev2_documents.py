"""Revision 2 on the printouts: the refusal's grounds are legal grounds, and a need other than
attachment is offered the referral."""
from __future__ import annotations

from datetime import date

from core_helpers import case, decide, doc
import importlib

content = importlib.import_module("desktop.documents.content")

ON = date(2026, 11, 22)
CLINIC = {"name": "Городская поликлиника № 1", "address": "Алматы", "head": "Иванов И. И."}


def _build(ref, kind, data, lang="ru"):
    d = decide(ref, data, on=ON, lang=lang)
    return content.build(kind, case=data, decision=d, ref=ref, clinic=CLINIC, number="R-1", on=ON, lang=lang), d


def _list_after(model, heading):
    blocks = model["blocks"]
    i = next(i for i, b in enumerate(blocks) if b.get("t") == "h" and b["text"] == heading)
    return blocks[i + 1]["items"]


def test_refusal_grounds_do_not_start_with_the_reference_version(ref):
    """Reason no. 1 of a printed refusal is a legal ground, never the reference-data version."""
    model, d = _build(ref, "refusal", case("RU", [doc("passport")], purpose_of_stay="tourism"))
    grounds = _list_after(model, content.labels("ru")["refusal.reasons"])
    assert all(d["reference"]["version"] not in g for g in grounds)
    assert "категория" in grounds[0]
    assert model["reference_version"] == d["reference"]["version"]  # printed in the header and footer


def test_need_other_than_attachment_is_referred(ref):
    """A measles diagnosis with no referral purpose stated still prints a referral for diagnostics."""
    data = case("US", [doc("passport")], diagnosis_icd10="B05", needs="diagnosis")
    model, _ = _build(ref, "referral", data)
    assert content.labels("ru")["referral.purpose.diagnostics"].lower() in model["title"].lower()


def test_citizens_referral_for_a_dangerous_disease_is_not_funded_as_an_immigrants(ref):
    """A citizen's tuberculosis referral is funded under the full ГОБМП, not the immigrants' list (R665 p.5)."""
    data = case("KZ", [doc("id_card_kz")], diagnosis_icd10="A15", needs="diagnosis")
    model, _ = _build(ref, "referral", data)
    text = repr(model["blocks"])
    assert ref.text("care.dangerous_free", "ru", ON)[:60] not in text
    assert "ГОБМП — в полном об" in text
