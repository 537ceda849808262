"""The projection layer: period to range, one streaming pass, bounded state, CSV quoting."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reporting.auditrange import locate
from reporting.csvout import CsvSink
from reporting.orders import OrderTracker
from reporting.period import Period
from reporting.record import Record
from reporting.registry import jobs
from reporting.scan import Scan
from risk_controls import events as ev
from tests.reporting.daylog import SampleLog


def test_a_day_is_the_records_stamped_that_day(sample: SampleLog) -> None:
    rng = locate(sample.log, Period.day(sample.day))
    records = list(sample.log.read())
    inside = [r.seq for r in records if r.ts.startswith("2026-11-20")]
    assert (rng.first_seq, rng.last_seq) == (inside[0], inside[-1])
    assert rng.anchor_hash == records[inside[0] - 2].record_hash
    assert rng.count == len(inside)


def test_periods_from_dates_include_the_end_date_and_datetimes_are_half_open() -> None:
    by_dates = Period.of(date(2026, 11, 1), date(2026, 11, 30))
    assert by_dates.start_iso == "2026-11-01T00:00:00.000000Z"
    assert by_dates.end_iso == "2026-12-01T00:00:00.000000Z"
    assert by_dates.label() == "2026-11-01_2026-11-30" and by_dates.bucket_width() == "day"
    hours = Period(datetime(2026, 11, 20, 9, tzinfo=UTC), datetime(2026, 11, 20, 17, tzinfo=UTC))
    assert hours.label() == "20261120T090000Z_20261120T170000Z"
    with pytest.raises(ValueError):
        Period.of(datetime(2026, 11, 20), datetime(2026, 11, 21))  # naive times are refused
    with pytest.raises(ValueError):
        Period.of(date(2026, 11, 21), date(2026, 11, 19))


def test_a_period_with_no_records_gives_an_empty_range(sample: SampleLog) -> None:
    rng = locate(sample.log, Period.day(date(2027, 1, 1)))
    assert rng.count == 0
    assert rng.anchor_hash == sample.log.head()[1]


class CountingLog:
    """Wraps a log and counts the records it hands out."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.handed_out = 0

    def read(self, start_seq: int = 1, end_seq: int | None = None):  # type: ignore[no-untyped-def]
        for record in self.inner.read(start_seq, end_seq):  # type: ignore[attr-defined]
            self.handed_out += 1
            yield record

    def head(self) -> tuple[int, str]:
        return self.inner.head()  # type: ignore[attr-defined,no-any-return]


def test_the_full_pack_reads_the_range_once(sample: SampleLog, tmp_path: Path) -> None:
    from reporting import generate_report

    log = CountingLog(sample.log)
    generate_report("all", log, sample.day, sample.day, "both", tmp_path, sample.key)  # type: ignore[arg-type]
    rng = locate(sample.log, Period.day(sample.day))
    after = sample.log.head()[0] - rng.last_seq
    # the range once, plus a few point reads (binary search, anchor, the checkpoint and the
    # policy in force at the start) and the search for the covering checkpoint after the range
    assert rng.count <= log.handed_out <= rng.count + after + 4096 + 64
    assert log.handed_out < 2 * rng.count


def test_the_tracker_forgets_orders_once_they_are_done(sample: SampleLog) -> None:
    rng = locate(sample.log, Period.day(sample.day))
    scan = Scan(rng)
    tracker = OrderTracker(scan)
    closed: list[str] = []
    tracker.on_close(lambda s: closed.append(s.order_id))
    scan.run(sample.log)
    received = [r for r in sample.log.read(rng.first_seq, rng.last_seq)
                if r.event_type == ev.ORDER_RECEIVED]
    assert len(received) > 60
    assert tracker.peak_open < len(received) // 4  # only the working ones are held
    assert not tracker._open  # handed over at the end of the range


@pytest.mark.parametrize(
    "cells",
    [
        ["plain", "", "1.5", "2026-11-20T08:00:00.000001Z"],
        ["with, comma", 'a "quote"', "line\nbreak", "cr\rhere", ""],
        ["", "", ""],
    ],
)
def test_csv_rows_are_exactly_what_csv_writer_writes(tmp_path: Path, cells: list[str]) -> None:
    sink = CsvSink(tmp_path / "x.csv", ["a"] * len(cells))
    sink.write(cells)
    sink.write([None, True, *cells[2:]])
    sink.write_text(cells)
    sink.write_text([None, *cells[1:]])
    sink.write_text([cells[0]])
    sink.close()
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow(["a"] * len(cells))
    writer.writerow(cells)
    writer.writerow(["", "Y", *cells[2:]])
    writer.writerow(cells)
    writer.writerow(["", *cells[1:]])
    writer.writerow([cells[0]])
    assert (tmp_path / "x.csv").read_bytes() == expected.getvalue().encode()


def test_report_names_and_formats() -> None:
    assert ("mifid-transactions", "pdf") not in jobs("all", "both")
    assert ("mifid-transactions", "csv") in jobs("all", "csv")
    assert jobs("denials", "both") == [("denials", "csv"), ("denials", "pdf")]
    with pytest.raises(ValueError):
        jobs("mifid-transactions", "pdf")
    with pytest.raises(ValueError):
        jobs("no-such-report", "csv")


def test_chain_break_is_reported_but_the_rows_are_still_there(sample: SampleLog) -> None:
    import dataclasses

    rng = locate(sample.log, Period.day(sample.day))
    records = sample.memory_records()
    target = records[rng.first_seq + 10]
    broken = dataclasses.replace(target, payload={**target.payload, "x": "1"})
    records[rng.first_seq + 10] = broken
    scan = Scan(rng)
    seen: list[Record] = []
    for event_type in {r.event_type for r in sample.log.read()}:
        scan.on(event_type, seen.append)
    result = scan.run(sample.log)
    assert not result.chain.verified and result.chain.first_bad_seq == broken.seq
    assert len(seen) == rng.count
