"""Decisions of the control chain: stable denial codes with context values.

A denial is a value, never an exception. Reports and the audit log group by
``code``; FIX ``Text`` and REST problem details show :meth:`Denial.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DenyCode(StrEnum):
    # kill switch and access
    KILL_SWITCH_ENGAGED = "KILL_SWITCH_ENGAGED"
    ACCOUNT_UNKNOWN = "ACCOUNT_UNKNOWN"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    NOT_AUTHORIZED_FOR_ACCOUNT = "NOT_AUTHORIZED_FOR_ACCOUNT"
    INSTRUMENT_NOT_PERMITTED = "INSTRUMENT_NOT_PERMITTED"
    VENUE_NOT_PERMITTED = "VENUE_NOT_PERMITTED"
    OUTSIDE_TRADING_HOURS = "OUTSIDE_TRADING_HOURS"
    # order sanity
    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"
    QUANTITY_NOT_POSITIVE = "QUANTITY_NOT_POSITIVE"
    QUANTITY_NOT_LOT_MULTIPLE = "QUANTITY_NOT_LOT_MULTIPLE"
    PRICE_MISSING = "PRICE_MISSING"
    PRICE_NOT_POSITIVE = "PRICE_NOT_POSITIVE"
    PRICE_NOT_ON_TICK = "PRICE_NOT_ON_TICK"
    UNSUPPORTED_ORDER_TYPE = "UNSUPPORTED_ORDER_TYPE"
    UNSUPPORTED_TIME_IN_FORCE = "UNSUPPORTED_TIME_IN_FORCE"
    UNSUPPORTED_REQUEST = "UNSUPPORTED_REQUEST"  # a request an entry adapter cannot carry out
    GTD_NOT_IN_FUTURE = "GTD_NOT_IN_FUTURE"
    # erroneous orders
    RESTRICTED_INSTRUMENT = "RESTRICTED_INSTRUMENT"
    QUANTITY_EXCEEDS_MAX_PER_ORDER = "QUANTITY_EXCEEDS_MAX_PER_ORDER"
    NOTIONAL_EXCEEDS_MAX_PER_ORDER = "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"
    PRICE_OUTSIDE_COLLAR = "PRICE_OUTSIDE_COLLAR"
    DUPLICATE_ORDER = "DUPLICATE_ORDER"
    # throttles
    SESSION_THROTTLE_EXCEEDED = "SESSION_THROTTLE_EXCEEDED"
    ACCOUNT_THROTTLE_EXCEEDED = "ACCOUNT_THROTTLE_EXCEEDED"
    EXECUTION_THROTTLE_TRIPPED = "EXECUTION_THROTTLE_TRIPPED"
    DAILY_ORDER_COUNT_EXCEEDED = "DAILY_ORDER_COUNT_EXCEEDED"
    # credit and exposure
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    FIRM_CREDIT_LIMIT_EXCEEDED = "FIRM_CREDIT_LIMIT_EXCEEDED"
    POSITION_LIMIT_EXCEEDED = "POSITION_LIMIT_EXCEEDED"
    GROSS_EXPOSURE_EXCEEDED = "GROSS_EXPOSURE_EXCEEDED"
    FIRM_GROSS_EXPOSURE_EXCEEDED = "FIRM_GROSS_EXPOSURE_EXCEEDED"
    # short sales
    LOCATE_REQUIRED = "LOCATE_REQUIRED"
    SHORT_MARKING_INCONSISTENT = "SHORT_MARKING_INCONSISTENT"
    # market abuse
    SELF_TRADE_PREVENTED = "SELF_TRADE_PREVENTED"
    MARKET_ABUSE_BLOCKED = "MARKET_ABUSE_BLOCKED"
    # MiFID II tagging
    MIFID_FIELD_MISSING = "MIFID_FIELD_MISSING"
    MIFID_INVALID_LEI = "MIFID_INVALID_LEI"
    MIFID_OVERRIDE_NOT_ALLOWED = "MIFID_OVERRIDE_NOT_ALLOWED"
    # order management
    DUPLICATE_CL_ORD_ID = "DUPLICATE_CL_ORD_ID"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    ORDER_NOT_WORKING = "ORDER_NOT_WORKING"
    REPLACE_BELOW_FILLED = "REPLACE_BELOW_FILLED"
    VENUE_REJECTED = "VENUE_REJECTED"
    VENUE_UNAVAILABLE = "VENUE_UNAVAILABLE"
    # fail-closed infrastructure
    AUDIT_UNAVAILABLE = "AUDIT_UNAVAILABLE"
    POLICY_UNAVAILABLE = "POLICY_UNAVAILABLE"
    CHECK_FAILED = "CHECK_FAILED"  # a check raised: deny, never pass


class CheckOutcome(StrEnum):
    PASS = "PASS"
    DENY = "DENY"
    ALERT = "ALERT"


@dataclass(frozen=True, slots=True)
class Denial:
    """A stable code, the control that raised it, and the values behind it."""

    code: DenyCode
    control: str
    context: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        """``NOTIONAL_EXCEEDS_MAX_PER_ORDER max=100000 notional=100001``."""
        if not self.context:
            return self.code.value
        details = " ".join(f"{k}={v}" for k, v in self.context)
        return f"{self.code.value} {details}"

    def context_dict(self) -> dict[str, str]:
        return dict(self.context)


def deny(code: DenyCode, control: str, **context: object) -> Denial:
    """Build a denial; context values are rendered as text once, here."""
    return Denial(code, control, tuple((k, _render(v)) for k, v in context.items()))


def _render(value: object) -> str:
    from decimal import Decimal

    if isinstance(value, Decimal):
        from risk_controls.domain.money import plain

        return plain(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One evaluated check: its name, outcome and (for a denial) the denial."""

    control: str
    outcome: CheckOutcome
    denial: Denial | None = None
