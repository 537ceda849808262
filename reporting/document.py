"""The format-neutral content of a PDF report: blocks of text, figures, tables and charts.

Report modules build a :class:`ReportDocument` from their projection and know
nothing of reportlab; the PDF renderer lays it out. Its canonical JSON gives a
content digest that the cover can carry (a file cannot contain its own hash).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Figures:
    """Key figures: a two-column label/value table."""

    title: str
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table; the renderer sizes the columns to their content; ``note`` goes under it."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Bars:
    """A bar chart of counts per label (time buckets, controls, ...)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[int, ...]
    horizontal: bool = False


@dataclass(frozen=True, slots=True)
class Code:
    """Preformatted text such as a policy diff."""

    title: str
    text: str


Block = Heading | Text | Figures | Table | Bars | Code


@dataclass(frozen=True, slots=True)
class ReportDocument:
    title: str
    blocks: tuple[Block, ...]

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the content: same records, same digest."""
        body = [self.title, [[type(b).__name__, asdict(b)] for b in self.blocks]]
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def count(value: int) -> str:
    """Thousands separators for people reading counts."""
    return f"{value:,}"


def amount(value: Decimal) -> str:
    """A decimal amount with thousands separators, without trailing zeros."""
    shown = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return f"{shown:,f}"


def pct(part: int, whole: int) -> str:
    if not whole:
        return "-"
    return f"{Decimal(part * 100) / Decimal(whole):.1f}%"
