"""CSV the way regulators ask for it: comma-separated, one header row, RFC 4180 quoting.

Rows are written as they are produced (never held in memory). Cells are text:
decimals in plain notation, times as the ISO 8601 UTC strings the log holds,
booleans as ``Y``/``N`` and missing values as empty cells.

Text a spreadsheet would run as a formula (a client order id or free text such
as ``=HYPERLINK(...)``, sent by a desk) gets an apostrophe in front, so the
compliance officer who opens the file sees text and runs nothing (CWE-1236).
Signed numbers stay as they are. The audit log keeps the value as sent.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol


class RowSink(Protocol):
    """Where a projection sends its CSV rows; ``enabled`` is False when nobody wants them
    (a PDF-only run), so hot paths can skip building rows at all."""

    enabled: bool

    def write(self, row: Sequence[object]) -> None: ...

    def write_text(self, row: Sequence[str | None]) -> None: ...


def decimal_text(value: Decimal) -> str:
    """Plain notation without trailing zeros: computed sums and averages read the same
    however they were reached (``40220.00`` and ``40220`` are one value)."""
    text = str(value)
    if text.isdigit():  # the common case: a whole quantity with no exponent
        return text
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


_FORMULA_LEADS = frozenset("=+-@\t\r")
_FORMULA_IN_LINE = re.compile(r"(?:^|,)[=+\-@\t\r]")
_SIGNED_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def guard_formula(text: str) -> str:
    """``text``, with an apostrophe in front if a spreadsheet would take it for a formula."""
    if text[:1] in _FORMULA_LEADS and not _SIGNED_NUMBER.match(text):
        return "'" + text
    return text


def cell(value: object) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


class CsvSink:
    """Writes a header and rows to ``path`` with csv.writer; counts the rows it wrote.

    ``guard_formulas`` is off only to rebuild, byte for byte, a report made before the
    guard existed (see :data:`reporting.build.GENERATOR`)."""

    enabled = True

    def __init__(self, path: Path, header: Sequence[str], guard_formulas: bool = True) -> None:
        self.path = path
        self.rows = 0
        self._guard = guard_formulas
        self._handle = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        self._writer.writerow(header)

    def write(self, row: Sequence[object]) -> None:
        """Any cells: decimals, booleans and None are rendered by :func:`cell`."""
        cells = [cell(v) for v in row]
        if self._guard:
            cells = [guard_formula(c) for c in cells]
        self._writer.writerow(cells)
        self.rows += 1

    def write_text(self, row: Sequence[str | None]) -> None:
        """Cells that are already text (None for empty). A row with no comma, quote or line
        break in any cell is joined directly: the bytes csv.writer would write, in a third
        of the time; any other row goes through csv.writer for RFC 4180 quoting. Only a row
        with a cell that starts like a formula pays for the per-cell guard."""
        cells = ["" if v is None else v for v in row]
        line = ",".join(cells)
        if self._guard and _FORMULA_IN_LINE.search(line):
            cells = [guard_formula(c) for c in cells]
            line = ",".join(cells)
        if (
            len(row) > 1
            and line.count(",") == len(row) - 1
            and '"' not in line
            and "\n" not in line
            and "\r" not in line
        ):
            self._handle.write(line + "\r\n")
        else:
            self._writer.writerow(cells)
        self.rows += 1

    def close(self) -> None:
        self._handle.close()


class NullSink:
    """For a run that only wants the PDF."""

    enabled = False
    rows = 0

    def write(self, row: Sequence[object]) -> None:
        return None

    def write_text(self, row: Sequence[str | None]) -> None:
        return None

    def close(self) -> None:
        return None
