"""The charts of a report section: the series (shared by the screen and the PDF) and their
drawing as reportlab vector graphics. Readable in grey print: bars in three clearly different
shades with black outlines and a legend, the line black with its points marked."""
from __future__ import annotations

from datetime import date

# fills from dark to light; the text on the chart is always black
SHADES = ("#202020", "#8C8C8C", "#D9D9D9", "#555555", "#B0B0B0")


def chart_series(section: dict, lang: str, label) -> dict:
    """{"kind", "labels": [x labels], "series": [(name, [values])]} of a section's chart.
    Bars: the rows summed by their first column (for example the category over channels);
    line: one point a row (a day)."""
    cols = section["columns"]
    first = cols[0]
    wanted = [c for c in cols if c["key"] in section.get("chart_measures", [])]
    groups: dict = {}
    for row in section["rows"]:
        key = row.get(first["key"])
        sums = groups.setdefault(key, [0] * len(wanted))
        for i, c in enumerate(wanted):
            sums[i] += row.get(c["key"]) or 0
    keys = list(groups)
    if section.get("chart") == "line":
        keys.sort(key=lambda k: (k is None, k))

    def name(k):
        if isinstance(k, date):
            return k.strftime("%d.%m")
        shown = label(section["key"], first["key"], k, lang)
        return "—" if shown in (None, "") else str(shown)

    return {"kind": section.get("chart"), "labels": [name(k) for k in keys],
            "series": [(c[lang], [groups[k][i] for k in keys]) for i, c in enumerate(wanted)]}


def chart_drawing(result: dict, section: dict, lang: str, label, *, width: float, font: str):
    """A reportlab Drawing (vector) of the section's chart."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors

    data = chart_series(section, lang, label)
    height = 150
    d = Drawing(width, height)
    values = [v for _, vs in data["series"] for v in vs] or [0]
    top = max(values) or 1
    step = max(1, _nice_step(top))
    if data["kind"] == "bars":
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 40, 45, width - 230, height - 60
        chart.data = [tuple(vs) for _, vs in data["series"]]
        chart.categoryAxis.categoryNames = [_short(n, 18) for n in data["labels"]]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 6
        chart.categoryAxis.labels.angle = 20 if len(data["labels"]) > 4 else 0
        chart.categoryAxis.labels.boxAnchor = "ne" if len(data["labels"]) > 4 else "n"
        for i in range(len(data["series"])):
            chart.bars[i].fillColor = colors.HexColor(SHADES[i % len(SHADES)])
            chart.bars[i].strokeColor = colors.black
            chart.bars[i].strokeWidth = 0.5
        chart.barLabelFormat = lambda v: "%d" % v if v else ""
        chart.barLabels.fontName = font
        chart.barLabels.fontSize = 5.5
        chart.barLabels.nudge = 5
        legend = Legend()
        legend.x, legend.y = width - 175, height - 25
        legend.fontName, legend.fontSize = font, 7
        legend.colorNamePairs = [(colors.HexColor(SHADES[i % len(SHADES)]), name)
                                 for i, (name, _) in enumerate(data["series"])]
        legend.alignment = "right"
        legend.strokeColor = colors.black
        legend.strokeWidth = 0.5
        d.add(legend)
    else:
        chart = HorizontalLineChart()
        chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, height - 45
        chart.data = [tuple(vs) for _, vs in data["series"]]
        names = data["labels"]
        every = max(1, len(names) // 16)
        chart.categoryAxis.categoryNames = [n if i % every == 0 else "" for i, n in enumerate(names)]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 6
        chart.lines[0].strokeColor = colors.black
        chart.lines[0].strokeWidth = 1.2
        chart.lines[0].symbol = makeMarker("FilledCircle", size=3)
        chart.joinedLines = 1
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * (int(top // step) + 1)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.HexColor("#C8C8C8")
    chart.valueAxis.gridStrokeWidth = 0.3
    d.add(chart)
    return d


def _nice_step(top: float) -> int:
    raw = top / 5
    magnitude = 10 ** max(0, len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return int(m * magnitude)
    return int(10 * magnitude)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"
