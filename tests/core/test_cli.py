"""The command line of interface.md, run as a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import case_file, run_cli

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"


def run(args, tmp_path, stdin=None):
    return run_cli(args, tmp_path / "registry.sqlite", stdin)


def test_decide_prints_the_decision(tmp_path):
    """`decide CASE.json` prints the decision JSON and exits 0."""
    p = run(["decide", str(case_file(tmp_path, "p04"))], tmp_path)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["category"] == "eaeu_worker" and d["attachment"]["until"] == "2027-03-31"


def test_decide_reads_stdin_and_speaks_kazakh(tmp_path):
    """`-` reads standard input; --lang kk gives the explanation in Kazakh."""
    text = case_file(tmp_path, "p06").read_text(encoding="utf-8")
    p = run(["decide", "-", "--lang", "kk"], tmp_path, stdin=text)
    assert p.returncode == 0
    assert "санаты" in " ".join(json.loads(p.stdout)["explanation"])


def test_decide_on_date(tmp_path):
    """--on sets the decision date."""
    p = run(["decide", str(case_file(tmp_path, "p10")), "--on", "2027-01-01"], tmp_path)
    d = json.loads(p.stdout)
    assert d["as_of"] == "2027-01-01" and d["osms"]["insured"] is False


def test_invalid_case_exits_2_with_error_list(tmp_path):
    """An invalid case exits 2, prints the JSON error list on stderr, and nothing on stdout."""
    p = run(["decide", str(case_file(tmp_path, "p11"))], tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert json.loads(p.stderr)["errors"][0]["field"] == "person.iin"
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("content", ["{not json", "", "[1, 2]", "\xff\xfe"])
def test_garbage_input_is_an_input_error(tmp_path, content):
    """Broken JSON is an input error with exit 2, never a traceback."""
    f = tmp_path / "bad.json"
    f.write_text(content, encoding="utf-8")
    p = run(["decide", str(f)], tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert json.loads(p.stderr)["errors"]


def test_missing_file_is_an_input_error(tmp_path):
    """A case file that does not exist is named in the error."""
    p = run(["decide", str(tmp_path / "none.json")], tmp_path)
    assert p.returncode == 2 and "none.json" in p.stderr


def test_batch_keeps_order_and_marks_bad_lines(tmp_path):
    """--batch answers one line per case in order; a bad line gets its errors in place and exit 2."""
    lines = [json.loads((CASES / f"{n}.json").read_text(encoding="utf-8"))["case"] for n in ("p01", "p11", "p06")]
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in lines) + "\n"
    p = run(["decide", "-", "--batch"], tmp_path, stdin=text)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o.get("category") for o in out] == ["citizen", None, "eaeu_visitor"]
    assert out[1]["errors"][0]["field"] == "person.iin" and out[1]["errors"][0]["line"] == 2
    assert p.returncode == 2


def write_case(tmp_path, data, name="case.json", prefix="") -> Path:
    f = tmp_path / name
    f.write_text(prefix + json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return f


def assert_input_error(p, *fields):
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr, p.stderr
    got = {e["field"] for e in json.loads(p.stderr)["errors"]}
    assert set(fields) <= got, got


@pytest.mark.parametrize("number", ["79102830272²", "٧٩١٠٢٨٣٠٢٧٢٨", "７９１０２８３０２７２８"])
def test_non_ascii_iin_exits_2(tmp_path, number):
    """An ИИН with superscript, Arabic-Indic or full-width digits exits 2 naming person.iin, no traceback."""
    f = write_case(tmp_path, {"person": {"citizenship": "KZ", "iin": number}})
    assert_input_error(run(["decide", str(f)], tmp_path), "person.iin")


def test_far_future_date_and_month_exit_2(tmp_path):
    """as_of 9999-12-31 with paid month 9999-12 exits 2 naming both fields, never a traceback."""
    f = write_case(tmp_path, {"as_of": "9999-12-31", "person": {"citizenship": "KZ"},
                              "osms": {"paid_months": ["9999-12"]}})
    p = run(["decide", str(f)], tmp_path)
    assert_input_error(p, "as_of", "osms.paid_months[0]")
    assert "1900" in p.stderr and "2100" in p.stderr


@pytest.mark.parametrize("command", [["decide"], ["print", "refusal"]])
def test_deeply_nested_json_is_invalid_json(tmp_path, command):
    """JSON nested too deeply for the parser is the invalid-JSON input error (exit 2), not a RecursionError."""
    f = tmp_path / "deep.json"
    f.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    out = ["-o", str(tmp_path / "x.pdf")] if command[0] == "print" else []
    assert_input_error(run([*command, str(f), *out], tmp_path), "CASE")


def test_deeply_nested_batch_line_is_a_bad_line(tmp_path):
    """In --batch, a line nested too deeply is a bad line with its number, not a crash."""
    good = json.dumps({"as_of": "2026-11-22", "person": {"citizenship": "KZ"}})
    p = run(["decide", "-", "--batch"], tmp_path, stdin=good + "\n" + "[" * 100000 + "]" * 100000 + "\n")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert json.loads(p.stderr)["errors"] == [{"field": "CASE", "message": "not valid JSON: nested too deeply",
                                               "line": 2}]


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_utf8_bom_is_accepted(tmp_path, source):
    """A case starting with a UTF-8 byte-order mark (as Windows editors save it) is read."""
    data = {"as_of": "2026-11-22", "person": {"citizenship": "KZ"}, "documents": [{"kind": "id_card_kz"}]}
    f = write_case(tmp_path, data, prefix="\ufeff")
    p = run(["decide", str(f)], tmp_path) if source == "file" else \
        run(["decide", "-"], tmp_path, stdin=f.read_text(encoding="utf-8"))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["category"] == "citizen"


def test_on_replaces_as_of_before_validation_cli(tmp_path):
    """`--on` is the decision date for validation: a birth date after the case's as_of but before --on is fine."""
    f = write_case(tmp_path, {"as_of": "2020-01-01", "person": {"citizenship": "KZ", "birth_date": "2024-05-05"}})
    p = run(["decide", str(f), "--on", "2026-11-22"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["as_of"] == "2026-11-22"
    assert_input_error(run(["decide", str(f), "--on", "2024-05-04"], tmp_path), "person.birth_date")


def test_batch_stderr_is_one_object_listing_every_bad_line(tmp_path):
    """--batch with several bad lines writes one JSON object on stderr, every error carrying its line."""
    lines = [{"as_of": "2026-11-22", "person": {"citizenship": "KZ"}},
             {"person": {"citizenship": "XX", "sex": "m"}},
             "{not json",
             {"as_of": "2026-11-22", "person": {"citizenship": "RU"}},
             {"person": {"citizenship": "KZ", "iin": "12345"}}]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    p = run(["decide", "-", "--batch"], tmp_path, stdin=text)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    err = json.loads(p.stderr)  # a single JSON object, not one per line
    assert sorted((e["line"], e["field"]) for e in err["errors"]) == \
        [(2, "person.citizenship"), (2, "person.sex"), (3, "CASE"), (5, "person.iin")]
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o.get("category") for o in out] == ["citizen", None, None, "eaeu_visitor", None]
    assert [sorted({e["line"] for e in o["errors"]}) for o in out if "errors" in o] == [[2], [3], [5]]


def test_batch_all_good_has_empty_stderr(tmp_path):
    """--batch with only valid lines exits 0 and writes nothing on stderr."""
    good = json.dumps({"as_of": "2026-11-22", "person": {"citizenship": "KZ"}})
    p = run(["decide", "-", "--batch"], tmp_path, stdin=good + "\n" + good + "\n")
    assert p.returncode == 0 and p.stderr == "" and len(p.stdout.splitlines()) == 2


def test_prices_lists_the_price_list_in_force(tmp_path):
    """`prices --on` prints code, names, price and unit for that date."""
    p = run(["prices", "--on", "2025-06-01"], tmp_path)
    items = {i["code"]: i for i in json.loads(p.stdout)}
    assert items["RAD-FLG"]["price"] == "2200" and set(items["RAD-FLG"]) >= {"code", "name_ru", "name_kk", "price", "unit"}
    assert "CONS-SPEC" not in items


def test_decide_does_not_import_qt_or_sqlalchemy(tmp_path):
    """The decide command stays headless and light: no Qt, no SQLAlchemy, no reportlab."""
    code = ("import sys, runpy; sys.argv=['polyclinic','decide',%r]; "
            "from desktop.cli import main; rc=main(); "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','sqlalchemy','sqlmodel','reportlab')]; "
            "print('BAD', bad, file=sys.stderr); sys.exit(rc)") % str(case_file(tmp_path, "p01"))
    env = dict(os.environ, POLYCLINIC_DB=str(tmp_path / "registry.sqlite"))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "BAD []" in p.stderr


def test_refdata_installed_beside_the_database(tmp_path):
    """The first decision installs the bundled release beside the database and names it active."""
    run(["decide", str(case_file(tmp_path, "p01"))], tmp_path)
    p = run(["refdata", "list"], tmp_path)
    rel = json.loads(p.stdout)
    assert len(rel) == 1 and rel[0]["active"] is True


# --- batches keep every line (issue 11 item 10) -------------------------------------------------
def run_bytes(args, tmp_path, stdin: bytes):
    env = dict(os.environ, POLYCLINIC_DB=str(tmp_path / "registry.sqlite"))
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True,
                          env=env, cwd=ROOT, timeout=120)


