"""What must survive a restart (client order ids, pending releases), and the CLI's token and REST kill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.memory import MemoryAuditLog
from gateway.api.config import ApiConfig
from gateway.api.keys import load_keys
from gateway.api.tokens import Role, TokenVerifier
from gateway.cli import main
from risk_controls.domain.clock import ManualClock
from tests.api.conftest import live_api, order_body, policy_variant


def test_client_order_ids_and_pending_releases_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    policy = policy_variant(
        tmp_path, ("kill_release_needs_second_officer = false", "kill_release_needs_second_officer = true")
    )
    with live_api(data, policy=policy) as api:  # the SQLite store under data/
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            accepted = desk.post("/v1/orders", json=order_body("keep-1")).json()
            denied = desk.post(
                "/v1/orders", json=order_body("keep-2", symbol="TSLA", limit_price="350.00")
            ).json()
        with api.client("rofficer", "risk_officer") as risk:
            risk.post(
                "/v1/kill-switch/engage", json={"scope": "session", "target": "DESK2", "reason": "line down"}
            )
            request_id = risk.post(
                "/v1/kill-switch/release", json={"scope": "session", "target": "DESK2", "reason": "line up"}
            ).json()["request_id"]
    with live_api(data, policy=policy) as api:
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            again = desk.post("/v1/orders", json=order_body("keep-1"))
            denied_again = desk.post(
                "/v1/orders", json=order_body("keep-2", symbol="TSLA", limit_price="350.00")
            )
            conflict = desk.post("/v1/orders", json=order_body("keep-1", quantity="7"))
            listed = desk.get("/v1/orders", params={"status": "DENIED"}).json()["items"]
        with api.client("rofficer2", "risk_officer") as other:
            pending = other.get("/v1/kill-switch").json()["pending_releases"]
            approved = other.post(f"/v1/kill-switch/release-requests/{request_id}/approve", json={})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["order_id"] == accepted["order_id"]
    assert denied_again.status_code == 422 and denied_again.json()["order_id"] == denied["order_id"]
    assert conflict.status_code == 409
    assert [o["order_id"] for o in listed] == [denied["order_id"]]
    assert [p["request_id"] for p in pending] == [request_id]
    assert approved.status_code == 200 and approved.json()["approved_by"] == "rofficer2"


def test_a_retry_straddling_midnight_and_a_restart_is_answered_as_a_retry(tmp_path: Path) -> None:
    """The orders a new day carries keep their client order ids answerable after a
    restart too: one still working and one entered (and cancelled) in the minutes before
    the close. Without the restart this is test_orders' midnight test. An id a replace
    took is never answered as an order submitted under it."""
    data = tmp_path / "data"
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    clock = ManualClock(midnight - timedelta(hours=1))
    with live_api(data) as api:
        api.call(lambda: setattr(api.gateway.pipeline, "clock", clock))
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            working = desk.post("/v1/orders", json=order_body("carry-working")).json()
            replaced = desk.post("/v1/orders", json=order_body("carry-orig", quantity="40")).json()
            amend = {"cl_ord_id": "carry-amended", "quantity": "60"}
            r = desk.post(f"/v1/orders/{replaced['order_id']}/replace", json=amend)
            assert r.status_code == 200, r.json()
            clock.set(midnight - timedelta(seconds=1))
            late = desk.post("/v1/orders", json=order_body("carry-late")).json()
            desk.post(f"/v1/orders/{late['order_id']}/cancel", json={})
            clock.set(midnight + timedelta(seconds=1))
            opening = desk.post("/v1/orders", json=order_body("carry-next", quantity="50"))
            assert opening.status_code == 201  # the day opens on record
    clock.set(midnight + timedelta(seconds=2))
    with live_api(data) as api:
        api.call(lambda: setattr(api.gateway.pipeline, "clock", clock))
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            working_again = desk.post("/v1/orders", json=order_body("carry-working"))
            late_again = desk.post("/v1/orders", json=order_body("carry-late"))
            conflict = desk.post("/v1/orders", json=order_body("carry-working", quantity="7"))
            amended_as_new = desk.post("/v1/orders", json=order_body("carry-amended", quantity="60"))
    for again, first in ((working_again, working), (late_again, late)):
        assert again.status_code == 201, again.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["order_id"] == first["order_id"]
        assert again.json()["audit_seq"] == first["audit_seq"] is not None
    assert late_again.json()["status"] == "CANCELED"
    assert conflict.status_code == 409
    assert amended_as_new.status_code == 409


def test_a_release_request_pending_at_midnight_survives_a_restart(tmp_path: Path) -> None:
    """A restart reads the log from the day's opening; a four-eyes request made the day
    before and still pending is put on record again as the day opens, so a second officer
    can approve it after the restart as before it."""
    data = tmp_path / "data"
    policy = policy_variant(
        tmp_path, ("kill_release_needs_second_officer = false", "kill_release_needs_second_officer = true")
    )
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    clock = ManualClock(midnight - timedelta(minutes=10))
    with live_api(data, policy=policy) as api:
        api.call(lambda: setattr(api.gateway.pipeline, "clock", clock))
        with api.client("rofficer", "risk_officer") as risk:
            scope = {"scope": "session", "target": "DESK2"}
            risk.post("/v1/kill-switch/engage", json={**scope, "reason": "down"})
            requested = risk.post("/v1/kill-switch/release", json={**scope, "reason": "up"})
            request_id = requested.json()["request_id"]
        clock.set(midnight + timedelta(seconds=1))
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            assert desk.post("/v1/orders", json=order_body("rel-open")).status_code == 201  # opens the day
    with live_api(data, policy=policy) as api:
        api.call(lambda: setattr(api.gateway.pipeline, "clock", clock))
        assert api.gateway.replayed.first_seq > 1  # the restart read from the opening
        with api.client("rofficer2", "risk_officer") as other:
            pending = other.get("/v1/kill-switch").json()["pending_releases"]
            approved = other.post(f"/v1/kill-switch/release-requests/{request_id}/approve", json={})
    assert [p["request_id"] for p in pending] == [request_id]
    assert approved.status_code == 200 and approved.json()["approved_by"] == "rofficer2"


def test_token_command_issues_a_token_the_gateway_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "token",
            "--data-dir",
            str(tmp_path),
            "--subject",
            "jsmith",
            "--role",
            "trader",
            "--accounts",
            "ACC-APPLE-TSY,ACC-MSFT-TSY",
        ]
    )
    text = capsys.readouterr().out.strip()
    config = ApiConfig.for_data_dir(tmp_path)
    principal = TokenVerifier(
        load_keys(config).public, issuer=config.issuer, audience=config.audience
    ).verify(text)
    assert code == 0
    assert principal.subject == "jsmith" and principal.roles == {Role.TRADER}
    assert principal.accounts == {"ACC-APPLE-TSY", "ACC-MSFT-TSY"}
    assert main(["token", "--data-dir", str(tmp_path), "--subject", "x", "--role", "trader"]) == 2


def test_kill_command_acts_through_the_running_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live_api(tmp_path, audit=MemoryAuditLog()) as api:
        engage = [
            "kill",
            "engage",
            "--data-dir",
            str(tmp_path),
            "--scope",
            "account",
            "--target",
            "ACC-HOUSE",
        ]
        code = main([*engage, "--reason", "desk call", "--actor", "rofficer", "--url", api.base_url])
        out = capsys.readouterr().out
        entries = api.call(lambda: api.gateway.kill.state())
        release = [
            "kill",
            "release",
            "--data-dir",
            str(tmp_path),
            "--scope",
            "account",
            "--target",
            "ACC-HOUSE",
        ]
        released = main([*release, "--reason", "ok", "--actor", "rofficer", "--url", api.base_url])
        after = api.call(lambda: api.gateway.kill.state())
        refused = main(
            [
                "kill",
                "release",
                "--data-dir",
                str(tmp_path),
                "--scope",
                "firm",
                "--reason",
                "x",
                "--actor",
                "r",
                "--url",
                api.base_url,
            ]
        )
    assert code == 0 and out.startswith("ENGAGED account=ACC-HOUSE mode=HALT cancelled=0")
    assert [(e.target, e.actor, e.reason) for e in entries] == [("ACC-HOUSE", "rofficer", "desk call")]
    assert released == 0 and after == []
    assert refused == 1  # nothing engaged firm-wide: 404 from the API


def test_kill_command_four_eyes_release_and_approval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = policy_variant(
        tmp_path, ("kill_release_needs_second_officer = false", "kill_release_needs_second_officer = true")
    )
    data = tmp_path / "data"
    with live_api(data, audit=MemoryAuditLog(), policy=policy) as api:
        common = ["--data-dir", str(data), "--scope", "firm", "--url", api.base_url]
        assert main(["kill", "engage", *common, "--reason", "drill", "--actor", "rofficer"]) == 0
        assert main(["kill", "release", *common, "--reason", "drill over", "--actor", "rofficer"]) == 0
        requested = capsys.readouterr().out.splitlines()[-1]
        request_id = requested.split("request_id=")[1].split(":")[0]
        own = main(
            [
                "kill",
                "approve",
                *common,
                "--reason",
                "mine",
                "--actor",
                "rofficer",
                "--request-id",
                request_id,
            ]
        )
        other = main(
            ["kill", "approve", *common, "--reason", "ok", "--actor", "rofficer2", "--request-id", request_id]
        )
        out = capsys.readouterr().out
        entries = api.call(lambda: api.gateway.kill.state())
    assert requested.startswith("RELEASE REQUESTED firm=*")
    assert own == 1
    assert other == 0 and "RELEASED firm=* approved_by=rofficer2" in out
    assert entries == []
