"""Reports from the production audit stores (SQLite and PostgreSQL): the same rows as from any
log, proofs from the store's saved Merkle tree, and tampering behind the store's back caught."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

import pytest
import sqlalchemy

from audit.checkpoint import Ed25519Signer
from audit.clock import ChainClock
from audit.factory import open_sql_audit_log
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from reporting import generate_report, verify_report
from tests.reporting.conftest import Generated, read_csv
from tests.reporting.daylog import KEY, SampleLog, build_sample_log

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PG_URL = os.environ.get("REPORTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class StoreOptions(TypedDict, total=False):
    """Keyword options the store was opened with (PostgreSQL: a schema of its own)."""

    schema: str


def _pg_schema() -> Iterator[str]:
    """A fresh schema in the ``test`` database; with CI=true an unreachable server fails."""
    engine = sqlalchemy.create_engine(
        PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    schema = f"reports_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield schema
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[SampleLog, str, StoreOptions]]:
    options: StoreOptions
    if request.param == "sqlite":
        url, options = f"sqlite:///{tmp_path_factory.mktemp('store') / 'audit.db'}", {}
        schemas: Iterator[str] | None = None
    else:
        schemas = _pg_schema()
        url, options = PG_URL, {"schema": next(schemas)}

    def make(tick: Callable[[], datetime]) -> SqlAuditLog:
        clock = ChainClock(source=lambda: (tick() - EPOCH) // timedelta(microseconds=1) * 1000)
        checkpoints = CheckpointPolicy(Ed25519Signer(KEY), every=None, interval=None)
        return open_sql_audit_log(url, clock=clock, checkpoints=checkpoints, **options)

    sample = build_sample_log(make)
    try:
        yield sample, url, options
    finally:
        sample.log.close()
        if schemas is not None:
            next(schemas, None)


def test_store_and_memory_log_give_the_same_reports(
    stored: tuple[SampleLog, str, StoreOptions], generated: Generated, tmp_path: Path
) -> None:
    sample = stored[0]
    for name in ("order-blotter", "trade-blotter", "denials", "mifid-transactions"):
        (path, *_) = generate_report(name, sample.log, sample.day, sample.day, "csv", tmp_path, KEY)
        assert path.read_bytes() == generated.file(name, "csv").read_bytes(), name


def test_reports_from_the_store_verify_with_proofs_from_its_tree(
    stored: tuple[SampleLog, str, StoreOptions], tmp_path: Path
) -> None:
    sample = stored[0]
    paths = generate_report("integrity", sample.log, sample.day, sample.day, "both", tmp_path, KEY)
    fields = {r["field"]: r["value"] for r in read_csv(paths[0])}
    assert fields["chain_verified"] == "Y"
    assert int(fields["checkpoint_tree_size"]) >= int(fields["last_seq"])
    assert fields["checkpoint_log_id"] == sample.log.log_id  # type: ignore[attr-defined]
    manifest = json.loads(paths[2].read_text())
    assert manifest["proofs"]["root"] == manifest["checkpoint"]["root"]
    for report in (paths[0], paths[3]):
        result = verify_report(report, sample.log)
        assert result.ok, result.problems
        assert "the range's records rebuild the checkpoint's Merkle root" in result.checks


def test_a_byte_changed_in_the_store_fails_verification(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"

    def make(tick: Callable[[], datetime]) -> SqlAuditLog:
        clock = ChainClock(source=lambda: (tick() - EPOCH) // timedelta(microseconds=1) * 1000)
        checkpoints = CheckpointPolicy(Ed25519Signer(KEY), every=None, interval=None)
        return open_sql_audit_log(f"sqlite:///{path}", clock=clock, checkpoints=checkpoints)

    sample = build_sample_log(make)
    try:
        report = generate_report("denials", sample.log, sample.day, sample.day, "csv",
                                 tmp_path / "out", KEY)[0]
        seq = int(read_csv(report)[0]["seq"])
        engine = sqlalchemy.create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:  # an attacker with the file: triggers off, change, back on
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            body = conn.exec_driver_sql(f"SELECT body FROM audit_log WHERE seq = {seq}").scalar_one()
            forged = bytes(body).replace(b"CREDIT_LIMIT_EXCEEDED", b"PRICE_OUTSIDE_COLLAR_")
            conn.execute(sqlalchemy.text("UPDATE audit_log SET body = :b WHERE seq = :s"),
                         {"b": forged, "s": seq})
        engine.dispose()
        result = verify_report(report, sample.log)
        assert not result.ok
        assert "audit chain of the range verifies today" in result.problems
        assert "the range's records rebuild the checkpoint's Merkle root" in result.problems
    finally:
        sample.log.close()
