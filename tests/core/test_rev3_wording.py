"""rules.md 9.7 (revision 3): the wording of every explanation and warning template of the
reference data, in Russian and Kazakh — no doubled word, no subject repeated in one sentence,
a worker's child is «ребёнок трудящегося», Kazakh dates before «дейін» take «ж.»."""
from __future__ import annotations

import re

import pytest

from core_helpers import case, decide, doc

# the templates a decision is made of: explanation sentences, the words they embed, warnings,
# the refusal grounds
PREFIXES = ("explain.", "care.", "need.", "note.", "refusal.ground.", "tb.", "scope.", "osms.")
WORD = re.compile(r"[\w\-]+|\{\w+\}", re.UNICODE)
# short function words that may repeat in a sentence without repeating its subject
STOP = {"и", "в", "на", "по", "с", "не", "до", "для", "или", "а", "от", "о", "из", "к", "у", "за", "—",
        "мен", "және", "немесе", "бойынша", "үшін", "дейін", "ал", "да", "де", "жоқ", "бар", "ж"}
DATE_FIELDS = ("until", "as_of", "valid_from", "valid_until", "vms_until", "contract_until", "date")


def templates(ref):
    for key in sorted(k for k in ref._texts if k.startswith(PREFIXES)):
        for _f, _t, txt, _b in ref._texts[key]:
            for lang in ("ru", "kk"):
                yield f"text {key} [{lang}]", txt[lang]
    for code, w in sorted(ref.warnings.items()):
        for lang in ("ru", "kk"):
            yield f"warning {code} [{lang}]", w[lang]


def sentences(text: str):
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def words(sentence: str) -> list[str]:
    return [w.lower() for w in WORD.findall(sentence)]


def test_the_reference_data_has_templates(ref):
    assert len(list(templates(ref))) > 150


def test_no_doubled_word(ref):
    """No word twice in a row («в в», «ТМККК ТМККК») in any template."""
    bad = []
    for where, text in templates(ref):
        w = words(text)
        bad += [f"{where}: «{a} {b}»" for a, b in zip(w, w[1:]) if a == b and not a.startswith("{")]
    assert not bad, "\n".join(bad)


def test_no_subject_repeated_in_one_sentence(ref):
    """No two-word phrase of content words twice in one sentence («лицо без гражданства без
    удостоверения лица без гражданства»)."""
    bad = []
    for where, text in templates(ref):
        for s in sentences(text):
            w = [x for x in words(s) if x not in STOP and not x.startswith("{")]
            pairs = list(zip(w, w[1:]))
            seen = set()
            for p in pairs:
                if p in seen:
                    bad.append(f"{where}: «{' '.join(p)}» twice in «{s}»")
                seen.add(p)
    assert not bad, "\n".join(bad)


def test_a_worker_child_is_rebyonok_trudyashchegosya(ref):
    """«ребёнок трудящегося», never «дочь/сын трудящегося…, проживающая с ним»."""
    for sex in ("female", "male", None):
        d = decide(ref, case("KG", [doc("passport"), doc("dms_contract", covers_phc=True)],
                             family_of_eaeu_worker={"relation": "child", "lives_together": True},
                             person={"sex": sex, "birth_date": "2015-01-01"}))
        text = " ".join(d["explanation"])
        assert "ребёнок трудящегося" in text
        assert not re.search(r"\b(дочь|сын) трудящегося|проживающ\w+ с ним", text)


def test_kazakh_dates_before_deyin_take_zh(ref):
    """A Kazakh date before «дейін» reads «30.11.2026 ж. дейін» (templates and a decision)."""
    bad = [where for where, text in templates(ref) if where.endswith("[kk]")
           and re.search(r"\{(%s)\}\s+дейін" % "|".join(DATE_FIELDS), text)]
    assert not bad, bad
    docs = [doc("passport"), doc("employment_contract", valid_from="2026-01-01", valid_until="2026-11-30"),
            doc("dms_contract", covers_phc=True, valid_from="2026-01-01", valid_until="2027-01-31")]
    d = decide(ref, case("KG", docs), lang="kk")
    text = " ".join(d["explanation"])
    assert "30.11.2026 ж. дейін" in text
    assert not re.search(r"\d{2}\.\d{2}\.\d{4} дейін", text)


def test_stateless_sentence_names_the_subject_once(ref):
    for lang in ("ru", "kk"):
        d = decide(ref, case(None, [doc("passport")]), lang=lang)
        s = next(x for x in d["explanation"] if "«" in x and ("категория" in x or "санаты" in x))
        assert s.lower().count("без гражданства") <= 1 and s.lower().count("азаматтығы жоқ") <= 2
