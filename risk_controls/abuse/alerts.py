"""What a market-abuse monitor says, and what the firm does about it.

A monitor only raises an :class:`AbuseAlert`; whether the order is then
blocked is a per-account policy choice (:func:`action_for`), made by the
pipeline, so the same surveillance logic serves alert-only and blocking desks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny
from risk_controls.events import abuse_alert_payload
from risk_controls.policy.schema import AbuseAction, AccountPolicy, Policy

LAYERING = "layering"
MOMENTUM_IGNITION = "momentum_ignition"
CONTROL = "market_abuse"
_RATIO_STEP = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class AbuseAlert:
    """One alert: which monitor, whose orders, a readable message and the numbers behind it.

    ``metrics`` values are decimal strings (counts, ratios, thresholds), so a
    report can compare them without parsing prose.
    """

    monitor: str
    account: str
    symbol: str
    message: str
    metrics: dict[str, str]

    def to_payload(self, action: AbuseAction, order_id: str | None) -> dict[str, Any]:
        """The ``abuse.alert`` audit payload; ``action`` is recorded as ALERT or BLOCK."""
        return abuse_alert_payload(
            self.monitor,
            self.account,
            self.symbol,
            action.upper(),
            order_id,
            self.message,
            dict(self.metrics),
        )


def action_for(policy: Policy, account: AccountPolicy | None) -> AbuseAction:
    """The account's own choice (``abuse_action``) or the policy's ``abuse.default_action``."""
    if account is not None and account.abuse_action is not None:
        return account.abuse_action
    return policy.abuse.default_action


def blocked_denial(alerts: Sequence[AbuseAlert]) -> Denial:
    """MARKET_ABUSE_BLOCKED naming the monitors, for an account whose action is ``block``."""
    if not alerts:
        raise ValueError("a block needs at least one alert")
    first = alerts[0]
    return deny(
        DenyCode.MARKET_ABUSE_BLOCKED,
        CONTROL,
        monitor=",".join(sorted({a.monitor for a in alerts})),
        account=first.account,
        symbol=first.symbol,
    )


def ratio(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a plain decimal string, at most four places, no trailing zeros."""
    if denominator == 0:
        return "0"
    return plain((Decimal(numerator) / Decimal(denominator)).quantize(_RATIO_STEP))


def plain(value: Decimal) -> str:
    """A computed measure without trailing zeros or exponent (``9``, ``0.875``, ``1.5``)."""
    return format(value.normalize(), "f")
