"""AppendTicket: cheap to await under load, correct from threads and event loops."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextvars import Context
from typing import TypeVarTuple

import pytest

from audit.api import AppendTicket, AuditUnavailable, Doubt, Durable, complete_batch_raw, fail_batch

Ts = TypeVarTuple("Ts")


def _raw(seq: int) -> tuple[int, str, str, dict[str, object], bytes, bytes, None]:
    return (seq, "2026-11-22T16:48:32.123456Z", "e", {"n": seq}, b"\x00" * 32, bytes([seq % 256]) * 32, None)


def test_a_batch_wakes_each_event_loop_once() -> None:
    async def main() -> tuple[int, list[int]]:
        loop = asyncio.get_running_loop()
        calls = 0
        original = loop.call_soon_threadsafe

        def counting(
            callback: Callable[[*Ts], object], *args: *Ts, context: Context | None = None
        ) -> asyncio.Handle:
            nonlocal calls
            calls += 1
            return original(callback, *args, context=context)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]  # patched to count wake-ups
        tickets = [AppendTicket() for _ in range(500)]
        waiting = asyncio.gather(*tickets)
        await asyncio.sleep(0)  # every ticket now has a waiter
        writer = threading.Thread(
            target=complete_batch_raw, args=(tickets, [_raw(i + 1) for i in range(500)])
        )
        writer.start()
        records = await waiting
        writer.join()
        return calls, [r.seq for r in records]

    calls, seqs = asyncio.run(main())

    assert calls == 1
    assert seqs == list(range(1, 501))


def test_failing_a_batch_raises_audit_unavailable_in_every_waiter() -> None:
    async def main() -> list[BaseException | object]:
        tickets = [AppendTicket() for _ in range(20)]
        waiting = asyncio.gather(*tickets, return_exceptions=True)
        await asyncio.sleep(0)
        threading.Thread(target=fail_batch, args=(tickets, RuntimeError("disk gone"))).start()
        return list(await waiting)

    outcomes = asyncio.run(main())

    assert all(isinstance(o, AuditUnavailable) and "disk gone" in str(o) for o in outcomes)


def test_result_blocks_until_completed_from_another_thread() -> None:
    ticket = AppendTicket()
    seen: list[int] = []
    ticket.add_done_callback(lambda t: seen.append(t.result(0).seq))
    timer = threading.Timer(0.05, complete_batch_raw, args=([ticket], [_raw(7)]))
    timer.start()

    record = ticket.result(10)

    assert record.seq == 7 and record.record_hash == ("07" * 32)
    assert seen == [7]
    assert ticket.result(0) is record  # built once


def test_a_ticket_completes_once() -> None:
    ticket = AppendTicket()
    complete_batch_raw([ticket], [_raw(1)])
    fail_batch([ticket], RuntimeError("late failure"))

    assert ticket.result(0).seq == 1
    with pytest.raises(AuditUnavailable):
        AppendTicket().result(0.01)  # never completed: a timeout is AuditUnavailable too


def test_seq_is_the_records_number_and_fails_as_result_does() -> None:
    durable = AppendTicket()
    complete_batch_raw([durable], [_raw(42)])
    assert durable.seq(0) == 42 == durable.result(0).seq

    failed = AppendTicket()
    fail_batch([failed], RuntimeError("disk gone"))
    with pytest.raises(AuditUnavailable, match="disk gone"):
        failed.seq(0)
    with pytest.raises(AuditUnavailable):
        AppendTicket().seq(0.01)  # never completed


def test_landed_tells_durable_failed_and_in_doubt_apart() -> None:
    durable, refused, doubtful, overtaken = AppendTicket(), AppendTicket(), AppendTicket(), AppendTicket()
    assert durable.landed() is None  # not done yet
    complete_batch_raw([durable], [_raw(1)])
    fail_batch([refused], RuntimeError("store down"))
    doubt = Doubt(start_seq=1, end_seq=3, end_hash=b"\x03" * 32)
    fail_batch([doubtful], RuntimeError("connection lost during COMMIT"), doubt)
    assert (durable.landed(), refused.landed(), doubtful.landed()) == (True, False, None)

    assert doubt.settle(3, b"\x03" * 32) is True  # the head read back is the batch's last record
    assert doubtful.landed() is True
    assert Doubt(1, 3, b"\x03" * 32).settle(1, b"\x01" * 32) is False  # still the record before
    # something else wrote past the batch: unknowable, so repeat rather than lose
    assert Doubt(1, 3, b"\x03" * 32).settle(4, b"\x04" * 32) is False

    complete_batch_raw([overtaken], [_raw(9)])
    fail_batch([overtaken], RuntimeError("late"), doubt)  # a completed ticket keeps its outcome
    assert overtaken.landed() is True


def test_durable_waits_for_the_commit_and_fails_as_awaiting_the_ticket_does() -> None:
    async def scenario() -> None:
        pending = AppendTicket()
        durable = asyncio.ensure_future(_await(pending.durable()))
        await asyncio.sleep(0)
        assert not durable.done()  # nothing committed yet
        complete_batch_raw([pending], [_raw(7)])
        await durable
        assert durable.exception() is None

        failed = AppendTicket()
        later = asyncio.ensure_future(_await(failed.durable()))
        await asyncio.sleep(0)
        fail_batch([failed], RuntimeError("disk gone"))
        with pytest.raises(AuditUnavailable, match="disk gone"):
            await later

    asyncio.run(scenario())


async def _await(durable: Durable) -> None:
    await durable
