"""Retention classes and legal holds live in the log; nothing deletes or alters a record."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.retention import (
    active_holds,
    place_legal_hold,
    release_legal_hold,
    retention_status,
    retention_until,
)
from audit.sql_store import SqlAuditLog
from tests.audit.test_contract import assert_chain

AUDIT = Path(__file__).resolve().parents[2] / "audit"


def test_records_default_to_six_years_and_may_carry_another_class(store: SqlAuditLog) -> None:
    default = store.append("e", {}).result(5)
    short = store.append("e", {}, retention="3y").result(5)
    explicit_default = store.append("e", {}, retention="6y").result(5)

    assert retention_status(store, default.seq).retention == "6y"
    assert retention_status(store, short.seq).retention == "3y"
    assert explicit_default.retention is None  # one encoding per class
    with pytest.raises(ValueError):
        store.append("e", {}, retention="forever")


def test_retention_is_counted_from_the_record_time() -> None:
    assert retention_until("2026-11-22T16:48:32.123456Z", None) == datetime(
        2032, 11, 22, 16, 48, 32, 123456, tzinfo=UTC
    )
    assert retention_until("2024-02-29T00:00:00.000000Z", "3y") == datetime(2027, 2, 28, tzinfo=UTC)


def test_legal_holds_are_records_that_keep_records_past_retention(store: SqlAuditLog) -> None:
    for n in range(20):
        store.append("order.accepted", {"n": n})
    hold = place_legal_hold(
        store, "H-1", reason="SEC inquiry", actor="compliance@firm", first_seq=5, last_seq=10
    ).result(5)
    later = datetime(2100, 1, 1, tzinfo=UTC)

    held = retention_status(store, 7)
    free = retention_status(store, 11)

    assert hold.event_type == "audit.legal_hold"
    assert held.held_by == ("H-1",) and not held.may_leave_primary_storage(later)
    assert free.held_by == () and free.may_leave_primary_storage(later)
    assert not free.may_leave_primary_storage(datetime(2027, 1, 1, tzinfo=UTC))

    release_legal_hold(store, "H-1", reason="inquiry closed", actor="compliance@firm").result(5)

    assert active_holds(store) == []
    assert retention_status(store, 7).may_leave_primary_storage(later)
    assert_chain(list(store.read()))  # both hold records are chained like any other


def test_no_code_path_deletes_or_alters_a_record() -> None:
    """The only UPDATE/DELETE/TRUNCATE words in the package are the triggers that refuse them."""
    statement = re.compile(
        r"\b(UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE\s+(TABLE\s+)?audit|DROP\s+(TABLE|TRIGGER))", re.I
    )
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(AUDIT.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if statement.search(line)
    ]
    guards = (AUDIT / "migrations.py").read_text()

    assert offenders == []
    assert "BEFORE UPDATE OR DELETE" in guards and "BEFORE TRUNCATE" in guards
