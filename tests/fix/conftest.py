"""Fixtures shared by the FIX tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.fix.qf import LoopThread

_QUICKFIX_MODULES = ("test_quickfix_", "test_fix_venue")


@pytest.fixture(autouse=True)
def _quickfix_leftovers_destroyed(request: pytest.FixtureRequest) -> Iterator[None]:
    """QuickFIX keeps one process-wide registry of sessions by SessionID, and a
    destroyed engine unregisters its ids. Destroy this test's engines now, not
    when the garbage collector happens to run in the middle of a later test
    that uses the same ids."""
    yield
    if request.module.__name__.rsplit(".", 1)[-1].startswith(_QUICKFIX_MODULES):
        gc.collect()


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """An asyncio loop on its own thread, for our engines beside a QuickFIX peer."""
    thread = LoopThread()
    yield thread
    thread.close()
