"""Kill switch over HTTP: engage by scope with a reason, cancel working orders, REDUCING, four eyes."""

from __future__ import annotations

from pathlib import Path

from audit.memory import MemoryAuditLog
from risk_controls import events as ev
from tests.api.conftest import LiveApi, live_api, order_body, policy_variant

APPLE = ("ACC-APPLE-TSY",)


def test_engage_cancels_the_scope_working_orders_and_blocks_new_ones(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY", "ACC-MSFT-TSY")) as desk:
        ids = [
            desk.post("/v1/orders", json=order_body(f"k-{i}", quantity=str(10 + i))).json()["order_id"]
            for i in range(3)
        ]
        msft = desk.post(
            "/v1/orders", json=order_body("m-1", account="ACC-MSFT-TSY", symbol="MSFT", limit_price="415.00")
        )
        with live.client("rofficer", "risk_officer") as risk:
            engaged = risk.post(
                "/v1/kill-switch/engage",
                json={"scope": "account", "target": "ACC-APPLE-TSY", "reason": "runaway desk"},
            )
            state = risk.get("/v1/kill-switch").json()
        blocked = desk.post("/v1/orders", json=order_body("k-after"))
        other_account = desk.post(
            "/v1/orders",
            json=order_body(
                "m-2", account="ACC-MSFT-TSY", symbol="MSFT", quantity="20", limit_price="415.00"
            ),
        )
        statuses = [desk.get(f"/v1/orders/{i}").json()["status"] for i in ids]
        msft_status = desk.get(f"/v1/orders/{msft.json()['order_id']}").json()["status"]
    assert engaged.status_code == 200
    assert engaged.json()["cancelled"] == 3 and engaged.json()["mode"] == "HALT"
    assert statuses == ["CANCELED"] * 3
    assert msft_status == "NEW"
    assert blocked.status_code == 422 and blocked.json()["code"] == "KILL_SWITCH_ENGAGED"
    assert other_account.status_code == 201
    assert state["engaged"] is True
    assert [(e["scope"], e["target"], e["actor"], e["reason"]) for e in state["entries"]] == [
        ("account", "ACC-APPLE-TSY", "rofficer", "runaway desk")
    ]
    record = live.records(ev.KILL_ENGAGED)[0]
    assert record["actor"] == "rofficer" and sorted(record["cancelled_order_ids"]) == sorted(ids)


def test_a_reason_is_mandatory_and_a_target_is_needed_below_firm_level(live: LiveApi) -> None:
    with live.client("rofficer", "risk_officer") as risk:
        blank = risk.post("/v1/kill-switch/engage", json={"scope": "firm", "reason": "   "})
        missing = risk.post("/v1/kill-switch/engage", json={"scope": "firm"})
        no_target = risk.post("/v1/kill-switch/engage", json={"scope": "trader", "reason": "x"})
    assert blank.status_code == missing.status_code == no_target.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body.firm.reason"]
    assert live.records(ev.KILL_ENGAGED) == []


def test_traders_and_compliance_cannot_engage_but_can_read(live: LiveApi) -> None:
    for client in (live.client("jsmith", "trader", accounts=APPLE), live.client("auditor", "compliance")):
        with client:
            refused = client.post("/v1/kill-switch/engage", json={"scope": "firm", "reason": "x"})
            read = client.get("/v1/kill-switch")
        assert refused.status_code == 403
        assert read.status_code == 200 and read.json()["engaged"] is False
    assert [r["subject"] for r in live.records("access.denied")] == ["jsmith", "auditor"]


def test_reducing_mode_lets_only_position_reducing_orders_through(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=APPLE) as desk:
        fill = desk.post("/v1/orders", json=order_body("buy-1", limit_price="229.00", tif="IOC"))
        assert fill.status_code == 201
        with live.client("rofficer", "risk_officer") as risk:
            engaged = risk.post(
                "/v1/kill-switch/engage",
                json={"scope": "instrument", "target": "AAPL", "reason": "news pending", "mode": "REDUCING"},
            )
        position = desk.get("/v1/accounts/ACC-APPLE-TSY/positions").json()["positions"]
        more = desk.post("/v1/orders", json=order_body("buy-2", quantity="10"))
        reduce = desk.post(
            "/v1/orders", json=order_body("sell-1", side="SELL", quantity="10", limit_price="228.00")
        )
    assert engaged.json()["mode"] == "REDUCING"
    assert [(p["symbol"], p["position"]) for p in position] == [("AAPL", "100")]
    assert more.status_code == 422 and more.json()["code"] == "KILL_SWITCH_ENGAGED"
    assert reduce.status_code == 201


def test_release_lifts_the_block(live: LiveApi) -> None:
    with live.client("rofficer", "risk_officer") as risk:
        risk.post("/v1/kill-switch/engage", json={"scope": "firm", "reason": "drill"})
        released = risk.post("/v1/kill-switch/release", json={"scope": "firm", "reason": "drill over"})
        twice = risk.post("/v1/kill-switch/release", json={"scope": "firm", "reason": "again"})
    with live.client("jsmith", "trader", accounts=APPLE) as desk:
        after = desk.post("/v1/orders", json=order_body("r-1"))
    assert released.status_code == 200
    assert released.json() == {
        "scope": "firm",
        "target": "*",
        "status": "RELEASED",
        "released_by": "rofficer",
        "approved_by": None,
        "audit_seq": released.json()["audit_seq"],
    }
    assert twice.status_code == 404
    assert after.status_code == 201


def four_eyes(tmp_path: Path) -> Path:
    return policy_variant(
        tmp_path, ("kill_release_needs_second_officer = false", "kill_release_needs_second_officer = true")
    )


def test_four_eyes_release_needs_a_second_risk_officer(tmp_path: Path) -> None:
    with live_api(tmp_path / "data", audit=MemoryAuditLog(), policy=four_eyes(tmp_path)) as api:
        first, second = api.client("rofficer", "risk_officer"), api.client("rofficer2", "risk_officer")
        with first, second:
            first.post(
                "/v1/kill-switch/engage", json={"scope": "trader", "target": "jsmith", "reason": "fat finger"}
            )
            requested = first.post(
                "/v1/kill-switch/release", json={"scope": "trader", "target": "jsmith", "reason": "checked"}
            )
            request_id = requested.json()["request_id"]
            still_engaged = first.get("/v1/kill-switch").json()
            self_approval = first.post(f"/v1/kill-switch/release-requests/{request_id}/approve", json={})
            approved = second.post(
                f"/v1/kill-switch/release-requests/{request_id}/approve", json={"reason": "agreed"}
            )
            after = second.get("/v1/kill-switch").json()
        released = api.records(ev.KILL_RELEASED)
        requested_records = api.records("kill.release_requested")
        denied = api.records("access.denied")
    assert requested.status_code == 202 and requested.json()["status"] == "PENDING_APPROVAL"
    assert still_engaged["engaged"] and [p["request_id"] for p in still_engaged["pending_releases"]] == [
        request_id
    ]
    assert self_approval.status_code == 403
    assert denied[0]["subject"] == "rofficer" and "different risk officer" in denied[0]["reason"]
    assert approved.status_code == 200
    assert (approved.json()["released_by"], approved.json()["approved_by"]) == ("rofficer", "rofficer2")
    assert after == {
        "engaged": False,
        "entries": [],
        "pending_releases": [],
        "release_needs_second_officer": True,
    }
    assert [(r["actor"], r["approved_by"], r["reason"]) for r in released] == [
        ("rofficer", "rofficer2", "checked / agreed")
    ]
    assert [r["requested_by"] for r in requested_records] == ["rofficer"]


def test_a_release_request_lapses_when_the_scope_is_engaged_again(tmp_path: Path) -> None:
    with (
        live_api(tmp_path / "data", audit=MemoryAuditLog(), policy=four_eyes(tmp_path)) as api,
        api.client("rofficer", "risk_officer") as first,
        api.client("rofficer2", "risk_officer") as second,
    ):
        first.post("/v1/kill-switch/engage", json={"scope": "firm", "reason": "a"})
        requested = first.post("/v1/kill-switch/release", json={"scope": "firm", "reason": "ok"})
        second.post("/v1/kill-switch/engage", json={"scope": "firm", "reason": "worse", "mode": "HALT"})
        stale = second.post(
            f"/v1/kill-switch/release-requests/{requested.json()['request_id']}/approve", json={}
        )
        state = second.get("/v1/kill-switch").json()
    assert requested.status_code == 202
    assert stale.status_code == 404
    assert state["engaged"] and state["pending_releases"] == []
