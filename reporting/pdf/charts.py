"""Bar charts for counts over time and per control, sized to the page frame."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from reporting.document import Bars
from reporting.pdf.fonts import SANS, SANS_BOLD

BAR = colors.HexColor("#2563EB")
GRID = colors.HexColor("#E5E7EB")


def _axis_max(values: tuple[int, ...]) -> int:
    top = max(values, default=0)
    if top <= 5:
        return 5
    magnitude = int(10 ** (len(str(top)) - 1))
    for step in (1, 2, 5, 10):
        if top <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_drawing(chart: Bars, width: float) -> Drawing:
    if chart.horizontal:
        return _horizontal(chart, width)
    return _vertical(chart, width)


def _vertical(chart: Bars, width: float) -> Drawing:
    height = 170.0
    drawing = Drawing(width, height)
    bars = VerticalBarChart()
    bars.x, bars.y = 42, 38
    bars.width, bars.height = width - 52, height - 58
    bars.data = [list(chart.values) or [0]]
    bars.bars[0].fillColor = BAR
    bars.bars[0].strokeColor = None
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = _axis_max(chart.values)
    bars.valueAxis.valueStep = bars.valueAxis.valueMax // 5 or 1
    bars.valueAxis.labels.fontName = SANS
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.labelTextFormat = _thousands
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = GRID
    bars.categoryAxis.categoryNames = [_short_time(label) for label in chart.labels] or [""]
    bars.categoryAxis.labels.fontName = SANS
    bars.categoryAxis.labels.fontSize = 6.5
    if len(chart.labels) > 16:
        bars.categoryAxis.labels.angle = 90
        bars.categoryAxis.labels.boxAnchor = "e"
        bars.categoryAxis.labels.dy = -2
    else:
        bars.categoryAxis.labels.boxAnchor = "n"
    drawing.add(bars)
    drawing.add(String(0, height - 10, chart.title, fontName=SANS_BOLD, fontSize=9))
    return drawing


def _horizontal(chart: Bars, width: float) -> Drawing:
    rows = max(len(chart.labels), 1)
    label_width = min(190.0, max(60.0, 5.0 * max((len(s) for s in chart.labels), default=8)))
    height = 34.0 + 14.0 * rows
    drawing = Drawing(width, height + 16)
    bars = HorizontalBarChart()
    bars.x, bars.y = label_width, 14
    bars.width, bars.height = width - label_width - 12, height - 20
    # reportlab draws the first category at the bottom: reverse so the largest is on top
    bars.data = [list(reversed(chart.values)) or [0]]
    bars.bars[0].fillColor = BAR
    bars.bars[0].strokeColor = None
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = _axis_max(chart.values)
    bars.valueAxis.valueStep = bars.valueAxis.valueMax // 5 or 1
    bars.valueAxis.labels.fontName = SANS
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.labelTextFormat = _thousands
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = GRID
    bars.categoryAxis.categoryNames = list(reversed(chart.labels)) or [""]
    bars.categoryAxis.labels.fontName = SANS
    bars.categoryAxis.labels.fontSize = 7
    bars.barLabelFormat = _thousands
    bars.barLabels.fontName = SANS
    bars.barLabels.fontSize = 6.5
    bars.barLabels.boxAnchor = "w"
    bars.barLabels.dx = 3
    drawing.add(bars)
    drawing.add(String(0, height + 4, chart.title, fontName=SANS_BOLD, fontSize=9))
    return drawing


def _thousands(value: float) -> str:
    return f"{int(value):,}"


def _short_time(label: str) -> str:
    """``2026-11-20T14`` → ``14h``; dates and months stay as they are."""
    if len(label) == 13 and label[10] == "T":
        return f"{label[11:13]}h"
    return label
