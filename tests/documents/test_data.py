"""Captions and legal texts: both languages complete, every basis id resolves."""
from pathlib import Path

import yaml

from desktop.documents.labels import LABELS

SOURCES = Path(__file__).resolve().parents[2] / "db" / "sources"
# Captions that are legitimately the same in both languages.
SAME = {"number", "doc_number", "signature_line", "estimate.col.no", "patient", "referral.patient"}


def test_labels_same_keys_nothing_untranslated():
    assert set(LABELS["ru"]) == set(LABELS["kk"])
    for lang in ("ru", "kk"):
        assert all(isinstance(v, str) and v.strip() for v in LABELS[lang].values())
    same = {k for k in LABELS["ru"] if LABELS["ru"][k] == LABELS["kk"][k]}
    assert same <= SAME, same


def test_texts_have_both_languages_and_known_basis():
    acts = set()
    for f in SOURCES.glob("acts*.yaml"):
        acts |= {a["id"] for a in yaml.safe_load(f.read_text(encoding="utf-8"))["acts"]}
    texts = yaml.safe_load((SOURCES / "texts.yaml").read_text(encoding="utf-8"))["texts"]
    for t in texts:
        assert t["ru"].strip() and t["kk"].strip(), t["key"]
        assert t["basis"] and set(t["basis"]) <= acts, (t["key"], set(t["basis"]) - acts)
        assert "{" not in t["ru"] and "{" not in t["kk"]


def test_own_acts_do_not_redefine_core_ids():
    core = {a["id"] for a in yaml.safe_load((SOURCES / "acts.yaml").read_text(encoding="utf-8"))["acts"]}
    own = [a["id"] for a in yaml.safe_load((SOURCES / "acts_documents.yaml").read_text(encoding="utf-8"))["acts"]]
    assert len(own) == len(set(own)) and not set(own) & core
    for a in yaml.safe_load((SOURCES / "acts_documents.yaml").read_text(encoding="utf-8"))["acts"]:
        assert a["act"]["ru"] and a["act"]["kk"] and a["article"]["ru"] and a["article"]["kk"]
