"""Session-level FIX test cases as scripted wire scenarios (tests/fix/wire/*.def)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fix.ids import SessionID
from tests.fix.wire_harness import WireScript, default_settings, load_scripts

WIRE = Path(__file__).parent / "wire"
SCRIPTS = load_scripts(WIRE)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_fix44_acceptor_scenario(path: Path) -> None:
    WireScript().run(path.read_text(), path.name)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_fix42_acceptor_scenario(path: Path) -> None:
    """The same scenarios with BeginString FIX.4.2 on both sides."""
    text = path.read_text().replace("FIX.4.4", "FIX.4.2")
    if "FIX.4.2|35=0|34=2" in path.read_text():  # the BeginString-change case flips direction
        text = (
            path.read_text()
            .replace("8=FIX.4.4", "8=FIX.4.2")
            .replace("I8=FIX.4.2|35=0|34=2", "I8=FIX.4.4|35=0|34=2")
        )
    # HandlInst (21) is required on a FIX 4.2 NewOrderSingle
    text = "\n".join(
        line.replace("|55=X|", "|21=1|55=X|") if line.startswith("I8=FIX.4.2|35=D") else line
        for line in text.splitlines()
    )
    settings = default_settings(session_id=SessionID("FIX.4.2", "GW", "DESK"))
    WireScript(settings).run(text, path.name)


def test_there_are_scenarios_for_each_group_of_session_test_cases() -> None:
    prefixes = {p.stem.split("_")[0].rstrip("abcdefghijklmnopqrstuvwxyz") for p in SCRIPTS}
    assert {"1", "2", "4", "6", "7", "8", "10", "11", "12", "13", "14", "15", "16", "20"} <= prefixes
