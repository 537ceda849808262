"""Refuse a stale native build: a compiled module whose source changed since it was built.

Python imports a compiled extension (``*.so``) before the ``.py`` beside it, so after
an edit the old compiled code would run without a word. Each package that may hold
compiled modules calls :func:`ensure_fresh` first; it compares the sources with the
digests recorded at build time (``native-build.json`` at the project root, written by
``gateway.native``) and raises ImportError naming the first changed file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MANIFEST = "native-build.json"
_SUFFIX = ".so"
_REMEDY = "run ./gw native to rebuild (or ./gw native-clean to run it as Python)"


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compiled_files(root: Path) -> list[Path]:
    """Compiled modules under the project root's packages, and mypyc's shared library."""
    found = sorted(root.glob(f"*__mypyc*{_SUFFIX}"))
    for package in ("risk_controls", "audit", "gateway", "fix"):
        found += sorted((root / package).rglob(f"*{_SUFFIX}"))
    return found


def ensure_fresh(package_dir: Path) -> None:
    """Raise ImportError if ``package_dir`` holds compiled modules built from other sources
    (not while the build tool itself runs: ``GATEWAY_NATIVE_BUILDING=1``)."""
    if os.environ.get("GATEWAY_NATIVE_BUILDING") == "1":
        return
    built = sorted(package_dir.rglob(f"*{_SUFFIX}"))
    if not built:
        return
    root = package_dir.parent
    try:
        recorded: dict[str, str] = json.loads((root / MANIFEST).read_text())["sources"]
    except (OSError, ValueError, KeyError):
        raise ImportError(f"{built[0]} has no build record: {_REMEDY}") from None
    prefix = package_dir.name + "/"
    for name, digest in recorded.items():
        if not name.startswith(prefix):
            continue
        try:
            current = source_digest(root / name)
        except OSError:
            current = ""
        if current != digest:
            raise ImportError(f"{name} changed since its native build: {_REMEDY}")
