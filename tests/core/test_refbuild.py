"""The reference build: checked sources, a content version, and law kept in data."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop.core.refbuild import SourceError, build_reference
from desktop.core.refdata import RefDataError, load_reference

SOURCES = Path(__file__).resolve().parents[2] / "db" / "sources"
WARNING_CODES = {"document_expired", "vms_required", "vms_expires_before_contract", "insurance_required",
                 "medical_exam_required", "osms_grace_period", "dangerous_disease_notice",
                 "prepayment_required", "reference_outdated", "hiv_investigation"}
CATEGORIES = ["citizen", "kandas", "refugee", "permanent_resident", "eaeu_worker", "eaeu_family",
              "asylum_seeker", "trafficking_victim", "eaeu_visitor", "cis_visitor", "foreign_visitor"]


@pytest.fixture
def sources(tmp_path) -> Path:
    dst = tmp_path / "sources"
    shutil.copytree(SOURCES, dst)
    return dst


def test_same_sources_same_version(tmp_path, ref):
    """Building the same sources twice gives the same version."""
    assert build_reference(SOURCES, tmp_path / "a.sqlite") == ref.version


def test_changed_content_changes_version(sources, tmp_path, ref):
    """Any change of content gives a new version."""
    p = sources / "parameters.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace('value: "4325"', 'value: "4326"'), encoding="utf-8")
    assert build_reference(sources, tmp_path / "b.sqlite") != ref.version


def test_version_starts_with_issue_date(ref):
    """The version is the release date plus a content hash."""
    assert ref.version.startswith(ref.issued.isoformat() + "-")


def test_unknown_basis_is_refused(sources, tmp_path):
    """A basis id that names no act is an error naming the file."""
    p = sources / "coverage.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("[hc-83-1, gov-672]", "[hc-83-1, nowhere-1]"), encoding="utf-8")
    with pytest.raises(SourceError, match="coverage.yaml.*nowhere-1"):
        build_reference(sources, tmp_path / "c.sqlite")


def test_bad_date_is_refused(sources, tmp_path):
    """A date that is not YYYY-MM-DD is an error naming the entry."""
    p = sources / "prices.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("valid_from: 2026-01-01}", "valid_from: 2026-01-32}", 1), encoding="utf-8")
    with pytest.raises(SourceError, match="prices.yaml"):
        build_reference(sources, tmp_path / "d.sqlite")


def test_missing_kazakh_text_is_refused(sources, tmp_path):
    """Every text needs both Russian and Kazakh."""
    p = sources / "documents.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(', kk: "Шетелдік төлқұжат"', ""), encoding="utf-8")
    with pytest.raises(SourceError, match="documents.yaml.*passport"):
        build_reference(sources, tmp_path / "e.sqlite")


def test_broken_yaml_is_refused(sources, tmp_path):
    """A file that is not YAML gives a message naming it."""
    (sources / "diseases.yaml").write_text("diseases: [\n  - {id: x", encoding="utf-8")
    with pytest.raises(SourceError, match="diseases.yaml"):
        build_reference(sources, tmp_path / "f.sqlite")


def test_failed_build_leaves_old_file(sources, tmp_path):
    """A failed build does not touch the existing reference file."""
    out = tmp_path / "g.sqlite"
    build_reference(sources, out)
    before = out.read_bytes()
    (sources / "warnings.yaml").write_text("warnings: [{code: x}]", encoding="utf-8")
    with pytest.raises(SourceError):
        build_reference(sources, out)
    assert out.read_bytes() == before


def test_every_warning_code_has_a_message(ref):
    """The warnings of rules.md section 5 all have ru and kk messages."""
    # rev. 3: `code.variant` entries (another basis and wording) share their code
    assert {c.split(".")[0] for c in ref.warnings} == WARNING_CODES
    assert all(w["ru"] and w["kk"] for w in ref.warnings.values())


def test_eleven_categories_in_order(ref):
    """The category table has the eleven rows in the order of rules.md."""
    assert [c.id for c in ref.categories] == CATEGORIES


def test_every_category_has_an_attachment_rule(ref):
    """Every category has an attachment rule."""
    assert {r.category for r in ref.attachment_rules} == set(CATEGORIES)


def test_countries_have_russian_and_kazakh_names(ref):
    """Countries carry ru, kk and en names."""
    assert ref.countries["KZ"] == {"ru": "Казахстан", "kk": "Қазақстан", "en": "Kazakhstan"}
    assert len(ref.countries) > 240


def test_garbage_file_is_not_reference_data(tmp_path):
    """A file that is not a reference database gives RefDataError, not a crash."""
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(RefDataError):
        load_reference(bad)


def test_missing_file_is_reported(tmp_path):
    """A missing reference file is reported by name."""
    with pytest.raises(RefDataError, match="not found"):
        load_reference(tmp_path / "none.sqlite")


def test_no_legal_numbers_in_rules_code():
    """The rules engine holds no legal numbers: grace months, rates and prices come from data."""
    src = (Path(__file__).resolve().parents[2] / "desktop" / "core" / "rules.py").read_text(encoding="utf-8")
    for literal in ("85000", "4250", "5950", "3932", "4325", "0.05", "= 3", "months=3"):
        assert literal not in src


# --- revision 2 values are checked too ----------------------------------------------------------
def _edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_treaty_layer_with_unknown_union_is_refused(sources, tmp_path):
    """A treaty layer must name a union of countries.yaml."""
    _edit(sources / "coverage.yaml", "  - union: CIS\n    scheme: GOBMP", "  - union: NOPE\n    scheme: GOBMP")
    with pytest.raises(SourceError, match="treaties.*NOPE"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_treaty_layer_without_basis_is_refused(sources, tmp_path):
    """A treaty layer needs its citation."""
    _edit(sources / "coverage.yaml", "    payment: guarantee_or_prepayment\n    basis: [fms-cis, cis-agreement-1997]",
          "    payment: guarantee_or_prepayment\n    basis: []")
    with pytest.raises(SourceError, match="treaties.*basis"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_treaty_layer_needs_its_explanation_in_both_languages(sources, tmp_path):
    """A treaty layer's union needs the sentence explain.treaty.UNION."""
    _edit(sources / "messages.yaml", "key: explain.treaty.CIS", "key: explain.treaty.OTHER")
    with pytest.raises(SourceError, match="explain.treaty.CIS"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_unknown_attachment_limit_is_refused(sources, tmp_path):
    """`until` may list only insurance, work_contract and worker_contract."""
    _edit(sources / "attachment.yaml", "until: [insurance, work_contract]", "until: [insurance, visa]")
    with pytest.raises(SourceError, match="until"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_below_age_must_name_a_parameter(sources, tmp_path):
    """A document's age limit must name a parameter of parameters.yaml."""
    _edit(sources / "attachment.yaml", "{birth_certificate: identity_birth_certificate_below_age}",
          "{birth_certificate: no_such_parameter}")
    with pytest.raises(SourceError, match="below_age"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_bad_hiv_code_is_refused(sources, tmp_path):
    """An *_icd10 parameter holds ICD-10 codes or ranges only."""
    _edit(sources / "parameters.yaml", '["B20-B24", "Z21"]', '["B20-B24", "HIV"]')
    with pytest.raises(SourceError, match="hiv_investigation_icd10.*HIV"):
        build_reference(sources, tmp_path / "t.sqlite")


def test_dated_parameters_of_rev2_carry_citations(ref):
    """The ОСМС parameters of rev. 2 are dated and cited."""
    on = __import__("datetime").date(2026, 6, 15)
    for name in ("osms_contribution_due_day", "osms_no_grace_payers", "osms_regain_rate", "min_wage",
                 "osms_regain_earliest_month", "hiv_investigation_icd10", "identity_birth_certificate_below_age"):
        value, basis = ref.parameter_entry(name, on)
        assert value is not None and basis, name
