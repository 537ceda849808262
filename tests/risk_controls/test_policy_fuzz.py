"""Whatever a risk officer's editor leaves in a policy file, the loader either takes it or
refuses it with file, line and field; and a policy it takes never makes a control fail.

Hypothesis edits the sample policy the way hands do: a value replaced by one of another
type or out of range (negative, zero, huge, 1e999, a float, an empty string, a list, a
date), a line deleted, a line repeated.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk_controls.domain import CheckOutcome, DenyCode, Side
from risk_controls.policy import PolicyError, parse_policy
from tests.risk_controls.builders import DEFAULT_POLICY_FILE, Harness, order

SAMPLE = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
LINES = SAMPLE.splitlines()
VALUE_LINES = [n for n, line in enumerate(LINES) if "=" in line and not line.lstrip().startswith("#")]
ODD_VALUES = [
    '"-1"',
    '"0"',
    "0",
    "-5",
    '"1e999"',
    '"99999999999999999999999999999999999"',
    "1.5",
    '""',
    '"abc"',
    "[]",
    '["x", 1]',
    "{}",
    "true",
    "2026-11-23",
    '"0.0000000000000000000000000000001"',
]


@st.composite
def edited_policies(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.sampled_from(VALUE_LINES))
        how = draw(st.sampled_from(["value", "value", "value", "delete", "repeat"]))
        if how == "value":
            key = lines[n].split("=", 1)[0]
            lines[n] = f"{key}= {draw(st.sampled_from(ODD_VALUES))}"
        elif how == "delete":
            lines[n] = ""
        else:
            lines[n] = lines[n] + "\n" + lines[n]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=edited_policies())
def test_an_edited_policy_is_taken_whole_or_refused_with_file_line_and_field(text: str) -> None:
    try:
        loaded = parse_policy(text.encode(), "policies/desk.toml")
    except PolicyError as refused:
        assert refused.issues
        for issue in refused.issues:
            assert issue.file == "policies/desk.toml"
            if issue.line is None:  # only a missing top-level key has no line to point at
                assert "." not in issue.field and "required" in issue.message.lower(), str(issue)
            else:
                assert 1 <= issue.line <= text.count("\n") + 1, str(issue)
            assert issue.field and issue.message, str(issue)
        return
    # taken: the controls must be able to run under it; they may deny, never fail
    harness = Harness(policy=loaded.policy)
    for side in (Side.BUY, Side.SELL):
        new = order("AAPL", side, 100, "228.50", account="ACC-APPLE-TSY", user="jsmith", session="DESK1")
        outcome = harness.submit(new)
        failed = [r for r in outcome.results if r.outcome is CheckOutcome.DENY and r.denial is not None]
        assert all(r.denial.code is not DenyCode.CHECK_FAILED for r in failed if r.denial), failed
