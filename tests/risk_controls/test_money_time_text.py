"""The record text of decimals and times: exact, and the same however it is produced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from risk_controls.domain.clock import iso_utc, parse_iso_utc
from risk_controls.domain.money import fmt


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_fmt_is_plain_notation_with_the_scale_kept(value: Decimal) -> None:
    text = fmt(value)
    assert text == format(value, "f")
    assert "E" not in text and "e" not in text
    assert Decimal(text) == value


def test_fmt_keeps_trailing_zeros_and_expands_exponents() -> None:
    assert fmt(Decimal("62.00")) == "62.00"
    assert fmt(Decimal("1E+3")) == "1000"
    assert fmt(Decimal("1E-7")) == "0.0000001"
    assert fmt(Decimal("-0.0")) == "-0.0"


@given(st.datetimes(timezones=st.just(UTC)))
def test_iso_utc_has_six_fractional_digits_and_round_trips(when: datetime) -> None:
    text = iso_utc(when)
    assert text.endswith("Z") and len(text.split(".")[1]) == 7
    assert parse_iso_utc(text) == when


def test_iso_utc_converts_other_offsets_to_utc() -> None:
    paris = datetime(2026, 11, 22, 19, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert iso_utc(paris) == "2026-11-22T18:00:00.000005Z"
