"""A plain list as a PDF table (the worklist's call list): a title, a subtitle, a header row
and rows, A4 landscape, DejaVu Sans so Kazakh letters print. No clock: the date is given."""
from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .fonts import clinic_line, register_fonts


def render_table(title: str, subtitle: str, header: list[str], rows: list[list[str]], *,
                 on: date, widths: list[float] | None = None, clinic: dict | None = None,
                 page_word: str = "") -> bytes:
    """The PDF bytes; `widths` are fractions of the text width (default: equal). `clinic`
    ({name, bin, address}) heads every page, as on the clinic's other printouts; `page_word`
    ("стр."/"бет") numbers the pages."""
    regular, bold = register_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11)
    head = ParagraphStyle("head", parent=base, fontName=bold)
    big = ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16)
    pagesize = landscape(A4)
    margin = 12 * mm
    width = pagesize[0] - 2 * margin
    fractions = widths or [1 / len(header)] * len(header)
    p = lambda text, style: Paragraph(escape(str(text or "")), style)  # noqa: E731
    data = [[p(h, head) for h in header]] + [[p(v, base) for v in row] for row in rows]
    table = Table(data, colWidths=[f * width for f in fractions], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), regular),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    buffer = io.BytesIO()
    header_line = clinic_line(clinic)

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(colors.HexColor("#404040"))
        canvas.drawString(margin, pagesize[1] - 8 * mm, header_line[:160])
        canvas.drawRightString(pagesize[0] - margin, pagesize[1] - 8 * mm, title[:80])
        if page_word:
            canvas.drawRightString(pagesize[0] - margin, 6 * mm, f"{page_word} {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin,
                            topMargin=margin + 4 * mm, bottomMargin=margin, title=title, invariant=1,
                            initialFontName=regular)
    doc.build([p(title, big), p(subtitle, base), Spacer(1, 4 * mm), table],
              onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