def _line(citizenship="KZ", surname="Тестов", **kw) -> bytes:
    c = {"as_of": "2026-11-22", "person": {"citizenship": citizenship, "surname": surname},
         "documents": [{"kind": "id_card_kz"}] if citizenship == "KZ" else [{"kind": "passport"}], **kw}
    return json.dumps(c, ensure_ascii=False).encode("utf-8")


def test_batch_invalid_utf8_spoils_only_its_line(tmp_path):
    """One invalid UTF-8 byte gives an error line for that line only; the others are decided."""
    bad = _line(surname="Те").replace("Те".encode(), b"\xff\xfe")
    p = run_bytes(["decide", "-", "--batch"], tmp_path, _line() + b"\n" + bad + b"\n" + _line("RU") + b"\n")
    out = p.stdout.decode("utf-8").split("\n")
    assert p.returncode == 2 and out[-1] == "" and len(out) == 4
    assert json.loads(out[0])["category"] == "citizen" and json.loads(out[2])["category"] == "eaeu_visitor"
    assert json.loads(out[1])["errors"][0]["line"] == 2 and "UTF-8" in json.loads(out[1])["errors"][0]["message"]
    assert b"Traceback" not in p.stderr


def test_batch_u2028_inside_a_string_never_splits_a_line(tmp_path):
    """U+2028, U+2029 and U+0085 inside a string stay in their case: one output line per input line."""
    odd = _line(surname="Иван\u2028ов\u2029\u0085")
    p = run_bytes(["decide", "-", "--batch"], tmp_path, odd + b"\n" + _line("RU") + b"\n")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode("utf-8").splitlines()  # str.splitlines splits on U+2028 too
    assert len(lines) == 2 and json.loads(lines[1])["category"] == "eaeu_visitor"


