"""Lay out a ReportDocument as a PDF: cover with the stamps, then the blocks.

Fonts are the PDF standard fonts (nothing embedded), the creation date comes
from the period and reportlab runs in invariant mode: same document, same bytes.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
    XPreformatted,
)

from reporting.document import Bars, Block, Code, Figures, Heading, ReportDocument, Table, Text
from reporting.pdf.canvas import ACCENT, INK, MUTED, PageDecor, canvas_class
from reporting.pdf.charts import bar_drawing
from reporting.pdf.fonts import MONO, SANS, SANS_BOLD

PAPER_SIZES: dict[str, tuple[float, float]] = {"A4": A4, "LETTER": LETTER}
MARGIN = 16 * mm
_CELL_SIZE = 7.5

_BASE = ParagraphStyle("base", fontName=SANS, fontSize=9, leading=11.5, textColor=INK)
_STYLES = {
    "title": ParagraphStyle("title", _BASE, fontName=SANS_BOLD, fontSize=22, leading=27),
    "subtitle": ParagraphStyle("subtitle", _BASE, fontSize=12, leading=16, textColor=MUTED),
    "h1": ParagraphStyle(
        "h1", _BASE, fontName=SANS_BOLD, fontSize=13, leading=17, spaceBefore=10,
        spaceAfter=6, textColor=ACCENT,
    ),
    "h2": ParagraphStyle(
        "h2", _BASE, fontName=SANS_BOLD, fontSize=10, leading=13, spaceBefore=8,
        spaceAfter=4,
    ),
    "body": ParagraphStyle("body", _BASE, spaceAfter=4),
    "cell": ParagraphStyle("cell", _BASE, fontSize=_CELL_SIZE, leading=9, alignment=TA_LEFT),
    "cell_r": ParagraphStyle("cell_r", _BASE, fontSize=_CELL_SIZE, leading=9, alignment=TA_RIGHT),
    "head": ParagraphStyle("head", _BASE, fontName=SANS_BOLD, fontSize=_CELL_SIZE,
                           leading=9),
    "head_r": ParagraphStyle("head_r", _BASE, fontName=SANS_BOLD, fontSize=_CELL_SIZE,
                             leading=9, alignment=TA_RIGHT),
    "note": ParagraphStyle("note", _BASE, fontSize=7.5, leading=9.5, textColor=MUTED),
    "stamp_key": ParagraphStyle("stamp_key", _BASE, fontName=SANS_BOLD, fontSize=8.5),
    "stamp_val": ParagraphStyle("stamp_val", _BASE, fontName=MONO, fontSize=8, leading=10),
    "code": ParagraphStyle("code", _BASE, fontName=MONO, fontSize=7, leading=8.6),
}
_GRID = colors.HexColor("#D1D5DB")
_HEAD_BG = colors.HexColor("#EFF3FB")
_ZEBRA = colors.HexColor("#F9FAFB")


def render_pdf(
    document: ReportDocument,
    stamps: list[tuple[str, str]],
    path: Path,
    *,
    period_text: str,
    footer: str,
    created: datetime,
    paper: str = "A4",
) -> None:
    """Write ``document`` to ``path`` with a cover page listing ``stamps``."""
    pagesize = PAPER_SIZES[paper.upper()]
    width = pagesize[0] - 2 * MARGIN
    template = BaseDocTemplate(
        str(path),
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=document.title,
        author="compliance-gateway reporting",
        subject=f"{document.title}, {period_text}",
        creator="compliance-gateway reporting",
        invariant=1,
        initialFontName=SANS,
    )
    frame = Frame(MARGIN, MARGIN, width, pagesize[1] - 2 * MARGIN, id="body")
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story = _cover(document.title, period_text, stamps, width)
    for block in document.blocks:
        story.extend(_flowables(block, width))
    decor = PageDecor(document.title, period_text, footer, created, MARGIN)
    template.build(story, canvasmaker=canvas_class(decor))


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), _STYLES[style])


def _cover(title: str, period: str, stamps: list[tuple[str, str]], width: float) -> list[Flowable]:
    rows = [[_p(k, "stamp_key"), _p(v, "stamp_val")] for k, v in stamps]
    table = LongTable(rows, colWidths=[width * 0.26, width * 0.74])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, _GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [
        Spacer(1, 30 * mm),
        _p(title, "title"),
        Spacer(1, 3 * mm),
        _p(period, "subtitle"),
        Spacer(1, 12 * mm),
        table,
        Spacer(1, 8 * mm),
        _p(
            "All times are UTC with microseconds. The file SHA-256 of this PDF, its detached "
            "Ed25519 signature and the audit proof material are in the accompanying manifest; "
            "the content SHA-256 above is the digest of the report's content and is reproduced "
            "exactly when the report is regenerated from the same audit range.",
            "note",
        ),
        PageBreak(),
    ]


def _flowables(block: Block, width: float) -> list[Flowable]:
    if isinstance(block, Heading):
        return [CondPageBreak(40 * mm), _p(block.text, "h1")]
    if isinstance(block, Text):
        return [_p(block.text, "body")]
    if isinstance(block, Figures):
        table = _table(("Figure", "Value"), block.items, width * 0.8)
        return [KeepTogether([_p(block.title, "h2"), table]), Spacer(1, 4)]
    if isinstance(block, Table):
        out: list[Flowable] = [_p(block.title, "h2")]
        if block.rows:
            out.append(_table(block.header, block.rows, _table_width(block, width)))
        else:
            out.append(_p("None in this period.", "note"))
        if block.note:
            out.append(_p(block.note, "note"))
        return [*out, Spacer(1, 4)]
    if isinstance(block, Bars):
        return [KeepTogether([bar_drawing(block, width)]), Spacer(1, 8)]
    if isinstance(block, Code):
        return [_p(block.title, "h2"), _code(block.text), Spacer(1, 4)]
    raise TypeError(f"unknown block {block!r}")


def _code(text: str) -> XPreformatted:
    """Preformatted text; diff lines coloured (added green, removed red, hunks grey)."""
    lines = []
    for line in (text or "(no difference)").splitlines():
        safe = escape(line[:140])
        if line.startswith(("+++", "---")):
            lines.append(f"<b>{safe}</b>")
        elif line.startswith("+"):
            lines.append(f'<font color="#047857">{safe}</font>')
        elif line.startswith("-"):
            lines.append(f'<font color="#B91C1C">{safe}</font>')
        elif line.startswith("@@"):
            lines.append(f'<font color="#6B7280">{safe}</font>')
        else:
            lines.append(safe)
    return XPreformatted("\n".join(lines), _STYLES["code"])


def _table_width(block: Table, width: float) -> float:
    """Narrow tables for a few short columns, full width otherwise."""
    return width * 0.65 if len(block.header) <= 3 else width


def _table(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], width: float
) -> LongTable:
    widths = column_widths(header, rows, width)
    numeric = [_is_numeric(rows, i) for i in range(len(header))]
    data = [[_p(h, "head_r" if numeric[i] else "head") for i, h in enumerate(header)]]
    data.extend(
        [_p(cell, "cell_r" if numeric[i] else "cell") for i, cell in enumerate(row)]
        for row in rows
    )
    table = LongTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, _GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
    ]
    style.extend(("BACKGROUND", (0, i), (-1, i), _ZEBRA) for i in range(2, len(data), 2))
    table.setStyle(TableStyle(style))
    return table


_PAD = 3.0
_NUMERIC = re.compile(r"^-?[\d,]+(\.\d+)?%?$")


def _is_numeric(rows: tuple[tuple[str, ...], ...], column: int) -> bool:
    cells = [row[column] for row in rows if row[column] not in ("", "-")]
    return bool(cells) and all(_NUMERIC.match(c) for c in cells)


def _text_width(text: str, font: str) -> float:
    return float(stringWidth(text, font, _CELL_SIZE)) + 2 * _PAD + 1


def column_widths(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], width: float
) -> list[float]:
    """Widths that fit ``width``. Columns of single tokens (ids, times, codes) get their full
    width; columns of free text get at least their longest word, and share the rest of the
    room in proportion to how much text they hold, so only free text wraps."""
    natural, minimum, free = [], [], []
    for i, title in enumerate(header):
        cells = [row[i] for row in rows]
        full = max(
            [_text_width(title, SANS_BOLD), *(_text_width(c, SANS) for c in cells)]
        )
        words = [w for c in cells for w in c.split()]
        longest = max([_text_width(w, SANS) for w in words] or [full])
        free.append(any(" " in c for c in cells))
        floor = min(longest, width * 0.25) if free[-1] else full
        natural.append(full)
        minimum.append(min(floor, full, width * 0.4))
    if sum(natural) <= width:
        extra = (width - sum(natural)) / len(natural)
        return [n + extra for n in natural]
    if sum(minimum) >= width:
        # too many single-token columns: free text gets a narrow floor, the rest shrink evenly
        minimum = [min(m, 60.0) if f else m for m, f in zip(minimum, free, strict=True)]
        fixed = sum(m for m, f in zip(minimum, free, strict=True) if f)
        atomic = sum(minimum) - fixed
        scale = min(1.0, max(width - fixed, 0.0) / atomic) if atomic else 1.0
        minimum = [m if f else m * scale for m, f in zip(minimum, free, strict=True)]
        if sum(minimum) >= width:
            return [m * width / sum(minimum) for m in minimum]
    room = width - sum(minimum)
    slack = [n - m for n, m in zip(natural, minimum, strict=True)]
    return [m + room * s / sum(slack) for m, s in zip(minimum, slack, strict=True)]
