"""A canvas that numbers pages "X of Y", draws header and footer, and fixes the metadata.

reportlab's invariant mode makes the document id reproducible; the creation
date is then set from the reporting period rather than the wall clock, so the
same records always give the same bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas

from reporting.pdf.fonts import SANS

INK = colors.HexColor("#1F2937")
MUTED = colors.HexColor("#6B7280")
ACCENT = colors.HexColor("#1D4ED8")


@dataclass(frozen=True, slots=True)
class PageDecor:
    """What every page's header and footer say."""

    title: str
    period: str
    footer: str
    created: datetime
    margin: float


def _fixed_timestamp(when: datetime) -> TimeStamp:
    stamp = TimeStamp(1)
    stamp.t = when.timestamp()
    stamp.lt = time.gmtime(stamp.t)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def canvas_class(decor: PageDecor) -> type[Canvas]:
    """A Canvas subclass bound to ``decor`` (reportlab instantiates it itself)."""

    class DecoratedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _fixed_timestamp(decor.created)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            m = decor.margin
            number = self._pageNumber
            self.saveState()
            self.setFillColor(MUTED)
            self.setFont(SANS, 7.5)
            if number > 1:
                self.drawString(m, height - m * 0.6, decor.title)
                self.drawRightString(width - m, height - m * 0.6, decor.period)
                self.setStrokeColor(colors.HexColor("#D1D5DB"))
                self.setLineWidth(0.5)
                self.line(m, height - m * 0.6 - 4, width - m, height - m * 0.6 - 4)
            self.drawString(m, m * 0.5, decor.footer)
            self.drawRightString(width - m, m * 0.5, f"Page {number} of {total}")
            self.restoreState()

    return DecoratedCanvas
