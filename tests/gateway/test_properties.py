"""Property: under random orders, fills, cancels and replaces, no denied order ever
reaches a venue, credit and exposure never exceed their limits, and the state rebuilt
from the audit log (as on a restart) is the live state."""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.memory import MemoryAuditLog
from gateway.replay import replay, snapshot
from risk_controls.domain.clock import ManualClock
from tests.gateway.conftest import make_gateway
from tests.gateway.random_day import ACCOUNTS, START, Step, play, step


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_no_denied_order_reaches_a_venue_and_limits_hold(steps: list[Step]) -> None:
    clock = ManualClock(START)
    with tempfile.TemporaryDirectory() as tmp:
        gateway, spy = make_gateway(Path(tmp), MemoryAuditLog(), clock)
        pipeline = gateway.pipeline
        policy = gateway.policies.current.policy  # type: ignore[union-attr]
        played = asyncio.run(play(gateway, clock, steps, lambda: _assert_limits(pipeline, policy)))
        assert spy.violations == []
        assert not played.denied_ids & {r.order_id for r in spy.received}
        # the audit log is the source of truth: what a restart rebuilds from it is the live state
        rebuilt = replay(gateway.audit.read())
        assert snapshot(rebuilt.state, rebuilt.kill_switch) == snapshot(pipeline.state, pipeline.kill_switch)


def _assert_limits(pipeline, policy) -> None:  # type: ignore[no-untyped-def]
    state = pipeline.state
    for account_id in ACCOUNTS:
        limits = policy.account(account_id)
        book = state.book(account_id)
        assert book.credit_used <= limits.max_daily_notional
        assert book.gross_exposure <= limits.max_gross_exposure
        for symbol, line in book.symbols.items():
            assert line.worst_case() <= limits.position_limit(symbol)
        open_sum = sum(
            (
                w.leaves_qty * state.reservations[w.order_id].price_base
                for w in state.working_orders(account_id)
            ),
            Decimal(0),
        )
        assert book.open_notional == open_sum
    assert state.firm_credit_used <= policy.firm.max_daily_notional
