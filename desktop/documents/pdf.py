"""Draw a content model (desktop.documents.content) as an A4 PDF with reportlab platypus.

Deterministic: ``invariant=1`` and the PDF dates fixed to the document date, so the same
model gives byte-identical output.
"""
from __future__ import annotations

import calendar
import io
import json
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (Flowable, HRFlowable, KeepTogether, PageBreak, Paragraph,
                                SimpleDocTemplate, Spacer, Table, TableStyle)

from desktop.documents.fonts import REGULAR, register_fonts
from desktop.documents.qr import qr_code
from desktop.documents.labels import labels

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
QR_SIZE = 26 * mm
GREY = colors.HexColor("#555555")
LINE = colors.HexColor("#999999")


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=12.2)
    return {
        "base": base,
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=GREY,
                                spaceBefore=2, spaceAfter=2),
        "label": ParagraphStyle("label", parent=base, fontSize=8.5, leading=11, textColor=GREY),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16,
                                alignment=TA_CENTER, spaceBefore=6, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, spaceAfter=4),
        "h": ParagraphStyle("h", parent=base, fontName=bold, fontSize=10.5, leading=13,
                            spaceBefore=7, spaceAfter=2, keepWithNext=1),
        "strong": ParagraphStyle("strong", parent=base, fontName=bold, spaceBefore=5, spaceAfter=3),
        "right": ParagraphStyle("right", parent=base, leftIndent=WIDTH * 0.5),
        "header": ParagraphStyle("header", parent=base, fontSize=8, leading=10, textColor=GREY),
        "th": ParagraphStyle("th", parent=base, fontName=bold, fontSize=8.5, leading=10.5),
        "td": ParagraphStyle("td", parent=base, fontSize=8.5, leading=10.5),
        "tdr": ParagraphStyle("tdr", parent=base, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "thr": ParagraphStyle("thr", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                              alignment=TA_RIGHT),
    }


