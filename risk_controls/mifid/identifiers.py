"""Check digits of the identifiers MiFID II reports carry: LEI (ISO 17442) and ISIN (ISO 6166).

A client id that looks like an LEI but fails its check digits is almost
always a typo; reporting it would put a wrong counterparty in front of the
regulator, so the tagger refuses the order instead.
"""

from __future__ import annotations

import string

_DIGITS = frozenset(string.digits)
_UPPER_ALNUM = frozenset(string.digits + string.ascii_uppercase)
_UPPER = frozenset(string.ascii_uppercase)
# A=10 ... Z=35, digits stay themselves (both ISO 7064 MOD 97-10 and the ISIN Luhn use it).
_EXPAND = str.maketrans({c: str(10 + i) for i, c in enumerate(string.ascii_uppercase)})


def has_lei_shape(text: str) -> bool:
    """20 characters, upper-case letters and digits, the last two digits.

    Used to infer that a client id is meant to be an LEI (rather than a short
    code) before its check digits are verified.
    """
    return len(text) == 20 and _UPPER_ALNUM.issuperset(text) and text[18] in _DIGITS and text[19] in _DIGITS


def is_valid_lei(text: str) -> bool:
    """ISO 17442: LEI shape and the whole string, letters expanded, is ≡ 1 (mod 97)."""
    return has_lei_shape(text) and int(text.translate(_EXPAND)) % 97 == 1


def is_valid_isin(text: str) -> bool:
    """ISO 6166: two-letter country, nine alphanumerics, a Luhn check digit over the expansion."""
    if (
        len(text) != 12
        or not _UPPER.issuperset(text[:2])
        or not _UPPER_ALNUM.issuperset(text[2:11])
        or text[11] not in _DIGITS
    ):
        return False
    return _luhn_ok(text.translate(_EXPAND))


def _luhn_ok(digits: str) -> bool:
    """Luhn over a digit string that ends with its check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0
