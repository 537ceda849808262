"""Kill switch service (RTS 6 Art 12, FIA guidance).

Engaging blocks new orders in scope at once (before anything else happens),
records the engagement (naming every order it cancels), and once that record
is durable cancels the scope's working orders at the venues.
Releasing is recorded first and applied after the record is durable; policy
can require a second risk officer (four eyes).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from audit.api import AuditUnavailable
from gateway.pipeline import OrderPipeline
from risk_controls import events as ev
from risk_controls.domain import OrderStatus
from risk_controls.kill_switch import KillEntry, KillMode, KillScope

log = logging.getLogger(__name__)


class KillSwitchError(ValueError):
    """A release that policy does not allow (e.g. four eyes) or an unknown scope."""


@dataclass(frozen=True, slots=True)
class KillOutcome:
    scope: KillScope
    target: str
    mode: KillMode
    cancelled: int
    audit_seq: int | None


class KillSwitchService:
    def __init__(self, pipeline: OrderPipeline) -> None:
        self._pipeline = pipeline

    def state(self) -> list[KillEntry]:
        return list(self._pipeline.kill_switch.entries.values())

    async def engage(
        self, scope: KillScope, target: str, reason: str, actor: str, mode: KillMode = KillMode.HALT
    ) -> KillOutcome:
        if not reason.strip():
            raise KillSwitchError("a reason is mandatory")
        pipeline = self._pipeline
        target = "*" if scope is KillScope.FIRM else target
        entry = KillEntry(scope, target, mode, reason, actor, pipeline.clock.now())
        pipeline.kill_switch.engage(entry)  # blocks new orders from this instant
        doomed = [
            w for w in pipeline.state.working_orders() if pipeline.kill_switch.covers(scope, target, w.order)
        ]
        ticket = pipeline.audit.append(
            ev.KILL_ENGAGED,
            ev.kill_engaged_payload(
                scope.value, target, mode.value, reason, actor, [w.order_id for w in doomed]
            ),
        )
        cancelling = [w for w in doomed if w.status.is_working and w.status is not OrderStatus.PENDING_CANCEL]
        for working in cancelling:  # no order in scope is routed from here on
            working.status = OrderStatus.PENDING_CANCEL
        try:
            seq: int | None = (await ticket).seq
        except AuditUnavailable:
            # Halting is the safe side: the cancels go out although the engagement is not on
            # record, and the venues' cancel reports are recorded once the store is back.
            log.error("kill switch %s=%s engaged but not recorded: cancelling anyway", scope.value, target)
            seq = None
        for count, working in enumerate(cancelling, start=1):
            pipeline.send_cancel(working)  # the record naming this order is durable (or the store is down)
            if count % 100 == 0:
                await asyncio.sleep(0)  # let every entry point see the halt while cancels go out
        return KillOutcome(scope, target, mode, len(doomed), seq)

    async def release(
        self, scope: KillScope, target: str, reason: str, actor: str, approved_by: str | None = None
    ) -> KillOutcome:
        pipeline = self._pipeline
        target = "*" if scope is KillScope.FIRM else target
        entry = pipeline.kill_switch.entries.get((scope, target))
        if entry is None:
            raise KillSwitchError(f"no kill switch engaged for {scope.value}={target}")
        loaded = pipeline.current_policy()
        if (
            loaded is not None
            and loaded.policy.firm.kill_release_needs_second_officer
            and (approved_by is None or approved_by == actor)
        ):
            raise KillSwitchError("policy requires a second risk officer to approve the release")
        ticket = pipeline.audit.append(
            ev.KILL_RELEASED, ev.kill_released_payload(scope.value, target, reason, actor, approved_by)
        )
        record = await ticket  # raises AuditUnavailable: stay engaged rather than release unaudited
        pipeline.kill_switch.release(scope, target)
        return KillOutcome(scope, target, entry.mode, 0, record.seq)
