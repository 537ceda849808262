"""The database itself refuses to change or remove audit records."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError

from audit.migrations import TABLES
from audit.sql_store import SqlAuditLog
from tests.audit.conftest import StoreTarget

CHANGES = {
    "update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
}
COLUMN = {
    "audit_log": "ts",
    "audit_merkle_node": "hash",
    "audit_meta": "value",
    "audit_schema_version": "name",
}


def _filled(store: SqlAuditLog) -> None:
    for n in range(300):  # past 256 records, so a Merkle node row exists too
        store.append("e", {"n": n})
    store.flush(10)


def _try(engine: sqlalchemy.Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    return str(refused.value.orig)


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("table", TABLES)
def test_the_owner_role_is_refused_by_triggers(
    target: StoreTarget, store: SqlAuditLog, table: str, change: str
) -> None:
    _filled(store)
    engine = target.owner_engine()
    try:
        message = _try(engine, CHANGES[change].format(table=table, column=COLUMN[table]))
    finally:
        engine.dispose()

    assert "append-only" in message
    assert store.head()[0] == 300
    assert len(list(store.read())) == 300


@pytest.mark.postgres
@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused_by_trigger_even_for_the_owner(pg_target: StoreTarget, table: str) -> None:
    store = pg_target.open()
    _filled(store)
    engine = pg_target.owner_engine()
    try:
        message = _try(engine, f"TRUNCATE {table}")
    finally:
        engine.dispose()

    assert "append-only" in message
    assert "TRUNCATE" in message
    assert len(list(store.read())) == 300


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET ts = ts",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TABLE audit_log",
        "INSERT INTO audit_meta (key, value) VALUES ('k', 'v')",
    ],
)
def test_the_gateway_role_may_only_insert_and_select(pg_target: StoreTarget, statement: str) -> None:
    store = pg_target.open()
    _filled(store)
    engine = sqlalchemy.create_engine(
        pg_target.url, connect_args={"options": f"-c search_path={pg_target.schema}"}
    )
    try:
        message = _try(engine, statement)
        with engine.connect() as conn:  # and it can still read
            count = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
    finally:
        engine.dispose()

    assert "permission denied" in message or "must be owner" in message
    assert count == 300


@pytest.mark.postgres
def test_the_store_itself_connects_as_the_gateway_role(pg_target: StoreTarget) -> None:
    store = pg_target.open()
    _filled(store)
    with store.engine.connect() as conn:
        user = conn.exec_driver_sql("SELECT current_user").scalar()

    assert user == sqlalchemy.engine.make_url(pg_target.url).username
