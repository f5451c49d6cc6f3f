"""Export of allowed attachments for the national register."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest

from .support import NOW, make_case, make_decision


@pytest.fixture
def files(tmp_path):
    return tmp_path / "out.csv", tmp_path / "out.json"


def _export(registry, admin, files, **kw):
    return registry.export_attachments(*files, now=NOW, user=admin, **kw)


def test_allowed_attachment_is_exported(registry, admin, files):
    """An allowed attachment goes into both files."""
    pid = registry.save_patient(make_case(iin="791028302728"), user="u", now=NOW)
    decision = registry.record_decision(pid, make_decision("allowed"), user="u", now=NOW)
    _export(registry, admin, files)
    with files[0].open(encoding="utf-8-sig", newline="") as f:
        assert [r["iin"] for r in csv.DictReader(f)] == ["791028302728"]
    assert [a["decision_id"] for a in json.loads(files[1].read_text())["attachments"]] == [decision]


def test_nothing_is_exported_twice(registry, admin, files):
    """A second export leaves out what the first one sent."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision(), user="u", now=NOW)
    _export(registry, admin, files)
    assert _export(registry, admin, files)["count"] == 0


def test_again_exports_everything_current(registry, admin, files):
    """With again=True the already exported attachments are written again."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision(), user="u", now=NOW)
    _export(registry, admin, files)
    assert _export(registry, admin, files, again=True)["count"] == 1


def test_only_the_latest_decision_counts(registry, admin, files):
    """A patient whose latest decision is not 'allowed' is not exported."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision("allowed"), user="u", now=NOW)
    registry.record_decision(pid, make_decision("needs_documents"), user="u",
                             now=NOW + timedelta(hours=1))
    assert _export(registry, admin, files)["count"] == 0


def test_export_is_recorded_in_the_outbox(registry, admin, files):
    """The outbox says which decision went out, when and in which file."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    decision = registry.record_decision(pid, make_decision(), user="u", now=NOW)
    _export(registry, admin, files)
    [row] = registry.exported()
    assert (row.decision_id, row.exported_at, row.csv_file) == (decision, NOW, str(files[0]))


def _two_allowed(registry):
    ids = []
    for n in range(2):
        pid = registry.save_patient(make_case(surname=f"Экспорт{n}"), user="u", now=NOW)
        ids.append(registry.record_decision(pid, make_decision(), user="u", now=NOW))
    return ids


def test_a_batch_whose_first_target_failed_is_written_to_the_next_one(registry, admin, tmp_path):
    """The first target cannot be written (its folder is a file): the batch stays staged, and
    the next export, to another folder, writes it there; a third finds nothing new."""
    ids = _two_allowed(registry)
    blocker = tmp_path / "not-mounted"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError):
        _export(registry, admin, (blocker / "a.csv", blocker / "a.json"))
    good = tmp_path / "usb"
    good.mkdir()
    result = _export(registry, admin, (good / "b.csv", good / "b.json"))
    assert result["resumed"] and result["csv"] == str(good / "b.csv")
    assert [a["decision_id"] for a in json.loads((good / "b.json").read_text())["attachments"]] == ids
    assert {(o.csv_file, o.json_file) for o in registry.exported()} == {
        (str(good / "b.csv"), str(good / "b.json"))}
    assert _export(registry, admin, (good / "c.csv", good / "c.json"))["count"] == 0


def test_again_works_while_a_batch_is_staged(registry, admin, tmp_path):
    """--again with a batch still staged (its target failed): every current attachment is
    written to the new target, the staged batch is superseded (audited), none is left."""
    ids = _two_allowed(registry)
    blocker = tmp_path / "not-mounted"
    blocker.write_text("x")
    with pytest.raises(OSError):
        _export(registry, admin, (blocker / "a.csv", blocker / "a.json"))
    result = _export(registry, admin, (tmp_path / "b.csv", tmp_path / "b.json"), again=True)
    assert not result["resumed"] and result["count"] == 2
    assert [a["decision_id"] for a in
            json.loads((tmp_path / "b.json").read_text())["attachments"]] == ids
    assert registry.audit_entries(action="export_superseded")
    assert registry._staged_export() is None
    assert _export(registry, admin, (tmp_path / "c.csv", tmp_path / "c.json"))["count"] == 0
