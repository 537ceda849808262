"""Order-ticket fields read off an order version, shared by the blotters and the MiFID report."""

from __future__ import annotations

from typing import Any

from reporting.orders import OrderState

SHORT_MARKING = {"SELL_SHORT": "SESH", "SELL_SHORT_EXEMPT": "SSEX", "SELL": "SELL"}


def tag(state: OrderState, name: str) -> Any:
    """A MiFID II tag from ``order.accepted``; falls back to the order's own override."""
    value = state.tags.get(name)
    if value is None and state.order is not None:
        value = (state.order.get("mifid_overrides") or {}).get(name)
    return value


def origin(state: OrderState, name: str) -> str | None:
    if state.order is None:
        return None
    value: str | None = (state.order.get("origin") or {}).get(name)
    return value


def short_selling_indicator(state: OrderState) -> str | None:
    """RTS 22 field 62 as tagged, or derived from the Reg SHO marking of the side."""
    tagged: str | None = state.tags.get("short_selling_indicator")
    if tagged:
        return tagged
    side = state.field("side")
    return SHORT_MARKING.get(side) if side else None


_RECENT_CHECKS: list[tuple[list[dict[str, Any]], str]] = []


def checks_text(checks: list[dict[str, Any]]) -> str:
    """``collar:PASS; credit:DENY:CREDIT_LIMIT_EXCEEDED`` — every evaluated check, in order.

    Most orders pass the same chain, so the texts of the last few distinct lists are kept:
    comparing two lists of small dicts (in C) is far cheaper than formatting one.
    """
    for seen, text in _RECENT_CHECKS:
        if seen == checks:
            return text
    text = _format_checks(checks)
    _RECENT_CHECKS.insert(0, (checks, text))
    del _RECENT_CHECKS[8:]
    return text


def _format_checks(checks: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{c.get('control')}:{c.get('outcome')}:{c['code']}"
        if c.get("code")
        else f"{c.get('control')}:{c.get('outcome')}"
        for c in checks
    )


def denial_field(state: OrderState, name: str) -> str | None:
    if state.denial is None:
        return None
    value: str | None = state.denial.get(name)
    return value


def venue_mic(state: OrderState) -> str | None:
    return state.mic or state.venue
