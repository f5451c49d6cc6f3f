"""A desk working in Kazakh shows the store's refusals in Kazakh (issue 21, item 4): the
damaged-registry message at start, the refusals of the administration dialogs — not their
Russian half. Every refusal the store writes in Russian carries its Kazakh text."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from desktop.gui.admin.base import error_message
from desktop.gui.i18n import Tr, store_text
from tests.gui.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
KAZAKH = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
REFUSALS = {"RegistryError", "Conflict", "PermissionDenied", "NotFound", "StoreError"}


def _strings(node) -> str:
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def test_every_russian_refusal_of_the_store_has_its_kazakh_text():
    """Read from the source: a refusal raised with Russian words and no `kk=` would reach a
    Kazakh desk in Russian."""
    missing = []
    for path in sorted((ROOT / "desktop" / "store").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in REFUSALS and CYRILLIC.search(" ".join(_strings(a) for a in node.args)) \
                    and not any(k.arg == "kk" for k in node.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []


def test_a_damaged_registry_is_named_in_kazakh_at_a_kazakh_desk(tmp_path, capsys, clock):
    """Not an SQLite file: the start says so in the desk's language, each one whole."""
    from desktop.gui.app import open_registry_or_restore

    bad = tmp_path / "r.sqlite"
    bad.write_bytes(b"not a database at all" * 10)
    for lang, words, absent in (("kk", "SQLite дерекқоры емес", "не является"),
                                ("ru", "не является базой данных SQLite", "дерекқоры")):
        assert open_registry_or_restore(bad, clock, Tr(lang), interactive=False) is None
        said = capsys.readouterr().err
        assert words in said and absent not in said and "The file" not in said


def test_an_administration_refusal_is_shown_in_the_desk_s_language(tmp_path):
    from desktop.store import Conflict, open_registry

    registry = open_registry(tmp_path / "r.sqlite", now=NOW)
    try:
        registry.create_user("admin", "secret-pass-1", full_name="Әлия", role="admin", now=NOW)
        with pytest.raises(Conflict) as caught:
            registry.create_user("admin", "secret-pass-2", full_name="Бек", role="registrar",
                                 actor="admin", now=NOW)
    finally:
        registry.close()
    kk, ru = error_message(Tr("kk"), caught.value), error_message(Tr("ru"), caught.value)
    assert KAZAKH.search(kk) and "admin" in kk and "занят" not in kk
    assert ru == "Логин «admin» занят"


def test_a_message_without_kazakh_text_shows_its_russian_half_only():
    class Plain(Exception):
        pass

    assert store_text(Plain("Цена не задана — no price"), "kk") == "Цена не задана"
    assert store_text(Plain("Цена — тенге"), "kk") == "Цена — тенге"   # no English half: whole