def test_batch_bad_lines_get_their_own_error_lines(tmp_path):
    """Bad JSON, an empty line and an invalid case each give an error line; good lines stay in step."""
    text = b"\n".join([_line(), b"{not json", b"", _line(docs=[]), _line("RU")]) + b"\n"
    p = run_bytes(["decide", "-", "--batch"], tmp_path, text)
    out = [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()]
    assert len(out) == 5 and p.returncode == 2
    assert [("errors" in o) for o in out] == [False, True, True, True, False]
    assert [o["errors"][0]["line"] for o in out[1:4]] == [2, 3, 4]
    assert out[3]["errors"][0]["field"] == "docs"
    assert {e["line"] for e in json.loads(p.stderr)["errors"]} == {2, 3, 4}


def test_batch_crlf_and_no_final_newline(tmp_path):
    """CRLF line ends are accepted and a last line without a newline is still decided."""
    p = run_bytes(["decide", "-", "--batch"], tmp_path, _line() + b"\r\n" + _line("RU"))
    assert p.returncode == 0, p.stderr
    assert [json.loads(x)["category"] for x in p.stdout.decode().splitlines()] == ["citizen", "eaeu_visitor"]


def test_batch_case_with_too_many_documents_is_an_input_error(tmp_path):
    """A case with more than 200 documents is an input error on its line, not a slow decision."""
    big = json.dumps({"person": {"citizenship": "KZ"}, "documents": [{"kind": "id_card_kz"}] * 5000}).encode()
    p = run_bytes(["decide", "-", "--batch"], tmp_path, big + b"\n" + _line() + b"\n")
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert out[0]["errors"][0]["field"] == "documents" and out[1]["category"] == "citizen"


def test_unknown_key_exits_2_naming_the_key(tmp_path):
    """`decide` with valid_untill on a document exits 2 and names documents[N].valid_untill."""
    case = {"person": {"citizenship": "RU"}, "documents": [{"kind": "passport"},
                                                           {"kind": "dms_contract", "valid_untill": "2027-01-01"}]}
    p = run(["decide", "-"], tmp_path, stdin=json.dumps(case))
    assert p.returncode == 2 and json.loads(p.stderr)["errors"][0]["field"] == "documents[1].valid_untill"


def test_each_command_group_declares_the_commands_it_adds():
    """A group's COMMANDS names exactly the commands its add_commands adds (the parser of one
    command is built from its group alone)."""
    import argparse

    from desktop import cli

    for group in cli.GROUPS:
        sub = argparse.ArgumentParser().add_subparsers()
        group.add_commands(sub)
        assert tuple(sub.choices) == group.COMMANDS, group.__name__
