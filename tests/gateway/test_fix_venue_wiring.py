"""FIX venues from the session config sit beside the simulated venue, behind the router."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from audit.factory import open_audit_log
from audit.memory import MemoryAuditLog
from fix.venue import FixVenue
from gateway.app import build_gateway
from gateway.server import _fix_venues, _LateJournal
from gateway.settings import Settings
from risk_controls import events as ev
from tests.gateway.conftest import POLICY, ROOT, XVENUE_SESSION, order

CONFIG = (ROOT / "deploy" / "fix" / "gateway.cfg").read_text() + XVENUE_SESSION


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("GATEWAY_SECRET_XVENUE_FIX", "venue-password")
    config = tmp_path / "fix.cfg"
    config.write_text(CONFIG)
    return Settings(data_dir=tmp_path / "var", policy_path=POLICY, fix_config=config)


def test_initiator_sessions_become_venues_with_their_password_from_the_secrets_provider(
    settings: Settings,
) -> None:
    venues = _fix_venues(settings, _LateJournal())
    assert list(venues) == ["XVENUE"]
    venue = venues["XVENUE"]
    assert isinstance(venue, FixVenue)
    session = venue.initiator.session(venue.session_id)
    assert session is not None
    assert session._password == "venue-password"


def test_an_order_naming_the_fix_venue_goes_there_through_the_whole_chain(settings: Settings) -> None:
    gateway = build_gateway(
        settings, audit=MemoryAuditLog(), extra_venues=_fix_venues(settings, _LateJournal())
    )

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("fv-1", symbol="JPM", price="240.00", venue="XVENUE"))
        assert result.accepted
        routed = [dict(r.payload) for r in gateway.audit.read() if r.event_type == ev.ORDER_ROUTED]
        assert routed[-1]["venue"] == "XVENUE"
        await asyncio.sleep(0.01)
        # not logged on: the venue rejects at once instead of queueing the order
        reports = [dict(r.payload) for r in gateway.audit.read() if r.event_type == ev.EXECUTION]
        assert reports[-1]["exec_type"] == "REJECTED" and reports[-1]["order_id"] == result.order_id
        default = await gateway.pipeline.submit(order("fv-2", symbol="JPM", price="239.00"))
        assert default.accepted and gateway.pipeline.state.orders[default.order_id].venue == "SIM"

    asyncio.run(scenario())


def test_orders_working_at_an_external_venue_survive_a_restart(settings: Settings) -> None:
    url = f"sqlite:///{settings.data_dir / 'audit.db'}"
    settings.data_dir.mkdir(parents=True)
    venues = _fix_venues(settings, _LateJournal())
    venues["XVENUE"].submit = lambda routed: None  # type: ignore[method-assign]  # it took the order, no answer yet
    gateway = build_gateway(settings, audit=open_audit_log(url), extra_venues=venues)

    async def place() -> str:
        result = await gateway.pipeline.submit(order("fv-3", symbol="JPM", price="240.00", venue="XVENUE"))
        sim = await gateway.pipeline.submit(order("fv-4", symbol="KO", price="62.00"))
        assert result.accepted and sim.accepted
        return result.order_id

    fix_order = asyncio.run(place())
    gateway.close()
    again = build_gateway(
        settings, audit=open_audit_log(url), extra_venues=_fix_venues(settings, _LateJournal())
    )
    try:
        working = {w.order_id: w.venue for w in again.pipeline.state.working_orders()}
        assert working == {
            fix_order: "XVENUE"
        }  # the simulated venue's order expired, the FIX one still works
        assert again.pipeline.router.is_placed(fix_order)
    finally:
        again.close()
