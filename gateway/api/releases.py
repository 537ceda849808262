"""Four-eyes release of a kill switch: one risk officer asks, another approves.

When policy sets ``firm.kill_release_needs_second_officer``, a release
request is recorded (``kill.release_requested``) and stays pending until a
*different* risk officer approves it; the release itself is then recorded
with both names (``kill.released``: actor and approved_by). A request is tied
to the engagement it was made for: if that scope is released or re-engaged
meanwhile, the request lapses. Pending requests are rebuilt from the log; a
restart reads it from the day's opening, so the requests pending when a day
opens are put on record again just after it (``kill.release_requests_carried``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.api import AuditRecord
from risk_controls import events as ev
from risk_controls.domain.clock import iso_utc, parse_iso_utc

RELEASE_REQUESTED = "kill.release_requested"
RELEASES_CARRIED = "kill.release_requests_carried"


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    request_id: str
    scope: str
    target: str
    reason: str
    requested_by: str
    requested_at: datetime

    def payload(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "scope": self.scope,
            "target": self.target,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "requested_at": iso_utc(self.requested_at),
        }


class ReleaseBook:
    """Pending release requests, at most one per (scope, target): a newer one replaces it."""

    def __init__(self) -> None:
        self._pending: dict[str, ReleaseRequest] = {}

    def new(self, scope: str, target: str, reason: str, requested_by: str, now: datetime) -> ReleaseRequest:
        return ReleaseRequest(uuid.uuid4().hex, scope, target, reason, requested_by, now)

    def add(self, request: ReleaseRequest) -> None:
        self.lapse(request.scope, request.target)
        self._pending[request.request_id] = request

    def get(self, request_id: str) -> ReleaseRequest | None:
        return self._pending.get(request_id)

    def pending(self) -> list[ReleaseRequest]:
        return sorted(self._pending.values(), key=lambda r: r.requested_at)

    def lapse(self, scope: str, target: str) -> None:
        """The scope was released or engaged again: its pending request no longer applies."""
        for request_id, request in list(self._pending.items()):
            if request.scope == scope and request.target == target:
                del self._pending[request_id]

    def remove(self, request_id: str) -> None:
        self._pending.pop(request_id, None)

    @classmethod
    def rebuild(cls, records: Iterable[AuditRecord]) -> ReleaseBook:
        book = cls()
        for record in records:
            book.apply(record)
        return book

    def carried(self) -> dict[str, Any] | None:
        """The payload of ``kill.release_requests_carried`` for a new day; None if none pends."""
        pending = self.pending()
        return {"requests": [request.payload() for request in pending]} if pending else None

    def apply(self, record: AuditRecord) -> None:
        payload = record.payload
        if record.event_type == RELEASE_REQUESTED:
            self.add(_request(payload))
        elif record.event_type == RELEASES_CARRIED:
            for item in payload["requests"]:
                if item["request_id"] not in self._pending:
                    self.add(_request(item))
        elif record.event_type in (ev.KILL_RELEASED, ev.KILL_ENGAGED):
            self.lapse(payload["scope"], payload["target"])


def _request(payload: Mapping[str, Any]) -> ReleaseRequest:
    return ReleaseRequest(
        payload["request_id"],
        payload["scope"],
        payload["target"],
        payload["reason"],
        payload["requested_by"],
        parse_iso_utc(payload["requested_at"]),
    )
