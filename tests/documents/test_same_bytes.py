"""The faster estimate PDF (issue 18, item 8) is the same PDF: the QR code's mask chosen by
desktop/documents/qr.py is reportlab's own choice, symbol for symbol, and the documents'
bytes are those made with reportlab's plain QrCode and with its pure-Python fallbacks (no
rl_accel)."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCode

from desktop import documents
from desktop.documents import pdf, qr
from docs_helpers import cis_visitor, eaeu_worker, foreign_visitor

ON = date(2026, 11, 22)
LINES = [("RAD-FLG", 1), ("LAB-HIV", 1), ("LAB-TPHA", 1), ("CONS-SPEC", Decimal("2"))]
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _payloads(n: int):
    rng = random.Random(18)
    for i in range(n):
        digest = "".join(rng.choice("0123456789abcdef") for _ in range(64))
        text = json.dumps({"kind": rng.choice(["estimate", "slip", "refusal", "referral"]),
                           "n": f"2026-{rng.randint(0, 999999):06d}",
                           "d": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "h": digest},
                          ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if i % 4 == 0:   # other lengths, so other symbol versions (and Cyrillic bytes)
            text = text[:rng.randint(1, len(text))] + "Ә" * rng.randint(0, 120)
        yield text, rng.choice("LMQH")


def _plain_reportlab_mask(code) -> int:
    """reportlab's own getBestMaskPattern on this symbol."""
    return qrencoder.QRCode.getBestMaskPattern(code)


def test_the_mask_and_symbol_are_reportlabs():
    for text, level in _payloads(120):
        ours = qr.qr_code(text, qrLevel=level, qrBorder=2).qr
        theirs = QrCode(text, qrLevel=level, qrBorder=2).qr
        for code in (ours, theirs):
            code.version = code.calculate_version()
        assert ours.getBestMaskPattern() == _plain_reportlab_mask(theirs), text
        ours.make()
        theirs.make()
        assert ours.modules == theirs.modules, text


def test_the_error_correction_bytes_are_reportlabs():
    """Every symbol size and level, random data (leading zero bytes too)."""
    class Buffer:
        def __init__(self, data):
            self.buffer = data

    rng = random.Random(5)
    for version in range(1, 41):
        for level in (0, 1, 2, 3):
            blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
            total = sum(b.dataCount for b in blocks)
            for zeros in (0, 5, total):
                data = [0] * zeros + [rng.randrange(256) for _ in range(total - zeros)]
                assert qr._create_bytes(Buffer(data), blocks) == qr._REED_SOLOMON(Buffer(data), blocks)


def test_every_mask_repeats_every_six_columns():
    """What desktop/documents/qr.py relies on, for every symbol size (versions 1 to 40)."""
    n = 40 * 4 + 17
    for pattern in range(8):
        mask = qrencoder.QRUtil.getMask(pattern)
        for r in range(n):
            assert all(mask(r, c) == mask(r, c % qr._PERIOD) for c in range(n)), (pattern, r)


def _render_all(ref) -> list[bytes]:
    out = []
    for lang in ("ru", "kk"):
        for make in (cis_visitor, eaeu_worker, foreign_visitor):
            case, decision = make(ref, lang)
            for kind in ("estimate", "slip", "refusal", "referral"):
                try:
                    out.append(documents.render(kind, case=case, decision=decision, ref=ref,
                                                clinic=_clinic(), number="2026-000017", on=ON,
                                                lang=lang, lines=LINES))
                except ValueError:   # a kind this case does not have
                    out.append(b"-")
    return out


def _clinic():
    from docs_helpers import CLINIC

    return json.loads(json.dumps(CLINIC))


def test_documents_are_the_bytes_of_plain_reportlab(ref, monkeypatch):
    ours = _render_all(ref)
    monkeypatch.setattr(pdf, "_qr", lambda payload: QrCode(payload, width=pdf.QR_SIZE, height=pdf.QR_SIZE,
                                                           qrLevel="M", qrBorder=2))
    uncached = getattr(qrencoder.QRUtil.getErrorCorrectPolynomial, "__wrapped__", None)
    if uncached is not None:
        monkeypatch.setattr(qrencoder.QRUtil, "getErrorCorrectPolynomial", staticmethod(uncached))
    monkeypatch.setattr(qrencoder.QRCode, "createBytes", staticmethod(qr._REED_SOLOMON))
    theirs = _render_all(ref)
    assert sum(1 for b in ours if b != b"-") >= 6
    assert ours == theirs


SCRIPT = """
import sys
if sys.argv[1] == "python":
    sys.modules["_rl_accel"] = None          # reportlab's pure-Python fallbacks
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from reportlab.lib import rl_accel
assert bool(rl_accel._py_funcs) == (sys.argv[1] == "python"), rl_accel._py_funcs
import hashlib
from test_same_bytes import _render_all
from docs_helpers import FakeRef
print(hashlib.sha256(b"|".join(_render_all(FakeRef()))).hexdigest())
"""


def test_the_accelerators_change_no_byte():
    pytest.importorskip("_rl_accel")
    digests = []
    for mode in ("python", "accelerated"):
        result = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(HERE), str(ROOT)],
                                capture_output=True, text=True, timeout=300,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert result.returncode == 0, result.stderr
        digests.append(result.stdout.strip())
    assert digests[0] == digests[1]
