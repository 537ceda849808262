"""The order-id index behind GET /v1/orders: pages start at their cursor, in arrival order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from gateway.api.idempotency import ClientOrderIndex
from risk_controls.domain import Channel, DenyCode, NewOrder, OrderOrigin, OrdType, Side, TimeInForce
from risk_controls.domain.decisions import deny
from risk_controls.entry import SubmitResult
from tests.api.conftest import LiveApi, order_body

WHEN = datetime(2026, 11, 23, 10, tzinfo=UTC)


def decided(index: ClientOrderIndex, number: int, account: str, accepted: bool = True) -> None:
    order = NewOrder(
        f"c-{number}",
        account,
        "AAPL",
        Side.BUY,
        Decimal(10),
        OrdType.LIMIT,
        TimeInForce.DAY,
        OrderOrigin(Channel.REST, "rest", "u"),
        limit_price=Decimal("228.00"),
    )
    denial = None if accepted else deny(DenyCode.RESTRICTED_INSTRUMENT, "restricted_list")
    index.record(order, SubmitResult(f"20261123-{number:08d}", accepted, denial, number), WHEN)


def test_ids_come_out_ascending_per_account_and_merged_whatever_order_decisions_finished_in() -> None:
    index = ClientOrderIndex()
    for number, account in ((2, "A"), (1, "B"), (4, "A"), (3, "B"), (5, "C")):  # 1 waited for its commit
        decided(index, number, account, accepted=number != 3)

    def ids(cursor: str | None, accounts: set[str] | None) -> list[str]:
        return [i[-1] for i in index.order_ids_after(cursor, accounts)]

    assert ids(None, None) == ["1", "2", "3", "4", "5"]
    assert ids("20261123-00000002", None) == ["3", "4", "5"]
    assert ids(None, {"A", "B"}) == ["1", "2", "3", "4"]
    assert ids("20261123-00000003", {"A", "B"}) == ["4"]
    assert ids(None, {"nobody"}) == []


def test_orders_from_every_entry_point_are_listed_in_arrival_order(live: LiveApi) -> None:
    """A strategy's order (the pipeline directly) sits between two REST orders."""
    import asyncio

    from tests.gateway.conftest import order

    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        assert desk.post("/v1/orders", json=order_body("e-1")).status_code == 201
        strategy = asyncio.run_coroutine_threadsafe(
            live.gateway.pipeline.submit(order("e-2", qty="20", price="228.00")), live.loop
        ).result(10)
        assert strategy.accepted
        assert desk.post("/v1/orders", json=order_body("e-3", quantity="30")).status_code == 201
        first = desk.get("/v1/orders", params={"limit": 2}).json()
        rest = desk.get("/v1/orders", params={"cursor": first["next_cursor"]}).json()
    assert [o["cl_ord_id"] for o in first["items"]] == ["e-1", "e-2"]
    assert [o["cl_ord_id"] for o in rest["items"]] == ["e-3"] and rest["next_cursor"] is None


def test_listing_working_orders_reads_the_working_set_and_pages_as_the_full_scan_does(live: LiveApi) -> None:
    """status=NEW is answered from the working orders alone; it must list what filtering
    every order would, in the same order and pages."""
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        for n, price in enumerate(("228.00", "227.90", "240.00", "227.80", "300.00")):
            desk.post(
                "/v1/orders", json=order_body(f"w-{n}", limit_price=price)
            )  # some fill, some are denied
        every = desk.get("/v1/orders", params={"limit": 1000}).json()["items"]
        expected = [o["order_id"] for o in every if o["status"] == "NEW"]
        assert len(expected) >= 2 and len(expected) < len(every)  # resting ones, among others
        pages: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"status": "NEW", "limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = desk.get("/v1/orders", params=params).json()
            pages += [o["order_id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert pages == expected


def test_decided_tells_an_order_whose_outcome_was_returned() -> None:
    index = ClientOrderIndex()
    decided(index, 7, "A")
    assert index.decided("20261123-00000007")
    assert not index.decided("20261123-00000008") and not index.decided("20261123-00000006")
