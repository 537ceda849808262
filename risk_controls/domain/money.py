"""Decimal helpers. Prices, quantities and notionals are never binary floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)


class MoneyError(ValueError):
    """A value that should be a decimal number is not one."""


def to_decimal(value: object) -> Decimal:
    """Convert str/int/Decimal to Decimal; refuse floats, NaN and infinities.

    Floats are refused outright: a float has already lost the exact value the
    user typed, so accepting it would hide the error rather than report it.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"binary floating point is not accepted for money: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyError(f"not a decimal number: {value!r}") from exc
    else:
        raise MoneyError(f"not a decimal number: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"not a finite decimal number: {value!r}")
    return result


def fmt(value: Decimal) -> str:
    """Exact text of a decimal for records: plain notation, the scale kept (``62.00`` stays).

    Replaying a record must give back the very value that was entered. ``str`` writes the
    same text whenever it does not switch to exponent notation, at half the cost.
    """
    text = str(value)
    return text if "E" not in text else format(value, "f")


def plain(value: Decimal) -> str:
    """Short text for people (denial messages): ``6855000.00`` reads ``6855000``."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """True when value is an exact multiple of step (step > 0)."""
    return step > 0 and (value % step) == 0
