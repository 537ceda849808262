"""Fixtures: every contract test runs on SQLite and on PostgreSQL.

PostgreSQL gets a uniquely named database (owned by a unique owner role, with
a unique INSERT+SELECT writer role) per test session and a fresh schema per
test, so concurrent runs never collide. With CI=true a missing server is a
failure, not a skip.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from audit.factory import open_sql_audit_log
from audit.sql_store import SqlAuditLog

PG_ADMIN_URL = os.environ.get("AUDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class PgCluster:
    database: str
    owner: str
    writer: str
    host: str = "127.0.0.1:5432"

    def url(self, role: str, host: str | None = None) -> str:
        return f"postgresql+psycopg://{role}@{host or self.host}/{self.database}"

    @property
    def owner_url(self) -> str:
        return self.url(self.owner)

    @property
    def writer_url(self) -> str:
        return self.url(self.writer)

    @property
    def admin_url(self) -> str:
        return self.url("postgres")


def _admin_engine() -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    tag = f"{int(time.time())}_{uuid.uuid4().hex[:6]}"
    cluster = PgCluster(f"audit_test_{tag}", f"audit_owner_{tag}", f"audit_writer_{tag}")
    with engine.connect() as conn:
        _drop_stale(conn)
        conn.exec_driver_sql(f"CREATE ROLE {cluster.owner} LOGIN")
        conn.exec_driver_sql(f"CREATE ROLE {cluster.writer} LOGIN")
        conn.exec_driver_sql(f"CREATE DATABASE {cluster.database} OWNER {cluster.owner}")
    try:
        yield cluster
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {cluster.database} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {cluster.writer}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {cluster.owner}")
        engine.dispose()


STALE_AFTER = 6 * 3600


def _drop_stale(conn: sqlalchemy.Connection) -> None:
    """Drop what killed runs left behind: databases tagged more than STALE_AFTER seconds ago."""
    names = conn.exec_driver_sql(
        "SELECT datname FROM pg_database WHERE datname ~ '^audit_test_[0-9]+_[0-9a-f]+$'"
    ).scalars()
    for name in list(names):
        tag = name.removeprefix("audit_test_")
        if time.time() - int(tag.split("_")[0]) < STALE_AFTER:
            continue
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS audit_writer_{tag}")
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS audit_owner_{tag}")


@dataclass
class StoreTarget:
    """Where one test's store lives, and how to open it the way the gateway would."""

    backend: str
    url: str
    owner_url: str | None = None
    schema: str | None = None
    opened: list[SqlAuditLog] = field(default_factory=list)

    def open(self, **options: Any) -> SqlAuditLog:
        if self.owner_url is not None:
            options.setdefault("owner_url", self.owner_url)
        if self.schema is not None:
            options.setdefault("schema", self.schema)
        options.setdefault("url", self.url)
        log = open_sql_audit_log(**options)
        self.opened.append(log)
        return log

    def owner_engine(self) -> sqlalchemy.Engine:
        """A plain engine as the owner role (SQLite: the file), for tests that go around the store."""
        url = self.owner_url or self.url
        args: dict[str, Any] = {}
        if self.schema is not None:
            args["connect_args"] = {"options": f"-c search_path={self.schema}"}
        return sqlalchemy.create_engine(url, **args)

    def close_all(self) -> None:
        for log in self.opened:
            log.close()


def _pg_target(cluster: PgCluster) -> StoreTarget:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(cluster.owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    return StoreTarget("postgresql", cluster.writer_url, cluster.owner_url, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    if request.param == "sqlite":
        made = StoreTarget("sqlite", f"sqlite:///{tmp_path / 'audit.db'}")
    else:
        made = _pg_target(request.getfixturevalue("pg_cluster"))
    try:
        yield made
    finally:
        made.close_all()


@pytest.fixture
def store(target: StoreTarget) -> SqlAuditLog:
    return target.open()


@pytest.fixture
def pg_target(pg_cluster: PgCluster) -> Iterator[StoreTarget]:
    """A PostgreSQL-only target, for what SQLite has no notion of (roles, TRUNCATE)."""
    made = _pg_target(pg_cluster)
    try:
        yield made
    finally:
        made.close_all()


def tamper(
    target: StoreTarget, statement: str, params: dict[str, Any] | list[dict[str, Any]] | None = None
) -> None:
    """Change stored rows behind the store's back, as an attacker with the owner role would:
    switch the append-only triggers off, change, switch them back on."""
    engine = target.owner_engine()
    try:
        with engine.begin() as conn:
            if target.backend == "postgresql":
                for table in ("audit_log", "audit_merkle_node"):
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for table in ("audit_log", "audit_merkle_node"):
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            conn.execute(sqlalchemy.text(statement), params or {})
            if target.backend == "postgresql":
                for table in ("audit_log", "audit_merkle_node"):
                    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        engine.dispose()


def flip_byte(target: StoreTarget, seq: int, column: str = "body", offset: int = 20) -> None:
    """Flip one bit of one byte of one stored column of one record."""
    engine = target.owner_engine()
    with engine.connect() as conn:
        value = bytes(
            conn.execute(
                sqlalchemy.text(f"SELECT {column} FROM audit_log WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )
    engine.dispose()
    changed = bytearray(value)
    changed[offset] ^= 0x01
    tamper(
        target,
        f"UPDATE audit_log SET {column} = :v WHERE seq = :s",
        {"v": bytes(changed), "s": seq},
    )
