"""The duplicate score: how likely two stored patient records are one person.

Pure functions over plain records (no Qt, no clock, no database): the store finds candidate
pairs by blocking keys in SQL and hands each pair here with the folded keys it computed
(desktop/store/text.py). The weights are reference data — the parameter `duplicate_weights`
of db/sources/parameters.yaml (clinic policy, not law) — and come in as a dict; nothing here
holds a number of its own.

A record is a dict with: id, iin, birth_date (ISO text or None), surname_key, surname_latin,
given_key, given_latin, patronymic_latin, documents: [(number_key, country), ...].
"""
from __future__ import annotations

from dataclasses import dataclass, field

# the features a score can name, in the order they are reported
FEATURES = ("iin", "iin_differs", "document", "birth_date", "birth_date_differs", "surname",
            "surname_similar", "given_name", "patronymic")
WEIGHT_KEYS = FEATURES + ("min_score", "certain", "similar_distance")


class WeightsError(ValueError):
    """The reference data's duplicate weights are missing or malformed."""


@dataclass(frozen=True)
class PairScore:
    keep: int
    other: int
    score: int
    matched: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"keep": self.keep, "other": self.other, "score": self.score,
                "matched": list(self.matched)}


def check_weights(weights) -> dict:
    """The weights as a dict of ints; WeightsError naming what is wrong."""
    if not isinstance(weights, dict):
        raise WeightsError("duplicate_weights: a mapping of feature → weight is required")
    missing = [k for k in WEIGHT_KEYS if k not in weights]
    if missing:
        raise WeightsError(f"duplicate_weights: missing {', '.join(missing)}")
    unknown = [k for k in weights if k not in WEIGHT_KEYS]
    if unknown:
        raise WeightsError(f"duplicate_weights: unknown {', '.join(map(str, unknown))}")
    for k, v in weights.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise WeightsError(f"duplicate_weights: {k} must be a whole number, got {v!r}")
    return dict(weights)


def weights_on(ref, on) -> dict:
    """The duplicate weights in force on `on` in the reference data `ref` (checked)."""
    return check_weights(ref.parameter("duplicate_weights", on))


def distance_at_most(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance (insert, delete, substitute, swap of neighbours) of `a` and
    `b` is at most `limit` (banded, so long names cost no more than short ones)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > limit or limit <= 0:
        return False
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (previous2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _same_name(key_a: str, key_b: str, lat_a: str, lat_b: str) -> bool:
    return bool((key_a and key_a == key_b) or (lat_a and lat_a == lat_b))


def score(a: dict, b: dict, weights: dict, evidence: dict | None = None) -> PairScore:
    """The score of records `a` and `b` (0..100) and what matched. Same ИИН is certain (the
    `certain` score); two different ИИН rule the pair out (0); otherwise the weights of what
    matched add up, capped at 100. `keep` is the older record (lower id).

    `evidence`: what the database already compared, so that the documents need not be read:
    {"document": the two share a document number of a compatible country, "iin_document": one
    record's ИИН is a document number of the other}; the records' `documents` are then unused."""
    keep, other = (a, b) if a["id"] <= b["id"] else (b, a)
    matched: list[str] = []
    total = 0

    def hit(name: str) -> None:
        nonlocal total
        matched.append(name)
        total += weights[name]

    iin_a, iin_b = keep.get("iin") or "", other.get("iin") or ""
    docs_a = {n for n, _ in keep.get("documents") or () if n}
    docs_b = {n for n, _ in other.get("documents") or () if n}
    if iin_a and iin_b:
        if iin_a == iin_b:
            return PairScore(keep["id"], other["id"], weights["certain"], ("iin",))
        hit("iin_differs")
    elif (evidence["iin_document"] if evidence is not None
          else (iin_a and iin_a in docs_b) or (iin_b and iin_b in docs_a)):
        return PairScore(keep["id"], other["id"], weights["certain"], ("iin",))
    if evidence is not None:
        if evidence["document"]:
            hit("document")
    else:
        countries_a = {(n, c) for n, c in keep.get("documents") or () if n}
        for number, country in other.get("documents") or ():
            if number and any(number == n and (not country or not c or country == c)
                              for n, c in countries_a):
                hit("document")
                break
    birth_a, birth_b = keep.get("birth_date"), other.get("birth_date")
    if birth_a and birth_b:
        hit("birth_date" if birth_a == birth_b else "birth_date_differs")
    if _same_name(keep.get("surname_key", ""), other.get("surname_key", ""),
                  keep.get("surname_latin", ""), other.get("surname_latin", "")):
        hit("surname")
    elif (keep.get("surname_latin") and other.get("surname_latin")
          and distance_at_most(keep["surname_latin"], other["surname_latin"],
                               weights["similar_distance"])):
        hit("surname_similar")
    if _same_name(keep.get("given_key", ""), other.get("given_key", ""),
                  keep.get("given_latin", ""), other.get("given_latin", "")):
        hit("given_name")
    if keep.get("patronymic_latin") and keep.get("patronymic_latin") == other.get("patronymic_latin"):
        hit("patronymic")
    value = max(0, min(100, total))
    return PairScore(keep["id"], other["id"], value,
                     tuple(m for m in FEATURES if m in matched))


def best_first(scores, min_score: int) -> list[PairScore]:
    """The pairs at or above `min_score`, best first (then by the kept record's id)."""
    return sorted((s for s in scores if s.score >= min_score),
                  key=lambda s: (-s.score, s.keep, s.other))
