"""When a session may be logged on: daily start/end times on chosen weekdays.

A period runs from ``start`` to ``end`` in ``timezone``; when ``end`` is not
after ``start`` the period crosses midnight. ``weekdays`` names the days a
period may *start* on. Sequence numbers are reset when a session logs on in a
period that began after its store was created (QuickFIX does the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALL_DAYS = frozenset(range(7))
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    """A daily window; ``non_stop`` means always open and never reset by time."""

    start: time = time(0, 0)
    end: time = time(0, 0)
    weekdays: frozenset[int] = ALL_DAYS
    timezone: str = "UTC"
    non_stop: bool = False

    def _length(self) -> timedelta:
        day = timedelta(days=1)
        start = timedelta(hours=self.start.hour, minutes=self.start.minute, seconds=self.start.second)
        end = timedelta(hours=self.end.hour, minutes=self.end.minute, seconds=self.end.second)
        length = (end - start) % day
        return length or day

    def period_start(self, now: datetime) -> datetime | None:
        """Start (UTC) of the period ``now`` falls in, or None when outside every period."""
        if self.non_stop:
            return None
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        length = self._length()
        for back in (0, 1):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self.weekdays:
                continue
            start = datetime.combine(day, self.start, tzinfo=zone)
            if start <= local < start + length:
                return start.astimezone(UTC)
        return None

    def is_active(self, now: datetime) -> bool:
        return self.non_stop or self.period_start(now) is not None

    def needs_reset(self, created: datetime, now: datetime) -> bool:
        """True when the store predates the current period (a new trading day)."""
        start = self.period_start(now)
        return start is not None and created < start
