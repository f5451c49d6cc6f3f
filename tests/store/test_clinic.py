"""The clinic's details: both languages, the БИН check digit, and `polyclinic clinic`."""

from __future__ import annotations

import json

import pytest

from desktop import cli
from desktop.cli.clinic import CLINIC_OPTIONS
from desktop.store.clinic import bin_error, for_language
from desktop.store.errors import ClinicDetailsInvalid

from .support import NOW

GOOD = {"name_ru": "ГКП «Поликлиника № 5»", "name_kk": "«№ 5 емхана» МКК",
        "bin": "791028302728", "address_ru": "г. Астана, ул. Абая, 1",
        "address_kk": "Астана қ., Абай к-сі, 1", "head": "Сапарова А. Қ."}


def test_bin_uses_the_iin_check_digit():
    """A БИН with a correct check digit passes; 123456789012 does not."""
    assert bin_error("791028302728") is None
    assert bin_error("123456789012") == "check_digit"
    assert bin_error("12345") == "format"


def test_details_are_saved_in_both_languages(registry, admin):
    """Every field is stored and read back."""
    registry.set_clinic_details(GOOD, actor=admin, now=NOW)
    details = registry.clinic_details()
    assert {k: details[k] for k in GOOD} == GOOD


def test_bad_bin_saves_nothing(registry, admin):
    """A wrong БИН is refused naming the field, and nothing is written."""
    with pytest.raises(ClinicDetailsInvalid) as caught:
        registry.set_clinic_details({**GOOD, "bin": "123456789012"}, actor=admin, now=NOW)
    assert [p["field"] for p in caught.value.problems] == ["bin"]
    assert registry.clinic_details()["name_ru"] == ""


def test_registrar_may_not_set_details(registry, registrar):
    """Only an administrator sets the clinic's details."""
    from desktop.store import PermissionDenied

    with pytest.raises(PermissionDenied):
        registry.set_clinic_details(GOOD, actor=registrar, now=NOW)


def test_kazakh_document_gets_kazakh_name_and_address():
    """for_language picks the Kazakh name and address for kk, the Russian for ru."""
    assert for_language(GOOD, "kk")["name"] == GOOD["name_kk"]
    assert for_language(GOOD, "kk")["address"] == GOOD["address_kk"]
    assert for_language(GOOD, "ru")["name"] == GOOD["name_ru"]


def test_old_single_name_reads_as_russian(registry, admin):
    """A name stored by an older version ("clinic.name") is the Russian name."""
    registry.set_settings({"clinic.name": "ГП № 1"}, actor=admin, now=NOW)
    assert registry.clinic_details()["name_ru"] == "ГП № 1"


def _run(argv, db_path, capsys):
    code = cli.main(["--db", str(db_path), *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def admin_pw(registry, admin, tmp_path):
    path = tmp_path / "admin.pw"
    path.write_text("admin-secret-1\n")
    return path


def _set_args(values):
    options = {v: k for k, v in CLINIC_OPTIONS.items()}
    return [x for f, v in values.items() for x in (options[f], v)]


def test_cli_clinic_set_then_show(db_path, admin_pw, capsys):
    """`clinic set` by an administrator, then `clinic show` prints the same details."""
    code, _, err = _run(["clinic", "set", *_set_args(GOOD), "--user", "admin",
                         "--password-file", admin_pw], db_path, capsys)
    assert code == 0, err
    code, out, _ = _run(["clinic", "show"], db_path, capsys)
    shown = json.loads(out)
    assert code == 0 and shown["complete"] and {k: shown[k] for k in GOOD} == GOOD


def test_cli_bad_bin_exits_2_naming_the_field(db_path, admin_pw, capsys):
    """A bad БИН exits 2 with --bin named in the JSON errors."""
    code, _, err = _run(["clinic", "set", *_set_args({**GOOD, "bin": "123456789012"}),
                         "--user", "admin", "--password-file", admin_pw], db_path, capsys)
    assert code == 2 and [e["field"] for e in json.loads(err)["errors"]] == ["--bin"]


def test_cli_clinic_set_needs_an_administrator(db_path, registrar, tmp_path, capsys):
    """A registrar's `clinic set` exits 3."""
    (tmp_path / "reg.pw").write_text("reg-secret-1\n")
    code, _, _ = _run(["clinic", "set", "--head", "X", "--user", "reg", "--password-file",
                       tmp_path / "reg.pw"], db_path, capsys)
    assert code == 3


def test_cli_users_add_weak_password_exits_2(db_path, admin_pw, tmp_path, capsys, monkeypatch):
    """`users add` with a password breaking the rule exits 2 naming the password."""
    monkeypatch.setenv("POLYCLINIC_NEW_PASSWORD", "1")
    code, _, err = _run(["users", "add", "reg9", "--full-name", "R", "--user", "admin",
                         "--password-file", admin_pw], db_path, capsys)
    assert code == 2 and json.loads(err)["errors"][0]["field"] == "password"
