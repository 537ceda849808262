"""Order entry over HTTP: acceptance after durability, denials, idempotent client order ids."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from audit.memory import MemoryAuditLog
from risk_controls import events as ev
from risk_controls.domain.clock import ManualClock
from tests.api.conftest import LiveApi, live_api, order_body, policy_variant

APPLE = ("ACC-APPLE-TSY",)


def trader(live: LiveApi, subject: str = "jsmith", accounts: tuple[str, ...] = APPLE) -> httpx.Client:
    return live.client(subject, "trader", accounts=accounts)


def test_accepted_order_is_201_and_its_acceptance_is_already_in_the_audit_log(live: LiveApi) -> None:
    with trader(live) as client:
        response = client.post("/v1/orders", json=order_body("acc-1"))
    assert response.status_code == 201
    order = response.json()
    assert response.headers["location"] == f"/v1/orders/{order['order_id']}"
    assert order["status"] in ("PENDING_NEW", "NEW")
    assert order["origin"] == {"channel": "REST", "session": "rest", "user": "jsmith", "strategy": None}
    accepted = [r for r in live.records(ev.ORDER_ACCEPTED) if r["order_id"] == order["order_id"]]
    assert len(accepted) == 1
    assert order["audit_seq"] == next(
        r.seq for r in live.gateway.audit.read() if r.event_type == ev.ORDER_ACCEPTED
    )


def test_denied_order_is_a_422_problem_with_the_denial_code_and_values(live: LiveApi) -> None:
    with trader(live) as client:
        response = client.post("/v1/orders", json=order_body("big-1", quantity="30000", limit_price="228.50"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/order-denied")
    assert problem["code"] == "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    assert problem["control"] == "max_order_notional"
    assert problem["context"] == {"max": "5000000", "notional": "6855000"}
    denied = live.records(ev.ORDER_DENIED)
    assert [d["order_id"] for d in denied] == [problem["order_id"]]


def test_invalid_body_is_a_422_naming_the_field(live: LiveApi) -> None:
    with trader(live) as client:
        money_as_float = client.post("/v1/orders", json={**order_body("bad-1"), "quantity": 100.5})
        unknown_field = client.post("/v1/orders", json={**order_body("bad-2"), "qty": "1"})
    assert money_as_float.status_code == 422
    assert [e["field"] for e in money_as_float.json()["errors"]] == ["body.quantity"]
    assert unknown_field.status_code == 422
    assert [e["field"] for e in unknown_field.json()["errors"]] == ["body.qty"]
    assert live.records(ev.ORDER_RECEIVED) == []  # never reached the pipeline


def test_retry_with_same_id_and_body_returns_the_original_order_not_a_second_one(live: LiveApi) -> None:
    with trader(live) as client:
        first = client.post("/v1/orders", json=order_body("retry-1"))
        again = client.post("/v1/orders", json=order_body("retry-1", quantity="100.00"))  # same value
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert len(live.records(ev.ORDER_RECEIVED)) == 1


def test_a_retry_straddling_midnight_is_answered_as_a_retry_not_a_second_order(live: LiveApi) -> None:
    """A new day forgets the orders that are done, but not those entered in the minutes
    before it opened: a client retrying across midnight gets its order back. An order
    entered well before the close is forgotten, and its id is free for a new order."""
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    clock = ManualClock(midnight - timedelta(minutes=20))
    live.call(lambda: setattr(live.gateway.pipeline, "clock", clock))
    with trader(live) as client:
        early = client.post("/v1/orders", json=order_body("mn-early"))
        clock.set(midnight - timedelta(seconds=1))
        late = client.post("/v1/orders", json=order_body("mn-late"))
        for placed in (early, late):
            assert placed.status_code == 201
            client.post(f"/v1/orders/{placed.json()['order_id']}/cancel", json={})
        statuses = live.call(lambda: [o.status.value for o in live.gateway.pipeline.state.orders.values()])
        assert statuses == ["CANCELED", "CANCELED"]  # both done before the day ends
        clock.set(midnight + timedelta(seconds=1))
        opening = client.post("/v1/orders", json=order_body("mn-next", quantity="50"))  # the day opens
        assert opening.status_code == 201
        late_again = client.post("/v1/orders", json=order_body("mn-late"))
        early_again = client.post("/v1/orders", json=order_body("mn-early"))
    assert late_again.status_code == 201 and late_again.headers["idempotent-replayed"] == "true"
    assert late_again.json()["order_id"] == late.json()["order_id"]
    assert early_again.status_code == 201, early_again.json()
    assert "idempotent-replayed" not in early_again.headers
    assert early_again.json()["order_id"] != early.json()["order_id"]


def test_retry_of_a_denied_order_returns_the_same_denial(live: LiveApi) -> None:
    body = order_body("deny-1", symbol="TSLA", limit_price="350.00")
    with trader(live) as client:
        first = client.post("/v1/orders", json=body)
        again = client.post("/v1/orders", json=body)
    assert first.status_code == again.status_code == 422
    assert first.json()["code"] == "RESTRICTED_INSTRUMENT"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(live.records(ev.ORDER_DENIED)) == 1


def test_same_id_with_different_content_is_409_and_nothing_is_sent(live: LiveApi) -> None:
    with trader(live) as client:
        client.post("/v1/orders", json=order_body("dup-1"))
        conflict = client.post("/v1/orders", json=order_body("dup-1", quantity="200"))
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "DUPLICATE_CL_ORD_ID"
    assert len(live.records(ev.ORDER_RECEIVED)) == 1


def test_same_id_on_another_account_is_a_different_order(live: LiveApi) -> None:
    with trader(live, accounts=("ACC-APPLE-TSY", "ACC-MSFT-TSY")) as client:
        a = client.post("/v1/orders", json=order_body("shared-1"))
        b = client.post("/v1/orders", json=order_body("shared-1", account="ACC-MSFT-TSY"))
    assert a.status_code == b.status_code == 201
    assert a.json()["order_id"] != b.json()["order_id"]


def test_concurrent_retries_make_exactly_one_order(live: LiveApi) -> None:
    token = live.token("jsmith", "trader", accounts=APPLE)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=live.base_url, headers={"Authorization": f"Bearer {token}"}) as client:
            return client.post("/v1/orders", json=order_body("race-1"))

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(16)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert len(live.records(ev.ORDER_RECEIVED)) == 1


def test_throttled_order_is_429_and_not_final_a_later_retry_is_evaluated_afresh(tmp_path: Path) -> None:
    policy = policy_variant(
        tmp_path, ("[accounts.throttle]\nmax_messages = 200", "[accounts.throttle]\nmax_messages = 3")
    )
    with live_api(tmp_path / "data", audit=MemoryAuditLog(), policy=policy) as api, trader(api) as client:
        statuses = [
            client.post("/v1/orders", json=order_body(f"t-{i}", quantity=str(1 + i))).status_code
            for i in range(4)
        ]
        refused = client.post("/v1/orders", json=order_body("t-last"))
        time.sleep(1.1)  # let the one-second throttle window pass
        retry = client.post("/v1/orders", json=order_body("t-last"))
    assert statuses[:3] == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json()["code"] == "ACCOUNT_THROTTLE_EXCEEDED"
    assert refused.headers["retry-after"] == "1"
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers


def test_retry_after_an_audit_outage_is_accepted(live: LiveApi) -> None:
    audit = live.gateway.audit
    with trader(live) as client:
        audit.available = False  # type: ignore[attr-defined]
        outage = client.post("/v1/orders", json=order_body("flaky-1"))
        audit.available = True  # type: ignore[attr-defined]
        retry = client.post("/v1/orders", json=order_body("flaky-1"))
    assert outage.status_code == 503
    assert outage.json()["code"] == "AUDIT_UNAVAILABLE"
    assert outage.headers["retry-after"] == "1"
    assert retry.status_code == 201


def test_audit_outage_is_503_with_the_denial_code(live: LiveApi) -> None:
    audit = live.gateway.audit
    with trader(live) as client:
        audit.available = False  # type: ignore[attr-defined]
        outage = client.post("/v1/orders", json=order_body("flaky-2"))
        audit.available = True  # type: ignore[attr-defined]
    assert outage.status_code == 503
    assert outage.json()["code"] == "AUDIT_UNAVAILABLE"
    assert outage.headers["retry-after"] == "1"
    assert live.call(lambda: live.gateway.pipeline.working_orders()) == []


def test_trader_may_not_enter_orders_for_an_account_outside_its_token(live: LiveApi) -> None:
    with trader(live, accounts=APPLE) as client:
        response = client.post("/v1/orders", json=order_body("x-1", account="ACC-HOUSE"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert live.records(ev.ORDER_RECEIVED) == []
    denied = live.records("access.denied")
    assert denied == [
        {
            "status": 403,
            "reason": "jsmith may not enter orders for account ACC-HOUSE",
            "subject": "jsmith",
            "roles": ["trader"],
            "claimed_subject": None,
            "method": "POST",
            "path": "/v1/orders",
            "client": "127.0.0.1",
            "suppressed_since_last": 0,
        }
    ]


def test_compliance_may_read_orders_but_not_enter_them(live: LiveApi) -> None:
    with live.client("auditor", "compliance") as client:
        entered = client.post("/v1/orders", json=order_body("c-1"))
        listed = client.get("/v1/orders")
    assert entered.status_code == 403
    assert listed.status_code == 200


def test_list_filters_and_pages_through_accepted_and_denied_orders(live: LiveApi) -> None:
    with trader(live, accounts=("ACC-APPLE-TSY", "ACC-MSFT-TSY")) as client:
        for i in range(5):
            client.post("/v1/orders", json=order_body(f"l-{i}", quantity=str(10 + i)))
        client.post(
            "/v1/orders",
            json=order_body("l-msft", account="ACC-MSFT-TSY", symbol="MSFT", limit_price="415.00"),
        )
        client.post("/v1/orders", json=order_body("l-denied", symbol="TSLA", limit_price="350.00"))
        pages, cursor = [], None
        while True:
            params: dict[str, str | int] = {
                "account": "ACC-APPLE-TSY",
                "limit": 2,
                **({"cursor": cursor} if cursor else {}),
            }
            page = client.get("/v1/orders", params=params).json()
            pages.append([o["cl_ord_id"] for o in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        denied_only = client.get("/v1/orders", params={"status": "DENIED"}).json()["items"]
        msft = client.get("/v1/orders", params={"symbol": "MSFT"}).json()["items"]
    assert pages == [["l-0", "l-1"], ["l-2", "l-3"], ["l-4", "l-denied"]]
    assert [(o["cl_ord_id"], o["denial"]["code"]) for o in denied_only] == [
        ("l-denied", "RESTRICTED_INSTRUMENT")
    ]
    assert [o["cl_ord_id"] for o in msft] == ["l-msft"]


def test_trader_listing_sees_only_its_accounts(live: LiveApi) -> None:
    with live.client("akhan", "trader", accounts=("ACC-HOUSE",)) as house:
        house.post("/v1/orders", json=order_body("h-1", account="ACC-HOUSE"))
    with trader(live) as apple:
        apple.post("/v1/orders", json=order_body("a-1"))
        seen = apple.get("/v1/orders").json()["items"]
        other = apple.get("/v1/orders", params={"account": "ACC-HOUSE"})
    assert [o["cl_ord_id"] for o in seen] == ["a-1"]
    assert other.status_code == 403


def test_get_one_order_accepted_or_denied(live: LiveApi) -> None:
    with trader(live) as client:
        accepted = client.post("/v1/orders", json=order_body("g-1")).json()
        denied = client.post("/v1/orders", json=order_body("g-2", symbol="TSLA", limit_price="350.00")).json()
        got = client.get(f"/v1/orders/{accepted['order_id']}").json()
        got_denied = client.get(f"/v1/orders/{denied['order_id']}").json()
        missing = client.get("/v1/orders/20260101-99999999")
    assert got["cl_ord_id"] == "g-1" and got["denial"] is None
    assert got_denied["status"] == "DENIED" and got_denied["denial"]["code"] == "RESTRICTED_INSTRUMENT"
    assert missing.status_code == 404


def test_cancel_a_working_order(live: LiveApi) -> None:
    with trader(live) as client:
        order = client.post("/v1/orders", json=order_body("cx-1")).json()
        cancelled = client.post(f"/v1/orders/{order['order_id']}/cancel", json={})
        again = client.post(f"/v1/orders/{order['order_id']}/cancel")
        final = client.get(f"/v1/orders/{order['order_id']}").json()
    assert cancelled.status_code == 202
    assert final["status"] == "CANCELED" and final["leaves_qty"] == "0"
    assert again.status_code == 409 and again.json()["code"] == "ORDER_NOT_WORKING"
    assert [r["order_id"] for r in live.records(ev.CANCEL_DENIED)] == [order["order_id"]]


def test_replace_is_checked_as_the_order_it_becomes_and_is_idempotent(live: LiveApi) -> None:
    with trader(live) as client:
        order = client.post("/v1/orders", json=order_body("rp-1")).json()
        path = f"/v1/orders/{order['order_id']}/replace"
        replaced = client.post(path, json={"cl_ord_id": "rp-1-a", "quantity": "150", "limit_price": "227.90"})
        replayed = client.post(path, json={"cl_ord_id": "rp-1-a", "quantity": "150", "limit_price": "227.90"})
        conflict = client.post(path, json={"cl_ord_id": "rp-1-a", "quantity": "175"})
        too_big = client.post(path, json={"cl_ord_id": "rp-1-b", "quantity": "40000"})
        new_order_reusing_id = client.post("/v1/orders", json=order_body("rp-1-a"))
    assert replaced.status_code == 200
    assert (replaced.json()["quantity"], replaced.json()["limit_price"], replaced.json()["cl_ord_id"]) == (
        "150",
        "227.90",
        "rp-1-a",
    )
    assert replayed.status_code == 200 and replayed.headers["idempotent-replayed"] == "true"
    assert conflict.status_code == 409
    assert too_big.status_code == 422 and too_big.json()["code"] == "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    assert new_order_reusing_id.status_code == 409
    assert len(live.records(ev.REPLACE_ACCEPTED)) == 1


def test_unauthenticated_and_forged_tokens_are_401_and_recorded(live: LiveApi) -> None:
    forged = live.token("jsmith", "admin")[:-4] + "AAAA"
    with live.client() as anonymous:
        missing = anonymous.get("/v1/orders")
        bad = anonymous.get("/v1/orders", headers={"Authorization": f"Bearer {forged}"})
    assert missing.status_code == bad.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    records = live.records("access.denied")
    assert [(r["status"], r["claimed_subject"]) for r in records] == [(401, None), (401, "jsmith")]
