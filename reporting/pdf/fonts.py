"""Embedded fonts, so that every viewer lays the text out with the metrics we measured.

The PDF standard fonts are not embedded, and viewers without Helvetica swap in
a wider face (poppler uses DejaVu Sans), which breaks column widths. Bitstream
Vera ships with reportlab and may be embedded; subsets are named
deterministically, so the bytes stay reproducible.
"""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "GwSans"
SANS_BOLD = "GwSans-Bold"
MONO = "Courier"


def register() -> None:
    """Register the fonts once per process (reportlab keeps a global registry)."""
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(SANS, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, "VeraBd.ttf"))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)


register()
