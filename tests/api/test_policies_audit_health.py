"""Policies (version in force, reload, dry run), the audit log (verify, records, export), health, metrics."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from audit.memory import MemoryAuditLog
from risk_controls import events as ev
from tests.api.conftest import POLICY, LiveApi, live_api, order_body, policy_variant


def test_current_policy_names_the_file_hash_and_who_loaded_it(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as client:
        current = client.get("/v1/policies/current").json()
    assert current["content_hash"] == hashlib.sha256(POLICY.read_bytes()).hexdigest()
    assert current["version"] == "2026-11-22.1"
    assert current["loaded_by"] == "startup"
    loaded = [r for r in live.gateway.audit.read() if r.event_type == ev.POLICY_LOADED]
    assert current["loaded_at"] == loaded[-1].ts


def test_reload_installs_a_changed_file_and_refuses_an_invalid_one(tmp_path: Path) -> None:
    policy = policy_variant(tmp_path)
    with live_api(tmp_path / "data", audit=MemoryAuditLog(), policy=policy) as api:
        with (
            api.client("rofficer", "risk_officer") as risk,
            api.client("jsmith", "trader", accounts=("*",)) as desk,
        ):
            policy.write_text(
                policy.read_text().replace('restricted = ["TSLA"]', 'restricted = ["TSLA", "AAPL"]')
            )
            reloaded = risk.post("/v1/policies/reload", json={"reason": "restrict AAPL pending news"})
            restricted = desk.post("/v1/orders", json=order_body("p-1"))
            policy.write_text(
                policy.read_text().replace('max_daily_notional = "250000000"', "max_daily_notional = 2.5e8")
            )
            refused = risk.post("/v1/policies/reload", json={"reason": "typo"})
            still = risk.get("/v1/policies/current").json()
            by_trader = desk.post("/v1/policies/reload", json={"reason": "x"})
        loads = api.records(ev.POLICY_LOADED)
    assert reloaded.status_code == 200
    assert reloaded.json()["loaded_by"] == "rest:rofficer"
    assert (
        loads[-1]["reason"] == "restrict AAPL pending news" and loads[-1]["triggered_by"] == "rest:rofficer"
    )
    assert restricted.json()["code"] == "RESTRICTED_INSTRUMENT"
    assert refused.status_code == 422
    issue = refused.json()["issues"][0]
    assert issue["field"] == "firm.max_daily_notional" and issue["line"] is not None
    assert still["content_hash"] == reloaded.json()["content_hash"]
    assert by_trader.status_code == 403


def test_dry_run_validates_without_installing(live: LiveApi) -> None:
    good = POLICY.read_text().replace('version = "2026-11-22.1"', 'version = "candidate"')
    bad = good.replace('max_order_quantity = "50000"', "max_order_quantity = -5")
    with live.client("auditor", "compliance") as client:
        valid = client.post(
            "/v1/policies/dry-run", json={"content": good, "filename": "candidate.toml"}
        ).json()
        invalid = client.post(
            "/v1/policies/dry-run", json={"content": bad, "filename": "candidate.toml"}
        ).json()
        in_force = client.get("/v1/policies/current").json()
    assert valid == {
        "valid": True,
        "content_hash": hashlib.sha256(good.encode()).hexdigest(),
        "version": "candidate",
        "issues": [],
    }
    assert invalid["valid"] is False
    assert invalid["issues"][0]["file"] == "candidate.toml"
    assert invalid["issues"][0]["field"] == "accounts[0].max_order_quantity"
    assert invalid["issues"][0]["line"] == bad.splitlines().index("max_order_quantity = -5") + 1
    assert in_force["version"] == "2026-11-22.1"


def test_audit_verify_records_and_export_for_compliance_only(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        desk.post("/v1/orders", json=order_body("a-1"))
        forbidden = desk.get("/v1/audit/verify")
    head = live.gateway.audit.head()[0]
    with live.client("auditor", "compliance") as compliance:
        verified = compliance.get("/v1/audit/verify").json()
        ranged = compliance.get("/v1/audit/verify", params={"start_seq": 2, "end_seq": 3}).json()
        page = compliance.get("/v1/audit/records", params={"event_type": ev.ORDER_ACCEPTED}).json()
        export = compliance.get("/v1/audit/export", params={"start_seq": 1, "end_seq": 3})
    assert forbidden.status_code == 403
    assert verified["ok"] is True and verified["last_seq"] >= head and verified["fault"] is None
    assert (ranged["first_seq"], ranged["last_seq"], ranged["records"]) == (2, 3, 2)
    assert [r["payload"]["cl_ord_id"] for r in page["records"]] == ["a-1"]
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert export.headers["content-type"] == "application/x-ndjson"
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert lines[1]["prev_hash"] == lines[0]["record_hash"]


def test_audit_verify_names_a_tampered_record(live: LiveApi) -> None:
    audit = live.gateway.audit
    assert isinstance(audit, MemoryAuditLog)
    record = audit._records[1]
    audit._records[1] = type(record)(
        record.seq,
        record.ts,
        record.event_type,
        {**record.payload, "tampered": True},
        record.prev_hash,
        record.record_hash,
    )
    with live.client("auditor", "compliance") as compliance:
        verified = compliance.get("/v1/audit/verify").json()
    assert verified["ok"] is False
    assert verified["fault"]["seq"] == 2 and verified["fault"]["kind"] == "hash_mismatch"


def test_readiness_fails_while_the_audit_store_is_down_or_no_policy_is_loaded(tmp_path: Path) -> None:
    audit = MemoryAuditLog()
    with live_api(tmp_path / "ok", audit=audit) as api, api.client() as anonymous:
        ready = anonymous.get("/readyz")
        audit.available = False
        down = anonymous.get("/readyz")
        alive = anonymous.get("/healthz")
        audit.available = True
    invalid = policy_variant(tmp_path, ('version = "2026-11-22.1"', "version = 1.5"))
    with (
        live_api(tmp_path / "nopolicy", audit=MemoryAuditLog(), policy=invalid) as api,
        api.client() as anonymous,
    ):
        no_policy = anonymous.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert down.status_code == 503 and down.json()["code"] == "AUDIT_UNAVAILABLE"
    assert alive.status_code == 200
    assert no_policy.status_code == 503 and no_policy.json()["code"] == "POLICY_UNAVAILABLE"


def test_metrics_count_orders_by_outcome_and_code_and_show_the_kill_switch(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        desk.post("/v1/orders", json=order_body("m-1"))
        desk.post("/v1/orders", json=order_body("m-2", symbol="TSLA", limit_price="350.00"))
        desk.post("/v1/orders", json=order_body("m-3", account="ACC-HOUSE"))  # 403
    with live.client("rofficer", "risk_officer") as risk:
        risk.post("/v1/kill-switch/engage", json={"scope": "strategy", "target": "twap-1", "reason": "check"})
    text = live.client().get("/metrics").text
    assert 'gateway_orders_total{channel="REST",code="",outcome="accepted"} 1.0' in text
    assert 'gateway_orders_total{channel="REST",code="RESTRICTED_INSTRUMENT",outcome="denied"} 1.0' in text
    assert 'gateway_http_access_denied_total{status="403"} 1.0' in text
    assert 'gateway_kill_switch_engaged{mode="HALT",scope="strategy",target="twap-1"} 1.0' in text
    assert "gateway_chain_seconds_count 2.0" in text
    # one order in 64 is timed check by check, starting with the first
    assert 'gateway_check_seconds_count{check="kill_switch"} 1.0' in text
    assert 'gateway_check_seconds_count{check="self_trade"} 1.0' in text
    assert "gateway_audit_available 1.0" in text


def test_metrics_show_how_far_the_durable_audit_store_is_behind(tmp_path: Path) -> None:
    with live_api(tmp_path) as durable:  # the embedded default: SQLite, synchronous=FULL
        with durable.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            assert desk.post("/v1/orders", json=order_body("lat-1")).status_code == 201
        text = durable.client().get("/metrics").text
    assert "gateway_audit_backlog 0.0" in text  # everything answered was durable
    p99 = next(line for line in text.splitlines() if line.startswith("gateway_audit_append_p99_seconds "))
    assert 0 < float(p99.split()[1]) < 5


def test_metrics_count_cancels_and_replaces_by_outcome_and_code(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        order_id = desk.post("/v1/orders", json=order_body("am-1")).json()["order_id"]
        too_big = {"cl_ord_id": "am-1-a", "quantity": "40000"}
        assert desk.post(f"/v1/orders/{order_id}/replace", json=too_big).status_code == 422
        assert desk.post(f"/v1/orders/{order_id}/cancel").status_code == 202
        assert desk.post(f"/v1/orders/{order_id}/cancel").status_code == 409
    text = live.client().get("/metrics").text
    series = 'gateway_amends_total{channel="REST",code="%s",kind="%s",outcome="%s"} 1.0'
    assert series % ("NOTIONAL_EXCEEDS_MAX_PER_ORDER", "replace", "denied") in text
    assert series % ("", "cancel", "accepted") in text
    assert series % ("ORDER_NOT_WORKING", "cancel", "denied") in text


def test_export_from_a_signed_store_is_the_regulator_export_verifiable_offline(tmp_path: Path) -> None:
    from audit.checkpoint import Ed25519Signer
    from audit.export import verify_export
    from audit.factory import open_sql_audit_log
    from audit.sql_store import CheckpointPolicy
    from gateway.secrets import CHECKPOINT_KEY, FileSecretsProvider

    # the gateway's own checkpoint key (its secrets directory), so /v1/audit/verify can check the signatures
    key = FileSecretsProvider(tmp_path / "data" / "secrets").get_or_create_ed25519_key(CHECKPOINT_KEY)
    store = open_sql_audit_log(
        f"sqlite:///{tmp_path / 'audit.db'}",
        checkpoints=CheckpointPolicy(Ed25519Signer(key), every=None, interval=None),
    )
    with live_api(tmp_path / "data", audit=store) as api:
        with api.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
            desk.post("/v1/orders", json=order_body("e-1"))
        with api.client("auditor", "compliance") as compliance:
            jsonl = compliance.get("/v1/audit/export", params={"start_seq": 2, "end_seq": 5})
            csv_text = compliance.get(
                "/v1/audit/export", params={"start_seq": 2, "end_seq": 5, "format": "csv"}
            ).text
            beyond = compliance.get("/v1/audit/export", params={"start_seq": 10_000})
            verified = compliance.get("/v1/audit/verify").json()
    path = tmp_path / "export.jsonl"
    path.write_bytes(jsonl.content)
    result = verify_export(path, key.public_key())
    assert [line["type"] for line in map(json.loads, jsonl.text.splitlines())][:3] == [
        "header",
        "checkpoint",
        "range_proof",
    ]
    assert result.ok and result.signatures_checked
    assert csv_text.splitlines()[0] == "seq,ts,event_type,retention,payload,prev_hash,record_hash"
    assert [row.split(",")[0] for row in csv_text.splitlines()[1:5]] == ["2", "3", "4", "5"]
    assert beyond.status_code == 404
    assert verified["ok"] and verified["method"].startswith("audit.verify_store")
    assert "checkpoint signatures" in verified["method"]
