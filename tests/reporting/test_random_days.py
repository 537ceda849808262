"""Property: the reports of a random trading day, made from the audit log alone, agree with
what the pipeline told the desks, and each one verifies against the log.

The day runs through the real pipeline (control chain, kill switches, simulated venue
fills, cancels and replaces). The reports are a second, independent reading of the same
records: the blotter's last version of each order has the filled quantity and status the
desk was last told, the trade blotter's fills add up to it, and every denied order is in
the blotter and the denials report.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.memory import MemoryAuditLog
from reporting import generate_report, verify_report
from risk_controls.domain.clock import ManualClock
from risk_controls.entry import OrderUpdate
from tests.gateway.conftest import make_gateway
from tests.gateway.random_day import START, Played, Step, play, steps, ticking
from tests.reporting.conftest import read_csv

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
FILLS = {"PARTIAL_FILL", "FILL"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps(max_quantity=3000, new_weight=5), min_size=20, max_size=40))
def test_the_reports_of_a_random_day_agree_with_the_desks_view(day_steps: list[Step]) -> None:
    clock = ManualClock(START)
    with tempfile.TemporaryDirectory() as tmp:
        gateway, _ = make_gateway(Path(tmp), MemoryAuditLog(now=ticking(clock)), clock)
        told: dict[str, OrderUpdate] = {}  # the last update each order's desk was sent

        def listener(update: OrderUpdate) -> None:
            told[update.order_id] = update

        gateway.pipeline.subscribe(listener)

        async def day() -> Played:
            played = await play(gateway, clock, day_steps)
            await asyncio.sleep(0.01)  # updates are published once their records are durable
            return played

        played = asyncio.run(day())
        out = Path(tmp) / "reports"
        reported = START.date()
        paths = generate_report("all", gateway.audit, reported, reported, "both", out, KEY)
        reports = [p for p in paths if p.suffix in (".csv", ".pdf")]
        assert len(reports) == 17  # nine reports as CSV, eight as PDF (MiFID II is CSV only)

        blotter = read_csv(out / f"order-blotter_{reported.isoformat()}.csv")
        last: dict[str, dict[str, str]] = {}
        for row in blotter:
            if row["order_id"] not in last or int(row["version"]) > int(last[row["order_id"]]["version"]):
                last[row["order_id"]] = row
        for order_id, update in told.items():
            row = last[order_id]
            assert Decimal(row["cum_qty"]) == update.cum_qty, order_id
            assert Decimal(row["leaves_qty"]) == update.leaves_qty, order_id
            if not update.status.is_working:
                assert row["status"] == update.status.value, order_id
        assert {o for o, row in last.items() if row["status"] == "DENIED"} == played.denied_ids

        filled: defaultdict[str, Decimal] = defaultdict(Decimal)
        for fill in read_csv(out / f"trade-blotter_{reported.isoformat()}.csv"):
            if fill["exec_type"] in FILLS:
                filled[fill["order_id"]] += Decimal(fill["last_qty"])
        assert {o: q for o, q in filled.items() if q} == {o: u.cum_qty for o, u in told.items() if u.cum_qty}

        denials = read_csv(out / f"denials_{reported.isoformat()}.csv")
        assert {d["order_id"] for d in denials if d["request"] == "NEW"} == played.denied_ids

        for report in reports:
            if report.suffix == ".csv" or report.name.startswith("order-blotter"):
                verification = verify_report(report, gateway.audit)
                assert verification.ok, (report.name, verification.problems)
        gateway.close()
