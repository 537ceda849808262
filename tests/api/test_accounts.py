"""Positions, open orders, limit utilisation and re-enabling executions, per account."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from audit.memory import MemoryAuditLog
from risk_controls import events as ev
from tests.api.conftest import LiveApi, live_api, order_body, policy_variant

APPLE = ("ACC-APPLE-TSY",)


def test_positions_open_orders_and_limits_follow_fills_and_working_orders(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=APPLE) as desk:
        filled = desk.post("/v1/orders", json=order_body("f-1", limit_price="229.00", tif="IOC")).json()
        resting = desk.post("/v1/orders", json=order_body("w-1", quantity="50", limit_price="228.00")).json()
        positions = desk.get("/v1/accounts/ACC-APPLE-TSY/positions").json()
        open_orders = desk.get("/v1/accounts/ACC-APPLE-TSY/open-orders").json()
        limits = desk.get("/v1/accounts/ACC-APPLE-TSY/limits").json()
        fill = desk.get(f"/v1/orders/{filled['order_id']}").json()
    assert fill["status"] == "FILLED"
    executed = Decimal(fill["avg_px"]) * 100
    assert positions == {
        "account": "ACC-APPLE-TSY",
        "positions": [
            {
                "symbol": "AAPL",
                "position": "100",
                "open_buy": "50",
                "open_sell": "0",
                "worst_case": "150",
                "position_limit": "100000",
                "valuation_price": positions["positions"][0]["valuation_price"],
                "gross_value": positions["positions"][0]["gross_value"],
            }
        ],
    }
    assert [o["order_id"] for o in open_orders] == [resting["order_id"]]
    used = executed + Decimal("50") * Decimal("228.00")
    assert Decimal(limits["credit"]["used"]) == used
    assert limits["credit"]["limit"] == "50000000"
    assert Decimal(limits["credit"]["utilisation_pct"]) == (used * 100 / Decimal(50_000_000)).quantize(
        Decimal("0.01")
    )
    assert limits["daily_orders"] == {"used": 2, "limit": 20000}
    assert limits["throttle"]["max_messages"] == 200 and limits["throttle"]["messages_in_window"] == 2
    assert limits["working_orders"] == 1 and limits["enabled"] is True


def test_unknown_account_is_404_and_other_traders_accounts_are_403(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=APPLE) as desk:
        other = desk.get("/v1/accounts/ACC-HOUSE/limits")
    with live.client("rofficer", "risk_officer") as risk:
        unknown = risk.get("/v1/accounts/ACC-NOPE/limits")
        house = risk.get("/v1/accounts/ACC-HOUSE/limits")
    assert other.status_code == 403
    assert unknown.status_code == 404
    assert house.status_code == 200 and house.json()["credit"]["used"] == "0"


def test_risk_officer_re_enables_an_account_after_the_execution_throttle_trips(tmp_path: Path) -> None:
    policy = policy_variant(tmp_path, ("max_fills = 500", "max_fills = 2"))
    with live_api(tmp_path / "data", audit=MemoryAuditLog(), policy=policy) as api:
        with api.client("jsmith", "trader", accounts=APPLE) as desk:
            for i in range(2):
                desk.post(
                    "/v1/orders",
                    json=order_body(f"x-{i}", quantity=str(10 + i), limit_price="229.00", tif="IOC"),
                )
            blocked = desk.post("/v1/orders", json=order_body("x-blocked"))
            disabled = desk.get("/v1/accounts/ACC-APPLE-TSY/limits").json()["throttle"]["execution_disabled"]
            by_trader = desk.post("/v1/accounts/ACC-APPLE-TSY/reenable-executions", json={"reason": "me"})
            with api.client("rofficer", "risk_officer") as risk:
                reenabled = risk.post(
                    "/v1/accounts/ACC-APPLE-TSY/reenable-executions", json={"reason": "checked the algo"}
                )
                again = risk.post("/v1/accounts/ACC-APPLE-TSY/reenable-executions", json={"reason": "twice"})
            after = desk.post("/v1/orders", json=order_body("x-after"))
        resets = api.records(ev.EXEC_THROTTLE_RESET)
    assert blocked.status_code == 422 and blocked.json()["code"] == "EXECUTION_THROTTLE_TRIPPED"
    assert disabled is True
    assert by_trader.status_code == 403
    assert reenabled.json() == {"account": "ACC-APPLE-TSY", "reenabled": True}
    assert again.json() == {"account": "ACC-APPLE-TSY", "reenabled": False}
    assert after.status_code == 201
    assert resets == [{"account": "ACC-APPLE-TSY", "actor": "rofficer", "reason": "checked the algo"}]
