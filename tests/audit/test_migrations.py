"""Versioned migrations: applied once, in order; a store refuses an unknown schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from audit.api import AuditUnavailable
from audit.engines import sqlite_engine
from audit.factory import open_sql_audit_log
from audit.migrations import LATEST, STEPS, migrate, schema_version
from tests.audit.conftest import StoreTarget


def test_migrations_apply_once_in_order(target: StoreTarget) -> None:
    target.open().close()
    engine = target.owner_engine()
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT version, name FROM audit_schema_version ORDER BY version"
            ).all()
            log_ids = conn.exec_driver_sql("SELECT value FROM audit_meta WHERE key = 'log_id'").all()
    finally:
        engine.dispose()

    assert [tuple(r) for r in rows] == [(s.version, s.name) for s in STEPS]
    assert len(log_ids) == 1
    reopened = target.open()  # migrating again is a no-op
    assert reopened.log_id == log_ids[0][0]


def test_a_store_will_not_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    with pytest.raises(AuditUnavailable, match="not migrated"):
        open_sql_audit_log(url, migrate_schema=False)


def test_migrate_reports_the_version_it_found(tmp_path: Path) -> None:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        assert schema_version(engine) == 0
        assert migrate(engine) == 0
        assert migrate(engine) == LATEST
        assert schema_version(engine) == LATEST
    finally:
        engine.dispose()


def test_a_newer_schema_than_the_code_knows_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    open_sql_audit_log(url).close()
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_schema_version (version, name, applied_at) "
            f"VALUES ({LATEST + 1}, 'from the future', '2030-01-01T00:00:00.000000Z')"
        )
    engine.dispose()

    with pytest.raises(AuditUnavailable, match="schema"):
        open_sql_audit_log(url, migrate_schema=False)
