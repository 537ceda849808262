"""Property: under random orders, fills, cancels and replaces, no denied order ever
reaches a venue, credit and exposure never exceed their limits, and the state rebuilt
from the audit log (as on a restart) is the live state."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.memory import MemoryAuditLog
from gateway.replay import replay, snapshot
from risk_controls.domain import CancelRequest, ReplaceRequest, Side
from risk_controls.domain.clock import ManualClock
from risk_controls.kill_switch import KillMode, KillScope
from tests.gateway.conftest import DESK, make_gateway, order

SYMBOLS = {
    "AAPL": Decimal("228.50"),
    "MSFT": Decimal("415.20"),
    "KO": Decimal("63.15"),
    "SAP": Decimal("232.45"),
}
ACCOUNTS = ["ACC-APPLE-TSY", "ACC-MSFT-TSY"]

new_order = st.tuples(
    st.just("new"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(sorted(SYMBOLS)),
    st.sampled_from([Side.BUY, Side.SELL, Side.SELL_SHORT]),
    st.integers(min_value=1, max_value=60000),
    st.integers(min_value=-8, max_value=8),  # price offset in percent of the reference
    st.booleans(),  # market order
)
cancel = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=50))
amend = st.tuples(
    st.just("replace"), st.integers(min_value=0, max_value=50), st.integers(min_value=1, max_value=60000)
)
kill = st.tuples(
    st.just("kill"),
    st.sampled_from(
        [(KillScope.ACCOUNT, a) for a in ACCOUNTS] + [(KillScope.INSTRUMENT, s) for s in SYMBOLS]
    ),
    st.sampled_from([KillMode.HALT, KillMode.REDUCING]),
    st.booleans(),  # engage (or release, when engaged)
)
step = st.one_of(new_order, new_order, cancel, amend, kill)

NewStep = tuple[Literal["new"], str, str, Side, int, int, bool]
CancelStep = tuple[Literal["cancel"], int]
AmendStep = tuple[Literal["replace"], int, int]
KillStep = tuple[Literal["kill"], tuple[KillScope, str], KillMode, bool]
Step = NewStep | CancelStep | AmendStep | KillStep


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_no_denied_order_reaches_a_venue_and_limits_hold(steps: list[Step]) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        gateway, spy = make_gateway(Path(tmp), MemoryAuditLog(), clock)
        pipeline = gateway.pipeline
        policy = gateway.policies.current.policy  # type: ignore[union-attr]
        sent: list[tuple[str, str]] = []  # (account, cl_ord_id)
        denied_ids: set[str] = set()

        async def run() -> None:
            for index, item in enumerate(steps):
                clock.advance(0.3)
                if item[0] == "new":
                    _, account, symbol, side, qty, offset, market = item
                    ref = SYMBOLS[symbol]
                    price = None if market else str((ref * (100 + offset) / 100).quantize(Decimal("0.01")))
                    if symbol == "SAP" and price:  # tick 0.02
                        price = str((Decimal(price) / 2).quantize(Decimal("0.01")) * 2)
                    result = await pipeline.submit(
                        order(
                            f"p{index}",
                            symbol,
                            side,
                            str(qty),
                            price,
                            account=account,
                            locate_id="LOC1" if side is Side.SELL_SHORT else None,
                        )
                    )
                    if result.accepted:
                        sent.append((account, f"p{index}"))
                    else:
                        denied_ids.add(result.order_id)
                elif item[0] == "cancel" and sent:
                    account, cl = sent[item[1] % len(sent)]
                    await pipeline.cancel(CancelRequest(f"c{index}", cl, account, DESK))
                elif item[0] == "replace" and sent:
                    account, cl = sent[item[1] % len(sent)]
                    working = pipeline.state.order_by_cl_ord_id(account, cl)
                    amended = await pipeline.replace(
                        ReplaceRequest(
                            f"r{index}",
                            cl,
                            account,
                            DESK,
                            Decimal(item[2]),
                            working.order.limit_price if working else None,
                        )
                    )
                    if amended.accepted:
                        sent.append((account, f"r{index}"))
                elif item[0] == "kill":
                    (scope, target), mode, engage = item[1], item[2], item[3]
                    if (scope, target) in pipeline.kill_switch.entries and not engage:
                        await gateway.kill.release(scope, target, "property", "ro1", approved_by="ro2")
                    elif engage:
                        await gateway.kill.engage(scope, target, "property", "ro1", mode)
                await asyncio.sleep(0)
                _assert_limits(pipeline, policy)

        asyncio.run(run())
        assert spy.violations == []
        assert not denied_ids & {r.order_id for r in spy.received}
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
