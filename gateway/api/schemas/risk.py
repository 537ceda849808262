"""Positions, limit utilisation and the kill switch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import Amount, Identifier, Reason, Strict, Timestamp
from risk_controls.kill_switch import KillMode


class PositionOut(BaseModel):
    symbol: str
    position: Amount = Field(description="Signed: long positive, short negative")
    open_buy: Amount
    open_sell: Amount
    worst_case: Amount = Field(description="Largest absolute position if every open order on one side filled")
    position_limit: Amount | None
    valuation_price: Amount = Field(description="Base-currency price used to value the line")
    gross_value: Amount


class PositionsOut(BaseModel):
    account: str
    positions: list[PositionOut]


class Utilisation(BaseModel):
    used: Amount
    limit: Amount | None
    utilisation_pct: Amount | None = Field(description="used / limit x 100, two decimals")


class CountUtilisation(BaseModel):
    used: int
    limit: int | None


class ThrottleState(BaseModel):
    messages_in_window: int
    max_messages: int | None
    per_seconds: Amount | None
    execution_disabled: bool = Field(
        description="The repeated-execution throttle tripped: a risk officer must re-enable"
    )


class LimitsOut(BaseModel):
    """Limit utilisation of one account, in the firm's base currency."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account": "ACC-APPLE-TSY",
                    "enabled": True,
                    "base_currency": "USD",
                    "credit": {"used": "34250.00", "limit": "50000000", "utilisation_pct": "0.07"},
                    "gross_exposure": {"used": "34275.00", "limit": "25000000", "utilisation_pct": "0.14"},
                    "daily_orders": {"used": 2, "limit": 20000},
                    "throttle": {
                        "messages_in_window": 2,
                        "max_messages": 200,
                        "per_seconds": "1",
                        "execution_disabled": False,
                    },
                    "working_orders": 1,
                }
            ]
        }
    )

    account: str
    enabled: bool
    base_currency: str | None
    credit: Utilisation
    gross_exposure: Utilisation
    daily_orders: CountUtilisation
    throttle: ThrottleState
    working_orders: int


class ReenableIn(Strict):
    reason: Reason

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "algo fixed, checked"}]}
    )


class ReenableOut(BaseModel):
    account: str
    reenabled: bool = Field(description="False when executions were not disabled")


TargetScope = Literal["account", "trader", "strategy", "instrument", "session"]


class FirmKillIn(Strict):
    scope: Literal["firm"]
    reason: Reason
    mode: KillMode = KillMode.HALT

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scope": "firm", "reason": "market-wide halt", "mode": "HALT"}]},
    )


class TargetKillIn(Strict):
    scope: TargetScope
    target: Identifier = Field(description="Account id, trader, strategy, symbol or session")
    reason: Reason
    mode: KillMode = KillMode.HALT

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scope": "strategy", "target": "twap-1", "reason": "runaway algo", "mode": "HALT"},
                {"scope": "instrument", "target": "AAPL", "reason": "news pending", "mode": "REDUCING"},
            ]
        },
    )


KillEngageIn = Annotated[FirmKillIn | TargetKillIn, Field(discriminator="scope")]


class FirmReleaseIn(Strict):
    scope: Literal["firm"]
    reason: Reason

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"scope": "firm", "reason": "all clear"}]}
    )


class TargetReleaseIn(Strict):
    scope: TargetScope
    target: Identifier
    reason: Reason

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"scope": "strategy", "target": "twap-1", "reason": "fixed and tested"}]
        },
    )


KillReleaseIn = Annotated[FirmReleaseIn | TargetReleaseIn, Field(discriminator="scope")]


class ApproveIn(Strict):
    reason: Reason | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "agreed, limits checked"}]}
    )


class KillEntryOut(BaseModel):
    scope: str
    target: str
    mode: KillMode
    reason: str
    actor: str
    engaged_at: Timestamp


class ReleaseRequestOut(BaseModel):
    request_id: str
    scope: str
    target: str
    reason: str
    requested_by: str
    requested_at: Timestamp
    status: Literal["PENDING_APPROVAL"]


class KillStateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "engaged": True,
                    "entries": [
                        {
                            "scope": "strategy",
                            "target": "twap-1",
                            "mode": "HALT",
                            "reason": "runaway algo",
                            "actor": "rofficer",
                            "engaged_at": "2026-11-23T14:30:00.123456Z",
                        }
                    ],
                    "pending_releases": [],
                    "release_needs_second_officer": True,
                }
            ]
        }
    )

    engaged: bool
    entries: list[KillEntryOut]
    pending_releases: list[ReleaseRequestOut]
    release_needs_second_officer: bool


class KillEngagedOut(BaseModel):
    scope: str
    target: str
    mode: KillMode
    cancelled: int = Field(description="Working orders in scope whose cancellation was sent")
    audit_seq: int | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"scope": "account", "target": "ACC-HOUSE", "mode": "HALT", "cancelled": 12, "audit_seq": 981}
            ]
        }
    )


class KillReleasedOut(BaseModel):
    scope: str
    target: str
    status: Literal["RELEASED"]
    released_by: str
    approved_by: str | None
    audit_seq: int | None
