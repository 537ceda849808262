"""Random trading days through the real pipeline, for property tests.

A day is a list of steps (new orders, cancels, replaces, kill switches engaged and
released) that hypothesis draws; :func:`play` runs one through a gateway on a manual
clock, 0.3 s a step, so that a whole day falls inside one UTC date.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from hypothesis import strategies as st

from gateway.app import Gateway
from risk_controls.domain import CancelRequest, ReplaceRequest, Side
from risk_controls.domain.clock import ManualClock, iso_utc
from risk_controls.kill_switch import KillMode, KillScope
from tests.gateway.conftest import DESK, order

START = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
SYMBOLS = {
    "AAPL": Decimal("228.50"),
    "MSFT": Decimal("415.20"),
    "KO": Decimal("63.15"),
    "SAP": Decimal("232.45"),
}
ACCOUNTS = ["ACC-APPLE-TSY", "ACC-MSFT-TSY"]

NewStep = tuple[Literal["new"], str, str, Side, int, int, bool]
CancelStep = tuple[Literal["cancel"], int]
AmendStep = tuple[Literal["replace"], int, int]
KillStep = tuple[Literal["kill"], tuple[KillScope, str], KillMode, bool]
Step = NewStep | CancelStep | AmendStep | KillStep


def steps(max_quantity: int = 60000, new_weight: int = 2) -> st.SearchStrategy[Step]:
    """One step of a day; quantities up to ``max_quantity`` (the default is past most limits,
    so many orders are denied; a smaller one gives days of working orders and fills); new
    orders ``new_weight`` times as likely as a cancel, a replace or a kill switch step."""
    quantity = st.integers(min_value=1, max_value=max_quantity)
    new_order = st.tuples(
        st.just("new"),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(sorted(SYMBOLS)),
        st.sampled_from([Side.BUY, Side.SELL, Side.SELL_SHORT]),
        quantity,
        st.integers(min_value=-8, max_value=8),  # price offset in percent of the reference
        st.booleans(),  # market order
    )
    cancel = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=50))
    amend = st.tuples(st.just("replace"), st.integers(min_value=0, max_value=50), quantity)
    kill = st.tuples(
        st.just("kill"),
        st.sampled_from(
            [(KillScope.ACCOUNT, a) for a in ACCOUNTS] + [(KillScope.INSTRUMENT, s) for s in SYMBOLS]
        ),
        st.sampled_from([KillMode.HALT, KillMode.REDUCING]),
        st.booleans(),  # engage (or release, when engaged)
    )
    return st.one_of(*[new_order] * new_weight, cancel, amend, kill)


step = steps()


def ticking(clock: ManualClock) -> Callable[[], str]:
    """Record times from the day's clock, a microsecond apart when the clock stands still
    (as a real store's would be), so the day's records fall on the day reported."""
    last = [clock.now()]

    def now() -> str:
        last[0] = max(clock.now(), last[0] + timedelta(microseconds=1))
        return iso_utc(last[0])

    return now


@dataclass
class Played:
    """What the day's requests got: orders working at some point, and orders denied."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    """(account, cl_ord_id) of every accepted order and replacement, in order."""
    denied_ids: set[str] = field(default_factory=set)


async def play(
    gateway: Gateway, clock: ManualClock, steps: list[Step], after_step: Callable[[], None] | None = None
) -> Played:
    """Run ``steps`` through the gateway's pipeline; ``after_step`` checks between steps."""
    pipeline = gateway.pipeline
    played = Played()
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
                played.sent.append((account, f"p{index}"))
            else:
                played.denied_ids.add(result.order_id)
        elif item[0] == "cancel" and played.sent:
            account, cl = played.sent[item[1] % len(played.sent)]
            await pipeline.cancel(CancelRequest(f"c{index}", cl, account, DESK))
        elif item[0] == "replace" and played.sent:
            account, cl = played.sent[item[1] % len(played.sent)]
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
                played.sent.append((account, f"r{index}"))
        elif item[0] == "kill":
            (scope, target), mode, engage = item[1], item[2], item[3]
            if (scope, target) in pipeline.kill_switch.entries and not engage:
                await gateway.kill.release(scope, target, "property", "ro1", approved_by="ro2")
            elif engage:
                await gateway.kill.engage(scope, target, "property", "ro1", mode)
        await asyncio.sleep(0)
        if after_step is not None:
            after_step()
    return played
