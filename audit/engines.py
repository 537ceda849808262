"""SQLAlchemy engines configured for durable, fail-fast audit writes.

SQLite: WAL journal, ``synchronous=FULL`` (fsync on every commit), a short
busy timeout so a locked file fails a batch instead of hanging it, and
pysqlite in autocommit mode so the store issues ``BEGIN IMMEDIATE`` itself.
PostgreSQL (psycopg 3): ``synchronous_commit=on`` whatever the server default,
short connect and TCP timeouts so an unreachable server fails promptly.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def sqlite_engine(url: str, busy_timeout_ms: int = 2000) -> Engine:
    """An engine on a SQLite file in WAL mode with fsync on every commit."""
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN IMMEDIATE / COMMIT ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    return engine


def postgres_engine(
    url: str,
    *,
    schema: str | None = None,
    application_name: str = "audit-store",
    connect_timeout: int = 3,
    statement_timeout_ms: int = 10_000,
    tcp_user_timeout_ms: int = 5_000,
) -> Engine:
    """An engine on PostgreSQL with durable commits and timeouts that fail fast."""
    options = f"-c synchronous_commit=on -c statement_timeout={int(statement_timeout_ms)}"
    if schema is not None:
        options += f" -c search_path={schema}"
    connect_args: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "application_name": application_name,
        "options": options,
        "tcp_user_timeout": tcp_user_timeout_ms,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
    }
    return create_engine(url, pool_pre_ping=True, pool_size=4, connect_args=connect_args)


def make_engine(url: str, **options: Any) -> Engine:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return sqlite_engine(url, busy_timeout_ms=int(options.get("busy_timeout_ms", 2000)))
    if backend == "postgresql":
        return postgres_engine(
            url,
            schema=options.get("schema"),
            application_name=options.get("application_name", "audit-store"),
        )
    raise ValueError(f"unsupported audit store URL: {url}")
