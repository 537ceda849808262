"""Differences between two policy versions: parameter by parameter, and line by line.

``policy.loaded`` records carry the full policy text, so any two versions can be
compared years later. TOML policies are flattened to dotted parameter paths
(tables of accounts, instruments, traders keyed by their ``id``/``symbol``) so
the change log says ``accounts[ACC-1].max_order_notional: 5000000 -> 2000000``
rather than only showing a text diff.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from typing import Any

_ID_KEYS = ("id", "symbol", "name")


def parameters(content: str | None) -> dict[str, str] | None:
    """Flattened parameters of a policy text, or None when it is not TOML or JSON."""
    if content is None:
        return None
    data: Any
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError:
        try:
            data = json.loads(content)
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    out: dict[str, str] = {}
    _flatten(data, "", out)
    return out


def _flatten(value: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            ident = next((str(item[k]) for k in _ID_KEYS if k in item), str(index))
            _flatten(item, f"{path}[{ident}]", out)
    else:
        out[path] = _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return str(value)


def parameter_changes(old: str | None, new: str | None) -> list[tuple[str, str, str]] | None:
    """``(path, old, new)`` for each added, removed or changed parameter; None if unparsable."""
    before, after = parameters(old), parameters(new)
    if before is None or after is None:
        return None
    changes = []
    for path in sorted(before.keys() | after.keys()):
        was, now = before.get(path, "(absent)"), after.get(path, "(absent)")
        if was != now:
            changes.append((path, was, now))
    return changes


def unified(old: str | None, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of the two texts (empty when they are the same)."""
    lines = difflib.unified_diff(
        (old or "").splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2
    )
    return "\n".join(lines)


def line_counts(diff: str) -> tuple[int, int]:
    """Lines added and removed in a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
