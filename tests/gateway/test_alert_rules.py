"""The alerting rules shipped in deploy/ name only metrics the gateway exports: an alert on a
misspelt or renamed series never fires, and nobody notices until the outage it was for."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the dev set; only safe_load is used

from gateway.app import build_gateway
from gateway.metrics import GatewayMetrics
from gateway.server import _fix_venues, _LateJournal
from gateway.settings import Settings
from tests.gateway.conftest import POLICY, ROOT, order
from tests.gateway.test_fix_venue_wiring import CONFIG

RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"


def exported_names(text: str) -> set[str]:
    """Metric names in a scrape: families (HELP/TYPE lines) and samples."""
    names = set()
    for line in text.splitlines():
        if line.startswith(("# HELP ", "# TYPE ")):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_every_metric_an_alert_names_is_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_SECRET_XVENUE_FIX", "venue-password")
    config = tmp_path / "fix.cfg"
    config.write_text(CONFIG)
    settings = Settings(data_dir=tmp_path / "var", policy_path=POLICY, fix_config=config)
    venues = _fix_venues(settings, _LateJournal())
    gateway = build_gateway(settings, extra_venues=venues)  # the embedded default: durable SQLite
    gateway.fix_engines.extend(venue.initiator for venue in venues.values())
    try:
        assert asyncio.run(gateway.pipeline.submit(order("al-1"))).accepted
        scraped = exported_names(GatewayMetrics(gateway).render().decode())
    finally:
        gateway.close()

    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    assert len(rules) >= 8
    for rule in rules:
        named = set(re.findall(r"\bgateway_[a-z0-9_]+", rule["expr"]))
        assert named, f"{rule['alert']} names no gateway metric"
        assert named <= scraped, f"{rule['alert']} names {sorted(named - scraped)}, which /metrics lacks"
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
