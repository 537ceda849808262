"""/v1/reports over real HTTP: compliance generates, downloads and verifies signed reports."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import httpx

from gateway.api.access import ACCESS_DENIED
from gateway.api.report_runs import ReportRuns
from gateway.api.routes.reports import REPORT_GENERATED
from reporting.manifest import public_key_hex
from tests.api.conftest import LiveApi, order_body


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _place_orders(live: LiveApi, *cl_ord_ids: str) -> list[str]:
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        answers = [  # different quantities: the duplicate-order control refuses identical tickets
            desk.post("/v1/orders", json=order_body(cl, quantity=str(100 + i)))
            for i, cl in enumerate(cl_ord_ids)
        ]
    assert [a.status_code for a in answers] == [201] * len(cl_ord_ids)
    return [a.json()["order_id"] for a in answers]


def _compliance(live: LiveApi) -> httpx.Client:
    client = live.client("auditor", "compliance")
    client.timeout = httpx.Timeout(60)
    return client


def test_a_trader_may_not_generate_or_download_and_the_refusal_is_audited(live: LiveApi) -> None:
    with live.client("jsmith", "trader", accounts=("*",)) as desk:
        refused = desk.post("/v1/reports", json={"name": "order-blotter", "from": _today(), "to": _today()})
        download = desk.get("/v1/reports/20261123T180000Z-0123456789ab/x.csv")
    with live.client() as anonymous:
        unauthenticated = anonymous.post(
            "/v1/reports", json={"name": "order-blotter", "from": _today(), "to": _today()}
        )
    assert refused.status_code == 403 and download.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert unauthenticated.status_code == 401
    denials = [d for d in live.records(ACCESS_DENIED) if d["path"].startswith("/v1/reports")]
    assert [(d["status"], d["subject"]) for d in denials] == [(403, "jsmith"), (403, "jsmith"), (401, None)]
    assert not (live.gateway.settings.data_dir / "reports").exists()


def test_compliance_generates_an_order_blotter_csv_downloads_it_and_finds_the_orders(live: LiveApi) -> None:
    order_ids = _place_orders(live, "rep-1", "rep-2")
    with _compliance(live) as client:
        created = client.post(
            "/v1/reports", json={"name": "order-blotter", "from": _today(), "to": _today(), "format": "csv"}
        )
        assert created.status_code == 201, created.text
        run = created.json()
        (entry,) = run["files"]
        body = client.get(entry["url"])
        signature = client.get(entry["signature_url"])
        manifest = client.get(entry["manifest_url"])
        listed = client.get(created.headers["location"])
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.text)))
    assert [r["order_id"] for r in rows] == order_ids
    assert [r["cl_ord_id"] for r in rows] == ["rep-1", "rep-2"]
    assert {r["account"] for r in rows} == {"ACC-APPLE-TSY"}
    # the manifest stamps what the file is and what it was built from
    assert entry["report"] == "order-blotter" and entry["format"] == "csv"
    assert entry["sha256"] == hashlib.sha256(body.content).hexdigest() == manifest.json()["sha256"]
    assert entry["csv_rows"] == 2
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert entry["period"] == {
        "start": day.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "end": (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
    }
    records = list(live.gateway.audit.read())
    accepted = [r.seq for r in records if r.event_type == "order.accepted"]
    assert entry["audit_range"]["first_seq"] == 1
    assert entry["audit_range"]["last_seq"] >= max(accepted)
    last = entry["audit_range"]["last_seq"]
    assert entry["audit_range"]["head_hash"] == records[last - 1].record_hash
    assert entry["chain"]["verified"] is True
    assert entry["manifest"] == manifest.json()
    # the detached signature is by the gateway's report-signing key, over the file's digest
    public = ReportRuns(
        live.gateway
    ).signing_key.public_key()  # the key kept as a secret, not the manifest's word
    public.verify(signature.content, hashlib.sha256(body.content).digest())
    assert entry["manifest"]["signature"]["public_key"] == public_key_hex(public)
    assert listed.status_code == 200 and listed.json() == run
    # and the generation itself is in the audit log, with who asked and what was handed out
    (generated,) = live.records(REPORT_GENERATED)
    assert generated["run_id"] == run["run_id"] and generated["requested_by"] == "auditor"
    assert generated["files"] == [{"file": entry["file"], "sha256": entry["sha256"]}]


def test_a_pdf_is_a_real_pdf_and_verifies_against_the_live_log(live: LiveApi) -> None:
    _place_orders(live, "pdf-1")
    with _compliance(live) as client:
        created = client.post(
            "/v1/reports",
            json={
                "name": "order-blotter",
                "from": _today(),
                "to": _today(),
                "format": "both",
                "paper": "LETTER",
            },
        )
        assert created.status_code == 201, created.text
        files = {f["format"]: f for f in created.json()["files"]}
        pdf = client.get(files["pdf"]["url"])
        verified = client.get(files["pdf"]["verify_url"]).json()
        csv_verified = client.get(files["csv"]["verify_url"]).json()
    assert set(files) == {"csv", "pdf"}
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert files["pdf"]["paper"] == "LETTER"
    assert verified["ok"] is True and verified["problems"] == []
    assert any("same bytes" in check for check in verified["checks"])
    assert csv_verified["ok"] is True


def test_invalid_requests_are_422_problems_naming_the_field(live: LiveApi) -> None:
    today = _today()
    base = {"name": "order-blotter", "from": today, "to": today}
    cases = {
        "body.name": {**base, "name": "everything"},
        "body.to": {**base, "from": "2026-11-23", "to": "2026-11-22"},
        "body.format": {**base, "format": "xlsx"},
    }
    with _compliance(live) as client:
        answers = {field: client.post("/v1/reports", json=body) for field, body in cases.items()}
        empty_interval = client.post(
            "/v1/reports", json={**base, "from": "2026-11-23T10:00:00Z", "to": "2026-11-23T10:00:00Z"}
        )
        too_long = client.post("/v1/reports", json={**base, "from": "2000-01-01", "to": "2026-01-01"})
        past_the_calendar = client.post("/v1/reports", json={**base, "to": "9999-12-31"})
        naive = client.post("/v1/reports", json={**base, "from": "2026-11-23T10:00:00"})
        pdf_of_csv_only = client.post(
            "/v1/reports", json={**base, "name": "mifid-transactions", "format": "pdf"}
        )
    for field, answer in answers.items():
        assert answer.status_code == 422, field
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    for answer in (empty_interval, too_long, past_the_calendar):
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["body.to"]
    assert naive.status_code == 422
    assert pdf_of_csv_only.status_code == 422
    assert [e["field"] for e in pdf_of_csv_only.json()["errors"]] == ["body.format"]
    assert not (live.gateway.settings.data_dir / "reports").exists()  # nothing was generated


def test_downloads_cannot_leave_the_run_directory(live: LiveApi) -> None:
    data_dir = live.gateway.settings.data_dir
    (data_dir / "secret.txt").write_text("not for download")
    with _compliance(live) as client:
        run = client.post("/v1/reports", json={"name": "integrity", "from": _today(), "to": _today()}).json()
        run_id = run["run_id"]
        (data_dir / "reports" / run_id / "link.csv").symlink_to(data_dir / "secret.txt")
        attempts = [
            f"/v1/reports/{run_id}/..%2F..%2Fsecret.txt",
            f"/v1/reports/{run_id}/%2e%2e",
            f"/v1/reports/{run_id}/.%2e%2F.%2e%2Fsecret.txt",
            "/v1/reports/..%2F..%2F/secret.txt",
            "/v1/reports/%2e%2e/secret.txt",
            f"/v1/reports/{run_id}/link.csv",
            f"/v1/reports/{run_id}/.hidden",
            f"/v1/reports/{run_id}/{run['files'][0]['file']}%00.pdf",
            f"/v1/reports/{run_id}/..%2F..%2Fsecret.txt/verify",
            f"/v1/reports/{run_id}/link.csv/verify",
        ]
        answers = {
            path: client.send(client.build_request("GET", httpx.URL(client.base_url, raw_path=path.encode())))
            for path in attempts
        }
        unknown_run = client.get("/v1/reports/20001123T180000Z-0123456789ab")
        unknown_file = client.get(f"/v1/reports/{run_id}/nothing.csv")
        by_signature = client.get(f"{run['files'][0]['signature_url']}/verify")
        still_served = client.get(run["files"][0]["url"])
    for path, answer in answers.items():
        assert answer.status_code in (404, 422), (path, answer.status_code)
        assert b"not for download" not in answer.content
        assert answer.headers["content-type"] == "application/problem+json", path
    assert unknown_run.status_code == 404 and unknown_file.status_code == 404
    assert by_signature.status_code == 200  # a report's .sig stands for the report it seals
    assert by_signature.json()["file"] == run["files"][0]["file"] and by_signature.json()["ok"] is True
    assert still_served.status_code == 200


def test_with_vault_unreachable_a_report_is_refused_503_and_nothing_is_left_behind(live: LiveApi) -> None:
    """The report-signing key lives in Vault; with Vault down no unsigned report goes out."""
    import socket

    import hvac

    from gateway.secrets import VaultSecretsProvider

    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = hvac.Client(url=f"http://127.0.0.1:{port}", token="t", timeout=1)
    live.gateway.secrets = VaultSecretsProvider(unreachable)
    with _compliance(live) as client:
        answer = client.post("/v1/reports", json={"name": "order-blotter", "from": _today(), "to": _today()})
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "5"
    assert "Vault unreachable" in answer.json()["detail"]
    assert live.records(REPORT_GENERATED) == []
    assert not any((live.gateway.settings.data_dir / "reports").glob("*/*"))
