"""Printed documents: attachment slip, grounded refusal, referral, paid-service estimate.

Public API::

    render(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> bytes
    content_hash(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> str
    content(kind, ...) -> dict          # the canonical content model that is printed and hashed
    exam_lines(ref, on) -> [(code, 1), ...]   # R665 p.13 immigrant exam, for pre-filling

``kind``: "slip", "refusal", "referral", "estimate". ``case``: the case dict (interface.md);
``decision``: ``Decision.to_dict()`` (or a Decision) taken in the same ``lang`` with the same
``ref``; ``clinic``: {name, bin, address, head}; ``number``: the document number (str) from
the registry's sequence; ``on``: the document date (datetime.date); ``lang``: "ru" or "kk";
``lines``: for an estimate, (code, quantity) pairs priced from ``ref.prices_on(on)``, or
(PriceItem, quantity) pairs with explicit prices; quantities are int or Decimal (> 0).
Wrong input raises ValueError naming the problem. No Qt here, no clock.
"""
from __future__ import annotations

from desktop.documents.content import KINDS, build, exam_lines, hash_model, price_lines
from desktop.documents.words import amount_in_words, integer_in_words

__all__ = ["KINDS", "render", "content", "content_hash", "exam_lines", "amount_in_words",
           "integer_in_words", "price_lines"]


def content(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> dict:
    """The content model (what is printed), as JSON-able data."""
    return build(kind, case=case, decision=decision, ref=ref, clinic=clinic, number=number,
                 on=on, lang=lang, lines=lines)


def content_hash(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> str:
    """SHA-256 (hex) of the canonical JSON of what the document prints; the QR code holds it."""
    return hash_model(content(kind, case=case, decision=decision, ref=ref, clinic=clinic,
                              number=number, on=on, lang=lang, lines=lines))


def render(kind, *, case, decision, ref, clinic, number, on, lang, lines=None) -> bytes:
    """The document as PDF bytes (A4, DejaVu Sans embedded, deterministic)."""
    from desktop.documents.pdf import render_model

    model = content(kind, case=case, decision=decision, ref=ref, clinic=clinic, number=number,
                    on=on, lang=lang, lines=lines)
    return render_model(model, hash_model(model))
