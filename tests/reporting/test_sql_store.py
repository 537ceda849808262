"""Reports from the production SQLite audit store: same rows as from any log, verifiable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.checkpoint import Ed25519Signer
from audit.clock import ChainClock
from audit.factory import open_sql_audit_log
from audit.sql_store import CheckpointPolicy
from reporting import generate_report, verify_report
from tests.reporting.conftest import Generated, read_csv
from tests.reporting.daylog import KEY, SampleLog, build_sample_log

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleLog]:
    path = tmp_path_factory.mktemp("store") / "audit.db"

    def make(tick: Callable[[], datetime]):  # type: ignore[no-untyped-def]
        clock = ChainClock(source=lambda: (tick() - EPOCH) // timedelta(microseconds=1) * 1000)
        return open_sql_audit_log(
            f"sqlite:///{path}",
            clock=clock,
            checkpoints=CheckpointPolicy(Ed25519Signer(KEY), every=None, interval=None),
        )

    sample = build_sample_log(make)
    yield sample
    sample.log.close()


def test_store_and_memory_log_give_the_same_blotters(
    stored: SampleLog, generated: Generated, tmp_path: Path
) -> None:
    for name in ("order-blotter", "trade-blotter", "denials", "mifid-transactions"):
        (path, *_) = generate_report(name, stored.log, stored.day, stored.day, "csv", tmp_path, KEY)
        assert path.read_bytes() == generated.file(name, "csv").read_bytes(), name


def test_reports_from_the_store_verify_and_cite_its_checkpoint(
    stored: SampleLog, tmp_path: Path
) -> None:
    paths = generate_report("integrity", stored.log, stored.day, stored.day, "both", tmp_path, KEY)
    fields = {r["field"]: r["value"] for r in read_csv(paths[0])}
    assert fields["chain_verified"] == "Y"
    assert int(fields["checkpoint_tree_size"]) >= int(fields["last_seq"])
    assert fields["checkpoint_log_id"] == stored.log.log_id  # type: ignore[attr-defined]
    for report in (paths[0], paths[3]):
        result = verify_report(report, stored.log)
        assert result.ok, result.problems


def test_store_proofs_come_from_its_saved_tree(stored: SampleLog, tmp_path: Path) -> None:
    import json

    (report, _, manifest) = generate_report(
        "kill-switch", stored.log, stored.day, stored.day, "csv", tmp_path, KEY
    )
    proofs = json.loads(manifest.read_text())["proofs"]
    assert proofs is not None and proofs["root"] == json.loads(manifest.read_text())["checkpoint"]["root"]
    result = verify_report(report, stored.log)
    assert "the range's records rebuild the checkpoint's Merkle root" in result.checks, result.problems
