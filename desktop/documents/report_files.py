"""A report (desktop.store.reports, as plain data) as CSV, XLSX and PDF, with the same columns
and totals as on screen: every renderer draws the tables of `table(...)`.

`label(section_key, column_key, value, lang)` names a code for people (the caller builds it
from the reference data: services.report_labels); values of typed columns stay typed (numbers,
dates) in XLSX, are ISO text in CSV and formatted in the PDF. No Qt, no clock.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Callable
from xml.sax.saxutils import escape

from desktop.fileutil import csv_row

Label = Callable[[str, str, object, str], object]

WORDS = {
    "ru": {"period": "Период", "day": "День", "made": "Составлен", "by": "пользователем",
           "versions": "Версии справочных данных", "none": "нет", "total": "Итого",
           "page": "Стр.", "of": "из", "chart_days": "Обращения по дням",
           "chart_results": "Обращения по категориям и результату", "empty": "Нет данных за период."},
    "kk": {"period": "Кезең", "day": "Күн", "made": "Жасалды", "by": "пайдаланушы",
           "versions": "Анықтамалық деректер нұсқалары", "none": "жоқ", "total": "Барлығы",
           "page": "Бет", "of": "/", "chart_days": "Күндер бойынша өтініштер",
           "chart_results": "Санаттар мен нәтиже бойынша өтініштер", "empty": "Кезеңде деректер жоқ."},
}


def plain_label(section, column, value, lang):
    return value


def heading_lines(result: dict, lang: str) -> list[str]:
    """The report's title, period, when and by whom it was made, the reference versions."""
    w = WORDS[lang]
    p = result["params"]
    period = (f"{w['day']}: {_d(p['on'])}" if "on" in p
              else f"{w['period']}: {_d(p['from'])} — {_d(p['to'])}")
    made = result["made_at"]
    made = made.strftime("%d.%m.%Y %H:%M") if isinstance(made, datetime) else str(made)
    versions = ", ".join(result["reference_versions"]) or w["none"]
    return [result["title"][lang], period, f"{w['made']}: {made}, {w['by']} {result['made_by']}",
            f"{w['versions']}: {versions}"]


