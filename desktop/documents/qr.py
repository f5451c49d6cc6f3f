"""The documents' QR code: reportlab's QrCode with the same mask chosen faster.

reportlab picks the QR mask by laying out the symbol eight times and scoring each layout with
`QRUtil.getLostPoint` in pure Python — close to half the time of an estimate PDF. `QRCode`
below makes the same choice (the same layouts, the same scores, rule by rule as reportlab
computes them, its quirks included) from one layout and the rows and columns as integers, so
the symbol and the PDF's bytes are unchanged (tests/documents/test_qr_same.py compares both
with reportlab's own over many payloads).
"""
from __future__ import annotations

import re

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCode

# Rule 3 as reportlab has it: only this pattern, only along rows, non-overlapping, and never at
# the last position of a row.
_FINDER = "10111010000"
_RUN = re.compile(r"0{5,}|1{5,}")


class QRCode(qrencoder.QRCode):
    _layout_only = False

    def mapData(self, data, maskPattern):
        if not self._layout_only:        # the test layout's data modules are masked out below
            super().mapData(data, maskPattern)

    def getBestMaskPattern(self):
        self._layout_only = True
        try:
            self.makeImpl(True, 0)      # test layout: the function patterns, type info all off
        finally:
            del self._layout_only
        n = self.moduleCount
        positions = self.dataPosIterator()
        bits = list(self.dataBitIterator(self.dataCache))
        bits += [False] * (len(positions) - len(bits))   # mapData's zip_longest fillvalue
        data_at = [0] * n                # per row: the data modules' columns
        dark_at = [0] * n                # per row: the dark data bits, unmasked
        for (col, row), dark in zip(positions, bits):
            data_at[row] |= 1 << col
            if dark:
                dark_at[row] |= 1 << col
        base_rows = []
        for r, row in enumerate(self.modules):
            value = 0
            for c, dark in enumerate(row):
                if dark:
                    value |= 1 << c
            base_rows.append(value & ~data_at[r])
        tile = sum(1 << k for k in range(0, n + _PERIOD, _PERIOD))
        full = (1 << n) - 1
        best, best_score = 0, None
        for pattern in range(8):
            rows = []
            for r in range(n):
                masked = (_mask_unit(pattern, r) * tile) & full   # the mask repeats every _PERIOD columns
                rows.append(base_rows[r] | ((dark_at[r] ^ masked) & data_at[r]))
            score = _lost_point(rows, n)
            if best_score is None or best_score > score:
                best, best_score = pattern, score
        return best


# Every one of the eight masks of the QR standard repeats along a row every 6 columns
# (tests/documents/test_qr_same.py checks reportlab's masks do, for every symbol size).
_PERIOD = 6


_UNITS: dict[tuple[int, int], int] = {}   # (mask pattern, row) -> the mask's first _PERIOD columns


def _mask_unit(pattern: int, r: int) -> int:
    """Bit c (c < _PERIOD) set where mask `pattern` flips the module at (r, c); computed with
    reportlab's mask function once per process (a constant of the QR standard)."""
    unit = _UNITS.get((pattern, r))
    if unit is None:
        mask = qrencoder.QRUtil.getMask(pattern)
        unit = 0
        for c in range(_PERIOD):
            if mask(r, c):
                unit |= 1 << c
        _UNITS[(pattern, r)] = unit
    return unit


def _lost_point(rows: list[int], n: int) -> int:
    """reportlab's QRUtil.getLostPoint for the symbol whose row r has bit c set for a dark
    module at (r, c)."""
    row_text = [format(bits, f"0{n}b")[::-1] for bits in rows]          # column 0 first
    col_text = ["".join(column) for column in zip(*row_text)]
    score = 0
    # rule 1, both ways: a run of L >= 5 equal modules costs L - 2
    for text in row_text:
        for m in _RUN.finditer(text):
            score += m.end() - m.start() - 2
    for text in col_text:
        for m in _RUN.finditer(text):
            score += m.end() - m.start() - 2
    # rule 2: each 2x2 block of one colour, 3
    pairs = (1 << (n - 1)) - 1
    for a, b in zip(rows, rows[1:]):
        same = ~((a ^ b) | (a ^ (a >> 1)) | (b ^ (b >> 1))) & pairs
        score += 3 * same.bit_count()
    # rule 3 (rows only: reportlab compares a column's tuple with a list, never equal)
    last = n - len(_FINDER)
    for text in row_text:
        j = text.find(_FINDER)
        while 0 <= j < last:
            score += 40
            j = text.find(_FINDER, j + len(_FINDER))
    # rule 4: the share of dark modules
    dark = sum(bits.bit_count() for bits in rows)
    score += 10 * (abs(100 * dark // (n * n) - 50) // 5)
    return score


def _generator_polynomial():
    """reportlab's Reed-Solomon generator polynomial for an error-correction length, computed
    once per length (it is a constant of the code; QRPolynomial is never changed in place)."""
    from functools import lru_cache

    compute = qrencoder.QRUtil.getErrorCorrectPolynomial
    if getattr(compute, "cache_info", None) is not None:    # already cached
        return staticmethod(compute)
    return staticmethod(lru_cache(maxsize=None)(compute))


qrencoder.QRUtil.getErrorCorrectPolynomial = _generator_polynomial()

_REED_SOLOMON = qrencoder.QRCode.createBytes


def _create_bytes(buffer, rsBlocks):
    """reportlab's QRCode.createBytes (data blocks and their Reed-Solomon error correction,
    interleaved) with the remainder of the division by the generator polynomial computed by
    the usual shift register: the remainder is unique, so the bytes are reportlab's."""
    from itertools import chain, zip_longest

    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
    offset = 0
    dcdata, ecdata = [], []
    for block in rsBlocks:
        dc_count = block.dataCount
        ec_count = block.totalCount - dc_count
        data = buffer.buffer[offset:offset + dc_count]
        offset += dc_count
        dcdata.append(data)
        generator = [log[g] for g in qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count).num[1:]]
        rem = [0] * ec_count
        for byte in data:
            factor = byte ^ rem[0]
            rem = rem[1:]
            rem.append(0)
            if factor:
                lf = log[factor]
                for i, lg in enumerate(generator):
                    rem[i] ^= exp[(lg + lf) % 255]
        ecdata.append(rem)
    return [d for dd in chain(zip_longest(*dcdata), zip_longest(*ecdata)) for d in dd if d is not None]


qrencoder.QRCode.createBytes = staticmethod(_create_bytes)


def qr_code(payload: str, **kw) -> QrCode:
    """reportlab's QrCode widget for `payload`, choosing its mask with `QRCode`."""
    widget = QrCode(payload, **kw)
    widget.qr.__class__ = QRCode
    return widget
