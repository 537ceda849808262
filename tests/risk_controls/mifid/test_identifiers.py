"""LEI (ISO 17442) and ISIN (ISO 6166) check digits against the project's reference data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from risk_controls.mifid import has_lei_shape, is_valid_isin, is_valid_lei

DATA = Path(__file__).resolve().parents[3] / "gateway" / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


LEI_ROWS = _rows("leis.csv")
VALID_LEIS = [row["lei"] for row in LEI_ROWS if row["valid"] == "true"]
ISINS = [row["isin"] for row in _rows("instruments.csv")]


def test_reference_data_has_both_verdicts() -> None:
    assert VALID_LEIS and any(row["valid"] == "false" for row in LEI_ROWS)
    assert len(ISINS) >= 10


@pytest.mark.parametrize("row", LEI_ROWS, ids=[row["lei"] for row in LEI_ROWS])
def test_lei_verdict_matches_reference_file(row: dict[str, str]) -> None:
    assert is_valid_lei(row["lei"]) is (row["valid"] == "true")


@pytest.mark.parametrize("lei", VALID_LEIS)
def test_lei_with_last_check_digit_changed_is_invalid(lei: str) -> None:
    # a change of 1..9 in the last digit cannot keep the value ≡ 1 (mod 97)
    for digit in "0123456789":
        if digit != lei[-1]:
            assert not is_valid_lei(lei[:-1] + digit)


@pytest.mark.parametrize("lei", VALID_LEIS[:3])
def test_lei_with_a_body_character_changed_is_invalid(lei: str) -> None:
    changed = lei[:5] + ("A" if lei[5] != "A" else "B") + lei[6:]
    assert not is_valid_lei(changed)


def test_lei_shape_rules() -> None:
    lei = VALID_LEIS[0]
    assert has_lei_shape(lei)
    assert not has_lei_shape(lei[:-1])  # 19 characters
    assert not has_lei_shape(lei + "0")  # 21 characters
    assert not has_lei_shape(lei.lower())
    assert not has_lei_shape(lei[:18] + "A1")  # check characters must be digits
    assert not has_lei_shape(lei[:10] + "-" + lei[11:])
    assert not has_lei_shape("")
    assert not is_valid_lei("")


@pytest.mark.parametrize("isin", ISINS)
def test_every_reference_isin_is_valid(isin: str) -> None:
    assert is_valid_isin(isin)


@pytest.mark.parametrize("isin", ISINS)
def test_isin_with_check_digit_changed_is_invalid(isin: str) -> None:
    for digit in "0123456789":
        if digit != isin[-1]:
            assert not is_valid_isin(isin[:-1] + digit)


@pytest.mark.parametrize(
    "text",
    [
        "US037833100",  # 11 characters
        "US03783310055",  # 13 characters
        "us0378331005",  # lower case country
        "120378331005",  # country must be letters
        "US037833100A",  # check character must be a digit
        "US0378-31005",
        "",
    ],
)
def test_malformed_isins_are_invalid(text: str) -> None:
    assert not is_valid_isin(text)


def test_isin_adjacent_transposition_is_caught() -> None:
    # Apple: US0378331005 → swap "78" to "87"
    assert not is_valid_isin("US0387331005")