def _d(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def cell(column: dict, value, section: str, lang: str, label: Label):
    """The typed value shown in a cell (a label for a coded column)."""
    if column["type"] in ("int", "money", "date", "datetime"):
        return value
    shown = label(section, column["key"], value, lang)
    return "" if shown is None else shown


def table(result: dict, section: dict, lang: str, label: Label = plain_label) -> dict:
    """{"title", "headings", "types", "rows", "totals"} of one section: the shared layout.
    `totals`: for a grouped table, one last row (Итого) aligned with the columns; for a
    listing, (heading, value) pairs under the table."""
    cols = section["columns"]
    rows = [[cell(c, r.get(c["key"]), section["key"], lang, label) for c in cols]
            for r in section["rows"]]
    w = WORDS[lang]
    if section.get("group", True) and any(c.get("measure") for c in cols):
        total = [section["totals"].get(c["key"]) if c.get("measure") else "" for c in cols]
        total[0] = w["total"]
        totals = {"row": total, "pairs": []}
    else:
        totals = {"row": None, "pairs": [(t[lang], section["totals"][t["key"]])
                                         for t in section["totals_columns"]]}
    return {"key": section["key"], "title": section["title"][lang],
            "headings": [c[lang] for c in cols], "types": [c["type"] for c in cols],
            "rows": rows, "totals": totals}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- CSV ---------------------------------------------------------------------------------------
def to_csv(result: dict, lang: str = "ru", label: Label = plain_label) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheet programs), `;`-free plain commas; the heading
    lines, then each section: its title, the column headings, the rows, the totals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in heading_lines(result, lang):
        writer.writerow(csv_row([line]))
    for section in result["sections"]:
        t = table(result, section, lang, label)
        writer.writerow([])
        writer.writerow(csv_row([t["title"]]))
        writer.writerow(csv_row(t["headings"]))
        for row in t["rows"]:
            writer.writerow(csv_row([_text(v) for v in row]))
        if t["totals"]["row"]:
            writer.writerow(csv_row([_text(v) for v in t["totals"]["row"]]))
        for heading, value in t["totals"]["pairs"]:
            writer.writerow(csv_row([f"{WORDS[lang]['total']}: {heading}", _text(value)]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------
def to_xlsx(result: dict, lang: str = "ru", label: Label = plain_label) -> bytes:
    """One sheet a section; numbers as numbers, money with two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    formats = {"int": "0", "money": "#,##0.00", "date": "DD.MM.YYYY", "datetime": "DD.MM.YYYY HH:MM"}
    used = set()
    for section in result["sections"]:
        t = table(result, section, lang, label)
        name = _sheet_name(t["title"], used)
        ws = wb.create_sheet(name)
        for line in heading_lines(result, lang):
            ws.append([_xl_text(line)])
        ws.append([_xl_text(t["title"])])
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.append([_xl_text(h) for h in t["headings"]])
        header_row = ws.max_row
        for c in range(1, len(t["headings"]) + 1):
            ws.cell(row=header_row, column=c).font = bold
        body = list(t["rows"])
        if t["totals"]["row"]:
            body.append(t["totals"]["row"])
        for row in body:
            ws.append([_xl(v, typ) for v, typ in zip(row, t["types"])])
            for c, typ in enumerate(t["types"], 1):
                if typ in formats:
                    ws.cell(row=ws.max_row, column=c).number_format = formats[typ]
        if t["totals"]["row"]:
            for c in range(1, len(t["headings"]) + 1):
                ws.cell(row=ws.max_row, column=c).font = bold
        for heading, value in t["totals"]["pairs"]:
            ws.append([_xl_text(f"{WORDS[lang]['total']}: {heading}"), _xl(value, "int")])
        for c, h in enumerate(t["headings"], 1):
            width = max([len(str(h))] + [len(_text(r[c - 1])) for r in body[:200]])
            ws.column_dimensions[get_column_letter(c)].width = min(max(8, width + 2), 60)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "report"
    base, n = name, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def _xl_text(value: str) -> str:
    """Text that a spreadsheet shows as text, never as a formula."""
    from desktop.fileutil import csv_safe

    return csv_safe(value)


def _xl(value, typ):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value) if typ == "money" else int(value) if value == value.to_integral() else float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)   # spreadsheets know no offset: the desk's local time
    if isinstance(value, (int, float, date)):
        return value
    return _xl_text(str(value))


# --- PDF ---------------------------------------------------------------------------------------
def to_pdf(result: dict, lang: str = "ru", label: Label = plain_label, clinic: dict | None = None) -> bytes:
    """A4 (landscape for wide reports): the clinic's header and page numbers on every page,
    the heading lines, each section's table with its totals, and the section's chart as
    vector graphics (shades of grey and hatching, readable in grey print)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from desktop.documents.fonts import clinic_line, register_fonts
    from desktop.documents.report_charts import chart_drawing

    regular, bold = register_fonts()
    page = landscape(A4) if result.get("wide") or _max_columns(result) > 7 else A4
    margin = 12 * mm
    width = page[0] - 2 * margin
    base = ParagraphStyle("b", fontName=regular, fontSize=8, leading=10)
    head = ParagraphStyle("h", parent=base, fontName=bold, fontSize=12, leading=15)
    sub = ParagraphStyle("s", parent=base, fontName=bold, fontSize=9.5, leading=12, spaceBefore=6)
    cellst = ParagraphStyle("c", parent=base, fontSize=7.5, leading=9)
    boldcell = ParagraphStyle("cb", parent=cellst, fontName=bold)
    w = WORDS[lang]
    header_line = clinic_line(clinic)
    story = []
    lines = heading_lines(result, lang)
    story.append(Paragraph(escape(lines[0]), head))
    for line in lines[1:]:
        story.append(Paragraph(escape(line), base))
    note = (result.get("note") or {}).get(lang)
    if note:
        story.append(Paragraph(escape(note), base))
    for section in result["sections"]:
        t = table(result, section, lang, label)
        story.append(Paragraph(escape(t["title"]), sub))
        if section.get("chart") and section["rows"]:
            story.append(chart_drawing(result, section, lang, label, width=min(width, 250 * mm),
                                       font=regular))
        if not t["rows"]:
            story.append(Paragraph(escape(w["empty"]), base))
        data = [[Paragraph(escape(h), cellst) for h in t["headings"]]]
        for row in t["rows"]:
            data.append([_pdf_cell(v, typ, cellst) for v, typ in zip(row, t["types"])])
        if t["totals"]["row"]:
            data.append([_pdf_cell(v, typ, boldcell) for v, typ in zip(t["totals"]["row"], t["types"])])
        widths = _widths(t, width)
        tbl = Table(data, colWidths=widths, repeatRows=1)
        style = [("FONT", (0, 0), (-1, -1), regular, 7.5),
                 ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#808080")),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E0E0E0")),
                 ("VALIGN", (0, 0), (-1, -1), "TOP")]
        for c, typ in enumerate(t["types"]):
            if typ in ("int", "money"):
                style.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
        if t["totals"]["row"]:
            style += [("FONT", (0, -1), (-1, -1), bold, 7.5),
                      ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#EBEBEB"))]
        tbl.setStyle(TableStyle(style))
        story.append(tbl)
        if t["totals"]["pairs"]:
            story.append(Spacer(1, 2 * mm))
            story.append(Paragraph(escape("; ".join(f"{h}: {_pdf_text(v, 'int')}"
                                                    for h, v in t["totals"]["pairs"])), base))
    buffer = io.BytesIO()

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#404040"))
        canvas.drawString(margin, page[1] - 8 * mm, header_line[:150])
        canvas.drawRightString(page[0] - margin, page[1] - 8 * mm, result["title"][lang])
        canvas.drawString(margin, 7 * mm, lines[1] + " · " + lines[2])
        canvas.drawRightString(page[0] - margin, 7 * mm, f"{w['page']} {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=margin, rightMargin=margin,
                            topMargin=14 * mm, bottomMargin=13 * mm, title=result["title"][lang],
                            author=str(result["made_by"]), invariant=1)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _max_columns(result) -> int:
    return max((len(s["columns"]) for s in result["sections"]), default=0)


def _widths(t, width):
    weights = []
    for h, typ, i in zip(t["headings"], t["types"], range(len(t["types"]))):
        longest = max([len(_text(r[i])) for r in t["rows"][:300]] + [len(h) // 2, 4])
        word = max((len(x) for x in h.split()), default=4)
        weights.append(max(min(longest, 40), word + 1, 6) if typ == "text"
                       else max(7, word + 1, min(longest, 16)))
    total = sum(weights) or 1
    return [width * x / total for x in weights]


def _pdf_text(value, typ) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%H:%M") if typ == "datetime" else value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    return str(value)


def _pdf_cell(value, typ, style):
    """Numbers as plain strings (right-aligned by the table style), text as a paragraph that
    wraps within its column."""
    from reportlab.platypus import Paragraph

    if typ in ("int", "money") and not isinstance(value, str):
        return _pdf_text(value, typ)
    return Paragraph(escape(_pdf_text(value, typ)), style)
