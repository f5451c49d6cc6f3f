"""Issue 21 item 15: the paid-service estimate's total, legal notes and signatures stay on the
page of the table's last lines (never on a page of their own, away from the table)."""
from __future__ import annotations

import subprocess

import pytest

from desktop import documents
from docs_helpers import CLINIC, ON, PRICES, cis_visitor


def _pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "estimate.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    n = int(next(line for line in info.splitlines() if line.startswith("Pages")).split()[-1])
    return [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(path), "-"],
                           capture_output=True, text=True, check=True).stdout for p in range(1, n + 1)]


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("n", [1, 2, 8, 20])
def test_signatures_stay_with_the_table(ref, lang, n, tmp_path):
    from desktop.documents.labels import labels

    L = labels(lang)
    case, decision = cis_visitor(ref, lang)         # the longest tail: prepayment and its note
    codes = [p.code for p in PRICES]
    lines = [(codes[i % len(codes)], 1) for i in range(n)]
    pdf = documents.render("estimate", case=case, decision=decision, ref=ref, clinic=CLINIC,
                           number="2026-000001", on=ON, lang=lang, lines=lines)
    pages = _pages(pdf, tmp_path)
    signed = [i for i, t in enumerate(pages) if L["stamp"] in t]
    assert len(signed) == 1
    page = pages[signed[0]]
    assert L["estimate.total_words"] in page and L["patient_or_rep"] in page
    assert f" {n} {codes[(n - 1) % len(codes)]} " in f" {' '.join(page.split())} "   # the last line
    (tmp_path / "estimate.pdf").rename(tmp_path / f"estimate-{lang}-{n}.pdf")


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("n", [8, 12, 16, 20, 30])
def test_a_page_of_lines_opens_with_the_header(ref, lang, n, tmp_path):
    """Where the last lines go over to the next page with the total and signatures, that page
    names the columns again (as the table's own page breaks do); a page that continues nothing
    gets no second header."""
    from desktop.documents.labels import labels

    L = labels(lang)
    case, decision = cis_visitor(ref, lang)
    codes = [p.code for p in PRICES]
    lines = [(codes[i % len(codes)], 1) for i in range(n)]
    pdf = documents.render("estimate", case=case, decision=decision, ref=ref, clinic=CLINIC,
                           number="2026-000001", on=ON, lang=lang, lines=lines)
    pages = _pages(pdf, tmp_path)
    column = L["estimate.col.unit"]               # a header found nowhere else on the page
    for i, text in enumerate(pages):
        words = " ".join(text.split())
        has_lines = any(f" {k} {codes[(k - 1) % len(codes)]} " in f" {words} "
                        for k in range(1, n + 1))
        if not has_lines:
            continue
        assert words.count(column) == 1, (lang, n, i, words[:600])
