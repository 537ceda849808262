"""Denials, kill-switch, policy-change and abuse reports against the records of the day."""

from __future__ import annotations

from collections import Counter

from risk_controls import events as ev
from tests.reporting.conftest import Generated
from tests.reporting.daylog import POLICY_V1


def test_denials_one_row_per_denial_and_counts_by_code(generated: Generated) -> None:
    rows = generated.csv("denials")
    records = list(generated.of(ev.ORDER_DENIED, ev.CANCEL_DENIED, ev.REPLACE_DENIED))
    assert [int(r["seq"]) for r in rows] == [r.seq for r in records]
    assert Counter((r["control"], r["code"]) for r in rows) == Counter(
        (r.payload["denial"]["control"], r.payload["denial"]["code"]) for r in records
    )
    assert Counter(r["request"] for r in rows) == Counter(
        {"NEW": len(list(generated.of(ev.ORDER_DENIED))),
         "CANCEL": len(list(generated.of(ev.CANCEL_DENIED))),
         "REPLACE": len(list(generated.of(ev.REPLACE_DENIED)))}
    )
    assert all(r["account"] for r in rows)  # a refused cancel takes its account from the request
    notional = next(r for r in rows if r["code"] == "NOTIONAL_EXCEEDS_MAX_PER_ORDER")
    assert notional["context"] == "max=2000000; notional=1260000"
    assert notional["symbol"] == "NVDA" and notional["quantity"] == "9000"


def test_denials_pdf_states_the_counts(generated: Generated) -> None:
    text = generated.pdf_text("denials")
    total = len(list(generated.of(ev.ORDER_DENIED, ev.CANCEL_DENIED, ev.REPLACE_DENIED)))
    assert f"Denials in the period {total}" in text
    credit = sum(
        1 for r in generated.of(ev.ORDER_DENIED)
        if r.payload["denial"]["code"] == "CREDIT_LIMIT_EXCEEDED"
    )
    assert f"credit_limit CREDIT_LIMIT_EXCEEDED {credit}" in text


def test_kill_switch_log_pairs_release_with_engagement(generated: Generated) -> None:
    rows = generated.csv("kill-switch")
    (engaged,) = generated.of(ev.KILL_ENGAGED)
    (released,) = generated.of(ev.KILL_RELEASED)
    assert [r["event"] for r in rows] == ["ENGAGED", "RELEASED"]
    first, second = rows
    assert first["cancelled_order_ids"].split() == engaged.payload["cancelled_order_ids"]
    assert first["actor"] == engaged.payload["actor"] and first["scope"] == "account"
    assert second["approved_by"] == released.payload["approved_by"]
    assert second["engaged_seq"] == str(engaged.seq)
    assert second["engaged_seconds"] == "1800.000000"
    text = generated.pdf_text("kill-switch")
    assert "Kill-switch engagements 1" in text and "Orders cancelled by engagements 2" in text


def test_policy_change_log_diffs_against_the_version_loaded_the_day_before(
    generated: Generated,
) -> None:
    rows = generated.csv("policy-changes")
    assert [r["event"] for r in rows] == ["LOADED", "REJECTED"]
    loaded, rejected = rows
    (record,) = generated.of(ev.POLICY_LOADED)
    assert loaded["policy_hash"] == record.payload["policy_hash"]
    assert loaded["previous_hash"] == record.payload["previous_hash"]
    assert loaded["parameters_changed"] == "3"
    assert "accounts[ACC-MSFT-TSY].max_order_notional: 1000000 -> 2000000" in (
        loaded["parameter_changes"]
    )
    assert '-max_order_notional = "1000000"' in loaded["diff"]
    assert loaded["reason"] == record.payload["reason"]
    assert "firm.collar.percent" in rejected["errors"]
    manifest = generated.out / (generated.file("policy-changes", "csv").name + ".manifest.json")
    import json

    context = json.loads(manifest.read_text())["context_records"]
    before = next(r for r in generated.sample.log.read() if r.event_type == ev.POLICY_LOADED)
    assert context == [{"seq": before.seq, "record_hash": before.record_hash}]
    assert before.payload["content"] == POLICY_V1


def test_abuse_alerts(generated: Generated) -> None:
    rows = generated.csv("abuse-alerts")
    records = list(generated.of(ev.ABUSE_ALERT))
    assert [(r["monitor"], r["action"], r["order_id"]) for r in rows] == [
        (r.payload["monitor"], r.payload["action"], r.payload["order_id"]) for r in records
    ]
    layering = next(r for r in rows if r["monitor"] == "layering")
    assert layering["metrics"] == "levels=3; orders=8; otr=9.5"
    text = generated.pdf_text("abuse-alerts")
    assert f"Alerts {len(records)}" in text and "Orders denied SELF_TRADE_PREVENTED 1" in text


def test_annual_review_counts_every_denial_per_control(generated: Generated) -> None:
    rows = generated.csv("annual-review")
    denied = {
        r["item"]: int(r["value"]) for r in rows
        if r["section"] == "controls" and r["metric"] == "denied"
    }
    expected = Counter(
        r.payload["denial"]["control"]
        for r in generated.of(ev.ORDER_DENIED, ev.CANCEL_DENIED, ev.REPLACE_DENIED)
    )
    assert {k: v for k, v in denied.items() if v} == dict(expected)
    params = {r["item"]: r["value"] for r in rows if r["section"] == "parameters_at_end"}
    assert params["accounts[ACC-MSFT-TSY].max_order_notional"] == "2000000"
    assert params["firm.collar.percent"] == "3"
    versions = {r["item"] for r in rows if r["section"] == "policy_versions"}
    assert len(versions) == 2  # the one in force at the start and the one loaded that day
    text = generated.pdf_text("annual-review")
    assert "Kill-switch engagements 1" in text and "CEO certification" in text
