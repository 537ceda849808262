"""Bounded summaries that projections keep for the PDF while rows stream to CSV."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reporting.base import PDF_DETAIL_ROWS
from reporting.period import Period, bucket_labels, bucket_of


@dataclass(slots=True)
class Sample:
    """The first rows of an exception list and how many there were in all."""

    limit: int = PDF_DETAIL_ROWS
    rows: list[tuple[str, ...]] = field(default_factory=list)
    total: int = 0

    def add(self, row: tuple[str, ...]) -> None:
        self.total += 1
        if len(self.rows) < self.limit:
            self.rows.append(row)

    @property
    def full(self) -> bool:
        """True once the PDF has all the rows it will show: callers then only count."""
        return len(self.rows) >= self.limit

    def count(self) -> None:
        self.total += 1

    def note(self, csv_name: str) -> str | None:
        if self.total <= len(self.rows):
            return None
        return f"Showing the first {len(self.rows):,} of {self.total:,}; all are in the {csv_name} CSV."


@dataclass(slots=True)
class TimeHistogram:
    """Counts per hour/day/month bucket of the period."""

    period: Period
    width: str = ""
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.width = self.period.bucket_width()

    def add(self, ts: str | None) -> None:
        if ts:
            self.counts[bucket_of(ts, self.width)] += 1

    def series(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        labels = bucket_labels(self.period, self.width)
        return tuple(labels), tuple(self.counts.get(label, 0) for label in labels)

    def per(self) -> str:
        return {"hour": "hour", "day": "day", "month": "month"}[self.width]


def top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` largest counts, ties broken by name so the order is stable."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
