"""With CI=true an unreachable PostgreSQL fails the PostgreSQL tests; locally it skips them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_PG_TEST = "tests/audit/test_immutability.py::test_the_store_itself_connects_as_the_gateway_role"


def _run(ci: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CI": ci,
        "AUDIT_TEST_PG_URL": "postgresql+psycopg://postgres@127.0.0.1:1/postgres",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", ONE_PG_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("ci", "fails"), [("true", True), ("false", False)])
def test_a_missing_postgres_fails_in_ci_and_skips_elsewhere(ci: str, fails: bool) -> None:
    done = _run(ci)

    if fails:
        assert done.returncode == 1, done.stdout
        assert "PostgreSQL is required in CI" in done.stdout
    else:
        assert done.returncode == 0, done.stdout
        assert "SKIPPED [1]" in done.stdout and "PostgreSQL unreachable" in done.stdout
