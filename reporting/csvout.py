"""CSV the way regulators ask for it: comma-separated, one header row, RFC 4180 quoting.

Rows are written as they are produced (never held in memory). Cells are text:
decimals in plain notation, times as the ISO 8601 UTC strings the log holds,
booleans as ``Y``/``N`` and missing values as empty cells.
"""

from __future__ import annotations

import csv
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
    """Writes a header and rows to ``path`` with csv.writer; counts the rows it wrote."""

    enabled = True

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.rows = 0
        self._handle = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        self._writer.writerow(header)

    def write(self, row: Sequence[object]) -> None:
        """Any cells: decimals, booleans and None are rendered by :func:`cell`."""
        self._writer.writerow([cell(v) for v in row])
        self.rows += 1

    def write_text(self, row: Sequence[str | None]) -> None:
        """Cells that are already text (None for empty). A row with no comma, quote or line
        break in any cell is joined directly: the bytes csv.writer would write, in a third
        of the time; any other row goes through csv.writer for RFC 4180 quoting."""
        line = ",".join(["" if v is None else v for v in row])
        if (
            len(row) > 1
            and line.count(",") == len(row) - 1
            and '"' not in line
            and "\n" not in line
            and "\r" not in line
        ):
            self._handle.write(line + "\r\n")
        else:
            self._writer.writerow(row)
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
