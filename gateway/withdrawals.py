"""Withdrawing decision records whose commit failed in doubt.

When a commit fails after the database may already have applied it (the
connection dropped during COMMIT, or the watchdog gave up on a hung one),
the pipeline tells the client AUDIT_UNAVAILABLE, undoes the decision and
sends nothing to the venue, yet the record (an acceptance, a replace, a
cancel request) may be in the log. Left alone, a restart would rebuild a
working order that no venue ever saw. So the pipeline queues an
``order.decision_withdrawn`` record naming it, and this queue appends it as
soon as the store takes appends again; replay and the reports disregard the
withdrawn record. When the store, on reconnecting, settles that the commit
did not land after all, there is nothing to withdraw and nothing is written.

Until its withdrawal is durable, an order takes no further cancel or replace
(they are refused as AUDIT_UNAVAILABLE): the withdrawal must come before any
later decision on the same order, or a replay could withdraw the wrong one.
Withdrawals still queued when the process stops are lost; the log then shows
the in-doubt record as it stands (README, "The pipeline", step 4).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from audit.api import AppendTicket, AuditLog, AuditUnavailable
from risk_controls import events as ev

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5
"""How often a withdrawal (or a held execution report) is tried again while the store is down."""


def refused_at_once(ticket: AppendTicket) -> bool:
    """True for a ticket that had already failed when ``append`` returned: the store refused
    the record outright (down, closed, queue full), so it cannot have landed."""
    return ticket.done()


class Withdrawals:
    """Withdrawal records waiting for the store, appended in order by one task."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit
        self._queue: deque[tuple[dict[str, Any], AppendTicket]] = deque()
        self._order_ids: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._queue)

    def blocks(self, order_id: str) -> bool:
        """True while a withdrawal about this order is not yet durable."""
        return order_id in self._order_ids

    def withdraw(self, payload: dict[str, Any], in_doubt: AppendTicket) -> None:
        """Queue the withdrawal (an :func:`risk_controls.events.withdrawn_payload`) of the
        record ``in_doubt`` was the ticket of."""
        order_id = payload["order_id"]
        log.warning("withdrawing %s of order %s: its commit failed in doubt", payload["withdrawn"], order_id)
        self._queue.append((payload, in_doubt))
        self._order_ids[order_id] = self._order_ids.get(order_id, 0) + 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._append_all())

    async def _append_all(self) -> None:
        while self._queue:
            payload, in_doubt = self._queue[0]
            # The store settles every doubt before it takes appends again, so once an append
            # can succeed the verdict is known; False: the record is not there to withdraw.
            if in_doubt.landed() is not False:
                try:
                    await self._audit.append(ev.DECISION_WITHDRAWN, payload)
                except AuditUnavailable:
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
            else:
                log.info(
                    "%s of order %s did not land: nothing to withdraw",
                    payload["withdrawn"],
                    payload["order_id"],
                )
            self._queue.popleft()
            order_id = payload["order_id"]
            left = self._order_ids.pop(order_id) - 1
            if left:
                self._order_ids[order_id] = left
