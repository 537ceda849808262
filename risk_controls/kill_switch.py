"""Kill switch state (RTS 6 Art 12): engaged scopes and what each one blocks.

Pure state: the gateway records every engage/release in the audit log first,
then applies it here and cancels the scope's working orders at the venues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from risk_controls.domain import NewOrder, OrderOrigin


class KillScope(StrEnum):
    FIRM = "firm"
    ACCOUNT = "account"
    TRADER = "trader"
    STRATEGY = "strategy"
    INSTRUMENT = "instrument"
    SESSION = "session"


class KillMode(StrEnum):
    HALT = "HALT"  # nothing new in scope
    REDUCING = "REDUCING"  # only orders that reduce an existing position


@dataclass(frozen=True, slots=True)
class KillEntry:
    scope: KillScope
    target: str
    mode: KillMode
    reason: str
    actor: str
    engaged_at: datetime


def scope_value(scope: KillScope, account: str, symbol: str, origin: OrderOrigin) -> str | None:
    """The value an order has for ``scope`` (firm-wide matches everything as "*")."""
    if scope is KillScope.FIRM:
        return "*"
    if scope is KillScope.ACCOUNT:
        return account
    if scope is KillScope.TRADER:
        return origin.user
    if scope is KillScope.STRATEGY:
        return origin.strategy
    if scope is KillScope.INSTRUMENT:
        return symbol
    return origin.session


class KillSwitch:
    """The engaged scopes. A HALT anywhere in scope wins over REDUCING."""

    def __init__(self) -> None:
        self.entries: dict[tuple[KillScope, str], KillEntry] = {}

    def engage(self, entry: KillEntry) -> None:
        self.entries[(entry.scope, entry.target)] = entry

    def release(self, scope: KillScope, target: str) -> KillEntry | None:
        return self.entries.pop((scope, target), None)

    def applicable(self, order: NewOrder) -> KillEntry | None:
        """The engaged entry that governs ``order``, HALT before REDUCING."""
        if not self.entries:
            return None
        found: KillEntry | None = None
        for (scope, target), entry in self.entries.items():
            if scope_value(scope, order.account, order.symbol, order.origin) != target:
                continue
            if entry.mode is KillMode.HALT:
                return entry
            found = found or entry
        return found

    def covers(self, scope: KillScope, target: str, order: NewOrder) -> bool:
        """True when a working ``order`` falls inside (scope, target), for cancelling."""
        return scope_value(scope, order.account, order.symbol, order.origin) == target
