"""A small policy whose MiFID defaults differ at every level, so precedence is visible."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from risk_controls.domain import Channel, MifidOverrides, NewOrder, OrderOrigin, OrdType, Side, TimeInForce
from risk_controls.policy.schema import Policy

FIRM_LEI = "FOR8UP27PHTHYVLBNG30"
CLIENT_LEI = "HWUPKR0MPOU8FGXBT394"
OTHER_LEI = "INR2EJN1ERAN0W5ZP974"
BAD_LEI = "HWUPKR0MPOU8FGXBT395"


def account(id: str, **mifid: Any) -> dict[str, Any]:
    return {
        "id": id,
        "max_order_quantity": "1000",
        "max_order_notional": "1000000",
        "max_daily_notional": "1000000",
        "max_gross_exposure": "1000000",
        "max_position": "1000",
        "mifid": mifid,
    }


def policy_data() -> dict[str, Any]:
    return {
        "version": "test",
        "firm": {
            "id": "F",
            "name": "Firm",
            "lei": FIRM_LEI,
            "max_daily_notional": "1",
            "max_gross_exposure": "1",
            "mifid": {"execution_decision_type": "PERSON", "waiver": "FIRM-WAIVER"},
        },
        "accounts": [
            account("AGENCY", client_id=CLIENT_LEI, capacity="AOTC"),
            account("HOUSE", capacity="DEAL", execution_decision_type="ALGO"),
            account("MATCH", client_id="CLIENT-SC-7", capacity="MTCH"),
            account("BARE"),
        ],
        "traders": [
            {
                "id": "alice",
                "mifid": {
                    "investment_decision": "ALICE-ID",
                    "investment_decision_type": "PERSON",
                    "execution_decision": "ALICE-ID",
                    "execution_decision_type": "PERSON",
                    "waiver": "TRADER-WAIVER",
                },
            },
            {"id": "bob", "mifid": {"execution_decision": "BOB-ID"}},
            {"id": "robot", "mifid": {"execution_decision": "ROBOT-1", "execution_decision_type": "ALGO"}},
        ],
        "sessions": [
            {"id": "S-WAIVE", "mifid": {"waiver": "SESSION-WAIVER", "sft": True}},
            {"id": "S-OPEN", "mifid": {"allow_order_overrides": True}},
        ],
        "strategies": [
            {"id": "twap", "algo_id": "ALGO-TWAP"},
            {
                "id": "pm-twap",
                "algo_id": "ALGO-PM",
                "mifid": {
                    "investment_decision": "PM-ID",
                    "investment_decision_type": "PERSON",
                    "waiver": "STRATEGY-WAIVER",
                },
            },
        ],
    }


@pytest.fixture
def policy() -> Policy:
    return Policy.model_validate(policy_data())


OrderFactory = Callable[..., NewOrder]


@pytest.fixture
def make_order() -> OrderFactory:
    def make(
        account: str = "AGENCY",
        user: str = "alice",
        session: str = "S-PLAIN",
        strategy: str | None = None,
        side: Side = Side.BUY,
        **overrides: Any,
    ) -> NewOrder:
        return NewOrder(
            cl_ord_id="c-1",
            account=account,
            symbol="AAPL",
            side=side,
            quantity=Decimal(100),
            ord_type=OrdType.LIMIT,
            tif=TimeInForce.DAY,
            origin=OrderOrigin(Channel.FIX, session, user, strategy),
            limit_price=Decimal("228.50"),
            mifid=MifidOverrides(**overrides),
        )

    return make
