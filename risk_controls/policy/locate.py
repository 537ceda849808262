"""Find the line of a TOML file that defines a given key path.

tomllib reports line numbers for syntax errors only; pydantic reports a field
path. This maps the path back to the line a risk officer has to fix.
"""

from __future__ import annotations

import re

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r'^\s*("?[A-Za-z0-9_\-]+"?(?:\s*\.\s*"?[A-Za-z0-9_\-]+"?)*)\s*=')

Path = tuple[str | int, ...]


def _split(dotted: str) -> list[str]:
    return [part.strip().strip('"') for part in dotted.split(".")]


def key_lines(text: str) -> dict[Path, int]:
    """Map every table header and key in ``text`` to its 1-based line number."""
    lines: dict[Path, int] = {}
    counters: dict[Path, int] = {}
    table: Path = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_TABLE.match(line):
            parts = _split(match.group(1))
            base = (*_resolve(parts[:-1], counters), parts[-1])
            index = counters.get(base, -1) + 1
            counters[base] = index
            table = (*base, index)
            lines.setdefault(table, number)
        elif match := _TABLE.match(line):
            table = _resolve(_split(match.group(1)), counters)
            lines.setdefault(table, number)
        elif match := _KEY.match(line):
            lines.setdefault((*table, *_split(match.group(1))), number)
    return lines


def _resolve(parts: list[str], counters: dict[Path, int]) -> Path:
    """``accounts.mifid`` after two ``[[accounts]]`` means ``accounts[1].mifid``."""
    path: Path = ()
    for part in parts:
        path = (*path, part)
        if path in counters:
            path = (*path, counters[path])
    return path


def line_of(text: str, path: Path) -> int | None:
    """The line of the longest prefix of ``path`` that the file defines."""
    known = key_lines(text)
    for end in range(len(path), 0, -1):
        if (found := known.get(path[:end])) is not None:
            return found
    return None
