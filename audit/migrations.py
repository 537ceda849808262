"""Versioned schema migrations for the SQL audit store.

Each step is numbered and applied once, in order, inside one transaction
that also records it in ``audit_schema_version``. Migrations run as the
owner role; the gateway's writer role can only INSERT and SELECT (see
:func:`grant_writer` and deploy/postgres/). The triggers added here make the
database itself refuse UPDATE, DELETE and TRUNCATE on every audit table.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from audit.api import AuditUnavailable

TABLES = ("audit_log", "audit_merkle_node", "audit_meta", "audit_schema_version")
"""Every table of the store; all are append-only."""


@dataclass(frozen=True, slots=True)
class Step:
    version: int
    name: str
    sqlite: Sequence[str]
    postgresql: Sequence[str]


_LOG_TABLE = """
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    ts TEXT NOT NULL,
    event_type TEXT NOT NULL,
    retention TEXT,
    body {blob} NOT NULL,
    prev_hash {blob} NOT NULL,
    record_hash {blob} NOT NULL
)"""
_NODE_TABLE = """
CREATE TABLE audit_merkle_node (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash {blob} NOT NULL,
    PRIMARY KEY (level, idx)
)"""
_META_TABLE = "CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_CONTROL_INDEX = (
    "CREATE INDEX audit_log_control ON audit_log (event_type, seq) "
    "WHERE event_type >= 'audit.' AND event_type < 'audit/'"
)

_DAY_INDEX = "CREATE INDEX audit_log_day_opened ON audit_log (seq) WHERE event_type = 'risk.day_opened'"
"""Finds the last ``risk.day_opened`` without scanning the log (gateway/carry.py)."""


def _sqlite_guards(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


_PG_REFUSE = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit tables are append-only: %% refused on %%', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$"""


def _pg_guards(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    ]


STEPS: tuple[Step, ...] = (
    Step(
        1,
        "log, merkle nodes and metadata tables",
        sqlite=[
            _LOG_TABLE.format(blob="BLOB"),
            _NODE_TABLE.format(blob="BLOB"),
            _META_TABLE,
            _CONTROL_INDEX,
        ],
        postgresql=[
            _LOG_TABLE.format(blob="BYTEA"),
            _NODE_TABLE.format(blob="BYTEA"),
            _META_TABLE,
            _CONTROL_INDEX,
        ],
    ),
    Step(
        2,
        "append-only triggers",
        sqlite=[stmt for table in TABLES for stmt in _sqlite_guards(table)],
        postgresql=[_PG_REFUSE, *(stmt for table in TABLES for stmt in _pg_guards(table))],
    ),
    Step(3, "index of the day openings a restart starts from", sqlite=[_DAY_INDEX], postgresql=[_DAY_INDEX]),
)
LATEST = STEPS[-1].version


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def migrate(engine: Engine) -> int:
    """Bring the schema to :data:`LATEST`; return the version it was at before."""
    dialect = engine.dialect.name
    with engine.connect() as conn:
        _begin_exclusive(conn, dialect)
        try:
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS audit_schema_version ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            if dialect == "postgresql":
                conn.exec_driver_sql("LOCK TABLE audit_schema_version IN EXCLUSIVE MODE")
            current = _version(conn)
            for step in STEPS:
                if step.version <= current:
                    continue
                for statement in step.sqlite if dialect == "sqlite" else step.postgresql:
                    conn.exec_driver_sql(statement)
                if step.version == 1:
                    conn.execute(
                        text("INSERT INTO audit_meta (key, value) VALUES ('log_id', :v)"),
                        {"v": str(uuid.uuid4())},
                    )
                conn.execute(
                    text("INSERT INTO audit_schema_version (version, name, applied_at) VALUES (:v, :n, :t)"),
                    {"v": step.version, "n": step.name, "t": _now()},
                )
            _commit(conn, dialect)
        except BaseException:
            _rollback(conn, dialect)
            raise
    return current


def _begin_exclusive(conn: Connection, dialect: str) -> None:
    if dialect == "sqlite":  # the engine runs pysqlite in autocommit; take the write lock now
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _commit(conn: Connection, dialect: str) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql("COMMIT")
    else:
        conn.commit()


def _rollback(conn: Connection, dialect: str) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql("ROLLBACK")
    else:
        conn.rollback()


def _version(conn: Connection) -> int:
    value = conn.exec_driver_sql("SELECT MAX(version) FROM audit_schema_version").scalar()
    return int(value or 0)


def schema_version(engine: Engine) -> int:
    """The applied schema version (0 when the store was never migrated)."""
    with engine.connect() as conn:
        try:
            return _version(conn)
        except Exception:  # no version table yet
            return 0


def require_current(engine: Engine) -> None:
    """Refuse to write to a store whose schema is not the one this code knows."""
    version = schema_version(engine)
    if version != LATEST:
        raise AuditUnavailable(
            f"audit schema is at version {version}, this code needs {LATEST}: run migrations"
        )


def grant_writer(engine: Engine, role: str, schema: str = "public") -> None:
    """Give ``role`` INSERT and SELECT only (PostgreSQL); run as the owner role."""
    if engine.dialect.name != "postgresql":
        raise ValueError("roles and grants exist on PostgreSQL only")
    quoted_role = _quote_ident(role)
    quoted_schema = _quote_ident(schema)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {quoted_schema} TO {quoted_role}")
        for table in ("audit_log", "audit_merkle_node"):
            conn.exec_driver_sql(f"GRANT SELECT, INSERT ON {quoted_schema}.{table} TO {quoted_role}")
        for table in ("audit_meta", "audit_schema_version"):
            conn.exec_driver_sql(f"GRANT SELECT ON {quoted_schema}.{table} TO {quoted_role}")


def _quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'
