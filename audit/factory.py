"""``open_audit_log(url)``: the one way the gateway gets its audit store.

URLs:
  ``sqlite:///path/to/audit.db``  embedded default (WAL, synchronous=FULL)
  ``postgresql+psycopg://user@host:5432/db``  production
  ``memory://``  unit tests only: no durability, no checkpoints
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from audit.api import AuditLog
from audit.clock import ChainClock
from audit.engines import make_engine
from audit.memory import MemoryAuditLog
from audit.migrations import grant_writer, migrate
from audit.sql_store import CheckpointPolicy, SqlAuditLog

__all__ = ["open_audit_log", "open_sql_audit_log"]


def open_audit_log(url: str, **options: Any) -> AuditLog:
    """Open (creating and migrating if asked) the audit store at ``url``; see open_sql_audit_log."""
    if url.startswith("memory://"):
        return MemoryAuditLog()
    return open_sql_audit_log(url, **options)


def open_sql_audit_log(
    url: str,
    *,
    migrate_schema: bool = True,
    owner_url: str | None = None,
    schema: str | None = None,
    checkpoints: CheckpointPolicy | None = None,
    max_batch: int = 2000,
    retry_interval: float = 0.5,
    commit_timeout: float = 5.0,
    busy_timeout_ms: int = 2000,
    application_name: str = "audit-store",
    clock: ChainClock | None = None,
    max_queue: int = 200_000,
    read_only: bool = False,
) -> SqlAuditLog:
    """Open the SQL store at ``url``.

    ``migrate_schema``: bring the schema up to date first, connecting as
    ``owner_url`` when given (PostgreSQL: the owner role, which then grants
    the user of ``url`` INSERT and SELECT only). With ``False`` the store
    refuses to start on an out-of-date schema. ``schema`` selects a
    PostgreSQL schema (search_path). ``checkpoints`` enables signed
    checkpoints. ``max_batch`` caps rows per transaction; ``commit_timeout``
    fails a hung commit's tickets; ``retry_interval`` paces reconnects;
    ``max_queue`` bounds appends waiting for the database (beyond it appends
    fail at once with AuditUnavailable: fail closed rather than run out of memory).
    """
    backend = make_url(url).get_backend_name()
    engine_options: dict[str, Any] = {
        "busy_timeout_ms": busy_timeout_ms,
        "schema": schema,
        "application_name": application_name,
    }
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported audit store URL: {url}")
    if migrate_schema:
        owner = make_engine(owner_url or url, **engine_options)
        try:
            migrate(owner)
            writer_role = make_url(url).username
            if owner_url is not None and backend == "postgresql" and writer_role:
                grant_writer(owner, writer_role, schema or "public")
        finally:
            owner.dispose()
    engine = make_engine(url, **engine_options)
    try:
        store = SqlAuditLog(
            engine,
            checkpoints=checkpoints,
            max_batch=max_batch,
            retry_interval=retry_interval,
            commit_timeout=commit_timeout,
            clock=clock,
            max_queue=max_queue,
            read_only=read_only,
        )
    except BaseException:
        engine.dispose()
        raise
    store.location = (url, schema)
    return store
