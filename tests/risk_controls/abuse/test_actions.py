"""What the pipeline does with an alert: the per-account action, the block denial, the record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from risk_controls.abuse import (
    LAYERING,
    MOMENTUM_IGNITION,
    AbuseAlert,
    AbuseMonitors,
    action_for,
    blocked_denial,
)
from risk_controls.domain import DenyCode, Side
from risk_controls.events import abuse_alert_payload
from risk_controls.policy.loader import load_policy_file
from risk_controls.policy.schema import Policy
from tests.risk_controls.abuse.conftest import REFERENCE, START, abuse_policy, order

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sample_policy() -> Policy:
    return load_policy_file(ROOT / "policies" / "default.toml").policy


def _policy_with(default_action: str, account_action: str | None) -> Policy:
    account: dict[str, Any] = {
        "id": "A",
        "max_order_quantity": "1",
        "max_order_notional": "1",
        "max_daily_notional": "1",
        "max_gross_exposure": "1",
        "max_position": "1",
        "abuse_action": account_action,
    }
    return Policy.model_validate(
        {
            "version": "t",
            "firm": {
                "id": "F",
                "name": "F",
                "lei": "X",
                "max_daily_notional": "1",
                "max_gross_exposure": "1",
            },
            "accounts": [account],
            "abuse": {"default_action": default_action},
        }
    )


@pytest.mark.parametrize(
    ("default", "account", "expected"),
    [
        ("alert", None, "alert"),
        ("block", None, "block"),
        ("alert", "block", "block"),
        ("block", "alert", "alert"),
    ],
)
def test_account_choice_wins_over_the_policy_default(
    default: str, account: str | None, expected: str
) -> None:
    policy = _policy_with(default, account)
    assert action_for(policy, policy.account("A")) == expected


def test_unknown_account_gets_the_policy_default() -> None:
    assert action_for(_policy_with("block", "alert"), None) == "block"


def test_sample_policy_actions(sample_policy: Policy) -> None:
    assert action_for(sample_policy, sample_policy.account("ACC-MSFT-TSY")) == "block"
    assert action_for(sample_policy, sample_policy.account("ACC-APPLE-TSY")) == "alert"
    assert action_for(sample_policy, sample_policy.account("ACC-HOUSE")) == "alert"  # the default


def _momentum_alert(monitors: AbuseMonitors, account: str = "ACC-1") -> AbuseAlert:
    alerts: list[AbuseAlert] = []
    for i in range(16):
        when = START + timedelta(milliseconds=i)
        alerts += monitors.on_order(f"{account}-{i}", order(Side.BUY, None, account=account), when, REFERENCE)
    assert len(alerts) == 1
    return alerts[0]


def test_alert_payload_is_the_audit_record_shape() -> None:
    alert = _momentum_alert(AbuseMonitors(abuse_policy()))
    payload = alert.to_payload("block", "ord-9")
    assert payload == abuse_alert_payload(
        MOMENTUM_IGNITION, "ACC-1", "AAPL", "BLOCK", "ord-9", alert.message, dict(alert.metrics)
    )
    assert alert.to_payload("alert", None)["action"] == "ALERT"
    for value in payload["metrics"].values():
        Decimal(value)  # every metric is a decimal string


def test_block_denial_names_the_monitors() -> None:
    alert = _momentum_alert(AbuseMonitors(abuse_policy()))
    layering = AbuseAlert(LAYERING, alert.account, alert.symbol, "m", {})
    denial = blocked_denial([alert, layering])
    assert denial.code is DenyCode.MARKET_ABUSE_BLOCKED
    assert denial.context_dict() == {
        "monitor": f"{LAYERING},{MOMENTUM_IGNITION}",
        "account": "ACC-1",
        "symbol": "AAPL",
    }
    with pytest.raises(ValueError, match="at least one"):
        blocked_denial([])


def test_active_alerts_last_one_window_for_that_account_and_symbol() -> None:
    monitors = AbuseMonitors(abuse_policy())
    alert = _momentum_alert(monitors)
    raised_at = START + timedelta(milliseconds=15)
    assert monitors.active_alerts("ACC-1", "AAPL", raised_at) == [alert]
    almost = raised_at + timedelta(milliseconds=1000) - timedelta(microseconds=1)
    assert monitors.active_alerts("ACC-1", "AAPL", almost) == [alert]
    assert monitors.active_alerts("ACC-1", "AAPL", raised_at + timedelta(milliseconds=1000)) == []
    assert monitors.active_alerts("ACC-1", "MSFT", raised_at) == []
    assert monitors.active_alerts("ACC-2", "AAPL", raised_at) == []


def test_idle_windows_are_swept_so_memory_stays_bounded() -> None:
    monitors = AbuseMonitors(abuse_policy())
    for i in range(9000):  # more than one sweep interval, one account+symbol each
        when = START + timedelta(seconds=i)
        monitors.on_order(f"o{i}", order(Side.BUY, None, account=f"ACC-{i}"), when, REFERENCE)
        monitors.forget(f"o{i}")
    # the sweep after 8,192 events kept only the last 10 s; 808 more arrived since
    assert monitors.tracked_windows <= 2 * (9000 - 8192 + 10)
