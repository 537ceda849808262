"""The reporting period: a half-open UTC interval and how to label and bucket it.

Reports are asked for "a day" or "from A to B"; internally everything is the
interval ``[start, end)`` in UTC so that adjacent periods never share a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from risk_controls.domain.clock import iso_utc


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in UTC; both ends are timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a reporting period needs timezone-aware UTC datetimes")
        if self.end <= self.start:
            raise ValueError(f"the period ends before it starts: {self.start} .. {self.end}")

    @classmethod
    def of(cls, start: datetime | date, end: datetime | date) -> Period:
        """A period from datetimes (half-open) or dates (the end date is included)."""
        return cls(_as_start(start), _as_end(end))

    @classmethod
    def day(cls, day: date) -> Period:
        return cls.of(day, day)

    @property
    def start_iso(self) -> str:
        return iso_utc(self.start)

    @property
    def end_iso(self) -> str:
        return iso_utc(self.end)

    @property
    def is_single_day(self) -> bool:
        return self.start.time() == time(0) and self.end - self.start == timedelta(days=1)

    def label(self) -> str:
        """``2026-11-20`` for a whole day, else ``2026-11-01_2026-11-30`` (dates inclusive)."""
        if self.is_single_day:
            return self.start.date().isoformat()
        if self.start.time() == time(0) and self.end.time() == time(0):
            last = (self.end - timedelta(days=1)).date()
            return f"{self.start.date().isoformat()}_{last.isoformat()}"
        fmt = "%Y%m%dT%H%M%SZ"
        return f"{self.start.strftime(fmt)}_{self.end.strftime(fmt)}"

    def describe(self) -> str:
        """Human text for covers and headers."""
        if self.is_single_day:
            return f"{self.start.date().isoformat()} (00:00 to 24:00 UTC)"
        return f"{self.start_iso} to {self.end_iso} (end exclusive)"

    def bucket_width(self) -> str:
        """The time bucket for distributions: hour for up to two days, day to ~2 months, month."""
        length = self.end - self.start
        if length <= timedelta(days=2):
            return "hour"
        if length <= timedelta(days=62):
            return "day"
        return "month"


def _as_start(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return datetime.combine(value, time(0), UTC)


def _as_end(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return datetime.combine(value + timedelta(days=1), time(0), UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: give reporting periods in UTC")
    return value.astimezone(UTC)


def bucket_of(ts: str, width: str) -> str:
    """The bucket label of an ISO timestamp: ``2026-11-20T14``, ``2026-11-20`` or ``2026-11``."""
    if width == "hour":
        return ts[:13]
    if width == "day":
        return ts[:10]
    return ts[:7]


def bucket_labels(period: Period, width: str) -> list[str]:
    """Every bucket of the period in order, so charts show empty hours as zero."""
    labels: list[str] = []
    cursor = period.start
    while cursor < period.end:
        label = bucket_of(iso_utc(cursor), width)
        if not labels or labels[-1] != label:
            labels.append(label)
        if width == "hour":
            cursor += timedelta(hours=1)
        elif width == "day":
            cursor += timedelta(days=1)
        else:
            cursor = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
    return labels
