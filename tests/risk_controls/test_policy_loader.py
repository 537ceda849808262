"""Policy files: a valid file loads with the SHA-256 of its bytes; an invalid one is refused
whole, naming the file, the line and the field; line_of maps key paths to lines."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from risk_controls.policy import PolicyError, load_policy_file, parse_policy
from risk_controls.policy.locate import line_of
from tests.risk_controls.builders import DEFAULT_POLICY_FILE

SAMPLE = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")


def line_number(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def refused(tmp_path: Path, text: str) -> tuple[Path, PolicyError]:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    return path, caught.value


def edit(old: str, new: str, occurrence: int = 1) -> str:
    """The sample policy with the ``occurrence``-th ``old`` replaced by ``new``."""
    parts = SAMPLE.split(old)
    assert len(parts) > occurrence, f"{old!r} occurs fewer than {occurrence} times"
    return old.join(parts[:occurrence]) + new + old.join(parts[occurrence:])


# ---- a valid file ----------------------------------------------------------------------


def test_the_sample_policy_loads_and_its_hash_is_the_sha256_of_its_bytes() -> None:
    loaded = load_policy_file(DEFAULT_POLICY_FILE)
    assert loaded.content_hash == hashlib.sha256(DEFAULT_POLICY_FILE.read_bytes()).hexdigest()
    assert loaded.content == SAMPLE
    assert loaded.source == str(DEFAULT_POLICY_FILE)
    policy = loaded.policy
    assert policy.version == "2026-11-22.1"
    assert [a.id for a in policy.accounts] == ["ACC-APPLE-TSY", "ACC-MSFT-TSY", "ACC-HOUSE", "ACC-DORMANT"]
    msft = policy.account("ACC-MSFT-TSY")
    assert msft is not None and msft.position_limit("NVDA") == 5000 and msft.position_limit("AAPL") == 20000
    assert policy.is_restricted("TSLA")
    assert str(policy.fx_rate("GBP")) == "1.27"


def test_any_change_to_the_bytes_changes_the_hash() -> None:
    original = parse_policy(SAMPLE.encode(), "a")
    commented = parse_policy((SAMPLE + "# reviewed\n").encode(), "b")
    assert original.policy == commented.policy
    assert original.content_hash != commented.content_hash


# ---- refusals: file, line, field ---------------------------------------------------------


def test_a_value_of_the_wrong_type_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    text = edit('max_order_notional = "1000000"', 'max_order_notional = "lots"')
    path, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.file == str(path)
    assert issue.field == "accounts[1].max_order_notional"
    assert issue.line == line_number(text, '"lots"')
    assert "lots" in issue.message
    assert str(error).startswith(f"{path}:{issue.line}: accounts[1].max_order_notional: ")


def test_a_negative_limit_is_refused(tmp_path: Path) -> None:
    text = edit('max_daily_notional = "250000000"', 'max_daily_notional = "-1"')
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "firm.max_daily_notional"
    assert issue.line == line_number(text, '"-1"')
    assert "greater than or equal to 0" in issue.message


def test_an_unknown_key_is_refused_at_its_line(tmp_path: Path) -> None:
    text = edit('max_position = "50000"', 'max_position = "50000"\nmax_postion = "60000"')
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "accounts[2].max_postion"
    assert issue.line == line_number(text, "max_postion")
    assert "Extra inputs are not permitted" in issue.message


def test_a_toml_syntax_error_is_refused_with_its_line(tmp_path: Path) -> None:
    text = edit('max_position = "20000"', "max_position = ")
    path, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.file == str(path)
    assert issue.line == line_number(text, "max_position = ", occurrence=2)


def test_a_toml_float_is_refused_so_no_limit_is_ever_rounded(tmp_path: Path) -> None:
    text = edit('percent = "5"', "percent = 5.0")
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "firm.collar.percent"
    assert issue.line == line_number(text, "percent = 5.0")
    assert "float" in issue.message


def test_a_float_inside_an_inline_table_is_located(tmp_path: Path) -> None:
    text = edit('position_limits = { NVDA = "5000" }', "position_limits = { NVDA = 5000.5 }")
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "accounts[1].position_limits.NVDA"
    assert issue.line == line_number(text, "5000.5")


def test_a_duplicate_account_id_is_refused_at_the_repeated_entry(tmp_path: Path) -> None:
    text = edit('id = "ACC-MSFT-TSY"', 'id = "ACC-APPLE-TSY"')
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "accounts[1].id"
    assert issue.line == line_number(text, 'id = "ACC-APPLE-TSY"', occurrence=2)
    assert "duplicate" in issue.message and "ACC-APPLE-TSY" in issue.message


def test_a_duplicate_instrument_is_refused_at_the_repeated_entry(tmp_path: Path) -> None:
    text = edit('symbol = "SPY"', 'symbol = "VOD"')
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "instruments[1].symbol"
    assert issue.line == line_number(text, 'symbol = "VOD"', occurrence=2)


def test_a_missing_required_field_is_located_at_its_table(tmp_path: Path) -> None:
    text = edit('max_position = "20000"\n', "")
    _, error = refused(tmp_path, text)
    [issue] = error.issues
    assert issue.field == "accounts[1].max_position"
    assert issue.line == line_number(text, "[[accounts]]", occurrence=2)
    assert "Field required" in issue.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = edit('max_order_notional = "1000000"', 'max_order_notional = "lots"')
    text = text.replace("max_daily_orders = 20000", "max_daily_orders = -3")
    _, error = refused(tmp_path, text)
    assert {issue.field for issue in error.issues} == {
        "accounts[1].max_order_notional",
        "accounts[0].max_daily_orders",
    }
    assert all(issue.line is not None for issue in error.issues)


def test_an_unreadable_or_non_utf8_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as missing:
        load_policy_file(tmp_path / "nope.toml")
    assert "cannot read" in str(missing.value)
    with pytest.raises(PolicyError) as binary:
        parse_policy(b"\xff\xfe version", "upload")
    assert binary.value.issues[0].file == "upload" and "UTF-8" in binary.value.issues[0].message


# ---- line_of ---------------------------------------------------------------------------

NESTED = """\
version = "x"              # 1
[firm]                     # 2
id = "F"                   # 3
[firm.collar]              # 4
percent = "5"              # 5