def _tstyle(cmds: list) -> TableStyle:
    """Table cells set their font even when they hold paragraphs: use DejaVu there too, so
    no unembedded standard font ends up in the PDF."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR)] + cmds)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def qr_payload(model: dict, digest: str) -> str:
    return json.dumps({"kind": model["kind"], "n": model["number"], "d": model["date"], "h": digest},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _qr(payload: str):
    return qr_code(payload, width=QR_SIZE, height=QR_SIZE, qrLevel="M", qrBorder=2)


def _fields(rows, st) -> Table:
    data = [[_p(k, st["label"]), _p(v, st["base"])] for k, v in rows]
    t = Table(data, colWidths=[WIDTH * 0.34, WIDTH * 0.66])
    t.setStyle(_tstyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (1, 0), (1, -1), 0.3, LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return t


def _list(block, st) -> list:
    """One small table per item, so a heading kept with the list keeps only its first item
    and a long list flows over the page instead of jumping to the next one whole."""
    style = st["small"] if block.get("small") else st["bold"] if block.get("bold") else st["base"]
    out = []
    for i, item in enumerate(block["items"], 1):
        mark = f"{i}." if block.get("numbered") else "•"
        if isinstance(item, dict):  # {"text", "note"}: the note in small grey below
            cell = [_p(item["text"], style)] + ([_p(item["note"], st["small"])] if item.get("note") else [])
        else:
            cell = _p(item, style)
        t = Table([[_p(mark, style), cell]], colWidths=[7 * mm, WIDTH - 7 * mm])
        t.setStyle(_tstyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]))
        out.append(t)
    return out


KEEP_TABLE_ROWS = 2   # the estimate's last lines kept on the page of its total and signatures


class _HeaderAtTop(Flowable):
    """The table's header again, drawn only where it opens a page: before the estimate's last
    lines, which go to the next page with the total and signatures when they do not fit, so
    that page does not start with columns nobody can name; nothing (no height) anywhere else."""

    def __init__(self, table: Table):
        super().__init__()
        self.table = table
        self.shown = False

    def wrap(self, available_width, available_height):
        frame = getattr(self, "_frame", None)
        self.shown = bool(frame is not None and frame._atTop)
        if not self.shown:
            return available_width, 0
        w, h = self.table.wrap(available_width, available_height)
        return w, h

    def draw(self):
        if self.shown:
            self.table.drawOn(self.canv, 0, 0)


def _estimate_table(block, st) -> list[Table]:
    """The estimate's table as two tables drawn as one: the header with the first lines
    (repeated header on a page break), and the last KEEP_TABLE_ROWS lines with the total,
    which `flowables` keeps on one page with the totals, notes and signatures."""
    widths = [8 * mm, 21 * mm, None, 28 * mm, 15 * mm, 21 * mm, 23 * mm]
    widths[2] = WIDTH - sum(w for w in widths if w)
    right = {0, 4, 5, 6}
    header = [[_p(h, st["thr"] if i in right else st["th"]) for i, h in enumerate(block["header"])]]
    body = [[_p(v, st["tdr"] if i in right else st["td"]) for i, v in enumerate(row)] for row in block["rows"]]
    label, total = block["total"]
    cut = max(len(body) - KEEP_TABLE_ROWS, 0)
    first, last = header + body[:cut], body[cut:]
    last.append([_p(label, st["th"]), "", "", "", "", "", _p(total, st["thr"])])
    if not cut:                         # a short table: all of it goes with its total
        first, last = [], header + last
    padding = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.4, LINE),
               ("LEFTPADDING", (0, 0), (-1, -1), 2.5), ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
               ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    shaded = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE"))]
    out = []
    if first:
        t = Table(first, colWidths=widths, repeatRows=1)
        t.setStyle(_tstyle(padding + shaded))
        out.append(t)
        again = Table([[_p(h, st["thr"] if i in right else st["th"])
                        for i, h in enumerate(block["header"])]], colWidths=widths)
        again.setStyle(_tstyle(padding + shaded))
        head = _HeaderAtTop(again)
        head.keep_with_total = True      # goes with the last lines (and opens their page)
        out.append(head)
    n = len(last)
    t = Table(last, colWidths=widths)
    t.setStyle(_tstyle(padding + [("SPAN", (0, n - 1), (5, n - 1))] + ([] if first else shaded)))
    t.keep_with_total = not first
    out.append(t)
    return out


def _signatures(rows, st) -> Table:
    data = [[_p(k, st["label"]), _p(v, st["base"])] for k, v in rows]
    t = Table(data, colWidths=[WIDTH * 0.45, WIDTH * 0.55])
    t.setStyle(_tstyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _head(model: dict, payload: str, st) -> Table:
    L = labels(model["lang"])
    left = [
        _p(model["clinic"], st["bold"]),
        _p(L["number_dated"].format(number=model["number"], date=_d(model["date"])), st["header"]),
        _p(f"{L['ref_version']}: {model['reference_version']}", st["header"]),
        _p(L["qr_caption"], st["header"]),
    ]
    t = Table([[left, _qr(payload)]], colWidths=[WIDTH - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
    t.setStyle(_tstyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def _d(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


KEEP_WITH_SIGNATURES = 2   # flowables before a signature block kept on its page


def flowables(model: dict, payload: str, st) -> list:
    head_of_page = _head(model, payload, st)
    out = [head_of_page, Spacer(1, 3)]
    for b in model["blocks"]:
        t = b["t"]
        if t == "title":
            out.append(_p(b["text"], st["title"]))
        elif t == "subtitle":
            out.append(_p(b["text"], st["subtitle"]))
        elif t == "h":
            out.append(_p(b["text"], st["h"]))
        elif t == "p":
            out.append(_p(b["text"], st["strong"] if b.get("bold") else st["base"]))
        elif t == "small":
            out.append(_p(b["text"], st["small"]))
        elif t == "right":
            out.append(_p(b["text"], st["right"]))
        elif t == "fields":
            out.append(_fields(b["rows"], st))
        elif t == "list":
            out += _list(b, st)
        elif t == "table":
            out.append(Spacer(1, 4))
            out += _estimate_table(b, st)
            out.append(Spacer(1, 4))
        elif t == "signatures":
            # never alone on a page: the last lines before it go with it — after a table (the
            # estimate), everything from the table's last lines and total on
            kept = next((i for i in range(len(out) - 1, -1, -1)
                         if getattr(out[i], "keep_with_total", False)), None)
            if kept is not None and not any(isinstance(f, PageBreak) for f in out[kept:]):
                tail, out = out[kept:], out[:kept]
            else:
                tail = []
                while out and len(tail) < KEEP_WITH_SIGNATURES and not isinstance(out[-1], (PageBreak, Spacer)) \
                        and out[-1] is not head_of_page:
                    tail.insert(0, out.pop())
            out.append(KeepTogether(tail + [_signatures(b["rows"], st)]))
        elif t == "newpage":
            head_of_page = _head(model, payload, st)
            out += [PageBreak(), head_of_page, Spacer(1, 3)]
        elif t == "cut":
            out += [Spacer(1, 6), HRFlowable(width="100%", thickness=0.6, dash=(4, 3), color=LINE),
                    Spacer(1, 2)]
        else:  # pragma: no cover - a programming error in content.py
            raise ValueError(f"unknown block type {t!r}")
    return out


def _fixed_stamp(on: date) -> TimeStamp:
    ts = TimeStamp(invariant=1)
    ts.lt = (on.year, on.month, on.day, 0, 0, 0, on.weekday(), on.timetuple().tm_yday, 0)
    ts.YMDhms = ts.lt[:6]
    ts.t = float(calendar.timegm(on.timetuple()))
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    return ts


def render_model(model: dict, digest: str) -> bytes:
    regular, bold = register_fonts()
    st = _styles(regular, bold)
    L = labels(model["lang"])
    on = date.fromisoformat(model["date"])
    payload = qr_payload(model, digest)
    footer = (f"{L['number']} {model['number']} · {_d(model['date'])} · "
              f"{L['ref_version']}: {model['reference_version']} · SHA-256 {digest[:16]}…")

    class _Canvas(Canvas):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._doc._timeStamp = _fixed_stamp(on)

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, 9 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"{L['page']} {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm, invariant=1, initialFontName=regular,
        title=f"{model['title']} {L['number']} {model['number']}", author=model["clinic"],
        subject=payload, creator="polyclinic desktop.documents", lang=model["lang"],
    )
    doc.build(flowables(model, payload, st), onFirstPage=on_page, onLaterPages=on_page,
              canvasmaker=_Canvas)
    return buf.getvalue()
