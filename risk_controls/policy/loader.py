"""Load a policy file: TOML → refuse floats → pydantic → a located error list.

A policy that fails is refused whole; the caller keeps the policy in force.
The content hash is SHA-256 of the file's bytes, so the audit log can tie
every decision to the exact text of the rules that made it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from risk_controls.policy.locate import line_of
from risk_controls.policy.schema import FirmPolicy, Policy


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem in a policy file, where it is and what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class PolicyError(ValueError):
    """The policy file was refused; ``issues`` says where and why."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    policy: Policy
    content_hash: str
    content: str
    source: str


def load_policy_file(path: Path) -> LoadedPolicy:
    """Read and validate ``path``; raise PolicyError naming file, line and field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([PolicyIssue(str(path), None, "-", f"cannot read: {exc}")]) from exc
    return parse_policy(raw, str(path))


def parse_policy(raw: bytes, source: str) -> LoadedPolicy:
    """Validate policy bytes that came from ``source`` (a path or an upload name)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([PolicyIssue(source, None, "-", f"not UTF-8: {exc}")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([PolicyIssue(source, _syntax_line(exc), "-", str(exc))]) from exc
    issues = [
        PolicyIssue(
            source,
            line_of(text, path),
            _dotted(path),
            'a TOML float is not accepted; write the amount as a string, e.g. "0.05"',
        )
        for path in _float_paths(data)
    ]
    issues += [
        PolicyIssue(source, line_of(text, path), _dotted(path), message)
        for path, message in (*_duplicate_ids(data), *_missing_base_rate(data))
    ]
    if issues:
        raise PolicyError(issues)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(
            [
                PolicyIssue(source, line_of(text, tuple(err["loc"])), _dotted(err["loc"]), err["msg"])
                for err in exc.errors()
            ]
        ) from exc
    return LoadedPolicy(policy, hashlib.sha256(raw).hexdigest(), text, source)


def _syntax_line(exc: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def _dotted(path: tuple[str | int, ...] | list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


_ID_KEYS = (
    ("accounts", "id"),
    ("instruments", "symbol"),
    ("traders", "id"),
    ("strategies", "id"),
    ("sessions", "id"),
)


def _duplicate_ids(data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Repeated ids, located at the repeated entry.

    The schema refuses them too, but a model-level error carries no location, and a
    risk officer needs the line of the second entry, not just the file.
    """
    for label, key in _ID_KEYS:
        items = data.get(label)
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for index, item in enumerate(items):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str):
                continue
            if value in seen:
                yield (label, index, key), f"duplicate id {value!r} in {label}"
            seen.add(value)


def _missing_base_rate(data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The firm's base currency without an FX rate, located at base_currency (or, when the
    currency is the default, at the fx_rates table or the firm's); the schema refuses it
    too, without a location."""
    firm = data.get("firm")
    rates = data.get("fx_rates", {})
    if not isinstance(firm, dict) or not isinstance(rates, dict):
        return
    base = firm.get("base_currency", FirmPolicy.model_fields["base_currency"].default)
    if isinstance(base, str) and base not in rates:
        if "base_currency" in firm:
            path: tuple[str, ...] = ("firm", "base_currency")
        else:
            path = ("fx_rates",) if "fx_rates" in data else ("firm",)
        yield path, f"fx_rates has no rate for base currency {base}"


def _float_paths(value: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, float):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _float_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _float_paths(item, (*path, index))