[[accounts]]               # 7
id = "A"                   # 8
throttle = { max_messages = 5 }  # 9

[[accounts]]               # 11
id = "B"                   # 12
mifid.capacity = "DEAL"    # 13
[accounts.throttle]        # 14
max_messages = 7           # 15

[[accounts.sub]]           # 17
x = 1                      # 18
[[accounts.sub]]           # 19
x = 2                      # 20

[[instruments]]            # 22
"symbol" = "VOD"           # 23
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("version",), 1),
        (("firm",), 2),
        (("firm", "id"), 3),
        (("firm", "collar", "percent"), 5),
        (("accounts", 0), 7),
        (("accounts", 0, "id"), 8),
        (("accounts", 0, "throttle", "max_messages"), 9),  # inside an inline table: its key's line
        (("accounts", 1, "id"), 12),
        (("accounts", 1, "mifid", "capacity"), 13),  # a dotted key
        (("accounts", 1, "throttle"), 14),  # a sub-table of the second array element
        (("accounts", 1, "throttle", "max_messages"), 15),
        (("accounts", 1, "sub", 0, "x"), 18),  # an array of tables nested in one
        (("accounts", 1, "sub", 1, "x"), 20),
        (("instruments", 0, "symbol"), 23),  # a quoted key
        (("accounts", 1, "max_position"), 11),  # not in the file: the nearest table that is
        (("nothing", "here"), None),
    ],
)
def test_line_of_follows_nested_and_array_tables(path: tuple[str | int, ...], line: int | None) -> None:
    assert line_of(NESTED, path) == line


def test_a_base_currency_without_an_fx_rate_is_located(tmp_path: Path) -> None:
    path, error = refused(tmp_path, edit('base_currency = "USD"', 'base_currency = "JPY"'))
    [issue] = error.issues
    assert (issue.file, issue.field) == (str(path), "firm.base_currency")
    assert issue.line == line_number(SAMPLE, "base_currency")
    assert issue.message == "fx_rates has no rate for base currency JPY"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('USD = "1"', 'USD = "99999999999999999999999999999999999"', "fx_rates.USD"),
        ('max_order_notional = "5000000"', 'max_order_notional = "1e20"', "accounts[0].max_order_notional"),
        ('per_seconds = "1"', 'per_seconds = "864000"', "firm.session_throttle.per_seconds"),
    ],
)
def test_values_the_controls_cannot_compute_with_are_refused_at_load(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    """Accepted, a 35-digit FX rate or a ten-day throttle window made every order fail its
    checks (CHECK_FAILED); refused, the risk officer learns which line to fix."""
    _, error = refused(tmp_path, edit(old, new))
    assert [issue.field for issue in error.issues] == [field]
    assert error.issues[0].line == line_number(edit(old, new), new)
