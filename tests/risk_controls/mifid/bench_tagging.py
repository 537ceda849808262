"""Cost of MiFID tagging per order (not a test: prints figures from one run).

    .venv/bin/python -m tests.risk_controls.mifid.bench_tagging

Uses the sample policy (policies/default.toml). "cached" is the normal case:
an order from an (account, session, user, strategy) already seen under this
policy version; "repeated overrides" an order carrying the same MiFID values
as earlier ones (where the policy allows them); "new override values" a value
never seen before; "first order after a reload" resolves from scratch.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from risk_controls.domain import (
    Channel,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.mifid import MifidTagger, tag_order, tagger_for
from risk_controls.policy.loader import parse_policy

ROOT = Path(__file__).resolve().parents[3]


def _order(
    account: str, session: str, user: str, strategy: str | None, client_id: str | None = None
) -> NewOrder:
    return NewOrder(
        "c-1",
        account,
        "AAPL",
        Side.SELL,
        Decimal(100),
        OrdType.LIMIT,
        TimeInForce.DAY,
        OrderOrigin(Channel.FIX, session, user, strategy),
        limit_price=Decimal("228.50"),
        mifid=MifidOverrides(client_id=client_id),
    )


def _measure(label: str, call: Callable[[], object], n: int) -> None:
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    for _ in range(n):
        t0 = clock()
        call()
        samples.append(clock() - t0)
    gc.enable()
    samples.sort()
    print(
        f"{label:<28} p50 {samples[n // 2] / 1000:6.2f} us   p99 {samples[int(n * 0.99)] / 1000:6.2f} us"
        f"   ({n:,} calls)"
    )


def main() -> None:
    text = (ROOT / "policies" / "default.toml").read_text(encoding="utf-8")
    policy = parse_policy(text.encode(), "default.toml").policy
    # the same policy with order overrides allowed firm-wide
    opened = text.replace("allow_order_overrides = false", "allow_order_overrides = true")
    open_policy = parse_policy(opened.encode(), "open.toml").policy
    person = _order("ACC-APPLE-TSY", "DESK1", "jsmith", None)
    algo = _order("ACC-HOUSE", "strategies", "mm-bot", "mm-1")
    override = _order("ACC-APPLE-TSY", "DESK1", "jsmith", None, client_id="INR2EJN1ERAN0W5ZP974")
    apple, house, open_apple = (
        policy.account("ACC-APPLE-TSY"),
        policy.account("ACC-HOUSE"),
        open_policy.account("ACC-APPLE-TSY"),
    )
    assert apple is not None and house is not None and open_apple is not None
    assert tag_order(override, open_policy, open_apple)[1] is None
    _measure("cached, person", lambda: tag_order(person, policy, apple), 100_000)
    _measure("cached, strategy algo", lambda: tag_order(algo, policy, house), 100_000)
    _measure("repeated overrides", lambda: tag_order(override, open_policy, open_apple), 100_000)
    _measure("first order after a reload", lambda: MifidTagger(policy).tag(person, apple), 5_000)
    fresh = [_order("ACC-APPLE-TSY", "DESK1", "jsmith", None, client_id=f"SC{i}") for i in range(20_000)]
    it = iter(fresh)
    _measure(
        "new override values", lambda: MifidTagger.tag(tagger_for(open_policy), next(it), open_apple), 20_000
    )


if __name__ == "__main__":
    main()
